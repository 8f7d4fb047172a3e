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
n=$(ls "$d/opt/twin/share/twin/classes" 2>/dev/null | wc -l)
m=$(ls "$TOP/examples/plant1/classes" | wc -l)
[ "$n" -eq "$m" ] && echo "ok - install $n class templates" ||
    echo "not ok - install class templates: $n of $m"
[ -f "$d/opt/twin/share/twin/iso20816-3.json" ] &&
    echo "ok - install the ISO 20816-3 table" ||
    echo "not ok - install iso20816-3.json missing"
if make -s -C "$TOP" uninstall DESTDIR="$d" PREFIX=/opt/twin > "$d/log" 2>&1 &&
    [ -z "$(find "$d/opt" -type f)" ]; then
	echo "ok - uninstall removes every installed file"
else
	echo "not ok - uninstall leaves $(find "$d/opt" -type f | head -3)"
fi
