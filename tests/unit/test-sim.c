/* test-sim.c - the plant simulator: generator, kinematics, records. */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "ndj.h"
#include "sim.h"
#include "t.h"

/* All records of a spec, one per line. */
static char *
run(const char *spec, size_t *nrec)
{
	struct buf all = BUF_INIT, rec = BUF_INIT;
	struct twin_err err;
	struct sim *s;
	int64_t ts, last = INT64_MIN;
	int r;

	*nrec = 0;
	if ((s = sim_open(spec, "acme", &err)) == NULL)
		return NULL;
	while ((r = sim_next(s, &rec, &ts, &err)) == 1) {
		if (ts < last) {
			buf_free(&all);
			buf_free(&rec);
			sim_close(s);
			return xstrdup("out of order");
		}
		last = ts;
		buf_add(&all, rec.s, rec.len);
		buf_addc(&all, '\n');
		(*nrec)++;
	}
	sim_close(s);
	buf_free(&rec);
	buf_addc(&all, '\0');
	return all.s;
}

static const char *
open_err(const char *spec)
{
	static struct twin_err err;
	struct sim *s = sim_open(spec, "acme", &err);

	if (s != NULL) {
		sim_close(s);
		return "(opened)";
	}
	return err.msg;
}

/* Every line parses, and printing it again gives the same bytes. */
static int
reprints(const char *text)
{
	struct buf b = BUF_INIT;
	const char *p = text, *nl;
	json_t *v;
	int ok = 1;

	for (; *p && ok; p = nl + 1) {
		nl = strchr(p, '\n');
		v = ndj_parse(p, (size_t)(nl - p), NULL);
		buf_reset(&b);
		if (v == NULL || buf_json(&b, v) < 0 ||
		    b.len != (size_t)(nl - p) || memcmp(b.s, p, b.len) != 0)
			ok = 0;
		json_decref(v);
	}
	buf_free(&b);
	return ok;
}

/* The v values of the records of one tag, as a JSON array text. */
static char *
values_of(const char *text, const char *tag)
{
	struct buf b = BUF_INIT;
	const char *p = text, *nl;
	json_t *v;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		v = ndj_parse(p, (size_t)(nl - p), NULL);
		if (v != NULL && strcmp(json_string_value(json_object_get(v,
		    "tag")), tag) == 0) {
			buf_json(&b, json_object_get(v, "v"));
			buf_addc(&b, ';');
		}
		json_decref(v);
	}
	buf_addc(&b, '\0');
	return b.s;
}

/* RMS of the first block of tag at or after the nth record of it. */
static double
block_rms(const char *text, const char *tag, int nth)
{
	const char *p = text, *nl;
	json_t *v, *a;
	double s = 0;
	size_t i, n = 0;

	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		v = ndj_parse(p, (size_t)(nl - p), NULL);
		if (strcmp(json_string_value(json_object_get(v, "tag")),
		    tag) == 0 && nth-- == 0) {
			a = json_object_get(v, "v");
			n = json_array_size(a);
			for (i = 0; i < n; i++) {
				double x = json_number_value(
				    json_array_get(a, i));

				s += x * x;
			}
			json_decref(v);
			break;
		}
		json_decref(v);
	}
	return n ? sqrt(s / (double)n) : -1;
}

int
main(void)
{
	struct sim_rng r;
	struct sim_defects d;
	uint64_t st = 0;
	double sum = 0, sum2 = 0, x, lo = 1, hi = 0;
	char *a, *b, *c, *va, *vb;
	size_t na, nb, nc, i;
	int n = 200000;

	/* Published first output of splitmix64 from state 0. */
	T_OK(sim_splitmix64(&st) == 0xe220a8397b1dcdafULL,
	    "splitmix64 reference value");
	/* xoshiro256** seeded by splitmix64(1): values from an independent
	 * Python implementation. */
	sim_rng_seed(&r, 1);
	T_OK(sim_rng_next(&r) == 0xb3f2af6d0fc710c5ULL &&
	    sim_rng_next(&r) == 0x853b559647364ceaULL &&
	    sim_rng_next(&r) == 0x92f89756082a4514ULL,
	    "xoshiro256** reference values");
	for (i = 0; i < (size_t)n; i++) {
		x = sim_rng_uniform(&r);
		if (x < lo)
			lo = x;
		if (x > hi)
			hi = x;
	}
	T_OK(lo >= 0 && lo < 1e-4 && hi < 1 && hi > 1 - 1e-4,
	    "uniform covers [0, 1)");
	for (i = 0; i < (size_t)n; i++) {
		x = sim_rng_normal(&r);
		sum += x;
		sum2 += x * x;
	}
	T_OK(fabs(sum / n) < 0.01 && fabs(sum2 / n - 1) < 0.02,
	    "normal has mean 0 and variance 1 (%.4f, %.4f)", sum / n,
	    sum2 / n);

	/* CWRU's multiples of shaft speed for the 6205 drive-end bearing. */
	sim_bearing_defects(&sim_skf6205, 1.0, &d);
	T_OK(fabs(d.bpfo - 3.5848) < 2e-3 && fabs(d.bpfi - 5.4152) < 2e-3 &&
	    fabs(d.bsf - 2.357) < 2e-3 && fabs(d.ftf - 0.39828) < 2e-4,
	    "SKF 6205 defect orders (%.4f %.4f %.4f %.5f)", d.bpfo, d.bpfi,
	    d.bsf, d.ftf);
	sim_bearing_defects(&sim_skf6205, 1797 / 60.0, &d);
	T_OK(fabs(d.bpfi - 162.2) < 0.2 && fabs(d.bpfo - 107.4) < 0.2 &&
	    fabs(d.bsf - 70.5) < 0.2, "defects at 1797 rpm in Hz");

	a = run("seed=7&duration=3h&block=1h&assets=P-101,M-102", &na);
	b = run("?seed=7&duration=3h&block=1h&assets=P-101,M-102", &nb);
	c = run("seed=8&duration=3h&block=1h&assets=P-101,M-102", &nc);
	T_OK(a != NULL && b != NULL && strcmp(a, b) == 0,
	    "same seed, same bytes");
	T_OK(c != NULL && a != NULL && strcmp(a, c) != 0 && na == nc,
	    "another seed, other values, same shape");
	/* 3 h of minutes: P-101 has 5 scalars, M-102 4; 3 blocks each. */
	T_OK(na == 180 * 9 + 3 * 2, "record count (%zu)", na);
	T_OK(a != NULL && reprints(a),
	    "records print as buf_json prints them");
	T_OK(a != NULL && strstr(a, "\"src\":\"sim:7\",\"seq\":1,") != NULL,
	    "src and seq");
	T_OK(a != NULL && strstr(a, "\"rate_hz\":12800}") != NULL,
	    "blocks carry rate_hz");
	free(b);
	free(c);

	/* An asset's values do not depend on the other assets running. */
	b = run("seed=7&duration=3h&block=1h&assets=P-101", &nb);
	va = values_of(a, "Plant1/Line1/Pump01/VIB_DE_X");
	vb = values_of(b, "Plant1/Line1/Pump01/VIB_DE_X");
	T_OK(strlen(va) > 1000 && strcmp(va, vb) == 0,
	    "asset independent of the others");
	free(va);
	free(vb);
	free(a);
	free(b);

	a = run("duration=1h&block=off&assets=F-201&enc=f32le", &na);
	T_OK(na == 60 * 5 && a != NULL && strstr(a, "rate_hz") == NULL,
	    "block=off gives scalars only");
	free(a);
	a = run("duration=2h&scalar=off&block=1h&assets=P-102&enc=f32le&"
	    "axes=xy", &na);
	T_OK(na == 4 && a != NULL && strstr(a, "\"enc\":\"f32le\"}") &&
	    strstr(a, "PLANT1.L2.P102.VIB_DE_Y"), "f32le blocks, two axes");
	free(a);

	/* A fault raises the vibration of its asset only. */
	a = run("duration=3d&scalar=off&block=1d&assets=P-103,P-101&"
	    "fault=P-103:bearing_outer_race@+1d/1d", &na);
	T_OK(block_rms(a, "Plant1/Line3/Pump03/VIB_DE_X", 0) < 0.1 &&
	    block_rms(a, "Plant1/Line3/Pump03/VIB_DE_X", 2) > 0.2 &&
	    block_rms(a, "Plant1/Line1/Pump01/VIB_DE_X", 2) < 0.1,
	    "outer-race fault grows (%.3f -> %.3f g)",
	    block_rms(a, "Plant1/Line3/Pump03/VIB_DE_X", 0),
	    block_rms(a, "Plant1/Line3/Pump03/VIB_DE_X", 2));
	free(a);

	/* Sensor faults. */
	a = run("duration=10m&block=off&assets=P-101&"
	    "sensor=P-101:temperature.bearing.de:dropout@+5m", &na);
	T_OK(na == 10 * 5 - 5, "dropout drops records (%zu)", na);
	free(a);
	a = run("duration=10m&block=off&assets=P-101&"
	    "sensor=P-101:temperature.bearing.de:stuck@+5m", &na);
	va = values_of(a, "Plant1/Line1/Pump01/BRG_TEMP_DE");
	{
		char *p = va;
		int k;

		for (k = 0; k < 4; k++)
			p = strchr(p, ';') + 1;	/* the 5th value on */
		vb = xstrdup(p);
		p = strchr(vb, ';');
		*p = '\0';
		T_OK(strstr(p + 1, vb) == p + 1 &&
		    strlen(p + 1) == 5 * (strlen(vb) + 1),
		    "stuck repeats the last value (%s)", va);
		free(vb);
	}
	free(va);
	free(a);

	T_STREQ(open_err("seed=x"), "sim: bad seed 'x'", "bad seed");
	T_STREQ(open_err("colour=red"), "sim: unknown option 'colour'",
	    "unknown option");
	T_STREQ(open_err("fault=P-104:imbalance@2026-11-02"),
	    "sim: unknown asset 'P-104'", "unknown asset in fault");
	T_STREQ(open_err("fault=P-101:rust@2026-11-02"),
	    "sim: unknown fault kind 'rust'", "unknown fault kind");
	T_STREQ(open_err("fault=P-101"),
	    "sim: bad fault 'P-101' (want ASSET:KIND@ONSET[/GROWTH])",
	    "fault without onset");
	T_STREQ(open_err("scalar=2m&block=7m"),
	    "sim: block is not a multiple of scalar", "block and scalar");
	T_STREQ(open_err("scalar=off&block=off"),
	    "sim: scalar and block are both off", "nothing to make");
	T_STREQ(open_err("rate=10"),
	    "sim: bad rate '10' (1000 to 200000 Hz)", "bad rate");
	T_STREQ(open_err("assets=P-101,X"),
	    "sim: unknown asset 'X' (the plant has P-101..P-103, "
	    "M-101..M-103, F-201, F-202)", "bad asset list");
	T_STREQ(open_err("start=2026-11-01&duration=1d&fault=M-101:looseness"
	    "@+2h/3d&sensor=F-201:power:spikes@2026-11-01T05:00:00Z/1h"),
	    "(opened)", "good spec");
	return T_DONE();
}
