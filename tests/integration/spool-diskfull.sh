#!/bin/sh
# spool-diskfull.sh - twin-ingest --spool on a disk that fills up: it stops
# taking input and says so (exit 4), acknowledges nothing it did not
# write, and the next run drains the spool, frees the space and goes on.
#
# The disk is a 256 KiB tmpfs mounted in a private mount namespace
# (unshare -rm), so no privilege is needed where user namespaces are
# allowed; elsewhere the test is skipped.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ING="$TOP/bin/twin-ingest"
if [ ! -x "$ING" ] || ! "$ING" -h 2>/dev/null | grep -q -- --spool; then
	echo "skip - spool-diskfull: twin-ingest has no --spool yet"
	exit 0
fi
if [ -z "${TWIN_IN_NS:-}" ]; then
	if ! unshare -rm true 2>/dev/null; then
		echo "skip - spool-diskfull: cannot make a mount namespace" \
		    "(unshare -rm)"
		exit 0
	fi
	exec unshare -rm env TWIN_IN_NS=1 sh "$0" "$@"
fi

T=$(mktemp -d /tmp/twin-diskfull.XXXXXX)
trap 'umount "$T/disk" 2>/dev/null; rm -rf "$T"' EXIT
mkdir "$T/disk"
if ! mount -t tmpfs -o size=256k tmpfs "$T/disk" 2>/dev/null; then
	echo "skip - spool-diskfull: cannot mount a tmpfs"
	exit 0
fi
fail=0
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1: $2"; fail=1; }

awk 'BEGIN { for (i = 1; i <= 6000; i++)
	printf "{\"kind\":\"raw\",\"ts\":\"2026-11-21T10:00:00.000Z\"," \
	    "\"tenant\":\"acme\",\"src\":\"test:full\",\"seq\":%d," \
	    "\"tag\":\"Plant1/Line2/Pump03/VIB_%d\",\"v\":%d.5}\n", i, i % 9, i
}' > "$T/in"
S="$T/disk/s"

"$ING" -q -T acme --spool "$S" file:"$T/in" > "$T/out1" 2> "$T/err1"
rc=$?
k=$(wc -l < "$T/out1")
[ "$rc" -eq 4 ] && ok "disk full: exit 4" || notok "disk full: exit 4" \
    "exit $rc"
first=$(head -1 "$T/err1")
[ "$first" = "twin-ingest: spool '$S': disk full" ] &&
    ok "disk full: said so" || notok "disk full: said so" "'$first'"
if [ "$k" -gt 100 ] && [ "$k" -lt 6000 ] &&
    head -n "$k" "$T/in" | cmp -s - "$T/out1"; then
	ok "disk full: stopped after $k records, each whole and in order"
else
	notok "disk full: records before the full disk" "$k lines"
fi

# The next run drains what the spool holds: exactly what was appended,
# never the record that did not fit.
"$ING" -q -T acme --spool "$S" file:/dev/null > "$T/out2" 2> "$T/err2"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$T/err2" ] &&
    head -n "$k" "$T/in" | cmp -s - "$T/out2"; then
	ok "drain after disk full: the $k acknowledged records, nothing more"
else
	notok "drain after disk full" "exit $rc, $(wc -l < "$T/out2") lines," \
	    "$(head -c 200 "$T/err2")"
fi
used=$(du -sk "$T/disk" | cut -f1)
[ "$used" -lt 64 ] && ok "drain frees the disk (${used} KiB used)" ||
    notok "drain frees the disk" "${used} KiB used"

tail -n +"$((k + 1))" "$T/in" | head -n 1000 > "$T/rest"
"$ING" -q -T acme --spool "$S" file:"$T/rest" > "$T/out3" 2> "$T/err3"
rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$T/rest" "$T/out3"; then
	ok "after the drain, ingest goes on"
else
	notok "after the drain, ingest goes on" "exit $rc," \
	    "$(head -c 200 "$T/err3")"
fi
exit $fail
