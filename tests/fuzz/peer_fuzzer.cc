// Fuzzes what receivers and relays send back: a webhook receiver's answer
// (read no further than its head, whatever it announces), an SMTP relay's
// replies arriving in chunks of any size, and (first byte 3 mod 4) the
// answer of the cluster node a read was sent on to (forward.h), and a
// node's part of /v1/journeys (journeys_part.h) or /v1/tasks
// (tasks_part.h) in it. What a
// peer said reaches a delivery's detail printable, and never unbounded;
// an answer passed on keeps a status Tutti gives and bounded bytes.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/text.h"
#include "runtime/cluster/topic_records.h"
#include "runtime/daemon/actions_part.h"
#include "runtime/daemon/channels/peer_answers.h"
#include "runtime/daemon/forward.h"
#include "runtime/daemon/journeys_part.h"
#include "runtime/daemon/engagement_scan.h"
#include "runtime/daemon/history_part.h"
#include "runtime/daemon/tasks_part.h"

using namespace tutti;
using namespace tutti::runtime;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 3) == 3) {
    Reply reply = ForwardedAnswer(rest, "node-b");
    if (reply.status < 200 || reply.status > 599 || reply.body.size() > kMaxForwardedBytes || reply.headers.size() > 1)
      std::abort();
    // A body that is a node's part of /v1/journeys, read back as the
    // gathering node reads it (the answer's body, or the bytes as they are).
    for (std::string_view bytes : {std::string_view(reply.body), rest})
      if (auto part = DecodeJourneysPart(bytes)) {
        size_t held = part->partitions.size();
        for (const auto& j : part->journeys) held += j.waiting.size() + j.stats.size() + j.name.size();
        if (held > bytes.size()) std::abort();  // nothing the bytes did not bring
      }
    // A node's share of /v1/tasks: what it lists can be printed back.
    for (std::string_view bytes : {std::string_view(reply.body), rest})
      if (auto part = DecodeTasksPart(bytes)) {
        if (part->partitions.size() + part->queues.size() + part->tasks.size() > bytes.size()) std::abort();
        for (const auto& t : part->tasks) (void)t.json.dump();
      }
    // A node's part of the director's figures: every series one window
    // long (the window bounds what the gathering node allocates).
    for (std::string_view bytes : {std::string_view(reply.body), rest})
      if (auto part = DecodeEngagementPart(bytes)) {
        const EngagementScan& s = part->scan;
        if (s.buckets == 0 || s.buckets > kMaxEngagementBuckets || s.engaged.size() != s.buckets) std::abort();
        for (const auto& [name, c] : s.channels)
          if (c.actions.size() != s.buckets || c.role >= s.roles.size()) std::abort();
        for (const auto& [name, e] : s.events)
          if (e.count.size() != s.buckets || e.role >= s.roles.size()) std::abort();
        for (const auto& [name, j] : s.journeys)
          if (j.actions.size() != s.buckets) std::abort();
      }
    // A node's page of its delivery outbox, merged as the gathering node
    // merges it: never more than the page, and a cursor that reads back.
    for (std::string_view bytes : {std::string_view(reply.body), rest})
      if (auto part = DecodeActionsPart(bytes)) {
        size_t limit = 1 + bytes.size() % 5;
        ActionsPage page = MergeActionsParts({*part}, ActionsCursor{}, limit);
        if (page.actions.size() > limit || !ParseActionsCursor(page.next)) std::abort();
        // The actions a node holds, as POST /v1/outcomes reads them.
        for (const Json& action : part->actions) {
          auto fields = cluster::ReadActionFields(
              nlohmann::json::parse(action.dump(-1, ' ', false, Json::error_handler_t::replace), nullptr, false));
          if (fields && fields->idempotency_key.empty()) std::abort();
        }
      }
    // A node's part of an account's history page, merged as the gathering
    // node merges it: never more than the page.
    for (std::string_view bytes : {std::string_view(reply.body), rest})
      if (auto part = DecodeHistoryPart(bytes)) {
        size_t limit = 1 + bytes.size() % 5;
        HistoryPage page = MergeHistoryParts({*part, *part}, HistoryPlace{}, limit);
        if (page.entries.size() > limit) std::abort();
        if (!page.next.empty() && !ParseHistoryPlace(page.next)) std::abort();
      }
    return 0;
  }
  if (data[0] & 1) {
    DeliveryOutcome outcome = ReadWebhookAnswer(rest);
    if (!ValidUtf8(outcome.detail) || !ValidUtf8(outcome.code)) std::abort();
    return 0;
  }
  // SMTP: chunks of (data[0] >> 1) + 1 bytes.
  size_t chunk = (data[0] >> 1) + 1;
  SmtpReplyReader reader;
  std::string input;
  for (size_t at = 0; at < rest.size(); at += chunk) {
    input.append(rest.substr(at, chunk));
    for (;;) {
      SmtpReplyReader::State state = reader.Feed(input);
      if (state == SmtpReplyReader::State::kBad) {
        if (!ValidUtf8(reader.error())) std::abort();
        return 0;
      }
      if (state == SmtpReplyReader::State::kMore) break;
      std::string printed = reader.Printed();
      if (!ValidUtf8(printed) || printed.size() > 400) std::abort();
      if (reader.lines().size() > SmtpReplyReader::kMaxLines) std::abort();
      reader.Reset();
    }
    if (input.size() > SmtpReplyReader::kMaxLineBytes + chunk) std::abort();
  }
  return 0;
}
