#include "runtime/cluster/partition_worker.h"

#include <algorithm>
#include <map>
#include <utility>

#include "runtime/cluster/topic_records.h"
#include "runtime/engine/email_address.h"
#include "runtime/engine/partition.h"

namespace tutti::runtime::cluster {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A partition that made nothing to write still commits its offset this
// often, so that the group's lag (Kafka's own tools) stays current.
constexpr auto kIdleCommit = 5s;

}  // namespace

Result<std::unique_ptr<PartitionWorker>> PartitionWorker::Open(const PartitionSettings& settings,
                                                               Versions& versions, int32_t partition,
                                                               int32_t partitions) {
  auto started = Clock::now();
  std::unique_ptr<PartitionWorker> w(new PartitionWorker());
  w->settings_ = settings;
  w->versions_ = &versions;
  w->partition_ = partition;
  w->partitions_ = partitions;
  // The producer first: once it is open, the previous owner can commit
  // nothing more, so the tail read next is the last word.
  TUTTI_ASSIGN_OR_RETURN(w->producer_, PartitionProducer::Open(settings.kafka, settings.group, settings.topics.inputs,
                                                               partition, settings.timeout));
  TUTTI_TRY(w->ReadWrittenTail());
  w->engine_options_.shard = static_cast<uint32_t>(partition);
  w->engine_options_.shards = static_cast<uint32_t>(partitions);
  w->engine_options_.kafka_partitions = true;
  w->RestoreNewestSnapshot();
  if (w->counts_.restored_offset < 0) w->engine_ = w->EngineOn({versions.First().Fingerprint()});
  w->next_offset_ = w->start_offset_;
  w->committed_at_ = Clock::now();
  w->open_seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  return w;
}

Status PartitionWorker::ReadWrittenTail() {
  TUTTI_ASSIGN_OR_RETURN(auto probe, Reader::Open(settings_.kafka, settings_.topics.actions, partition_, 0));
  TUTTI_ASSIGN_OR_RETURN(int64_t end, probe->End(settings_.timeout));
  probe.reset();
  // Backwards in growing windows until an action of this partition shows
  // (transaction markers take offsets too, so the last offset may hold
  // none). Each window is read whole: stopping at a slow fetch would take
  // an earlier action for the last and write the rest again.
  for (int64_t window = 256, to = end; to > 0; window *= 4) {
    int64_t from = std::max<int64_t>(0, to - window);
    TUTTI_ASSIGN_OR_RETURN(auto reader, Reader::Open(settings_.kafka, settings_.topics.actions, partition_, from));
    bool found = false;
    TUTTI_TRY(reader->ReadTo(to, settings_.timeout, [&](const Record& r) {
      auto mark = ReadActionMark(r.value);
      if (!mark || mark->partition != partition_ || mark->seq <= written_through_) return;
      written_through_ = mark->seq;
      written_source_offset_ = mark->source_offset;
      found = true;
    }));
    if (found) break;
    to = from;
  }
  return Status::Ok();
}

void PartitionWorker::RestoreNewestSnapshot() {
  auto started = Clock::now();
  int32_t topic_partition = partition_ % settings_.snapshot_partitions;
  auto reader = Reader::Open(settings_.kafka, settings_.topics.snapshots, topic_partition, 0);
  if (!reader.ok()) return;
  auto end = (*reader)->End(settings_.timeout);
  if (!end.ok() || *end == 0) return;
  // The newest chunk of each key (compaction may not have run yet).
  std::map<uint32_t, SnapshotChunk> chunks;
  const std::string prefix = std::to_string(partition_) + ":";
  // Read whole or not at all: a read that does not finish restores
  // nothing, and the replay from the start makes it right, only slower.
  Status read = (*reader)->ReadTo(*end, settings_.timeout, [&](const Record& r) {
    if (r.key.rfind(prefix, 0) != 0) return;
    auto chunk = ReadSnapshotChunk(r.value);
    if (chunk && chunk->partition == partition_) chunks[chunk->chunk] = std::move(*chunk);
  });
  if (!read.ok()) return;
  // Whole: chunk 0 says how many, and every one is of its snapshot.
  auto first = chunks.find(0);
  if (first == chunks.end() || first->second.versions.empty()) return;
  std::string state;
  for (uint32_t i = 0; i < first->second.chunks; ++i) {
    auto it = chunks.find(i);
    if (it == chunks.end() || it->second.offset != first->second.offset || it->second.chunks != first->second.chunks)
      return;
    state += it->second.bytes;
  }
  engine_ = EngineOn(first->second.versions);
  if (engine_ == nullptr || !engine_->Restore(state).ok()) {
    engine_.reset();
    return;
  }
  start_offset_ = first->second.offset;
  copies_seen_ = first->second.copies_seen;
  counts_.restored_offset = start_offset_;
  counts_.restore_seconds = std::chrono::duration<double>(Clock::now() - started).count();
}

Status PartitionWorker::WriteSnapshot() {
  std::string state = engine_->Save();
  constexpr size_t kChunkBytes = 512 << 10;  // under Kafka's default message limit of 1 MB
  std::vector<Record> records = SnapshotRecords(partition_, next_offset_, set_->Fingerprint(), taken_, state, kChunkBytes,
                                                partition_ % settings_.snapshot_partitions, copies_seen_);
  Status written = producer_->Begin();
  for (size_t i = 0; written.ok() && i < records.size(); ++i) written = producer_->Add(settings_.topics.snapshots, records[i]);
  if (written.ok()) written = producer_->Commit(next_offset_, settings_.timeout);
  else (void)producer_->Abort(settings_.timeout);
  applied_at_snapshot_ = counts_.applied;
  if (written.ok()) {
    ++counts_.snapshots;
    return Status::Ok();
  }
  ++counts_.snapshot_failures;
  return written.code() == StatusCode::kConflict ? written : Status::Ok();
}

std::unique_ptr<Engine> PartitionWorker::EngineOn(const std::vector<std::string>& fingerprints) {
  std::unique_ptr<Engine> engine;
  taken_.clear();
  for (const std::string& f : fingerprints) {
    const JourneySet* set = versions_->Find(f);
    if (set == nullptr) return nullptr;
    if (engine == nullptr) {
      engine = set->NewEngine(engine_options_);
    } else if (!engine->Reload(set->ir(), set->schemas(), set->functions(), set->native()).ok()) {
      return nullptr;
    }
    set_ = set;
    taken_.push_back(f);
  }
  return engine;
}

void PartitionWorker::TakeVersion(const std::string& fingerprint) {
  if (fingerprint == set_->Fingerprint()) return;  // a second record of the version running
  const JourneySet* set = versions_->Find(fingerprint);
  // What cannot be taken over is refused here as in every replay: the
  // decision depends on the versions alone.
  std::vector<const compiler::ir::Journey*> running;
  for (uint32_t j = 0; j < engine_->journey_count(); ++j) running.push_back(&engine_->journey(j));
  bool can = set != nullptr && engine_->ReloadRefusal(set->schemas(), set->ir()).ok() &&
             !WhyOneShard(set->ir(), running);
  if (!can || !engine_->Reload(set->ir(), set->schemas(), set->functions(), set->native()).ok()) {
    ++counts_.versions_refused;
    return;
  }
  set_ = set;
  taken_.push_back(fingerprint);
  reaches_others_.clear();
  ++counts_.versions_taken;
}

bool PartitionWorker::ReachesOthers(const std::string& event) {
  auto [known, added] = reaches_others_.try_emplace(event, false);
  if (added) {
    std::vector<const compiler::ir::Journey*> journeys;
    for (uint32_t j = 0; j < engine_->journey_count(); ++j) journeys.push_back(&engine_->journey(j));
    known->second = runtime::ReachesOthers(journeys, event).has_value();
  }
  return known->second;
}

bool PartitionWorker::ApplyRecord(const Record& r, Input& in, std::vector<Output>& writes) {
  Engine& engine = *engine_;
  Origin origin = ReadOrigin(r.origin, partitions_);
  if (origin.kind == Origin::Kind::kBad || (origin.kind == Origin::Kind::kForwarded && origin.partition == partition_)) {
    in.kind = Input::Kind::kRefused;
    in.why = std::string("a '") + kOriginHeader + "' header that Tutti does not write";
    return false;
  }
  if (origin.kind == Origin::Kind::kForwarded) {
    // A replay of the partition that wrote it on writes it again.
    auto [seen, first] = copies_seen_.try_emplace(origin.partition, origin.offset);
    if (!first && origin.offset <= seen->second) {
      ++counts_.copies_skipped;
      return false;
    }
    seen->second = origin.offset;
  }
  // On a cluster an input is named by its offset in the partition.
  if (r.offset >= 0) in.record.input = static_cast<uint64_t>(r.offset);
  bool event = in.record.kind() == RecordKind::kEvent;
  if (event) engine.Ingest(in.record);
  else engine.UpsertProfile(in.record);
  // Written here only by another producer, it is written on to the other
  // partitions, at the time it happened here; once, as dead letters are.
  if (origin.kind != Origin::Kind::kOutside || r.offset <= written_source_offset_) return true;
  if (event && !ReachesOthers(in.record.type())) return true;
  std::optional<Instant> at;
  // Its `at` only when it had none: decoding it again without a default tells.
  if (event && ReadInput(set_->schemas(), r.value, std::nullopt).kind == Input::Kind::kRefused)
    at = ToInstant(*in.record.at);
  std::string value = InputValue(r.value, at);
  for (int32_t p = 0; p < partitions_; ++p) {
    if (p == partition_) continue;
    Record copy{r.key, value, p};
    copy.origin = ForwardedOrigin(partition_, r.offset);
    writes.push_back({&settings_.topics.inputs, std::move(copy)});
  }
  ++forwarded_;  // counted once written
  return true;
}

Status PartitionWorker::Apply(const std::vector<const Record*>& batch) {
  if (batch.empty()) return Status::Ok();
  Engine& engine = *engine_;
  std::vector<Output> writes;
  for (const Record* r : batch) {
    std::optional<Instant> default_at;
    if (settings_.virtual_clock) default_at = engine.now();
    else if (r->timestamp_ms >= 0) default_at = r->timestamp_ms * kNanosPerMilli;
    Input in = ReadInput(set_->schemas(), r->value, default_at);
    bool applied = true;
    switch (in.kind) {
      case Input::Kind::kRecord:
        // Refused when its origin header is not Tutti's; not applied when
        // it is a copy applied already.
        applied = ApplyRecord(*r, in, writes);
        break;
      case Input::Kind::kClock:
        engine.AdvanceTo(in.clock);
        break;
      case Input::Kind::kVersion:
        TakeVersion(in.version);
        break;
      case Input::Kind::kPause:
        // A version without the journey (not taken over yet, or a later
        // one that dropped it) has nothing to pause.
        engine.SetPaused(in.journey, in.paused);
        break;
      case Input::Kind::kRefused:
        applied = false;
        break;
    }
    if (in.kind == Input::Kind::kRefused) {
      // Written once: a replay of what an earlier owner already wrote
      // skips it (up to the last action's offset; after it a dead letter
      // may repeat, and says its source offset).
      if (r->offset > written_source_offset_) {
        writes.push_back({&settings_.topics.dead_letters, {r->key, DeadLetterValue(partition_, r->offset, in.why), -1}});
        ++counts_.dead_letters;
      }
    } else if (applied) {
      ++counts_.applied;
    }
    // The actions this record made, numbered by the partition's outbox.
    Outbox& outbox = engine.outbox();
    while (outbox.size() > 0) {
      OutboxEntry entry = outbox.PopFront();
      if (entry.seq <= written_through_) {
        ++counts_.actions_skipped;
        continue;
      }
      // With its recipient's address as this partition knows it now: the
      // action's deliverer may run on a node without this partition.
      std::string address = entry.action.action != "send"
                                 ? ""
                                 : EmailAddressOf(engine, set_->ir(), entry.action);
      // With what its explanation needs, for the node that delivers it.
      const compiler::ir::Journey* journey = nullptr;
      for (uint32_t i = 0; i < engine.journey_count() && journey == nullptr; ++i)
        if (engine.version_id(i) == entry.action.version_id) journey = &engine.journey(i);
      writes.push_back({&settings_.topics.actions,
                        {entry.action.customer,
                         ActionValue(entry.action, partition_, entry.seq, r->offset, address,
                                     ActionWhy(entry.action, journey)),
                         partition_}});
    }
    engine.TakeDecisions();  // the decision log is the actions' (and the metrics', later)
  }
  next_offset_ = batch.back()->offset + 1;
  if (!writes.empty() || Clock::now() - committed_at_ >= kIdleCommit) TUTTI_TRY(Write(writes));
  // Everything the state holds is written by now: a snapshot of it at
  // next_offset_ leaves nothing behind.
  if (settings_.snapshot_every != 0 && counts_.applied - applied_at_snapshot_ >= settings_.snapshot_every)
    return WriteSnapshot();
  return Status::Ok();
}

Status PartitionWorker::Write(const std::vector<Output>& writes) {
  TUTTI_TRY(producer_->Begin());
  const Record* last_action = nullptr;
  size_t actions = 0;
  for (const Output& w : writes) {
    TUTTI_TRY(producer_->Add(*w.topic, w.record));
    if (w.topic == &settings_.topics.actions) {
      last_action = &w.record;
      ++actions;
    }
  }
  TUTTI_TRY(producer_->Commit(next_offset_, settings_.timeout));
  if (last_action != nullptr) {
    auto mark = ReadActionMark(last_action->value);
    written_through_ = mark->seq;
    written_source_offset_ = mark->source_offset;
  }
  counts_.actions_written += actions;
  counts_.forwarded += std::exchange(forwarded_, 0);
  ++counts_.transactions;
  committed_at_ = Clock::now();
  return Status::Ok();
}

}  // namespace tutti::runtime::cluster
