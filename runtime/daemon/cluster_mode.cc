// The Service on a Kafka cluster (docs/cluster.md): `tutti serve` with a
// `kafka` setting. The node (runtime/cluster/node.h) is the input log and
// the engines: the API's inputs and clock moves are written to
// tutti.inputs and acknowledged once Kafka has them; the partitions this
// node owns are applied on the node's own thread; actions go to
// tutti.actions, and this node's share of them is delivered from there
// (cluster_delivery.cc). A read of one customer is answered by the node that
// runs their partition (the others send it there: forward.h); reads of
// every partition gather every node's part (cluster_reads.cc), and an
// action is found on the node that holds it (cluster_actions.cc). A read
// that cannot be answered whole is refused (503), never answered from a
// part of the state.

#include <unistd.h>

#include <filesystem>
#include <random>

#include "base/text.h"
#include "runtime/cluster/node.h"
#include "runtime/daemon/log.h"
#include "runtime/daemon/service.h"
#include "runtime/engine/partition.h"
#include "runtime/engine/stable_hash.h"
#include "runtime/records/json_input.h"
#include "compiler/source/diagnostic.h"

namespace tutti::runtime {
namespace {

/// The host's name, as a node's name and address may hold it (what an
/// announcement takes: printable ASCII, no spaces).
std::string HostName() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  std::string name = buffer;
  for (char& c : name)
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '_';
  return name.empty() ? "localhost" : name;
}

}  // namespace

Result<std::unique_ptr<Service>> Service::StartCluster(const ServiceOptions& options) {
  if (!options.profiles.empty())
    return Status::Invalid("'profiles' cannot be loaded at every start on a cluster (each node would write them "
                           "again over newer updates): write them once with POST /v1/profiles, or produce them "
                           "to " + options.kafka.topics.inputs + " (docs/cluster.md)");
  std::unique_ptr<Service> s(new Service());
  s->options_ = options;
  std::error_code ec;
  // The data folder holds only the JIT cache here: the state is Kafka's.
  if (std::filesystem::create_directories(options.data_dir, ec))
    std::filesystem::permissions(options.data_dir, std::filesystem::perms::owner_all, ec);
  PreparedReload prepared = PrepareReload(options);
  if (prepared.set == nullptr) return Status::Invalid(prepared.error + "\n" + prepared.diagnostics);
  // Held by the service from here: its node's engines run on it, and go
  // before it whatever fails below.
  s->sets_.push_back(std::move(prepared.set));
  const JourneySet& folder = *s->sets_.back();
  CompileSet(*s->sets_.back(), options);
  cluster::PartitionSettings settings = options.kafka;
  settings.virtual_clock = options.virtual_clock;
  settings.snapshot_every = options.snapshot_every;
  std::string name = options.node;
  if (name.empty()) {
    name = HostName() + "-" + std::to_string(::getpid());
  }
  // Versions published by other nodes are built as this one's folder is.
  cluster::Node::Builder build = [options](const std::vector<std::pair<std::string, std::string>>& files)
      -> Result<std::unique_ptr<JourneySet>> {
    compiler::DiagnosticSink sink;
    auto set = JourneySet::FromText(files, options.stdlib_dir, sink);
    if (set == nullptr) return Status::Conflict("it does not check here (another stdlib?)");
    CompileSet(*set, options);
    return set;
  };
  TUTTI_TRY(s->OpenActions());
  // A run's own name for its delivery outbox's numbers: a node started
  // again numbers afresh.
  std::random_device random;
  s->incarnation_ = HexDigits((uint64_t{random()} << 32) | random(), 16);
  TUTTI_ASSIGN_OR_RETURN(s->node_, cluster::Node::Start(settings, name, folder, build));
  Service* service = s.get();
  TUTTI_ASSIGN_OR_RETURN(s->feed_,
                         cluster::ActionFeed::Open(settings, [service](int32_t p) { service->DropDeliveries(p); }));
  if (s->node_->latest_version() != folder.Fingerprint())
    Log(LogLevel::kWarning, "start",
        "the cluster runs another version of the journeys than the folder's: POST /v1/journeys/reload (or SIGHUP) "
        "publishes the folder's",
        {{"cluster", s->node_->latest_version()}, {"folder", folder.Fingerprint()}});
  Log(LogLevel::kInfo, "start", "joined the cluster",
      {{"group", settings.group}, {"node", Printable(name, 100)}, {"partitions", s->node_->partitions()}});
  s->DeclareClusterMetrics();
  return s;
}

void Service::DeclareClusterMetrics() {
  Metrics& m = metrics_;
  cluster::Node* node = node_.get();
  auto counts = [node] { return node->counts(); };
  m.AddGauge("tutti_cluster_partitions_owned", "Partitions of the inputs topic this node runs.",
             [counts] { return static_cast<double>(counts().partitions.size()); });
  m.AddGauge("tutti_cluster_caught_up", "1 when every partition this node owns has applied every input written "
             "to it, else 0.", [node] { return node->CaughtUp() ? 1.0 : 0.0; });
  m.AddGauge("tutti_cluster_lag_offsets", "Offsets of this node's partitions not read yet (transaction markers "
             "count), as of the last check.", [node] { return static_cast<double>(node->lag()); });
  m.AddGauges("tutti_cluster_partition_lag_offsets", "Offsets of each partition this node owns not read yet, as "
              "of the last check.", {"partition"}, [node] {
                std::map<std::vector<std::string>, double> out;
                for (const auto& [p, n] : node->lag_by_partition()) out[{std::to_string(p)}] = static_cast<double>(n);
                return out;
              });
  m.AddGauge("tutti_cluster_end_checks", "How many times the node compared its positions with its partitions' "
             "ends (tutti_cluster_caught_up is the last comparison's answer).",
             [node] { return static_cast<double>(node->end_checks()); });
  m.AddGauge("tutti_cluster_partitions", "Partitions of the inputs topic.",
             [node] { return static_cast<double>(node->partitions()); });
  m.AddGauge("tutti_cluster_takeovers", "Partitions this node took over (and restored) since it started.",
             [counts] { return static_cast<double>(counts().takeovers); });
  m.AddGauge("tutti_cluster_partitions_lost", "Partitions the group moved away from this node since it started.",
             [counts] { return static_cast<double>(counts().rebalances); });
  m.AddGauge("tutti_cluster_takeover_seconds", "How long the last takeover took: fencing, reading the actions' "
             "tail, replaying the partition.", [counts] { return counts().last_takeover_seconds; });
  m.AddGauge("tutti_cluster_snapshots_written", "Partition snapshots this node wrote to the snapshots topic.",
             [counts] { return static_cast<double>(counts().total.snapshots); });
  m.AddGauge("tutti_cluster_snapshot_failures", "Partition snapshots that could not be written (the state is "
             "still in the inputs topic).", [counts] { return static_cast<double>(counts().total.snapshot_failures); });
  m.AddGauge("tutti_cluster_snapshots_restored", "Takeovers that started from a snapshot.",
             [counts] { return static_cast<double>(counts().snapshots_restored); });
  m.AddGauge("tutti_cluster_restore_seconds", "Reading and restoring the last snapshot a takeover started from.",
             [counts] { return counts().last_restore_seconds; });
  m.AddGauge("tutti_cluster_inputs_applied", "Input records applied by this node's partitions.",
             [counts] { return static_cast<double>(counts().total.applied); });
  m.AddGauge("tutti_cluster_actions_written", "Actions written to the actions topic by this node.",
             [counts] { return static_cast<double>(counts().total.actions_written); });
  m.AddGauge("tutti_cluster_actions_skipped", "Actions a replay made again that an earlier owner had written.",
             [counts] { return static_cast<double>(counts().total.actions_skipped); });
  m.AddGauge("tutti_cluster_dead_letters", "Input records that did not decode, written to the dead-letters topic.",
             [counts] { return static_cast<double>(counts().total.dead_letters); });
  m.AddGauge("tutti_cluster_reads_late",
             "Reads answered 503 because this node's thread was in a Kafka call longer than the reads' wait.",
             [counts] { return static_cast<double>(counts().reads_late); });
  m.AddGauge("tutti_cluster_inputs_forwarded",
             "Profiles and fan-out events another producer wrote to one partition, written on to every other.",
             [counts] { return static_cast<double>(counts().total.forwarded); });
  m.AddGauge("tutti_cluster_copies_skipped",
             "Inputs written on by another partition that a replay of it wrote again, applied here already.",
             [counts] { return static_cast<double>(counts().total.copies_skipped); });
  m.AddGauge("tutti_cluster_deliveries_open", "Actions of the actions topic this node read and has not finished "
             "delivering.", [this] { return feed_ ? static_cast<double>(feed_->open()) : 0.0; });
  cluster_reads_ = &m.AddCounters("tutti_cluster_customer_reads_total", "Reads of one customer asked of this node: "
                                  "answered here, sent on to the node that runs their partition, or refused for "
                                  "now (503: no node runs it, or it could not be reached).", {"where"});
  unreadable_actions_ = &m.AddCounter("tutti_cluster_actions_unreadable", "Records of the actions topic that are "
                                      "not actions Tutti wrote (skipped by delivery).");
  m.AddGauge("tutti_cluster_transactions", "Kafka transactions this node's partitions committed.",
             [counts] { return static_cast<double>(counts().total.transactions); });
}

void Service::StageOnCluster(std::string_view body, Accept accept, const std::function<void(IngestResult)>& done) {
  const char* kind = accept == Accept::kEvents ? "event" : "profile";
  IngestResult out = node_->Ingest(body, accept);
  records_in_->At({kind}).Add(static_cast<double>(out.accepted));
  records_refused_->At({kind}).Add(static_cast<double>(out.refused));
  if (out.status == 503) {
    log_failures_->Add();
    Log(LogLevel::kError, "ingest", "kafka did not acknowledge a batch; it was refused: " + out.error);
  }
  done(std::move(out));
}

Reply Service::PostClockOnCluster(Instant at) {
  if (Status moved = node_->MoveClock(at); !moved.ok()) {
    return TryAgain(moved.message(), 5);
  }
  return JsonReply(200, Json{{"now", FormatInstant(at)}});
}

Reply Service::PauseOnCluster(std::string_view journey, bool pause) {
  if (Status written = node_->Pause(std::string(journey), pause); !written.ok()) {
    if (written.code() == StatusCode::kNotFound) return Problem(404, "no journey '" + Printable(journey, 100) + "'");
    return TryAgain(written.message(), 5);
  }
  return JsonReply(200, Json{{"journey", std::string(journey)}, {"status", pause ? "paused" : "running"}});
}

Reply Service::PublishOnCluster(PreparedReload prepared) {
  std::string fingerprint = prepared.set->Fingerprint();
  std::vector<std::string> not_raised;
  auto compile = [this](JourneySet& set) { CompileSet(set, options_); };
  if (Status published = node_->Publish(std::move(prepared.set), &not_raised, compile); !published.ok()) {
    reloads_->At({"refused"}).Add();
    int status = published.code() == StatusCode::kUnavailable ? 503 : 409;
    return Problem(status, published.message());
  }
  reloads_->At({"reloaded"}).Add();
  Log(LogLevel::kInfo, "reload", "published a version of the journeys to the cluster", {{"fingerprint", fingerprint}});
  return JsonReply(200, Json{{"status", "published"},
                             {"fingerprint", fingerprint},
                             {"seconds", prepared.seconds},
                             {"version_not_raised", not_raised},
                             {"warnings", VersionWarnings(not_raised)}});
}

void Service::Listening(const std::string& host, unsigned port) {
  if (!node_) return;
  std::string api = options_.advertise;
  if (api.empty()) {
    // Every address: the others reach this one by its host's name.
    std::string name = host;
    if (host == "0.0.0.0" || host == "::" || host.empty()) name = HostName();
    api = (name.find(':') != std::string::npos ? "[" + name + "]" : name) + ":" + std::to_string(port);
  }
  node_->Advertise(api);
  Log(LogLevel::kInfo, "start", "reads of this node's customers come to it at its announced address",
      {{"advertise", Printable(api, 260)}});
}

const std::string& Service::NodeName() const { return node_->name(); }

void Service::StopReads() {
  if (node_) node_->StopReads();
}

Service::CustomerReadPlan Service::PlanCustomerRead(std::string_view id, bool forwarded) const {
  CustomerReadPlan plan;
  plan.partition = static_cast<int32_t>(KafkaPartitionOf(id, static_cast<uint32_t>(node_->partitions())));
  auto owner = node_->OwnerOf(plan.partition);
  auto unavailable = [&](const std::string& why) {
    plan.refusal = TryAgain(why, 1);
    return plan;
  };
  // Sent on already: answered here, or not now (the owners moved meanwhile).
  if (forwarded || (owner && owner->node == node_->name())) return plan;
  if (!owner)
    return unavailable("no node has announced that it runs this customer's partition (" +
                       std::to_string(plan.partition) + ") yet: try again once the group has given it out");
  plan.owner = owner->node;
  plan.forward_to = owner->api;
  return plan;
}

void Service::ReadHere(int32_t p, std::function<Reply(const EngineView&)> read, std::function<void(Reply)> done) const {
  node_->Read(p, [read = std::move(read), done = std::move(done)](const Engine* engine, const std::string& why_not) {
    if (engine == nullptr) {
      return done(TryAgain(why_not + ": try again (a partition that moves is taken over within seconds)", 1));
    }
    // The partition's engine owns its customers (and holds every profile).
    EngineView view;
    view.engines.push_back(engine);
    view.owner = [engine](std::string_view, std::string_view) -> const Engine& { return *engine; };
    done(read(view));
  });
}

std::optional<std::string> Service::NotReadyOnCluster() const {
  if (node_->Restoring()) return "partitions taken over are being restored (replayed)";
  return std::nullopt;
}

void Service::TickOnCluster() {
  DeliverOnCluster();
  std::string trouble = node_->counts().trouble;
  if (trouble != cluster_trouble_) {
    cluster_trouble_ = trouble;
    if (!trouble.empty()) Log(LogLevel::kWarning, "cluster", trouble);
  }
}

}  // namespace tutti::runtime
