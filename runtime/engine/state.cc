#include "runtime/engine/state.h"

#include "base/check.h"


namespace tutti::runtime {

std::optional<uint32_t> InMemoryStore::FindCustomer(uint32_t profile, std::string_view key) const {
  const auto& m = by_key_[profile];
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

uint32_t InMemoryStore::GetOrAddCustomer(uint32_t profile, std::string_view key) {
  const auto& m = by_key_[profile];
  auto it = m.find(key);
  if (it != m.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(customers_.size());
  Customer& c = customers_.emplace_back();
  c.profile = profile;
  c.key = std::string(key);
  Index(profile, c.key, id);
  return id;
}

bool InMemoryStore::Index(uint32_t profile, const std::string& key, uint32_t id) {
  auto [it, added] = by_profile_[profile].emplace(key, id);
  if (added) by_key_[profile].emplace(it->first, id);
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
