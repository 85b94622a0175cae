"""Unit tests of emulator/cf_emulator.py and emulator/ctl.py.

Run from the repository root:
    python3 -m unittest discover -s emulator/tests -v

Each test class starts its own emulator in-process on a free port (some start
it as a subprocess to check the command line) and talks real HTTP to it.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMU_DIR = os.path.dirname(HERE)
sys.path.insert(0, EMU_DIR)

import cf_emulator  # noqa: E402

EMULATOR = os.path.join(EMU_DIR, "cf_emulator.py")
CTL = os.path.join(EMU_DIR, "ctl.py")
PY = sys.executable

EMAIL = {"X-Auth-Email": "user@example.com", "X-Auth-Key": "144c9defac04969c7bfad8efaa8ea194"}
TOKEN = {"Authorization": "Bearer test-token"}

# sample.json ids that the FDW's tests rely on too (README.md lists them)
ACME = "83swwm38cort1r31ioqntjqrdp4v52wl"
ACME_EU = "8ih0z5pf164xl3q48c2wuvqmuupnfxg2"
ACME_LAB = "ui7v0g2hcxjnwl50dvacvvq27od2rhh9"
ACME_NA = "l1uj8hie13wxk7h0wsty5przv7ze8716"
ACME_CA = "u1vws9313ppxv2x6rrxpa1l6snch730m"
GLOBEX = "9vgaxgt8qhdt5o3a63p067ur9e481bu1"
GLOBEX_RETAIL = "mjulhtqb8cbaqeqpng7urwcqwbks2t77"
GLOBEX_SEC = "yszw4hu93cise6q0ebfdwg29qze5n1nh"
GLOBEX_RESEARCH = "1tpylfxxf42wvneutsa11ww30uhaxix7"
GLOBEX_RED = "83oejlo7gdtlak4bc4itdbjgqmvdcc2t"
INITECH = "2qcqt9edex1pj0n560wir7mr6038u3mi"
INITECH_PAY = "su0xsch873cb0979067rjp3r3q0ezpim"
INITECH_SANDBOX = "nk7wp4x1jmd7wihdrfasc8cw7utqvif6"
ALL_ORGS = [ACME, ACME_EU, ACME_LAB, ACME_NA, ACME_CA, GLOBEX, GLOBEX_RETAIL, GLOBEX_SEC,
            GLOBEX_RESEARCH, GLOBEX_RED, INITECH, INITECH_PAY, INITECH_SANDBOX]
ID_RE = re.compile(r"^[0-9a-z]{32}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Resp:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def json(self):
        return json.loads(self.raw.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class Client:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = None

    def request(self, method, path, query=None, body=None, headers=None, auth=EMAIL, prefix=True,
                raw_body=None, keep=True):
        if query:
            path += "?" + (query if isinstance(query, str) else urllib.parse.urlencode(query, doseq=True))
        if prefix and not path.startswith("/__emulator"):
            path = "/client/v4" + path
        h = dict(auth or {})
        h.update(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.conn is None or not keep:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            self.conn.request(method, path, body=data, headers=h)
            r = self.conn.getresponse()
            raw = r.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if r.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return Resp(r.status, r.getheaders(), raw)

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None


def start_inproc(argv):
    srv = cf_emulator.make_server(["--port", "0"] + argv)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    return srv


def stop_inproc(srv):
    srv.emu.stopping.set()
    srv.shutdown()
    srv.server_close()


class EmuTest(unittest.TestCase):
    ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.srv = start_inproc(cls.ARGS)
        cls.port = cls.srv.server_address[1]
        cls.c = Client("127.0.0.1", cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        stop_inproc(cls.srv)

    def setUp(self):
        r = self.c.request("POST", "/__emulator/reset", auth=None)
        self.assertEqual(r.status, 200)

    # helpers ---------------------------------------------------------------
    def get(self, path, query=None, **kw):
        return self.c.request("GET", path, query, **kw)

    def ok(self, method, path, query=None, body=None, status=200, **kw):
        r = self.c.request(method, path, query, body, **kw)
        self.assertEqual(r.status, status, r.raw[:500])
        if status == 204:
            self.assertEqual(r.raw, b"")
            return None
        j = r.json
        self.assertIs(j["success"], True)
        self.assertEqual(j["errors"], [])
        self.assertEqual(j["messages"], [])
        return j

    def err(self, method, path, query=None, body=None, status=400, code=None, **kw):
        r = self.c.request(method, path, query, body, **kw)
        self.assertEqual(r.status, status, r.raw[:500])
        self.assertEqual(r.header("Content-Type"), "application/json")
        j = r.json
        self.assertIs(j["success"], False)
        self.assertEqual(len(j["errors"]), 1)
        self.assertIsInstance(j["errors"][0]["message"], str)
        self.assertGreaterEqual(j["errors"][0]["code"], 900)
        if code is not None:
            self.assertEqual(j["errors"][0]["code"], code)
        self.assertEqual(j["messages"], [])
        if cf_emulator.family_of(path.split("?")[0]) in ("iam", "org+null") or "/history" in path and status == 404:
            # /memberships, and the usage and shares of an organization, whose
            # failure schemas require a null result; the history's 404 has one
            self.assertIn("result", j)
            self.assertIsNone(j["result"])
        else:
            self.assertNotIn("result", j)     # V4ErrorResponse: result is an optional object
        return j

    def ids(self, j):
        return [x["id"] for x in j["result"]]

    def walk(self, path, query, page_size=None, sizes=None, max_pages=100):
        """Follow page tokens to the end; return (ids, pages)."""
        q = list(query.items()) if isinstance(query, dict) else list(query)
        out, pages, tok, n = [], [], None, 0
        while True:
            qq = list(q)
            size = sizes[n % len(sizes)] if sizes else page_size
            if size is not None:
                qq.append(("page_size", str(size)))
            if tok:
                qq.append(("page_token", tok))
            j = self.ok("GET", path, qq)
            pages.append(j)
            out.extend(self.ids(j))
            tok = j["result_info"].get("next_page_token")
            n += 1
            if not tok:
                return out, pages
            self.assertLess(n, max_pages)

    def log(self):
        return self.c.request("GET", "/__emulator/requests", auth=None).json

    def fault(self, rule):
        r = self.c.request("POST", "/__emulator/faults", body=rule, auth=None)
        self.assertEqual(r.status, 200, r.raw)
        return r.json

    def config(self, cfg):
        r = self.c.request("POST", "/__emulator/config", body=cfg, auth=None)
        self.assertEqual(r.status, 200, r.raw)
        return r.json


# ==========================================================================
class TestAuth(EmuTest):
    ARGS = ["--forbidden-token", "no-beta"]

    def test_missing_credentials(self):
        j = self.err("GET", "/organizations", auth=None, status=400, code=9106)
        self.assertEqual(j["errors"][0]["message"], "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        self.err("GET", "/memberships", auth=None, status=400, code=9106)

    def test_half_of_email_key_is_missing(self):
        self.err("GET", "/organizations", auth={"X-Auth-Email": "user@example.com"}, status=400, code=9106)
        self.err("GET", "/organizations", auth={"X-Auth-Key": EMAIL["X-Auth-Key"]}, status=400, code=9106)

    def test_wrong_credentials(self):
        j = self.err("GET", "/organizations", auth={"Authorization": "Bearer wrong"}, status=403, code=10000)
        self.assertEqual(j["errors"][0]["message"], "Authentication error")
        self.err("GET", "/organizations", auth={"X-Auth-Email": "user@example.com", "X-Auth-Key": "nope"},
                 status=403, code=10000)
        self.err("GET", "/memberships", auth={"X-Auth-Email": "other@example.com", "X-Auth-Key": EMAIL["X-Auth-Key"]},
                 status=403, code=10000)

    def test_malformed_authorization_header(self):
        j = self.err("GET", "/organizations", auth={"Authorization": "Basic dXNlcjpwdw=="}, status=400, code=6003)
        self.assertEqual(j["errors"][0]["error_chain"][0]["code"], 6111)

    def test_both_styles_accepted_everywhere(self):
        for auth in (EMAIL, TOKEN):
            self.ok("GET", "/organizations", auth=auth)
            self.ok("GET", "/organizations/" + ACME, auth=auth)
            self.ok("GET", "/memberships", auth=auth)
        # email is matched case-insensitively, the key exactly
        self.ok("GET", "/organizations", auth={"X-Auth-Email": "USER@example.com", "X-Auth-Key": EMAIL["X-Auth-Key"]})

    def test_forbidden_token(self):
        tok = {"Authorization": "Bearer no-beta"}
        for p in ("/organizations", "/organizations/" + ACME, "/organizations/" + ACME + "/members"):
            j = self.err("GET", p, auth=tok, status=403, code=10000)
            self.assertEqual(j["errors"][0]["message"], "Forbidden")
            self.assertIn("documentation_url", j["errors"][0])
        self.err("POST", "/organizations", body={"name": "x"}, auth=tok, status=403, code=10000)
        self.ok("GET", "/memberships", auth=tok)

    def test_auth_failures_are_logged_without_credentials(self):
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.get("/organizations", auth={"Authorization": "Bearer secret-value"})
        log = self.log()
        self.assertEqual(log, [{"method": "GET", "path": "/organizations", "query": "", "body": None}])
        self.assertNotIn("secret-value", json.dumps(log))


class TestCustomCredentials(EmuTest):
    ARGS = ["--token", "t1", "--token", "t2", "--email", "ops@corp.example", "--key", "k123"]

    def test_custom_credentials(self):
        self.ok("GET", "/organizations", auth={"Authorization": "Bearer t1"})
        self.ok("GET", "/organizations", auth={"Authorization": "Bearer t2"})
        self.err("GET", "/organizations", auth=TOKEN, status=403)
        self.ok("GET", "/organizations", auth={"X-Auth-Email": "ops@corp.example", "X-Auth-Key": "k123"})
        self.err("GET", "/organizations", auth=EMAIL, status=403)


# ==========================================================================
class TestHttp(EmuTest):
    def test_prefix_and_root_both_served(self):
        a = self.get("/organizations", {"page_size": "3"})
        b = self.get("/organizations", {"page_size": "3"}, prefix=False)
        self.assertEqual(a.status, 200)
        self.assertEqual(a.raw, b.raw)
        paths = [r["path"] for r in self.log()]
        self.assertEqual(paths, ["/organizations", "/organizations"])

    def test_headers(self):
        r = self.get("/organizations")
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(int(r.header("Content-Length")), len(r.raw))
        self.assertRegex(r.header("cf-ray"), r"^[0-9a-f]{16}-SJC$")
        r2 = self.get("/organizations")
        self.assertNotEqual(r.header("cf-ray"), r2.header("cf-ray"))

    def test_keep_alive(self):
        c = Client("127.0.0.1", self.port)
        c.request("GET", "/organizations")
        sock = c.conn.sock
        for _ in range(5):
            self.assertEqual(c.request("GET", "/memberships").status, 200)
        self.assertIs(c.conn.sock, sock)
        c.close()

    def test_unknown_route_and_method(self):
        self.err("GET", "/zones", status=404, code=7003)
        self.err("GET", "/organizations/%s/nothing" % ACME, status=404, code=7003)
        r = self.c.request("PATCH", "/organizations/" + ACME, body={"name": "x"})
        self.assertEqual(r.status, 405)
        self.assertEqual(r.json["errors"][0]["code"], 7001)
        self.assertIn("PUT", r.header("Allow"))

    def test_unknown_query_parameters_are_ignored(self):
        a = self.ok("GET", "/organizations", {"page_size": "5"})
        b = self.ok("GET", "/organizations", {"page_size": "5", "name.starts_with": "zzz", "bogus": "1"})
        self.assertEqual(self.ids(a), self.ids(b))

    def test_malformed_json_body(self):
        self.err("POST", "/organizations", raw_body=b"{not json", headers={"Content-Type": "application/json"},
                 status=400, code=6007)
        self.err("POST", "/organizations", raw_body=b"", status=400, code=1001)

    def test_chunked_request_body(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        body = json.dumps({"name": "Chunked Org"}).encode()
        conn.putrequest("POST", "/client/v4/organizations")
        for k, v in EMAIL.items():
            conn.putheader(k, v)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(json.loads(r.read())["result"]["name"], "Chunked Org")
        conn.close()

    def test_expect_100_continue(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        body = json.dumps({"name": "E" * 2000}).encode()
        s.sendall(("POST /client/v4/organizations HTTP/1.1\r\nHost: x\r\nX-Auth-Email: user@example.com\r\n"
                   "X-Auth-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                   "Expect: 100-continue\r\n\r\n" % (EMAIL["X-Auth-Key"], len(body))).encode())
        first = s.recv(100)
        self.assertTrue(first.startswith(b"HTTP/1.1 100"), first)
        s.sendall(body)
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertIn(b"HTTP/1.1 200 OK", data)

    def test_percent_encoded_colon(self):
        j = self.ok("POST", "/organizations/%s/members%%3AbatchCreate" % INITECH_PAY,
                    body={"members": [{"user": {"email": "colon@x.example"}}]})
        self.assertEqual(len(j["result"]), 1)
        self.assertEqual(self.log()[-1]["path"], "/organizations/%s/members:batchCreate" % INITECH_PAY)


# ==========================================================================
class TestOrganizations(EmuTest):
    def test_list_default_page(self):
        j = self.ok("GET", "/organizations")
        self.assertEqual(len(j["result"]), 10)
        self.assertEqual(j["result_info"]["total_size"], 13)
        self.assertIn("next_page_token", j["result_info"])
        self.assertEqual(self.ids(j), ALL_ORGS[:10])

    def test_org_object_shape(self):
        j = self.ok("GET", "/organizations/" + ACME_LAB)
        o = j["result"]
        self.assertEqual(o["id"], ACME_LAB)
        self.assertEqual(o["name"], "Acme Labs Berlin")
        self.assertRegex(o["create_time"], TS_RE)
        self.assertEqual(o["parent"], {"id": ACME_EU, "name": "Acme Europe"})
        self.assertNotIn("profile", o)
        meta = o["meta"]
        self.assertEqual(len(meta["hierarchy_tags"]), 3)
        self.assertEqual(sorted(meta["tenant_flags"]), sorted(cf_emulator.TENANT_FLAG_KEYS))
        self.assertIsInstance(meta["managed_by"], str)
        self.assertEqual(meta["region"], {"code": "eu-central"})
        root = self.ok("GET", "/organizations/" + ACME)["result"]
        self.assertNotIn("parent", root)
        self.assertEqual(meta["hierarchy_tags"][0], root["meta"]["hierarchy_tags"][0])
        self.assertEqual(len(root["meta"]["hierarchy_tags"]), 1)
        self.assertEqual(sorted(root["profile"]), sorted(cf_emulator.PROFILE_KEYS))

    def test_sample_data_properties(self):
        orgs, _ = self.walk("/organizations", {}, page_size=1000)
        self.assertEqual(orgs, ALL_ORGS)
        for oid in ALL_ORGS:
            self.assertRegex(oid, ID_RE)
            self.assertRegex(oid, "[g-z]")
        stamps = [o["create_time"] for o in self.ok("GET", "/organizations", {"page_size": "100"})["result"]]
        self.assertIn("2024-01-15T10:00:00Z", stamps)
        self.assertTrue(any(re.search(r"\.\d{3}Z$", s) for s in stamps))
        self.assertTrue(any(re.search(r"\.\d{6}Z$", s) for s in stamps))
        self.assertTrue(any(s.endswith("+02:00") for s in stamps))

    def test_walk_page_sizes(self):
        for size, pages in ((1, 13), (5, 3), (13, 1), (10, 2), (1000, 1), (12, 2)):
            ids, got = self.walk("/organizations", {}, page_size=size)
            self.assertEqual(ids, ALL_ORGS, size)
            self.assertEqual(len(got), pages, size)
            for p in got:
                self.assertEqual(p["result_info"]["total_size"], 13)
            self.assertNotIn("next_page_token", got[-1]["result_info"])

    def test_page_size_zero_means_default(self):
        j = self.ok("GET", "/organizations", {"page_size": "0"})
        self.assertEqual(len(j["result"]), 10)

    def test_page_size_may_change_between_pages(self):
        ids, pages = self.walk("/organizations", {}, sizes=[2, 7, 1, 100])
        self.assertEqual(ids, ALL_ORGS)
        self.assertEqual([len(p["result"]) for p in pages], [2, 7, 1, 3])

    def test_page_size_out_of_range(self):
        for v in ("1001", "-1", "abc", "1.5", "10x"):
            self.err("GET", "/organizations", {"page_size": v}, status=400, code=1002)
        self.ok("GET", "/organizations", {"page_size": "1000"})

    def test_token_bound_to_filters(self):
        j = self.ok("GET", "/organizations", {"page_size": "2", "name.startsWith": "acme"})
        tok = j["result_info"]["next_page_token"]
        self.ok("GET", "/organizations", {"page_size": "2", "name.startsWith": "acme", "page_token": tok})
        self.ok("GET", "/organizations", {"page_size": "2", "name.startsWith": "ACME", "page_token": tok})
        self.err("GET", "/organizations", {"page_size": "2", "name.startsWith": "glo", "page_token": tok},
                 status=400, code=1003)
        self.err("GET", "/organizations", {"page_size": "2", "page_token": tok}, status=400, code=1003)
        self.err("GET", "/organizations/%s/members" % ACME, {"page_token": tok}, status=400, code=1003)
        self.err("GET", "/organizations", {"page_token": "not-a-token"}, status=400, code=1003)
        self.err("GET", "/organizations", {"page_token": "eyJ4IjoxfQ"}, status=400, code=1003)

    def test_token_ignores_unknown_parameters(self):
        j = self.ok("GET", "/organizations", {"page_size": "2"})
        tok = j["result_info"]["next_page_token"]
        j2 = self.ok("GET", "/organizations", {"page_size": "2", "page_token": tok, "whatever": "1"})
        self.assertEqual(self.ids(j2), ALL_ORGS[2:4])

    def test_empty_result(self):
        j = self.ok("GET", "/organizations", {"name": "No Such Org"})
        self.assertEqual(j["result"], [])
        self.assertEqual(j["result_info"], {"total_size": 0})

    def test_filter_id(self):
        j = self.ok("GET", "/organizations", [("id", GLOBEX), ("id", ACME), ("id", "0" * 32)])
        self.assertEqual(self.ids(j), [ACME, GLOBEX])
        j = self.ok("GET", "/organizations", {"id": "%s,%s" % (INITECH, ACME_CA)})
        self.assertEqual(self.ids(j), [ACME_CA, INITECH])
        self.assertEqual(self.ok("GET", "/organizations", {"id": "nope"})["result"], [])

    def test_filter_name_exact_is_case_sensitive(self):
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"name": "Globex Retail"})), [GLOBEX_RETAIL])
        self.assertEqual(self.ok("GET", "/organizations", {"name": "globex retail"})["result"], [])
        self.assertEqual(self.ok("GET", "/organizations", {"name": "Globex"})["result"], [])

    def test_filter_name_ci(self):
        ids = self.ids(self.ok("GET", "/organizations", {"name.startsWith": "ACME", "page_size": "50"}))
        self.assertEqual(ids, [ACME, ACME_EU, ACME_LAB, ACME_NA, ACME_CA])
        ids = self.ids(self.ok("GET", "/organizations", {"name.endsWith": "SECURITY", "page_size": "50"}))
        self.assertEqual(ids, [GLOBEX_SEC])
        ids = self.ids(self.ok("GET", "/organizations", {"name.contains": "sec", "page_size": "50"}))
        self.assertEqual(ids, [GLOBEX_SEC, GLOBEX_RESEARCH])
        ids = self.ids(self.ok("GET", "/organizations", {"name.contains": "a", "name.startsWith": "in",
                                                         "page_size": "50"}))
        self.assertEqual(ids, [INITECH_PAY, INITECH_SANDBOX])

    def test_filter_parent(self):
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"parent.id": "null"})), [ACME, GLOBEX, INITECH])
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"parent.id": ACME})), [ACME_EU, ACME_NA])
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"parent.id": INITECH})),
                         [INITECH_PAY, INITECH_SANDBOX])
        self.assertEqual(self.ok("GET", "/organizations", {"parent.id": GLOBEX_RED})["result"], [])
        self.assertEqual(self.ok("GET", "/organizations", {"parent.id": "unknown"})["result"], [])

    def test_filter_containing_account(self):
        acct = self.ok("GET", "/organizations/%s/accounts" % GLOBEX_RESEARCH)["result"][0]["id"]
        ids = self.ids(self.ok("GET", "/organizations", {"containing.account": acct}))
        self.assertEqual(ids, [GLOBEX, GLOBEX_SEC, GLOBEX_RESEARCH])
        self.assertEqual(self.ok("GET", "/organizations", {"containing.account": "x" * 32})["result"], [])

    def test_filter_containing_user(self):
        members = self.ok("GET", "/organizations/%s/members" % ACME_CA)["result"]
        carlos = next(m["user"]["id"] for m in members if m["user"]["email"] == "carlos@acme.example")
        ids = self.ids(self.ok("GET", "/organizations", {"containing.user": carlos}))
        self.assertEqual(ids, [ACME, ACME_NA, ACME_CA])
        zoe = next(m["user"]["id"] for m in members if m["user"]["email"] == "zoe@acme.example")
        ids = self.ids(self.ok("GET", "/organizations", {"containing.user": zoe, "page_size": "50"}))
        self.assertEqual(ids, [ACME, ACME_EU, ACME_LAB, ACME_NA, ACME_CA, GLOBEX, GLOBEX_SEC, GLOBEX_RESEARCH])
        self.assertEqual(self.ok("GET", "/organizations", {"containing.user": "nobody"})["result"], [])

    def test_filter_containing_organization(self):
        ids = self.ids(self.ok("GET", "/organizations", {"containing.organization": GLOBEX_RED}))
        self.assertEqual(ids, [GLOBEX, GLOBEX_SEC, GLOBEX_RESEARCH])
        self.assertEqual(self.ok("GET", "/organizations", {"containing.organization": ACME})["result"], [])
        self.assertEqual(self.ok("GET", "/organizations", {"containing.organization": "nope"})["result"], [])

    def test_filters_combine(self):
        ids = self.ids(self.ok("GET", "/organizations", {"containing.organization": GLOBEX_RED,
                                                         "name.contains": "security"}))
        self.assertEqual(ids, [GLOBEX_SEC, GLOBEX_RESEARCH])
        ids = self.ids(self.ok("GET", "/organizations", [("parent.id", "null"), ("id", ACME), ("id", ACME_EU)]))
        self.assertEqual(ids, [ACME])

    def test_filtered_pagination(self):
        ids, pages = self.walk("/organizations", {"name.startsWith": "globex"}, page_size=2)
        self.assertEqual(ids, [GLOBEX, GLOBEX_RETAIL, GLOBEX_SEC, GLOBEX_RESEARCH, GLOBEX_RED])
        self.assertEqual([p["result_info"]["total_size"] for p in pages], [5, 5, 5])

    def test_get_unknown(self):
        self.err("GET", "/organizations/" + "z" * 32, status=404, code=1004)

    def test_create_root_and_child(self):
        j = self.ok("POST", "/organizations", body={"name": "New Root"})
        o = j["result"]
        self.assertRegex(o["id"], ID_RE)
        self.assertRegex(o["create_time"], TS_RE)
        self.assertNotIn("parent", o)
        self.assertEqual(len(o["meta"]["hierarchy_tags"]), 1)
        prof = {"business_name": "Kid Ltd", "business_email": "kid@x.example", "business_phone": "+1",
                "business_address": "Somewhere", "external_metadata": "{}"}
        c = self.ok("POST", "/organizations", body={"name": "Kid", "parent": {"id": o["id"]}, "profile": prof})["result"]
        self.assertEqual(c["parent"], {"id": o["id"], "name": "New Root"})
        self.assertEqual(c["profile"], prof)
        self.assertEqual(self.ok("GET", "/organizations/%s/profile" % c["id"])["result"], prof)
        ids, _ = self.walk("/organizations", {}, page_size=100)
        self.assertEqual(ids, ALL_ORGS + [o["id"], c["id"]])
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"parent.id": o["id"]})), [c["id"]])
        self.assertIn(o["id"], self.ids(self.ok("GET", "/organizations", {"parent.id": "null"})))

    def test_create_ids_are_deterministic_after_reset(self):
        a = self.ok("POST", "/organizations", body={"name": "A"})["result"]["id"]
        self.c.request("POST", "/__emulator/reset", auth=None)
        b = self.ok("POST", "/organizations", body={"name": "A"})["result"]["id"]
        self.assertEqual(a, b)
        self.assertRegex(a, "[g-z]")

    def test_create_under_unknown_parent(self):
        self.err("POST", "/organizations", body={"name": "x", "parent": {"id": "q" * 32}}, status=404, code=1008)

    def test_create_bad_bodies(self):
        for body in ({}, {"name": 5}, {"name": ""}, {"name": "x", "parent": "abc"}, {"name": "x", "parent": {}},
                     {"name": "x", "parent": None}, {"name": "x", "profile": {"business_name": "only"}},
                     {"name": "x", "profile": None}, {"organization": {"name": "wrapped"}}, [],
                     {"name": "x", "profile": dict.fromkeys(cf_emulator.PROFILE_KEYS, 1)}):
            self.err("POST", "/organizations", body=body, status=400, code=1001)
        self.assertEqual(self.ok("GET", "/organizations")["result_info"]["total_size"], 13)

    def test_create_ignores_read_only_fields(self):
        o = self.ok("POST", "/organizations", body={"name": "RO", "id": "mine", "create_time": "2000-01-01T00:00:00Z",
                                                    "meta": {"x": {}}})["result"]
        self.assertNotEqual(o["id"], "mine")
        self.assertNotEqual(o["create_time"], "2000-01-01T00:00:00Z")

    def test_modify(self):
        o = self.ok("PUT", "/organizations/" + ACME_EU, body={"name": "Acme EMEA"})["result"]
        self.assertEqual(o["name"], "Acme EMEA")
        self.assertEqual(o["parent"]["id"], ACME)
        kid = self.ok("GET", "/organizations/" + ACME_LAB)["result"]
        self.assertEqual(kid["parent"]["name"], "Acme EMEA")
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"name": "Acme EMEA"})), [ACME_EU])
        # the same parent and profile may be sent back
        full = self.ok("GET", "/organizations/" + ACME_EU)["result"]
        self.ok("PUT", "/organizations/" + ACME_EU, body={"name": "Acme Europe", "parent": {"id": ACME},
                                                          "profile": full["profile"]})

    def test_modify_only_name(self):
        self.err("PUT", "/organizations/" + ACME_EU, body={"name": "x", "parent": {"id": GLOBEX}}, status=400, code=1011)
        self.err("PUT", "/organizations/" + ACME_EU, body={"name": "x", "profile": dict.fromkeys(cf_emulator.PROFILE_KEYS, "v")},
                 status=400, code=1011)
        self.err("PUT", "/organizations/" + ACME_EU, body={}, status=400, code=1001)
        self.err("PUT", "/organizations/" + "y" * 32, body={"name": "x"}, status=404, code=1004)
        self.assertEqual(self.ok("GET", "/organizations/" + ACME_EU)["result"]["name"], "Acme Europe")

    def test_delete_empty(self):
        j = self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(j["result"], {"id": INITECH_SANDBOX})
        self.err("GET", "/organizations/" + INITECH_SANDBOX, status=404)
        self.err("DELETE", "/organizations/" + INITECH_SANDBOX, status=404)
        self.assertEqual(self.ok("GET", "/organizations")["result_info"]["total_size"], 12)
        self.assertEqual(self.ids(self.ok("GET", "/organizations", {"parent.id": INITECH})), [INITECH_PAY])

    def test_delete_not_empty(self):
        for oid in (ACME, GLOBEX_RED, INITECH_PAY):
            j = self.err("DELETE", "/organizations/" + oid, status=400, code=1009)
            self.assertIn("not empty", j["errors"][0]["message"])
        self.ok("GET", "/organizations/" + GLOBEX_RED)

    def test_delete_after_emptying(self):
        o = self.ok("POST", "/organizations", body={"name": "Temp", "parent": {"id": INITECH_SANDBOX}})["result"]
        self.err("DELETE", "/organizations/" + INITECH_SANDBOX, status=400, code=1009)
        m = self.ok("POST", "/organizations/%s/members" % o["id"], body={"member": {"user": {"email": "t@x.example"}}})
        self.err("DELETE", "/organizations/" + o["id"], status=400, code=1009)
        self.ok("DELETE", "/organizations/%s/members/%s" % (o["id"], m["result"]["id"]), status=204)
        self.ok("DELETE", "/organizations/" + o["id"])
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)

    def test_profile(self):
        p = self.ok("GET", "/organizations/%s/profile" % ACME)["result"]
        self.assertEqual(p["business_name"], "Acme Corporation")
        self.assertEqual(json.loads(p["external_metadata"])["crm_id"], "ACME-0001")
        self.err("GET", "/organizations/%s/profile" % ACME_LAB, status=404, code=1007)
        self.err("GET", "/organizations/%s/profile" % ("n" * 32), status=404, code=1004)

    def test_profile_put(self):
        prof = {"business_name": "Lab", "business_email": "lab@acme.example", "business_phone": "+49",
                "business_address": "Berlin", "external_metadata": ""}
        r = self.c.request("PUT", "/organizations/%s/profile" % ACME_LAB, body=prof)
        self.assertEqual(r.status, 204)
        self.assertEqual(r.raw, b"")
        self.assertIsNone(r.header("Content-Type"))
        self.assertIsNotNone(r.header("cf-ray"))
        self.assertEqual(self.ok("GET", "/organizations/%s/profile" % ACME_LAB)["result"], prof)
        self.assertEqual(self.ok("GET", "/organizations/" + ACME_LAB)["result"]["profile"], prof)
        # the connection is still usable after a 204
        self.ok("GET", "/organizations/" + ACME_LAB)

    def test_profile_put_needs_all_fields(self):
        for k in cf_emulator.PROFILE_KEYS:
            prof = dict.fromkeys(cf_emulator.PROFILE_KEYS, "v")
            del prof[k]
            j = self.err("PUT", "/organizations/%s/profile" % ACME, body=prof, status=400, code=1001)
            self.assertIn(k, j["errors"][0]["message"])
        self.err("PUT", "/organizations/%s/profile" % ACME, body={"profile": dict.fromkeys(cf_emulator.PROFILE_KEYS, "v")},
                 status=400)
        self.err("PUT", "/organizations/%s/profile" % ("n" * 32), body=dict.fromkeys(cf_emulator.PROFILE_KEYS, "v"),
                 status=404)


# ==========================================================================
class TestManyDescriptors(EmuTest):
    """A connection whose descriptor is numbered above 1,024 is served like
    any other, also while the emulator waits out a latency (it then asks
    whether the client hung up)."""

    def test_request_on_a_high_descriptor(self):
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = 1200
        if soft < want:
            self.assertGreaterEqual(hard, want, "RLIMIT_NOFILE's hard limit is below %d" % want)
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        held = []
        try:
            # the emulator runs in this process: its next connection gets a
            # descriptor above every one held here
            while len(held) < 1100:
                held.append(os.open(os.devnull, os.O_RDONLY))
            self.assertGreater(held[-1], 1024)
            self.config({"latency_ms": 30})
            # a new connection, whose descriptor is numbered above 1,024 in
            # the client and in the emulator alike
            c = Client("127.0.0.1", self.port)
            try:
                r = c.request("GET", "/organizations", "page_size=1")
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.json["result"]), 1)
            finally:
                c.close()
        finally:
            self.config({"latency_ms": 0})
            for fd in held:
                os.close(fd)
            if soft < want:
                resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


class TestCaseFolding(EmuTest):
    """The switch for how case-insensitive filters fold case."""

    def test_fold_modes(self):
        fold = cf_emulator.fold
        try:
            cf_emulator.CASE_FOLDING[0] = "full"
            self.assertEqual(fold("İnitech"), "i\u0307nitech")
            self.assertEqual(fold("Straße"), "strasse")
            cf_emulator.CASE_FOLDING[0] = "simple"
            self.assertEqual(fold("İnitech"), "initech")
            self.assertEqual(fold("Straße"), "straße")
            cf_emulator.CASE_FOLDING[0] = "ascii"
            self.assertEqual(fold("İNITECH \u212a"), "İnitech \u212a")
        finally:
            cf_emulator.CASE_FOLDING[0] = "full"

    def test_switch_changes_matches(self):
        # a name whose first letter folds differently under each mode
        made = self.ok("POST", "/organizations", body={"name": "İnitech Turkey"})["result"]
        try:
            for mode, found in (("simple", True), ("full", False), ("ascii", False)):
                self.config({"case_folding": mode})
                j = self.ok("GET", "/organizations", "name.startsWith=ini&page_size=1000")
                self.assertEqual(made["id"] in self.ids(j), found, mode)
        finally:
            self.config({"case_folding": "full"})
            self.ok("DELETE", "/organizations/" + made["id"])

    def test_bad_mode(self):
        r = self.c.request("POST", "/__emulator/config", body={"case_folding": "turkic"}, auth=None)
        self.assertEqual(r.status, 400)


class TestAccounts(EmuTest):
    def names(self, j):
        return [a["name"] for a in j["result"]]

    def test_list(self):
        j = self.ok("GET", "/organizations/%s/accounts" % ACME)
        self.assertEqual(self.names(j), ["Acme Production", "Acme Staging", "Acme Marketing Sites"])
        self.assertEqual(j["result_info"], {"total_size": 3})
        for a in j["result"]:
            self.assertEqual(sorted(a), ["created_on", "id", "name", "settings", "type"])
            self.assertEqual(sorted(a["settings"]), sorted(cf_emulator.ACCOUNT_SETTING_KEYS))
            self.assertRegex(a["id"], ID_RE)
        self.assertEqual(self.ok("GET", "/organizations/%s/accounts" % INITECH_SANDBOX)["result"], [])
        self.err("GET", "/organizations/%s/accounts" % ("a" * 32), status=404, code=1004)

    def test_direct_accounts_only(self):
        self.assertEqual(len(self.ok("GET", "/organizations/%s/accounts" % GLOBEX)["result"]), 2)

    def test_settings_variety(self):
        rows = self.c.request("GET", "/__emulator/data/accounts", auth=None).json
        self.assertEqual(len(rows), 22)
        self.assertEqual({r["settings"]["enforce_twofactor"] for r in rows}, {True, False})
        self.assertEqual({r["settings"]["api_access_enabled"] for r in rows}, {True, False, None})
        self.assertIn(None, {r["settings"]["abuse_contact_email"] for r in rows})
        self.assertEqual({r["type"] for r in rows}, {"standard", "enterprise"})
        self.assertEqual(sum(1 for r in rows if r["name"] is None), 1)

    def test_name_filters(self):
        p = "/organizations/%s/accounts" % ACME
        self.assertEqual(self.names(self.ok("GET", p, {"name": "acme staging"})), ["Acme Staging"])
        self.assertEqual(self.names(self.ok("GET", p, {"name": "Acme"})), [])
        self.assertEqual(self.names(self.ok("GET", p, {"name.startsWith": "ACME P"})), ["Acme Production"])
        self.assertEqual(self.names(self.ok("GET", p, {"name.endsWith": "SITES"})), ["Acme Marketing Sites"])
        self.assertEqual(self.names(self.ok("GET", p, {"name.contains": "ing"})), ["Acme Staging", "Acme Marketing Sites"])
        self.assertEqual(self.names(self.ok("GET", p, {"account_pubname": "ACME PRODUCTION"})), ["Acme Production"])
        self.assertEqual(self.names(self.ok("GET", p, {"account_pubname.startsWith": "acme s"})), ["Acme Staging"])
        self.assertEqual(self.names(self.ok("GET", p, {"account_pubname.endsWith": "tion"})), ["Acme Production"])
        self.assertEqual(self.names(self.ok("GET", p, {"account_pubname.contains": "market"})), ["Acme Marketing Sites"])
        self.assertEqual(self.names(self.ok("GET", p, {"name.contains": "acme", "account_pubname.contains": "o"})),
                         ["Acme Production"])

    def test_null_name_account(self):
        p = "/organizations/%s/accounts" % GLOBEX_RETAIL
        j = self.ok("GET", p)
        self.assertEqual(self.names(j), ["Globex Retail Storefront", None, "Globex Retail Payments"])
        self.assertEqual(self.names(self.ok("GET", p, {"name.contains": "globex"})),
                         ["Globex Retail Storefront", "Globex Retail Payments"])
        self.assertEqual(self.names(self.ok("GET", p, {"order_by": "account_name"})),
                         [None, "Globex Retail Payments", "Globex Retail Storefront"])

    def test_order(self):
        p = "/organizations/%s/accounts" % ACME_NA
        self.assertEqual(self.names(self.ok("GET", p)), ["Acme NA Production", "acme na dev"])
        self.assertEqual(self.names(self.ok("GET", p, {"order_by": "account_name"})), ["acme na dev", "Acme NA Production"])
        self.assertEqual(self.names(self.ok("GET", p, {"order_by": "account_name", "direction": "asc"})),
                         ["acme na dev", "Acme NA Production"])
        self.assertEqual(self.names(self.ok("GET", p, {"order_by": "account_name", "direction": "desc"})),
                         ["Acme NA Production", "acme na dev"])
        self.assertEqual(self.names(self.ok("GET", p, {"direction": "desc"})), ["acme na dev", "Acme NA Production"])
        self.err("GET", p, {"order_by": "name"}, status=400, code=1002)
        self.err("GET", p, {"direction": "up"}, status=400, code=1002)

    def test_ordered_pagination(self):
        p = "/organizations/%s/accounts" % ACME
        for direction in ("asc", "desc"):
            ids, pages = self.walk(p, {"order_by": "account_name", "direction": direction}, page_size=1)
            names = [self.ok("GET", p, {"order_by": "account_name", "direction": direction, "page_size": "10"})]
            self.assertEqual(ids, self.ids(names[0]))
            self.assertEqual(len(pages), 3)
        j = self.ok("GET", p, {"order_by": "account_name", "page_size": "1"})
        tok = j["result_info"]["next_page_token"]
        self.err("GET", p, {"order_by": "account_name", "direction": "desc", "page_size": "1", "page_token": tok},
                 status=400, code=1003)


# ==========================================================================
class TestMembers(EmuTest):
    def emails(self, j):
        return [m["user"]["email"] for m in j["result"]]

    def test_list(self):
        j = self.ok("GET", "/organizations/%s/members" % GLOBEX, {"page_size": "100"})
        self.assertEqual(len(j["result"]), 8)
        self.assertEqual(j["result_info"], {"total_size": 8})
        m = j["result"][0]
        self.assertEqual(sorted(m), ["create_time", "id", "meta", "status", "update_time", "user"])
        self.assertEqual(sorted(m["user"]), ["email", "id", "name", "two_factor_authentication_enabled"])
        self.assertEqual(m["user"]["email"], "user@example.com")
        self.assertEqual({x["status"] for x in j["result"]}, set(cf_emulator.MEMBER_STATUSES))
        self.assertEqual({x["user"]["two_factor_authentication_enabled"] for x in j["result"]}, {True, False})
        self.err("GET", "/organizations/%s/members" % ("m" * 32), status=404, code=1004)

    def test_sample_members(self):
        rows = self.c.request("GET", "/__emulator/data/members", auth=None).json
        self.assertEqual(len(rows), 51)
        names = {r["user"]["name"] for r in rows}
        self.assertIn("Zoë Łukasiewicz-Müller", names)
        self.assertIn("ops+alerts@acme.example", {r["user"]["email"] for r in rows})
        per_org = {}
        for r in rows:
            per_org[r["organization_id"]] = per_org.get(r["organization_id"], 0) + 1
        self.assertEqual(set(per_org), set(ALL_ORGS) - {INITECH_SANDBOX})
        self.assertTrue(all(3 <= n <= 8 for n in per_org.values()), per_org)
        self.assertTrue(any(r["meta"] for r in rows))

    def test_non_ascii_is_utf8_on_the_wire(self):
        r = self.get("/organizations/%s/members" % ACME_EU)
        self.assertIn("Zoë Łukasiewicz-Müller".encode("utf-8"), r.raw)

    def test_status_filter(self):
        p = "/organizations/%s/members" % GLOBEX
        j = self.ok("GET", p, {"status": "active"})
        self.assertEqual({m["status"] for m in j["result"]}, {"active"})
        self.assertEqual(len(j["result"]), 4)
        j = self.ok("GET", p, [("status", "pending"), ("status", "rejected")])
        self.assertEqual(sorted(m["status"] for m in j["result"]), ["pending", "pending", "rejected"])
        j2 = self.ok("GET", p, {"status": "pending,rejected"})
        self.assertEqual(self.ids(j), self.ids(j2))
        self.err("GET", p, {"status": "accepted"}, status=400, code=1002)
        self.err("GET", p, [("status", "active"), ("status", "bogus")], status=400, code=1002)

    def test_email_filters(self):
        p = "/organizations/%s/members" % ACME
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email": "ALICE@acme.example"})), ["alice@acme.example"])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email": "alice"})), [])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email": "ops+alerts@acme.example"})),
                         ["ops+alerts@acme.example"])
        # '+' must be percent-encoded; a raw '+' is a space, as in any form decoder
        self.assertEqual(self.emails(self.ok("GET", p, "user.email=ops+alerts@acme.example")), [])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email.startsWith": "B"})), ["bob.smith@acme.example"])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email.endsWith": "@EXAMPLE.COM"})), ["user@example.com"])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email.contains": "+"})), ["ops+alerts@acme.example"])
        self.assertEqual(self.emails(self.ok("GET", p, {"user.email.contains": "acme", "status": "active"})),
                         ["alice@acme.example", "ops+alerts@acme.example"])

    def test_pagination(self):
        p = "/organizations/%s/members" % GLOBEX
        full = self.ids(self.ok("GET", p, {"page_size": "100"}))
        for size in (1, 3, 4, 8):
            ids, pages = self.walk(p, {}, page_size=size)
            self.assertEqual(ids, full)
            self.assertEqual(len(pages), -(-8 // size))
        ids, _ = self.walk(p, {"status": "active"}, page_size=3)
        self.assertEqual(len(ids), 4)
        tok = self.ok("GET", p, {"page_size": "2", "status": "active"})["result_info"]["next_page_token"]
        self.err("GET", p, {"page_size": "2", "page_token": tok}, status=400, code=1003)
        self.err("GET", "/organizations/%s/members" % ACME, {"page_size": "2", "status": "active", "page_token": tok},
                 status=400, code=1003)

    def test_pagination_survives_deletes(self):
        p = "/organizations/%s/members" % GLOBEX
        full = self.ids(self.ok("GET", p, {"page_size": "100"}))
        j = self.ok("GET", p, {"page_size": "3"})
        self.ok("DELETE", "%s/%s" % (p, full[1]), status=204)
        self.ok("DELETE", "%s/%s" % (p, full[4]), status=204)
        j2 = self.ok("GET", p, {"page_size": "3", "page_token": j["result_info"]["next_page_token"]})
        self.assertEqual(self.ids(j2), [full[3], full[5], full[6]])

    def test_create(self):
        p = "/organizations/%s/members" % INITECH
        m = self.ok("POST", p, body={"member": {"user": {"email": "new.person@initech.example"}}})["result"]
        self.assertEqual(m["status"], "active")
        self.assertEqual(m["user"]["email"], "new.person@initech.example")
        self.assertRegex(m["id"], ID_RE)
        self.assertRegex(m["user"]["id"], ID_RE)
        self.assertEqual(m["create_time"], m["update_time"])
        self.assertRegex(m["create_time"], TS_RE)
        self.assertEqual(m["meta"], {})
        c = self.ok("POST", p, body={"member": {"user": {"email": "gone@initech.example"}, "status": "canceled"}})
        self.assertEqual(c["result"]["status"], "canceled")
        self.assertEqual(self.ok("GET", "%s/%s" % (p, m["id"]))["result"], m)
        ids = self.ids(self.ok("GET", p, {"page_size": "100"}))
        self.assertEqual(ids[-2:], [m["id"], c["result"]["id"]])

    def test_create_reuses_known_user(self):
        m = self.ok("POST", "/organizations/%s/members" % INITECH,
                    body={"member": {"user": {"email": "Zoe@Acme.Example"}}})["result"]
        self.assertEqual(m["user"]["name"], "Zoë Łukasiewicz-Müller")
        ids = self.ids(self.ok("GET", "/organizations", {"containing.user": m["user"]["id"], "page_size": "50"}))
        self.assertIn(INITECH, ids)

    def test_create_errors(self):
        p = "/organizations/%s/members" % INITECH
        self.err("POST", p, body={"member": {"user": {"email": "PETER.GIBBONS@initech.example"}}}, status=409, code=1010)
        self.err("POST", "/organizations/%s/members" % ("w" * 32), body={"member": {"user": {"email": "a@b.c"}}},
                 status=404, code=1004)
        for body in ({"user": {"email": "flat@x.example"}}, {"member": {}}, {"member": {"user": {}}},
                     {"member": {"user": {"email": "no-at-sign"}}}, {"member": {"user": {"email": 5}}},
                     {"member": {"user": {"email": "p@x.example"}, "status": "pending"}},
                     {"member": {"user": {"email": "p@x.example"}, "status": "active "}}, {"member": "x"}):
            self.err("POST", p, body=body, status=400, code=1001)
        self.assertEqual(self.ok("GET", p)["result_info"]["total_size"], 6)

    def test_batch_create(self):
        p = "/organizations/%s/members:batchCreate" % INITECH_PAY
        j = self.ok("POST", p, body={"members": [{"user": {"email": "b1@initech.example"}},
                                                 {"user": {"email": "b2@initech.example"}, "status": "canceled"}]})
        self.assertEqual([m["user"]["email"] for m in j["result"]], ["b1@initech.example", "b2@initech.example"])
        self.assertEqual([m["status"] for m in j["result"]], ["active", "canceled"])
        self.assertEqual(self.ok("GET", "/organizations/%s/members" % INITECH_PAY)["result_info"]["total_size"], 6)
        ten = {"members": [{"user": {"email": "t%d@x.example" % i}} for i in range(10)]}
        self.assertEqual(len(self.ok("POST", p, body=ten)["result"]), 10)

    def test_batch_create_errors(self):
        p = "/organizations/%s/members:batchCreate" % INITECH_PAY
        self.err("POST", p, body={"members": []}, status=400, code=1001)
        self.err("POST", p, body={"members": [{"user": {"email": "t%d@x.example" % i}} for i in range(11)]},
                 status=400, code=1001)
        self.err("POST", p, body={"member": {"user": {"email": "a@x.example"}}}, status=400, code=1001)
        self.err("POST", p, body={"members": [{"user": {"email": "a@x.example"}}, {"user": {}}]}, status=400)
        self.err("POST", p, body={"members": [{"user": {"email": "a@x.example"}}, {"user": {"email": "A@x.example"}}]},
                 status=409, code=1010)
        self.err("POST", p, body={"members": [{"user": {"email": "a@x.example"}},
                                              {"user": {"email": "samir@initech.example"}}]}, status=409)
        self.err("POST", "/organizations/%s/members:batchCreate" % ("v" * 32),
                 body={"members": [{"user": {"email": "a@x.example"}}]}, status=404)
        self.assertEqual(self.ok("GET", "/organizations/%s/members" % INITECH_PAY)["result_info"]["total_size"], 4)
        r = self.c.request("GET", p)
        self.assertEqual(r.status, 405)

    def test_get_and_delete(self):
        p = "/organizations/%s/members" % ACME_LAB
        first = self.ok("GET", p)["result"][0]
        self.assertEqual(self.ok("GET", "%s/%s" % (p, first["id"]))["result"], first)
        self.err("GET", "%s/%s" % (p, "k" * 32), status=404, code=1005)
        self.err("GET", "/organizations/%s/members/%s" % (ACME, first["id"]), status=404, code=1005)
        r = self.c.request("DELETE", "%s/%s" % (p, first["id"]))
        self.assertEqual(r.status, 204)
        self.assertEqual(r.raw, b"")
        self.err("GET", "%s/%s" % (p, first["id"]), status=404, code=1005)
        self.err("DELETE", "%s/%s" % (p, first["id"]), status=404, code=1005)
        self.assertEqual(self.ok("GET", p)["result_info"]["total_size"], 2)
        # a body on DELETE (older spec) is accepted and ignored
        second = self.ok("GET", p)["result"][0]["id"]
        self.ok("DELETE", "%s/%s" % (p, second), body={"member_id": second}, status=204)


# ==========================================================================
class TestMemberships(EmuTest):
    def test_list(self):
        j = self.ok("GET", "/memberships")
        self.assertEqual(len(j["result"]), 12)
        self.assertEqual(j["result_info"], {"count": 12, "page": 1, "per_page": 20, "total_count": 12})
        for m in j["result"]:
            self.assertNotIn("policies", m)
            self.assertEqual(sorted(m), ["account", "api_access_enabled", "id", "permissions", "roles", "status"])
            self.assertEqual(len(m["account"]["id"]), 32)
            self.assertIsInstance(m["roles"], list)
            self.assertEqual(sorted(m["permissions"]), sorted(cf_emulator.PERMISSION_KEYS))
        self.assertEqual({m["status"] for m in j["result"]}, {"accepted", "pending", "rejected"})
        managed = [m for m in j["result"] if "managed_by" in m["account"]]
        self.assertEqual(len(managed), 10)
        self.assertEqual(managed[0]["account"]["managed_by"], {"parent_org_id": ACME, "parent_org_name": "Acme Corporation"})

    def test_pages(self):
        got = []
        for page, n in ((1, 5), (2, 5), (3, 2), (4, 0)):
            j = self.ok("GET", "/memberships", {"per_page": "5", "page": str(page)})
            self.assertEqual(j["result_info"], {"count": n, "page": page, "per_page": 5, "total_count": 12})
            got += self.ids(j)
        self.assertEqual(got, self.ids(self.ok("GET", "/memberships", {"per_page": "50"})))
        self.assertEqual(len(set(got)), 12)

    def test_page_params_validated(self):
        for q in ({"per_page": "4"}, {"per_page": "51"}, {"per_page": "500"}, {"page": "0"}, {"page": "x"},
                  {"per_page": "7.5"}):
            self.err("GET", "/memberships", q, status=400, code=1002)
        self.assertEqual(self.ok("GET", "/memberships", {"per_page": "5.0"})["result_info"]["per_page"], 5)

    def test_filters(self):
        j = self.ok("GET", "/memberships", {"status": "pending"})
        self.assertEqual(len(j["result"]), 3)
        self.assertEqual(j["result_info"]["total_count"], 3)
        self.assertEqual({m["status"] for m in j["result"]}, {"pending"})
        self.err("GET", "/memberships", {"status": "active"}, status=400, code=1002)
        j = self.ok("GET", "/memberships", {"account.name": "acme PRODUCTION"})
        self.assertEqual([m["account"]["name"] for m in j["result"]], ["Acme Production"])
        j = self.ok("GET", "/memberships", {"name": "personal account"})
        self.assertEqual([m["account"]["name"] for m in j["result"]], ["Personal Account"])
        self.assertEqual(self.ok("GET", "/memberships", {"name": "Acme"})["result"], [])
        self.assertEqual(self.ok("GET", "/memberships", {"name": "Acme Production", "status": "rejected"})["result"], [])
        self.err("GET", "/memberships", {"name": "x" * 101}, status=400, code=1002)

    def test_order(self):
        def names(q):
            return [m["account"]["name"] for m in self.ok("GET", "/memberships", q)["result"]]
        asc = names({"order": "account.name"})
        self.assertEqual(asc, sorted(asc, key=lambda s: (s.lower(), s)))
        self.assertEqual(names({"order": "account.name", "direction": "desc"}), asc[::-1])
        ids = self.ids(self.ok("GET", "/memberships", {"order": "id"}))
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(self.ids(self.ok("GET", "/memberships", {"order": "id", "direction": "desc"})), ids[::-1])
        st = [m["status"] for m in self.ok("GET", "/memberships", {"order": "status"})["result"]]
        self.assertEqual(st, sorted(st))
        self.err("GET", "/memberships", {"order": "name"}, status=400, code=1002)
        self.err("GET", "/memberships", {"direction": "sideways"}, status=400, code=1002)

    def test_get_with_policies(self):
        lst = self.ok("GET", "/memberships")["result"]
        with_pol = 0
        for m in lst:
            g = self.ok("GET", "/memberships/" + m["id"])["result"]
            self.assertEqual({k: v for k, v in g.items() if k != "policies"}, m)
            if "policies" in g:
                with_pol += 1
                for p in g["policies"]:
                    self.assertIn(p["access"], ("allow", "deny"))
                    for rg in p["resource_groups"]:
                        self.assertIn("key", rg["scope"])
                        self.assertIsInstance(rg["scope"]["objects"], list)
        self.assertEqual(with_pol, 4)
        self.err("GET", "/memberships/" + "p" * 32, status=404, code=1006)

    def test_put(self):
        pending = self.ok("GET", "/memberships", {"status": "pending"})["result"][0]
        j = self.ok("PUT", "/memberships/" + pending["id"], body={"status": "accepted"})
        self.assertEqual(j["result"]["status"], "accepted")
        self.assertEqual(self.ok("GET", "/memberships/" + pending["id"])["result"]["status"], "accepted")
        self.assertEqual(self.ok("GET", "/memberships", {"status": "pending"})["result_info"]["total_count"], 2)
        self.ok("PUT", "/memberships/" + pending["id"], body={"status": "rejected"})
        for body in ({"status": "pending"}, {}, {"status": 1}, ["accepted"]):
            self.err("PUT", "/memberships/" + pending["id"], body=body, status=400, code=1001)
        self.err("PUT", "/memberships/" + "p" * 32, body={"status": "accepted"}, status=404, code=1006)

    def test_delete(self):
        m = self.ok("GET", "/memberships")["result"][3]["id"]
        self.assertEqual(self.ok("DELETE", "/memberships/" + m)["result"], {"id": m})
        self.err("GET", "/memberships/" + m, status=404, code=1006)
        self.err("DELETE", "/memberships/" + m, status=404, code=1006)
        self.assertEqual(self.ok("GET", "/memberships")["result_info"]["total_count"], 11)
        m2 = self.ok("GET", "/memberships")["result"][0]["id"]
        self.ok("DELETE", "/memberships/" + m2, body={})


# ==========================================================================
class TestCacheAndControl(EmuTest):
    def health(self):
        return self.c.request("GET", "/__emulator/health", auth=None).json

    def test_cache_serves_repeats_and_invalidates_on_write(self):
        h0 = self.health()["cache"]["hits"]
        a = self.get("/organizations", {"page_size": "5"})
        b = self.get("/organizations", {"page_size": "5"})
        self.assertEqual(a.raw, b.raw)
        self.assertEqual(self.health()["cache"]["hits"], h0 + 1)
        self.ok("PUT", "/organizations/" + ACME, body={"name": "Acme Corp 2"})
        c = self.get("/organizations", {"page_size": "5"})
        self.assertIn(b"Acme Corp 2", c.raw)
        self.assertNotEqual(a.raw, c.raw)

    def test_request_log(self):
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.get("/organizations", "name.startsWith=ac&page_size=2")
        self.c.request("POST", "/organizations", body={"name": "Logged"})
        self.get("/memberships", prefix=False)
        self.c.request("DELETE", "/memberships/" + "q" * 32)
        log = self.log()
        self.assertEqual(log, [
            {"method": "GET", "path": "/organizations", "query": "name.startsWith=ac&page_size=2", "body": None},
            {"method": "POST", "path": "/organizations", "query": "", "body": '{"name": "Logged"}'},
            {"method": "GET", "path": "/memberships", "query": "", "body": None},
            {"method": "DELETE", "path": "/memberships/" + "q" * 32, "query": "", "body": None},
        ])
        self.assertNotIn("144c9defac", json.dumps(log))
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.assertEqual(self.log(), [])

    def test_query_logged_raw(self):
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.get("/organizations/%s/members" % ACME, "user.email=ops%2Balerts%40acme.example&status=active&status=pending")
        self.assertEqual(self.log()[0]["query"], "user.email=ops%2Balerts%40acme.example&status=active&status=pending")

    def test_reset(self):
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.fault({"path": "/nothing", "status": 500})
        self.config({"latency_ms": 5})
        r = self.c.request("POST", "/__emulator/reset", auth=None)
        self.assertEqual(r.json, {"ok": True})
        self.ok("GET", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(self.c.request("GET", "/__emulator/faults", auth=None).json, [])
        self.assertEqual(self.c.request("GET", "/__emulator/config", auth=None).json,
                         {"latency_ms": 0, "rate_limit": None, "ratelimit_headers": False,
                          "case_folding": "full", "cursor_form": "cursor", "audit_id_form": "uuid"})
        self.assertEqual([x["path"] for x in self.log()], ["/organizations/" + INITECH_SANDBOX])

    def test_data_dumps(self):
        def dump(c):
            r = self.c.request("GET", "/__emulator/data/" + c, auth=None)
            self.assertEqual(r.status, 200)
            return r.json
        orgs = dump("organizations")
        self.assertEqual([o["id"] for o in orgs], ALL_ORGS)
        self.assertEqual(orgs[1], self.ok("GET", "/organizations/" + ACME_EU)["result"])
        accts = dump("accounts")
        self.assertEqual(len(accts), 22)
        self.assertEqual([a["organization_id"] for a in accts][:3], [ACME] * 3)
        self.assertEqual({k: v for k, v in accts[0].items() if k != "organization_id"},
                         self.ok("GET", "/organizations/%s/accounts" % ACME)["result"][0])
        members = dump("members")
        self.assertEqual(len(members), 51)
        ms = dump("memberships")
        self.assertEqual(len(ms), 12)
        self.assertEqual(sum(1 for m in ms if "policies" in m), 4)
        profiles = dump("profiles")
        self.assertEqual(len(profiles), 9)
        self.assertEqual(profiles[0]["organization_id"], ACME)
        self.assertEqual(len(self.c.request("GET", "/__emulator/data/organizations?offset=2&limit=3", auth=None).json), 3)
        self.assertEqual(self.c.request("GET", "/__emulator/data/zones", auth=None).status, 404)
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(len(dump("organizations")), 12)

    def test_control_errors(self):
        bad = [{"kind": "nope"}, {"count": 0}, {"status": 99}, {"path": "("}, {"delay_ms": -1}, {"headers": {"a": 1}},
               {"colour": "red"}, "string"]
        for rule in bad:
            r = self.c.request("POST", "/__emulator/faults", body=rule, auth=None)
            self.assertEqual(r.status, 400, rule)
            self.assertIn("error", r.json)
        r = self.c.request("POST", "/__emulator/faults", raw_body=b"{", auth=None)
        self.assertEqual(r.status, 400)
        for cfg in ({"latency_ms": -1}, {"rate_limit": {"requests": 1}}, {"ratelimit_headers": "yes"}, {"x": 1},
                    {"cursor_form": "after"}, {"audit_id_form": "HEX"}, {"audit_id_form": None}):
            r = self.c.request("POST", "/__emulator/config", body=cfg, auth=None)
            self.assertEqual(r.status, 400, cfg)
        self.assertEqual(self.c.request("GET", "/__emulator/nothing", auth=None).status, 404)


# ==========================================================================
class TestFaults(EmuTest):
    def test_status_fault_count_and_retry_after(self):
        rule = self.fault({"path": "^/organizations$", "status": 503, "count": 2, "retry_after": "5"})
        self.assertEqual(rule["count"], 2)
        self.assertEqual(len(self.c.request("GET", "/__emulator/faults", auth=None).json), 1)
        for _ in range(2):
            r = self.get("/organizations")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.header("Retry-After"), "5")
            self.assertIs(r.json["success"], False)
            self.assertEqual(r.json["errors"][0]["code"], 10001)
        self.assertEqual(self.get("/organizations").status, 200)
        self.assertEqual(self.c.request("GET", "/__emulator/faults", auth=None).json, [])
        self.assertEqual(len(self.log()), 3)

    def test_429_with_retry_after_ms_and_headers(self):
        self.fault({"path": "/memberships", "status": 429, "retry_after_ms": "1500", "headers": {"x-should-retry": "true"}})
        r = self.get("/memberships")
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("Retry-After-Ms"), "1500")
        self.assertEqual(r.header("x-should-retry"), "true")
        self.assertEqual(r.json["errors"][0]["code"], 971)
        self.assertIsNone(r.json["result"])

    def test_method_and_path_matching(self):
        self.fault({"method": "post", "path": "^/organizations$", "status": 500})
        self.assertEqual(self.get("/organizations").status, 200)
        self.assertEqual(self.get("/organizations/" + ACME).status, 200)
        self.assertEqual(self.c.request("POST", "/organizations", body={"name": "x"}).status, 500)
        self.assertEqual(self.c.request("POST", "/organizations", body={"name": "x"}).status, 200)

    def test_query_matching(self):
        self.fault({"path": "/organizations", "query": "page_token=", "status": 502})
        j = self.ok("GET", "/organizations", {"page_size": "5"})
        r = self.get("/organizations", {"page_size": "5", "page_token": j["result_info"]["next_page_token"]})
        self.assertEqual(r.status, 502)

    def test_forever_until_cleared(self):
        self.fault({"path": "/members", "status": 500, "count": -1})
        for _ in range(4):
            self.assertEqual(self.get("/organizations/%s/members" % ACME).status, 500)
        self.c.request("DELETE", "/__emulator/faults", auth=None)
        self.assertEqual(self.get("/organizations/%s/members" % ACME).status, 200)

    def test_first_matching_rule_wins(self):
        self.fault({"path": "", "status": 500})
        self.fault({"path": "", "status": 502})
        self.assertEqual(self.get("/memberships").status, 500)
        self.assertEqual(self.get("/memberships").status, 502)
        self.assertEqual(self.get("/memberships").status, 200)

    def test_headers_only_fault_keeps_response(self):
        self.fault({"path": "", "headers": {"X-Test": "1"}})
        r = self.get("/memberships")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("X-Test"), "1")

    def test_delay(self):
        self.fault({"path": "/memberships", "delay_ms": 300})
        t = time.monotonic()
        self.assertEqual(self.get("/memberships").status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.3)
        # other requests are not held up meanwhile
        self.fault({"path": "/memberships", "delay_ms": 2000})
        done = []
        slow, fast = Client("127.0.0.1", self.port), Client("127.0.0.1", self.port)
        th = threading.Thread(target=lambda: done.append(slow.request("GET", "/memberships")))
        th.start()
        time.sleep(0.1)
        t = time.monotonic()
        self.assertEqual(fast.request("GET", "/organizations").status, 200)
        self.assertLess(time.monotonic() - t, 1.0)
        th.join()
        self.assertEqual(done[0].status, 200)
        slow.close()
        fast.close()

    def test_delay_aborts_when_client_leaves(self):
        self.fault({"path": "/memberships", "delay_ms": 5000})
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"GET /client/v4/memberships HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-token\r\n\r\n")
        time.sleep(0.2)
        s.close()
        t = time.monotonic()
        self.assertEqual(self.get("/organizations").status, 200)
        self.assertLess(time.monotonic() - t, 1)

    def test_raw_body(self):
        self.fault({"path": "", "status": 400, "body": '{"oops":true}'})
        r = self.get("/memberships")
        self.assertEqual((r.status, r.raw), (400, b'{"oops":true}'))
        self.fault({"path": "", "body": "hello", "content_type": "text/plain"})
        r = self.get("/memberships")
        self.assertEqual((r.status, r.raw, r.header("Content-Type")), (200, b"hello", "text/plain"))

    def test_truncate(self):
        full = self.get("/organizations").raw
        self.fault({"path": "", "kind": "truncate"})
        r = self.get("/organizations")
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.raw), len(full) // 2)
        self.assertEqual(int(r.header("Content-Length")), len(r.raw))
        self.assertEqual(r.raw, full[:len(full) // 2])
        with self.assertRaises(ValueError):
            json.loads(r.raw)

    def test_malformed(self):
        self.fault({"path": "", "kind": "malformed"})
        r = self.get("/organizations")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.header("Content-Type"), "application/json")
        with self.assertRaises(ValueError):
            json.loads(r.raw)

    def test_html(self):
        self.fault({"path": "", "kind": "html"})
        r = self.get("/organizations")
        self.assertEqual(r.status, 502)
        self.assertEqual(r.header("Content-Type"), "text/html")
        self.assertIn(b"<html>", r.raw)
        self.fault({"path": "", "kind": "html", "status": 520})
        self.assertEqual(self.get("/organizations").status, 520)

    def test_empty(self):
        self.fault({"path": "", "kind": "empty"})
        r = self.get("/organizations")
        self.assertEqual((r.status, r.raw, r.header("Content-Length")), (200, b"", "0"))

    def test_drop(self):
        self.fault({"path": "", "kind": "drop"})
        c = Client("127.0.0.1", self.port)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            c.request("GET", "/organizations")
        self.assertEqual(self.get("/organizations").status, 200)
        self.assertEqual(len(self.log()), 2)

    def test_drop_after_carries_the_request_out(self):
        before = len(self.ok("GET", "/organizations", {"page_size": "1000"})["result"])
        self.fault({"method": "POST", "path": "^/organizations$", "kind": "drop_after"})
        c = Client("127.0.0.1", self.port)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            c.request("POST", "/organizations", body={"name": "Dropped After"})
        names = [o["name"] for o in self.ok("GET", "/organizations", {"page_size": "1000"})["result"]]
        self.assertEqual(len(names), before + 1)
        self.assertIn("Dropped After", names)

    def test_request_times_on_demand(self):
        t0 = time.time()
        self.get("/organizations")
        plain = self.log()[-1]
        self.assertNotIn("at", plain)
        timed = self.c.request("GET", "/__emulator/requests", {"times": "1"}, auth=None).json[-1]
        self.assertEqual({k: v for k, v in timed.items() if k != "at"}, plain)
        self.assertTrue(t0 - 1 <= timed["at"] <= time.time() + 1)

    def test_connections_are_counted(self):
        base = self.c.request("GET", "/__emulator/connections", auth=None).json
        clients = [Client("127.0.0.1", self.port) for _ in range(3)]
        for c in clients:
            self.assertEqual(c.request("GET", "/organizations").status, 200)
        now = self.c.request("GET", "/__emulator/connections", auth=None).json
        self.assertEqual(now["open"], base["open"] + 3)
        self.assertGreaterEqual(now["peak"], now["open"])
        self.assertEqual(now["total"], base["total"] + 3)
        for c in clients:
            c.close()
        deadline = time.time() + 5
        while time.time() < deadline:
            now = self.c.request("GET", "/__emulator/connections", auth=None).json
            if now["open"] == base["open"]:
                break
            time.sleep(0.02)
        self.assertEqual(now["open"], base["open"])

    def test_stuck_token(self):
        self.fault({"path": "^/organizations$", "kind": "stuck_token", "count": 3})
        j = self.ok("GET", "/organizations", {"page_size": "5"})
        self.assertEqual(j["result_info"]["next_page_token"], "stuck")
        j = self.ok("GET", "/organizations", {"page_size": "5", "page_token": "stuck"})
        self.assertEqual(j["result_info"]["next_page_token"], "stuck")
        self.assertEqual(self.ids(j), ALL_ORGS[:5])
        real = self.c.request("GET", "/organizations", {"page_size": "5"}).json  # count exhausted? no: 3rd use
        self.assertEqual(real["result_info"]["next_page_token"], "stuck")
        j = self.ok("GET", "/organizations", {"page_size": "5"})
        tok = j["result_info"]["next_page_token"]
        self.fault({"path": "^/organizations$", "kind": "stuck_token"})
        j2 = self.ok("GET", "/organizations", {"page_size": "5", "page_token": tok})
        self.assertEqual(j2["result_info"]["next_page_token"], tok)
        self.assertEqual(self.ids(j2), ALL_ORGS[5:10])
        self.err("GET", "/organizations", {"page_size": "5", "page_token": "stuck"}, status=400, code=1003)

    def test_repeat_page(self):
        self.fault({"path": "/members$", "kind": "repeat_page", "count": -1})
        p = "/organizations/%s/members" % GLOBEX
        j = self.ok("GET", p, {"page_size": "3"})
        toks = {j["result_info"]["next_page_token"]}
        for _ in range(4):
            j2 = self.ok("GET", p, {"page_size": "3", "page_token": j["result_info"]["next_page_token"]})
            self.assertEqual(self.ids(j2), self.ids(j))
            toks.add(j2["result_info"]["next_page_token"])
            j = j2
        self.assertEqual(len(toks), 5)

    def test_wrong_types(self):
        self.fault({"path": "", "kind": "wrong_types", "count": 2})
        j = self.get("/organizations").json
        self.assertIsInstance(j["result"][0]["name"], int)
        self.assertIsInstance(j["result"][0]["create_time"], dict)
        self.assertEqual(j["result_info"]["total_size"], 13)
        m = self.get("/organizations/%s/members" % ACME).json["result"][0]
        self.assertIsInstance(m["user"]["two_factor_authentication_enabled"], str)

    def test_huge(self):
        self.fault({"path": "", "kind": "huge", "size": 3 << 20})
        r = self.get("/organizations")
        self.assertEqual(int(r.header("Content-Length")), 3 << 20)
        self.assertEqual(len(r.raw), 3 << 20)
        self.assertIs(json.loads(r.raw)["success"], True)
        self.assertEqual(self.get("/organizations").status, 200)

    def test_huge_default_size_streams(self):
        self.fault({"path": "", "kind": "huge"})
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("GET", "/client/v4/organizations", headers=EMAIL)
        r = conn.getresponse()
        self.assertEqual(int(r.getheader("Content-Length")), 64 << 20)
        first = r.read(1 << 20)
        self.assertTrue(first.startswith(b'{"success":true'))
        conn.close()                    # hang up mid-body: the server copes
        self.assertEqual(self.get("/organizations").status, 200)

    def test_non_utf8(self):
        self.fault({"path": "", "kind": "non_utf8"})
        r = self.get("/organizations")
        self.assertEqual(r.status, 200)
        with self.assertRaises(UnicodeDecodeError):
            r.raw.decode("utf-8")
        self.assertTrue(r.raw.startswith(b'{"errors":[]'))

    def test_wrong_content_type(self):
        self.fault({"path": "", "kind": "wrong_content_type"})
        r = self.get("/organizations")
        self.assertEqual(r.header("Content-Type"), "text/plain")
        self.assertIs(r.json["success"], True)

    def test_fault_applies_before_auth(self):
        self.fault({"path": "", "status": 503})
        self.assertEqual(self.get("/organizations", auth=None).status, 503)


class TestRateLimitAndLatency(EmuTest):
    def test_rate_limit(self):
        self.config({"rate_limit": {"requests": 3, "window_s": 60}})
        for _ in range(3):
            self.assertEqual(self.get("/memberships").status, 200)
        r = self.get("/organizations")
        self.assertEqual(r.status, 429)
        self.assertEqual(r.json["errors"][0]["code"], 971)
        self.assertTrue(1 <= int(r.header("Retry-After")) <= 60)
        self.assertEqual(self.get("/memberships").status, 429)
        # the control plane is not rate limited
        self.assertEqual(self.c.request("GET", "/__emulator/requests", auth=None).status, 200)
        self.config({"rate_limit": None})
        self.assertEqual(self.get("/memberships").status, 200)

    def test_rate_limit_window_resets(self):
        self.config({"rate_limit": {"requests": 1, "window_s": 0.5}})
        self.assertEqual(self.get("/memberships").status, 200)
        self.assertEqual(self.get("/memberships").status, 429)
        time.sleep(0.6)
        self.assertEqual(self.get("/memberships").status, 200)

    def test_ratelimit_headers(self):
        self.config({"rate_limit": {"requests": 10, "window_s": 300}, "ratelimit_headers": True})
        r1 = self.get("/memberships")
        r2 = self.get("/memberships")
        self.assertRegex(r1.header("Ratelimit"), r'^"default";r=9;t=\d+$')
        self.assertRegex(r2.header("Ratelimit"), r'^"default";r=8;t=\d+$')
        self.assertEqual(r1.header("Ratelimit-Policy"), '"burst";q=10;w=300')
        self.config({"rate_limit": None})
        r = self.get("/memberships")
        self.assertEqual(r.header("Ratelimit-Policy"), '"burst";q=1200;w=300')
        self.config({"ratelimit_headers": False})
        self.assertIsNone(self.get("/memberships").header("Ratelimit"))

    def test_latency(self):
        self.config({"latency_ms": 200})
        t = time.monotonic()
        self.get("/memberships")
        self.assertGreaterEqual(time.monotonic() - t, 0.2)
        t = time.monotonic()
        self.c.request("GET", "/__emulator/requests", auth=None)
        self.assertLess(time.monotonic() - t, 0.2)


# ==========================================================================
class TestGenerated(unittest.TestCase):
    def fetch_all(self, srv, paths):
        c = Client("127.0.0.1", srv.server_address[1])
        out = []
        for p in paths:
            r = c.request("GET", p, prefix=False)
            out.append((r.status, r.raw))
        c.close()
        return out

    def test_deterministic(self):
        argv = ["--seed", "7", "--orgs", "50", "--members-per-org", "4", "--accounts-per-org", "3", "--memberships", "30"]
        a, b = start_inproc(argv), start_inproc(argv)
        c = start_inproc(["--seed", "8", "--orgs", "50", "--members-per-org", "4", "--accounts-per-org", "3",
                          "--memberships", "30"])
        try:
            first = self.fetch_all(a, ["/client/v4/organizations?page_size=1000"])[0][1]
            oid = next(o["id"] for o in json.loads(first)["result"][5:] if "profile" in o)
            paths = ["/client/v4/organizations?page_size=1000", "/client/v4/organizations/%s/members" % oid,
                     "/client/v4/organizations/%s/accounts" % oid, "/client/v4/memberships?per_page=50",
                     "/client/v4/organizations/%s/profile" % oid]
            ra, rb, rc = self.fetch_all(a, paths), self.fetch_all(b, paths), self.fetch_all(c, paths)
            self.assertEqual([s for s, _ in ra], [200] * 5)
            self.assertEqual(ra, rb)
            self.assertNotEqual(ra[0], rc[0])
            self.assertEqual([s for s, _ in rc[1:]], [404, 404, 200, 404])
            orgs = json.loads(ra[0][1])
            self.assertEqual(orgs["result_info"], {"total_size": 50})
            self.assertEqual(len(json.loads(ra[1][1])["result"]), 4)
            self.assertEqual(len(json.loads(ra[2][1])["result"]), 3)
            self.assertEqual(json.loads(ra[3][1])["result_info"]["total_count"], 30)
        finally:
            for s in (a, b, c):
                stop_inproc(s)

    def test_shapes_and_lookups(self):
        srv = start_inproc(["--seed", "3", "--orgs", "20", "--roots", "4", "--members-per-org", "6",
                            "--accounts-per-org", "2", "--memberships", "50"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            orgs = c.request("GET", "/organizations", {"page_size": "100"}).json["result"]
            self.assertEqual(len(orgs), 20)
            for n, o in enumerate(orgs):
                self.assertRegex(o["id"], ID_RE)
                self.assertRegex(o["id"], "[g-z]")
                self.assertRegex(o["create_time"], TS_RE)
                self.assertEqual("parent" in o, n >= 4)
                if n >= 4:
                    self.assertEqual(o["parent"]["id"], orgs[n % 4]["id"])
                    self.assertEqual(len(o["meta"]["hierarchy_tags"]), 2)
                self.assertEqual(c.request("GET", "/organizations/" + o["id"]).json["result"], o)
            roots = c.request("GET", "/organizations", {"parent.id": "null"}).json["result"]
            self.assertEqual([o["id"] for o in roots], [o["id"] for o in orgs[:4]])
            kids = c.request("GET", "/organizations", {"parent.id": orgs[1]["id"]}).json["result"]
            self.assertEqual([o["id"] for o in kids], [orgs[i]["id"] for i in (5, 9, 13, 17)])
            self.assertEqual(len({o["id"] for o in orgs}), 20)
            self.assertTrue(any("profile" in o for o in orgs) and any("profile" not in o for o in orgs))
            # accounts, members, users
            accts = c.request("GET", "/organizations/%s/accounts" % orgs[9]["id"]).json["result"]
            hit = c.request("GET", "/organizations", {"containing.account": accts[1]["id"]}).json["result"]
            self.assertEqual([o["id"] for o in hit], [orgs[1]["id"], orgs[9]["id"]])
            members = c.request("GET", "/organizations/%s/members" % orgs[6]["id"]).json["result"]
            self.assertEqual(len(members), 6)
            m = members[2]
            self.assertEqual(c.request("GET", "/organizations/%s/members/%s" % (orgs[6]["id"], m["id"])).json["result"], m)
            self.assertEqual(c.request("GET", "/organizations/%s/members/%s" % (orgs[7]["id"], m["id"])).status, 404)
            holders = c.request("GET", "/organizations", {"containing.user": m["user"]["id"], "page_size": "100"}).json
            self.assertIn(orgs[6]["id"], [o["id"] for o in holders["result"]])
            got = c.request("GET", "/organizations/%s/members" % orgs[6]["id"],
                            {"user.email": m["user"]["email"].upper()}).json["result"]
            self.assertEqual(got, [m])
            ms = c.request("GET", "/memberships", {"per_page": "50"}).json["result"]
            self.assertEqual(len(ms), 50)
            self.assertEqual(sum(1 for x in ms if "managed_by" in x["account"]), 40)
            for x in ms:
                self.assertEqual(len(x["account"]["id"]), 32)
                self.assertEqual(c.request("GET", "/memberships/" + x["id"]).json["result"]["id"], x["id"])
            # writes on generated data
            r = c.request("PUT", "/organizations/" + orgs[1]["id"], body={"name": "Renamed"})
            self.assertEqual(r.json["result"]["name"], "Renamed")
            self.assertEqual(c.request("GET", "/organizations/" + orgs[5]["id"]).json["result"]["parent"]["name"], "Renamed")
            r = c.request("POST", "/organizations/%s/members" % orgs[6]["id"],
                          body={"member": {"user": {"email": m["user"]["email"]}}})
            self.assertEqual(r.status, 409)
            r = c.request("POST", "/organizations/%s/members" % orgs[6]["id"],
                          body={"member": {"user": {"email": "fresh@x.example"}}})
            self.assertEqual(r.status, 200)
            self.assertEqual(c.request("GET", "/organizations/%s/members" % orgs[6]["id"]).json["result_info"]["total_size"], 7)
            self.assertEqual(c.request("DELETE", "/organizations/%s/members/%s" % (orgs[6]["id"], m["id"])).status, 204)
            self.assertEqual(c.request("DELETE", "/organizations/" + orgs[6]["id"]).status, 400)
            r = c.request("PUT", "/memberships/" + ms[0]["id"], body={"status": "rejected"})
            self.assertEqual(r.json["result"]["status"], "rejected")
            self.assertEqual(c.request("DELETE", "/memberships/" + ms[1]["id"]).status, 200)
            self.assertEqual(c.request("GET", "/memberships").json["result_info"]["total_count"], 49)
            c.request("POST", "/__emulator/reset", auth=None)
            self.assertEqual(c.request("GET", "/organizations/" + orgs[1]["id"]).json["result"]["name"], orgs[1]["name"])
            self.assertEqual(c.request("GET", "/memberships").json["result_info"]["total_count"], 50)
        finally:
            c.close()
            stop_inproc(srv)

    def test_delete_generated_org(self):
        srv = start_inproc(["--seed", "1", "--orgs", "10", "--roots", "2", "--members-per-org", "0",
                            "--accounts-per-org", "0", "--memberships", "0"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            orgs = c.request("GET", "/organizations").json["result"]
            self.assertEqual(c.request("DELETE", "/organizations/" + orgs[0]["id"]).status, 400)
            self.assertEqual(c.request("DELETE", "/organizations/" + orgs[9]["id"]).json["result"], {"id": orgs[9]["id"]})
            self.assertEqual(c.request("GET", "/organizations/" + orgs[9]["id"]).status, 404)
            self.assertEqual(c.request("GET", "/organizations").json["result_info"]["total_size"], 9)
            kids = c.request("GET", "/organizations", {"parent.id": orgs[1]["id"]}).json["result"]
            self.assertEqual([o["id"] for o in kids], [orgs[i]["id"] for i in (3, 5, 7)])
            new = c.request("POST", "/organizations", body={"name": "Gen child", "parent": {"id": orgs[1]["id"]}}).json
            kids = c.request("GET", "/organizations", {"parent.id": orgs[1]["id"]}).json["result"]
            self.assertEqual(kids[-1]["id"], new["result"]["id"])
            self.assertEqual(c.request("GET", "/memberships").json["result"], [])
        finally:
            c.close()
            stop_inproc(srv)

    def test_all_roots_and_large_member_set(self):
        srv = start_inproc(["--seed", "5", "--orgs", "1000", "--roots", "0", "--members-per-org", "100",
                            "--accounts-per-org", "1"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            j = c.request("GET", "/organizations", {"parent.id": "null", "page_size": "1000"}).json
            self.assertEqual(j["result_info"], {"total_size": 1000})
            oid = j["result"][500]["id"]
            ms = c.request("GET", "/organizations/%s/members" % oid, {"page_size": "100"}).json
            self.assertEqual(len(ms["result"]), 100)
            self.assertEqual(ms["result_info"], {"total_size": 100})
            self.assertEqual(len({m["user"]["email"] for m in ms["result"]}), 100)
            self.assertEqual(len(c.request("GET", "/__emulator/data/members", auth=None).json), 100000)
        finally:
            c.close()
            stop_inproc(srv)


# ==========================================================================
def spawn(args, **kw):
    return subprocess.Popen([PY, "-u", EMULATOR] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, **kw)


class TestCommandLine(unittest.TestCase):
    def test_listening_line_port_file_and_sigterm(self):
        with tempfile.TemporaryDirectory() as d:
            pf = os.path.join(d, "url")
            p = spawn(["--port", "0", "--port-file", pf])
            try:
                line = p.stdout.readline().strip()
                m = re.match(r"^listening on (http://127\.0\.0\.1:(\d+))$", line)
                self.assertTrue(m, line)
                with open(pf) as f:
                    self.assertEqual(f.read().strip(), m.group(1))
                self.assertEqual(os.listdir(d), ["url"])
                c = Client("127.0.0.1", int(m.group(2)))
                self.assertEqual(c.request("GET", "/organizations").status, 200)
                c.close()
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(10), 0)
                self.assertEqual(p.stdout.read(), "")
            finally:
                if p.poll() is None:
                    p.kill()
                p.wait()
                p.stdout.close()
                p.stderr.close()

    def test_sigint(self):
        p = spawn(["--port", "0"])
        try:
            self.assertTrue(p.stdout.readline().startswith("listening on "))
            p.send_signal(signal.SIGINT)
            self.assertEqual(p.wait(10), 0)
        finally:
            if p.poll() is None:
                p.kill()
            p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_bad_arguments(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            f.write('{"organizations": [{"id": "a"}]}')
            f.flush()
            for args in (["--data", f.name], ["--data", "/nonexistent.json"], ["--data", f.name, "--seed", "1"],
                         ["--orgs", "-1"], ["--fixed-time", "yesterday"]):
                r = subprocess.run([PY, EMULATOR, "--port", "0"] + args, capture_output=True, text=True, timeout=20,
                                   stdin=subprocess.DEVNULL)
                self.assertEqual(r.returncode, 2, args)
                self.assertIn("cf_emulator:", r.stderr)

    def test_custom_data_file_and_fixed_time(self):
        data = {"organizations": [
            {"id": "a" * 31 + "z", "name": "Solo", "create_time": "2020-01-01T00:00:00Z", "parent_id": None},
            {"id": "b" * 31 + "z", "name": "Kid", "create_time": "2020-01-02T00:00:00Z", "parent_id": "a" * 31 + "z",
             "meta": {"custom": {"k": "v"}}}],
            "memberships": []}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(data, f)
            f.flush()
            srv = start_inproc(["--data", f.name, "--fixed-time", "2030-05-05T05:05:05Z"])
            c = Client("127.0.0.1", srv.server_address[1])
            try:
                j = c.request("GET", "/organizations").json
                self.assertEqual([o["name"] for o in j["result"]], ["Solo", "Kid"])
                self.assertEqual(j["result"][1]["meta"]["custom"], {"k": "v"})
                o = c.request("POST", "/organizations", body={"name": "Later"}).json["result"]
                self.assertEqual(o["create_time"], "2030-05-05T05:05:05Z")
            finally:
                c.close()
                stop_inproc(srv)

    def test_million_orgs_within_memory(self):
        p = spawn(["--port", "0", "--seed", "11", "--orgs", "1000000", "--members-per-org", "2",
                   "--accounts-per-org", "1", "--memberships", "100"])
        try:
            m = re.match(r"^listening on http://127\.0\.0\.1:(\d+)$", p.stdout.readline().strip())
            self.assertTrue(m)
            c = Client("127.0.0.1", int(m.group(1)))
            j = c.request("GET", "/organizations", {"page_size": "1000"}).json
            self.assertEqual(j["result_info"]["total_size"], 1000000)
            j2 = c.request("GET", "/organizations", {"page_size": "1000",
                                                     "page_token": j["result_info"]["next_page_token"]}).json
            self.assertEqual(len(j2["result"]), 1000)
            last_name = "%07d" % 999999
            hit = c.request("GET", "/organizations", {"name.endsWith": last_name}).json
            self.assertEqual(hit["result_info"]["total_size"], 1)
            oid = hit["result"][0]["id"]
            self.assertEqual(c.request("GET", "/organizations/" + oid).json["result"]["name"], hit["result"][0]["name"])
            self.assertEqual(len(c.request("GET", "/organizations/%s/members" % oid).json["result"]), 2)
            c.close()
            with open("/proc/%d/status" % p.pid) as f:
                rss_kb = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
            self.assertLess(rss_kb, 1536 * 1024, "peak RSS %d MiB" % (rss_kb // 1024))
        finally:
            p.terminate()
            p.wait(10)
            p.stdout.close()
            p.stderr.close()


# ==========================================================================
class TestCtl(EmuTest):
    def ctl(self, *args, env_url=True):
        env = dict(os.environ)
        env.pop("CF_EMULATOR_URL", None)
        if env_url:
            env["CF_EMULATOR_URL"] = "http://127.0.0.1:%d" % self.port
        return subprocess.run([PY, CTL] + list(args), capture_output=True, text=True, env=env, timeout=30,
                              stdin=subprocess.DEVNULL)

    def test_log_clear(self):
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.get("/organizations", "page_size=2&name.startsWith=ac")
        self.c.request("POST", "/organizations/%s/members" % INITECH,
                       body={"member": {"user": {"email": "ctl@x.example"}}})
        self.get("/memberships")
        r = self.ctl("log")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "GET /organizations?page_size=2&name.startsWith=ac",
            'POST /organizations/%s/members {"member": {"user": {"email": "ctl@x.example"}}}' % INITECH,
            "GET /memberships"])
        self.assertEqual(self.ctl("clear").returncode, 0)
        self.assertEqual(self.ctl("log").stdout, "")
        self.c.request("POST", "/organizations", raw_body=b'{\n  "name": "two\\\\lines"\n}')
        self.assertEqual(self.ctl("log").stdout, 'POST /organizations {\\n  "name": "two\\\\lines"\\n}\n')

    def test_reset_fault_config(self):
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(self.ctl("reset").returncode, 0)
        self.ok("GET", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(self.ctl("fault", '{"path": "/memberships", "status": 500}').returncode, 0)
        self.assertEqual(json.loads(self.ctl("faults").stdout)[0]["status"], 500)
        self.assertEqual(self.get("/memberships").status, 500)
        self.ctl("fault", '{"path": "/memberships", "status": 500, "count": -1}')
        self.assertEqual(self.ctl("faults-clear").returncode, 0)
        self.assertEqual(self.get("/memberships").status, 200)
        self.assertEqual(self.ctl("config", '{"rate_limit": {"requests": 0, "window_s": 10}}').returncode, 0)
        self.assertEqual(self.get("/memberships").status, 429)

    def test_dump(self):
        r = self.ctl("dump", "members", "--jsonl")
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 51)
        self.assertIn("Zoë", r.stdout)
        rows = [json.loads(x) for x in lines]
        self.assertTrue(all("organization_id" in x for x in rows))
        self.assertEqual(len(json.loads(self.ctl("dump", "organizations").stdout)), 13)
        for coll in ("accounts", "memberships", "profiles"):
            self.assertEqual(self.ctl("dump", coll, "--jsonl").returncode, 0)

    def test_errors(self):
        r = self.ctl("log", env_url=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("CF_EMULATOR_URL", r.stderr)
        r = self.ctl("fault", "{bad json")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("JSON", r.stderr)
        r = self.ctl("fault", '{"kind": "nope"}')
        self.assertEqual(r.returncode, 1)
        self.assertIn("kind", r.stderr)
        self.assertNotEqual(self.ctl("dump", "zones").returncode, 0)
        self.assertNotEqual(self.ctl("frobnicate").returncode, 0)
        env = dict(os.environ, CF_EMULATOR_URL="http://127.0.0.1:1")
        r = subprocess.run([PY, CTL, "log"], capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot reach", r.stderr)


# ==========================================================================
# the four newer operations: audit logs, their history, billable usage, shares

AUDIT = "/organizations/%s/logs/audit"
HISTORY = "/organizations/%s/logs/audit/%s/history"
USAGE = "/organizations/%s/billable/usage"
SHARES = "/organizations/%s/shares"
QUARTER = {"since": "2026-01-01", "before": "2026-04-01"}
# notable audit log entries of sample.json (README.md lists them)
EV_MIDNIGHT = "32619fa3-9ee7-4980-94ef-f012ad524214"        # 2026-02-01T00:00:00Z, DNS record, exact history
EV_LAST_MS = "c123e7a7-bb2c-47fe-a0d9-a504a6835d24"         # 2026-01-31T23:59:59.999Z, same DNS record
EV_APPROX = "9a3df4a5-12c3-43bd-83d7-54853172456f"          # no raw.uri: approximate history
EV_UNAVAILABLE = "bd9dcfe8-a4c6-4e75-a20e-26dadf97d5bc"     # no resource.id: unavailable history
EV_API_CONTEXT = "Initech"                                   # one Initech event has actor.context "api"
DNS_RECORD = "5f0c6a1e3b9d4e7fa2c8b1d0e9f3a7c6"
ACME_PROD = "nozzqp9md1jkci4o0kshh05ttmtt9j1g"
RETAIL_NULL_NAME = "t7egi8e86ekbfkwydbdj9wayirjl246s"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def dump(test, collection):
    r = test.c.request("GET", "/__emulator/data/" + collection, auth=None)
    test.assertEqual(r.status, 200, r.raw[:300])
    return r.json


def field(item, path):
    for k in path:
        if not isinstance(item, dict):
            return None
        item = item.get(k)
    return item


class AuditCase(EmuTest):
    def audit(self, org, query, **kw):
        """The audit logs of the quarter; query is a dict or a list of pairs."""
        q = dict(QUARTER, **query) if isinstance(query, dict) else list(QUARTER.items()) + list(query)
        return self.ok("GET", AUDIT % org, q, **kw)

    def walk_cursor(self, path, query, limit, key="cursor"):
        """Follow cursors to the end; return (items, pages)."""
        items, pages, cur = [], [], None
        while True:
            q = list(query.items()) + [("limit", str(limit))]
            if cur:
                q.append(("cursor", cur))
            j = self.ok("GET", path, q)
            pages.append(j)
            items += j["result"]
            info = j["result_info"]
            cur = info.get("cursors", {}).get("after") if key == "cursors.after" else info.get("cursor")
            self.assertNotIn("cursors" if key == "cursor" else "cursor", info)
            if not cur:
                return items, pages
            self.assertLess(len(pages), 200)


class TestAuditLogs(AuditCase):
    def test_sample_data(self):
        logs = dump(self, "audit_logs")
        self.assertEqual(len(logs), 62)
        by_org = {}
        for a in logs:
            by_org.setdefault(a["organization"]["id"], []).append(a)
            self.assertRegex(a["id"], UUID_RE)
            self.assertEqual(list(a), ["action", "actor", "id", "organization", "raw", "resource"])
            self.assertTrue("2026-01-01" <= a["action"]["time"][:10] <= "2026-03-31")
        self.assertEqual({k: len(v) for k, v in by_org.items()}, {ACME: 36, GLOBEX: 16, INITECH: 10})
        for path, values in ((("action", "type"), cf_emulator.AUDIT_ACTION_TYPES),
                             (("action", "result"), cf_emulator.AUDIT_ACTION_RESULTS),
                             (("actor", "context"), cf_emulator.AUDIT_ACTOR_CONTEXTS),
                             (("actor", "type"), cf_emulator.AUDIT_ACTOR_TYPES)):
            self.assertEqual({field(a, path) for a in logs}, set(values), path)
        ips = [a["actor"].get("ip_address") for a in logs]
        self.assertIn(None, ips)
        self.assertIn("", ips)
        self.assertTrue(any(ip and ":" in ip for ip in ips) and any(ip and "." in ip for ip in ips))
        times = {a["action"]["time"]: a["id"] for a in logs}
        self.assertEqual(times["2026-02-01T00:00:00Z"], EV_MIDNIGHT)
        self.assertEqual(times["2026-01-31T23:59:59.999Z"], EV_LAST_MS)
        self.assertEqual([a["id"] for a in logs if "uri" not in a["raw"]], [EV_APPROX])
        self.assertEqual([a["id"] for a in logs if "id" not in a["resource"]], [EV_UNAVAILABLE])
        tokens = [a for a in logs if a["actor"]["context"] == "api_token" and a["actor"]["type"] == "user"]
        self.assertTrue(tokens and all("token_id" in a["actor"] and "token_name" in a["actor"] for a in tokens))
        self.assertGreaterEqual(sum(1 for a in logs if a["resource"].get("id") == DNS_RECORD), 3)
        self.assertEqual({a["resource"]["scope"]["type"] for a in logs}, {"organizations", "accounts", "zones"})

    def test_list(self):
        j = self.audit(ACME, {"limit": "1000"})
        self.assertEqual(j["result_info"], {"count": "36"})
        truth = [a for a in reversed(dump(self, "audit_logs")) if a["organization"]["id"] == ACME]
        self.assertEqual(j["result"], truth)
        times = [a["action"]["time"] for a in j["result"]]
        self.assertEqual(times, sorted(times, reverse=True))
        j = self.audit(ACME, {})                       # the default limit is 100
        self.assertEqual(len(j["result"]), 36)
        asc = self.audit(ACME, {"direction": "asc", "limit": "1000"})
        self.assertEqual(asc["result"], j["result"][::-1])
        self.assertEqual(self.audit(INITECH_SANDBOX, {})["result"], [])
        self.assertEqual(self.audit(GLOBEX_RETAIL, {})["result_info"], {"count": "0"})

    def test_since_and_before_are_required(self):
        p = AUDIT % ACME
        for q in ({"before": "2026-04-01"}, {"since": "2026-01-01"}, {}, {"since": "", "before": "2026-04-01"}):
            j = self.err("GET", p, q, code=1002)
            missing = "since" if not q.get("since") else "before"
            self.assertIn(missing, j["errors"][0]["message"])

    def test_window_values(self):
        p = AUDIT % ACME
        for bad in ("2026-1-01", "2026-02-30", "yesterday", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z",
                    "2026-01-01T25:00:00Z", "1767225600", "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:60Z"):
            j = self.err("GET", p, {"since": bad, "before": "2026-04-01"}, code=1002)
            self.assertIn("since", j["errors"][0]["message"])
            self.err("GET", p, {"since": "2026-01-01", "before": bad}, code=1002)
        self.err("GET", p, {"since": "2026-02-01", "before": "2026-02-01"}, code=1002)
        self.err("GET", p, {"since": "2026-02-02", "before": "2026-02-01"}, code=1002)

        def ids(since, before):
            return {a["id"] for a in self.ok("GET", p, {"since": since, "before": before, "limit": "1000"})["result"]}
        # since <= action.time < before; a date is midnight UTC
        self.assertEqual(ids("2026-02-01", "2026-02-02"), {EV_MIDNIGHT})
        self.assertEqual(ids("2026-01-31", "2026-02-01"), {EV_LAST_MS})
        self.assertEqual(ids("2026-01-31T23:59:59.999Z", "2026-02-01T00:00:00.000001Z"), {EV_LAST_MS, EV_MIDNIGHT})
        self.assertEqual(ids("2026-02-01T00:00:00Z", "2026-02-01T00:00:01Z"), {EV_MIDNIGHT})
        self.assertEqual(ids("2026-02-01T01:00:00+01:00", "2026-02-01t00:00:00.5z"), {EV_MIDNIGHT})
        self.assertEqual(ids("2026-01-31T23:59:59.9991Z", "2026-02-01"), set())
        self.assertEqual(len(ids("2020-01-01", "2030-01-01")), 36)

    def test_limit(self):
        p = AUDIT % ACME
        for bad in ("0", "1001", "abc", "2.5", "-1"):
            j = self.err("GET", p, dict(QUARTER, limit=bad), code=1002)
            self.assertIn("limit", j["errors"][0]["message"])
        self.assertEqual(len(self.audit(ACME, {"limit": "1"})["result"]), 1)
        self.assertEqual(len(self.audit(ACME, {"limit": "25.0"})["result"]), 25)
        self.err("GET", p, dict(QUARTER, direction="up"), code=1002)

    def test_cursor_walk(self):
        everything = self.audit(ACME, {"limit": "1000"})["result"]
        for direction in ("desc", "asc"):
            items, pages = self.walk_cursor(AUDIT % ACME, dict(QUARTER, direction=direction), 7)
            self.assertEqual([len(p["result"]) for p in pages], [7, 7, 7, 7, 7, 1])
            self.assertEqual([p["result_info"]["count"] for p in pages], ["7"] * 5 + ["1"])
            self.assertEqual(items, everything if direction == "desc" else everything[::-1])
        # exactly a multiple: the last full page carries no cursor
        items, pages = self.walk_cursor(AUDIT % ACME, QUARTER, 12)
        self.assertEqual([len(p["result"]) for p in pages], [12, 12, 12])
        # filters stay in the walk
        items, _ = self.walk_cursor(AUDIT % ACME, dict(QUARTER, action_type="update"), 2)
        self.assertEqual(items, [a for a in everything if a["action"]["type"] == "update"])

    def test_cursor_is_bound_to_the_query(self):
        p = AUDIT % ACME
        cur = self.audit(ACME, {"limit": "5"})["result_info"]["cursor"]
        nxt = self.audit(ACME, {"limit": "9", "cursor": cur})        # the limit may change
        self.assertEqual(len(nxt["result"]), 9)
        for q in (dict(QUARTER, action_type="view"), {"since": "2026-01-02", "before": "2026-04-01"},
                  dict(QUARTER, direction="asc")):
            j = self.err("GET", p, dict(q, cursor=cur), code=1003)
            self.assertIn("cursor", j["errors"][0]["message"])
        self.err("GET", AUDIT % GLOBEX, dict(QUARTER, cursor=cur), code=1003)
        for bad in ("garbage", "eyJ9", cur[:-3]):
            self.err("GET", p, dict(QUARTER, cursor=bad), code=1003)
        # unknown parameters are not part of the binding
        self.assertEqual(self.audit(ACME, {"limit": "9", "cursor": cur, "zzz": "1"})["result"], nxt["result"])

    def test_cursors_after_form(self):
        self.assertEqual(self.config({"cursor_form": "cursors.after"})["cursor_form"], "cursors.after")
        j = self.audit(ACME, {"limit": "10"})
        self.assertEqual(set(j["result_info"]), {"count", "cursors"})
        items, pages = self.walk_cursor(AUDIT % ACME, QUARTER, 10, key="cursors.after")
        self.assertEqual(len(items), 36)
        self.assertEqual(pages[-1]["result_info"], {"count": "6"})
        # the cursor is the same token in either form
        after = j["result_info"]["cursors"]["after"]
        self.config({"cursor_form": "cursor"})
        self.assertEqual(self.audit(ACME, {"limit": "10"})["result_info"]["cursor"], after)
        self.config({"cursor_form": "cursors.after"})
        self.c.request("POST", "/__emulator/reset", auth=None)
        self.assertIn("cursor", self.audit(ACME, {"limit": "10"})["result_info"])

    def test_every_filter_and_its_not(self):
        """Each list filter against a value taken from the data, and its .not
        twin, compared with the same selection made here from the dump."""
        logs = [a for a in dump(self, "audit_logs") if a["organization"]["id"] == ACME]
        checked = 0
        for name, path, allowed in cf_emulator.AUDIT_FILTERS:
            values = sorted({str(field(a, path)) for a in logs if field(a, path) not in (None, "")})
            if allowed:
                values = [v for v in values if v in allowed]
            self.assertTrue(values, name)
            picks = values[:1] if len(values) < 3 else [values[0], values[-1]]
            want = [a["id"] for a in reversed(logs) if str(field(a, path)) in picks]
            got = self.ids(self.audit(ACME, [("limit", "1000")] + list(QUARTER.items()) + [(name, v) for v in picks]))
            self.assertEqual(got, want, name)
            rest = [a["id"] for a in reversed(logs) if str(field(a, path)) not in picks]
            got = self.ids(self.audit(ACME, [("limit", "1000")] + list(QUARTER.items()) +
                                      [(name + ".not", v) for v in picks]))
            self.assertEqual(got, rest, name + ".not")
            checked += 1
        self.assertEqual(checked, 18)

    def test_filters_combine(self):
        j = self.audit(ACME, [("action_type", "create"), ("action_type", "view"), ("action_result", "success"),
                              ("actor_context.not", "dash"), ("limit", "1000")])
        for a in j["result"]:
            self.assertIn(a["action"]["type"], ("create", "view"))
            self.assertEqual(a["action"]["result"], "success")
            self.assertNotEqual(a["actor"]["context"], "dash")
        self.assertEqual(len(j["result"]), 7)
        # a filter and its .not on the same value: nothing
        self.assertEqual(self.audit(ACME, {"action_type": "view", "action_type.not": "view"})["result"], [])

    def test_exact_matching(self):
        self.assertEqual(self.audit(ACME, {"raw_method": "get"})["result"], [])
        self.assertEqual(len(self.audit(ACME, {"raw_method": "GET"})["result"]), 9)
        self.assertEqual(self.audit(ACME, {"actor_email": "ALICE@acme.example"})["result"], [])
        self.assertEqual(self.audit(ACME, {"actor_email": "ops+alerts@acme.example"})["result_info"]["count"], "6")
        self.assertEqual(self.audit(ACME, {"resource_product": "DNS"})["result"], [])
        self.assertEqual(self.audit(ACME, {"raw_uri": "/organizations/" + ACME})["result_info"]["count"], "4")
        self.assertEqual(self.audit(ACME, {"raw_uri": "/organizations"})["result"], [])

    def test_filter_values(self):
        # a comma is part of the value (explode: repeat the parameter instead)
        j = self.audit(INITECH, {"actor_token_name": "TPS exporter, read-only"})
        self.assertEqual(len(j["result"]), 3)
        self.err("GET", AUDIT % ACME, dict(QUARTER, action_type="create,view"), code=1002)
        # the newest SDK's actor context
        j = self.audit(INITECH, {"actor_context": "api"})
        self.assertEqual([a["actor"]["context"] for a in j["result"]], ["api"])
        self.assertEqual(self.audit(INITECH, {"actor_context.not": "api"})["result_info"]["count"], "9")
        # status codes are integers
        self.assertEqual(self.audit(ACME, {"raw_status_code": "403"})["result_info"]["count"], "3")
        self.assertEqual(self.audit(ACME, {"raw_status_code": "0403"})["result_info"]["count"], "3")
        # resource scope: organizations is resource.scope.type
        j = self.audit(ACME, {"resource_scope": "organizations", "limit": "1000"})
        self.assertEqual({a["resource"]["scope"]["type"] for a in j["result"]}, {"organizations"})
        self.assertEqual(len(j["result"]), 15)
        self.assertEqual(self.audit(ACME, {"resource_scope.not": "organizations"})["result_info"]["count"], "21")
        # empty values are not filters; missing fields match no filter and every .not
        self.assertEqual(self.audit(ACME, {"actor_ip_address": ""})["result_info"]["count"], "36")
        self.assertEqual(self.audit(ACME, {"actor_token_id.not": "a3c1f0e2b4d64f5e8a9b0c1d2e3f4a5b"})
                         ["result_info"]["count"], "30")
        self.assertEqual(self.audit(ACME, {"resource_id": DNS_RECORD})["result_info"]["count"], "4")
        self.assertEqual(self.audit(ACME, {"id": EV_MIDNIGHT})["result_info"]["count"], "1")

    def test_filter_validation(self):
        p = AUDIT % ACME
        bad = [("action_result", "ok"), ("action_type", "CREATE"), ("actor_context", "token"),
               ("actor_type", "admin"), ("resource_scope", "accounts"), ("raw_status_code", "two hundred"),
               ("raw_status_code", "200.0"), ("actor_email", "not-an-email")]
        for name, v in bad:
            for key in (name, name + ".not"):
                j = self.err("GET", p, dict(QUARTER, **{key: v}), code=1002)
                self.assertIn(key, j["errors"][0]["message"])
        # one bad value among good ones is enough
        self.err("GET", p, list(QUARTER.items()) + [("action_type", "view"), ("action_type", "read")], code=1002)

    def test_unknown_organization(self):
        j = self.err("GET", AUDIT % ("z" * 32), QUARTER, status=404, code=1004)
        self.assertIn("z" * 32, j["errors"][0]["message"])
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.err("GET", AUDIT % INITECH_SANDBOX, QUARTER, status=404, code=1004)
        # the organization is checked before the parameters, as on every list
        self.err("GET", AUDIT % ("z" * 32), {}, status=404, code=1004)

    def test_post_is_not_allowed(self):
        r = self.c.request("POST", AUDIT % ACME, body={})
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("Allow"), "GET")


class TestAuditHistory(AuditCase):
    def history(self, eid, action_time, org=ACME, **q):
        return self.ok("GET", HISTORY % (org, eid), dict(QUARTER, action_time=action_time, **q))

    def test_exact(self):
        j = self.history(EV_MIDNIGHT, "2026-02-01T00:00:00Z")
        self.assertEqual(j["result_info"], {"count": 4, "history_status": "exact"})
        self.assertEqual([a["action"]["time"] for a in j["result"]],
                         ["2026-03-10T12:00:00Z", "2026-02-01T00:00:00Z", "2026-01-31T23:59:59.999Z",
                          "2026-01-09T08:00:00Z"])
        self.assertTrue(all(a["resource"]["id"] == DNS_RECORD for a in j["result"]))
        self.assertEqual(j["result"], self.audit(ACME, {"resource_id": DNS_RECORD})["result"])
        asc = self.history(EV_MIDNIGHT, "2026-02-01T00:00:00Z", direction="asc")
        self.assertEqual(asc["result"], j["result"][::-1])

    def test_approximate_and_unavailable(self):
        j = self.history(EV_APPROX, "2026-02-14T14:14:14Z")
        self.assertEqual(j["result_info"]["history_status"], "approximate")
        self.assertEqual(j["result_info"]["count"], 6)
        self.assertEqual({(a["resource"]["type"], a["resource"]["id"]) for a in j["result"]}, {("Organization", ACME)})
        j = self.history(EV_UNAVAILABLE, "2026-01-25T03:00:00Z")
        self.assertEqual(j["result"], [])
        self.assertEqual(j["result_info"], {"count": 0, "history_status": "unavailable"})

    def test_action_time_must_be_the_same_utc_day(self):
        self.history(EV_LAST_MS, "2026-01-31T00:00:00Z")
        self.history(EV_LAST_MS, "2026-01-31T12:00:00.5Z")
        self.history(EV_LAST_MS, "2026-02-01T00:30:00+01:00")        # 2026-01-31T23:30:00Z
        self.history(EV_MIDNIGHT, "2026-01-31T20:00:00-04:00")        # 2026-02-01T00:00:00Z
        for at in ("2026-02-01T00:00:00Z", "2026-01-30T23:59:59.999Z", "2026-01-31T20:00:00-04:00"):
            r = self.c.request("GET", HISTORY % (ACME, EV_LAST_MS), dict(QUARTER, action_time=at))
            self.assertEqual(r.status, 404, at)
            j = r.json
            self.assertEqual(j, {"errors": [j["errors"][0]], "messages": [], "success": False, "result": None,
                                 "result_info": {"count": 0, "history_status": "unavailable"}})
            self.assertEqual(j["errors"][0]["code"], 1012)

    def test_not_found(self):
        for org, eid in ((ACME, "00000000-0000-4000-8000-000000000000"), (GLOBEX, EV_MIDNIGHT)):
            j = self.err("GET", HISTORY % (org, eid), dict(QUARTER, action_time="2026-02-01T00:00:00Z"),
                         status=404, code=1012)
            self.assertEqual(j["result_info"], {"count": 0, "history_status": "unavailable"})
        j = self.err("GET", HISTORY % ("z" * 32, EV_MIDNIGHT), dict(QUARTER, action_time="2026-02-01T00:00:00Z"),
                     status=404, code=1004)
        self.assertEqual(j["result_info"], {"count": 0, "history_status": "unavailable"})

    def test_validation(self):
        p = HISTORY % (ACME, EV_MIDNIGHT)
        at = "2026-02-01T00:00:00Z"
        for eid in ("32619fa39ee7498094eff012ad524214", "not-a-uuid", "32619fa3-9ee7-4980-94ef-f012ad52421"):
            j = self.err("GET", HISTORY % (ACME, eid), dict(QUARTER, action_time=at), code=1002)
            self.assertIn("UUID", j["errors"][0]["message"])
        self.err("GET", p, QUARTER, code=1002)
        for bad in ("2026-02-01", "yesterday", "2026-02-01T00:00:00"):
            j = self.err("GET", p, dict(QUARTER, action_time=bad), code=1002)
            self.assertIn("action_time", j["errors"][0]["message"])
        self.err("GET", p, {"action_time": at, "since": "2026-01-01"}, code=1002)
        self.err("GET", p, {"action_time": at, "before": "2026-04-01"}, code=1002)
        self.err("GET", p, dict(QUARTER, action_time=at, limit="0"), code=1002)
        self.err("GET", p, dict(QUARTER, action_time=at, direction="sideways"), code=1002)
        self.err("GET", p, dict(QUARTER, action_time=at, cursor="nope"), code=1003)
        # an upper-case UUID names the same entry
        self.history(EV_MIDNIGHT.upper(), at)

    def test_window_and_paging(self):
        j = self.history(EV_MIDNIGHT, "2026-02-01T00:00:00Z", since="2026-01-31", before="2026-02-01")
        self.assertEqual([a["id"] for a in j["result"]], [EV_LAST_MS])
        # the source entry need not be in the window
        j = self.history(EV_MIDNIGHT, "2026-02-01T00:00:00Z", since="2026-03-01")
        self.assertEqual(j["result_info"]["count"], 1)
        q = dict(QUARTER, action_time="2026-02-01T00:00:00Z")
        for form in ("cursor", "cursors.after"):
            self.config({"cursor_form": form})
            items, pages = self.walk_cursor(HISTORY % (ACME, EV_MIDNIGHT), q, 1, key=form)
            self.assertEqual(len(items), 4)
            self.assertEqual([p["result_info"]["count"] for p in pages], [1, 1, 1, 1])
            self.assertEqual({p["result_info"]["history_status"] for p in pages}, {"exact"})
        cur = self.history(EV_MIDNIGHT, "2026-02-01T00:00:00Z", limit="1")["result_info"]["cursors"]["after"]
        self.err("GET", HISTORY % (ACME, EV_LAST_MS), dict(q, action_time="2026-01-31T23:59:59.999Z", cursor=cur),
                 code=1003)


class TestAuditIdForm(AuditCase):
    """audit_id_form "hex": ids as 32 lowercase hex digits (the document's
    maxLength 32), everything else as with dashed UUIDs."""

    def hexes(self, j):
        return [x["id"] for x in j["result"]]

    def test_switch_and_reset(self):
        self.assertEqual(self.config({})["audit_id_form"], "uuid")
        self.assertEqual(self.config({"audit_id_form": "hex"})["audit_id_form"], "hex")
        self.c.request("POST", "/__emulator/reset", auth=None)
        self.assertEqual(self.config({})["audit_id_form"], "uuid")
        self.assertRegex(self.audit(ACME, {"limit": "1"})["result"][0]["id"], UUID_RE)

    def test_list_and_dump(self):
        uuid_page = self.audit(ACME, {"limit": "1000"})
        uuid_dump = dump(self, "audit_logs")
        self.config({"audit_id_form": "hex"})
        hex_page = self.audit(ACME, {"limit": "1000"})      # not the cached uuid page
        self.assertEqual(len(hex_page["result"]), 36)
        self.assertEqual(hex_page["result_info"], uuid_page["result_info"])
        for u, h in zip(uuid_page["result"], hex_page["result"]):
            self.assertRegex(h["id"], r"^[0-9a-f]{32}$")
            self.assertEqual(h["id"], u["id"].replace("-", ""))
            self.assertEqual(list(h), list(u))               # key order kept
            self.assertEqual(dict(h, id=u["id"]), u)          # nothing else changes
        hex_dump = dump(self, "audit_logs")
        self.assertEqual([a["id"] for a in hex_dump], [a["id"].replace("-", "") for a in uuid_dump])
        # the stored data is not touched: back to uuid, the same page as before
        self.config({"audit_id_form": "uuid"})
        self.assertEqual(self.audit(ACME, {"limit": "1000"}), uuid_page)

    def test_id_filter_takes_either_form(self):
        hex_mid = EV_MIDNIGHT.replace("-", "")
        for form in ("uuid", "hex"):
            self.config({"audit_id_form": form})
            want = EV_MIDNIGHT if form == "uuid" else hex_mid
            for value in (EV_MIDNIGHT, hex_mid):
                self.assertEqual(self.hexes(self.audit(ACME, {"id": value})), [want], (form, value))
                j = self.audit(ACME, {"id.not": value, "limit": "1000"})
                self.assertEqual(j["result_info"]["count"], "35", (form, value))
                self.assertNotIn(want, self.hexes(j))
            # alternatives in both spellings; exact: upper case is no match
            j = self.audit(ACME, [("id", EV_LAST_MS), ("id", hex_mid)])
            self.assertEqual(j["result_info"]["count"], "2")
            self.assertEqual(self.audit(ACME, {"id": hex_mid.upper()})["result"], [])
            self.assertEqual(self.audit(ACME, {"id": EV_MIDNIGHT.upper()})["result"], [])

    def test_cursor_walk(self):
        uuid_items, _ = self.walk_cursor(AUDIT % ACME, QUARTER, 8)
        self.config({"audit_id_form": "hex"})
        for form in ("cursor", "cursors.after"):
            self.config({"cursor_form": form})
            items, pages = self.walk_cursor(AUDIT % ACME, QUARTER, 8, key=form)
            self.assertEqual([len(p["result"]) for p in pages], [8, 8, 8, 8, 4])
            self.assertEqual([a["id"] for a in items], [a["id"].replace("-", "") for a in uuid_items])
        # a cursor made under one form pages on under the other
        cur = self.audit(ACME, {"limit": "5"})["result_info"]["cursors"]["after"]
        self.config({"audit_id_form": "uuid"})
        self.assertEqual(self.ids(self.audit(ACME, {"limit": "5", "cursor": cur})),
                         [a["id"] for a in uuid_items[5:10]])

    def test_history(self):
        self.config({"audit_id_form": "hex"})
        hex_mid = EV_MIDNIGHT.replace("-", "")
        # the path takes the dashed UUID (format: uuid); a hex id maps back
        # by putting the dashes after digits 8, 12, 16 and 20
        back = "-".join((hex_mid[:8], hex_mid[8:12], hex_mid[12:16], hex_mid[16:20], hex_mid[20:]))
        self.assertEqual(back, EV_MIDNIGHT)
        j = self.ok("GET", HISTORY % (ACME, back), dict(QUARTER, action_time="2026-02-01T00:00:00Z"))
        self.assertEqual(j["result_info"], {"count": 4, "history_status": "exact"})
        self.assertIn(hex_mid, self.hexes(j))
        self.assertTrue(all(re.match(r"^[0-9a-f]{32}$", x) for x in self.hexes(j)))
        self.assertEqual(j["result"], self.audit(ACME, {"resource_id": DNS_RECORD})["result"])
        j = self.ok("GET", HISTORY % (ACME, EV_APPROX.upper()), dict(QUARTER, action_time="2026-02-14T14:14:14Z"))
        self.assertEqual(j["result_info"]["history_status"], "approximate")
        j = self.ok("GET", HISTORY % (ACME, EV_UNAVAILABLE), dict(QUARTER, action_time="2026-01-25T03:00:00Z"))
        self.assertEqual(j["result"], [])
        # hex in the path is still no UUID: 400, as Prism's format: uuid refuses it
        j = self.err("GET", HISTORY % (ACME, hex_mid), dict(QUARTER, action_time="2026-02-01T00:00:00Z"), code=1002)
        self.assertIn("UUID", j["errors"][0]["message"])
        self.err("GET", HISTORY % (ACME, "00000000-0000-4000-8000-000000000000"),
                 dict(QUARTER, action_time="2026-02-01T00:00:00Z"), status=404, code=1012)
        # paging the history by cursor
        whole = self.ok("GET", HISTORY % (ACME, EV_MIDNIGHT), dict(QUARTER, action_time="2026-02-01T00:00:00Z"))
        items, pages = self.walk_cursor(HISTORY % (ACME, EV_MIDNIGHT),
                                        dict(QUARTER, action_time="2026-02-01T00:00:00Z"), 3)
        self.assertEqual(len(pages), 2)
        self.assertEqual(items, whole["result"])

    def test_generated_data(self):
        srv = start_inproc(["--seed", "3", "--orgs", "4", "--audit-per-org", "5", "--audit-id-form", "hex"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            logs = c.request("GET", "/__emulator/data/audit_logs", auth=None).json
            self.assertEqual(len(logs), 20)
            self.assertTrue(all(re.match(r"^[0-9a-f]{32}$", a["id"]) for a in logs))
            c.request("POST", "/__emulator/reset", auth=None)
            self.assertEqual(c.request("GET", "/__emulator/config", auth=None).json["audit_id_form"], "hex")
        finally:
            c.close()
            stop_inproc(srv)


class TestBillableUsage(EmuTest):
    ARGS = ["--fixed-time", "2026-03-15T12:00:00Z"]

    def usage(self, org, query=None):
        return self.ok("GET", USAGE % org, query)["result"]

    def test_window(self):
        recs = self.usage(ACME, {"from": "2026-02-01", "to": "2026-02-28"})
        self.assertEqual(len(recs), 28 * 7)
        self.assertEqual(recs[0]["ChargePeriodStart"], "2026-02-01T00:00:00Z")
        self.assertEqual(recs[0]["ChargePeriodEnd"], "2026-02-02T00:00:00Z")
        self.assertEqual(recs[-1]["ChargePeriodStart"], "2026-02-28T00:00:00Z")
        self.assertEqual(recs[-1]["ChargePeriodEnd"], "2026-03-01T00:00:00Z")
        day = recs[:7]
        self.assertEqual([(r["BillingAccountId"], r["x_BillableMetricId"]) for r in day], [
            (ACME_PROD, "workers_standard_requests"), (ACME_PROD, "r2_storage_standard"),
            (ACME_PROD, "cdn_data_transfer"),
            ("ahshb2j8343012ww5452zw67hpyazpcq", "workers_standard_requests"),
            ("ahshb2j8343012ww5452zw67hpyazpcq", "r2_storage_standard"),
            ("rgd3vmj0wqa8cz4dvl4ibsk01o0hb1uj", "workers_standard_requests"),
            ("rgd3vmj0wqa8cz4dvl4ibsk01o0hb1uj", "cdn_data_transfer")])
        truth = [{k: v for k, v in r.items() if k != "organization_id"} for r in dump(self, "usage")
                 if r["organization_id"] == ACME and "2026-02" <= r["ChargePeriodStart"][:7] <= "2026-02"]
        self.assertEqual(recs, truth)
        one = self.usage(ACME, {"from": "2026-03-31", "to": "2026-03-31"})
        self.assertEqual(len(one), 7)
        # outside the data: empty
        self.assertEqual(self.usage(ACME, {"from": "2025-12-01", "to": "2025-12-31"}), [])
        self.assertEqual(len(self.usage(ACME, {"from": "2025-12-25", "to": "2026-01-02"})), 14)

    def test_record_shape(self):
        recs = self.usage(ACME, {"from": "2026-02-14", "to": "2026-02-14"}) + \
            self.usage(GLOBEX_RETAIL, {"from": "2026-03-01", "to": "2026-03-01"})
        order = list(cf_emulator.USAGE_KEY_ORDER)
        required = ["ServiceProviderName", "InvoiceIssuerName", "HostProviderName", "BillingAccountId",
                    "ChargePeriodStart", "ChargePeriodEnd", "x_BillableMetricId", "ChargeCategory",
                    "ChargeFrequency", "ChargeDescription", "ConsumedQuantity", "ConsumedUnit"]
        for r in recs:
            self.assertEqual(list(r), [k for k in order if k in r])
            for k in required:
                self.assertIn(k, r)
            self.assertEqual((r["ChargeCategory"], r["ChargeFrequency"]), ("Usage", "Usage-Based"))
            for k in ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost", "BillingCurrency"):
                self.assertIsNone(r.get(k))             # not yet populated: absent or null
        with_costs = [r for r in recs if "BilledCost" in r]
        self.assertTrue(with_costs and len(with_costs) < len(recs))
        self.assertEqual({r["x_BillableMetricId"] for r in with_costs}, {"r2_storage_standard"})
        # the newest SDK's optional fields and Tags
        self.assertTrue(all("Tags" in r for r in recs if r["BillingAccountId"] == ACME_PROD))
        self.assertFalse(any("Tags" in r for r in recs if r["BillingAccountId"] == "ahshb2j8343012ww5452zw67hpyazpcq"))
        nameless = [r for r in recs if r["BillingAccountId"] == RETAIL_NULL_NAME]
        self.assertTrue(nameless and all("BillingAccountName" not in r for r in nameless))
        self.assertTrue(all("BillingAccountName" in r for r in recs if r["BillingAccountId"] != RETAIL_NULL_NAME))
        beta = [r for r in recs if r["x_BillableMetricId"] == "ai_gateway_logs_stored"]
        self.assertTrue(beta and all("x_BillableMetricName" not in r for r in beta))
        # the large and the negative (a correction) quantities
        big = [r for r in recs if r["ConsumedQuantity"] == 12345678901.25]
        self.assertEqual([(r["BillingAccountId"], r["x_BillableMetricId"]) for r in big],
                         [(ACME_PROD, "cdn_data_transfer")])
        raw = self.c.request("GET", USAGE % ACME, {"from": "2026-02-14", "to": "2026-02-14"}).raw
        self.assertIn(b'"ConsumedQuantity":12345678901.25', raw)
        corr = [r for r in recs if r.get("ChargeClass") == "Correction"]
        self.assertEqual([r["ConsumedQuantity"] for r in corr], [-1250])
        self.assertTrue(any(isinstance(r["ConsumedQuantity"], float) and r["ConsumedQuantity"] % 1 for r in recs))

    def test_the_31_day_rule(self):
        p = USAGE % ACME
        self.assertEqual(len(self.usage(ACME, {"from": "2026-01-01", "to": "2026-01-31"})), 31 * 7)
        self.assertEqual(len(self.usage(ACME, {"from": "2026-03-01", "to": "2026-03-31"})), 31 * 7)
        for q in ({"from": "2026-01-01", "to": "2026-02-01"}, {"from": "2026-01-01", "to": "2026-03-31"}):
            j = self.err("GET", p, q, code=1183)
            self.assertIn("31", j["errors"][0]["message"])
        # a quarter is three windows
        total = sum(len(self.usage(ACME, w)) for w in ({"from": "2026-01-01", "to": "2026-01-31"},
                                                        {"from": "2026-02-01", "to": "2026-02-28"},
                                                        {"from": "2026-03-01", "to": "2026-03-31"}))
        self.assertEqual(total, 90 * 7)
        self.assertEqual(total, sum(1 for r in dump(self, "usage") if r["organization_id"] == ACME))

    def test_parameter_errors(self):
        p = USAGE % ACME
        cases = [({"from": "2026-02-01"}, "to"), ({"to": "2026-02-01"}, "from"),
                 ({"from": "2026-02-10", "to": "2026-02-09"}, "before"),
                 ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
                 ({"from": "20260201", "to": "2026-02-02"}, "from"),
                 ({"from": "2026-02-01T00:00:00Z", "to": "2026-02-02"}, "from"),
                 ({"from": "2026-02-01", "to": "tomorrow"}, "to")]
        for q, word in cases:
            j = self.err("GET", p, q, code=1183)
            self.assertIn(word, j["errors"][0]["message"], q)
            self.assertTrue(j["errors"][0]["message"].startswith("Invalid request parameters"))
        # the parameters are checked before the organization
        self.err("GET", USAGE % ("z" * 32), {"from": "2026-02-01"}, code=1183)

    def test_default_window_follows_the_clock(self):
        recs = self.usage(ACME)
        self.assertEqual(len(recs), 15 * 7)
        self.assertEqual(recs[0]["ChargePeriodStart"], "2026-03-01T00:00:00Z")
        self.assertEqual(recs[-1]["ChargePeriodStart"], "2026-03-15T00:00:00Z")
        # empty values count as not given
        self.assertEqual(self.usage(ACME, {"from": "", "to": ""}), recs)
        srv = start_inproc(["--fixed-time", "2026-02-01T23:59:59.999+00:00"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            j = c.request("GET", USAGE % ACME).json
            self.assertEqual({r["ChargePeriodStart"] for r in j["result"]}, {"2026-02-01T00:00:00Z"})
        finally:
            c.close()
            stop_inproc(srv)

    def test_unknown_and_empty_organizations(self):
        r = self.c.request("GET", USAGE % ("z" * 32), {"from": "2026-02-01", "to": "2026-02-02"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json, {"errors": [], "messages": [], "result": [], "success": True})
        self.assertEqual(self.usage(INITECH, {"from": "2026-02-01", "to": "2026-02-02"}), [])
        self.assertEqual(len(self.usage(GLOBEX_RETAIL, {"from": "2026-02-01", "to": "2026-02-02"})), 14)
        # no paging: no result_info
        self.assertNotIn("result_info", self.ok("GET", USAGE % ACME))

    def test_dump(self):
        rows = dump(self, "usage")
        self.assertEqual(len(rows), 90 * 14)
        self.assertEqual({r["organization_id"] for r in rows}, {ACME, GLOBEX_RETAIL})
        self.assertEqual(len({r["x_BillableMetricId"] for r in rows}), 4)


class TestShares(EmuTest):
    def shares(self, org, query=None):
        return self.ok("GET", SHARES % org, query)

    def test_sample_data(self):
        rows = dump(self, "shares")
        self.assertEqual(len(rows), 29)
        self.assertEqual(sum(1 for s in rows if s["organization_id"] == ACME), 25)
        self.assertEqual(sum(1 for s in rows if s["organization_id"] == GLOBEX), 4)
        for key, values in (("status", cf_emulator.SHARE_STATUSES), ("kind", cf_emulator.SHARE_KINDS),
                            ("target_type", cf_emulator.SHARE_TARGET_TYPES)):
            self.assertEqual({s[key] for s in rows}, set(values))
        res = [r for s in rows for r in s["resources"]]
        self.assertEqual({r["resource_type"] for r in res}, set(cf_emulator.SHARE_RESOURCE_TYPES))
        self.assertEqual({r["status"] for r in res}, set(cf_emulator.SHARE_STATUSES))
        for s in rows:
            self.assertEqual(list(s)[:10], ["id", "name", "account_id", "account_name", "organization_id", "created",
                                            "modified", "status", "target_type", "kind"])
            self.assertRegex(s["id"], r"^[0-9a-f]{32}$")
            self.assertEqual("associated_recipient_count" in s, s["kind"] == "sent")

    def test_list_without_paging(self):
        j = self.shares(ACME)
        self.assertEqual(j["result_info"], {"count": 25, "page": 1, "per_page": 25, "total_count": 25,
                                            "total_pages": 1})
        created = [s["created"] for s in j["result"]]
        self.assertEqual(created, sorted(created))
        self.assertEqual(len(set(created)), 24)         # one tie, broken by id
        self.assertEqual(self.shares(INITECH)["result_info"], {"count": 0, "page": 1, "per_page": 0,
                                                               "total_count": 0, "total_pages": 0})

    def test_paging(self):
        everything = self.ids(self.shares(ACME))
        got = []
        for page, n in ((1, 10), (2, 10), (3, 5), (4, 0)):
            j = self.shares(ACME, {"page": str(page), "per_page": "10"})
            self.assertEqual(j["result_info"], {"count": n, "page": page, "per_page": 10, "total_count": 25,
                                                "total_pages": 3})
            got += self.ids(j)
        self.assertEqual(got, everything)
        self.assertEqual(self.shares(ACME, {"page": "2"})["result_info"]["per_page"], 20)
        self.assertEqual(self.shares(ACME, {"page": "2"})["result_info"]["count"], 5)
        self.assertEqual(self.shares(ACME, {"per_page": "7"})["result_info"]["page"], 1)
        self.assertEqual(self.shares(ACME, {"per_page": "100"})["result_info"]["count"], 25)

    def test_order(self):
        names = [s["name"] for s in self.shares(ACME, {"order": "name"})["result"]]
        self.assertEqual(names, sorted(names))
        self.assertEqual(names[-1], "bot management exceptions")     # code point order: lower case last
        rows = self.shares(ACME, {"order": "name", "direction": "desc"})["result"]
        self.assertEqual([s["name"] for s in rows], names[::-1])
        dup = [s["id"] for s in rows if s["name"] == "Gateway DNS policies"]
        self.assertEqual(dup, sorted(dup, reverse=True))
        desc = self.ids(self.shares(ACME, {"direction": "desc"}))
        self.assertEqual(desc, self.ids(self.shares(ACME))[::-1])

    def test_filters(self):
        rows = dump(self, "shares")
        acme = [s for s in rows if s["organization_id"] == ACME]
        for key, values in (("status", cf_emulator.SHARE_STATUSES), ("kind", cf_emulator.SHARE_KINDS),
                            ("target_type", cf_emulator.SHARE_TARGET_TYPES)):
            for v in values:
                got = self.ids(self.shares(ACME, {key: v}))
                self.assertEqual(sorted(got), sorted(s["id"] for s in acme if s[key] == v), (key, v))
                self.assertTrue(got)
        types = ["idp-federation-grant", "gateway-block-page-settings"]
        got = self.ids(self.shares(ACME, [("resource_types", t) for t in types]))
        want = [s["id"] for s in acme if any(r["resource_type"] in types for r in s["resources"])]
        self.assertEqual(sorted(got), sorted(want))
        self.assertEqual(len(got), 6)
        j = self.shares(ACME, {"status": "active", "kind": "sent", "target_type": "organization",
                               "per_page": "3", "page": "2"})
        self.assertEqual(j["result_info"]["total_count"], 8)
        self.assertEqual(j["result_info"]["total_pages"], 3)

    def test_validation(self):
        p = SHARES % ACME
        for key, v in (("status", "ACTIVE"), ("kind", "both"), ("target_type", "zone"), ("order", "modified"),
                       ("direction", "up"), ("resource_types", "waf"),
                       ("resource_types", "custom-ruleset,gateway-policy"),
                       ("page", "0"), ("page", "x"), ("per_page", "0"), ("per_page", "101"), ("per_page", "2.5")):
            j = self.err("GET", p, {key: v}, code=1002)
            self.assertIn(key, j["errors"][0]["message"])

    def test_unknown_organization(self):
        self.err("GET", SHARES % ("z" * 32), status=404, code=1004)


class TestNewRoutesPlumbing(AuditCase):
    """The request log, faults, rate limit, authentication and dumps act on
    the four newer operations as on the others."""

    PATHS = [(AUDIT % ACME, QUARTER),
             (HISTORY % (ACME, EV_MIDNIGHT), dict(QUARTER, action_time="2026-02-01T00:00:00Z")),
             (USAGE % ACME, {"from": "2026-02-01", "to": "2026-02-02"}), (SHARES % ACME, None)]

    def test_logged(self):
        self.c.request("DELETE", "/__emulator/requests", auth=None)
        self.get(AUDIT % ACME, "since=2026-01-01&before=2026-04-01&action_type=create&action_type=view")
        self.get(SHARES % ACME, "resource_types=custom-ruleset", prefix=False)
        self.assertEqual(self.log(), [
            {"method": "GET", "path": AUDIT % ACME, "query": "since=2026-01-01&before=2026-04-01&action_type=create"
                                                              "&action_type=view", "body": None},
            {"method": "GET", "path": SHARES % ACME, "query": "resource_types=custom-ruleset", "body": None}])

    def test_status_faults_and_auth(self):
        for path, q in self.PATHS:
            self.fault({"path": re.escape(path), "status": 503, "retry_after": "2"})
            r = self.c.request("GET", path, q)
            self.assertEqual(r.status, 503, path)
            self.assertEqual(r.header("Retry-After"), "2")
            self.assertEqual(r.json["errors"][0]["code"], 10001)
            self.assertEqual(self.c.request("GET", path, q).status, 200)
            self.err("GET", path, q, status=400, code=9106, auth={})
            self.err("GET", path, q, status=403, code=10000, auth={"Authorization": "Bearer nope"})

    def test_rate_limit_and_latency(self):
        self.config({"rate_limit": {"requests": 2, "window_s": 30}})
        for path, q in self.PATHS[:2]:
            self.assertEqual(self.c.request("GET", path, q).status, 200)
        for path, q in self.PATHS[2:]:
            r = self.c.request("GET", path, q)
            self.assertEqual(r.status, 429)
            self.assertEqual(r.json["errors"][0]["code"], 971)
        self.config({"rate_limit": None, "latency_ms": 150})
        t = time.monotonic()
        self.assertEqual(self.c.request("GET", *self.PATHS[2]).status, 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.14)

    def test_body_faults(self):
        for path, q in self.PATHS:
            self.fault({"path": re.escape(path), "kind": "wrong_types"})
            j = self.c.request("GET", path, q).json
            first = j["result"][0]
            if "action" in first:
                self.assertEqual(first["id"], 42)
                self.assertEqual(first["action"]["time"], {"seconds": 1700000000})
                self.assertIsInstance(first["raw"]["status_code"], str)
            elif "ConsumedQuantity" in first:
                self.assertIsInstance(first["ConsumedQuantity"], str)
                self.assertEqual(first["ChargePeriodStart"], {"seconds": 1700000000})
            else:
                self.assertEqual((first["id"], first["name"]), (42, 12345))
                self.assertEqual(first["created"], {"seconds": 1700000000})
            self.fault({"path": re.escape(path), "kind": "non_utf8"})
            raw = self.c.request("GET", path, q).raw
            self.assertIn(b"\xff\xfe\xc3\x28", raw)
            whole = self.c.request("GET", path, q).raw
            self.fault({"path": re.escape(path), "kind": "truncate"})
            self.assertEqual(len(self.c.request("GET", path, q, keep=False).raw), len(whole) // 2)

    def test_stuck_and_repeated_cursors(self):
        p = AUDIT % ACME
        self.fault({"path": "/logs/audit$", "kind": "stuck_token", "count": 2})
        j = self.audit(ACME, {"limit": "5"})
        self.assertEqual(j["result_info"]["cursor"], "stuck")
        j2 = self.audit(ACME, {"limit": "5", "cursor": "stuck"})
        self.assertEqual(j2["result"], j["result"])
        self.assertEqual(j2["result_info"]["cursor"], "stuck")
        self.fault({"path": "/logs/audit$", "kind": "repeat_page", "count": 2})
        a = self.audit(ACME, {"limit": "5"})
        b = self.audit(ACME, {"limit": "5", "cursor": a["result_info"]["cursor"]})
        self.assertEqual(a["result"], b["result"])
        self.assertNotEqual(a["result_info"]["cursor"], b["result_info"]["cursor"])
        self.err("GET", p, dict(QUARTER, cursor="stuck"), code=1003)     # the rules are used up

    def test_forbidden_token(self):
        srv = start_inproc(["--forbidden-token", "nobeta"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            for path, q in self.PATHS:
                r = c.request("GET", path, q, auth={"Authorization": "Bearer nobeta"})
                self.assertEqual(r.status, 403, path)
                self.assertEqual(r.json["errors"][0]["message"], "Forbidden")
                self.assertEqual("result" in r.json, path.endswith(("/usage", "/shares")))
        finally:
            c.close()
            stop_inproc(srv)

    def test_cache(self):
        h0 = self.c.request("GET", "/__emulator/health", auth=None).json["cache"]["hits"]
        for path, q in self.PATHS:
            a, b = self.get(path, q), self.get(path, q)
            self.assertEqual(a.raw, b.raw)
        self.assertEqual(self.c.request("GET", "/__emulator/health", auth=None).json["cache"]["hits"], h0 + 4)

    def test_dumps_and_ctl(self):
        self.assertEqual(len(dump(self, "audit_logs")), 62)
        self.assertEqual(len(dump(self, "shares")), 29)
        self.assertEqual(len(dump(self, "usage")), 1260)
        self.assertEqual(len(self.c.request("GET", "/__emulator/data/usage?offset=1250", auth=None).json), 10)
        env = dict(os.environ, CF_EMULATOR_URL="http://127.0.0.1:%d" % self.port)
        for coll, n in (("audit_logs", 62), ("shares", 29), ("usage", 1260)):
            r = subprocess.run([PY, CTL, "dump", coll, "--jsonl"], capture_output=True, text=True, env=env,
                               timeout=60, stdin=subprocess.DEVNULL)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(len(r.stdout.splitlines()), n)
        # unchanged by writes elsewhere; an organization deleted is gone from them
        self.ok("DELETE", "/organizations/" + INITECH_SANDBOX)
        self.assertEqual(len(dump(self, "audit_logs")), 62)

    def test_new_ids_unchanged_by_the_new_collections(self):
        # the data set's tag leaves the read-only collections out, so ids of
        # created objects are those the FDW's expected outputs hold
        o = self.ok("POST", "/organizations", body={"name": "Tag check"})["result"]
        self.assertEqual(o["id"], "9dk8ukjurw25ek3w0xhmbfqukzudgkog")


class TestGeneratedNewCollections(unittest.TestCase):
    ARGS = ["--seed", "5", "--orgs", "12", "--accounts-per-org", "2", "--members-per-org", "3",
            "--fixed-time", "2026-05-10T08:00:00Z"]

    def test_deterministic_and_relative_to_the_clock(self):
        a, b = start_inproc(self.ARGS), start_inproc(self.ARGS)
        ca, cb = Client("127.0.0.1", a.server_address[1]), Client("127.0.0.1", b.server_address[1])
        try:
            orgs = ca.request("GET", "/organizations", {"page_size": "100"}).json["result"]
            oid = orgs[4]["id"]
            q = {"since": "2026-01-01", "before": "2026-06-01", "limit": "1000"}
            paths = [(AUDIT % oid, q), (USAGE % oid, None), (USAGE % oid, {"from": "2026-04-01", "to": "2026-04-30"}),
                     (SHARES % oid, None)]
            ra = [ca.request("GET", p, qq).raw for p, qq in paths]
            rb = [cb.request("GET", p, qq).raw for p, qq in paths]
            self.assertEqual(ra, rb)
            logs = json.loads(ra[0])["result"]
            self.assertEqual(len(logs), 40)
            times = [x["action"]["time"] for x in logs]
            self.assertEqual(times, sorted(times, reverse=True))
            self.assertTrue("2026-04-10T08:00:00" <= min(times) and max(times) < "2026-05-10T08:00:00", times)
            self.assertTrue(all(x["organization"]["id"] == oid and UUID_RE.match(x["id"]) for x in logs))
            usage = json.loads(ra[1])["result"]
            self.assertEqual(len(usage), 10 * 2 * 3)
            self.assertEqual(usage[0]["ChargePeriodStart"], "2026-05-01T00:00:00Z")
            self.assertEqual(len(json.loads(ra[2])["result"]), 30 * 2 * 3)
            march = ca.request("GET", USAGE % oid, {"from": "2026-03-01", "to": "2026-03-31"}).json
            self.assertEqual(march["result"], [])
            shares = json.loads(ra[3])["result"]
            self.assertEqual(len(shares), 3)
            self.assertTrue(all(s["organization_id"] == oid for s in shares))
            # a history of a generated event
            ev = next(x for x in logs if x["resource"].get("id"))
            h = ca.request("GET", HISTORY % (oid, ev["id"]), dict(q, action_time=ev["action"]["time"])).json
            self.assertIs(h["success"], True)
            self.assertIn(ev["id"], [x["id"] for x in h["result"]])
            self.assertEqual(h["result_info"]["history_status"], "exact" if "uri" in ev["raw"] else "approximate")
            # an organization created through the API has none of them
            new = ca.request("POST", "/organizations", body={"name": "Fresh"}).json["result"]["id"]
            self.assertEqual(ca.request("GET", AUDIT % new, q).json["result"], [])
            self.assertEqual(ca.request("GET", USAGE % new).json["result"], [])
            self.assertEqual(ca.request("GET", SHARES % new).json["result"], [])
            dumped = ca.request("GET", "/__emulator/data/audit_logs", prefix=False).json
            self.assertEqual(len(dumped), 12 * 40)
        finally:
            ca.close()
            cb.close()
            stop_inproc(a)
            stop_inproc(b)

    def test_enums_and_flags(self):
        srv = start_inproc(self.ARGS[:-2] + ["--orgs", "30", "--audit-per-org", "60", "--shares-per-org", "5",
                                             "--fixed-time", "2026-05-10T08:00:00Z"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            logs = c.request("GET", "/__emulator/data/audit_logs", prefix=False).json
            self.assertEqual(len(logs), 30 * 60)
            for path, values in ((("action", "type"), cf_emulator.AUDIT_ACTION_TYPES),
                                 (("action", "result"), cf_emulator.AUDIT_ACTION_RESULTS),
                                 (("actor", "type"), cf_emulator.AUDIT_ACTOR_TYPES)):
                self.assertEqual({field(a, path) for a in logs}, set(values))
            self.assertEqual(len({a["id"] for a in logs}), len(logs))
            self.assertIn(None, {a["raw"].get("uri") for a in logs})
            self.assertIn(None, {a["resource"].get("id") for a in logs})
            shares = c.request("GET", "/__emulator/data/shares", prefix=False).json
            self.assertEqual(len(shares), 150)
            self.assertEqual({s["status"] for s in shares}, set(cf_emulator.SHARE_STATUSES))
            self.assertEqual(c.request("GET", "/__emulator/health", prefix=False).json["dataset"]["audit_per_org"], 60)
        finally:
            c.close()
            stop_inproc(srv)
        srv = start_inproc(["--seed", "1", "--orgs", "3", "--audit-per-org", "0", "--shares-per-org", "0"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            oid = c.request("GET", "/organizations").json["result"][0]["id"]
            j = c.request("GET", AUDIT % oid, {"since": "2000-01-01", "before": "2100-01-01"}).json
            self.assertEqual(j["result"], [])
            self.assertEqual(c.request("GET", SHARES % oid).json["result"], [])
        finally:
            c.close()
            stop_inproc(srv)

    def test_cheap_for_many_organizations(self):
        t = time.monotonic()
        srv = start_inproc(["--seed", "2", "--orgs", "200000", "--fixed-time", "2026-05-10T08:00:00Z"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            oid = srv.emu.base.gid("org", 199999)
            for path, q in ((AUDIT % oid, {"since": "2026-04-01", "before": "2026-06-01"}), (USAGE % oid, None),
                            (SHARES % oid, None)):
                self.assertEqual(c.request("GET", path, q).status, 200)
            self.assertLess(time.monotonic() - t, 10)
        finally:
            c.close()
            stop_inproc(srv)


class TestNewCollectionsInDataFiles(unittest.TestCase):
    def load(self):
        with open(cf_emulator.SAMPLE_DATA, encoding="utf-8") as f:
            return json.load(f)

    def test_sample_passes(self):
        cf_emulator.check_data(self.load())

    def test_errors_are_named(self):
        def broken(mutate, words):
            d = self.load()
            mutate(d)
            with self.assertRaises(cf_emulator.DataError) as cm:
                cf_emulator.check_data(d)
            self.assertIn(words, str(cm.exception))

        broken(lambda d: d["audit_logs"][3].update(id="abc"), "audit_logs[3].id must be a UUID")
        broken(lambda d: d["audit_logs"][4].update(id=d["audit_logs"][3]["id"].upper()), "audit_logs[4]: duplicate")
        broken(lambda d: d["audit_logs"][0]["organization"].update(id="z" * 32), "audit_logs[0].organization.id")
        broken(lambda d: d["audit_logs"][1]["action"].update(time="2026-02-30T00:00:00Z"), "action.time")
        broken(lambda d: d["audit_logs"][1]["action"].update(type="read"), "audit_logs[1]: type 'read'")
        broken(lambda d: d["audit_logs"][1]["actor"].update(context="token"), "context 'token'")
        broken(lambda d: d["audit_logs"][1]["raw"].update(status_code="200"), "raw.status_code")
        broken(lambda d: d["audit_logs"][1]["resource"].update(scope="organizations"), "resource.scope")
        broken(lambda d: d["shares"][2].update(kind="both"), "shares[2].kind")
        broken(lambda d: d["shares"][2]["resources"][0].update(resource_type="waf"), "shares[2].resources[0]")
        broken(lambda d: d["shares"][2].update(organization_id="z" * 32), "shares[2].organization_id")
        broken(lambda d: d["usage"].update(to="2025-01-01"), "usage.from and usage.to")
        broken(lambda d: d["usage"]["accounts"][0].update(account_id="z" * 32), "usage.accounts[0].account_id")
        broken(lambda d: d["usage"]["accounts"][0]["metrics"].update(nope={}), "usage.accounts[0].metrics")
        broken(lambda d: d["usage"]["metrics"][1].update(quantity=[1, 2]), "usage.metrics[1].quantity")
        broken(lambda d: d["usage"]["metrics"][1]["record"].update(BillingAccountId="x"), "derived")
        broken(lambda d: d["usage"]["overrides"][0].update(date="2026-02-30"), "usage.overrides[0]")

    def test_files_without_them(self):
        data = {"organizations": [{"id": "a" * 31 + "z", "name": "Solo", "create_time": "2020-01-01T00:00:00Z"}]}
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(data, f)
            f.flush()
            srv = start_inproc(["--data", f.name])
            c = Client("127.0.0.1", srv.server_address[1])
            try:
                oid = "a" * 31 + "z"
                self.assertEqual(c.request("GET", AUDIT % oid, QUARTER).json["result"], [])
                self.assertEqual(c.request("GET", USAGE % oid).json["result"], [])
                self.assertEqual(c.request("GET", SHARES % oid).json["result"], [])
                self.assertEqual(c.request("GET", "/__emulator/data/usage", prefix=False).json, [])
            finally:
                c.close()
                stop_inproc(srv)

    def test_cursor_form_flag(self):
        srv = start_inproc(["--cursor-form", "cursors.after"])
        c = Client("127.0.0.1", srv.server_address[1])
        try:
            j = c.request("GET", AUDIT % ACME, dict(QUARTER, limit="3")).json
            self.assertIn("after", j["result_info"]["cursors"])
            c.request("POST", "/__emulator/reset", auth=None)
            self.assertEqual(c.request("GET", "/__emulator/config", auth=None).json["cursor_form"], "cursors.after")
        finally:
            c.close()
            stop_inproc(srv)
        r = subprocess.run([PY, EMULATOR, "--port", "0", "--audit-per-org", "-1"], capture_output=True, text=True,
                           timeout=20, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 2)


if __name__ == "__main__":
    unittest.main()
