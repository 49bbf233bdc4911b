// "Why did this prescriber get this?": one action's whole chain, from
// GET /v1/decisions/KEY/why: the input that started the journey, the one
// that caused the action, the choices on the way, the step, and each
// contact rule's verdict.
import { h, api, when } from "/console/app.js";

const json = (v) => h("pre", { class: "json", tabindex: 0 }, JSON.stringify(v, null, 2));

function inputText(input) {
  if (!input) return "unknown";
  if (input.timer) return `a timer, at ${when(input.at)}`;
  if (input.kept === false) return `no longer in the input log (${input.why})`;
  return [`input ${input.seq} at ${when(input.at)}: `, input.event ? json(input.event) : ""];
}

export async function whyPage(key) {
  const w = await api(`/v1/decisions/${encodeURIComponent(key)}/why`);
  const a = w.action;
  const j = w.journey || {};
  const who = h("a", { href: `#/customers/${encodeURIComponent(a.customer)}` }, a.customer);
  return h(
    "section",
    {},
    h("h1", {}, a.kind ? `Why ${a.customer} was the subject of a ${a.kind} for ${a.assignee}` : `Why ${a.customer} got ${a.template || a.channel}`),
    h("p", { class: "lede" }, `${a.channel || a.kind} at ${when(a.at)}, by journey ${a.journey} v${a.version}, step ${a.step}; idempotency key ${a.idempotency_key}.`),
    h(
      "ol",
      { class: "chain" },
      h("li", {}, h("h2", {}, "The journey"), h("p", {}, h("a", { href: `#/journeys/${encodeURIComponent(j.name || a.journey)}` }, j.name || a.journey), ` v${j.version}, declared at ${j.declared_at || "?"}.`), j.trigger ? h("p", {}, "Trigger: ", h("code", {}, j.trigger)) : null, j.audience ? h("p", {}, "Audience: ", h("code", {}, j.audience)) : null, j.started_by ? h("p", {}, "Started by: ", j.started_by.join(", ")) : null),
      h("li", {}, h("h2", {}, "What started it for ", who), h("div", {}, inputText(w.entered_by))),
      h("li", {}, h("h2", {}, "What caused this action"), h("div", {}, inputText(w.input))),
      h(
        "li",
        {},
        h("h2", {}, "Choices on the way"),
        (w.choices || []).length
          ? h(
              "ul",
              {},
              w.choices.map((c) => h("li", {}, `${when(c.at)} at ${c.step}: took `, h("code", {}, c.took), c.scores ? ` (scores ${Object.entries(c.scores).map(([k, v]) => `${k} ${Number(v).toFixed(3)}`).join(", ")})` : "", c.input ? ` (input ${c.input})` : ""))
            )
          : h("p", {}, "None.")
      ),
      h("li", {}, h("h2", {}, "The step"), h("p", {}, h("code", {}, w.step ? w.step.text : a.step), w.step ? ` at ${w.step.at}` : "")),
      h("li", {}, h("h2", {}, "Contact policy"), (w.policy || []).length ? h("ul", { class: "policy" }, w.policy.map((p) => h("li", {}, p))) : h("p", {}, "No rule covered it.")),
      h("li", {}, h("h2", {}, a.kind ? "What was asked" : "What was sent"), json(a.message || (a.kind ? { text: a.text, assignee: a.assignee, due: a.due } : { template: a.template, to: a.to, vars: a.vars })))
    )
  );
}
