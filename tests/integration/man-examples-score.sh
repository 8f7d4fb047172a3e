#!/bin/sh
# man-examples-score.sh - every command of the EXAMPLES of twin-score(1)
# and twin-retrain(1), run as printed but for its paths (a temporary
# registry for /var/lib/twin/registry and /srv/site2/registry, the
# example fleet's feature history for history/*.ndjson, a day of the
# simulated example plant for samples.ndjson), and its output checked for
# what the page says it gives.  A documented command that stops working
# fails here.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
PY=/usr/bin/python3
GEN="$TOP/tests/integration/score-fleet.py"
tmp=$(mktemp -d /tmp/twin-manex.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
R="$tmp/registry"

check() {
	name=$1
	shift
	if "$@"; then echo "ok - man examples: $name"
	else echo "not ok - man examples: $name"; fi
}

# The commands run from a directory that holds examples/ as the pages
# expect; the files they name are made there.
cd "$tmp" || exit 1
ln -s "$TOP/examples" examples
mkdir history
$PY "$GEN" gen --weeks 5 --seed 21 > fleet.ndjson || exit 1
grep '"kind":"label"' fleet.ndjson > labels.ndjson
# history/*.ndjson: the five weeks in two files, in time order
grep -v '"kind":"label"' fleet.ndjson |
    awk '/"ts":"2026-09-[01]/ { print > "history/a.ndjson"; next }
    { print > "history/b.ndjson" }'

# twin-retrain(1): train and govern the example plant's models
twin-retrain -T acme -r "$R" \
    -C examples/plant1/classes -P examples/plant1/policy.json \
    train history/*.ndjson labels.ndjson > train.out 2> train.err
rc=$?
check "retrain: train promotes a model (exit 0, got $rc)" test $rc -eq 0
check "retrain: train reports the promotion" \
    grep -q '"event":"retrain","result":"promoted"' train.out
m1=$(cat "$R/acme/production" 2>/dev/null)

# twin-score(1): score the feature history with the production model
twin-score -T acme -r "$R" fleet.ndjson > scores.ndjson 2> score.err
rc=$?
n=$(grep -c '"kind":"score"' scores.ndjson)
check "score: the history is scored (exit $rc, $n scores)" \
    test $rc -eq 0 -a "$n" -gt 1000
check "score: labels pass through" test \
    "$(grep -c '"kind":"label"' scores.ndjson)" -eq 6

# the alarms of the last run with their first failure mode
jq -c 'select(.kind == "score" and .severity == "alarm") |
    [.asset, .ts, .modes[0].mode, .modes[0].p]' scores.ndjson > alarms.out
rc=$?
n=$(wc -l < alarms.out)
check "jq: alarms with their first failure mode ($n)" test $rc -eq 0 -a "$n" -gt 0
check "jq: every alarm names a mode and its share" sh -c \
    "grep -v -q -E '^\\[\"[A-Z]-[0-9]+\",\"2026-[^\"]*Z\",\"[a-z_]+\",0\\.[0-9]+\\]\$' alarms.out && exit 1; exit 0"
check "jq: the injected bearing fault of P-103 alarms as bearing_outer_race" \
    grep -q '^\["P-103",.*"bearing_outer_race"' alarms.out

# shadow mode: features kept with tee, scored beside production by a
# model named by its leading digits (TWIN_REGISTRY names the registry)
TWIN_REGISTRY=$R
export TWIN_REGISTRY
sim='sim:seed=7&start=2026-10-01&duration=1d&block=4h&scalar=5m&axes=xy'
twin-ingest -q -T acme "$sim" |
    twin-map -q -T acme -m examples/plant1/tagmap.json > samples.ndjson
twin-feature -s examples/plant1/features.json samples.ndjson 2> feature.err |
    tee features.ndjson | twin-score -T acme > scores.ndjson 2> shadow.err
rc=$?
n=$(grep -c '"kind":"score"' scores.ndjson)
check "shadow: the pipeline scores the plant's features (exit $rc, $n scores)" \
    test $rc -eq 0 -a "$n" -gt 100
short=$(echo "$m1" | cut -c1-8)
twin-score -T acme -m "$short" features.ndjson > shadow.ndjson 2>> shadow.err
rc=$?
check "shadow: -m with eight leading digits scores the kept features (exit $rc)" \
    test $rc -eq 0 -a "$(grep -c '"kind":"score"' shadow.ndjson)" -eq "$n"
check "shadow: the model named is the one that scores" \
    grep -q "\"model_sha256\":\"$m1\"" shadow.ndjson

# twin-retrain(1) from cron: the command of the crontab line, its status
# as logger(1) would log it, after a week more of history came in
$PY "$GEN" gen --weeks 1 --no-faults --seed 24 --start 2026-10-06T00:00:00 |
    grep -v '"kind":"label"' > history/c.ndjson
twin-retrain -q -r "$R" \
    -C examples/plant1/classes -P examples/plant1/policy.json --trigger cron \
    train history/*.ndjson > cron.out 2> cron.err
rc=$?
check "cron: a new week is trained on, promoted or kept (exit 0 or 10, got $rc)" \
    sh -c "[ $rc -eq 0 ] || [ $rc -eq 10 ]"
check "cron: the ledger names the trigger" \
    grep -q '"event":"train".*"trigger":"cron"' "$R/acme/ledger.ndjson"
twin-retrain -q -r "$R" \
    -C examples/plant1/classes -P examples/plant1/policy.json --trigger cron \
    train history/*.ndjson > /dev/null 2>&1
rc=$?
check "cron: a second run on the same data has nothing to do (exit 11, got $rc)" \
    test $rc -eq 11

# retrain when the scores drift: the plant's features moved
$PY "$GEN" gen --weeks 3 --no-faults --seed 22 --shift 0.5 \
    --start 2026-10-06T00:00:00 > features.ndjson
twin-score -T acme features.ndjson | tee scores.ndjson |
    grep '"kind":"drift"' > drift.ndjson
n=$(wc -l < drift.ndjson)
check "drift: the shifted features give drift records ($n)" test "$n" -gt 0
$PY "$GEN" gen --weeks 5 --no-faults --seed 23 --shift 0.5 > history.ndjson
twin-retrain -T acme -C examples/plant1/classes \
    -P examples/plant1/policy.json -d drift.ndjson train history.ndjson \
    > drift.out 2> drift.err
rc=$?
check "drift: the drift file triggers a training (exit 0 or 10, got $rc)" \
    sh -c "[ $rc -eq 0 ] || [ $rc -eq 10 ]"
check "drift: the ledger says the trigger was drift" \
    grep -q '"event":"train".*"trigger":"drift"' "$R/acme/ledger.ndjson"

# roll back, and move a model to another site
before=$(cat "$R/acme/production")
twin-retrain -T acme rollback > rollback.out 2>&1
rc=$?
check "rollback: done (exit $rc)" test $rc -eq 0
after=$(cat "$R/acme/production")
check "rollback: production changed to a stored model" \
    test "$after" != "$before" -a -f "$R/acme/models/$after.json"
short=$(echo "$m1" | cut -c1-8)
twin-retrain -T acme export "$short" model.tar.gz > export.out 2>&1
rc=$?
check "export: a bundle (exit $rc)" test $rc -eq 0 -a -s model.tar.gz
twin-retrain -T acme -r "$tmp/site2" import model.tar.gz > import.out 2>&1
rc=$?
check "import: the bundle is stored at the other site (exit $rc)" \
    test $rc -eq 0
check "import: the model arrives byte for byte" \
    cmp -s "$R/acme/models/$m1.json" "$tmp/site2/acme/models/$m1.json"
check "import: the other site's production is untouched" \
    test ! -f "$tmp/site2/acme/production"
exit 0
