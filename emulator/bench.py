#!/usr/bin/env python3
"""bench.py: how many 1,000-organization pages per second the emulator serves.

    python3 emulator/bench.py [--orgs 100000] [--page-size 1000] [--passes 3]

Starts the emulator as a subprocess with a generated data set (--seed 1
--orgs N), then, over one keep-alive connection (http.client), walks every
page of GET /client/v4/organizations?page_size=1000 by following
next_page_token: the first pass builds and serialises each page (cold), the
later passes replay the same requests and are served from the page cache
(warm).  Reads each body completely; does not parse JSON (the client's cost
is not the emulator's).  Prints pages/s and MB/s per pass and the emulator's
peak RSS.  Bounded: stops after --passes passes.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AUTH = {"X-Auth-Email": "user@example.com", "X-Auth-Key": "144c9defac04969c7bfad8efaa8ea194"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=100000)
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--passes", type=int, default=3)
    a = ap.parse_args()
    p = subprocess.Popen([sys.executable, "-u", os.path.join(HERE, "cf_emulator.py"), "--port", "0",
                          "--seed", "1", "--orgs", str(a.orgs), "--members-per-org", "0",
                          "--accounts-per-org", "0", "--memberships", "0", "--log-limit", "1000"],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        m = re.match(r"^listening on http://([\d.]+):(\d+)$", p.stdout.readline().strip())
        conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=120)
        urls = None
        for n in range(a.passes):
            t0 = time.perf_counter()
            pages = nbytes = 0
            if urls is None:
                urls, tok = [], None
                while True:
                    url = "/client/v4/organizations?page_size=%d" % a.page_size
                    if tok:
                        url += "&page_token=" + tok
                    conn.request("GET", url, headers=AUTH)
                    body = conn.getresponse().read()
                    urls.append(url)
                    pages += 1
                    nbytes += len(body)
                    # the token sits at the end of the body: find it without parsing everything
                    tail = body[-400:].decode("utf-8", "replace")
                    mt = re.search(r'"next_page_token":"([^"]+)"', tail)
                    tok = mt.group(1) if mt else None
                    if not tok:
                        assert json.loads(body)["result_info"]["total_size"] == a.orgs
                        break
            else:
                for url in urls:
                    conn.request("GET", url, headers=AUTH)
                    nbytes += len(conn.getresponse().read())
                    pages += 1
            dt = time.perf_counter() - t0
            print("pass %d (%s): %d pages of %d orgs in %.2f s = %.0f pages/s, %.0f MB/s"
                  % (n + 1, "cold" if n == 0 else "cached", pages, a.page_size, dt, pages / dt,
                     nbytes / dt / 1e6))
        with open("/proc/%d/status" % p.pid) as f:
            hwm = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
        print("emulator peak RSS: %d MiB" % (hwm // 1024))
        conn.close()
    finally:
        p.terminate()
        p.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
