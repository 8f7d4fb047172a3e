#!/bin/sh
# score-drift.sh - drift: a shifted feature distribution makes twin-score
# emit drift records and twin-retrain retrain on them; an unshifted one
# gives no drift record and nothing to do.
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
