// The versions of the journeys a node knows (node.h): read from the
// control topic, published by a reload on this node, and looked up by the
// partitions when they meet a version record.

#include <algorithm>

#include "runtime/cluster/node.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/engine/partition.h"

namespace tutti::runtime::cluster {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

std::string Node::latest_version() const {
  std::lock_guard lock(versions_mu_);
  return latest_;
}

std::string Node::first_version() const {
  std::lock_guard lock(versions_mu_);
  return first_;
}

void Node::Known(const JourneySet* set, std::unique_ptr<JourneySet> owned) {
  if (owned) {
    set = owned.get();
    owned_.push_back(std::move(owned));
  }
  versions_[set->Fingerprint()] = set;
  {
    std::lock_guard lock(journeys_mu_);
    latest_journeys_.clear();
    for (const auto& j : set->ir().journeys) {
      journeys_.try_emplace({j.name, VersionId(j)}, &j);
      latest_journeys_.push_back(&j);
    }
  }
  if (first_.empty()) first_ = set->Fingerprint();
  latest_ = set->Fingerprint();
  // An event some version fans out or routes is copied to every
  // partition: one running an older version may still meet it there.
  std::vector<const compiler::ir::Journey*> journeys;
  for (const auto& [f, v] : versions_)
    for (const auto& j : v->ir().journeys) journeys.push_back(&j);
  copied_.clear();
  for (const auto& [f, v] : versions_)
    for (const std::string& type : v->schemas().EventNames())
      if (ReachesOthers(journeys, type) && std::find(copied_.begin(), copied_.end(), type) == copied_.end())
        copied_.push_back(type);
}

void Node::ReadControl(const std::string& want, std::optional<int64_t> known_end) {
  auto deadline = SteadyClock::now() + settings_.timeout;
  Result<int64_t> end = known_end ? Result<int64_t>(*known_end) : control_->End(settings_.timeout);
  while (SteadyClock::now() < deadline) {
    if (!want.empty() && versions_.count(want)) return;
    if (want.empty() && (!end.ok() || *end == 0 || control_->Position() >= *end)) return;
    auto records = control_->Next(100, 200ms);
    if (!records.ok()) {
      Trouble(records.status());
      return;
    }
    for (const Record& r : *records) {
      if (auto member = ReadMember(r.value)) {
        // The newest announcement naming a partition says who has it.
        std::lock_guard lock(members_mu_);
        for (auto* held : {&owners_, &deliverers_})
          for (auto it = held->begin(); it != held->end();)
            it = it->second.node == member->node ? held->erase(it) : std::next(it);
        for (int32_t p : member->partitions) owners_[p] = *member;
        for (int32_t p : member->deliveries) deliverers_[p] = *member;
        continue;
      }
      auto version = ReadVersion(r.value);
      if (!version) continue;
      if (auto known = versions_.find(version->fingerprint); known != versions_.end()) {
        Known(known->second, nullptr);
        continue;
      }
      auto built = build_ ? build_(version->files) : Result<std::unique_ptr<JourneySet>>(Status::Invalid("no builder"));
      if (!built.ok()) {
        Trouble(built.status().With("a version of the journeys in " + settings_.topics.control + " does not build here"));
        continue;
      }
      Known(nullptr, std::move(*built));
    }
  }
}

const compiler::ir::Journey* Node::FindJourney(const std::string& name, const std::string& version_id) const {
  // Not under versions_mu_, which a read of the control topic holds for
  // as long as Kafka takes: the API's loop thread asks.
  std::lock_guard lock(journeys_mu_);
  auto it = journeys_.find({name, version_id});
  return it == journeys_.end() ? nullptr : it->second;
}

std::vector<const compiler::ir::Journey*> Node::LatestJourneys() const {
  std::lock_guard lock(journeys_mu_);
  return latest_journeys_;
}

const JourneySet& Node::First() {
  std::lock_guard lock(versions_mu_);
  return *versions_.at(first_);
}

const JourneySet* Node::Find(const std::string& fingerprint) {
  std::lock_guard lock(versions_mu_);
  auto it = versions_.find(fingerprint);
  if (it == versions_.end()) {
    ReadControl(fingerprint);
    it = versions_.find(fingerprint);
  }
  return it == versions_.end() ? nullptr : it->second;
}

Status Node::Publish(std::unique_ptr<JourneySet> set, std::vector<std::string>* version_not_raised,
                     const std::function<void(JourneySet&)>& published) {
  std::lock_guard lock(versions_mu_);
  ReadControl("");
  const JourneySet& latest = *versions_.at(latest_);
  if (set->Fingerprint() == latest_) return Status::Ok();
  if (auto why = latest.schemas().GrowthRefusal(set->schemas()))
    return Status::Conflict("the new version's records cannot grow from the running one's: " + *why);
  std::vector<const compiler::ir::Journey*> running;
  for (const auto& [f, v] : versions_)
    for (const auto& j : v->ir().journeys) running.push_back(&j);
  if (auto why = WhyOneShard(set->ir(), running))
    return Status::Invalid("the new version cannot run on a cluster, whose partitions split the customers: " + *why);
  if (version_not_raised != nullptr) *version_not_raised = compiler::ir::VersionNotRaised(latest.ir(), set->ir());
  Version version{set->Fingerprint(), set->Sources()};
  {
    std::lock_guard ingest(ingest_mu_);
    TUTTI_TRY(ingest_->Begin());
    Status added = ingest_->Add(settings_.topics.control, {"", VersionValue(version), 0});
    for (int32_t p = 0; added.ok() && p < partitions_; ++p)
      added = ingest_->Add(settings_.topics.inputs, {"", VersionMarkerValue(version.fingerprint), p});
    if (!added.ok()) {
      (void)ingest_->Abort(settings_.timeout);
      return added;
    }
    TUTTI_TRY(ingest_->Commit(settings_.timeout));
  }
  if (published) published(*set);
  Known(nullptr, std::move(set));
  return Status::Ok();
}

}  // namespace tutti::runtime::cluster
