#!/usr/bin/env python3
"""cf_emulator: a loopback emulator of Cloudflare's Organizations and
Memberships API (the surface of shared/cloudflare-openapi/organizations.json),
with a control plane for tests: request log, fault injection, latency, rate
limits and data dumps.  Python 3 standard library only.

Run `python3 emulator/cf_emulator.py --help`; emulator/README.md documents
the data file format, the generated data sets, the control plane and every
decision taken where Cloudflare's documents are silent.
"""

import argparse
import base64
import bisect
import collections
import datetime as dt
import email.utils
import gc
import hashlib
import http.server
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http import HTTPStatus

API_PREFIX = "/client/v4"
CONTROL_PREFIX = "/__emulator"
HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_DATA = os.path.join(HERE, "data", "sample.json")

DEFAULT_TOKEN = "test-token"
DEFAULT_EMAIL = "user@example.com"
DEFAULT_KEY = "144c9defac04969c7bfad8efaa8ea194"

B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
ID_RE = re.compile(r"^[0-9a-z]{32}$")

MEMBER_STATUSES = ("active", "pending", "rejected", "canceled")
CREATE_MEMBER_STATUSES = ("active", "canceled")
MEMBERSHIP_STATUSES = ("accepted", "pending", "rejected")
PUT_MEMBERSHIP_STATUSES = ("accepted", "rejected")
MEMBERSHIP_ORDERS = ("id", "account.name", "status")
DIRECTIONS = ("asc", "desc")
PROFILE_KEYS = ("business_address", "business_email", "business_name",
                "business_phone", "external_metadata")
ACCOUNT_SETTING_KEYS = ("abuse_contact_email", "access_approval_expiry",
                        "api_access_enabled", "default_nameservers",
                        "enforce_twofactor", "use_account_custom_ns_by_default")
TENANT_FLAG_KEYS = ("account_creation", "account_deletion", "account_migration",
                    "account_mobility", "enterprise_capability",
                    "member_management", "sub_org_creation")
PERMISSION_KEYS = ("analytics", "billing", "cache_purge", "dns", "dns_records",
                   "lb", "logs", "organization", "ssl", "waf", "zone_settings",
                   "zones")
DEFAULT_TENANT_FLAGS = {
    "account_creation": "enabled", "account_deletion": "enabled",
    "account_migration": "disabled", "account_mobility": "disabled",
    "enterprise_capability": "disabled", "member_management": "enabled",
    "sub_org_creation": "enabled",
}

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
DEFAULT_PER_PAGE = 20
MAX_BODY = 1 << 20

# audit logs (GET /organizations/{id}/logs/audit and .../{id}/history)
AUDIT_DEFAULT_LIMIT = 100
AUDIT_MAX_LIMIT = 1000
AUDIT_ACTION_TYPES = ("create", "delete", "view", "update")
AUDIT_ACTION_RESULTS = ("success", "failure")
# the document's enum; "api" is added by Cloudflare's newest SDK
AUDIT_ACTOR_CONTEXTS = ("api_key", "api_token", "dash", "oauth", "origin_ca_key", "api")
AUDIT_ACTOR_TYPES = ("cloudflare_admin", "system", "user")
AUDIT_SCOPES = ("organizations",)
HISTORY_STATUSES = ("exact", "approximate", "unavailable")
# each list filter of the audit log (and its ".not" twin): the item field it
# compares, and the values the document allows (None: any)
AUDIT_FILTERS = (
    ("action_result", ("action", "result"), AUDIT_ACTION_RESULTS),
    ("action_type", ("action", "type"), AUDIT_ACTION_TYPES),
    ("actor_context", ("actor", "context"), AUDIT_ACTOR_CONTEXTS),
    ("actor_email", ("actor", "email"), None),
    ("actor_id", ("actor", "id"), None),
    ("actor_ip_address", ("actor", "ip_address"), None),
    ("actor_token_id", ("actor", "token_id"), None),
    ("actor_token_name", ("actor", "token_name"), None),
    ("actor_type", ("actor", "type"), AUDIT_ACTOR_TYPES),
    ("id", ("id",), None),
    ("raw_cf_ray_id", ("raw", "cf_ray_id"), None),
    ("raw_method", ("raw", "method"), None),
    ("raw_status_code", ("raw", "status_code"), None),
    ("raw_uri", ("raw", "uri"), None),
    ("resource_id", ("resource", "id"), None),
    ("resource_product", ("resource", "product"), None),
    ("resource_type", ("resource", "type"), None),
    ("resource_scope", ("resource", "scope", "type"), AUDIT_SCOPES),
)
CURSOR_FORMS = ("cursor", "cursors.after")
AUDIT_ID_FORMS = ("uuid", "hex")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")

# billable usage (GET /organizations/{id}/billable/usage), FOCUS records
USAGE_MAX_DAYS = 31                 # from and to inclusive
USAGE_KEY_ORDER = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "HostProviderName", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
    "PricingQuantity", "PricingUnit", "RegionId", "RegionName", "ServiceProviderName",
    "SubAccountId", "SubAccountName", "Tags", "x_BillableMetricId", "x_BillableMetricName",
    "x_ProductCategoryName", "x_ProductFamilyId", "x_ProductFamilyName", "x_ZoneId", "x_ZoneName")
USAGE_DERIVED = ("BillingAccountId", "BillingAccountName", "ChargePeriodStart", "ChargePeriodEnd",
                 "ConsumedQuantity", "x_BillableMetricId")

# organization shares (GET /organizations/{id}/shares)
SHARE_STATUSES = ("active", "deleting", "deleted")
SHARE_KINDS = ("sent", "received")
SHARE_TARGET_TYPES = ("account", "organization")
SHARE_RESOURCE_TYPES = ("custom-ruleset", "gateway-policy", "gateway-destination-ip",
                        "gateway-block-page-settings", "gateway-extended-email-matching",
                        "idp-federation-grant")
SHARE_ORDERS = ("name", "created")
SHARE_MAX_PER_PAGE = 100

# top-level collections of a data file that the 17 original operations do not
# read; they are left out of the data set's tag (Store.new_id), so adding them
# did not change the ids of objects created through the API
READ_ONLY_COLLECTIONS = ("audit_logs", "shares", "usage")

# Error codes.  Cloudflare documents none for this API beyond the envelope;
# the ones marked (cf) are codes Cloudflare's v4 API really uses elsewhere,
# the rest are this emulator's own choice (README.md, "Error codes").
E_INVALID_BODY = 1001        # request body fails the schema
E_INVALID_PARAM = 1002       # query parameter fails the schema
E_INVALID_TOKEN = 1003       # page_token undecodable or bound to other filters
E_ORG_NOT_FOUND = 1004
E_MEMBER_NOT_FOUND = 1005
E_MEMBERSHIP_NOT_FOUND = 1006
E_PROFILE_NOT_FOUND = 1007
E_PARENT_NOT_FOUND = 1008
E_ORG_NOT_EMPTY = 1009
E_MEMBER_EXISTS = 1010
E_READONLY_FIELD = 1011
E_AUDIT_NOT_FOUND = 1012     # history: no source entry with that id and action_time
E_USAGE_PARAM = 1183         # (doc) billable usage: the document's own example code
E_MALFORMED_JSON = 6007      # (cf) "Malformed JSON in request body"
E_BAD_HEADERS = 6003         # (cf) "Invalid request headers"
E_BAD_AUTH_FORMAT = 6111     # (cf) "Invalid format for Authorization header"
E_NO_ROUTE = 7003            # (cf) "No route for the URI"
E_METHOD = 7001              # (cf) "Method not allowed for this route"
E_RATE_LIMIT = 971           # (cf) "Please wait and consider throttling ..."
E_MISSING_AUTH = 9106        # (cf) "Missing X-Auth-Key, X-Auth-Email or ..."
E_AUTH = 10000               # (cf) "Authentication error" / "Forbidden"
E_SERVER = 10001             # fault-injected server errors

FORBIDDEN_DOC_URL = "https://developers.cloudflare.com/api/resources/organizations/"


class ApiError(Exception):
    """An error answered with Cloudflare's error envelope.  extra goes into
    the error object; envelope (top-level keys) into the body itself."""

    def __init__(self, status, code, message, headers=None, envelope=None, **extra):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.envelope = envelope or {}
        self.extra = extra


def bad_body(msg):
    return ApiError(400, E_INVALID_BODY, msg)


def bad_param(msg):
    return ApiError(400, E_INVALID_PARAM, msg)


# --------------------------------------------------------------------------
# ids, names, times

def to_b36(n, width):
    out = []
    while n:
        n, r = divmod(n, 36)
        out.append(B36[r])
    return "".join(reversed(out)).rjust(width, "0")


def hash36(*parts, n=32):
    """n base-36 characters that are a pure function of parts."""
    v = int.from_bytes(hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest(), "big")
    out = []
    for _ in range(n):
        v, r = divmod(v, 36)
        out.append(B36[r])
    s = "".join(out)
    if not any(c >= "g" for c in s):     # opaque ids, never hex-only
        s = "g" + s[1:]
    return s


_FAST36 = bytes(ord(B36[b % 36]) for b in range(256))


def fast36(*parts, n=25):
    """Like hash36 but cheaper (bytes mapped mod 36); for generated data sets."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=32).digest()[:n] \
        .translate(_FAST36).decode("ascii")


def fasthex(*parts, n=32):
    """n lower-case hex characters that are a pure function of parts."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()[:n]


def uuid_of(*parts):
    """A version-4-shaped UUID that is a pure function of parts."""
    x = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    x = x[:12] + "4" + x[13:16] + "89ab"[int(x[16], 16) % 4] + x[17:]
    return "%s-%s-%s-%s-%s" % (x[:8], x[8:12], x[12:16], x[16:20], x[20:])


def usage_record(fields, account_id, account_name, metric_id, day, quantity, extra=None):
    """One FOCUS record: fields (constant per metric/account) plus what the
    emulator derives, keys in the order of the document's schema; unknown keys
    last.  A null account name leaves BillingAccountName out."""
    rec = dict(fields)
    rec["BillingAccountId"] = account_id
    if account_name is not None:
        rec["BillingAccountName"] = account_name
    start = midnight(day)
    rec["ChargePeriodStart"] = rfc3339(start)
    rec["ChargePeriodEnd"] = rfc3339(start + dt.timedelta(days=1))
    rec["ConsumedQuantity"] = quantity
    rec["x_BillableMetricId"] = metric_id
    if extra:
        rec.update(extra)
    out = {k: rec.pop(k) for k in USAGE_KEY_ORDER if k in rec}
    out.update(rec)
    return out


def rfc3339(t, frac=0):
    """t (aware datetime) as RFC 3339 in UTC with 0, 3 or 6 fractional digits."""
    t = t.astimezone(dt.timezone.utc)
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac == 3:
        s += ".%03d" % (t.microsecond // 1000)
    elif frac == 6:
        s += ".%06d" % t.microsecond
    return s + "Z"


def parse_rfc3339(s):
    s2 = s[:-1] + "+00:00" if s.endswith("Z") else s
    return dt.datetime.fromisoformat(s2)


UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
TIMESTAMP_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_date(s):
    """YYYY-MM-DD -> date, or None (also for impossible dates like 2026-02-30)."""
    m = DATE_RE.match(s)
    if not m:
        return None
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        return None


def parse_timestamp(s):
    """An RFC 3339 timestamp -> aware datetime, or None.  Fractions beyond
    microseconds are cut; a leap second (:60) is refused."""
    m = TIMESTAMP_RE.match(s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, off = m.groups()
    us = int((frac[1:] + "000000")[:6]) if frac else 0
    if off in ("Z", "z"):
        tz = UTC
    else:
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return None
        sign = -1 if off[0] == "-" else 1
        tz = dt.timezone(sign * dt.timedelta(hours=oh, minutes=om))
    try:
        return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec), us, tzinfo=tz)
    except ValueError:
        return None


def parse_instant(s):
    """since/before of the audit logs: a date (midnight UTC) or an RFC 3339
    timestamp, as the document's text says -> aware datetime, or None."""
    d = parse_date(s)
    if d is not None:
        return dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
    return parse_timestamp(s)


def epoch_us(t):
    """An aware datetime as integer microseconds since the Unix epoch (a sort key)."""
    return (t - EPOCH) // dt.timedelta(microseconds=1)


def midnight(d):
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC)


class Clock:
    """Wall clock for create_time/update_time of new objects, or a frozen one."""

    def __init__(self, fixed=None):
        self.fixed = fixed

    def now(self):
        if self.fixed:
            return self.fixed
        return rfc3339(dt.datetime.now(UTC), 3)

    def now_dt(self):
        if self.fixed:
            t = parse_rfc3339(self.fixed)
            return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)
        return dt.datetime.now(UTC)

    def today(self):
        """The UTC date of now (billable usage's default window ends here)."""
        return self.now_dt().date()


def canon_json(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------
# generated data sets: every field a pure function of (seed, index)

ADJ = ["Amber", "Bright", "Cobalt", "Delta", "Ember", "Frost", "Granite", "Harbor",
       "Iris", "Jade", "Kestrel", "Lumen", "Maple", "Nimbus", "Onyx", "Pioneer",
       "Quartz", "Redwood", "Summit", "Tidal", "Umbra", "Vertex", "Willow", "Zephyr"]
NOUN = ["Analytics", "Bank", "Cloud", "Dynamics", "Energy", "Foods", "Games",
        "Health", "Industries", "Labs", "Logistics", "Media", "Networks", "Partners",
        "Retail", "Systems", "Telecom", "Ventures"]
FIRST = ["Ada", "Bruno", "Chloé", "Dmitri", "Elena", "Farah", "Goran", "Hana",
         "Ivan", "Jonas", "Kenji", "Lucía", "Mateo", "Nadia", "Olga", "Priya",
         "Quinn", "Rafael", "Sofia", "Tomás", "Uma", "Viktor", "Wen", "Yusuf"]
LAST = ["Andersen", "Brennan", "Castillo", "Dubois", "Eriksen", "Fischer",
        "García", "Haddad", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau",
        "Nakamura", "Okafor", "Petrov", "Rossi", "Schmidt", "Tanaka", "Varga"]
DOMAINS = ["example.com", "example.net", "example.org", "corp.example", "mail.example"]
ROLE_SETS = [["Administrator"], ["Administrator Read Only"], ["DNS"],
             ["Billing", "Analytics"], ["Super Administrator - All Privileges"],
             ["Firewall", "Cache Purge", "Zone Read"]]
GEN_EPOCH = dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)

GEN_AUDIT_SPAN_US = 30 * 86400 * 1000000      # generated audit logs: 30 days before the anchor
GEN_AUDIT_RESOURCES = (("organizations", "Member"), ("dns", "DNS Record"), ("waf", "Custom Rule"),
                       ("workers", "Script"), ("r2", "Bucket"), ("api_tokens", "API Token"))
# generated usage metrics: id, name, unit, category, family id, family name, and
# the quantity base + step * ((7 * day ordinal + 3 * account index + 5 * metric) mod m)
GEN_METRICS = (
    ("workers_standard_requests", "Workers Standard Requests", "Requests", "Developer", "workers", "Workers",
     100000, 2500, 13),
    ("r2_storage_standard", "R2 Standard Storage", "GB-Month", "Developer", "r2", "R2", 1.5, 0.25, 11),
    ("cdn_data_transfer", "Data Transfer", "GB", "Application Performance", "cdn", "CDN", 0, 3.5, 7),
)
USAGE_COMMON = {"ServiceProviderName": "Cloudflare", "InvoiceIssuerName": "Cloudflare",
                "HostProviderName": "Cloudflare", "ChargeCategory": "Usage",
                "ChargeFrequency": "Usage-Based"}

_M_ID = 36 ** 7
_A_MUL = 1_000_003                      # prime, so coprime to 36**7
_A_INV = pow(_A_MUL, -1, _M_ID)
_KIND_OFF = {"org": 17, "account": 4111, "member": 90001, "user": 123457,
             "membership": 777777, "xaccount": 31337, "policy": 4242}


def _mix(seed, i, salt):
    """Cheap deterministic integer mixing (no hashing) for field choices."""
    x = (i * 2654435761 + seed * 40503 + salt * 97) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 2246822519) & 0xFFFFFFFF
    x ^= x >> 13
    return x


class GenDataset:
    """A deterministic data set whose records are computed on demand."""

    def __init__(self, seed, n_orgs, roots, members_per_org, accounts_per_org, memberships,
                 audit_per_org=0, shares_per_org=0):
        self.seed = seed
        self.n = n_orgs
        self.R = n_orgs if roots <= 0 else min(roots, n_orgs)
        self.M = members_per_org
        self.A = accounts_per_org
        self.n_users = max(self.M, (self.n * self.M) // 2) if self.M else 0
        self.n_ms = memberships
        self.K = audit_per_org
        self.S = shares_per_org
        # the end of the generated audit logs and usage: the emulator clock at
        # start (Emulator sets it), so a run sees one stable data set
        self.anchor = GEN_EPOCH
        self._org_cache = {}
        self._audit_cache = {}

    def describe(self):
        return {"seed": self.seed, "orgs": self.n, "roots": self.R,
                "members_per_org": self.M, "accounts_per_org": self.A,
                "memberships": self.n_ms, "audit_per_org": self.K,
                "shares_per_org": self.S}

    # ids --------------------------------------------------------------
    def gid(self, kind, i):
        """32 chars: 25 hashed ones, then the index scrambled in base 36 (so
        an id maps back to its index).  Kinds have separate id spaces."""
        j = (i * _A_MUL + _KIND_OFF[kind]) % _M_ID
        h = fast36(self.seed, kind, i)
        if not any(c >= "g" for c in h):
            h = "g" + h[1:]
        return h + to_b36(j, 7)

    def index_of(self, kind, ident, limit):
        if not isinstance(ident, str) or not ID_RE.match(ident):
            return None
        j = int(ident[25:], 36)
        i = ((j - _KIND_OFF[kind]) * _A_INV) % _M_ID
        if i >= limit or self.gid(kind, i) != ident:
            return None
        return i

    # organizations ------------------------------------------------------
    def org_name(self, i):
        x = _mix(self.seed, i, 1)
        return "%s %s %07d" % (ADJ[x % len(ADJ)], NOUN[(x >> 8) % len(NOUN)], i)

    def org_parent(self, i):
        return None if i < self.R else i % self.R

    def children(self, i):
        if i < self.R and self.R < self.n:
            return range(i + self.R, self.n, self.R)
        return range(0)

    def roots(self):
        return range(self.R)

    def org(self, i):
        """Organisation i's record.  Memoised: callers must not modify it
        (Store.materialize copies it)."""
        r = self._org_cache.get(i)
        if r is None:
            r = self._org(i)
            if len(self._org_cache) >= 8192:
                self._org_cache.clear()
            self._org_cache[i] = r
        return r

    def _org(self, i):
        oid = self.gid("org", i)
        frac = (0, 3, 6, 0)[i % 4]
        t = GEN_EPOCH + dt.timedelta(seconds=61 * i, microseconds=(i * 7919) % 1000000)
        x = _mix(self.seed, i, 2)
        profile = None
        if x % 4:
            profile = {
                "business_address": "%d %s Street, Springfield" % (1 + x % 900, ADJ[x % len(ADJ)]),
                "business_email": "billing+%d@%s" % (i, DOMAINS[x % len(DOMAINS)]),
                "business_name": self.org_name(i) + " Inc.",
                "business_phone": "+1-555-%04d" % (x % 10000),
                "external_metadata": canon_json({"crm_id": "CRM-%07d" % i}),
            }
        flags = dict(DEFAULT_TENANT_FLAGS)
        if x % 3 == 0:
            flags["enterprise_capability"] = "enabled"
        return {
            "id": oid, "name": self.org_name(i), "create_time": rfc3339(t, frac),
            "parent": self.org_parent(i), "tag": "t" + oid[:11],
            "managed_by": "" if i < self.R else self.org(self.org_parent(i))["id"],
            "tenant_flags": flags, "meta_extra": {}, "profile": profile,
            "accounts": None, "members": None,
        }

    # accounts -------------------------------------------------------------
    def account(self, k):
        x = _mix(self.seed, k, 3)
        i = k // self.A if self.A else 0
        t = GEN_EPOCH + dt.timedelta(seconds=61 * i + 7 * (k % max(self.A, 1)) + 1)
        enterprise = x % 3 == 0
        return {
            "id": self.gid("account", k),
            "created_on": rfc3339(t, 3 if k % 2 else 0),
            "name": "%s %s account %d" % (ADJ[(x >> 4) % len(ADJ)], NOUN[(x >> 9) % len(NOUN)], k),
            "settings": {
                "abuse_contact_email": None if x % 5 == 0 else "abuse@%s" % DOMAINS[x % len(DOMAINS)],
                "access_approval_expiry": None,
                "api_access_enabled": (None, True, False)[x % 3] if enterprise else None,
                "default_nameservers": None,
                "enforce_twofactor": bool((x >> 3) % 2),
                "use_account_custom_ns_by_default": None,
            },
            "type": "enterprise" if enterprise else "standard",
        }

    def accounts(self, i):
        return [self.account(i * self.A + j) for j in range(self.A)]

    def org_of_account(self, aid):
        k = self.index_of("account", aid, self.n * self.A)
        return None if k is None else k // self.A

    # users and members ----------------------------------------------------
    def user(self, u):
        x = _mix(self.seed, u, 4)
        first, last = FIRST[x % len(FIRST)], LAST[(x >> 6) % len(LAST)]
        local = "%s.%s.%d" % (first.lower(), last.lower(), u)
        local = local.encode("ascii", "ignore").decode() if x % 7 else local
        return {"id": self.gid("user", u),
                "email": "%s@%s" % (local, DOMAINS[(x >> 11) % len(DOMAINS)]),
                "name": "%s %s" % (first, last),
                "two_factor_authentication_enabled": bool((x >> 2) % 2)}

    def member(self, i, j):
        k = i * self.M + j
        u = k % self.n_users
        x = _mix(self.seed, k, 5)
        t = GEN_EPOCH + dt.timedelta(seconds=61 * i + 3 * j + 5)
        t2 = t + dt.timedelta(days=x % 90, seconds=x % 3600)
        return {
            "id": self.gid("member", k), "seq": j,
            "status": MEMBER_STATUSES[x % 4] if x % 8 >= 4 else "active",
            "user": self.user(u),
            "meta": {} if x % 3 else {"invite": {"source": "generated", "batch": x % 10}},
            "create_time": rfc3339(t, 0), "update_time": rfc3339(t2, 3),
        }

    def members(self, i):
        return [self.member(i, j) for j in range(self.M)]

    def orgs_with_user(self, uid):
        u = self.index_of("user", uid, self.n_users)
        if u is None:
            return []
        return [k // self.M for k in range(u, self.n * self.M, self.n_users)]

    def user_by_email(self, email):
        m = re.match(r"^[^@]*\.(\d+)@", email)
        if not m or not self.n_users:
            return None
        u = int(m.group(1))
        if u >= self.n_users:
            return None
        user = self.user(u)
        return user if user["email"].lower() == email.lower() else None

    # memberships ----------------------------------------------------------
    def membership_status(self, m):
        return MEMBERSHIP_STATUSES[_mix(self.seed, m, 6) % 3]

    def membership(self, m):
        x = _mix(self.seed, m, 6)
        rec = {
            "id": self.gid("membership", m),
            "status": MEMBERSHIP_STATUSES[x % 3],
            "api_access_enabled": (None, True, False)[(x >> 2) % 3],
            "roles": list(ROLE_SETS[(x >> 4) % len(ROLE_SETS)]),
            "permissions": {k: {"read": bool((x >> (b + 1)) % 2 or b == 0),
                                "write": bool((x >> (b + 7)) % 2)}
                            for b, k in enumerate(PERMISSION_KEYS)},
        }
        if m < self.n * self.A:
            rec["account_id"] = self.gid("account", m)
        else:
            t = GEN_EPOCH + dt.timedelta(hours=m)
            rec["account"] = {
                "id": self.gid("xaccount", m), "name": "Standalone account %d" % m,
                "type": "standard" if x % 2 else "enterprise",
                "created_on": rfc3339(t, 0),
                "settings": {"abuse_contact_email": "abuse@example.com",
                             "enforce_twofactor": bool(x % 2)},
            }
        if m % 3 == 0:
            rec["policies"] = [{
                "id": self.gid("policy", m), "access": "allow",
                "permission_groups": [{"id": hash36(self.seed, "pg", m % 5),
                                       "name": "Zone Read",
                                       "meta": {"key": "label", "value": "zone_read"}}],
                "resource_groups": [{"id": hash36(self.seed, "rg", m),
                                     "name": "com.cloudflare.api.account.%s" % rec.get("account_id", "x"),
                                     "meta": {"key": "editable", "value": "false"},
                                     "scope": {"key": "com.cloudflare.api.account.%s" % rec.get("account_id", "x"),
                                               "objects": [{"key": "*"}]}}],
            }]
        return rec

    # audit logs ---------------------------------------------------------------
    def audit_events(self, i):
        """Organisation i's K audit log events, oldest first, spread over the
        30 days before the anchor.  Memoised like org()."""
        r = self._audit_cache.get(i)
        if r is None:
            r = [self._audit_event(i, j) for j in range(self.K)]
            if len(self._audit_cache) >= 1024:
                self._audit_cache.clear()
            self._audit_cache[i] = r
        return r

    def _audit_event(self, i, j):
        k = i * self.K + j
        x = _mix(self.seed, k, 7)
        oid = self.gid("org", i)
        slot = GEN_AUDIT_SPAN_US // self.K
        t = self.anchor - dt.timedelta(microseconds=GEN_AUDIT_SPAN_US - slot * j - x % slot)
        typ = AUDIT_ACTION_TYPES[x % 4]
        failed = x % 11 == 0
        if x % 19 == 0:
            a_type = "system"
        elif x % 23 == 0:
            a_type = "cloudflare_admin"
        else:
            a_type = "user"
        context = AUDIT_ACTOR_CONTEXTS[(x >> 3) % 5]
        if a_type == "system":
            actor = {"context": context, "id": "cloudflare-system", "ip_address": ""}
        else:
            if a_type == "cloudflare_admin":
                email, uid = "support@cloudflare.example", fasthex(self.seed, "admin", x % 7)
            elif self.M:
                u = self.member(i, (x >> 5) % self.M)["user"]
                email, uid = u["email"], u["id"]
            else:
                email, uid = "user%d@example.com" % (x % 97), fasthex(self.seed, "user", x % 97)
            ip = "198.51.100.%d" % (x % 250 + 1) if (x >> 9) % 2 else "2001:db8::%x" % (x % 65521 + 1)
            actor = {"context": context, "email": email, "id": uid, "ip_address": ip}
        if context in ("api_token", "oauth") and a_type != "system":
            actor["token_id"] = fasthex(self.seed, "token", i, (x >> 12) % 3)
            actor["token_name"] = "Token %d of %s" % ((x >> 12) % 3, self.org_name(i))
        actor["type"] = a_type
        r = (x >> 7) % len(GEN_AUDIT_RESOURCES)
        product, rtype = GEN_AUDIT_RESOURCES[r]
        if product == "organizations" or not self.A:
            scope = {"id": oid, "name": self.org_name(i), "type": "organizations"}
        else:
            acct = self.account(i * self.A + r % self.A)
            scope = {"id": acct["id"], "name": acct["name"], "type": "accounts"}
        resource = {}
        if x % 17:
            resource["id"] = fasthex(self.seed, "resource", i, r)
        resource["product"] = product
        resource["scope"] = scope
        resource["type"] = rtype
        raw = {"cf_ray_id": fasthex(self.seed, "ray", k, n=16),
               "method": {"create": "POST", "delete": "DELETE", "view": "GET", "update": "PATCH"}[typ],
               "status_code": 403 if failed else 200}
        if x % 13:
            raw["uri"] = "/organizations/%s/%s/%s" % (oid, product, resource.get("id", "-"))
        raw["user_agent"] = "generated-client/%d" % (x % 5)
        return {
            "action": {"description": "%s %s" % (typ.capitalize(), rtype), "result": "failure" if failed else "success",
                       "time": rfc3339(t, 3 if j % 3 else 0), "type": typ},
            "actor": actor,
            "id": uuid_of(self.seed, "audit", i, j),
            "organization": {"id": oid},
            "raw": raw,
            "resource": resource,
        }

    # billable usage -----------------------------------------------------------
    def usage_range(self):
        """The generated usage: the month before the anchor's, through its day."""
        last = self.anchor.date()
        first = (last.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return first, last

    def usage(self, i, d_from, d_to):
        first, last = self.usage_range()
        d_from, d_to = max(d_from, first), min(d_to, last)
        out = []
        accts = self.accounts(i)
        d = d_from
        while d <= d_to:
            for j, a in enumerate(accts):
                k = i * self.A + j
                for m, spec in enumerate(GEN_METRICS):
                    mid, name, unit, category, fam_id, fam_name, base, step, mod = spec
                    q = base + step * ((7 * d.toordinal() + 3 * k + 5 * m) % mod)
                    rec = dict(USAGE_COMMON, ChargeDescription="%s \u2014 daily usage" % name,
                               ConsumedUnit=unit, x_BillableMetricName=name, x_ProductCategoryName=category,
                               x_ProductFamilyId=fam_id, x_ProductFamilyName=fam_name)
                    out.append(usage_record(rec, a["id"], a["name"], mid, d, q))
            d += dt.timedelta(days=1)
        return out

    # organization shares ------------------------------------------------------
    def shares(self, i):
        out = []
        oid = self.gid("org", i)
        for s in range(self.S):
            k = i * self.S + s
            x = _mix(self.seed, k, 8)
            if self.A:
                acct = self.account(i * self.A + s % self.A)
                aid, aname = acct["id"], acct["name"] or "Account %d" % (i * self.A + s % self.A)
            else:
                aid, aname = fasthex(self.seed, "share-account", k), "External account %d" % k
            kind = SHARE_KINDS[(x >> 2) % 2]
            status = SHARE_STATUSES[x % 3] if x % 4 == 0 else "active"
            created = GEN_EPOCH + dt.timedelta(seconds=61 * i + 11 * s, microseconds=x % 1000000)
            modified = created + dt.timedelta(days=x % 40)
            share = {"id": fasthex(self.seed, "share", k), "name": "%s %s share %d" % (
                         ADJ[(x >> 4) % len(ADJ)], NOUN[(x >> 9) % len(NOUN)], k),
                     "account_id": aid, "account_name": aname, "organization_id": oid,
                     "created": rfc3339(created, 6), "modified": rfc3339(modified, 6), "status": status,
                     "target_type": SHARE_TARGET_TYPES[(x >> 3) % 2], "kind": kind}
            res = []
            for r in range(1 + (x >> 5) % 2):
                rt = SHARE_RESOURCE_TYPES[(x >> 6) % len(SHARE_RESOURCE_TYPES) if r == 0 else (k + r) % 6]
                res.append({"id": fasthex(self.seed, "share-resource", k, r),
                            "resource_id": fasthex(self.seed, "shared", k, r), "resource_type": rt,
                            "resource_account_id": aid, "meta": {}, "status": status,
                            "created": share["created"], "modified": share["modified"],
                            "resource_version": 1 + (x >> 8) % 9})
            share["resources"] = res
            if kind == "sent":
                share["associated_recipient_count"] = (x >> 10) % 6
                share["associating_recipient_count"] = (x >> 13) % 2
                share["disassociated_recipient_count"] = (x >> 14) % 3
                share["disassociating_recipient_count"] = 0
            out.append(share)
        return out


class EmptyDataset(GenDataset):
    def __init__(self):
        super().__init__(0, 0, 0, 0, 0, 0)


# --------------------------------------------------------------------------
# the data file

class DataError(Exception):
    pass


def load_data_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return json.loads(raw)
    except ValueError as e:
        raise DataError("%s: not JSON: %s" % (path, e))


def check_data(data):
    """Validate a data file's shape; raise DataError with a precise message."""
    if not isinstance(data, dict):
        raise DataError("top level must be an object")
    orgs = data.get("organizations", [])
    if not isinstance(orgs, list):
        raise DataError("organizations must be an array")
    ids = set()
    acct_ids = set()
    for n, o in enumerate(orgs):
        where = "organizations[%d]" % n
        if not isinstance(o, dict):
            raise DataError(where + " must be an object")
        for k in ("id", "name", "create_time"):
            if not isinstance(o.get(k), str):
                raise DataError("%s.%s must be a string" % (where, k))
        if o["id"] in ids:
            raise DataError("%s: duplicate id %s" % (where, o["id"]))
        ids.add(o["id"])
        prof = o.get("profile")
        if prof is not None and (not isinstance(prof, dict) or
                                 any(not isinstance(prof.get(k), str) for k in PROFILE_KEYS)):
            raise DataError(where + ".profile needs the five string fields " + ", ".join(PROFILE_KEYS))
        meta = o.get("meta", {})
        if not isinstance(meta, dict):
            raise DataError(where + ".meta must be an object")
        for k, v in meta.items():
            if k == "managed_by" and not isinstance(v, str):
                raise DataError(where + ".meta.managed_by must be a string")
            if k == "tenant_flags" and (not isinstance(v, dict) or
                                        any(not isinstance(v.get(f), str) for f in TENANT_FLAG_KEYS)):
                raise DataError(where + ".meta.tenant_flags needs 7 string flags")
            if k not in ("managed_by", "tenant_flags", "hierarchy_tags") and not isinstance(v, dict):
                raise DataError("%s.meta.%s must be an object (additionalProperties)" % (where, k))
        for a in o.get("accounts", []):
            if not isinstance(a, dict) or not isinstance(a.get("id"), str):
                raise DataError(where + ": account without id")
            if a["id"] in acct_ids:
                raise DataError(where + ": duplicate account id " + a["id"])
            acct_ids.add(a["id"])
            if a.get("type") not in ("standard", "enterprise"):
                raise DataError("account %s: type must be standard or enterprise" % a["id"])
            if not isinstance(a.get("created_on"), str):
                raise DataError("account %s: created_on must be a string" % a["id"])
            s = a.get("settings")
            if not isinstance(s, dict) or any(k not in s for k in ACCOUNT_SETTING_KEYS):
                raise DataError("account %s: settings needs all of %s" % (a["id"], ", ".join(ACCOUNT_SETTING_KEYS)))
        emails = set()
        for m in o.get("members", []):
            if not isinstance(m, dict) or not isinstance(m.get("id"), str):
                raise DataError(where + ": member without id")
            if m.get("status") not in MEMBER_STATUSES:
                raise DataError("member %s: bad status" % m["id"])
            u = m.get("user")
            if not isinstance(u, dict) or any(not isinstance(u.get(k), str) for k in ("id", "email", "name")) \
                    or not isinstance(u.get("two_factor_authentication_enabled"), bool):
                raise DataError("member %s: user needs id, email, name, two_factor_authentication_enabled" % m["id"])
            if u["email"].lower() in emails:
                raise DataError("member %s: email %s twice in one organization" % (m["id"], u["email"]))
            emails.add(u["email"].lower())
            if not isinstance(m.get("meta", {}), dict) or any(not isinstance(v, dict) for v in m.get("meta", {}).values()):
                raise DataError("member %s: meta must map names to objects" % m["id"])
            for k in ("create_time", "update_time"):
                if not isinstance(m.get(k), str):
                    raise DataError("member %s: %s must be a string" % (m["id"], k))
    for n, o in enumerate(orgs):
        p = o.get("parent_id")
        if p is not None and p not in ids:
            raise DataError("organizations[%d].parent_id %s is not an organization" % (n, p))
    by_id = {o["id"]: o for o in orgs}
    for o in orgs:                      # no cycles
        seen, cur = set(), o
        while cur.get("parent_id") is not None:
            if cur["id"] in seen:
                raise DataError("organization %s: parent cycle" % o["id"])
            seen.add(cur["id"])
            cur = by_id[cur["parent_id"]]
    ms = data.get("memberships", [])
    if not isinstance(ms, list):
        raise DataError("memberships must be an array")
    ms_ids = set()
    for n, m in enumerate(ms):
        where = "memberships[%d]" % n
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            raise DataError(where + " needs an id")
        if m["id"] in ms_ids:
            raise DataError(where + ": duplicate id")
        ms_ids.add(m["id"])
        if m.get("status") not in MEMBERSHIP_STATUSES:
            raise DataError(where + ": bad status")
        if "account_id" in m:
            if m["account_id"] not in acct_ids:
                raise DataError(where + ": account_id %s is no organization's account" % m["account_id"])
        elif not isinstance(m.get("account"), dict):
            raise DataError(where + " needs account_id or an inline account")
    if "audit_logs" in data:
        check_audit_logs(data["audit_logs"], ids)
    if "shares" in data:
        check_shares(data["shares"], ids)
    if "usage" in data:
        check_usage(data["usage"], acct_ids)


def _check_strings(obj, where, keys):
    for k in keys:
        if k in obj and not isinstance(obj[k], str):
            raise DataError("%s.%s must be a string" % (where, k))


def check_audit_logs(logs, org_ids):
    """The audit_logs collection: API objects of the audit log, each naming
    its organization; fields may be left out, but those present have the
    document's types and enums."""
    if not isinstance(logs, list):
        raise DataError("audit_logs must be an array")
    seen = set()
    for n, a in enumerate(logs):
        where = "audit_logs[%d]" % n
        if not isinstance(a, dict):
            raise DataError(where + " must be an object")
        if not isinstance(a.get("id"), str) or not UUID_RE.match(a["id"]):
            raise DataError(where + ".id must be a UUID")
        if a["id"].lower() in seen:
            raise DataError("%s: duplicate id %s" % (where, a["id"]))
        seen.add(a["id"].lower())
        org = a.get("organization")
        if not isinstance(org, dict) or org.get("id") not in org_ids:
            raise DataError(where + ".organization.id must be an organization of the file")
        for k in ("action", "actor", "raw", "resource"):
            if not isinstance(a.get(k, {}), dict):
                raise DataError("%s.%s must be an object" % (where, k))
        action, actor = a.get("action", {}), a.get("actor", {})
        raw, res = a.get("raw", {}), a.get("resource", {})
        if not isinstance(action.get("time"), str) or parse_timestamp(action["time"]) is None:
            raise DataError(where + ".action.time must be an RFC 3339 timestamp")
        _check_strings(action, where + ".action", ("description", "result", "type"))
        _check_strings(actor, where + ".actor", ("context", "email", "id", "ip_address", "token_id",
                                                 "token_name", "type"))
        _check_strings(raw, where + ".raw", ("cf_ray_id", "method", "uri", "user_agent"))
        _check_strings(res, where + ".resource", ("id", "product", "type"))
        for obj, key, allowed in ((action, "type", AUDIT_ACTION_TYPES), (action, "result", AUDIT_ACTION_RESULTS),
                                  (actor, "context", AUDIT_ACTOR_CONTEXTS), (actor, "type", AUDIT_ACTOR_TYPES)):
            if key in obj and obj[key] not in allowed:
                raise DataError("%s: %s %r is not one of %s" % (where, key, obj[key], ", ".join(allowed)))
        if "status_code" in raw and (not isinstance(raw["status_code"], int) or isinstance(raw["status_code"], bool)):
            raise DataError(where + ".raw.status_code must be an integer")
        for k in ("request", "response", "scope"):
            if k in res and not isinstance(res[k], dict):
                raise DataError("%s.resource.%s must be an object" % (where, k))


def check_shares(shares, org_ids):
    """The shares collection: API objects of organization shares."""
    if not isinstance(shares, list):
        raise DataError("shares must be an array")
    seen = set()
    for n, sh in enumerate(shares):
        where = "shares[%d]" % n
        if not isinstance(sh, dict):
            raise DataError(where + " must be an object")
        for k in ("id", "name", "account_id", "account_name", "created", "modified"):
            if not isinstance(sh.get(k), str):
                raise DataError("%s.%s must be a string" % (where, k))
        if sh["id"] in seen:
            raise DataError("%s: duplicate id %s" % (where, sh["id"]))
        seen.add(sh["id"])
        if sh.get("organization_id") not in org_ids:
            raise DataError(where + ".organization_id must be an organization of the file")
        for k in ("created", "modified"):
            if parse_timestamp(sh[k]) is None:
                raise DataError("%s.%s must be an RFC 3339 timestamp" % (where, k))
        for k, allowed in (("status", SHARE_STATUSES), ("kind", SHARE_KINDS), ("target_type", SHARE_TARGET_TYPES)):
            if sh.get(k) not in allowed:
                raise DataError("%s.%s must be one of %s" % (where, k, ", ".join(allowed)))
        rs = sh.get("resources", [])
        if not isinstance(rs, list):
            raise DataError(where + ".resources must be an array")
        for m, r in enumerate(rs):
            rw = "%s.resources[%d]" % (where, m)
            if not isinstance(r, dict):
                raise DataError(rw + " must be an object")
            if r.get("resource_type") not in SHARE_RESOURCE_TYPES:
                raise DataError(rw + ".resource_type must be one of " + ", ".join(SHARE_RESOURCE_TYPES))
            if r.get("status") not in SHARE_STATUSES:
                raise DataError(rw + ".status must be one of " + ", ".join(SHARE_STATUSES))
            if not isinstance(r.get("meta"), dict):
                raise DataError(rw + ".meta must be an object")
            if not isinstance(r.get("resource_version"), int) or isinstance(r["resource_version"], bool):
                raise DataError(rw + ".resource_version must be an integer")


def check_usage(u, acct_ids):
    """The usage collection: a generator spec (README.md, "The sample data")."""
    if not isinstance(u, dict):
        raise DataError("usage must be an object")
    d_from = parse_date(u.get("from")) if isinstance(u.get("from"), str) else None
    d_to = parse_date(u.get("to")) if isinstance(u.get("to"), str) else None
    if d_from is None or d_to is None or d_to < d_from:
        raise DataError("usage.from and usage.to must be dates YYYY-MM-DD, from <= to")

    def fields(rec, where, derived_ok=()):
        if not isinstance(rec, dict):
            raise DataError(where + " must be an object")
        bad = [k for k in USAGE_DERIVED if k in rec and k not in derived_ok]
        if bad:
            raise DataError("%s: %s is derived by the emulator" % (where, ", ".join(bad)))

    fields(u.get("record", {}), "usage.record")
    metrics = u.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        raise DataError("usage.metrics must be a non-empty array")
    mids = set()
    for n, m in enumerate(metrics):
        where = "usage.metrics[%d]" % n
        if not isinstance(m, dict) or not isinstance(m.get("id"), str) or m["id"] in mids:
            raise DataError(where + " needs a unique string id")
        mids.add(m["id"])
        qty = m.get("quantity")
        if not (isinstance(qty, list) and len(qty) == 3 and
                all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in qty) and
                isinstance(qty[2], int) and qty[2] > 0):
            raise DataError(where + ".quantity must be [base, step, modulus > 0]")
        fields(m.get("record", {}), where + ".record")
    accts = u.get("accounts")
    if not isinstance(accts, list):
        raise DataError("usage.accounts must be an array")
    seen = set()
    for n, a in enumerate(accts):
        where = "usage.accounts[%d]" % n
        if not isinstance(a, dict) or a.get("account_id") not in acct_ids or a["account_id"] in seen:
            raise DataError(where + ".account_id must be an account of the file, once")
        seen.add(a["account_id"])
        fields(a.get("record", {}), where + ".record")
        ms = a.get("metrics")
        if not isinstance(ms, dict) or not ms or set(ms) - mids:
            raise DataError(where + ".metrics must map metric ids of usage.metrics to objects")
        for k, v in ms.items():
            fields(v, "%s.metrics.%s" % (where, k))
    for n, o in enumerate(u.get("overrides", [])):
        where = "usage.overrides[%d]" % n
        if not isinstance(o, dict) or o.get("account_id") not in seen or o.get("metric") not in mids \
                or not isinstance(o.get("date"), str) or parse_date(o["date"]) is None:
            raise DataError(where + " needs account_id (of usage.accounts), metric and date")
        fields(o.get("record"), where + ".record", ("ConsumedQuantity",))


class UsageSpec:
    """The usage collection of a data file: accounts x metrics x days, each
    record's quantity base + step * ((7 * day + 3 * account + 5 * metric) mod m),
    day counted from the spec's from, account and metric by their position in
    the spec; overrides replace fields of one record."""

    def __init__(self, u):
        self.first = parse_date(u["from"])
        self.last = parse_date(u["to"])
        self.common = u.get("record", {})
        self.metrics = u["metrics"]
        self.accounts = {a["account_id"]: (n, a) for n, a in enumerate(u["accounts"])}
        self.overrides = {(o["account_id"], o["metric"], o["date"]): o["record"] for o in u.get("overrides", [])}

    def records(self, accounts, d_from, d_to):
        """Records of these accounts (API objects, in the organisation's
        order) from d_from to d_to inclusive: by day, account, metric."""
        d_from, d_to = max(d_from, self.first), min(d_to, self.last)
        out = []
        day = d_from
        while day <= d_to:
            dn = (day - self.first).days
            for acct in accounts:
                spec = self.accounts.get(acct["id"])
                if spec is None:
                    continue
                an, a = spec
                for mn, m in enumerate(self.metrics):
                    if m["id"] not in a["metrics"]:
                        continue
                    base, step, mod = m["quantity"]
                    q = base + step * ((7 * dn + 3 * an + 5 * mn) % mod)
                    fields = dict(self.common)
                    fields.update(m.get("record", {}))
                    fields.update(a.get("record", {}))
                    fields.update(a["metrics"][m["id"]])
                    out.append(usage_record(fields, acct["id"], acct["name"], m["id"], day, q,
                                            self.overrides.get((acct["id"], m["id"], day.isoformat()))))
            day += dt.timedelta(days=1)
        return out


def ordered(obj, keys):
    """obj with keys in this order first, then the others as they come."""
    out = {k: obj[k] for k in keys if k in obj}
    out.update((k, v) for k, v in obj.items() if k not in out)
    return out


SHARE_KEYS = ("id", "name", "account_id", "account_name", "organization_id", "created", "modified",
              "status", "target_type", "kind", "resources", "associated_recipient_count",
              "associating_recipient_count", "disassociated_recipient_count",
              "disassociating_recipient_count")
SHARE_RESOURCE_KEYS = ("id", "resource_id", "resource_type", "resource_account_id", "meta", "status",
                       "created", "modified", "resource_version")


def share_api(sh):
    """A share of a data file in the key order of the document's required list
    (a loaded file's keys come sorted)."""
    out = ordered(sh, SHARE_KEYS)
    if isinstance(out.get("resources"), list):
        out["resources"] = [ordered(r, SHARE_RESOURCE_KEYS) for r in out["resources"]]
    return out


def audit_key(item):
    """The sort key of an audit log entry: (action.time in microseconds, id)."""
    return (epoch_us(parse_timestamp(item["action"]["time"])), item["id"])


# --------------------------------------------------------------------------
# the store: a base data set (generated, or empty) plus everything that was
# loaded from a file or written through the API, kept as materialised records

_MISSING = object()


class Store:
    def __init__(self, base, data, clock, seed_tag):
        self.base = base
        self.clock = clock
        self.seed_tag = seed_tag
        self.n_base = base.n
        self.total = base.n                 # organisation indices 0..total-1
        self.mat = {}                       # idx -> org record, or None when deleted
        self.deleted = set()
        self.id_index = {}                  # id -> idx for idx >= n_base
        self.extra_children = collections.defaultdict(list)
        self.extra_roots = []
        self.acct_index = {}                # account id -> org idx (file accounts)
        self.users_by_email = {}            # lower(email) -> user (file + created)
        self.ms_n_base = base.n_ms
        self.ms_total = base.n_ms
        self.ms_mat = {}
        self.ms_id_index = {}
        self.version = 0
        self.counters = collections.Counter()
        self.member_seq = 1 << 30
        # read-only collections of a data file, by organisation id
        self.audit_by_org = {}              # org id -> [(key, item)] sorted by key
        self.shares_by_org = {}             # org id -> [share] in file order
        self.usage_spec = None
        if data:
            self._load(data)

    # loading --------------------------------------------------------------
    def _load(self, data):
        orgs = data.get("organizations", [])
        pending = []
        for o in orgs:
            idx = self.total
            self.total += 1
            self.id_index[o["id"]] = idx
            meta = dict(o.get("meta") or {})
            meta.pop("hierarchy_tags", None)
            rec = {
                "id": o["id"], "name": o["name"], "create_time": o["create_time"],
                "parent": None, "tag": o.get("tag") or ("t" + o["id"][:11]),
                "managed_by": meta.pop("managed_by", ""),
                "tenant_flags": meta.pop("tenant_flags", dict(DEFAULT_TENANT_FLAGS)),
                "meta_extra": meta, "profile": o.get("profile"),
                "accounts": [dict(a) for a in o.get("accounts", [])],
                "members": [],
            }
            for m in o.get("members", []):
                mm = {"id": m["id"], "seq": self._next_seq(), "status": m["status"],
                      "user": dict(m["user"]), "meta": m.get("meta", {}),
                      "create_time": m["create_time"], "update_time": m["update_time"]}
                rec["members"].append(mm)
                self.users_by_email.setdefault(m["user"]["email"].lower(), dict(m["user"]))
            for a in rec["accounts"]:
                self.acct_index[a["id"]] = idx
            self.mat[idx] = rec
            pending.append((idx, o.get("parent_id")))
        for idx, pid in pending:
            if pid is None:
                self.extra_roots.append(idx)
            else:
                p = self.id_index[pid]
                self.mat[idx]["parent"] = p
                self.extra_children[p].append(idx)
        for m in data.get("memberships", []):
            idx = self.ms_total
            self.ms_total += 1
            self.ms_mat[idx] = dict(m)
            self.ms_id_index[m["id"]] = idx
        for a in data.get("audit_logs", []):
            self.audit_by_org.setdefault(a["organization"]["id"], []).append((audit_key(a), a))
        for lst in self.audit_by_org.values():
            lst.sort(key=lambda e: e[0])
        for sh in data.get("shares", []):
            self.shares_by_org.setdefault(sh["organization_id"], []).append(share_api(sh))
        if data.get("usage"):
            self.usage_spec = UsageSpec(data["usage"])

    def _next_seq(self):
        self.member_seq += 1
        return self.member_seq

    def touch(self):
        self.version += 1

    def new_id(self, kind):
        while True:
            self.counters[kind] += 1
            ident = hash36("new", self.seed_tag, kind, self.counters[kind])
            if kind == "org" and self.org_index(ident) is None:
                return ident
            if kind != "org":
                return ident

    # organisations --------------------------------------------------------
    def org_index(self, oid):
        if not isinstance(oid, str):
            return None
        idx = self.id_index.get(oid)
        if idx is None:
            idx = self.base.index_of("org", oid, self.n_base)
        if idx is None or idx in self.deleted:
            return None
        return idx

    def org_rec(self, i):
        r = self.mat.get(i, _MISSING)
        if r is _MISSING:
            return self.base.org(i)
        return r

    def org_name(self, i):
        r = self.mat.get(i, _MISSING)
        if r is _MISSING:
            return self.base.org_name(i)
        return r["name"]

    def org_parent(self, i):
        r = self.mat.get(i, _MISSING)
        if r is _MISSING:
            return self.base.org_parent(i)
        return r["parent"]

    def live(self, i):
        return i not in self.deleted

    def all_orgs(self):
        if not self.deleted:
            return range(self.total)
        return [i for i in range(self.total) if i not in self.deleted]

    def roots(self):
        return [i for i in self.base.roots() if i not in self.deleted] + \
            [i for i in self.extra_roots if i not in self.deleted]

    def children(self, i):
        out = [c for c in self.base.children(i) if c not in self.deleted] if i < self.n_base else []
        return out + [c for c in self.extra_children.get(i, ()) if c not in self.deleted]

    def has_children(self, i):
        if i < self.n_base:
            for c in self.base.children(i):
                if c not in self.deleted:
                    return True
        return any(c not in self.deleted for c in self.extra_children.get(i, ()))

    def ancestors(self, i):
        out = []
        p = self.org_parent(i)
        while p is not None:
            out.append(p)
            p = self.org_parent(p)
        return out

    def materialize(self, i):
        r = self.mat.get(i, _MISSING)
        if r is _MISSING:
            r = dict(self.base.org(i))
            r["tenant_flags"] = dict(r["tenant_flags"])
            r["meta_extra"] = dict(r["meta_extra"])
            r["profile"] = dict(r["profile"]) if r["profile"] is not None else None
            r["accounts"] = self.base.accounts(i)
            r["members"] = self.base.members(i)
            self.mat[i] = r
        return r

    def accounts_of(self, i):
        r = self.org_rec(i)
        return r["accounts"] if r["accounts"] is not None else self.base.accounts(i)

    def members_of(self, i):
        r = self.org_rec(i)
        return r["members"] if r["members"] is not None else self.base.members(i)

    def org_of_account(self, aid):
        i = self.acct_index.get(aid)
        if i is None:
            i = self.base.org_of_account(aid)
        if i is None or i in self.deleted:
            return None
        return i

    def orgs_with_user(self, uid):
        res = {i for i in self.base.orgs_with_user(uid) if i not in self.mat}
        for i, r in self.mat.items():
            if r is not None and any(m["user"]["id"] == uid for m in r["members"]):
                res.add(i)
        return res

    def find_user(self, email):
        u = self.users_by_email.get(email.lower())
        if u is None:
            u = self.base.user_by_email(email)
        return u

    def org_api(self, i):
        r = self.org_rec(i)
        chain = [i] + self.ancestors(i)
        tags = [self.org_rec(c)["tag"] for c in reversed(chain)] if len(chain) > 1 else [r["tag"]]
        meta = {"hierarchy_tags": tags, "managed_by": r["managed_by"],
                "tenant_flags": dict(r["tenant_flags"])}
        meta.update(r["meta_extra"])
        out = {"id": r["id"], "create_time": r["create_time"], "meta": meta, "name": r["name"]}
        if r["parent"] is not None:
            p = self.org_rec(r["parent"])
            out["parent"] = {"id": p["id"], "name": p["name"]}
        if r["profile"] is not None:
            out["profile"] = dict(r["profile"])
        return out

    # read-only collections ---------------------------------------------------
    def audit_of(self, i):
        """[(key, item)] of organisation i's audit log, sorted by key."""
        if i < self.n_base:
            return [(audit_key(a), a) for a in self.base.audit_events(i)]
        return self.audit_by_org.get(self.org_rec(i)["id"], [])

    def shares_of(self, i):
        if i < self.n_base:
            return self.base.shares(i)
        return self.shares_by_org.get(self.org_rec(i)["id"], [])

    def usage_of(self, i, d_from, d_to):
        """Usage records of organisation i's accounts, d_from..d_to inclusive."""
        if i < self.n_base:             # no write changes a generated organisation's accounts
            return self.base.usage(i, d_from, d_to)
        if self.usage_spec is None:
            return []
        return self.usage_spec.records(self.accounts_of(i), d_from, d_to)

    def usage_range(self):
        """The days the data set has usage for (first, last), or None."""
        if self.n_base:
            return self.base.usage_range()
        if self.usage_spec is not None:
            return self.usage_spec.first, self.usage_spec.last
        return None

    # writes ----------------------------------------------------------------
    def create_org(self, name, parent, profile):
        idx = self.total
        self.total += 1
        oid = self.new_id("org")
        self.id_index[oid] = idx
        rec = {"id": oid, "name": name, "create_time": self.clock.now(), "parent": parent,
               "tag": "t" + oid[:11],
               "managed_by": "" if parent is None else self.org_rec(parent)["id"],
               "tenant_flags": dict(DEFAULT_TENANT_FLAGS), "meta_extra": {},
               "profile": dict(profile) if profile else None, "accounts": [], "members": []}
        self.mat[idx] = rec
        if parent is None:
            self.extra_roots.append(idx)
        else:
            self.extra_children[parent].append(idx)
        self.touch()
        return idx

    def rename_org(self, i, name):
        self.materialize(i)["name"] = name
        self.touch()

    def set_profile(self, i, profile):
        self.materialize(i)["profile"] = dict(profile)
        self.touch()

    def delete_org(self, i):
        self.mat[i] = None
        self.deleted.add(i)
        self.touch()

    def add_member(self, i, email, status):
        rec = self.materialize(i)
        now = self.clock.now()
        user = self.find_user(email)
        if user is None:
            user = {"id": self.new_id("user"), "email": email, "name": "",
                    "two_factor_authentication_enabled": False}
            self.users_by_email[email.lower()] = user
        m = {"id": self.new_id("member"), "seq": self._next_seq(), "status": status,
             "user": dict(user), "meta": {}, "create_time": now, "update_time": now}
        rec["members"].append(m)
        self.touch()
        return m

    def delete_member(self, i, mid):
        rec = self.materialize(i)
        rec["members"] = [m for m in rec["members"] if m["id"] != mid]
        self.touch()

    # memberships ------------------------------------------------------------
    def ms_index(self, mid):
        idx = self.ms_id_index.get(mid)
        if idx is None:
            idx = self.base.index_of("membership", mid, self.ms_n_base)
        if idx is None or self.ms_mat.get(idx, _MISSING) is None:
            return None
        return idx

    def ms_rec(self, m):
        r = self.ms_mat.get(m, _MISSING)
        if r is _MISSING:
            return self.base.membership(m)
        return r

    def ms_status(self, m):
        r = self.ms_mat.get(m, _MISSING)
        if r is _MISSING:
            return self.base.membership_status(m)
        return r["status"]

    def ms_id(self, m):
        r = self.ms_mat.get(m, _MISSING)
        if r is _MISSING:
            return self.base.gid("membership", m)
        return r["id"]

    def all_memberships(self):
        return [m for m in range(self.ms_total) if self.ms_mat.get(m, _MISSING) is not None]

    def ms_account(self, r):
        if "account_id" in r:
            aid = r["account_id"]
            i = self.org_of_account(aid)
            acct = None
            if i is not None and i < self.n_base and self.mat.get(i, _MISSING) is _MISSING:
                k = self.base.index_of("account", aid, self.base.n * self.base.A)
                acct = self.base.account(k)
            elif i is not None:
                acct = next((a for a in self.accounts_of(i) if a["id"] == aid), None)
            if acct is None:
                return {"id": aid, "name": "", "type": "standard"}
            s = acct["settings"]
            settings = {"enforce_twofactor": bool(s.get("enforce_twofactor"))}
            if s.get("abuse_contact_email") is not None:
                settings = {"abuse_contact_email": s["abuse_contact_email"], **settings}
            org = self.org_rec(i)
            return {"id": acct["id"], "name": acct["name"] or "", "type": acct["type"],
                    "created_on": acct["created_on"],
                    "managed_by": {"parent_org_id": org["id"], "parent_org_name": org["name"]},
                    "settings": settings}
        return dict(r["account"])

    def ms_api(self, m, with_policies):
        r = self.ms_rec(m)
        out = {"id": r["id"], "account": self.ms_account(r),
               "api_access_enabled": r.get("api_access_enabled"),
               "permissions": r.get("permissions", {}), "roles": r.get("roles", []),
               "status": r["status"]}
        if with_policies and "policies" in r:
            out["policies"] = r["policies"]
        return out

    def set_ms_status(self, m, status):
        r = dict(self.ms_rec(m))
        r["status"] = status
        self.ms_mat[m] = r
        self.touch()

    def delete_ms(self, m):
        self.ms_mat[m] = None
        self.touch()


# --------------------------------------------------------------------------
# query parsing and pagination

class Query:
    def __init__(self, raw):
        self.raw = raw
        self.pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True)
        self.multi = collections.defaultdict(list)
        for k, v in self.pairs:
            self.multi[k].append(v)

    def get(self, k):
        """Last non-empty value of a single-valued parameter (empty = unset)."""
        vals = [v for v in self.multi.get(k, ()) if v != ""]
        return vals[-1] if vals else None

    def getall(self, k):
        out = []
        for v in self.multi.get(k, ()):
            out.extend(x for x in v.split(",") if x != "")
        return out

    def canonical(self):
        return canon_json(sorted(self.pairs))


def parse_int(q, name, lo, hi, default):
    v = q.get(name)
    if v is None:
        return default
    if not re.match(r"^\d+(\.0+)?$", v):
        raise bad_param("%s must be an integer between %d and %d, got %r" % (name, lo, hi, v))
    n = int(float(v)) if "." in v else int(v)
    if n < lo or n > hi:
        raise bad_param("%s must be between %d and %d, got %d" % (name, lo, hi, n))
    return n


def parse_enum(q, name, allowed):
    v = q.get(name)
    if v is not None and v not in allowed:
        raise bad_param("%s must be one of %s, got %r" % (name, ", ".join(allowed), v))
    return v


def page_size_of(q):
    n = parse_int(q, "page_size", 0, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)
    return n or DEFAULT_PAGE_SIZE


def make_token(bind, anchor):
    raw = json.dumps({"b": bind, "a": anchor}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(tok, bind, name="page_token"):
    """The anchor of a page token (or an audit log cursor, name="cursor")."""
    try:
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        d = json.loads(raw)
        if not isinstance(d, dict) or "a" not in d or "b" not in d:
            raise ValueError
    except (ValueError, TypeError):
        raise ApiError(400, E_INVALID_TOKEN, "Invalid " + name)
    if d["b"] != bind:
        raise ApiError(400, E_INVALID_TOKEN,
                       name + " does not match the filters of the request that produced it; "
                       "parameters used to filter the list must remain in subsequent requests")
    a = d["a"]
    return tuple(a) if isinstance(a, list) else a


def paginate(keys, direction, anchor, size, name="page_token"):
    """Slice a sorted key list after anchor.  Returns (page_keys, more)."""
    try:
        if direction == "asc":
            start = 0 if anchor is None else bisect.bisect_right(keys, anchor)
            return keys[start:start + size], start + size < len(keys)
        end = len(keys) if anchor is None else bisect.bisect_left(keys, anchor)
        lo = max(0, end - size)
        return keys[lo:end][::-1], lo > 0
    except TypeError:
        raise ApiError(400, E_INVALID_TOKEN, "Invalid " + name)


# How the case-insensitive filters fold case (ctl.py config
# '{"case_folding": ...}', or --case-folding).  Cloudflare says only
# "case-insensitive", so the tests run the FDW against each:
#   full    Unicode full case folding (str.casefold: İ -> i + U+0307, ß -> ss)
#   simple  each character's simple lowercase mapping (İ -> i, ß stays ß)
#   ascii   A-Z only
CASE_FOLDINGS = ("full", "simple", "ascii")
CASE_FOLDING = ["full"]

# Where the audit logs put the next page's cursor (ctl.py config
# '{"cursor_form": ...}', or --cursor-form): "cursor" is result_info.cursor,
# as the document says; "cursors.after" is result_info.cursors.after, the form
# Cloudflare's newest SDK reads.
CURSOR_FORM = ["cursor"]

# How the audit logs and their history spell an entry's id (ctl.py config
# '{"audit_id_form": ...}', or --audit-id-form): "uuid" is the dashed UUID
# the data holds, as Cloudflare sends it; "hex" is the same UUID as 32
# lowercase hex digits without dashes, which fits the document's item schema
# (aaa_identifier-2, maxLength 32) so that `prism proxy --errors` passes
# audit log pages.  The data, the keys and the cursors do not change; the
# history's path still takes the dashed UUID (the document's format: uuid),
# which a hex id maps back to by putting the dashes after digits 8, 12, 16
# and 20.  An `id` filter matches either spelling in both forms.
AUDIT_ID_FORM = ["uuid"]


def audit_hex_id(ident):
    """An audit log id as 32 lowercase hex digits (the UUID without dashes)."""
    return ident.replace("-", "").lower()


def audit_out(item):
    """An audit log entry as the API serves it, under AUDIT_ID_FORM."""
    if AUDIT_ID_FORM[0] == "hex" and isinstance(item.get("id"), str):
        return dict(item, id=audit_hex_id(item["id"]))
    return item


def fold(s):
    """s folded for a case-insensitive comparison, as CASE_FOLDING says."""
    mode = CASE_FOLDING[0]
    if mode == "full":
        return s.casefold()
    if mode == "simple":
        # str.lower() is the full mapping; only U+0130 maps to more than one
        # character, and its simple mapping is the first of them (i)
        return "".join(c.lower()[0] for c in s)
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def str_filters(q, prefix, names):
    """Folded values of the case-insensitive filters prefix(.startsWith|...)."""
    out = {}
    for suffix in names:
        v = q.get(prefix + suffix)
        if v is not None:
            out[prefix + suffix] = fold(v)
    return out


def match_ci(value, flt, prefix):
    """Apply case-insensitive eq/startsWith/endsWith/contains filters."""
    if not flt:
        return True
    if value is None:
        return False
    v = fold(value)
    for k, want in flt.items():
        op = k[len(prefix):]
        if op == "" and v != want:
            return False
        if op == ".startsWith" and not v.startswith(want):
            return False
        if op == ".endsWith" and not v.endswith(want):
            return False
        if op == ".contains" and want not in v:
            return False
    return True


# --------------------------------------------------------------------------
# the API

class Api:
    """Cloudflare operations over a Store.  Every method runs under the lock."""

    def __init__(self, store):
        self.store = store
        self.match_cache = collections.OrderedDict()
        self.match_version = -1

    def _cached(self, key, fn):
        if self.match_version != self.store.version:
            self.match_cache.clear()
            self.match_version = self.store.version
        v = self.match_cache.get(key)
        if v is None:
            v = fn()
            self.match_cache[key] = v
            while len(self.match_cache) > 256:
                self.match_cache.popitem(last=False)
        else:
            self.match_cache.move_to_end(key)
        return v

    def _org_or_404(self, oid):
        i = self.store.org_index(oid)
        if i is None:
            raise ApiError(404, E_ORG_NOT_FOUND, "Organization not found: %s" % oid)
        return i

    @staticmethod
    def ok(result, result_info=None):
        body = {"errors": [], "messages": [], "result": result, "success": True}
        if result_info is not None:
            body["result_info"] = result_info
        return body

    # token-paginated lists --------------------------------------------------
    def _token_list(self, path, q, filters, keys, item_of, direction, fault):
        size = page_size_of(q)
        bind = hashlib.sha256((path + "|" + canon_json(filters)).encode()).hexdigest()[:20]
        tok = q.get("page_token")
        kind = fault.get("kind") if fault else None
        anchor = None
        if kind == "repeat_page":
            tok = None
        elif tok is not None:
            try:
                anchor = read_token(tok, bind)
            except ApiError:
                if kind != "stuck_token":
                    raise
        page, more = paginate(keys, direction, anchor, size)
        info = {}
        if kind == "stuck_token":
            info["next_page_token"] = tok if tok is not None else "stuck"
        elif kind == "repeat_page":
            fault["_n"] = fault.get("_n", 0) + 1
            info["next_page_token"] = make_token(bind, ["repeat", fault["_n"]])
        elif more:
            info["next_page_token"] = make_token(bind, list(page[-1]) if isinstance(page[-1], tuple) else page[-1])
        info["total_size"] = len(keys)
        return self.ok([item_of(k) for k in page], info)

    def list_orgs(self, path, q, fault=None):
        st = self.store
        f = {}
        ids = sorted(set(q.getall("id")))
        if ids:
            f["id"] = ids
        for k in ("name", "parent.id", "containing.account", "containing.user",
                  "containing.organization"):
            v = q.get(k)
            if v is not None:
                f[k] = v
        f.update(str_filters(q, "name", (".startsWith", ".endsWith", ".contains")))
        ci = {k: v for k, v in f.items() if k.startswith("name.")}

        def compute():
            cand = None

            def narrow(s):
                nonlocal cand
                s = set(s)
                cand = s if cand is None else cand & s

            if "id" in f:
                narrow(i for i in map(st.org_index, f["id"]) if i is not None)
            if "parent.id" in f:
                if f["parent.id"] == "null":
                    narrow(st.roots())
                else:
                    p = st.org_index(f["parent.id"])
                    narrow(st.children(p) if p is not None else ())
            if "containing.account" in f:
                i = st.org_of_account(f["containing.account"])
                narrow(([i] + st.ancestors(i)) if i is not None else ())
            if "containing.user" in f:
                s = set()
                for i in st.orgs_with_user(f["containing.user"]):
                    if st.live(i):
                        s.add(i)
                        s.update(st.ancestors(i))
                narrow(s)
            if "containing.organization" in f:
                i = st.org_index(f["containing.organization"])
                narrow(st.ancestors(i) if i is not None else ())
            seq = sorted(cand) if cand is not None else st.all_orgs()
            if "name" not in f and not ci:
                return seq if isinstance(seq, list) else list(seq)
            name = f.get("name")
            out = []
            for i in seq:
                n = st.org_name(i)
                if name is not None and n != name:
                    continue
                if ci and not match_ci(n, ci, "name"):
                    continue
                out.append(i)
            return out

        keys = self._cached(("orgs", canon_json(f)), compute)
        return self._token_list(path, q, f, keys, st.org_api, "asc", fault)

    def list_accounts(self, path, q, oid, fault=None):
        st = self.store
        i = self._org_or_404(oid)
        order_by = parse_enum(q, "order_by", ("account_name",))
        direction = parse_enum(q, "direction", DIRECTIONS) or "asc"
        flt = str_filters(q, "name", ("", ".startsWith", ".endsWith", ".contains"))
        pub = str_filters(q, "account_pubname", ("", ".startsWith", ".endsWith", ".contains"))
        f = {"org": oid, "order_by": order_by, "direction": direction, **flt, **pub}
        accts = st.accounts_of(i)

        def compute():
            out = []
            for pos, a in enumerate(accts):
                if not match_ci(a["name"], flt, "name") or not match_ci(a["name"], pub, "account_pubname"):
                    continue
                if order_by:
                    n = a["name"] or ""
                    out.append((n.lower(), n, pos))
                else:
                    out.append((pos,))
            out.sort()
            return out

        keys = self._cached(("accounts", canon_json(f)), compute)
        return self._token_list(path, q, f, keys, lambda k: accts[k[-1]], direction, fault)

    def list_members(self, path, q, oid, fault=None):
        st = self.store
        i = self._org_or_404(oid)
        statuses = q.getall("status")
        for s in statuses:
            if s not in MEMBER_STATUSES:
                raise bad_param("status must be one of %s, got %r" % (", ".join(MEMBER_STATUSES), s))
        flt = str_filters(q, "user.email", ("", ".startsWith", ".endsWith", ".contains"))
        f = {"org": oid, "status": sorted(set(statuses)), **flt}
        members = st.members_of(i)
        by_seq = {m["seq"]: m for m in members}

        def compute():
            return sorted(m["seq"] for m in members
                          if (not statuses or m["status"] in statuses)
                          and match_ci(m["user"]["email"], flt, "user.email"))

        keys = self._cached(("members", canon_json(f)), compute)
        return self._token_list(path, q, f, keys, lambda s: member_api(by_seq[s]), "asc", fault)

    # organisations -----------------------------------------------------------
    def get_org(self, oid):
        return self.ok(self.store.org_api(self._org_or_404(oid)))

    def create_org(self, body):
        name, parent, profile = check_org_body(body)
        st = self.store
        p = None
        if parent is not None:
            p = st.org_index(parent)
            if p is None:
                raise ApiError(404, E_PARENT_NOT_FOUND, "Parent organization not found: %s" % parent)
        return self.ok(st.org_api(st.create_org(name, p, profile)))

    def modify_org(self, oid, body):
        i = self._org_or_404(oid)
        name, parent, profile = check_org_body(body)
        st = self.store
        r = st.org_rec(i)
        cur_parent = st.org_rec(r["parent"])["id"] if r["parent"] is not None else None
        if parent is not None and parent != cur_parent:
            raise ApiError(400, E_READONLY_FIELD,
                           "Only \"name\" can be modified; parent.id differs from the current parent")
        if profile is not None and profile != r["profile"]:
            raise ApiError(400, E_READONLY_FIELD,
                           "Only \"name\" can be modified; use PUT /organizations/%s/profile for the profile" % oid)
        if name != r["name"]:
            st.rename_org(i, name)
        return self.ok(st.org_api(i))

    def delete_org(self, oid):
        st = self.store
        i = self._org_or_404(oid)
        subs = len(st.children(i))
        accts = len(st.accounts_of(i))
        members = len(st.members_of(i))
        if subs or accts or members:
            raise ApiError(400, E_ORG_NOT_EMPTY,
                           "Organization is not empty: it contains %d sub-organizations, %d accounts "
                           "and %d members; it must be empty before it can be deleted" % (subs, accts, members))
        st.delete_org(i)
        return self.ok({"id": oid})

    def get_profile(self, oid):
        r = self.store.org_rec(self._org_or_404(oid))
        if r["profile"] is None:
            raise ApiError(404, E_PROFILE_NOT_FOUND, "Organization profile not found: %s" % oid)
        return self.ok(dict(r["profile"]))

    def put_profile(self, oid, body):
        i = self._org_or_404(oid)
        self.store.set_profile(i, check_profile(body, "body"))
        return None

    # members ------------------------------------------------------------------
    def _check_new_members(self, i, items):
        existing = {m["user"]["email"].lower() for m in self.store.members_of(i)}
        seen = set()
        for email, _ in items:
            e = email.lower()
            if e in existing or e in seen:
                raise ApiError(409, E_MEMBER_EXISTS,
                               "A member with email %s already exists in this organization" % email)
            seen.add(e)

    def create_member(self, oid, body):
        i = self._org_or_404(oid)
        if not isinstance(body, dict):
            raise bad_body("request body must be an object {\"member\": {...}}")
        if "member" not in body:
            raise bad_body("member: required property is missing")
        item = check_single_member(body["member"], "member")
        self._check_new_members(i, [item])
        return self.ok(member_api(self.store.add_member(i, *item)))

    def batch_create_members(self, oid, body):
        i = self._org_or_404(oid)
        if not isinstance(body, dict):
            raise bad_body("request body must be an object {\"members\": [...]}")
        ms = body.get("members")
        if not isinstance(ms, list):
            raise bad_body("members: required array is missing")
        if not 1 <= len(ms) <= 10:
            raise bad_body("members must hold between 1 and 10 items, got %d" % len(ms))
        items = [check_single_member(m, "members[%d]" % n) for n, m in enumerate(ms)]
        self._check_new_members(i, items)
        return self.ok([member_api(self.store.add_member(i, *it)) for it in items])

    def _member(self, oid, mid):
        i = self._org_or_404(oid)
        for m in self.store.members_of(i):
            if m["id"] == mid:
                return i, m
        raise ApiError(404, E_MEMBER_NOT_FOUND, "Organization member not found: %s" % mid)

    def get_member(self, oid, mid):
        return self.ok(member_api(self._member(oid, mid)[1]))

    def delete_member(self, oid, mid):
        i, _ = self._member(oid, mid)
        self.store.delete_member(i, mid)
        return None

    # memberships ----------------------------------------------------------------
    def list_memberships(self, q):
        st = self.store
        status = parse_enum(q, "status", MEMBERSHIP_STATUSES)
        order = parse_enum(q, "order", MEMBERSHIP_ORDERS)
        direction = parse_enum(q, "direction", DIRECTIONS) or "asc"
        page = parse_int(q, "page", 1, 1 << 31, 1)
        per_page = parse_int(q, "per_page", 5, 50, DEFAULT_PER_PAGE)
        names = {}
        for k in ("account.name", "name"):
            v = q.get(k)
            if v is not None:
                if len(v) > 100:
                    raise bad_param("%s must be at most 100 characters" % k)
                names[k] = fold(v)
        f = {"status": status, "order": order, "direction": direction, **names}

        def compute():
            rows = st.all_memberships()
            if status:
                rows = [m for m in rows if st.ms_status(m) == status]
            if names:
                rows = [m for m in rows
                        if all(fold(st.ms_account(st.ms_rec(m))["name"]) == v for v in names.values())]
            if order == "id":
                keys = [(st.ms_id(m), m) for m in rows]
            elif order == "account.name":
                keys = []
                for m in rows:
                    n = st.ms_account(st.ms_rec(m))["name"]
                    keys.append((n.lower(), n, m))
            elif order == "status":
                keys = [(st.ms_status(m), m) for m in rows]
            else:
                return rows[::-1] if direction == "desc" else rows
            keys.sort(reverse=(direction == "desc"))
            return [k[-1] for k in keys]

        rows = self._cached(("memberships", canon_json(f)), compute)
        chunk = rows[(page - 1) * per_page: page * per_page]
        return self.ok([st.ms_api(m, False) for m in chunk],
                       {"count": len(chunk), "page": page, "per_page": per_page,
                        "total_count": len(rows)})

    def _ms_or_404(self, mid):
        m = self.store.ms_index(mid)
        if m is None:
            raise ApiError(404, E_MEMBERSHIP_NOT_FOUND, "Membership not found: %s" % mid)
        return m

    def get_membership(self, mid):
        return self.ok(self.store.ms_api(self._ms_or_404(mid), True))

    def put_membership(self, mid, body):
        m = self._ms_or_404(mid)
        if not isinstance(body, dict) or "status" not in body:
            raise bad_body("status: required property is missing")
        if body["status"] not in PUT_MEMBERSHIP_STATUSES:
            raise bad_body("status must be one of accepted, rejected, got %s" % json.dumps(body["status"]))
        self.store.set_ms_status(m, body["status"])
        return self.ok(self.store.ms_api(m, True))

    def delete_membership(self, mid):
        m = self._ms_or_404(mid)
        self.store.delete_ms(m)
        return self.ok({"id": mid})

    # audit logs ---------------------------------------------------------------
    def _cursor_list(self, path, q, f, keys, item_of, direction, limit, fault, count, extra=None):
        """A cursor-paginated page of keys (the audit logs' pagination).  The
        cursor is a page token under another name: bound to the path and the
        query f, holding the key of the last item.  count turns the page's
        length into result_info.count (a string for the audit logs, an integer
        for the history, as the document types them)."""
        bind = hashlib.sha256((path + "|" + canon_json(f)).encode()).hexdigest()[:20]
        cur = q.get("cursor")
        kind = fault.get("kind") if fault else None
        anchor = None
        if kind == "repeat_page":
            cur = None
        elif cur is not None:
            try:
                anchor = read_token(cur, bind, "cursor")
            except ApiError:
                if kind != "stuck_token":
                    raise
        page, more = paginate(keys, direction, anchor, limit, "cursor")
        nxt = None
        if kind == "stuck_token":
            nxt = cur if cur is not None else "stuck"
        elif kind == "repeat_page":
            fault["_n"] = fault.get("_n", 0) + 1
            nxt = make_token(bind, ["repeat", fault["_n"]])
        elif more:
            nxt = make_token(bind, list(page[-1]))
        info = {"count": count(len(page))}
        if nxt is not None:
            if CURSOR_FORM[0] == "cursors.after":
                info["cursors"] = {"after": nxt}
            else:
                info["cursor"] = nxt
        info.update(extra or {})
        return self.ok([item_of(k) for k in page], info)

    @staticmethod
    def _audit_window(q):
        """since and before (both required) -> (since_us, before_us)."""
        out = []
        for name in ("since", "before"):
            v = q.get(name)
            if v is None:
                raise bad_param("%s: required parameter is missing" % name)
            t = parse_instant(v)
            if t is None:
                raise bad_param("%s must be a date (YYYY-MM-DD) or an RFC 3339 timestamp, got %r" % (name, v))
            out.append(epoch_us(t))
        if out[1] <= out[0]:
            raise bad_param("before must be later than since")
        return out

    @staticmethod
    def _audit_paging(q):
        direction = parse_enum(q, "direction", ("desc", "asc")) or "desc"
        limit = parse_int(q, "limit", 1, AUDIT_MAX_LIMIT, AUDIT_DEFAULT_LIMIT)
        return direction, limit

    @staticmethod
    def _audit_filters(q):
        """The list filters and their .not twins -> (pos, neg), each
        {filter: sorted values}; values of one filter are alternatives."""
        pos, neg = {}, {}
        for name, _, allowed in AUDIT_FILTERS:
            for target, key in ((pos, name), (neg, name + ".not")):
                vals = [v for v in q.multi.get(key, ()) if v != ""]
                if not vals:
                    continue
                for v in vals:
                    if allowed is not None and v not in allowed:
                        raise bad_param("%s must be one of %s, got %r" % (key, ", ".join(allowed), v))
                    if name == "raw_status_code" and not re.match(r"^\d{1,9}$", v):
                        raise bad_param("%s must be an integer, got %r" % (key, v))
                    if name == "actor_email" and not EMAIL_RE.match(v):
                        raise bad_param("%s must be an email address, got %r" % (key, v))
                if name == "raw_status_code":
                    vals = [int(v) for v in vals]
                target[name] = sorted(set(vals))
        return pos, neg

    def list_audit(self, path, q, oid, fault=None):
        i = self._org_or_404(oid)
        since, before = self._audit_window(q)
        direction, limit = self._audit_paging(q)
        pos, neg = self._audit_filters(q)
        f = {"org": oid, "since": since, "before": before, "direction": direction, "pos": pos, "neg": neg}
        entries = self.store.audit_of(i)

        def compute():
            return [k for k, item in entries if since <= k[0] < before and audit_match(item, pos, neg)]

        keys = self._cached(("audit", canon_json(f)), compute)
        items = dict(entries)
        return self._cursor_list(path, q, f, keys, lambda k: audit_out(items[k]), direction, limit, fault, str)

    def audit_history(self, path, q, oid, aid, fault=None):
        if not UUID_RE.match(aid):
            raise bad_param("id must be a UUID, got %r" % aid)
        i = self.store.org_index(oid)
        if i is None:
            raise history_not_found(E_ORG_NOT_FOUND, "Organization not found: %s" % oid)
        v = q.get("action_time")
        if v is None:
            raise bad_param("action_time: required parameter is missing")
        at = parse_timestamp(v)
        if at is None:
            raise bad_param("action_time must be an RFC 3339 timestamp, got %r" % v)
        since, before = self._audit_window(q)
        direction, limit = self._audit_paging(q)
        entries = self.store.audit_of(i)
        day = at.astimezone(UTC).date()
        src = None
        for _, item in entries:
            if item["id"].lower() == aid.lower() and \
                    parse_timestamp(item["action"]["time"]).astimezone(UTC).date() == day:
                src = item
                break
        if src is None:
            raise history_not_found(E_AUDIT_NOT_FOUND,
                                    "Audit log entry %s not found on %s (UTC)" % (aid, day.isoformat()))
        res = src.get("resource") or {}
        rid, rtype = res.get("id"), res.get("type")
        if not rid:
            status = "unavailable"
        else:
            status = "exact" if (src.get("raw") or {}).get("uri") else "approximate"
        f = {"org": oid, "id": aid.lower(), "day": day.isoformat(), "since": since, "before": before,
             "direction": direction}

        def compute():
            if status == "unavailable":
                return []
            return [k for k, item in entries if since <= k[0] < before
                    and (item.get("resource") or {}).get("id") == rid
                    and (item.get("resource") or {}).get("type") == rtype]

        keys = self._cached(("history", canon_json(f)), compute)
        items = dict(entries)
        return self._cursor_list(path, q, f, keys, lambda k: audit_out(items[k]), direction, limit, fault, int,
                                 {"history_status": status})

    # billable usage -------------------------------------------------------------
    def billable_usage(self, q, oid):
        v_from, v_to = q.get("from"), q.get("to")
        if (v_from is None) != (v_to is None):
            raise usage_param("%s is required when %s is set" % (("from", "to") if v_from is None else ("to", "from")))
        if v_from is None:
            d_to = self.store.clock.today()
            d_from = d_to.replace(day=1)
        else:
            d_from, d_to = parse_date(v_from), parse_date(v_to)
            for name, d, raw in (("from", d_from, v_from), ("to", d_to, v_to)):
                if d is None:
                    raise usage_param("%s must be a date YYYY-MM-DD, got %r" % (name, raw))
            if d_to < d_from:
                raise usage_param("to (%s) is before from (%s)" % (v_to, v_from))
            if (d_to - d_from).days >= USAGE_MAX_DAYS:
                raise usage_param("the date range is %d days; the maximum is %d"
                                  % ((d_to - d_from).days + 1, USAGE_MAX_DAYS))
        i = self.store.org_index(oid)
        if i is None:
            return self.ok([])
        return self.ok(self.store.usage_of(i, d_from, d_to))

    # organization shares --------------------------------------------------------
    def list_shares(self, q, oid):
        st = self.store
        i = self._org_or_404(oid)
        status = parse_enum(q, "status", SHARE_STATUSES)
        kind = parse_enum(q, "kind", SHARE_KINDS)
        target = parse_enum(q, "target_type", SHARE_TARGET_TYPES)
        rtypes = [v for v in q.multi.get("resource_types", ()) if v != ""]
        for v in rtypes:
            if v not in SHARE_RESOURCE_TYPES:
                raise bad_param("resource_types must be one of %s, got %r" % (", ".join(SHARE_RESOURCE_TYPES), v))
        order = parse_enum(q, "order", SHARE_ORDERS) or "created"
        direction = parse_enum(q, "direction", DIRECTIONS) or "asc"
        paged = q.get("page") is not None or q.get("per_page") is not None
        page = parse_int(q, "page", 1, 1 << 31, 1)
        per_page = parse_int(q, "per_page", 1, SHARE_MAX_PER_PAGE, DEFAULT_PER_PAGE)
        f = {"org": oid, "status": status, "kind": kind, "target_type": target,
             "resource_types": sorted(set(rtypes)), "order": order, "direction": direction}
        shares = st.shares_of(i)

        def compute():
            rows = [n for n, sh in enumerate(shares)
                    if (status is None or sh["status"] == status)
                    and (kind is None or sh["kind"] == kind)
                    and (target is None or sh["target_type"] == target)
                    and (not rtypes or any(r["resource_type"] in rtypes for r in sh.get("resources", ())))]
            if order == "name":
                rows.sort(key=lambda n: (shares[n]["name"], shares[n]["id"]))
            else:
                rows.sort(key=lambda n: (epoch_us(parse_timestamp(shares[n]["created"])), shares[n]["id"]))
            return rows[::-1] if direction == "desc" else rows

        rows = self._cached(("shares", canon_json(f)), compute)
        if paged:
            chunk = rows[(page - 1) * per_page: page * per_page]
            pages = -(-len(rows) // per_page)
        else:
            chunk, page, per_page, pages = rows, 1, len(rows), 1 if rows else 0
        return self.ok([shares[n] for n in chunk],
                       {"count": len(chunk), "page": page, "per_page": per_page,
                        "total_count": len(rows), "total_pages": pages})

    # dumps for the control plane ---------------------------------------------
    def dump(self, collection):
        st = self.store
        if collection == "audit_logs":
            return [audit_out(item) for i in st.all_orgs() for _, item in st.audit_of(i)]
        if collection == "shares":
            return [sh for i in st.all_orgs() for sh in st.shares_of(i)]
        if collection == "usage":
            rng = st.usage_range()
            if rng is None:
                return []
            return [dict(r, organization_id=st.org_rec(i)["id"])
                    for i in st.all_orgs() for r in st.usage_of(i, *rng)]
        if collection == "organizations":
            return [st.org_api(i) for i in st.all_orgs()]
        if collection == "profiles":
            out = []
            for i in st.all_orgs():
                r = st.org_rec(i)
                if r["profile"] is not None:
                    out.append({"organization_id": r["id"], **r["profile"]})
            return out
        if collection == "accounts":
            return [dict(a, organization_id=st.org_rec(i)["id"])
                    for i in st.all_orgs() for a in st.accounts_of(i)]
        if collection == "members":
            return [dict(member_api(m), organization_id=st.org_rec(i)["id"])
                    for i in st.all_orgs() for m in st.members_of(i)]
        if collection == "memberships":
            return [st.ms_api(m, True) for m in st.all_memberships()]
        return None


def audit_field(item, path):
    v = item
    for k in path:
        if not isinstance(v, dict):
            return None
        v = v.get(k)
    return v


AUDIT_PATHS = {name: path for name, path, _ in AUDIT_FILTERS}


def audit_spellings(item, name):
    """The values an entry's field answers to in a filter: the field itself,
    and for the id also its hex form (AUDIT_ID_FORM), so that an id filter
    finds the entry whichever form the client read it in."""
    v = audit_field(item, AUDIT_PATHS[name])
    if isinstance(v, bool) or v is None:
        return ()
    if name == "id" and isinstance(v, str):
        return (v, audit_hex_id(v))
    return (v,)


def audit_match(item, pos, neg):
    """Exact, case-sensitive matching: an item matches a filter when its field
    equals one of the values, and a .not filter when it equals none of them.
    A missing field matches no filter and every .not filter.  The id answers
    to its dashed UUID and to its 32 hex digits (audit_spellings)."""
    for name, vals in pos.items():
        if not any(v in vals for v in audit_spellings(item, name)):
            return False
    for name, vals in neg.items():
        if any(v in vals for v in audit_spellings(item, name)):
            return False
    return True


def history_not_found(code, message):
    """The history's 404, with the body of the document's
    aaa_audit-logs-v2-history-not-found."""
    return ApiError(404, code, message,
                    envelope={"result": None, "result_info": {"count": 0, "history_status": "unavailable"}})


def usage_param(msg):
    return ApiError(400, E_USAGE_PARAM, "Invalid request parameters: " + msg)


def member_api(m):
    return {"id": m["id"], "create_time": m["create_time"], "meta": m["meta"],
            "status": m["status"], "update_time": m["update_time"], "user": dict(m["user"])}


def check_profile(p, where):
    if not isinstance(p, dict):
        raise bad_body("%s: profile must be an object with %s" % (where, ", ".join(PROFILE_KEYS)))
    for k in PROFILE_KEYS:
        if k not in p:
            raise bad_body("%s.%s: required property is missing" % (where, k))
        if not isinstance(p[k], str):
            raise bad_body("%s.%s must be a string" % (where, k))
    return {k: p[k] for k in PROFILE_KEYS}


def check_org_body(body):
    """Validate the flat Organization body: (name, parent id or None, profile or None)."""
    if not isinstance(body, dict):
        raise bad_body("request body must be an Organization object")
    if "name" not in body:
        raise bad_body("name: required property is missing")
    name = body["name"]
    if not isinstance(name, str):
        raise bad_body("name must be a string")
    if not name.strip():
        raise bad_body("name must not be empty")
    parent = None
    if "parent" in body:
        p = body["parent"]
        if not isinstance(p, dict):
            raise bad_body("parent must be an object {\"id\": ...}")
        if "id" not in p:
            raise bad_body("parent.id: required property is missing")
        if not isinstance(p["id"], str):
            raise bad_body("parent.id must be a string")
        parent = p["id"]
    profile = None
    if "profile" in body:
        profile = check_profile(body["profile"], "profile")
    return name, parent, profile


def check_single_member(m, where):
    if not isinstance(m, dict):
        raise bad_body("%s must be an object {\"user\": {\"email\": ...}}" % where)
    u = m.get("user")
    if not isinstance(u, dict):
        raise bad_body("%s.user: required object is missing" % where)
    email = u.get("email")
    if not isinstance(email, str):
        raise bad_body("%s.user.email: required string is missing" % where)
    if not re.match(r"^[^@\s]+@[^@\s]+$", email):
        raise bad_body("%s.user.email is not a valid email address: %r" % (where, email))
    status = m.get("status", "active")
    if status not in CREATE_MEMBER_STATUSES:
        raise bad_body("%s.status must be one of active, canceled, got %s" % (where, json.dumps(status)))
    return email, status


# --------------------------------------------------------------------------
# control-plane state: request log, faults, config, rate limit, caches

FAULT_KINDS = ("truncate", "malformed", "html", "empty", "drop", "drop_after", "stuck_token",
               "repeat_page", "wrong_types", "huge", "non_utf8", "wrong_content_type")
FAULT_KEYS = {"method", "path", "query", "count", "status", "retry_after", "retry_after_ms",
              "headers", "delay_ms", "body", "kind", "size", "content_type"}


class ControlError(Exception):
    pass


def check_fault(rule):
    if not isinstance(rule, dict):
        raise ControlError("a fault rule must be a JSON object")
    unknown = set(rule) - FAULT_KEYS
    if unknown:
        raise ControlError("unknown fault keys: %s" % ", ".join(sorted(unknown)))
    r = dict(rule)
    if r.get("method") is not None:
        if not isinstance(r["method"], str):
            raise ControlError("method must be a string")
        r["method"] = r["method"].upper()
    for k in ("path", "query"):
        if r.get(k) is not None:
            if not isinstance(r[k], str):
                raise ControlError("%s must be a regular expression string" % k)
            try:
                re.compile(r[k])
            except re.error as e:
                raise ControlError("%s: bad regular expression: %s" % (k, e))
    r.setdefault("path", "")
    c = r.setdefault("count", 1)
    if not isinstance(c, int) or isinstance(c, bool) or (c < 1 and c != -1):
        raise ControlError("count must be a positive integer or -1 (forever)")
    if "status" in r and (not isinstance(r["status"], int) or not 100 <= r["status"] <= 599):
        raise ControlError("status must be an HTTP status code")
    for k in ("retry_after", "retry_after_ms"):
        if k in r:
            if isinstance(r[k], (int, float)) and not isinstance(r[k], bool):
                r[k] = str(r[k])
            if not isinstance(r[k], str):
                raise ControlError("%s must be a string" % k)
    if "headers" in r and (not isinstance(r["headers"], dict) or
                           any(not isinstance(v, str) for v in r["headers"].values())):
        raise ControlError("headers must map names to string values")
    for k in ("delay_ms", "size"):
        if k in r and (not isinstance(r[k], int) or isinstance(r[k], bool) or r[k] < 0):
            raise ControlError("%s must be a non-negative integer" % k)
    for k in ("body", "content_type"):
        if k in r and not isinstance(r[k], str):
            raise ControlError("%s must be a string" % k)
    if "kind" in r and r["kind"] not in FAULT_KINDS:
        raise ControlError("kind must be one of %s" % ", ".join(FAULT_KINDS))
    return r


class Control:
    def __init__(self, log_limit):
        self.lock = threading.Lock()
        self.log = collections.deque(maxlen=log_limit or None)
        self.faults = []
        self.fault_seq = 0
        self.reset_config()

    default_case_folding = "full"
    default_cursor_form = "cursor"
    default_audit_id_form = "uuid"

    def reset_config(self):
        CASE_FOLDING[0] = self.default_case_folding
        CURSOR_FORM[0] = self.default_cursor_form
        AUDIT_ID_FORM[0] = self.default_audit_id_form
        self.latency_ms = 0
        self.rate_limit = None
        self.ratelimit_headers = False
        self.rl_window_start = None
        self.rl_count = 0

    def config_dict(self):
        return {"latency_ms": self.latency_ms, "rate_limit": self.rate_limit,
                "ratelimit_headers": self.ratelimit_headers,
                "case_folding": CASE_FOLDING[0], "cursor_form": CURSOR_FORM[0],
                "audit_id_form": AUDIT_ID_FORM[0]}

    def set_config(self, cfg):
        if not isinstance(cfg, dict):
            raise ControlError("config must be a JSON object")
        unknown = set(cfg) - {"latency_ms", "rate_limit", "ratelimit_headers", "case_folding", "cursor_form",
                              "audit_id_form"}
        if unknown:
            raise ControlError("unknown config keys: %s" % ", ".join(sorted(unknown)))
        if "latency_ms" in cfg:
            v = cfg["latency_ms"]
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ControlError("latency_ms must be a non-negative integer")
        if "rate_limit" in cfg:
            rl = cfg["rate_limit"]
            if rl is not None:
                if not isinstance(rl, dict) or set(rl) - {"requests", "window_s"}:
                    raise ControlError("rate_limit must be {\"requests\": N, \"window_s\": S} or null")
                n, w = rl.get("requests"), rl.get("window_s")
                if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                    raise ControlError("rate_limit.requests must be a non-negative integer")
                if not isinstance(w, (int, float)) or isinstance(w, bool) or w <= 0:
                    raise ControlError("rate_limit.window_s must be a positive number")
        if "ratelimit_headers" in cfg and not isinstance(cfg["ratelimit_headers"], bool):
            raise ControlError("ratelimit_headers must be true or false")
        if "case_folding" in cfg and cfg["case_folding"] not in CASE_FOLDINGS:
            raise ControlError("case_folding must be one of %s" % ", ".join(CASE_FOLDINGS))
        if "cursor_form" in cfg and cfg["cursor_form"] not in CURSOR_FORMS:
            raise ControlError("cursor_form must be one of %s" % ", ".join(CURSOR_FORMS))
        if "audit_id_form" in cfg and cfg["audit_id_form"] not in AUDIT_ID_FORMS:
            raise ControlError("audit_id_form must be one of %s" % ", ".join(AUDIT_ID_FORMS))
        with self.lock:
            if "latency_ms" in cfg:
                self.latency_ms = cfg["latency_ms"]
            if "rate_limit" in cfg:
                self.rate_limit = cfg["rate_limit"]
                self.rl_window_start = None
                self.rl_count = 0
            if "ratelimit_headers" in cfg:
                self.ratelimit_headers = cfg["ratelimit_headers"]
            if "case_folding" in cfg:
                CASE_FOLDING[0] = cfg["case_folding"]
            if "cursor_form" in cfg:
                CURSOR_FORM[0] = cfg["cursor_form"]
            if "audit_id_form" in cfg:
                AUDIT_ID_FORM[0] = cfg["audit_id_form"]

    def add_fault(self, rule):
        r = check_fault(rule)
        with self.lock:
            self.fault_seq += 1
            r["id"] = self.fault_seq
            self.faults.append(r)
        return r

    def take_fault(self, method, path, query):
        with self.lock:
            for r in self.faults:
                if r.get("method") and r["method"] != method:
                    continue
                if not re.search(r["path"], path):
                    continue
                if r.get("query") is not None and not re.search(r["query"], query):
                    continue
                if r["count"] != -1:
                    r["count"] -= 1
                    if r["count"] == 0:
                        self.faults.remove(r)
                return r
        return None

    def rate_check(self):
        """(limited, headers) for one API request under the configured limit."""
        with self.lock:
            rl = self.rate_limit
            if rl is None and not self.ratelimit_headers:
                return False, {}
            n, w = (rl["requests"], rl["window_s"]) if rl else (1200, 300)
            now = time.monotonic()
            if self.rl_window_start is None or now - self.rl_window_start >= w:
                self.rl_window_start = now
                self.rl_count = 0
            reset = max(1, int(-(-(self.rl_window_start + w - now) // 1)))
            self.rl_count += 1
            limited = rl is not None and self.rl_count > n
            headers = {}
            if self.ratelimit_headers:
                headers["Ratelimit"] = '"default";r=%d;t=%d' % (max(0, n - self.rl_count), reset)
                headers["Ratelimit-Policy"] = '"burst";q=%d;w=%d' % (n, int(w))
            if limited:
                headers["Retry-After"] = str(reset)
            return limited, headers


class PageCache:
    """Serialised GET responses keyed by (path, canonical query), LRU by bytes."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.items = collections.OrderedDict()
        self.bytes = 0
        self.version = -1
        self.hits = 0
        self.misses = 0

    def get(self, key, version):
        if version != self.version:
            self.items.clear()
            self.bytes = 0
            self.version = version
        v = self.items.get(key)
        if v is not None:
            self.items.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return v

    def put(self, key, version, value):
        if version != self.version or len(value) > self.max_bytes // 4:
            return
        self.items[key] = value
        self.bytes += len(value)
        while self.bytes > self.max_bytes:
            _, old = self.items.popitem(last=False)
            self.bytes -= len(old)


# --------------------------------------------------------------------------
# HTTP

ROUTES = [
    (re.compile(r"^/organizations$"), "orgs"),
    (re.compile(r"^/organizations/([^/]+)/members:batchCreate$"), "batch"),
    (re.compile(r"^/organizations/([^/]+)/members/([^/]+)$"), "member"),
    (re.compile(r"^/organizations/([^/]+)/members$"), "members"),
    (re.compile(r"^/organizations/([^/]+)/accounts$"), "accounts"),
    (re.compile(r"^/organizations/([^/]+)/profile$"), "profile"),
    (re.compile(r"^/organizations/([^/]+)/logs/audit$"), "audit"),
    (re.compile(r"^/organizations/([^/]+)/logs/audit/([^/]+)/history$"), "history"),
    (re.compile(r"^/organizations/([^/]+)/billable/usage$"), "usage"),
    (re.compile(r"^/organizations/([^/]+)/shares$"), "shares"),
    (re.compile(r"^/organizations/([^/]+)$"), "org"),
    (re.compile(r"^/memberships$"), "memberships"),
    (re.compile(r"^/memberships/([^/]+)$"), "membership"),
]
ALLOWED = {"orgs": ("GET", "POST"), "batch": ("POST",), "member": ("GET", "DELETE"),
           "members": ("GET", "POST"), "accounts": ("GET",), "profile": ("GET", "PUT"),
           "org": ("GET", "PUT", "DELETE"), "memberships": ("GET",),
           "membership": ("GET", "PUT", "DELETE"), "audit": ("GET",), "history": ("GET",),
           "usage": ("GET",), "shares": ("GET",)}

HTML_PAGE = ("<html>\r\n<head><title>{code} {phrase}</title></head>\r\n<body>\r\n"
             "<center><h1>{code} {phrase}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
             "</body>\r\n</html>\r\n")


def _opt(args, name, default):
    v = getattr(args, name, None)
    return default if v is None else v


class Emulator:
    """Everything a request handler needs; one per server."""

    def __init__(self, args):
        self.args = args
        self.tokens = set(args.token or [DEFAULT_TOKEN])
        self.forbidden = set(args.forbidden_token or [])
        self.email = args.email
        self.key = args.key
        self.lock = threading.RLock()
        self.clock = Clock(args.fixed_time)
        self.control = Control(args.log_limit)
        self.control.default_case_folding = getattr(args, "case_folding", None) or "full"
        self.control.default_cursor_form = getattr(args, "cursor_form", None) or "cursor"
        self.control.default_audit_id_form = getattr(args, "audit_id_form", None) or "uuid"
        self.control.reset_config()
        self.cache = PageCache(args.cache_mb << 20)
        self.ray = 0x8f1c2d3e4a5b0000
        self.ray_lock = threading.Lock()
        self.stopping = threading.Event()
        self.base, self.data, self.seed_tag = self._dataset(args)
        self.base.anchor = self.clock.now_dt().replace(microsecond=0)
        self.reset_data()

    @staticmethod
    def _dataset(args):
        gen_flags = any(getattr(args, k, None) is not None for k in
                        ("orgs", "members_per_org", "accounts_per_org", "memberships", "seed", "roots",
                         "audit_per_org", "shares_per_org"))
        if args.data and gen_flags:
            raise DataError("--data and the generator flags (--seed, --orgs, ...) exclude each other")
        if gen_flags:
            seed = args.seed if args.seed is not None else 1
            base = GenDataset(seed, args.orgs if args.orgs is not None else 100,
                              args.roots if args.roots is not None else 3,
                              args.members_per_org if args.members_per_org is not None else 5,
                              args.accounts_per_org if args.accounts_per_org is not None else 2,
                              args.memberships if args.memberships is not None else 20,
                              _opt(args, "audit_per_org", 40), _opt(args, "shares_per_org", 3))
            return base, None, "gen:%d" % seed
        path = args.data or SAMPLE_DATA
        data = load_data_file(path)
        check_data(data)
        # the read-only collections stay out of the tag: adding them to a file
        # does not change the ids that writes create (README.md, "New ids")
        tagged = {k: v for k, v in data.items() if k not in READ_ONLY_COLLECTIONS}
        tag = hashlib.sha256(canon_json(tagged).encode()).hexdigest()[:12]
        return EmptyDataset(), data, "file:" + tag

    def reset_data(self):
        with self.lock:
            data = json.loads(canon_json(self.data)) if self.data is not None else None
            old = getattr(self, "store", None)
            self.store = Store(self.base, data, self.clock, self.seed_tag)
            if old is not None:
                self.store.version = old.version + 1
            self.api = Api(self.store)
        # cf-ray ids restart too, so error details are the same from run to run
        with self.ray_lock:
            self.ray = 0x8f1c2d3e4a5b0000

    def next_ray(self):
        with self.ray_lock:
            self.ray += 1
            return "%016x-SJC" % self.ray

    # authentication ------------------------------------------------------------
    def authenticate(self, headers, family):
        auth = headers.get("Authorization")
        email = headers.get("X-Auth-Email")
        key = headers.get("X-Auth-Key")
        if auth is not None:
            m = re.match(r"^Bearer\s+(\S+)\s*$", auth)
            if not m:
                raise ApiError(400, E_BAD_HEADERS, "Invalid request headers",
                               error_chain=[{"code": E_BAD_AUTH_FORMAT,
                                             "message": "Invalid format for Authorization header"}])
            tok = m.group(1)
            if tok in self.forbidden:
                if family != "iam":
                    raise ApiError(403, E_AUTH, "Forbidden", documentation_url=FORBIDDEN_DOC_URL)
                return
            if tok in self.tokens:
                return
            raise ApiError(403, E_AUTH, "Authentication error")
        if email is None or key is None:
            raise ApiError(400, E_MISSING_AUTH, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
        if email.lower() == self.email.lower() and key == self.key:
            return
        raise ApiError(403, E_AUTH, "Authentication error")

    # dispatch -------------------------------------------------------------------
    def route(self, method, path, query, body_bytes, fault):
        """-> (status, body object or None).  Raises ApiError."""
        for rx, name in ROUTES:
            m = rx.match(path)
            if m:
                break
        else:
            raise ApiError(404, E_NO_ROUTE, "No route for the URI")
        if method not in ALLOWED[name]:
            raise ApiError(405, E_METHOD, "Method not allowed for this route",
                           headers={"Allow": ", ".join(ALLOWED[name])})
        args = [urllib.parse.unquote(g) for g in m.groups()]
        q = Query(query)
        body = None
        if method in ("POST", "PUT"):
            body = parse_body(body_bytes)
        a = self.api
        if name == "orgs":
            return (200, a.list_orgs(path, q, fault)) if method == "GET" else (200, a.create_org(body))
        if name == "org":
            if method == "GET":
                return 200, a.get_org(args[0])
            if method == "PUT":
                return 200, a.modify_org(args[0], body)
            return 200, a.delete_org(args[0])
        if name == "accounts":
            return 200, a.list_accounts(path, q, args[0], fault)
        if name == "profile":
            if method == "GET":
                return 200, a.get_profile(args[0])
            a.put_profile(args[0], body)
            return 204, None
        if name == "members":
            if method == "GET":
                return 200, a.list_members(path, q, args[0], fault)
            return 200, a.create_member(args[0], body)
        if name == "batch":
            return 200, a.batch_create_members(args[0], body)
        if name == "member":
            if method == "GET":
                return 200, a.get_member(*args)
            a.delete_member(*args)
            return 204, None
        if name == "memberships":
            return 200, a.list_memberships(q)
        if name == "audit":
            return 200, a.list_audit(path, q, args[0], fault)
        if name == "history":
            return 200, a.audit_history(path, q, args[0], args[1], fault)
        if name == "usage":
            return 200, a.billable_usage(q, args[0])
        if name == "shares":
            return 200, a.list_shares(q, args[0])
        if method == "GET":
            return 200, a.get_membership(args[0])
        if method == "PUT":
            return 200, a.put_membership(args[0], body)
        return 200, a.delete_membership(args[0])


def parse_body(raw):
    if raw is None or not raw.strip():
        raise ApiError(400, E_INVALID_BODY, "request body is required")
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, E_MALFORMED_JSON, "Malformed JSON in request body")


# the operations whose failure schema requires "result": null although their
# path starts with /organizations (billable usage, shares)
NULL_RESULT_RE = re.compile(r"^/organizations/[^/]+/(billable/usage|shares)$")


def family_of(path):
    """Which error envelope a path gets: "iam" (/memberships: result null),
    "org+null" (the usage and shares of an organization: result null) or
    "org" (the rest of /organizations: no result)."""
    if path.startswith("/memberships"):
        return "iam"
    if NULL_RESULT_RE.match(path):
        return "org+null"
    return "org"


def error_body(err, family):
    e = {"code": err.code, "message": err.message}
    e.update(err.extra)
    body = {"errors": [e], "messages": [], "success": False}
    if family in ("iam", "org+null"):
        body["result"] = None
    body.update(err.envelope)
    return body


def default_fault_error(status):
    if status == 429:
        return E_RATE_LIMIT, "Please wait and consider throttling your request speed"
    if status == 403:
        return E_AUTH, "Forbidden"
    if status == 404:
        return E_NO_ROUTE, "No route for the URI"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return (E_SERVER if status >= 500 else 1000), phrase


DUMPS = ("organizations", "accounts", "members", "memberships", "profiles", "audit_logs", "shares", "usage")


def wrong_types(obj):
    """Give result fields wrong JSON types (names numbers, times objects, ...)."""
    def fix(item):
        if not isinstance(item, dict):
            return item
        out = {}
        for k, v in item.items():
            if k == "name":
                out[k] = 12345
            elif k in ("create_time", "update_time", "created_on", "time", "created", "modified",
                       "ChargePeriodStart", "ChargePeriodEnd"):
                out[k] = {"seconds": 1700000000}
            elif isinstance(v, bool):
                out[k] = "yes" if v else "no"
            elif k in ("id", "BillingAccountId"):
                out[k] = 42
            elif k in ("status_code", "ConsumedQuantity") and isinstance(v, (int, float)):
                out[k] = str(v)
            elif isinstance(v, dict) and k in ("user", "settings", "account", "parent", "action", "raw",
                                               "organization"):
                out[k] = fix(v)
            else:
                out[k] = v
        return out
    if isinstance(obj, dict) and "result" in obj:
        r = obj["result"]
        obj["result"] = [fix(x) for x in r] if isinstance(r, list) else fix(r)
    return obj


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "cloudflare"
    sys_version = ""
    disable_nagle_algorithm = True

    # every method goes through one dispatcher
    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_message(self, fmt, *args):
        if self.server.emu.args.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), fmt % args))

    def version_string(self):
        return "cloudflare"

    # plumbing -----------------------------------------------------------------
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, E_INVALID_BODY, "Request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = self.headers.get("Content-Length")
        if n is None:
            return None
        try:
            n = int(n)
        except ValueError:
            raise ApiError(400, E_BAD_HEADERS, "Invalid request headers")
        if n > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, E_INVALID_BODY, "Request body too large")
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body=b"", content_type="application/json", headers=None, length=None):
        phrase = ""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            pass
        lines = ["HTTP/1.1 %d %s" % (status, phrase),
                 "Date: " + email.utils.formatdate(usegmt=True),
                 "Server: cloudflare"]
        if status != 204 and status >= 200:
            if content_type:
                lines.append("Content-Type: " + content_type)
            lines.append("Content-Length: %d" % (len(body) if length is None else length))
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if self.command == "HEAD" or status == 204:
            body = b""
        self.wfile.write(head + body)
        self.log_request(status, len(body))

    def send_json(self, status, obj, headers=None):
        self.send(status, dumps(obj), headers=headers)

    def client_gone(self):
        """Whether the client hung up.  poll(), not select(): select()
        cannot watch a descriptor numbered 1,024 or higher, and a busy test
        bed has such connections."""
        try:
            p = select.poll()
            p.register(self.connection, select.POLLIN | select.POLLHUP | select.POLLERR)
            if p.poll(0):
                return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True
        return False

    def sleep(self, ms):
        """Sleep in slices; False when the client went away or the server stops."""
        end = time.monotonic() + ms / 1000.0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return True
            if self.server.emu.stopping.is_set() or self.client_gone():
                return False
            time.sleep(min(left, 0.02))

    def dispatch(self):
        emu = self.server.emu
        url = urllib.parse.urlsplit(self.path)
        raw_path = url.path
        query = url.query
        try:
            body = self.read_body()
        except ApiError as e:
            self.close_connection = True
            self.send_json(e.status, error_body(e, "org"), {"cf-ray": emu.next_ray()})
            return
        except (ValueError, OSError):
            self.close_connection = True
            self.send_json(400, error_body(ApiError(400, E_BAD_HEADERS, "Invalid request"), "org"),
                           {"cf-ray": emu.next_ray()})
            return
        if raw_path == CONTROL_PREFIX or raw_path.startswith(CONTROL_PREFIX + "/"):
            self.control(raw_path[len(CONTROL_PREFIX):], query, body)
            return
        path = raw_path
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            path = path[len(API_PREFIX):]
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        path = path.replace("%3A", ":").replace("%3a", ":")
        self.api(path, query, body)

    # connections that carried API requests, for the control plane's count
    def finish(self):
        try:
            super().finish()
        finally:
            if getattr(self, "counted", False):
                self.counted = False
                self.server.count_connection(-1)

    # the Cloudflare surface ------------------------------------------------------
    def api(self, path, query, body):
        emu = self.server.emu
        ctl = emu.control
        method = self.command
        if not getattr(self, "counted", False):
            self.counted = True
            self.server.count_connection(1)
        text = None if not body else body.decode("utf-8", errors="replace")
        with ctl.lock:
            ctl.log.append({"method": method, "path": path, "query": query, "body": text,
                            "_at": time.time()})
        headers = {"cf-ray": emu.next_ray()}
        fam = family_of(path)
        if ctl.latency_ms and not self.sleep(ctl.latency_ms):
            self.close_connection = True
            return
        limited, rl_headers = ctl.rate_check()
        headers.update(rl_headers)
        if limited:
            e = ApiError(429, E_RATE_LIMIT, "Please wait and consider throttling your request speed")
            self.send_json(429, error_body(e, fam), headers)
            return
        fault = ctl.take_fault(method, path, query)
        kind = None
        if fault is not None:
            kind = fault.get("kind")
            headers.update(fault.get("headers", {}))
            if "retry_after" in fault:
                headers["Retry-After"] = fault["retry_after"]
            if "retry_after_ms" in fault:
                headers["Retry-After-Ms"] = fault["retry_after_ms"]
            if fault.get("delay_ms") and not self.sleep(fault["delay_ms"]):
                self.close_connection = True
                return
            if self.fault_response(fault, kind, headers, fam):
                return
        try:
            emu.authenticate(self.headers, fam)
            status, payload = self.process(method, path, query, body, fault)
        except ApiError as e:
            headers.update(e.headers)
            st = fault["status"] if fault and "status" in fault and kind else e.status
            self.send_json(st, error_body(e, fam), headers)
            return
        if kind == "drop_after":
            # the request was carried out; its answer never leaves
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault is not None and "status" in fault and kind:
            status = fault["status"]
        ctype = "application/json"
        if kind == "truncate":
            payload = payload[:len(payload) // 2]
        elif kind == "wrong_types" and payload:
            payload = dumps(wrong_types(json.loads(payload)))
        elif kind == "non_utf8" and payload:
            pos = payload.find(b'"name":"')
            if pos >= 0:
                pos += len(b'"name":"')
            else:
                # no "name" (audit logs, usage): the first string value of the result
                pos = payload.find(b'":"', max(payload.find(b'"result":'), 0))
                pos = pos + 3 if pos >= 0 else -1
            if pos >= 0:
                payload = payload[:pos] + b"\xff\xfe\xc3\x28" + payload[pos:]
        elif kind == "wrong_content_type":
            ctype = "text/plain"
        self.send(status, payload or b"", ctype if payload is not None else None, headers)

    def fault_response(self, fault, kind, headers, fam):
        """Answer a fault that replaces the response entirely; True if answered."""
        if kind == "drop":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        status = fault.get("status")
        if kind == "html":
            status = status or 502
            page = HTML_PAGE.format(code=status, phrase=HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error")
            self.send(status, page.encode(), "text/html", headers)
            return True
        if kind == "empty":
            self.send(status or 200, b"", "application/json", headers)
            return True
        if kind == "malformed":
            self.send(status or 200, b'{"success":true,"errors":[],"messages":[],"result":[{"id":"abc",'
                      b'"name":"Broken}, ]', "application/json", headers)
            return True
        if kind == "huge":
            self.send_huge(status or 200, fault.get("size", 64 << 20), headers)
            return True
        if kind is None and "body" in fault:
            self.send(status or 200, fault["body"].encode("utf-8"),
                      fault.get("content_type", "application/json"), headers)
            return True
        if kind is None and status is not None:
            if status == 204:
                self.send(204, b"", None, headers)
                return True
            code, msg = default_fault_error(status)
            self.send_json(status, error_body(ApiError(status, code, msg), fam), headers)
            return True
        return False

    def send_huge(self, status, size, headers):
        head = b'{"success":true,"errors":[],"messages":[],"result":[],"result_info":{"total_size":0},"padding":"'
        tail = b'"}'
        if size < len(head) + len(tail):
            body = (b" " * size)
            self.send(status, body, "application/json", headers)
            return
        self.close_connection = True
        pad = size - len(head) - len(tail)
        try:
            self.send(status, head, "application/json", headers, length=size)
            chunk = b"x" * (1 << 20)
            while pad > 0:
                n = min(pad, len(chunk))
                self.wfile.write(chunk[:n])
                pad -= n
            self.wfile.write(tail)
        except OSError:
            pass

    def process(self, method, path, query, body, fault):
        """-> (status, serialised body or None).  Uses the page cache for GETs."""
        emu = self.server.emu
        cacheable = method == "GET" and (fault is None or fault.get("kind") not in ("stuck_token", "repeat_page"))
        with emu.lock:
            version = emu.store.version
            key = None
            if cacheable:
                key = (path, Query(query).canonical())
                if path.endswith("/billable/usage"):
                    key += (emu.clock.today().isoformat(),)
                hit = emu.cache.get(key, version)
                if hit is not None:
                    return 200, hit
            status, obj = emu.route(method, path, query, body, fault)
            payload = None if obj is None else dumps(obj)
            if cacheable and status == 200:
                emu.cache.put(key, emu.store.version, payload)
            return status, payload

    # the control plane ------------------------------------------------------------
    def control(self, sub, query, body):
        emu = self.server.emu
        ctl = emu.control
        m = self.command

        def reply(status, obj):
            self.send_json(status, obj)

        try:
            payload = None
            if m in ("POST", "PUT") and body and body.strip():
                try:
                    payload = json.loads(body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    raise ControlError("body is not JSON: %s" % e)
            if sub == "/health" and m == "GET":
                return reply(200, {"ok": True, "dataset": emu.base.describe() if emu.data is None else "file",
                                   "cache": {"hits": emu.cache.hits, "misses": emu.cache.misses}})
            if sub == "/connections" and m == "GET":
                srv = self.server
                with srv.conn_lock:
                    return reply(200, {"open": srv.api_connections, "peak": srv.api_connections_peak,
                                       "total": srv.api_connections_total})
            if sub == "/requests":
                if m == "GET":
                    # ?times=1 adds each request's arrival time (Unix seconds) as "at"
                    times = Query(query).get("times") == "1"
                    with ctl.lock:
                        return reply(200, [{(k[1:] if k == "_at" else k): v for k, v in r.items()
                                            if times or not k.startswith("_")} for r in ctl.log])
                if m == "DELETE":
                    with ctl.lock:
                        ctl.log.clear()
                    return reply(200, {"ok": True})
            if sub == "/reset" and m == "POST":
                emu.reset_data()
                with ctl.lock:
                    ctl.log.clear()
                    ctl.faults.clear()
                    ctl.reset_config()
                return reply(200, {"ok": True})
            if sub == "/faults":
                if m == "GET":
                    with ctl.lock:
                        return reply(200, [{k: v for k, v in r.items() if not k.startswith("_")}
                                           for r in ctl.faults])
                if m == "POST":
                    rules = payload if isinstance(payload, list) else [payload]
                    added = [ctl.add_fault(r) for r in rules]
                    return reply(200, added if isinstance(payload, list) else added[0])
                if m == "DELETE":
                    with ctl.lock:
                        ctl.faults.clear()
                    return reply(200, {"ok": True})
            if sub == "/config":
                if m == "GET":
                    return reply(200, ctl.config_dict())
                if m == "POST":
                    ctl.set_config(payload if payload is not None else {})
                    with emu.lock:
                        emu.store.touch()   # cached matches may fold otherwise
                    return reply(200, ctl.config_dict())
            if sub.startswith("/data/") and m == "GET":
                coll = sub[len("/data/"):]
                q = Query(query)
                with emu.lock:
                    rows = emu.api.dump(coll)
                if rows is None:
                    return reply(404, {"error": "unknown collection %r; one of %s" % (coll, ", ".join(DUMPS))})
                off = int(q.get("offset") or 0)
                lim = q.get("limit")
                rows = rows[off:off + int(lim)] if lim is not None else rows[off:]
                return reply(200, rows)
            return reply(404, {"error": "no control endpoint %s %s%s" % (m, CONTROL_PREFIX, sub)})
        except ControlError as e:
            return reply(400, {"error": str(e)})
        except ValueError as e:
            return reply(400, {"error": str(e)})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, emu):
        if ":" in addr[0]:
            self.address_family = socket.AF_INET6
        self.emu = emu
        self.conn_lock = threading.Lock()
        self.api_connections = 0        # open, having carried an API request
        self.api_connections_peak = 0
        self.api_connections_total = 0
        super().__init__(addr, Handler)

    def count_connection(self, delta):
        with self.conn_lock:
            self.api_connections += delta
            if delta > 0:
                self.api_connections_total += delta
            self.api_connections_peak = max(self.api_connections_peak, self.api_connections)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        if ":" in host:
            host = "[%s]" % host
        return "http://%s:%d" % (host, port)


def build_parser():
    p = argparse.ArgumentParser(
        description="Emulator of Cloudflare's Organizations and Memberships API (see emulator/README.md).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: pick a free one)")
    p.add_argument("--port-file", help="write the base URL http://HOST:PORT here (atomically)")
    p.add_argument("--token", action="append", help="accepted API token (repeatable; default test-token)")
    p.add_argument("--forbidden-token", action="append",
                   help="token that authenticates but gets 403 on /organizations (repeatable)")
    p.add_argument("--email", default=DEFAULT_EMAIL, help="accepted X-Auth-Email")
    p.add_argument("--key", default=DEFAULT_KEY, help="accepted X-Auth-Key")
    p.add_argument("--data", help="JSON data file (default: emulator/data/sample.json)")
    p.add_argument("--seed", type=int, help="generate a data set from this seed")
    p.add_argument("--orgs", type=int, help="generated organizations (default 100)")
    p.add_argument("--roots", type=int, help="generated root organizations (default 3; 0 = all roots)")
    p.add_argument("--members-per-org", type=int, help="generated members per organization (default 5)")
    p.add_argument("--accounts-per-org", type=int, help="generated accounts per organization (default 2)")
    p.add_argument("--memberships", type=int, help="generated memberships of the current user (default 20)")
    p.add_argument("--audit-per-org", type=int,
                   help="generated audit log events per organization, over the 30 days before start (default 40)")
    p.add_argument("--shares-per-org", type=int, help="generated shares per organization (default 3)")
    p.add_argument("--fixed-time", help="create_time/update_time of new objects (default: now)")
    p.add_argument("--log-limit", type=int, default=200000,
                   help="keep the last N requests in the request log (0 = unlimited; default 200000)")
    p.add_argument("--case-folding", choices=CASE_FOLDINGS, default="full",
                   help="how case-insensitive filters fold case (default full; see CASE_FOLDINGS)")
    p.add_argument("--cursor-form", choices=CURSOR_FORMS, default="cursor",
                   help="where the audit logs put the next cursor: result_info.cursor (default) "
                        "or result_info.cursors.after")
    p.add_argument("--audit-id-form", choices=AUDIT_ID_FORMS, default="uuid",
                   help="how the audit logs and their history spell entry ids: dashed UUIDs (default) "
                        "or 32 hex digits (uuid without dashes), which the document's maxLength 32 allows")
    p.add_argument("--cache-mb", type=int, default=256, help="page cache size in MiB (default 256)")
    p.add_argument("--verbose", action="store_true", help="access log on stderr")
    return p


def make_server(argv=None):
    """Build (not start) a server from command-line style arguments."""
    args = build_parser().parse_args(argv)
    for k in ("orgs", "members_per_org", "accounts_per_org", "memberships", "roots", "audit_per_org",
              "shares_per_org"):
        v = getattr(args, k)
        if v is not None and v < 0:
            raise DataError("--%s must not be negative" % k.replace("_", "-"))
    if args.fixed_time is not None:
        try:
            parse_rfc3339(args.fixed_time)
        except ValueError:
            raise DataError("--fixed-time must be an RFC 3339 timestamp")
    emu = Emulator(args)
    return Server((args.host, args.port), emu)


def write_port_file(path, url):
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(tmp, "w") as f:
        f.write(url + "\n")
    os.replace(tmp, path)


def main(argv=None):
    # pages allocate many short-lived dicts; fewer cyclic-GC passes is ~20% faster
    gc.set_threshold(200000, 50, 100)
    try:
        srv = make_server(argv)
    except (DataError, OSError) as e:
        sys.stderr.write("cf_emulator: %s\n" % e)
        return 2
    url = srv.base_url
    done = threading.Event()

    def stop(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if srv.emu.args.port_file:
        write_port_file(srv.emu.args.port_file, url)
    sys.stdout.write("listening on %s\n" % url)
    sys.stdout.flush()
    while not done.wait(1.0):
        pass
    srv.emu.stopping.set()
    srv.shutdown()
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
