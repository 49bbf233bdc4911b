#include "runtime/engine/shards.h"

#include <algorithm>

#include "base/check.h"
#include "runtime/engine/partition.h"

namespace tutti::runtime {

Shards::Shards(uint32_t count, const std::function<std::unique_ptr<Engine>(EngineOptions)>& make) {
  TUTTI_CHECK(count >= 1, "at least one shard");
  for (uint32_t s = 0; s < count; ++s) {
    EngineOptions options;
    options.shard = s;
    options.shards = count;
    engines_.push_back(make(options));
  }
  for (uint32_t s = 1; s < count; ++s) threads_.emplace_back([this, s] { Loop(s); });
}

Shards::~Shards() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void Shards::Run(const std::function<void(uint32_t)>& fn, bool small) {
  if (threads_.empty() || small) {
    for (uint32_t s = 0; s < count(); ++s) fn(s);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    running_ = static_cast<uint32_t>(threads_.size());
    ++generation_;
  }
  start_.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return running_ == 0; });
  job_ = nullptr;
}

void Shards::Loop(uint32_t shard) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(uint32_t)>* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    (*job)(shard);
    std::lock_guard<std::mutex> lock(mu_);
    if (--running_ == 0) done_.notify_one();
  }
}

const Engine& Shards::owner(std::string_view profile, std::string_view key) const {
  return *engines_[ShardOf(profile, key, count())];
}

void Shards::Merge() {
  // With one shard nothing can come before what it made: all of it goes.
  Instant frontier = INT64_MAX;
  if (count() > 1)
    for (const auto& e : engines_) frontier = std::min(frontier, e->now());
  for (;;) {
    Engine* next = nullptr;
    Instant at = 0;
    for (const auto& e : engines_) {
      const Outbox& held = e->outbox();
      if (held.size() == 0) continue;
      Instant a = held.Find(held.first_seq())->action.at;
      if (a < frontier && (next == nullptr || a < at)) {
        next = e.get();
        at = a;
      }
    }
    if (next == nullptr) return;
    outbox_.Append(std::move(next->outbox().PopFront().action));
  }
}

void Shards::Apply(const std::vector<Input>& inputs) {
  // Inputs applied on one thread, below which handing them to the
  // shards' threads costs more than it saves (a wake-up and a wait).
  constexpr size_t kSmall = 8;
  Run([&](uint32_t s) {
    Engine& e = *engines_[s];
    for (const Input& in : inputs) {
      e.AdvanceTo(in.at);
      if (in.record == nullptr) continue;
      if (in.record->kind() == RecordKind::kEvent) e.Ingest(*in.record);
      else e.UpsertProfile(*in.record);
    }
  }, inputs.size() <= kSmall);
  Merge();
}

bool Shards::AdvanceSome(Instant t, size_t max_wakeups) {
  std::vector<char> done(count());
  // Only clocks to move when no timer is due by `t`.
  std::optional<Instant> due = NextDue();
  Run([&](uint32_t s) { done[s] = engines_[s]->AdvanceSome(t, max_wakeups); }, !due || *due > t);
  Merge();
  return std::all_of(done.begin(), done.end(), [](char d) { return d != 0; });
}

void Shards::AdvanceTo(Instant t) { Apply({{t, nullptr}}); }

std::optional<Instant> Shards::NextDue() {
  std::optional<Instant> due;
  for (const auto& e : engines_)
    if (auto d = e->NextDue(); d && (!due || *d < *due)) due = d;
  return due;
}

bool Shards::SetPaused(std::string_view journey, bool paused) {
  bool known = true;
  for (const auto& e : engines_) known = e->SetPaused(journey, paused) && known;
  return known;
}

Status Shards::WhyNotSplit(const compiler::ir::Program& program) const {
  if (count() == 1) return Status::Ok();
  std::vector<const compiler::ir::Journey*> running;
  for (uint32_t j = 0; j < engines_[0]->journey_count(); ++j) running.push_back(&engines_[0]->journey(j));
  if (auto why = WhyOneShard(program, running))
    return Status::Conflict("this version must run on one shard, and the daemon runs " + std::to_string(count()) +
                            ": " + *why);
  return Status::Ok();
}

Status Shards::ReloadRefusal(const SchemaTable& schemas, const compiler::ir::Program& program) const {
  TUTTI_TRY(engines_[0]->ReloadRefusal(schemas, program));
  return WhyNotSplit(program);
}

Result<Engine::ReloadReport> Shards::Reload(const compiler::ir::Program& program, const SchemaTable& schemas,
                                            const compiler::eval::Functions& functions,
                                            const NativeCode* native) {
  TUTTI_TRY(WhyNotSplit(program));
  Engine::ReloadReport total;
  for (size_t s = 0; s < engines_.size(); ++s) {
    auto reloaded = engines_[s]->Reload(program, schemas, functions, native);
    // Every shard runs the same versions: the first refuses (changing
    // nothing) what all would refuse.
    if (s == 0 && !reloaded.ok()) return reloaded.status();
    TUTTI_CHECK(reloaded.ok(), "every shard takes what the first took");
    Engine::ReloadReport& report = *reloaded;
    if (s == 0) total = report;
    else {
      total.carried_over += report.carried_over;
      total.left_on_old += report.left_on_old;
      total.migrated += report.migrated;
    }
  }
  Merge();  // a reload settles the sends of the instant
  return total;
}

namespace {

constexpr std::string_view kShardsMagic = "tutti-shards/1\n";

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}

bool GetU64(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  *v = 0;
  for (int i = 0; i < 8; ++i) *v |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::string Shards::Save() {
  // The merged outbox is saved by shard 0's engine, with the actions shard
  // 0 holds back after it (copied: there are few), and split off again by
  // Restore.
  Outbox& held = engines_[0]->outbox();
  uint64_t merged = outbox_.size();
  size_t own = held.size();
  for (const OutboxEntry* e : held.Since(0, SIZE_MAX)) outbox_.Append(e->action);
  std::swap(held, outbox_);
  std::string out;
  if (count() == 1) {
    out = engines_[0]->Save();  // as one engine saves: snapshots of one shard stay what they were
  } else {
    out = kShardsMagic;
    PutU64(out, count());
    PutU64(out, merged);
    for (const auto& e : engines_) {
      std::string bytes = e->Save();
      PutU64(out, bytes.size());
      out += bytes;
    }
  }
  std::swap(held, outbox_);
  outbox_.TakeNewest(own);
  return out;
}

Status Shards::Restore(std::string_view snapshot) {
  std::vector<std::string_view> parts;
  uint64_t merged = UINT64_MAX;  // one shard: every action its outbox holds was merged
  if (snapshot.substr(0, kShardsMagic.size()) == kShardsMagic) {
    std::string_view in = snapshot.substr(kShardsMagic.size());
    uint64_t n = 0;
    if (!GetU64(in, &n) || !GetU64(in, &merged)) return Status::Corruption("the snapshot is cut short");
    if (n != count())
      return Status::Conflict("the snapshot was written by " + std::to_string(n) + " shards, and this daemon runs " +
                              std::to_string(count()));
    for (uint64_t s = 0; s < n; ++s) {
      uint64_t size = 0;
      if (!GetU64(in, &size) || size > in.size()) return Status::Corruption("the snapshot is cut short");
      parts.push_back(in.substr(0, size));
      in.remove_prefix(size);
    }
    if (!in.empty()) return Status::Corruption("the snapshot has bytes after its last shard");
  } else if (count() != 1) {
    return Status::Conflict("the snapshot was written by one shard, and this daemon runs " + std::to_string(count()));
  } else {
    parts.push_back(snapshot);
  }
  for (uint32_t s = 0; s < count(); ++s)
    if (Status restored = engines_[s]->Restore(parts[s]); !restored.ok())
      return count() == 1 ? restored : restored.With("shard " + std::to_string(s));
  Outbox& held = engines_[0]->outbox();
  if (merged != UINT64_MAX && merged > held.size()) return Status::Corruption("the snapshot's outbox is cut short");
  outbox_ = std::move(held);
  held = Outbox();
  if (merged != UINT64_MAX) held.Restore(1, outbox_.TakeNewest(outbox_.size() - merged));
  return Status::Ok();
}

namespace {

/// What `take` hands out of every engine, shard after shard.
template <typename T>
std::vector<T> TakeFromEach(const std::vector<std::unique_ptr<Engine>>& engines, std::vector<T> (Engine::*take)()) {
  std::vector<T> all = ((*engines[0]).*take)();
  for (size_t s = 1; s < engines.size(); ++s) {
    std::vector<T> more = ((*engines[s]).*take)();
    std::move(more.begin(), more.end(), std::back_inserter(all));
  }
  return all;
}

}  // namespace

std::vector<Decision> Shards::TakeDecisions() { return TakeFromEach(engines_, &Engine::TakeDecisions); }

std::vector<EventNote> Shards::TakeEventNotes() { return TakeFromEach(engines_, &Engine::TakeEventNotes); }

size_t Shards::active_instances() const {
  size_t n = 0;
  for (const auto& e : engines_) n += e->active_instances();
  return n;
}

size_t Shards::pending_timers() const {
  size_t n = 0;
  for (const auto& e : engines_) n += e->pending_timers();
  return n;
}

std::vector<JourneyStats> Shards::stats() const {
  std::vector<JourneyStats> total = engines_[0]->stats();
  for (size_t s = 1; s < engines_.size(); ++s)
    for (size_t j = 0; j < total.size(); ++j) total[j] += engines_[s]->stats()[j];
  return total;
}

}  // namespace tutti::runtime
