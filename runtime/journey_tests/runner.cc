#include "runtime/journey_tests/runner.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "compiler/eval/evaluator.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/render.h"
#include "runtime/records/decoder.h"

namespace tutti::runtime {

namespace ast = compiler::ast;
namespace ir = compiler::ir;
using compiler::Type;
using compiler::TypeKind;
using compiler::eval::Value;
using Json = nlohmann::ordered_json;

size_t JourneyCoverage::Reached() const {
  size_t n = 0;
  for (bool r : reached) n += r;
  return n;
}

size_t TestReport::Passed() const {
  size_t n = 0;
  for (const TestOutcome& t : tests) n += t.passed();
  return n;
}

double TestReport::CoveragePercent() const {
  size_t steps = 0, reached = 0;
  for (const JourneyCoverage& c : coverage) {
    steps += c.steps.size();
    reached += c.Reached();
  }
  return steps == 0 ? 100.0 : 100.0 * static_cast<double>(reached) / static_cast<double>(steps);
}

namespace {

/// Where a test's clock starts without `at`: a Monday, 09:00 UTC.
constexpr const char* kDefaultStart = "2026-01-05T09:00:00Z";

/// One decision in a line, for a failure's "instead".
std::string Describe(const Decision& d) {
  std::string at = FormatInstant(d.at);
  switch (d.kind) {
    case DecisionKind::kAction:
      if (d.action == "send") return at + " send " + d.channel + " \"" + d.content + "\" to \"" + d.recipient + "\" (" + d.journey + ")";
      return at + " " + d.action + " for \"" + d.recipient + "\": \"" + d.content + "\" (" + d.journey + ")";
    case DecisionKind::kSuppressed:
      return at + " suppressed " + d.channel + " \"" + d.content + "\" to \"" + d.recipient + "\": " + d.rule + " (" + d.reason + ")";
    case DecisionKind::kDeferred: return at + " deferred " + d.channel + " \"" + d.content + "\" to \"" + d.recipient + "\"";
    case DecisionKind::kUnassigned: return at + " unassigned (" + d.journey + "): " + d.reason;
    case DecisionKind::kError: return at + " error in " + d.journey + " at " + d.step + ": " + d.reason;
  }
  return at;
}

class TestRun {
 public:
  TestRun(const JourneySet& set, const compiler::Source& source, TestOutcome& out)
      : set_(set), source_(source), out_(out) {
    EngineOptions options;
    options.interpret = true;  // a test's engine lives milliseconds: no native code to wait for
    engine_ = set.NewEngine(options);
    clock_ = *ToInstant(compiler::eval::ParseTimestamp(kDefaultStart).AsTimestamp());
  }

  /// Runs the items in order; stops at the first that cannot run.
  void Run(const ast::TestDecl& test) {
    for (const ast::TestItem& item : test.items)
      if (!Step(item)) return;
  }

  const Engine& engine() const { return *engine_; }

 private:
  bool Fail(const ast::TestItem& item, std::string message) {
    out_.failures.push_back({{&source_, item.range}, std::move(message)});
    return true;
  }

  void Settle() {
    engine_->AdvanceTo(clock_);
    engine_->Flush();
    for (Decision& d : engine_->TakeDecisions()) {
      pool_.push_back(std::move(d));
      used_.push_back(false);
    }
  }

  /// The record a test line gives, with the fields it leaves out filled.
  std::optional<Record> MakeRecord(const ast::TestItem& item, bool event) {
    const Schema* schema = event ? set_.schemas().FindEvent(item.name.text) : set_.schemas().FindProfile(item.name.text);
    if (schema == nullptr) return std::nullopt;
    Json j{{"type", item.name.text}};
    compiler::eval::Activation none;
    for (const ast::FieldInit& f : item.fields) {
      Value v = compiler::eval::Evaluate(*f.value, none, set_.functions());
      if (v.IsError()) {
        Fail(item, "field '" + f.name.text + "': " + v.ErrorMessage());
        return std::nullopt;
      }
      j[f.name.text] = ToJsonValue(v);
    }
    FillLeftOutFields(*schema, j, FormatInstant(clock_));
    DecodeOptions options;
    options.accept = event ? Accept::kEvents : Accept::kProfiles;
    DecodeResult r = DecodeLine(set_.schemas(), j.dump(), 1, options);
    if (!r.ok()) {
      Fail(item, r.blank() ? "nothing to decode" : r.error().message);
      return std::nullopt;
    }
    return std::move(r.record());
  }

  bool Step(const ast::TestItem& item) {
    switch (item.kind) {
      case ast::TestItem::kClock: {
        Value t = compiler::eval::ParseTimestamp(item.text);
        std::optional<Instant> at = t.IsError() ? std::nullopt : ToInstant(t.AsTimestamp());
        if (!at || *at < engine_->now()) {
          Fail(item, "the clock can only move forward (it is " + FormatInstant(clock_) + ")");
          return false;
        }
        clock_ = *at;
        Settle();
        return true;
      }
      case ast::TestItem::kProfile: {
        std::optional<Record> r = MakeRecord(item, false);
        if (!r) return false;
        engine_->UpsertProfile(*r);
        return true;
      }
      case ast::TestItem::kEvent: {
        std::optional<Record> r = MakeRecord(item, true);
        if (!r) return false;
        if (!engine_->Ingest(*r)) {
          Fail(item, "the engine could not take this event at " + FormatInstant(clock_));
          return false;
        }
        // An event with a later `at` moves the engine's clock: the test's
        // goes with it, so a later `at` or `wait` counts from there.
        clock_ = std::max(clock_, engine_->now());
        return true;
      }
      case ast::TestItem::kWait:
        clock_ += item.wait.millis * kNanosPerMilli;
        Settle();
        return true;
      default:
        Settle();
        Expect(item);
        return true;
    }
  }

  bool Matches(const ast::TestItem& item, const Decision& d) const {
    auto to = [&] { return !item.who || d.recipient == item.who->text; };
    switch (item.kind) {
      case ast::TestItem::kExpectSend: {
        if (d.kind != DecisionKind::kAction || d.action != "send" || d.channel != item.name.text ||
            d.content != item.text || !to())
          return false;
        compiler::eval::Activation none;
        for (const ast::FieldInit& f : item.fields) {
          Value want = compiler::eval::Evaluate(*f.value, none, set_.functions());
          bool same = false;
          for (const auto& [name, got] : d.vars)
            if (name == f.name.text) same = ToJsonValue(got) == ToJsonValue(want);
          if (!same) return false;
        }
        return true;
      }
      case ast::TestItem::kExpectSuppressed:
        return d.kind == DecisionKind::kSuppressed && d.channel == item.name.text && d.content == item.text && to() &&
               (!item.reason || d.reason.find(item.reason->text) != std::string::npos ||
                d.rule.find(item.reason->text) != std::string::npos);
      case ast::TestItem::kExpectTask:
        return d.kind == DecisionKind::kAction && (d.action == "task" || d.action == "notify") && to() &&
               d.content.find(item.text) != std::string::npos;
      default: return false;
    }
  }

  std::string Expected(const ast::TestItem& item) const {
    std::string who = item.who ? " to \"" + item.who->text + "\"" : "";
    switch (item.kind) {
      case ast::TestItem::kExpectSend: return "send " + item.name.text + " \"" + item.text + "\"" + who;
      case ast::TestItem::kExpectSuppressed:
        return "suppressed " + item.name.text + " \"" + item.text + "\"" + who +
               (item.reason ? " (reason with \"" + item.reason->text + "\")" : "");
      case ast::TestItem::kExpectTask: return "a task or notification for \"" + item.who->text + "\"" + (item.text.empty() ? "" : " with \"" + item.text + "\"");
      default: return "";
    }
  }

  /// What happened that no expectation took yet, for a failure.
  std::string Instead(bool actions_only) const {
    std::string out;
    size_t shown = 0, left = 0;
    for (size_t i = 0; i < pool_.size(); ++i) {
      if (used_[i] || (actions_only && pool_[i].kind != DecisionKind::kAction)) continue;
      if (shown++ < 12) out += "\n    " + Describe(pool_[i]);
      else ++left;
    }
    if (shown == 0) return "\n    nothing";
    if (left) out += "\n    ... and " + std::to_string(left) + " more";
    return out;
  }

  void Expect(const ast::TestItem& item) {
    if (item.kind == ast::TestItem::kExpectNothing) {
      for (size_t i = 0; i < pool_.size(); ++i)
        if (!used_[i] && pool_[i].kind == DecisionKind::kAction) {
          Fail(item, "expected nothing sent by " + FormatInstant(clock_) + "; instead:" + Instead(true));
          return;
        }
      return;
    }
    if (item.kind == ast::TestItem::kExpectWaiting) return ExpectWaiting(item);
    for (size_t i = 0; i < pool_.size(); ++i)
      if (!used_[i] && Matches(item, pool_[i])) {
        used_[i] = true;
        return;
      }
    Fail(item, "expected " + Expected(item) + " by " + FormatInstant(clock_) + "; instead, not yet expected:" + Instead(false));
  }

  void ExpectWaiting(const ast::TestItem& item) {
    const StateStore& store = engine_->store();
    std::vector<std::string> seen;
    for (uint32_t c = 0; c < store.customer_count(); ++c) {
      const Customer& customer = store.customer(c);
      if (item.who && customer.key != item.who->text) continue;
      for (uint32_t h : customer.instances) {
        const JourneyInstance& inst = store.instance(h);
        const ir::Journey& j = engine_->journey(inst.journey);
        if (j.name != item.name.text || inst.state == InstanceState::kFree) continue;
        // At a labelled step: resting on it (a wait for an event), or
        // sleeping in it (a timed wait resumes at the step after it).
        std::string here = inst.pc < j.steps.size() ? j.steps[inst.pc].id : "the end";
        seen.push_back("\"" + customer.key + "\" at " + here);
        if (!item.label) return;
        for (size_t k = 0; k < j.steps.size(); ++k) {
          const ir::Step& s = j.steps[k];
          bool waits = s.op == ir::StepOp::kWaitDuration || s.op == ir::StepOp::kWaitTimeOfDay ||
                       s.op == ir::StepOp::kWaitUntil || s.op == ir::StepOp::kSend;
          if (s.label == item.label->text && (k == inst.pc || (waits && s.next == inst.pc))) return;
        }
      }
    }
    std::string instead;
    for (const std::string& s : seen) instead += "\n    " + s;
    Fail(item, "expected " + item.name.text + " waiting" + (item.who ? " for \"" + item.who->text + "\"" : "") +
                   (item.label ? " at " + item.label->text : "") + " at " + FormatInstant(clock_) +
                   "; instead, its instances:" + (seen.empty() ? "\n    none" : instead));
  }

  const JourneySet& set_;
  const compiler::Source& source_;
  TestOutcome& out_;
  std::unique_ptr<Engine> engine_;
  Instant clock_ = 0;
  std::vector<Decision> pool_;
  std::vector<bool> used_;
};

/// Text for XML: escaped, without the control characters XML 1.0 forbids.
std::string Xml(std::string_view text) {
  std::string clean(text);
  for (char& c : clean)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') c = ' ';
  return EscapeHtml(clean);
}

}  // namespace

TestReport RunJourneyTests(const JourneySet& set) {
  TestReport report;
  const ir::Program& ir = set.ir();
  std::map<std::string, JourneyCoverage> coverage;
  // The journeys of every file but the standard library's: those named,
  // and those the tests import.
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string& stdlib = set.program().stdlib_dir;
  fs::path stdlib_dir = fs::weakly_canonical(stdlib.empty() ? fs::path("/nonexistent-stdlib") : fs::path(stdlib), ec);
  for (const auto& file : set.program().files) {
    if (!file->ast) continue;
    fs::path path = fs::weakly_canonical(file->source->path(), ec);
    auto [end, _] = std::mismatch(stdlib_dir.begin(), stdlib_dir.end(), path.begin(), path.end());
    if (!stdlib.empty() && end == stdlib_dir.end()) continue;
    for (const ast::JourneyDecl& j : file->ast->journeys)
      if (const ir::Journey* lowered = ir.Find(j.name.text)) {
        JourneyCoverage& c = coverage[j.name.text];
        c.journey = j.name.text;
        for (const ir::Step& s : lowered->steps) c.steps.push_back(s.id);
        c.reached.assign(c.steps.size(), false);
      }
  }
  for (const auto& file : set.program().files) {
    if (!file->root || !file->ast) continue;
    for (const ast::TestDecl& test : file->ast->tests) {
      TestOutcome outcome;
      outcome.name = test.name.text;
      outcome.source = file->source.get();
      outcome.range = test.range;
      auto start = std::chrono::steady_clock::now();
      TestRun run(set, *file->source, outcome);
      run.Run(test);
      outcome.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      const Engine& engine = run.engine();
      for (uint32_t i = 0; i < engine.journey_count(); ++i) {
        auto c = coverage.find(engine.journey(i).name);
        if (c == coverage.end() || i >= engine.stats().size()) continue;
        const auto& visits = engine.stats()[i].step_visits;
        for (size_t k = 0; k < visits.size() && k < c->second.reached.size(); ++k)
          if (visits[k] > 0) c->second.reached[k] = true;
      }
      report.tests.push_back(std::move(outcome));
    }
  }
  for (auto& [name, c] : coverage) report.coverage.push_back(std::move(c));
  return report;
}

std::string ToJUnit(const TestReport& report) {
  std::map<std::string, std::vector<const TestOutcome*>> by_file;
  for (const TestOutcome& t : report.tests) by_file[t.source->path()].push_back(&t);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"tutti test\" tests=\"" +
                    std::to_string(report.tests.size()) + "\" failures=\"" + std::to_string(report.Failed()) + "\">\n";
  for (const auto& [file, tests] : by_file) {
    size_t failed = 0;
    double seconds = 0;
    for (const TestOutcome* t : tests) failed += !t->passed(), seconds += t->millis / 1000;
    out += "  <testsuite name=\"" + Xml(file) + "\" tests=\"" + std::to_string(tests.size()) + "\" failures=\"" +
           std::to_string(failed) + "\" time=\"" + std::to_string(seconds) + "\">\n";
    for (const TestOutcome* t : tests) {
      out += "    <testcase classname=\"" + Xml(file) + "\" name=\"" + Xml(t->name) + "\" time=\"" +
             std::to_string(t->millis / 1000) + "\"";
      if (t->passed()) {
        out += "/>\n";
        continue;
      }
      out += ">\n";
      for (const TestFailure& f : t->failures) {
        compiler::LineColumn lc = f.at.source->Locate(f.at.range.begin);
        std::string where = f.at.source->path() + ":" + std::to_string(lc.line) + ":" + std::to_string(lc.column);
        out += "      <failure message=\"" + Xml(f.message.substr(0, f.message.find('\n'))) + "\">" + Xml(where + ": " + f.message) +
               "</failure>\n";
      }
      out += "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  return out + "</testsuites>\n";
}

}  // namespace tutti::runtime
