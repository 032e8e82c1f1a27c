#!/usr/bin/env python3
"""userbase HTTP benchmark: runs the release server on a fresh SQLite file and a fresh PostgreSQL database,
seeds users through the bulk endpoint, drives each operation with wrk from a separate process on 127.0.0.1
(fixed duration, fixed connections: every loop is bounded), and compares with a minimal axum handler.
Prints one table and writes it as JSON. Usage: see bench/README.md."""

import json, os, re, signal, subprocess, sys, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "userbase"))
HELLO = os.path.join(ROOT, "bench", "hello", "target", "release", "bench-hello")
LUA = os.path.join(ROOT, "bench", "lua")
WORK = os.environ.get("BENCH_WORK", "/tmp/userbase-bench")
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
SEED = int(os.environ.get("BENCH_SEED_USERS", "10000"))
BULK = int(os.environ.get("BENCH_BULK_USERS", "100000"))
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
OPS = [op for op in os.environ.get("BENCH_OPS", "create,get,list,email,patch").split(",") if op]
PROPELLER = int(os.environ.get("BENCH_PROPELLER_USERS", "50000"))
PROPELLER_BATCH = 10_000  # the most one Propeller bulk request carries
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",")


def http(method, url, key=None, body=None, content_type="application/json", timeout=600):
    req = urllib.request.Request(url, data=body, method=method)
    if key:
        req.add_header("Authorization", "Bearer " + key)
    if body is not None:
        req.add_header("Content-Type", content_type)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if http("GET", url)[0] == 200:
                return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"server at {url} did not come up")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return {"us": value / 1000, "ms": value, "s": value * 1000, "m": value * 60_000}[unit]


def wrk(url, script=None, env=None):
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", os.path.join(LUA, script + ".lua")]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    patterns = (r"Requests/sec:\s+([\d.]+)", r"^\s+50%\s+(\S+)", r"^\s+99%\s+(\S+)")
    found = [re.search(p, out, re.M) for p in patterns]
    if not all(found):
        raise SystemExit(f"could not read wrk's output:\n{out}")
    rps, p50, p99 = float(found[0].group(1)), to_ms(found[1].group(1)), to_ms(found[2].group(1))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"req_per_s": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


def users_ndjson(n, prefix):
    return "".join(
        json.dumps({"email": f"{prefix}{i}@bench.test", "first_name": f"F{i}", "last_name": "Bench", "tags": ["bench"],
                    "metadata": {"i": str(i)}, "external_refs": [{"source": prefix, "source_id": str(i)}]}) + "\n"
        for i in range(n)
    ).encode()


def propeller_users(start, n):
    """A Propeller bulk body: n users keyed by (source, sourceId), each with one delivery address."""
    return json.dumps({"users": [
        {"source": "bench", "sourceId": str(i), "firstName": f"P{i}", "lastName": "Bench", "email": f"p{i}@bench.test",
         "phone": 612345678, "language": "NL",
         "addresses": [{"type": "delivery", "code": f"D{i}", "street": "Main", "number": str(i % 500),
                        "postalCode": "6822 DE", "city": "Arnhem", "country": "NL"}]}
        for i in range(start, start + n)]}).encode()


def propeller_bulk(name, base, key, server_pid):
    """POST /propeller/v2/users/bulk/sourceId in requests of 10,000 users with nested addresses."""
    bodies = [propeller_users(start, min(PROPELLER_BATCH, PROPELLER - start)) for start in range(0, PROPELLER, PROPELLER_BATCH)]
    before, started, created = cpu_seconds(server_pid), time.time(), 0
    for body in bodies:
        status, answer = http("POST", base + "/propeller/v2/users/bulk/sourceId", key, body)
        created += sum(1 for item in json.loads(answer)["data"] if item["success"])
    seconds = time.time() - started
    return {"op": f"propeller {PROPELLER}", "backend": name, "users_per_s": created / seconds, "seconds": seconds,
            "errors": PROPELLER - created, "server_cpu_pct": 100 * (cpu_seconds(server_pid) - before) / seconds}


def run_backend(name, url, port):
    cli = lambda *args: subprocess.run([BIN, "--database", url, *args], capture_output=True, text=True, check=True).stdout
    cli("projects", "create", "bench")
    key = cli("keys", "create", "--project", "bench", "--kind", "secret").strip()
    server = subprocess.Popen([BIN, "--database", url, "serve", "--listen", f"127.0.0.1:{port}", "--no-bootstrap"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{WORK}/{name}.log", "w"),
                              env={**os.environ, "RUST_LOG": "warn"})
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        wait_ready(base + "/readyz")
        http("POST", base + "/v1/users/bulk", key, users_ndjson(SEED, "seed"), "application/x-ndjson")
        ids, emails, cursor = [], [], None
        while True:
            page = json.loads(http("GET", base + "/v1/users?limit=200" + (f"&cursor={cursor}" if cursor else ""), key)[1])
            ids += [u["id"] for u in page["data"]]
            emails += [u["email"] for u in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        open(f"{WORK}/ids.txt", "w").write("\n".join(ids) + "\n")
        open(f"{WORK}/emails.txt", "w").write("\n".join(emails) + "\n")
        env = {"UB_KEY": key, "UB_LUA": LUA, "UB_IDS": f"{WORK}/ids.txt", "UB_EMAILS": f"{WORK}/emails.txt"}
        for op in OPS:
            before = cpu_seconds(server.pid)
            result = wrk(base, op, env)
            result["server_cpu_pct"] = 100 * (cpu_seconds(server.pid) - before) / DURATION
            rows.append({"op": op, "backend": name, **result})
            print(f"  {name:9} {op:7} {result['req_per_s']:9.0f} req/s", flush=True)
        if BULK > 0:
            body = users_ndjson(BULK, "bulk")
            before, started = cpu_seconds(server.pid), time.time()
            status, answer = http("POST", base + "/v1/users/bulk", key, body, "application/x-ndjson")
            seconds = time.time() - started
            created = json.loads(answer)["created"]
            rows.append({"op": f"bulk {BULK}", "backend": name, "users_per_s": created / seconds, "seconds": seconds,
                         "errors": BULK - created, "server_cpu_pct": 100 * (cpu_seconds(server.pid) - before) / seconds})
        if PROPELLER > 0:
            rows.append(propeller_bulk(name, base, key, server.pid))
            print(f"  {name:9} propeller {rows[-1]['users_per_s']:9.0f} users/s", flush=True)
        rss = peak_rss_mib(server.pid)
        for r in rows:
            r["server_peak_rss_mib"] = rss
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return rows


def main():
    os.makedirs(WORK, exist_ok=True)
    rows = []
    hello = subprocess.Popen([HELLO, "127.0.0.1:18090"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready("http://127.0.0.1:18090/")
        before = cpu_seconds(hello.pid)
        result = wrk("http://127.0.0.1:18090/")
        result["server_cpu_pct"] = 100 * (cpu_seconds(hello.pid) - before) / DURATION
        rows.append({"op": "hello", "backend": "-", **result, "server_peak_rss_mib": peak_rss_mib(hello.pid)})
    finally:
        hello.kill()
        hello.wait()
    sqlite_file = f"{WORK}/bench.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(sqlite_file + suffix):
            os.remove(sqlite_file + suffix)
    if "sqlite" in BACKENDS:
        rows += run_backend("sqlite", f"sqlite://{sqlite_file}", 18091)
    if "postgres" in BACKENDS:
        db = f"userbase_bench_{int(time.time())}"
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db}"], check=True)
        try:
            rows += run_backend("postgres", PG_ADMIN.rsplit("/", 1)[0] + "/" + db, 18092)
        finally:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
    hello_rps = rows[0]["req_per_s"]
    print(f"\n{'op':12} {'backend':9} {'req/s':>9} {'% hello':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'cpu %':>6} {'rss MiB':>7}")
    for r in rows:
        if "req_per_s" in r:
            print(f"{r['op']:12} {r['backend']:9} {r['req_per_s']:9.0f} {100 * r['req_per_s'] / hello_rps:7.1f}% "
                  f"{r['p50_ms']:7.2f} {r['p99_ms']:7.2f} {r['errors']:6} {r['server_cpu_pct']:6.0f} {r['server_peak_rss_mib']:7.1f}")
        else:
            print(f"{r['op']:12} {r['backend']:9} {r['users_per_s']:9.0f} users/s in {r['seconds']:.1f} s"
                  f"{'':>9} {r['errors']:6} {r['server_cpu_pct']:6.0f} {r['server_peak_rss_mib']:7.1f}")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    result = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit, "duration_s": DURATION,
              "connections": CONNECTIONS, "seed_users": SEED, "rows": rows}
    out = os.path.join(ROOT, "bench", "results", "latest.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump(result, open(out, "w"), indent=1)
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    sys.exit(main())
