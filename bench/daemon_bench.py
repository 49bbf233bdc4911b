#!/usr/bin/env python3
"""Load test for `tutti serve` on loopback (Python standard library only).

Starts the daemon on a free port over bench/daemon/waiting.tutti with
P generated profiles, then:
  1. durable ingest: posts E events in batches of B over one keep-alive
     connection and reports events per second and the p50/p99 time to an
     acknowledgement (the batch is durable in the input log when answered);
  3. latency: posts `ping` events (the `echo` journey sends an e-mail for
     each at once) in batches of L (default 100), paced at half the rate
     measured in 1, for 10 seconds, and reports p50/p99 from sending a batch
     to its acknowledgement, by which time every send it caused was settled
     against the contact policy (on the system clock, the default), is in
     the outbox and was delivered to the actions file;
  4. timer storm, 5. group commit (below: timer_storm, group_commit).
  2. restart: kills the daemon with SIGKILL and restarts it on the same data
     folder, and reports the time until it listens again, with every
     instance (one per event, all waiting 30 days) rebuilt from the newest
     snapshot and the log after it (or the whole log: --snapshot-every 0);
     then stops it cleanly (which writes a snapshot) and starts it again.

  python3 bench/daemon_bench.py [--profiles 100000] [--events 1000000] [--batch 1000]
                                [--latency-batch 100] [--clock system|virtual]
                                [--snapshot-every N] [--shards N] [--history-details on|off]
"""
import argparse, http.client, json, os, re, shutil, signal, subprocess, sys, tempfile, time

# The daemon takes a POST only with a JSON content type.
NDJSON = {"Content-Type": "application/x-ndjson"}

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTTI = os.path.join(ROOT, "build", "cli", "tutti")


def start(data, profiles, tmp, binary=TUTTI, engine="jit", clock="system", snapshot_every=None, shards=None,
          history_details=None):
    out = open(os.path.join(tmp, "serve.out"), "w")
    args = [binary, "serve", "--journeys", os.path.join(ROOT, "bench", "daemon"), "--data", data,
            "--listen", "127.0.0.1:0", "--profiles", profiles, "--clock", clock, "--engine", engine]
    settings = {k: v for k, v in (("snapshot_every", snapshot_every), ("shards", shards),
                                  ("history_details", history_details)) if v is not None}
    if settings:
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as f:
            json.dump(settings, f)
        args += ["--config", config]
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=out, text=True)
    line = p.stdout.readline()
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
    if not m:
        sys.exit("the daemon did not start: " + line + open(os.path.join(tmp, "serve.out")).read())
    return p, int(m.group(1)), time.monotonic() - t0


def metric(conn, name):
    conn.request("GET", "/metrics")
    m = re.search(r"^%s ([\d.e+-]+)" % re.escape(name), conn.getresponse().read().decode(), re.M)
    return float(m.group(1)) if m else 0


def group_commit(a, port):
    """5. Group commit: C connections at once each post one event per
    request for 5 seconds; reports requests per second and how many
    requests one synced write of the log carried on average."""
    import threading
    conn = http.client.HTTPConnection("127.0.0.1", port)
    commits0 = metric(conn, "tutti_input_log_commits_total")
    count = [0] * a.clients
    stop = time.monotonic() + 5

    def client(i):
        c = http.client.HTTPConnection("127.0.0.1", port)
        while time.monotonic() < stop:
            c.request("POST", "/v1/events", '{"type":"ping","hcp":"h%d"}' % (i % a.profiles), headers=NDJSON)
            r = c.getresponse()
            r.read()
            count[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(a.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    commits = metric(conn, "tutti_input_log_commits_total") - commits0
    print(f"group commit: {a.clients} connections posting one event per request: {sum(count) / elapsed:,.0f} "
          f"requests/s, {sum(count) / max(commits, 1):.1f} requests per synced write")


def timer_storm(a, profiles, tmp):
    """4. A fresh daemon on a virtual clock takes STORM events at one instant,
    each leaving an instance waiting 30 days; then the clock jumps past
    them, so that every timer is due in the same second, and while they
    fire, ping batches of L are posted back to back: their acknowledgements
    (durable in the log; applied after the timers, in order) must not wait
    for the storm."""
    data = os.path.join(tmp, "storm")
    p, port, _ = start(data, profiles, tmp, a.binary, a.engine, "virtual")
    conn = http.client.HTTPConnection("127.0.0.1", port)
    sent = 0
    while sent < a.storm:
        n = min(1000, a.storm - sent)
        body = "".join('{"type":"rx_written","hcp":"h%d","brand":"W","amount":20.0,"at":"2026-03-02T00:00:00Z"}\n'
                       % ((sent + k) % a.profiles) for k in range(n))
        conn.request("POST", "/v1/events", body, headers=NDJSON)
        r = conn.getresponse()
        r.read()
        sent += n
    t0 = time.monotonic()
    conn.request("POST", "/v1/clock", '{"to": "2026-04-02T00:00:00Z"}', headers=NDJSON)
    r = conn.getresponse()
    r.read()
    clock_ack = time.monotonic() - t0
    lat, batches = [], 0
    while True:
        pending = metric(conn, "tutti_timers_pending")
        if pending == 0 and metric(conn, "tutti_inputs_unapplied") == 0:
            break
        body = "".join('{"type":"ping","hcp":"h%d"}\n' % ((batches * a.latency_batch + j) % a.profiles)
                       for j in range(a.latency_batch))
        s = time.monotonic()
        conn.request("POST", "/v1/events", body, headers=NDJSON)
        r = conn.getresponse()
        r.read()
        lat.append(time.monotonic() - s)
        batches += 1
    fired = time.monotonic() - t0
    lat.sort()
    print(f"timer storm: {a.storm:,} timers due in the same second fired in {fired:.2f} s; the clock jump was "
          f"acknowledged in {clock_ack * 1000:.1f} ms, and {batches} ping batches of {a.latency_batch} posted "
          f"meanwhile were acknowledged in p50 {lat[len(lat) // 2] * 1000:.1f} ms, "
          f"p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.1f} ms" if lat else
          f"timer storm: fired in {fired:.2f} s before a ping could be posted")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=10)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profiles", type=int, default=100000)
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--latency-batch", type=int, default=100,
                    help="events per batch in the latency phase (default 100)")
    ap.add_argument("--binary", default=TUTTI, help="the tutti executable (default: build/cli/tutti)")
    ap.add_argument("--engine", default="jit", choices=["jit", "interp"])
    ap.add_argument("--clients", type=int, default=16, help="connections in the group-commit phase")
    ap.add_argument("--storm", type=int, default=1000000,
                    help="timers due in the same second in the storm phase (0: skip it)")
    ap.add_argument("--snapshot-every", type=int, default=None,
                    help="the daemon's snapshot_every (default: the daemon's own; 0: no snapshots, restarts replay the log)")
    ap.add_argument("--shards", type=int, default=None,
                    help="the daemon's shards (default: the daemon's own, one per core)")
    ap.add_argument("--history-details", default=None, choices=["on", "off"],
                    help="the history journal (default: the daemon's, on)")
    ap.add_argument("--clock", default="system", choices=["system", "virtual"],
                    help="system (default): sends are settled as each batch is applied; virtual: when time moves")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tutti-daemon-bench-")
    try:
        profiles = os.path.join(tmp, "profiles.ndjson")
        with open(profiles, "w") as f:
            for i in range(a.profiles):
                f.write('{"type":"hcp","id":"h%d","name":"H %d","rep":"r%d","timezone":"UTC"}\n' % (i, i, i % 500))
        data = os.path.join(tmp, "data")
        details = None if a.history_details is None else a.history_details == "on"
        run = lambda: start(data, profiles, tmp, a.binary, a.engine, a.clock, a.snapshot_every, a.shards, details)
        p, port, ready = run()
        print(f"start with {a.profiles} profiles and an empty log: {ready:.2f} s")
        conn = http.client.HTTPConnection("127.0.0.1", port)
        base = 1772409600  # 2026-03-02T00:00:00Z
        latencies, sent = [], 0
        t0 = time.monotonic()
        while sent < a.events:
            n = min(a.batch, a.events - sent)
            body = "".join('{"type":"rx_written","hcp":"h%d","brand":"W","amount":20.0,"at":"%s"}\n'
                           % ((sent + k) % a.profiles, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + (sent + k) // 100)))
                           for k in range(n))
            s = time.monotonic()
            conn.request("POST", "/v1/events", body, headers=NDJSON)
            r = conn.getresponse()
            reply = r.read()
            latencies.append(time.monotonic() - s)
            if r.status != 200:
                sys.exit(f"batch refused: {r.status} {reply[:300]}")
            sent += n
        elapsed = time.monotonic() - t0
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(f"durable ingest: {a.events} events in batches of {a.batch}: {a.events / elapsed:,.0f} events/s "
              f"(acknowledgement per batch: p50 {p50:.1f} ms, p99 {p99:.1f} ms)")
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        waiting = int(re.search(r"^tutti_instances_active (\d+)", metrics, re.M).group(1))
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{p.pid}/status").read()).group(1))
        print(f"waiting instances: {waiting:,}; daemon resident memory {rss / 1024:,.0f} MiB")
        snapshot_seconds = metric(conn, "tutti_snapshot_last_seconds")
        if snapshot_seconds:
            print(f"snapshot during ingest (in a forked child): {metric(conn, 'tutti_snapshot_last_bytes') / 2**20:,.0f} MiB "
                  f"written and synced in {snapshot_seconds:.2f} s; inputs waited "
                  f"{metric(conn, 'tutti_snapshot_fork_seconds') * 1000:.1f} ms for the fork")
        p.send_signal(signal.SIGKILL)
        p.wait()

        def restarted(how):
            p, port, ready = run()
            conn = http.client.HTTPConnection("127.0.0.1", port)
            waiting_after = int(metric(conn, "tutti_instances_active"))
            position = int(metric(conn, "tutti_snapshot_restored_position"))
            replayed = int(metric(conn, "tutti_input_log_replayed_total"))
            source = f"snapshot at input {position:,} and {replayed:,} inputs replayed" if position else \
                f"{replayed:,} inputs replayed, no snapshot"
            rss = int(re.search(r"VmRSS:\s+(\d+) kB", open(f"/proc/{p.pid}/status").read()).group(1))
            print(f"restart to ready after {how}: {ready:.2f} s, {waiting_after:,} waiting instances ({source}); "
                  f"resident memory {rss / 1024:,.0f} MiB")
            return p, port, conn

        p, port, conn = restarted("SIGKILL")
        if a.snapshot_every != 0:
            conn.request("POST", "/v1/events", '{"type":"ping","hcp":"h0","at":"2026-03-02T03:00:00Z"}\n', headers=NDJSON)
            conn.getresponse().read()
            t0 = time.monotonic()
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=10)
            stopped = time.monotonic() - t0
            snapshots = os.path.join(data, "snapshots")
            newest = max(os.listdir(snapshots))
            size = os.path.getsize(os.path.join(snapshots, newest))
            print(f"clean stop, writing a snapshot of {size / 2**20:,.0f} MiB: {stopped:.2f} s")
            p, port, conn = restarted("a clean stop")
        # Latency at half the measured rate.
        rate = a.events / elapsed / 2
        interval = a.latency_batch / rate
        lat, k, t_end = [], 0, time.monotonic() + 10
        next_at = time.monotonic()
        while time.monotonic() < t_end:
            now = time.monotonic()
            if now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            body = "".join('{"type":"ping","hcp":"h%d","at":"2026-03-02T03:00:00Z"}\n' % ((k + j) % a.profiles)
                           for j in range(a.latency_batch))
            k += a.latency_batch
            s = time.monotonic()
            conn.request("POST", "/v1/events", body, headers=NDJSON)
            r = conn.getresponse()
            r.read()
            lat.append(time.monotonic() - s)
        # Right after the last acknowledgement: every ping's e-mail is out.
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        m = re.search(r'^tutti_actions_total\{channel="email",outcome="delivered"\} (\d+)', metrics, re.M)
        delivered = int(m.group(1)) if m else 0
        if delivered != k:
            sys.exit(f"{k} pings sent but {delivered} e-mails delivered when the last batch was acknowledged")
        lat.sort()
        print(f"ingest to action in the outbox at {rate:,.0f} events/s (half the rate above), batches of {a.latency_batch}: "
              f"p50 {lat[len(lat) // 2] * 1000:.1f} ms, p99 {lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000:.1f} ms "
              f"over {len(lat)} batches")
        group_commit(a, port)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=10)
        if a.storm:
            timer_storm(a, profiles, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
