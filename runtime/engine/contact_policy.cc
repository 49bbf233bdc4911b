#include "runtime/engine/contact_policy.h"

#include "runtime/engine/local_time.h"

namespace tutti::runtime {

using compiler::eval::Value;
using compiler::eval::ValueKind;
using compiler::ir::ChannelKind;
using compiler::ir::PolicyRule;
using PolicyClauseKind = compiler::ast::PolicyClauseKind;

namespace {

/// The instant `window_millis` before `at`; the earliest instant there is
/// when that would be earlier (an engine whose time has not started).
Instant Before(Instant at, int64_t window_millis) {
  Instant window = 0, since = 0;
  if (__builtin_mul_overflow(window_millis, kNanosPerMilli, &window) || __builtin_sub_overflow(at, window, &since))
    return INT64_MIN;
  return since;
}

}  // namespace

ContactPolicy::ContactPolicy(const compiler::ir::Program& program,
                             const std::vector<const compiler::ir::Journey*>& journeys, Names& names)
    : program_(program), journeys_(journeys), names_(names) {
  for (const PolicyRule& r : program.rules) {
    if (r.kind == PolicyClauseKind::kRequireConsent) require_consent_ = true;
    std::vector<uint32_t>& ids = rule_channels_.emplace_back();
    for (const std::string& c : r.channels) ids.push_back(names_.Intern(c));
  }
  for (const auto& [name, ch] : program.channels) {
    uint32_t id = names_.Intern(name);
    if (kinds_.size() <= id) kinds_.resize(id + 1);
    kinds_[id] = ch.kind;
  }
  task_ = names_.Intern("task");
}

bool ContactPolicy::IsMessage(uint32_t channel) const {
  return channel < kinds_.size() && kinds_[channel] == ChannelKind::kMessage;
}

bool ContactPolicy::IsTask(uint32_t channel) const {
  return channel == task_ || (channel < kinds_.size() && kinds_[channel] == ChannelKind::kTask);
}

bool ContactPolicy::Covers(const PolicyRule& rule, uint32_t channel) const {
  if (rule.any_channel && IsMessage(channel)) return true;
  const std::vector<uint32_t>& listed = rule_channels_[static_cast<size_t>(&rule - program_.rules.data())];
  auto lists = [&](uint32_t id) { return std::find(listed.begin(), listed.end(), id) != listed.end(); };
  return lists(channel) || (lists(task_) && IsTask(channel));
}

bool ContactPolicy::Governs(uint32_t channel) const {
  for (const PolicyRule& r : program_.rules)
    if ((r.kind == PolicyClauseKind::kCap || r.kind == PolicyClauseKind::kDedupe ||
         r.kind == PolicyClauseKind::kArbitrate) && Covers(r, channel))
      return true;
  return false;
}

const PolicyRule* ContactPolicy::ApprovalRule(const std::string& channel) const {
  auto ch = program_.channels.find(channel);
  bool message = ch != program_.channels.end() && ch->second.kind == ChannelKind::kMessage;
  for (const PolicyRule& r : program_.rules)
    if (r.kind == PolicyClauseKind::kRequireApproval && ((r.any_channel && message) || r.Lists(channel))) return &r;
  return nullptr;
}

Result<std::optional<Hold>> ContactPolicy::QuietHours(const std::string& channel, std::string_view zone,
                                                      Instant t) const {
  auto ch = program_.channels.find(channel);
  if (ch == program_.channels.end() || ch->second.kind != ChannelKind::kMessage) return std::optional<Hold>();
  for (const PolicyRule& r : program_.rules) {
    if (r.kind != PolicyClauseKind::kQuietHours || !r.Covers(channel)) continue;
    std::string_view z = r.local ? zone : std::string_view();
    TUTTI_ASSIGN_OR_RETURN(int minute, LocalMinuteOfDay(t, z));
    if (!InDailyRange(minute, r.from_minute, r.until_minute)) continue;
    TUTTI_ASSIGN_OR_RETURN(Instant until, NextLocalTime(t, z, r.until_minute));
    return std::optional<Hold>(Hold{&r, until});
  }
  return std::optional<Hold>();
}

Verdict ContactPolicy::Judge(const SendRequest& send, const Customer& recipient, std::vector<PolicyCheck>* passed) const {
  auto pass = [&](const PolicyRule& r, int64_t used = 0) {
    if (passed) passed->push_back({&r, used});
  };
  const std::string& channel = names_.Get(send.channel);
  auto ch = program_.channels.find(channel);
  // Consent.
  if (require_consent_ && ch != program_.channels.end() && !ch->second.consent.empty()) {
    const std::string& topic = ch->second.consent;
    bool given = false;
    if (recipient.record.is(ValueKind::kRecord)) {
      const Value* consent = recipient.record.AsRecord().Find("consent");
      if (consent != nullptr && consent->is(ValueKind::kList))
        for (const Value& v : consent->AsList()) given |= v.is(ValueKind::kString) && v.AsString() == topic;
    }
    for (const PolicyRule& r : program_.rules) {
      if (r.kind != PolicyClauseKind::kRequireConsent) continue;
      if (!given) return {&r, recipient.key + " has not consented to '" + topic + "'"};
      pass(r);
    }
  }
  const auto& history = recipient.history;
  // Dedupe: the same content on a covered channel within the window.
  for (const PolicyRule& r : program_.rules) {
    if (r.kind != PolicyClauseKind::kDedupe || !Covers(r, send.channel)) continue;
    Instant since = Before(send.at, r.window_millis);
    for (auto it = history.rbegin(); it != history.rend() && it->at > since; ++it) {
      if (it->action && it->content == send.content && Covers(r, it->name))
        return {&r, "'" + std::string(send.content_text) + "' already reached " + recipient.key + " on " +
                        FormatInstant(it->at)};
    }
    pass(r);
  }
  // Arbitration: a journey of higher priority reached the recipient.
  for (const PolicyRule& r : program_.rules) {
    if (r.kind != PolicyClauseKind::kArbitrate || !Covers(r, send.channel)) continue;
    // Within the window, or at the same instant when none is given.
    Instant since = r.window_millis ? Before(send.at, r.window_millis) : send.at - (send.at > INT64_MIN);
    for (auto it = history.rbegin(); it != history.rend() && it->at > since; ++it) {
      if (!it->action || it->journey == 0 || !Covers(r, it->name)) continue;
      const auto& other = *journeys_[it->journey - 1];
      // (Another version of the same journey is the same journey.)
      if (other.priority > send.priority && other.name != journeys_[send.journey]->name)
        return {&r, other.name + " (priority " + std::to_string(other.priority) + ") reached " + recipient.key +
                        " on " + FormatInstant(it->at) + "; this journey has priority " +
                        std::to_string(send.priority)};
    }
    pass(r);
  }
  // Caps.
  for (const PolicyRule& r : program_.rules) {
    if (r.kind != PolicyClauseKind::kCap || !Covers(r, send.channel)) continue;
    int64_t count = 0;
    Instant since = Before(send.at, r.window_millis);
    for (auto it = history.rbegin(); it != history.rend() && it->at > since; ++it)
      if (it->action && Covers(r, it->name)) ++count;
    if (count >= r.count)
      return {&r, recipient.key + " was already contacted " + std::to_string(count) + " time" +
                      (count == 1 ? "" : "s") + " on these channels in the window"};
    pass(r, count);
  }
  return {};
}

}  // namespace tutti::runtime
