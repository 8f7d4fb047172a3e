#!/usr/bin/env python3
"""score-fleet.py - the example plant's fleet as feature records, and the
end-to-end detection check of twin-retrain and twin-score.

As a test (no arguments): a healthy fleet for six weeks, then two weeks in
which six assets develop faults of different kinds.  twin-retrain trains
on the healthy period (the hold-out is the last two weeks), twin-score
scores the hold-out, and the test checks that every fault is flagged with
its failure mode ranked first and with a lead time, and that healthy
assets raise fewer false alarms than the stated rate.

As a generator (used by the other score and retrain tests and the bench):
  score-fleet.py gen [--weeks W] [--fault-weeks F] [--seed N] [--shift X]
                     [--start ISO] [--no-faults] [--step-min M]

The generative model: each asset has its own baseline per feature (the
class value times a log-normal spread), a daily load cycle that moves the
load-dependent features, a shared per-window factor that correlates the
vibration features, and log-normal noise.  A fault grows as the square of
the time since onset and multiplies its signature features.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

DAY = 86400
TENANT = "acme"

# channel -> feature -> (class value, noise sigma, load exponent (or load
# coefficient when additive), correlated with the vibration factor,
# additive).  Multiplicative features are log-normal; additive ones
# (temperatures, slopes) are normal.
VIB = {
    "rms": (0.07, 0.08, 1.0, 1, 0), "crest": (3.2, 0.05, 0.0, 0, 0),
    "kurtosis": (2.9, 0.06, 0.0, 0, 0),
    "env_bpfo": (0.004, 0.15, 0.5, 1, 0),
    "env_bpfi": (0.004, 0.15, 0.5, 1, 0),
    "env_bsf": (0.003, 0.15, 0.5, 1, 0),
    "env_ftf": (0.002, 0.15, 0.5, 1, 0),
    "band_high": (0.02, 0.10, 0.8, 1, 0),
    "vel_rms": (1.4, 0.08, 1.0, 1, 0), "x1": (0.9, 0.08, 1.0, 1, 0),
    "x2": (0.3, 0.10, 0.7, 1, 0), "x3": (0.12, 0.12, 0.5, 1, 0),
}
CH = {
    "vibration.de.x": VIB,
    "vibration.de.y": {"x1": (0.8, 0.08, 1.0, 1, 0),
                       "x2": (0.25, 0.10, 0.7, 1, 0)},
    "velocity.de.x": {"mean": (1.5, 0.06, 1.0, 1, 0),
                      "max": (2.2, 0.08, 1.0, 1, 0),
                      "std": (0.2, 0.10, 0.5, 1, 0)},
    "temperature.bearing.de": {"max": (45.0, 0.6, 12.0, 0, 1),
                               "slope": (0.0, 0.15, 0.0, 0, 1)},
    "temperature.winding": {"max": (75.0, 0.8, 20.0, 0, 1),
                            "slope": (0.0, 0.2, 0.0, 0, 1)},
    "pressure.discharge": {"mean": (400.0, 0.01, 1.5, 0, 0),
                           "std": (4.0, 0.10, 0.0, 0, 0)},
    "pressure.suction": {"mean": (100.0, 0.01, 0.0, 0, 0)},
    "flow": {"mean": (120.0, 0.02, 1.0, 0, 0)},
    "current.motor": {"mean": (30.0, 0.02, 1.0, 0, 0)},
    "speed.shaft": {"mean": (1780.0, 0.001, 0.0, 0, 0)},
    "power": {"mean": (15.0, 0.02, 1.5, 0, 0)},
}
ALLVIB = list(VIB)
CLASSES = {
    "centrifugal_pump": [("vibration.de.x", ALLVIB),
                         ("vibration.de.y", ["x1", "x2"]),
                         ("velocity.de.x", ["mean"]),
                         ("temperature.bearing.de", ["max", "slope"]),
                         ("pressure.discharge", ["mean", "std"]),
                         ("pressure.suction", ["mean"]),
                         ("flow", ["mean"])],
    "electric_motor": [("vibration.de.x", ALLVIB),
                       ("temperature.winding", ["max", "slope"]),
                       ("current.motor", ["mean"]),
                       ("speed.shaft", ["mean"]), ("power", ["mean"])],
    "fan": [("velocity.de.x", ["mean", "max", "std"]),
            ("temperature.bearing.de", ["max", "slope"]),
            ("current.motor", ["mean"]), ("speed.shaft", ["mean"]),
            ("power", ["mean"])],
}
ASSETS = [("P-101", "centrifugal_pump"), ("P-102", "centrifugal_pump"),
          ("P-103", "centrifugal_pump"), ("M-101", "electric_motor"),
          ("M-102", "electric_motor"), ("M-103", "electric_motor"),
          ("F-201", "fan"), ("F-202", "fan")]

# mode -> feature -> growth at full severity: a log-multiplier for a
# multiplicative feature, an amount for an additive one
FAULTS = {
    "bearing_outer_race": {"vibration.de.x:env_bpfo": 3.5,
                           "vibration.de.x:kurtosis": 0.8,
                           "vibration.de.x:crest": 0.4,
                           "vibration.de.x:band_high": 0.8},
    "bearing_inner_race": {"vibration.de.x:env_bpfi": 3.5,
                           "vibration.de.x:kurtosis": 0.8,
                           "vibration.de.x:crest": 0.4,
                           "vibration.de.x:band_high": 0.8},
    "imbalance": {"vibration.de.x:x1": 1.6, "vibration.de.x:vel_rms": 0.8,
                  "velocity.de.x:mean": 1.0, "velocity.de.x:max": 1.0},
    "misalignment": {"vibration.de.x:x2": 2.2, "vibration.de.x:x1": 0.6,
                     "vibration.de.y:x2": 1.5,
                     "temperature.bearing.de:max": 4.0},
    "cavitation": {"pressure.discharge:std": 2.2,
                   "vibration.de.x:band_high": 1.2, "flow:mean": -0.1},
    "thermal_overload": {"temperature.winding:max": 45.0,
                         "current.motor:mean": 0.25,
                         "temperature.winding:slope": 1.5},
    "lubrication_breakdown": {"vibration.de.x:band_high": 2.5,
                              "temperature.bearing.de:max": 10.0,
                              "vibration.de.x:kurtosis": 0.3},
    "looseness": {"vibration.de.x:x3": 2.4, "vibration.de.x:x2": 1.0,
                  "vibration.de.x:crest": 0.3},
}

# (asset, mode, onset day into the fault period, days to failure)
FAULT_PLAN = [("P-103", "bearing_outer_race", 2.0, 7.0),
              ("P-101", "cavitation", 4.0, 6.0),
              ("M-102", "thermal_overload", 3.0, 5.0),
              ("F-201", "imbalance", 5.0, 7.0),
              ("M-101", "misalignment", 1.5, 8.0),
              ("P-102", "lubrication_breakdown", 6.0, 6.0)]


def iso(t):
    """RFC 3339 UTC with milliseconds, as tm_format prints whole seconds."""
    s = np.datetime_as_string(np.datetime64(int(round(t * 1000)), "ms"),
                              unit="ms")
    return s + "Z"


def generate(out, weeks=8.0, fault_weeks=2.0, seed=1, shift=0.0,
             start="2026-09-01T00:00:00", faults=True, step_min=30.0,
             assets=None, decorrelate=False):
    """Write feature records (and labels for the faults) to out; return
    the list of fault labels as dicts.  decorrelate draws the common
    variation of an asset's correlated features for each feature on its
    own: every feature keeps its distribution, their joint one changes."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64(start, "s").astype(np.int64).item()
    step = step_min * 60
    n = int(weeks * 7 * DAY / step)
    fault_t0 = t0 + (weeks - fault_weeks) * 7 * DAY
    plan = {}
    labels = []
    if faults:
        for a, mode, on, dur in FAULT_PLAN:
            onset = fault_t0 + on * DAY
            plan[a] = (mode, onset, onset + dur * DAY)
            labels.append({"kind": "label", "ts": iso(onset + dur * DAY),
                           "tenant": TENANT, "asset": a,
                           "outcome": "confirmed", "mode": mode,
                           "from": iso(onset), "to": iso(onset + dur * DAY)})
    arng = np.random.default_rng(1000)  # the same plant for every seed
    state = {}
    for a, cls in ASSETS:
        base = {}
        for ch, names in CLASSES[cls]:
            for f in names:
                v, sd, le, cor, add = CH[ch][f]
                base[ch + ":" + f] = (v + arng.normal(0, 4.0) if add and v
                                      else v if add else
                                      v * math.exp(arng.normal(0, 0.2)))
        phase = arng.uniform(0, 2 * math.pi)
        if not assets or a in assets:
            state[a] = (cls, base, phase)
    ends = t0 + (np.arange(n) + 1) * step
    cols = {}
    for a, cls in ASSETS:
        if a not in state:
            continue
        cls, base, phase = state[a]
        load = 1 + 0.15 * np.sin(2 * np.pi * ends / DAY + phase)
        eta = rng.normal(0, 0.06, n)
        sev = np.zeros(n)
        mode = None
        if a in plan:
            mode, onset, fail = plan[a]
            on = ends >= onset
            sev[on] = np.minimum(1.0, ((ends[on] - onset) /
                                       (fail - onset)) ** 2)
        grow = FAULTS[mode] if mode else {}
        for ch, names in CLASSES[cls]:
            f = {}
            for name in names:
                v, sd, le, cor, add = CH[ch][name]
                key = ch + ":" + name
                noise = rng.normal(0, sd, n) + shift * sd * 4
                if add:
                    f[name] = (base[key] + le * (load - 1) + noise +
                               grow.get(key, 0) * sev)
                else:
                    e = (0 if not cor else rng.normal(0, 0.06, n)
                         if decorrelate else eta)
                    f[name] = base[key] * load ** le * np.exp(
                        noise + e + grow.get(key, 0) * sev)
            cols[(a, ch)] = (cls, [(k2, ["%.6g" % x for x in v2])
                                   for k2, v2 in f.items()])
    w = out.write
    spec = "5" * 64
    for k in range(n):
        end = ends[k]
        te, tsx = iso(end), iso(end - step)
        for (a, ch), (cls, fv) in cols.items():
            fj = ",".join('"%s":%s' % (k2, v2[k]) for k2, v2 in fv)
            w('{"kind":"feature","ts":"%s","tenant":"%s","site":"plant1",'
              '"asset":"%s","class":"%s","channel":"%s","window":'
              '{"start":"%s","end":"%s","n":1},"f":{%s},"dq":{"expected":1,'
              '"received":1,"gaps":0,"nan":0,"out_of_range":0,'
              '"flatline":false,"spikes":0,"late":0},"prov":{"src":'
              '["sim:plant1"],"from":"%s","to":"%s","spec_sha256":"%s",'
              '"twin_feature":"0.1.0"}}\n' % (te, TENANT, a, cls, ch, tsx,
                                               te, fj, tsx, te, spec))
    for lb in labels:
        w(json.dumps(lb, separators=(",", ":")) + "\n")
    return labels


def parse_args(argv):
    opts = {"weeks": 8.0, "fault_weeks": 2.0, "seed": 1, "shift": 0.0,
            "start": "2026-09-01T00:00:00", "faults": True, "step_min": 30.0,
            "assets": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--no-faults":
            opts["faults"] = False
        elif a == "--decorrelate":
            opts["decorrelate"] = True
        elif a == "--assets":
            i += 1
            opts["assets"] = argv[i].split(",")
        else:
            i += 1
            key = a[2:].replace("-", "_")
            opts[key] = type(opts[key])(argv[i]) if key != "start" \
                else argv[i]
        i += 1
    return opts


def ts_of(s):
    return np.datetime64(s.rstrip("Z")).astype("datetime64[ms]").astype(
        np.int64).item() / 1000.0


def check():
    top = os.environ.get("TOP", os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", ".."))
    bindir = os.path.join(top, "bin")
    tmp = tempfile.mkdtemp(prefix="twin-fleet.")
    hist = os.path.join(tmp, "history.ndjson")
    with open(hist, "w") as fp:
        labels = generate(fp)
    reg = os.path.join(tmp, "reg")
    policy = os.path.join(top, "examples", "plant1", "policy.json")
    classes = os.path.join(top, "examples", "plant1", "classes")
    p = subprocess.run([os.path.join(bindir, "twin-retrain"), "-q", "-r",
                        reg, "-C", classes, "-P", policy, "--trigger",
                        "cron", "train", hist], capture_output=True,
                       text=True)
    ok = p.returncode == 0
    print("%s - fleet: model trained on the healthy weeks is promoted%s" %
          ("ok" if ok else "not ok", "" if ok else
           ": exit %d: %s" % (p.returncode, p.stderr.strip()[:300])))
    if not ok:
        return 1
    ev = json.loads(p.stdout.splitlines()[-1])
    cm = ev["candidate"]
    print("# retrain evaluation on the hold-out: %s" % json.dumps(cm))
    # score the hold-out with the production model
    hold_from = ts_of(ev["holdout"]["from"])
    with open(hist) as fp, open(os.path.join(tmp, "hold.ndjson"),
                                "w") as hp:
        for line in fp:
            r = json.loads(line)
            if r["kind"] == "feature" and ts_of(r["ts"]) > hold_from:
                hp.write(line)
    p = subprocess.run([os.path.join(bindir, "twin-score"), "-q", "-r", reg,
                        "-T", TENANT, "-d", "0",
                        os.path.join(tmp, "hold.ndjson")],
                       capture_output=True, text=True)
    scores = [json.loads(x) for x in p.stdout.splitlines()]
    scores = [s for s in scores if s["kind"] == "score"]
    print("%s - fleet: twin-score scores the hold-out (%d scores)" %
          ("ok" if p.returncode == 0 and scores else "not ok", len(scores)))
    with open(os.path.join(tmp, "scores.ndjson"), "w") as fp:
        fp.write(p.stdout)
    by_asset = {}
    for s in scores:
        by_asset.setdefault(s["asset"], []).append(s)
    persist = 3
    faulty = {lb["asset"]: lb for lb in labels}
    bad = 0
    fa = 0
    healthy_months = 0.0
    span = 14 * DAY
    for a, cls in ASSETS:
        ss = by_asset.get(a, [])
        run = 0
        det = None
        alerts = []
        for s in ss:
            hit = s["severity"] in ("warning", "alarm")
            run = run + 1 if hit else 0
            if run == persist:
                alerts.append(s)
        lb = faulty.get(a)
        if lb is None:
            fa += len(alerts)
            healthy_months += span / (30 * DAY)
            continue
        lo, hi = ts_of(lb["from"]), ts_of(lb["to"])
        healthy_months += (lo - hold_from) / (30 * DAY)
        for s in alerts:
            t = ts_of(s["ts"])
            if t < lo:
                fa += 1
            elif det is None and t <= hi:
                det = s
        if det is None:
            print("not ok - fleet: %s %s detected" % (a, lb["mode"]))
            bad += 1
            continue
        lead = (hi - ts_of(det["ts"])) / 3600
        first = det["modes"][0]["mode"] if det["modes"] else "(none)"
        okm = first == lb["mode"]
        print("%s - fleet: %s %s detected %.1f h before failure, first "
              "mode %s (p %.2f)" % ("ok" if okm and lead >= 24 else
                                    "not ok", a, lb["mode"], lead, first,
                                    det["modes"][0]["p"] if det["modes"]
                                    else 0))
        bad += not (okm and lead >= 24)
    # four more healthy weeks of the whole fleet, new noise, same plant
    newh = os.path.join(tmp, "healthy.ndjson")
    with open(newh, "w") as fp:
        generate(fp, weeks=4, fault_weeks=0, faults=False, seed=5,
                 start="2026-10-27T00:00:00")
    p = subprocess.run([os.path.join(bindir, "twin-score"), "-q", "-r", reg,
                        "-T", TENANT, "-d", "0", newh],
                       capture_output=True, text=True)
    run = {}
    nwin = nwatch = 0
    for line in p.stdout.splitlines():
        s = json.loads(line)
        if s["kind"] != "score":
            continue
        nwin += 1
        nwatch += s["severity"] != "normal"
        hit = s["severity"] in ("warning", "alarm")
        run[s["asset"]] = run.get(s["asset"], 0) + 1 if hit else 0
        fa += run[s["asset"]] == persist
    healthy_months += len(ASSETS) * 28 * DAY / (30 * DAY)
    print("# healthy windows above 'normal': %d of %d (%.3f%%)" %
          (nwatch, nwin, 100.0 * nwatch / max(nwin, 1)))
    rate = fa / healthy_months if healthy_months else 0
    limit = 1.0
    print("%s - fleet: %d false alarm(s) in %.2f healthy asset-months = "
          "%.2f per asset-month (limit %.1f)" %
          ("ok" if rate <= limit else "not ok", fa, healthy_months, rate,
           limit))
    # contributions explain the score: shares of the top features sum <= 1
    good = all(sum(c["share"] for c in s["contrib"]) <= 1.0003
               for s in scores)
    print("%s - fleet: contribution shares are fractions" %
          ("ok" if good else "not ok"))
    import shutil
    shutil.rmtree(tmp)
    return 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "gen":
        o = parse_args(sys.argv[2:])
        generate(sys.stdout, **o)
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())
