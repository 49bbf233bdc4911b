#include "runtime/engine/native_code.h"

#include <chrono>

#include "base/check.h"

namespace tutti::runtime {

namespace {

/// Held by the background compile running; the others wait for it.
std::timed_mutex& CompileTurn() {
  static std::timed_mutex turn;
  return turn;
}

}  // namespace

NativeCode::~NativeCode() {
  stop_.store(true, std::memory_order_relaxed);
  Wait();
}

void NativeCode::Wait() {
  if (thread_.joinable()) thread_.join();
}

void NativeCode::Publish(std::unique_ptr<compiler::jit::CompiledExprs> code) {
  code_ = std::move(code);
  ready_.store(code_.get(), std::memory_order_release);
}

Status NativeCode::Compile(const Job& job) {
  TUTTI_CHECK(!started_, "a set's native code is compiled once");
  started_ = true;
  auto code = job(stop_);
  if (!code.ok()) return code.status();
  Publish(std::move(*code));
  return Status::Ok();
}

void NativeCode::CompileInBackground(Job job, Done done) {
  TUTTI_CHECK(!started_, "a set's native code is compiled once");
  started_ = true;
  thread_ = std::thread([this, job = std::move(job), done = std::move(done)] {
    auto started = std::chrono::steady_clock::now();
    std::unique_lock turn(CompileTurn(), std::defer_lock);
    while (!turn.try_lock_for(std::chrono::milliseconds(20)))
      if (stop_.load(std::memory_order_relaxed)) break;
    Status status = Status::Unavailable("stopped before it began");
    if (turn.owns_lock()) {
      auto code = job(stop_);
      if (code.ok()) {
        Publish(std::move(*code));
        status = Status::Ok();
      } else {
        status = code.status();
      }
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (turn.owns_lock()) turn.unlock();
    if (done) done(status, seconds);
  });
}

}  // namespace tutti::runtime
