#!/usr/bin/env python3
"""prepare.py: the proxy suite, i.e. the project's pg_regress files rewritten to
run through `prism proxy organizations.json <emulator> --errors`.

    prepare.py OUTDIR        # writes OUTDIR/sql, OUTDIR/expected, OUTDIR/schedule

Every file of sql/ runs, in the Makefile's REGRESS order, except the ones in
EXCLUDED below (each with its reason).  The copies differ from the originals
only by the edits listed here; each edit must find its anchors, so a change to
a test that an edit depends on fails loudly instead of being skipped:

1. Credentials.  The suite's `api_token 'test-token'` user mappings become
   `api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194'`
   (the emulator's defaults), in sql and expected alike: Cloudflare's document
   allows only X-Auth-Email/X-Auth-Key on every operation but GET
   /organizations, and Prism enforces that.  Any other api_token option left
   in a copy is an error (the text 'api_token' as a value, an audit log's
   actor context, is data).  Tokens get their own file (test/contract/proxy/sql/
   credentials.sql).

2. Fault rules.  Blocks that inject responses through `ctl.py fault` are cut
   out (from sql and expected): they break the document on purpose (odd
   timestamps, missing fields, a 500 the document does not list) or fake the
   API's state, so Prism would judge the fault, not the FDW.  They stay
   covered by the plain pg_regress run.  A copy that still holds `ctl.py
   fault` or `ctl.py config` is an error.

3. The request log's query strings.  The tests print what the emulator
   received (`ctl.py log`), which is now what Prism forwarded.  Prism parses
   the query and re-serialises it with URLSearchParams: a space goes as `+`
   instead of `%20`, `*` goes bare, `~` as `%7E`, and repeated names are
   grouped at the first one's place.  The expected request-log lines are
   rewritten the same way (and re-sorted where the test sorts them); the
   parameters and values themselves must still match exactly.
"""

import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

EMAIL_KEY = "api_email 'user@example.com', api_key '144c9defac04969c7bfad8efaa8ea194'"

# Tests that do not run through Prism, and why.
EXCLUDED = {
    "options": "sends no API request: option validation only, against unreachable and made-up URLs",
    "errors": "error handling: injects malformed, undocumented and hostile responses with fault rules",
    "decode": "hand-written bodies outside the contract (broken JSON, repeated keys, missing fields) served by fault rules",
    "faults": "transport faults (truncated, HTML, dropped, huge, stuck pages) injected with fault rules",
    "cancel": "cancellation: needs fault rules that delay answers for 20 s",
    "security": "secrets in errors: fault rules echo the token; it runs with a Bearer token on every table",
    "hostile": "switches the emulator's case folding (emulator config) and creates names outside the document's examples",
    "surprises": "api_token_file and pg_dump read the test bed's files; writes and rollbacks outside the document's examples",
    "diagnostics": "rate budget and check(): fault rules (403/404/429/503) and emulator config (rate limits, latency)",
    "cache": "the response cache: answers that are not requests, a 503 fault rule, a second role's token",
    "reliability": "writes of unknown outcome and wrong JSON types: cut-off, dropped and wrong-typed answers injected with fault rules, emulator latency",
    "dashboards": "the document contradicts itself on audit log ids: its item schema (aaa_identifier-2) allows at "
                  "most 32 characters, yet ids are UUIDs (36; the history's path parameter is format: uuid, the id "
                  "filter's example is a UUID), so under --errors every audit log page with items is Prism's 500 "
                  "(\"result.0.id must NOT have more than 32 characters\"); it also reads the actor context 'api' "
                  "(outside the document's enum) and Globex Retail's usage without BillingAccountName/"
                  "x_BillableMetricName (required there), and uses fault rules and emulator config "
                  "(cursor_form).  Its request forms go through Prism in test/contract/proxy/sql/dashboard_requests.sql",
}

# Fault-rule blocks cut out of a test: (test, anchor, start, stop, why).
# anchor is a whole line that must occur exactly once; the cut starts at the
# first line after it that starts with `start` (the anchor itself when
# start is None) and ends before the first line after that equal to `stop`.
# The same lines are cut from the expected output, where psql echoes them.
FAULT = "\\! python3 emulator/ctl.py fault"
CUTS = [
    ("count", "-- a page without total_size is an error, not a guess", None,
     "-- clean up",
     "a fault serves a page without result_info.total_size"),
    ("types", "-- every RFC 3339 form the API may use reads as PostgreSQL itself reads it", FAULT,
     "-- pagination: page sizes that do and do not divide the row count",
     "fault bodies with timestamps the document's date-time does not allow and objects without name/meta; "
     "Prism answers 500 and the FDW's retry then reads the real data.  The stamps table itself stays "
     "(the final DROP lists it)"),
    ("modify", "-- a target gone between the scan and the DELETE (404) counts as zero rows", None,
     "-- writes are not transactional: a rolled-back INSERT stays created",
     "a fault fakes a 404 for an organization that exists"),
    ("modify", "-- a multi-row DELETE that fails part way lists what it had already deleted", None,
     "-- a batch INSERT whose second call fails: the DETAIL lists the members the first",
     "a fault fakes a 403 on one member DELETE"),
    ("modify", "-- a batch INSERT whose second call fails: the DETAIL lists the members the first", None,
     "-- memberships: PUT {\"status\"} to accepted or rejected; DELETE",
     "a fault injects a 500, a status the document does not list for batchCreate"),
]

LOG_LINE = re.compile(r"^(\s*\d+ )?(GET|POST|PUT|DELETE|PATCH) (/\S*)(.*)$")


def die(msg):
    sys.stderr.write("prepare.py: %s\n" % msg)
    sys.exit(1)


def regress_order():
    with open(os.path.join(ROOT, "Makefile")) as f:
        text = f.read()
    m = re.search(r"^REGRESS\s*=\s*(.*)$", text, re.M)
    names = m.group(1).split() if m else []
    on_disk = sorted(f[:-4] for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql"))
    return [n for n in names if n in on_disk] + [n for n in on_disk if n not in names]


def cut(lines, anchor, start, stop, where):
    """lines without the block CUTS describes (see there)."""
    idx = [i for i, x in enumerate(lines) if x == anchor]
    if len(idx) != 1:
        die("%s: %d lines equal %r (need exactly 1); update CUTS in test/contract/prepare.py"
            % (where, len(idx), anchor))
    i = idx[0]
    if start is not None:
        i = next((k for k in range(i + 1, len(lines)) if lines[k].startswith(start)), None)
        if i is None:
            die("%s: no line starting with %r after %r; update CUTS in test/contract/prepare.py"
                % (where, start, anchor))
    for j in range(i + 1, len(lines)):
        if lines[j] == stop:
            return lines[:i] + lines[j:]
    die("%s: no line %r after %r; update CUTS in test/contract/prepare.py" % (where, stop, anchor))


def prism_query(query):
    """A query string as the FDW encodes it (RFC 3986 unreserved kept, the
    rest %XX), re-serialised the way Prism's proxy forwards it."""
    groups = {}
    for part in query.split("&"):
        k, sep, v = part.partition("=")
        groups.setdefault(k, []).append((sep, v))

    def enc(s):
        return s.replace("%20", "+").replace("%2A", "*").replace("~", "%7E")

    return "&".join(enc(k) + sep + enc(v) for k, vals in groups.items() for sep, v in vals)


def rewrite_log_lines(lines):
    out = []
    cmd = ""
    run = []            # (index in out, changed) of the current run of log lines

    def flush():
        if run and "sort" in cmd and any(ch for _, ch in run):
            idx = [i for i, _ in run]
            key = lambda s: LOG_LINE.match(s).group(0).lstrip(" 0123456789").encode()
            for i, s in zip(idx, sorted((out[i] for i in idx), key=key)):
                out[i] = s
        run.clear()

    for line in lines:
        m = LOG_LINE.match(line)
        if m and "?" in m.group(3):
            path, _, query = m.group(3).partition("?")
            new = "%s%s %s?%s%s" % (m.group(1) or "", m.group(2), path, prism_query(query), m.group(4))
            out.append(new)
            run.append((len(out) - 1, new != line))
            continue
        if m:
            out.append(line)
            run.append((len(out) - 1, False))
            continue
        flush()
        if line.startswith("\\!"):
            cmd = line
        out.append(line)
    flush()
    return out


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[0]
    for d in ("sql", "expected"):
        os.makedirs(os.path.join(outdir, d), exist_ok=True)
    tests = [t for t in regress_order() if t not in EXCLUDED]
    for t in EXCLUDED:
        if not os.path.exists(os.path.join(ROOT, "sql", t + ".sql")):
            print("prepare.py: note: excluded test %s no longer exists" % t, file=sys.stderr)
    for t, *_ in CUTS:
        if t not in tests:
            die("CUTS names %s, which is not run" % t)
    for t in tests:
        with open(os.path.join(ROOT, "sql", t + ".sql"), encoding="utf-8") as f:
            sql = f.read().split("\n")
        for ct, anchor, start, stop, _why in CUTS:
            if ct == t:
                sql = cut(sql, anchor, start, stop, "sql/%s.sql" % t)
        sql = [x.replace("api_token 'test-token'", EMAIL_KEY) for x in sql]
        for x in sql:
            if re.search(r"\bapi_token\s+[':]", x):
                die("sql/%s.sql still uses api_token after the rewrite: %r; the document allows tokens "
                    "only on GET /organizations (exclude the test or extend the rewrite)" % (t, x))
            if re.search(r"ctl\.py\s+(fault|config)\b", x):
                die("sql/%s.sql uses fault rules or emulator config outside CUTS: %r; add a cut or "
                    "exclude the test in test/contract/prepare.py" % (t, x[:120]))
        with open(os.path.join(outdir, "sql", t + ".sql"), "w", encoding="utf-8") as f:
            f.write("\n".join(sql))
        # t.out and its alternatives t_1.out ... (other PostgreSQL majors),
        # each rewritten the same way
        names = [t + ".out"] + sorted(n for n in os.listdir(os.path.join(ROOT, "expected"))
                                      if re.fullmatch(re.escape(t) + r"_[0-9]+\.out", n))
        for name in names:
            with open(os.path.join(ROOT, "expected", name), encoding="utf-8") as f:
                exp = f.read().split("\n")
            for ct, anchor, start, stop, _why in CUTS:
                if ct == t:
                    exp = cut(exp, anchor, start, stop, "expected/%s" % name)
            exp = [x.replace("api_token 'test-token'", EMAIL_KEY) for x in exp]
            exp = rewrite_log_lines(exp)
            with open(os.path.join(outdir, "expected", name), "w", encoding="utf-8") as f:
                f.write("\n".join(exp))
    with open(os.path.join(outdir, "schedule"), "w") as f:
        f.write("".join("test: %s\n" % t for t in tests))
    print(" ".join(tests))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
