#!/usr/bin/env python3
"""scripts/derive-spec.py: the project's copy of the API contract.

Reads Cloudflare's OpenAPI document for the Organizations API and writes
spec/organizations.json: the same operations, parameters, request and
response schemas, types, enums, formats, limits and sample values (examples that
are sentences go too), with every piece of prose removed (description, summary, title, externalDocs,
tags, and the vendor x-* annotations), so that the project carries the facts
its tests need and no text of the document.  The contract tests (Prism), the
emulator's checks and the fuzz seeds read spec/organizations.json; nothing
reads the document itself at test time.

    scripts/derive-spec.py                      # from ../shared/cloudflare-openapi/organizations-all.json
    scripts/derive-spec.py SOURCE [OUTPUT]
    scripts/derive-spec.py --check [SOURCE]     # exit 1 if spec/ is out of date

Keys are dropped by where they stand in the document, not by name alone: a
schema property named "description" (an audit log's action.description) is a
fact and stays; the description of that property goes.  Values of example,
default and enum are copied as they are.  Output is deterministic (the
document's order, two-space indent), so a rerun on the same source changes
nothing.
"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(os.path.dirname(ROOT), "shared", "cloudflare-openapi",
                              "organizations-all.json")
DEFAULT_OUTPUT = os.path.join(ROOT, "spec", "organizations.json")

PROSE = {"description", "summary", "title", "externalDocs", "tags"}

# Objects whose keys are names chosen by the document (paths, property
# names, status codes, media types ...), not OpenAPI keywords: every key of
# theirs is kept, and each value is an OpenAPI object again.
NAME_MAPS = {"paths", "properties", "schemas", "parameters", "responses",
             "requestBodies", "securitySchemes", "headers", "content",
             "variables", "patternProperties", "definitions", "scopes", "links",
             "callbacks", "encoding", "mapping"}

# Values copied verbatim: data, not OpenAPI objects.
VERBATIM = {"example", "examples", "default", "enum", "const", "required",
            "security", "mapping"}


def is_sentence(value):
    """A sample value that is a sentence of the document's (an error
    message's example), not a sample datum: more than six words."""
    if isinstance(value, str):
        return len(value.split()) > 6
    if isinstance(value, list):
        return any(is_sentence(v) for v in value)
    if isinstance(value, dict):
        return any(is_sentence(v) for v in value.values())
    return False


def strip(node, in_name_map=False):
    if isinstance(node, list):
        return [strip(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if in_name_map:
            out[key] = strip(value)
            continue
        if key in PROSE or key.startswith("x-"):
            continue
        if key in ("example", "examples") and is_sentence(value):
            continue
        if key in VERBATIM:
            out[key] = value
        elif key in NAME_MAPS and isinstance(value, dict):
            # "parameters" is a name map under components, a list in an
            # operation; a list is walked element by element.
            out[key] = strip(value, in_name_map=True)
        else:
            out[key] = strip(value)
    return out


def derive(source):
    with open(source, encoding="utf-8") as f:
        doc = json.load(f)
    out = {
        "openapi": doc["openapi"],
        "info": {"title": "cloudflare_fdw: facts of Cloudflare's Organizations API",
                 "version": doc.get("info", {}).get("version", "")},
    }
    for key in ("servers", "security", "paths", "components"):
        if key in doc:
            out[key] = strip(doc[key], in_name_map=(key == "paths"))
    # OpenAPI 3.0 requires a description on every response object: an
    # empty one keeps the document valid without carrying its text.
    responses = [r for item in out.get("paths", {}).values() for op in item.values()
                 if isinstance(op, dict) for r in op.get("responses", {}).values()]
    responses += list(out.get("components", {}).get("responses", {}).values())
    for r in responses:
        if isinstance(r, dict) and "$ref" not in r:
            r["description"] = ""
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def prose_left(node, in_name_map=False, where="$"):
    """Paths of any prose key left in a derived document (for the tests)."""
    found = []
    if isinstance(node, list):
        for i, x in enumerate(node):
            found += prose_left(x, False, "%s[%d]" % (where, i))
    elif isinstance(node, dict):
        for key, value in node.items():
            if not in_name_map and (key in PROSE or key.startswith("x-")) and value != "":
                found.append("%s.%s" % (where, key))
            elif not in_name_map and key in VERBATIM:
                continue
            else:
                found += prose_left(value, (not in_name_map) and key in NAME_MAPS
                                    and isinstance(value, dict), "%s.%s" % (where, key))
    return found


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    source = args[0] if args else DEFAULT_SOURCE
    output = args[1] if len(args) > 1 else DEFAULT_OUTPUT
    if not os.path.exists(source):
        sys.exit("derive-spec: no OpenAPI document at %s" % source)
    text = derive(source)
    left = prose_left({k: v for k, v in json.loads(text).items() if k != "info"})
    if left:
        sys.exit("derive-spec: prose left at %s" % ", ".join(left[:5]))
    if check:
        with open(output, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("derive-spec: %s is out of date; run scripts/derive-spec.py" % output)
        print("derive-spec: %s is up to date" % output)
        return
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w", encoding="utf-8") as f:
        f.write(text)
    print("derive-spec: wrote %s (%d bytes, %d paths)" % (output, len(text), len(json.loads(text)["paths"])))


if __name__ == "__main__":
    main(sys.argv[1:])
