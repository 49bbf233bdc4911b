// Service, delivering the outbox: the file sink, and attempts through a
// channel's adapter (webhook, SMTP) with retries, backoff, rate limits and
// dead letters, started as soon as they are due; resuming them after a
// restart with their retry budgets; delivery outcomes fed back to the
// journeys as events, written together with the final states.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "base/text.h"
#include "runtime/daemon/channels/adapter.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/email_address.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

void Service::ResumeDeliveries(uint64_t through) {
  // Routed deliveries dispatched before the stop: final ones keep their
  // state, the others are attempted again.
  Outbox& outbox = DeliveryOutbox();
  // By sequence number: after a restore the outbox may start past
  // resumed_through_ + 1 (what the snapshot's outbox had trimmed was final).
  uint64_t from = std::max(resumed_through_ + 1, outbox.first_seq());
  for (uint64_t seq = from; seq <= std::min(through, outbox.last_seq()); ++seq) {
    const OutboxEntry* e = outbox.Find(seq);
    const std::string& channel = ChannelOf(e->action);
    auto final = finals_.find(e->seq);
    bool retried = final != finals_.end() && final->second == 'r';
    if (final != finals_.end() && !retried) {
      outbox.Report(e->seq, final->second == 'd' ? DeliveryState::kDelivered : DeliveryState::kDeadLetter);
    } else if (options_.routes.count(channel)) {
      // A dead letter retried is pending again, whatever a snapshot says.
      if (retried) outbox.Report(e->seq, DeliveryState::kPending);
      Route(e->seq, channel);
    } else {
      outbox.Report(e->seq, DeliveryState::kDelivered);
    }
    resumed_through_ = e->seq;
  }
  TrimOutbox();
}

void Service::TrimOutbox() {
  Outbox& outbox = DeliveryOutbox();
  if (outbox.last_seq() > options_.actions_retained) outbox.Trim(outbox.last_seq() - options_.actions_retained);
  cluster_dead_letters_.erase(cluster_dead_letters_.begin(), cluster_dead_letters_.lower_bound(outbox.first_seq()));
  cluster_whys_.erase(cluster_whys_.begin(), cluster_whys_.lower_bound(outbox.first_seq()));
}

void Service::Route(uint64_t seq, const std::string& channel) {
  if (attempts_.count(seq)) return;  // already on its way
  // Final already (delivered or dead-lettered by this process): never
  // attempted again.
  if (const OutboxEntry* e = DeliveryOutbox().Find(seq);
      e != nullptr && Final(e->state))
    return;
  Attempts& a = attempts_[seq];
  a.channel = channel;
  // Attempts made before a restart count against the budget.
  if (auto logged = logged_attempts_.find(seq); logged != logged_attempts_.end()) a.attempts = logged->second;
  const DeliveryRoute& route = options_.routes.at(channel);
  // The budget spent, and the last attempt's outcome lost in the stop:
  // dead-lettered (by TakeDeliveryJobs, once serving) rather than tried
  // beyond the budget.
  if (a.attempts >= static_cast<uint32_t>(route.max_attempts)) spent_.push_back(seq);
  else channels_[channel].ready.push_back(seq);
  if (on_deliveries_) on_deliveries_();
}

void Service::Deliver() {
  // No Flush here: the sends of the current instant are settled when time
  // moves on, all together, exactly as in a dry run.
  std::vector<Decision> decisions = shards_->TakeDecisions();
  for (const Decision& d : decisions) {
    if (d.kind == DecisionKind::kSuppressed) suppressed_->At({d.policy, d.rule}).Add();
    else if (d.kind != DecisionKind::kAction) decisions_->At({DecisionKindName(d.kind)}).Add();
  }
  Journal(std::move(decisions));
  // Actions the log says were dispatched before the last stop, made again
  // by the replay only now (settled late): as at the start.
  if (resumed_through_ < log_->delivered()) ResumeDeliveries(log_->delivered());
  Outbox& outbox = DeliveryOutbox();
  // Past what this process dispatched, even if recording it failed.
  auto pending = outbox.Since(std::max(dispatched_, log_->delivered()), SIZE_MAX);
  if (pending.empty()) return;
  std::string out;
  for (const OutboxEntry* e : pending)
    if (!options_.routes.count(ChannelOf(e->action))) out += ToJson(e->action) + "\n";
  if (!AppendToActionsFile(out)) {
    delivery_failures_->Add();
    return;  // retried on the next tick: delivery is at least once
  }
  for (const OutboxEntry* e : pending) {
    const std::string& channel = ChannelOf(e->action);
    if (options_.routes.count(channel)) {
      Route(e->seq, channel);  // attempted by the server, as soon as a slot is free
      continue;
    }
    outbox.Report(e->seq, DeliveryState::kDelivered);
    actions_total_->At({channel, "delivered"}).Add();
  }
  dispatched_ = pending.back()->seq;
  // Routed here, by this process: nothing for ResumeDeliveries to resume.
  resumed_through_ = std::max(resumed_through_, dispatched_);
  if (Status recorded = Stored("delivered", [&] { return log_->SetDelivered(pending.back()->seq); }); !recorded.ok())
    Log(LogLevel::kError, "delivery", recorded.message());
  TrimOutbox();
}

Reply Service::PostRetry(std::string_view key) {
  const OutboxEntry* e = FindHeld(key);
  if (e == nullptr)
    return Problem(404, "no action with this idempotency key is held: the daemon keeps the last " +
                            std::to_string(options_.actions_retained) + " delivered actions and every pending one");
  if (e->state != DeliveryState::kDeadLetter)
    return Problem(409, "only a dead letter can be retried; this action is " +
                            std::string(e->state == DeliveryState::kDelivered ? "delivered" : "still being delivered"));
  const std::string& channel = ChannelOf(e->action);
  if (!options_.routes.count(channel))
    return Problem(409, "the channel '" + channel + "' is no longer delivered by a webhook or SMTP setting");
  uint64_t seq = e->seq;
  // Logged before anything changes: a retry answered is a retry kept.
  if (Status logged = Stored("retry", [&] { return log_->SetRetried(seq); }); !logged.ok()) {
    return TryAgain(logged.message(), 5);
  }
  logged_attempts_.erase(seq);
  DeliveryOutbox().Report(seq, DeliveryState::kPending);
  actions_total_->At({channel, "dead_letter_retried"}).Add();
  Log(LogLevel::kInfo, "delivery", "a dead letter is delivered again", {{"seq", seq}, {"channel", channel}});
  Route(seq, channel);
  return JsonReply(202, Json{{"idempotency_key", std::string(key)}, {"seq", seq}, {"delivery", "pending"}});
}

bool Service::AppendToActionsFile(const std::string& lines) {
  return lines.empty() || (std::fwrite(lines.data(), 1, lines.size(), actions_) == lines.size() &&
                           std::fflush(actions_) == 0 && ::fsync(::fileno(actions_)) == 0);
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
  // The reason may quote a peer's answer: printable and bounded, so that
  // it can be logged as an input and printed (never a dump() that throws).
  if (schema->Slot("reason")) event["reason"] = Printable(reason, 500);
  // On a cluster the node stamps it as any event without a time.
  if (!node_) event["at"] = FormatInstant(std::max(logged_now_, options_.virtual_clock ? logged_now_ : clock_.Now()));
  return event.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void Service::StageFinal(uint64_t seq, bool ok, const std::string& reason) {
  if (node_) return StageFinalOnCluster(seq, ok, reason);
  // The final state and the outcome event it feeds back go into the log
  // in one write: a crash between the two can neither leave the journey
  // without its action_failed nor deliver the action again.
  Staged staged;
  staged.events = true;
  staged.finals.push_back({seq, ok ? 'd' : 'x'});
  staged.outcome = Outcome{seq, ok, reason};
  const OutboxEntry* entry = DeliveryOutbox().Find(seq);
  std::string why_not;
  std::optional<std::string> event =
      entry ? OutcomeEvent(entry->action, ok ? "action_delivered" : "action_failed", reason, &why_not) : std::nullopt;
  if (event) {
    Instant t = LogTime();
    Decode(*event, Accept::kEvents, t, staged);
    if (staged.entries.empty()) outcome_events_refused_->Add();
    else logged_now_ = std::max(logged_now_, t) + (options_.virtual_clock ? 0 : 1);
  }
  staged_.push_back(std::move(staged));
  if (on_final_staged_) on_final_staged_();
  else Commit();
}

std::vector<Service::OutcomeLine> Service::ReadOutcomeLines(std::string_view body) {
  // Each line names an action by its idempotency key and says what became
  // of it.
  std::vector<OutcomeLine> lines;
  ForEachLine(body, [&](size_t number, std::string_view text) {
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;
    OutcomeLine& line = lines.emplace_back();
    line.number = number;
    std::string at = "line " + std::to_string(number) + ": ";
    auto parsed = ParseJsonInput(text, {1 << 16, 4});
    const nlohmann::json& j = parsed.ok() ? *parsed : nlohmann::json();
    if (!parsed.ok() || !j.is_object() || !j.contains("idempotency_key") || !j["idempotency_key"].is_string() ||
        !j.contains("outcome") || !j["outcome"].is_string() || (j.contains("reason") && !j["reason"].is_string())) {
      line.error = at + "expected {\"idempotency_key\": KEY, \"outcome\": \"bounced\", \"reason\": TEXT}";
      return;
    }
    std::string outcome = j["outcome"];
    line.key = j["idempotency_key"];
    line.reason = j.value("reason", "");
    line.type = outcome == "bounced" ? "action_bounced" : outcome == "delivered" ? "action_delivered"
                : outcome == "failed"    ? "action_failed"
                                         : nullptr;
    if (line.type == nullptr)
      line.error = at + "'outcome' must be \"bounced\", \"delivered\" or \"failed\", not \"" +
                   Printable(outcome, 40) + "\"";
    else if (line.key.size() > kMaxIdempotencyKeyBytes)
      line.error = at + "an idempotency key is at most " + std::to_string(kMaxIdempotencyKeyBytes) + " bytes";
  });
  return lines;
}

Reply Service::PostOutcomes(std::string_view body) {
  // The actions held, by key: made once per request, when first needed.
  std::unordered_map<std::string_view, const OutboxEntry*> by_key;
  return TakeOutcomes(ReadOutcomeLines(body), [&](const std::string& key) -> const Decision* {
    if (by_key.empty())
      for (const OutboxEntry* e : DeliveryOutbox().Since(0, SIZE_MAX)) by_key.emplace(e->action.idempotency_key, e);
    auto it = by_key.find(key);
    return it == by_key.end() ? nullptr : &it->second->action;
  });
}

Reply Service::TakeOutcomes(const std::vector<OutcomeLine>& read,
                            const std::function<const Decision*(const std::string& key)>& find) {
  // Each line's outcome event, ingested together.
  struct Line {
    size_t number;
    std::string error;  // empty: an event was made
  };
  std::vector<Line> lines;
  std::string events;
  for (const OutcomeLine& l : read) {
    if (!l.error.empty()) {
      lines.push_back({l.number, l.error});
      continue;
    }
    std::string at = "line " + std::to_string(l.number) + ": ";
    const Decision* found = find(l.key);
    if (found == nullptr) {
      lines.push_back({l.number, at + "no action with idempotency key '" + Printable(l.key, 80) +
                                     "' is held (unknown, or delivered more than actions_retained actions ago)"});
      continue;
    }
    std::string why_not;
    auto event = OutcomeEvent(*found, l.type, l.reason, &why_not);
    if (!event) {
      lines.push_back({l.number, at + why_not});
      continue;
    }
    lines.push_back({l.number, ""});
    events += *event + "\n";
  }
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
  outcomes_in_->Add(static_cast<double>(accepted));
  outcomes_refused_->Add(static_cast<double>(refused));
  Json extra{{"accepted", accepted}, {"refused", refused}, {"results", results}};
  if (ingested.status == 503) {
    return TryAgain(ingested.error, 5, extra);
  }
  if (accepted == 0) return Problem(400, lines.empty() ? "no outcomes in the body" : "no outcome was taken", extra);
  return JsonReply(200, extra);
}

std::string Service::EmailAddressOf(uint64_t seq, const Decision& action) const {
  if (node_) return ClusterAddressOf(seq);
  // Every shard holds every profile.
  return runtime::EmailAddressOf(shards_->shard(0), set().ir(), action);
}

std::vector<DeliveryJob> Service::TakeDeliveryJobs() {
  std::vector<DeliveryJob> jobs;
  for (uint64_t seq : std::exchange(spent_, {})) {
    if (auto a = attempts_.find(seq); a != attempts_.end()) {
      a->second.in_flight = true;
      ++channels_[a->second.channel].in_flight;
      ReportDelivery(seq, {false, "every attempt was made; the outcome of the last was lost when the daemon stopped",
                           "budget spent"});
    }
  }
  auto now = SteadyClock::now();
  // Retries whose backoff is over join their channel's queue.
  while (!retries_.empty() && retries_.begin()->first <= now) {
    uint64_t seq = retries_.begin()->second;
    retries_.erase(retries_.begin());
    if (auto a = attempts_.find(seq); a != attempts_.end()) channels_[a->second.channel].ready.push_back(seq);
  }
  std::vector<std::pair<uint64_t, DeliveryOutcome>> refusals;
  for (auto& [channel, q] : channels_) {
    const DeliveryRoute& route = options_.routes.at(channel);
    while (!q.ready.empty() && q.in_flight < route.concurrency) {
      if (route.rate_per_second > 0) {
        // Attempts spaced evenly: at most rate_per_second started a second.
        if (q.next_start > now) break;
        q.next_start = std::max(q.next_start, now) + std::chrono::microseconds(1000000 / route.rate_per_second);
      }
      uint64_t seq = q.ready.front();
      q.ready.pop_front();
      auto it = attempts_.find(seq);
      const OutboxEntry* entry = DeliveryOutbox().Find(seq);
      if (it == attempts_.end() || entry == nullptr) continue;
      Attempts& w = it->second;
      const Decision& action = entry->action;
      w.in_flight = true;
      ++q.in_flight;
      DeliveryJob job{seq, &route, BodyOf(seq, action), action.idempotency_key, "", action.message};
      if (auto refused = route.adapter->Prepare(job, [&] { return EmailAddressOf(seq, action); })) {
        // Nothing to retry: no attempt could deliver it.
        w.attempts = static_cast<uint32_t>(route.max_attempts);
        refusals.emplace_back(seq, std::move(*refused));
        continue;
      }
      ++w.attempts;
      // Counted before it starts: a restart during it counts it too.
      // (On a cluster a new deliverer of the action starts a new budget.)
      if (log_)
        if (Status counted = Stored("attempt", [&] { return log_->SetAttempts(seq, w.attempts); }); !counted.ok())
          Log(LogLevel::kError, "delivery", counted.message());
      jobs.push_back(std::move(job));
    }
  }
  for (const auto& [seq, outcome] : refusals) ReportDelivery(seq, outcome);
  return jobs;
}

size_t Service::AttemptsInFlight() const {
  size_t n = 0;
  for (const auto& [name, queue] : channels_) n += static_cast<size_t>(queue.in_flight);
  return n;
}

std::chrono::milliseconds Service::LongestAttempt() const {
  int longest = 0;
  for (const auto& [name, route] : options_.routes) longest = std::max(longest, route.connect_timeout_ms + route.timeout_ms);
  return std::chrono::milliseconds(longest);
}

std::optional<SteadyClock::time_point> Service::NextAttemptDue() const {
  std::optional<SteadyClock::time_point> next;
  if (!retries_.empty()) next = retries_.begin()->first;
  for (const auto& [channel, q] : channels_) {
    const DeliveryRoute& route = options_.routes.at(channel);
    if (!q.ready.empty() && q.in_flight < route.concurrency && route.rate_per_second > 0)
      next = next ? std::min(*next, q.next_start) : q.next_start;
  }
  return next;
}

void Service::ReportDelivery(uint64_t seq, const DeliveryOutcome& outcome) {
  auto it = attempts_.find(seq);
  if (it == attempts_.end()) return;
  Attempts& w = it->second;
  std::string channel = w.channel;
  const DeliveryRoute& route = options_.routes.at(channel);
  w.in_flight = false;
  --channels_[channel].in_flight;
  Outbox& outbox = DeliveryOutbox();
  // On a cluster: the action's partition went to another node while this
  // attempt was under way; that node delivers it and says what became of it.
  if (auto c = cluster_actions_.find(seq); c != cluster_actions_.end() && c->second.dropped) {
    attempts_.erase(it);
    cluster_actions_.erase(c);
    outbox.Report(seq, DeliveryState::kHandedOver);
    if (on_deliveries_) on_deliveries_();
    return;
  }
  if (outcome.ok || w.attempts >= static_cast<uint32_t>(route.max_attempts)) {
    outbox.Report(seq, outcome.ok ? DeliveryState::kDelivered : DeliveryState::kDeadLetter);
    actions_total_->At({channel, outcome.ok ? "delivered" : "dead_letter"}).Add();
    // The peer's words (outcome.detail) may quote the recipient: logged is
    // only what the daemon itself says of it.
    if (!outcome.ok)
      Log(LogLevel::kWarning, "delivery", "an action was dead-lettered",
          {{"seq", seq}, {"channel", channel}, {"attempts", w.attempts}, {"last", outcome.code}});
    attempts_.erase(it);
    StageFinal(seq, outcome.ok, outcome.detail);
  } else {
    // Exponential backoff with jitter: base * 2^(n-1), times 0.5 to 1.5.
    outbox.Report(seq, DeliveryState::kFailed);
    actions_total_->At({channel, "retried"}).Add();
    double jitter = 0.5 + std::uniform_real_distribution<double>(0, 1)(jitter_);
    double delay = route.backoff_ms * std::pow(2.0, std::min<uint32_t>(w.attempts, 40) - 1) * jitter;
    delay = std::min(delay, 86400000.0);  // a day at most
    retries_.emplace(SteadyClock::now() + std::chrono::milliseconds(static_cast<int64_t>(delay)), seq);
  }
  if (on_deliveries_) on_deliveries_();  // a slot is free, or a backoff to wait for
}

}  // namespace tutti::runtime
