// The operator's page: readiness, the figures that say whether the daemon
// keeps up (from /metrics), and the journey versions it runs, with reload.
import { h, api, num, table, figure } from "/console/app.js";

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

export async function operatorPage() {
  const ready = await fetch("/readyz").then(async (r) => ({ ok: r.ok, body: await r.json().catch(() => ({})) }));
  const [m, { journeys, fingerprint, shards }] = await Promise.all([readMetrics(), api("/v1/journeys")]);
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
      figure("Inputs not yet applied", num(m.tutti_inputs_unapplied), "unapplied"),
      figure("Decisions", num(m.tutti_decisions_total), "decisions"),
      figure("Actions pending delivery", num(m.tutti_outbox_pending), "outbox_pending"),
      figure("Delivery failures", num(m.tutti_delivery_failures_total), "delivery_failures"),
      figure("Timers pending", num(m.tutti_timers_pending), "timers"),
      figure("Instances active", num(m.tutti_instances_active), "instances"),
      figure("Input log entries", num(m.tutti_input_log_entries), "log_entries"),
      figure("Input log write failures", num(m.tutti_input_log_failures_total), "log_failures"),
      figure("Reloads", num(m.tutti_reloads_total), "reloads"),
      figure("Shards", num(shards), "shards")
    ),
    h("section", { "aria-labelledby": "versions" }, h("h2", { id: "versions" }, "Journey versions"), h("p", {}, `Journey set fingerprint ${fingerprint}.`), table("Versions running", ["Journey", "Version", "Version id", "Status", "Active", "Errors"], versions, [4, 5]), reload, reloadStatus)
  );
}
