#include "runtime/daemon/journeys_part.h"

#include "runtime/engine/snapshot_codec.h"

namespace tutti::runtime {
namespace {

constexpr uint64_t kPartMagic = 0x74757474697061;  // "tuttipa": a node's part of /v1/journeys

}  // namespace

std::string EncodeJourneysPart(const JourneysPart& part) {
  SnapshotWriter out([](SnapshotWriter&, const compiler::eval::RecordShape*) {});
  out.U64(kPartMagic);
  out.U64(part.partitions.size());
  for (int32_t p : part.partitions) out.U64(static_cast<uint64_t>(p));
  out.I64(part.now);
  out.U64(part.journeys.size());
  for (const JourneysPart::Journey& j : part.journeys) {
    out.String(j.name);
    out.String(j.version_id);
    out.Byte(j.status);
    out.I64(j.active);
    out.U64(j.waiting.size());
    for (int64_t n : j.waiting) out.I64(n);
    out.String(j.stats);
  }
  return std::move(out.bytes());
}

std::optional<JourneysPart> DecodeJourneysPart(std::string_view bytes) {
  SnapshotReader in(bytes, [](SnapshotReader& r) -> const compiler::eval::RecordShape* {
    r.Fail("a part holds no records");
    return nullptr;
  });
  if (in.U64() != kPartMagic) return std::nullopt;
  JourneysPart part;
  for (size_t n = in.Count(); n > 0 && in.ok(); --n)
    part.partitions.push_back(static_cast<int32_t>(in.Index(100000, "partition")));
  part.now = in.I64();
  for (size_t n = in.Count(6); n > 0 && in.ok(); --n) {
    JourneysPart::Journey j;
    j.name = in.String();
    j.version_id = in.String();
    j.status = in.Byte();
    if (j.status > JourneysPart::kRetired) in.Fail("a journey's status is not one");
    // Counts a node could hold: never negative, never near overflowing
    // when added up over the nodes.
    constexpr int64_t kMost = int64_t{1} << 48;
    j.active = in.I64();
    if (j.active < 0 || j.active > kMost) in.Fail("a count is out of range");
    for (size_t k = in.Count(); k > 0 && in.ok(); --k) {
      j.waiting.push_back(in.I64());
      if (j.waiting.back() < 0 || j.waiting.back() > kMost) in.Fail("a count is out of range");
    }
    j.stats = in.String();
    part.journeys.push_back(std::move(j));
  }
  if (!in.ok() || !in.at_end()) return std::nullopt;
  return part;
}

}  // namespace tutti::runtime
