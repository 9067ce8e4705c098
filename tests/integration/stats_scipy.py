#!/usr/bin/python3
"""stats_scipy.py: the statistics module agrees with scipy/numpy.

Generates many fact datasets (random, heavy ties, all equal, constant x or
y, n = 0..4, large values, unknown complexities, several groups, error
items), runs tests/unit/stats_driver.c on each (whole, and dealt to several
parts merged through their JSON states, and shuffled), and compares every
figure with an independent computation: scipy.stats.pearsonr (and its
Fisher-z confidence interval), spearmanr, kendalltau(variant="b"),
linregress, numpy.quantile (linear), numpy mean/std, and Wilson intervals
and bin tables written here from their definitions. Tolerance: 1e-9
relative (1e-12 absolute near 0); null exactly where scipy gives nan or
raises.

usage: stats_scipy.py STATS_DRIVER [--quick]
"""
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import warnings
from fractions import Fraction

import numpy as np
import scipy.stats as st

warnings.simplefilter("ignore")

Z = 1.959963984540054
assert abs(st.norm.ppf(0.975) - Z) < 1e-15
REL, ABS = 1e-9, 1e-12
QS = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}

stats = {"compared": 0, "nulls": 0, "max_rel": 0.0, "max_rel_at": ""}
failures = []


def fail(path, msg):
    failures.append(f"{path}: {msg}")


def close(path, got, want):
    """want None: got must be null; else |got - want| within tolerance."""
    stats["compared"] += 1
    if want is None:
        stats["nulls"] += 1
        if got is not None:
            fail(path, f"expected null, got {got!r}")
        return
    if isinstance(want, float) and math.isnan(want):
        fail(path, "reference is nan but a value was expected")
        return
    if got is None:
        fail(path, f"got null, expected {want!r}")
        return
    err = abs(got - want)
    rel = err / abs(want) if want != 0 else err
    if err > ABS and rel > REL:
        fail(path, f"got {got!r}, expected {want!r} (rel {rel:.3g})")
    if err > ABS and rel > stats["max_rel"]:
        stats["max_rel"], stats["max_rel_at"] = rel, path


def nan_to_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def wilson(k, n):
    if n == 0:
        return None
    p = k / n
    den = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / den
    h = Z / den * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return [max(0.0, c - h), min(1.0, c + h)]


def check_rate(path, got, k, n):
    if got is None or got.get("count") != k:
        fail(path, f"count {got and got.get('count')} != {k}")
        return
    close(path + ".rate", got["rate"], k / n if n else None)
    w = wilson(k, n)
    if w is None:
        close(path + ".ci95", got["ci95"], None)
    else:
        close(path + ".ci95[0]", got["ci95"][0], w[0])
        close(path + ".ci95[1]", got["ci95"][1], w[1])


def check_describe(path, got, vals):
    n = len(vals)
    if got["n"] != n:
        fail(path, f"n {got['n']} != {n}")
    a = np.array(vals, dtype=np.float64)
    close(path + ".mean", got["mean"], float(np.mean(a)) if n else None)
    if n >= 2:
        # exact sample variance from integers, then numpy's std as a cross-check
        s, ss = sum(vals), sum(v * v for v in vals)
        var = Fraction(n * ss - s * s, n * (n - 1))
        close(path + ".sd", got["sd"], math.sqrt(var))
        close(path + ".sd(numpy)", got["sd"], float(np.std(a, ddof=1)))
    else:
        close(path + ".sd", got["sd"], None)
    close(path + ".min", got["min"], float(min(vals)) if n else None)
    close(path + ".max", got["max"], float(max(vals)) if n else None)
    for k, q in QS.items():
        close(f"{path}.{k}", got[k], float(np.quantile(a, q)) if n else None)


def exact_quantile(sorted_vals, num, den):
    """numpy's linear quantile at num/den, exactly (Fraction)."""
    n = len(sorted_vals)
    pos = Fraction(num * (n - 1), den)
    lo = math.floor(pos)
    t = pos - lo
    a = sorted_vals[lo]
    b = sorted_vals[min(lo + 1, n - 1)]
    return a + (b - a) * t


def edges_of(spec, vals):
    if spec != "deciles":
        return [Fraction(e) for e in spec]
    if not vals:
        return []
    sv = sorted(vals)
    out = []
    for k in range(11):
        e = exact_quantile(sv, k, 10)
        if not out or e > out[-1]:
            out.append(e)
    return out


def bin_index(v, edges):
    ne = len(edges)
    if ne == 1:
        return 0 if v == edges[0] else (-1 if v < edges[0] else 1)
    if v < edges[0]:
        return -1
    if v > edges[-1]:
        return ne - 1
    if v == edges[-1]:
        return ne - 2
    for i in range(ne - 1):
        if edges[i] <= v < edges[i + 1]:
            return i
    raise AssertionError


def check_bins(path, got, spec, items, var, kind):
    vals = [it[var] for it in items]
    edges = edges_of(spec, vals)
    if got["method"] != ("deciles" if spec == "deciles" else "edges"):
        fail(path, "method")
    if len(got["edges"]) != len(edges):
        fail(path, f"edges {got['edges']} != {[float(e) for e in edges]}")
        return
    for i, e in enumerate(edges):
        close(f"{path}.edges[{i}]", got["edges"][i], float(e))
    if spec == "deciles" and vals:
        npe = np.unique(np.quantile(np.array(vals, dtype=np.float64), np.arange(11) / 10))
        if len(npe) == len(edges):
            for i, e in enumerate(npe):
                close(f"{path}.edges[{i}](numpy)", got["edges"][i], float(e))
    nb = len(edges) - 1 if len(edges) > 1 else len(edges)
    members = [[] for _ in range(nb)]
    below = above = 0
    for it in items:
        b = bin_index(it[var], edges)
        if b < 0:
            below += 1
        elif b >= nb:
            above += 1
        else:
            members[b].append(it)
    if got["below"] != below or got["above"] != above:
        fail(path, f"below/above {got['below']}/{got['above']} != {below}/{above}")
    if len(got["bins"]) != nb:
        fail(path, f"{len(got['bins'])} bins, expected {nb}")
        return
    for i, (gb, ms) in enumerate(zip(got["bins"], members)):
        p = f"{path}.bins[{i}]"
        if gb["n"] != len(ms):
            fail(p, f"n {gb['n']} != {len(ms)}")
            continue
        n = len(ms)
        check_rate(p + ".trace_valid", gb["trace_valid"], sum(m["trace_valid"] for m in ms), n)
        check_rate(p + ".plan_valid", gb["plan_valid"], sum(m["answer_valid"] for m in ms), n)
        if kind == "complexity":
            lens = np.array([m["length"] for m in ms], dtype=np.float64)
            close(p + ".mean_len", gb["mean_len"], float(np.mean(lens)) if n else None)
            close(p + ".median_len", gb["median_len"], float(np.median(lens)) if n else None)
        else:
            pv = [m for m in ms if m["answer_valid"]]
            check_rate(p + ".valid_plan_trace_valid", gb["valid_plan_trace_valid"],
                       sum(m["trace_valid"] for m in pv), len(pv))


def fisher(r, n):
    if r is None or n <= 3:
        return None
    if abs(r) >= 1:
        return [r, r]
    z, se = math.atanh(r), 1 / math.sqrt(n - 3)
    return [math.tanh(z - Z * se), math.tanh(z + Z * se)]


def check_interval(path, got, want):
    if want is None:
        close(path, got, None)
    elif got is None:
        fail(path, f"got null, expected {want}")
    else:
        close(path + "[0]", got[0], want[0])
        close(path + "[1]", got[1], want[1])


def check_lvc(path, got, items):
    pairs = [(it["complexity"], it["length"]) for it in items if it["complexity"] is not None]
    n = len(pairs)
    if got["n"] != n:
        fail(path, f"n {got['n']} != {n}")
    x = np.array([p[0] for p in pairs], dtype=np.float64)
    y = np.array([p[1] for p in pairs], dtype=np.float64)
    try:
        res = st.pearsonr(x, y)
        r = nan_to_none(res[0])
        ci = None
        if r is not None and n > 3:
            c = res.confidence_interval(0.95)
            ci = [float(c.low), float(c.high)]
    except ValueError:
        r, ci = None, None
    close(path + ".pearson", got["pearson"], r)
    check_interval(path + ".pearson_ci95", got["pearson_ci95"], ci)
    try:
        rho = nan_to_none(st.spearmanr(x, y)[0]) if n >= 2 else None
    except ValueError:
        rho = None
    close(path + ".spearman", got["spearman"], rho)
    check_interval(path + ".spearman_ci95", got["spearman_ci95"], fisher(rho, n))
    try:
        tau = nan_to_none(st.kendalltau(x, y, variant="b")[0]) if n >= 2 else None
    except ValueError:
        tau = None
    close(path + ".kendall_tau_b", got["kendall_tau_b"], tau)
    try:
        lr = st.linregress(x, y)
        slope, icept = nan_to_none(lr.slope), nan_to_none(lr.intercept)
        r2 = lr.rvalue ** 2 if r is not None else None
    except ValueError:
        slope = icept = r2 = None
    close(path + ".ols_slope", got["ols_slope"], slope)
    if icept is not None and got["ols_intercept"] is not None:
        # scipy's intercept (mean(y) - slope mean(x), in doubles) cancels:
        # compare within 1e-9 of the terms it subtracts.
        scale = abs(float(np.mean(y))) + abs(slope * float(np.mean(x)))
        stats["compared"] += 1
        if abs(got["ols_intercept"] - icept) > max(ABS, REL * scale):
            fail(path + ".ols_intercept", f"got {got['ols_intercept']}, expected {icept}")
    else:
        close(path + ".ols_intercept", got["ols_intercept"], icept)
    close(path + ".r2", got["r2"], r2)


def expected_groups(items, errors):
    groups = {}
    for it in items + errors:
        groups.setdefault(it["group"], ([], []))
    for it in items:
        groups[it["group"]][0].append(it)
    for it in errors:
        groups[it["group"]][1].append(it)
    return groups


def check_group(path, got, items, errors, cfg):
    n = len(items)
    if got["items"] != n + len(errors) or got["verified"] != n or got["item_errors"] != len(errors):
        fail(path, f"items/verified/errors {got['items']}/{got['verified']}/{got['item_errors']}")
    # the summary names the answer "plan" (the default noun); the facts are neutral
    for k, fk in (("plan_valid", "answer_valid"), ("plan_optimal", "answer_optimal"),
                  ("trace_valid", "trace_valid"), ("trace_valid_strict", "trace_valid_strict")):
        check_rate(f"{path}.{k}", got[k], sum(it[fk] for it in items), n)
    for strict in (False, True):
        tk = "trace_valid_strict" if strict else "trace_valid"
        cells = got["plan_x_trace_strict" if strict else "plan_x_trace"]
        for pv in (True, False):
            for tv in (True, False):
                name = ("valid" if pv else "invalid") + "_plan_" + ("valid" if tv else "invalid") + "_trace"
                k = sum(1 for it in items if it["answer_valid"] == pv and it[tk] == tv)
                check_rate(f"{path}.cells.{name}", cells[name], k, n)
    check_describe(path + ".trace_len", got["trace_len"], [it["length"] for it in items])
    known = [it for it in items if it["complexity"] is not None]
    check_describe(path + ".complexity", got["complexity"], [it["complexity"] for it in known])
    check_describe(path + ".tokens", got["tokens"],
                   [it["tokens"] for it in items if it["tokens"] is not None])
    check_lvc(path + ".length_vs_complexity", got["length_vs_complexity"], items)
    check_bins(path + ".complexity_bins", got["complexity_bins"], cfg.get("complexity_bins", "deciles"),
               known, "complexity", "complexity")
    check_bins(path + ".length_bins", got["length_bins"], cfg.get("length_bins", "deciles"),
               items, "length", "length")
    # first errors and their positions
    for key, field in (("first_error", "first_error"), ("strict_first_error", "strict_first_error")):
        want = {}
        for it in items:
            if it[field]:
                want[it[field]] = want.get(it[field], 0) + 1
        if got[key] != want:
            fail(path + "." + key, f"{got[key]} != {want}")
    B = cfg.get("error_position_bins", 10)
    bins, empty, cnt = [0] * B, 0, 0
    for it in items:
        if not it["trace_valid"] and it["first_error_step"] is not None:
            cnt += 1
            if it["length"] == 0:
                empty += 1
            else:
                bins[min(B - 1, it["first_error_step"] * B // it["length"])] += 1
    ep = got["first_error_position"]
    if ep["items"] != cnt or ep["empty_trace"] != empty or [b["count"] for b in ep["bins"]] != bins:
        fail(path + ".first_error_position", f"{ep} != {bins} empty {empty}")
    kinds = {}
    for e in errors:
        kinds[e["error"]] = kinds.get(e["error"], 0) + 1
    if got["item_error_kinds"] != kinds:
        fail(path + ".item_error_kinds", f"{got['item_error_kinds']} != {kinds}")


def no_bad_numbers(text):
    """NaN/Infinity text or a negative zero anywhere in the output."""
    found = []

    def num(s):
        if float(s) == 0 and s.startswith("-"):
            found.append(s)
        return float(s)

    def const(s):
        found.append(s)
        return None

    json.loads(text, parse_float=num, parse_int=lambda s: num(s) and int(s), parse_constant=const)
    return found[0] if found else None


def run_driver(driver, path, *args):
    out = subprocess.run([driver, path, *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"stats_driver {path} {args}: {out.stderr}")
    return out.stdout


def check_dataset(driver, name, items, errors, cfg, tmp):
    lines = [json.dumps(it) for it in items] + [json.dumps(e) for e in errors]
    rnd = random.Random(name)
    rnd.shuffle(lines)
    path = os.path.join(tmp, name + ".jsonl")
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    args = ["--stats", json.dumps(cfg)]
    text = run_driver(driver, path, *args)
    bad = no_bad_numbers(text)
    if bad:
        fail(name, f"output contains {bad!r}")
    # exact merging: any partition, any order, gives the same bytes
    for parts in (2, 7):
        if run_driver(driver, path, "--parts", str(parts), "--seed", str(parts), *args) != text:
            fail(name, f"--parts {parts} differs from one part")
    rnd.shuffle(lines)
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    if run_driver(driver, path, *args) != text:
        fail(name, "shuffled input differs")
    out = json.loads(text)
    check_group(name + ".overall", out["overall"], items, errors, cfg)
    groups = expected_groups(items, errors)
    keyed = {k: v for k, v in groups.items() if k is not None}
    want_keys = sorted(keyed, key=lambda s: s.encode())
    got_keys = [json.dumps(g["key"], separators=(",", ":")) for g in out["groups"]]
    if got_keys != want_keys:
        fail(name, f"group keys {got_keys} != {want_keys}")
        return
    for g, k in zip(out["groups"], want_keys):
        check_group(f"{name}.group{k}", g, *keyed[k], cfg)


def item(rnd, group, cx, ln, tokens=None):
    pv = rnd.random() < 0.7
    tv = rnd.random() < 0.6
    tvs = tv and rnd.random() < 0.8
    step = None if tv else rnd.randint(0, ln)
    return {"group": group, "complexity": cx, "length": ln, "tokens": tokens,
            "answer_valid": pv, "answer_optimal": pv and rnd.random() < 0.8,
            "trace_valid": tv, "trace_valid_strict": tvs,
            "first_error": None if tv else rnd.choice(["close_not_in_open_list", "goal_not_reached", "create_non_neighbor"]),
            "first_error_step": step,
            "strict_first_error": None if tvs else rnd.choice(["wrong_g", "wrong_h"])}


def datasets(quick):
    rnd = random.Random(2024)
    G = ['["wilson","none"]', '["dfs","swap"]', '["kruskal",null]', '[30,{"a":1}]']
    # n = 0, 1, 2, 3, 4 (overall only and in groups)
    for n in range(0, 5):
        yield f"n{n}", [item(rnd, None, rnd.randint(0, 9), rnd.randint(0, 9), rnd.randint(0, 9)) for _ in range(n)], [], {}
    yield "n2_equal", [item(rnd, None, 4, 4), item(rnd, None, 4, 4)], [], {}
    yield "n2_xties", [item(rnd, None, 4, 1), item(rnd, None, 4, 9)], [], {}
    yield "n2_anti", [item(rnd, None, 1, 9), item(rnd, None, 5, 2)], [], {}
    yield "n3_perfect", [item(rnd, None, i, 2 * i + 1) for i in range(3)], [], {}
    yield "n4_perfect", [item(rnd, None, i, 3 * i) for i in range(4)], [], {}
    yield "n5_anti", [item(rnd, None, i, 100 - 7 * i) for i in range(5)], [], {}
    reps = 3 if quick else 12
    for r in range(reps):
        n = rnd.choice([5, 17, 60, 300, 1500])
        its = []
        for _ in range(n):
            cx = rnd.randint(0, 200)
            its.append(item(rnd, rnd.choice(G), cx if rnd.random() > 0.1 else None,
                            max(0, cx + rnd.randint(-30, 60)), rnd.randint(0, 5000) if rnd.random() < 0.5 else None))
        errs = [{"group": rnd.choice(G + [None]), "error": rnd.choice(["bad_json", "bad_record"])} for _ in range(rnd.randint(0, 5))]
        errs = [e for e in errs if e["group"] is not None] + [e for e in errs if e["group"] is None]
        yield f"random{r}", its, errs, {}
    for r in range(reps):
        n = rnd.choice([10, 100, 1000, 4000])
        kx, ky = rnd.choice([(2, 2), (3, 2), (5, 4), (1, 6), (6, 1)])
        its = [item(rnd, rnd.choice(G[:2]), rnd.randint(1, kx), rnd.randint(5, 4 + ky), rnd.randint(0, 2))
               for _ in range(n)]
        yield f"ties{r}", its, [], {}
    yield "all_equal", [item(rnd, '["x"]', 7, 9, 3) for _ in range(50)], [], {}
    yield "x_constant", [item(rnd, None, 7, rnd.randint(0, 20)) for _ in range(40)], [], {}
    yield "y_constant", [item(rnd, None, rnd.randint(0, 20), 11) for _ in range(40)], [], {}
    yield "zero_len", [item(rnd, None, rnd.randint(0, 3), rnd.randint(0, 2)) for _ in range(80)], [], {}
    yield "unknown_cx", [item(rnd, None, None, rnd.randint(0, 20)) for _ in range(30)], [], {}
    big = 4294967294
    its = []
    for _ in range(400 if not quick else 100):
        cx = rnd.randint(big - 10 ** 6, big)
        its.append(item(rnd, None, cx, rnd.randint(big // 2, big), rnd.randint(0, big)))
    yield "large", its, [], {}
    its = [item(rnd, None, rnd.choice([0, big]), rnd.choice([0, 1, big]), big) for _ in range(200)]
    yield "extremes", its, [], {}
    cfg = {"complexity_bins": [0, 10, 50, 100.5], "length_bins": [5, 20, 40, 80, 1000],
           "error_position_bins": 4}
    its = [item(rnd, rnd.choice(G), rnd.randint(0, 150), rnd.randint(0, 120)) for _ in range(500)]
    yield "explicit_bins", its, [], cfg
    yield "one_bin", [item(rnd, None, 5, rnd.randint(1, 9)) for _ in range(30)], [], {"error_position_bins": 1}


def main():
    driver = sys.argv[1]
    quick = "--quick" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        nsets = 0
        for name, items, errors, cfg in datasets(quick):
            check_dataset(driver, name, items, errors, cfg, tmp)
            nsets += 1
    for f in failures[:40]:
        print("FAIL:", f)
    print(f"{nsets} datasets, {stats['compared']} figures compared ({stats['nulls']} nulls), "
          f"max relative error {stats['max_rel']:.3g} at {stats['max_rel_at']}, "
          f"{len(failures)} failures")
    return 1 if failures or stats["compared"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
