#pragma once
// What the cluster's topics hold, record by record (docs/cluster.md,
// "Topics"). Every value is one JSON object:
//
//   tutti.inputs        an event or a profile, as POST /v1/events and
//                       /v1/profiles take it ({"type": ...}); or a record
//                       of Tutti's own: {"tutti": "clock", "at_ns": N},
//                       the partition's clock moves to N; {"tutti":
//                       "version", "fingerprint": F}, it takes version F
//                       over; {"tutti": "pause", "journey": J, "paused":
//                       B}, journey J is paused (or resumed). An event
//                       or a profile may have a header tutti-origin
//                       saying which partitions it was written to (Origin)
//   tutti.actions       {"partition": P, "seq": N, "source_offset": O,
//                       ["address": EMAIL,] "action": DECISION}: the N-th
//                       action of input partition P, made while applying
//                       its offset O (with its recipient's address)
//   tutti.dead-letters  {"source_partition": P, "source_offset": O,
//                       "reason": WHY}: an input that does not decode
//   tutti.snapshots     a chunk of a partition's engine state, keyed
//                       "P:CHUNK": a header line {"partition": P,
//                       "offset": O, "chunk": I, "chunks": N,
//                       "fingerprint": F}, then the chunk's bytes. The
//                       state covers P's inputs before offset O, under the
//                       journeys of fingerprint F. Compaction keeps the
//                       newest chunk of each key; a chunk left from an
//                       older, longer snapshot has another offset and is
//                       not used.
//
// Inputs come from outside (any producer may write tutti.inputs): they are
// decoded with the decoder's limits, and what does not decode is a
// refusal with a reason that quotes no value.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/ir/journey_ir.h"
#include "runtime/cluster/kafka.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/instant.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime::cluster {

/// One record of tutti.inputs, read.
struct Input {
  enum class Kind { kRecord, kClock, kVersion, kPause, kRefused } kind = Kind::kRefused;
  runtime::Record record;  // kRecord: an event or a profile, checked against its schema
  Instant clock = 0;       // kClock: where the partition's clock moves
  std::string version;     // kVersion: the fingerprint of the journeys taken over
  std::string journey;     // kPause: the journey paused or resumed
  bool paused = false;     // kPause: paused (or resumed)
  std::string why;         // kRefused: why it does not decode (no value quoted)
};

/// Which partitions an event or a profile of tutti.inputs was written to,
/// as its header kOriginHeader says (docs/cluster.md, "Audiences across
/// partitions"). A profile, and an event some journey fans out or routes
/// to other customers, must reach every partition:
///   - kOutside (no header): another producer wrote it, to the partition
///     of its key only; that partition writes it on to every other one;
///   - kEverywhere ("everywhere"): a node's ingest wrote it to every
///     partition at once;
///   - kForwarded ("P:O"): partition P wrote it on, its input at offset O;
///     a partition applies each (P, O) once;
///   - kBad: a header Tutti does not write (refused, as a dead letter).
struct Origin {
  enum class Kind { kOutside, kEverywhere, kForwarded, kBad } kind = Kind::kOutside;
  int32_t partition = -1;  // kForwarded
  int64_t offset = -1;     // kForwarded
};
/// Reads a record's origin header ("" when it has none); a partition P
/// outside [0, partitions) is kBad.
Origin ReadOrigin(std::string_view header, int32_t partitions);
constexpr std::string_view kEverywhereOrigin = "everywhere";
std::string ForwardedOrigin(int32_t partition, int64_t offset);

/// Decodes a value of tutti.inputs. An event without `at` happened at
/// `default_at` (what the partition's reader chose: something every
/// replay reads the same), or is refused without one.
Input ReadInput(const SchemaTable& schemas, std::string_view value, std::optional<Instant> default_at);

/// The tutti.inputs value that moves a partition's clock to `to`.
std::string ClockValue(Instant to);
/// The tutti.inputs value that switches a partition to version `fingerprint`.
std::string VersionMarkerValue(const std::string& fingerprint);
/// The tutti.inputs value that pauses (or, not `paused`, resumes) journey
/// `journey` (a name of at most kMaxJourneyNameBytes).
std::string PauseValue(const std::string& journey, bool paused);
constexpr size_t kMaxJourneyNameBytes = 900;

/// A tutti.control value: a version of the journeys, its files as
/// (path, text).
struct Version {
  std::string fingerprint;
  std::vector<std::pair<std::string, std::string>> files;
};
std::string VersionValue(const Version& version);
/// Reads one back (at most 64 MiB, 8 levels); nullopt when it is not one.
std::optional<Version> ReadVersion(std::string_view value);

/// A tutti.control value: node `node` runs `partitions` now, and serves
/// the API at `api` ("host:port"), where the other nodes send the reads
/// of those partitions' customers. The newest record naming a partition
/// says who has it.
struct Member {
  std::string node;
  std::string api;
  std::vector<int32_t> partitions;  // of the inputs topic: the partitions it runs
  /// Of the actions topic: the partitions it delivers (its share in the
  /// delivery group, which Kafka gives out apart from the inputs').
  std::vector<int32_t> deliveries;
};
std::string MemberValue(const Member& member);
/// Reads one back (at most 64 KiB; a name and an address of at most 255
/// printable characters, partitions from 0 to 99,999); nullopt when the
/// value is not one.
std::optional<Member> ReadMember(std::string_view value);

/// The tutti.inputs value for `line`, a line the decoder accepted as an
/// event or a profile: the line itself, with `"at": at` added when the
/// event has none (the time it arrived, so that every replay agrees).
std::string InputValue(std::string_view line, std::optional<Instant> at);

/// The tutti.actions value of an action; `address`, when not empty, is
/// its recipient's e-mail address as the partition knew it then (the
/// deliverer may run where the profile is not); `why`, when not empty,
/// is ActionWhy's (written as a JSON text).
std::string ActionValue(const Decision& action, int32_t partition, uint64_t seq, int64_t source_offset,
                        const std::string& address = "", const std::string& why = "");
/// What an action's explanation (GET /v1/decisions/{key}/why) needs that
/// is not in its NDJSON line, for the node that delivers it: its
/// instance's choices (ChoicesJson, against `journey`, the version that
/// decided) and the contact rules it passed (CheckText), as a JSON
/// object; without the choices when they take more than kMaxWhyBytes, ""
/// when it has neither or the rules alone take more.
std::string ActionWhy(const Decision& action, const compiler::ir::Journey* journey);
constexpr size_t kMaxWhyBytes = 16 << 10;
/// Where an action of tutti.actions came from: its partition's sequence
/// number and input offset; nullopt when the value is not an action
/// written by its partition (an action sent again is not: see below).
struct ActionMark {
  int32_t partition = -1;
  uint64_t seq = 0;
  int64_t source_offset = -1;
};
std::optional<ActionMark> ReadActionMark(std::string_view value);

/// The tutti.actions value that sends an action read from the topic again
/// (a dead letter retried: POST /v1/actions/{key}/retry), from what its
/// deliverer kept of it: `json` and `why` are ActionToDeliver's. It begins
/// `{"again":true,` so that ReadActionMark, which a partition taking over
/// uses to find the last action it wrote, never takes it for that, while
/// ReadAction reads it as any other action.
std::string ActionValueAgain(const ActionMark& mark, std::string_view address, std::string_view json,
                             std::string_view why);

/// An action of tutti.actions as its deliverer reads it.
struct ActionToDeliver {
  ActionMark mark;
  /// What delivery and the action log need of it: journey, customer,
  /// channel (or kind), template (or text), recipient, vars, idempotency key.
  Decision action;
  std::string json;     // the action as ToJson wrote it: what a webhook is sent
  std::string address;  // the recipient's e-mail address, when it had one
  std::string why;      // ActionWhy's text, when it had one (not checked: parse it with limits)
};
/// Reads an action back (at most 1 MiB, 64 levels); nullopt when the value
/// is not one.
std::optional<ActionToDeliver> ReadAction(std::string_view value);
/// What delivery and the action log need of an action
/// (ActionToDeliver::action) from its JSON as ToJson wrote it, so that
/// ToJson writes it the same way again (vars included: a time comes back
/// as its text): nullopt when it is not an action's (no idempotency key,
/// or a send without a channel).
std::optional<Decision> ReadActionFields(const nlohmann::ordered_json& action);

/// The tutti.dead-letters value for input `offset` of `partition`.
std::string DeadLetterValue(int32_t partition, int64_t offset, std::string_view why);

/// The tutti.snapshots records of `state`, partition `partition`'s engine
/// after its inputs before `offset`, in chunks of at most `chunk_bytes`,
/// written to `topic_partition` of the snapshots topic. `copies_seen`:
/// by partition, the offset of the last of its inputs it wrote on that
/// this one applied (Origin::kForwarded).
std::vector<Record> SnapshotRecords(int32_t partition, int64_t offset, const std::string& fingerprint,
                                    const std::vector<std::string>& versions, std::string_view state,
                                    size_t chunk_bytes, int32_t topic_partition,
                                    const std::map<int32_t, int64_t>& copies_seen = {});
/// One chunk read back; nullopt when the value is not one (bounded: the
/// header is at most 64 KiB).
struct SnapshotChunk {
  int32_t partition = -1;
  int64_t offset = -1;
  uint32_t chunk = 0, chunks = 0;
  std::string fingerprint;
  /// Chunk 0 only: the versions of the journeys the engine was on, in
  /// the order it took them over (a restore takes them over again first).
  std::vector<std::string> versions;
  std::map<int32_t, int64_t> copies_seen;  // chunk 0 only: SnapshotRecords'
  std::string bytes;
};
std::optional<SnapshotChunk> ReadSnapshotChunk(std::string_view value);

}  // namespace tutti::runtime::cluster
