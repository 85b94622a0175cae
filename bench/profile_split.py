#!/usr/bin/env python3
"""bench/profile_split.py: where a cloudflare_fdw backend spends its CPU.

Used by bench/bench.py (step 7) and bench/profile.sh.  Profiles one backend
while it runs a query a few times, then splits the samples into phases by
their call chains: for each sample the frames are read from the leaf up and
the first frame that names a phase decides (so palloc under cf_page_items
counts as scanning, pushJsonbValue under cf_text_to_datum as conversion;
jsonscan.c's cf_js_value counts as scanning wherever it is called from,
including page.c skipping the fields no column reads).

Tools, first that works:
  perf    perf record -e cpu-clock --call-graph dwarf -p BACKEND (needs root,
          or perf_event_paranoid <= 1 for a server running as another user);
          `perf stat -e instructions` is not needed (VMs often lack hardware
          counters; cpu-clock sampling works there)
  callgrind  valgrind --tool=callgrind on a single-user backend
          (postgres --single), the cluster stopped meanwhile; inclusive
          costs of the same phase functions

Run by hand against a running test bed (eval "$(scripts/testbed.sh env)"):
  python3 bench/profile_split.py --db DB --query "COPY (...) TO '/dev/null'" \
      --rows N --out profile.md
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time

# Phases, in the order of the report.
PHASES = [
    ("transfer", "transfer: libcurl, sockets, kernel, waiting for the socket"),
    ("checks", "body checks in http.c (UTF-8 validation, size, head copy)"),
    ("parse", "JSON scanning: checking and indexing each page, skipping unread fields (jsonscan.c, page.c); json-c where still used"),
    ("free", "freeing JSON trees (json_object_put, glibc's malloc_consolidate); scans no longer build any"),
    ("convert", "conversion to Datums (page.c's row walk, convert.c: text, timestamptz, jsonb)"),
    ("tuple", "tuple forming (slot store/clear, heap_form_tuple)"),
    ("glue", "FDW scan glue (iterate loop, paging guards, context resets)"),
    ("output", "PostgreSQL COPY output (output functions, COPY text) — not the FDW"),
    ("other", "other (executor, planner, unresolved frames)"),
]
PHASE_NAMES = dict(PHASES)

# Frames that name a phase.  Exact symbol names first, then DSO rules.
SYMBOLS = {
    # transfer
    "cf_http_socket_action": "transfer", "curl_multi_socket_action": "transfer",
    "curl_multi_perform": "transfer", "curl_multi_add_handle": "transfer",
    "curl_multi_remove_handle": "transfer", "curl_easy_init": "transfer",
    "curl_easy_cleanup": "transfer", "curl_easy_setopt": "transfer",
    "cf_http_start": "transfer", "cf_http_setup": "transfer", "cf_http_release": "transfer",
    "cf_http_socket_cb": "transfer", "cf_http_timer_cb": "transfer",
    "cf_http_header_cb": "transfer", "cf_http_finish": "transfer",
    "WaitEventSetWait": "transfer", "WaitEventAdjustEpoll": "transfer",
    "CreateWaitEventSet": "transfer", "FreeWaitEventSet": "transfer",
    "AddWaitEventToSet": "transfer", "ModifyWaitEvent": "transfer",
    # body checks
    "cf_http_write_cb": "checks", "cf_http_utf8_feed": "checks", "cf_http_all_space": "checks",
    # parsing
    "json_tokener_parse_ex": "parse", "cf_http_json_feed": "parse",
    "cf_js_value": "parse", "cf_js_string": "parse", "cf_js_number": "parse",
    "cf_js_literal": "parse", "cf_page_parse": "parse", "cf_page_items": "parse",
    "cf_exec_read_page": "parse", "cf_http_raw_feed": "checks",
    "json_tokener_parse": "parse", "json_tokener_parse_verbose": "parse",
    # freeing
    "json_object_put": "free", "cf_cache_free": "free", "cf_root_owner_free": "free",
    # glibc merges the thousands of small chunks a freed page tree leaves in
    # its fastbins at the next large malloc, whoever makes it
    "malloc_consolidate": "free",
    # conversion
    "cf_json_to_datum": "convert", "cf_json_lookup": "convert", "cf_parse_timestamptz": "convert",
    "cf_push_jsonb": "convert", "cf_json_text": "convert", "cf_json_to_array": "convert",
    "cf_digits": "convert", "cf_store_row": "convert", "InputFunctionCall": "convert",
    "cstring_to_text_with_len": "convert", "cstring_to_text": "convert",
    "pushJsonbValue": "convert", "JsonbValueToJsonb": "convert",
    "cf_page_row": "convert", "cf_row_object": "convert", "cf_row_nulls": "convert",
    "cf_read_key": "convert", "cf_text_to_datum": "convert", "cf_text_push_jsonb": "convert",
    "cf_text_jsonb_string": "convert", "cf_time_datum": "convert", "cf_text_slow": "convert",
    "cf_js_unescape": "convert", "cf_page_field": "convert", "cf_page_string": "convert",
    # tuple forming
    "ExecStoreVirtualTuple": "tuple", "ExecClearTuple": "tuple", "heap_form_tuple": "tuple",
    "ExecCopySlot": "tuple", "ExecMaterializeSlot": "tuple", "slot_getallattrs": "tuple",
    "slot_getsomeattrs_int": "tuple", "tts_virtual_clear": "tuple", "tts_virtual_materialize": "tuple",
    "ExecFetchSlotHeapTuple": "tuple",
    # FDW glue
    "cloudflareIterateForeignScan": "glue", "cf_fetch_round": "glue", "cf_stream_response": "glue",
    "cf_page_edges_hash": "glue", "cf_stream_request": "glue", "cf_execute_cached": "glue",
    "cf_scan_start": "glue", "cloudflareBeginForeignScan": "glue", "cloudflareEndForeignScan": "glue",
    "MemoryContextReset": "glue",
    # COPY output and other PostgreSQL output work
    "OutputFunctionCall": "output", "DoCopyTo": "output", "CopyOneRowTo": "output",
    "CopySendData": "output", "CopySendEndOfRow": "output", "CopyAttributeOutText": "output",
    "textout": "output", "timestamptz_out": "output", "jsonb_out": "output",
    "JsonbToCString": "output", "printtup": "output",
    # the executor around it
    "standard_ExecutorRun": "other", "ExecutePlan": "other", "ExecScan": "other",
    "exec_simple_query": "other", "PostgresMain": "other",
}
# request.c and the rest of http.c: every cf_request_* / cf_wait_* frame is
# transfer (driving libcurl, waiting on its sockets, retries).
PREFIXES = [("cf_request", "transfer"), ("cf_wait", "transfer"), ("cf_http_", "transfer"),
            ("Curl_", "transfer"), ("json_tokener", "parse"), ("cf_conv", "convert")]
DSOS = [(re.compile(r"libcurl"), "transfer"), (re.compile(r"libssl|libcrypto|libnghttp|libz\b"), "transfer")]


def classify(frames):
    """frames: [(sym, dso)] leaf first.  Returns a phase."""
    kernel_leaf = False
    for i, (sym, dso) in enumerate(frames):
        base = sym.split("+", 1)[0]
        if base in SYMBOLS:
            return SYMBOLS[base]
        for pre, ph in PREFIXES:
            if base.startswith(pre):
                return ph
        for rx, ph in DSOS:
            if rx.search(dso):
                return ph
        if i == 0 and ("kernel" in dso or dso.startswith("[")):
            kernel_leaf = True
    return "transfer" if kernel_leaf and len(frames) <= 2 else "other"


# ---- perf ----------------------------------------------------------------------------


def perf_usable(work):
    if not shutil.which("perf"):
        return False, "perf is not installed"
    data = os.path.join(work, "perf_check.data")
    p = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", data, "--", "true"],
                       capture_output=True, text=True)
    try:
        os.unlink(data)
    except OSError:
        pass
    if p.returncode != 0:
        return False, "perf record does not work here: " + p.stderr.strip()[-200:]
    return True, ""


def log(msg):
    print("==> profile: %s" % msg, file=sys.stderr, flush=True)


def pg_ctl(args):
    """Runs pg_ctl on the test bed's cluster as the server's OS user."""
    bindir = os.environ["CF_PG_BINDIR"]
    run_as = os.environ.get("CF_PG_RUN_AS", "")
    cmd = [os.path.join(bindir, "pg_ctl"), "-w", "-D", os.environ["CF_PGDATA"]] + args
    if run_as:
        cmd = ["runuser", "-u", run_as, "--"] + cmd
    return subprocess.run(cmd, cwd="/", capture_output=True, text=True)


def stale_library(pid):
    """True when the backend maps a cloudflare_fdw.so that was replaced on
    disk since the server started (another `make install`): perf could not
    read its symbols."""
    try:
        with open("/proc/%d/maps" % pid) as fh:
            return any("cloudflare_fdw" in line and "(deleted)" in line for line in fh)
    except OSError:
        return False


def session_script(work, query, scans):
    """A psql script that publishes its backend's pid, waits for the
    profiler, runs the query SCANS times and reports the time."""
    ready = os.path.join(work, "profiler.ready")
    lines = ["SELECT pg_backend_pid() AS bench_pid \\gset",
             "\\setenv BENCH_BACKEND_PID :bench_pid",
             "\\! echo $BENCH_BACKEND_PID > '%s/backend.pid'" % work,
             "\\! i=0; while [ ! -f '%s' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done" % ready,
             "\\timing on"]
    lines += ["%s;" % query] * scans
    return "\n".join(lines) + "\n"


def wait_file(path, proc, timeout=60):
    for _ in range(int(timeout * 10)):
        if os.path.exists(path) and os.path.getsize(path) > 0:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


class PerfUnavailable(Exception):
    """perf record could not attach to the backend."""


class StaleLibrary(Exception):
    """The server maps a cloudflare_fdw.so that is no longer on disk."""


def run_perf(work, psql, db, scans, query):
    """Samples the backend of one psql session running QUERY SCANS times.
    Returns (samples, scan times in ms)."""
    for f in ("backend.pid", "profiler.ready"):
        try:
            os.unlink(os.path.join(work, f))
        except OSError:
            pass
    script = os.path.join(work, "profile_session.sql")
    with open(script, "w") as fh:
        fh.write(session_script(work, query, scans))
    sess = subprocess.Popen([psql, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", script],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = os.path.join(work, "profiler.ready")
    pidfile = os.path.join(work, "backend.pid")
    perf = None
    try:
        if not wait_file(pidfile, sess):
            raise RuntimeError("profiling session did not start: %s" % sess.stderr.read()[-500:])
        with open(pidfile) as fh:
            pid = int(fh.read().strip())
        if stale_library(pid):
            raise StaleLibrary()
        data = os.path.join(work, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(FREQ),
                                 "--call-graph", "dwarf,16384", "-p", str(pid), "-o", data],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        with open(os.path.join(work, "perf.pid"), "w") as fh:
            fh.write("%d\n" % perf.pid)
        time.sleep(1.0)  # perf attaches
        if perf.poll() is not None:
            raise PerfUnavailable("perf record could not attach to the backend: %s" % perf.stderr.read()[-300:])
    except BaseException:
        open(ready, "w").close()  # ends the session's wait loop (a child of psql)
        sess.kill()
        sess.communicate()
        if perf is not None and perf.poll() is None:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        raise
    finally:
        open(ready, "w").close()
    log("perf attached to backend %d; %d scan(s)" % (pid, scans))
    out, err = sess.communicate(timeout=1800)
    if sess.returncode != 0:
        perf.send_signal(signal.SIGINT)
        perf.wait(60)
        raise RuntimeError("profiled query failed: %s" % err.strip()[-500:])
    # the backend exits with the session; perf then ends by itself
    try:
        perf.wait(60)
    except subprocess.TimeoutExpired:
        perf.send_signal(signal.SIGINT)
        perf.wait(60)
    times = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
    log("scans done (%s ms); perf script" % ", ".join("%.0f" % t for t in times))
    p = subprocess.run(["perf", "script", "-i", data, "-F", "comm,tid,ip,sym,dso"],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0:
        raise RuntimeError("perf script failed: %s" % p.stderr[-500:])
    samples = parse_perf_script(p.stdout)
    os.unlink(data)
    return samples, times


def parse_perf_script(text):
    """Lists of (sym, dso) frames, leaf first, one per sample."""
    samples, cur = [], None
    frame = re.compile(r"^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$")
    for line in text.splitlines():
        if not line.strip():
            if cur:
                samples.append(cur)
            cur = None
            continue
        if not line[0].isspace():
            if cur:
                samples.append(cur)
            cur = []
            continue
        m = frame.match(line)
        if m and cur is not None:
            cur.append((m.group(1), m.group(2)))
    if cur:
        samples.append(cur)
    return samples


# ---- callgrind ---------------------------------------------------------------------------


def run_callgrind(work, psql, db, scans, query):
    """valgrind --tool=callgrind on the test bed's server: the cluster is
    stopped, started again under callgrind (backends are forked, so each
    one writes its own callgrind.out.PID), the query runs in one session,
    and the cluster goes back to normal.  (Not postgres --single: the FDW
    waits on the postmaster-death event, which a stand-alone backend lacks.)
    Returns ({phase: Ir}, total Ir)."""
    bindir = os.environ["CF_PG_BINDIR"]
    pgdata = os.environ["CF_PGDATA"]
    pglog = os.environ.get("CF_PG_LOG", os.path.join(work, "pg.log"))
    run_as = os.environ.get("CF_PG_RUN_AS", "")
    cg = os.path.join(work, "callgrind")
    os.makedirs(cg, exist_ok=True)

    def pg_cmd(cmd):
        return (["runuser", "-u", run_as, "--"] + cmd) if run_as else cmd

    if run_as:
        subprocess.run(["chown", run_as, cg], check=True)
    pg_ctl = os.path.join(bindir, "pg_ctl")
    subprocess.run(pg_cmd([pg_ctl, "-w", "-D", pgdata, "-m", "fast", "stop"]), cwd=cg, capture_output=True)
    server = None
    try:
        with open(os.path.join(cg, "server.log"), "w") as logf:
            server = subprocess.Popen(pg_cmd(["valgrind", "--tool=callgrind", "--quiet",
                                              "--callgrind-out-file=" + os.path.join(cg, "callgrind.out.%p"),
                                              os.path.join(bindir, "postgres"), "-D", pgdata]),
                                      cwd=cg, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
        for _ in range(1200):
            if subprocess.run([os.path.join(bindir, "pg_isready"), "-q"]).returncode == 0:
                break
            if server.poll() is not None:
                raise RuntimeError("the server did not start under callgrind; see %s/server.log" % cg)
            time.sleep(0.1)
        sql = "SELECT 'PID ' || pg_backend_pid();\n" + "".join("%s;\n" % query for _ in range(scans))
        p = subprocess.run([psql, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db], input=sql,
                           capture_output=True, text=True, timeout=3600)
        if p.returncode != 0:
            raise RuntimeError("query under callgrind failed: %s" % p.stderr[-500:])
        pid = re.search(r"^PID ([0-9]+)$", p.stdout, re.M).group(1)
    finally:
        subprocess.run(pg_cmd([pg_ctl, "-w", "-t", "300", "-D", pgdata, "-m", "fast", "stop"]),
                       cwd=cg, capture_output=True)
        if server is not None:
            try:
                server.wait(120)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        subprocess.run(pg_cmd([pg_ctl, "-w", "-D", pgdata, "-l", pglog, "start"]), cwd=cg,
                       capture_output=True)
    out = os.path.join(cg, "callgrind.out." + pid)
    a = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", out],
                       capture_output=True, text=True)
    if a.returncode != 0:
        raise RuntimeError("callgrind_annotate failed: %s" % a.stderr[-300:])
    return parse_callgrind(a.stdout)


def parse_callgrind(text):
    """Inclusive Ir of the phases' entry functions; nested phases are
    subtracted from their callers (parsing runs inside the transfer, the
    conversion inside the iterate loop)."""
    incl = {}
    total = None
    for line in text.splitlines():
        m = re.match(r"^\s*([0-9,]+)\s.*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
            continue
        m = re.match(r"^\s*([0-9,]+)\s+(?:\([^)]*\)\s+)?(?:\S*?:)?([A-Za-z_][A-Za-z0-9_]*)(?:'\d+)?\s", line)
        if m:
            v = int(m.group(1).replace(",", ""))
            incl[m.group(2)] = max(incl.get(m.group(2), 0), v)

    def get(*names):
        return sum(incl.get(n, 0) for n in names)
    parse = get("json_tokener_parse_ex")
    checks = get("cf_http_utf8_feed")
    free = get("json_object_put") + get("malloc_consolidate")
    convert = get("cf_store_row")
    transfer = max(get("curl_multi_socket_action") - parse - checks, 0)
    iterate = get("cloudflareIterateForeignScan")
    glue = max(iterate - convert - transfer - parse - checks - free, 0)
    output = max(get("DoCopyTo") - iterate, 0)
    total = total or 1
    split = {"transfer": transfer, "checks": checks, "parse": parse, "free": free, "convert": convert,
             "tuple": 0, "glue": glue, "output": output}
    split["other"] = max(total - sum(split.values()), 0)
    return split, total


# ---- report ---------------------------------------------------------------------------


FREQ = 997


def run(work, psql, db, scans, query, rows, out_md, smoke=False):
    """Profiles, writes out_md, returns the figures (dict)."""
    want = os.environ.get("BENCH_PROFILER", "auto")
    why = "BENCH_PROFILER=callgrind"
    samples = None
    if want in ("auto", "perf"):
        ok, why = perf_usable(work)
        if ok:
            try:
                for attempt in range(3):
                    try:
                        samples, times = run_perf(work, psql, db, scans, query)
                    except StaleLibrary:
                        # cloudflare_fdw.so was reinstalled since the server
                        # started: restart it so that it maps the file on disk
                        log("cloudflare_fdw.so changed on disk; restarting the server")
                        r = pg_ctl(["-m", "fast", "-l", os.environ.get("CF_PG_LOG", "/dev/null"), "restart"])
                        log("restarted (pg_ctl exit %d)" % r.returncode)
                        continue
                    # FDW frames that resolve to nothing: the .so changed
                    # during the profile; once more
                    if any(f[0].startswith("cloudflareIterateForeignScan") for s in samples for f in s):
                        break
            except PerfUnavailable as e:
                if want == "perf":
                    raise RuntimeError(str(e))
                why = str(e)
                samples = None
        elif want == "perf":
            raise RuntimeError(why)
    warn = ""
    if samples is not None:
        if not samples:
            raise RuntimeError("perf recorded no samples")
        if not any(f[0].startswith("cloudflareIterateForeignScan") for s in samples for f in s):
            warn = ("no sample resolved to cloudflareIterateForeignScan: was cloudflare_fdw.so "
                    "reinstalled during the run?  The split below is unreliable.")
        counts = {k: 0 for k, _ in PHASES}
        leafs = {}
        folded = {}
        for smp in samples:
            ph = classify(smp)
            counts[ph] += 1
            leaf = "%s (%s)" % (smp[0][0].split("+", 1)[0], os.path.basename(smp[0][1])) if smp else "?"
            leafs.setdefault(ph, {}).setdefault(leaf, 0)
            leafs[ph][leaf] += 1
            key = ph + ";" + ";".join(
                (f[0].split("+", 1)[0] if f[0] != "[unknown]" else "[%s]" % os.path.basename(f[1]))
                for f in reversed(smp))
            folded[key] = folded.get(key, 0) + 1
        # folded stacks (root first): for a flame graph, or a closer look
        with open(os.path.join(work, "perf.folded"), "w") as fh:
            for k, v in sorted(folded.items(), key=lambda kv: -kv[1]):
                fh.write("%s %d\n" % (k, v))
        total = sum(counts.values())
        tool = "perf record -e cpu-clock -F %d --call-graph dwarf (%d samples)" % (FREQ, total)
        top = {ph: sorted(d.items(), key=lambda kv: -kv[1])[:6] for ph, d in leafs.items()}
        ms = {k: counts[k] / FREQ / scans * 1000 for k, _ in PHASES}
    else:
        if not shutil.which("valgrind"):
            raise RuntimeError("no profiler: %s, and valgrind is missing" % why)
        scans = 1  # callgrind runs some 50 times slower
        counts, total = run_callgrind(work, psql, db, scans, query)
        times = []
        tool = "valgrind --tool=callgrind on postgres --single (%s instructions; perf not used: %s)" % (
            "{:,}".format(total), why.strip().splitlines()[-1] if why.strip() else "?")
        top = {}
        ms = None
    fig = {"tool": tool, "query": query, "scans": scans, "rows": rows, "times_ms": times,
           "split": {k: counts[k] / total * 100 for k, _ in PHASES}, "ms_per_scan": ms,
           "top": top, "total": total, "warning": warn}
    write_md(fig, out_md, smoke)
    return fig


def short_table(fig):
    ms = fig.get("ms_per_scan")
    if ms:
        L = ["| phase | share of backend CPU | CPU ms per scan |", "|---|---:|---:|"]
    else:
        L = ["| phase | share of backend instructions |", "|---|---:|"]
    for k, name in PHASES:
        if ms:
            L.append("| %s | %.1f %% | %.0f |" % (name, fig["split"][k], ms[k]))
        else:
            L.append("| %s | %.1f %% |" % (name, fig["split"][k]))
    return "\n".join(L)


def write_md(fig, path, smoke):
    L = ["# Where a full scan's backend CPU goes%s" % (" (SMOKE: tiny data)" if smoke else ""), ""]
    L.append("Query: `%s`, %d time(s) in one session, %s rows each; tool: %s." % (
        fig["query"], fig["scans"], "{:,}".format(fig["rows"]), fig["tool"]))
    if fig["times_ms"]:
        L.append("Scan times under the profiler: %s ms." % ", ".join("%.0f" % t for t in fig["times_ms"]))
    if fig.get("warning"):
        L.append("")
        L.append("**Warning:** " + fig["warning"])
    L.append("")
    L.append("Each sample goes to the first frame, from the leaf up, that names a phase "
             "(bench/profile_split.py lists them): palloc under cf_page_items is scanning, "
             "pushJsonbValue under cf_text_to_datum is conversion.  Only time on the CPU "
             "is sampled: waiting for the emulator is not in here (wall-clock figures: latest.md).  "
             "Regenerate with `make bench` or `bench/profile.sh`.")
    L.append("")
    L.append(short_table(fig))
    if fig["top"]:
        L.append("")
        L.append("## Hottest leaf functions per phase (share of all samples)")
        L.append("")
        for k, name in PHASES:
            if k not in fig["top"]:
                continue
            items = ", ".join("%s %.1f %%" % (leaf, c / fig["total"] * 100) for leaf, c in fig["top"][k])
            L.append("- **%s**: %s" % (k, items))
    L.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--query", required=True)
    ap.add_argument("--rows", type=int, default=0)
    ap.add_argument("--scans", type=int, default=3)
    ap.add_argument("--work", default=None)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    import tempfile
    work = a.work or tempfile.mkdtemp(prefix="cf_profile.")
    os.chmod(work, 0o755)
    psql = os.path.join(os.environ["CF_PG_BINDIR"], "psql")
    fig = run(work, psql, a.db, a.scans, a.query, a.rows, a.out)
    print(short_table(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
