// The marketer's pages: every journey with its figures, and one journey
// with its diagram (laid out by dagre, counts from the engine on every step
// and way out) and its analytics (GET /v1/journeys, /v1/journeys/NAME/graph).
import { h, api, num, pct, table, figure } from "/console/app.js";
import { diagram } from "/console/diagram.js";

const goalRate = (j) => pct(j.goals, j.entered);
const ttg = (j) => (j.time_to_goal ? `${j.time_to_goal.median} / ${j.time_to_goal.p90}` : "–");
const total = (byKey) => Object.values(byKey || {}).reduce((a, b) => a + b, 0);

/// The windows the journeys page offers: all time, or the last N days up
/// to the end of the engine's day (GET /v1/journeys?days=N).
const WINDOWS = [
  [0, "since each version started"],
  [7, "the last 7 days"],
  [30, "the last 30 days"],
  [90, "the last 90 days"],
];

/// The window's picker: choosing one goes to `hashFor(days)`. With the
/// label of the window chosen and the days it covers (`reply.window`).
function windowPicker(days, reply, hashFor) {
  const windows = WINDOWS.some(([n]) => n === days) ? WINDOWS : [...WINDOWS, [days, `the last ${days} days`]];
  const label = windows.find(([n]) => n === days)[1];
  const picker = h(
    "select",
    { id: "window", onchange: (ev) => (location.hash = hashFor(Number(ev.target.value))) },
    windows.map(([n, text]) => h("option", { value: n, selected: n === days ? "" : null }, text))
  );
  const span = reply.window ? ` (${reply.window.from.slice(0, 10)} to the end of ${new Date(Date.parse(reply.window.to) - 1).toISOString().slice(0, 10)}, UTC days)` : "";
  const form = h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, h("label", { for: "window" }, "Figures for "), picker);
  return { form, label: label + span };
}

/// What a window's figures say, for the pages' ledes.
const IN_A_WINDOW =
  "entries, completions, exits, goals, times to goal, steps reached and actions of those days, whenever the customers entered; the arms of splits and choices taken in those days, with the goals reached since; active and waiting are now.";

const windowQuery = (days) => (days ? `?days=${days}` : "");

export async function journeysPage(days = 0) {
  const reply = await api(`/v1/journeys${windowQuery(days)}`);
  // In a window: what happened in it; active is always now.
  const of = (j) => (days ? { ...j.window, active: j.active } : j);
  const rows = reply.journeys.map((journey) => {
    const j = of(journey);
    return [
      h("a", { href: `#/journeys/${encodeURIComponent(journey.name)}${days ? `/last/${days}` : ""}` }, journey.name),
      "v" + journey.version,
      journey.status,
      num(j.entered),
      num(j.active),
      num(j.completed),
      num(j.exited),
      num(j.goals),
      goalRate(j),
      ttg(j),
      num(total(j.actions)),
      num(total(j.suppressed)),
    ];
  });
  const { form, label } = windowPicker(days, reply, (n) => (n ? `#/journeys/last/${n}` : "#/journeys"));
  return h(
    "section",
    {},
    h("h1", {}, "Journeys"),
    h("p", { class: "lede" }, days ? `What every journey version did in ${label}: ${IN_A_WINDOW}` : "Every journey version the engine runs, with what it has done since it was published."),
    form,
    table(
      "Journeys by version",
      ["Journey", "Version", "Status", "Entered", "Active", "Completed", "Exited", "Goal reached", "Goal rate", "Time to goal (median / p90)", "Actions", "Suppressed"],
      rows,
      [3, 4, 5, 6, 7, 8, 10, 11]
    )
  );
}

function experimentsSection(experiments) {
  if (!experiments.length) return null;
  return h(
    "section",
    { "aria-labelledby": "experiments" },
    h("h2", { id: "experiments" }, "Splits and choices"),
    experiments.map((x) =>
      table(
        `${x.kind === "split" ? "Split" : "Choose best"} at ${x.step}`,
        ["Arm", "Customers", "Goal reached", "Goal rate", "95% interval", "Role"],
        x.arms.map((a) => [a.label, num(a.customers), num(a.goals), pct(a.goals, a.customers), a.customers ? `${(100 * a.ci95[0]).toFixed(1)}–${(100 * a.ci95[1]).toFixed(1)}%` : "–", a.control ? "control" : ""]),
        [1, 2, 3]
      )
    )
  );
}

export async function journeyPage(name, days = 0) {
  const [graph, reply] = await Promise.all([api(`/v1/journeys/${encodeURIComponent(name)}/graph${windowQuery(days)}`), api(`/v1/journeys${windowQuery(days)}`)]);
  const now = reply.journeys.find((x) => x.name === graph.name && x.version === graph.version);
  if (!now) throw new Error(`journey ${name} is not running`);
  // In a window its figures are the window's; active and waiting are now.
  const j = days ? { ...now, ...now.window, active: now.active } : now;
  const steps = Object.entries(j.steps).map(([id, s]) => [
    id,
    num(s.reached),
    num(now.steps[id].waiting_now),
    s.left_by_event ? `${num(s.left_by_event.customers)} (goal ${num(s.left_by_event.goals)})` : "",
    s.left_by_timeout ? `${num(s.left_by_timeout.customers)} (goal ${num(s.left_by_timeout.goals)})` : "",
  ]);
  const byKey = (o) => Object.entries(o || {}).map(([k, v]) => [k, num(v)]);
  const pause = h(
    "button",
    {
      type: "button",
      onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api(`/v1/journeys/${encodeURIComponent(j.name)}/${j.status === "paused" ? "resume" : "pause"}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
          window.dispatchEvent(new HashChangeEvent("hashchange"));
        } catch (err) {
          e.target.after(h("p", { role: "alert", class: "error" }, err.message));
          e.target.disabled = false;
        }
      },
    },
    j.status === "paused" ? "Resume this journey" : "Pause this journey"
  );
  const windowed = windowPicker(days, reply, (n) => `#/journeys/${encodeURIComponent(j.name)}${n ? `/last/${n}` : ""}`);
  return h(
    "section",
    {},
    h("h1", {}, `Journey ${j.name}`),
    h("p", { class: "lede" }, `Version ${j.version} (${j.version_id}), ${j.status}, priority ${j.priority}.` + (days ? ` Figures for ${windowed.label}: ${IN_A_WINDOW}` : " Figures since the version started.")),
    windowed.form,
    h(
      "dl",
      { class: "figures" },
      figure("Entered", num(j.entered), "entered"),
      figure("Active now", num(j.active), "active"),
      figure("Completed", num(j.completed), "completed"),
      figure("Exited", num(j.exited), "exited"),
      figure("Goal reached", num(j.goals), "goals"),
      figure("Goal rate", goalRate(j), "goal_rate"),
      figure("Time to goal, median / p90", ttg(j), "time_to_goal"),
      figure("Failed", num(j.failed), "failed")
    ),
    h("section", { "aria-labelledby": "flow" }, h("h2", { id: "flow" }, days ? "Flow, with the window's counts" : "Flow, with live counts"), diagram(graph)),
    h("section", { "aria-labelledby": "steps" }, h("h2", { id: "steps" }, "Steps"), table("Per step", ["Step", "Reached", "Waiting now", "Left by the event", "Left by the timeout"], steps, [1, 2])),
    experimentsSection(j.experiments),
    h(
      "section",
      { "aria-labelledby": "channels" },
      h("h2", { id: "channels" }, "Actions and contact policy"),
      h("div", { class: "pair" }, table("Actions by channel", ["Channel", "Actions"], byKey(j.actions), [1]), table("Suppressed by rule", ["Rule", "Suppressed"], byKey(j.suppressed), [1])),
      h("p", {}, `Sends held by quiet hours: ${num(j.deferred)}. Errors: ${num(j.errors)}.`)
    ),
    h("section", { "aria-labelledby": "control" }, h("h2", { id: "control" }, "Control"), h("p", {}, "Pausing stops new entries; customers already in go on. Needs the admin token when the daemon has one."), pause)
  );
}
