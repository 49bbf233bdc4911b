// The director's dashboard: outreach and responses over time by role,
// channel and journey (GET /v1/engagement), and the accounts ranked by
// engagement and by likeness to a chosen one (GET /v1/accounts). The
// charts are Chart.js (bundled from npm); every number they draw is also
// in a table below them, for a screen reader and for copying.
import { h, api, num, pct, table, figure, whenShown } from "/console/app.js";

const ROLE_NAMES = { marketing: "Marketing", field: "Field (reps, KAMs)", medical: "Medical (MSLs)", call_center: "Call center", other: "Other" };
const ROLE_COLOURS = { marketing: "#1f5fa8", field: "#b3541e", medical: "#2e7d32", call_center: "#6a3fa0", other: "#6b6b6b" };
const PALETTE = ["#1f5fa8", "#b3541e", "#2e7d32", "#6a3fa0", "#8a6d00", "#00707a", "#a8326e"];
const roleName = (role) => ROLE_NAMES[role] || role;
const roleColour = (role, i) => ROLE_COLOURS[role] || PALETTE[i % PALETTE.length];
const day = (at) => at.slice(0, 10);
const sum = (values) => values.reduce((a, b) => a + b, 0);

/// A stacked bar chart of one series per role, drawn once the page is shown.
function roleChart(id, label, starts, roles, key) {
  const totals = roles.map((r) => `${roleName(r.role)} ${num(sum(r[key]))}`).join(", ");
  const canvas = h("canvas", { id, role: "img", "aria-label": `${label} per week, by role: ${totals}.` });
  whenShown(() => {
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: starts.map(day),
        datasets: roles.map((r, i) => ({ label: roleName(r.role), data: r[key], backgroundColor: roleColour(r.role, i) })).filter((d) => sum(d.data) > 0),
      },
      options: { animation: false, maintainAspectRatio: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, plugins: { title: { display: true, text: label } } },
    });
    canvas.dataset.drawn = "true";
  });
  return h("div", { class: "chart" }, canvas);
}

function accountLink(a) {
  return h("a", { href: `#/accounts/${encodeURIComponent(a.id)}` }, a.name || a.id);
}

export async function directorPage(like) {
  const [e, ranked] = await Promise.all([api("/v1/engagement"), api("/v1/accounts")]);
  const chosen = like || (ranked.accounts[0] && ranked.accounts[0].id);
  const similar = chosen ? await api(`/v1/accounts?similar_to=${encodeURIComponent(chosen)}`) : null;
  const actions = sum(e.roles.map((r) => sum(r.actions)));
  const responses = sum(e.roles.map((r) => sum(r.responses)));

  const roleRows = e.roles.map((r) => [roleName(r.role), num(sum(r.actions)), num(sum(r.responses))]);
  const channelRows = e.channels.map((c) => [c.channel, roleName(c.role), num(sum(c.actions))]);
  const eventRows = e.events.filter((v) => v.response).map((v) => [v.event, roleName(v.role), num(sum(v.count))]);
  const journeyRows = e.journeys.map((j) => [h("a", { href: `#/journeys/${encodeURIComponent(j.journey)}` }, j.journey), num(sum(j.actions)), num(j.customers), num(j.responded), pct(j.responded, j.customers)]);
  const weekRows = e.starts.map((s, i) => [day(s), num(sum(e.roles.map((r) => r.actions[i]))), num(sum(e.roles.map((r) => r.responses[i]))), num(e.engaged[i])]);
  const rankedRows = ranked.accounts.map((a) => [accountLink(a), a.kind, a.region, num(a.prescribers), num(a.actions), num(a.responses), num(a.engaged), a.engagement.toFixed(3), num(a.formulary_wins)]);

  const picker = h(
    "select",
    { id: "like", onchange: (ev) => (location.hash = `#/director/${encodeURIComponent(ev.target.value)}`) },
    ranked.accounts.map((a) => h("option", { value: a.id, selected: a.id === chosen ? "" : null }, a.name || a.id))
  );
  const campaign = similar && similar.last_campaign;
  const similarRows = similar
    ? similar.accounts.map((a) => [
        accountLink(a),
        a.similarity.score.toFixed(2),
        a.similarity.kind ? "yes" : "no",
        a.similarity.specialties.toFixed(2),
        a.similarity.response_rate === undefined ? "not reached" : pct(a.similarity.response_rate, 1),
        a.similarity.last_campaign.toFixed(2),
      ])
    : [];

  return h(
    "section",
    {},
    h("h1", {}, "Director"),
    h("p", { class: "lede" }, `What the company did with its prescribers and how they answered, ${day(e.from)} to ${day(e.to)}, by week. Responses are the prescribers' own answers (opens, clicks, replies, visits, requests, questions, sign-ups); a journey's customers responded when they answered within ${e.response_window_days} days of its outreach. docs/console.md defines each figure.`),
    h(
      "dl",
      { class: "figures" },
      figure("Outreach (actions)", num(actions), "actions"),
      figure("Responses", num(responses), "responses"),
      figure("Prescribers who responded", num(e.engaged_total), "engaged"),
      figure("Accounts", num(ranked.accounts.length), "accounts")
    ),
    h("section", { "aria-labelledby": "over-time" }, h("h2", { id: "over-time" }, "Over time, by role"), h("div", { class: "charts" }, roleChart("chart-outreach", "Outreach", e.starts, e.roles, "actions"), roleChart("chart-responses", "Responses", e.starts, e.roles, "responses")), table("Each week", ["Week from", "Outreach", "Responses", "Prescribers who responded"], weekRows, [1, 2, 3]), table("By role", ["Role", "Outreach", "Responses"], roleRows, [1, 2])),
    h("section", { "aria-labelledby": "by-channel" }, h("h2", { id: "by-channel" }, "By channel and journey"), table("Outreach by channel", ["Channel", "Role", "Actions"], channelRows, [2]), table("Responses by kind", ["Event", "Answers the work of", "Count"], eventRows, [2]), table("Journeys", ["Journey", "Actions", "Customers reached", "Responded", "Response rate"], journeyRows, [1, 2, 3, 4])),
    h("section", { "aria-labelledby": "accounts" }, h("h2", { id: "accounts" }, "Accounts by engagement"), h("p", {}, "Responses per prescriber of the account, highest first."), table("Accounts ranked by engagement", ["Account", "Kind", "Region", "Prescribers", "Outreach", "Responses", "Responded", "Responses per prescriber", "Formulary wins"], rankedRows, [3, 4, 5, 6, 7, 8])),
    h(
      "section",
      { "aria-labelledby": "alike" },
      h("h2", { id: "alike" }, "Accounts like another"),
      h("p", {}, h("label", { for: "like" }, "Accounts most like "), picker),
      campaign ? h("p", {}, `Likeness is the mean of three parts, each 0 to 1: the same kind of account; the mix of its prescribers' specialties (cosine); and the response to the chosen account's last campaign, ${campaign.journey || "none in this window"}${campaign.response_rate === undefined ? "" : " (" + pct(campaign.response_rate, 1) + " responded there)"}.`) : null,
      table("Accounts ranked by likeness", ["Account", "Likeness", "Same kind", "Specialty mix", "Response to the campaign", "Campaign part"], similarRows, [1, 3, 5])
    )
  );
}
