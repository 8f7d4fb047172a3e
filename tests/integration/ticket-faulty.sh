#!/bin/sh
# ticket-faulty.sh - twin-ticket against a CMMS that misbehaves
# (cmms_faulty.py): in every case the CMMS ends with exactly one work
# order per episode, brought up to date and closed.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
H="$TOP/tests/integration/cmms_faulty.py"
W=$(mktemp -d /tmp/twin-ticket-faulty.XXXXXX)
SRV=
stop() {
	if [ -n "$SRV" ]; then
		kill "$SRV" 2>/dev/null
		wait "$SRV" 2>/dev/null
	fi
	SRV=
}
trap 'stop; rm -rf "$W"' EXIT

cat > "$W/policy.json" <<'EOF'
{"tenant":"acme","enter":0.8,"exit":0.6,"persist":"1h","clear":"2h",
 "rearm":"6h","deescalate":"1h",
 "modes":{"bearing_outer_race":{"title":"bearing outer race defect",
  "action":"replace the bearing","parts":["bearing SKF 6205"]}}}
EOF
# Two episodes: P-103 opens, escalates and closes; P-101 opens and closes.
python3 "$H" gen --asset P-103 "0.3x6,0.85x8,0.97x3,0.3x16" > "$W/scores"
python3 "$H" gen --asset P-101 "0.9x10,0.2x15" >> "$W/scores"

start() {
	rm -f "$W/port"
	python3 "$H" serve "$W/port" "$@" 2> "$W/server.log" &
	SRV=$!
	i=0
	while [ ! -s "$W/port" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PORT=$(cat "$W/port")
	URL="http://127.0.0.1:$PORT"
}

ticket() {
	twin-ticket -q -p "$W/policy.json" -d "$W/d" -u "$URL" \
	    -t "$TOP/examples/cmms/json-server.json" --timeout 1s \
	    --retries 4 --max-wait 3s "$@"
}

# One work order per episode key, with every event applied, closed.
check() {
	curl -s ${CURLCA:-} "$URL/_state" > "$W/state" || return 1
	python3 - "$W/state" "$W/out" "$W/d/acme/outbox" <<'EOF'
import json, os, sys
st = json.load(open(sys.argv[1]))
out = [json.loads(l) for l in open(sys.argv[2])]
want = {}
for w in out:
    want.setdefault(w["key"], []).append(w["event"])
wos = st["workorders"]
bad = []
for k, evs in want.items():
    got = [w for w in wos if w["id"] == k]
    if len(got) != 1:
        bad.append("%s: %d work orders" % (k[:8], len(got)))
    # A CMMS without idempotency may apply an update twice; it carries
    # the same fields, so only the order of distinct events matters.
    elif got[0].get("status") != "closed" or [e for i, e in enumerate(
            got[0]["events"]) if i == 0 or got[0]["events"][i - 1] != e] != evs:
        bad.append("%s: events %s, want %s" % (k[:8], got[0]["events"], evs))
if len(wos) != len(want):
    bad.append("%d work orders for %d episodes" % (len(wos), len(want)))
left = [f for f in os.listdir(sys.argv[3]) if f.endswith(".json")]
if left:
    bad.append("outbox not empty: %s" % left)
if len(want) != 2:
    bad.append("%d episodes in the output, want 2" % len(want))
print("; ".join(bad))
sys.exit(1 if bad else 0)
EOF
}

run_case() {
	name=$1
	want=$2
	shift 2
	rm -rf "$W/d"
	start "$@"
	ticket "$W/scores" > "$W/out" 2> "$W/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "not ok - ticket-faulty: $name: exit $rc, want $want: $(head -2 "$W/err" | tr '\n' ' ')"
	elif why=$(check); then
		echo "ok - ticket-faulty: $name: one work order per episode"
	else
		echo "not ok - ticket-faulty: $name: $why"
	fi
	stop
}

for f in 503 429 500 timeout reset big drip; do
	run_case "$f" 0 --faults "$f,ok,$f"
done
for f in 500 timeout reset big drip; do
	run_case "$f without idempotency (lookup)" 0 --no-idem --faults "$f,ok,$f"
done

# A redirect to another host is refused and the orders wait in the outbox;
# a later flush delivers them.
rm -rf "$W/d"
start --faults "redirect,redirect,redirect,redirect,redirect,redirect,redirect"
ticket "$W/scores" > "$W/out" 2> "$W/err"
rc=$?
n=$(ls "$W/d/acme/outbox" | grep -c '\.json$')
if [ "$rc" -eq 69 ] && [ "$n" -gt 0 ] && grep -q "redirect 307 to 'http://127.0.0.2" "$W/err"; then
	echo "ok - ticket-faulty: redirect to another host refused, exit 69, $n kept"
else
	echo "not ok - ticket-faulty: redirect: exit $rc, $n kept: $(head -2 "$W/err")"
fi
curl -s -X POST -d '[]' "$URL/_faults" > /dev/null
ticket --flush > /dev/null 2> "$W/err"
rc=$?
if [ "$rc" -eq 0 ] && why=$(check); then
	echo "ok - ticket-faulty: flush after the redirect delivers once"
else
	echo "not ok - ticket-faulty: flush after redirect: exit $rc ${why:-}"
fi
stop

# CMMS down: exit 69, everything kept; up again: a flush delivers.
rm -rf "$W/d"
URL="http://127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
ticket --retries 1 "$W/scores" > "$W/out" 2> "$W/err"
rc=$?
n=$(ls "$W/d/acme/outbox" | grep -c '\.json$')
if [ "$rc" -eq 69 ] && [ "$n" -eq 5 ]; then
	echo "ok - ticket-faulty: CMMS down: exit 69, 5 messages kept"
else
	echo "not ok - ticket-faulty: CMMS down: exit $rc, $n kept"
fi
start
ticket --flush > /dev/null 2> "$W/err"
rc=$?
if [ "$rc" -eq 0 ] && why=$(check); then
	echo "ok - ticket-faulty: flush after an outage delivers once"
else
	echo "not ok - ticket-faulty: flush after outage: exit $rc ${why:-}"
fi
stop

# Retry-After beyond --max-wait: left for later, exit 75.
rm -rf "$W/d"
start --faults 503,503,503,503,503,503,503,503
ticket --max-wait 500ms "$W/scores" > "$W/out" 2> "$W/err"
rc=$?
n=$(ls "$W/d/acme/outbox" | grep -c '\.json$')
if [ "$rc" -eq 75 ] && [ "$n" -eq 5 ] && grep -q "asks to wait 1000 ms" "$W/err"; then
	echo "ok - ticket-faulty: Retry-After above --max-wait leaves the order for later"
else
	echo "not ok - ticket-faulty: Retry-After above --max-wait: exit $rc"
fi
stop

# A 4xx other than 408/429 is not retried: the message goes to rejected/
# with the CMMS's words, exit 1.
rm -rf "$W/d"
python3 - "$TOP/examples/cmms/json-server.json" > "$W/noasset.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
del t["create"]["body"]["asset"]
print(json.dumps(t))
EOF
start
twin-ticket -q -p "$W/policy.json" -d "$W/d" -u "$URL" -t "$W/noasset.json" \
    --timeout 1s "$W/scores" > "$W/out" 2> "$W/err"
rc=$?
writes=$(curl -s "$URL/_state" | python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])')
if [ "$rc" -eq 1 ] && [ "$writes" -eq 5 ] &&
    grep -q "HTTP 422: asset is required" "$W/err" &&
    ls "$W/d/acme/outbox/rejected" | grep -q 'open\.json$'; then
	echo "ok - ticket-faulty: 422 not retried ($writes writes), reported with the CMMS message, kept in rejected/"
else
	echo "not ok - ticket-faulty: 422: exit $rc: $(head -2 "$W/err")"
fi
stop

# Credentials from the environment or a file, never the command line.
rm -rf "$W/d"
python3 - "$TOP/examples/cmms/json-server.json" > "$W/auth.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["auth"] = {"header": "Authorization", "prefix": "Bearer "}
print(json.dumps(t))
EOF
printf 'from-file\n' > "$W/token"
start
TWIN_CMMS_TOKEN=from-env twin-ticket -q -p "$W/policy.json" -d "$W/d" \
    -u "$URL" -t "$W/auth.json" "$W/scores" > /dev/null 2>&1
rc1=$?
TWIN_CMMS_TOKEN=from-env twin-ticket -q -p "$W/policy.json" -d "$W/d2" \
    -u "$URL" -t "$W/auth.json" --auth-file "$W/token" "$W/scores" \
    > /dev/null 2>&1
rc2=$?
auth=$(curl -s "$URL/_state" | python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)["auth"]))')
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] &&
    [ "$auth" = "Bearer from-env,Bearer from-file" ]; then
	echo "ok - ticket-faulty: credential sent from TWIN_CMMS_TOKEN; --auth-file wins over it"
else
	echo "not ok - ticket-faulty: credentials: exit $rc1/$rc2, seen '$auth'"
fi
stop

# Two runs on one tenant directory: the second one waits for later (75).
rm -rf "$W/d"
mkdir -p "$W/d/acme"
if command -v flock > /dev/null 2>&1; then
	flock "$W/d/acme/lock" sleep 3 &
	lp=$!
	sleep 0.5
	twin-ticket -q -p "$W/policy.json" -d "$W/d" "$W/scores" > "$W/out" 2> "$W/err"
	rc=$?
	wait $lp
	if [ $rc -eq 75 ] && [ ! -s "$W/out" ] &&
	    grep -q "in use by another twin-ticket" "$W/err"; then
		echo "ok - ticket-faulty: a second twin-ticket on the same tenant directory exits 75"
	else
		echo "not ok - ticket-faulty: lock: exit $rc: $(cat "$W/err")"
	fi
else
	echo "skip - ticket-faulty: lock: flock(1) not installed"
fi

# TLS: verification is always on.  A self-signed CMMS certificate is
# refused (exit 69, kept in the outbox) unless --cafile names it.
if command -v openssl > /dev/null 2>&1 &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$W/key.pem" \
    -out "$W/cert.pem" > /dev/null 2>&1; then
	rm -rf "$W/d"
	start --tls "$W/cert.pem" "$W/key.pem"
	URL="https://127.0.0.1:$PORT"
	ticket --retries 0 "$W/scores" > "$W/out" 2> "$W/err"
	rc1=$?
	ticket --flush --cafile "$W/cert.pem" > /dev/null 2> "$W/err2"
	rc2=$?
	CURLCA="--cacert $W/cert.pem"
	if [ $rc1 -eq 69 ] && grep -qi "certificate" "$W/err" &&
	    [ $rc2 -eq 0 ] && why=$(check); then
		echo "ok - ticket-faulty: TLS: an unknown certificate is refused (69); with --cafile delivered once"
	else
		echo "not ok - ticket-faulty: TLS: exit $rc1/$rc2: $(head -1 "$W/err") ${why:-}"
	fi
	CURLCA=
	stop
else
	echo "skip - ticket-faulty: TLS: openssl cannot make a test certificate"
fi

# SIGKILL between the POST and its reply, then a restart: still one.
for mode in idem no-idem; do
	rm -rf "$W/d"
	rm -f "$W/port.hang"
	if [ $mode = idem ]; then
		start --faults hang
	else
		start --no-idem --faults hang
	fi
	# exec, so that the process killed is twin-ticket itself.
	(exec twin-ticket -q -p "$W/policy.json" -d "$W/d" -u "$URL" \
	    -t "$TOP/examples/cmms/json-server.json" --timeout 30s \
	    "$W/scores" > "$W/out1" 2> "$W/err") &
	tp=$!
	i=0
	while [ ! -f "$W/port.hang" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 $tp 2>/dev/null
	wait $tp 2>/dev/null
	# The cron rerun reads the same scores again.
	ticket "$W/scores" > "$W/out2" 2> "$W/err"
	rc=$?
	cat "$W/out1" "$W/out2" > "$W/out"
	if [ ! -f "$W/port.hang" ]; then
		echo "not ok - ticket-faulty: SIGKILL ($mode): the POST never arrived"
	elif [ "$rc" -ne 0 ]; then
		echo "not ok - ticket-faulty: SIGKILL ($mode): restart exit $rc: $(head -2 "$W/err")"
	elif why=$(check); then
		echo "ok - ticket-faulty: SIGKILL between POST and reply ($mode), restart: one work order per episode"
	else
		echo "not ok - ticket-faulty: SIGKILL ($mode): $why"
	fi
	stop
done
exit 0
