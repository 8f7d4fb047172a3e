#!/bin/sh
# score-schema.sh - real output of twin-score (score and drift records),
# twin-retrain's model file, and label records validate against
# schemas/{score,drift,model,label}.json with ajv (draft 2020-12).
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
PATH="$TOP/bin:$PATH"
AJV="$TOP/tests/node_modules"
if [ ! -d "$AJV/ajv" ] || ! command -v node >/dev/null 2>&1; then
	echo "skip - score-schema: ajv not installed (make deps)"
	exit 0
fi
tmp=$(mktemp -d /tmp/twin-sschema.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
GEN="$TOP/tests/integration/score-fleet.py"
/usr/bin/python3 "$GEN" gen --weeks 5 --seed 4 > "$tmp/hist" || exit 1
twin-retrain -q -r "$tmp/reg" -C "$TOP/examples/plant1/classes" \
    -P "$TOP/examples/plant1/policy.json" train "$tmp/hist" > /dev/null
sha=$(cat "$tmp/reg/acme/production")
/usr/bin/python3 "$GEN" gen --weeks 3 --seed 5 --shift 0.3 \
    --start 2026-10-06T00:00:00 > "$tmp/new"
# windows with features missing and an unknown class, for the dq flags
grep '"asset":"P-101"' "$tmp/new" | grep -v '"channel":"flow"' |
    head -200 > "$tmp/partial"
grep '"asset":"F-202"' "$tmp/new" | head -50 |
    sed 's/"class":"fan"/"class":"compressor"/' >> "$tmp/partial"
twin-score -q -r "$tmp/reg" -T acme -d 7d "$tmp/new" > "$tmp/out"
twin-score -q -r "$tmp/reg" -T acme -d 0 "$tmp/partial" >> "$tmp/out" \
    2> /dev/null
grep '"kind":"score"' "$tmp/out" > "$tmp/score"
grep '"kind":"drift"' "$tmp/out" > "$tmp/drift"
grep '"kind":"label"' "$tmp/hist" > "$tmp/label"
cp "$tmp/reg/acme/models/$sha.json" "$tmp/model"
cat > "$tmp/check.js" <<'JS'
const Ajv = require(process.argv[2] + "/ajv/dist/2020").default;
const fs = require("fs");
const ajv = new Ajv({ strict: false, allErrors: true });
const [, , mods, schemaPath, dataPath, name, need] = process.argv;
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, "utf8")));
const lines = fs.readFileSync(dataPath, "utf8").split("\n")
    .filter((l) => l.length > 0);
let bad = 0, seen = {};
for (const [i, l] of lines.entries()) {
	const r = JSON.parse(l);
	if (r.severity) seen[r.severity] = 1;
	if (r.dq && r.dq.flags) for (const f of r.dq.flags) seen[f.split(":")[0]] = 1;
	if (!validate(r) && bad++ < 3)
		console.log("# line " + (i + 1) + ": " + ajv.errorsText(validate.errors));
}
const missing = (need || "").split(",").filter((k) => k && !seen[k]);
if (bad === 0 && lines.length > 0 && missing.length === 0)
	console.log("ok - score-schema: " + lines.length + " " + name +
	    " valid against " + schemaPath.replace(/.*\//, "schemas/"));
else
	console.log("not ok - score-schema: " + name + ": " + bad +
	    " of " + lines.length + " invalid" +
	    (missing.length ? ", never seen: " + missing.join(",") : ""));
JS
node "$tmp/check.js" "$AJV" "$TOP/schemas/score.json" "$tmp/score" \
    "score records" "normal,watch,warning,alarm,unknown,missing_feature,unknown_class"
node "$tmp/check.js" "$AJV" "$TOP/schemas/drift.json" "$tmp/drift" \
    "drift records"
if grep -q '"feature":' "$tmp/drift" && grep -q '"of":"score"' "$tmp/drift"
then
	echo "ok - score-schema: the drift records checked hold feature and score drift"
else
	echo "not ok - score-schema: the drift records lack feature or score drift"
fi
# a drift record names a feature or the score, never both
grep '"of":"score"' "$tmp/drift" | head -1 |
    sed 's/"of":"score"/"of":"score","feature":"flow:mean"/' > "$tmp/bad"
if node "$tmp/check.js" "$AJV" "$TOP/schemas/drift.json" "$tmp/bad" x |
    grep -q '^not ok'; then
	echo "ok - score-schema: a drift record of a feature and the score is refused"
else
	echo "not ok - score-schema: a drift record of both passed"
fi
head -2000 "$tmp/hist" | grep '"kind":"feature"' > "$tmp/feature"
node "$tmp/check.js" "$AJV" "$TOP/schemas/feature.json" "$tmp/feature" \
    "generated feature records (the tests' input)"
node "$tmp/check.js" "$AJV" "$TOP/schemas/label.json" "$tmp/label" \
    "label records"
node "$tmp/check.js" "$AJV" "$TOP/schemas/model.json" "$tmp/model" \
    "model file"
# and a bad record is refused, so the schema can fail
echo '{"kind":"score","ts":"2026-10-06T00:00:00.000Z","tenant":"acme","asset":"P-101","class":"fan","score":1.5,"severity":"alarm","modes":[],"contrib":[],"dq":{"flags":[]},"prov":{"src":[],"from":"2026-10-06T00:00:00.000Z","to":"2026-10-06T00:00:00.000Z","model_sha256":"'"$sha"'","twin_score":"0.1.0"}}' > "$tmp/bad"
if node "$tmp/check.js" "$AJV" "$TOP/schemas/score.json" "$tmp/bad" x |
    grep -q '^not ok'; then
	echo "ok - score-schema: a score of 1.5 without band is refused"
else
	echo "not ok - score-schema: a bad score record passed"
fi
exit 0
