#!/usr/bin/env python3
"""score-ref.py - twin-retrain's model and twin-score's scores and
contributions against an independent computation of the same model with
numpy and scikit-learn (sklearn.covariance.LedoitWolf) on the same
features.

The features come at different rates, as from twin-feature: the primary
channel of each class (the one with the most model features) as a 1 s
snapshot every 2 h, the other channels as 30-minute windows with a quarter
of them missing and a 6-hour outage of one channel.  The reference joins
them independently, as twin-score(1) says: a row at each snapshot, every
feature's latest value whose window ended at or before it and at most 3 h
(max_age) before it, a stale or absent value missing."""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from sklearn.covariance import LedoitWolf

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("TOP", os.path.join(HERE, "..", ".."))
BIN = os.path.join(TOP, "bin")
sys.path.insert(0, HERE)
import importlib.util  # noqa: E402
spec = importlib.util.spec_from_file_location(
    "fleet", os.path.join(HERE, "score-fleet.py"))
fleet = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fleet)

failed = 0


def report(ok, name, why=""):
    global failed
    if ok:
        print("ok - ref: " + name)
    else:
        failed = 1
        print("not ok - ref: %s: %s" % (name, why))


def class_features(path):
    c = json.load(open(path))
    return [ch["channel"] + ":" + f for ch in c["channels"]
            for f in ch["features"]]


MAX_AGE_MS = 3 * 3600 * 1000


def ms(ts):
    return int(np.datetime64(ts.rstrip("Z"), "ms").astype(np.int64))


def primary_of(feats):
    """The channel with the most features, the first one on a tie."""
    chans = [f.split(":")[0] for f in feats]
    best = None
    for c in chans:
        if best is None or chans.count(c) > chans.count(best):
            best = c
    return best


def rows_of(path, cls, feats, complete=True):
    """As-of join: (asset, ts, vector) per primary window end, time order;
    NaN for a feature without a value of at most MAX_AGE_MS before."""
    prim = primary_of(feats)
    hist = {}       # (asset, feature) -> [(end ms, value)] in file order
    times = set()   # (ts, asset) of primary windows
    for line in open(path):
        r = json.loads(line)
        if r["kind"] != "feature" or r["class"] != cls:
            continue
        if r["channel"] == prim:
            times.add((r["ts"], r["asset"]))
        for k, x in r["f"].items():
            hist.setdefault((r["asset"], r["channel"] + ":" + k),
                            []).append((ms(r["ts"]), float(x)))
    out = []
    for (ts, a) in sorted(times):
        t = ms(ts)
        v = []
        for f in feats:
            best = None
            for e, x in hist.get((a, f), []):
                if e <= t and t - e <= MAX_AGE_MS and (best is None or
                                                        e >= best[0]):
                    best = (e, x)
            v.append(best[1] if best else math.nan)
        v = np.array(v)
        if not complete or not np.isnan(v).any():
            out.append((a, ts, v))
    return out


def multirate(src, dst, seed):
    """Fleet records at different rates: see the module's docstring."""
    rng = np.random.default_rng(seed)
    classes = os.path.join(TOP, "examples", "plant1", "classes")
    prims = {}
    t0 = None
    with open(dst, "w") as out:
        for line in open(src):
            r = json.loads(line)
            if r["kind"] != "feature":
                out.write(line)
                continue
            cls = r["class"]
            if cls not in prims:
                prims[cls] = primary_of(class_features(
                    os.path.join(classes, cls + ".json")))
            t = ms(r["ts"])
            if t0 is None:
                t0 = t
            if r["channel"] == prims[cls]:
                if (t - t0) % (2 * 3600 * 1000) != 0:
                    continue
                end = fleet.iso((t + 1000) / 1000.0)
                r["window"]["start"] = r["ts"]
                r["window"]["end"] = end
                r["ts"] = end
            else:
                if rng.random() < 0.25:
                    continue
                h = (t - t0) / 3600000.0
                if r["asset"] in ("P-101", "F-202", "M-103") and \
                        r["channel"] in ("flow", "power") and \
                        56 <= h < 62:
                    continue
            out.write(json.dumps(r, separators=(",", ":")) + "\n")


def fit(rows, min_rows=30):
    X = np.array([r[2] for r in rows])
    assets = np.array([r[0] for r in rows])
    logt = X.min(axis=0) > 0
    floor = np.where(logt, X.min(axis=0) / 2, 0)
    T = np.where(logt, np.log(np.maximum(X, np.where(logt, floor, 1))), X)
    center = np.median(T, axis=0)
    base = {}
    for a in sorted(set(assets)):
        m = assets == a
        if m.sum() >= min_rows:
            base[a] = np.median(T[m], axis=0)
    B = np.array([base.get(a, center) for a in assets])
    R = T - B
    scale = 1.4826 * np.median(np.abs(R), axis=0)
    Z = R / scale
    lw = LedoitWolf().fit(Z)
    V = Z - lw.location_
    d2 = np.einsum("ij,ij->i", V @ np.linalg.inv(lw.covariance_), V)
    q = np.quantile(d2, np.arange(100) / 100.0)
    tail = d2[d2 > q[99]] - q[99]
    return {"logt": logt, "floor": floor, "center": center, "base": base,
            "scale": scale, "mean": lw.location_, "cov": lw.covariance_,
            "shrinkage": lw.shrinkage_, "q": q, "theta": tail.mean(),
            "ntail": len(tail), "n": len(d2)}


def calibrate(m, d2):
    q = m["q"]
    if d2 > q[99]:
        ex = d2 - q[99]
        se = 1.96 / math.sqrt(m["ntail"])
        return (1 - 0.01 * math.exp(-ex / m["theta"]),
                1 - 0.01 * math.exp(-ex / (m["theta"] * (1 + se))),
                1 - 0.01 * math.exp(-ex / (m["theta"] / (1 + se))))
    f = float(np.interp(d2, q, np.arange(100) / 100.0))
    se = 1.96 * math.sqrt(f * (1 - f) / m["n"])
    return f, max(0.0, f - se), min(1.0, f + se)


def close(a, b, rel=1e-9, abs_=1e-12):
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    return np.all(np.abs(a - b) <= abs_ + rel * np.abs(b))


def main():
    tmp = tempfile.mkdtemp(prefix="twin-ref.")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp)
    return failed


def run(tmp):
    hist = os.path.join(tmp, "hist.ndjson")
    with open(hist + ".1", "w") as fp:
        fleet.generate(fp, weeks=3, fault_weeks=0, faults=False, seed=7)
    multirate(hist + ".1", hist, 7)
    pol = os.path.join(tmp, "policy.json")
    with open(pol, "w") as fp:
        json.dump({"tenant": "acme", "holdout": "0s"}, fp)
    reg = os.path.join(tmp, "reg")
    classes = os.path.join(TOP, "examples", "plant1", "classes")
    p = subprocess.run([os.path.join(BIN, "twin-retrain"), "-q", "-r", reg,
                        "-C", classes, "-P", pol, "train", hist],
                       capture_output=True, text=True)
    report(p.returncode == 0, "twin-retrain trains and promotes",
           "exit %d %s" % (p.returncode, p.stderr[:200]))
    if p.returncode != 0:
        return
    sha = open(os.path.join(reg, "acme", "production")).read().strip()
    model = json.load(open(os.path.join(reg, "acme", "models",
                                        sha + ".json")))
    refs = {}
    for cls, sec in sorted(model["classes"].items()):
        feats = class_features(os.path.join(classes, cls + ".json"))
        report(sec["features"] == feats, "%s feature list" % cls,
               "differs")
        m = fit(rows_of(hist, cls, feats))
        refs[cls] = (feats, m)
        report(sec["transform"] == ["log" if x else "id"
                                    for x in m["logt"]],
               "%s transforms" % cls, "differ")
        report(close(sec["center"], m["center"]) and
               all(close(sec["assets"][a], m["base"][a]) for a in m["base"])
               and sorted(sec["assets"]) == sorted(m["base"]),
               "%s robust baselines = numpy medians" % cls, "differ")
        report(close(sec["scale"], m["scale"]),
               "%s robust scale = 1.4826 MAD" % cls, "differs")
        report(close(sec["mean"], m["mean"], abs_=1e-10) and
               close(sec["cov"], m["cov"], rel=1e-8, abs_=1e-12),
               "%s covariance = sklearn LedoitWolf" % cls,
               "max diff %g" % np.abs(np.array(sec["cov"]) -
                                       m["cov"]).max())
        report(abs(sec["shrinkage"] - m["shrinkage"]) < 1e-9,
               "%s shrinkage %.4f = sklearn %.4f" % (cls, sec["shrinkage"],
                                                    m["shrinkage"]),
               "differs")
        report(close(sec["calibration"]["quantiles"], m["q"], rel=1e-7,
                     abs_=1e-9) and
               abs(sec["calibration"]["tail_mean_excess"] - m["theta"])
               < 1e-6 * m["theta"],
               "%s calibration quantiles = numpy.quantile" % cls, "differ")
    # scores on new data with faults
    new = os.path.join(tmp, "new.ndjson")
    with open(new + ".1", "w") as fp:
        fleet.generate(fp, weeks=2, fault_weeks=2, seed=8,
                       start="2026-09-22T00:00:00")
    multirate(new + ".1", new, 8)
    p = subprocess.run([os.path.join(BIN, "twin-score"), "-r", reg, "-T",
                        "acme", "-d", "0", new], capture_output=True,
                       text=True)
    scores = [json.loads(x) for x in p.stdout.splitlines()]
    scores = [s for s in scores if s["kind"] == "score"]
    report(p.returncode == 0 and len(scores) > 1000,
           "twin-score scored %d rows" % len(scores),
           "exit %d" % p.returncode)
    rows = {}
    for cls, (feats, m) in refs.items():
        for a, ts, x in rows_of(new, cls, feats, complete=False):
            rows[(a, ts)] = (cls, x)
    report(sorted(rows) == sorted((s["asset"], s["ts"]) for s in scores),
           "one score per primary window end (%d)" % len(rows),
           "%d reference rows, %d scores" % (len(rows), len(scores)))
    nmiss = nmiss_ok = 0
    full = []
    for s in scores:
        cls, x = rows.get((s["asset"], s["ts"]), (None, None))
        if x is None:
            continue
        feats = refs[cls][0]
        want = ["missing_feature:" + feats[i] for i in range(len(feats))
                if math.isnan(x[i])]
        got = [f for f in s["dq"]["flags"]
               if f.startswith("missing_feature:")]
        if want:
            nmiss += 1
            nmiss_ok += got == want
        elif not got:
            full.append(s)
    report(nmiss > 0 and nmiss == nmiss_ok,
           "stale and absent features flagged missing in %d of %d rows" %
           (nmiss_ok, nmiss), "differ")
    scores = full
    worst = {"score": 0, "band": 0, "share": 0, "z": 0}
    nmode = nmode_ok = 0
    order_bad = 0
    for s in scores:
        cls, x = rows[(s["asset"], s["ts"])]
        feats, m = refs[cls]
        if np.isnan(x).any():
            continue
        T = np.where(m["logt"], np.log(np.maximum(
            x, np.where(m["logt"], m["floor"], 1))), x)
        b = m["base"].get(s["asset"], m["center"])
        v = (T - b) / m["scale"] - m["mean"]
        w = np.linalg.solve(m["cov"], v)
        c = v * w
        f, lo, hi = calibrate(m, c.sum())
        worst["score"] = max(worst["score"], abs(f - s["score"]))
        worst["band"] = max(worst["band"], abs(lo - s["band"][0]),
                            abs(hi - s["band"][1]))
        pos = c[c > 0].sum()
        order = [i for i in np.argsort(-c, kind="stable") if c[i] > 0][:5]
        got = [feats.index(e["feature"]) for e in s["contrib"]]
        if got != order:
            # ties within rounding may swap; compare the values instead
            if not np.allclose(sorted(c[got]), sorted(c[order]),
                               rtol=1e-9):
                order_bad += 1
        for e in s["contrib"]:
            i = feats.index(e["feature"])
            worst["share"] = max(worst["share"],
                                 abs(e["share"] - c[i] / pos))
            worst["z"] = max(worst["z"], abs(e["z"] - v[i] /
                                             math.sqrt(m["cov"][i, i])))
        if s["modes"]:
            modes = json.load(open(os.path.join(
                TOP, "examples", "plant1", "classes",
                cls + ".json")))["modes"]
            ps = []
            for md in modes:
                sc = sum(sg["weight"] * c[feats.index(sg["feature"])]
                         for sg in md["signature"]
                         if c[feats.index(sg["feature"])] > 0 and
                         v[feats.index(sg["feature"])] > 0)
                ps.append(sc / pos)
            nmode += 1
            best = modes[int(np.argmax(ps))]["mode"]
            nmode_ok += (best == s["modes"][0]["mode"] and
                         abs(max(ps) - s["modes"][0]["p"]) <= 5.1e-5)
    report(worst["score"] < 1e-11, "scores agree (max diff %.1e)" %
           worst["score"], "max diff %g" % worst["score"])
    report(worst["band"] < 1e-11, "bands agree (max diff %.1e)" %
           worst["band"], "max diff %g" % worst["band"])
    report(order_bad == 0, "contribution ranking agrees",
           "%d differ" % order_bad)
    report(worst["share"] <= 5.1e-5, "contribution shares agree (max diff "
           "%.1e, printed to 4 places)" % worst["share"],
           "max diff %g" % worst["share"])
    report(worst["z"] <= 5.1e-3, "contribution z agree (max diff %.1e, "
           "printed to 2 places)" % worst["z"], "max diff %g" % worst["z"])
    report(nmode > 0 and nmode == nmode_ok,
           "first failure mode and p agree in %d of %d flagged windows" %
           (nmode_ok, nmode), "differ")


if __name__ == "__main__":
    sys.exit(main())
