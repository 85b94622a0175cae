#!/usr/bin/env python3
"""bench/bench.py: the measurements of `make bench` (run by bench/run.sh).

Runs against the test bed bench/run.sh started (PGHOST, PGPORT, PGUSER,
CF_EMULATOR_URL, CF_API_URL, CF_PG_BINDIR in the environment), whose emulator
serves the main data set (--main-orgs organizations, 1,000 per page).  Starts
the other emulators itself (fan-out, memory), tied to its own life
(PR_SET_DEATHSIG) and listed in WORK/emulators.pids for run.sh's trap.

Measurements (each figure is the median of --runs runs, with min and max;
the runs of the full-scan group are interleaved so that background load
spreads over all of them):
  0. the emulator's own pages/s on the main data set (cold, then cached);
  1. the FDW: COPY (SELECT * FROM organizations) TO '/dev/null', and
     SELECT count(*) (which converts no column); and the two references
     that bound it from below: the transfer alone (the same page URLs
     fetched by one curl process over one keep-alive connection, bodies
     discarded) and PostgreSQL's own COPY of the same rows from a local
     table;
  2. the floor: bench/build/floor (libcurl + json-c, keep-alive, every field);
  3. without the FDW: a plpython3u set-returning function (urllib + json),
     and COPY ... FROM PROGRAM (one curl per page) into jsonb, then
     jsonb_to_recordset;
  4. fan-out: every member of 200 organizations, 50 ms per request, with
     max_concurrency 1 and 8;
  5. memory: the backend's VmHWM after a 10,000-row and a 1,000,000-row scan;
  6. time to the first row (DECLARE + first FETCH of a cursor) against one
     page's request (the floor fetching one page; curl's time_total too);
  7. the profile: bench/profile.py (perf, else callgrind).
Then the targets, the Markdown table, the JSON figures and the chart.

--mode smoke: the same steps on tiny data, once each; prints one line
"N passed, N failed" (a step passes when its measurement was taken and its
row counts were right).  Targets are shown, not judged.

Exit status 0 when every measurement was taken, 1 otherwise.
"""

import argparse
import ctypes
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EMULATOR = os.path.join(ROOT, "emulator", "cf_emulator.py")
TOKEN = "test-token"
DB = "cf_bench"
LOCAL_TABLE = "local_organizations"   # 1d: the foreign table's rows, stored locally

sys.path.insert(0, HERE)
import profile_split  # noqa: E402  (bench/profile_split.py)


class Fail(Exception):
    """A measurement that could not be taken."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP: stop at once, write no results."""


# ---- configuration ----------------------------------------------------------

FULL = {
    "main_page": 1000,
    "fan_orgs": 200, "fan_members": 50, "fan_latency_ms": 50, "fan_runs": None,
    "mem_small": 10000, "mem_big": 1000000,
    "profile_scans": 3,
}
SMOKE = {
    "main_page": 1000,
    "fan_orgs": 10, "fan_members": 5, "fan_latency_ms": 5, "fan_runs": 1,
    "mem_small": 500, "mem_big": 5000,
    "profile_scans": 1,
}

# ---- helpers ----------------------------------------------------------------


def log(msg):
    print("==> " + msg, file=sys.stderr, flush=True)


def set_pdeathsig():
    """Child side of Popen: die with the parent (Linux prctl)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Emulators:
    """Emulator processes started here; stopped by stop_all (and run.sh)."""

    def __init__(self, work):
        self.work = work
        self.procs = []

    def start(self, name, args):
        port_file = os.path.join(self.work, "emu_%s.url" % name)
        logf = open(os.path.join(self.work, "emu_%s.log" % name), "ab")
        cmd = [sys.executable, "-u", EMULATOR, "--port", "0", "--port-file", port_file,
               "--log-limit", "1000"] + args
        p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT, preexec_fn=set_pdeathsig)
        logf.close()
        self.procs.append(p)
        with open(os.path.join(self.work, "emulators.pids"), "a") as f:
            f.write("%d\n" % p.pid)
        for _ in range(300):
            if os.path.exists(port_file):
                with open(port_file) as f:
                    url = f.read().strip().rstrip("/")
                if url.startswith("http://"):
                    log("emulator %s at %s (%s)" % (name, url, " ".join(args)))
                    return url
            if p.poll() is not None:
                break
            time.sleep(0.1)
        raise Fail("emulator %s did not start; see %s" % (name, logf.name))

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []


def emu_post(base, path, obj):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    body = json.dumps(obj)
    c.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status != 200:
        raise Fail("emulator %s %s: %d %s" % (base, path, r.status, data[:200]))
    return json.loads(data) if data else None


def pg_version():
    """"PostgreSQL 17.6", from the pg_config the extension was built with."""
    try:
        return subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--version"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "PostgreSQL (version unknown)"


def psql_bin():
    return os.path.join(os.environ["CF_PG_BINDIR"], "psql")


def psql(sql, db=DB, timeout=1800):
    """Runs a script in one session; returns its stdout.  Raises Fail."""
    p = subprocess.run([psql_bin(), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db],
                       input=sql, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise Fail("psql failed (exit %d): %s" % (p.returncode, (p.stderr or p.stdout).strip()[-800:]))
    return p.stdout


def times_ms(out):
    return [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]


def copy_counts(out):
    return [int(x) for x in re.findall(r"^COPY ([0-9]+)$", out, re.M)]


CPU_SQL = ("SELECT 'CPU ' || array_to_string((string_to_array(split_part("
           "pg_read_file('/proc/' || pg_backend_pid() || '/stat'), ') ', 2), ' '))[12:13], ' ');\n")
HWM_SQL = ("SELECT 'HWM ' || substring(pg_read_file('/proc/' || pg_backend_pid() || '/status')"
           " from 'VmHWM:\\s+(\\d+) kB');\n")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(out):
    v = re.findall(r"^CPU ([0-9]+) ([0-9]+)$", out, re.M)
    return [int(a) + int(b) for a, b in v]


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values), "values": values}


# ---- the measurements ---------------------------------------------------------


class Bench:
    def __init__(self, a):
        self.a = a
        self.cfg = dict(SMOKE if a.mode == "smoke" else FULL)
        if os.environ.get("BENCH_PROFILE_SCANS"):
            self.cfg["profile_scans"] = int(os.environ["BENCH_PROFILE_SCANS"])
        self.runs = a.runs
        self.work = a.work
        self.emus = Emulators(a.work)
        self.main_url = os.environ["CF_API_URL"]
        self.main_base = os.environ["CF_EMULATOR_URL"]
        self.main_orgs = a.main_orgs
        self.fig = {}        # name -> figures
        self.steps = []      # (step, ok, note)
        self.extra_opts = os.environ.get("BENCH_SERVER_OPTIONS", "").strip()
        self.rate_opt = ""

    # -- bookkeeping --

    def step(self, name, fn):
        log("step: " + name)
        t0 = time.monotonic()
        try:
            fn()
        except Exception as e:  # a measurement that could not be taken
            msg = str(e) if isinstance(e, Fail) else traceback.format_exc()
            print("not ok - %s: %s" % (name, msg.strip()), flush=True)
            self.steps.append((name, False, msg.strip()))
            return
        print("ok - %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
        self.steps.append((name, True, ""))

    def server_sql(self, name, api_url, opts=""):
        o = "api_url '%s', max_requests '10000000', max_pages '10000000'" % api_url
        if opts:
            o += ", " + opts
        if self.rate_opt:
            o += ", " + self.rate_opt
        if self.extra_opts:
            o += ", " + self.extra_opts
        return ("CREATE SERVER %s FOREIGN DATA WRAPPER cloudflare_fdw OPTIONS (%s);\n"
                "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (api_token '%s');\n"
                "CREATE SCHEMA %s;\n"
                "IMPORT FOREIGN SCHEMA cloudflare FROM SERVER %s INTO %s;\n"
                % (name, o, name, TOKEN, name, name, name))

    # -- set-up --

    def setup(self):
        c = self.cfg
        self.fan_url = self.emus.start("fanout", [
            "--seed", "2", "--orgs", str(c["fan_orgs"]), "--roots", "0",
            "--members-per-org", str(c["fan_members"]), "--accounts-per-org", "0",
            "--memberships", "0"])
        emu_post(self.fan_url, "/__emulator/config", {"latency_ms": c["fan_latency_ms"]})
        self.mem_small_url = self.emus.start("mem_small", [
            "--seed", "1", "--orgs", str(c["mem_small"]), "--members-per-org", "0",
            "--accounts-per-org", "0", "--memberships", "0"])
        # The big set's pages are served cold (~700 MB would not fit the
        # cache, and one pass is all the memory run needs).
        self.mem_big_url = self.emus.start("mem_big", [
            "--seed", "1", "--orgs", str(c["mem_big"]), "--members-per-org", "0",
            "--accounts-per-org", "0", "--memberships", "0", "--cache-mb", "16"])
        subprocess.run([psql_bin(), "-X", "-q", "-d", "postgres", "-c",
                        "CREATE DATABASE %s" % DB], check=True, capture_output=True)
        psql("CREATE EXTENSION cloudflare_fdw;\n")
        # The shared rate budget (rate_limit_requests, 0 = off) must not pace
        # a benchmark; older builds have no such option.
        try:
            psql("CREATE SERVER bench_probe FOREIGN DATA WRAPPER cloudflare_fdw "
                 "OPTIONS (rate_limit_requests '0');\nDROP SERVER bench_probe;\n")
            self.rate_opt = "rate_limit_requests '0'"
        except Fail:
            self.rate_opt = ""
        log("rate budget option: %s" % (self.rate_opt or "none in this build"))
        sql = "SET client_min_messages = warning;\n"
        sql += self.server_sql("cf", self.main_url)
        sql += self.server_sql("fan_c1", self.fan_url + "/client/v4", "max_concurrency '1'")
        sql += self.server_sql("fan_c8", self.fan_url + "/client/v4", "max_concurrency '8'")
        sql += self.server_sql("mem_small", self.mem_small_url + "/client/v4")
        sql += self.server_sql("mem_big", self.mem_big_url + "/client/v4")
        sql += PLPY_SQL
        psql(sql)
        # COPY FROM PROGRAM runs as the server's OS user: the script lives in
        # our temp folder (0755), never under the checkout (maybe /root).
        self.curl_script = os.path.join(self.work, "curl_pages.sh")
        with open(self.curl_script, "w") as f:
            f.write(CURL_SCRIPT)
        os.chmod(self.curl_script, 0o755)

    # -- 0. the emulator's own speed --

    def emulator_speed(self):
        u = urllib.parse.urlsplit(self.main_base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
        headers = {"Authorization": "Bearer " + TOKEN}
        urls, passes = [], []
        tok = None
        t0 = time.perf_counter()
        nbytes = 0
        while True:     # pass 1 follows the tokens (and fills the page cache)
            url = "/client/v4/organizations?page_size=%d" % self.cfg["main_page"]
            if tok:
                url += "&page_token=" + tok
            conn.request("GET", url, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise Fail("emulator answered %d to %s" % (r.status, url))
            urls.append(url)
            nbytes += len(body)
            m = re.search(r'"next_page_token":"([^"]+)"', body[-400:].decode("utf-8", "replace"))
            tok = m.group(1) if m else None
            if not tok:
                total = json.loads(body)["result_info"]["total_size"]
                if total != self.main_orgs:
                    raise Fail("emulator has %d organizations, not %d" % (total, self.main_orgs))
                break
        cold = len(urls) / (time.perf_counter() - t0)
        for _ in range(max(3, self.runs)):
            t0 = time.perf_counter()
            for url in urls:
                conn.request("GET", url, headers=headers)
                conn.getresponse().read()
            passes.append(len(urls) / (time.perf_counter() - t0))
        conn.close()
        self.fig["emulator"] = dict(summary(passes), cold=cold, pages=len(urls),
                                    page_bytes=nbytes / len(urls))

    # -- 1-3. the full scan, side by side --

    def full_scan(self):
        n = self.main_orgs
        res = {k: [] for k in ("floor", "floor_cpu", "fdw_copy", "fdw_copy_cpu", "fdw_count",
                               "fdw_count_cpu", "transfer", "transfer_wall", "local_copy",
                               "local_copy_cpu", "plpy", "curl", "curl_load", "curl_select")}
        # one unmeasured FDW scan: the extension's first load, caches
        psql("COPY (SELECT * FROM cf.organizations) TO '/dev/null';\n")
        # the two references below the FDW (1c, 1d): the page URLs the FDW
        # follows, and the same rows in a local table
        self.page_list()
        self.local_table()
        for r in range(self.runs):
            log("full scan, run %d of %d" % (r + 1, self.runs))
            # the floor
            fl = self.floor([self.main_url])
            if fl["rows"] != n:
                raise Fail("floor read %d rows, not %d" % (fl["rows"], n))
            res["floor"].append(fl["wall_s"])
            res["floor_cpu"].append(fl["user_s"] + fl["sys_s"])
            # the FDW, every column
            out = psql(CPU_SQL + "\\timing on\nCOPY (SELECT * FROM cf.organizations) TO '/dev/null';\n"
                       "\\timing off\n" + CPU_SQL)
            self.check_copy(out, [n], "FDW COPY")
            res["fdw_copy"].append(times_ms(out)[0] / 1000)
            c = cpu_ticks(out)
            res["fdw_copy_cpu"].append((c[1] - c[0]) / CLK_TCK)
            # the FDW, no column: every page, no column converted (a plain
            # count(*) would be one request reading total_size, src/count.c)
            out = psql(CPU_SQL + "\\timing on\nSELECT 'COUNT ' || count(*) FROM "
                       "(SELECT FROM cf.organizations OFFSET 0) s;\n"
                       "\\timing off\n" + CPU_SQL)
            got = re.findall(r"^COUNT ([0-9]+)$", out, re.M)
            if got != [str(n)]:
                raise Fail("count(*) gave %s, not %d" % (got, n))
            res["fdw_count"].append(times_ms(out)[0] / 1000)
            c = cpu_ticks(out)
            res["fdw_count_cpu"].append((c[1] - c[0]) / CLK_TCK)
            # the transfer alone: the same pages, one curl, one connection
            curl_total, wall = self.transfer_alone()
            res["transfer"].append(curl_total)
            res["transfer_wall"].append(wall)
            # PostgreSQL's own COPY of the same rows from a local table,
            # timed as 1a is
            out = psql(CPU_SQL + "\\timing on\nCOPY (SELECT * FROM %s) TO '/dev/null';\n"
                       "\\timing off\n" % LOCAL_TABLE + CPU_SQL)
            self.check_copy(out, [n], "local COPY")
            res["local_copy"].append(times_ms(out)[0] / 1000)
            c = cpu_ticks(out)
            res["local_copy_cpu"].append((c[1] - c[0]) / CLK_TCK)
            # plpython3u
            out = psql("\\timing on\nCOPY (SELECT * FROM bench_py_organizations('%s', '%s')) TO '/dev/null';\n"
                       % (self.main_url, TOKEN))
            self.check_copy(out, [n], "plpython3u")
            res["plpy"].append(times_ms(out)[0] / 1000)
            # COPY FROM PROGRAM curl + jsonb_to_recordset
            out = psql(CURL_SQL % {"script": self.curl_script, "url": self.main_url,
                                   "token": TOKEN, "page": self.cfg["main_page"]})
            counts = copy_counts(out)
            pages = -(-n // self.cfg["main_page"])
            self.check_copy(out, [pages, n], "COPY FROM PROGRAM curl")
            t = times_ms(out)
            res["curl_load"].append(t[0] / 1000)
            res["curl_select"].append(t[1] / 1000)
            res["curl"].append((t[0] + t[1]) / 1000)
            del counts
        for k, v in res.items():
            self.fig[k] = summary(v)
        self.fig["rows"] = n

    def page_list(self):
        """The URLs of every page of GET /organizations, in the order the FDW
        requests them (src/cloudflare_fdw.c, cf_stream_request):
        API_URL/organizations?page_size=N, then &page_token=<the previous
        page's result_info.next_page_token>.  Found once, untimed, by
        following the tokens over http.client.  The emulator's tokens are
        deterministic (emulator/cf_emulator.py, make_token: base64 of a hash
        of the path and filters plus the previous page's last key; no time,
        no randomness), so the same list is valid for every run; each run
        checks every page's status and size against this walk."""
        u = urllib.parse.urlsplit(self.main_url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
        headers = {"Authorization": "Bearer " + TOKEN, "Accept": "application/json"}
        pages, tok, rows = [], None, 0
        while True:
            path = "%s/organizations?page_size=%d" % (u.path, self.cfg["main_page"])
            if tok:
                # base64url tokens: nothing to escape (the FDW's
                # cf_url_escape leaves them as they are too)
                path += "&page_token=" + urllib.parse.quote(tok, safe="")
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise Fail("emulator answered %d to %s" % (r.status, path))
            doc = json.loads(body)
            rows += len(doc["result"])
            pages.append(("%s://%s%s" % (u.scheme, u.netloc, path), len(body)))
            tok = (doc.get("result_info") or {}).get("next_page_token")
            if not tok:
                break
            if len(pages) > 100000:
                raise Fail("page tokens never end")
        conn.close()
        if rows != self.main_orgs:
            raise Fail("the page walk found %d rows, not %d" % (rows, self.main_orgs))
        self.pages = pages
        # One curl invocation for every page: its config has one url/output
        # pair per page; the options before them apply to every transfer.
        self.transfer_cfg = os.path.join(self.work, "transfer.curl")
        with open(self.transfer_cfg, "w") as f:
            f.write('silent\nshow-error\nnoproxy = "*"\n'
                    'header = "Authorization: Bearer %s"\nheader = "Accept: application/json"\n'
                    'write-out = "%%{http_code} %%{size_download} %%{num_connects} %%{time_total}\\n"\n'
                    % TOKEN)
            for url, _ in pages:
                f.write('url = "%s"\noutput = "/dev/null"\n' % url)
        self.fig["transfer_pages"] = {"pages": len(pages), "bytes": sum(b for _, b in pages),
                                      "tool": "curl -K (one process, one keep-alive connection)"}

    def transfer_alone(self):
        """1c: one curl process fetches every page of self.pages over one
        keep-alive connection, bodies to /dev/null.  Returns (the sum of
        curl's time_total over the pages: the 1c figure, from each request's
        start to its last byte, the one connect included; the wall time of
        the whole curl process, its start and exit included).  The process
        start (exec, linking, OpenSSL's init) is left out of the figure as
        psql's \\timing leaves the session start out of 1a and 1d.  Checks
        each page's status and size and that curl connected once."""
        t0 = time.perf_counter()
        # -q first: no ~/.curlrc, only this config
        p = subprocess.run(["curl", "-q", "-K", self.transfer_cfg], capture_output=True, text=True, timeout=600)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise Fail("curl (transfer alone) failed (exit %d): %s" % (p.returncode, p.stderr.strip()[-500:]))
        lines = p.stdout.split("\n")[:-1]
        if len(lines) != len(self.pages):
            raise Fail("curl (transfer alone) made %d transfers, not %d" % (len(lines), len(self.pages)))
        connects, total = 0, 0.0
        for (url, size), line in zip(self.pages, lines):
            code, got, nconn, t = line.split()
            if code != "200" or int(got) != size:
                raise Fail("curl (transfer alone): %s answered %s with %s bytes, expected 200 with %d"
                           % (url, code, got, size))
            connects += int(nconn)
            total += float(t)
        if connects != 1:
            raise Fail("curl (transfer alone) opened %d connections, not 1" % connects)
        return total, wall

    def local_table(self):
        """1d's table: the foreign table's rows and column types, loaded once
        through the FDW (CREATE TABLE AS), frozen and analysed so that no
        timed COPY sets hint bits, then read once untimed (shared buffers)."""
        n = self.main_orgs
        out = psql("SET client_min_messages = warning;\n"
                   "DROP TABLE IF EXISTS %(t)s;\n"
                   "CREATE TABLE %(t)s AS SELECT * FROM cf.organizations;\n"
                   "VACUUM (FREEZE, ANALYZE) %(t)s;\n"
                   "SELECT 'ROWS ' || count(*) FROM %(t)s;\n"
                   "SELECT 'SIZE ' || pg_relation_size('%(t)s') || ' ' || pg_table_size('%(t)s');\n"
                   "COPY (SELECT * FROM %(t)s) TO '/dev/null';\n" % {"t": LOCAL_TABLE})
        got = re.findall(r"^ROWS ([0-9]+)$", out, re.M)
        if got != [str(n)]:
            raise Fail("local table has %s rows, not %d" % (got, n))
        size = re.search(r"^SIZE ([0-9]+) ([0-9]+)$", out, re.M)
        self.fig["local_table"] = {"table": LOCAL_TABLE, "rows": n,
                                   "heap_bytes": int(size.group(1)), "table_bytes": int(size.group(2))}

    def floor(self, args):
        p = subprocess.run([self.a.floor] + args, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            raise Fail("floor failed: %s" % p.stderr.strip())
        kv = dict(x.split("=", 1) for x in p.stdout.split())
        out = {}
        for k, v in kv.items():
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                out[k] = v
        return out

    @staticmethod
    def check_copy(out, want, what):
        got = copy_counts(out)
        if got != want:
            raise Fail("%s: COPY row counts %s, expected %s" % (what, got, want))

    # -- 4. fan-out --

    def fanout(self):
        c = self.cfg
        want = c["fan_orgs"] * c["fan_members"]
        runs = c["fan_runs"] or self.runs
        res = {"fan_c1": [], "fan_c8": []}
        for r in range(runs):
            log("fan-out, run %d of %d" % (r + 1, runs))
            for srv in ("fan_c1", "fan_c8"):
                out = psql("\\timing on\nCOPY (SELECT * FROM %s.organization_members) TO '/dev/null';\n" % srv)
                self.check_copy(out, [want], srv)
                res[srv].append(times_ms(out)[0] / 1000)
        for k, v in res.items():
            self.fig[k] = summary(v)
        self.fig["fan"] = {"orgs": c["fan_orgs"], "members": c["fan_members"],
                           "latency_ms": c["fan_latency_ms"], "requests": c["fan_orgs"] + 1}

    # -- 5. memory --

    def memory(self):
        c = self.cfg
        for srv, n in (("mem_small", c["mem_small"]), ("mem_big", c["mem_big"])):
            log("memory: %d-row scan" % n)
            out = psql(HWM_SQL + "\\timing on\nCOPY (SELECT * FROM %s.organizations) TO '/dev/null';\n"
                       "\\timing off\n" % srv + HWM_SQL)
            self.check_copy(out, [n], srv)
            hwm = [int(x) for x in re.findall(r"^HWM ([0-9]+)$", out, re.M)]
            if len(hwm) != 2:
                raise Fail("no VmHWM read: %s" % out[-300:])
            self.fig[srv] = {"rows": n, "hwm_before_kb": hwm[0], "hwm_after_kb": hwm[1],
                             "seconds": times_ms(out)[0] / 1000}

    # -- 6. time to the first row --

    def first_row(self):
        ttfr, page, curl_t = [], [], []
        url = "%s/organizations?page_size=%d" % (self.main_url, self.cfg["main_page"])
        for _ in range(self.runs):
            out = psql("BEGIN;\n\\timing on\nDECLARE c CURSOR FOR SELECT * FROM cf.organizations;\n"
                       "FETCH 1 FROM c;\n\\timing off\nCOMMIT;\n")
            t = times_ms(out)
            if len(t) != 2 or not re.search(r"^[0-9a-z]{32}\|", out, re.M):
                raise Fail("cursor gave no row: %s" % out[-300:])
            ttfr.append((t[0] + t[1]) / 1000)
            fl = self.floor(["--one-page", self.main_url])
            if fl["rows"] != min(self.cfg["main_page"], self.main_orgs):
                raise Fail("floor --one-page read %d rows" % fl["rows"])
            page.append(fl["first_page_s"])
            p = subprocess.run(["curl", "-sS", "--noproxy", "*", "-o", "/dev/null", "-w", "%{time_total}",
                                "-H", "Authorization: Bearer " + TOKEN, url],
                               capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                raise Fail("curl: %s" % p.stderr)
            curl_t.append(float(p.stdout))
        self.fig["ttfr"] = summary(ttfr)
        self.fig["one_page"] = summary(page)
        self.fig["one_page_curl"] = summary(curl_t)

    # -- 7. profile --

    def profile(self):
        self.fig["profile"] = profile_split.run(
            work=self.work, psql=psql_bin(), db=DB, scans=self.cfg["profile_scans"],
            query="COPY (SELECT * FROM cf.organizations) TO '/dev/null'",
            rows=self.main_orgs, out_md=self.profile_md, smoke=self.a.mode == "smoke")

    # -- targets and output --

    def targets(self):
        f = self.fig
        t = []

        def add(name, value, goal, ok, shown, short=""):
            t.append({"target": name, "value": value, "goal": goal, "met": ok, "shown": shown,
                      "short": short})

        if "fdw_copy" in f and "floor" in f:
            r = f["fdw_copy"]["median"] / f["floor"]["median"]
            add("FDW full scan (every column) vs the floor", r, "≤ 1.2 ×", r <= 1.2,
                "%.2f × the floor" % r, "FDW COPY / floor")
        if "fdw_copy" in f and "transfer" in f and "local_copy" in f:
            r = f["fdw_copy"]["median"] / (f["transfer"]["median"] + f["local_copy"]["median"])
            add("FDW full scan vs transfer + local COPY", r, "≤ 1.3 ×", r <= 1.3,
                "%.2f × (1c + 1d)" % r, "FDW COPY / (transfer + local COPY)")
        if "fdw_copy" in f and "plpy" in f:
            r = f["plpy"]["median"] / f["fdw_copy"]["median"]
            add("FDW full scan vs the plpython3u function", r, "≥ 2.5 × faster", r >= 2.5,
                "%.2f × faster" % r, "plpython3u / FDW COPY")
        if "fan_c1" in f and "fan_c8" in f:
            r = f["fan_c1"]["median"] / f["fan_c8"]["median"]
            add("Fan-out, max_concurrency 8 vs 1", r, "≥ 6 × faster", r >= 6, "%.2f × faster" % r,
                "concurrency 1 / 8")
        if "mem_small" in f and "mem_big" in f:
            g = (f["mem_big"]["hwm_after_kb"] - f["mem_small"]["hwm_after_kb"]) / 1024
            add("Peak RSS growth, %s → %s rows" % (fmt_int(f["mem_small"]["rows"]), fmt_int(f["mem_big"]["rows"])),
                g, "< 10 MB", g < 10, "%+.1f MB" % g, "growth")
        if "ttfr" in f and "one_page" in f:
            r = f["ttfr"]["median"] / f["one_page"]["median"]
            add("Time to first row vs one page's request", r, "≤ 2 ×", r <= 2, "%.2f ×" % r,
                "first row / one page")
        return t

    def table(self, targets):
        f = self.fig
        L = []
        smoke = self.a.mode == "smoke"
        L.append("# cloudflare_fdw benchmark%s" % (" (SMOKE: tiny data, figures meaningless)" if smoke else ""))
        L.append("")
        L.append("Run %s on %s (%d cores), %s, %s; %d run(s) per figure: median (min – max). "
                 "Regenerated by `make bench`; see bench/README.md." % (
                     datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                     platform.machine(), os.cpu_count() or 0, pg_version(), curl_version(), self.runs))
        L.append("")
        L.append("Load average at start / end: %s / %s (other work on the machine shows up as spread)." % (
            self.load0, load_avg()))
        L.append("")
        if so_identity() != self.so0:
            L.append("**Note:** cloudflare_fdw.so was reinstalled on this machine during the run (another "
                     "build); the server kept the build it loaded at start for every measurement "
                     "(the profile restarts it when it needs the symbols).")
            L.append("")
        L.append("FDW servers: default options (page_size 1000, max_concurrency 4 unless stated) plus "
                 "max_requests and max_pages raised%s%s." % (
                     ", `%s` (shared rate budget off)" % self.rate_opt if self.rate_opt else
                     " (this build has no rate budget option)",
                     ", `%s`" % self.extra_opts if self.extra_opts else ""))
        L.append("")
        L.append("| # | measurement | data | median | min | max | per row / notes |")
        L.append("|---|---|---|---:|---:|---:|---|")
        n = f.get("rows", self.main_orgs)
        data = "%s orgs, %d pages of %d" % (fmt_int(n), -(-n // self.cfg["main_page"]), self.cfg["main_page"])

        def row(num, name, key, unit="s", notes="", dat=data, scale=1.0):
            if key not in f:
                L.append("| %s | %s | %s | — | — | — | not measured |" % (num, name, dat))
                return
            s = f[key]
            fm = (lambda v: "%.3f %s" % (v * scale, unit)) if unit else (lambda v: "%.0f" % v)
            L.append("| %s | %s | %s | %s | %s | %s | %s |" % (num, name, dat, fm(s["median"]), fm(s["min"]),
                                                          fm(s["max"]), notes))

        pages = -(-n // self.cfg["main_page"])

        def per_row(key, cpu_key=None):
            if key not in f:
                return ""
            s = "%.2f µs/row, %.0f pages/s" % (f[key]["median"] / n * 1e6, pages / f[key]["median"])
            if cpu_key and cpu_key in f:
                s += "; CPU %.2f s (%.2f µs/row)" % (f[cpu_key]["median"], f[cpu_key]["median"] / n * 1e6)
            return s

        if "emulator" in f:
            e = f["emulator"]
            L.append("| 0 | emulator, pre-serialised pages (pages/s) | %s | %.0f | %.0f | %.0f | "
                     "cached; cold first pass %.0f pages/s; %.0f kB/page |" % (
                         data, e["median"], e["min"], e["max"], e["cold"], e["page_bytes"] / 1000))
        row("1a", "FDW `COPY (SELECT * FROM organizations) TO '/dev/null'`", "fdw_copy",
            notes=per_row("fdw_copy", "fdw_copy_cpu") + " (backend)")
        row("1b", "FDW `SELECT count(*) FROM (SELECT FROM organizations OFFSET 0) s`", "fdw_count",
            notes=per_row("fdw_count", "fdw_count_cpu") + " (backend)")
        tnote = per_row("transfer")
        if "transfer" in f:
            tp = f.get("transfer_pages", {})
            tnote += "; %.1f MB; curl's time_total summed over the pages; the whole curl process " \
                     "(start, transfers, exit) %.3f s" % (tp.get("bytes", 0) / 1e6, f["transfer_wall"]["median"])
        row("1c", "transfer alone: one `curl -K` (the same page URLs), one keep-alive connection, "
            "bodies to /dev/null (curl's `time_total` summed)", "transfer", notes=tnote)
        lnote = per_row("local_copy", "local_copy_cpu") + " (backend)"
        if "local_table" in f:
            lnote += "; heap %.1f MB, %.1f MB with TOAST" % (f["local_table"]["heap_bytes"] / 1e6,
                                                            f["local_table"]["table_bytes"] / 1e6)
        row("1d", "local COPY: `COPY (SELECT * FROM %s) TO '/dev/null'` (same rows and column types)"
            % LOCAL_TABLE, "local_copy", notes=lnote)
        row("2", "floor: bench/floor.c (libcurl + json-c, keep-alive, every field)", "floor",
            notes=per_row("floor", "floor_cpu"))
        row("3a", "plpython3u SRF (urllib + json, follows page tokens)", "plpy", notes=per_row("plpy"))
        cnote = per_row("curl")
        if "curl_load" in f:
            cnote += "; load %.3f s + jsonb_to_recordset %.3f s" % (f["curl_load"]["median"],
                                                                  f["curl_select"]["median"])
        row("3b", "`COPY … FROM PROGRAM` (one curl per page) into jsonb + `jsonb_to_recordset`", "curl",
            notes=cnote)
        if "fan" in f:
            fd = f["fan"]
            fdat = "%d orgs × %d members, %d ms/request, %d requests" % (fd["orgs"], fd["members"],
                                                                       fd["latency_ms"], fd["requests"])
            row("4a", "fan-out `COPY (SELECT * FROM organization_members)`, max_concurrency 1", "fan_c1",
                dat=fdat)
            row("4b", "fan-out, max_concurrency 8", "fan_c8", dat=fdat)
        for num, key in (("5a", "mem_small"), ("5b", "mem_big")):
            if key in f:
                m = f[key]
                L.append("| %s | backend peak RSS (VmHWM) after `COPY (SELECT * …)` | %s orgs | %.1f MB | — | — | "
                         "%.1f MB at session start; scan took %.1f s%s |" % (
                             num, fmt_int(m["rows"]), m["hwm_after_kb"] / 1024, m["hwm_before_kb"] / 1024,
                             m["seconds"], " (cold emulator: its pages are built on demand)" if key == "mem_big" else ""))
        row("6a", "time to first row: `DECLARE` + first `FETCH` of a cursor, fresh session", "ttfr",
            unit="ms", scale=1000, dat="first page of %d" % self.cfg["main_page"])
        row("6b", "one page's request: floor `--one-page` (connect, GET, parse, walk)", "one_page",
            unit="ms", scale=1000, dat="first page of %d" % self.cfg["main_page"])
        row("6c", "one page's request: curl `time_total` (transfer only)", "one_page_curl",
            unit="ms", scale=1000, dat="first page of %d" % self.cfg["main_page"])
        L.append("")
        L.append("## Targets")
        L.append("")
        L.append("| target | measured | goal | result |")
        L.append("|---|---:|---|---|")
        for t in targets:
            # a smoke run's tiny data cannot judge a target: it says so
            # instead of a verdict that would read as a failure
            res = ("met" if t["met"] else "**missed**") if not smoke else "not judged (smoke run)"
            L.append("| %s | %s | %s | %s |" % (t["target"], t["shown"], t["goal"], res))
        if "profile" in f and f["profile"]:
            L.append("")
            L.append("## Where the FDW's time goes (profile of the full scan, see profile.md)")
            L.append("")
            L.append(profile_split.short_table(f["profile"]))
        failed = [s for s in self.steps if not s[1]]
        if failed:
            L.append("")
            L.append("## Measurements that could not be taken")
            L.append("")
            for s in failed:
                L.append("- %s: %s" % (s[0], s[2].splitlines()[-1] if s[2] else "?"))
        L.append("")
        return "\n".join(L)

    def chart(self, png, datdir):
        """The same figures as a 2×2 gnuplot chart (bars: median, whiskers: min–max)."""
        if not shutil.which("gnuplot"):
            raise Fail("gnuplot is missing (gnuplot-nox)")
        f = self.fig
        panels = []
        verdict = {}
        for t in self.targets():
            verdict[t["target"]] = "%s: %s, goal %s: %s" % (
                t["short"], t["shown"].replace(" the floor", "").replace(" faster", ""),
                t["goal"].replace(" faster", ""), "met" if t["met"] else "MISSED")

        def sub(*words):
            out = ""
            for k, v in verdict.items():
                if any(w in k for w in words):
                    out += "\\n" + v.replace("×", "x").replace("≤", "<=").replace("≥", ">=")
            return out

        def write(name, rows):
            path = os.path.join(datdir, name + ".dat")
            with open(path, "w") as fh:
                for i, (label, med, lo, hi) in enumerate(rows):
                    fh.write('%d "%s" %g %g %g\n' % (i, label, med, lo, hi))
            return path

        scan = [(lbl, f[k]["median"], f[k]["min"], f[k]["max"]) for lbl, k in (
            ("floor (C)", "floor"), ("FDW COPY *", "fdw_copy"), ("FDW count(*)", "fdw_count"),
            ("transfer (curl)", "transfer"), ("local COPY", "local_copy"), ("plpython3u", "plpy"),
            ("curl+jsonb", "curl")) if k in f]
        if scan:
            panels.append((write("scan", scan), "Full scan of %s organizations%s" % (
                fmt_int(f.get("rows", 0)), sub("the floor", "transfer", "plpython3u")), "seconds"))
        fan = [(lbl, f[k]["median"], f[k]["min"], f[k]["max"]) for lbl, k in (
            ("concurrency 1", "fan_c1"), ("concurrency 8", "fan_c8")) if k in f]
        if fan:
            panels.append((write("fan", fan), "Fan-out: members of %d organizations, %d ms/request%s" % (
                self.cfg["fan_orgs"], self.cfg["fan_latency_ms"], sub("Fan-out")), "seconds"))
        mem = []
        for k in ("mem_small", "mem_big"):
            if k in f:
                v = f[k]["hwm_after_kb"] / 1024
                mem.append(("%s rows" % fmt_int(f[k]["rows"]), v, v, v))
        if mem:
            panels.append((write("mem", mem), "Backend peak RSS (VmHWM) after the scan%s" % sub("Peak RSS"), "MB"))
        first = [(lbl, f[k]["median"] * 1000, f[k]["min"] * 1000, f[k]["max"] * 1000) for lbl, k in (
            ("FDW first row", "ttfr"), ("one page (floor)", "one_page"), ("one page (curl)", "one_page_curl"))
            if k in f]
        if first:
            panels.append((write("first", first), "Time to first row vs one page's request%s" % sub("Time to first"),
                           "ms"))
        if not panels:
            raise Fail("nothing to chart")
        gp = ["set terminal pngcairo size 1400,1000 font 'sans,10'" if gnuplot_has("pngcairo")
              else "set terminal png size 1400,1000",
              "set output '%s'" % png,
              "set multiplot layout 2,2 title 'cloudflare\\_fdw benchmark%s (median; whiskers: min-max)'" % (
                  " SMOKE" if self.a.mode == "smoke" else ""),
              "set style fill solid 0.6 border -1", "set boxwidth 0.6", "set grid ytics",
              "set yrange [0:*]", "unset key", "set xtics nomirror", "set offsets 0.5,0.5,0,0"]
        for path, title, unit in panels:
            gp.append("set title \"%s\"" % title.replace('"', "'"))
            # the full scan's seven labels would overlap side by side
            with open(path) as fh:
                many = len(fh.readlines()) > 5
            gp.append("set xtics rotate by 25 right" if many else "set xtics norotate")
            gp.append("set ylabel '%s'" % unit)
            gp.append("plot '%s' using 1:3:xtic(2) with boxes lc rgb '#4477aa', "
                      "'' using 1:3:4:5 with yerrorbars lc rgb 'black' pt 0, "
                      "'' using 1:5:(sprintf('%%.3g', $3)) with labels offset 0,1" % path)
        gp.append("unset multiplot")
        p = subprocess.run(["gnuplot"], input="\n".join(gp) + "\n", capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(png):
            raise Fail("gnuplot failed: %s" % p.stderr.strip()[-500:])

    # -- the whole run --

    def run(self):
        a = self.a
        self.load0 = load_avg()
        self.so0 = so_identity()
        smoke = a.mode == "smoke"
        out_dir = a.results or os.path.join(self.work, "results")
        os.makedirs(out_dir, exist_ok=True)
        self.profile_md = os.path.join(out_dir, "profile.md")
        try:
            self.step("set-up (emulators, servers, functions)", self.setup)
            if not self.steps[-1][1]:
                return self.finish(out_dir)
            self.step("0. emulator pages/s", self.emulator_speed)
            if a.mode == "profile":
                self.step("7. profile of the full scan", self.profile)
                return self.finish_profile()
            self.step("1-3. full scan: FDW, transfer alone, local COPY, floor, plpython3u, "
                      "COPY FROM PROGRAM curl", self.full_scan)
            self.step("4. fan-out, max_concurrency 1 and 8", self.fanout)
            self.step("5. memory: peak RSS after small and big scans", self.memory)
            self.step("6. time to first row vs one page", self.first_row)
            if not a.no_profile:
                self.step("7. profile of the full scan", self.profile)
        finally:
            self.emus.stop_all()
        return self.finish(out_dir, smoke)

    def finish_profile(self):
        if "profile" in self.fig:
            with open(self.profile_md) as fh:
                print(fh.read())
            print("written: %s" % self.profile_md)
        bad = sum(1 for s in self.steps if not s[1])
        return 0 if bad == 0 else 1

    def finish(self, out_dir, smoke=False):
        targets = self.targets()
        md = self.table(targets)
        with open(os.path.join(out_dir, "latest.md"), "w") as fh:
            fh.write(md)
        with open(os.path.join(out_dir, "latest.json"), "w") as fh:
            json.dump({"mode": self.a.mode, "runs": self.runs, "figures": self.fig, "targets": targets,
                       "steps": self.steps}, fh, indent=1, default=str)
            fh.write("\n")
        datdir = os.path.join(self.work, "chart")
        os.makedirs(datdir, exist_ok=True)
        self.step("chart (gnuplot)", lambda: self.chart(os.path.join(out_dir, "latest.png"), datdir))
        print()
        print(md)
        if not smoke:
            print("written: %s/latest.md, latest.png, latest.json%s" % (
                out_dir, ", profile.md" if "profile" in self.fig else ""))
        for t in targets:
            print("target: %-55s %-22s goal %-16s %s" % (t["target"], t["shown"], t["goal"],
                                                          "not judged (smoke)" if smoke
                                                          else "met" if t["met"] else "MISSED"))
        ok = sum(1 for s in self.steps if s[1])
        bad = sum(1 for s in self.steps if not s[1])
        if smoke:
            print("%d passed, %d failed" % (ok, bad))
        else:
            print("bench: %d measurement steps taken, %d could not be taken" % (ok, bad))
        return 0 if bad == 0 else 1


def so_identity():
    """(mtime, size) of the installed cloudflare_fdw.so, to notice a
    reinstall during the run."""
    try:
        libdir = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--pkglibdir"],
                                capture_output=True, text=True).stdout.strip()
        st = os.stat(os.path.join(libdir, "cloudflare_fdw.so"))
        return (int(st.st_mtime), st.st_size)
    except OSError:
        return None


def fmt_int(n):
    return "{:,}".format(n)


def load_avg():
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


def curl_version():
    try:
        p = subprocess.run(["pkg-config", "--modversion", "libcurl", "json-c"], capture_output=True, text=True)
        v = p.stdout.split()
        return "libcurl %s, json-c %s" % (v[0], v[1])
    except (OSError, IndexError):
        return "libcurl ?, json-c ?"


_gnuplot_terms = None


def gnuplot_has(term):
    global _gnuplot_terms
    if _gnuplot_terms is None:
        p = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _gnuplot_terms = p.stdout + p.stderr
    return re.search(r"^\s*%s\s" % term, _gnuplot_terms, re.M) is not None


# ---- the alternatives without the FDW ------------------------------------------

PLPY_SQL = r"""
CREATE EXTENSION plpython3u;
-- What a user writes without the FDW: urllib + json, following page tokens,
-- one new connection per page (urllib has no keep-alive), the same columns.
CREATE FUNCTION bench_py_organizations(api_url text, token text, page_size int DEFAULT 1000)
RETURNS TABLE (id text, name text, create_time timestamptz, parent_id text,
               parent_name text, managed_by text, meta jsonb, profile jsonb)
LANGUAGE plpython3u AS $py$
import json
import urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
tok = None
while True:
    url = "%s/organizations?page_size=%d" % (api_url, page_size)
    if tok:
        url += "&page_token=" + tok
    with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as r:
        page = json.load(r)
    for o in page["result"]:
        parent = o.get("parent") or {}
        meta = o.get("meta")
        profile = o.get("profile")
        yield (o.get("id"), o.get("name"), o.get("create_time"),
               parent.get("id"), parent.get("name"),
               meta.get("managed_by") if meta is not None else None,
               json.dumps(meta) if meta is not None else None,
               json.dumps(profile) if profile is not None else None)
    tok = (page.get("result_info") or {}).get("next_page_token")
    if not tok:
        break
$py$;
"""

# One curl per page (a new process and connection each): the next page's URL
# needs the token from the previous body.  Each compact JSON page is one line.
CURL_SCRIPT = r"""#!/bin/sh
# curl_pages.sh API_URL TOKEN PAGE_SIZE: every page of GET /organizations,
# one JSON body per line (written by bench/bench.py for COPY ... FROM PROGRAM).
set -e
url="$1" token="$2" ps="$3" tok=""
while :; do
	q="page_size=$ps"
	[ -z "$tok" ] || q="$q&page_token=$tok"
	body=$(curl -sS --fail --noproxy '*' -H "Authorization: Bearer $token" "$url/organizations?$q")
	printf '%s\n' "$body"
	tok=$(printf '%s' "$body" | tail -c 400 | sed -n 's/.*"next_page_token":"\([^"]*\)".*/\1/p')
	[ -n "$tok" ] || break
done
"""

# COPY's CSV mode with a quote and a delimiter that never occur in JSON keeps
# backslashes intact (text mode would read \" and \n as escapes).
CURL_SQL = r"""BEGIN;
CREATE TEMP TABLE pages (j jsonb) ON COMMIT DROP;
\timing on
COPY pages FROM PROGRAM 'sh %(script)s %(url)s %(token)s %(page)d' WITH (format csv, quote e'\x01', delimiter e'\x02');
COPY (SELECT r.id, r.name, r.create_time, r.parent->>'id', r.parent->>'name',
             r.meta->>'managed_by', r.meta, r.profile
        FROM pages, jsonb_to_recordset(pages.j->'result')
             AS r(id text, name text, create_time timestamptz, parent jsonb, meta jsonb, profile jsonb))
  TO '/dev/null';
\timing off
COMMIT;
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("full", "smoke", "profile"), default="full")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", required=True, help="temp folder (0755) for scripts, data, logs")
    ap.add_argument("--main-orgs", type=int, required=True, help="organizations of the test bed's emulator")
    ap.add_argument("--floor", required=True, help="bench/build/floor")
    ap.add_argument("--results", help="folder for latest.md/png/json and profile.md (default: WORK/results)")
    ap.add_argument("--no-profile", action="store_true")
    a = ap.parse_args()
    if a.mode == "smoke":
        a.runs = 1
    def on_signal(signum, _frame):
        raise Interrupted(signum)
    # set even when the caller left them ignored (a background job)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        return Bench(a).run()
    except Interrupted as e:
        print("bench: interrupted (signal %d); no results written" % e.args[0], file=sys.stderr)
        return 128 + e.args[0]


if __name__ == "__main__":
    sys.exit(main())
