#!/usr/bin/env python3
"""test/bodies.py: hand-written response bodies for sql/decode.sql.

    python3 test/bodies.py NAME [COUNT]

installs an emulator fault rule answering GET /organizations with the body
NAME below (COUNT times, default 1; -1 forever).  The bodies are byte-exact
JSON text the emulator itself would never write: whitespace, escapes, keys
in another order or repeated, numbers beyond 64 bits, broken JSON.  They
test src/jsonscan.c and src/page.c, which read the scan's pages in place,
through the real path (SQL, HTTP, rows or an error).
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "emulator"))
import ctl  # noqa: E402

ITEM = '{"id":"%s","name":"%s","create_time":"2024-01-15T10:00:00Z"}'

BODIES = {
    # whitespace everywhere, result_info before result, "success" last
    "spaced": '\r\n { "errors" : [ ] ,\t"result_info" : { "total_size" : 2 } ,\n'
              '  "result" : [ { "id" : "s1" , "name" : "Spaced One" ,'
              ' "create_time" : "2024-01-15T10:00:00Z" } ,\n'
              '  {"name":"Spaced Two","id":"s2","meta":{ "managed_by" : "x" }} ] ,'
              ' "success" : true } \n',
    # escapes in values and in keys; \u0061 spells the "a" of "name"
    "escapes": '{"success":true,"errors":[],"result":['
               '{"id":"e1","n\\u0061me":"quote \\" backslash \\\\ slash \\/ tab\\tend"},'
               '{"id":"e2","name":"caf\\u00e9 \\u65e5\\u672c \\ud83d\\ude00 raw \u00e9"},'
               '{"id":"e3","name":"line\\nbreak","profile":{"business_name":"A\\"B",'
               '"external_metadata":"{\\"crm_id\\":\\"C-1\\"}"}}]}',
    # a repeated key: the last one counts, as in json-c and jsonb
    "repeated": '{"success":true,"result":[{"id":"r1","name":"first","name":"second",'
                '"parent":{"id":"p1","name":"P"},"parent":null,'
                '"meta":{"managed_by":"a"},"meta":{"managed_by":"b","k":1,"k":2}}]}',
    # "result" twice: the last one
    "two_results": '{"success":true,"result":[' + ITEM % ("x1", "dropped") + '],'
                   '"result":[' + ITEM % ("x2", "kept") + ']}',
    # numbers jsonb keeps exactly, beyond what 64 bits hold
    "numbers": '{"success":true,"result":[{"id":"n1","name":"N",'
               '"meta":{"big":123456789012345678901234567890,"neg":-0.5e-3,'
               '"exp":1E+2,"zero":0,"list":[1,2.50,-3,true,false,null,"s",{}]}}]}',
    # values where the column's path meets something else
    "shapes": '{"success":true,"result":[{"id":"h1","x_value":12.50,'
              '"x_parent":"not an object","x_meta":[1,2]},'
              '{"id":"h2","x_value":true,"x_parent":{"id":{"deep":1}},"x_meta":{}}]}',
    # a \u0000 in a text value
    "nul": '{"success":true,"result":[{"id":"z1","name":"a\\u0000b"}]}',
    # an unpaired surrogate
    "surrogate": '{"success":true,"result":[{"id":"u1","name":"x\\ud800y"}]}',
    # paging: the token has an escape; page 2 is matched by its query
    "token1": '{"success":true,"result":[' + ITEM % ("t1", "page one") + '],'
              '"result_info":{"next_page_token":"t\\/2","total_size":2}}',
    "token2": '{"success":true,"result":[' + ITEM % ("t2", "page two") + '],'
              '"result_info":{"next_page_token":null}}',
    # not JSON, in several ways
    "trailing_comma": '{"success":true,"result":[' + ITEM % ("c1", "c") + ',]}',
    "leading_zero": '{"success":true,"result":[{"id":"l1","num":01}]}',
    "control_char": '{"success":true,"result":[{"id":"k1","name":"tab\there"}]}',
    "bad_escape": '{"success":true,"result":[{"id":"b1","name":"\\x41"}]}',
    "after_value": '{"success":true,"result":[]} {}',
    "unclosed": '{"success":true,"result":[{"id":"o1","name":"open"}',
    "deep": '{"success":true,"result":[{"id":"d1","meta":' + '[' * 70 + ']' * 70 + '}]}',
    # JSON, but not an envelope the scan can read
    "not_object_item": '{"success":true,"result":[' + ITEM % ("i1", "ok") + ',"a string"]}',
    "no_result": '{"success":true,"errors":[]}',
    "result_object": '{"success":true,"result":{"id":"o1"}}',
    "success_false": '{"success":false,"errors":[{"code":1234,"message":"it says no"}],'
                     '"result":[]}',
}


def main(argv):
    if len(argv) not in (1, 2) or argv[0] not in BODIES:
        sys.stderr.write("usage: test/bodies.py {%s} [COUNT]\n" % ",".join(sorted(BODIES)))
        return 2
    name = argv[0]
    count = int(argv[1]) if len(argv) == 2 else 1
    body = BODIES[name]
    rule = {"method": "GET", "path": "^/organizations$", "count": count, "body": body}
    if name == "token1":
        rule["query"] = "^page_size=[0-9]+$"
    elif name == "token2":
        rule["query"] = "page_token=t%2F2"
    ctl.call("POST", "/faults", json.dumps(rule))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
