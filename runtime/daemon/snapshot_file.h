#pragma once
// Snapshot files: the daemon's state at a point of its input log, so that
// a start restores it and replays only the log after that point, and the
// log before it can be dropped (docs/operations.md, Snapshots).
//
// A snapshot holds the position (the sequence number of the first log
// entry not in it), the engine time of the last input logged, every
// version of the journeys the engine has taken on (their sources, as the
// log holds them) and the engine's own bytes (Engine::Save), followed by a
// checksum of all of that. Files live in DATA/snapshots as
// snapshot-POSITION (16 hex digits), written to a temporary name, synced
// and renamed, so that a crash leaves either the whole file or none.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/engine/instant.h"

namespace tutti::runtime {

struct Snapshot {
  uint64_t position = 0;            // log entries below this are in it
  Instant logged_now = 0;           // Service's logged_now_ then
  std::vector<std::string> versions;  // each version's text, oldest first (InputLog kJourneys)
  std::string engine;               // Engine::Save
};

/// Writes `snapshot` durably under `dir` (created 0700 if missing; the file
/// 0600: it holds personal data), then deletes the older snapshots there
/// beyond the newest `keep` (this one included; never this one, never a
/// newer one). A failure leaves no new file.
Status WriteSnapshot(const std::string& dir, const Snapshot& snapshot, size_t keep);

/// Where the snapshot at `position` is written under `dir`.
std::string SnapshotPath(const std::string& dir, uint64_t position);

/// The snapshot files under `dir` as (position, path), newest (highest
/// position) first.
std::vector<std::pair<uint64_t, std::string>> SnapshotFiles(const std::string& dir);

/// Reads and checks one: kUnavailable when it cannot be read, kCorruption
/// when it is not a whole snapshot (its checksum or its parts do not add
/// up).
Result<Snapshot> ReadSnapshot(const std::string& path);
/// The same for a snapshot file's bytes; `name` says which in messages.
Result<Snapshot> DecodeSnapshot(std::string_view bytes, const std::string& name);

/// Sets aside (renames to *.stale) the snapshots under `dir` past
/// `log_size`: after a log lost its tail they hold state that no longer
/// follows from it, and must not be restored once the log grows past them.
/// Returns how many.
size_t SetAsideSnapshotsPast(const std::string& dir, uint64_t log_size);

/// Deletes what an interrupted write left under `dir` (*.tmp).
void RemoveUnfinishedSnapshots(const std::string& dir);

}  // namespace tutti::runtime
