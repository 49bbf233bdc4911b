// Service, the reads on a cluster that add every partition's part up
// (docs/cluster.md, "Reads"): GET /v1/journeys, GET /v1/tasks, the
// director's GET /v1/engagement and /v1/accounts, and an account's
// history. Each node answers for the partitions it runs (GET
// /v1/cluster/journeys: their counts in the engine's own terms, in the
// snapshot's encoding; GET /v1/cluster/tasks: its share of the work
// queues, tasks_part.h; GET /v1/cluster/engagement: its scan of the
// histories, engagement_scan.h; GET /v1/cluster/accounts/{id}/history:
// the entries of a page, history_part.h); the node asked gathers every
// node's part, checks that the parts cover every partition once, and adds
// them up as one daemon adds up its shards'.

#include <algorithm>
#include <charconv>
#include <map>

#include "base/text.h"
#include "runtime/cluster/node.h"
#include "runtime/daemon/forward.h"
#include "runtime/daemon/http_api.h"
#include "runtime/daemon/service.h"
#include "runtime/daemon/journeys_part.h"
#include "runtime/daemon/actions_part.h"
#include "runtime/daemon/engagement_scan.h"
#include "runtime/daemon/part_fields.h"

namespace tutti::runtime {
namespace {

using enum JourneysPart::Status;
using part_fields::Moving;
using part_fields::ReadPart;

/// Whether `parts` name each of the cluster's `count` partitions once:
/// otherwise a partition moved (or was being replayed) while the parts
/// were gathered.
template <typename Part>
bool EveryPartitionOnce(const std::vector<Part>& parts, int32_t count) {
  std::vector<int> seen(static_cast<size_t>(count));
  for (const Part& part : parts)
    for (int32_t p : part.partitions)
      if (p < count) ++seen[static_cast<size_t>(p)];
  return std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; });
}

}  // namespace

void Service::JourneysPartHere(std::function<void(Reply)> done) const {
  node_->ReadAll([done = std::move(done)](const std::map<int32_t, const Engine*>& engines) {
    // On the node's thread: each version's counts added up over the
    // partitions, as Shards adds up its shards'.
    JourneysPart part;
    std::map<std::pair<std::string, std::string>, std::pair<JourneysPart::Journey, JourneyStats>> rows;
    std::vector<std::pair<std::string, std::string>> order;
    for (const auto& [p, engine] : engines) {
      part.partitions.push_back(p);
      part.now = std::max(part.now, engine->now());
      // Each partition on its own: they may run different versions for a while.
      auto [active, waiting] = CountInstances({engine});
      for (uint32_t i = 0; i < engine->journey_count(); ++i) {
        const auto& j = engine->journey(i);
        auto key = std::pair{j.name, VersionId(j)};
        auto [it, fresh] = rows.try_emplace(key);
        JourneysPart::Journey& row = it->second.first;
        uint8_t status = engine->retired(i) ? kRetired : engine->paused(i) ? kPaused : kRunning;
        if (fresh) {
          order.push_back(key);
          row.name = j.name;
          row.version_id = key.second;
          row.status = status;
          row.waiting.assign(j.steps.size(), 0);
        }
        row.status = std::min(row.status, status);  // running anywhere is running
        row.active += active[i];
        for (size_t k = 0; k < waiting[i].size(); ++k) row.waiting[k] += waiting[i][k];
        it->second.second += engine->stats()[i];
      }
    }
    for (const auto& key : order) {
      auto& [row, stats] = rows[key];
      row.stats = EncodeJourneyStats(stats);
      part.journeys.push_back(std::move(row));
    }
    done(Reply{200, EncodeJourneysPart(part), "application/octet-stream", {}, false});
  });
}

std::vector<cluster::Member> Service::ClusterOwners() const { return node_->Owners(); }

std::vector<cluster::Member> Service::ClusterHolders() const { return node_->Holders(); }

std::optional<Reply> Service::AddUpParts(const std::vector<Reply>& answers, std::vector<JourneyRow>* rows,
                                         Instant* now, size_t* nodes) const {
  std::vector<JourneysPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/octet-stream", &DecodeJourneysPart, &parts)) return refusal;
  if (!EveryPartitionOnce(parts, node_->partitions()))
    return Moving("some partitions were moving while their parts were gathered");
  *now = INT64_MIN;
  for (const JourneysPart& part : parts) *now = std::max(*now, part.now);
  *nodes = parts.size();
  // Added up by version, in the order the parts name them (partitions in order).
  std::sort(parts.begin(), parts.end(),
            [](const JourneysPart& a, const JourneysPart& b) { return a.partitions < b.partitions; });
  std::map<std::pair<std::string, std::string>, size_t> at;
  std::vector<uint8_t> status;
  for (const JourneysPart& part : parts)
    for (const JourneysPart::Journey& j : part.journeys) {
      const compiler::ir::Journey* journey = node_->FindJourney(j.name, j.version_id);
      if (journey == nullptr || j.waiting.size() != journey->steps.size())
        return Moving("a node runs a version of journey '" + Printable(j.name, 100) + "' this node does not know yet");
      auto stats = DecodeJourneyStats(j.stats, *journey);
      if (!stats) return Moving("a node's counts of journey '" + Printable(j.name, 100) + "' could not be read");
      auto [it, fresh] = at.try_emplace({j.name, j.version_id}, rows->size());
      if (fresh) {
        rows->push_back({journey, "running", 0, std::vector<int64_t>(journey->steps.size()), {}});
        rows->back().stats.step_visits.resize(journey->steps.size());
        status.push_back(j.status);
      }
      JourneyRow& row = (*rows)[it->second];
      status[it->second] = std::min(status[it->second], j.status);
      row.active += j.active;
      for (size_t k = 0; k < j.waiting.size(); ++k) row.waiting[k] += j.waiting[k];
      row.stats += *stats;
    }
  for (size_t k = 0; k < rows->size(); ++k)
    (*rows)[k].status = status[k] == kRetired ? "retired" : status[k] == kPaused ? "paused" : "running";
  return std::nullopt;
}

Reply Service::FromParts(const std::vector<Reply>& answers, std::string_view query,
                         const std::function<Reply(AddedUp&)>& answer) const {
  AddedUp all;
  if (auto refusal = AddUpParts(answers, &all.rows, &all.now, &all.nodes)) return *refusal;
  if (auto refusal = JourneyWindowOf(query, all.now, &all.window)) return *refusal;
  return answer(all);
}

Reply Service::JourneysFromParts(const std::vector<Reply>& answers, std::string_view query) const {
  return FromParts(answers, query, [this](AddedUp& all) {
    // A retired version is shown while instances finish on it.
    std::erase_if(all.rows,
                  [](const JourneyRow& row) { return row.status == std::string_view("retired") && row.active == 0; });
    return JourneysReply(all.rows, all.window, all.now,
                         {{"fingerprint", node_->latest_version()}, {"partitions", node_->partitions()},
                          {"nodes", all.nodes}});
  });
}

Reply Service::GraphFromParts(const std::vector<Reply>& answers, std::string_view name, std::string_view query) const {
  int64_t version = 0;
  if (auto refusal = GraphVersionOf(query, &version)) return *refusal;
  return FromParts(answers, query,
                   [&](AddedUp& all) { return GraphReply(all.rows, name, version, all.window, all.now); });
}

void Service::TasksPartHere(const TaskFilter& filter, std::function<void(Reply)> done) const {
  node_->ReadAll([this, filter, done = std::move(done)](const std::map<int32_t, const Engine*>& engines) {
    // On the node's thread: each partition's tasks overdue by its own clock.
    std::vector<TaskSource> sources;
    for (const auto& [p, engine] : engines) sources.push_back({p, engine, engine->now()});
    std::string share = EncodeTasksPart(TasksPartOf(filter, sources, true));
    // Longer than a node's answer may be (tasks of unusually long keys):
    // the reader's to ask for less, not to try again.
    if (share.size() > kMaxForwardedBytes - 65536)
      return done(Problem(400, "the tasks up to this page's end do not fit in one node's answer: a smaller offset or "
                               "limit, or a filter"));
    done(Reply{200, std::move(share), "application/json", {}, false});
  });
}

Reply Service::TasksFromParts(const std::vector<Reply>& answers, const TaskFilter& filter) const {
  std::vector<TasksPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/json", &DecodeTasksPart, &parts)) return *refusal;
  if (!EveryPartitionOnce(parts, node_->partitions()))
    return Moving("some partitions were moving while their parts were gathered");
  // Added up as TasksPartOf adds up shards: queues by (assignee, role),
  // roles by name, and the tasks listed in one order.
  TasksPart all;
  std::map<std::pair<std::string, std::string>, TasksPart::Queue> queues;
  std::map<std::string, TasksPart::Role> roles;
  for (TasksPart& part : parts) {
    all.now = std::max(all.now, part.now);
    all.closed += part.closed;
    all.reassigned += part.reassigned;
    all.forgotten += part.forgotten;
    all.matching += part.matching;
    for (TasksPart::Queue& q : part.queues) {
      auto [it, fresh] = queues.try_emplace({q.assignee, q.role}, q);
      if (fresh) continue;
      TasksPart::Queue& sum = it->second;
      sum.open += q.open;
      sum.overdue += q.overdue;
      if (sum.name.empty()) sum.name = q.name;
      if (q.next_due && (!sum.next_due || *q.next_due < *sum.next_due)) sum.next_due = q.next_due;
    }
    for (TasksPart::Role& r : part.roles) {
      auto [it, fresh] = roles.try_emplace(r.role, r);
      if (fresh) continue;
      it->second.open += r.open;
      it->second.overdue += r.overdue;
    }
    for (TasksPart::Listed& t : part.tasks) all.tasks.push_back(std::move(t));
  }
  for (auto& [key, q] : queues) all.queues.push_back(std::move(q));
  for (auto& [name, r] : roles) all.roles.push_back(std::move(r));
  std::sort(all.tasks.begin(), all.tasks.end(), [&](const TasksPart::Listed& a, const TasksPart::Listed& b) {
    return ListedBefore(a, b, filter.closed);
  });
  return TasksReply(filter, all);
}

std::optional<Reply> Service::ClusterNow(const std::vector<Reply>& answers, Instant* now) const {
  std::vector<JourneysPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/octet-stream", &DecodeJourneysPart, &parts)) return refusal;
  if (!EveryPartitionOnce(parts, node_->partitions()))
    return Moving("some partitions were moving while their clocks were gathered");
  *now = INT64_MIN;
  for (const JourneysPart& part : parts) *now = std::max(*now, part.now);
  return std::nullopt;
}

void Service::EngagementPartHere(std::string query, std::function<void(Reply)> done) const {
  // The cluster's time, as the node asked read it (`now`), so that every
  // node counts one window; this node's latest clock when not given.
  std::optional<Instant> asked_now;
  if (auto text = QueryParam(query, "now")) {
    Instant n = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size()) return done(Problem(400, "'now' must be a time in ns"));
    asked_now = n;
  }
  bool accounts = QueryParam(query, "accounts") == "1";
  node_->ReadAll([this, query = std::move(query), asked_now, accounts, done = std::move(done)](
                     const std::map<int32_t, const Engine*>& engines) {
    Instant now = engines.empty() ? 0 : INT64_MIN;
    for (const auto& [p, engine] : engines) now = std::max(now, engine->now());
    EngagementWindow w;
    if (auto refusal = EngagementWindowOf(query, asked_now.value_or(now), &w)) return done(std::move(*refusal));
    EngagementPart part;
    std::vector<const Engine*> scanned;
    for (const auto& [p, engine] : engines) {
      part.partitions.push_back(p);
      scanned.push_back(engine);
    }
    // Every partition holds every profile: the node running partition 0
    // counts the profiles' figures, once for the cluster.
    const Engine* profiles = engines.count(0) ? engines.at(0) : nullptr;
    part.scan = ScanEngines(scanned, profiles, w, options_.engagement);
    if (!accounts) part.scan.accounts.clear();  // GET /v1/engagement shows none
    std::string text = EncodeEngagementPart(part);
    if (text.size() > kMaxForwardedBytes - 65536)
      return done(Problem(400, accounts ? "the accounts' figures do not fit in one node's answer (16 MiB) on a cluster"
                                        : "the figures of this window do not fit in one node's answer: a shorter "
                                          "window, or weeks rather than days"));
    done(Reply{200, std::move(text), "application/json", {}, false});
  });
}

Reply Service::EngagementFromParts(const std::vector<Reply>& answers, bool accounts, std::string_view query) const {
  std::vector<EngagementPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/json", &DecodeEngagementPart, &parts)) return *refusal;
  if (!EveryPartitionOnce(parts, node_->partitions()))
    return Moving("some partitions were moving while their parts were gathered");
  EngagementScan all = EmptyScan(EngagementWindow{}, options_.engagement);
  bool first = true;
  for (EngagementPart& part : parts) {
    if (part.partitions.empty()) continue;  // a node running none: its window is its own
    if (part.scan.table_digest != all.table_digest || part.scan.roles != all.roles)
      return Problem(500, "the nodes count the director's figures by different tables: give every node the same "
                          "'engagement' setting");
    if (first) {
      all = EmptyScan(part.scan.window, options_.engagement);
      first = false;
    } else if (!(part.scan.window == all.window)) {
      return Moving("the partitions' clocks were on different days while their parts were gathered");
    }
    MergeScan(all, part.scan);
  }
  if (first) return Moving("no node ran a partition while the parts were gathered");
  if (!accounts) return EngagementReply(all);
  return AccountsReply(all, QueryParam(query, "similar_to").value_or(""), QueryParam(query, "campaign").value_or(""));
}

void Service::AccountHistoryPartHere(std::string id, std::string query, std::function<void(Reply)> done) const {
  size_t limit = 0;
  HistoryFilter filter;
  if (auto refusal = HistoryQueryOf(query, &limit, &filter)) return done(std::move(*refusal));
  std::optional<HistoryPlace> after = ParseHistoryPlace(QueryParam(query, "cursor").value_or(""));
  if (!after) return done(Problem(400, "'cursor' must be one the API handed out"));
  node_->ReadAll([id = std::move(id), after = *after, limit, filter = std::move(filter),
                  done = std::move(done)](const std::map<int32_t, const Engine*>& engines) {
    std::string text = EncodeHistoryPart(AccountHistoryPart(engines, id, after, limit, filter));
    // limit + 1 entries of each partition, each under a few hundred bytes:
    // only names of unusual length come near.
    if (text.size() > kMaxForwardedBytes - 65536)
      return done(Problem(400, "this page of the account's history does not fit in one node's answer: a smaller "
                               "limit"));
    done(Reply{200, std::move(text), "application/json", {}, false});
  });
}

Reply Service::AccountHistoryFromParts(const std::vector<Reply>& answers, std::string_view id,
                                       std::string_view query) const {
  std::vector<HistoryPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/json", &DecodeHistoryPart, &parts)) return *refusal;
  if (!EveryPartitionOnce(parts, node_->partitions()))
    return Moving("some partitions were moving while their parts were gathered");
  if (std::none_of(parts.begin(), parts.end(), [](const HistoryPart& p) { return p.found; }))
    return Problem(404, "no account '" + Printable(id, 100) + "'");
  size_t limit = 0;
  HistoryFilter filter;
  if (auto refusal = HistoryQueryOf(query, &limit, &filter)) return *refusal;
  std::optional<HistoryPlace> after = ParseHistoryPlace(QueryParam(query, "cursor").value_or(""));
  if (!after) return Problem(400, "'cursor' must be one the API handed out");
  HistoryPage page = MergeHistoryParts(std::move(parts), *after, limit);
  Json out{{"account", std::string(id)}, {"history", std::move(page.entries)}};
  if (!page.next.empty()) out["next"] = page.next;
  return JsonReply(200, out);
}

Reply Service::ActionsPartHere(std::string_view query) const {
  ActionsQuery asked;
  if (auto refusal = ActionsQueryOf(query, &asked)) return *refusal;
  auto since = QueryParam(query, "since");
  uint64_t since_n = 0;
  if (since) {
    auto [end, ec] = std::from_chars(since->data(), since->data() + since->size(), since_n);
    if (ec != std::errc() || end != since->data() + since->size()) return Problem(400, "'since' must be a number");
  }
  // A place in an earlier run's outbox is no place in this one's.
  if (QueryParam(query, "incarnation") != incarnation_) since_n = 0;
  ActionLines page = PageOfActions(cluster_outbox_, since_n, asked);
  std::string text = EncodeActionsPart(NodeName(), incarnation_, page.lines, page.next, page.trimmed);
  if (text.size() > kMaxForwardedBytes - 65536)
    return Problem(400, "this page of actions does not fit in one node's answer on a cluster: a smaller limit");
  return {200, std::move(text), "application/json", {}, false};
}

std::optional<Reply> Service::ActionsPartTarget(std::string_view query, const std::string& node,
                                                std::string* target) const {
  auto cursor = ParseActionsCursor(QueryParam(query, "since").value_or(""));
  if (!cursor) return Problem(400, "'since' must be a cursor the API handed out (on a cluster, its 'next')");
  ActionsQuery asked;
  if (auto refusal = ActionsQueryOf(query, &asked)) return refusal;
  auto it = cursor->nodes.find(node);
  *target = "/v1/cluster/actions?limit=" + std::to_string(asked.limit) +
            (asked.delivery.empty() ? "" : "&delivery=" + asked.delivery) +
            (asked.customer.empty() ? "" : "&customer=" + PathSegment(asked.customer));
  if (it != cursor->nodes.end())
    *target += "&since=" + std::to_string(it->second.seq) + "&incarnation=" + it->second.incarnation;
  return std::nullopt;
}

Reply Service::ActionsFromParts(const std::vector<Reply>& answers, std::string_view query) const {
  std::vector<ActionsPart> parts;
  for (const Reply& answer : answers)
    if (auto refusal = ReadPart(answer, "application/json", &DecodeActionsPart, &parts)) return *refusal;
  auto cursor = ParseActionsCursor(QueryParam(query, "since").value_or(""));
  ActionsQuery asked;
  if (!cursor || ActionsQueryOf(query, &asked)) return Problem(400, "not a query of GET /v1/actions");
  ActionsPage page = MergeActionsParts(std::move(parts), *cursor, asked.limit);
  Json out{{"actions", std::move(page.actions)}, {"next", page.next}};
  if (page.trimmed > 0) out["trimmed"] = page.trimmed;
  return JsonReply(200, out);
}

}  // namespace tutti::runtime
