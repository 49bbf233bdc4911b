// Fuzzes what a node reads from Kafka (runtime/cluster/topic_records.h):
// records of tutti.inputs that any producer may write, decoded against the
// reference journeys and applied to a partition's engine as a node applies
// them, and the origin headers they may carry; the marks of tutti.actions read at a takeover, and its actions as
// their deliverer reads them; and the chunks of tutti.snapshots and the announcements of tutti.control. Bad records are refusals: never a crash, a leak, an
// exception or an allocation the bytes ask for.
//
// The first byte picks the reader; in mode 3 the rest is records
// separated by 0x1e, applied in order to one engine.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "runtime/cluster/topic_records.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/journey_set.h"

using namespace tutti;
using namespace tutti::runtime;

namespace {

const JourneySet& TheJourneys() {
  static const JourneySet* set = [] {
    compiler::DiagnosticSink sink;
    std::string src = TUTTI_SOURCE_DIR;
    auto loaded = JourneySet::Load({src + "/journeys"}, src + "/stdlib", sink);
    if (loaded == nullptr) std::abort();
    return loaded.release();
  }();
  return *set;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const JourneySet& set = TheJourneys();
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      cluster::Input in = cluster::ReadInput(set.schemas(), rest, 1700000000 * kNanosPerSecond);
      if (in.kind == cluster::Input::Kind::kRefused && in.why.empty()) std::abort();  // a refusal says why
      if (in.kind == cluster::Input::Kind::kPause && in.journey.size() > cluster::kMaxJourneyNameBytes) std::abort();
      // The same bytes as a record's origin header: a copy's origin is
      // read only when it is one Tutti writes, in range.
      cluster::Origin origin = cluster::ReadOrigin(rest, 12);
      if (origin.kind == cluster::Origin::Kind::kForwarded &&
          (origin.partition < 0 || origin.partition >= 12 || origin.offset < 0 || rest.size() > cluster::kMaxOriginBytes))
        std::abort();
      break;
    }
    case 1: {
      // What a takeover reads of an action, and what its deliverer reads
      // (an action sent again too, whose marks a takeover never reads).
      auto mark = cluster::ReadActionMark(rest);
      auto action = cluster::ReadAction(rest);
      bool again = rest.substr(0, 14) == "{\"again\":true,";
      if (action && (!(mark || again) || action->json.size() >= rest.size() || action->action.idempotency_key.empty()))
        std::abort();  // an action is read only with its marks, and its own bytes are part of the value
      if (again && mark) std::abort();
      if (action && action->why.size() > cluster::kMaxWhyBytes) std::abort();
      // An input as an action's explanation shows it (read back from
      // tutti.inputs), with a timestamp any producer may have set.
      cluster::Record input;
      input.value = std::string(rest);
      input.offset = 7;
      uint64_t stamp = 0;
      for (size_t i = 0; i < 8 && i < rest.size(); ++i) stamp = (stamp << 8) | static_cast<uint8_t>(rest[i]);
      input.timestamp_ms = static_cast<int64_t>(stamp);
      Result<cluster::Record> read = input;
      Json shown = Service::ClusterInput(3, &read, 7);
      if (!shown.is_object() || shown["offset"] != 7) std::abort();
      break;
    }
    case 2: {
      // The control topic's announcements too: who runs which partition.
      (void)cluster::ReadSnapshotChunk(rest);
      auto member = cluster::ReadMember(rest);
      if (member && (member->node.empty() || member->node.size() > 255 || member->api.size() > 255)) std::abort();
      break;
    }
    case 3: {
      EngineOptions options;
      options.interpret = true;
      options.shard = 1;
      options.shards = 3;
      options.kafka_partitions = true;
      auto engine = set.NewEngine(options);
      size_t start = 0;
      while (start <= rest.size()) {
        size_t end = std::min(rest.find('\x1e', start), rest.size());
        cluster::Input in = cluster::ReadInput(set.schemas(), rest.substr(start, end - start), engine->now());
        start = end + 1;
        if (in.kind == cluster::Input::Kind::kRecord) {
          if (in.record.kind() == RecordKind::kEvent) engine->Ingest(in.record);
          else engine->UpsertProfile(in.record);
        } else if (in.kind == cluster::Input::Kind::kClock) {
          // A clock record may name any instant; a partition's clock only
          // moves forward, and so far only as the fuzzer's time allows.
          engine->AdvanceTo(std::min(in.clock, engine->now() + 30 * kNanosPerDay));
        }
      }
      break;
    }
  }
  return 0;
}
