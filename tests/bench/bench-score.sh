#!/bin/sh
# bench-score.sh - twin-score's scoring throughput and twin-retrain's
# training time against scikit-learn doing the same model on the same
# features in the same run (targets: scoring >= 10x, training >= 3x); then
# the measurement behind the choice of model: the robust Mahalanobis model
# against an isolation forest, and the empirical calibration against a
# chi-square one, on the example fleet with injected faults.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
B=${BENCH_DIR:-$(mktemp -d)}
PY=/usr/bin/python3
GEN="$TOP/tests/integration/score-fleet.py"
CL="$TOP/examples/plant1/classes"
R="$B/score-reg"
rm -rf "$R"
mkdir -p "$B"

# 1. data: eight weeks of the fleet at 10-minute windows
$PY "$GEN" gen --weeks 8 --step-min 10 --no-faults --seed 31 \
    > "$B/train.ndjson"
$PY "$GEN" gen --weeks 4 --step-min 10 --seed 32 \
    --start 2026-10-27T00:00:00 > "$B/score.ndjson"
nt=$(grep -c '"kind":"feature"' "$B/train.ndjson")
ns=$(grep -c '"kind":"feature"' "$B/score.ndjson")
printf '{"tenant":"acme","holdout":"0s"}\n' > "$B/policy.json"
echo "   data: $nt feature records to train on, $ns to score"

# 2. training; each run's wall and CPU seconds by time(1), the best of
# three, since a shared machine's clock says much about the neighbours
# (the Python reference times its own work: see now() below)
run() { # run OUT CMD...: the best "wall cpu" of three runs
	out=$1
	shift
	: > "$out.all"
	for i in 1 2 3; do
		[ "$1" = twin-retrain ] && rm -rf "$R"
		/usr/bin/time -f '%e %U %S' -o "$out.t" "$@" > "$out" ||
		    return 1
		cat "$out.t" >> "$out.all"
	done
	awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 + $3 < c {
	    c = $2 + $3 } END { printf "%.2f %.2f\n", w, c }' "$out.all"
}
set -- $(run "$B/ctrain" twin-retrain -q -r "$R" -C "$CL" \
    -P "$B/policy.json" train "$B/train.ndjson")
[ -f "$R/acme/production" ] || { echo "   twin-retrain failed"; exit 1; }
cwall=$1
ccpu=$2
sha=$(cat "$R/acme/production")

cat > "$B/ref.py" <<'PY'
import json, sys, time
import numpy as np
from sklearn.covariance import LedoitWolf

def rows(path, feats_of, meta=None):
    """Group feature records into (class, asset, ts) -> feature dict;
    meta, when given, gets each row's site, sources, earliest window
    start and feature spec digest for the score record's prov."""
    g = {}
    for line in open(path):
        r = json.loads(line)
        if r["kind"] != "feature":
            continue
        key = (r["class"], r["asset"], r["ts"])
        d = g.setdefault(key, {})
        ch = r["channel"]
        for k, v in r["f"].items():
            d[ch + ":" + k] = v
        if meta is not None:
            m = meta.get(key)
            pv = r["prov"]
            if m is None:
                meta[key] = [r.get("site"), list(pv["src"]),
                             r["window"]["start"], pv.get("spec_sha256")]
            else:
                for s in pv["src"]:
                    if s not in m[1]:
                        m[1].append(s)
                if r["window"]["start"] < m[2]:
                    m[2] = r["window"]["start"]
    out = {}
    for (cls, a, ts), d in g.items():
        fs = feats_of(cls)
        if fs is None or not all(f in d for f in fs):
            continue
        o = out.setdefault(cls, ([], [], []))
        o[0].append(a); o[1].append(ts); o[2].append([d[f] for f in fs])
    return {c: (np.array(a), t, np.array(x, float))
            for c, (a, t, x) in out.items()}

def now():
    """Wall and CPU seconds: the work is timed from reading the inputs to
    the last output, without the interpreter's start and the imports of
    numpy and scikit-learn (about a second), which say nothing about
    throughput."""
    return time.perf_counter(), time.process_time()

def train(path, classes_dir):
    t0 = now()
    feats = {}
    def feats_of(c):
        if c not in feats:
            try:
                j = json.load(open(classes_dir + "/" + c + ".json"))
                feats[c] = [ch["channel"] + ":" + f for ch in j["channels"]
                            for f in ch["features"]]
            except OSError:
                feats[c] = None
        return feats[c]
    data = rows(path, feats_of)
    t1 = now()
    for cls, (assets, ts, X) in data.items():
        logt = X.min(axis=0) > 0
        fl = np.where(logt, X.min(axis=0) / 2, 1)
        T = np.where(logt, np.log(np.maximum(X, fl)), X)
        base = {a: np.median(T[assets == a], axis=0) for a in set(assets)}
        B = np.array([base[a] for a in assets])
        R = T - B
        scale = 1.4826 * np.median(np.abs(R), axis=0)
        Z = R / scale
        lw = LedoitWolf().fit(Z)
        d2 = lw.mahalanobis(Z)
        q = np.quantile(d2, np.arange(100) / 100)
        np.quantile(Z, np.arange(1, 10) / 10, axis=0)
    t2 = now()
    return t2[0] - t0[0], t2[1] - t0[1], t2[0] - t1[0]

def score(path, model, outpath):
    t0 = now()
    out = open(outpath, "w")
    m = json.load(open(model))
    m_sha = model.rsplit("/", 1)[-1][:64]
    cl = m["classes"]
    meta = {}
    data = rows(path, lambda c: cl[c]["features"] if c in cl else None, meta)
    n = 0
    for cls, (assets, ts, X) in data.items():
        s = cl[cls]
        logt = np.array([t == "log" for t in s["transform"]])
        T = np.where(logt, np.log(np.maximum(X, np.where(logt, s["floor"],
                                                          1))), X)
        B = np.array([s["assets"].get(a, s["center"]) for a in assets])
        Z = (T - B) / np.array(s["scale"])
        lw = LedoitWolf()
        lw.location_ = np.array(s["mean"])
        lw._set_covariance(np.array(s["cov"]))
        d2 = lw.mahalanobis(Z)
        V = Z - lw.location_
        C = V * (V @ lw.precision_)
        cal = s["calibration"]
        q = np.array(cal["quantiles"])
        sc = np.where(d2 > q[99],
                      1 - 0.01 * np.exp(-(d2 - q[99]) /
                                        cal["tail_mean_excess"]),
                      np.interp(d2, q, np.arange(100) / 100))
        top = np.argsort(-C, axis=1)[:, :5]
        n += len(sc)
        # the same records twin-score writes: score, band, severity,
        # the top contributions with value, baseline, z and share
        se = np.sqrt(sc * (1 - sc) / cal["n"]) * 1.96
        bl = np.where(logt, np.exp(B + lw.location_ * s["scale"]),
                      B + lw.location_ * s["scale"])
        zz = V / np.sqrt(np.diag(lw.covariance_))
        pos = np.where(C > 0, C, 0).sum(axis=1)
        fs = s["features"]
        fix = {f: j for j, f in enumerate(fs)}
        # failure modes: the weighted share of the positive contributions
        # of each mode's signature features that lie above their baseline
        W = np.zeros((len(s["modes"]), len(fs)))
        for k, md in enumerate(s["modes"]):
            for sg in md["signature"]:
                W[k, fix[sg["feature"]]] += sg["weight"]
        MP = (np.where((C > 0) & (V > 0), C, 0) @ W.T) / pos[:, None]
        morder = np.argsort(-MP, axis=1, kind="stable")[:, :3].tolist()
        # the per-record loop on Python lists: indexing numpy arrays one
        # element at a time would make the reference slower than it is
        X, bl, zz, C, MP, top = (a.tolist() for a in (X, bl, zz, C, MP,
                                                      top))
        sc, se, pos = sc.tolist(), se.tolist(), pos.tolist()

        def feat(i, j):
            return {"feature": fs[j], "value": X[i][j],
                    "baseline": float("%.6g" % bl[i][j]),
                    "z": round(zz[i][j], 2)}
        for i in range(len(sc)):
            sev = ("alarm" if sc[i] >= 0.99999 else "warning"
                   if sc[i] >= 0.9999 else "watch" if sc[i] >= 0.999
                   else "normal")
            modes = []
            if sev != "normal":
                for k in morder[i]:
                    if MP[i][k] < 0.05:
                        break
                    md = s["modes"][k]
                    modes.append({"mode": md["mode"],
                                  "p": round(MP[i][k], 4),
                                  "title": md["title"],
                                  "action": md["action"],
                                  "evidence": [feat(i, fix[sg["feature"]])
                                               for sg in md["signature"]]})
            site, src, start, spec = meta[(cls, assets[i], ts[i])]
            rec = {"kind": "score", "ts": ts[i], "tenant": "acme",
                   "site": site, "asset": assets[i], "class": cls,
                   "score": round(sc[i], 12),
                   "band": [round(max(0, sc[i] - se[i]), 12),
                            round(min(1, sc[i] + se[i]), 12)],
                   "severity": sev, "modes": modes,
                   "contrib": [dict(feat(i, j),
                                    share=round(C[i][j] / pos[i], 4))
                               for j in top[i] if C[i][j] > 0],
                   "dq": {"flags": []},
                   "prov": {"src": src, "from": start, "to": ts[i],
                            "model_sha256": m_sha,
                            "spec_sha256": spec, "twin_score": "0.1.0"}}
            out.write(json.dumps(rec, separators=(",", ":")) + "\n")
    out.close()
    t2 = now()
    return t2[0] - t0[0], t2[1] - t0[1], n

if sys.argv[1] == "train":
    print("%.4f %.4f %.4f" % train(sys.argv[2], sys.argv[3]))
else:
    print("%.4f %.4f %d" % score(sys.argv[2], sys.argv[3], sys.argv[4]))
PY
# pyrun OUT CMD...: the best wall and CPU seconds of three runs of the
# reference, as it times its own work; OUT keeps the last run's figures
pyrun() {
	out=$1
	shift
	: > "$out.all"
	for i in 1 2 3; do
		"$@" > "$out" || return 1
		cat "$out" >> "$out.all"
	done
	awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 < c { c = $2 }
	    END { printf "%.2f %.2f\n", w, c }' "$out.all"
}
set -- $(pyrun "$B/ptrain" $PY "$B/ref.py" train "$B/train.ndjson" "$CL")
pwall=$1
pcpu=$2
pfit=$(cut -d' ' -f3 "$B/ptrain")
ratio() { echo "$1 / $2" | bc -l | xargs printf %.1f; }
echo "   training: twin-retrain ${cwall} s wall, ${ccpu} s CPU;" \
    "scikit-learn ${pwall} s wall, ${pcpu} s CPU (its fit alone ${pfit} s):" \
    "$(ratio "$pwall" "$cwall")x wall, $(ratio "$pcpu" "$ccpu")x CPU (target 3x)"

# 3. scoring: both read the same records and write the same score
# records: site, score, band, severity, failure modes with evidence for
# scores at watch or above, the top contributions, prov
set -- $(run "$B/cscore" twin-score -q -r "$R" -T acme -d 0 \
    "$B/score.ndjson")
cwall=$1
ccpu=$2
set -- $(pyrun "$B/pscore" $PY "$B/ref.py" score "$B/score.ndjson" \
    "$R/acme/models/$sha.json" "$B/pyscores.ndjson")
pwall=$1
pcpu=$2
nwin=$(cut -d' ' -f3 "$B/pscore")
echo "   scoring: twin-score ${cwall} s wall, ${ccpu} s CPU" \
    "= $(echo "$ns / $ccpu" | bc -l | xargs printf %.0f) feature records per CPU second;" \
    "scikit-learn ${pwall} s wall, ${pcpu} s CPU" \
    "= $(echo "$ns / $pcpu" | bc -l | xargs printf %.0f) ($nwin windows):" \
    "$(ratio "$pwall" "$cwall")x wall, $(ratio "$pcpu" "$ccpu")x CPU (target 10x)"

# both wrote the same records: same scores (to the 12th decimal, where
# numpy's sums may differ from twin-score's in the last place), modes
# and contributions
$PY - "$B/cscore" "$B/pyscores.ndjson" <<'PY'
import json, sys
t = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["kind"] == "score":
        t[(r["asset"], r["ts"])] = r
n = same = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    n += 1
    c = t.pop((r["asset"], r["ts"]), None)
    if c is not None and abs(c["score"] - r["score"]) <= 2e-12 and \
            [m["mode"] for m in c["modes"]] == [m["mode"] for m in
                                                r["modes"]] and \
            [f["feature"] for f in c["contrib"]] == [f["feature"] for f in
                                                     r["contrib"]]:
        same += 1
print("   the same work: %d of %d scikit-learn score records agree with "
      "twin-score's (score, modes, contributions); %d only in twin-score"
      % (same, n, len(t)))
PY

# 4. the choice of model, on the fleet with faults
$PY "$GEN" gen --weeks 8 --seed 33 > "$B/fleet.ndjson"
$PY "$GEN" gen --weeks 4 --no-faults --seed 34 \
    --start 2026-10-27T00:00:00 > "$B/healthy.ndjson"
cat > "$B/choice.py" <<'PY'
import json, sys
import numpy as np
from scipy.stats import chi2
from sklearn.covariance import LedoitWolf
from sklearn.ensemble import IsolationForest
sys.path.insert(0, sys.argv[4])
import importlib.util
spec = importlib.util.spec_from_file_location("fleet", sys.argv[4] +
                                              "/score-fleet.py")
fl = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fl)
fleet, healthy, classes = sys.argv[1], sys.argv[2], sys.argv[3]

def load(path):
    g = {}
    labels = []
    for line in open(path):
        r = json.loads(line)
        if r["kind"] == "label":
            labels.append(r)
            continue
        d = g.setdefault((r["class"], r["asset"], fl.ts_of(r["ts"])), {})
        for k, v in r["f"].items():
            d[r["channel"] + ":" + k] = v
    return g, labels

def feats(cls):
    j = json.load(open(classes + "/" + cls + ".json"))
    return [c["channel"] + ":" + f for c in j["channels"]
            for f in c["features"]]

g, labels = load(fleet)
gh, _ = load(healthy)
t_end = max(k[2] for k in g)
split = t_end - 14 * 86400
res = {"mahalanobis": [0, 0, {}], "iforest": [0, 0, {}],
       "mahalanobis-chi2": [0, 0, {}]}
hwin = {k: [0, 0] for k in res}
for cls in ("centrifugal_pump", "electric_motor", "fan"):
    fs = feats(cls)
    def mat(gg, cond):
        keys = sorted((k for k in gg if k[0] == cls and cond(k[2])),
                      key=lambda k: (k[2], k[1]))
        return keys, np.array([[gg[k][f] for f in fs] for k in keys])
    ktr, X = mat(g, lambda t: t <= split)
    a = np.array([k[1] for k in ktr])
    logt = X.min(axis=0) > 0
    flo = np.where(logt, X.min(axis=0) / 2, 1)
    tf = lambda M: np.where(logt, np.log(np.maximum(M, flo)), M)
    T = tf(X)
    base = {x: np.median(T[a == x], axis=0) for x in set(a)}
    R = T - np.array([base[x] for x in a])
    scale = 1.4826 * np.median(np.abs(R), axis=0)
    Z = R / scale
    lw = LedoitWolf().fit(Z)
    d2 = lw.mahalanobis(Z)
    q = np.quantile(d2, np.arange(100) / 100)
    th = d2[d2 > q[99]].mean() - q[99]
    iso = IsolationForest(n_estimators=200, random_state=0).fit(Z)
    s_tr = -iso.score_samples(Z)
    def scores(keys, M):
        aa = np.array([k[1] for k in keys])
        Zn = (tf(M) - np.array([base[x] for x in aa])) / scale
        dd = lw.mahalanobis(Zn)
        emp = np.where(dd > q[99], 1 - 0.01 * np.exp(-(dd - q[99]) / th),
                       np.interp(dd, q, np.arange(100) / 100))
        c2 = chi2.cdf(dd, len(fs))
        si = -iso.score_samples(Zn)
        # the forest's score mapped to the same scale: its empirical
        # distribution on the training windows
        fi = np.searchsorted(np.sort(s_tr), si) / len(s_tr)
        return {"mahalanobis": emp, "mahalanobis-chi2": c2, "iforest": fi}
    for src, cond in ((g, lambda t: t > split), (gh, lambda t: True)):
        keys, M = mat(src, cond)
        sc = scores(keys, M)
        for name, s in sc.items():
            run = {}
            for k, v in zip(keys, s):
                hit = v >= 0.9999
                run[k[1]] = run.get(k[1], 0) + 1 if hit else 0
                if src is gh:
                    hwin[name][0] += 1
                    hwin[name][1] += v >= 0.999
                if run[k[1]] != 3:
                    continue
                lb = [l for l in labels if l["asset"] == k[1]]
                if src is g and lb and fl.ts_of(lb[0]["from"]) <= k[2] <= \
                        fl.ts_of(lb[0]["to"]):
                    d = res[name][2]
                    if k[1] not in d:
                        d[k[1]] = (fl.ts_of(lb[0]["to"]) - k[2]) / 3600
                elif src is gh or not lb or k[2] < fl.ts_of(lb[0]["from"]):
                    res[name][0] += 1
months = 8 * 28 / 30 + sum(
    (fl.ts_of(l["from"]) - split) / 86400 / 30 for l in labels) + \
    (8 - len(labels)) * 14 / 30
for name, (fa, _, det) in res.items():
    leads = sorted(det.values())
    print("   model %-17s detected %d of %d faults, median lead %5.1f h, "
          "%d false alarms = %.2f per asset-month; healthy windows at "
          "watch or above %.3f%% (designed 0.1%%)" %
          (name, len(det), len(labels),
           np.median(leads) if leads else float("nan"), fa, fa / months,
           100.0 * hwin[name][1] / max(hwin[name][0], 1)))
PY
$PY "$B/choice.py" "$B/fleet.ndjson" "$B/healthy.ndjson" "$CL" \
    "$TOP/tests/integration"
rm -rf "$R"
