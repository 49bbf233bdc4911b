// Templates at run time: a send of a declared template carries its approval
// and the content rendered for the recipient (holes from the step and the
// `with` fields, HTML escaped, the recipient's locale); content whose
// approval has run out, or that has none where a policy requires it, is
// suppressed at the send, naming why.

#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "tests/runtime/engine_fixture.h"

namespace tutti::runtime {
namespace {

constexpr const char* kRecords = R"(profile hcp { id: string key  name: string  locale: string?  consent: set<string> }
event launch keyed by hcp { hcp: string  plan: string }
channel email { kind message  to hcp }
channel sms { kind message  to hcp }
channel crm { kind webhook  to hcp }
channel letter { kind message  to hcp }
)";

constexpr const char* kTemplateDeclarations = R"(
template "welcome" for email {
  approved "MLR-1" until "2026-03-31"
  subject "Welcome, {hcp.name}"
  body "Your patients on {plan} can enrol. You asked on {asked}."
  html "<p>{hcp.name} &mdash; <b>{plan}</b></p>"
  locale "es" { subject "Bienvenido, {hcp.name}"  body "Sus pacientes de {plan}." }
  locale "fr-CA" { body "Vos patients de {plan}." }
}
template "draft" for sms {
  body "Not yet reviewed"
}
)";

struct Decisions {
  std::string out;
  size_t Count(const std::string& what) const {
    size_t n = 0;
    for (size_t at = out.find(what); at != std::string::npos; at = out.find(what, at + 1)) ++n;
    return n;
  }
};

Decisions Decide(const std::string& policy, const std::string& journey, const std::string& profiles,
           const std::string& events) {
  testing::EngineFixture f(std::vector<std::pair<std::string, std::string>>{
      {"p.tutti", std::string(kRecords) + policy + kTemplateDeclarations + journey}});
  return {std::regex_replace(f.Run(f.Decode(profiles, Accept::kProfiles), f.Decode(events, Accept::kEvents)),
                             std::regex(R"("version_id":"[0-9a-f]+",)"), "")};
}

constexpr const char* kJourney = R"(
journey welcome for hcp {
  on launch as l
  let asked = string(l.at)
  wait 1d
  send email "welcome" with { plan: l.plan + " <PPO>" }
}
)";

std::string Profile(const char* id, const char* extra = "") {
  return std::string(R"({"type": "hcp", "id": ")") + id + R"(", "name": "Dr. O'Neil & Co", "consent": ["email"])" +
         extra + "}\n";
}

std::string Launch(const char* id, const char* at) {
  return std::string(R"({"type": "launch", "hcp": ")") + id + R"(", "plan": "Empire", "at": ")" + at + "\"}\n";
}

TEST(Templates, ASendCarriesItsApprovalAndTheContentRenderedForTheRecipient) {
  Decisions r = Decide("", kJourney, Profile("h1"), Launch("h1", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(r.Count(R"("decision":"action")"), 1u) << r.out;
  // Holes from a `let` kept across the wait, from the customer and from
  // `with`; the text as it is, the HTML escaped.
  EXPECT_NE(r.out.find(R"("approval":"MLR-1","message":{"subject":"Welcome, Dr. O'Neil & Co",)"
                       R"("text":"Your patients on Empire <PPO> can enrol. You asked on 2026-03-02T10:00:00Z.",)"
                       R"("html":"<p>Dr. O&#39;Neil &amp; Co &mdash; <b>Empire &lt;PPO&gt;</b></p>"})"),
            std::string::npos)
      << r.out;
}

TEST(Templates, TheRecipientsLocalePicksTheContent) {
  Decisions r = Decide("", kJourney,
                 Profile("es", R"(, "locale": "es-MX")") + Profile("fr", R"(, "locale": "fr-CA")") +
                     Profile("de", R"(, "locale": "de")"),
                 Launch("es", "2026-03-02T10:00:00Z") + Launch("fr", "2026-03-02T10:00:00Z") +
                     Launch("de", "2026-03-02T10:00:00Z"));
  // es-MX: the language's block, its own subject, no HTML of its own.
  EXPECT_NE(r.out.find(R"("message":{"locale":"es","subject":"Bienvenido, Dr. O'Neil & Co","text":"Sus pacientes de Empire <PPO>."})"),
            std::string::npos)
      << r.out;
  // fr-CA: the exact tag; no subject of its own, so the default's.
  EXPECT_NE(r.out.find(R"("message":{"locale":"fr-CA","subject":"Welcome, Dr. O'Neil & Co","text":"Vos patients de Empire <PPO>."})"),
            std::string::npos)
      << r.out;
  // de: no block, the default content.
  EXPECT_NE(r.out.find(R"("customer":"de")"), std::string::npos);
  EXPECT_EQ(r.Count(R"("subject":"Welcome, Dr. O'Neil & Co","text":"Your patients)"), 1u) << r.out;
}

TEST(Templates, ContentWhoseApprovalRanOutIsSuppressedAtTheSend) {
  // Approved until the end of 2026-03-31 (UTC): the send on 03-31 goes,
  // the one a day later does not.
  Decisions r = Decide("", kJourney, Profile("h1") + Profile("h2"),
                 Launch("h1", "2026-03-30T10:00:00Z") + Launch("h2", "2026-03-31T10:00:00Z"));
  EXPECT_EQ(r.Count(R"("decision":"action")"), 1u) << r.out;
  EXPECT_NE(r.out.find(R"("decision":"suppressed","journey":"welcome","version":1,"customer":"h2","step":"send@24",)"
                       R"("cause":"timer","entered_by":2,"channel":"email","template":"welcome","to":"h2",)"
                       R"("rule":"approved \"MLR-1\" until \"2026-03-31\"","rule_at":"p.tutti:8:1",)"
                       R"("reason":"the approval MLR-1 of template \"welcome\" expired at the end of 2026-03-31"})"),
            std::string::npos)
      << r.out;
}

TEST(Templates, APolicyThatRequiresApprovalHoldsBackDraftsAndUndeclaredIds) {
  const char* journey = R"(
journey nudge for hcp {
  on launch
  send sms "draft"
  send letter "not-declared-{hcp.id}"
  send crm "case-type"
}
)";
  const char* policy = "policy contact { require approval for [sms, letter] }\n";
  Decisions r = Decide(policy, journey, Profile("h1"), Launch("h1", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(r.Count(R"("decision":"suppressed")"), 2u) << r.out;
  EXPECT_NE(r.out.find(R"("reason":"template \"draft\" has no approval, and 'sms' sends approved content only")"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(R"("reason":"\"not-declared-h1\" is not a declared template, and 'letter' sends approved content only")"),
            std::string::npos)
      << r.out;
  // A channel no rule covers sends its plain ids as before.
  EXPECT_NE(r.out.find(R"("decision":"action","journey":"nudge","version":1,"customer":"h1","step":"send@25")"),
            std::string::npos)
      << r.out;
  // Without the rule, the draft goes (with its content).
  Decisions free = Decide("", journey, Profile("h1"), Launch("h1", "2026-03-02T10:00:00Z"));
  EXPECT_EQ(free.Count(R"("decision":"action")"), 3u) << free.out;
  EXPECT_NE(free.out.find(R"("message":{"text":"Not yet reviewed"})"), std::string::npos) << free.out;
}

}  // namespace
}  // namespace tutti::runtime
