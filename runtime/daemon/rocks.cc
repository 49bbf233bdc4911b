#include "runtime/daemon/rocks.h"

#include <cstdarg>
#include <cstdio>

#include <rocksdb/env.h>
#include <rocksdb/status.h>

#include "runtime/daemon/log.h"

namespace tutti::runtime {
namespace {

class DaemonLogger final : public rocksdb::Logger {
 public:
  explicit DaemonLogger(const char* component)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), component_(component) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    Log(LogLevel::kWarning, component_, std::string("rocksdb: ") + buf);
  }

 private:
  const char* component_;
};

}  // namespace

std::shared_ptr<rocksdb::Logger> RocksLogger(const char* component) { return std::make_shared<DaemonLogger>(component); }

Status FromRocks(const rocksdb::Status& st, const std::string& context) {
  if (st.ok()) return Status::Ok();
  std::string message = context + ": " + st.ToString();
  if (st.IsCorruption()) return Status::Corruption(message);
  return Status::Unavailable(message);
}

}  // namespace tutti::runtime
