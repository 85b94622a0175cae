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
