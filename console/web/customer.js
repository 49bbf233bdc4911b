// The rep's view of a prescriber or an account: who they are, the journeys
// they are in and where each waits, the actions the company took (each
// opening its explanation), and the whole history, paged and filtered
// (GET /v1/customers/ID, /v1/customers/ID/history, /v1/accounts/ID/history).
import { h, api, num, when, table } from "/console/app.js";

export function lookupPage() {
  const input = h("input", { id: "who", name: "who", required: true, autocomplete: "off", placeholder: "hcp-empire-00017" });
  const kind = h("select", { id: "kind", name: "kind" }, h("option", { value: "customers" }, "Prescriber"), h("option", { value: "accounts" }, "Account"));
  return h(
    "section",
    {},
    h("h1", {}, "Prescribers and accounts"),
    h("p", { class: "lede" }, "Open the timeline of one prescriber or account: what the company did with them, across every journey and channel."),
    h(
      "form",
      {
        class: "lookup",
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/${kind.value}/${encodeURIComponent(input.value.trim())}`;
        },
      },
      h("label", { for: "kind" }, "Kind"),
      kind,
      h("label", { for: "who" }, "Id"),
      input,
      h("button", { type: "submit" }, "Open")
    )
  );
}

function recordList(record) {
  if (!record || typeof record !== "object") return h("p", {}, "No profile record.");
  return h(
    "dl",
    { class: "record" },
    Object.entries(record).map(([k, v]) => [h("dt", {}, k), h("dd", {}, typeof v === "object" ? JSON.stringify(v) : String(v))])
  );
}

const kindNames = { event: "event", action: "action", suppressed: "held back", deferred: "put off" };

/// What an entry says beyond its kind and name: an event's fields, an
/// action's template or text (opening its explanation), the rule and the
/// reason of a send held back or put off. Entries from before the history
/// journal started have none of it.
function details(e) {
  const text = (s) => h("span", { "data-detail": e.kind }, s);
  if (e.kind === "event") {
    if (!e.fields) return "";
    const fields = Object.entries(e.fields).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`);
    return text(fields.join(", ") + (e.fields_cut ? " (longer fields not kept)" : ""));
  }
  const what = e.template || e.text || "";
  if (e.kind === "suppressed") return text(`${what}: held back by “${e.rule}” (${e.rule_at}): ${e.reason}`);
  if (e.kind === "deferred") return text(`${what}: put off until ${when(e.until)} by “${e.rule}”: ${e.reason}`);
  if (!what) return "";
  return e.idempotency_key ? h("span", { "data-detail": e.kind }, what, " · ", h("a", { href: `#/why/${encodeURIComponent(e.idempotency_key)}` }, "why?")) : text(what);
}

function historyRows(entries, account) {
  return entries.map((e) => {
    const journey = e.journey ? `${e.journey} v${e.version}${e.step ? " at " + e.step : ""}` : "";
    const row = [when(e.at), kindNames[e.kind] || e.kind, e.name, journey, details(e)];
    if (account) row.push(e.customer ? h("a", { href: `#/customers/${encodeURIComponent(e.customer)}` }, e.customer) : "");
    return row;
  });
}

// The history section: a filter form and pages that follow the API's cursor.
function historySection(kind, id, first) {
  const account = kind === "account";
  const base = `/v1/${account ? "accounts" : "customers"}/${encodeURIComponent(id)}/history`;
  const holder = h("div", { id: "history-pages" });
  const status = h("p", { role: "status", class: "quiet" });
  const heads = ["When", "Kind", "Event or channel", "Journey and step", "Details"].concat(account ? ["Prescriber"] : []);
  const field = (name, label, attrs = {}) => [h("label", { for: "f-" + name }, label), h("input", { id: "f-" + name, name, ...attrs })];
  const kindSelect = h(
    "select",
    { id: "f-kind", name: "kind" },
    h("option", { value: "" }, "everything"),
    h("option", { value: "event" }, "events"),
    h("option", { value: "action" }, "actions"),
    h("option", { value: "suppressed" }, "sends held back"),
    h("option", { value: "deferred" }, "sends put off")
  );
  let shown = 0;
  async function load(query, cursor) {
    const params = new URLSearchParams(query);
    params.set("limit", "100");
    if (cursor) params.set("cursor", cursor);
    const page = await api(`${base}?${params}`);
    shown += page.history.length;
    holder.append(table(`History, entries ${num(shown - page.history.length + 1)} to ${num(shown)}`, heads, historyRows(page.history, account)));
    status.textContent = page.next ? "There is more." : "That is all of it.";
    more.hidden = !page.next;
    more.onclick = () => load(query, page.next).catch((err) => (status.textContent = err.message));
  }
  const more = h("button", { type: "button", hidden: true }, "Next 100 entries");
  const form = h(
    "form",
    {
      class: "filters",
      onsubmit: (e) => {
        e.preventDefault();
        const query = {};
        for (const [k, v] of new FormData(form)) if (v) query[k] = k === "from" || k === "to" ? new Date(v + "Z").toISOString().replace(".000Z", "Z") : v;
        holder.replaceChildren();
        shown = 0;
        load(query).catch((err) => (status.textContent = err.message));
      },
    },
    h("label", { for: "f-kind" }, "Show"),
    kindSelect,
    field("channel", "Channel", { placeholder: "email" }),
    field("journey", "Journey"),
    field("from", "From (UTC)", { type: "datetime-local" }),
    field("to", "To (UTC)", { type: "datetime-local" }),
    h("button", { type: "submit" }, "Filter")
  );
  if (first) {
    shown = first.history.length;
    holder.append(table(`History, entries 1 to ${num(shown)}`, heads, historyRows(first.history, account)));
    if (first.next) {
      more.hidden = false;
      more.onclick = () => load({}, first.next).catch((err) => (status.textContent = err.message));
    }
    status.textContent = first.next ? "There is more." : "That is all of it.";
  } else {
    load({}).catch((err) => (status.textContent = err.message));
  }
  return h("section", { "aria-labelledby": "history" }, h("h2", { id: "history" }, "History"), form, holder, status, more);
}

/// A key account manager records a formulary win at the account, as the
/// stdlib's formulary_win event (POST /v1/events, ingest token): the
/// journeys it triggers start for the account's prescribers.
function formularyWinForm(accountId) {
  const status = h("p", { role: "status" });
  const field = (label, input) => h("label", {}, label + " ", input);
  const brand = h("input", { name: "brand", required: true, size: 10, value: "GLIDIM" });
  const plan = h("input", { name: "plan", required: true, size: 22, placeholder: "Empire Essential PPO" });
  const tier = h("select", { name: "tier" }, [1, 2, 3, 4, 5].map((t) => h("option", { value: t, selected: t === 2 ? "" : null }, String(t))));
  const priorAuth = h("input", { type: "checkbox", name: "prior_auth" });
  const effective = h("input", { type: "date", name: "effective", required: true });
  const by = h("input", { name: "recorded_by", required: true, size: 10, placeholder: "staff id" });
  const form = h(
    "form",
    {
      class: "filters",
      id: "formulary-win",
      onsubmit: async (e) => {
        e.preventDefault();
        const event = { type: "formulary_win", account: accountId, brand: brand.value.trim(), plan: plan.value.trim(), tier: Number(tier.value), prior_auth: priorAuth.checked, effective: effective.value + "T00:00:00Z", recorded_by: by.value.trim() };
        try {
          const r = await api("/v1/events", { method: "POST", token: "ingest", headers: { "Content-Type": "application/json" }, body: JSON.stringify(event) });
          status.textContent = r && r.accepted ? `Recorded: ${event.brand} on ${event.plan} (tier ${event.tier}). The journeys it starts are under Journeys.` : "Not recorded.";
        } catch (err) {
          status.textContent = "Not recorded: " + err.message;
        }
      },
    },
    field("Brand", brand),
    field("Plan", plan),
    field("Tier", tier),
    h("label", {}, priorAuth, " Prior authorisation still required"),
    field("Effective", effective),
    field("Recorded by", by),
    h("button", { type: "submit" }, "Record the win")
  );
  return h("section", { "aria-labelledby": "win" }, h("h2", { id: "win" }, "Record a formulary win"), h("p", {}, "A plan of this account added a brand to its formulary: record it as the key account manager, and the journeys it triggers start for the account's prescribers (needs the ingest token when the daemon has one)."), form, status);
}

// On a Kafka cluster a customer's answer leaves their actions out: each is
// held by the node that delivers it. The cluster's action log, filtered to
// the customer, gathers them from every node, oldest first; the newest 50
// are kept, newest first, as one daemon lists them. At most 10 pages are
// read: past them, `more` says the newest may not be among them. A page a
// node cannot answer now (503: it is busy, or partitions are moving) is
// asked again after a second, twice at most.
async function actionsOnTheCluster(id) {
  const limit = 1000;
  let all = [];
  let since = null;
  for (let pages = 0; pages < 10; pages++) {
    const params = new URLSearchParams({ customer: id, limit: String(limit) });
    if (since !== null) params.set("since", since);
    let page = null;
    for (let attempt = 0; page === null; attempt++) {
      try {
        page = await api(`/v1/actions?${params}`);
      } catch (err) {
        if (err.status !== 503 || attempt >= 2) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    all = all.concat(page.actions).slice(-50);
    if (page.actions.length < limit || page.next === since) return { actions: all.reverse(), more: false };
    since = page.next;
  }
  return { actions: all.reverse(), more: true };
}

export async function customerPage(kind, id) {
  const account = kind === "account";
  const customer = await api(`/v1/customers/${encodeURIComponent(id)}${account ? "?profile=account" : ""}`);
  // On a cluster the rest of the page stands even when the nodes cannot
  // all be asked for the actions now (one is down, partitions are moving).
  const onCluster = !customer.actions;
  let actionsNote = onCluster ? "The actions the cluster's nodes still hold, newest first; open one to see why it was taken." : "The actions the daemon still holds, newest first; open one to see why it was taken.";
  if (onCluster) {
    try {
      const gathered = await actionsOnTheCluster(customer.id);
      customer.actions = gathered.actions;
      if (gathered.more) actionsNote = "The last 50 of the first 10,000 actions the cluster's nodes hold for this customer (there are more; the action log lists them all); open one to see why it was taken.";
    } catch (err) {
      customer.actions = [];
      actionsNote = `The actions could not be gathered from the cluster's nodes just now (${err.message}); the history below lists each one.`;
    }
  }
  const instances = customer.instances.map((i) => [h("a", { href: `#/journeys/${encodeURIComponent(i.journey)}` }, i.journey), "v" + i.version, i.step, i.state.replaceAll("_", " "), when(i.entered), when(i.next_timer)]);
  const short = (text) => (text && text.length > 90 ? text.slice(0, 89) + "…" : text);
  const actions = (customer.actions || []).map((a) => [
    h("a", { href: `#/why/${encodeURIComponent(a.idempotency_key)}`, "data-why": a.idempotency_key }, when(a.at)),
    a.kind ? `${a.kind} for ${a.assignee}${a.channel ? " via " + a.channel : ""}` : a.channel,
    a.template || short(a.text),
    `${a.journey} v${a.version}`,
    a.step,
    a.delivery.replaceAll("_", " "),
  ]);
  const first = account ? null : { history: customer.history || [], next: customer.history_next };
  const nextContact = (customer.next_contact || []).map((n) => [
    n.channel,
    h("span", { "data-next": n.channel }, n.at ? when(n.at) : "not as things stand"),
    n.rule ? n.rule.text : "–",
    n.reason || "",
  ]);
  return h(
    "section",
    {},
    h("h1", {}, `${account ? "Account" : "Prescriber"} ${customer.id}`),
    h("p", { class: "lede" }, `Profile ${customer.profile}.`),
    h("section", { "aria-labelledby": "record" }, h("h2", { id: "record" }, "Profile"), recordList(customer.record)),
    nextContact.length ? h("section", { "aria-labelledby": "next" }, h("h2", { id: "next" }, "Next contact"), h("p", {}, "When the contact policy would let a new message through each channel, as things stand: consent, caps and quiet hours, from the customer's history and time zone."), table("Next contact allowed, by channel", ["Channel", "Allowed from", "Held by", "Why"], nextContact)) : null,
    h("section", { "aria-labelledby": "now" }, h("h2", { id: "now" }, "Journeys now"), table("Active journeys and where each waits", ["Journey", "Version", "Step", "State", "Entered", "Next timer"], instances)),
    account ? formularyWinForm(customer.id) : null,
    h(
      "section",
      { "aria-labelledby": "actions" },
      h("h2", { id: "actions" }, "Actions"),
      h("p", {}, actionsNote),
      table("Actions taken", ["When", "What", "Template or text", "Journey", "Step", "Delivery"], actions)
    ),
    historySection(kind, customer.id, first)
  );
}
