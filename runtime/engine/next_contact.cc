// Engine::NextContacts: when the contact policy would next let a new
// message reach a customer, per channel: the rep's "can we reach Dr.
// Castillo this week, and how?".
//
// The policy's own verdicts decide, so the answer cannot drift from what a
// send would meet: from now on, Judge (consent, caps) at the candidate
// instant; when a rule with a window holds the send, the next candidate is
// the first instant an action of the customer's history leaves that
// window; when quiet hours hold it, the instant they end.

#include <algorithm>

#include "runtime/engine/contact_policy.h"
#include "runtime/engine/engine.h"
#include "runtime/engine/local_time.h"

namespace tutti::runtime {

namespace {

/// A template fingerprint no template has: dedupe never matches it.
constexpr uint32_t kNewContent = UINT32_MAX;

/// Steps tried per channel; each is a window leaving or quiet hours ending.
constexpr int kMaxSteps = 200;

}  // namespace

std::vector<Engine::NextContact> Engine::NextContacts(uint32_t id) const {
  const Customer& customer = store_->customer(id);
  std::vector<NextContact> out;
  if (journeys_.empty()) return out;
  const std::string& profile = profile_names_[customer.profile];
  std::string_view zone = TimeZoneOf(customer.record);
  // Before any input the engine has no time to count from.
  bool started = now_ != INT64_MIN;
  // The highest priority: arbitration holds nothing back.
  uint32_t journey = 0;
  for (const auto& [name, channel] : program_->channels) {
    if (channel.recipient != profile) continue;
    std::optional<uint32_t> interned = names_.Find(name);
    if (!interned) continue;  // ContactPolicy interns every channel
    NextContact next{name, std::nullopt, nullptr, ""};
    if (!started) {
      next.reason = "no input has set the engine's time yet";
      out.push_back(std::move(next));
      continue;
    }
    Instant t = now_;
    for (int step = 0; step < kMaxSteps; ++step) {
      SendRequest send{t, journey, INT64_MAX, *interned, kNewContent, id, "a new message"};
      Verdict v = policy_->Judge(send, customer);
      if (v.rule != nullptr) {
        next.rule = v.rule;
        next.reason = v.reason;
        if (v.rule->window_millis == 0) break;  // consent: not until the profile changes
        // The first instant after t when an action leaves this rule's window.
        Instant window = 0, leaves = INT64_MAX, end = 0;
        if (__builtin_mul_overflow(v.rule->window_millis, kNanosPerMilli, &window)) break;
        for (const Interaction& h : customer.history)
          if (h.action && !__builtin_add_overflow(h.at, window, &end) && end > t) leaves = std::min(leaves, end);
        if (leaves == INT64_MAX) break;
        t = leaves;
        continue;
      }
      auto hold = policy_->QuietHours(name, zone, t);
      if (!hold.ok()) {
        next.reason = hold.status().message();
        break;
      }
      if (const std::optional<Hold>& h = *hold) {
        next.rule = h->rule;
        next.reason = "quiet hours";
        t = h->until;
        continue;
      }
      next.at = t;
      break;
    }
    out.push_back(std::move(next));
  }
  return out;
}

}  // namespace tutti::runtime
