#include "runtime/daemon/history_journal.h"

#include <filesystem>

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "base/text.h"
#include "runtime/daemon/rocks.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

using OJson = nlohmann::ordered_json;

namespace {

constexpr const char* kSince = "m:since";
constexpr const char* kNext = "m:next";

std::string LittleEndian(uint64_t v) {
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(v >> (8 * i) & 0xff));
  return bytes;
}

std::optional<uint64_t> FromLittleEndian(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  return v;
}
/// A stored entry's JSON is read back up to this size and depth.
constexpr size_t kMaxEntryBytes = 64 << 10;
constexpr size_t kMaxEntryDepth = 32;

std::string Dump(const OJson& j) { return j.dump(-1, ' ', false, OJson::error_handler_t::replace); }

void PutLength(std::string& out, std::string_view bytes) {
  out.push_back(static_cast<char>(bytes.size() >> 8 & 0xff));
  out.push_back(static_cast<char>(bytes.size() & 0xff));
  out.append(bytes);
}

/// "h" profile key: every entry of one customer starts with it.
std::string CustomerPrefix(std::string_view profile, std::string_view key) {
  std::string out = "h";
  PutLength(out, profile);
  PutLength(out, key);
  return out;
}

void PutInstant(std::string& out, Instant at) {
  uint64_t v = static_cast<uint64_t>(at) ^ (uint64_t{1} << 63);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i) & 0xff));
}

Instant ReadInstant(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<unsigned char>(p[i]);
  return static_cast<Instant>(v ^ (uint64_t{1} << 63));
}

/// Where the instant starts in an entry's key, or npos when the key is not
/// one.
size_t InstantOffset(std::string_view key) {
  size_t at = 1;
  for (int part = 0; part < 2; ++part) {
    if (key.size() < at + 2) return std::string_view::npos;
    at += 2 + (static_cast<unsigned char>(key[at]) << 8 | static_cast<unsigned char>(key[at + 1]));
  }
  return key.size() >= at + 9 && key[0] == 'h' ? at : std::string_view::npos;
}

/// Drops the entries a compaction finds past the retention.
class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(std::shared_ptr<std::atomic<Instant>> cutoff) : cutoff_(std::move(cutoff)) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice&, std::string*, bool*) const override {
    size_t at = InstantOffset(std::string_view(key.data(), key.size()));
    return at != std::string_view::npos && ReadInstant(key.data() + at) < cutoff_->load(std::memory_order_relaxed);
  }
  const char* Name() const override { return "tutti.history-retention"; }

 private:
  std::shared_ptr<std::atomic<Instant>> cutoff_;
};

char KindLetter(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kAction: return 'a';
    case DecisionKind::kSuppressed: return 's';
    case DecisionKind::kDeferred: return 'd';
    default: return 0;
  }
}

/// A decision's entry: what was done or held back, where and why.
OJson DecisionEntry(const Decision& d) {
  OJson j{{"kind", DecisionKindName(d.kind)}, {"name", d.channel.empty() ? d.action : d.channel}};
  j["journey"] = d.journey;
  j["version"] = d.version;
  j["step"] = d.step;
  j["action"] = d.action;
  if (d.action == "send") j["template"] = Printable(d.content, 200);
  else j["text"] = Printable(d.content, 500);
  if (d.action != "send" && !d.recipient.empty()) j["assignee"] = d.recipient;
  if (d.due) j["due"] = FormatInstant(*d.due);
  if (!d.approval.empty()) j["approval"] = d.approval;
  if (d.until) j["until"] = FormatInstant(*d.until);
  if (!d.policy.empty()) j["policy"] = d.policy;
  if (!d.rule.empty()) j["rule"] = Printable(d.rule, 500);
  if (!d.rule_at.empty()) j["rule_at"] = Printable(d.rule_at, 300);
  if (!d.reason.empty()) j["reason"] = Printable(d.reason, 500);
  j["cause"] = d.cause;
  if (d.input) j["input"] = *d.input;
  if (!d.idempotency_key.empty()) j["idempotency_key"] = d.idempotency_key;
  return j;
}

/// The same entry in an account's history: it says whose it is.
OJson ForAccount(const OJson& entry, const std::string& customer) {
  OJson j;
  for (auto it = entry.begin(); it != entry.end(); ++it) {
    j[it.key()] = it.value();
    if (it.key() == "name") j["customer"] = customer;
  }
  return j;
}

}  // namespace

OJson BoundedFields(const compiler::eval::Value& record, bool* cut) {
  *cut = false;
  OJson all = ToJsonValue(record);
  OJson kept = OJson::object();
  if (!all.is_object()) return kept;
  size_t used = 2;
  for (auto it = all.begin(); it != all.end(); ++it) {
    if (it.key() == "at") continue;  // the entry's own time
    size_t bytes = Dump(it.value()).size() + it.key().size() + 4;
    if (bytes > HistoryJournal::kFieldBytes || used + bytes > HistoryJournal::kFieldsBytes) {
      *cut = true;
      continue;
    }
    used += bytes;
    kept[it.key()] = std::move(it.value());
  }
  return kept;
}

HistoryJournal::~HistoryJournal() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  changed_.notify_all();
  if (writer_.joinable()) writer_.join();  // after writing what was posted
}

Result<std::unique_ptr<HistoryJournal>> HistoryJournal::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("cannot create the history journal's folder " + dir + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  std::unique_ptr<HistoryJournal> journal(new HistoryJournal());
  journal->dir_ = dir;
  journal->filter_ = std::make_unique<RetentionFilter>(journal->cutoff_);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.compaction_filter = journal->filter_.get();
  // Files untouched for a day are compacted again, so that entries past
  // the retention leave the disk even when nothing else is written.
  options.periodic_compaction_seconds = 24 * 60 * 60;
  options.info_log = RocksLogger("history");
  rocksdb::DB* db = nullptr;
  TUTTI_TRY(FromRocks(rocksdb::DB::Open(options, dir, &db), "cannot open the history journal in " + dir));
  journal->db_.reset(db);
  std::string since, next;
  rocksdb::Status read = db->Get(rocksdb::ReadOptions(), kSince, &since);
  if (read.ok() && FromLittleEndian(since)) {
    journal->since_ = static_cast<Instant>(*FromLittleEndian(since));
  } else if (read.IsNotFound()) {
    journal->fresh_ = true;
  } else {
    return Status::Corruption("the history journal in " + dir + " does not say where it starts");
  }
  read = db->Get(rocksdb::ReadOptions(), kNext, &next);
  if (read.ok() && FromLittleEndian(next)) journal->next_ = *FromLittleEndian(next);
  else if (!read.IsNotFound()) return Status::Corruption("the history journal in " + dir + " does not say how far it goes");
  journal->written_next_ = journal->next_;
  journal->writer_ = std::thread(&HistoryJournal::WriteFromQueue, journal.get());
  return journal;
}

Status HistoryJournal::SetSince(Instant since) {
  rocksdb::WriteOptions sync;
  sync.sync = true;
  TUTTI_TRY(FromRocks(db_->Put(sync, kSince, LittleEndian(static_cast<uint64_t>(since))),
                      "cannot write the history journal in " + dir_));
  since_ = since;
  return Status::Ok();
}

std::string HistoryJournal::Encode(const Stored& entry) {
  std::string out(1, entry.kind);
  out += entry.channel;
  out.push_back('\0');
  out += entry.journey;
  out.push_back('\0');
  out += entry.json;
  return out;
}

Result<HistoryJournal::Stored> HistoryJournal::Decode(std::string_view value) {
  if (value.empty() || std::string_view("easd").find(value[0]) == std::string_view::npos)
    return Status::Corruption("a history entry of no kind the journal writes");
  size_t channel_end = value.find('\0', 1);
  size_t journey_end = channel_end == std::string_view::npos ? channel_end : value.find('\0', channel_end + 1);
  if (journey_end == std::string_view::npos) return Status::Corruption("a history entry is cut short");
  Stored s{value[0], std::string(value.substr(1, channel_end - 1)),
           std::string(value.substr(channel_end + 1, journey_end - channel_end - 1)),
           std::string(value.substr(journey_end + 1))};
  if (s.json.size() > kMaxEntryBytes || DeeperThan(s.json, kMaxEntryDepth) != 0 ||
      !OJson::accept(s.json) || s.json.front() != '{')
    return Status::Corruption("a history entry's JSON is damaged");
  return s;
}

Status HistoryJournal::Put(void* batch, std::string_view profile, std::string_view key, Instant at,
                           std::string_view tail, const Stored& entry) {
  if (profile.size() > kMaxKeyBytes || key.size() > kMaxKeyBytes || tail.size() > kMaxTailBytes) return Status::Ok();
  std::string k = CustomerPrefix(profile, key);
  PutInstant(k, at);
  k += tail;
  return FromRocks(static_cast<rocksdb::WriteBatch*>(batch)->Put(k, Encode(entry)), "history journal");
}

void HistoryJournal::Post(std::vector<EventNote> events, std::vector<Decision> decisions, uint64_t next) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return posted_.size() < kMaxPosted; });
  posted_.push_back({std::move(events), std::move(decisions), next});
  changed_.notify_all();
}

void HistoryJournal::WriteFromQueue() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !posted_.empty() || closing_; });
    if (posted_.empty()) return;  // closing, and everything written
    Posted post = std::move(posted_.front());
    posted_.pop_front();
    writing_ = true;
    lock.unlock();
    Status written = Add(post.events, post.decisions, post.next);
    post = Posted();  // the notes' values are let go of here, not under the lock
    lock.lock();
    writing_ = false;
    if (!written.ok()) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      last_failure_ = written.message();
    }
    changed_.notify_all();
  }
}

void HistoryJournal::Drain() const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return posted_.empty() && !writing_; });
}

std::string HistoryJournal::last_failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_failure_;
}

Status HistoryJournal::Add(const std::vector<EventNote>& events, const std::vector<Decision>& decisions,
                           uint64_t next) {
  rocksdb::WriteBatch batch;
  for (const EventNote& e : events) {
    bool cut = false;
    OJson j{{"kind", "event"}, {"name", e.type}, {"fields", BoundedFields(e.record, &cut)}};
    if (cut) j["fields_cut"] = true;
    if (e.input) j["input"] = *e.input;
    auto tail = [&](uint32_t ordinal) {
      std::string t(1, '\x01');
      for (int i = 3; i >= 0; --i) t.push_back(static_cast<char>(e.shard >> (8 * i) & 0xff));
      for (int i = 3; i >= 0; --i) t.push_back(static_cast<char>(ordinal >> (8 * i) & 0xff));
      return t;
    };
    TUTTI_TRY(Put(&batch, e.profile, e.customer, e.at, tail(e.ordinal), {'e', "", "", Dump(j)}));
    if (!e.account.empty())
      TUTTI_TRY(Put(&batch, "account", e.account, e.at, tail(e.account_ordinal),
                    {'e', "", "", Dump(ForAccount(j, e.customer))}));
  }
  for (const Decision& d : decisions) {
    char letter = KindLetter(d.kind);
    if (letter == 0 || d.owner.empty() || d.owner_profile.empty()) continue;
    OJson j = DecisionEntry(d);
    // An action's idempotency key is unique, and so is the one a send held
    // back by the policy would have had; a send put off, or held back for
    // its approval, has none: its instance (journey, version, customer,
    // entry), step and recipient tell it from the others at its instant.
    const std::string& key = d.idempotency_key.empty() ? d.held_key : d.idempotency_key;
    std::string tail = std::string(1, '\x02') + letter + key + '\0';
    if (key.empty())
      tail += d.journey + '\0' + std::to_string(d.version) + '\0' + d.customer + '\0' + std::to_string(d.entry) + '\0' +
              d.step + '\0' + d.recipient;
    TUTTI_TRY(Put(&batch, d.owner_profile, d.owner, d.at, tail, {letter, d.channel, d.journey, Dump(j)}));
    if (!d.owner_account.empty())
      TUTTI_TRY(Put(&batch, "account", d.owner_account, d.at, tail,
                    {letter, d.channel, d.journey, Dump(ForAccount(j, d.owner))}));
  }
  if (batch.Count() == 0 && next <= written_next_) return Status::Ok();
  // With the entries, atomically: a replay need not write them again.
  if (next > written_next_) TUTTI_TRY(FromRocks(batch.Put(kNext, LittleEndian(next)), "history journal"));
  written_next_ = std::max(written_next_, next);
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "cannot write the history journal in " + dir_);
}

Status HistoryJournal::Sync() {
  Drain();
  return FromRocks(db_->SyncWAL(), "cannot sync the history journal in " + dir_);
}

Result<HistoryJournal::Page> HistoryJournal::PageAfter(std::string_view profile, std::string_view key,
                                                       std::string_view after, const HistoryFilter& filter,
                                                       size_t limit, size_t scan) const {
  Drain();  // everything the engine handed out so far is in the pages
  Page page;
  if (profile.size() > kMaxKeyBytes || key.size() > kMaxKeyBytes) return page;
  std::string prefix = CustomerPrefix(profile, key);
  Instant from = filter.from;
  std::string start = prefix;
  PutInstant(start, from);
  bool skip_first = false;
  if (after.size() >= 9 && ReadInstant(after.data()) >= from) {
    start = prefix + std::string(after);
    skip_first = true;
  }
  char wanted = filter.kind.empty() ? 0 : filter.kind == "event" ? 'e' : filter.kind == "action" ? 'a'
                                        : filter.kind == "suppressed"                         ? 's'
                                                                                               : 'd';
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  size_t scanned = 0;
  std::string consumed(after);  // the place of the last entry read
  for (it->Seek(start); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.substr(0, prefix.size()) != prefix || k.size() < prefix.size() + 9) break;
    std::string_view place = k.substr(prefix.size());
    if (skip_first && place == after) continue;
    Instant at = ReadInstant(place.data());
    if (at > filter.to) break;
    auto stored = Decode(std::string_view(it->value().data(), it->value().size()));
    bool show = stored.ok() && (wanted == 0 || stored->kind == wanted) &&
                (filter.channel.empty() || (stored->kind != 'e' && stored->channel == filter.channel)) &&
                (filter.journey.empty() || stored->journey == filter.journey);
    if (show && page.entries.size() == limit) {
      page.next = consumed;  // this one starts the next page
      break;
    }
    consumed = std::string(place);
    if (!stored.ok()) ++page.damaged;
    if (!show) {
      // A page never scans without end on the event loop.
      if (++scanned == scan) {
        page.next = consumed;
        break;
      }
      continue;
    }
    OJson entry{{"at", FormatInstant(at)}};
    OJson body = OJson::parse(stored->json, nullptr, false);
    for (auto field = body.begin(); field != body.end(); ++field) entry[field.key()] = std::move(field.value());
    page.entries.push_back(std::move(entry));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot read the history journal in " + dir_);
  return page;
}

}  // namespace tutti::runtime
