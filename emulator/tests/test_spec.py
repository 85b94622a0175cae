"""The project's copy of the API contract (spec/organizations.json, made by
scripts/derive-spec.py): it carries no prose of the document, and every
operation the FDW's resource table calls is in it.

Run from the repository root:
    python3 -m unittest discover -s emulator/tests -v
"""

import importlib.util
import json
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "spec", "organizations.json")


def load_deriver():
    spec = importlib.util.spec_from_file_location(
        "derive_spec", os.path.join(ROOT, "scripts", "derive-spec.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class SpecCopyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(SPEC, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.derive = load_deriver()

    def test_no_prose(self):
        doc = {k: v for k, v in self.doc.items() if k != "info"}
        self.assertEqual(self.derive.prose_left(doc), [])

    def test_the_check_finds_prose(self):
        # negative control: a description planted in a schema is found,
        # a property named "description" is not
        doc = json.loads(json.dumps({k: v for k, v in self.doc.items() if k != "info"}))
        schemas = doc["components"]["schemas"]
        self.assertIn("description", schemas["aaa_audit-log-action"]["properties"])
        self.assertEqual(self.derive.prose_left(doc), [])
        schemas["aaa_audit-log-action"]["description"] = "planted"
        self.assertEqual(len(self.derive.prose_left(doc)), 1)

    def test_every_called_path_is_in_the_document(self):
        # the call paths of src/resources.c, each an operation of the copy
        with open(os.path.join(ROOT, "src", "resources.c"), encoding="utf-8") as f:
            src = f.read()
        def shape(p):
            return re.sub(r"\{[^}]*\}", "{}", p)
        paths = set(re.findall(r'"(/(?:organizations|memberships)[^"]*)"', src))
        self.assertGreaterEqual(len(paths), 5)
        documented = {shape(p) for p in self.doc["paths"]}
        for p in paths:
            with self.subTest(path=p):
                self.assertIn(shape(p), documented)

    def test_dashboard_operations_are_carried(self):
        for p in ("/organizations/{organization_id}/logs/audit",
                  "/organizations/{organization_id}/logs/audit/{id}/history",
                  "/organizations/{organization_id}/billable/usage",
                  "/organizations/{organization_id}/shares"):
            self.assertIn("get", self.doc["paths"][p])


class EmulatorFollowsTheDocument(unittest.TestCase):
    """The emulator's routes, parameters, enums, limits and envelopes of the
    four newer operations are the document's (emulator/cf_emulator.py)."""

    AUDIT = "/organizations/{organization_id}/logs/audit"
    HISTORY = "/organizations/{organization_id}/logs/audit/{id}/history"
    USAGE = "/organizations/{organization_id}/billable/usage"
    SHARES = "/organizations/{organization_id}/shares"

    @classmethod
    def setUpClass(cls):
        with open(SPEC, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.schemas = cls.doc["components"]["schemas"]
        sys.path.insert(0, os.path.join(ROOT, "emulator"))
        import cf_emulator
        cls.emu = cf_emulator

    def resolve(self, s):
        while "$ref" in s:
            kind, name = s["$ref"].split("/")[-2:]
            s = self.doc["components"][kind][name]
        return s

    def params(self, path):
        out = {}
        for p in self.doc["paths"][path]["get"]["parameters"]:
            p = self.resolve(p)
            out[p["name"]] = (p["in"], p.get("required", False), self.resolve(p["schema"]))
        return out

    def enum(self, schema):
        schema = self.resolve(schema)
        if schema.get("type") == "array":
            schema = self.resolve(schema["items"])
        return tuple(schema["enum"])

    def test_every_operation_is_routed(self):
        for path, ops in self.doc["paths"].items():
            concrete = re.sub(r"\{[^}]*\}", "x1", path)
            for method in ops:
                with self.subTest(path=path, method=method):
                    name = next((n for rx, n in self.emu.ROUTES if rx.match(concrete)), None)
                    self.assertIsNotNone(name)
                    self.assertIn(method.upper(), self.emu.ALLOWED[name])

    def test_audit_parameters(self):
        ps = self.params(self.AUDIT)
        ours = {"organization_id", "since", "before", "direction", "limit", "cursor"}
        for name, _, allowed in self.emu.AUDIT_FILTERS:
            ours |= {name, name + ".not"}
            for n in (name, name + ".not"):
                self.assertEqual(ps[n][2]["type"], "array", n)
                doc_enum = self.resolve(ps[n][2]["items"]).get("enum")
                if name == "actor_context":       # the newest SDK adds "api"
                    self.assertEqual(tuple(doc_enum) + ("api",), allowed)
                else:
                    self.assertEqual(tuple(doc_enum) if doc_enum else None, allowed, n)
        self.assertEqual(set(ps), ours)
        self.assertTrue(ps["since"][1] and ps["before"][1])
        self.assertEqual(ps["direction"][2]["default"], "desc")
        self.assertEqual(set(self.enum(ps["direction"][2])), set(self.emu.DIRECTIONS))
        lim = ps["limit"][2]
        self.assertEqual((lim["minimum"], lim["maximum"], lim["default"]),
                         (1, self.emu.AUDIT_MAX_LIMIT, self.emu.AUDIT_DEFAULT_LIMIT))
        # the filters read the fields of the item schema
        item = self.resolve(self.schemas["aaa_audit-logs-v2-org"])
        for name, path, _ in self.emu.AUDIT_FILTERS:
            s = item
            for key in path[:2]:
                s = self.resolve(s)["properties"][key]
            self.assertIsNotNone(s, name)
        ctx = item["properties"]["actor"]["properties"]["context"]["enum"]
        self.assertEqual(tuple(ctx) + ("api",), self.emu.AUDIT_ACTOR_CONTEXTS)
        self.assertEqual(tuple(item["properties"]["actor"]["properties"]["type"]["enum"]), self.emu.AUDIT_ACTOR_TYPES)

    def test_history_parameters_and_bodies(self):
        ps = self.params(self.HISTORY)
        self.assertEqual(set(ps), {"organization_id", "id", "action_time", "since", "before", "direction", "limit",
                                   "cursor"})
        self.assertEqual(ps["id"][2]["format"], "uuid")
        self.assertEqual(ps["action_time"][2]["format"], "date-time")
        self.assertTrue(ps["action_time"][1])
        self.assertEqual(tuple(self.schemas["aaa_history-status"]["enum"]), self.emu.HISTORY_STATUSES)
        nf = self.resolve(self.doc["paths"][self.HISTORY]["get"]["responses"]["404"]["content"]["application/json"]
                          ["schema"])
        body = self.emu.error_body(self.emu.history_not_found(1012, "x"), "org")
        for k in nf["required"]:
            self.assertIn(k, body)
        info = self.resolve(nf["properties"]["result_info"])
        for k in info["required"]:
            self.assertIn(k, body["result_info"])
        self.assertEqual(self.emu.ApiError(404, 1, "x").envelope, {})
        # the audit list's count is a string, the history's an integer
        self.assertEqual(self.schemas["aaa_result_info"]["properties"]["count"]["type"], "string")
        self.assertEqual(self.schemas["aaa_audit-logs-v2-history-result-info"]["properties"]["count"]["type"],
                         "integer")

    def test_usage_parameters_and_record(self):
        ps = self.params(self.USAGE)
        self.assertEqual(set(ps), {"organization_id", "from", "to"})
        self.assertEqual((ps["from"][2]["format"], ps["to"][2]["format"]), ("date", "date"))
        rec = self.schemas["billable-usage-api_cost_and_usage_data"]
        self.assertEqual(set(rec["properties"]) | {"Tags"}, set(self.emu.USAGE_KEY_ORDER))
        self.assertEqual(list(rec["properties"]), [k for k in self.emu.USAGE_KEY_ORDER if k != "Tags"])
        for k in self.emu.USAGE_DERIVED:
            self.assertIn(k, rec["properties"])
        # a failure needs result and messages: the usage path is in the null-result family
        fail = self.schemas["billable-usage-api_api-response-common-failure"]
        body = self.emu.error_body(self.emu.usage_param("x"), self.emu.family_of("/organizations/x/billable/usage"))
        for k in fail["required"]:
            self.assertIn(k, body)

    def test_shares_parameters(self):
        ps = self.params(self.SHARES)
        self.assertEqual(set(ps), {"organization_id", "status", "kind", "target_type", "resource_types", "order",
                                   "direction", "page", "per_page"})
        self.assertEqual(self.enum(ps["status"][2]), self.emu.SHARE_STATUSES)
        self.assertEqual(self.enum(ps["kind"][2]), self.emu.SHARE_KINDS)
        self.assertEqual(self.enum(ps["target_type"][2]), self.emu.SHARE_TARGET_TYPES)
        self.assertEqual(self.enum(ps["resource_types"][2]), self.emu.SHARE_RESOURCE_TYPES)
        self.assertEqual(self.enum(ps["order"][2]), self.emu.SHARE_ORDERS)
        self.assertEqual(ps["order"][2]["default"], "created")
        self.assertEqual(ps["direction"][2]["default"], "asc")
        pp = ps["per_page"][2]
        self.assertEqual((pp["minimum"], pp["maximum"], pp["default"]),
                         (1, self.emu.SHARE_MAX_PER_PAGE, self.emu.DEFAULT_PER_PAGE))
        obj = self.schemas["resource-sharing_share_object"]
        self.assertEqual(list(self.emu.SHARE_KEYS[:len(obj["required"])]), obj["required"])
        self.assertEqual(set(self.emu.SHARE_KEYS), set(obj["properties"]))
        res = self.schemas["resource-sharing_share_resource_object"]
        self.assertEqual(list(self.emu.SHARE_RESOURCE_KEYS), res["required"])
        fail = self.schemas["resource-sharing_api-response-common-failure"]
        body = self.emu.error_body(self.emu.ApiError(404, 1004, "x"), self.emu.family_of("/organizations/x/shares"))
        for k in fail["required"]:
            self.assertIn(k, body)


if __name__ == "__main__":
    unittest.main()


def resource_columns(src):
    """{list_path: [(name, json_path, sql_type, flags)]} read from src/resources.c."""
    arrays = {}
    for m in re.finditer(r"static const CfColumnDef (\w+)\[\] = \{(.*?)\n\};", src, re.S):
        cols = []
        for c in re.finditer(r'\{"(\w+)",\s*(NULL|"[^"]*"),\s*"([^"]+)",\s*([A-Z_| ]+)', m.group(2)):
            path = None if c.group(2) == "NULL" else c.group(2).strip('"')
            cols.append((c.group(1), path, c.group(3), c.group(4)))
        arrays[m.group(1)] = cols
    out = {}
    for m in re.finditer(r'\.list_path = "([^"]+)",.*?\.columns = (\w+),', src, re.S):
        out[m.group(1)] = arrays[m.group(2)]
    return out


def doc_type(sql_type, flags):
    """The JSON type src/resources.c's cf_resource_field_type gives a column."""
    if "CF_COL_DOC_OBJECT" in flags:
        return "object"
    if "CF_COL_DOC_ARRAY" in flags:
        return "array"
    if sql_type.endswith("[]"):
        return "array"
    if sql_type == "jsonb":
        return None
    if sql_type == "boolean":
        return "boolean"
    if sql_type in ("integer", "bigint", "numeric"):
        return "number"
    return "string"


class ColumnTypesTest(unittest.TestCase):
    """Every column of the resource table reads its field as the JSON type the
    document declares: the FDW refuses a value of another type (issue 20), so
    a column whose type disagreed with the document would refuse every row."""

    @classmethod
    def setUpClass(cls):
        with open(SPEC, encoding="utf-8") as f:
            cls.doc = json.load(f)
        cls.schemas = cls.doc["components"]["schemas"]
        with open(os.path.join(ROOT, "src", "resources.c"), encoding="utf-8") as f:
            src = f.read()
        cls.columns = resource_columns(src)
        cls.n_resources = src.count(".list_path =")

    def resolve(self, s):
        while "$ref" in s:
            s = self.schemas[s["$ref"].split("/")[-1]]
        return s

    def props(self, s):
        s = self.resolve(s)
        out = {}
        for key in ("allOf", "anyOf", "oneOf"):
            for part in s.get(key, []):
                out.update(self.props(part))
        out.update(s.get("properties", {}))
        return out

    def types_of(self, s):
        s = self.resolve(s)
        if "type" in s:
            return {"integer": "number"}.get(s["type"], s["type"]), s
        for key in ("allOf", "anyOf", "oneOf"):
            found = {self.types_of(p)[0] for p in s.get(key, [])} - {None}
            if len(found) == 1:
                return found.pop(), s
        if "properties" in s:
            return "object", s
        return None, s

    def item_schema(self, path):
        schema = self.doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        result = self.props(schema)["result"]
        kind, res = self.types_of(result)
        if kind == "array":
            res = self.resolve(res["items"])
        return res

    def info_schema(self, path):
        """The page's result_info, where CF_COL_PAGE_INFO columns read."""
        schema = self.doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        return self.resolve(self.props(schema).get("result_info", {}))

    def field(self, item, json_path):
        s = item
        for key in json_path.split("."):
            props = self.props(s)
            if key not in props:
                return None
            s = props[key]
        return self.types_of(s)[0]

    def test_the_table_is_read(self):
        # every resource of the table, the five first ones and the four newer
        self.assertGreaterEqual(self.n_resources, 9)
        self.assertEqual(len(self.columns), self.n_resources)
        self.assertGreaterEqual(sum(len(c) for c in self.columns.values()), 40)

    # Fields the document lacks that Cloudflare's newest SDK declares (see
    # emulator/README.md), with the JSON type the SDK gives them.
    SDK_ONLY = {("/organizations/{organization_id}/billable/usage", "Tags"): "object"}

    def test_each_column_has_its_documented_type(self):
        checked = 0
        for path, cols in self.columns.items():
            item = self.item_schema(path)
            info = self.info_schema(path)
            for name, json_path, sql_type, flags in cols:
                if json_path is None:
                    continue
                with self.subTest(path=path, column=name):
                    documented = self.field(info if "CF_COL_PAGE_INFO" in flags else item, json_path)
                    if documented is None:
                        documented = self.SDK_ONLY.get((path, json_path))
                    self.assertIsNotNone(documented, "%s is not in the document" % json_path)
                    ours = doc_type(sql_type, flags)
                    self.assertIsNotNone(ours, "jsonb column %s needs CF_COL_DOC_OBJECT or _ARRAY" % name)
                    self.assertEqual(ours, documented)
                    checked += 1
        self.assertGreaterEqual(checked, 30)

    def test_page_info_and_sdk_fields_are_looked_up_where_they_live(self):
        # negative controls: history_status is in result_info, not in the item;
        # Tags is in no schema of the document
        path = "/organizations/{organization_id}/logs/audit/{id}/history"
        self.assertIsNone(self.field(self.item_schema(path), "history_status"))
        self.assertEqual(self.field(self.info_schema(path), "history_status"), "string")
        usage = "/organizations/{organization_id}/billable/usage"
        self.assertIsNone(self.field(self.item_schema(usage), "Tags"))

    def test_a_wrong_type_is_caught(self):
        # negative control: a text column over a boolean field disagrees
        item = self.item_schema("/organizations/{organization_id}/members")
        self.assertEqual(self.field(item, "user.two_factor_authentication_enabled"), "boolean")
        self.assertNotEqual(doc_type("text", "CF_COL_READONLY"), "boolean")
