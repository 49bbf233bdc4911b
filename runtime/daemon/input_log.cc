#include "runtime/daemon/input_log.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

namespace tutti::runtime {
namespace {

std::string EntryKey(uint64_t seq, char prefix = 'i') {
  std::string key(1, prefix);
  for (int i = 7; i >= 0; --i) key.push_back(static_cast<char>(seq >> (8 * i) & 0xff));
  return key;
}

uint64_t ReadU64Be(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return v;
}

uint64_t ReadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

void WriteU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i) & 0xff));
}

constexpr const char* kDelivered = "m:delivered";
constexpr const char* kFirst = "m:first";
constexpr const char* kShards = "m:shards";

/// RocksDB's warnings and errors, on stderr. RocksDB's own LOG file is not
/// used: it is one more file to fill the disk, and the Debian build asserts
/// (aborts) when a write to it fails.
class StderrLogger final : public rocksdb::Logger {
 public:
  StderrLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::string line = "tutti serve: rocksdb: ";
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    line += buf;
    line += '\n';
    std::fputs(line.c_str(), stderr);
  }
};

}  // namespace

InputLog::~InputLog() = default;

rocksdb::Options InputLog::Options() {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log = std::make_shared<StderrLogger>();
  return options;
}

std::variant<std::unique_ptr<InputLog>, std::string> InputLog::Open(const std::string& dir) {
  // Made first, so that RocksDB does not log a missing folder as an error
  // on a first start.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return "cannot create the input log's folder " + dir + ": " + ec.message();
  rocksdb::DB* db = nullptr;
  rocksdb::Status st = rocksdb::DB::Open(Options(), dir, &db);
  if (!st.ok()) return "cannot open the input log in " + dir + ": " + st.ToString();
  std::unique_ptr<InputLog> log(new InputLog());
  log->db_.reset(db);
  log->dir_ = dir;
  // The next sequence number: one past the last entry.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(EntryKey(UINT64_MAX));
  if (it->Valid() && it->key().size() == 9 && it->key()[0] == 'i') log->next_seq_ = ReadU64Be(it->key().data() + 1) + 1;
  // The numbers PutNumber recorded; 0 for one never recorded.
  auto number = [&](const char* key) -> uint64_t {
    std::string bytes;
    return db->Get(rocksdb::ReadOptions(), key, &bytes).ok() && bytes.size() == 8 ? ReadU64(bytes.data()) : 0;
  };
  log->shards_ = static_cast<uint32_t>(number(kShards));
  log->delivered_ = number(kDelivered);
  // With every entry dropped, the numbering goes on after the last one.
  log->first_ = number(kFirst);
  log->next_seq_ = std::max(log->next_seq_, log->first_);
  return log;
}

rocksdb::Status InputLog::Write(rocksdb::WriteBatch* batch, bool sync) {
  if (failing_) {
    rocksdb::Status recovered = Recover();
    if (!recovered.ok()) return recovered;
  }
  rocksdb::WriteOptions options;
  options.sync = sync;
  rocksdb::Status st = db_->Write(options, batch);
  failing_ = !st.ok();
  // A refused batch may have reached the log whole (a failed sync): drop
  // it now, not only at the next write, lest a crash before then replay an
  // input that was never acknowledged. If that fails too, the next write
  // tries again.
  if (failing_) Recover();
  return st;
}

rocksdb::Status InputLog::Recover() {
  // After a failed write (a full disk, a file-size limit) RocksDB refuses
  // every write until it resumes; a failed write-ahead-log append it cannot
  // resume from, so the database is opened again, which recovers the log
  // up to its last whole record.
  rocksdb::Status st = db_ ? db_->Resume() : rocksdb::Status::Aborted("the input log is closed");
  if (!st.ok()) {
    db_.reset();
    rocksdb::DB* db = nullptr;
    st = rocksdb::DB::Open(Options(), dir_, &db);
    db_.reset(db);  // null on failure: the next write tries again
    if (!st.ok()) return st;
  }
  // A refused batch may still have reached the log whole (a failed sync
  // after a complete write): it was refused, so it must not be replayed.
  rocksdb::WriteBatch drop;
  drop.DeleteRange(EntryKey(next_seq_), EntryKey(UINT64_MAX));
  rocksdb::WriteOptions options;
  options.sync = true;
  st = db_->Write(options, &drop);
  if (st.ok()) failing_ = false;
  return st;
}

std::optional<std::string> InputLog::Append(const std::vector<Entry>& batch) {
  if (batch.empty()) return std::nullopt;
  rocksdb::WriteBatch wb;
  uint64_t seq = next_seq_;
  for (const Entry& e : batch) {
    std::string value;
    WriteU64(value, static_cast<uint64_t>(e.at));
    value.push_back(static_cast<char>(e.kind));
    value += e.text;
    wb.Put(EntryKey(seq++), value);
  }
  rocksdb::Status st = Write(&wb, true);
  if (!st.ok()) return "the input log refused the write: " + st.ToString();
  next_seq_ = seq;
  return std::nullopt;
}

std::optional<std::string> InputLog::Replay(uint64_t from, const std::function<void(const Entry&)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(EntryKey(from)); it->Valid() && !it->key().empty() && it->key()[0] == 'i'; it->Next()) {
    rocksdb::Slice v = it->value();
    if (v.size() < 9) return "the input log has a damaged entry at key " + it->key().ToString(true);
    Entry e;
    e.at = static_cast<Instant>(ReadU64(v.data()));
    e.kind = static_cast<Kind>(v[8]);
    e.text.assign(v.data() + 9, v.size() - 9);
    fn(e);
  }
  if (!it->status().ok()) return "reading the input log failed: " + it->status().ToString();
  return std::nullopt;
}

std::optional<std::string> InputLog::Drop(uint64_t before) {
  if (before <= first_) return std::nullopt;
  std::string value;
  WriteU64(value, before);
  // Not synced: entries a crash brings back are only read again if no
  // snapshot can be, and they are still right then.
  rocksdb::WriteBatch wb;
  wb.DeleteRange(EntryKey(first_), EntryKey(before));
  wb.Put(kFirst, value);
  rocksdb::Status st = Write(&wb, false);
  if (!st.ok()) return "cannot drop the input log's old entries: " + st.ToString();
  first_ = before;  // the space comes back as RocksDB compacts in the background
  return std::nullopt;
}

std::optional<std::string> InputLog::PutNumber(const char* key, uint64_t value, bool sync, const char* what) {
  std::string bytes;
  WriteU64(bytes, value);
  rocksdb::WriteBatch wb;
  wb.Put(key, bytes);
  rocksdb::Status st = Write(&wb, sync);
  if (!st.ok()) return std::string("cannot record ") + what + ": " + st.ToString();
  return std::nullopt;
}

std::optional<std::string> InputLog::SetShards(uint32_t shards) {
  auto err = PutNumber(kShards, shards, /*sync=*/true, "the number of shards");
  if (!err) shards_ = shards;
  return err;
}

std::optional<std::string> InputLog::SetDelivered(uint64_t seq) {
  // Not synced: losing the last cursor in a crash only delivers those
  // actions again (at least once, with their idempotency keys), and it
  // saves an fsync on every request.
  auto err = PutNumber(kDelivered, seq, /*sync=*/false, "deliveries");
  if (!err) delivered_ = seq;
  return err;
}

std::optional<std::string> InputLog::SetFinal(uint64_t seq, char state) {
  rocksdb::WriteBatch wb;
  wb.Put(EntryKey(seq, 'd'), rocksdb::Slice(&state, 1));
  rocksdb::Status st = Write(&wb, true);
  if (!st.ok()) return "cannot record a delivery: " + st.ToString();
  return std::nullopt;
}

std::map<uint64_t, char> InputLog::Finals() const {
  std::map<uint64_t, char> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("d"); it->Valid() && it->key().size() == 9 && it->key()[0] == 'd'; it->Next())
    if (it->value().size() == 1) out[ReadU64Be(it->key().data() + 1)] = it->value()[0];
  return out;
}

}  // namespace tutti::runtime
