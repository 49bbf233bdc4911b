// Service, paging a customer's or an account's history: from the history
// journal (history_journal.h), with every detail, for what it holds; from
// the engines' own entries (time, kind, name, journey) for what came before
// the journal started (a data folder of an older tutti) and on a daemon
// without one.

#include <algorithm>
#include <charconv>

#include "base/text.h"
#include "runtime/daemon/history_part.h"
#include "runtime/daemon/service.h"

namespace tutti::runtime {
namespace {

/// Where a page of history starts: after the first `skip[s]` entries at
/// instant `at` of shard s's part, every earlier entry already shown. Per
/// shard, so that entries at the same instant added between two pages (to
/// any shard's part) are neither skipped nor shown twice.
struct HistoryCursor {
  Instant at = INT64_MIN;
  std::vector<uint64_t> skip;  // by shard; missing ones are 0
};

/// "AT.SKIP0-SKIP1-...", as the API hands it out; nullopt for anything
/// else (more skips than `shards` included).
std::optional<HistoryCursor> ParseCursor(std::string_view text, size_t shards) {
  if (text.empty()) return HistoryCursor{};
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  HistoryCursor c;
  std::string_view at = text.substr(0, dot);
  auto [p, ec] = std::from_chars(at.data(), at.data() + at.size(), c.at);
  if (ec != std::errc() || p != at.data() + at.size()) return std::nullopt;
  for (std::string_view rest = text.substr(dot + 1);;) {
    size_t dash = std::min(rest.find('-'), rest.size());
    uint64_t n = 0;
    auto [q, ec2] = std::from_chars(rest.data(), rest.data() + dash, n);
    if (ec2 != std::errc() || q != rest.data() + dash || c.skip.size() == shards) return std::nullopt;
    c.skip.push_back(n);
    if (dash == rest.size()) break;
    rest.remove_prefix(dash + 1);
  }
  return c;
}

/// A journal cursor: "j" and the place of the last entry read, in hex.
constexpr size_t kMaxJournalCursor = 2 * (9 + HistoryJournal::kMaxTailBytes);


/// Whether `filter` lets entry `i` of `engine` through (the engine keeps
/// events and actions, not the sends held back or put off).
bool Shown(const Engine& engine, const Interaction& i, const HistoryFilter& filter) {
  if (!filter.kind.empty() && filter.kind != (i.action ? "action" : "event")) return false;
  if (!filter.channel.empty() && !(i.action && engine.names().Get(i.name) == filter.channel)) return false;
  return filter.journey.empty() || (i.journey && engine.journey(i.journey - 1u).name == filter.journey);
}

/// Entry `i` of `engine` as a page shows it; an account's names the
/// prescriber it is about.
Json EntryJson(const Engine& engine, const Interaction& i, bool account) {
  Json h{{"at", FormatInstant(i.at)}, {"kind", i.action ? "action" : "event"}, {"name", engine.names().Get(i.name)}};
  if (account) h["customer"] = engine.store().customer(i.about).key;
  if (i.journey) {
    h["journey"] = engine.journey(i.journey - 1u).name;
    h["version"] = engine.journey(i.journey - 1u).version;
  }
  return h;
}

}  // namespace

HistoryPart Service::AccountHistoryPart(const std::map<int32_t, const Engine*>& engines, std::string_view id,
                                        HistoryPlace after, size_t limit, const HistoryFilter& filter) {
  HistoryPart part;
  if (filter.from > after.at) after = HistoryPlace{filter.from, -1, 0};
  // The engine keeps no sends held back or put off: none to show.
  bool engine_kinds = filter.kind.empty() || filter.kind == "event" || filter.kind == "action";
  for (const auto& [p, engine] : engines) {
    part.partitions.push_back(p);
    std::optional<uint32_t> profile = engine->ProfileId("account");
    auto c = profile ? engine->store().FindCustomer(*profile, id) : std::nullopt;
    if (!c) continue;
    part.found = true;
    if (!engine_kinds) continue;
    const std::vector<Interaction>& history = engine->store().customer(*c).history;
    // After the cursor's place: a partition before its partition has shown
    // every entry at its instant, its own the first n, one after it none.
    size_t next = static_cast<size_t>(
        std::lower_bound(history.begin(), history.end(), after.at,
                         [](const Interaction& i, Instant at) { return i.at < at; }) -
        history.begin());
    uint64_t n = 0;  // entries at `at` passed
    Instant at = after.at;
    uint64_t skip = p < after.partition ? UINT64_MAX : p == after.partition ? after.n : 0;
    for (; skip > 0 && next < history.size() && history[next].at == after.at; --skip) ++next, ++n;
    size_t shown = 0, scanned = 0;
    for (; next < history.size() && history[next].at <= filter.to; ++next) {
      const Interaction& i = history[next];
      if (i.at != at) at = i.at, n = 0;
      HistoryPlace place{i.at, p, ++n};
      if (Shown(*engine, i, filter)) {
        part.entries.push_back({place, EntryJson(*engine, i, true)});
        // One more than a page: the merge knows whether more follow.
        if (++shown > limit) {
          part.stops.push_back(place);
          break;
        }
      } else if (++scanned == kHistoryScan) {
        part.stops.push_back(place);  // never scans without end on the node's thread
        break;
      }
    }
  }
  return part;
}

Reply Service::GetHistory(const EngineView& view, std::string_view id, std::string_view profile_name,
                          std::string_view cursor_text, size_t limit, bool account, const HistoryFilter& filter) const {
  const std::vector<std::string>& profiles = view.engines[0]->profile_names();  // by number
  const size_t shards = view.engines.size();
  if (account) profile_name = "account";
  // The profile named, or with none named the first that knows the id.
  std::optional<uint32_t> profile;
  for (uint32_t p = 0; p < profiles.size() && !profile; ++p) {
    if (!profile_name.empty()) {
      if (profiles[p] == profile_name) profile = p;
      continue;
    }
    for (uint32_t s = 0; s < shards && !profile; ++s)
      if (view.engines[s]->store().FindCustomer(p, id)) profile = p;
  }
  if (account && !profile) return Problem(404, "the journeys declare no 'account' profile");
  // A page starts in the engines' part (before the journal's start) or in
  // the journal's, as its cursor says.
  bool in_journal = !cursor_text.empty() && cursor_text[0] == 'j';
  std::optional<std::string> after = in_journal ? FromHex(cursor_text.substr(1), kMaxJournalCursor / 2) : std::string();
  auto cursor = ParseCursor(in_journal ? "" : cursor_text, shards);
  if (!cursor || !after || (in_journal && !journal_)) return Problem(400, "'cursor' must be one the API handed out");
  cursor->skip.resize(shards);
  if (filter.from > cursor->at) *cursor = HistoryCursor{filter.from, std::vector<uint64_t>(shards)};
  // Each shard holds the part about its own customers (an account's own
  // events in the account's shard, each prescriber's in theirs), in time
  // order: merged by (time, shard, place), a page at a time.
  struct Part {
    uint32_t shard;
    const Engine* engine;
    const Customer* customer;
    size_t next;  // the next entry of this part to merge
  };
  std::vector<Part> parts;
  for (uint32_t s = 0; profile && s < shards; ++s) {
    const Engine& engine = *view.engines[s];
    auto c = engine.store().FindCustomer(*profile, id);
    if (!c) continue;
    const Customer& customer = engine.store().customer(*c);
    auto from = std::lower_bound(customer.history.begin(), customer.history.end(), cursor->at,
                                 [](const Interaction& i, Instant at) { return i.at < at; });
    // Past the entries at the cursor's instant shown already.
    size_t next = static_cast<size_t>(from - customer.history.begin());
    for (uint64_t skip = cursor->skip[s]; skip > 0 && next < customer.history.size() &&
                                          customer.history[next].at == cursor->at;
         --skip)
      ++next;
    parts.push_back({s, &engine, &customer, next});
  }
  if (parts.empty())
    return Problem(404, std::string(account ? "no account '" : "no customer '") + Printable(id, 100) + "'");
  Json history = Json::array();
  std::string next_page;
  // The engines' part: what came before the journal's start.
  Instant since = journal_ ? journal_->since() : INT64_MAX;
  Instant engine_to = since == INT64_MIN ? INT64_MIN : std::min(filter.to, since - 1);
  // The engine keeps no sends held back or put off.
  bool engine_kinds = filter.kind.empty() || filter.kind == "event" || filter.kind == "action";
  if (!in_journal && since != INT64_MIN && cursor->at <= engine_to && engine_kinds) {
    Instant last_at = cursor->at;
    std::vector<uint64_t> same = cursor->skip;  // per shard, entries at last_at shown, this page's included
    bool more = false;
    for (size_t scanned = 0;;) {
      Part* best = nullptr;
      for (Part& part : parts)
        if (part.next < part.customer->history.size() &&
            (best == nullptr || part.customer->history[part.next].at < best->customer->history[best->next].at))
          best = &part;
      if (best == nullptr || best->customer->history[best->next].at > engine_to) break;
      const Interaction& i = best->customer->history[best->next];
      bool show = Shown(*best->engine, i, filter);
      if (show && history.size() == limit) {
        more = true;
        break;
      }
      ++best->next;
      if (i.at != last_at) std::fill(same.begin(), same.end(), 0);
      ++same[best->shard];
      last_at = i.at;
      if (!show) {
        // A page never scans without end on the event loop.
        if (++scanned == kHistoryScan) {
          more = true;
          break;
        }
        continue;
      }
      history.push_back(EntryJson(*best->engine, i, account));
    }
    if (more) {
      next_page = std::to_string(last_at) + ".";
      for (size_t s = 0; s < same.size(); ++s) next_page += (s ? "-" : "") + std::to_string(same[s]);
    } else if (journal_ && filter.to >= since && history.size() == limit) {
      next_page = "j";  // the journal's part next, from its start
    }
  }
  // The journal's part.
  if (next_page.empty() && journal_ && filter.to >= since) {
    HistoryFilter from_since = filter;
    from_since.from = std::max(filter.from, since);
    auto page = journal_->PageAfter(profiles[*profile], id, *after, from_since, limit - history.size(), kHistoryScan);
    if (!page.ok()) return Problem(503, page.status().message());
    if (page->damaged > 0) journal_damaged_->Add(static_cast<double>(page->damaged));
    for (Json& entry : page->entries) {
      // The account's own entries are the account's, as the engine says.
      if (account && !entry.contains("customer")) entry["customer"] = std::string(id);
      history.push_back(std::move(entry));
    }
    if (!page->next.empty()) next_page = "j" + HexOf(page->next);
  }
  Json out{{account ? "account" : "id", std::string(id)}, {"history", history}};
  if (!next_page.empty()) out["next"] = next_page;
  return JsonReply(200, out);
}

}  // namespace tutti::runtime
