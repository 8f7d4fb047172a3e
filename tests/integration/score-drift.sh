#!/bin/sh
# score-drift.sh - drift: a shifted feature distribution makes twin-score
# emit drift records and twin-retrain retrain on them; an unshifted one
# gives no drift record and nothing to do.  Features whose distributions
# stay but whose correlation breaks give score drift alone.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
PY=/usr/bin/python3
GEN="$TOP/tests/integration/score-fleet.py"
CL="$TOP/examples/plant1/classes"
POL="$TOP/examples/plant1/policy.json"
tmp=$(mktemp -d /tmp/twin-drift.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
R="$tmp/reg"

check() {
	name=$1
	shift
	if "$@"; then echo "ok - drift: $name"; else echo "not ok - drift: $name"; fi
}

$PY "$GEN" gen --weeks 5 --no-faults --seed 11 > "$tmp/hist.ndjson" || exit 1
twin-retrain -q -r "$R" -C "$CL" -P "$POL" train "$tmp/hist.ndjson" \
    > /dev/null 2>&1
rc=$?
check "model on healthy history promoted (exit 0, got $rc)" test $rc -eq 0
m0=$(cat "$R/acme/production")

# three more weeks as before (no shift), then three weeks shifted
$PY "$GEN" gen --weeks 3 --no-faults --seed 12 \
    --start 2026-10-06T00:00:00 > "$tmp/same.ndjson"
$PY "$GEN" gen --weeks 3 --no-faults --seed 13 --shift 0.5 \
    --start 2026-10-06T00:00:00 > "$tmp/shift.ndjson"

twin-score -q -r "$R" -T acme -d 7d "$tmp/same.ndjson" > "$tmp/same.out"
rc=$?
n=$(grep -c '"kind":"drift"' "$tmp/same.out")
check "unshifted: scores and no drift record (exit $rc, $n drift)" \
    test $rc -eq 0 -a "$n" -eq 0
twin-score -q -r "$R" -T acme -d 7d "$tmp/shift.ndjson" > "$tmp/shift.out"
rc=$?
n=$(grep -c '"kind":"drift"' "$tmp/shift.out")
check "shifted: drift records ($n)" test $rc -eq 0 -a "$n" -gt 0
check "drift records name the feature, PSI and model" grep -q \
    "\"kind\":\"drift\".*\"feature\":\"vibration.de.x:rms\",\"stat\":\"psi\".*\"model_sha256\":\"$m0\"" \
    "$tmp/shift.out"
# only complete weeks are judged: windows of 2026-10-08 and 10-15 end
# inside the data; the last, partial one is not
check "drift windows are whole event-time weeks" sh -c \
    "grep '\"kind\":\"drift\"' '$tmp/shift.out' | grep -v -q '\"window\":{\"start\":\"2026-10-\(01\|08\|15\|22\)T00:00:00.000Z\"' && exit 1; exit 0"

n=$(grep -c '"kind":"drift".*"of":"score"' "$tmp/shift.out")
check "shifted: the scores drift too ($n score drift records)" test "$n" -gt 0

# the same features, each distributed as before, but the common variation
# of the pumps' vibration features drawn for each on its own: no feature
# moves, the scores (the joint distribution) do
$PY "$GEN" gen --weeks 3 --no-faults --seed 13 --decorrelate \
    --start 2026-10-06T00:00:00 > "$tmp/decor.ndjson"
twin-score -q -r "$R" -T acme -d 7d "$tmp/decor.ndjson" > "$tmp/decor.out"
rc=$?
nf=$(grep '"kind":"drift"' "$tmp/decor.out" | grep -c '"feature":')
ns=$(grep -c '"kind":"drift".*"class":"centrifugal_pump","of":"score","stat":"psi"' \
    "$tmp/decor.out")
check "decorrelated: no feature drifts (exit $rc, $nf feature drift)" \
    test $rc -eq 0 -a "$nf" -eq 0
check "decorrelated: the pumps' scores drift ($ns score drift records)" \
    test "$ns" -gt 0
# the PSI of the score deciles, recomputed from the score records of
# each judged week against the tenths a calibrated score falls in
$PY - "$tmp/decor.out" <<'PY'
import json, sys
import numpy as np
recs = [json.loads(l) for l in open(sys.argv[1])]
bad = 0
drift = [r for r in recs if r["kind"] == "drift" and r.get("of") == "score"]
for d in drift:
    s = np.array([r["score"] for r in recs if r["kind"] == "score" and
                  r["class"] == d["class"] and "score" in r and
                  d["window"]["start"] < r["ts"] <= d["window"]["end"]])
    a = np.histogram(s, bins=np.linspace(0, 1, 11))[0] / len(s)
    a = np.maximum(a, 1e-4)
    psi = float(np.sum((a - 0.1) * np.log(a / 0.1)))
    if len(s) != d["window"]["n"] or abs(psi - d["value"]) > 1e-3:
        bad += 1
        print("# %s: n %d vs %d, psi %.4f vs %.4f" % (d["ts"], len(s),
              d["window"]["n"], psi, d["value"]))
print("%s - drift: score PSI agrees with numpy over %d drift records" %
      ("ok" if bad == 0 and drift else "not ok", len(drift)))
PY
# score drift alone is a reason to retrain (a dry run: the registry stays)
grep '"kind":"drift"' "$tmp/decor.out" > "$tmp/decor.drift"
sed 's/"holdout": "14d"/"holdout": "7d"/' "$POL" > "$tmp/policy7.json"
twin-retrain -q -n -r "$R" -C "$CL" -P "$tmp/policy7.json" \
    -d "$tmp/decor.drift" train "$tmp/decor.ndjson" > /dev/null 2>&1
rc=$?
check "score drift alone: retrain trains (exit 0 or 10, got $rc)" \
    sh -c "[ $rc -eq 0 ] || [ $rc -eq 10 ]"

grep '"kind":"drift"' "$tmp/same.out" > "$tmp/same.drift"
twin-retrain -q -r "$R" -C "$CL" -P "$POL" -d "$tmp/same.drift" train \
    "$tmp/hist.ndjson" "$tmp/same.ndjson" > /dev/null 2>&1
rc=$?
check "no drift: retrain has nothing to do (exit 11, got $rc)" \
    test $rc -eq 11 -a "$(cat "$R/acme/production")" = "$m0"

# the plant changed: retrain on the recent weeks, hold out the last one
grep '"kind":"drift"' "$tmp/shift.out" > "$tmp/shift.drift"
sed 's/"holdout": "14d"/"holdout": "7d"/' "$POL" > "$tmp/policy.json"
twin-retrain -q -r "$R" -C "$CL" -P "$tmp/policy.json" -d "$tmp/shift.drift" \
    train "$tmp/shift.ndjson" > "$tmp/retrain.out" 2>&1
rc=$?
check "drift: retrain trains, and the candidate beats production (exit 0, got $rc)" \
    test $rc -eq 0
check "drift: the ledger says the trigger was drift" grep -q \
    '"event":"train".*"trigger":"drift"' "$R/acme/ledger.ndjson"
if [ $rc -eq 0 ]; then
	m1=$(cat "$R/acme/production")
	twin-score -q -r "$R" -T acme -d 7d "$tmp/shift.ndjson" \
	    > "$tmp/after.out"
	check "against the new model the shifted weeks drift less" test \
	    "$(grep -c '"kind":"drift"' "$tmp/after.out")" -lt \
	    "$(grep -c '"kind":"drift"' "$tmp/shift.out")" -a "$m1" != "$m0"
fi
exit 0
