#!/bin/sh
# schema-map.sh - twin-map's real output validates against
# schemas/sample.json with ajv (JSON Schema 2020-12), its input capture
# against schemas/raw.json, and the example tag map against
# schemas/tagmap.json.  Broken records and maps must fail, so each check
# is shown able to fail.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
NM="$TOP/tests/node_modules"
if [ ! -d "$NM/ajv" ] || ! command -v node >/dev/null 2>&1; then
	echo "skip - schema-map: ajv not installed (make deps)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ex="$TOP/examples/plant1"

# check.js SCHEMA FILE NAME: one JSON document per line (or one document
# when the file is not NDJSON); prints ok/not ok.
cat > "$tmp/check.js" <<'JS'
const Ajv = require(process.argv[2] + "/ajv/dist/2020").default;
const fs = require("fs");
const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
const validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[3])));
const text = fs.readFileSync(process.argv[4], "utf8");
const name = process.argv[5];
let docs;
try {
	docs = [JSON.parse(text)];
} catch (e) {
	docs = text.split("\n").filter((l) => l.length > 0)
	    .map((l) => JSON.parse(l));
}
let bad = 0;
docs.forEach((d, i) => {
	if (!validate(d) && bad++ < 3)
		console.log("# " + name + " #" + (i + 1) + ": " +
		    ajv.errorsText(validate.errors));
});
console.log(bad === 0 && docs.length > 0 ?
    "ok - " + name + ": " + docs.length + " valid" :
    "not ok - " + name + ": " + bad + " of " + docs.length + " invalid");
JS
check() {
	node "$tmp/check.js" "$NM" "$TOP/schemas/$1" "$2" "$3" 2>&1 ||
	    echo "not ok - $3: the validator failed"
}
# Expect a failure: the schema catches what is broken.
catches() {
	if check "$1" "$2" "$3" | grep -q '^not ok'; then
		echo "ok - $3: rejected"
	else
		echo "not ok - $3: passed validation"
	fi
}

for m in tagmap.json tagmap.csv; do
	if ! twin-map -q "$ex/$m" "$ex/raw-sample.ndjson" > "$tmp/out.$m" \
	    2> "$tmp/err"; then
		echo "not ok - schema-map: twin-map $m failed: $(head -1 \
		    "$tmp/err")"
		exit 0
	fi
	grep '"kind":"sample"' "$tmp/out.$m" > "$tmp/samples.$m"
	check sample.json "$tmp/samples.$m" "schema-map: samples via $m"
done
if cmp -s "$tmp/samples.tagmap.json" "$tmp/samples.tagmap.csv"; then
	echo "not ok - schema-map: JSON and CSV maps have one digest"
else
	sed 's/"tagmap_sha256":"[0-9a-f]*"//' "$tmp/samples.tagmap.json" \
	    > "$tmp/a"
	sed 's/"tagmap_sha256":"[0-9a-f]*"//' "$tmp/samples.tagmap.csv" \
	    > "$tmp/b"
	if cmp -s "$tmp/a" "$tmp/b"; then
		echo "ok - schema-map: JSON and CSV maps give the same samples"
	else
		echo "not ok - schema-map: JSON and CSV maps differ"
	fi
fi
n=$(grep -c '"kind":"raw"' "$ex/raw-sample.ndjson")
m=$(wc -l < "$tmp/samples.tagmap.json")
[ "$n" -eq "$m" ] && echo "ok - schema-map: every raw record mapped ($m)" ||
    echo "not ok - schema-map: $m samples from $n raw records"
grep '"kind":"raw"' "$ex/raw-sample.ndjson" > "$tmp/raw"
check raw.json "$tmp/raw" "schema-map: raw capture"
check tagmap.json "$ex/tagmap.json" "schema-map: examples/plant1/tagmap.json"
if [ -x "$TOP/bin/twin-ingest" ] &&
    twin-ingest -q -T acme 'sim:seed=7&start=2026-11-01&duration=2h&block=1h&scalar=10m' \
    > "$tmp/sim" 2>/dev/null && [ -s "$tmp/sim" ]; then
	grep '"kind":"raw"' "$tmp/sim" > "$tmp/simraw"
	check raw.json "$tmp/simraw" "schema-map: simulator raw records"
	if twin-map -q "$ex/tagmap.json" "$tmp/simraw" > "$tmp/simout"; then
		check sample.json "$tmp/simout" "schema-map: simulator samples"
	else
		echo "not ok - schema-map: simulator tags do not all map"
	fi
fi

# Each of these must fail validation.
s=$(head -1 "$tmp/samples.tagmap.json")
echo "$s" | sed 's/"unit":"degC"/"unit":"degF"/' > "$tmp/b1"
catches sample.json "$tmp/b1" "schema-map: sample in a non-canonical unit"
echo "$s" | sed 's/"q":"good"/"q":"fine"/' > "$tmp/b2"
catches sample.json "$tmp/b2" "schema-map: sample with an unknown quality"
echo "$s" | sed 's/,"prov":{[^}]*}//' > "$tmp/b3"
catches sample.json "$tmp/b3" "schema-map: sample without provenance"
echo "$s" | sed 's/"v":[-0-9.e]*/"v":[1.0,2.0]/' > "$tmp/b4"
catches sample.json "$tmp/b4" "schema-map: block sample without rate_hz"
head -1 "$tmp/raw" | sed 's/"seq":[0-9]*/"seq":-1/' > "$tmp/b5"
catches raw.json "$tmp/b5" "schema-map: raw record with a negative seq"
sed 's/"unit": "degF"/"unit": "furlong"/' "$ex/tagmap.json" > "$tmp/b6"
catches tagmap.json "$tmp/b6" "schema-map: tag map with an unknown unit"
sed '0,/"tag": "/s//"pattern": "x", "tag": "/' "$ex/tagmap.json" > "$tmp/b7"
catches tagmap.json "$tmp/b7" "schema-map: tag map entry with tag and pattern"
