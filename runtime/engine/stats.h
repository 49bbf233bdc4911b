#pragma once
// Counters the engine keeps per journey, for the summary `tutti simulate`
// prints and the daemon's metrics.

#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti::runtime {

/// One arm of a split or `choose best`: the customers who took it and how
/// many of them then reached the journey's goal.
struct ArmStats {
  int64_t customers = 0;
  int64_t goals = 0;
  bool operator==(const ArmStats&) const = default;
};

/// Times from entry to goal, bucketed: to the hour under two days, then to
/// the day, the last bucket everything from 400 days on.
inline constexpr size_t kGoalBuckets = 48 + 398 + 1;
/// The bucket of a time to goal (nanoseconds, never negative).
inline size_t GoalBucket(int64_t nanos) {
  int64_t hours = nanos / (3600 * int64_t{1000000000});
  if (hours < 48) return static_cast<size_t>(hours);
  int64_t days = hours / 24;
  return days >= 400 ? kGoalBuckets - 1 : static_cast<size_t>(48 + days - 2);
}
/// The bucket's upper end, as text: "5h" (goals within 5 hours), "12d".
inline std::string GoalBucketText(size_t bucket) {
  if (bucket < 48) return std::to_string(bucket + 1) + "h";
  if (bucket + 1 == kGoalBuckets) return "400d+";
  return std::to_string(bucket - 48 + 3) + "d";
}

/// The time within which a share `q` (0.5: the median) of the goals in
/// `goal_after` (counts by GoalBucket) came, as GoalBucketText; empty when
/// there are none.
inline std::string TimeToGoal(const std::vector<int64_t>& goal_after, double q) {
  int64_t total = 0;
  for (int64_t n : goal_after) total += n;
  if (total == 0) return "";
  int64_t seen = 0;
  for (size_t b = 0; b < goal_after.size(); ++b) {
    seen += goal_after[b];
    if (static_cast<double>(seen) >= q * static_cast<double>(total)) return GoalBucketText(b);
  }
  return GoalBucketText(goal_after.size() - 1);
}

/// Counts by name: a journey's actions by channel, its suppressions by
/// rule. A journey has a handful of each, counted at every send, so they
/// are kept in one flat vector in the names' order (a search of a few
/// entries, without a tree's node per name), and iterated as a std::map's
/// (name, count) pairs are.
class NamedCounts {
 public:
  using Entry = std::pair<std::string, int64_t>;

  /// The count of `name`, added as 0 if new.
  int64_t& operator[](std::string_view name) {
    if (entries_.size() <= kScanned) {
      for (Entry& e : entries_)
        if (e.first.size() == name.size() && e.first == name) return e.second;
    }
    auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                               [](const Entry& e, std::string_view n) { return e.first < n; });
    if (it != entries_.end() && it->first == name) return it->second;
    return entries_.insert(it, Entry(std::string(name), 0))->second;
  }
  /// The count of `name`; 0 if it has none.
  int64_t Of(std::string_view name) const {
    for (const Entry& e : entries_)
      if (e.first == name) return e.second;
    return 0;
  }

  /// Counts read from outside (a snapshot, another node), in any order; a
  /// name given twice keeps its last count. O(n log n) however many names
  /// come, where adding them one by one would be quadratic.
  static NamedCounts FromList(std::vector<Entry> entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.first < b.first; });
    NamedCounts out;
    for (Entry& e : entries) {
      if (!out.entries_.empty() && out.entries_.back().first == e.first) out.entries_.back().second = e.second;
      else out.entries_.push_back(std::move(e));
    }
    return out;
  }

  /// Adds `other`'s counts. When all its names are here already (a
  /// window's days of one journey, mostly), in place with no allocation;
  /// else one merge of the two lists in name order.
  NamedCounts& operator+=(const NamedCounts& other) {
    if (&other == this) {
      for (Entry& e : entries_) e.second *= 2;
      return *this;
    }
    auto here = [&](auto add) {
      auto mine = entries_.begin();
      for (const Entry& theirs : other.entries_) {
        while (mine != entries_.end() && mine->first < theirs.first) ++mine;
        if (mine == entries_.end() || mine->first != theirs.first) return false;
        add(*mine++, theirs);
      }
      return true;
    };
    if (here([](const Entry&, const Entry&) {})) {
      here([](Entry& mine, const Entry& theirs) { mine.second += theirs.second; });
      return *this;
    }
    std::vector<Entry> merged;
    merged.reserve(entries_.size() + other.entries_.size());
    auto mine = entries_.begin();
    for (const Entry& theirs : other.entries_) {
      while (mine != entries_.end() && mine->first < theirs.first) merged.push_back(std::move(*mine++));
      if (mine != entries_.end() && mine->first == theirs.first) {
        merged.push_back(std::move(*mine++));
        merged.back().second += theirs.second;
      } else {
        merged.push_back(theirs);
      }
    }
    while (mine != entries_.end()) merged.push_back(std::move(*mine++));
    entries_ = std::move(merged);
    return *this;
  }

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  void clear() { entries_.clear(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }
  bool operator==(const NamedCounts&) const = default;

 private:
  static constexpr size_t kScanned = 8;  // up to this many, a scan by length first beats a binary search
  std::vector<Entry> entries_;  // sorted by name, each name once
};

/// Arms by step (JourneyStats::arms), `theirs` added to `mine`.
inline void AddArms(std::map<uint32_t, std::vector<ArmStats>>& mine,
                    const std::map<uint32_t, std::vector<ArmStats>>& theirs) {
  for (const auto& [step, arms] : theirs) {
    std::vector<ArmStats>& to = mine[step];
    if (to.size() < arms.size()) to.resize(arms.size());
    for (size_t a = 0; a < arms.size(); ++a) {
      to[a].customers += arms[a].customers;
      to[a].goals += arms[a].goals;
    }
  }
}

/// Counts by index, `theirs` added to `mine` (which grows to fit).
inline void AddCounts(std::vector<int64_t>& mine, const std::vector<int64_t>& theirs) {
  if (mine.size() < theirs.size()) mine.resize(theirs.size());
  for (size_t i = 0; i < theirs.size(); ++i) mine[i] += theirs[i];
}

/// One UTC day of a journey's counts, for its analytics over a time window
/// (JourneyStats::days): what happened that day, whenever the instances
/// concerned entered. The arms are the exception: a goal counts on the day
/// its customer took the arm, so that a window's arms say how many of the
/// customers who took each arm in it have reached the goal since.
struct DayStats {
  int64_t day = 0;  // days since 1970-01-01, UTC
  int64_t entered = 0, completed = 0, exited = 0, goals = 0, failed = 0, errors = 0, deferred = 0, unassigned = 0;
  NamedCounts actions;     // by channel, "task" or "notify"
  NamedCounts suppressed;  // by rule text
  /// Steps reached that day, by step index; empty until one is.
  std::vector<int64_t> step_visits;
  /// The arms of splits, `choose best`s and waits taken that day, as
  /// JourneyStats::arms.
  std::map<uint32_t, std::vector<ArmStats>> arms;
  /// That day's goals by GoalBucket of their time from entry; as long as
  /// its last bucket with a goal.
  std::vector<int64_t> goal_after;

  DayStats& operator+=(const DayStats& other) {
    entered += other.entered;
    completed += other.completed;
    exited += other.exited;
    goals += other.goals;
    failed += other.failed;
    errors += other.errors;
    deferred += other.deferred;
    unassigned += other.unassigned;
    actions += other.actions;
    suppressed += other.suppressed;
    AddCounts(step_visits, other.step_visits);
    AddArms(arms, other.arms);
    AddCounts(goal_after, other.goal_after);
    return *this;
  }
  bool operator==(const DayStats&) const = default;
};

/// How many days JourneyStats::days keeps (the history's retention).
inline constexpr int64_t kStatsDaysKept = 400;

/// The UTC day of an instant (nanoseconds since 1970), rounded down.
inline int64_t DayOf(int64_t nanos) {
  constexpr int64_t kDay = 86400 * int64_t{1000000000};
  return nanos / kDay - (nanos % kDay < 0 ? 1 : 0);
}

struct JourneyStats {
  int64_t entered = 0;
  int64_t completed = 0;   // ran to the end or to `end`
  int64_t exited = 0;      // an exit rule matched
  int64_t goals = 0;       // a goal rule matched
  int64_t failed = 0;      // stopped by an error it could not go on from
  int64_t not_reentered = 0;   // a trigger matched but the re-entry rule said no
  int64_t unknown_customer = 0;  // a trigger matched a customer with no profile
  int64_t paused = 0;      // not entered because the journey was paused
  int64_t errors = 0;      // error decisions
  int64_t deferred = 0;    // sends held by quiet hours
  int64_t unassigned = 0;  // routed tasks and notifications that matched no one
  NamedCounts actions;     // by channel, "task" or "notify"
  NamedCounts suppressed;  // by rule text
  std::vector<int64_t> step_visits;           // by step index
  /// Split and `choose best` steps, by step index: each arm's ArmStats by
  /// arm index, and last the `otherwise` of a `choose best` (no option
  /// acceptable). Waits for an event likewise: [0] left by the event, [1]
  /// by the timeout. A goal counts for the arms its instance still
  /// remembers taking (JourneyInstance::choices: the last 16).
  std::map<uint32_t, std::vector<ArmStats>> arms;
  /// Goals by GoalBucket of the time from entry; empty until the first.
  std::vector<int64_t> goal_after;
  /// The counts of each day something happened, oldest first, for the last
  /// kStatsDaysKept days (kept with the analytics only).
  std::deque<DayStats> days;

  /// The day of `at`'s counts, added if new; older days than kept are
  /// dropped. Time never goes back in an engine, so days are appended; an
  /// earlier day (a retired version's late send) is found where it is.
  DayStats& Day(int64_t at) { return AtDay(DayOf(at)); }
  /// The counts of day number `day` (DayOf), added if new.
  DayStats& AtDay(int64_t day) {
    if (!days.empty() && days.back().day == day) return days.back();  // today's, nearly always
    if (days.empty() || days.back().day < day) {
      while (!days.empty() && days.front().day <= day - kStatsDaysKept) days.pop_front();
      days.push_back(DayStats{});
      days.back().day = day;
      return days.back();
    }
    auto it = std::lower_bound(days.begin(), days.end(), day, [](const DayStats& d, int64_t v) { return d.day < v; });
    if (it == days.end() || it->day != day) {
      it = days.insert(it, DayStats{});
      it->day = day;
    }
    return *it;
  }
  /// The counts of day number `day` if it has any, else null (never added).
  DayStats* FindDay(int64_t day) {
    auto it = std::lower_bound(days.begin(), days.end(), day, [](const DayStats& d, int64_t v) { return d.day < v; });
    return it != days.end() && it->day == day ? &*it : nullptr;
  }
  /// The days [from_day, to_day) added up (`day` left 0).
  DayStats Window(int64_t from_day, int64_t to_day) const {
    DayStats sum;
    for (const DayStats& d : days)
      if (d.day >= from_day && d.day < to_day) sum += d;
    return sum;
  }

  /// The time within which a share `q` of the goals came (::TimeToGoal).
  std::string TimeToGoal(double q) const { return runtime::TimeToGoal(goal_after, q); }

  /// Adds another engine's counts for the same journey (shards.h).
  JourneyStats& operator+=(const JourneyStats& other) {
    entered += other.entered;
    completed += other.completed;
    exited += other.exited;
    goals += other.goals;
    failed += other.failed;
    not_reentered += other.not_reentered;
    unknown_customer += other.unknown_customer;
    paused += other.paused;
    errors += other.errors;
    deferred += other.deferred;
    unassigned += other.unassigned;
    actions += other.actions;
    suppressed += other.suppressed;
    AddCounts(step_visits, other.step_visits);
    AddCounts(goal_after, other.goal_after);
    for (const DayStats& d : other.days) AtDay(d.day) += d;
    AddArms(arms, other.arms);
    return *this;
  }
  bool operator==(const JourneyStats&) const = default;
};

/// The counts of a window (JourneyStats::Window) in a journey's shape, so
/// that what reads a journey's figures reads a window's alike: the counts
/// days do not keep (not_reentered, unknown_customer, paused) are 0, and
/// the steps are `steps` long.
inline JourneyStats InJourneyShape(DayStats window, size_t steps) {
  JourneyStats s;
  s.entered = window.entered;
  s.completed = window.completed;
  s.exited = window.exited;
  s.goals = window.goals;
  s.failed = window.failed;
  s.errors = window.errors;
  s.deferred = window.deferred;
  s.unassigned = window.unassigned;
  s.actions = std::move(window.actions);
  s.suppressed = std::move(window.suppressed);
  s.step_visits = std::move(window.step_visits);
  s.step_visits.resize(steps);
  s.arms = std::move(window.arms);
  s.goal_after = std::move(window.goal_after);
  return s;
}

}  // namespace tutti::runtime
