#!/usr/bin/env python3
"""How long reads take on a cluster (docs/cluster.md, "Reads"), standard library only.

Starts the tests' mock Kafka cluster (build/tests/kafka_mock: three brokers,
six partitions) and two `tutti serve` nodes against it over the reference
journeys, writes the reference scenario (examples/abc-pharma) through one of
them, moves the virtual clock to its end, waits until both nodes have applied
everything, then times, N times each, on one node:

  customer here      GET /v1/customers/ID of a prescriber whose partition this node runs
  customer sent on   the same for one whose partition the other node runs
  journeys           GET /v1/journeys: every node's part gathered and added up
  journeys, 30 days  GET /v1/journeys?days=30

and the same requests of one daemon (no Kafka) fed the same inputs, for the
ratio. Prints medians and the 90th percentiles in milliseconds.

  python3 bench/cluster_reads_bench.py [--repeat 200] [--default-fetch-wait]
"""
import argparse, http.client, json, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTTI = os.path.join(ROOT, "build", "cli", "tutti")
MOCK = os.path.join(ROOT, "build", "tests", "kafka_mock")
NDJSON = {"Content-Type": "application/x-ndjson"}
PARTITIONS = 6


def murmur2(data):
    """Kafka's murmur2 (the Java client's and librdkafka's murmur2_random), as a partition index."""
    m, r, h = 0x5BD1E995, 24, (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    n = len(data) // 4
    for i in range(n):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest = data[4 * n:]
    if len(rest) >= 3: h ^= rest[2] << 16
    if len(rest) >= 2: h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return (h & 0x7FFFFFFF) % PARTITIONS


def start(args, out):
    p = subprocess.Popen([TUTTI, "serve"] + args, stdout=subprocess.PIPE, stderr=open(out, "w"), text=True)
    for line in p.stdout:
        m = re.search(r"listening on [^:]+:(\d+)", line)
        if m: return p, int(m.group(1))
    sys.exit("a daemon did not start: " + open(out).read()[-2000:])


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request(method, path, body=body, headers=headers or {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def metrics(port):
    return request(port, "GET", "/metrics")[1].decode()


def timed(port, path, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        status, _ = request(port, "GET", path)
        times.append((time.perf_counter() - t) * 1000)
        if status != 200: sys.exit(f"{path}: {status}")
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--default-fetch-wait", action="store_true",
                    help="leave the consumers' fetch.wait.max.ms at librdkafka's default (500 ms) rather than 10 ms")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cluster-reads-")
    mock = subprocess.Popen([MOCK, "--brokers", "3", "--partitions", str(PARTITIONS)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    brokers = mock.stdout.readline().split()[1]
    config = os.path.join(tmp, "cluster.json")
    with open(config, "w") as f:
        settings = {} if a.default_fetch_wait else {"fetch.wait.max.ms": 10}
        json.dump({"kafka": {"brokers": brokers, "librdkafka": settings}}, f)
    common = ["--journeys", os.path.join(ROOT, "journeys"), "--listen", "127.0.0.1:0", "--clock", "virtual"]
    procs = []
    try:
        nodes = []
        for name in ("a", "b"):
            p, port = start(common + ["--data", os.path.join(tmp, name), "--config", config], os.path.join(tmp, name + ".err"))
            procs.append(p)
            nodes.append(port)
        p, one = start(common + ["--data", os.path.join(tmp, "one")], os.path.join(tmp, "one.err"))
        procs.append(p)
        profiles = open(os.path.join(ROOT, "examples/abc-pharma/profiles.ndjson"), "rb").read()
        lines = [l for l in open(os.path.join(ROOT, "examples/abc-pharma/events.ndjson")) if l.strip()]
        lines.sort(key=lambda l: json.loads(l).get("at", ""))
        clock = json.dumps({"to": "2026-04-30T00:00:00Z"})
        for port in (nodes[0], one):
            assert request(port, "POST", "/v1/profiles", profiles, NDJSON)[0] == 200
            assert request(port, "POST", "/v1/events", "".join(lines).encode(), NDJSON)[0] == 200
            assert request(port, "POST", "/v1/clock", clock)[0] == 200
        for _ in range(600):
            owned = sum(int(float(re.search(r"\ntutti_cluster_partitions_owned (\S+)", metrics(p)).group(1))) for p in nodes)
            if owned == PARTITIONS and all("\ntutti_cluster_caught_up 1" in metrics(p) for p in nodes): break
            time.sleep(0.1)
        time.sleep(1.5)  # the directory is read every second
        here = set(int(x) for x in re.findall(r'partition_lag_offsets\{partition="(\d+)"\}', metrics(nodes[0])))
        hcps = sorted({json.loads(l)["hcp"] for l in lines if "hcp" in json.loads(l)})
        mine = next(h for h in hcps if murmur2(h.encode()) in here)
        theirs = next(h for h in hcps if murmur2(h.encode()) not in here)
        rows = [("customer here", f"/v1/customers/{mine}"), ("customer sent on", f"/v1/customers/{theirs}"),
                ("journeys", "/v1/journeys"), ("journeys, 30 days", "/v1/journeys?days=30")]
        print(f"{'read':<20} {'cluster p50':>12} {'p90':>8} {'one daemon p50':>15} {'p90':>8}")
        for label, path in rows:
            c50, c90 = timed(nodes[0], path, a.repeat)
            o50, o90 = timed(one, path, a.repeat)
            print(f"{label:<20} {c50:>10.2f}ms {c90:>6.2f}ms {o50:>13.2f}ms {o90:>6.2f}ms")
    finally:
        for p in procs: p.kill()
        mock.stdin.close()
        mock.wait()


if __name__ == "__main__":
    main()
