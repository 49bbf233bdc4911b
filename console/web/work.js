// The work queues: the tasks and cases journeys gave colleagues that are
// still open (GET /v1/tasks), per role and per person, the most urgent
// first, and the newest closed ones. A colleague closes or hands on a task
// from here as the CRM would: a task_completed or task_reassigned event
// (POST /v1/events, with the ingest token when one is set), which the
// journeys waiting for it hear too.
import { h, api, num, table, figure, when } from "/console/app.js";

const ROLE_NAMES = {
  field_rep: "Field reps",
  key_account_manager: "Key account managers",
  msl: "MSLs",
  call_center: "Call center",
  call_center_lead: "Call-center leads",
  medical_director: "Medical directors",
  district_manager: "District managers",
  marketing: "Marketing",
  field: "Field (by channel)",
  medical: "Medical (by channel)",
  other: "Other",
};
const roleName = (role) => ROLE_NAMES[role] || role;
/// How many tasks a page lists (the most urgent first).
const LISTED = 100;

const personLink = (id, name) => (id ? h("a", { href: `#/work/people/${encodeURIComponent(id)}` }, name || id) : h("span", { class: "quiet" }, "case queue"));
const customerLink = (t) => h("a", { href: `#/customers/${encodeURIComponent(t.customer)}` }, t.customer_name || t.customer);

/// A task's event, posted as the CRM would post it, at the daemon's time.
async function report(type, fields, now) {
  const body = JSON.stringify({ type, at: now, ...fields });
  return api("/v1/events", { method: "POST", token: "ingest", headers: { "Content-Type": "application/json" }, body });
}

/// The buttons that close or hand on one open task.
function taskControls(t, now, people, status) {
  const done = h("button", { type: "button", "data-done": t.id, "aria-label": `Mark done: ${t.text.slice(0, 60)}` }, "Done");
  const pick = h("input", { type: "text", list: "colleagues", size: 10, "aria-label": "Reassign to (staff id)", placeholder: "staff id" });
  const hand = h("button", { type: "button", "data-reassign": t.id, "aria-label": `Reassign: ${t.text.slice(0, 60)}` }, "Reassign");
  const row = h("span", { class: "controls" });
  /// Posts the task's event once `who` is named; `said` words the outcome.
  async function act(who, missing, type, fields, said) {
    if (!who) {
      status.textContent = missing;
      pick.focus();
      return;
    }
    done.disabled = hand.disabled = true;
    try {
      await report(type, { task_id: t.id, ...fields }, now);
      row.replaceChildren(said);
      status.textContent = `${said[0].toUpperCase()}${said.slice(1)}: ${t.text.slice(0, 80)}`;
    } catch (err) {
      done.disabled = hand.disabled = false;
      status.textContent = "Not recorded: " + err.message;
    }
  }
  // A case has no assignee until someone closes it: whoever is named.
  done.addEventListener("click", () => {
    const by = t.assignee || pick.value.trim();
    act(by, "Say who closed the case (a staff id) in the box beside it.", "task_completed", { assignee: by, outcome: "done" }, "marked done");
  });
  hand.addEventListener("click", () => {
    const to = pick.value.trim();
    act(to, "Say whom to reassign it to (a staff id).", "task_reassigned", { assignee: to, reason: "reassigned in the console" }, "reassigned to " + (people[to] || to));
  });
  row.append(done, " ", pick, " ", hand);
  return row;
}

export async function workPage(kind, which) {
  const filter = kind === "role" ? `&role=${encodeURIComponent(which)}` : kind === "people" ? `&assignee=${encodeURIComponent(which)}` : "";
  const [open, closed] = await Promise.all([api(`/v1/tasks?limit=${LISTED}${filter}`), api(`/v1/tasks?state=closed&limit=20${filter}`)]);
  const people = Object.fromEntries(open.queues.filter((q) => q.assignee).map((q) => [q.assignee, q.name || q.assignee]));
  const status = h("p", { role: "status" });
  const sum = (rows) => rows.reduce((n, r) => n + r.overdue, 0);
  const overdue = kind === "role" ? sum(open.roles.filter((r) => r.role === which)) : sum(open.queues.filter((q) => kind !== "people" || q.assignee === which));
  const heading = kind === "role" ? `Work queues: ${roleName(which)}` : kind === "people" ? `Work queue: ${people[which] || which}` : "Work queues";

  const roleRows = open.roles.map((r) => [h("a", { href: `#/work/role/${encodeURIComponent(r.role)}` }, roleName(r.role)), num(r.open), num(r.overdue)]);
  const personRows = open.queues
    .filter((q) => kind !== "role" || q.role === which)
    .map((q) => [personLink(q.assignee, q.name), roleName(q.role), num(q.open), num(q.overdue), when(q.next_due)]);
  const taskRows = open.tasks.map((t) => [
    h("span", { class: t.overdue ? "error" : null }, t.due ? when(t.due) + (t.overdue ? " (overdue)" : "") : "no due date"),
    t.text,
    customerLink(t),
    personLink(t.assignee, t.assignee_name),
    h("a", { href: `#/journeys/${encodeURIComponent(t.journey)}` }, `${t.journey} v${t.version}`),
    h("a", { href: `#/why/${encodeURIComponent(t.id)}` }, when(t.opened)),
    taskControls(t, open.now, people, status),
  ]);
  const closedRows = closed.tasks.map((t) => [when(t.closed), t.text, customerLink(t), personLink(t.assignee, t.assignee_name), t.outcome, t.overdue ? "yes" : "no"]);

  return h(
    "section",
    {},
    h("h1", {}, heading),
    h("p", { class: "lede" }, "The tasks and cases journeys gave colleagues that are still open, the most urgent first (by due date), as of the engine's time " + when(open.now) + ". A task closes when its colleague reports it done (task_completed) and moves when it is handed on (task_reassigned); both come back as events, so the journeys waiting for them hear it. docs/console.md, \"Work queues\", says what each figure means."),
    kind ? h("p", {}, h("a", { href: "#/work" }, "Every queue")) : null,
    h(
      "dl",
      { class: "figures" },
      figure("Open", num(open.matching), "open"),
      figure("Overdue", num(overdue), "overdue"),
      figure("Closed (all time)", num(open.totals.closed), "closed"),
      figure("Reassigned", num(open.totals.reassigned), "reassigned")
    ),
    kind ? null : h("section", { "aria-labelledby": "roles" }, h("h2", { id: "roles" }, "By role"), table("Open tasks by role", ["Role", "Open", "Overdue"], roleRows, [1, 2])),
    kind === "people" ? null : h("section", { "aria-labelledby": "people" }, h("h2", { id: "people" }, "By person"), table("Open tasks by person", ["Person", "Role", "Open", "Overdue", "Next due"], personRows, [2, 3])),
    h(
      "section",
      { "aria-labelledby": "open" },
      h("h2", { id: "open" }, "Open tasks"),
      open.matching > open.tasks.length ? h("p", { class: "quiet" }, `The ${num(open.tasks.length)} most urgent of ${num(open.matching)}.`) : null,
      h("datalist", { id: "colleagues" }, Object.entries(people).map(([id, name]) => h("option", { value: id }, name))),
      table("Open tasks, the most urgent first", ["Due", "Task", "Customer", "Assignee", "Journey", "Opened (why)", "Close or hand on"], taskRows),
      status
    ),
    h("section", { "aria-labelledby": "closed" }, h("h2", { id: "closed" }, "Recently closed"), table("The newest closed tasks", ["Closed", "Task", "Customer", "Assignee", "Outcome", "Was overdue"], closedRows))
  );
}
