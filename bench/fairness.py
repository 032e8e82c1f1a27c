#!/usr/bin/env python3
"""Fairness under expensive filters: while one project ("busy") runs 16 concurrent worst-case filters (64 OR-ed
`co`/`ew` comparisons that match no one, on fields no index serves) against FAIR_USERS users, wrk measures another
project's ("calm") get by id. Loopback only; every loop is bounded by FAIR_SECONDS. Prints, per backend, the calm
project's get-by-id rate and p50/p99, and what the busy project's requests got (statuses, latency).

Usage (release binary built, as by bench/run): python3 bench/fairness.py
Knobs: FAIR_SECONDS (15), FAIR_USERS (100,000), FAIR_FILTERS (16 concurrent), FAIR_GET_CONNECTIONS (4),
BENCH_BACKENDS, BENCH_BIN, BENCH_POSTGRES_URL, BENCH_WORK; server settings pass through the environment
(USERBASE_QUERY_TIMEOUT_MS, USERBASE_MAX_CONNECTIONS)."""

import collections, json, os, signal, subprocess, sys, threading, time, urllib.error, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, BACKENDS, LUA, PG_ADMIN, WORK, http, to_ms, wait_ready  # noqa: E402

SECONDS = int(os.environ.get("FAIR_SECONDS", "15"))
USERS = int(os.environ.get("FAIR_USERS", "100000"))
FILTERS = int(os.environ.get("FAIR_FILTERS", "16"))
GET_CONNECTIONS = int(os.environ.get("FAIR_GET_CONNECTIONS", "4"))

# No user matches: every comparison reads its field to the end, for every user of the project.
WORST = " or ".join(f'{field} {op} "zq{i}x"' for i in range(32) for field, op in (("note", "co"), ("bio", "ew")))


def seed(base, key, n, prefix):
    text = "lorem ipsum dolor sit amet " * 8
    for start in range(0, n, 20_000):
        body = "".join(json.dumps({"email": f"{prefix}{i}@bench.test", "first_name": f"F{i}", "note": text,
                                   "bio": text}) + "\n" for i in range(start, min(n, start + 20_000))).encode()
        http("POST", base + "/v1/users/bulk", key, body, "application/x-ndjson")


def hammer(base, key, stop, outcomes, lock):
    url = base + "/v1/users?limit=20&filter=" + urllib.parse.quote(WORST)
    while not stop.is_set():
        started = time.time()
        try:
            status, _ = http("GET", url, key, timeout=60)
        except urllib.error.HTTPError as e:
            status = e.code
        except Exception:
            status = "error"
        with lock:
            outcomes.append((status, time.time() - started))


def wrk_get(base, key, ids_file):
    cmd = ["wrk", "-t1", f"-c{GET_CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s",
           "-s", os.path.join(LUA, "get.lua"), base]
    env = {**os.environ, "UB_KEY": key, "UB_LUA": LUA, "UB_IDS": ids_file}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env).stdout
    import re
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"req_per_s": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


def run_backend(name, url, port):
    cli = lambda *a: subprocess.run([BIN, "--database", url, *a], capture_output=True, text=True, check=True).stdout
    keys = {}
    for project in ("busy", "calm"):
        cli("projects", "create", project)
        keys[project] = cli("keys", "create", "--project", project, "--kind", "secret").strip()
    server = subprocess.Popen([BIN, "--database", url, "serve", "--listen", f"127.0.0.1:{port}", "--no-bootstrap"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{WORK}/fair-{name}.log", "w"),
                              env={**os.environ, "RUST_LOG": "warn"})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base + "/readyz")
        seed(base, keys["busy"], USERS, "busy")
        seed(base, keys["calm"], 200, "calm")
        page = json.loads(http("GET", base + "/v1/users?limit=200", keys["calm"])[1])
        ids_file = f"{WORK}/calm-ids.txt"
        open(ids_file, "w").write("\n".join(u["id"] for u in page["data"]) + "\n")
        alone = wrk_get(base, keys["calm"], ids_file)
        stop, lock, outcomes = threading.Event(), threading.Lock(), []
        threads = [threading.Thread(target=hammer, args=(base, keys["busy"], stop, outcomes, lock))
                   for _ in range(FILTERS)]
        for t in threads:
            t.start()
        time.sleep(1)  # every filter is running or waiting for its turn
        loaded = wrk_get(base, keys["calm"], ids_file)
        stop.set()
        for t in threads:
            t.join(timeout=120)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    statuses = collections.Counter(str(s) for s, _ in outcomes)
    seconds = sorted(d for _, d in outcomes)
    busy = {"requests": len(outcomes), "statuses": dict(statuses),
            "p50_s": seconds[len(seconds) // 2] if seconds else None, "max_s": seconds[-1] if seconds else None}
    return {"backend": name, "calm_get_alone": alone, "calm_get_under_load": loaded, "busy_filters": busy}


def main():
    os.makedirs(WORK, exist_ok=True)
    results = []
    if "sqlite" in BACKENDS:
        path = f"{WORK}/fair.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        results.append(run_backend("sqlite", f"sqlite://{path}", 18093))
    if "postgres" in BACKENDS:
        db = f"userbase_fair_{int(time.time())}"
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db}"], check=True)
        try:
            results.append(run_backend("postgres", PG_ADMIN.rsplit("/", 1)[0] + "/" + db, 18094))
        finally:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
    print(f"\n{FILTERS} concurrent worst-case filters on {USERS:,} users of one project, {SECONDS} s; "
          f"another project's get by id at {GET_CONNECTIONS} connections")
    print(f"{'backend':9} {'get alone p99':>14} {'get loaded req/s':>17} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  busy filters")
    for r in results:
        a, l, b = r["calm_get_alone"], r["calm_get_under_load"], r["busy_filters"]
        print(f"{r['backend']:9} {a['p99_ms']:12.2f}ms {l['req_per_s']:17.0f} {l['p50_ms']:7.2f} {l['p99_ms']:7.2f} "
              f"{l['errors']:6}  {b['requests']} answered {b['statuses']}, p50 {b['p50_s']:.2f} s, max {b['max_s']:.2f} s")
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "fairness.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": SECONDS, "users": USERS,
               "filters": FILTERS, "results": results}, open(out, "w"), indent=1)
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    sys.exit(main())
