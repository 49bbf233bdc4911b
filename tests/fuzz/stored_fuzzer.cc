// Fuzzes what the daemon reads back from disk: snapshot files, the input
// log's entries, the history journal's entries, and the engine's own snapshot bytes restored into fresh
// engines (one and two shards). The input is taken as is, or (mode 2) as
// edits of a real snapshot of the reference scenario, so that mutations
// reach deep into a well-formed file. Damage is refused with a Status:
// never a crash, a leak, an exception or an allocation the bytes ask for.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include "runtime/daemon/history_journal.h"
#include "runtime/daemon/input_log.h"
#include "runtime/daemon/snapshot_file.h"
#include "runtime/engine/journey_set.h"
#include "runtime/engine/shards.h"
#include "runtime/records/decoder.h"

using namespace tutti;
using namespace tutti::runtime;

namespace {

struct World {
  std::unique_ptr<JourneySet> set;
  std::string snapshot;  // an engine's, halfway through the reference scenario

  World() {
    compiler::DiagnosticSink sink;
    std::string src = TUTTI_SOURCE_DIR;
    set = JourneySet::Load({src + "/journeys"}, src + "/stdlib", sink);
    if (set == nullptr) std::abort();
    auto engine = set->NewEngine({});
    DecodeOptions profiles;
    profiles.accept = Accept::kProfiles;
    DecodedFile p = DecodeFile(set->schemas(), src + "/examples/abc-pharma/profiles.ndjson", profiles);
    for (size_t i = 0; i < p.records.size() && i < 120; ++i) engine->UpsertProfile(p.records[i]);
    DecodeOptions events;
    events.accept = Accept::kEvents;
    DecodedFile e = DecodeFile(set->schemas(), src + "/examples/abc-pharma/events.ndjson", events);
    for (size_t i = 0; i < e.records.size() && i < 40; ++i) engine->Ingest(e.records[i]);
    snapshot = engine->Save();
  }
};

const World& TheWorld() {
  static const World* world = new World();
  return *world;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const World& w = TheWorld();
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto snapshot = DecodeSnapshot(rest, "fuzz");
      (void)snapshot.ok();
      break;
    }
    case 1: {
      auto entry = DecodeLogEntry(rest);
      (void)entry.ok();
      break;
    }
    case 2: {
      // Edits of a real snapshot: (offset: 2 bytes, value: 1 byte) each.
      std::string bytes = w.snapshot;
      for (size_t i = 0; i + 3 <= rest.size(); i += 3) {
        size_t at = (static_cast<uint8_t>(rest[i]) << 8 | static_cast<uint8_t>(rest[i + 1])) * 7 % bytes.size();
        bytes[at] = rest[i + 2];
      }
      if (rest.size() % 3 == 1) bytes.resize(bytes.size() * static_cast<uint8_t>(rest.back()) / 256);
      EngineOptions options;
      options.interpret = true;
      (void)w.set->NewEngine(options)->Restore(bytes).ok();
      break;
    }
    case 3: {
      Shards shards(2, [&](EngineOptions o) {
        o.interpret = true;
        return w.set->NewEngine(o);
      });
      (void)shards.Restore(rest).ok();
      break;
    }
    case 4: {
      auto entry = HistoryJournal::Decode(rest);
      (void)entry.ok();
      break;
    }
  }
  return 0;
}
