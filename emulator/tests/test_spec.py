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
