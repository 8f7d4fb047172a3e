#!/bin/sh
# ingest-archive.sh - replay from compressed files and archives (gzip,
# zstd, xz, tar, zip) streamed through libarchive, and the abuse cases:
# too many entries, an entry too large, a compression bomb, unsafe names,
# a truncated file, each with its exact message and exit status.
T=$(mktemp -d /tmp/twin-ingest-ar.XXXXXX)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1: $2"; }
check() { if eval "$2"; then ok "$1"; else nok "$1" "${3:-failed}"; fi; }
# run NAME EXPECTED-STATUS EXPECTED-STDERR ARGS...: stdout goes to out
run() {
	name=$1 want=$2 wanterr=$3
	shift 3
	twin-ingest "$@" > out 2> err
	rc=$?
	if [ $rc -eq "$want" ] && [ "$(cat err)" = "$wanterr" ]; then
		ok "$name"
	else
		nok "$name" "status $rc, stderr '$(head -3 err)'"
	fi
}

twin-ingest -T acme 'sim:duration=20m&block=10m&assets=P-101,M-101' > all.ndjson
split -l 60 all.ndjson seg-
for f in seg-a?; do mv "$f" "$f.ndjson"; done
nseg=$(ls seg-*.ndjson | wc -l)
check "fixture has several segments" '[ "$nseg" -ge 3 ]' "$nseg"

gzip -c all.ndjson > all.ndjson.gz
zstd -q -c all.ndjson > all.ndjson.zst
xz -c all.ndjson > all.ndjson.xz
bzip2 -c all.ndjson > all.ndjson.bz2 2>/dev/null || cp all.ndjson.gz all.ndjson.bz2
tar -cf plain.tar seg-*.ndjson
tar -czf segs.tar.gz seg-*.ndjson
tar -cJf segs.tar.xz seg-*.ndjson
tar -cf - seg-*.ndjson | zstd -q -c > segs.tar.zst
zip -q segs.zip seg-*.ndjson
mkdir gzsegs
for f in seg-*.ndjson; do gzip -c "$f" > "gzsegs/$f.gz"; done
(cd gzsegs && tar -cf ../gzsegs.tar *)
for f in all.ndjson.gz all.ndjson.zst all.ndjson.xz all.ndjson.bz2 plain.tar \
    segs.tar.gz segs.tar.xz segs.tar.zst segs.zip gzsegs.tar gzsegs; do
	twin-ingest "file:$f" > out 2> err
	rc=$?
	check "replay $f byte-identical" '[ $rc -eq 0 ] && [ ! -s err ] &&
	    cmp -s out all.ndjson' "status $rc, $(head -2 err)"
done
twin-ingest - < segs.tar.zst > out
check "archive on standard input" 'cmp -s out all.ndjson'
zip -q -j pipe.zip all.ndjson
twin-ingest - < pipe.zip > out
check "zip streamed from a pipe" 'cmp -s out all.ndjson'

# Caps.
run "entry count cap" 1 "twin-ingest: plain.tar: archive has too many entries (over 2)" \
    --max-entries 2 plain.tar
check "entries before the cap are replayed" '[ "$(wc -l < out)" -eq 120 ]'
run "entry size cap" 1 "twin-ingest: segs.zip:seg-aa.ndjson: entry larger than 1000 bytes uncompressed" \
    --max-entry-size 1000 segs.zip
head -c 20000000 /dev/zero | tr '\0' '\n' | gzip -9 > bomb.gz
run "gzip bomb stopped by the ratio cap" 1 \
    "twin-ingest: bomb.gz: compression ratio over 250 (archive bomb?)" bomb.gz
head -c 20000000 /dev/zero | tr '\0' 'a' > zeros.txt
zip -q -9 bomb.zip zeros.txt
run "zip bomb stopped by the ratio cap" 1 \
    "twin-ingest: bomb.zip:zeros.txt: compression ratio over 250 (archive bomb?)" bomb.zip
rm -f zeros.txt
head -c 20000000 /dev/zero | tr '\0' '\n' | zstd -q -19 -c > bomb.zst
run "a lower --max-ratio" 1 \
    "twin-ingest: bomb.zst: compression ratio over 10 (archive bomb?)" \
    --max-ratio 10 bomb.zst
gzip -c all.ndjson > ok.gz
run "an ordinary capture passes the ratio cap" 0 "" ok.gz

/usr/bin/python3 - <<'PY'
import io, tarfile
data = open('seg-aa.ndjson', 'rb').read()
t = tarfile.open('evil.tar', 'w')
for name in ['../../evil.ndjson', '/etc/abs.ndjson', 'a/../../b.ndjson',
             'good.ndjson']:
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))
ti = tarfile.TarInfo('link.ndjson')
ti.type = tarfile.SYMTYPE
ti.linkname = '/etc/passwd'
t.addfile(ti)
t.close()
PY
run "unsafe names are reported and skipped" 1 "twin-ingest: evil.tar: unsafe entry name '../../evil.ndjson' skipped
twin-ingest: evil.tar: unsafe entry name '/etc/abs.ndjson' skipped
twin-ingest: evil.tar: unsafe entry name 'a/../../b.ndjson' skipped" evil.tar
check "the safe entry is replayed, the link is not" 'cmp -s out seg-aa.ndjson'
check "nothing written outside" '[ ! -e ../evil.ndjson ] && [ ! -e ../../evil.ndjson ]'

twin-ingest -T acme 'sim:duration=1d&block=off&assets=P-101' | gzip -c > long.gz
head -c $(($(wc -c < long.gz) / 2)) long.gz > cut.gz
twin-ingest cut.gz > out 2> err
rc=$?
n=$(wc -c < out)
check "a truncated gzip file: its whole lines, then an error" '[ $rc -eq 1 ] &&
    grep -q "^twin-ingest: cut.gz: cannot read data: " err && [ "$n" -gt 0 ] &&
    gzip -dc long.gz | head -c "$n" | cmp -s - out &&
    [ "$(tail -c 1 out | od -An -c | tr -d " ")" = "\\n" ]' "status $rc, $n bytes, $(cat err)"
run "a missing file" 4 "twin-ingest: cannot open 'nope.gz': No such file or directory" nope.gz
printf 'not json\n' | gzip > bad.gz
tar -cf bad.tar bad.gz
run "a bad line inside an archive has its position" 1 \
    "twin-ingest: bad.tar:bad.gz:1: invalid JSON at column 3: '[' or '{' expected near 'not'" bad.tar
exit 0
