#!/bin/sh
# tests/man.sh - every man page is clean under mandoc -Tlint.
cd "$TOP/man" || exit 1
for m in *.[157]; do
	[ -f "$m" ] || continue
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		echo "ok - man/$m lint"
	else
		echo "not ok - man/$m lint: $(echo "$out" | head -3)"
	fi
done
