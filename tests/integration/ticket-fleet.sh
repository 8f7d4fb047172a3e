#!/bin/sh
# ticket-fleet.sh - end to end over the example plant's generated fleet
# (tests/integration/score-fleet.py): twin-retrain trains on the healthy
# weeks, twin-score scores the two faulty weeks, and twin-ticket with the
# example policy opens exactly one work order per faulty asset, for the
# failure mode that was injected, and none for a healthy asset.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
GEN="$TOP/tests/integration/score-fleet.py"
PY=/usr/bin/python3
W=$(mktemp -d /tmp/twin-ticket-fleet.XXXXXX)
trap 'rm -rf "$W"' EXIT

if [ ! -f "$GEN" ] || [ ! -x "$TOP/bin/twin-score" ] ||
    [ ! -x "$TOP/bin/twin-retrain" ] || ! $PY -c 'import numpy' 2>/dev/null
then
	echo "skip - ticket-fleet: needs score-fleet.py, twin-score, twin-retrain and numpy"
	exit 0
fi
$PY "$GEN" gen > "$W/hist" || { echo "not ok - ticket-fleet: generator failed"; exit 0; }
if ! twin-retrain -q -r "$W/reg" -C "$TOP/examples/plant1/classes" \
    -P "$TOP/examples/plant1/policy.json" --trigger cron train "$W/hist" \
    > "$W/train" 2> "$W/err"; then
	echo "not ok - ticket-fleet: twin-retrain: $(head -2 "$W/err")"
	exit 0
fi
from=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().splitlines()[-1])["holdout"]["from"])' "$W/train")
$PY -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["kind"] == "feature" and r["ts"] > sys.argv[2]:
        sys.stdout.write(l)
' "$W/hist" "$from" > "$W/hold"
twin-score -q -r "$W/reg" -T acme -d 0 "$W/hold" > "$W/scores" 2> "$W/err"
twin-ticket -q -p "$TOP/examples/plant1/ticket-policy.json" "$W/scores" \
    > "$W/wo" 2> "$W/err"
rc=$?
if $PY - "$W/hist" "$W/wo" > "$W/why" <<'EOF2'
import json, sys
labels = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["kind"] == "label":
        labels[r["asset"]] = r
opens = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["kind"] == "workorder" and r["event"] == "open":
        opens.setdefault(r["asset"], []).append(r)
bad = []
for a, lb in sorted(labels.items()):
    got = opens.get(a, [])
    if len(got) != 1 or got[0]["mode"] != lb["mode"]:
        bad.append("%s: %s, want one %s" % (a, [w["mode"] for w in got],
                                             lb["mode"]))
    elif got[0]["evidence"]["since"] > lb["ts"]:
        bad.append("%s: opened after the failure" % a)
for a in sorted(set(opens) - set(labels)):
    bad.append("%s: healthy, %d work orders" % (a, len(opens[a])))
print("%d faulty assets; %s" % (len(labels), "; ".join(bad) or "all good"))
sys.exit(1 if bad or not labels else 0)
EOF2
then
	if [ $rc -eq 0 ]; then
		echo "ok - ticket-fleet: one work order per faulty asset with the injected mode, none for healthy ones ($(cat "$W/why"))"
	else
		echo "not ok - ticket-fleet: exit $rc: $(head -2 "$W/err")"
	fi
else
	echo "not ok - ticket-fleet: $(cat "$W/why")"
fi
exit 0
