#include "runtime/engine/state.h"

#include "base/check.h"


namespace tutti::runtime {

std::optional<uint32_t> InMemoryStore::FindCustomer(uint32_t profile, std::string_view key) const {
  return by_key_[profile].Find(key, [this](uint32_t id) -> const std::string& { return customers_[id].key; });
}

uint32_t InMemoryStore::GetOrAddCustomer(uint32_t profile, std::string_view key) {
  if (std::optional<uint32_t> id = FindCustomer(profile, key)) return *id;
  uint32_t id = static_cast<uint32_t>(customers_.size());
  Customer& c = customers_.emplace_back();
  c.profile = profile;
  c.key = std::string(key);
  Index(profile, c.key, id);
  return id;
}

bool InMemoryStore::Index(uint32_t profile, const std::string& key, uint32_t id) {
  const bool added = by_profile_[profile].emplace(key, id).second;
  if (added) by_key_[profile].Add(key, id);
  return added;
}

uint32_t InMemoryStore::NewInstance() {
  uint32_t handle;
  if (!free_.empty()) {
    handle = free_.back();
    free_.pop_back();
  } else {
    handle = static_cast<uint32_t>(instances_.size());
    instances_.emplace_back();
  }
  JourneyInstance& i = instances_[handle];
  uint32_t generation = i.generation + 1;
  i = JourneyInstance{};
  i.generation = generation;
  i.state = InstanceState::kRunning;
  return handle;
}

void InMemoryStore::FreeInstance(uint32_t handle) {
  JourneyInstance& i = instances_[handle];
  TUTTI_CHECK(i.state != InstanceState::kFree, "instance freed twice");
  i.state = InstanceState::kFree;
  ++i.generation;
  i.slots.clear();
  free_.push_back(handle);
}

}  // namespace tutti::runtime
