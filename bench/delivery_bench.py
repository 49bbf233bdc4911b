#!/usr/bin/env python3
"""Webhook delivery throughput of `tutti serve`, against a local receiver
that answers at once (bench/instant_receiver.cc), with the route's default
settings (4 attempts in flight, no rate limit).

Starts the receiver and the daemon over bench/daemon/waiting.tutti with P
generated profiles, posts E `hook` events (the `fulfil` journey sends a
webhook for each at once) in batches of B, and reports how many webhooks
were delivered per second, from the first post to the last delivery the
metrics count (every delivery's outcome event written and applied too).

  python3 bench/delivery_bench.py [--profiles 10000] [--events 50000] [--batch 1000] [--runs 3] [--concurrency N]
"""
import argparse, http.client, json, os, re, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTTI = os.path.join(ROOT, "build", "cli", "tutti")
RECEIVER = os.path.join(ROOT, "build", "bench", "instant_receiver")
NDJSON = {"Content-Type": "application/x-ndjson"}


def delivered(conn):
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    m = re.search(r'^tutti_actions_total\{channel="webhook",outcome="delivered"\} (\d+)', text, re.M)
    return int(m.group(1)) if m else 0


def run(a, tmp):
    receiver = subprocess.Popen([RECEIVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline())
    profiles = os.path.join(tmp, "profiles.ndjson")
    with open(profiles, "w") as f:
        for i in range(a.profiles):
            f.write(json.dumps({"type": "hcp", "id": "h%d" % i, "name": "n", "rep": "r", "timezone": "UTC"}) + "\n")
    config = os.path.join(tmp, "config.json")
    with open(config, "w") as f:
        route = {"url": "http://127.0.0.1:%d/orders" % port}
        if a.concurrency:
            route["concurrency"] = a.concurrency
        json.dump({"webhooks": {"webhook": route}}, f)
    data = os.path.join(tmp, "data")
    shutil.rmtree(data, ignore_errors=True)
    out = open(os.path.join(tmp, "serve.err"), "w")
    daemon = subprocess.Popen([TUTTI, "serve", "--journeys", os.path.join(ROOT, "bench", "daemon"), "--data", data,
                               "--listen", "127.0.0.1:0", "--profiles", profiles, "--config", config],
                              stdout=subprocess.PIPE, stderr=out, text=True)
    m = re.search(r"listening on 127\.0\.0\.1:(\d+)", daemon.stdout.readline())
    if not m:
        sys.exit("the daemon did not start: " + open(os.path.join(tmp, "serve.err")).read())
    conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)))
    t0 = time.monotonic()
    for start in range(0, a.events, a.batch):
        body = "".join('{"type":"hook","hcp":"h%d"}\n' % (i % a.profiles)
                       for i in range(start, min(a.events, start + a.batch)))
        conn.request("POST", "/v1/events", body, headers=NDJSON)
        reply = conn.getresponse().read()
        if b'"accepted":' not in reply:
            sys.exit("refused: " + reply.decode()[:300])
    posted = time.monotonic() - t0
    while delivered(conn) < a.events:
        if time.monotonic() - t0 > 600:
            sys.exit("not delivered within 10 minutes: %d" % delivered(conn))
        time.sleep(0.02)
    seconds = time.monotonic() - t0
    daemon.send_signal(signal.SIGTERM)
    daemon.wait()
    receiver.send_signal(signal.SIGTERM)
    answered = re.search(r"answered (\d+) requests", receiver.stderr.read())
    receiver.wait()
    # Each webhook once: a figure counting repeats would flatter the daemon.
    if not answered or int(answered.group(1)) != a.events:
        sys.exit("the receiver answered %s requests for %d webhooks" % (answered and answered.group(1), a.events))
    return a.events / seconds, posted


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--profiles", type=int, default=10000)
    p.add_argument("--events", type=int, default=50000)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=0, help="attempts in flight (default: the route's default)")
    a = p.parse_args()
    rates = []
    tmp = tempfile.mkdtemp(prefix="tutti-delivery-bench-")
    try:
        for r in range(a.runs):
            rate, posted = run(a, tmp)
            rates.append(rate)
            print("run %d: %d webhooks delivered at %.0f/s (all posted after %.2f s)" % (r + 1, a.events, rate, posted))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("median: %.0f deliveries/s over %d runs" % (statistics.median(rates), len(rates)))


if __name__ == "__main__":
    main()
