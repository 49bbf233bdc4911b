#pragma once
// What the daemon's RocksDB stores (the input log, the history journal)
// share: RocksDB's messages in the daemon's log, and its statuses as ours.

#include <memory>
#include <string>

#include "base/status.h"

namespace rocksdb {
class Logger;
class Status;
}

namespace tutti::runtime {

/// RocksDB's warnings and errors, in the daemon's log under `component`.
/// Every store sets it: RocksDB's own LOG file would be one more file to
/// fill the disk, and the Debian build asserts (aborts) when a write to it
/// fails.
std::shared_ptr<rocksdb::Logger> RocksLogger(const char* component);

/// `st` as a Status saying `context`: kCorruption for damage, else
/// kUnavailable.
Status FromRocks(const rocksdb::Status& st, const std::string& context);

}  // namespace tutti::runtime
