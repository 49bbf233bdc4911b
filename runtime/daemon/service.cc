#include "runtime/daemon/service.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "runtime/daemon/replies.h"
#include "runtime/daemon/snapshot_file.h"
#include "runtime/engine/partition.h"
#include "runtime/engine/decision.h"

namespace tutti::runtime {

Service::~Service() {
  if (snapshot_child_ > 0) FinishSnapshot(/*wait=*/true);
  if (actions_) std::fclose(actions_);
}

namespace {

/// Compiles `set` to native code when `options` ask for it, cached in
/// DATA/jit-cache; an error message when LLVM cannot.
std::optional<std::string> CompileSet(JourneySet& set, const ServiceOptions& options) {
  if (!options.jit) return std::nullopt;
  compiler::jit::JitOptions jit;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir + "/jit-cache", ec);
  if (!ec) jit.cache_dir = options.data_dir + "/jit-cache";  // else compile without a cache
  std::string failure = set.Compile(jit);
  if (!failure.empty()) return "cannot compile the journeys to native code: " + failure;
  return std::nullopt;
}

/// The text of a kJourneys log entry for `set`.
std::string VersionText(const JourneySet& set) {
  Json files = Json::array();
  for (const auto& [path, text] : set.Sources()) files.push_back(Json::array({path, text}));
  return Json{{"fingerprint", set.Fingerprint()}, {"files", files}}.dump();
}

}  // namespace

std::variant<std::unique_ptr<Service>, std::string> Service::Start(const ServiceOptions& options) {
  std::unique_ptr<Service> s(new Service());
  s->options_ = options;
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return "cannot create the data folder " + options.data_dir + ": " + ec.message();
  auto log = InputLog::Open(options.data_dir + "/log");
  if (auto* err = std::get_if<std::string>(&log)) return *err;
  s->log_ = std::move(std::get<0>(log));
  std::string actions = options.actions_file.empty() ? options.data_dir + "/actions.ndjson" : options.actions_file;
  s->actions_ = std::fopen(actions.c_str(), "a");
  if (s->actions_ == nullptr) return "cannot open the actions file " + actions;
  // The newest snapshot, if any, and then the log after it rebuild the
  // state under the versions of the journeys it was written under, each
  // from where it took over.
  std::optional<std::string> failure;
  s->finals_ = s->log_->Finals();
  // A log written before shards existed was applied to one engine.
  if (s->log_->shards() == 0 && s->log_->size() > 0)
    if (auto err = s->log_->SetShards(1)) return *err;
  auto from = s->Restore();
  if (auto* err = std::get_if<std::string>(&from)) return *err;
  uint64_t replayed_entries = 0;
  auto replayed = s->log_->Replay(std::get<uint64_t>(from), [&](const InputLog::Entry& e) {
    if (failure) return;
    failure = s->Apply(e);
    // Settle and trim as the replay goes, so that the outbox stays small.
    if (++replayed_entries % 4096 == 0 && s->shards_) {
      s->FlushReplay();
      s->ResumeDeliveries(s->log_->delivered());
    }
  });
  if (replayed) return *replayed;
  if (failure) return *failure;
  s->FlushReplay();
  // On the system clock the live run settled the last batch's sends when it
  // had applied them (Commit); the replay does the same at its end.
  if (s->shards_ && !options.virtual_clock) s->shards_->AdvanceTo(s->shards_->now() + 1);
  if (s->shards_) {
    s->shards_->TakeDecisions();  // made before this start: already counted and delivered then
    s->logged_now_ = s->shards_->now();
  }
  s->counters_["tutti_input_log_replayed_total"] = static_cast<double>(replayed_entries);
  if (s->shards_) s->ResumeDeliveries(s->log_->delivered());
  // Then the journeys folder is the version to run: a reload if it changed.
  PreparedReload now = PrepareReload(options);
  if (now.set == nullptr) return now.error + (now.diagnostics.empty() ? "" : ":\n" + now.diagnostics);
  if (s->sets_.empty() || s->set().Fingerprint() != now.set->Fingerprint()) {
    bool first = s->sets_.empty();
    Reply r = s->CommitReload(std::move(now));
    if (r.status != 200)
      return "cannot take on the journeys in " + options.journeys + ": " + Json::parse(r.body).value("error", r.body);
    if (!first) std::fprintf(stderr, "tutti serve: the journeys changed since the last start: %s", r.body.c_str());
  }
  s->Deliver();
  return s;
}

std::string Service::SnapshotDir() const { return options_.data_dir + "/snapshots"; }

std::variant<uint64_t, std::string> Service::Restore() {
  std::string dir = SnapshotDir();
  RemoveUnfinishedSnapshots(dir);
  std::string refused;  // why snapshots that are whole could not be used
  for (const auto& [position, path] : SnapshotFiles(dir)) {
    bool damaged = false;
    auto read = ReadSnapshot(path, &damaged);
    std::string why;
    if (auto* err = std::get_if<std::string>(&read)) why = *err;
    Snapshot* snap = std::get_if<Snapshot>(&read);
    if (snap && (snap->position != position || snap->position < log_->first() || snap->position > log_->size()))
      why = path + " does not fit the input log, which holds entries " + std::to_string(log_->first()) + " to " +
            std::to_string(log_->size());
    if (why.empty()) {
      for (const std::string& version : snap->versions) {
        // A version that no longer builds fails a replay from the log the
        // same way: no other snapshot would do better.
        auto set = BuildVersion(version);
        if (auto* err = std::get_if<std::string>(&set)) return *err;
        if (auto err = Adopt(std::move(std::get<0>(set)), nullptr, /*restoring=*/true)) return *err;
      }
      if (shards_ == nullptr) why = path + " holds no version of the journeys";
      else if (auto err = shards_->Restore(snap->engine)) why = path + ": " + *err;
    }
    if (why.empty()) {
      logged_now_ = snap->logged_now;
      for (const auto& [kept, ignored] : SnapshotFiles(dir)) snapshots_.push_back(kept);
      std::fprintf(stderr, "tutti serve: restored the snapshot at input %llu; replaying the %llu inputs after it\n",
                   static_cast<unsigned long long>(position),
                   static_cast<unsigned long long>(log_->size() - position));
      counters_["tutti_snapshot_restored_position"] = static_cast<double>(position);
      return position;
    }
    counters_["tutti_snapshots_unusable_total"] += 1;
    shards_.reset();
    sets_.clear();
    if (damaged && snap == nullptr) {
      // Not whole (bit rot, a truncated copy): set aside, never tried again.
      std::fprintf(stderr, "tutti serve: a snapshot is damaged (%s); setting it aside as %s.damaged\n", why.c_str(),
                   path.c_str());
      std::error_code ec;
      std::filesystem::rename(path, path + ".damaged", ec);
    } else {
      // Whole, but not for this tutti or this log (another build, a copied
      // folder) or unreadable now: left in place for the tutti it fits.
      std::fprintf(stderr, "tutti serve: cannot use a snapshot: %s\n", why.c_str());
      refused += "\n  " + why;
    }
  }
  if (log_->first() > 0)
    return "the input log before input " + std::to_string(log_->first()) + " was dropped after a snapshot, and no "
           "snapshot in " + dir + " can be used" + (refused.empty() ? "" : ":" + refused + "\n") +
           (refused.empty() ? ": restore the data folder from a backup, or start with a new one"
                            : "start the tutti (and stdlib) that wrote them, restore the data folder from a backup, "
                              "or start with a new one");
  return uint64_t{0};
}

void Service::SaveSnapshot(bool in_background) {
  if (snapshot_child_ > 0) FinishSnapshot(/*wait=*/!in_background);
  uint64_t position = log_->size();
  if (snapshot_child_ > 0 || options_.snapshot_every == 0 || shards_ == nullptr || HasWork() || !staged_.empty() ||
      (!snapshots_.empty() && snapshots_.front() >= position))
    return;
  Snapshot snap{position, logged_now_, {}, {}};
  for (const auto& set : sets_) snap.versions.push_back(VersionText(*set));
  std::string dir = SnapshotDir();
  snapshot_position_ = position;
  snapshot_started_ = std::chrono::steady_clock::now();
  if (in_background) {
    // A child process saves the state as it was at the fork (its pages
    // are shared copy-on-write) while this one goes on serving: inputs
    // wait only for the fork. It dies with this process.
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(2);
      snap.engine = shards_->Save();
      auto err = WriteSnapshot(dir, snap, 2);
      if (err) std::fprintf(stderr, "tutti serve: %s\n", err->c_str());
      ::_exit(err ? 1 : 0);
    }
    if (pid > 0) {
      snapshot_child_ = pid;
      counters_["tutti_snapshot_fork_seconds"] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - snapshot_started_).count();
      return;
    }
    // No fork (no memory for another process): saved here instead.
  }
  snap.engine = shards_->Save();
  auto err = WriteSnapshot(dir, snap, 2);
  Snapshotted(err ? *err : "");
}

void Service::FinishSnapshot(bool wait) {
  int status = 0;
  pid_t done = ::waitpid(snapshot_child_, &status, wait ? 0 : WNOHANG);
  if (done == 0) return;  // still writing
  snapshot_child_ = -1;
  bool ok = done > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  Snapshotted(ok ? "" : "the process writing a snapshot failed (status " + std::to_string(status) + ")");
}

void Service::Snapshotted(const std::string& error) {
  if (!error.empty()) {
    snapshot_failed_at_ = snapshot_position_;
    counters_["tutti_snapshots_total{outcome=\"failed\"}"] += 1;
    std::fprintf(stderr, "tutti serve: %s (the input log still holds everything)\n", error.c_str());
    return;
  }
  counters_["tutti_snapshots_total{outcome=\"written\"}"] += 1;
  std::error_code ec;
  auto bytes = std::filesystem::file_size(SnapshotPath(SnapshotDir(), snapshot_position_), ec);
  counters_["tutti_snapshot_last_bytes"] = ec ? 0 : static_cast<double>(bytes);
  counters_["tutti_snapshot_last_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - snapshot_started_).count();
  snapshots_.insert(snapshots_.begin(), snapshot_position_);
  if (snapshots_.size() > 2) snapshots_.resize(2);
  // The log from the older snapshot kept on, so that either can be used.
  if (snapshots_.size() == 2)
    if (auto err = Stored("drop", [&] { return log_->Drop(snapshots_[1]); })) {
      counters_["tutti_input_log_failures_total"] += 1;
      std::fprintf(stderr, "tutti serve: %s\n", err->c_str());
    }
}

PreparedReload Service::PrepareReload(const ServiceOptions& options) {
  auto started = std::chrono::steady_clock::now();
  PreparedReload out;
  compiler::DiagnosticSink sink;
  out.set = JourneySet::Load({options.journeys}, options.stdlib_dir, sink);
  if (out.set == nullptr) {
    out.error = "the journeys in " + options.journeys + " do not check";
    out.diagnostics = compiler::RenderText(sink.Sorted());
  } else if (auto failure = CompileSet(*out.set, options)) {
    out.set.reset();
    out.error = *failure;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

Reply Service::CommitReload(PreparedReload prepared) {
  if (prepared.set == nullptr) {
    counters_["tutti_reloads_total{outcome=\"refused\"}"] += 1;
    Json reply{{"error", prepared.error}};
    if (!prepared.diagnostics.empty()) reply["diagnostics"] = prepared.diagnostics;
    return JsonReply(prepared.diagnostics.empty() ? 500 : 422, reply);
  }
  std::string fingerprint = prepared.set->Fingerprint();
  if (!sets_.empty()) {
    if (fingerprint == set().Fingerprint())
      return JsonReply(200, Json{{"status", "unchanged"}, {"fingerprint", fingerprint}});
    // Checked before the version is logged: a logged one must be taken on.
    if (auto refusal = shards_->ReloadRefusal(prepared.set->schemas(), prepared.set->ir())) {
      counters_["tutti_reloads_total{outcome=\"refused\"}"] += 1;
      return Problem(409, *refusal + " (the running journeys stay)");
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
  if (auto err = Stored("append", [&] { return log_->Append({e}); })) {
    counters_["tutti_input_log_failures_total"] += 1;
    return Problem(503, *err);
  }
  if (shards_) shards_->AdvanceTo(e.at);  // as Apply does in a replay
  Engine::ReloadReport report;
  bool first = sets_.empty();
  if (auto err = Adopt(std::move(prepared.set), &report)) return Problem(500, *err);
  counters_[first ? "tutti_reloads_total{outcome=\"started\"}" : "tutti_reloads_total{outcome=\"reloaded\"}"] += 1;
  Deliver();
  return JsonReply(200, Json{{"status", "reloaded"},
                             {"fingerprint", fingerprint},
                             {"seconds", prepared.seconds},
                             {"unchanged", report.unchanged},
                             {"changed", report.changed},
                             {"added", report.added},
                             {"removed", report.removed},
                             {"instances_carried_over", report.carried_over},
                             {"instances_finishing_on_their_version", report.left_on_old},
                             {"instances_migrated", report.migrated}});
}

std::optional<std::string> Service::Adopt(std::unique_ptr<JourneySet> set, Engine::ReloadReport* report,
                                          bool restoring) {
  if (shards_ != nullptr) {
    auto reloaded = shards_->Reload(set->ir(), set->schemas(), set->functions(), set->compiled());
    if (auto* err = std::get_if<std::string>(&reloaded)) return *err;
    if (report) *report = std::move(std::get<Engine::ReloadReport>(reloaded));
    sets_.push_back(std::move(set));
    return std::nullopt;
  }
  auto count = ShardCount(*set);
  if (auto* err = std::get_if<std::string>(&count)) return *err;
  sets_.push_back(std::move(set));
  const JourneySet& first = *sets_.back();
  shards_ = std::make_unique<Shards>(std::get<uint32_t>(count),
                                     [&](EngineOptions o) { return first.NewEngine(o); });
  // The profiles file, at every start, right after the first version
  // (a snapshot holds them already).
  if (options_.profiles.empty() || restoring) return std::nullopt;
  DecodeOptions po;
  po.accept = Accept::kProfiles;
  DecodedFile f = DecodeFile(this->set().schemas(), options_.profiles, po);
  if (f.read_error) return *f.read_error;
  for (const auto& e : f.errors) std::fprintf(stderr, "tutti serve: %s:%s\n", options_.profiles.c_str(), e.ToString().c_str());
  std::vector<Shards::Input> inputs;
  for (const Record& r : f.records) inputs.push_back({shards_->now(), &r});
  shards_->Apply(inputs);
  counters_["tutti_profiles_in_total"] += static_cast<double>(f.records.size());
  counters_["tutti_profiles_refused_total"] += static_cast<double>(f.errors.size());
  return std::nullopt;
}

std::variant<std::unique_ptr<JourneySet>, std::string> Service::BuildVersion(const std::string& text) const {
  Json version = Json::parse(text, nullptr, false);
  std::vector<std::pair<std::string, std::string>> files;
  bool whole = version.is_object() && version.contains("files") && version["files"].is_array();
  for (const auto& f : whole ? version["files"] : Json::array()) {
    whole = whole && f.is_array() && f.size() == 2 && f[0].is_string() && f[1].is_string();
    if (whole) files.emplace_back(f[0].get<std::string>(), f[1].get<std::string>());
  }
  if (!whole) return "the input log has a damaged version of the journeys: start with a new --data folder";
  compiler::DiagnosticSink sink;
  auto set = JourneySet::FromText(files, options_.stdlib_dir, sink);
  if (set == nullptr)
    return "a version of the journeys in the input log no longer checks (was the stdlib changed?):\n" +
           compiler::RenderText(sink.Sorted());
  if (set->Fingerprint() != version.value("fingerprint", ""))
    std::fprintf(stderr, "tutti serve: the stdlib changed since the input log was written; replaying it under "
                         "this stdlib\n");
  if (auto failure = CompileSet(*set, options_)) return *failure;
  return set;
}

std::optional<std::string> Service::Apply(const InputLog::Entry& entry) {
  // Every input is applied at its logged time: the clock first moves there
  // (firing what fell due), as it had in the live run, whatever moved it
  // then (a tick, the end of a batch).
  if (entry.kind == InputLog::Kind::kJourneys) {
    FlushReplay();
    if (shards_ != nullptr) shards_->AdvanceTo(entry.at);
    auto set = BuildVersion(entry.text);
    if (auto* err = std::get_if<std::string>(&set)) return *err;
    return Adopt(std::move(std::get<0>(set)), nullptr);
  }
  if (shards_ == nullptr)
    return "the input log in " + options_.data_dir + " does not start with the journeys it was written under "
           "(an older tutti wrote it): start with a new --data folder";
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
      if (!r.ok()) counters_["tutti_input_log_undecodable_total"] += 1;
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
  return std::nullopt;
}

void Service::FlushReplay() {
  if (replay_.empty()) return;
  std::vector<Shards::Input> inputs;
  inputs.reserve(replay_.size());
  for (const auto& [at, record] : replay_) inputs.push_back({at, record ? &*record : nullptr});
  shards_->Apply(inputs);
  replay_.clear();
}

std::variant<uint32_t, std::string> Service::ShardCount(const JourneySet& set) {
  if (log_->shards() != 0) {
    if (options_.shards != 0 && options_.shards != log_->shards())
      std::fprintf(stderr, "tutti serve: %s was written by %u shards: running %u, not the %u configured\n",
                   options_.data_dir.c_str(), log_->shards(), log_->shards(), options_.shards);
    return log_->shards();
  }
  uint32_t count = options_.shards != 0 ? options_.shards : std::max(1u, std::thread::hardware_concurrency());
  if (count > 1)
    if (auto why = WhyOneShard(set.ir())) {
      std::fprintf(stderr, "tutti serve: running on one shard, not %u: %s\n", count, why->c_str());
      count = 1;
    }
  if (auto err = log_->SetShards(count)) return *err;
  return count;
}

std::optional<std::string> Service::Stored(const char* operation,
                                           const std::function<std::optional<std::string>()>& write) {
  auto started = std::chrono::steady_clock::now();
  std::optional<std::string> error = write();
  latencies_[std::string("tutti_store_write_seconds{operation=\"") + operation + "\"}"].Add(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return error;
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

void Service::Stage(std::string_view body, Accept accept, std::function<void(IngestResult)> done) {
  // One JSON object written over several lines is one record.
  std::string single;
  if (body.find('\n') != std::string_view::npos && body.find('\n') + 1 < body.size() &&
      Json::accept(body.begin(), body.end())) {
    Json j = Json::parse(body.begin(), body.end());
    if (j.is_object()) {
      single = j.dump();
      body = single;
    }
  }
  bool events = accept == Accept::kEvents;
  const char* noun = events ? "events" : "profiles";
  // Events are applied at their own time, never before the engine's; one
  // without `at` arrives now (system clock) or at the engine's time
  // (virtual clock), and a replay gives it the same time (Apply).
  Instant t = LogTime();
  DecodeOptions options;
  options.accept = accept;

  Staged staged;
  staged.events = events;
  staged.done = std::move(done);
  IngestResult& out = staged.result;
  std::vector<InputLog::Entry>& entries = staged.entries;
  std::vector<Record>& records = staged.records;
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
    entries.push_back(std::move(e));
    records.push_back(std::move(r.record()));
  }
  counters_[std::string("tutti_") + noun + "_refused_total"] += static_cast<double>(out.refused);
  // The next input staged (in this turn of the loop too, committed with
  // this one) comes after this batch, and on the system clock after its
  // settling (Commit): as a replay will apply it. A batch the log then
  // refuses leaves a gap in time, which is harmless.
  if (!entries.empty()) logged_now_ = std::max(logged_now_, t) + (events && !options_.virtual_clock ? 1 : 0);
  if (entries.empty()) {
    out.status = 400;
    if (out.refused == 0) out.error = std::string("no ") + noun + " in the body";
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
  // write, in the order staged.
  std::vector<InputLog::Entry> all;
  for (const Staged& b : batches) all.insert(all.end(), b.entries.begin(), b.entries.end());
  std::optional<std::string> failed;
  if (!all.empty()) {
    failed = Stored("append", [&] { return log_->Append(all); });
    counters_[failed ? "tutti_input_log_failures_total" : "tutti_input_log_commits_total"] += 1;
  }
  bool behind = HasWork();
  for (Staged& b : batches) {
    IngestResult& out = b.result;
    if (b.entries.empty()) continue;
    const char* noun = b.events ? "events" : "profiles";
    if (failed) {
      counters_[std::string("tutti_") + noun + "_refused_total"] += static_cast<double>(b.entries.size());
      out.status = 503;
      out.refused += b.entries.size();
      out.error = *failed;
      out.lines.clear();
      continue;
    }
    out.accepted = b.entries.size();
    counters_[std::string("tutti_") + noun + "_in_total"] += static_cast<double>(out.accepted);
    for (size_t i = 0; i < b.entries.size(); ++i)
      unapplied_.push_back({std::move(b.entries[i]), std::move(b.records[i]), false, std::nullopt});
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
  if (!failed && !all.empty()) {
    if (behind && on_backlog_) on_backlog_();
    else Drain();
  }
  for (Staged& b : batches) b.done(std::move(b.result));
}

bool Service::Work(std::chrono::microseconds budget) {
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
  if (!options_.virtual_clock) return Problem(409, "the daemon runs on the system clock; POST /v1/clock needs \"clock\": \"virtual\"");
  Json j = Json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("to") || !j["to"].is_string())
    return Problem(400, "expected {\"to\": \"2026-03-02T14:05:00Z\"}");
  compiler::eval::Value to = compiler::eval::ParseTimestamp(j["to"].get<std::string>());
  std::optional<Instant> at = to.IsError() ? std::nullopt : ToInstant(to.AsTimestamp());
  if (!at) return Problem(400, "'to' must be an RFC 3339 time between 1678 and 2261");
  Commit();  // batches staged before it were stamped before it: they go first
  InputLog::Entry e{std::max(*at, logged_now_), InputLog::Kind::kClock, ""};
  if (auto err = Stored("append", [&] { return log_->Append({e}); })) return Problem(503, *err);
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
  if (set().ir().Index(journey) < 0) return Problem(404, "no journey '" + std::string(journey) + "'");
  Commit();  // batches staged before it were stamped before it: they go first
  Drain();   // logged after the inputs before it, so applied after them
  InputLog::Entry e{std::max(shards_->now(), LogTime()), pause ? InputLog::Kind::kPause : InputLog::Kind::kResume,
                    std::string(journey)};
  logged_now_ = e.at;
  if (auto err = Stored("append", [&] { return log_->Append({e}); })) return Problem(503, *err);
  if (auto err = Apply(e)) return Problem(500, *err);
  return JsonReply(200, Json{{"journey", std::string(journey)}, {"status", pause ? "paused" : "running"}});
}

void Service::Tick() {
  // Batches staged before the tick were stamped before it: they go first.
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

std::optional<Instant> Service::NextDue() { return shards_->NextDue(); }

}  // namespace tutti::runtime
