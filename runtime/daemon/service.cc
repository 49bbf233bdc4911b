#include "runtime/daemon/service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <thread>

#include "base/text.h"
#include "runtime/cluster/node.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/snapshot_file.h"
#include "runtime/engine/decision.h"
#include "runtime/engine/partition.h"
#include "runtime/records/json_input.h"

namespace tutti::runtime {

/// The reload reply's warnings for journeys that changed but kept their
/// version number, and any `others` (logged too).
nlohmann::json VersionWarnings(const std::vector<std::string>& not_raised, const std::vector<std::string>& others) {
  nlohmann::json warnings = nlohmann::json::array();
  for (const std::string& text : others) {
    Log(LogLevel::kWarning, "reload", text);
    warnings.push_back(text);
  }
  for (const std::string& name : not_raised) {
    std::string text = "journey '" + name + "' changed but kept its version number: its decisions and the old "
                       "version's show the same number (version_id tells them apart); raise 'version'";
    Log(LogLevel::kWarning, "reload", text);
    warnings.push_back(text);
  }
  return warnings;
}

Service::Service() { DeclareMetrics(); }

Service::~Service() {
  if (feed_) {
    // What was finished is done: the next deliverer of these partitions
    // does not deliver it again.
    WriteOutcomesOnCluster();
    if (Status committed = feed_->Commit(); !committed.ok()) Log(LogLevel::kWarning, "delivery", committed.message());
  }
  feed_.reset();  // leaves the delivery group (its revocations are heard while this is whole)
  node_.reset();  // leaves the group
  if (snapshot_child_ > 0) FinishSnapshot(/*wait=*/true);
  if (actions_) std::fclose(actions_);
}

namespace {

}  // namespace

void Service::CompileSet(JourneySet& set, const ServiceOptions& options) {
  if (!options.jit) return;
  compiler::jit::JitOptions jit;
  if (options.jit_cache != "none") {
    std::string dir = options.jit_cache.empty() ? options.data_dir + "/jit-cache" : options.jit_cache;
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec) jit.cache_dir = dir;  // else compile without a cache
  }
  std::string version = set.Fingerprint();
  set.CompileInBackground(jit, [version](const Status& status, double seconds) {
    if (status.ok()) {
      Log(LogLevel::kInfo, "jit", "the journeys run as native code from now",
          {{"fingerprint", version}, {"seconds", seconds}});
    } else if (status.code() != StatusCode::kUnavailable) {  // not a set dropped while compiling
      Log(LogLevel::kWarning, "jit", "cannot compile the journeys to native code; those not compiled yet stay interpreted: " +
          status.message(), {{"fingerprint", version}});
    }
  });
}

namespace {

/// The text of a kJourneys log entry for `set`.
std::string VersionText(const JourneySet& set) {
  Json files = Json::array();
  for (const auto& [path, text] : set.Sources()) files.push_back(Json::array({path, text}));
  return Json{{"fingerprint", set.Fingerprint()}, {"files", files}}.dump();
}

}  // namespace

std::FILE* Service::OpenActionsFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return nullptr;
  std::FILE* f = ::fdopen(fd, "a");
  if (f == nullptr) ::close(fd);
  return f;
}

Status Service::OpenActions() {
  std::string path = options_.actions_file.empty() ? options_.data_dir + "/actions.ndjson" : options_.actions_file;
  actions_ = OpenActionsFile(path);
  if (actions_ == nullptr) return Status::Unavailable("cannot open the actions file " + path);
  return Status::Ok();
}

void Service::DeclareMetrics() {
  Metrics& m = metrics_;
  m.AddGauges("tutti_build_info", "Always 1: the version of tutti running, and the commit it was built from.",
              {"version", "revision"}, [] {
                return std::map<std::vector<std::string>, double>{{{TUTTI_VERSION, TUTTI_REVISION}, 1}};
              });
  m.AddGauge("tutti_shards", "Engines splitting the customers between them.",
             [this] { return shards_ ? shards_->count() : 0.0; });
  m.AddGauge("tutti_instances_active", "Journey instances running or waiting.",
             [this] { return shards_ ? static_cast<double>(shards_->active_instances()) : 0.0; });
  m.AddGauge("tutti_timers_pending", "Timers waiting to fall due.",
             [this] { return shards_ ? static_cast<double>(shards_->pending_timers()) : 0.0; });
  m.AddGauge("tutti_outbox_pending", "Actions not yet delivered.",
             [this] { return shards_ ? static_cast<double>(shards_->outbox().pending()) : 0.0; });
  m.AddGauge("tutti_outbox_entries", "Actions held in memory for GET /v1/actions.",
             [this] { return shards_ ? static_cast<double>(shards_->outbox().size()) : 0.0; });
  m.AddGauge("tutti_input_log_entries", "The number the next input gets in the input log.",
             [this] { return log_ ? static_cast<double>(log_->size()) : 0.0; });
  m.AddGauge("tutti_input_log_first", "The first entry still held in the input log.",
             [this] { return log_ ? static_cast<double>(log_->first()) : 0.0; });
  m.AddGauge("tutti_inputs_unapplied", "Inputs logged and acknowledged, not yet applied to the engine.",
             [this] { return static_cast<double>(unapplied_.size()); });
  m.AddGauge("tutti_deliveries_in_flight", "Delivery attempts in flight.", [this] {
    double n = 0;
    for (const auto& [channel, q] : channels_) n += q.in_flight;
    return n;
  });
  records_in_ = &m.AddCounters("tutti_records_in_total", "Events and profiles accepted.", {"kind"});
  records_refused_ = &m.AddCounters("tutti_records_refused_total",
                                    "Lines refused: bad input, or a write the log refused.", {"kind"});
  m.AddCounter("tutti_events_in_total", "Events accepted.", [this] { return records_in_->At({"event"}).value(); });
  m.AddCounter("tutti_events_refused_total", "Event lines refused.",
               [this] { return records_refused_->At({"event"}).value(); });
  m.AddCounter("tutti_profiles_in_total", "Profiles accepted.", [this] { return records_in_->At({"profile"}).value(); });
  m.AddCounter("tutti_profiles_refused_total", "Profile lines refused.",
               [this] { return records_refused_->At({"profile"}).value(); });
  m.AddGauges("tutti_journey_entered", "Instances started, per journey (every version together).", {"journey"},
              [this] {
                std::map<std::vector<std::string>, double> out;
                if (!shards_) return out;
                std::vector<JourneyStats> stats = shards_->stats();
                for (uint32_t i = 0; i < stats.size(); ++i)
                  out[{shards_->shard(0).journey(i).name}] += static_cast<double>(stats[i].entered);
                return out;
              });
  actions_total_ = &m.AddCounters("tutti_actions_total",
                                  "Actions by channel and outcome: delivered, retried, dead_letter.",
                                  {"channel", "outcome"});
  suppressed_ = &m.AddCounters("tutti_suppressed_total", "Sends a contact policy held back.", {"policy", "rule"});
  decisions_ = &m.AddCounters("tutti_decisions_total", "Deferred sends, unassigned tasks, run-time errors.",
                              {"decision"});
  snapshots_total_ = &m.AddCounters("tutti_snapshots_total", "Snapshots written or failed.", {"outcome"});
  unusable_snapshots_ = &m.AddCounter("tutti_snapshots_unusable_total", "Snapshots that could not be used at a start.");
  snapshot_bytes_ = &m.AddGauge("tutti_snapshot_last_bytes", "The size of the last snapshot written.");
  snapshot_seconds_ = &m.AddGauge("tutti_snapshot_last_duration_seconds", "The time the last snapshot took to write.");
  fork_seconds_ = &m.AddGauge("tutti_snapshot_fork_duration_seconds",
                              "How long inputs waited for the fork of the last snapshot's writer.");
  restored_position_ = &m.AddGauge("tutti_snapshot_restored_position",
                                   "The input log position of the snapshot restored at the start.");
  replayed_ = &m.AddCounter("tutti_input_log_replayed_total", "Inputs replayed at the start.");
  undecodable_ = &m.AddCounter("tutti_input_log_undecodable_total", "Logged inputs that no longer decode.");
  log_failures_ = &m.AddCounter("tutti_input_log_failures_total", "Writes the input log refused.");
  log_commits_ = &m.AddCounter("tutti_input_log_commits_total", "Synced writes of inputs (group commits).");
  data_loss_total_ = &m.AddCounters("tutti_data_loss_total",
                                    "Damage found at a start that lost acknowledged inputs (--accept-data-loss).",
                                    {"what"});
  journal_failures_ = &m.AddCounter("tutti_history_journal_failures_total", "Writes the history journal refused.");
  journal_damaged_ = &m.AddCounter("tutti_history_journal_damaged_total",
                                   "History entries that could not be read back, left out of pages.");
  delivery_failures_ = &m.AddCounter("tutti_delivery_failures_total", "Writes the actions file refused.");
  outcomes_in_ = &m.AddCounter("tutti_outcomes_in_total", "Outcome reports taken (POST /v1/outcomes).");
  outcomes_refused_ = &m.AddCounter("tutti_outcomes_refused_total", "Outcome reports refused.");
  outcome_events_refused_ = &m.AddCounter("tutti_outcome_events_refused_total",
                                          "Delivery outcomes that could not be fed back as events.");
  reloads_ = &m.AddCounters("tutti_reloads_total", "Versions of the journeys taken on or refused.", {"outcome"});
  requests_ = &m.AddCounters("tutti_http_requests_total", "Requests served.", {"route", "status"});
  refusals_ = &m.AddCounters("tutti_http_refused_total",
                             "Connections and requests refused before reaching a route.", {"reason"});
  request_seconds_ = &m.AddHistograms("tutti_http_request_duration_seconds",
                                      "Time to handle a request, durable write included.", {"route"});
  store_seconds_ = &m.AddHistograms("tutti_store_write_duration_seconds", "Writes to the input log.", {"operation"});
}

Result<std::unique_ptr<Service>> Service::Start(const ServiceOptions& options) {
  if (!options.kafka.kafka.brokers.empty()) return StartCluster(options);
  std::unique_ptr<Service> s(new Service());
  s->options_ = options;
  std::error_code ec;
  // The folder holds personal data: made for its owner alone. One that
  // exists keeps its mode (it may be shared), said when others can read it.
  bool made = std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return Status::Unavailable("cannot create the data folder " + options.data_dir + ": " + ec.message());
  if (made) std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all, ec);
  auto perms = std::filesystem::status(options.data_dir, ec).permissions();
  using std::filesystem::perms;
  if (!ec && (perms & (perms::group_all | perms::others_all)) != perms::none)
    Log(LogLevel::kWarning, "start", "the data folder can be read by others than its owner; it holds personal data",
        {{"folder", options.data_dir}});
  TUTTI_ASSIGN_OR_RETURN(s->log_, InputLog::Open(options.data_dir + "/log", {options.accept_data_loss}));
  if (!s->log_->damage().empty()) s->AcceptLoss(s->log_->damage());
  TUTTI_TRY(s->OpenActions());
  // The newest snapshot, if any, and then the log after it rebuild the
  // state under the versions of the journeys it was written under, each
  // from where it took over.
  s->finals_ = s->log_->Finals();
  s->logged_attempts_ = s->log_->Attempts();
  // A log written before shards existed was applied to one engine.
  if (s->log_->shards() == 0 && s->log_->size() > 0) TUTTI_TRY(s->log_->SetShards(1));
  TUTTI_TRY(s->OpenJournal());
  TUTTI_ASSIGN_OR_RETURN(uint64_t from, s->Restore());
  // A journal made now holds everything from the snapshot restored on (a
  // replay from it writes the rest); the engine's history what came before.
  if (s->journal_ && s->journal_->fresh()) TUTTI_TRY(s->journal_->SetSince(s->shards_ ? s->shards_->now() + 1 : INT64_MIN));
  TUTTI_TRY(s->ReplayLog(from));
  // On the system clock the live run settled the last batch's sends when it
  // had applied them (Commit); the replay does the same at its end.
  if (s->shards_ && !options.virtual_clock) s->shards_->AdvanceTo(s->shards_->now() + 1);
  if (s->shards_) {
    // Made before this start: already counted and delivered then, and
    // journalled again (the same keys).
    s->Journal(s->shards_->TakeDecisions());
    s->logged_now_ = s->shards_->now();
    s->ResumeDeliveries(s->log_->delivered());
  }
  // Then the journeys folder is the version to run: a reload if it changed.
  PreparedReload now = PrepareReload(options);
  if (now.set == nullptr)
    return Status::Invalid(now.error + (now.diagnostics.empty() ? "" : ":\n" + now.diagnostics));
  if (s->sets_.empty() || s->set().Fingerprint() != now.set->Fingerprint()) {
    bool first = s->sets_.empty();
    Reply r = s->CommitReload(std::move(now));
    if (r.status != 200) {
      Json body = Json::parse(r.body, nullptr, false);
      std::string why = body.is_object() ? body.value("detail", r.body) : r.body;
      return Status::Conflict("cannot take on the journeys in " + options.journeys + ": " + why);
    }
    if (!first) Log(LogLevel::kInfo, "reload", "the journeys changed since the last start: " + r.body);
  }
  s->Deliver();
  return s;
}

Status Service::OpenJournal() {
  std::string dir = options_.data_dir + "/history";
  if (!options_.history_details) {
    // A journal that missed what happened while it was off would show
    // gaps: one turned on again starts afresh.
    std::error_code ec;
    if (std::filesystem::remove_all(dir, ec) > 0)
      Log(LogLevel::kInfo, "start", "history details are off: the history journal is removed", {{"folder", dir}});
    return Status::Ok();
  }
  auto opened = HistoryJournal::Open(dir);
  if (!opened.ok() && opened.status().code() == StatusCode::kCorruption) {
    // Only history's details are lost with it (the engine keeps every
    // entry's time, kind, name and journey): set aside, and a new one made.
    std::string stem = dir + ".damaged-" + std::to_string(::time(nullptr)), aside = stem;
    std::error_code ec;
    for (int n = 2; std::filesystem::exists(aside, ec) && n < 100; ++n) aside = stem + "-" + std::to_string(n);
    std::filesystem::rename(dir, aside, ec);
    if (ec) return opened.status();
    data_loss_total_->At({"history_journal"}).Add();
    Log(LogLevel::kError, "start", "the history journal was damaged; it is set aside and a new one made: " +
        opened.status().message(), {{"folder", aside}});
    opened = HistoryJournal::Open(dir);
  }
  TUTTI_ASSIGN_OR_RETURN(journal_, std::move(opened));
  return Status::Ok();
}

void Service::Journal(std::vector<Decision> decisions) {
  if (!journal_ || !shards_) return;
  if (journal_skips_) {
    // A replay of inputs whose entries the journal holds already.
    shards_->TakeEventNotes();
    return;
  }
  Instant now = shards_->now();
  journal_->SetCutoff(now < INT64_MIN + HistoryRetention() ? INT64_MIN : now - HistoryRetention());
  journal_->Post(shards_->TakeEventNotes(), std::move(decisions), applied_next_);
  if (uint64_t failures = journal_->failures(); failures > journal_failures_seen_) {
    journal_failures_->Add(static_cast<double>(failures - journal_failures_seen_));
    journal_failures_seen_ = failures;
    Log(LogLevel::kError, "history", journal_->last_failure());
  }
}

void Service::AcceptLoss(const std::string& what) {
  data_loss_ += (data_loss_.empty() ? "" : "; ") + what;
  data_loss_total_->At({"input_log"}).Add();
  Log(LogLevel::kError, "start", "going on after damage that lost acknowledged inputs (--accept-data-loss): " + what);
}

Status Service::ReplayLog(uint64_t from) {
  uint64_t replayed = 0;
  Status failure;
  uint64_t stopped_at = 0;
  // What the journal holds already is not written again (Journal skips
  // it): from the first input it may lack on, the replay journals.
  journal_skips_ = journal_ && journal_->next() > from;
  Status read = log_->Replay(
      from,
      [&](const InputLog::Entry& e) {
        if (!failure.ok()) return;
        if (journal_skips_ && e.seq >= journal_->next()) {
          FlushReplay();
          if (shards_) Journal(shards_->TakeDecisions());
          journal_skips_ = false;
        }
        failure = Apply(e);
        applied_next_ = e.seq + 1;  // once FlushReplay has applied it
        // Settle and trim as the replay goes, so that the outbox stays small.
        if (++replayed % 4096 == 0 && shards_) {
          FlushReplay();
          Journal(shards_->TakeDecisions());
          ResumeDeliveries(log_->delivered());
        }
      },
      &stopped_at);
  TUTTI_TRY(failure);
  replayed_->Add(static_cast<double>(replayed));
  FlushReplay();
  if (shards_) Journal(shards_->TakeDecisions());
  journal_skips_ = false;
  if (read.ok()) return Status::Ok();
  if (read.code() != StatusCode::kCorruption) return read;
  if (!options_.accept_data_loss)
    return read.With("the input log in " + options_.data_dir + "/log cannot be read past entry " +
                     std::to_string(stopped_at) + ", and the acknowledged inputs after it would be lost. "
                     "Restore the data folder from a backup, or start with --accept-data-loss to go on with "
                     "the inputs before the damage");
  AcceptLoss(read.message() + " (the entries from " + std::to_string(stopped_at) + " on were dropped)");
  TUTTI_TRY(log_->CutAt(stopped_at));
  // Snapshots written after the damage point no longer follow from the log.
  SetAsideSnapshotsPast(SnapshotDir(), stopped_at);
  std::erase_if(snapshots_, [&](uint64_t position) { return position > stopped_at; });
  return Status::Ok();
}

std::string Service::SnapshotDir() const { return options_.data_dir + "/snapshots"; }

Result<uint64_t> Service::Restore() {
  std::string dir = SnapshotDir();
  RemoveUnfinishedSnapshots(dir);
  std::string refused;  // why snapshots that are whole could not be used
  // A snapshot past the log's end holds inputs the log lost (its tail was
  // damaged, or an older copy of it was put back).
  if (auto newest = SnapshotFiles(dir); !newest.empty() && newest.front().first > log_->size()) {
    std::string why = "the snapshot " + newest.front().second + " holds inputs up to " +
                      std::to_string(newest.front().first) + ", and the input log in " + options_.data_dir +
                      "/log ends at " + std::to_string(log_->size());
    if (!options_.accept_data_loss)
      return Status::Corruption(why + ": acknowledged inputs are missing from the log. Restore the data folder from a "
                                      "backup, or start with --accept-data-loss to go on with the log as it is");
    AcceptLoss(why + "; set aside as *.stale, the state they held is lost");
    SetAsideSnapshotsPast(dir, log_->size());
  }
  for (const auto& [position, path] : SnapshotFiles(dir)) {
    Result<Snapshot> read = ReadSnapshot(path);
    Status why = read.status();
    if (read.ok() && (read->position != position || read->position < log_->first() || read->position > log_->size()))
      why = Status::Conflict(path + " does not fit the input log, which holds entries " +
                             std::to_string(log_->first()) + " to " + std::to_string(log_->size()));
    if (why.ok()) {
      for (const std::string& version : read->versions) {
        // A version that no longer builds fails a replay from the log the
        // same way: no other snapshot would do better.
        TUTTI_ASSIGN_OR_RETURN(std::unique_ptr<JourneySet> set, BuildVersion(version));
        TUTTI_TRY(Adopt(std::move(set), nullptr, /*restoring=*/true));
      }
      if (shards_ == nullptr) why = Status::Corruption(path + " holds no version of the journeys");
      else why = shards_->Restore(read->engine).With(path);
    }
    if (why.ok()) {
      logged_now_ = read->logged_now;
      for (const auto& [kept, ignored] : SnapshotFiles(dir)) snapshots_.push_back(kept);
      Log(LogLevel::kInfo, "start", "restored a snapshot; replaying the inputs after it",
          {{"position", position}, {"inputs", log_->size() - position}});
      restored_position_->Set(static_cast<double>(position));
      return position;
    }
    unusable_snapshots_->Add();
    shards_.reset();
    sets_.clear();
    if (why.code() == StatusCode::kCorruption) {
      // Not whole (bit rot, a truncated copy): set aside, never tried again.
      Log(LogLevel::kError, "start", "a snapshot is damaged; setting it aside as " + path + ".damaged: " + why.message());
      std::error_code ec;
      std::filesystem::rename(path, path + ".damaged", ec);
    } else {
      // Whole, but not for this tutti or this log (another build, a copied
      // folder) or unreadable now: left in place for the tutti it fits.
      Log(LogLevel::kWarning, "start", "cannot use a snapshot: " + why.message());
      refused += "\n  " + why.message();
    }
  }
  if (log_->first() > 0) {
    std::string why = "the input log before input " + std::to_string(log_->first()) +
                      " was dropped after a snapshot, and no snapshot in " + dir + " can be used" +
                      (refused.empty() ? "" : ":" + refused);
    if (!options_.accept_data_loss)
      return Status::Corruption(why + (refused.empty() ? "\nRestore the data folder from a backup, or start with "
                                                          "--accept-data-loss to go on with the log after it"
                                                        : "\nStart the tutti (and stdlib) that wrote them, restore "
                                                          "the data folder from a backup, or start with "
                                                          "--accept-data-loss to go on with the log after it"));
    data_loss_total_->At({"snapshot"}).Add();
    data_loss_ += (data_loss_.empty() ? "" : "; ") + why + " (started from the log after it, without that state)";
    Log(LogLevel::kError, "start", "going on after damage that lost acknowledged inputs (--accept-data-loss): " + why);
    // The version the dropped part of the log was written under is lost
    // with it: the journeys folder's stands in, until the log names another.
    PreparedReload now = PrepareReload(options_);
    if (now.set == nullptr) return Status::Invalid(now.error + (now.diagnostics.empty() ? "" : ":\n" + now.diagnostics));
    TUTTI_TRY(Adopt(std::move(now.set), nullptr));
    return log_->first();
  }
  return uint64_t{0};
}

void Service::SaveSnapshot(bool in_background) {
  if (node_) return;  // a cluster's partitions are Kafka's to keep
  if (snapshot_child_ > 0) FinishSnapshot(/*wait=*/!in_background);
  uint64_t position = log_->size();
  if (snapshot_child_ > 0 || options_.snapshot_every == 0 || shards_ == nullptr || HasWork() || !staged_.empty() ||
      (!snapshots_.empty() && snapshots_.front() >= position))
    return;
  // With the data folder gone, a snapshot would fit no log.
  if (!log_->CheckFolder().ok()) return;
  if (journal_) {
    // What the journal holds of the inputs before the snapshot would be
    // written again by no replay from it: everything handed out so far,
    // durable first.
    Deliver();
    if (Status synced = journal_->Sync(); !synced.ok()) {
      snapshots_total_->At({"failed"}).Add();
      Log(LogLevel::kError, "snapshot", synced.message() + "; no snapshot until it can be synced");
      return;
    }
  }
  Snapshot snap{position, logged_now_, {}, {}};
  for (const auto& set : sets_) snap.versions.push_back(VersionText(*set));
  std::string dir = SnapshotDir();
  snapshot_position_ = position;
  snapshot_outbox_first_[position] = shards_->outbox().first_seq();
  snapshot_started_ = std::chrono::steady_clock::now();
  int errors[2];
  if (in_background && ::pipe2(errors, O_CLOEXEC | O_NONBLOCK) == 0) {
    // A child process saves the state as it was at the fork (its pages
    // are shared copy-on-write) while this one goes on serving: inputs
    // wait only for the fork. It dies with this process. It logs nothing
    // (locks held at the fork may never be released in it): why it failed
    // comes back through the pipe, for this process to log.
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(2);
      snap.engine = shards_->Save();
      Status written = WriteSnapshot(dir, snap, 2);
      if (!written.ok()) {
        std::string why = written.message().substr(0, 4000);
        [[maybe_unused]] ssize_t n = ::write(errors[1], why.data(), why.size());
      }
      ::_exit(written.ok() ? 0 : 1);
    }
    ::close(errors[1]);
    if (pid > 0) {
      snapshot_child_ = pid;
      snapshot_errors_ = errors[0];
      fork_seconds_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - snapshot_started_).count());
      return;
    }
    ::close(errors[0]);
    // No fork (no memory for another process): saved here instead.
  }
  snap.engine = shards_->Save();
  Snapshotted(WriteSnapshot(dir, snap, 2));
}

void Service::FinishSnapshot(bool wait) {
  int status = 0;
  pid_t done = ::waitpid(snapshot_child_, &status, wait ? 0 : WNOHANG);
  if (done == 0) return;  // still writing
  snapshot_child_ = -1;
  char why[4000];
  ssize_t n = ::read(snapshot_errors_, why, sizeof why);
  ::close(snapshot_errors_);
  snapshot_errors_ = -1;
  bool ok = done > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  Snapshotted(ok ? Status::Ok()
              : n > 0 ? Status::Unavailable(Printable(std::string_view(why, static_cast<size_t>(n)), 4000))
                      : Status::Unavailable("the process writing a snapshot failed (status " + std::to_string(status) + ")"));
}

void Service::Snapshotted(const Status& error) {
  if (!error.ok()) {
    snapshot_failed_at_ = snapshot_position_;
    snapshots_total_->At({"failed"}).Add();
    Log(LogLevel::kError, "snapshot", error.message() + " (the input log still holds everything)");
    return;
  }
  snapshots_total_->At({"written"}).Add();
  std::error_code ec;
  auto bytes = std::filesystem::file_size(SnapshotPath(SnapshotDir(), snapshot_position_), ec);
  snapshot_bytes_->Set(ec ? 0 : static_cast<double>(bytes));
  snapshot_seconds_->Set(std::chrono::duration<double>(std::chrono::steady_clock::now() - snapshot_started_).count());
  snapshots_.insert(snapshots_.begin(), snapshot_position_);
  if (snapshots_.size() > 2) snapshots_.resize(2);
  // The log from the older snapshot kept on, so that either can be used.
  // Final states and attempt counts of actions that neither holds in its
  // outbox are never read again: dropped with the log before them.
  std::erase_if(snapshot_outbox_first_, [&](const auto& kept) {
    return std::find(snapshots_.begin(), snapshots_.end(), kept.first) == snapshots_.end();
  });
  if (snapshots_.size() == 2) {
    uint64_t outbox_before = snapshot_outbox_first_.size() == 2
                                 ? std::min(snapshot_outbox_first_.begin()->second, snapshot_outbox_first_.rbegin()->second)
                                 : 0;
    if (Status dropped = Stored("drop", [&] { return log_->Drop(snapshots_[1], outbox_before); }); !dropped.ok())
      Log(LogLevel::kError, "input-log", dropped.message());
    else if (outbox_before > 0) {
      finals_.erase(finals_.begin(), finals_.lower_bound(outbox_before));
      logged_attempts_.erase(logged_attempts_.begin(), logged_attempts_.lower_bound(outbox_before));
    }
  }
}

PreparedReload Service::PrepareReload(const ServiceOptions& options) {
  auto started = std::chrono::steady_clock::now();
  PreparedReload out;
  compiler::DiagnosticSink sink;
  out.set = JourneySet::Load({options.journeys}, options.stdlib_dir, sink);
  // The log keeps each version's files by name and text as JSON: a name
  // (or a text) that is not UTF-8 could not be written there.
  std::string not_utf8;
  if (out.set != nullptr)
    for (const auto& [path, text] : out.set->Sources())
      if (!ValidUtf8(path) || !ValidUtf8(text)) not_utf8 = Printable(path, 200);
  if (out.set == nullptr) {
    out.error = "the journeys in " + options.journeys + " do not check";
    out.diagnostics = compiler::RenderText(sink.Sorted());
  } else if (!not_utf8.empty()) {
    out.set.reset();
    out.error = "the journeys file " + not_utf8 + " has a name or text that is not UTF-8; rename or fix it";
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

Reply Service::CommitReload(PreparedReload prepared) {
  if (node_ && prepared.set != nullptr) return PublishOnCluster(std::move(prepared));
  if (prepared.set == nullptr) {
    reloads_->At({"refused"}).Add();
    Json extra = Json::object();
    if (!prepared.diagnostics.empty()) extra["diagnostics"] = prepared.diagnostics;
    return Problem(prepared.diagnostics.empty() ? 500 : 422, prepared.error, extra);
  }
  std::string fingerprint = prepared.set->Fingerprint();
  if (!sets_.empty()) {
    if (fingerprint == set().Fingerprint())
      return JsonReply(200, Json{{"status", "unchanged"}, {"fingerprint", fingerprint}});
    // Checked before the version is logged: a logged one must be taken on.
    if (Status refusal = shards_->ReloadRefusal(prepared.set->schemas(), prepared.set->ir()); !refusal.ok()) {
      reloads_->At({"refused"}).Add();
      return Problem(409, refusal.message() + " (the running journeys stay)");
    }
  }
  // Logged before it is taken on, like any input: a replay takes it on at
  // the same point, after the inputs logged before it.
  if (shards_) {
    Commit();  // batches staged before it were stamped before it: they go first
    Drain();
  }
  InputLog::Entry e{shards_ ? std::max(shards_->now(), LogTime()) : 0, InputLog::Kind::kJourneys,
                    VersionText(*prepared.set)};
  if (shards_) logged_now_ = e.at;
  if (Status appended = Stored("append", [&] { return log_->Append({e}); }); !appended.ok()) {
    return TryAgain(appended.message(), 5);
  }
  if (shards_) shards_->AdvanceTo(e.at);  // as Apply does in a replay
  Engine::ReloadReport report;
  bool first = sets_.empty();
  if (Status adopted = Adopt(std::move(prepared.set), &report); !adopted.ok()) return Problem(500, adopted.message());
  reloads_->At({first ? "started" : "reloaded"}).Add();
  Deliver();
  Json warnings = VersionWarnings(report.number_not_raised, report.warnings);
  return JsonReply(200, Json{{"status", "reloaded"},
                             {"fingerprint", fingerprint},
                             {"seconds", prepared.seconds},
                             {"unchanged", report.unchanged},
                             {"changed", report.changed},
                             {"added", report.added},
                             {"removed", report.removed},
                             {"instances_carried_over", report.carried_over},
                             {"instances_finishing_on_their_version", report.left_on_old},
                             {"instances_migrated", report.migrated},
                             {"version_not_raised", report.number_not_raised},
                             {"warnings", warnings}});
}

Status Service::Adopt(std::unique_ptr<JourneySet> set, Engine::ReloadReport* report, bool restoring) {
  // Compiled once taken on, so that a version found unchanged or refused
  // is dropped without waiting for LLVM.
  CompileSet(*set, options_);
  if (shards_ != nullptr) {
    TUTTI_ASSIGN_OR_RETURN(Engine::ReloadReport reloaded,
                           shards_->Reload(set->ir(), set->schemas(), set->functions(), set->native()));
    if (report) *report = std::move(reloaded);
    sets_.push_back(std::move(set));
    return Status::Ok();
  }
  TUTTI_ASSIGN_OR_RETURN(uint32_t count, ShardCount(*set));
  sets_.push_back(std::move(set));
  const JourneySet& first = *sets_.back();
  shards_ = std::make_unique<Shards>(count, [&](EngineOptions o) {
    o.note_events = journal_ != nullptr;
    return first.NewEngine(o);
  });
  // The profiles file, at every start, right after the first version
  // (a snapshot holds them already).
  if (options_.profiles.empty() || restoring) return Status::Ok();
  DecodeOptions po;
  po.accept = Accept::kProfiles;
  DecodedFile f = DecodeFile(this->set().schemas(), options_.profiles, po);
  TUTTI_TRY(f.read);
  // Where and why, never the value: a profile holds personal data.
  for (const auto& e : f.errors)
    Log(LogLevel::kWarning, "start", "a profile of the profiles file was refused: " + e.ForLog(),
        {{"file", options_.profiles}});
  std::vector<Shards::Input> inputs;
  for (const Record& r : f.records) inputs.push_back({shards_->now(), &r});
  shards_->Apply(inputs);
  records_in_->At({"profile"}).Add(static_cast<double>(f.records.size()));
  records_refused_->At({"profile"}).Add(static_cast<double>(f.errors.size()));
  return Status::Ok();
}

Result<std::unique_ptr<JourneySet>> Service::BuildVersion(const std::string& text) const {
  auto version = ParseJsonInput(text, {64u << 20, 8});
  std::vector<std::pair<std::string, std::string>> files;
  bool whole = version.ok() && version->is_object() && version->contains("files") && (*version)["files"].is_array();
  for (const auto& f : whole ? (*version)["files"] : nlohmann::json::array()) {
    whole = whole && f.is_array() && f.size() == 2 && f[0].is_string() && f[1].is_string();
    if (whole) files.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
  }
  if (!whole) return Status::Corruption("the input log or a snapshot has a damaged version of the journeys");
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText(files, options_.stdlib_dir, sink);
  if (set == nullptr)
    return Status::Conflict("a version of the journeys in the input log no longer checks (was the stdlib changed?):\n" +
                            compiler::RenderText(sink.Sorted()));
  if (!(*version)["fingerprint"].is_string() || set->Fingerprint() != (*version)["fingerprint"].get<std::string>())
    Log(LogLevel::kWarning, "start",
        "the stdlib changed since the input log was written; replaying it under this stdlib");
  return set;
}

Status Service::Apply(const InputLog::Entry& entry) {
  // Every input is applied at its logged time: the clock first moves there
  // (firing what fell due), as it had in the live run, whatever moved it
  // then (a tick, the end of a batch).
  if (entry.kind == InputLog::Kind::kJourneys) {
    FlushReplay();
    if (shards_ != nullptr) shards_->AdvanceTo(entry.at);
    TUTTI_ASSIGN_OR_RETURN(std::unique_ptr<JourneySet> set, BuildVersion(entry.text));
    return Adopt(std::move(set), nullptr);
  }
  if (shards_ == nullptr)
    return Status::Conflict("the input log in " + options_.data_dir +
                            " does not start with the journeys it was written under (an older tutti wrote it): "
                            "start with a new --data folder");
  DecodeOptions options;
  switch (entry.kind) {
    case InputLog::Kind::kProfile:
    case InputLog::Kind::kEvent: {
      bool event = entry.kind == InputLog::Kind::kEvent;
      options.accept = event ? Accept::kEvents : Accept::kProfiles;
      if (event) options.default_at = ToTimestamp(entry.at);
      DecodeResult r = DecodeLine(set().schemas(), entry.text, 0, options);
      // Every logged line decoded before it was logged, under the version
      // of the journeys the log says was running.
      if (!r.ok()) undecodable_->Add();
      else r.record().input = entry.seq;
      replay_.emplace_back(entry.at, r.ok() ? std::optional<Record>(std::move(r.record())) : std::nullopt);
      break;
    }
    case InputLog::Kind::kClock: replay_.emplace_back(entry.at, std::nullopt); break;
    case InputLog::Kind::kPause:
    case InputLog::Kind::kResume:
      FlushReplay();
      shards_->AdvanceTo(entry.at);
      shards_->SetPaused(entry.text, entry.kind == InputLog::Kind::kPause);
      break;
    case InputLog::Kind::kJourneys: break;
  }
  if (replay_.size() >= 4096) FlushReplay();
  return Status::Ok();
}

void Service::FlushReplay() {
  if (replay_.empty()) return;
  std::vector<Shards::Input> inputs;
  inputs.reserve(replay_.size());
  for (const auto& [at, record] : replay_) inputs.push_back({at, record ? &*record : nullptr});
  shards_->Apply(inputs);
  replay_.clear();
}

Result<uint32_t> Service::ShardCount(const JourneySet& set) {
  if (log_->shards() != 0) {
    if (options_.shards != 0 && options_.shards != log_->shards())
      Log(LogLevel::kWarning, "start",
          options_.data_dir + " was written by " + std::to_string(log_->shards()) + " shards: running " +
              std::to_string(log_->shards()) + ", not the " + std::to_string(options_.shards) + " configured");
    return log_->shards();
  }
  uint32_t count = options_.shards != 0 ? options_.shards : std::max(1u, std::thread::hardware_concurrency());
  if (count > 1)
    if (auto why = WhyOneShard(set.ir())) {
      Log(LogLevel::kWarning, "start", "running on one shard, not " + std::to_string(count) + ": " + *why);
      count = 1;
    }
  TUTTI_TRY(log_->SetShards(count));
  return count;
}

Status Service::Stored(const char* operation, const std::function<Status()>& write) {
  auto started = std::chrono::steady_clock::now();
  Status status = write();
  store_seconds_->At({operation}).Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!status.ok()) log_failures_->Add();
  return status;
}

const std::chrono::microseconds Service::kSlice{1000};

Instant Service::LogTime() {
  return options_.virtual_clock ? logged_now_ : std::max(logged_now_, clock_.Now());
}

Reply Service::IngestReply(const IngestResult& r) {
  Json results = Json::array();
  for (const auto& [line, error] : r.lines) {
    if (error.empty()) results.push_back({{"line", line}, {"status", "accepted"}});
    else results.push_back({{"line", line}, {"status", "refused"}, {"error", error}});
  }
  if (r.status != 200) {
    Json extra{{"accepted", r.accepted}, {"refused", r.refused}, {"results", results}};
    Reply reply = Problem(r.status, r.error.empty() ? "no line of the body was accepted" : r.error, extra);
    if (r.status == 503) reply.headers.emplace_back("Retry-After", "5");
    return reply;
  }
  Json reply{{"accepted", r.accepted}, {"refused", r.refused}, {"results", results}};
  if (!r.error.empty()) reply["error"] = r.error;
  return JsonReply(r.status, reply);
}

IngestResult Service::Ingest(std::string_view body, Accept accept) {
  IngestResult result;
  Stage(body, accept, [&](IngestResult r) { result = std::move(r); });
  Commit();  // with whatever else was staged; a commit the server posted then finds nothing
  return result;
}

namespace {

/// Whether `body` is one JSON object written over several lines (a person
/// with curl) rather than NDJSON: it has more than one line, its first
/// line is not a whole value by itself, and the whole body is one object.
/// Its one-line form then.
std::optional<std::string> OneObjectOverLines(std::string_view body) {
  size_t nl = body.find('\n');
  if (nl == std::string_view::npos || body.find_first_not_of(" \t\r\n", nl) == std::string_view::npos)
    return std::nullopt;
  if (ParseJsonInput(body.substr(0, nl)).ok()) return std::nullopt;  // NDJSON
  auto whole = ParseJsonInput(body, {body.size(), 64});
  if (!whole.ok() || !whole->is_object()) return std::nullopt;
  // Parsed with limits: valid UTF-8, at most 64 deep, so printing is safe.
  return whole->dump();
}

}  // namespace

void Service::Decode(std::string_view body, Accept accept, Instant& t, Staged& staged) {
  bool events = accept == Accept::kEvents;
  DecodeOptions options;
  options.accept = accept;
  IngestResult& out = staged.result;
  std::vector<std::pair<size_t, std::string_view>> lines;
  ForEachLine(body, [&](size_t line_number, std::string_view line) { lines.emplace_back(line_number, line); });
  // Decoded on every shard's thread at once, each taking every n-th line.
  // An event without `at` arrives after the events before it in the batch:
  // it is decoded with a time no line can give (long before year 1, where
  // timestamps start), then given its own below.
  const compiler::eval::Timestamp kNoAt{INT64_MIN, 0};
  if (events) options.default_at = kNoAt;
  std::vector<DecodeResult> decoded(lines.size());
  uint32_t threads = lines.size() >= 64 ? shards_->count() : 1;
  auto decode = [&](uint32_t shard) {
    for (size_t i = shard; i < lines.size(); i += threads)
      decoded[i] = DecodeLine(set().schemas(), lines[i].second, lines[i].first, options);
  };
  if (threads > 1) shards_->Parallel(decode);
  else decode(0);
  for (size_t i = 0; i < lines.size(); ++i) {
    auto [line_number, line] = lines[i];
    DecodeResult& r = decoded[i];
    if (events && r.ok() && *r.record().at == kNoAt) {
      Record& record = r.record();
      record.at = ToTimestamp(t);
      record.slots[record.schema->at_slot] = compiler::eval::Value(*record.at);
    }
    if (r.blank()) continue;
    if (!r.ok()) {
      ++out.refused;
      out.lines.emplace_back(line_number, r.error().ToString());
      continue;
    }
    InputLog::Entry e;
    e.kind = events ? InputLog::Kind::kEvent : InputLog::Kind::kProfile;
    e.text = std::string(line);
    e.at = t;
    if (events) {
      auto at = ToInstant(*r.record().at);
      if (!at) {
        ++out.refused;
        out.lines.emplace_back(line_number, "line " + std::to_string(line_number) +
                                                ": its time is outside the engine's range (1678 to 2261)");
        continue;
      }
      t = std::max(t, *at);
      e.at = t;
    }
    out.lines.emplace_back(line_number, "");
    staged.entries.push_back(std::move(e));
    staged.records.push_back(std::move(r.record()));
  }
}

void Service::Stage(std::string_view body, Accept accept, std::function<void(IngestResult)> done) {
  // One JSON object written over several lines is one record.
  std::optional<std::string> single = OneObjectOverLines(body);
  if (single) body = *single;
  if (node_) return StageOnCluster(body, accept, done);
  bool events = accept == Accept::kEvents;
  const char* kind = events ? "event" : "profile";
  // Events are applied at their own time, never before the engine's; one
  // without `at` arrives now (system clock) or at the engine's time
  // (virtual clock), and a replay gives it the same time (Apply).
  Instant t = LogTime();
  Staged staged;
  staged.events = events;
  staged.done = std::move(done);
  Decode(body, accept, t, staged);
  IngestResult& out = staged.result;
  records_refused_->At({kind}).Add(static_cast<double>(out.refused));
  // The next input staged (in this turn of the loop too, committed with
  // this one) comes after this batch, and on the system clock after its
  // settling (Commit): as a replay will apply it. A batch the log then
  // refuses leaves a gap in time, which is harmless.
  if (!staged.entries.empty())
    logged_now_ = std::max(logged_now_, t) + (events && !options_.virtual_clock ? 1 : 0);
  if (staged.entries.empty()) {
    out.status = 400;
    if (out.refused == 0) out.error = std::string("no ") + kind + "s in the body";
  }
  staged_.push_back(std::move(staged));
  if (on_staged_) on_staged_();
  else Commit();
}

void Service::Commit() {
  if (staged_.empty()) return;
  std::vector<Staged> batches = std::move(staged_);
  staged_.clear();
  // Group commit: every batch staged since the last commit in one synced
  // write, in the order staged, with the final delivery states whose
  // outcome events they carry.
  std::vector<InputLog::Entry> all;
  std::vector<InputLog::Final> finals;
  for (const Staged& b : batches) {
    all.insert(all.end(), b.entries.begin(), b.entries.end());
    finals.insert(finals.end(), b.finals.begin(), b.finals.end());
  }
  Status failed;
  uint64_t seq = log_->size();  // of the first entry appended
  if (!all.empty() || !finals.empty()) {
    failed = Stored("append", [&] { return log_->Append(all, finals); });
    if (failed.ok()) log_commits_->Add();
  }
  bool behind = HasWork();
  for (Staged& b : batches) {
    IngestResult& out = b.result;
    if (!failed.ok() && b.outcome) {
      // A delivery's final state: not an answer to anyone, so kept and
      // staged again later rather than refused.
      unwritten_.push_back(std::move(*b.outcome));
      continue;
    }
    if (b.entries.empty()) continue;
    const char* kind = b.events ? "event" : "profile";
    if (!failed.ok()) {
      records_refused_->At({kind}).Add(static_cast<double>(b.entries.size()));
      out.status = 503;
      out.refused += b.entries.size();
      out.error = failed.message();
      out.lines.clear();
      continue;
    }
    out.accepted = b.entries.size();
    records_in_->At({kind}).Add(static_cast<double>(out.accepted));
    for (size_t i = 0; i < b.entries.size(); ++i) {
      b.entries[i].seq = seq;
      b.records[i].input = seq++;  // what decisions name as their cause
      unapplied_.push_back({std::move(b.entries[i]), std::move(b.records[i]), false, std::nullopt});
    }
    // On the system clock, a batch's instant is over once it is applied:
    // its sends are settled then, not at the next tick. This is a tick 1
    // ns later; like a tick it needs no log entry: the next input was
    // stamped after it (Stage), and a replay settles when it moves the
    // clock to that input (or at its end, Start).
    if (b.events && !options_.virtual_clock)
      unapplied_.push_back({InputLog::Entry{0, InputLog::Kind::kClock, ""}, std::nullopt, true, std::nullopt});
  }
  // Applied before the answers, so that their actions are in the outbox
  // when they are acknowledged, unless older work (a timer storm) is still
  // going on: then the slices already scheduled get to it, in order.
  if (failed.ok() && !all.empty()) {
    if (behind && on_backlog_) on_backlog_();
    else Drain();
  }
  for (Staged& b : batches)
    if (b.done) b.done(std::move(b.result));
}

bool Service::Work(std::chrono::microseconds budget) {
  if (node_) return false;  // the node applies its partitions on its own thread
  auto deadline = std::chrono::steady_clock::now() + budget;
  // Fires due timers in slices of this many (per shard), looking at the
  // time between.
  constexpr size_t kWakeups = 32;
  // Inputs given to the shards in one step, at most.
  constexpr size_t kRun = 4096;
  auto advance = [&](Instant to) {
    while (!shards_->AdvanceSome(to, kWakeups))
      if (std::chrono::steady_clock::now() >= deadline) return false;
    return true;
  };
  bool done = true;
  while (!unapplied_.empty()) {
    // Every input first moves the clock to its logged time, as a replay
    // does: timers due by then fire in slices, ...
    Unapplied& next = unapplied_.front();
    if (!next.target) next.target = next.settle ? shards_->now() + 1 : next.entry.at;
    std::optional<Instant> due = shards_->NextDue();
    if (due && *due <= *next.target) {
      if (!advance(*next.target)) {
        done = false;
        break;
      }
      due = shards_->NextDue();
    }
    // ... then it and the inputs after it that no timer due comes before
    // go to the shards in one step.
    Instant now = shards_->now();
    std::vector<Shards::Input> run;
    for (size_t i = 0; i < unapplied_.size() && run.size() < kRun; ++i) {
      Unapplied& u = unapplied_[i];
      Instant target = u.target ? *u.target : u.settle ? now + 1 : u.entry.at;
      if (i > 0 && due && *due <= target) break;
      u.target = target;
      now = std::max(now, target);
      run.push_back({target, u.record ? &*u.record : nullptr});
    }
    shards_->Apply(run);
    for (size_t i = 0; i < run.size(); ++i)
      if (!unapplied_[i].settle) applied_next_ = std::max(applied_next_, unapplied_[i].entry.seq + 1);
    unapplied_.erase(unapplied_.begin(), unapplied_.begin() + static_cast<std::ptrdiff_t>(run.size()));
  }
  if (done && tick_to_) {
    done = advance(*tick_to_);
    if (done) tick_to_.reset();
  }
  // While a backlog lasts, deliveries (a synced write each) go out every
  // 10 ms rather than after every slice.
  auto now = std::chrono::steady_clock::now();
  if (done || now - delivered_at_ >= std::chrono::milliseconds(10)) {
    Deliver();
    delivered_at_ = now;
  }
  if (!done && on_backlog_) on_backlog_();
  return !done;
}

void Service::Drain() {
  while (Work(std::chrono::hours(1))) {
  }
}

Reply Service::PostClock(std::string_view body) {
  if (!options_.virtual_clock)
    return Problem(409, "the daemon runs on the system clock; POST /v1/clock needs \"clock\": \"virtual\"");
  auto j = ParseJsonInput(body, {4096, 4});
  if (!j.ok() || !j->is_object() || !j->contains("to") || !(*j)["to"].is_string())
    return Problem(400, "expected {\"to\": \"2026-03-02T14:05:00Z\"}");
  std::optional<Instant> at = ParseInstant((*j)["to"].get<std::string>());
  if (!at) return Problem(400, "'to' must be an RFC 3339 time between 1678 and 2261");
  if (node_) return PostClockOnCluster(*at);
  Commit();  // batches staged before it were stamped before it: they go first
  InputLog::Entry e{std::max(*at, logged_now_), InputLog::Kind::kClock, ""};
  if (Status appended = Stored("append", [&] { return log_->Append({e}); }); !appended.ok()) {
    return TryAgain(appended.message(), 5);
  }
  // Timers that fall due fire in slices (Work), so that a jump over a
  // million of them does not hold up other requests.
  logged_now_ = e.at;
  bool behind = HasWork();
  unapplied_.push_back({e, std::nullopt, false, std::nullopt});
  if (behind && on_backlog_) on_backlog_();
  else if (behind) Drain();
  else Work(kSlice);
  return JsonReply(200, Json{{"now", FormatInstant(e.at)}});
}

Reply Service::PostPause(std::string_view journey, bool pause) {
  if (node_) return PauseOnCluster(journey, pause);
  if (set().ir().Index(journey) < 0) return Problem(404, "no journey '" + Printable(journey, 100) + "'");
  Commit();  // batches staged before it were stamped before it: they go first
  Drain();   // logged after the inputs before it, so applied after them
  InputLog::Entry e{std::max(shards_->now(), LogTime()), pause ? InputLog::Kind::kPause : InputLog::Kind::kResume,
                    std::string(journey)};
  logged_now_ = e.at;
  if (Status appended = Stored("append", [&] { return log_->Append({e}); }); !appended.ok()) {
    return TryAgain(appended.message(), 5);
  }
  if (Status applied = Apply(e); !applied.ok()) return Problem(500, applied.message());
  return JsonReply(200, Json{{"journey", std::string(journey)}, {"status", pause ? "paused" : "running"}});
}

void Service::Tick() {
  if (node_) return TickOnCluster();
  // Batches staged before the tick were stamped before it: they go first.
  for (Outcome& o : std::exchange(unwritten_, {})) StageFinal(o.seq, o.ok, o.reason);
  log_->Probe();  // a full disk freed: ready again without waiting for an input
  Commit();
  if (!options_.virtual_clock) {
    Instant now = clock_.Now();
    tick_to_ = std::max(tick_to_.value_or(INT64_MIN), now);
    logged_now_ = std::max(logged_now_, now);
  }
  Work(kSlice);
  if (snapshot_child_ > 0) FinishSnapshot(/*wait=*/false);
  // Counted from the last snapshot written, or from the last that failed:
  // a failing disk gets one attempt per snapshot_every inputs, not a fork
  // per tick.
  uint64_t since = std::max(snapshots_.empty() ? log_->first() : snapshots_.front(), snapshot_failed_at_);
  if (options_.snapshot_every != 0 && log_->size() - since >= options_.snapshot_every) SaveSnapshot(true);
}

std::optional<Instant> Service::NextDue() { return shards_ ? shards_->NextDue() : std::nullopt; }

}  // namespace tutti::runtime
