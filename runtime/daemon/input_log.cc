#include "runtime/daemon/input_log.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/write_batch.h>

#include "runtime/daemon/log.h"
#include "runtime/daemon/rocks.h"

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

}  // namespace

Result<InputLog::Entry> DecodeLogEntry(std::string_view v) {
  if (v.size() < 9) return Status::Corruption("an entry of " + std::to_string(v.size()) + " bytes is cut short");
  InputLog::Entry e;
  e.at = static_cast<Instant>(ReadU64(v.data()));
  switch (static_cast<InputLog::Kind>(v[8])) {
    case InputLog::Kind::kProfile:
    case InputLog::Kind::kEvent:
    case InputLog::Kind::kClock:
    case InputLog::Kind::kPause:
    case InputLog::Kind::kResume:
    case InputLog::Kind::kJourneys: break;
    default: return Status::Corruption("an entry is of no kind the log writes");
  }
  e.kind = static_cast<InputLog::Kind>(v[8]);
  e.text.assign(v.data() + 9, v.size() - 9);
  return e;
}

InputLog::~InputLog() = default;

rocksdb::Options InputLog::Options(bool accept_data_loss) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log = RocksLogger("input-log");
  options.paranoid_checks = true;
  // A write cut short at the very end of the write-ahead log is a write
  // that was never acknowledged (a power loss during it): dropped. Any
  // other damage (a record that fails its checksum) refuses the open,
  // unless the loss is accepted: then the log stops before the damage.
  options.wal_recovery_mode = accept_data_loss ? rocksdb::WALRecoveryMode::kPointInTimeRecovery
                                               : rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  return options;
}

Result<std::unique_ptr<InputLog>> InputLog::Open(const std::string& dir, const OpenOptions& open) {
  // Made first, so that RocksDB does not log a missing folder as an error
  // on a first start; 0700: the log holds personal data.
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create the input log's folder " + dir + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  std::unique_ptr<InputLog> log(new InputLog());
  log->dir_ = dir;
  log->accept_data_loss_ = open.accept_data_loss;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return Status::Unavailable("cannot read the input log's folder " + dir);
  log->device_ = st.st_dev;
  log->inode_ = st.st_ino;
  rocksdb::DB* db = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(Options(false), dir, &db);
  if (opened.IsCorruption()) {
    std::string why = "the input log in " + dir + " is damaged (" + opened.ToString() +
                      "): the acknowledged inputs after the damage cannot be read";
    if (!open.accept_data_loss)
      return Status::Corruption(why + ". Restore the data folder from a backup, or start with "
                                      "--accept-data-loss to go on with the inputs before the damage");
    log->damage_ = why;
    opened = rocksdb::DB::Open(Options(true), dir, &db);
  }
  if (!opened.ok()) return FromRocks(opened, "cannot open the input log in " + dir);
  log->db_.reset(db);
  // The next sequence number: one past the last entry.
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  it->SeekForPrev(EntryKey(UINT64_MAX));
  if (it->Valid() && it->key().size() == 9 && it->key()[0] == 'i') log->next_seq_ = ReadU64Be(it->key().data() + 1) + 1;
  if (!it->status().ok()) return FromRocks(it->status(), "cannot read the input log in " + dir);
  it.reset();
  // The numbers PutNumber recorded; 0 for one never recorded.
  auto number = [&](const char* key) -> uint64_t {
    std::string bytes;
    return db->Get(rocksdb::ReadOptions(), key, &bytes).ok() && bytes.size() == 8 ? ReadU64(bytes.data()) : 0;
  };
  log->shards_ = static_cast<uint32_t>(std::min<uint64_t>(number(kShards), UINT32_MAX));
  log->delivered_ = number(kDelivered);
  // With every entry dropped, the numbering goes on after the last one.
  log->first_ = number(kFirst);
  log->next_seq_ = std::max(log->next_seq_, log->first_);
  return log;
}

Status InputLog::CheckFolder() const {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0)
    return Status::Unavailable("the input log's folder " + dir_ + " is gone: inputs are refused, since a start "
                               "would not find them");
  if (st.st_dev != device_ || st.st_ino != inode_)
    return Status::Unavailable("the input log's folder " + dir_ + " was replaced while the daemon ran: inputs are "
                               "refused, since a start would not find them");
  if (::stat((dir_ + "/CURRENT").c_str(), &st) != 0)
    return Status::Unavailable("the input log's files in " + dir_ + " are gone: inputs are refused");
  return Status::Ok();
}

rocksdb::Status InputLog::Write(rocksdb::WriteBatch* batch, bool sync) {
  if (Status folder = CheckFolder(); !folder.ok()) {
    failing_ = true;
    return rocksdb::Status::IOError(folder.message());
  }
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
    st = rocksdb::DB::Open(Options(accept_data_loss_), dir_, &db);
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

void InputLog::Probe() {
  if (failing_ && CheckFolder().ok()) Recover();
}

Status InputLog::Append(const std::vector<Entry>& batch, const std::vector<Final>& finals) {
  if (batch.empty() && finals.empty()) return Status::Ok();
  rocksdb::WriteBatch wb;
  uint64_t seq = next_seq_;
  for (const Entry& e : batch) {
    std::string value;
    WriteU64(value, static_cast<uint64_t>(e.at));
    value.push_back(static_cast<char>(e.kind));
    value += e.text;
    wb.Put(EntryKey(seq++), value);
  }
  for (const Final& f : finals) {
    wb.Put(EntryKey(f.seq, 'd'), rocksdb::Slice(&f.state, 1));
    wb.Delete(EntryKey(f.seq, 'a'));
  }
  rocksdb::Status st = Write(&wb, true);
  if (!st.ok()) return Status::Unavailable("the input log refused the write: " + st.ToString());
  next_seq_ = seq;
  return Status::Ok();
}

Status InputLog::Replay(uint64_t from, const std::function<void(const Entry&)>& fn, uint64_t* stopped_at) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  uint64_t expected = from;
  auto stop = [&](Status why) {
    if (stopped_at) *stopped_at = expected;
    return why;
  };
  for (it->Seek(EntryKey(from)); it->Valid() && !it->key().empty() && it->key()[0] == 'i'; it->Next()) {
    if (it->key().size() != 9) return stop(Status::Corruption("the input log has a damaged key at entry " + std::to_string(expected)));
    uint64_t seq = ReadU64Be(it->key().data() + 1);
    if (seq != expected)
      return stop(Status::Corruption("the input log skips from entry " + std::to_string(expected) + " to " +
                                     std::to_string(seq) + ": entries are missing"));
    auto entry = DecodeLogEntry(std::string_view(it->value().data(), it->value().size()));
    if (!entry.ok()) return stop(entry.status().With("the input log's entry " + std::to_string(seq)));
    entry->seq = seq;
    fn(*entry);
    ++expected;
  }
  if (!it->status().ok()) return stop(FromRocks(it->status(), "reading the input log at entry " + std::to_string(expected)));
  if (expected < next_seq_ && from <= next_seq_)
    return stop(Status::Corruption("the input log ends at entry " + std::to_string(expected) + " of " +
                                   std::to_string(next_seq_)));
  return Status::Ok();
}

Result<InputLog::Entry> InputLog::Read(uint64_t seq) const {
  if (seq < first_ || seq >= next_seq_)
    return Status::NotFound("the input log holds entries " + std::to_string(first_) + " to " +
                            std::to_string(next_seq_) + " (not " + std::to_string(seq) + ")");
  std::string value;
  rocksdb::Status st = db_->Get(rocksdb::ReadOptions(), EntryKey(seq), &value);
  if (st.IsNotFound()) return Status::NotFound("the input log no longer holds entry " + std::to_string(seq));
  if (!st.ok()) return FromRocks(st, "reading the input log's entry " + std::to_string(seq));
  auto entry = DecodeLogEntry(value);
  if (!entry.ok()) return entry.status().With("the input log's entry " + std::to_string(seq));
  entry->seq = seq;
  return entry;
}

Status InputLog::CutAt(uint64_t from) {
  rocksdb::WriteBatch wb;
  wb.DeleteRange(EntryKey(from), EntryKey(UINT64_MAX));
  rocksdb::Status st = Write(&wb, true);
  if (!st.ok()) return FromRocks(st, "cannot cut the input log short");
  next_seq_ = std::max(from, first_);
  return Status::Ok();
}

Status InputLog::Drop(uint64_t before, uint64_t outbox_before) {
  if (before <= first_ && outbox_before == 0) return Status::Ok();
  before = std::max(before, first_);
  std::string value;
  WriteU64(value, before);
  // Not synced: entries a crash brings back are only read again if no
  // snapshot can be, and they are still right then.
  rocksdb::WriteBatch wb;
  if (before > first_) wb.DeleteRange(EntryKey(first_), EntryKey(before));
  wb.Put(kFirst, value);
  if (outbox_before > 0) {
    wb.DeleteRange(EntryKey(0, 'd'), EntryKey(outbox_before, 'd'));
    wb.DeleteRange(EntryKey(0, 'a'), EntryKey(outbox_before, 'a'));
  }
  rocksdb::Status st = Write(&wb, false);
  if (!st.ok()) return FromRocks(st, "cannot drop the input log's old entries");
  first_ = before;  // the space comes back as RocksDB compacts in the background
  return Status::Ok();
}

Status InputLog::PutNumber(const char* key, uint64_t value, bool sync, const char* what) {
  std::string bytes;
  WriteU64(bytes, value);
  rocksdb::WriteBatch wb;
  wb.Put(key, bytes);
  rocksdb::Status st = Write(&wb, sync);
  if (!st.ok()) return FromRocks(st, std::string("cannot record ") + what);
  return Status::Ok();
}

Status InputLog::SetShards(uint32_t shards) {
  TUTTI_TRY(PutNumber(kShards, shards, /*sync=*/true, "the number of shards"));
  shards_ = shards;
  return Status::Ok();
}

Status InputLog::SetDelivered(uint64_t seq) {
  // Not synced: losing the last cursor in a crash only delivers those
  // actions again (at least once, with their idempotency keys), and it
  // saves an fsync on every request.
  TUTTI_TRY(PutNumber(kDelivered, seq, /*sync=*/false, "deliveries"));
  delivered_ = seq;
  return Status::Ok();
}

Status InputLog::SetAttempts(uint64_t seq, uint32_t attempts) {
  std::string bytes;
  WriteU64(bytes, attempts);
  rocksdb::WriteBatch wb;
  wb.Put(EntryKey(seq, 'a'), bytes);
  rocksdb::Status st = Write(&wb, /*sync=*/false);
  if (!st.ok()) return FromRocks(st, "cannot record a delivery attempt");
  return Status::Ok();
}

Status InputLog::SetRetried(uint64_t seq) {
  const char retried = 'r';
  rocksdb::WriteBatch wb;
  wb.Put(EntryKey(seq, 'd'), rocksdb::Slice(&retried, 1));
  wb.Delete(EntryKey(seq, 'a'));
  rocksdb::Status st = Write(&wb, /*sync=*/true);
  if (!st.ok()) return FromRocks(st, "cannot record a retry");
  return Status::Ok();
}

std::map<uint64_t, char> InputLog::Finals() const {
  std::map<uint64_t, char> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("d"); it->Valid() && it->key().size() == 9 && it->key()[0] == 'd'; it->Next())
    if (it->value().size() == 1) out[ReadU64Be(it->key().data() + 1)] = it->value()[0];
  return out;
}

std::map<uint64_t, uint32_t> InputLog::Attempts() const {
  std::map<uint64_t, uint32_t> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek("a"); it->Valid() && it->key().size() == 9 && it->key()[0] == 'a'; it->Next())
    if (it->value().size() == 8)
      out[ReadU64Be(it->key().data() + 1)] = static_cast<uint32_t>(std::min<uint64_t>(ReadU64(it->value().data()), UINT32_MAX));
  return out;
}

}  // namespace tutti::runtime
