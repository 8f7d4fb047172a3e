#!/bin/sh
# retrain-registry.sh - twin-retrain's registry: the promotion gate both
# ways, idempotent re-runs, dry runs, rollback byte for byte, SIGKILL during
# promotion, refusal of tampered, truncated and foreign-tenant models, the
# cron lock, and bundles.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
PY=/usr/bin/python3
GEN="$TOP/tests/integration/score-fleet.py"
CL="$TOP/examples/plant1/classes"
POL="$TOP/examples/plant1/policy.json"
tmp=$(mktemp -d /tmp/twin-reg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
R="$tmp/reg"
A="$R/acme"

ok() { echo "ok - registry: $1"; }
nok() { echo "not ok - registry: $1"; }
check() { # check NAME COMMAND...: ok when the command succeeds
	name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
prod() { cat "$A/production" 2>/dev/null; }

$PY "$GEN" gen --weeks 5 --seed 1 > "$tmp/h1.ndjson" || exit 1
$PY "$GEN" gen --weeks 5 --seed 2 > "$tmp/h2.ndjson" || exit 1
$PY "$GEN" gen --weeks 5 --seed 3 > "$tmp/h3.ndjson" || exit 1

# 1. the first model: gate holds on the hold-out with faults -> promoted
twin-retrain -q -r "$R" -C "$CL" -P "$POL" train "$tmp/h1.ndjson" \
    > "$tmp/out1" 2> "$tmp/err1"
rc=$?
check "first training is promoted (exit 0, got $rc)" test $rc -eq 0
m1=$(prod)
check "production names a stored model" test -f "$A/models/$m1.json"
check "the model has a card" test -f "$A/cards/$m1.json"
cp "$A/models/$m1.json" "$tmp/m1.json"
check "stdout reports the promotion" grep -q '"result":"promoted"' \
    "$tmp/out1"

# 2. the same data again: same model, nothing to do
twin-retrain -q -r "$R" -C "$CL" -P "$POL" train "$tmp/h1.ndjson" \
    > /dev/null 2>&1
rc=$?
check "re-run on the same data: nothing to do (exit 11, got $rc)" \
    test $rc -eq 11
check "re-run leaves production alone" test "$(prod)" = "$m1"

# 3. the gate does not hold -> kept, with the reason in the ledger
sed 's/"min_lead_time": "12h"/"min_lead_time": "500h"/' "$POL" \
    > "$tmp/strict.json"
twin-retrain -r "$R" -C "$CL" -P "$tmp/strict.json" train \
    "$tmp/h2.ndjson" > /dev/null 2> "$tmp/err3"
rc=$?
check "gate fails: candidate kept (exit 10, got $rc)" test $rc -eq 10
check "kept: production unchanged" test "$(prod)" = "$m1"
check "kept: the reason is said" grep -q 'kept out of production: lead time' \
    "$tmp/err3"
check "kept: ledger has a keep entry with the reason" \
    grep -q '"event":"keep".*"reason":"lead time' "$A/ledger.ndjson"
twin-retrain -q -r "$R" -C "$CL" -P "$tmp/strict.json" train \
    "$tmp/h2.ndjson" > /dev/null 2>&1
rc=$?
check "a kept model is not evaluated again (exit 11, got $rc)" \
    test $rc -eq 11

# 4. dry run: says what would happen, writes nothing
n0=$(ls "$A/models" | wc -l)
l0=$(wc -l < "$A/ledger.ndjson")
twin-retrain -n -r "$R" -C "$CL" -P "$POL" train "$tmp/h3.ndjson" \
    > /dev/null 2> "$tmp/err4"
rc=$?
check "dry run: would promote (exit 0, got $rc)" test $rc -eq 0
check "dry run: no model, no ledger entry, same production" \
    test "$(ls "$A/models" | wc -l)" -eq "$n0" -a \
    "$(wc -l < "$A/ledger.ndjson")" -eq "$l0" -a "$(prod)" = "$m1"

# 5. the gate holds on new data -> promoted, card names its parent
twin-retrain -q -r "$R" -C "$CL" -P "$POL" --trigger cron train \
    "$tmp/h3.ndjson" > /dev/null 2>&1
rc=$?
m3=$(prod)
check "second model promoted (exit 0, got $rc)" test $rc -eq 0 -a \
    "$m3" != "$m1"
check "its card names the parent model" grep -q "\"parent\":\"$m1\"" \
    "$A/cards/$m3.json"
check "ledger records train, evaluate and promote with the trigger" \
    grep -q "\"event\":\"promote\",\"model_sha256\":\"$m3\",\"previous\":\"$m1\",\"trigger\":\"cron\"" \
    "$A/ledger.ndjson"

# 6. rollback restores the previous model byte for byte
twin-retrain -q -r "$R" -T acme rollback
rc=$?
check "rollback (exit 0, got $rc)" test $rc -eq 0 -a "$(prod)" = "$m1"
check "rollback restores the previous model byte-identically" \
    cmp -s "$A/models/$(prod).json" "$tmp/m1.json"
twin-retrain -q -r "$R" -T acme promote "$(echo "$m3" | cut -c1-12)"
check "promote by a short name" test "$(prod)" = "$m3"

# 7. SIGKILL during promotion: the pointer is always old or new, never a mix
bad=0
i=0
while [ $i -lt 30 ]; do
	if [ $((i % 2)) -eq 0 ]; then to=$m1; else to=$m3; fi
	twin-retrain -q -r "$R" -T acme promote "$to" 2> /dev/null &
	pid=$!
	$PY -c "import time, random; time.sleep(random.random() * 0.004)"
	kill -9 $pid 2> /dev/null
	wait $pid 2> /dev/null
	p=$(prod)
	if [ "$p" != "$m1" ] && [ "$p" != "$m3" ]; then
		bad=$((bad + 1))
	fi
	if [ "$(wc -c < "$A/production")" -ne 65 ]; then
		bad=$((bad + 1))
	fi
	i=$((i + 1))
done
check "30 SIGKILLs during promotion: production always old or new ($bad bad)" \
    test $bad -eq 0
twin-score -q -r "$R" -T acme -d 0 "$tmp/h1.ndjson" > /dev/null 2>&1
check "the pointer left by the kills loads and scores" test $? -eq 0

# 8. tampered, truncated and foreign-tenant models are refused
twin-retrain -q -r "$R" -T acme promote "$m1" 2> /dev/null
sed 's/"tenant":"acme"/"tenant":"acmf"/' "$tmp/m1.json" > "$tmp/alt.json"
cp "$A/models/$m3.json" "$tmp/m3.json"
cp "$tmp/alt.json" "$A/models/$m3.json"
twin-retrain -r "$R" -T acme promote "$m3" 2> "$tmp/err8"
rc=$?
check "altered model refused (exit 3, got $rc)" test $rc -eq 3
check "altered: says why" grep -q 'does not match its name' "$tmp/err8"
check "altered: production keeps the old model" test "$(prod)" = "$m1"
head -c 1000 "$tmp/m3.json" > "$A/models/$m3.json"
twin-retrain -r "$R" -T acme promote "$m3" 2> "$tmp/err8b"
rc=$?
check "truncated model refused (exit 3, got $rc)" test $rc -eq 3
cp "$tmp/m3.json" "$A/models/$m3.json"
# a model of another tenant, stored under its true name
sed 's/"tenant":"acme"/"tenant":"globex"/' "$tmp/m3.json" > "$tmp/g.json"
gsha=$(sha256sum "$tmp/g.json" | cut -c1-64)
cp "$tmp/g.json" "$A/models/$gsha.json"
twin-retrain -r "$R" -T acme promote "$gsha" 2> "$tmp/err8c"
rc=$?
check "foreign-tenant model refused (exit 3, got $rc)" test $rc -eq 3 -a \
    "$(prod)" = "$m1"
check "foreign: says whose it is" grep -q "model of tenant 'globex', not 'acme'" \
    "$tmp/err8c"
printf '%s\n' "$gsha" > "$A/production"
twin-score -r "$R" -T acme -d 0 "$tmp/h1.ndjson" > /dev/null 2> "$tmp/err8d"
rc=$?
check "twin-score refuses to start on a foreign model (exit 3, got $rc)" \
    test $rc -eq 3
printf '%s\n' "$m1" > "$A/production"
rm -f "$A/models/$gsha.json"

# 9. the cron lock: a second run while the lock is held gives up (75)
if command -v flock > /dev/null 2>&1; then
	flock "$A/lock" sleep 3 &
	lpid=$!
	sleep 0.5
	twin-retrain -r "$R" -C "$CL" -P "$POL" train "$tmp/h3.ndjson" \
	    > /dev/null 2> "$tmp/err9"
	rc=$?
	check "locked registry: exit 75 (got $rc)" test $rc -eq 75
	check "locked: says so" grep -q 'locked by another run' "$tmp/err9"
	kill $lpid 2> /dev/null
	wait $lpid 2> /dev/null
else
	echo "skip - registry: lock: flock(1) not installed"
fi

# 10. bundles: export, import into another registry, byte for byte
twin-retrain -q -r "$R" -T acme export "$m3" "$tmp/b.tar.gz"
rc=$?
check "export (exit 0, got $rc)" test $rc -eq 0
check "the bundle is a tar.gz with model and card" sh -c \
    "tar tzf '$tmp/b.tar.gz' | sort | tr '\n' ' ' | grep -q '$m3.card.json $m3.model.json'"
twin-retrain -q -r "$tmp/site2" -T acme import "$tmp/b.tar.gz"
rc=$?
check "import (exit 0, got $rc)" test $rc -eq 0
check "imported model is byte-identical" cmp -s \
    "$tmp/site2/acme/models/$m3.json" "$A/models/$m3.json"
check "imported card is there" test -f "$tmp/site2/acme/cards/$m3.json"
twin-retrain -q -r "$tmp/site3" -T globex import "$tmp/b.tar.gz" 2> /dev/null
rc=$?
check "import into another tenant refused (exit 3, got $rc)" test $rc -eq 3
# an altered bundle: the model inside no longer matches its name
mkdir "$tmp/x" && (cd "$tmp/x" && tar xzf "$tmp/b.tar.gz" &&
    sed -i 's/"rows":/"rows" :/' "$m3.model.json" &&
    tar czf "$tmp/bad.tar.gz" ./*.json)
twin-retrain -q -r "$tmp/site4" -T acme import "$tmp/bad.tar.gz" \
    2> "$tmp/err10"
rc=$?
check "altered bundle refused (exit 3, got $rc)" test $rc -eq 3
exit 0
