#!/usr/bin/env python3
"""check.py: fail on any contract violation that Prism saw during a suite.

    check.py --record TAP_RECORD --prism-log PRISM_LOG --document OPENAPI [--label NAME]

Three checks, all must be clean:

1. The tap's record (tap.py): every exchange where Prism answered with a
   problem of its own (401/422 for a request that breaks the document, 500
   for a response that breaks it under --errors) or sent an sl-violations
   header.  Each is printed with its request and Prism's violation text.
   A problem passes only when a test acknowledged it (`tap.py log --ack`
   printed it, so the test's expected output asserts it): those are the
   deliberate refusals, such as a Bearer token where the document allows
   only email + key.

2. Prism's own log: every warning, error or fatal line after "Prism is
   listening", attributed to the request it belongs to.  Lines pass only
   when they belong to one of the acknowledged refusals (one request's lines
   per acknowledgement with the same method and path), or when it is Prism's
   mock noting that a 204 has no JSON content to negotiate ("Unable to find
   content for application/json": the FDW sends Accept: application/json
   everywhere, and the document's 204 answers have no body; that is no
   violation).

3. The operations and query parameter names, against the document itself:
   every request in the record must be one of the document's operations
   (method and path template), and every query parameter it sends must be
   one the operation declares.  Prism validates the values of declared
   parameters but lets unknown names through (a misspelt filter would be
   ignored by Cloudflare, and the query would silently return too much).

It also checks that the tap and Prism saw the same number of requests (so
nothing reached Prism around the tap, and the log is complete), and that
there was traffic at all.

Prints what it found and "ok"/"FAILED" lines; exits 1 on any finding.
"""

import argparse
import json
import re
import sys
import time
import urllib.parse

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECEIVED = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) .*Request received")
SERVER_LINE = re.compile(r"\[HTTP SERVER\] (\w+) (\S+) ")
BAD = re.compile(r"⚠\s+warning|✖\s+error|fatal", re.I)
ALLOWED_LINES = [
    # Prism mock, 204 answers (profile PUT, member DELETE): see the docstring.
    re.compile(r"\[NEGOTIATOR\] ⚠\s+warning\s+Unable to find content for application/json$"),
]


def norm_path(target):
    return urllib.parse.unquote(target.split("?", 1)[0])


def operations(document):
    """[(method, compiled path template, declared query names, text)]."""
    with open(document, encoding="utf-8") as f:
        doc = json.load(f)
    comps = doc.get("components", {}).get("parameters", {})

    def resolve(x):
        if "$ref" in x:
            return comps[x["$ref"].rsplit("/", 1)[-1]]
        return x

    ops = []
    for path, item in doc["paths"].items():
        shared = [resolve(x) for x in item.get("parameters", [])]
        rx = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            params = shared + [resolve(x) for x in op.get("parameters", [])]
            names = {x["name"] for x in params if x.get("in") == "query"}
            ops.append((method.upper(), rx, names, "%s %s" % (method.upper(), path)))
    return ops


def undocumented(entry, ops):
    """Why the request is not one the document describes, or None."""
    path, _, query = entry["target"].partition("?")
    path = re.sub(r"%3[Aa]", ":", path)
    matches = [o for o in ops if o[1].match(path)]
    if not matches:
        return "no operation of the document has this path"
    op = next((o for o in matches if o[0] == entry["method"]), None)
    if op is None:
        return "the document has no %s for this path" % entry["method"]
    unknown = sorted({k for k, _ in urllib.parse.parse_qsl(query, keep_blank_values=True)} - op[2])
    if unknown:
        return "query parameter%s %s not declared for %s" % (
            "s" if len(unknown) > 1 else "", ", ".join(unknown), op[3])
    return None


def read_record(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_acks(path):
    try:
        with open(path + ".ack") as f:
            return {int(x) for x in f if x.strip()}
    except FileNotFoundError:
        return set()


def prism_requests(log_path):
    """(requests, early): the requests Prism logged, in order, each a dict
    with method, path and the warning/error lines that belong to it; and the
    problem lines logged before it listened (start-up errors)."""
    with open(log_path, encoding="utf-8", errors="replace") as f:
        lines = [ANSI.sub("", x.rstrip("\n")) for x in f]
    started = False
    requests = []
    early = []
    for line in lines:
        if not started:
            started = "Prism is listening" in line
            if not started and re.search(r"fatal", line, re.I):
                early.append(line)
            continue
        m = RECEIVED.search(line)
        if m:
            requests.append({"method": m.group(1).upper(), "path": urllib.parse.unquote(m.group(2)), "lines": []})
            continue
        if not BAD.search(line) or any(a.search(line) for a in ALLOWED_LINES):
            continue
        # "[HTTP SERVER] get /x ✖ error ..." names its request: the latest
        # one with that method and path.  Validator lines belong to the
        # request received last.
        m = SERVER_LINE.search(line)
        owner = None
        if m:
            key = (m.group(1).upper(), urllib.parse.unquote(m.group(2)))
            owner = next((r for r in reversed(requests) if (r["method"], r["path"]) == key), None)
        if owner is None and requests:
            owner = requests[-1]
        if owner is None:
            early.append(line)
        else:
            owner["lines"].append(line)
    return requests, early


def main(argv):
    ap = argparse.ArgumentParser(prog="check.py")
    ap.add_argument("--record", required=True)
    ap.add_argument("--prism-log", required=True)
    ap.add_argument("--document", required=True)
    ap.add_argument("--label", default="contract")
    args = ap.parse_args(argv)

    findings = []
    entries = read_record(args.record)
    acks = read_acks(args.record)
    if not entries:
        findings.append("no request went through the tap: was the FDW pointed at it?")
    acked = {}
    ops = operations(args.document)
    for e in entries:
        why = undocumented(e, ops) if e["seq"] not in acks else None
        if why:
            findings.append("request %s %s (%s) -> %d: %s" % (e["method"], e["target"], e["auth"], e["status"], why))
        if not e.get("problem"):
            continue
        if e["seq"] in acks:
            key = (e["method"], norm_path(e["target"]))
            acked[key] = acked.get(key, 0) + 1
            continue
        body = (" " + e["body"]) if e.get("body") is not None else ""
        findings.append("request %s %s%s (%s) -> %d; prism: %s"
                        % (e["method"], e["target"], body[:600], e["auth"], e["status"], e["problem"]))

    # Prism logs asynchronously: give it a moment to catch up with the tap.
    requests, early = prism_requests(args.prism_log)
    deadline = time.time() + 10
    while len(requests) < len(entries) and time.time() < deadline:
        time.sleep(0.2)
        requests, early = prism_requests(args.prism_log)
    if len(requests) != len(entries):
        findings.append("the tap relayed %d requests but Prism's log shows %d" % (len(entries), len(requests)))
    for line in early:
        findings.append("prism log: %s" % line.strip())
    # Each acknowledged refusal excuses the log lines of one request with
    # the same method and path; any request beyond that is a finding.
    flagged = {}
    for r in requests:
        if r["lines"]:
            flagged.setdefault((r["method"], r["path"]), []).append(r)
    for key, rs in flagged.items():
        for r in rs[acked.get(key, 0):]:
            for line in r["lines"]:
                findings.append("prism log (%s %s): %s" % (r["method"], r["path"], line.strip()))

    for f in findings:
        print("  violation: %s" % f)
    nacks = sum(1 for e in entries if e.get("problem") and e["seq"] in acks)
    print("%s: %d requests through Prism, %d deliberate refusals asserted by the tests, %d violations"
          % (args.label, len(entries), nacks, len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
