#!/usr/bin/env python3
"""How fast the console's pages are answered, at scale (Python standard library only).

Starts `tutti serve` on a free port over the reference journeys (journeys/)
with P generated prescribers in A accounts, posts E generated events (e-mails
sent, opened and clicked, visits, prescriptions, one formulary win per
account: so every prescriber has a history and the journeys act), moves the
virtual clock to the end, then times the API requests each console page makes
(docs/console.md), N times each, and reports per page the median and the
slowest, against the 100 ms a page may take (issue 17's target). A page's
requests are made one after another, as a first load would.

  python3 bench/console_bench.py [--profiles 100000] [--accounts 100] [--events 1000000] [--repeat 20]
"""
import argparse, http.client, json, os, random, re, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTTI = os.path.join(ROOT, "build", "cli", "tutti")
NDJSON = {"Content-Type": "application/x-ndjson"}
START = 1769904000  # 2026-02-01T00:00:00Z
DAYS = 88


def at(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + seconds))


def profiles(path, n, accounts):
    with open(path, "w") as f:
        for a in range(accounts):
            f.write(json.dumps({"type": "account", "id": f"acct-{a}", "name": f"Plan {a}", "kind": "managed_care",
                                "region": "Northeast", "state": "NY", "key_account_manager": "leopold",
                                "covered_lives": 100000}) + "\n")
        for i in range(n):
            f.write(json.dumps({"type": "hcp", "id": f"hcp-{i:06d}", "npi": str(1000000000 + i), "name": f"Dr. P{i}",
                                "email": f"p{i}@example.org", "account": f"acct-{i % accounts}",
                                "specialty": "endocrinology", "preferred_channel": "email",
                                "timezone": "America/New_York", "consent": ["email", "sms"], "rep": "michael",
                                "territory": "NY-Metro", "segment": "high_potential", "decile": i % 10 + 1,
                                "city": "New York", "state": "NY", "sample_eligible": True}) + "\n")


def events(n, prescribers, accounts):
    """NDJSON lines in time order."""
    rng = random.Random(7)
    out = []
    step = DAYS * 86400 / n
    wins = {int(n * (a + 1) / (accounts + 2)): a for a in range(accounts)}
    for k in range(n):
        t = at(int(k * step))
        if k in wins:
            a = wins[k]
            out.append(json.dumps({"type": "formulary_win", "account": f"acct-{a}", "brand": "GLIDIM", "plan": f"Plan {a}",
                                   "tier": 2, "prior_auth": False, "effective": t, "recorded_by": "leopold",
                                   "at": t}))
            continue
        hcp = f"hcp-{rng.randrange(prescribers):06d}"
        kind = rng.random()
        if kind < 0.4:
            e = {"type": "email_sent", "hcp": hcp, "template": "glidim-disease-awareness-feb", "message_id": f"m-{k}",
                 "sender": "newsletter"}
        elif kind < 0.75:
            e = {"type": "email_opened", "hcp": hcp, "template": "glidim-disease-awareness-feb"}
        elif kind < 0.9:
            e = {"type": "email_clicked", "hcp": hcp, "template": "glidim-disease-awareness-feb",
                 "url": "https://glidim.example/hcp/type-2-diabetes-burden"}
        elif kind < 0.98:
            e = {"type": "visit_completed", "hcp": hcp, "rep": "michael", "brand": "GLIDIM", "format": "in_person",
                 "attendees": 1}
        else:
            e = {"type": "rx_written", "prescriber": hcp, "brand": "GLIDIM", "plan": "Plan 1", "days_supply": 30,
                 "new_to_brand": True}
        e["at"] = t
        out.append(json.dumps(e))
    return out


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    if r.status >= 400:
        sys.exit(f"{method} {path}: {r.status} {data[:300]!r}")
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", type=int, default=100000)
    ap.add_argument("--accounts", type=int, default=100)
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--binary", default=TUTTI)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tutti-console-bench-")
    try:
        path = os.path.join(tmp, "profiles.ndjson")
        profiles(path, args.profiles, args.accounts)
        lines = events(args.events, args.profiles, args.accounts)
        serve = subprocess.Popen([args.binary, "serve", "--journeys", os.path.join(ROOT, "journeys"), "--data",
                                  os.path.join(tmp, "data"), "--listen", "127.0.0.1:0", "--profiles", path,
                                  "--clock", "virtual"], stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "err"), "w"),
                                 text=True)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", serve.stdout.readline())
        if not m:
            sys.exit("the daemon did not start: " + open(os.path.join(tmp, "err")).read())
        conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=600)
        t0 = time.monotonic()
        for i in range(0, len(lines), 5000):
            request(conn, "POST", "/v1/events", ("\n".join(lines[i:i + 5000]) + "\n").encode(), NDJSON)
        request(conn, "POST", "/v1/clock", json.dumps({"to": at(DAYS * 86400 + 3600)}), {"Content-Type": "application/json"})
        while b"\ntutti_inputs_unapplied 0\n" not in request(conn, "GET", "/metrics"):
            time.sleep(0.2)
        loaded = time.monotonic() - t0
        # The millionth input starts a snapshot, written by a forked child
        # (docs/operations.md): pages are timed once it is written, not
        # while the child's copy-on-write faults slow the daemon down.
        if len(lines) + 1 >= 1000000:
            deadline = time.monotonic() + 300
            while not re.search(rb'tutti_snapshots_total\{outcome="written"\} [1-9]', request(conn, "GET", "/metrics")):
                if time.monotonic() > deadline:
                    sys.exit("the snapshot of the millionth input was not written in 300 s")
                time.sleep(0.5)
        stats = json.loads(request(conn, "GET", "/v1/journeys"))
        entered = sum(j["entered"] for j in stats["journeys"])
        actions = sum(sum(j["actions"].values()) for j in stats["journeys"])
        tasks = json.loads(request(conn, "GET", "/v1/tasks?limit=1"))["matching"]

        # One prescriber with actions, and the account it belongs to.
        who = None
        for i in range(0, args.profiles, max(1, args.profiles // 500)):
            c = json.loads(request(conn, "GET", f"/v1/customers/hcp-{i:06d}"))
            if c.get("actions"):
                who = c
                break
        if who is None:
            sys.exit("no prescriber with an action the daemon still holds")
        hcp, key, account = who["id"], who["actions"][0]["idempotency_key"], who["record"]["account"]
        pages = {
            "journeys": ["/v1/journeys"],
            "journey": ["/v1/journeys/glidim_formulary_win/graph", "/v1/journeys"],
            "journeys, last 90 days": ["/v1/journeys?days=90"],
            "a journey, last 90 days": ["/v1/journeys/glidim_formulary_win/graph?days=90", "/v1/journeys?days=90"],
            "prescriber": [f"/v1/customers/{hcp}"],
            "prescriber history, filtered": [f"/v1/customers/{hcp}/history?limit=100&kind=action"],
            "prescriber history, held back": [f"/v1/customers/{hcp}/history?limit=100&kind=suppressed"],
            "account": [f"/v1/customers/{account}?profile=account", f"/v1/accounts/{account}/history?limit=100"],
            "why": [f"/v1/decisions/{key}/why"],
            "director": ["/v1/engagement", "/v1/accounts", f"/v1/accounts?similar_to={account}"],
            "operator": ["/readyz", "/metrics", "/v1/journeys", "/v1/actions?delivery=dead_letter&limit=200"],
            "work queues": ["/v1/tasks?limit=100", "/v1/tasks?state=closed&limit=20"],
            "a rep's work queue": ["/v1/tasks?limit=100&assignee=michael", "/v1/tasks?state=closed&limit=20&assignee=michael"],
        }
        journal = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(tmp, "data", "history"))
                      for f in fs)
        print(f"{args.profiles:,} prescribers in {args.accounts} accounts, {args.events:,} events "
              f"(loaded and applied in {loaded:.1f} s): {entered:,} journey entries, {actions:,} actions, {tasks:,} open tasks; "
              f"history journal {journal / 2**20:.0f} MiB on disk")
        print(f"{'page':32} {'median ms':>10} {'slowest ms':>11}  under 100 ms")
        # An input before each look at the director's page: its figures are
        # one scan of every history, kept only while the state stands still,
        # so each look pays for the scan (the other pages read nothing kept).
        touch = json.dumps({"type": "email_opened", "hcp": hcp, "template": "bench"}).encode()
        for name, paths in pages.items():
            times = []
            for _ in range(args.repeat):
                if name == "director":
                    request(conn, "POST", "/v1/events", touch, NDJSON)
                    while b"\ntutti_inputs_unapplied 0\n" not in request(conn, "GET", "/metrics"):
                        time.sleep(0.01)
                s = time.perf_counter()
                for p in paths:
                    request(conn, "GET", p)
                times.append(1000 * (time.perf_counter() - s))
            print(f"{name:32} {statistics.median(times):10.1f} {max(times):11.1f}  {'yes' if max(times) < 100 else 'NO'}")
        serve.terminate()
        serve.wait(60)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
