/* test-model.c - training, the model file and scoring on synthetic data. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "classlib.h"
#include "model.h"
#include "t.h"

static unsigned long long rng = 88172645463325252ULL;

/* A standard normal from xorshift64 and Box-Muller: deterministic. */
static double
gauss(void)
{
	double u, v;

	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	u = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	v = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static const char cls_text[] =
    "{\"format\":\"twin-class/1\",\"class\":\"pump\",\"channels\":["
    "{\"channel\":\"vib\",\"unit\":\"g\",\"features\":[\"bpfo\",\"x1\","
    "\"hf\"]},{\"channel\":\"temp\",\"unit\":\"degC\",\"features\":"
    "[\"max\"]}],\"modes\":["
    "{\"mode\":\"outer_race\",\"action\":\"replace\",\"signature\":["
    "{\"feature\":\"vib:bpfo\",\"weight\":1.0},{\"feature\":\"vib:hf\","
    "\"weight\":0.3}]},"
    "{\"mode\":\"imbalance\",\"action\":\"balance\",\"signature\":["
    "{\"feature\":\"vib:x1\",\"weight\":1.0}]}]}";

static void
row(double *x, double load)
{
	double eta = 0.05 * gauss();

	x[0] = 0.004 * exp(0.15 * gauss() + eta);
	x[1] = 0.9 * load * exp(0.08 * gauss() + eta);
	x[2] = 0.02 * exp(0.1 * gauss() + eta);
	x[3] = 45 + 10 * (load - 1) + 0.5 * gauss();
}

static const char line_ok[] =
    "{\"kind\":\"feature\",\"ts\":\"2026-10-27T00:10:00.000Z\","
    "\"tenant\":\"acme\",\"site\":\"plant1\",\"asset\":\"P-101\","
    "\"class\":\"pump\",\"channel\":\"vib\",\"window\":{\"start\":"
    "\"2026-10-27T00:00:00.000Z\",\"end\":\"2026-10-27T00:10:00.000Z\","
    "\"n\":1},\"f\":{\"bpfo\":0.00615098,\"x1\":-1.5e-3,\"hf\":null,"
    "\"n\":12},\"dq\":{\"gaps\":0,\"flatline\":false,\"x\":[1,{\"y\":"
    "[true,null]}]},\"prov\":{\"src\":[\"sim:a\",\"sim:b\"],\"from\":"
    "\"2026-10-27T00:00:00.000Z\",\"spec_sha256\":\"5555\"}}";

/* line_ok with one piece replaced; the result is a static buffer. */
static const char *
edit(const char *from, const char *to)
{
	static char out[2048];
	const char *p = strstr(line_ok, from);
	size_t a = (size_t)(p - line_ok);

	memcpy(out, line_ok, a);
	memcpy(out + a, to, strlen(to));
	memcpy(out + a + strlen(to), p + strlen(from),
	    strlen(p + strlen(from)) + 1);
	return out;
}

static int
scan(const char *line, struct featrec *fr)
{
	return featrec_scan(line, strlen(line), "acme", fr);
}

/* The feature record scanner: what it takes and what it leaves to jansson. */
static void
test_scan(void)
{
	static struct featrec fr;
	static const char *const decline[][3] = {
		{ "\"hf\":null", "\"bpfo\":1", "a duplicate feature" },
		{ "\"site\":\"plant1\"", "\"asset\":\"x\"", "a duplicate top-level key" },
		{ "\"n\":1}", "\"n\":1,\"n\":2}", "a duplicate key in a skipped object" },
		{ "P-101", "P-1\\u0030", "an escape in a string" },
		{ "P-101", "P-\xc3\xa9", "a byte that is not ASCII" },
		{ "\"tenant\":\"acme\"", "\"tenant\":\"other\"", "another tenant" },
		{ "\"site\"", "\"sight\"", "an unknown top-level key" },
		{ "\"n\":12", "\"n\":1234567890123456789", "an integer beyond 64 bits" },
		{ "\"n\":12", "\"n\":1e999", "a number beyond a double" },
		{ "\"n\":12", "\"n\":012", "a leading zero" },
		{ "\"feature\"", "\"sample\"", "another kind" },
		{ "\"2026-10-27T00:10:00.000Z\",\"tenant", "1793059800000,\"tenant", "a numeric ts" },
		{ "\"asset\":\"P-101\"", "\"asset\":\"\"", "an empty asset" },
		{ "\"5555\"}}", "\"5555\"}} x", "bytes after the object" },
		{ "\"5555\"}}", "\"5555\"}", "an object left open" },
		{ "[true,null]", "[[[[[[[[[[true]]]]]]]]]]", "a value nested too deep" },
		{ "\"gaps\":0", "\"gaps\":0\t\r", "a carriage return" },
	};
	const char *l;
	char blanks[2048];
	size_t i, j;
	int64_t t1;
	int instr;

	T_OK(scan(line_ok, &fr) == 1, "scan: a usual feature record is taken");
	T_STREQ(fr.asset, "P-101", "scan: asset");
	T_STREQ(fr.cls, "pump", "scan: class");
	T_STREQ(fr.channel, "vib", "scan: channel");
	T_STREQ(fr.site, "plant1", "scan: site");
	T_STREQ(fr.spec, "5555", "scan: spec digest");
	T_OK(fr.nsrc == 2 && strcmp(fr.src[1], "sim:b") == 0, "scan: sources");
	T_OK(fr.has_wstart && fr.ts - fr.wstart == 600 * (int64_t)1000000000,
	    "scan: ts and window start");
	T_OK(fr.nf == 4 && strcmp(fr.fname[0], "bpfo") == 0 &&
	    fr.fval[0] == 0.00615098 && fr.fval[1] == -1.5e-3 &&
	    isnan(fr.fval[2]) && fr.fval[3] == 12,
	    "scan: feature names and values, null as NaN");
	t1 = fr.ts;

	/* the same with blanks after each ',' and ':' between tokens */
	for (i = j = 0, instr = 0; line_ok[i] != '\0'; i++) {
		blanks[j++] = line_ok[i];
		if (line_ok[i] == '"')
			instr = !instr;
		if (!instr && (line_ok[i] == ',' || line_ok[i] == ':'))
			blanks[j++] = i % 2 ? ' ' : '\t';
	}
	blanks[j] = '\0';
	T_OK(scan(blanks, &fr) == 1 && fr.nf == 4 && fr.fval[1] == -1.5e-3 &&
	    fr.ts == t1 && strcmp(fr.spec, "5555") == 0,
	    "scan: blanks between tokens");

	for (i = 0; i < sizeof(decline) / sizeof(decline[0]); i++)
		T_OK(scan(edit(decline[i][0], decline[i][1]), &fr) == 0,
		    "scan: declines %s", decline[i][2]);

	/* the kept time texts follow each line */
	l = edit("00:10:00.000Z\",\"tenant", "00:20:00.000Z\",\"tenant");
	T_OK(scan(l, &fr) == 1 && fr.ts == t1 + 600 * (int64_t)1000000000,
	    "scan: another ts");
	T_OK(scan(line_ok, &fr) == 1 && fr.ts == t1, "scan: the first ts again");

	/* window, dq and prov come again byte for byte: taken as before */
	l = edit("\"start\":\"2026-10-27T00:00:00.000Z\"",
	    "\"start\":\"2026-10-26T00:00:00.000Z\"");
	T_OK(scan(l, &fr) == 1 && fr.ts - fr.wstart ==
	    87000 * (int64_t)1000000000, "scan: another window start");
	T_OK(scan(line_ok, &fr) == 1 && scan(line_ok, &fr) == 1 &&
	    fr.ts - fr.wstart == 600 * (int64_t)1000000000 && fr.nsrc == 2 &&
	    strcmp(fr.src[0], "sim:a") == 0 && strcmp(fr.src[1], "sim:b") == 0 &&
	    strcmp(fr.spec, "5555") == 0 && fr.nf == 4,
	    "scan: a repeated window, dq and prov give the same fields");
	l = edit("\"spec_sha256\":\"5555\"", "\"from\":\"x\"");
	T_OK(scan(l, &fr) == 0, "scan: a prov with a duplicate key after a "
	    "kept one");
	l = edit(",\"spec_sha256\":\"5555\"", "");
	T_OK(scan(l, &fr) == 1 && fr.spec == NULL && fr.nsrc == 2,
	    "scan: a prov without spec after one with it");

	/* sources past sixteen are read and left out */
	l = edit("\"sim:b\"]", "\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\","
	    "\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\",\"r\"]");
	T_OK(scan(l, &fr) == 1 && fr.nsrc == 16 && strcmp(fr.src[15], "p") == 0,
	    "scan: sixteen sources kept");
}

int
main(void)
{
	struct model_params pp;
	struct model_data d;
	struct model_result r;
	struct twin_err err;
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;
	const struct model_class *mc;
	struct model *m;
	json_t *cls, *feats, *sec, *doc, *sec2;
	double x[4];
	int i, n;

	test_scan();
	cls = json_loads(cls_text, 0, NULL);
	T_OK(classlib_check(cls, "t", &err) == 0, "class template checks");
	feats = classlib_features(cls);
	T_STREQ(json_string_value(json_array_get(feats, 3)), "temp:max",
	    "class features are <channel>:<name>");
	model_params_default(&pp);
	model_data_init(&d, 4);
	for (i = 0; i < 2000; i++) {
		row(x, 1 + 0.1 * sin(i / 10.0));
		model_data_add(&d, i % 2 ? "A" : "B", (int64_t)i * 1000000000,
		    x);
	}
	sec = model_train_class(cls, feats, &d, &pp, &err);
	T_OK(sec != NULL, "trains on 2000 rows");
	T_STREQ(json_string_value(json_array_get(json_object_get(sec,
	    "transform"), 0)), "log", "positive feature is log-transformed");
	sec2 = model_train_class(cls, feats, &d, &pp, &err);
	doc = json_pack("{s:s,s:s,s:{s:s,s:s,s:i,s:s},s:{s:s},s:{s:o}}",
	    "format", MODEL_FORMAT, "tenant", "acme", "train", "from",
	    "2026-01-01T00:00:00.000Z", "to", "2026-01-02T00:00:00.000Z",
	    "rows", 2000, "data_sha256", "00", "params", "method",
	    "robust-mahalanobis", "classes", "pump", sec);
	model_serialize(doc, &t1);
	json_object_set_new(json_object_get(doc, "classes"), "pump", sec2);
	model_serialize(doc, &t2);
	T_OK(t1.len == t2.len && memcmp(t1.s, t2.s, t1.len) == 0,
	    "training is deterministic: same bytes twice");
	T_OK(model_parse(t1.s, t1.len, "globex", &err) == NULL &&
	    strstr(err.msg, "tenant 'acme'") != NULL,
	    "parse refuses another tenant's model");
	m = model_parse(t1.s, t1.len, "acme", &err);
	T_OK(m != NULL, "the serialized model parses back");
	if (m == NULL)
		return T_DONE();
	mc = model_class_get(m, "pump");
	T_OK(mc != NULL && mc->p == 4 && mc->nmodes == 2, "class section");
	model_result_init(&r, mc);
	n = 0;
	for (i = 0; i < 1000; i++) {
		row(x, 1);
		model_score(m, mc, "A", x, &r, NULL);
		n += r.severity >= SEV_WARNING;
	}
	T_OK(n <= 3, "healthy rows: %d of 1000 at warning or above", n);
	row(x, 1);
	x[0] *= 30;
	T_OK(model_score(m, mc, "A", x, &r, &err) == 0 &&
	    r.severity == SEV_ALARM, "bpfo x30 is an alarm");
	T_OK(r.order[0] == 0, "top contribution is vib:bpfo");
	T_STREQ(mc->modes[r.morder[0]].mode, "outer_race",
	    "first failure mode is outer_race");
	T_OK(r.score >= r.lo && r.score <= r.hi && r.hi <= 1,
	    "band holds the score");
	T_OK(r.no_baseline == 0, "known asset uses its baseline");
	row(x, 1);
	x[1] *= 5;
	model_score(m, mc, "C", x, &r, NULL);
	T_STREQ(mc->modes[r.morder[0]].mode, "imbalance",
	    "1x rise ranks imbalance first");
	T_OK(r.no_baseline == 1, "unknown asset falls back to the class "
	    "baseline");
	row(x, 1);
	x[2] = NAN;
	T_OK(model_score(m, mc, "A", x, &r, NULL) == 0 && r.partial &&
	    r.npresent == 3 && r.c[2] == 0, "a missing feature is left out, "
	    "not zero");
	x[0] = x[1] = NAN;
	T_OK(model_score(m, mc, "A", x, &r, &err) == -1 &&
	    r.severity == SEV_UNKNOWN, "too few features: unknown");
	model_result_free(&r);
	model_free(m);
	/* damaged files */
	T_OK(model_parse("{\"format\":\"twin-model/2\"}", 25, NULL, &err) ==
	    NULL && strstr(err.msg, "format") != NULL,
	    "an unknown format version is refused");
	T_OK(model_parse(t1.s, t1.len / 2, NULL, &err) == NULL,
	    "a truncated model is refused");
	{
		char *s = xstrdup(t1.s), *p = strstr(s, "\"quantiles\":[");

		p += strlen("\"quantiles\":[");
		*p = '9';	/* first quantile now above the second */
		T_OK(model_parse(s, strlen(s), NULL, &err) == NULL,
		    "decreasing calibration quantiles are refused");
		free(s);
	}
	buf_free(&t1);
	buf_free(&t2);
	json_decref(doc);
	json_decref(feats);
	json_decref(cls);
	model_data_free(&d);
	return T_DONE();
}
