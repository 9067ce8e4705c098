#!/usr/bin/env python3
"""floors.py: the include rules of docs/architecture.md ("Floors"), checked.

Every module (a folder and its headers in include/tracefarm/) sits on a
floor; a source file or header may include headers of its own module and of
modules on lower floors only. Private headers next to sources ("coord.h")
belong to their folder. Prints each violation as FILE:LINE and exits 1 if
there is any, so the rule cannot rot.

    python3 tests/lint/floors.py [SOURCE_ROOT]
"""
import os
import re
import sys

# module -> floor (lower floors never include higher ones); tools (gen, serve)
# sit beside the worker, below the coordinator that dispatches them.
FLOOR = {"common": 0, "maze": 1, "arith": 1, "planning": 1, "stats": 1, "record": 1, "corpus": 1, "fetch": 1,
         "verify": 2, "job": 3, "gen": 3, "serve": 3, "worker": 4, "coordinator": 5}
# modules on the same floor that may use each other: none
# public header -> its module
HEADER = {
    "buf": "common", "err": "common", "text": "common", "rng": "common", "hash": "common",
    "zio": "common", "schema": "common", "testhook": "common", "opt": "common",
    "maze": "maze", "arith": "arith", "strips": "planning", "pddl": "planning",
    "plantext": "planning", "stats": "stats", "record": "record", "corpus": "corpus",
    "fetch": "fetch", "cache": "fetch", "maze_verify": "verify", "domain": "verify",
    "job": "job", "gen": "gen", "serve": "serve", "source": "worker", "worker": "worker",
    "part": "worker", "plan": "coordinator", "journal": "coordinator", "farm": "coordinator",
    "outputs": "coordinator", "show": "coordinator",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"tracefarm/([a-z_0-9]+)\.h"')


def allowed(frm, to):
    return frm == to or FLOOR[to] < FLOOR[frm]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    bad = []
    files = []
    for h in sorted(os.listdir(os.path.join(root, "include", "tracefarm"))):
        name = h[:-2]
        if name not in HEADER:
            bad.append("include/tracefarm/%s: no floor (add it to tests/lint/floors.py and "
                       "docs/architecture.md)" % h)
            continue
        files.append((os.path.join("include", "tracefarm", h), HEADER[name]))
    for mod in FLOOR:
        d = os.path.join(root, mod)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith((".c", ".h")):
                files.append((os.path.join(mod, f), mod))
    for path, mod in files:
        with open(os.path.join(root, path), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                to = HEADER.get(m.group(1))
                if to is None:
                    bad.append("%s:%d: includes unknown header %s.h" % (path, n, m.group(1)))
                elif not allowed(mod, to):
                    bad.append("%s:%d: %s (floor %d) includes %s.h of %s (floor %d)"
                               % (path, n, mod, FLOOR[mod], m.group(1), to, FLOOR[to]))
    for b in bad:
        print(b)
    print("floors: %d files checked, %d violations" % (len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
