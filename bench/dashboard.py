#!/usr/bin/env python3
"""bench/dashboard.py: a reporting dashboard's refreshes, with and without
the response cache (`make bench-dashboard`; issue 18).

Needs a running PostgreSQL with cloudflare_fdw installed and preloaded (the
test bed's PGHOST, PGPORT, PGUSER, CF_PG_BINDIR; bench/dashboard.sh starts
one) and starts its own emulator: ORGS organizations (3 roots, 5 members
and 2 accounts each, 30 memberships) with LATENCY ms per request.

The dashboard has fourteen panels (QUERIES below), each a report query.  A
refresh runs them in CLIENTS concurrent backends (the panels dealt out in
turn), as a dashboard tool does; REFRESHES refreshes follow each other.
This runs twice: with cache_ttl 0 (no cache) and with cache_ttl TTL.  For
each refresh it counts the requests the emulator received and the wall
time, and for each panel the time to its result.  Beside them: the fewest
requests that could answer each panel, worked out by hand (MINIMUM), so
that the first refresh can be judged against it.

Prints a Markdown report; --md and --json write it too.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from soak import Emulator

DB = "cf_dashboard"

# (panel, SQL, the fewest requests that answer it with ORGS organizations
# and 3 roots: a fan-out is the organizations list plus one list per
# organization; the memberships fit one page of 50)
def queries(orgs, first_org):
    fan = 1 + orgs
    return [
        ("members per organization",
         "SELECT organization_id, count(*) FROM organization_members GROUP BY 1", fan),
        ("2FA coverage",
         "SELECT round(100.0 * count(*) FILTER (WHERE user_two_factor_authentication_enabled) / count(*), 1) "
         "FROM organization_members", fan),
        ("pending invitations",
         "SELECT organization_id, user_email FROM organization_members WHERE status = 'pending'", fan),
        ("accounts per organization",
         "SELECT organization_id, count(*) FROM organization_accounts GROUP BY 1", fan),
        ("the organization tree",
         "SELECT id, name, parent_id FROM organizations ORDER BY name", 1),
        ("organizations",
         "SELECT count(*) FROM organizations", 1),
        ("root organizations",
         "SELECT name FROM organizations WHERE parent_id IS NULL ORDER BY 1", 1),
        ("accounts of the root organizations",
         "SELECT o.name, a.name FROM organizations o JOIN organization_accounts a "
         "ON a.organization_id = o.id WHERE o.parent_id IS NULL ORDER BY 1, 2", 1 + 3),
        ("memberships by status",
         "SELECT status, count(*) FROM memberships GROUP BY 1 ORDER BY 1", 1),
        ("accepted memberships",
         "SELECT account_name FROM memberships WHERE status = 'accepted' ORDER BY 1", 1),
        ("members of the first organization",
         "SELECT user_email, status FROM organization_members WHERE organization_id = '%s' ORDER BY 1"
         % first_org, 1),
        ("organization profiles",
         "SELECT count(business_name) FROM organization_profiles", 1),
        # the dashboard tables: a week of failed actions and this month's
        # usage, one request per organization (a week of audit entries fits
        # a page, a month one usage window)
        ("failed actions this week",
         "SELECT organization_id, count(*) FROM organization_audit_logs "
         "WHERE action_time >= now() - interval '7 days' AND action_result = 'failure' GROUP BY 1", fan),
        ("usage this month per metric",
         "SELECT x_billable_metric_id, sum(consumed_quantity) FROM organization_usage "
         "WHERE charge_period_start >= date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' "
         "GROUP BY 1", fan),
    ]


def log(msg):
    sys.stderr.write("dashboard: %s\n" % msg)
    sys.stderr.flush()


def psql(sql, db=DB, check=True):
    p = subprocess.run([os.path.join(os.environ["CF_PG_BINDIR"], "psql"), "-X", "-q", "-A", "-t",
                        "-v", "ON_ERROR_STOP=1", "-d", db],
                       input=sql, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit("dashboard: psql failed: %s" % p.stderr.strip())
    return p.stdout


def run_panels(panels, clients):
    """Runs the panels in CLIENTS backends; returns (wall s, [seconds per panel])."""
    share = [panels[i::clients] for i in range(clients)]
    times = [None] * len(panels)
    index = {id(p): i for i, p in enumerate(panels)}
    errors = []

    def worker(mine):
        # one backend per client: its panels one after another, each timed
        script = "\\timing on\n" + "".join("%s;\n" % q for _, q, _ in mine)
        p = subprocess.run([os.path.join(os.environ["CF_PG_BINDIR"], "psql"), "-X", "-q", "-A",
                            "-t", "-v", "ON_ERROR_STOP=1", "-d", DB],
                           input=script, capture_output=True, text=True)
        if p.returncode != 0:
            errors.append(p.stderr.strip())
            return
        ms = [float(x.split()[1]) for x in p.stdout.splitlines() if x.startswith("Time: ")]
        elapsed = 0.0
        for panel, t in zip(mine, ms):
            elapsed += t / 1000.0
            times[index[id(panel)]] = elapsed      # from the refresh's start

    threads = [threading.Thread(target=worker, args=(m,)) for m in share if m]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.time() - t0
    if errors:
        raise SystemExit("dashboard: a panel failed: %s" % errors[0])
    return wall, times


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=100)
    ap.add_argument("--latency", type=int, default=100)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--refreshes", type=int, default=5)
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--md")
    ap.add_argument("--json")
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix="cf_dashboard.")
    emu = Emulator(work, "emulator", ["--seed", "5", "--orgs", str(a.orgs), "--roots", "3",
                          "--members-per-org", "5", "--accounts-per-org", "2", "--memberships", "30"],
                   log_limit=100000)
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "phases": []}
    try:
        psql("DROP DATABASE IF EXISTS %s WITH (FORCE);\nCREATE DATABASE %s;\n" % (DB, DB), db="postgres")
        psql("""SET client_min_messages = warning;
CREATE EXTENSION cloudflare_fdw;
CREATE SERVER dash FOREIGN DATA WRAPPER cloudflare_fdw
  OPTIONS (api_url '%s/client/v4', max_concurrency '8', cache_ttl '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER dash
  OPTIONS (api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194');
IMPORT FOREIGN SCHEMA cloudflare FROM SERVER dash INTO public;
""" % emu.url)
        report["pg_version"] = psql("SHOW server_version").strip()
        report["cache_mode"] = psql("SELECT mode FROM cloudflare_fdw_cache_info()").strip()
        first_org = psql("SELECT id FROM organizations ORDER BY id LIMIT 1").strip()
        panels = queries(a.orgs, first_org)
        minimum = sum(m for _, _, m in panels)
        # the same, with identical requests sent once for the whole refresh:
        # the organizations list (which also carries the profiles), each
        # organization's members, pending members and accounts (the root
        # organizations' accounts and the first organization's members are
        # among them), each organization's failed actions and usage, the
        # count's page, the roots, and the two memberships lists
        report["minimum_shared"] = 1 + 5 * a.orgs + 1 + 1 + 2
        emu.ctl("POST", "/config", {"latency_ms": a.latency})
        for ttl in (0, a.ttl):
            log("cache_ttl %d: %d refreshes of %d panels in %d backends" %
                (ttl, a.refreshes, len(panels), a.clients))
            psql("ALTER SERVER dash OPTIONS (SET cache_ttl '%d');\nSELECT cloudflare_fdw_cache_clear();\n"
                 % ttl)
            rows = []
            for r in range(a.refreshes):
                emu.ctl("DELETE", "/requests")
                wall, times = run_panels(panels, a.clients)
                sent = len(emu.ctl("GET", "/requests"))
                rows.append({"refresh": r + 1, "requests": sent, "wall_s": round(wall, 2),
                             "first_panel_s": round(min(times), 3),
                             "median_panel_s": round(statistics.median(times), 3)})
            report["phases"].append({"ttl": ttl, "refreshes": rows})
        report["minimum"] = minimum
        report["panels"] = [(n, q, m) for n, q, m in panels]
        report["settings"] = ("%d organizations (3 roots, 5 members and 2 accounts each, 30 memberships), "
                              "%d ms per request, %d panels in %d backends, max_concurrency 8"
                              % (a.orgs, a.latency, len(panels), a.clients))
    finally:
        emu.stop()
        psql("DROP DATABASE IF EXISTS %s WITH (FORCE);\n" % DB, db="postgres", check=False)
        shutil.rmtree(work, ignore_errors=True)

    out = ["# Dashboard refreshes", "",
           "`make bench-dashboard` on %s; PostgreSQL %s; response cache %s; %s." %
           (report["date"], report["pg_version"], report["cache_mode"], report["settings"]), "",
           "| refresh | requests, cache_ttl 0 | wall s | requests, cache_ttl %d | wall s | fewest, panel by panel | fewest, identical requests once |" % a.ttl,
           "|---|---|---|---|---|---|---|"]
    off, on = report["phases"]
    for r0, r1 in zip(off["refreshes"], on["refreshes"]):
        out.append("| %d | %d | %.2f | %d | %.2f | %d | %d |" % (r0["refresh"], r0["requests"], r0["wall_s"],
                                                             r1["requests"], r1["wall_s"], minimum,
                                                             report["minimum_shared"]))
    out += ["", "Without the cache each refresh sends exactly the fewest requests panel by panel. With it, "
            "the first refresh sends fewer (panels that ask the same page in turn share it) but more than "
            "the fewest with identical requests once: two backends that miss the same page at the same "
            "time both fetch it (no coalescing). Later refreshes within the TTL send nothing."]
    out += ["", "Time to the first panel's result: %.3f s without the cache, %.3f s from it (refresh 2); "
            "median panel %.3f s and %.3f s." % (off["refreshes"][1]["first_panel_s"], on["refreshes"][1]["first_panel_s"],
                                                 off["refreshes"][1]["median_panel_s"], on["refreshes"][1]["median_panel_s"]),
            "", "The panels and the fewest requests that answer each (worked out by hand):", "",
            "| panel | requests |", "|---|---|"]
    out += ["| %s | %d |" % (n, m) for n, _, m in report["panels"]]
    out += ["", "Budget: a team of five refreshing once a minute with cache_ttl %d sends at most the first "
            "refresh's %d requests once per TTL for everyone (the cache is shared), %d per 5 minutes at most; "
            "without the cache %d per 5 minutes (5 people × 5 refreshes × %d), against Cloudflare's 1,200."
            % (a.ttl, on["refreshes"][0]["requests"],
               on["refreshes"][0]["requests"] * max(1, (300 + a.ttl - 1) // a.ttl),
               5 * 5 * off["refreshes"][0]["requests"], off["refreshes"][0]["requests"]), ""]
    md = "\n".join(out)
    print(md)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
