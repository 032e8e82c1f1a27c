#!/usr/bin/env python3
"""The scale run (issue 21): imports generated users with `userbase import` into a fresh database on each
backend, then times every documented query against a release `userbase serve`, 20 times each, and prints the
median and p95 per query, the import rates and the storage per user. Usage and knobs: bench/README.md."""

import http.client, json, os, statistics, subprocess, sys, time, urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("BENCH_BIN", os.path.join(ROOT, "target", "release", "userbase"))
WORK = os.environ.get("BENCH_WORK", "/tmp/userbase-scale")
USERS = int(os.environ.get("SCALE_USERS", "1000000"))
SECOND = os.environ.get("SCALE_SECOND_IMPORT", "1") == "1"
REPEAT = int(os.environ.get("SCALE_REPEAT", "20"))
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",")
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
GEN = os.path.join(ROOT, "bench", "scale", "gen_users.py")


def generate(count, start, path):
    """The users file, written once per size and start and kept in BENCH_WORK for the next run."""
    if not os.path.exists(path):
        subprocess.run([sys.executable, GEN, str(count), path, "--start", str(start)], check=True)
    return path


def cli(url, *args):
    return subprocess.run([BIN, "--database", url, *args], capture_output=True, text=True, check=True).stdout


def timed_import(url, project, path):
    started = time.monotonic()
    out = subprocess.run([BIN, "--database", url, "import", path, "--project", project, "--mode", "create"],
                         capture_output=True, text=True)
    seconds = time.monotonic() - started
    if out.returncode != 0:
        raise SystemExit(f"import failed: {out.stdout}\n{out.stderr[-2000:]}")
    count = sum(1 for _ in open(path))
    return {"users": count, "seconds": seconds, "users_per_s": count / seconds}


class Client:
    """One keep-alive connection, as a client that pools would use."""

    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {key}"}

    def get(self, path):
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        return r.status, (json.loads(body) if body else None)


def q(filter_expr, extra=""):
    return "/v1/users?limit=20&filter=" + urllib.parse.quote(filter_expr) + extra


def queries(c, n):
    """(name, path) for every query of the issue; values are picked from the generated shapes."""
    i = n // 2 + 12_345
    email = f"user{i}@d{i % 50}.example.com"
    status, found = c.get("/v1/users?email=" + urllib.parse.quote(email))
    assert status == 200 and found["data"], (status, found)
    u = found["data"][0]
    status, page = c.get("/v1/users?limit=20")
    newest = page["data"][0]
    return [
        ("get by id", f"/v1/users/{u['id']}"),
        ("?email=", "/v1/users?email=" + urllib.parse.quote(email)),
        ("newest page", "/v1/users?limit=20"),
        ("deep cursor page", f"/v1/users?limit=20&starting_after={u['id']}"),
        ("filter email eq", q(f'email eq "{email}"')),
        ("filter id eq", q(f'id eq "{u["id"]}"')),
        ("filter object_id eq", q(f'object_id eq "{u["object_id"]}"')),
        ("filter numeric_id eq", q(f'numeric_id eq {u["numeric_id"]}')),
        ("filter human_id eq", q(f'human_id eq "{u["human_id"]}"')),
        ("filter auth_subject eq", q('auth_subject eq "nobody|1"')),
        ("filter status eq blocked", q('status eq "blocked"')),
        ("filter created_at range", q(f'created_at ge "{u["created_at"]}" and created_at le "{newest["created_at"]}"')),
        ("filter updated_at ge", q(f'updated_at ge "{newest["updated_at"]}"')),
        ("filter external_refs[]", q(f'external_refs[source eq "erp" and source_id eq "{i}"]')),
        ("filter external_refs.source_id", q(f'external_refs.source_id eq "{i}"')),
        ("filter email eq and tags", q(f'email eq "{email}" and tags eq "customer"')),
        ("first_name sw", q('first_name sw "Ann"')),
        ("tags eq vip", q('tags eq "vip"')),
        ("metadata.plan eq", q('metadata.plan eq "gold"')),
        ("sort last_name", "/v1/users?limit=20&sort=last_name"),
        ("last_name co (substring)", q('last_name co "und99"')),
        ("email ew (suffix)", q(f'email ew "{i}@d{i % 50}.example.com"')),
        ("first_name co (substring)", q('first_name co "nnaar"')),
        # Every trigram common (Anna.., ..ard), the whole held by nobody: no list order meets a match.
        ("first_name co (no match)", q('first_name co "annar"')),
        ("last_name sw (rare prefix)", q('last_name sw "Lund12345"')),
        ("include=total", "/v1/users?limit=1&include=total"),
        ("include=total tags eq vip", q('tags eq "vip"', "&include=total").replace("limit=20", "limit=1")),
        ("include=total email eq", q(f'email eq "{email}"', "&include=total").replace("limit=20", "limit=1")),
    ]


def time_queries(port, key, n):
    c = Client(port, key)
    rows = []
    for name, path in queries(c, n):
        c.get(path)  # warm the statement cache and the pages once
        times, statuses, estimate = [], set(), None
        for _ in range(REPEAT):
            started = time.perf_counter()
            status, body = c.get(path)
            times.append((time.perf_counter() - started) * 1000)
            statuses.add(status)
            if isinstance(body, dict) and "total" in body:
                estimate = body.get("total_is_estimate", False)
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        rows.append({"query": name, "median_ms": statistics.median(times), "p95_ms": p95,
                     "statuses": sorted(statuses), "estimate": estimate})
    return rows


def storage(name, url, db_file):
    if name == "sqlite":
        subprocess.run(["sqlite3", db_file, "PRAGMA wal_checkpoint(TRUNCATE)"], capture_output=True)
        total = sum(os.path.getsize(db_file + s) for s in ("", "-wal") if os.path.exists(db_file + s))
        out = subprocess.run(["sqlite3", db_file, "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"],
                             capture_output=True, text=True).stdout
        parts = {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines() if "|" in line}
    else:
        total = int(subprocess.run(["psql", url, "-Atc", "SELECT pg_database_size(current_database())"],
                                   capture_output=True, text=True, check=True).stdout.strip())
        out = subprocess.run(["psql", url, "-AtF|", "-c",
                              "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                              "JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = 'public' "
                              "AND c.relkind IN ('r', 'i', 't') ORDER BY 2 DESC"],
                             capture_output=True, text=True, check=True).stdout
        parts = {line.split("|")[0]: int(line.split("|")[1]) for line in out.splitlines() if "|" in line}
    return {"bytes": total, "parts": {k: v for k, v in parts.items() if v > 0}}


def run_backend(name, url, port, db_file=None):
    first = generate(USERS, 0, f"{WORK}/users-{USERS}-0.ndjson")
    cli(url, "projects", "create", "big")
    cli(url, "projects", "create", "small")
    key = cli(url, "keys", "create", "--project", "big", "--kind", "secret").strip()
    result = {"backend": name, "imports": []}
    print(f"[{name}] importing {USERS:,} users into an empty project ...", flush=True)
    result["imports"].append({"into": "empty project", **timed_import(url, "big", first)})
    small = generate(200, 10 * USERS, f"{WORK}/users-200-{10 * USERS}.ndjson")
    timed_import(url, "small", small)
    result["storage_after_first"] = storage(name, url, db_file)
    if SECOND:
        second = generate(USERS, USERS, f"{WORK}/users-{USERS}-{USERS}.ndjson")
        print(f"[{name}] importing {USERS:,} more users into the same project ...", flush=True)
        result["imports"].append({"into": f"project of {USERS:,}", **timed_import(url, "big", second)})
    total = USERS * (2 if SECOND else 1)
    server = subprocess.Popen([BIN, "--database", url, "serve", "--listen", f"127.0.0.1:{port}", "--no-bootstrap"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{WORK}/{name}-serve.log", "w"))
    try:
        deadline = time.time() + 60
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/healthz")
                break
            except OSError:
                if time.time() > deadline:
                    raise SystemExit("server did not come up")
                time.sleep(0.2)
        print(f"[{name}] timing queries on {total:,} users ...", flush=True)
        result["queries"] = time_queries(port, key, USERS)
    finally:
        server.terminate()
        server.wait()
    result["users"] = total
    return result


def main():
    os.makedirs(WORK, exist_ok=True)
    results = []
    if "sqlite" in BACKENDS:
        db_file = f"{WORK}/scale.db"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db_file + suffix):
                os.remove(db_file + suffix)
        results.append(run_backend("sqlite", f"sqlite://{db_file}", 18191, db_file))
    if "postgres" in BACKENDS:
        db = f"userbase_scale_{int(time.time())}"
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db}"], check=True)
        try:
            results.append(run_backend("postgres", PG_ADMIN.rsplit("/", 1)[0] + "/" + db, 18192))
        finally:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"])
    report(results)


def report(results):
    for r in results:
        print(f"\n== {r['backend']}: {r['users']:,} users in the big project ==")
        for imp in r["imports"]:
            print(f"import into {imp['into']}: {imp['users']:,} users in {imp['seconds']:.1f} s "
                  f"({imp['users_per_s']:,.0f} users/s)")
        st = r["storage_after_first"]
        print(f"storage after the first import: {st['bytes'] / 1e6:,.0f} MB ({st['bytes'] / USERS:,.0f} bytes per user)")
        for part, size in sorted(st["parts"].items(), key=lambda kv: -kv[1])[:25]:
            print(f"  {part:40} {size / 1e6:9.1f} MB {size / USERS:7.0f} B/user")
        print(f"{'query':32} {'median ms':>10} {'p95 ms':>8}  status  estimate")
        for row in r["queries"]:
            est = "" if row["estimate"] is None else str(row["estimate"]).lower()
            print(f"{row['query']:32} {row['median_ms']:10.2f} {row['p95_ms']:8.2f}  {row['statuses']}  {est}")
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    out = os.path.join(ROOT, "bench", "results", "scale.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    json.dump({"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit, "users": USERS,
               "repeat": REPEAT, "results": results}, open(out, "w"), indent=1)


if __name__ == "__main__":
    main()
