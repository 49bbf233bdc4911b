// Service, delivering the outbox: the file sink, webhook and SMTP attempts
// with retries, backoff, rate limits and dead letters, resuming them after
// a restart, and delivery outcomes fed back to the journeys as events.

#include <unistd.h>

#include <cmath>
#include <unordered_map>

#include "runtime/daemon/replies.h"
#include "runtime/engine/decision.h"

namespace tutti::runtime {

void Service::ResumeDeliveries(uint64_t through) {
  // Webhook deliveries dispatched before the stop: final ones keep their
  // state, the others are attempted again.
  Outbox& outbox = shards_->outbox();
  // By sequence number: after a restore the outbox may start past
  // resumed_through_ + 1 (what the snapshot's outbox had trimmed was final).
  uint64_t from = std::max(resumed_through_ + 1, outbox.first_seq());
  for (uint64_t seq = from; seq <= std::min(through, outbox.last_seq()); ++seq) {
    const OutboxEntry* e = outbox.Find(seq);
    const Decision& a = e->action;
    auto route = options_.routes.find(a.channel.empty() ? a.action : a.channel);
    auto final = finals_.find(e->seq);
    if (final != finals_.end()) outbox.Report(e->seq, final->second == 'd' ? DeliveryState::kDelivered : DeliveryState::kDeadLetter);
    else if (route != options_.routes.end()) attempts_[e->seq].channel = route->first;
    else outbox.Report(e->seq, DeliveryState::kDelivered);
    resumed_through_ = e->seq;
  }
  TrimOutbox();
}

void Service::TrimOutbox() {
  Outbox& outbox = shards_->outbox();
  if (outbox.last_seq() > options_.actions_retained) outbox.Trim(outbox.last_seq() - options_.actions_retained);
}

void Service::Deliver() {
  // No Flush here: the sends of the current instant are settled when time
  // moves on, all together, exactly as in a dry run.
  for (const Decision& d : shards_->TakeDecisions()) {
    std::string kind = DecisionKindName(d.kind);
    if (d.kind == DecisionKind::kSuppressed) counters_["tutti_suppressed_total{policy=\"" + d.policy + "\",rule=\"" + d.rule + "\"}"] += 1;
    else if (d.kind != DecisionKind::kAction) counters_["tutti_decisions_total{decision=\"" + kind + "\"}"] += 1;
  }
  // Actions the log says were dispatched before the last stop, made again
  // by the replay only now (settled late): as at the start.
  if (resumed_through_ < log_->delivered()) ResumeDeliveries(log_->delivered());
  Outbox& outbox = shards_->outbox();
  // Past what this process dispatched, even if recording it failed.
  auto pending = outbox.Since(std::max(dispatched_, log_->delivered()), SIZE_MAX);
  if (pending.empty()) return;
  std::string out;
  for (const OutboxEntry* e : pending) {
    const Decision& a = e->action;
    if (!options_.routes.count(a.channel.empty() ? a.action : a.channel)) out += ToJson(a) + "\n";
  }
  bool ok = out.empty() || (std::fwrite(out.data(), 1, out.size(), actions_) == out.size() &&
                            std::fflush(actions_) == 0 && ::fsync(::fileno(actions_)) == 0);
  if (!ok) {
    counters_["tutti_delivery_failures_total"] += 1;
    return;  // retried on the next tick: delivery is at least once
  }
  for (const OutboxEntry* e : pending) {
    const Decision& a = e->action;
    std::string channel = a.channel.empty() ? a.action : a.channel;
    if (options_.routes.count(channel)) {
      attempts_[e->seq].channel = channel;  // attempted by the server
      continue;
    }
    outbox.Report(e->seq, DeliveryState::kDelivered);
    counters_["tutti_actions_total{channel=\"" + channel + "\",outcome=\"delivered\"}"] += 1;
  }
  dispatched_ = pending.back()->seq;
  if (Stored("delivered", [&] { return log_->SetDelivered(pending.back()->seq); }))
    counters_["tutti_input_log_failures_total"] += 1;
  TrimOutbox();
}

std::optional<std::string> Service::OutcomeEvent(const Decision& a, const char* type, const std::string& reason,
                                                 std::string* why_not) const {
  // Only where the program declares the outcome event and the action's
  // recipient is of the profile it is keyed by.
  const Schema* schema = set().schemas().FindEvent(type);
  if (schema == nullptr) {
    *why_not = std::string("the journeys declare no event '") + type + "'";
    return std::nullopt;
  }
  auto channel = set().ir().channels.find(a.channel);
  if (channel == set().ir().channels.end() || channel->second.recipient != schema->key_profile) {
    *why_not = std::string("'") + type + "' is about a " + schema->key_profile + ", and this action was not sent to one";
    return std::nullopt;
  }
  Json event{{"type", type}, {schema->fields[schema->key_slot].name, a.recipient}, {"on_channel", a.channel},
             {"template", a.content}, {"idempotency_key", a.idempotency_key}, {"from_journey", a.journey}};
  if (schema->Slot("reason")) event["reason"] = reason;
  event["at"] = FormatInstant(std::max(logged_now_, options_.virtual_clock ? logged_now_ : clock_.Now()));
  return event.dump();
}

void Service::ReportOutcome(uint64_t seq, bool ok, const std::string& detail) {
  const OutboxEntry* entry = shards_->outbox().Find(seq);
  if (entry == nullptr) return;
  std::string why_not;
  auto event = OutcomeEvent(entry->action, ok ? "action_delivered" : "action_failed", detail, &why_not);
  if (!event) return;
  // The outcome is an input like any other: logged, then applied, so that a
  // replay sees it at the same moment.
  if (Ingest(*event, Accept::kEvents).status != 200) counters_["tutti_outcome_events_refused_total"] += 1;
}

Reply Service::PostOutcomes(std::string_view body) {
  // Each line names an action by its idempotency key and says what became
  // of it; each becomes the matching outcome event, ingested together.
  struct Line {
    size_t number;
    std::string error;  // empty: an event was made
  };
  std::vector<Line> lines;
  std::string events;
  std::unordered_map<std::string_view, const OutboxEntry*> by_key;
  ForEachLine(body, [&](size_t number, std::string_view text) {
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
    std::string at = "line " + std::to_string(number) + ": ";
    Json j = Json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("idempotency_key") || !j["idempotency_key"].is_string() ||
        !j.contains("outcome") || !j["outcome"].is_string() || (j.contains("reason") && !j["reason"].is_string())) {
      lines.push_back({number, at + "expected {\"idempotency_key\": KEY, \"outcome\": \"bounced\", \"reason\": TEXT}"});
      return;
    }
    std::string outcome = j["outcome"], key = j["idempotency_key"];
    const char* type = outcome == "bounced" ? "action_bounced" : outcome == "delivered" ? "action_delivered"
                       : outcome == "failed"    ? "action_failed"
                                                : nullptr;
    if (type == nullptr) {
      lines.push_back({number, at + "'outcome' must be \"bounced\", \"delivered\" or \"failed\", not \"" + outcome + "\""});
      return;
    }
    // The actions held, by key: made once per request, when first needed.
    if (by_key.empty())
      for (const OutboxEntry* e : shards_->outbox().Since(0, SIZE_MAX)) by_key.emplace(e->action.idempotency_key, e);
    auto it = by_key.find(key);
    const OutboxEntry* found = it == by_key.end() ? nullptr : it->second;
    if (found == nullptr) {
      lines.push_back({number, at + "no action with idempotency key '" + key + "' is held (unknown, or delivered more "
                                    "than actions_retained actions ago)"});
      return;
    }
    std::string why_not;
    auto event = OutcomeEvent(found->action, type, j.value("reason", ""), &why_not);
    if (!event) {
      lines.push_back({number, at + why_not});
      return;
    }
    lines.push_back({number, ""});
    events += *event + "\n";
  });
  IngestResult ingested;
  if (!events.empty()) ingested = Ingest(events, Accept::kEvents);
  Json results = Json::array();
  size_t accepted = 0, refused = 0, k = 0;
  for (const Line& l : lines) {
    std::string error = l.error;
    if (error.empty()) {
      // The k-th event made: what the ingest said of it.
      if (!ingested.error.empty()) error = ingested.error;
      else if (k < ingested.lines.size()) error = ingested.lines[k].second;
      ++k;
    }
    if (error.empty()) {
      ++accepted;
      results.push_back({{"line", l.number}, {"status", "accepted"}});
    } else {
      ++refused;
      results.push_back({{"line", l.number}, {"status", "refused"}, {"error", error}});
    }
  }
  counters_["tutti_outcomes_in_total"] += static_cast<double>(accepted);
  counters_["tutti_outcomes_refused_total"] += static_cast<double>(refused);
  int status = ingested.status == 503 ? 503 : accepted > 0 ? 200 : 400;
  Json reply{{"accepted", accepted}, {"refused", refused}, {"results", results}};
  if (lines.empty()) reply["error"] = "no outcomes in the body";
  return JsonReply(status, reply);
}

std::string Service::EmailAddressOf(const Decision& action) const {
  const auto& channels = set().ir().channels;
  auto channel = channels.find(action.channel);
  if (channel == channels.end()) return "";
  std::vector<std::string> profiles = set().schemas().ProfileNames();
  auto p = std::find(profiles.begin(), profiles.end(), channel->second.recipient);
  if (p == profiles.end()) return "";
  // Every shard holds every profile.
  const StateStore& store = shards_->shard(0).store();
  auto c = store.FindCustomer(static_cast<uint32_t>(p - profiles.begin()), action.recipient);
  if (!c) return "";
  const compiler::eval::Value& record = store.customer(*c).record;
  const compiler::eval::Value* email =
      record.is(compiler::eval::ValueKind::kRecord) ? record.AsRecord().Find("email") : nullptr;
  if (email == nullptr || !email->is(compiler::eval::ValueKind::kString)) return "";
  const std::string& address = email->AsString();
  // One address, nothing that could break out of the SMTP command.
  if (address.find_first_of("<>\r\n ") != std::string::npos || address.find('@') == std::string::npos) return "";
  return address;
}

std::vector<DeliveryJob> Service::TakeDeliveryJobs() {
  std::vector<DeliveryJob> jobs;
  std::vector<uint64_t> failed_now;
  auto now = std::chrono::steady_clock::now();
  for (auto& [seq, w] : attempts_) {
    if (w.in_flight || w.next > now) continue;
    const DeliveryRoute& route = options_.routes.at(w.channel);
    int& flying = in_flight_[w.channel];
    if (flying >= route.concurrency) continue;
    if (route.rate_per_second > 0) {
      // Attempts spaced evenly: at most rate_per_second started a second.
      auto& next_start = next_start_[w.channel];
      if (next_start > now) continue;
      next_start = std::max(next_start, now) + std::chrono::microseconds(1000000 / route.rate_per_second);
    }
    const OutboxEntry* entry = shards_->outbox().Find(seq);
    if (entry == nullptr) continue;
    const Decision& action = entry->action;
    DeliveryJob job{seq, &route, ToJson(action), action.idempotency_key, "", action.content};
    if (route.kind == DeliveryRoute::Kind::kSmtp) {
      job.to = EmailAddressOf(action);
      if (job.to.empty()) {
        // Nothing to retry: the recipient has no address.
        w.attempts = route.max_attempts;
        ++flying;
        w.in_flight = true;
        failed_now.push_back(seq);
        continue;
      }
    }
    ++flying;
    w.in_flight = true;
    ++w.attempts;
    jobs.push_back(std::move(job));
  }
  for (uint64_t seq : failed_now) ReportDelivery(seq, false, "the recipient has no usable e-mail address");
  return jobs;
}

void Service::ReportDelivery(uint64_t seq, bool ok, const std::string& detail) {
  auto it = attempts_.find(seq);
  if (it == attempts_.end()) return;
  Attempts& w = it->second;
  const DeliveryRoute& route = options_.routes.at(w.channel);
  w.in_flight = false;
  --in_flight_[w.channel];
  Outbox& outbox = shards_->outbox();
  std::string series = "tutti_actions_total{channel=\"" + w.channel + "\",outcome=\"";
  if (ok || w.attempts >= route.max_attempts) {
    char state = ok ? 'd' : 'x';
    if (Stored("final", [&] { return log_->SetFinal(seq, state); })) counters_["tutti_input_log_failures_total"] += 1;
    outbox.Report(seq, ok ? DeliveryState::kDelivered : DeliveryState::kDeadLetter);
    counters_[series + (ok ? "delivered" : "dead_letter") + "\"}"] += 1;
    if (!ok)
      std::fprintf(stderr, "tutti serve: action %llu on %s dead-lettered after %d attempts: %s\n",
                   static_cast<unsigned long long>(seq), w.channel.c_str(), w.attempts, detail.c_str());
    attempts_.erase(it);
    ReportOutcome(seq, ok, detail);
    return;
  }
  // Exponential backoff with jitter: base * 2^(n-1), times 0.5 to 1.5.
  outbox.Report(seq, DeliveryState::kFailed);
  counters_[series + "retried\"}"] += 1;
  double jitter = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter_);
  double delay = route.backoff_ms * std::pow(2.0, w.attempts - 1) * jitter;
  w.next = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(delay));
}

bool DeliveryRoute::SetRelay(const std::string& relay) {
  kind = Kind::kSmtp;
  size_t colon = relay.rfind(':');
  if (colon == std::string::npos) return false;
  host = relay.substr(0, colon);
  port = relay.substr(colon + 1);
  return !host.empty() && !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
}

bool DeliveryRoute::SetUrl(const std::string& url) {
  constexpr std::string_view kHttp = "http://", kHttps = "https://";
  tls = url.compare(0, kHttps.size(), kHttps) == 0;
  if (!tls && url.compare(0, kHttp.size(), kHttp) != 0) return false;
  std::string rest = url.substr(tls ? kHttps.size() : kHttp.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  target = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  host = authority.substr(0, colon);
  port = colon == std::string::npos ? (tls ? "443" : "80") : authority.substr(colon + 1);
  return !host.empty() && !port.empty() && port.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace tutti::runtime
