// What webhook receivers and SMTP relays send back, read with limits
// (runtime/daemon/channels/peer_answers.h): a receiver's answer no further than its
// head (a body however long it says it is is never read), its status
// deciding the outcome, malformed, oversized or cut-short heads failing;
// an SMTP relay's replies line by line, in any pieces, each line, each
// reply's lines and bytes bounded, and what the relay said printed as
// valid UTF-8.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/text.h"
#include "runtime/daemon/actions_part.h"
#include "runtime/daemon/channels/peer_answers.h"
#include "runtime/daemon/engagement_scan.h"
#include "runtime/daemon/history_part.h"
#include "runtime/daemon/forward.h"
#include "runtime/daemon/journeys_part.h"
#include "runtime/daemon/tasks_part.h"

namespace tutti::runtime {
namespace {

using namespace std::string_literals;
using State = SmtpReplyReader::State;

// --- Webhook answers ------------------------------------------------------------

TEST(WebhookOutcome, DeliversOnA2xxOnly) {
  for (unsigned status : {200u, 201u, 202u, 204u, 299u}) {
    DeliveryOutcome o = WebhookOutcome(status);
    EXPECT_TRUE(o.ok) << status;
    EXPECT_EQ(o.code, "http " + std::to_string(status));
  }
  for (unsigned status : {100u, 199u, 300u, 301u, 400u, 404u, 429u, 500u, 503u, 999u}) {
    DeliveryOutcome o = WebhookOutcome(status);
    EXPECT_FALSE(o.ok) << status;
    EXPECT_EQ(o.code, "http " + std::to_string(status));
  }
}

TEST(ReadWebhookAnswer, DeliversA2xxAnswer) {
  const std::string answers[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\n\r\n",  // a status line only, then the end of the head
      "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 204 No Content\r\n\r\n",
      "HTTP/1.0 201 Created\r\nServer: test\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",  // a body cut short is never read
  };
  for (const std::string& answer : answers) {
    DeliveryOutcome o = ReadWebhookAnswer(answer);
    EXPECT_TRUE(o.ok) << Printable(answer) << ": " << o.detail;
  }
  DeliveryOutcome o = ReadWebhookAnswer(answers[0]);
  EXPECT_EQ(o.code, "http 200");
  EXPECT_EQ(o.detail, "delivered: answered 200");
}

TEST(ReadWebhookAnswer, DeliversAnAnswerThatSaysItsBodyIsATerabyte) {
  // The body is never read, nor room made for it.
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n";
  for (const std::string& answer : {head, head + "the start of a huge body"}) {
    DeliveryOutcome o = ReadWebhookAnswer(answer);
    EXPECT_TRUE(o.ok) << o.detail;
    EXPECT_EQ(o.code, "http 200") << o.detail;
  }
}

TEST(ReadWebhookAnswer, FailsOnAnErrorStatusWithItsCode) {
  struct Case {
    std::string answer, code;
  };
  const Case cases[] = {
      {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "http 500"},
      {"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\n\r\n", "http 503"},
      {"HTTP/1.1 404 Not Found\r\n\r\n", "http 404"},
      {"HTTP/1.1 301 Moved Permanently\r\nLocation: http://x/\r\n\r\n", "http 301"},
      {"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1000000000000\r\n\r\n", "http 500"},
  };
  for (const Case& c : cases) {
    DeliveryOutcome o = ReadWebhookAnswer(c.answer);
    EXPECT_FALSE(o.ok) << c.code;
    EXPECT_EQ(o.code, c.code);
    EXPECT_EQ(o.detail, "answered " + c.code.substr(5));
  }
}

TEST(ReadWebhookAnswer, FailsOnAHeadOver16KiB) {
  std::string big_header = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  std::string many_headers = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 2000; ++i) many_headers += "X-H" + std::to_string(i) + ": value\r\n";
  many_headers += "\r\n";
  ASSERT_GT(many_headers.size(), kMaxAnswerHeaderBytes);
  std::string endless = "HTTP/1.1 200 OK\r\nX-Endless: " + std::string(1 << 20, 'a');  // never ends its head
  for (const std::string& answer : {big_header, many_headers, endless}) {
    DeliveryOutcome o = ReadWebhookAnswer(answer);
    EXPECT_FALSE(o.ok) << answer.size();
    EXPECT_EQ(o.code, "bad answer") << answer.size();
  }
}

TEST(ReadWebhookAnswer, TakesAHeadJustUnder16KiB) {
  std::string answer = "HTTP/1.1 200 OK\r\nX-Big: ";
  answer += std::string(kMaxAnswerHeaderBytes - answer.size() - 100, 'a') + "\r\n\r\n";
  EXPECT_TRUE(ReadWebhookAnswer(answer).ok);
}

TEST(ReadWebhookAnswer, FailsOnGarbage) {
  const std::string answers[] = {
      "garbage\r\n\r\n",
      "\x00\x01\x02\x03\r\n\r\n"s,
      "HTTP/1.1 abc OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",
      "HTTP/1.1  200 OK\r\n\r\n",
      "HTTP/x.y 200 OK\r\n\r\n",
      "SMTP/1.1 200 OK\r\n\r\n",
      "220 smtp.example.com ESMTP\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\n",
      "\xff\xfe\xfd\r\n\r\n",
  };
  for (const std::string& answer : answers) {
    DeliveryOutcome o = ReadWebhookAnswer(answer);
    EXPECT_FALSE(o.ok) << Printable(answer);
    EXPECT_EQ(o.code, "bad answer") << Printable(answer);
    EXPECT_TRUE(ValidUtf8(o.detail)) << Printable(o.detail);
  }
}

TEST(ReadWebhookAnswer, FailsOnAnAnswerCutShort) {
  const std::string answers[] = {
      "",
      "H",
      "HTTP/1.1",
      "HTTP/1.1 200",
      "HTTP/1.1 200 OK",
      "HTTP/1.1 200 OK\r\n",  // a status line only, the head not ended
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r",
  };
  for (const std::string& answer : answers) {
    DeliveryOutcome o = ReadWebhookAnswer(answer);
    EXPECT_FALSE(o.ok) << Printable(answer);
    EXPECT_EQ(o.code, "bad answer") << Printable(answer);
  }
}

TEST(ReadWebhookAnswer, NeverCrashesOnAnyPrefixOrMutationOfAnAnswer) {
  const std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"ok\": true}";
  for (size_t n = 0; n <= answer.size(); ++n) (void)ReadWebhookAnswer(answer.substr(0, n));
  for (size_t i = 0; i < answer.size(); ++i) {
    for (int b : {0, 0x0a, 0x0d, 0x20, 0x3a, 0x7f, 0x80, 0xff}) {
      std::string mutated = answer;
      mutated[i] = static_cast<char>(b);
      DeliveryOutcome o = ReadWebhookAnswer(mutated);
      EXPECT_TRUE(ValidUtf8(o.detail));
    }
  }
}

// --- SMTP replies -------------------------------------------------------------

TEST(ForwardedAnswer, PassesOnAnOwnersAnswerAndNothingElseOfIt) {
  Reply r = ForwardedAnswer("HTTP/1.1 404 Not Found\r\nContent-Type: application/problem+json\r\n"
                            "Set-Cookie: x=1\r\nContent-Length: 2\r\n\r\n{}",
                            "node-b");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_TRUE(r.headers.empty()) << "only Retry-After is passed on";
  r = ForwardedAnswer("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Type: text/html\r\n"
                      "Content-Length: 0\r\n\r\n",
                      "node-b");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].second, "5");
}

TEST(ForwardedAnswer, AnAnswerThatIsNotOneIsA503ToTryAgain) {
  std::string huge = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kMaxForwardedBytes + 1) + "\r\n\r\n";
  for (std::string bad : {"garbage"s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"s, huge,
                          "HTTP/1.1 101 Switching Protocols\r\n\r\n"s, "HTTP/1.1 200 OK\r\n"s + std::string(70000, 'x')}) {
    Reply r = ForwardedAnswer(bad, "node-b");
    EXPECT_EQ(r.status, 503) << bad.substr(0, 60);
    EXPECT_NE(r.body.find("node-b"), std::string::npos);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Retry-After");
  }
}

TEST(JourneysPart, ReadsBackAndRefusesWhatIsNotOne) {
  JourneysPart part;
  part.partitions = {1, 4};
  part.now = 1767225600000000000;
  part.journeys.push_back({"welcome", "v2-abc", JourneysPart::kPaused, 7, {0, 3, 4}, std::string("\x09\x00\xff", 3)});
  std::string bytes = EncodeJourneysPart(part);
  auto back = DecodeJourneysPart(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partitions, part.partitions);
  EXPECT_EQ(back->now, part.now);
  ASSERT_EQ(back->journeys.size(), 1u);
  EXPECT_EQ(back->journeys[0].name, "welcome");
  EXPECT_EQ(back->journeys[0].status, JourneysPart::kPaused);
  EXPECT_EQ(back->journeys[0].waiting, (std::vector<int64_t>{0, 3, 4}));
  EXPECT_EQ(back->journeys[0].stats, part.journeys[0].stats);
  // Cut anywhere, or with a byte more, or another status: not a part.
  for (size_t cut = 0; cut < bytes.size(); ++cut) EXPECT_FALSE(DecodeJourneysPart(bytes.substr(0, cut))) << cut;
  EXPECT_FALSE(DecodeJourneysPart(bytes + "x"));
  part.journeys[0].status = 3;
  EXPECT_FALSE(DecodeJourneysPart(EncodeJourneysPart(part)));
}

TEST(TasksPart, ReadsBackAndRefusesWhatIsNotOne) {
  TasksPart part;
  part.partitions = {0, 5};
  part.now = 1767225600000000000;
  part.queues.push_back({"staff-msl-01", "Dana Ortiz", "msl", 3, 1, 1767312000000000000});
  part.queues.push_back({"", "", "call_center", 2, 0, std::nullopt});
  part.roles.push_back({"msl", 3, 1});
  part.closed = 9;
  part.reassigned = 1;
  part.forgotten = 0;
  part.matching = 5;
  part.tasks.push_back({INT64_MAX, 1767225500000000000, "k-1", nullptr, nullptr, {{"id", "k-1"}, {"kind", "case"}}});
  std::string text = EncodeTasksPart(part);
  auto back = DecodeTasksPart(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partitions, part.partitions);
  EXPECT_EQ(back->now, part.now);
  ASSERT_EQ(back->queues.size(), 2u);
  EXPECT_EQ(back->queues[0].name, "Dana Ortiz");
  EXPECT_EQ(back->queues[0].next_due, part.queues[0].next_due);
  EXPECT_FALSE(back->queues[1].next_due);
  EXPECT_EQ(back->roles[0].overdue, 1);
  EXPECT_EQ(back->closed, 9);
  EXPECT_EQ(back->matching, 5);
  ASSERT_EQ(back->tasks.size(), 1u);
  EXPECT_EQ(back->tasks[0].key, INT64_MAX);
  EXPECT_EQ(back->tasks[0].id, "k-1");
  EXPECT_EQ(back->tasks[0].json, part.tasks[0].json);
  // Cut anywhere, a negative or fractional count, a partition out of
  // range, a task without an id: not a share.
  for (size_t cut = 0; cut < text.size(); ++cut) EXPECT_FALSE(DecodeTasksPart(text.substr(0, cut))) << cut;
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"matching\":5", "\"matching\":-5"}, {"\"matching\":5", "\"matching\":5.5"},
           {"[0,5]", "[0,100000]"}, {"{\"id\":\"k-1\"", "{\"di\":\"k-1\""}, {"[9,1,0]", "[9,1]"}}) {
    std::string bad = text;
    ASSERT_NE(bad.find(from), std::string::npos) << from << " in " << text;
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(DecodeTasksPart(bad)) << to;
  }
}

TEST(EngagementPart, ReadsBackAndRefusesWhatIsNotOne) {
  EngagementPart part;
  part.partitions = {1, 4};
  EngagementScan& s = part.scan;
  s.window = {1767225600000000000, 1767225600000000000 + 14 * kNanosPerDay, 7 * kNanosPerDay};
  s.buckets = 2;
  s.roles = {"field", "marketing", "other"};
  s.channels["email"] = {1, {3, 4}};
  s.events["email_opened"] = {1, true, {2, 0}};
  s.events["rx_written"] = {2, false, {0, 9}};
  s.journeys["welcome"] = {{3, 4}, 5, 2};
  s.role_actions = {{0, 0}, {3, 4}, {0, 0}};
  s.role_responses = {{0, 0}, {2, 0}, {0, 0}};
  s.engaged = {2, 0};
  s.engaged_total = 2;
  auto& a = s.accounts["acct-empire"];
  a.name = "Empire Health";
  a.kind = "managed_care";
  a.prescribers = 40;
  a.formulary_wins = 1;
  a.specialties = {{"endocrinology", 12}, {"", 3}};
  a.campaigns["welcome"] = {5, 2, 1767225700000000000};
  a.campaigns["never"] = {0, 0, INT64_MAX};
  std::string text = EncodeEngagementPart(part);
  auto back = DecodeEngagementPart(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partitions, part.partitions);
  const EngagementScan& b = back->scan;
  EXPECT_EQ(b.window, s.window);
  EXPECT_EQ(b.buckets, 2u);
  EXPECT_EQ(b.roles, s.roles);
  EXPECT_EQ(b.channels.at("email").actions, (std::vector<uint64_t>{3, 4}));
  EXPECT_TRUE(b.events.at("email_opened").response);
  EXPECT_EQ(b.events.at("rx_written").role, 2u);
  EXPECT_EQ(b.journeys.at("welcome").customers, 5u);
  EXPECT_EQ(b.role_actions, s.role_actions);
  EXPECT_EQ(b.engaged, s.engaged);
  const auto& back_account = b.accounts.at("acct-empire");
  EXPECT_EQ(back_account.name, "Empire Health");
  EXPECT_EQ(back_account.specialties, a.specialties);
  EXPECT_EQ(back_account.campaigns.at("welcome").first, 1767225700000000000);
  EXPECT_EQ(back_account.campaigns.at("never").first, INT64_MAX);
  // Cut anywhere; a series of the wrong length; a role out of range; a
  // window of more than 1,000 buckets, of buckets neither days nor weeks,
  // or backwards; a negative count.
  for (size_t cut = 0; cut < text.size(); ++cut) EXPECT_FALSE(DecodeEngagementPart(text.substr(0, cut))) << cut;
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"[\"email\",1,[3,4]]", "[\"email\",1,[3,4,5]]"},
           {"[\"email\",1,[3,4]]", "[\"email\",3,[3,4]]"},
           {"604800000000000]", "1]"},
           {"604800000000000]", "172800000000000]"},
           {"[1767225600000000000,", "[1767225600000000000000,"},
           {"[1767225600000000000,", "[1768435200000000001,"},
           {"\"engaged_total\":2", "\"engaged_total\":-2"},
           {"[1,4]", "[1,100000]"},
           {"5,2,1767225700000000000]", "5,2,\"soon\"]"}}) {
    std::string bad = text;
    ASSERT_NE(bad.find(from), std::string::npos) << from << " in " << text;
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(DecodeEngagementPart(bad)) << to;
  }
}

/// A part of partitions `partitions` with an entry at each of `places`.
HistoryPart PartWith(std::vector<int32_t> partitions, std::vector<HistoryPlace> places) {
  HistoryPart part;
  part.partitions = std::move(partitions);
  part.found = true;
  for (const HistoryPlace& p : places)
    part.entries.push_back({p, {{"at", std::to_string(p.at)}, {"p", p.partition}, {"n", p.n}}});
  return part;
}

TEST(HistoryPart, PagesMergeByTimePartitionAndPlaceUpToWherePartsStopped) {
  // Partition 0 and 3 on one node, 1 on another; two entries at instant 5.
  HistoryPart x = PartWith({0, 3}, {{5, 0, 1}, {9, 0, 1}, {5, 3, 1}, {5, 3, 2}});
  HistoryPart y = PartWith({1}, {{2, 1, 1}, {5, 1, 1}});
  auto page = MergeHistoryParts({x, y}, HistoryPlace{}, 4);
  ASSERT_EQ(page.entries.size(), 4u);
  EXPECT_EQ(page.entries[0]["p"], 1);  // at 2
  EXPECT_EQ(page.entries[1]["p"], 0);  // at 5: partition 0, then 1, then 3
  EXPECT_EQ(page.entries[2]["p"], 1);
  EXPECT_EQ(page.entries[3]["p"], 3);
  EXPECT_EQ(page.next, "c5.3.1");
  EXPECT_EQ(ParseHistoryPlace(page.next), (HistoryPlace{5, 3, 1}));
  // Everything fits: no next page.
  EXPECT_EQ(MergeHistoryParts({x, y}, HistoryPlace{}, 6).next, "");
  EXPECT_EQ(MergeHistoryParts({x, y}, HistoryPlace{}, 6).entries.size(), 6u);
  // What a part sends at or before the cursor (a confused peer) is left out.
  EXPECT_EQ(MergeHistoryParts({x, y}, HistoryPlace{5, 1, 1}, 6).entries.size(), 3u);
  // A part that stopped reading at (5, 1, 1): nothing after it is known.
  y.stops.push_back({5, 1, 1});
  page = MergeHistoryParts({x, y}, HistoryPlace{}, 6);
  EXPECT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(page.next, "c5.1.1");
  // Read back from a node's answer; refused when cut anywhere, or naming a
  // partition it does not hold, or an entry counted from 0.
  std::string text = EncodeHistoryPart(y);
  auto back = DecodeHistoryPart(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partitions, y.partitions);
  EXPECT_TRUE(back->found);
  ASSERT_EQ(back->entries.size(), 2u);
  EXPECT_EQ(back->entries[1].place, (HistoryPlace{5, 1, 1}));
  EXPECT_EQ(back->entries[1].json, y.entries[1].json);
  EXPECT_EQ(back->stops, y.stops);
  for (size_t cut = 0; cut < text.size(); ++cut) EXPECT_FALSE(DecodeHistoryPart(text.substr(0, cut))) << cut;
  for (auto [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"[[2,1,1]", "[[2,2,1]"}, {"[[2,1,1]", "[[2,1,0]"}, {"\"found\":true", "\"found\":1"},
           {"[1]", "[100000]"}}) {
    std::string bad = text;
    ASSERT_NE(bad.find(from), std::string::npos) << from << " in " << text;
    bad.replace(bad.find(from), from.size(), to);
    EXPECT_FALSE(DecodeHistoryPart(bad)) << to;
  }
  // Cursors: the API's own, or refused.
  EXPECT_EQ(ParseHistoryPlace(""), HistoryPlace{});
  EXPECT_EQ(ParseHistoryPlace("c-5.-1.0"), (HistoryPlace{-5, -1, 0}));
  for (const char* bad : {"5.3.1", "c5.3", "c5.3.1.2", "c5.-2.1", "c5.100000.1", "cx.1.1", "c5.1.-1", "j00"})
    EXPECT_FALSE(ParseHistoryPlace(bad)) << bad;
}

TEST(ActionsPart, NodesPagesMergeInTheOrderActionsWereMadeWithOneCursor) {
  auto action = [](const char* at, int seq) {
    return std::string(R"({"at":")") + at + R"(","idempotency_key":"k)" + std::to_string(seq) + R"(","seq":)" +
           std::to_string(seq) + R"(,"delivery":"delivered"})";
  };
  std::string a = EncodeActionsPart("node-a", "00ff", {action("2026-03-02T10:00:00Z", 4), action("2026-03-02T12:00:00Z", 5)},
                                    9, 3);
  std::string b = EncodeActionsPart("node-b", "abcd", {action("2026-03-02T11:00:00Z", 1), action("2026-03-02T10:00:00.5Z", 7)},
                                    7, 0);
  auto pa = DecodeActionsPart(a), pb = DecodeActionsPart(b);
  ASSERT_TRUE(pa && pb);
  EXPECT_EQ(pa->node, "node-a");
  EXPECT_EQ(pa->next, 9u);
  EXPECT_EQ(pa->trimmed, 3u);
  ActionsCursor start;
  // Three of four: the earliest of the nodes' next actions each time, each
  // node's in its own order (b's 7 was made before its 1, by another
  // partition's clock, and comes after it).
  ActionsPage page = MergeActionsParts({*pa, *pb}, start, 3);
  ASSERT_EQ(page.actions.size(), 3u);
  EXPECT_EQ(page.actions[0]["idempotency_key"], "k4");
  EXPECT_EQ(page.actions[1]["idempotency_key"], "k1");
  EXPECT_EQ(page.actions[2]["idempotency_key"], "k7");
  EXPECT_EQ(page.actions[2]["node"], "node-b");
  EXPECT_EQ(page.trimmed, 3u);
  // a's place is its last shown (4), b's the last it looked at (7).
  auto next = ParseActionsCursor(page.next);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->nodes.at("node-a").seq, 4u);
  EXPECT_EQ(next->nodes.at("node-a").incarnation, "00ff");
  EXPECT_EQ(next->nodes.at("node-b").seq, 7u);
  EXPECT_EQ(FormatActionsCursor(*next), page.next);
  // All four: every node's place is the last it looked at.
  next = ParseActionsCursor(MergeActionsParts({*pa, *pb}, start, 10).next);
  EXPECT_EQ(next->nodes.at("node-a").seq, 9u);
  // Cursors: the API's, or refused.
  EXPECT_TRUE(ParseActionsCursor(""));
  EXPECT_TRUE(ParseActionsCursor("0"));
  EXPECT_TRUE(ParseActionsCursor("c"));  // no node had any
  for (const char* bad : {"12", "cxx.00ff.1", "c6e.00ff", "c6e.zz.1", "c6e.00ff.-1", "c6e.00ff.1-6e.00ff.2"})
    EXPECT_FALSE(ParseActionsCursor(bad)) << bad;
  // A part cut anywhere, or with an action without its number: refused.
  for (size_t cut = 0; cut < a.size(); ++cut) EXPECT_FALSE(DecodeActionsPart(a.substr(0, cut))) << cut;
  std::string bad = a;
  bad.replace(bad.find(",\"seq\":4"), 8, "");
  EXPECT_FALSE(DecodeActionsPart(bad)) << bad;
}

TEST(SmtpReplyReader, ReadsASingleLineReply) {
  SmtpReplyReader reader;
  std::string input = "250 OK\r\n";
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.code(), 250);
  EXPECT_EQ(reader.lines(), std::vector<std::string>{"OK"});
  EXPECT_EQ(input, "");
  EXPECT_EQ(reader.Printed(), "250 OK");
}

TEST(SmtpReplyReader, ReadsAReplyOfACodeAlone) {
  SmtpReplyReader reader;
  std::string input = "354\r\n";
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.code(), 354);
  EXPECT_EQ(reader.lines(), std::vector<std::string>{""});
}

TEST(SmtpReplyReader, ReadsAMultiLineReply) {
  SmtpReplyReader reader;
  std::string input = "250-smtp.example.com greets you\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n";
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.code(), 250);
  EXPECT_EQ(reader.lines(),
            (std::vector<std::string>{"smtp.example.com greets you", "PIPELINING", "STARTTLS", "8BITMIME"}));
  EXPECT_EQ(reader.Printed(), "250 smtp.example.com greets you PIPELINING STARTTLS 8BITMIME");
}

TEST(SmtpReplyReader, LeavesTheBytesAfterTheReply) {
  SmtpReplyReader reader;
  std::string input = "250 OK\r\n354 go ahead\r\n";
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(input, "354 go ahead\r\n");
  reader.Reset();
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.code(), 354);
  EXPECT_EQ(reader.lines(), std::vector<std::string>{"go ahead"});
}

TEST(SmtpReplyReader, ReadsAReplySplitOverSeveralFeeds) {
  const std::vector<std::string> pieces = {"25", "0-first\r", "\n250", "-second\r\n2", "50 last", "\r", "\n"};
  SmtpReplyReader reader;
  std::string buffer;
  for (size_t i = 0; i < pieces.size(); ++i) {
    buffer += pieces[i];
    EXPECT_EQ(reader.Feed(buffer), i + 1 == pieces.size() ? State::kDone : State::kMore) << i;
  }
  EXPECT_EQ(reader.lines(), (std::vector<std::string>{"first", "second", "last"}));
  EXPECT_EQ(buffer, "");
}

TEST(SmtpReplyReader, ReadsAReplyFedOneByteAtATime) {
  const std::string reply = "220-relay.example.com ESMTP\r\n220-no UCE\r\n220 ready\r\n";
  SmtpReplyReader reader;
  std::string buffer;
  for (size_t i = 0; i < reply.size(); ++i) {
    buffer += reply[i];
    ASSERT_EQ(reader.Feed(buffer), i + 1 == reply.size() ? State::kDone : State::kMore) << i;
  }
  EXPECT_EQ(reader.code(), 220);
  EXPECT_EQ(reader.lines().size(), 3u);
}

TEST(SmtpReplyReader, RefusesALineOverTheLimit) {
  const size_t limit = SmtpReplyReader::kMaxLineBytes;
  // Ended or not: a relay cannot make the reader hold an endless line.
  for (const std::string& input : {"250 " + std::string(limit - 3, 'a') + "\r\n", "250 " + std::string(5000, 'a'),
                                   std::string(limit + 1, 'a'), "250-ok\r\n250 " + std::string(1 << 20, 'a')}) {
    SmtpReplyReader reader;
    std::string buffer = input;
    EXPECT_EQ(reader.Feed(buffer), State::kBad) << input.size();
    EXPECT_FALSE(reader.error().empty());
  }
}

TEST(SmtpReplyReader, TakesALineOfExactlyTheLimit) {
  const std::string line = "250 " + std::string(SmtpReplyReader::kMaxLineBytes - 4, 'a');
  ASSERT_EQ(line.size(), SmtpReplyReader::kMaxLineBytes);
  SmtpReplyReader whole;
  std::string buffer = line + "\r\n";
  EXPECT_EQ(whole.Feed(buffer), State::kDone);

  // However it arrives: the same bytes give the same answer.
  for (size_t cut : {size_t{10}, line.size(), line.size() + 1}) {
    SmtpReplyReader reader;
    std::string split = line + "\r\n";
    std::string first = split.substr(0, cut);
    EXPECT_EQ(reader.Feed(first), State::kMore) << "cut at " << cut << ": " << reader.error();
    first += split.substr(cut);
    EXPECT_EQ(reader.Feed(first), State::kDone) << "cut at " << cut << ": " << reader.error();
  }
}

TEST(SmtpReplyReader, TakesAtMost256LinesInAReply) {
  auto reply = [](size_t lines) {
    std::string r;
    for (size_t i = 1; i < lines; ++i) r += "250-line " + std::to_string(i) + "\r\n";
    return r + "250 last\r\n";
  };
  SmtpReplyReader reader;
  std::string input = reply(SmtpReplyReader::kMaxLines);
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.lines().size(), SmtpReplyReader::kMaxLines);

  SmtpReplyReader over;
  input = reply(SmtpReplyReader::kMaxLines + 1);
  EXPECT_EQ(over.Feed(input), State::kBad);
  EXPECT_EQ(over.error(), "the relay's reply is too long");

  // An endless reply, fed in pieces, is refused too.
  SmtpReplyReader endless;
  std::string buffer;
  State state = State::kMore;
  for (int i = 0; i < 100000 && state == State::kMore; ++i) {
    buffer += "250-more\r\n";
    state = endless.Feed(buffer);
  }
  EXPECT_EQ(state, State::kBad);
}

TEST(SmtpReplyReader, TakesAtMost64KiBInAReply) {
  std::string input;
  for (int i = 0; i < 20; ++i) input += "250-" + std::string(4000, 'a') + "\r\n";
  input += "250 end\r\n";
  SmtpReplyReader reader;
  EXPECT_EQ(reader.Feed(input), State::kBad);
  EXPECT_EQ(reader.error(), "the relay's reply is too long");
}

TEST(SmtpReplyReader, RefusesACodeThatChangesBetweenLines) {
  for (const std::string& reply : {"250-a\r\n251 b\r\n"s, "250-a\r\n250-b\r\n550 c\r\n"s, "220-a\r\n250 b\r\n"s}) {
    SmtpReplyReader reader;
    std::string input = reply;
    EXPECT_EQ(reader.Feed(input), State::kBad) << Printable(reply);
    EXPECT_EQ(reader.error(), "the relay's reply changes its code between lines");
  }
}

TEST(SmtpReplyReader, RefusesMalformedLines) {
  for (const std::string& line : {"hello\r\n"s, "25\r\n"s, "2\r\n"s, "\r\n"s, "2500 x\r\n"s, "250x\r\n"s,
                                  "250_ok\r\n"s, " 250 ok\r\n"s, "abc def\r\n"s, "25a ok\r\n"s, "-250 ok\r\n"s,
                                  "\xff\xfe\xfd ok\r\n"s, "\x00\x00\x00 ok\r\n"s, "250-ok\r\nnot a line\r\n"s}) {
    SmtpReplyReader reader;
    std::string input = line;
    EXPECT_EQ(reader.Feed(input), State::kBad) << Printable(line);
    EXPECT_FALSE(reader.error().empty());
    EXPECT_TRUE(ValidUtf8(reader.error()));
  }
}

TEST(SmtpReplyReader, ForgetsTheLastReplyOnReset) {
  SmtpReplyReader reader;
  std::string input = "250-a\r\n250 b\r\n";
  ASSERT_EQ(reader.Feed(input), State::kDone);
  reader.Reset();
  EXPECT_EQ(reader.code(), 0);
  EXPECT_TRUE(reader.lines().empty());
  EXPECT_TRUE(reader.error().empty());
  input = "550 no such user\r\n";  // another code: a new reply
  EXPECT_EQ(reader.Feed(input), State::kDone);
  EXPECT_EQ(reader.code(), 550);
  EXPECT_EQ(reader.lines(), std::vector<std::string>{"no such user"});
}

TEST(SmtpReplyReader, PrintsWhatTheRelaySaidAsBoundedValidUtf8) {
  SmtpReplyReader reader;
  std::string input = "550-user \xff\xfe unknown\r\n550-\x1b[2J\x07 caf\xc3\xa9\r\n550 \xed\xa0\x80\xc0\xaf\r\n";
  ASSERT_EQ(reader.Feed(input), State::kDone) << reader.error();
  std::string printed = reader.Printed();
  EXPECT_TRUE(ValidUtf8(printed)) << Printable(printed);
  EXPECT_NE(printed.find("\\xff\\xfe"), std::string::npos) << printed;
  EXPECT_NE(printed.find("\\x1b[2J\\x07"), std::string::npos) << printed;
  EXPECT_NE(printed.find("caf\xc3\xa9"), std::string::npos) << printed;
  for (unsigned char c : printed) EXPECT_GE(c, 0x20);

  SmtpReplyReader chatty;
  input.clear();
  for (int i = 0; i < 200; ++i) input += "250-" + std::string(300, '\xff') + "\r\n";
  input += "250 end\r\n";
  ASSERT_EQ(chatty.Feed(input), State::kDone) << chatty.error();
  printed = chatty.Printed();
  EXPECT_TRUE(ValidUtf8(printed));
  EXPECT_LE(printed.size(), 310u);
}

}  // namespace
}  // namespace tutti::runtime
