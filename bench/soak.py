#!/usr/bin/env python3
"""bench/soak.py: the FDW under load and faults, against emulators of its own.

Run by `make soak` (bench/soak.sh: a test bed, then this, the results in
bench/results/soak.{md,json}) and, in its short form, by test/deep.d/40-soak.
It needs a running PostgreSQL with cloudflare_fdw installed (the test bed's
PGHOST, PGPORT, PGUSER, CF_PG_BINDIR, CF_PG_LOG) and starts its own
emulators, so the test bed's own emulator and data are left alone.

Phases, each reported with what it showed:
  load     pgbench, CLIENTS clients for SECONDS, a mix of reads (organizations
           by name prefix, members of an organization, memberships, accounts)
           and writes (an INSERT and a DELETE), with LATENCY ms per request
  faults   the same, with a random fault rule every FAULT_EVERY seconds
           (503s, 429s, cut-off and malformed bodies, dropped connections
           before and after the request was carried out, slow answers)
  budget   8 backends scan through one server whose rate budget is 60
           requests per 10 s, shared by every backend; the busiest 10 s of
           requests the emulator saw
  cancel   CANCELS scans of every organization's members, each cancelled
           (psql's own cancel request, on SIGINT) after a random delay; the
           time from the cancel to the end of psql
  memory   one backend scans BIG_ORGS organizations SCANS times; its RSS
           after each scan

Errors are counted by SQLSTATE: the pgbench script calls soak_step(), which
runs one step and, on error, notes the SQLSTATE in a local table (so a
fault never aborts a pgbench client).  Crashes are read from the server log
("terminated by signal").  While pgbench runs, every backend of the soak
database is sampled: its RSS (/proc/PID/status) and its TCP connections to
the emulator (/proc/PID/fd against /proc/net/tcp).

Prints a Markdown report; --json and --md write it to files too.
"""

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "cf_soak"

FAULTS = [
    {"status": 503, "count": 3},
    {"status": 429, "retry_after": "1", "count": 2},
    {"kind": "truncate", "count": 2},
    {"kind": "malformed", "count": 2},
    {"kind": "html", "status": 502, "count": 2},
    {"kind": "drop", "count": 2},
    {"method": "POST", "kind": "drop_after", "count": 1},
    {"method": "DELETE", "kind": "drop_after", "count": 1},
    {"delay_ms": 2500, "count": 2},          # past request_timeout_ms
    {"kind": "wrong_types", "count": 1},
]

SETUP_SQL = """
SET client_min_messages = warning;
CREATE EXTENSION cloudflare_fdw;
CREATE SERVER soak FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'api', max_retries '2', max_retry_wait '1500',
           request_timeout_ms '2000', max_concurrency '4');
CREATE USER MAPPING FOR CURRENT_USER SERVER soak
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER soak INTO public;
CREATE SERVER soak_big FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (api_url :'big');
CREATE USER MAPPING FOR CURRENT_USER SERVER soak_big
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA big;
IMPORT FOREIGN SCHEMA cloudflare LIMIT TO (organizations) FROM SERVER soak_big INTO big;
CREATE SERVER soak_paced FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url :'api', rate_limit_requests '60', rate_limit_window '10');
CREATE USER MAPPING FOR CURRENT_USER SERVER soak_paced
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
CREATE SCHEMA paced;
IMPORT FOREIGN SCHEMA cloudflare LIMIT TO (organization_accounts) FROM SERVER soak_paced INTO paced;
CREATE TABLE soak_orgs AS SELECT id FROM organizations;
CREATE TABLE soak_errors (phase text, sqlstate text, message text);
CREATE FUNCTION soak_step(r int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  org text := (SELECT id FROM soak_orgs OFFSET (r * 7919) % (SELECT count(*) FROM soak_orgs) LIMIT 1);
  new_id text;
  st text;
  msg text;
BEGIN
  IF r <= 40 THEN
    PERFORM count(*) FROM organizations WHERE name LIKE chr(65 + r % 26) || '%';
  ELSIF r <= 70 THEN
    PERFORM count(*) FROM organization_members WHERE organization_id = org AND status = 'active';
  ELSIF r <= 85 THEN
    PERFORM count(*) FROM memberships WHERE status = 'accepted';
  ELSIF r <= 95 THEN
    PERFORM count(*) FROM organization_accounts WHERE organization_id = org;
  ELSE
    INSERT INTO organizations (name) VALUES ('soak ' || pg_backend_pid() || ' ' || r)
      RETURNING id INTO new_id;
    DELETE FROM organizations WHERE id = new_id;
  END IF;
EXCEPTION WHEN others THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  INSERT INTO soak_errors VALUES (current_setting('soak.phase'), st, msg);
END $$;
"""

PGBENCH_SCRIPT = "\\set r random(1, 100)\nSELECT soak_step(:r);\n"


def log(msg):
    sys.stderr.write("soak: %s\n" % msg)
    sys.stderr.flush()


class Emulator:
    """An emulator of our own, on a free port; bench/dashboard.py uses it too."""

    def __init__(self, work, name, args, log_limit=1000):
        self.port_file = os.path.join(work, name + ".url")
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "emulator", "cf_emulator.py"), "--port", "0",
             "--port-file", self.port_file, "--log-limit", str(log_limit)] + args,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise SystemExit("soak: emulator %s did not start (see %s.log)" % (name, name))
            time.sleep(0.1)
        with open(self.port_file) as f:
            self.url = f.read().strip()
        self.port = int(self.url.rsplit(":", 1)[1])

    def ctl(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + "/__emulator" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def psql(args, sql=None, check=True, db=DB):
    cmd = [os.path.join(os.environ["CF_PG_BINDIR"], "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
           "-d", db] + args
    p = subprocess.run(cmd, input=sql, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit("soak: psql failed: %s" % p.stderr.strip())
    return p.stdout


def query(sql):
    return psql(["-A", "-t", "-c", sql]).strip()


def socket_inodes(port):
    """Inodes of TCP sockets whose remote end is 127.0.0.1:port (any state but LISTEN)."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    rem_port = int(parts[2].rsplit(":", 1)[1], 16)
                    if rem_port == port and parts[3] != "0A":
                        out.add(parts[9])
        except FileNotFoundError:
            pass
    return out


def backend_sample(pids, port):
    """{pid: (rss_kb, connections to port)} for the backends still alive."""
    inodes = socket_inodes(port)
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            conns = 0
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                m = re.match(r"socket:\[(\d+)\]", link)
                if m and m.group(1) in inodes:
                    conns += 1
            out[pid] = (rss, conns)
        except (OSError, AttributeError):
            continue
    return out


def crashes_since(offset):
    path = os.environ.get("CF_PG_LOG")
    if not path or not os.path.exists(path):
        return 0
    with open(path, errors="replace") as f:
        f.seek(offset)
        text = f.read()
    return len(re.findall(r"terminated by signal|was terminated by|PANIC:|TRAP:", text))


def log_offset():
    path = os.environ.get("CF_PG_LOG")
    return os.path.getsize(path) if path and os.path.exists(path) else 0


def percentiles(values):
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    v = sorted(values)

    def pick(q):
        return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": v[-1]}


def run_pgbench(phase, clients, seconds, work, emu, fault_every=None):
    script = os.path.join(work, "soak.pgb")
    with open(script, "w") as f:
        f.write(PGBENCH_SCRIPT)
    logdir = os.path.join(work, "pgbench-" + phase)
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ, PGOPTIONS="-c soak.phase=%s -c client_min_messages=error" % phase)
    cmd = [os.path.join(os.environ["CF_PG_BINDIR"], "pgbench"), "-n", "-c", str(clients),
           "-j", "2", "-T", str(seconds), "-f", script, "-l",
           "--log-prefix", os.path.join(logdir, "tx"), DB]
    off = log_offset()
    stop = threading.Event()
    samples = {}
    faults_added = []

    def sampler():
        while not stop.is_set():
            pids = [int(x) for x in query(
                "SELECT pid FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'" % DB).split()]
            for pid, (rss, conns) in backend_sample(pids, emu.port).items():
                first, last, maxconn = samples.get(pid, (rss, rss, 0))
                samples[pid] = (first, rss, max(maxconn, conns))
            stop.wait(1.0)

    def injector():
        rnd = random.Random(7)
        while not stop.wait(fault_every):
            rule = dict(rnd.choice(FAULTS))
            emu.ctl("POST", "/faults", rule)
            faults_added.append(rule)

    threads = [threading.Thread(target=sampler, daemon=True)]
    if fault_every:
        threads.append(threading.Thread(target=injector, daemon=True))
    for t in threads:
        t.start()
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.time() - t0
    stop.set()
    for t in threads:
        t.join(10)
    emu.ctl("DELETE", "/faults")

    lat = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[2].isdigit():
                    lat.append(int(parts[2]) / 1000.0)
    tps = re.search(r"tps = ([0-9.]+)", p.stdout)
    errors = {}
    for line in query("SELECT sqlstate || ' ' || count(*) FROM soak_errors WHERE phase = '%s'"
                      " GROUP BY sqlstate ORDER BY 1" % phase).splitlines():
        st, n = line.split()
        errors[st] = int(n)
    rss_first = [s[0] for s in samples.values()]
    rss_last = [s[1] for s in samples.values()]
    return {
        "phase": phase,
        "clients": clients,
        "seconds": seconds,
        "wall_s": round(wall, 1),
        "pgbench_exit": p.returncode,
        "pgbench_stderr": p.stderr.strip().splitlines()[-5:],
        "transactions": len(lat),
        "tps": float(tps.group(1)) if tps else None,
        "latency_ms": {k: (round(v, 1) if v is not None else None) for k, v in percentiles(lat).items()},
        "errors_by_sqlstate": errors,
        "crashes": crashes_since(off),
        "backends_sampled": len(samples),
        "rss_kb_first_median": int(statistics.median(rss_first)) if rss_first else None,
        "rss_kb_last_median": int(statistics.median(rss_last)) if rss_last else None,
        "rss_kb_last_max": max(rss_last) if rss_last else None,
        "connections_per_backend_max": max((s[2] for s in samples.values()), default=None),
        "faults_added": len(faults_added),
    }


def run_cancels(n, work, emu):
    """Scans cancelled after a random delay: seconds from SIGINT to psql's exit."""
    rnd = random.Random(11)
    psql_bin = os.path.join(os.environ["CF_PG_BINDIR"], "psql")
    off = log_offset()
    times = []
    outcomes = {}
    for i in range(n):
        p = subprocess.Popen([psql_bin, "-X", "-q", "-d", DB, "-c",
                              "SELECT count(*) FROM organization_members"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rnd.uniform(0.05, 0.5))
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        try:
            _, err = p.communicate(timeout=30)
            times.append((time.time() - t0) * 1000.0)
            key = "cancelled" if "canceling statement" in err else ("finished" if p.returncode == 0 else "other")
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            key = "hung"
        outcomes[key] = outcomes.get(key, 0) + 1
    time.sleep(0.5)
    still = int(query("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND state = 'active'"
                      " AND pid <> pg_backend_pid()" % DB))
    return {
        "phase": "cancel",
        "cancels": n,
        "outcomes": outcomes,
        "ms_to_exit": {k: (round(v, 1) if v is not None else None) for k, v in percentiles(times).items()},
        "backends_still_active": still,
        "crashes": crashes_since(off),
    }


def run_budget(clients, seconds, emu):
    """CLIENTS backends scan through one server with a budget of 60 requests
    per 10 s, for SECONDS; the busiest 10 s the emulator saw."""
    psql_bin = os.path.join(os.environ["CF_PG_BINDIR"], "psql")
    sql = ("DO $$ BEGIN WHILE clock_timestamp() < now() + interval '%d s' LOOP "
           "PERFORM count(*) FROM paced.organization_accounts "
           "WHERE organization_id IN (SELECT id FROM soak_orgs LIMIT 5); END LOOP; END $$;" % seconds)
    emu.ctl("DELETE", "/requests")
    off = log_offset()
    mode = query("SELECT mode FROM cloudflare_fdw_rate_budget('soak_paced')")
    procs = [subprocess.Popen([psql_bin, "-X", "-q", "-d", DB, "-c", sql],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(clients)]
    failed = 0
    for p in procs:
        _, err = p.communicate(timeout=seconds + 120)
        failed += p.returncode != 0
    times = sorted(r["at"] for r in emu.ctl("GET", "/requests?times=1"))
    busiest = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - 10.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    span = (times[-1] - times[0]) if len(times) > 1 else 0
    return {
        "phase": "budget",
        "clients": clients,
        "seconds": seconds,
        "budget": "60 requests per 10 s, %s" % mode,
        "requests": len(times),
        "busiest_10s": busiest,
        "rate_per_10s": round(len(times) / span * 10.0, 1) if span else None,
        "clients_failed": failed,
        "crashes": crashes_since(off),
    }


def run_memory(scans, big_orgs):
    """One backend scans every organization SCANS times; its RSS after each."""
    lines = ["SELECT pg_backend_pid() AS pid \\gset", "\\setenv SOAK_PID :pid",
             "\\! grep VmRSS /proc/$SOAK_PID/status"]
    for _ in range(scans):
        lines.append("SELECT 'rows', count(*), sum(length(name)) FROM big.organizations;")
        lines.append("\\! grep VmRSS /proc/$SOAK_PID/status")
    off = log_offset()
    t0 = time.time()
    out = psql(["-A", "-t", "-F", " "], "\n".join(lines) + "\n")
    wall = time.time() - t0
    rss = [int(x) for x in re.findall(r"VmRSS:\s+(\d+)", out)]
    rows = [int(x) for x in re.findall(r"^rows (\d+)", out, re.M)]
    return {
        "phase": "memory",
        "organizations": big_orgs,
        "scans": scans,
        "rows_per_scan": rows,
        "wall_s": round(wall, 1),
        "rss_kb_before": rss[0] if rss else None,
        "rss_kb_after_each_scan": rss[1:],
        "rss_growth_kb_after_first_scan": (rss[-1] - rss[1]) if len(rss) > 2 else None,
        "crashes": crashes_since(off),
    }


def markdown(report):
    out = ["# Soak run", "",
           "`%s` on %s; PostgreSQL %s; %s." % (report["command"], report["date"], report["pg_version"],
                                              report["settings"]), ""]
    out += ["| phase | clients × s | transactions | tps | latency p50 / p95 / p99 / max (ms) | errors by SQLSTATE | crashes | backend RSS median first → last (MB) | connections per backend (max) |",
            "|---|---|---|---|---|---|---|---|---|"]
    for ph in report["phases"]:
        if ph["phase"] not in ("load", "faults"):
            continue
        lat = ph["latency_ms"]
        errs = ", ".join("%s: %d" % kv for kv in sorted(ph["errors_by_sqlstate"].items())) or "none"
        out.append("| %s%s | %d × %d | %d | %s | %s / %s / %s / %s | %s | %d | %.1f → %.1f | %s |" % (
            ph["phase"], " (%d fault rules)" % ph["faults_added"] if ph["faults_added"] else "",
            ph["clients"], ph["seconds"], ph["transactions"],
            "%.1f" % ph["tps"] if ph["tps"] is not None else "?",
            lat["p50"], lat["p95"], lat["p99"], lat["max"], errs, ph["crashes"],
            (ph["rss_kb_first_median"] or 0) / 1024.0, (ph["rss_kb_last_median"] or 0) / 1024.0,
            ph["connections_per_backend_max"]))
    for ph in report["phases"]:
        if ph["phase"] == "cancel":
            m = ph["ms_to_exit"]
            out += ["", "**Cancel storm**: %d scans cancelled after 50–500 ms (%s); from the cancel to psql's exit: p50 %s ms, p95 %s ms, max %s ms; backends still active afterwards: %d; crashes: %d." % (
                ph["cancels"], ", ".join("%s %d" % kv for kv in sorted(ph["outcomes"].items())),
                m["p50"], m["p95"], m["max"], ph["backends_still_active"], ph["crashes"])]
        if ph["phase"] == "budget":
            out += ["", "**Shared rate budget**: %d backends scanning through one server (%s) for %d s: %d requests, %d in the busiest 10 s, %s per 10 s on average; clients failed: %d; crashes: %d." % (
                ph["clients"], ph["budget"], ph["seconds"], ph["requests"], ph["busiest_10s"],
                ph["rate_per_10s"], ph["clients_failed"], ph["crashes"])]
        if ph["phase"] == "memory":
            out += ["", "**Memory**: one backend scanned %d organizations %d times (%.1f s); RSS before %.1f MB, after each scan %s MB; growth from the first scan to the last: %.1f MB; crashes: %d." % (
                ph["organizations"], ph["scans"], ph["wall_s"], (ph["rss_kb_before"] or 0) / 1024.0,
                ", ".join("%.1f" % (x / 1024.0) for x in ph["rss_kb_after_each_scan"]),
                (ph["rss_growth_kb_after_first_scan"] or 0) / 1024.0, ph["crashes"])]
    out += ["", "Emulator connections: %(open)d open at the end of the run, %(peak)d at the busiest, %(total)d in all." % report["emulator_connections"], ""]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help="the short form (make check-deep)")
    ap.add_argument("--clients", type=int)
    ap.add_argument("--seconds", type=int)
    ap.add_argument("--latency", type=int, default=20)
    ap.add_argument("--json")
    ap.add_argument("--md")
    a = ap.parse_args()
    short = a.short
    clients = a.clients or (8 if short else 16)
    seconds = a.seconds or (15 if short else 180)
    fault_every = 3 if short else 10
    cancels = 20 if short else 100
    budget_s = 25 if short else 60
    big_orgs = 20000 if short else 200000
    scans = 3 if short else 5
    orgs = 200 if short else 500

    # a TERM (make's, the runner's timeout) stops the emulators too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix="cf_soak.")
    log("work folder %s" % work)
    emu = Emulator(work, "emulator", ["--seed", "3", "--orgs", str(orgs), "--members-per-org", "5",
                                      "--accounts-per-org", "2", "--memberships", "40"])
    big = Emulator(work, "emulator-big", ["--seed", "4", "--orgs", str(big_orgs), "--roots", "3",
                                          "--members-per-org", "0", "--accounts-per-org", "0",
                                          "--memberships", "0"])
    report = {"command": "make soak" if not short else "bench/soak.py --short",
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "phases": []}
    try:
        psql(["-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB, "-c", "CREATE DATABASE %s" % DB],
             db="postgres")
        psql(["-v", "api=%s/client/v4" % emu.url, "-v", "big=%s/client/v4" % big.url], SETUP_SQL)
        report["pg_version"] = query("SHOW server_version")
        report["settings"] = ("%d organizations (5 members, 2 accounts each), %d ms per request; "
                              "max_concurrency 4, max_retries 2, request_timeout_ms 2000"
                              % (orgs, a.latency))
        emu.ctl("POST", "/config", {"latency_ms": a.latency})
        log("load: %d clients for %d s" % (clients, seconds))
        report["phases"].append(run_pgbench("load", clients, seconds, work, emu))
        log("faults: a fault rule every %d s" % fault_every)
        report["phases"].append(run_pgbench("faults", clients, seconds, work, emu, fault_every))
        log("budget: 8 backends sharing 60 requests per 10 s for %d s" % budget_s)
        report["phases"].append(run_budget(8, budget_s, emu))
        log("cancel storm: %d cancels" % cancels)
        report["phases"].append(run_cancels(cancels, work, emu))
        emu.ctl("POST", "/config", {"latency_ms": 0})
        log("memory: %d scans of %d organizations" % (scans, big_orgs))
        report["phases"].append(run_memory(scans, big_orgs))
        report["emulator_connections"] = emu.ctl("GET", "/connections")
    finally:
        emu.stop()
        big.stop()
        psql(["-c", "DROP DATABASE IF EXISTS %s WITH (FORCE)" % DB], db="postgres", check=False)
        shutil.rmtree(work, ignore_errors=True)
    md = markdown(report)
    print(md)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)


if __name__ == "__main__":
    main()
