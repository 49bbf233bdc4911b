#include "runtime/engine/native_code.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "base/check.h"

namespace tutti::runtime {

/// The background compiles asked for, and the one under way.
struct NativeCode::Queue {
  std::mutex mu;
  std::condition_variable changed;
  std::vector<NativeCode*> waiting;  // the newest last: taken first
  NativeCode* running = nullptr;
  bool thread = false;
};

NativeCode::Queue& NativeCode::TheQueue() {
  // Never destroyed: its thread outlives the static destructors at exit.
  static Queue* queue = new Queue();
  return *queue;
}

void NativeCode::Work() {
  Queue& q = TheQueue();
  std::unique_lock lock(q.mu);
  for (;;) {
    q.changed.wait(lock, [&q] { return !q.waiting.empty(); });
    NativeCode* next = q.waiting.back();
    q.waiting.pop_back();
    q.running = next;
    lock.unlock();
    next->Run();
    lock.lock();
    q.running = nullptr;
    q.changed.notify_all();
  }
}

NativeCode::~NativeCode() {
  if (!started_) return;
  stop_.store(true, std::memory_order_relaxed);
  Queue& q = TheQueue();
  std::unique_lock lock(q.mu);
  if (auto it = std::find(q.waiting.begin(), q.waiting.end(), this); it != q.waiting.end()) {
    q.waiting.erase(it);
    lock.unlock();
    pending_.store(false, std::memory_order_release);
    if (done_) done_(Status::Unavailable("stopped before it began"), SecondsSinceAsked());
    return;
  }
  q.changed.wait(lock, [&q, this] { return q.running != this; });
}

void NativeCode::Wait() const {
  Queue& q = TheQueue();
  std::unique_lock lock(q.mu);
  q.changed.wait(lock, [&q, this] {
    return q.running != this && std::find(q.waiting.begin(), q.waiting.end(), this) == q.waiting.end();
  });
}

void NativeCode::Publish(std::unique_ptr<compiler::jit::CompiledExprs> code) {
  TUTTI_CHECK(code_ == nullptr, "a set's native code is published once");
  code_ = std::move(code);
  ready_.store(code_.get(), std::memory_order_release);
}

double NativeCode::SecondsSinceAsked() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - asked_).count();
}

Status NativeCode::Compile(const Job& job) {
  TUTTI_CHECK(!started_, "a set's native code is compiled once");
  started_ = true;
  return RunJob(job);
}

Status NativeCode::RunJob(const Job& job) {
  auto code = job(stop_, [this](std::unique_ptr<compiler::jit::CompiledExprs> laid_out) { Publish(std::move(laid_out)); });
  if (!code.ok()) return code.status();
  if (*code != nullptr) Publish(std::move(*code));
  return Status::Ok();
}

void NativeCode::CompileInBackground(Job job, Done done) {
  TUTTI_CHECK(!started_, "a set's native code is compiled once");
  started_ = true;
  job_ = std::move(job);
  done_ = std::move(done);
  asked_ = std::chrono::steady_clock::now();
  pending_.store(true, std::memory_order_release);
  Queue& q = TheQueue();
  std::unique_lock lock(q.mu);
  if (!q.thread) {
    try {
      std::thread(Work).detach();
      q.thread = true;
    } catch (const std::system_error& e) {
      lock.unlock();
      started_ = false;  // nothing queued: the destructor has nothing to wait for
      pending_.store(false, std::memory_order_release);
      if (done_) done_(Status::Internal(std::string("cannot start the thread to compile on: ") + e.what()), 0);
      return;
    }
  }
  q.waiting.push_back(this);
  q.changed.notify_all();
}

void NativeCode::Run() {
  Status status = RunJob(job_);
  pending_.store(false, std::memory_order_release);
  if (done_) done_(status, SecondsSinceAsked());
}

}  // namespace tutti::runtime
