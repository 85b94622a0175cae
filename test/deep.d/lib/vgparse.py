#!/usr/bin/env python3
"""test/deep.d/lib/vgparse.py: read valgrind memcheck logs (one per process,
--log-file=DIR/%p.log) and tell which findings are the extension's.

  vgparse.py report SRC_DIR LOG...     print the extension's errors and
                                       definite leaks; exit 1 if there are any
  vgparse.py summary LOG               print "complete definite indirect in_use
                                       ext_definite ext_indirect" (bytes; complete
                                       is 1 when the log has its final ERROR SUMMARY)

A finding belongs to the extension when a frame of its main stack (the "at"
and "by" lines right under the headline; for a leak, the allocation stack)
is in cloudflare_fdw.so, or in a file of SRC_DIR (src/*.c); an invalid read,
write or free also when the block it hit was allocated or freed there.  Findings
without such a frame (PostgreSQL's own noise: PostgreSQL is not built with
USE_VALGRIND) are counted and shown briefly, but do not fail.
"""

import os
import re
import sys

HEAD = re.compile(r"^==(\d+)== ?(.*)$")
FRAME = re.compile(r"^==\d+==\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*)$")
LEAK = re.compile(
    r"^([\d,]+)(?: \(([\d,]+) direct, ([\d,]+) indirect\))? bytes in [\d,]+ blocks are "
    r"(definitely|indirectly|possibly) lost")
SUMMARY = {
    "definite": re.compile(r"^\s*definitely lost: ([\d,]+) bytes"),
    "indirect": re.compile(r"^\s*indirectly lost: ([\d,]+) bytes"),
    "in_use": re.compile(r"^\s*in use at exit: ([\d,]+) bytes"),
}


def num(text):
    return int(text.replace(",", ""))


def ext_matcher(src_dir):
    names = sorted(f for f in os.listdir(src_dir) if f.endswith(".c")) if src_dir else []
    alts = "|".join(re.escape(n) for n in names) or "cloudflare_fdw\\.c"
    pat = re.compile(r"cloudflare_fdw\.so|\((?:%s):\d+\)" % alts)
    return lambda frames: any(pat.search(f) for f in frames)


def parse(path):
    """Records of one log: dicts with kind, headline, frames, bytes."""
    records = []
    totals = {"definite": 0, "indirect": 0, "in_use": 0}
    complete = False
    cur = None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = FRAME.match(line)
            if m:
                if cur is not None and cur["open"]:
                    cur["frames"].append(m.group(1))
                elif cur is not None and cur.get("in_aux"):
                    cur["aux"].append(m.group(1))
                continue
            m = HEAD.match(line)
            if not m:
                # suppression blocks, blank lines: end the current stack
                if cur is not None:
                    cur["open"] = False
                    cur["in_aux"] = False
                continue
            text = m.group(2)
            if text.startswith("ERROR SUMMARY:"):
                complete = True
            for key, rx in SUMMARY.items():
                sm = rx.match(text)
                if sm:
                    totals[key] = num(sm.group(1))
            if cur is not None and cur["frames"]:
                cur["open"] = False
            lm = LEAK.match(text)
            if lm:
                kind = {"definitely": "leak-definite", "indirectly": "leak-indirect",
                        "possibly": "leak-possible"}[lm.group(4)]
                cur = {"kind": kind, "headline": text, "frames": [], "open": True,
                       "bytes": num(lm.group(2) or lm.group(1)),
                       "indirect": num(lm.group(3)) if lm.group(3) else 0, "aux": []}
                records.append(cur)
            elif re.match(r"^(Invalid|Conditional jump|Use of uninitialised|Syscall param|"
                          r"Source and destination|Mismatched free|Argument|"
                          r"[Ff]ishy|Jump to|Process terminating|Stack overflow)", text):
                cur = {"kind": "error", "headline": text, "frames": [], "open": True,
                       "bytes": 0, "indirect": 0, "aux": []}
                records.append(cur)
            elif text.startswith(("Address ", " Address ", "Block was", " Block was")):
                # the aux stacks of an error (where the block was allocated
                # or freed) follow its main stack
                if cur is not None:
                    cur["open"] = False
                    cur["in_aux"] = True
            elif cur is not None and not text.startswith(" "):
                cur["open"] = False
                cur["in_aux"] = False
    return records, totals, complete


ALLOC = re.compile(r"^(malloc|calloc|realloc|strdup|strndup|operator new|\?\?\?) |^0x")


def brief(r):
    """A short name for a finding: its kind and the first named frame."""
    where = next((f.split(" (")[0] for f in r["frames"] if not ALLOC.match(f)), "?")
    if r["kind"] == "leak-definite":
        return "definite leak under %s" % where
    return "%s in %s" % (r["headline"], where)


def cmd_report(src_dir, logs):
    is_ext = ext_matcher(src_dir)
    ext = []
    other = {}
    for path in logs:
        records, _, _ = parse(path)
        for r in records:
            if r["kind"] == "leak-possible" or r["kind"] == "leak-indirect":
                continue
            # an invalid access also counts when the block it hit was
            # allocated or freed by the extension
            if is_ext(r["frames"]) or (r["headline"].startswith("Invalid") and is_ext(r["aux"])):
                ext.append((path, r))
            else:
                other[brief(r)] = other.get(brief(r), 0) + 1
    for path, r in ext:
        print("  %s: %s" % (os.path.basename(path), r["headline"]))
        for f in r["frames"][:14]:
            print("      " + f)
        if r["aux"]:
            print("    block allocated or freed at:")
            for f in r["aux"][:10]:
                print("      " + f)
    if other:
        print("  (not the extension's, not counted: %s)" % "; ".join(
            "%dx %s" % (n, k) for k, n in sorted(other.items())))
    return 1 if ext else 0


def cmd_summary(src_dir, path):
    is_ext = ext_matcher(src_dir)
    records, totals, complete = parse(path)
    ext_def = sum(r["bytes"] for r in records if r["kind"] == "leak-definite" and is_ext(r["frames"]))
    ext_ind = sum(r["indirect"] for r in records if r["kind"] == "leak-definite" and is_ext(r["frames"]))
    print(int(complete), totals["definite"], totals["indirect"], totals["in_use"], ext_def, ext_ind)
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == "report":
        return cmd_report(argv[1], argv[2:])
    if len(argv) == 3 and argv[0] == "summary":
        return cmd_summary(argv[1], argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
