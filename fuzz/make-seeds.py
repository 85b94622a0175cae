#!/usr/bin/env python3
"""fuzz/make-seeds.py: (re)build fuzz/seeds/ (make fuzz-seeds).

  python3 fuzz/make-seeds.py [--spec FILE] [--out DIR]

Writes two kinds of seed bodies into fuzz/seeds/body/, each behind the 4-byte
header fuzz_body.c reads (see fuzz/README.md):

  spec-*   one body per response of every operation in Cloudflare's OpenAPI
           document (default spec/organizations.json,
           or $CF_OPENAPI), built from its schemas: a property's `example`
           where the document gives one, else a value of its type and format
           (enums take their first value, arrays two items, maps one extra
           key), so the seeds have the real envelope and item shapes;
  emu-*    what the emulator (emulator/cf_emulator.py, started here on a
           free loopback port and stopped afterwards) answers: a normal page
           of every list, single objects, error envelopes, and each of its
           fault bodies (truncate, malformed, html, empty, non_utf8,
           wrong_types, stuck_token, repeat_page, a small `huge`,
           wrong_content_type, status-only envelopes).

and a few header-line seeds into fuzz/seeds/headers/ (the emulator's
response headers, plus Retry-After / Ratelimit forms).

Standard library only.  The output is deterministic for a given spec and
emulator, so re-running it shows real changes in `git status`.
"""

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SPEC = os.environ.get(
    "CF_OPENAPI",
    os.path.join(ROOT, "spec", "organizations.json"),
)
# 4-byte header of fuzz_body.c: normal end, no cap, pseudo-random chunks of
# 1..32 bytes (mode 3), seed byte varies per file.
MODE_CHUNKS = 3 << 5


def header(i, mode=MODE_CHUNKS):
    return bytes([mode, 0, 0, i & 0xFF])


class Spec:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, schema, seen=()):
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            if ref in seen:
                return {}
            seen = seen + (ref,)
            node = self.doc
            for part in ref.lstrip("#/").split("/"):
                node = node[part]
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = dict(node, **extra)
        return schema

    def example(self, schema, depth=0, seen=()):
        schema = self.resolve(schema, seen)
        if not isinstance(schema, dict) or depth > 12:
            return None
        if "example" in schema:
            return schema["example"]
        if "enum" in schema and schema["enum"]:
            return schema["enum"][0]
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                if key == "allOf":
                    merged = {}
                    for part in schema[key]:
                        value = self.example(part, depth + 1, seen)
                        if isinstance(value, dict):
                            merged.update(value)
                    return merged
                return self.example(schema[key][0], depth + 1, seen)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            out = {}
            for name, prop in schema.get("properties", {}).items():
                out[name] = self.example(prop, depth + 1, seen)
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                out["extra_key"] = self.example(extra, depth + 1, seen)
            return out
        if kind == "array":
            item = self.example(schema.get("items", {}), depth + 1, seen)
            count = min(2, schema.get("maxItems", 2))
            return [item] * count
        if kind == "string":
            fmt = schema.get("format", "")
            if fmt == "date-time":
                return "2024-05-17T09:30:00.123456Z"
            if fmt == "email":
                return "chloé@example.com"
            if fmt in ("uri", "url"):
                return "https://example.com/doc"
            return "exämple"
        if kind == "integer":
            return 1
        if kind == "number":
            return 1.5
        if kind == "boolean":
            return True
        return None


def spec_bodies(path):
    with open(path, encoding="utf-8") as f:
        spec = Spec(json.load(f))
    out = []
    for route, ops in sorted(spec.doc.get("paths", {}).items()):
        for method, op in sorted(ops.items()):
            if not isinstance(op, dict):
                continue
            for status, resp in sorted(op.get("responses", {}).items()):
                resp = spec.resolve(resp)
                content = resp.get("content", {}) if isinstance(resp, dict) else {}
                schema = content.get("application/json", {}).get("schema")
                if schema is None:
                    continue
                body = spec.example(schema)
                name = "spec-%s-%s-%s" % (
                    method,
                    route.strip("/").replace("/", "_").replace("{", "").replace("}", "").replace(":", "_"),
                    status.lower(),
                )
                text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
                out.append((name, text.encode("utf-8")))
    return out


class Emulator:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cf_fuzz_seeds.")
        port_file = os.path.join(self.dir, "url")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "emulator", "cf_emulator.py"),
             "--port", "0", "--port-file", port_file,
             "--fixed-time", "2024-01-01T00:00:00Z"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            if os.path.exists(port_file):
                with open(port_file) as f:
                    url = f.read().strip()
                if url:
                    break
            if self.proc.poll() is not None:
                raise SystemExit("make-seeds: the emulator did not start")
            time.sleep(0.05)
        else:
            self.stop()
            raise SystemExit("make-seeds: the emulator did not start")
        parsed = urllib.parse.urlparse(url)
        self.host, self.port = parsed.hostname, parsed.port

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, path, body=None, auth=True):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Authorization": "Bearer test-token"} if auth else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            try:
                payload = resp.read()
            except http.client.IncompleteRead as e:
                payload = e.partial
            lines = ["HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)]
            # no Date: the seeds stay the same from run to run
            lines += ["%s: %s\r\n" % (k, v) for k, v in resp.getheaders() if k.lower() != "date"]
            return resp.status, payload, "".join(lines) + "\r\n"
        except (ConnectionError, http.client.HTTPException):
            return 0, b"", ""
        finally:
            conn.close()

    def api(self, method, path, body=None, auth=True):
        return self.call(method, "/client/v4" + path, body, auth)


def emulator_bodies():
    emu = Emulator()
    out = []
    heads = []
    try:
        def take(name, method, path, body=None, auth=True):
            status, payload, head = emu.api(method, path, body, auth)
            if status:
                out.append(("emu-" + name, payload))
                heads.append(("emu-" + name, head.encode("latin-1", "replace")))
            return payload

        page = json.loads(take("organizations-page", "GET", "/organizations?page_size=3"))
        orgs = json.loads(emu.api("GET", "/organizations?page_size=1000")[1])["result"]
        org = orgs[0]["id"]
        token = page.get("result_info", {}).get("next_page_token")
        if token:
            take("organizations-page2", "GET",
                 "/organizations?page_size=3&page_token=" + urllib.parse.quote(token))
        take("organization", "GET", "/organizations/" + org)
        for o in orgs:
            status, payload, _ = emu.api("GET", "/organizations/%s/profile" % o["id"])
            if status == 200:
                out.append(("emu-profile", payload))
                break
        take("profile-404", "GET", "/organizations/%s/profile" % orgs[-1]["id"])
        take("accounts", "GET", "/organizations/%s/accounts?page_size=5" % org)
        members = take("members", "GET", "/organizations/%s/members?page_size=5" % org)
        result = json.loads(members).get("result") or []
        if result:
            take("member", "GET", "/organizations/%s/members/%s" % (org, result[0]["id"]))
        memberships = take("memberships", "GET", "/memberships?per_page=5")
        for m in json.loads(memberships).get("result") or []:
            status, payload, _ = emu.api("GET", "/memberships/" + m["id"])
            if b'"policies"' in payload:
                out.append(("emu-membership-policies", payload))
                break
        take("error-404", "GET", "/organizations/nonexistent")
        take("error-400-page-size", "GET", "/organizations?page_size=5000")
        take("error-400-token", "GET", "/organizations?page_token=%%%")
        take("error-auth", "GET", "/organizations", auth=False)
        take("error-no-route", "GET", "/zones")
        take("error-malformed-body", "POST", "/organizations", body=None)
        take("create-organization", "POST", "/organizations", body={"name": "Fuzz seed Ünïcode"})

        faults = [
            ("truncate", {"kind": "truncate"}),
            ("malformed", {"kind": "malformed"}),
            ("html", {"kind": "html", "status": 502}),
            ("empty", {"kind": "empty"}),
            ("non-utf8", {"kind": "non_utf8"}),
            ("wrong-types", {"kind": "wrong_types"}),
            ("stuck-token", {"kind": "stuck_token"}),
            ("repeat-page", {"kind": "repeat_page"}),
            ("huge", {"kind": "huge", "size": 4096}),
            ("wrong-content-type", {"kind": "wrong_content_type"}),
            ("status-429", {"status": 429, "retry_after": "2", "retry_after_ms": "1500"}),
            ("status-500", {"status": 500}),
            ("status-503", {"status": 503, "headers": {"x-should-retry": "true"}}),
            ("raw-body", {"body": "{\"success\":false,\"errors\":[{\"code\":7000,\"message\":\"x\",\"error_chain\":[{\"code\":1,\"message\":\"y\"}]}]}", "status": 400}),
        ]
        for name, rule in faults:
            rule = dict(rule, path="^/organizations$", method="GET", count=1)
            emu.call("POST", "/__emulator/faults", body=rule, auth=False)
            take("fault-" + name, "GET", "/organizations?page_size=3")
            emu.call("DELETE", "/__emulator/faults", auth=False)
        emu.call("POST", "/__emulator/config", body={"ratelimit_headers": True}, auth=False)
        take("ratelimit-headers", "GET", "/memberships?per_page=5")
    finally:
        emu.stop()
    return out, heads


def write(dirpath, name, data):
    with open(os.path.join(dirpath, name), "wb") as f:
        f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", default=DEFAULT_SPEC)
    ap.add_argument("--out", default=os.path.join(ROOT, "fuzz", "seeds"))
    args = ap.parse_args()

    body_dir = os.path.join(args.out, "body")
    head_dir = os.path.join(args.out, "headers")
    for d in (body_dir, head_dir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)

    bodies = []
    if os.path.exists(args.spec):
        bodies += spec_bodies(args.spec)
    else:
        print("make-seeds: no OpenAPI document at %s; spec seeds skipped" % args.spec,
              file=sys.stderr)
    emu, heads = emulator_bodies()
    bodies += emu

    seen = {}
    for i, (name, data) in enumerate(bodies):
        if name in seen:
            seen[name] += 1
            name = "%s-%d" % (name, seen[name])
        else:
            seen[name] = 0
        write(body_dir, name, header(i) + data)
    # a few hand-made ones for the corners of the decoder
    extra = [
        ("hand-number", b"12345", 0),
        ("hand-null", b"null", 0),
        ("hand-split-utf8", "{\"result\":[{\"name\":\"\u00e9\u4e2d\U0001F600\"}]}".encode(), 1 << 5),
        ("hand-escapes", b"{\"result\":[{\"name\":\"\\ud83d\\ude00\\u00e9\\n\\\"\"}],\"result_info\":{\"next_page_token\":\"\"}}", 1 << 5),
        ("hand-deep", b"[" * 70 + b"]" * 70, 0),
        ("hand-trailing", b"{\"success\":true} \r\n\t x", 0),
        ("hand-cap", b"{\"result\":[1,2,3,4,5,6,7,8,9]}", MODE_CHUNKS | 8),
    ]
    for name, data, mode in extra:
        hdr = bytearray(header(0, mode))
        if mode & 8:
            hdr[1], hdr[2] = 0, 16
        write(body_dir, name, bytes(hdr) + data)

    for name, data in heads:
        write(head_dir, name, data)
    write(head_dir, "hand-retry", b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\n"
          b"Retry-After-Ms: 1500\r\nRatelimit: \"default\";r=0;t=30\r\n"
          b"Ratelimit-Policy: \"burst\";q=1200;w=300\r\nx-should-retry: false\r\n"
          b"cf-ray: 0123456789abcdef-SJC\r\nContent-Type: application/json; charset=utf-8\r\n\r\n")
    write(head_dir, "hand-continue", b"HTTP/1.1 100 Continue\r\nRetry-After: 5\r\n\r\n"
          b"HTTP/1.1 200 OK\r\ncontent-type:\t text/plain \r\n\r\n")
    print("make-seeds: %d body seeds, %d header seeds in %s" % (
        len(os.listdir(body_dir)), len(os.listdir(head_dir)), args.out))


if __name__ == "__main__":
    main()
