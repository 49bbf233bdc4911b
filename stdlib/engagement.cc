// Scores read from a customer's interaction history: what `choose best by`
// and audience predicates use to recommend a channel or journey.

#include <cstdio>
#include <cstdlib>

#include "stdlib/impl.h"
#include "stdlib/stdlib.h"

namespace tutti::stdlib {

void RegisterEngagementFunctions(BuiltinRegistry& r) {
  const char* f = "engagement";
  Declare(r, f, "engagement(profile, string) -> double",
          "How engaged the customer is with a channel (or a recommendation option named like "
          "one), from -1 to 1: recent opens, clicks, replies and completed visits weigh up, "
          "bounces, unsubscribes and ignored messages weigh down (below 0 when the channel is "
          "failing), decaying over 90 days. A customer's stated preferred_channel adds 0.2.");
  Declare(r, f, "interactions(profile, string, duration) -> int",
          "How many interactions of a kind (an event name such as \"email_opened\", or a "
          "channel name for actions sent on it) the customer had within the window before now.");
  Declare(r, f, "days_since_last_contact(profile) -> int",
          "Whole days since the last action any journey took for the customer; a large number "
          "(36500) if there was none.");
  // What their string arguments name, so that a typo is a warning rather
  // than a count or a score of 0 for everyone.
  std::string error = r.Name("interactions(profile, string, duration)",
                             {1, true, true, {"task", "notify"}, "an event, a channel, \"task\" or \"notify\""});
  if (error.empty())
    error = r.Name("engagement(profile, string)", {1, false, true, EngagementOptions(), "a channel or an option "
                                                                                          "engagement() has signals for"});
  if (!error.empty()) {
    std::fprintf(stderr, "internal error in stdlib/engagement: %s\n", error.c_str());
    std::abort();
  }
}

}  // namespace tutti::stdlib
