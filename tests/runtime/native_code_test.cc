// Native code compiled in the background (runtime/engine/native_code.h):
// engines start on the interpreter and take the code up when it is ready;
// a set dropped while compiling stops its compile and says so. (That the
// switch changes no decision is JourneyDifferential's
// NativeCodeTakenUpMidStreamChangesNothing.)

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "runtime/engine/journey_set.h"

namespace tutti::runtime {
namespace {

/// `count` journeys that compile to distinct code (their bounds differ).
std::unique_ptr<JourneySet> DistinctJourneys(int count) {
  std::vector<std::pair<std::string, std::string>> files = {{"schemas.tutti", R"(
profile hcp { id: string key }
event order keyed by hcp { hcp: string, product: string, amount: double }
channel email { kind message to hcp }
)"}};
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(i);
    files.emplace_back("j" + n + ".tutti", "import \"schemas\"\njourney j" + n + " {\n  on order as e where e.product == \"P" +
                                               n + "\" && e.amount > " + n + ".5\n  send email \"hello\"\n}\n");
  }
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText(files, std::string(TUTTI_SOURCE_DIR) + "/stdlib", sink);
  EXPECT_NE(set, nullptr) << compiler::RenderText(sink.Sorted());
  return set;
}

TEST(NativeCode, EnginesRunInterpretedUntilTheCodeIsReadyThenTakeItUp) {
  auto set = DistinctJourneys(3);
  ASSERT_NE(set, nullptr);
  auto engine = set->NewEngine();
  EXPECT_FALSE(engine->runs_native());
  EXPECT_EQ(set->compiled(), nullptr);
  Status heard = Status::Unavailable("not heard");
  set->CompileInBackground({}, [&heard](const Status& status, double seconds) {
    EXPECT_GE(seconds, 0);
    heard = status;
  });
  set->WaitForNativeCode();
  ASSERT_TRUE(heard.ok()) << heard.message();
  ASSERT_NE(set->compiled(), nullptr);
  EXPECT_TRUE(engine->runs_native()) << "an engine made before the code was ready takes it up";
  EngineOptions interpreted;
  interpreted.interpret = true;
  EXPECT_FALSE(set->NewEngine(interpreted)->runs_native());
}

TEST(NativeCode, ASetDroppedWhileCompilingStopsItsCompileAndSaysSo) {
  auto set = DistinctJourneys(300);  // seconds of LLVM
  ASSERT_NE(set, nullptr);
  std::atomic<int> heard{0};
  StatusCode code = StatusCode::kOk;
  set->CompileInBackground({}, [&](const Status& status, double) {
    code = status.code();
    ++heard;
  });
  set.reset();  // waits for the compile's thread, which stops between two modules
  EXPECT_EQ(heard.load(), 1);
  EXPECT_EQ(code, StatusCode::kUnavailable) << "the compile ran to its end rather than stopping";
}

// (That they run one at a time is the queue's contract, native_code.cc;
// nothing here observes the order.)
TEST(NativeCode, TwoBackgroundCompilesBothFinishAndAreHeard) {
  auto a = DistinctJourneys(20), b = DistinctJourneys(20);
  ASSERT_TRUE(a && b);
  std::atomic<int> ok{0};
  auto count = [&ok](const Status& status, double) { ok += status.ok() ? 1 : 0; };
  a->CompileInBackground({}, count);
  b->CompileInBackground({}, count);
  a->WaitForNativeCode();
  b->WaitForNativeCode();
  EXPECT_EQ(ok.load(), 2);
  EXPECT_NE(a->compiled(), nullptr);
  EXPECT_NE(b->compiled(), nullptr);
}

}  // namespace
}  // namespace tutti::runtime
