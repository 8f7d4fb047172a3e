#!/bin/sh
# ingest-signal.sh - SIGTERM and SIGINT mid-stream end twin-ingest with
# status 0 and whole lines only (also while it waits on a paced replay or
# on standard input); a closed pipe downstream ends it quietly; with a
# spool, what was not written downstream is delivered by the next run.
T=$(mktemp -d /tmp/twin-ingest-sig.XXXXXX)
pids=
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
cd "$T" || exit 1
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "${3:-failed}"; fi; }

# wait_for PID: its exit status, or 124 when it is still running after
# 10 s (a bound against hanging, not a timing).
wait_for() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -9 "$1"
		return 124
	fi
	wait "$1"
}

whole_lines() {
	/usr/bin/python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\n"), "partial last line"
for l in data.splitlines():
    json.loads(l)
print(len(data.splitlines()))' "$1"
}

for sig in TERM INT; do
	twin-ingest -T acme 'sim:duration=60d' > big 2> err &
	p=$!
	pids="$pids $p"
	# wait until output has started
	i=0
	while [ ! -s big ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	sleep 0.3
	kill -$sig $p
	wait_for $p
	rc=$?
	n=$(whole_lines big 2>&1)
	check "SIG$sig mid-stream: status 0, whole lines only" \
	    '[ $rc -eq 0 ] && [ ! -s err ] && [ "$n" -gt 0 ] 2>/dev/null' \
	    "status $rc, $n, $(head -2 err)"
done

# Paced replay: killed while it sleeps until the next record is due.
twin-ingest -T acme 'sim:duration=1h&block=off' > live.ndjson
twin-ingest --rate 1 live.ndjson > paced 2> err &
p=$!
pids="$pids $p"
sleep 0.5
kill -TERM $p
wait_for $p
rc=$?
n=$(whole_lines paced 2>&1)
check "SIGTERM during a paced replay: records of the first minute, flushed" \
    '[ $rc -eq 0 ] && [ "$n" = 37 ]' "status $rc, $n"

# SIGUSR1 prints the spool counters and the run goes on.
twin-ingest -T acme --spool usr1 --rate 60 live.ndjson > u.out 2> u.err &
p=$!
pids="$pids $p"
sleep 0.5
kill -USR1 $p
sleep 1.2
kill -TERM $p
wait_for $p
rc=$?
check "SIGUSR1 prints the spool counters" '[ $rc -eq 0 ] &&
    grep -q "^twin-ingest: spool: [0-9]* appended, [0-9]* delivered" u.err &&
    [ "$(grep -c "spool:" u.err)" -eq 2 ]' "status $rc: $(cat u.err)"

# Waiting on standard input that never comes.
mkfifo fifo
sleep 30 > fifo &
pids="$pids $!"
twin-ingest - < fifo > none 2> err &
p=$!
pids="$pids $p"
sleep 0.3
kill -TERM $p
wait_for $p
rc=$?
check "SIGTERM while waiting on input: status 0, silent" \
    '[ $rc -eq 0 ] && [ ! -s none ] && [ ! -s err ]' "status $rc $(cat err)"

# A closed pipe downstream.
{ twin-ingest -T acme 'sim:duration=30d' 2> err; echo $? > rc; } | head -1 > first
check "EPIPE: status 0, no message" '[ "$(cat rc)" = 0 ] && [ ! -s err ] &&
    [ "$(wc -l < first)" -eq 1 ]' "status $(cat rc) $(cat err)"
{ twin-ingest live.ndjson 2> err; echo $? > rc; } | head -c 100 > /dev/null
check "EPIPE on replay: status 0, no message" '[ "$(cat rc)" = 0 ] && [ ! -s err ]'

# With a spool: what the closed pipe did not take comes next time.
{ twin-ingest -q -T acme --spool sp live.ndjson 2> err; echo $? > rc; } |
    head -5 > part1
twin-ingest -q -T acme --spool sp < /dev/null > part2 2> err2
rc2=$?
check "spool after EPIPE: first run ends 0" '[ "$(cat rc)" = 0 ]' "$(cat rc) $(cat err)"
first2=$(head -1 part2)
at=$(grep -nxF "$first2" live.ndjson | cut -d: -f1)
n2=$(wc -l < part2)
check "spool after EPIPE: the uncommitted records come next, in order" \
    '[ $rc2 -eq 0 ] && [ "$n2" -gt 0 ] && [ "${at:-0}" -ge 1 ] && [ "$at" -le 6 ] &&
    tail -n +"$at" live.ndjson | head -n "$n2" | cmp -s - part2' \
    "status $rc2: $(wc -l < part1) + $n2 from line ${at:-?}"
twin-ingest -q -T acme --spool sp < /dev/null > part3
check "spool after redelivery: nothing pending" '[ ! -s part3 ]'
exit 0
