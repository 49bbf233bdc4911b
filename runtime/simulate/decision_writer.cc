#include "runtime/simulate/decision_writer.h"

#include <string>
#include <utility>

#include "base/check.h"

namespace tutti::runtime {

DecisionWriter::DecisionWriter(std::FILE* out, size_t max_waiting)
    : out_(out), max_waiting_(max_waiting == 0 ? 1 : max_waiting), thread_([this] { Loop(); }) {}

DecisionWriter::~DecisionWriter() { Finish(); }

void DecisionWriter::Write(std::vector<Decision> batch) {
  if (batch.empty()) return;
  std::unique_lock lock(mu_);
  TUTTI_CHECK(!finishing_, "a DecisionWriter takes no batch once it is finishing");
  changed_.wait(lock, [&] { return queued_.size() < max_waiting_; });
  queued_.push_back(std::move(batch));
  changed_.notify_all();
}

bool DecisionWriter::Finish() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mu_);
      finishing_ = true;
    }
    changed_.notify_all();
    thread_.join();
    if (std::fflush(out_) != 0) failed_ = true;
  }
  return !failed_;
}

void DecisionWriter::Loop() {
  std::string text;
  for (;;) {
    std::vector<Decision> batch;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return !queued_.empty() || finishing_; });
      if (queued_.empty()) return;
      batch = std::move(queued_.front());
      queued_.pop_front();
    }
    changed_.notify_all();
    // After a failed write the rest is still taken (the run must not wait
    // on a writer that stopped), but no longer written.
    if (failed_) continue;
    try {
      text.clear();
      for (const Decision& d : batch) {
        text += ToJson(d);
        text += '\n';
      }
      if (std::fwrite(text.data(), 1, text.size(), out_) != text.size()) failed_ = true;
    } catch (const std::exception&) {
      failed_ = true;  // out of memory: the output is incomplete, and says so
    }
  }
}

}  // namespace tutti::runtime
