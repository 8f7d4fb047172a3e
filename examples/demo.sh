#!/bin/sh
# examples/demo.sh - make demo: the whole pipeline on the example plant.
#
#   1. twin-ingest simulates six weeks of plant1: pumps P-101..P-103, their
#      motors and two fans; P-103's drive-end bearing grows an outer-race
#      defect from day 29 on.  A vibration snapshot every 4 h (both axes of
#      the pumps), scalars every 5 min (two per 10-minute feature window).
#   2. twin-map maps the plant's tag names onto assets and channels.
#   3. twin-feature computes windowed features (envelope, spectra, ISO 20816).
#   4. twin-retrain trains on the healthy first four weeks and promotes a
#      model through the gate into a registry.
#   5. twin-score scores all six weeks with the production model.
#   6. twin-ticket opens work orders for a CMMS stand-in (json-server on
#      127.0.0.1) that is down at first: they wait in the durable outbox,
#      a cron-style --flush delivers them once the CMMS is up, and a re-run
#      over the same scores sends nothing new.  The demo prints the work
#      order events and what the CMMS holds: one work order for P-103.
#
# DEMO_DIR keeps the intermediate files (default: a temporary directory).
set -e
TOP=$(cd "$(dirname "$0")/.." && pwd)
BIN="$TOP/bin"
EX="$TOP/examples/plant1"
work=${DEMO_DIR:-$(mktemp -d /tmp/twin-demo.XXXXXX)}
mkdir -p "$work"
cmms="$work/cmms"

cleanup() {
	[ -f "$cmms/pid" ] && kill "$(cat "$cmms/pid")" 2>/dev/null
	[ -z "${DEMO_DIR:-}" ] && rm -rf "$work"
	return 0
}
trap cleanup EXIT INT TERM

sim='sim:seed=7&start=2026-10-01&duration=42d&block=4h&scalar=5m&axes=xy'
sim="$sim&fault=P-103:bearing_outer_race@2026-10-29/14d"

echo "== 1-3: simulate six weeks of plant1, map tags, compute features"
"$BIN/twin-ingest" -q -T acme "$sim" |
    "$BIN/twin-map" -q -T acme -m "$EX/tagmap.json" |
    "$BIN/twin-feature" -q -T acme -s "$EX/features.json" > "$work/features.ndjson"
echo "   $(wc -l < "$work/features.ndjson") feature records"

echo "== 4: train on the healthy first four weeks, promote through the gate"
jq -c 'select(.ts < "2026-10-29")' "$work/features.ndjson" > "$work/healthy.ndjson"
rc=0
"$BIN/twin-retrain" -T acme -r "$work/registry" -C "$EX/classes" \
    -P "$EX/policy.json" train "$work/healthy.ndjson" > "$work/retrain.ndjson" || rc=$?
jq -r '"   \(.result) model \(.model_sha256[0:12]) (gate: \(.gate))"' "$work/retrain.ndjson"
[ $rc -eq 0 ] || { echo "demo: twin-retrain exited $rc" >&2; exit 1; }

echo "== 5: score six weeks with the production model"
"$BIN/twin-score" -q -T acme -r "$work/registry" "$work/features.ndjson" > "$work/scores.ndjson"
jq -r 'select(.kind == "score" and .severity != "normal") | "\(.asset) \(.severity)"' "$work/scores.ndjson" |
    sort | uniq -c | sed 's/^/   /'

echo "== 6: work orders into the CMMS stand-in, through an outage"
port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
tmpl="$TOP/examples/cmms/json-server.json"
ticket() {
	"$BIN/twin-ticket" -q -T acme -p "$EX/ticket-policy.json" \
	    -d "$work/outbox" -u "$url" -t "$tmpl" --retries 2 --max-wait 2s "$@"
}
# The CMMS is down: the work orders wait in the durable outbox (exit 69).
rc=0
ticket "$work/scores.ndjson" > "$work/workorders.ndjson" 2> "$work/ticket.err" || rc=$?
echo "   CMMS down: twin-ticket exit $rc," \
    "$(ls "$work/outbox/acme/outbox" | grep -c '\.json$') work order events kept in the outbox"
[ $rc -eq 69 ] || { cat "$work/ticket.err" >&2; exit 1; }
# The CMMS comes back; cron's flush delivers what waited.
"$TOP/examples/cmms-standin" "$cmms" "$port" > /dev/null
ticket --flush
echo "   CMMS up at $url: flushed, outbox now holds" \
    "$(ls "$work/outbox/acme/outbox" | grep -c '\.json$')"
# A re-run over the same scores (cron, a restart) opens nothing new.
ticket "$work/scores.ndjson" > "$work/rerun.ndjson"
echo "   re-run over the same scores: $(grep -c '"workorder"' "$work/rerun.ndjson" || true) new work order events"
echo "   work order events:"
jq -r 'select(.kind == "workorder") | "   \(.ts) \(.asset) \(.event) priority \(.priority) \(.mode): \(.action)"' \
    "$work/workorders.ndjson"
echo "   the CMMS holds $(curl -sf "$url/workorders" | jq length) work order(s):"
curl -sf "$url/workorders" | jq -r '.[] | "   \(.asset // "?") [\(.status // "")] \(.title // .mode // "") (key \(.id[0:12]), last event \(.last_event))"'
