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
        if path.startswith("/memberships"):
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
                          "case_folding": "full"})
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
        for cfg in ({"latency_ms": -1}, {"rate_limit": {"requests": 1}}, {"ratelimit_headers": "yes"}, {"x": 1}):
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


if __name__ == "__main__":
    unittest.main()
