// The operator's page: readiness, the figures that say whether the daemon
// keeps up (from /metrics), the dead letters with a retry for each, and
// the journey versions it runs, with reload. On a node of a cluster
// (docs/cluster.md) the figures of one daemon's own log and engines give
// way to the node's: its partitions, lag, takeovers and transactions.
import { h, api, num, table, figure, when } from "/console/app.js";

/// How many dead letters the page lists (the oldest first).
const DEAD_LETTERS = 200;

/// The dead letters held, each with its explanation and a retry button
/// (POST /v1/actions/KEY/retry, with the admin token when one is set).
function deadLetters(page) {
  const status = h("p", { role: "status" });
  const rows = page.actions.map((a) => {
    const state = h("span", {}, "dead letter");
    const retry = h(
      "button",
      {
        type: "button",
        "data-retry": a.idempotency_key,
        "aria-label": `Retry the ${a.channel} action for ${a.customer || a.to}`,
        onclick: async () => {
          retry.disabled = true;
          try {
            await api(`/v1/actions/${encodeURIComponent(a.idempotency_key)}/retry`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
            state.textContent = "pending (retried)";
            status.textContent = `The ${a.channel} action for ${a.customer || a.to} is delivered again.`;
          } catch (err) {
            retry.disabled = false;
            status.textContent = "Not retried: " + err.message;
          }
        },
      },
      "Retry"
    );
    return [
      h("a", { href: `#/why/${encodeURIComponent(a.idempotency_key)}`, "data-why": a.idempotency_key }, when(a.at)),
      a.channel,
      h("a", { href: `#/customers/${encodeURIComponent(a.customer)}` }, a.customer),
      a.template || a.kind || "",
      `${a.journey} v${a.version}`,
      state,
      retry,
    ];
  });
  return h(
    "section",
    { "aria-labelledby": "dead-letters" },
    h("h2", { id: "dead-letters" }, "Dead letters"),
    h("p", {}, rows.length ? `Actions whose every attempt failed (the oldest ${DEAD_LETTERS} held). Retry one once what failed it is fixed: it gets a whole retry budget, and its journey hears the outcome.` : "No dead letters: every routed action was delivered or is on its way."),
    rows.length ? table("Dead letters", ["Decided", "Channel", "Customer", "Template", "Journey", "Delivery", "Retry"], rows) : null,
    status
  );
}

/// Prometheus text -> {name: total over its series}.
function metrics(text) {
  const out = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (!m) continue;
    out[m[1]] = (out[m[1]] || 0) + Number(m[3]);
  }
  return out;
}

async function readMetrics() {
  const res = await fetch("/metrics");
  if (!res.ok) throw new Error("/metrics answered " + res.status);
  return metrics(await res.text());
}

/// One daemon's own figures: its input log, engines and outbox.
function oneDaemonFigures(m, shards) {
  return [
    figure("Inputs not yet applied", num(m.tutti_inputs_unapplied), "unapplied"),
    figure("Decisions", num(m.tutti_decisions_total), "decisions"),
    figure("Actions pending delivery", num(m.tutti_outbox_pending), "outbox_pending"),
    figure("Timers pending", num(m.tutti_timers_pending), "timers"),
    figure("Instances active", num(m.tutti_instances_active), "instances"),
    figure("Input log entries", num(m.tutti_input_log_entries), "log_entries"),
    figure("Input log write failures", num(m.tutti_input_log_failures_total), "log_failures"),
    figure("Shards", num(shards), "shards"),
  ];
}

/// A node's figures on a cluster: the partitions of tutti.inputs it runs,
/// what it has left to read of them, what it took over and wrote.
function clusterFigures(m) {
  return [
    figure("Partitions run here", `${num(m.tutti_cluster_partitions_owned)} of ${num(m.tutti_cluster_partitions)}`, "partitions"),
    figure("Caught up", m.tutti_cluster_caught_up === 1 ? "yes" : "no", "caught_up"),
    figure("Offsets left to read", num(m.tutti_cluster_lag_offsets), "lag"),
    figure("Inputs applied", num(m.tutti_cluster_inputs_applied), "inputs_applied"),
    figure("Actions written", num(m.tutti_cluster_actions_written), "actions_written"),
    figure("Actions being delivered", num(m.tutti_cluster_deliveries_open), "deliveries_open"),
    figure("Inputs dead-lettered", num(m.tutti_cluster_dead_letters), "inputs_dead_lettered"),
    figure("Partitions taken over", num(m.tutti_cluster_takeovers), "takeovers"),
    figure("Reads answered late", num(m.tutti_cluster_reads_late), "reads_late"),
  ];
}

export async function operatorPage() {
  const ready = await fetch("/readyz").then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }));
  const [m, { journeys, fingerprint, shards }, dead] = await Promise.all([readMetrics(), api("/v1/journeys"), api(`/v1/actions?delivery=dead_letter&limit=${DEAD_LETTERS}`)]);
  const reloadStatus = h("p", { role: "status" });
  const reload = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        reloadStatus.textContent = "Reloading…";
        try {
          const r = await api("/v1/journeys/reload", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
          reloadStatus.textContent = "Reloaded: " + JSON.stringify(r);
        } catch (err) {
          reloadStatus.textContent = "Not reloaded: " + err.message;
        }
      },
    },
    "Reload the journeys folder"
  );
  const cluster = m.tutti_cluster_partitions !== undefined;
  const versions = journeys.map((j) => [h("a", { href: `#/journeys/${encodeURIComponent(j.name)}` }, j.name), "v" + j.version, j.version_id, j.status, num(j.active), num(j.errors)]);
  return h(
    "section",
    {},
    h("h1", {}, "Operator"),
    h("p", { class: "lede" }, ready.ok ? "Ready: the daemon applies inputs and serves the API." : `Not ready: ${ready.body.reason || "unknown"}.`),
    ready.body.data_loss ? h("p", { role: "alert", class: "error" }, "Data loss accepted at start: " + JSON.stringify(ready.body.data_loss)) : null,
    h(
      "dl",
      { class: "figures" },
      figure("Events in", num(m.tutti_events_in_total), "events_in"),
      figure("Events refused", num(m.tutti_events_refused_total), "events_refused"),
      ...(cluster ? clusterFigures(m) : oneDaemonFigures(m, shards)),
      figure("Delivery failures", num(m.tutti_delivery_failures_total), "delivery_failures"),
      figure("Dead letters held", num(dead.actions.length) + (dead.actions.length === DEAD_LETTERS ? "+" : ""), "dead_letters"),
      figure("Reloads", num(m.tutti_reloads_total), "reloads")
    ),
    deadLetters(dead),
    h("section", { "aria-labelledby": "versions" }, h("h2", { id: "versions" }, "Journey versions"), h("p", {}, `Journey set fingerprint ${fingerprint}.`), table("Versions running", ["Journey", "Version", "Version id", "Status", "Active", "Errors"], versions, [4, 5]), reload, reloadStatus)
  );
}
