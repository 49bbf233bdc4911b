// Drives Chromium (headless) through every console page of a running
// daemon and reports, as one JSON object on stdout, what a person would
// see: each page's errors (console, uncaught, failed requests), its
// accessibility violations (axe-core), the figures it shows, and a
// screenshot per page. Judging is the caller's: tests/console/console_test.cc.
//
//   node browse.mjs --url http://127.0.0.1:PORT --out DIR [--chromium PATH]
//                   [--customer ID] [--account ID] [--journey NAME]
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), [])
);
const base = args.url;
const out = args.out;
const journey = args.journey || "glidim_formulary_win";
const customer = args.customer || "hcp-empire-00017";
const account = args.account || "empire-health";
const here = dirname(fileURLToPath(import.meta.url));
const axeSource = readFileSync(join(here, "..", "node_modules", "axe-core", "axe.min.js"), "utf8");

const browser = await puppeteer.launch({
  executablePath: args.chromium || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--font-render-hinting=none"],
});
const report = { pages: [], keyboard: null, why: null, tablet: null, formulary_win: null };
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 900 });
  let problems = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warn") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });

  // Loads `hash` and waits until the page has drawn itself (app.js sets
  // body[data-ready] to the route it drew).
  async function open(hash) {
    problems = [];
    await page.goto(`${base}/console/${hash}`, { waitUntil: "networkidle0" });
    await page.waitForFunction((h) => document.body.dataset.ready === h && !document.getElementById("main").hasAttribute("aria-busy"), { timeout: 15000 }, hash);
  }

  async function check(name, hash, extra = async () => ({})) {
    await open(hash);
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    });
    const seen = await page.evaluate(() => ({
      title: document.title,
      h1: (document.querySelector("main h1") || {}).textContent || "",
      figures: Object.fromEntries([...document.querySelectorAll("[data-figure]")].map((e) => [e.dataset.figure, e.textContent])),
      alerts: [...document.querySelectorAll("[role=alert]")].map((e) => e.textContent),
      overflow: document.documentElement.scrollWidth > window.innerWidth + 1,
    }));
    const file = join(out, `${name}.png`);
    await page.screenshot({ path: file, fullPage: name === "journey" });
    report.pages.push({ name, hash, problems: [...problems], axe, screenshot: file, ...seen, ...(await extra()) });
  }

  await check("journeys", "#/journeys", async () => ({
    rows: await page.evaluate(() => [...document.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent))),
  }));
  await check("journeys-90-days", "#/journeys/last/90", async () => ({
    rows: await page.evaluate(() => [...document.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent))),
  }));
  await check("journey", `#/journeys/${encodeURIComponent(journey)}`, async () => ({
    nodes: await page.evaluate(() => Object.fromEntries([...document.querySelectorAll("[data-counts]")].map((e) => [e.dataset.counts, e.textContent]))),
    edges: await page.evaluate(() => [...document.querySelectorAll("[data-edge]")].map((e) => [e.dataset.edge, e.textContent])),
  }));
  // The same journey over the last 90 days: each table's rows by caption.
  await check("journey-90-days", `#/journeys/${encodeURIComponent(journey)}/last/90`, async () => ({
    tables: await page.evaluate(() =>
      Object.fromEntries([...document.querySelectorAll("table")].map((t) => [t.caption.textContent, [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((c) => c.textContent))]))
    ),
  }));
  // And over the last 30 days, which the story's entries are before.
  await check("journey-30-days", `#/journeys/${encodeURIComponent(journey)}/last/30`);
  await check("prescriber-lookup", "#/prescribers");
  await check("prescriber", `#/customers/${encodeURIComponent(customer)}`, async () => ({
    actions: await page.evaluate(() => [...document.querySelectorAll("[data-why]")].map((a) => a.dataset.why)),
    actions_note: await page.evaluate(() => document.querySelector("#actions + p")?.textContent || ""),
    history_rows: await page.evaluate(() => document.querySelectorAll("#history-pages tbody tr").length),
    details: await page.evaluate(() => Object.fromEntries([...document.querySelectorAll("[data-detail]")].map((e) => [e.dataset.detail, e.textContent]))),
    next_contact: await page.evaluate(() => Object.fromEntries([...document.querySelectorAll("[data-next]")].map((e) => [e.dataset.next, e.textContent]))),
  }));
  // The history further down the same page: what the rep reads before a visit.
  await page.evaluate(() => document.getElementById("history").scrollIntoView());
  await page.screenshot({ path: join(out, "prescriber-history.png") });
  await check("account", `#/accounts/${encodeURIComponent(account)}`, async () => ({
    history_rows: await page.evaluate(async () => {
      // The account's first page is loaded after the page is drawn.
      for (let i = 0; i < 100 && !document.querySelector("#history-pages tbody tr"); ++i) await new Promise((r) => setTimeout(r, 50));
      return document.querySelectorAll("#history-pages tbody tr").length;
    }),
  }));
  // Rows of the table with caption `caption`, as the text of each cell.
  const rowsOf = (caption) =>
    page.evaluate((c) => {
      const t = [...document.querySelectorAll("table")].find((x) => x.caption && x.caption.textContent === c);
      return t ? [...t.querySelectorAll("tbody tr")].map((tr) => [...tr.children].map((x) => x.textContent)) : null;
    }, caption);
  await check("director", `#/director/${encodeURIComponent(account)}`, async () => ({
    charts: await page.evaluate(() => [...document.querySelectorAll("canvas")].filter((c) => c.dataset.drawn && window.Chart.getChart(c)).length),
    by_engagement: await rowsOf("Accounts ranked by engagement"),
    by_likeness: await rowsOf("Accounts ranked by likeness"),
    weeks: await rowsOf("Each week"),
  }));
  await check("operator", "#/operator", async () => {
    // The dead letters listed, then the first one retried by its button.
    const dead = await page.evaluate(() => [...document.querySelectorAll("[data-retry]")].map((b) => b.dataset.retry));
    let retried = null;
    if (dead.length) {
      await page.click(`[data-retry="${dead[0]}"]`);
      await page.waitForFunction(() => /delivered again|Not retried/.test(document.querySelector("#dead-letters ~ p[role=status]")?.textContent || ""), { timeout: 15000 });
      retried = await page.evaluate(() => document.querySelector("#dead-letters ~ p[role=status]").textContent);
    }
    return { dead_letters: dead, retried };
  });

  await check("work", "#/work", async () => {
    // The open tasks listed, then the most urgent one marked done.
    const listed = await page.evaluate(() => [...document.querySelectorAll("[data-done]")].map((b) => b.dataset.done));
    let done = null;
    if (listed.length) {
      await page.click(`[data-done="${listed[0]}"]`);
      await page.waitForFunction(() => /Marked done|Not recorded/.test(document.querySelector("#open ~ p[role=status]")?.textContent || ""), { timeout: 15000 });
      done = await page.evaluate(() => document.querySelector("#open ~ p[role=status]").textContent);
    }
    return { listed, done, by_person: await rowsOf("Open tasks by person"), by_role: await rowsOf("Open tasks by role") };
  });

  // A key account manager records a formulary win on the account's page
  // (a brand no journey of the scenario acts on, so the figures checked
  // against the API stay put).
  await open(`#/accounts/${encodeURIComponent(account)}`);
  await page.$eval("#formulary-win [name=brand]", (e) => (e.value = "TESTBRAND"));
  await page.type("#formulary-win [name=plan]", "Console Test PPO");
  await page.$eval("#formulary-win [name=effective]", (e) => (e.value = "2026-05-01"));
  await page.type("#formulary-win [name=recorded_by]", "leopold");
  await page.click("#formulary-win button[type=submit]");
  await page.waitForFunction(() => /Recorded|Not recorded/.test(document.querySelector("#formulary-win ~ p[role=status]")?.textContent || ""), { timeout: 15000 });
  report.formulary_win = await page.evaluate(() => document.querySelector("#formulary-win ~ p[role=status]").textContent);

  // A click from the prescriber's newest action reaches its explanation.
  await open(`#/customers/${encodeURIComponent(customer)}`);
  const key = await page.evaluate(() => {
    const a = document.querySelector("[data-why]");
    return a ? a.dataset.why : null;
  });
  if (key) {
    problems = [];
    await page.click(`[data-why="${key}"]`);
    await page.waitForFunction((k) => document.body.dataset.ready === `#/why/${k}`, { timeout: 15000 }, key);
    await page.evaluate(axeSource);
    const axe = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help })));
    const seen = await page.evaluate(() => ({ h1: document.querySelector("main h1").textContent, text: document.getElementById("main").textContent }));
    const file = join(out, "why.png");
    await page.screenshot({ path: file, fullPage: true });
    report.why = { key, h1: seen.h1, mentions_key: seen.text.includes(key), problems: [...problems], axe, screenshot: file };
    report.pages.push({ name: "why", hash: `#/why/${key}`, problems: [...problems], axe, screenshot: file, h1: seen.h1 });
  }

  // With a keyboard alone: Tab from the top of the journeys page to the
  // journey's link, Enter, and the journey's page is drawn.
  await open("#/journeys");
  let reached = false;
  for (let i = 0; i < 60 && !reached; ++i) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate((j) => document.activeElement && document.activeElement.textContent === j, journey);
  }
  if (reached) {
    await page.keyboard.press("Enter");
    await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: 15000 }, `#/journeys/${encodeURIComponent(journey)}`);
  }
  report.keyboard = { reached, landed: await page.evaluate(() => document.body.dataset.ready) };

  // On a tablet held upright: the journey page fits its width.
  await page.setViewport({ width: 820, height: 1180, isMobile: true, hasTouch: true });
  await open(`#/journeys/${encodeURIComponent(journey)}`);
  const file = join(out, "journey-tablet.png");
  await page.screenshot({ path: file });
  report.tablet = { overflow: await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1), screenshot: file };
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(report) + "\n");
