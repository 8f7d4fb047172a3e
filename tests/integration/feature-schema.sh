#!/bin/sh
# feature-schema.sh - twin-feature's real output validates against
# schemas/feature.json with ajv (draft 2020-12), and so does the feature
# spec of the example plant against schemas/featspec.json.  The input is
# a small simulated plant when twin-ingest and twin-map exist, and a
# generated waveform and scalar series otherwise.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
AJV="$TOP/tests/node_modules/.bin/ajv"
if [ ! -x "$AJV" ] || ! command -v node >/dev/null 2>&1; then
	echo "skip - feature-schema: ajv not installed (make deps)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spec="$TOP/examples/plant1/features.json"
if [ -x "$TOP/bin/twin-ingest" ] && [ -x "$TOP/bin/twin-map" ] &&
    "$TOP/bin/twin-ingest" -q -T acme \
    'sim:seed=3&start=2026-11-01&duration=1d&block=6h&scalar=10m' \
    > "$tmp/raw" 2>/dev/null; then
	"$TOP/bin/twin-map" -q -T acme -m "$TOP/examples/plant1/tagmap.json" \
	    "$tmp/raw" > "$tmp/in"
else
	/usr/bin/python3 - > "$tmp/in" <<'PY'
import json, math
for i in range(3):
    print(json.dumps({"kind": "sample", "ts": 1795000000000 + i * 1000,
        "tenant": "acme", "asset": "P-101", "class": "centrifugal_pump",
        "channel": "vibration.de.x", "unit": "g", "rate_hz": 12800,
        "v": [0.1 * math.sin(i * 0.3 + k * 0.0146) for k in range(12800)]}))
for i in range(1300):
    print(json.dumps({"kind": "sample", "ts": 1795000000000 + i * 1000,
        "tenant": "acme", "asset": "P-101", "class": "centrifugal_pump",
        "channel": "temperature.bearing.de", "unit": "degC",
        "v": 40 + i / 1000}))
PY
fi
if ! "$TOP/bin/twin-feature" -q -s "$spec" "$tmp/in" > "$tmp/out"; then
	echo "not ok - feature-schema: twin-feature failed"
	exit 0
fi
cat > "$tmp/check.js" <<'JS'
const Ajv = require(process.argv[2] + "/ajv/dist/2020").default;
const fs = require("fs");
const ajv = new Ajv({ strict: false, allErrors: true });
const schema = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const validate = ajv.compile(schema);
const lines = fs.readFileSync(process.argv[4], "utf8").split("\n")
    .filter((l) => l.length > 0);
let bad = 0, kinds = {};
for (const [i, l] of lines.entries()) {
	const r = JSON.parse(l);
	kinds[r.channel] = 1;
	if (!validate(r)) {
		if (bad++ < 3)
			console.log("# line " + (i + 1) + ": " +
			    ajv.errorsText(validate.errors));
	}
}
console.log(bad === 0 && lines.length > 0 ?
    "ok - feature-schema: " + lines.length + " feature records of " +
    Object.keys(kinds).length + " channels valid" :
    "not ok - feature-schema: " + bad + " of " + lines.length + " invalid");
JS
node "$tmp/check.js" "$TOP/tests/node_modules" "$TOP/schemas/feature.json" \
    "$tmp/out"
# A record that breaks the schema must be caught (the check can fail).
head -1 "$tmp/out" | sed 's/"flatline":false/"flatline":"no"/' > "$tmp/bad"
node "$tmp/check.js" "$TOP/tests/node_modules" "$TOP/schemas/feature.json" \
    "$tmp/bad" | grep -q '^not ok' &&
    echo "ok - feature-schema: a broken record is rejected" ||
    echo "not ok - feature-schema: a broken record passed"
if [ -f "$TOP/schemas/featspec.json" ]; then
	if "$AJV" validate --spec=draft2020 --strict=false \
	    -s "$TOP/schemas/featspec.json" -d "$spec" >/dev/null 2>&1; then
		echo "ok - feature-schema: examples/plant1/features.json valid"
	else
		echo "not ok - feature-schema: examples/plant1/features.json"
	fi
	if "$AJV" validate --spec=draft2020 --strict=false \
	    -s "$TOP/schemas/featspec.json" \
	    -d "$TOP/tests/cli/twin-feature/spec-unknown-key/s.json" \
	    >/dev/null 2>&1; then
		echo "not ok - feature-schema: a misspelt spec key passed"
	else
		echo "ok - feature-schema: a misspelt spec key is rejected"
	fi
fi
