#!/usr/bin/env python3
"""ctl.py: command-line client of the cf_emulator control plane (/__emulator/).

The emulator's base URL (http://HOST:PORT, without /client/v4) comes from the
environment variable CF_EMULATOR_URL.  Made for shell scripts and psql's \\!:

  ctl.py log                    one line per API request: METHOD path?query[ body]
                                (raw CR and LF in a body are shown as \\r and \\n)
  ctl.py clear                  empty the request log
  ctl.py reset                  restore the start-up data; clear log, faults, config
  ctl.py fault '<json rule>'    add a fault rule (or a JSON array of rules)
  ctl.py faults                 print the active fault rules as JSON
  ctl.py faults-clear           remove every fault rule
  ctl.py config '<json>'        set latency_ms / rate_limit / ratelimit_headers /
                                case_folding / cursor_form / audit_id_form
  ctl.py connections            open client connections that carried API
                                requests, as JSON: {"open", "peak", "total"}
  ctl.py dump COLLECTION [--jsonl]
                                organizations | accounts | members | memberships
                                | profiles | audit_logs | shares | usage, as a
                                JSON array or one object a line

Exits 0 on success, 1 on a control-plane error, 2 on usage errors.
"""

import json
import os
import sys
import urllib.error
import urllib.request

COLLECTIONS = ("organizations", "accounts", "members", "memberships", "profiles", "audit_logs", "shares",
               "usage")


class CtlError(Exception):
    pass


def call(method, path, payload=None):
    base = os.environ.get("CF_EMULATOR_URL", "").rstrip("/")
    if not base:
        raise CtlError("CF_EMULATOR_URL is not set (expected http://HOST:PORT)")
    if base.endswith("/client/v4"):
        base = base[:-len("/client/v4")]
    data = None
    headers = {}
    if payload is not None:
        data = payload.encode("utf-8")
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(base + "/__emulator" + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        try:
            text = json.loads(text).get("error", text)
        except (ValueError, AttributeError):
            pass
        raise CtlError("%s %s: HTTP %d: %s" % (method, path, e.code, text))
    except (urllib.error.URLError, OSError) as e:
        raise CtlError("cannot reach the emulator at %s: %s" % (base, getattr(e, "reason", e)))
    return json.loads(body.decode("utf-8")) if body else None


def check_json(text):
    try:
        json.loads(text)
    except ValueError as e:
        raise CtlError("not valid JSON: %s" % e)
    return text


def log_line(r):
    line = r["method"] + " " + r["path"]
    if r.get("query"):
        line += "?" + r["query"]
    if r.get("body") is not None:
        # one line per request, whatever the body holds
        line += " " + r["body"].replace("\r", "\\r").replace("\n", "\\n")
    return line


def main(argv):
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(__doc__)
        return 0 if argv else 2
    cmd, rest = argv[0], argv[1:]
    out = sys.stdout
    if cmd == "log" and not rest:
        for r in call("GET", "/requests"):
            out.write(log_line(r) + "\n")
    elif cmd == "clear" and not rest:
        call("DELETE", "/requests")
    elif cmd == "reset" and not rest:
        call("POST", "/reset")
    elif cmd == "fault" and len(rest) == 1:
        call("POST", "/faults", check_json(rest[0]))
    elif cmd == "faults" and not rest:
        out.write(json.dumps(call("GET", "/faults"), ensure_ascii=False) + "\n")
    elif cmd == "faults-clear" and not rest:
        call("DELETE", "/faults")
    elif cmd == "connections" and not rest:
        out.write(json.dumps(call("GET", "/connections")) + "\n")
    elif cmd == "config" and len(rest) == 1:
        call("POST", "/config", check_json(rest[0]))
    elif cmd == "dump" and rest and rest[0] in COLLECTIONS and rest[1:] in ([], ["--jsonl"]):
        rows = call("GET", "/data/" + rest[0])
        if rest[1:] == ["--jsonl"]:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            out.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stderr.write("ctl.py: bad command line: %s\n(try ctl.py --help)\n" % " ".join(argv))
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except CtlError as e:
        sys.stderr.write("ctl.py: %s\n" % e)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)
