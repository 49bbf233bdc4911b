#pragma once
// Journey tests written in Tutti (`test "name" { ... }`, docs/language.md,
// "Tests"), run on a fresh engine each, on a virtual clock, with the
// interpreter: profiles take the fields a test gives (the others their
// type's zero value, optional ones none), events happen at the test's
// clock, `wait` moves it, and each `expect` is judged where it stands
// against the decisions made since the test began that no earlier
// expectation took. Deterministic: the same program gives the same report.

#include <string>
#include <vector>

#include "compiler/source/diagnostic.h"
#include "runtime/engine/journey_set.h"

namespace tutti::runtime {

struct TestFailure {
  compiler::Location at;  // the expectation (or the line that could not run)
  std::string message;    // what was expected, and what happened instead
};

struct TestOutcome {
  std::string name;
  const compiler::Source* source = nullptr;
  compiler::SourceRange range;
  std::vector<TestFailure> failures;  // empty: passed
  double millis = 0;
  bool passed() const { return failures.empty(); }
};

/// Which steps of a journey the tests reached (one step per index of its
/// IR, so each branch's first step counts as that branch).
struct JourneyCoverage {
  std::string journey;
  std::vector<std::string> steps;  // step ids
  std::vector<bool> reached;
  size_t Reached() const;
};

struct TestReport {
  std::vector<TestOutcome> tests;  // in file order, then declaration order
  std::vector<JourneyCoverage> coverage;  // the journeys of the program's own files (not the stdlib's), by name
  size_t Passed() const;
  size_t Failed() const { return tests.size() - Passed(); }
  /// Steps reached over steps, of the journeys in `coverage`, in percent
  /// (100 when there are none).
  double CoveragePercent() const;
};

/// Runs every test declared in the root files of `set`'s program.
TestReport RunJourneyTests(const JourneySet& set);

/// The report as JUnit XML (one testsuite per file), for CI.
std::string ToJUnit(const TestReport& report);

}  // namespace tutti::runtime
