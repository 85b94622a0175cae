#!/usr/bin/env python3
"""traffic.py: drive well-formed traffic through `prism proxy --errors` to the
emulator, one check per request, and fail on any contract violation.

    traffic.py PRISM_URL EMULATOR_URL

PRISM_URL is Prism's base (http://127.0.0.1:PORT, the API paths are appended
as in the OpenAPI document: /organizations, /memberships, ...); EMULATOR_URL
is the emulator's base, used only for its control plane (/__emulator/reset
before the run, and to confirm that requests did reach the emulator).

A check passes when:
  - the status is the expected one (Prism turns a request that violates the
    document into 422/401 and a response that violates it into 500 with a
    problem+json body under --errors; neither is ever expected here, except
    the deprecated account_pubname* parameters, see below);
  - there is no sl-violations header (Prism's report of any violation,
    warnings included);
  - a JSON body parses, success is true for 2xx and false for 4xx, and 204
    has no body.

Prism 5.15.0 answers 422 for a request that uses a deprecated parameter
(account_pubname*) under --errors, although it only rates that a warning, and
never forwards it.  Those checks therefore expect exactly that 422, with
"deprecated" warnings as the only violations; the emulator's handling of
account_pubname* is covered by emulator/tests instead.

Where the document contradicts itself or what Cloudflare sends (see
DOC_DIVERGENCES), the emulator follows Cloudflare, and Prism reports it:
  - an audit log entry's id is a UUID (36 characters: the history's path takes
    it as format uuid), but the item schema says maxLength 32;
  - actor.context "api" (Cloudflare's newest SDK) is not in the item's enum;
  - a usage record of an account without a name has no BillingAccountName,
    and one of a metric without a display name no x_BillableMetricName (both
    optional in the newest SDK, required in the document).
Those checks (check_doc) fetch the same request from the emulator directly,
work out from its body exactly which violations the document predicts (the
limits and enums are read from the document itself), and pass only when Prism
reports exactly those: status 500 and no other violation, or the expected
status and no violation when the body holds none of them.  Everything else in
such a response is validated as usual.  Requests that the document's schema
forbids although its text allows them (since/before as RFC 3339 timestamps,
actor_context=api) expect Prism's 422 naming exactly that parameter.  With
the emulator's audit_id_form "hex" (ids as the UUID's 32 hex digits, which
the item schema's maxLength allows), Acme's audit log pages and histories
must pass with no violation at all (audit_hex_ids).

Prints one line per check and a final "N passed, N failed"; exit 1 on failure.
"""

import http.client
import json
import os
import re
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EMAIL = {"X-Auth-Email": "user@example.com", "X-Auth-Key": "144c9defac04969c7bfad8efaa8ea194"}

ACME = "83swwm38cort1r31ioqntjqrdp4v52wl"
ACME_EU = "8ih0z5pf164xl3q48c2wuvqmuupnfxg2"
ACME_NA = "l1uj8hie13wxk7h0wsty5przv7ze8716"
ACME_CA = "u1vws9313ppxv2x6rrxpa1l6snch730m"
GLOBEX = "9vgaxgt8qhdt5o3a63p067ur9e481bu1"
GLOBEX_RETAIL = "mjulhtqb8cbaqeqpng7urwcqwbks2t77"
GLOBEX_RESEARCH = "1tpylfxxf42wvneutsa11ww30uhaxix7"
GLOBEX_RED = "83oejlo7gdtlak4bc4itdbjgqmvdcc2t"
INITECH = "2qcqt9edex1pj0n560wir7mr6038u3mi"
INITECH_PAY = "su0xsch873cb0979067rjp3r3q0ezpim"
INITECH_SANDBOX = "nk7wp4x1jmd7wihdrfasc8cw7utqvif6"
ACME_LAB = "ui7v0g2hcxjnwl50dvacvvq27od2rhh9"
# the four newer operations
AUDIT = "/organizations/%s/logs/audit"
HISTORY = "/organizations/%s/logs/audit/%s/history"
USAGE = "/organizations/%s/billable/usage"
SHARES = "/organizations/%s/shares"
QUARTER = {"since": "2026-01-01", "before": "2026-04-01"}
EV_MIDNIGHT = "32619fa3-9ee7-4980-94ef-f012ad524214"     # README.md, "The sample data"
EV_APPROX = "9a3df4a5-12c3-43bd-83d7-54853172456f"
EV_UNAVAILABLE = "bd9dcfe8-a4c6-4e75-a20e-26dadf97d5bc"
AUDIT_FILTER_VALUES = [
    ("action_result", "failure"), ("action_type", "update"), ("actor_context", "api_token"),
    ("actor_email", "alice@acme.example"), ("actor_id", "03g0q9s5l5okboslmazbg0bmmci4allo"),
    ("actor_ip_address", "2001:db8:85a3::8a2e:370:7334"), ("actor_token_id", "a3c1f0e2b4d64f5e8a9b0c1d2e3f4a5b"),
    ("actor_token_name", "Terraform CI"), ("actor_type", "system"), ("id", EV_MIDNIGHT),
    ("raw_cf_ray_id", "69370fa3096cb189"), ("raw_method", "PATCH"), ("raw_status_code", "403"),
    ("raw_uri", "/organizations/" + ACME), ("resource_id", "5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6"),
    ("resource_product", "workers"), ("resource_type", "Member"), ("resource_scope", "organizations")]


def load_document():
    path = os.environ.get("CF_OPENAPI") or os.path.join(ROOT, "spec", "organizations.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class DocDivergences:
    """The violations the document predicts for a body the emulator sends
    (module docstring): (location, code, property) triples."""

    def __init__(self, doc):
        schemas = doc["components"]["schemas"]
        self.id_max = schemas["aaa_identifier-2"].get("maxLength")
        actor = schemas["aaa_audit-logs-v2-org"]["properties"]["actor"]["properties"]
        self.contexts = set(actor["context"].get("enum", ()))
        self.usage_required = schemas["billable-usage-api_cost_and_usage_data"].get("required", [])

    def expected(self, path, body):
        out = set()
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            return out
        for n, item in enumerate(body["result"]):
            at = ("response", "body", "result", str(n))
            if "/logs/audit" in path:
                if self.id_max is not None and isinstance(item.get("id"), str) and len(item["id"]) > self.id_max:
                    out.add((at + ("id",), "maxLength", None))
                ctx = item.get("actor", {}).get("context")
                if ctx is not None and self.contexts and ctx not in self.contexts:
                    out.add((at + ("actor", "context"), "enum", None))
            elif path.endswith("/billable/usage"):
                for k in self.usage_required:
                    if k not in item:
                        out.add((at, "required", k))
        return out

    @staticmethod
    def reported(violations):
        out = set()
        for v in violations:
            m = re.search(r"required property '([^']+)'", v.get("message", ""))
            out.add((tuple(v.get("location", ())), v.get("code"), m.group(1) if m else None))
        return out


PROFILE = {"business_address": "1 Test Street, Testville", "business_email": "billing@test.example",
           "business_name": "Test Co", "business_phone": "+1-555-0199",
           "external_metadata": "{\"source\":\"prism\"}"}


class Conn:
    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port
        self.c = None

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.c is None:
                self.c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.c.request(method, path, body=data, headers=h)
                r = self.c.getresponse()
                raw = r.read()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.c.close()
                self.c = None
                if attempt == 2:
                    raise


class Traffic:
    def __init__(self, prism, emulator):
        self.p = Conn(prism)
        self.e = Conn(emulator)
        self.passed = 0
        self.failed = 0
        self.doc = DocDivergences(load_document())

    def control(self, method, path, body=None):
        st, _, raw = self.e.request(method, "/__emulator" + path, body)
        if st != 200:
            raise SystemExit("emulator control plane %s %s: HTTP %d" % (method, path, st))
        return json.loads(raw) if raw else None

    def report(self, ok, name, why=""):
        if ok:
            self.passed += 1
            print("ok     %s" % name)
        else:
            self.failed += 1
            print("FAILED %s: %s" % (name, why))
        sys.stdout.flush()

    def check(self, name, method, path, query=None, body=None, expect=200, deprecated=False):
        """One request through Prism; returns the parsed JSON body (or None)."""
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        try:
            st, hdrs, raw = self.p.request(method, path, body, EMAIL)
        except OSError as e:
            self.report(False, name, "%s %s: %s" % (method, path, e))
            return None
        where = "%s %s -> %d" % (method, path, st)
        if deprecated:
            try:
                v = json.loads(raw).get("validation", [])
            except ValueError:
                v = None
            ok = st == 422 and v and all(x.get("code") == "deprecated" and x.get("severity") == "Warning" for x in v)
            self.report(ok, name, "%s: expected Prism's 422 for deprecated parameters only: %s" % (where, raw[:600]))
            return None
        problems = []
        if st != expect:
            problems.append("expected %d" % expect)
        if "sl-violations" in hdrs:
            problems.append("sl-violations: %s" % hdrs["sl-violations"][:1500])
        j = None
        if st == 204:
            if raw:
                problems.append("204 with a body")
        else:
            try:
                j = json.loads(raw)
            except ValueError:
                problems.append("body is not JSON")
            if j is not None and isinstance(j, dict) and "success" in j:
                if j["success"] is not (200 <= st < 300):
                    problems.append("success=%r" % j["success"])
            elif j is not None:
                problems.append("not a Cloudflare envelope (Prism problem?)")
            if not hdrs.get("content-type", "").startswith("application/json"):
                problems.append("content-type %r" % hdrs.get("content-type"))
        if problems:
            self.report(False, name, "%s: %s; body: %s" % (where, "; ".join(problems), raw[:800]))
            return None
        self.report(True, name)
        return j

    def check_doc(self, name, path, query=None, expect=200):
        """A GET whose answer may hold the document's divergences (module
        docstring).  Returns the emulator's own body (for its cursors)."""
        if query:
            path += "?" + urllib.parse.urlencode(query, doseq=True)
        direct, want = self.predict(path, expect)
        if not want:
            return self.check(name, "GET", path, expect=expect) and direct
        ok, why = self.judge(path, want)
        self.report(ok, name + " (%d known document divergences)" % len(want), why)
        return direct if ok else None

    def predict(self, path, expect):
        """The emulator's own answer to GET path, and the violations the
        document predicts in it."""
        st, _, raw = self.e.request("GET", "/client/v4" + path, None, EMAIL)
        direct = json.loads(raw) if raw else None
        return direct, (self.doc.expected(path.split("?")[0], direct) if st == expect else set())

    def judge(self, path, want):
        """(ok, why): ok when Prism answers GET path with 500 and exactly the
        violations want."""
        try:
            st, hdrs, raw = self.p.request("GET", path, None, EMAIL)
        except OSError as e:
            return False, "GET %s: %s" % (path, e)
        try:
            got = self.doc.reported(json.loads(hdrs.get("sl-violations", "[]")))
        except ValueError:
            got = None
        ok = st == 500 and got == want
        why = "GET %s -> %d: expected 500 with exactly %d violation(s) the document predicts" % (path, st, len(want))
        if got is not None and got != want:
            why += "; unexpected: %s; missing: %s" % (sorted(got - want)[:5], sorted(want - got)[:5])
        return ok, why

    def check_quirk(self, name, path, query, parameter, code):
        """A request the document's text allows but its schema refuses: Prism
        must answer 422 naming exactly that parameter."""
        path += "?" + urllib.parse.urlencode(query, doseq=True)
        st, _, raw = self.p.request("GET", path, None, EMAIL)
        try:
            v = json.loads(raw).get("validation", [])
        except ValueError:
            v = None
        ok = st == 422 and v and all(x.get("location", [])[:2] == ["query", parameter] and x.get("code") == code
                                     for x in v)
        self.report(ok, name, "GET %s -> %d: expected Prism's 422 (%s on %s) only: %s" % (path, st, code, parameter,
                                                                                          raw[:400]))

    def walk_cursor(self, name, path, query, limit, form="cursor"):
        """Follow audit log cursors to the end through Prism; returns all ids."""
        ids, cur, n = [], None, 0
        while True:
            q = dict(query, limit=str(limit))
            if cur:
                q["cursor"] = cur
            j = self.check_doc("%s page %d" % (name, n + 1), path, q)
            if not j:
                return ids
            ids += [x["id"] for x in j["result"]]
            info = j["result_info"]
            cur = info.get("cursors", {}).get("after") if form == "cursors.after" else info.get("cursor")
            n += 1
            if not cur or n > 50:
                return ids

    def walk(self, name, path, query, size):
        """Follow page tokens to the end through Prism; returns all ids."""
        ids, tok, n = [], None, 0
        while True:
            q = dict(query, page_size=str(size))
            if tok:
                q["page_token"] = tok
            j = self.check("%s page %d" % (name, n + 1), "GET", path, q)
            if j is None:
                return ids
            ids += [x["id"] for x in j["result"]]
            tok = j["result_info"].get("next_page_token")
            n += 1
            if not tok or n > 50:
                return ids

    # ------------------------------------------------------------------------
    def run(self):
        self.control("POST", "/reset")
        self.organizations()
        self.accounts()
        self.members()
        self.memberships()
        self.audit_logs()
        self.history()
        self.audit_hex_ids()
        self.usage()
        self.shares()
        self.errors()
        self.controls()
        got = self.control("GET", "/requests")
        self.report(len(got) > 50, "the emulator received the traffic", "only %d requests logged" % len(got))
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 0 if self.failed == 0 else 1

    def organizations(self):
        c = self.check
        j = c("list organizations", "GET", "/organizations")
        total = j["result_info"]["total_size"] if j else 0
        ids = self.walk("walk organizations (page_size 4)", "/organizations", {}, 4)
        self.report(len(ids) == total == 13, "walk returns every organization", "%d of %d" % (len(ids), total))
        c("page_size 0", "GET", "/organizations", {"page_size": "0"})
        c("page_size 1000", "GET", "/organizations", {"page_size": "1000"})
        c("filter id repeated", "GET", "/organizations", [("id", ACME), ("id", GLOBEX)])
        c("filter id comma-separated", "GET", "/organizations", {"id": "%s,%s" % (ACME, GLOBEX)})
        c("filter name", "GET", "/organizations", {"name": "Globex Retail"})
        c("filter name.startsWith", "GET", "/organizations", {"name.startsWith": "acme"})
        c("filter name.endsWith", "GET", "/organizations", {"name.endsWith": "team"})
        c("filter name.contains", "GET", "/organizations", {"name.contains": "sec"})
        c("filter parent.id=null", "GET", "/organizations", {"parent.id": "null"})
        c("filter parent.id", "GET", "/organizations", {"parent.id": ACME})
        acct = self.check("accounts of Globex Security Research", "GET", "/organizations/%s/accounts" % GLOBEX_RESEARCH)
        if acct:
            c("filter containing.account", "GET", "/organizations", {"containing.account": acct["result"][0]["id"]})
        mem = self.check("members of Acme Canada", "GET", "/organizations/%s/members" % ACME_CA)
        if mem:
            c("filter containing.user", "GET", "/organizations", {"containing.user": mem["result"][0]["user"]["id"]})
        c("filter containing.organization", "GET", "/organizations", {"containing.organization": GLOBEX_RED})
        c("filters combined", "GET", "/organizations", {"parent.id": "null", "name.contains": "o", "page_size": "2"})
        self.walk("walk filtered (name.startsWith=globex, page_size 2)", "/organizations", {"name.startsWith": "globex"}, 2)
        c("empty result", "GET", "/organizations", {"name": "No Such Organization"})
        c("get organization (root)", "GET", "/organizations/" + ACME)
        c("get organization (sub-org, no profile)", "GET", "/organizations/" + ACME_LAB)
        root = c("create root organization", "POST", "/organizations", body={"name": "Prism Root"})
        if not root:
            return
        rid = root["result"]["id"]
        kid = c("create sub-organization with profile", "POST", "/organizations",
                body={"name": "Prism Kid", "parent": {"id": rid}, "profile": PROFILE})
        c("modify organization (name)", "PUT", "/organizations/" + rid, body={"name": "Prism Root Renamed"})
        c("get profile", "GET", "/organizations/%s/profile" % ACME)
        c("put profile", "PUT", "/organizations/%s/profile" % rid, body=PROFILE, expect=204)
        c("get profile after put", "GET", "/organizations/%s/profile" % rid)
        if kid:
            c("delete sub-organization", "DELETE", "/organizations/" + kid["result"]["id"])
        c("delete organization", "DELETE", "/organizations/" + rid)
        c("delete empty sample organization", "DELETE", "/organizations/" + INITECH_SANDBOX)

    def accounts(self):
        c = self.check
        p = "/organizations/%s/accounts" % ACME
        c("list accounts", "GET", p)
        c("list accounts (null name)", "GET", "/organizations/%s/accounts" % GLOBEX_RETAIL)
        c("accounts filter name", "GET", p, {"name": "acme staging"})
        c("accounts filter name.startsWith", "GET", p, {"name.startsWith": "acme"})
        c("accounts filter name.endsWith", "GET", p, {"name.endsWith": "sites"})
        c("accounts filter name.contains", "GET", p, {"name.contains": "ing"})
        c("accounts order_by account_name", "GET", p, {"order_by": "account_name"})
        c("accounts order_by account_name desc", "GET", p, {"order_by": "account_name", "direction": "desc"})
        c("accounts direction asc", "GET", p, {"direction": "asc"})
        self.walk("walk accounts ordered (page_size 1)", p, {"order_by": "account_name"}, 1)
        for k in ("account_pubname", "account_pubname.startsWith", "account_pubname.endsWith",
                  "account_pubname.contains"):
            c("accounts filter %s (deprecated)" % k, "GET", p, {k: "acme"}, deprecated=True)

    def members(self):
        c = self.check
        p = "/organizations/%s/members" % GLOBEX
        j = c("list members", "GET", p)
        c("members filter status", "GET", p, {"status": "active"})
        c("members filter status repeated", "GET", p, [("status", "pending"), ("status", "rejected"),
                                                        ("status", "canceled")])
        c("members filter user.email", "GET", "/organizations/%s/members" % ACME, {"user.email": "ops+alerts@acme.example"})
        c("members filter user.email.startsWith", "GET", p, {"user.email.startsWith": "h"})
        c("members filter user.email.endsWith", "GET", p, {"user.email.endsWith": "@globex.example"})
        c("members filter user.email.contains", "GET", p, {"user.email.contains": "globex"})
        self.walk("walk members (page_size 3)", p, {}, 3)
        self.walk("walk members filtered (page_size 1)", p, {"status": "active"}, 1)
        if j:
            c("get member", "GET", "%s/%s" % (p, j["result"][0]["id"]))
        q = "/organizations/%s/members" % INITECH
        m = c("create member (default status)", "POST", q, body={"member": {"user": {"email": "prism.one@initech.example"}}})
        c("create member (canceled)", "POST", q,
          body={"member": {"user": {"email": "prism.two@initech.example"}, "status": "canceled"}})
        c("create member (active)", "POST", q,
          body={"member": {"user": {"email": "prism.three@initech.example"}, "status": "active"}})
        c("batch create members", "POST", "/organizations/%s/members:batchCreate" % INITECH,
          body={"members": [{"user": {"email": "b%d@initech.example" % i}, "status": ("active", "canceled")[i % 2]}
                            for i in range(10)]})
        if m:
            c("delete member", "DELETE", "%s/%s" % (q, m["result"]["id"]), expect=204)

    def memberships(self):
        c = self.check
        j = c("list memberships", "GET", "/memberships")
        for page in (1, 2, 3):
            c("memberships page %d (per_page 5)" % page, "GET", "/memberships", {"page": str(page), "per_page": "5"})
        c("memberships filter status", "GET", "/memberships", {"status": "pending"})
        c("memberships filter account.name", "GET", "/memberships", {"account.name": "acme production"})
        c("memberships filter name", "GET", "/memberships", {"name": "Personal Account"})
        for order in ("id", "account.name", "status"):
            for d in ("asc", "desc"):
                c("memberships order %s %s" % (order, d), "GET", "/memberships", {"order": order, "direction": d})
        if not j:
            return
        ids = [m["id"] for m in j["result"]]
        for mid in ids:
            c("get membership %s" % mid[:8], "GET", "/memberships/" + mid)
        pend = c("pending memberships", "GET", "/memberships", {"status": "pending"})
        if pend and pend["result"]:
            c("accept membership", "PUT", "/memberships/" + pend["result"][0]["id"], body={"status": "accepted"})
            if len(pend["result"]) > 1:
                c("reject membership", "PUT", "/memberships/" + pend["result"][1]["id"], body={"status": "rejected"})
        c("delete membership", "DELETE", "/memberships/" + ids[-1])

    def audit_logs(self):
        c = self.check_doc
        p = AUDIT % ACME
        c("audit logs", p, dict(QUARTER, limit="5"))
        c("audit logs, default limit", p, QUARTER)
        c("audit logs, empty window", p, {"since": "2026-01-01", "before": "2026-01-02"})
        c("audit logs, Globex", AUDIT % GLOBEX, QUARTER)
        c("audit logs, Initech (actor.context api)", AUDIT % INITECH, QUARTER)
        c("audit logs, organization without any", AUDIT % GLOBEX_RETAIL, QUARTER)
        for d in ("desc", "asc"):
            ids = self.walk_cursor("walk audit logs %s (limit 7)" % d, p, dict(QUARTER, direction=d), 7)
            self.report(len(ids) == len(set(ids)) == 36, "walk audit logs %s returns every entry" % d,
                        "%d ids" % len(ids))
        for name, v in AUDIT_FILTER_VALUES:
            c("audit logs filter %s" % name, p, dict(QUARTER, **{name: v}))
            c("audit logs filter %s.not" % name, p, dict(QUARTER, **{name + ".not": v}))
        c("audit logs filter repeated", p, list(QUARTER.items()) + [("action_type", "create"), ("action_type", "view"),
                                                                    ("actor_type.not", "user")])
        c("audit logs window at midnight", p, {"since": "2026-02-01", "before": "2026-02-02"})
        self.control("POST", "/config", {"cursor_form": "cursors.after"})
        ids = self.walk_cursor("walk audit logs, cursors.after (limit 10)", p, QUARTER, 10, "cursors.after")
        self.report(len(ids) == 36, "walk with cursors.after returns every entry", "%d ids" % len(ids))
        self.control("POST", "/config", {"cursor_form": "cursor"})
        self.check_quirk("audit logs since as RFC 3339 (the text allows it, format date does not)", p,
                         {"since": "2026-01-01T00:00:00Z", "before": "2026-04-01"}, "since", "format")
        self.check_quirk("audit logs actor_context=api (the newest SDK's value, not in the enum)", p,
                         dict(QUARTER, actor_context="api"), "actor_context", "enum")

    def history(self):
        c = self.check_doc
        q = dict(QUARTER, action_time="2026-02-01T00:00:00Z")
        c("history exact", HISTORY % (ACME, EV_MIDNIGHT), q)
        c("history exact asc", HISTORY % (ACME, EV_MIDNIGHT), dict(q, direction="asc"))
        c("history approximate", HISTORY % (ACME, EV_APPROX), dict(QUARTER, action_time="2026-02-14T14:14:14Z"))
        c("history unavailable", HISTORY % (ACME, EV_UNAVAILABLE), dict(QUARTER, action_time="2026-01-25T03:00:00Z"))
        ids = self.walk_cursor("walk history (limit 1)", HISTORY % (ACME, EV_MIDNIGHT), q, 1)
        self.report(len(ids) == 4, "walk history returns the resource's 4 entries", "%d ids" % len(ids))
        c("history, entry not on that day -> 404", HISTORY % (ACME, EV_MIDNIGHT),
          dict(q, action_time="2026-02-02T00:00:00Z"), expect=404)
        c("history, unknown entry -> 404", HISTORY % (ACME, "00000000-0000-4000-8000-000000000000"), q, expect=404)
        c("history, unknown organization -> 404", HISTORY % ("z" * 32, EV_MIDNIGHT), q, expect=404)

    def audit_hex_ids(self):
        """The emulator's audit_id_form "hex" (ids as 32 hex digits, the
        UUID without dashes): they fit the item schema's maxLength 32, so
        Acme's pages and histories pass with no violation at all, and
        Initech's page keeps only its actor context divergence."""
        self.control("POST", "/config", {"audit_id_form": "hex"})
        c = self.check
        p = AUDIT % ACME
        j = c("hex ids: audit logs", "GET", p, dict(QUARTER, limit="1000"))
        if j:
            ids = [x["id"] for x in j["result"]]
            self.report(len(ids) == 36 and all(re.match(r"^[0-9a-f]{32}$", x) for x in ids),
                        "hex ids: every id is 32 hex digits", "%r" % ids[:3])
        c("hex ids: audit logs filter id (hex)", "GET", p, dict(QUARTER, id=EV_MIDNIGHT.replace("-", "")))
        c("hex ids: audit logs filter id.not (dashed)", "GET", p, dict(QUARTER, **{"id.not": EV_MIDNIGHT}))
        for form in ("cursor", "cursors.after"):
            self.control("POST", "/config", {"cursor_form": form})
            ids = self.walk_cursor("hex ids: walk audit logs, %s (limit 8)" % form, p, QUARTER, 8, form)
            self.report(len(set(ids)) == 36, "hex ids: walk with %s returns every entry" % form, "%d ids" % len(ids))
        self.control("POST", "/config", {"cursor_form": "cursor"})
        q = dict(QUARTER, action_time="2026-02-01T00:00:00Z")
        c("hex ids: history exact (the path keeps the dashed UUID)", "GET", HISTORY % (ACME, EV_MIDNIGHT), q)
        c("hex ids: history approximate", "GET", HISTORY % (ACME, EV_APPROX),
          dict(QUARTER, action_time="2026-02-14T14:14:14Z"))
        ids = self.walk_cursor("hex ids: walk history (limit 3)", HISTORY % (ACME, EV_MIDNIGHT), q, 3)
        self.report(len(ids) == 4, "hex ids: walk history returns the resource's 4 entries", "%d ids" % len(ids))
        self.check_doc("hex ids: audit logs, Initech (actor.context api only)", AUDIT % INITECH, QUARTER)
        self.control("POST", "/config", {"audit_id_form": "uuid"})

    def usage(self):
        c = self.check_doc
        for f, t in (("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"), ("2026-03-01", "2026-03-31")):
            c("usage %s..%s" % (f, t), USAGE % ACME, {"from": f, "to": t})
        c("usage, default window", USAGE % ACME)
        c("usage, Globex Retail (unnamed account, unnamed metric)", USAGE % GLOBEX_RETAIL,
          {"from": "2026-02-01", "to": "2026-02-03"})
        c("usage, organization without any", USAGE % INITECH, {"from": "2026-02-01", "to": "2026-02-03"})
        c("usage, unknown organization (empty)", USAGE % ("z" * 32), {"from": "2026-02-01", "to": "2026-02-03"})

    def shares(self):
        c = self.check
        p = SHARES % ACME
        c("shares", "GET", p)
        for page in (1, 2, 3, 4):
            c("shares page %d (per_page 10)" % page, "GET", p, {"page": str(page), "per_page": "10"})
        c("shares page without per_page", "GET", p, {"page": "2"})
        for key, values in (("status", ("active", "deleting", "deleted")), ("kind", ("sent", "received")),
                            ("target_type", ("account", "organization"))):
            for v in values:
                c("shares filter %s=%s" % (key, v), "GET", p, {key: v})
        c("shares filter resource_types repeated", "GET", p,
          [("resource_types", "custom-ruleset"), ("resource_types", "idp-federation-grant")])
        for order in ("name", "created"):
            for d in ("asc", "desc"):
                c("shares order %s %s" % (order, d), "GET", p, {"order": order, "direction": d, "per_page": "5"})
        c("shares of Globex", "GET", SHARES % GLOBEX)
        c("shares, organization without any", "GET", SHARES % INITECH)

    def errors(self):
        """Error answers are in the contract too (4XX envelopes)."""
        c = self.check
        c("unknown organization -> 404", "GET", "/organizations/" + "z" * 32, expect=404)
        c("missing profile -> 404", "GET", "/organizations/%s/profile" % ACME_LAB, expect=404)
        c("delete non-empty organization -> 400", "DELETE", "/organizations/" + ACME, expect=400)
        c("create under unknown parent -> 404", "POST", "/organizations",
          body={"name": "Orphan", "parent": {"id": "z" * 32}}, expect=404)
        c("duplicate member -> 409", "POST", "/organizations/%s/members" % INITECH,
          body={"member": {"user": {"email": "peter.gibbons@initech.example"}}}, expect=409)
        c("member of unknown organization -> 404", "POST", "/organizations/%s/members" % ("z" * 32),
          body={"member": {"user": {"email": "x@y.example"}}}, expect=404)
        c("unknown member -> 404", "GET", "/organizations/%s/members/%s" % (ACME, "z" * 32), expect=404)
        c("modify parent -> 400", "PUT", "/organizations/" + ACME_EU, body={"name": "x", "parent": {"id": GLOBEX}},
          expect=400)
        j = c("page token source", "GET", "/organizations", {"page_size": "2", "name.startsWith": "acme"})
        if j:
            c("page token with other filters -> 400", "GET", "/organizations",
              {"page_size": "2", "name.startsWith": "glo", "page_token": j["result_info"]["next_page_token"]},
              expect=400)
        c("unknown membership -> 404", "GET", "/memberships/" + "z" * 32, expect=404)
        c("update unknown membership -> 404", "PUT", "/memberships/" + "z" * 32, body={"status": "accepted"},
          expect=404)
        c("delete unknown membership -> 404", "DELETE", "/memberships/" + "z" * 32, expect=404)
        # the newer operations' errors that the document lets through to the emulator
        c("audit logs of unknown organization -> 404", "GET", AUDIT % ("z" * 32), QUARTER, expect=404)
        c("audit logs before = since -> 400", "GET", AUDIT % ACME, {"since": "2026-02-01", "before": "2026-02-01"},
          expect=400)
        c("audit logs limit 2.5 -> 400", "GET", AUDIT % ACME, dict(QUARTER, limit="2.5"), expect=400)
        c("audit logs bad cursor -> 400", "GET", AUDIT % ACME, dict(QUARTER, cursor="garbage"), expect=400)
        c("history bad cursor -> 400", "GET", HISTORY % (ACME, EV_MIDNIGHT),
          dict(QUARTER, action_time="2026-02-01T00:00:00Z", cursor="garbage"), expect=400)
        c("usage over 31 days -> 400", "GET", USAGE % ACME, {"from": "2026-01-01", "to": "2026-02-01"}, expect=400)
        c("usage to before from -> 400", "GET", USAGE % ACME, {"from": "2026-02-02", "to": "2026-02-01"}, expect=400)
        c("usage from without to -> 400", "GET", USAGE % ACME, {"from": "2026-02-01"}, expect=400)
        c("shares of unknown organization -> 404", "GET", SHARES % ("z" * 32), expect=404)


    def controls(self):
        """Negative controls: prove that Prism really reports violations here."""
        st, hdrs, raw = self.p.request("GET", "/organizations?page_size=1001", None, EMAIL)
        self.report(st == 422 and b"page_size" in raw, "control: Prism rejects a request violation (page_size=1001)",
                    "HTTP %d %s" % (st, raw[:300]))
        st, hdrs, raw = self.p.request("GET", "/organizations", None, {})
        self.report(st == 401, "control: Prism enforces security (no credentials -> 401)", "HTTP %d" % st)
        st, _, _ = self.e.request("POST", "/__emulator/faults",
                                  {"method": "GET", "path": "^/memberships$", "kind": "wrong_types"})
        st, hdrs, raw = self.p.request("GET", "/memberships", None, EMAIL)
        self.report(st == 500 and "sl-violations" in hdrs and b"VIOLATIONS" in raw,
                    "control: Prism reports an injected response violation (wrong_types)",
                    "HTTP %d %s" % (st, raw[:300]))
        self.control("DELETE", "/faults")
        # the known divergences are no blanket: a response with any other
        # violation fails the check (the fault is added after the prediction)
        path = AUDIT % ACME + "?" + urllib.parse.urlencode(dict(QUARTER, limit="2"))
        direct, want = self.predict(path, 200)
        self.e.request("POST", "/__emulator/faults", {"path": "/logs/audit$", "kind": "wrong_types"})
        ok, why = self.judge(path, want)
        self.report(len(want) == 2 and not ok and "unexpected" in why,
                    "control: a violation beyond the document's divergences fails the check", why)
        self.control("DELETE", "/faults")
        st, _, raw = self.p.request("GET", HISTORY % (ACME, "32619fa39ee7498094eff012ad524214") + "?" +
                                    urllib.parse.urlencode(dict(QUARTER, action_time="2026-02-01T00:00:00Z")),
                                    None, EMAIL)
        self.report(st == 422 and b"uuid" in raw, "control: Prism rejects a history id that is not a UUID",
                    "HTTP %d %s" % (st, raw[:300]))
        st, _, raw = self.p.request("GET", SHARES % ACME + "?per_page=101", None, EMAIL)
        self.report(st == 422 and b"per_page" in raw, "control: Prism rejects shares per_page=101",
                    "HTTP %d %s" % (st, raw[:300]))


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    return Traffic(argv[0], argv[1]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
