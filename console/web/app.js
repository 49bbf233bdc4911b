// The console's shell: the route in the URL's fragment picks a page, each
// page reads the daemon's API (never anything else) and draws itself into
// <main>. Text from the API is only ever set as text (h() below), never as
// markup.
import { journeysPage, journeyPage } from "/console/journeys.js";
import { customerPage, lookupPage } from "/console/customer.js";
import { whyPage } from "/console/why.js";
import { operatorPage } from "/console/operator.js";
import { directorPage } from "/console/director.js";
import { workPage } from "/console/work.js";

/// Where the tokens typed in the header are kept (this tab only): the
/// admin token reads /v1 and acts; the ingest token posts events.
const TOKEN_KEYS = { admin: "tutti.admin_token", ingest: "tutti.ingest_token" };

/// An element: h("a", {href: "#/x"}, "text", child, ...). Attributes that
/// start with "on" are listeners; null and false children are skipped.
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "g", "rect", "path", "text", "title", "tspan", "marker", "defs", "polygon"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// The API's answer as JSON; an error with the problem's detail otherwise.
/// With `token: "ingest"`, sent with the ingest token rather than the admin token.
export async function api(path, options = {}) {
  const { token: which = "admin", ...rest } = options;
  const headers = { Accept: "application/json", ...(rest.headers || {}) };
  const token = sessionStorage.getItem(TOKEN_KEYS[which]);
  if (token) headers.Authorization = "Bearer " + token;
  const res = await fetch(path, { ...rest, headers });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const detail = (body && (body.detail || body.error)) || res.statusText;
    const err = new Error(res.status === 401 ? `This daemon needs the ${which} token: enter it above.` : detail);
    err.status = res.status;
    throw err;
  }
  return body;
}

/// Numbers as people read them: 3,091.
export const num = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));

/// A share as a percentage with one decimal: "12.5%"; "–" when there is no base.
export const pct = (part, whole) => (whole ? ((100 * part) / whole).toFixed(1) + "%" : "–");

/// An RFC 3339 instant as "2026-03-02 14:05 UTC".
export const when = (at) => (at ? at.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC") : "–");

/// A table: a caption, the column heads, and rows of cells (strings, numbers or elements).
export function table(caption, heads, rows, numeric = []) {
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { scope: "col", class: numeric.includes(i) ? "n" : null }, t)))),
      h(
        "tbody",
        {},
        rows.length
          ? rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", { class: numeric.includes(i) ? "n" : null }, c)))))
          : h("tr", {}, h("td", { colspan: heads.length }, "None."))
      )
    )
  );
}

/// Work a page leaves for when it is in the document (a chart needs its
/// canvas laid out): done by show() before the page counts as drawn.
const pending = [];
export function whenShown(fn) {
  pending.push(fn);
}

/// A figure with a label, as the summary cards show them.
export const figure = (label, value, id) => h("div", { class: "figure" }, h("dt", {}, label), h("dd", { "data-figure": id || null }, value));

const routes = [
  [/^#\/journeys\/?$/, () => journeysPage()],
  [/^#\/journeys\/last\/(\d+)$/, (m) => journeysPage(Number(m[1]))],
  [/^#\/journeys\/([^/]+)$/, (m) => journeyPage(decodeURIComponent(m[1]))],
  [/^#\/journeys\/([^/]+)\/last\/(\d+)$/, (m) => journeyPage(decodeURIComponent(m[1]), Number(m[2]))],
  [/^#\/prescribers\/?$/, () => lookupPage()],
  [/^#\/customers\/([^/]+)$/, (m) => customerPage("customer", decodeURIComponent(m[1]))],
  [/^#\/accounts\/([^/]+)$/, (m) => customerPage("account", decodeURIComponent(m[1]))],
  [/^#\/why\/([^/]+)$/, (m) => whyPage(decodeURIComponent(m[1]))],
  [/^#\/director\/?$/, () => directorPage()],
  [/^#\/director\/([^/]+)$/, (m) => directorPage(decodeURIComponent(m[1]))],
  [/^#\/work\/?$/, () => workPage()],
  [/^#\/work\/(role|people)\/([^/]+)$/, (m) => workPage(m[1], decodeURIComponent(m[2]))],
  [/^#\/operator\/?$/, () => operatorPage()],
];

async function show() {
  const hash = location.hash || "#/journeys";
  const main = document.getElementById("main");
  for (const a of document.querySelectorAll("nav a")) {
    const here = hash.startsWith("#/" + a.dataset.page) || (a.dataset.page === "prescribers" && /^#\/(customers|accounts|why)/.test(hash));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const route = routes.find(([re]) => re.test(hash));
  main.setAttribute("aria-busy", "true");
  let content;
  pending.length = 0;
  try {
    content = route ? await route[1](hash.match(route[0])) : h("section", {}, h("h1", {}, "No such page"), h("p", {}, h("a", { href: "#/journeys" }, "Journeys")));
  } catch (err) {
    content = h("section", {}, h("h1", {}, "This page could not be read"), h("p", { role: "alert", class: "error" }, err.message));
  }
  main.replaceChildren(content);
  for (const fn of pending.splice(0)) {
    try {
      fn();
    } catch (err) {
      main.append(h("p", { role: "alert", class: "error" }, "Part of this page could not be drawn: " + err.message));
    }
  }
  main.removeAttribute("aria-busy");
  const title = main.querySelector("h1");
  document.title = (title ? title.textContent + " · " : "") + "Tutti console";
  document.getElementById("as-of").textContent = "Read from the daemon at " + new Date().toISOString().slice(0, 19).replace("T", " ") + " UTC (browser clock).";
  document.body.dataset.ready = hash;
  if (show.moved) main.focus();
  show.moved = true;
}

document.getElementById("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  // A field left empty keeps its token; "-" forgets it.
  for (const [which, key] of Object.entries(TOKEN_KEYS)) {
    const field = document.getElementById(which === "admin" ? "token" : "ingest-token");
    const value = field.value.trim();
    if (value === "-") sessionStorage.removeItem(key);
    else if (value) sessionStorage.setItem(key, value);
    field.value = "";
  }
  show();
});
window.addEventListener("hashchange", show);
show();
