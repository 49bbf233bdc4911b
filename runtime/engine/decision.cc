#include "runtime/engine/decision.h"

#include <nlohmann/json.hpp>

namespace tutti::runtime {
using compiler::eval::Value;
using compiler::eval::ValueKind;
using Json = nlohmann::ordered_json;

Json ToJsonValue(const Value& v) {
  switch (v.kind()) {
    case ValueKind::kNull: return nullptr;
    case ValueKind::kBool: return v.AsBool();
    case ValueKind::kInt: return v.AsInt();
    case ValueKind::kUint: return v.AsUint();
    case ValueKind::kDouble: return v.AsDouble();
    case ValueKind::kString: return v.AsString();
    case ValueKind::kTimestamp: return compiler::eval::FormatTimestamp(v.AsTimestamp());
    case ValueKind::kDuration: return compiler::eval::FormatDuration(v.AsDuration());
    case ValueKind::kList: {
      Json out = Json::array();
      for (const Value& e : v.AsList()) out.push_back(ToJsonValue(e));
      return out;
    }
    case ValueKind::kMap: {
      Json out = Json::object();
      for (const auto& [k, e] : v.AsMap().entries())
        out[k.is(ValueKind::kString) ? k.AsString() : compiler::eval::DebugString(k)] = ToJsonValue(e);
      return out;
    }
    case ValueKind::kRecord: {
      Json out = Json::object();
      const auto& r = v.AsRecord();
      for (size_t i = 0; i < r.values.size(); ++i)
        if (!r.values[i].is(ValueKind::kNull)) out[r.shape->fields[i]] = ToJsonValue(r.values[i]);
      return out;
    }
    default: return compiler::eval::DebugString(v);
  }
}

const char* DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kAction: return "action";
    case DecisionKind::kSuppressed: return "suppressed";
    case DecisionKind::kDeferred: return "deferred";
    case DecisionKind::kUnassigned: return "unassigned";
    case DecisionKind::kError: return "error";
  }
  return "?";
}

std::string CheckText(const PolicyCheck& check) {
  const compiler::ir::PolicyRule& r = *check.rule;
  std::string found;
  switch (r.kind) {
    case compiler::ast::PolicyClauseKind::kCap:
      found = std::to_string(check.used) + " of " + std::to_string(r.count) + " used before this one";
      break;
    case compiler::ast::PolicyClauseKind::kRequireConsent: found = "consent given"; break;
    case compiler::ast::PolicyClauseKind::kDedupe: found = "not sent before in the window"; break;
    case compiler::ast::PolicyClauseKind::kArbitrate: found = "no journey of higher priority reached them"; break;
    default: found = "passed"; break;
  }
  return r.text + " (" + r.at + "): " + found;
}

std::string ToJson(const Decision& d) {
  Json j;
  j["at"] = FormatInstant(d.at);
  j["decision"] = DecisionKindName(d.kind);
  j["journey"] = d.journey;
  j["version"] = d.version;
  if (!d.version_id.empty()) j["version_id"] = d.version_id;
  j["customer"] = d.customer;
  j["step"] = d.step;
  if (!d.cause.empty()) j["cause"] = d.cause;
  if (d.input) j["input"] = *d.input;
  if (d.entered_by) j["entered_by"] = *d.entered_by;
  if (d.action == "send") {
    j["channel"] = d.channel;
    if (!d.content.empty()) j["template"] = d.content;
    if (!d.recipient.empty()) j["to"] = d.recipient;
    if (!d.vars.empty()) {
      Json vars = Json::object();
      for (const auto& [k, v] : d.vars) vars[k] = ToJsonValue(v);
      j["vars"] = std::move(vars);
    }
    if (!d.approval.empty()) j["approval"] = d.approval;
    if (d.message) {
      Json m = Json::object();
      if (!d.message->locale.empty()) m["locale"] = d.message->locale;
      if (!d.message->subject.empty()) m["subject"] = d.message->subject;
      m["text"] = d.message->text;
      if (!d.message->html.empty()) m["html"] = d.message->html;
      j["message"] = std::move(m);
    }
  } else if (!d.action.empty()) {
    j["kind"] = d.action;
    if (!d.channel.empty()) j["channel"] = d.channel;  // a task `via` a channel
    if (!d.content.empty()) j["text"] = d.content;
    if (!d.recipient.empty()) j["assignee"] = d.recipient;
  }
  if (d.due) j["due"] = FormatInstant(*d.due);
  if (d.until) j["until"] = FormatInstant(*d.until);
  if (!d.policy.empty()) j["policy"] = d.policy;
  if (!d.rule.empty()) j["rule"] = d.rule;
  if (!d.rule_at.empty()) j["rule_at"] = d.rule_at;
  if (!d.reason.empty()) j["reason"] = d.reason;
  if (!d.idempotency_key.empty()) j["idempotency_key"] = d.idempotency_key;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace tutti::runtime
