#pragma once
// What the engagement built-ins read: the interaction history of the
// customer they are asked about, and the engine's current time. The engine
// installs a HistoryView (ScopedHistoryView) around every evaluation it
// runs; outside a running journey (the conformance runner, `tutti check`)
// there is none and the built-ins return an error value.
//
// Thread-local, so each shard's thread sees its own engine.

#include <cstdint>
#include <functional>
#include <string_view>

#include "compiler/eval/value.h"

namespace tutti::stdlib {

/// One interaction as the built-ins see it.
struct InteractionView {
  int64_t at_nanos = 0;   // since the Unix epoch
  std::string_view name;  // the channel of an action, or the event type
  bool action = false;    // a journey acted, rather than an event arriving
};

class HistoryView {
 public:
  virtual ~HistoryView() = default;
  /// The engine's current time, in nanoseconds since the Unix epoch.
  virtual int64_t NowNanos() const = 0;
  /// Calls `fn` for each interaction of the customer whose profile record
  /// is `profile`, oldest first. False when the customer is not known.
  virtual bool ForEachInteraction(const compiler::eval::Value& profile,
                                  const std::function<void(const InteractionView&)>& fn) const = 0;
};

/// The built-ins that read a history (stdlib/engagement_impl.cc); their
/// first argument is the profile whose history they read.
inline constexpr std::string_view kHistoryFunctions[] = {"engagement", "interactions", "days_since_last_contact"};

/// The view installed on this thread, or null.
const HistoryView* CurrentHistoryView();

/// Installs `view` on this thread for its lifetime, restoring the previous
/// one after.
class ScopedHistoryView {
 public:
  explicit ScopedHistoryView(const HistoryView* view);
  ~ScopedHistoryView();
  ScopedHistoryView(const ScopedHistoryView&) = delete;
  ScopedHistoryView& operator=(const ScopedHistoryView&) = delete;

 private:
  const HistoryView* previous_;
};

}  // namespace tutti::stdlib
