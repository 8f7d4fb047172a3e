#!/bin/sh
# install.sh - make install puts programs, man pages and schemas under
# DESTDIR/PREFIX, and the installed programs run.
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
if ! make -s -C "$TOP" install DESTDIR="$d" PREFIX=/opt/twin > "$d/log" 2>&1; then
	echo "not ok - make install: $(tail -1 "$d/log")"
	exit 0
fi
for p in "$TOP"/bin/twin-*; do
	n=$(basename "$p")
	if [ -x "$d/opt/twin/bin/$n" ] && "$d/opt/twin/bin/$n" -h > /dev/null; then
		echo "ok - install $n runs -h"
	else
		echo "not ok - install $n"
	fi
	if [ -f "$d/opt/twin/share/man/man1/$n.1" ]; then
		echo "ok - install man page $n.1"
	else
		echo "not ok - install man page $n.1 missing"
	fi
done
[ -f "$d/opt/twin/share/man/man7/twin.7" ] && echo "ok - install twin.7" ||
    echo "not ok - install twin.7 missing"
n=$(ls "$d/opt/twin/share/twin/schemas" | wc -l)
m=$(ls "$TOP/schemas" | wc -l)
[ "$n" -eq "$m" ] && echo "ok - install $n schemas" ||
    echo "not ok - install schemas: $n of $m"
