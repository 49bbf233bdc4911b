// Implementations of stdlib/engagement.cc: scores and counts read from the
// customer's interaction history through the engine's HistoryView.
//
// engagement(customer, option): for each interaction in the last 90 days,
// the weight of its kind for the option (table below), scaled down linearly
// with age (full weight now, none at 90 days); summed, plus 0.2 when the
// option is the customer's `preferred_channel`, and clamped to [-1, 1]:
// below 0 when the channel has failed (a hard bounce scores -0.4), so that
// `choose best` prefers an untried channel (0) to a failing one.
// Positive: the customer engaged (opened, clicked, replied, was visited,
// asked for a visit). Negative: it did not work (bounces, unsubscribes) or
// was merely sent (an e-mail nobody opened costs a little; an open makes up
// for it).

#include <algorithm>
#include <cmath>

#include "stdlib/history_view.h"
#include "stdlib/impl.h"

namespace tutti::stdlib {

namespace {

using compiler::eval::Value;
using compiler::eval::ValueKind;
using Args = std::span<const Value>;

thread_local const HistoryView* current_view = nullptr;

constexpr int64_t kNanosPerDay = 86400LL * 1000000000LL;
constexpr int64_t kWindow = 90 * kNanosPerDay;

struct Weight {
  const char* option;
  const char* name;  // event type, or channel of an action
  bool action;
  double weight;
};

constexpr Weight kWeights[] = {
    {"email", "email_opened", false, 0.15},
    {"email", "email_clicked", false, 0.25},
    {"email", "email_replied", false, 0.3},
    {"email", "email_bounced", false, -0.4},
    {"email", "email_unsubscribed", false, -0.6},
    {"email", "email", true, -0.05},
    {"rep_visit", "visit_completed", false, 0.3},
    {"rep_visit", "visit_request", false, 0.4},
    {"remote_detail", "visit_completed", false, 0.1},
    {"remote_detail", "remote_detail", true, -0.05},
    {"sms", "sms", true, -0.05},
};

}  // namespace

std::vector<std::string> EngagementOptions() {
  std::vector<std::string> out;
  for (const Weight& w : kWeights)
    if (std::find(out.begin(), out.end(), w.option) == out.end()) out.push_back(w.option);
  return out;
}

namespace {

Value NoView(const char* fn) {
  return Value::Error(std::string(fn) + "() needs a customer's history; it is only available while a journey runs");
}

Value UnknownCustomer(const char* fn) {
  return Value::Error(std::string(fn) + "(): the customer is not known to the engine");
}

Value Engagement(Args a) {
  const HistoryView* view = current_view;
  if (view == nullptr) return NoView("engagement");
  const std::string& option = a[1].AsString();
  int64_t now = view->NowNanos();
  double score = 0;
  bool known = view->ForEachInteraction(a[0], [&](const InteractionView& i) {
    int64_t age = now - i.at_nanos;
    if (age < 0 || age >= kWindow) return;
    for (const Weight& w : kWeights) {
      if (option == w.option && i.action == w.action && i.name == w.name)
        score += w.weight * (1.0 - static_cast<double>(age) / static_cast<double>(kWindow));
    }
  });
  if (!known) return UnknownCustomer("engagement");
  const Value* pref = a[0].AsRecord().Find("preferred_channel");
  if (pref != nullptr && pref->is(ValueKind::kString) && pref->AsString() == option)
    score += 0.2;
  return Value(std::clamp(score, -1.0, 1.0));
}

Value Interactions(Args a) {
  const HistoryView* view = current_view;
  if (view == nullptr) return NoView("interactions");
  const std::string& kind = a[1].AsString();
  __int128 window = a[2].AsDuration().TotalNanos();
  int64_t now = view->NowNanos();
  int64_t count = 0;
  bool known = view->ForEachInteraction(a[0], [&](const InteractionView& i) {
    __int128 age = static_cast<__int128>(now) - i.at_nanos;
    if (i.name == kind && age >= 0 && age < window) ++count;
  });
  if (!known) return UnknownCustomer("interactions");
  return Value(count);
}

Value DaysSinceLastContact(Args a) {
  const HistoryView* view = current_view;
  if (view == nullptr) return NoView("days_since_last_contact");
  int64_t now = view->NowNanos();
  std::optional<int64_t> last;
  bool known = view->ForEachInteraction(a[0], [&](const InteractionView& i) {
    if (i.action && i.at_nanos <= now) last = i.at_nanos;
  });
  if (!known) return UnknownCustomer("days_since_last_contact");
  if (!last) return Value(int64_t{36500});
  return Value((now - *last) / kNanosPerDay);
}

}  // namespace

const HistoryView* CurrentHistoryView() { return current_view; }

ScopedHistoryView::ScopedHistoryView(const HistoryView* view) : previous_(current_view) {
  current_view = view;
}

ScopedHistoryView::~ScopedHistoryView() { current_view = previous_; }

void RegisterEngagementImplementations(FunctionTable& table) {
  table.Add("engagement(profile, string)", Engagement);
  table.Add("interactions(profile, string, duration)", Interactions);
  table.Add("days_since_last_contact(profile)", DaysSinceLastContact);
}

}  // namespace tutti::stdlib
