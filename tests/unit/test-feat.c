/*
 * test-feat.c - feature math, FFT plans, the spec parser and the fast
 * sample-array reader against values known in closed form.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "buf.h"
#include "f32.h"
#include "feat.h"
#include "featspec.h"
#include "fft.h"

static double
get(const struct feat_out *o, const char *name)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->name[i], name) == 0)
			return o->v[i];
	return NAN;
}

static int
near(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(1, fabs(b));
}

static void
test_defects(void)
{
	/* CWRU drive-end bearing, SKF 6205-2RS (multiples of shaft speed). */
	struct feat_bearing b = { 9, 0.3126, 1.537, 0 };
	struct feat_defects d;

	feat_defects(&b, &d);
	T_OK(near(d.bpfi, 5.4152, 1e-4), "BPFI of the 6205 is 5.4152x");
	T_OK(near(d.bpfo, 3.5848, 1e-4), "BPFO of the 6205 is 3.5848x");
	T_OK(near(d.ftf, 0.39828, 1e-4), "FTF of the 6205 is 0.39828x");
	T_OK(near(d.bsf, 2.357, 1e-3), "BSF of the 6205 is 2.357x");
}

static void
test_sine(void)
{
	struct feat_ws *ws = feat_ws_new();
	struct feat_opts o;
	struct feat_out *out = malloc(sizeof(*out));
	struct twin_err err;
	double x[4096], fs = 4096, a = 2, f = 64;
	size_t i;

	/* A sine on a bin centre: every figure is known exactly. */
	for (i = 0; i < 4096; i++)
		x[i] = a * sin(2 * M_PI * f * (double)i / fs);
	memset(&o, 0, sizeof(o));
	o.sel = FEAT_TIME | FEAT_SPECTRAL | FEAT_VEL_RMS;
	o.rate_hz = fs;
	o.speed_hz = f;
	o.order_tol = 0.02;
	o.vel_lo = 10;
	o.vel_hi = 1000;
	o.vel_scale = 9806.65;
	o.nbands = 1;
	snprintf(o.bands[0].name, sizeof(o.bands[0].name), "b");
	o.bands[0].lo = 50;
	o.bands[0].hi = 80;
	T_OK(feat_compute(ws, &o, x, NULL, 4096, out, &err) == 0,
	    "features of a sine");
	T_OK(near(get(out, "rms"), a / sqrt(2), 1e-12), "sine rms A/sqrt2");
	T_OK(near(get(out, "crest"), sqrt(2), 1e-9), "sine crest sqrt2");
	T_OK(near(get(out, "kurtosis"), 1.5, 1e-9), "sine kurtosis 1.5");
	T_OK(fabs(get(out, "skewness")) < 1e-9, "sine skewness 0");
	/* Sampled, mean |x| is 2/pi to 2e-4. */
	T_OK(near(get(out, "shape"), M_PI / (2 * sqrt(2)), 1e-3),
	    "sine shape factor pi/(2 sqrt2)");
	T_OK(near(get(out, "peak_hz"), f, 0), "sine peak at its frequency");
	T_OK(near(get(out, "centroid"), f, 1e-9), "sine centroid");
	T_OK(near(get(out, "x1"), a, 1e-9), "1x amplitude on a bin centre");
	T_OK(get(out, "x2") < 1e-9, "no 2x line");
	T_OK(near(get(out, "band_b"), a / sqrt(2), 1e-9),
	    "band rms holds the sine");
	/* The Hann window spreads the line over f +- 1 bin, which the 1/f
	 * of integration weighs unevenly: 1.2e-4 at bin 64. */
	T_OK(near(get(out, "vel_rms"), a * 9806.65 / (2 * M_PI * f) / sqrt(2),
	    2e-4), "velocity rms of a sine of acceleration");
	T_OK(isnan(get(out, "slope")), "slope not selected");
	/* data quality from the sums feat_compute() kept, as from scratch */
	{
		struct feat_dq d1, d2;
		int same = 1, k;
		static const double lim[][4] = {
			{ -1, 1, 3, 0 }, { -0.5, 0.5, 1.2, 0 }, { 0, 0, 1.4, 0 },
			{ -1, 1, 0, 10 }, { 2, 1, 1.0, 0 }
		};

		x[100] = 7;	/* a spike, out of range */
		T_OK(feat_compute(ws, &o, x, NULL, 4096, out, &err) == 0,
		    "features of a sine with a spike");
		for (k = 0; k < 5; k++) {
			feat_quality(x, 4096, lim[k][0], lim[k][1], lim[k][2],
			    lim[k][3], &d1);
			feat_quality_ws(ws, x, 4096, lim[k][0], lim[k][1],
			    lim[k][2], lim[k][3], &d2);
			same &= d1.nan == d2.nan && d1.spikes == d2.spikes &&
			    d1.out_of_range == d2.out_of_range &&
			    d1.flatline == d2.flatline;
		}
		T_OK(same, "feat_quality_ws equals feat_quality after "
		    "feat_compute");
		feat_quality_ws(ws, x, 4096, -3, 3, 3, 0, &d2);
		T_OK(d2.spikes >= 1 && d2.out_of_range == 1,
		    "feat_quality_ws counts the spike");
		feat_quality_ws(ws, x + 1, 4095, -1, 1, 3, 0, &d1);
		feat_quality(x + 1, 4095, -1, 1, 3, 0, &d2);
		T_OK(d1.spikes == d2.spikes && d1.out_of_range ==
		    d2.out_of_range, "another window goes to feat_quality");
		x[100] = a * sin(2 * M_PI * f * 100 / fs);
	}
	/* Too few finite values: nothing. */
	x[0] = NAN;
	T_OK(feat_compute(ws, &o, x, NULL, 2, out, &err) == 0 && out->n == 0,
	    "one finite value gives no features");
	feat_ws_free(ws);
	free(out);
}

static void
test_quality(void)
{
	double x[100];
	struct feat_dq dq;
	size_t i;

	for (i = 0; i < 100; i++)
		x[i] = (double)(i % 2);
	x[10] = NAN;
	x[20] = 1000;
	feat_quality(x, 100, -1, 2, 5, 0, &dq);
	T_OK(dq.nan == 1, "quality: one NaN");
	T_OK(dq.out_of_range == 1, "quality: one out of range");
	T_OK(dq.spikes == 1, "quality: one spike");
	T_OK(!dq.flatline, "quality: not flat");
	for (i = 0; i < 100; i++)
		x[i] = 3;
	feat_quality(x, 100, 0, 0, 5, 0, &dq);
	T_OK(dq.flatline && dq.spikes == 0, "quality: stuck sensor is flat");
	/* an infinity is counted with the NaNs and spoils no other figure */
	x[7] = INFINITY;
	feat_quality(x, 100, 0, 10, 5, 0, &dq);
	T_OK(dq.nan == 1 && dq.flatline && dq.out_of_range == 0,
	    "quality: +inf in a stuck series is non-finite, still flat");
	/* all finite, an odd count: the last value goes through the tail */
	for (i = 0; i < 99; i++)
		x[i] = (double)(i % 3);
	x[98] = -50;
	feat_quality(x, 99, -1, 3, 5, 0, &dq);
	T_OK(dq.nan == 0 && dq.out_of_range == 1 && dq.spikes == 1 &&
	    !dq.flatline, "quality: odd count, outlier last");
	x[98] = 2;
	x[0] = 9;
	feat_quality(x, 99, -1, 3, 0, 0, &dq);
	T_OK(dq.out_of_range == 1 && dq.spikes == 0,
	    "quality: outlier first, spikes off");
}

static void
test_iso(void)
{
	double lim[3] = { 1.4, 2.8, 4.5 };

	T_OK(feat_iso_zone(1.4, lim) == 'A', "zone A up to A/B");
	T_OK(feat_iso_zone(1.41, lim) == 'B', "zone B past A/B");
	T_OK(feat_iso_zone(4.5, lim) == 'C', "zone C up to C/D");
	T_OK(feat_iso_zone(7, lim) == 'D', "zone D");
}

static void
test_fft_plans(void)
{
	struct fft *f = fft_new();
	double *x, *c = NULL;
	size_t n, i;
	int k;

	/* sizes 64, 64, 32: an impulse each time */
	for (k = 0; k < 3; k++) {
		n = k < 2 ? 64 : 32;
		x = fft_in(f, n, NULL);
		for (i = 0; i < n; i++)
			x[i] = i == 0;
		c = fft_run(f, n);
	}
	T_OK(fft_nplans(f) == 2, "one plan per size");
	T_OK(c != NULL && c[10] == 1 && c[11] == 0,
	    "impulse has a flat spectrum");
	fft_free(f);
}

static void
test_spec(void)
{
	static const char good[] = "{\"version\":1,\"iso20816\":{\"groups\":"
	    "{\"2\":{\"rigid\":[1.4,2.8,4.5]}}},\"classes\":{\"p\":{\"speed\":"
	    "{\"rpm\":1800},\"iso\":{\"group\":2,\"foundation\":\"rigid\"},"
	    "\"channels\":[{\"match\":\"vib*\",\"window\":{\"n\":1024,"
	    "\"hop\":512},\"features\":[\"time\",\"envelope\"]}]}},"
	    "\"assets\":{\"P-1\":{\"iso\":{\"limits\":[1,2,3]}}}}";
	static const char *bad[] = {
		"{}",
		"{\"version\":2,\"classes\":{}}",
		"{\"version\":1,\"classes\":{\"p\":{\"channels\":[{\"match\":"
		    "\"*\",\"window\":{\"n\":8},\"features\":[\"rms\"]}]}}}",
		"{\"version\":1,\"classes\":{\"p\":{\"channels\":[{\"match\":"
		    "\"*\",\"window\":{\"n\":64,\"length\":\"1s\"},"
		    "\"features\":[\"rms\"]}]}}}",
		"{\"version\":1,\"classes\":{\"p\":{\"speed\":{},\"channels\":"
		    "[{\"match\":\"*\",\"window\":{\"n\":64},\"features\":"
		    "[\"rms\"]}]}}}",
		"{\"version\":1,\"iso20816\":\"x.json\",\"classes\":{}}",
		"[1,2]",
		"{\"version\":1,\"version\":1}"
	};
	struct featspec *s;
	struct twin_err err;
	double lim[3];
	size_t i;

	s = featspec_parse(good, strlen(good), NULL, &err);
	T_OK(s != NULL, "a good spec parses");
	if (s == NULL)
		return;
	T_OK(featspec_chan(featspec_class(s, "p"), "vibration.de.x") != NULL,
	    "a channel pattern matches");
	T_OK(featspec_chan(featspec_class(s, "p"), "temperature") == NULL,
	    "other channels do not");
	T_OK(featspec_iso_limits(s, featspec_class(s, "p"), "P-2", lim) == 0 &&
	    lim[1] == 2.8, "ISO limits from the table");
	T_OK(featspec_iso_limits(s, featspec_class(s, "p"), "P-1", lim) == 0 &&
	    lim[1] == 2, "ISO limits overridden per asset");
	featspec_free(s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&err);
		s = featspec_parse(bad[i], strlen(bad[i]), NULL, &err);
		T_OK(s == NULL && err.code == TWIN_ECONFIG && err.msg[0],
		    "bad spec %zu refused: %s", i, err.msg);
		featspec_free(s);
	}
}

static void
test_f32(void)
{
	static const char line[] = "{\"a\":\"x\\\"v\\\":[9]\",\"b\":{\"v\":[8]},"
	    "\"v\":[1, -0.5,2.5e-3 ,0,123456789012345678,0.1,"
	    "1.7976931348623157e308,4.9e-324] ,\"z\":1}";
	static const char *notplain[] = { "[1,null]", "[1,]", "[01]",
	    "[1e999]", "[12345678901234567890]", "[\"1\"]", "[1 2]" };
	double *v = NULL;
	size_t cap = 0, lb, rb, i;
	long n;

	T_OK(f32_find_member(line, strlen(line), "v", &lb, &rb) == 1 &&
	    line[lb] == '[' && line[rb] == ']' && lb > 30,
	    "the top-level 'v' is found, not one in a string or an object");
	n = f32_parse_array(line + lb, rb - lb + 1, &v, &cap);
	T_OK(n == 8, "eight numbers read");
	T_OK(n == 8 && v[1] == -0.5 && v[2] == 2.5e-3 && v[5] == 0.1 &&
	    v[4] == 123456789012345678.0 && v[6] == 1.7976931348623157e308 &&
	    v[7] == 4.9e-324, "numbers read exactly");
	for (i = 0; i < sizeof(notplain) / sizeof(notplain[0]); i++)
		T_OK(f32_parse_array(notplain[i], strlen(notplain[i]), &v,
		    &cap) == -1, "'%s' left to jansson", notplain[i]);
	/* 1.0f, -2.0f, NaN as float32 little-endian */
	n = f32_decode_b64le("AACAPwAAAMAAAMB/", 16, &v, &cap);
	T_OK(n == 3 && v[0] == 1 && v[1] == -2 && isnan(v[2]),
	    "f32le block decoded");
	T_OK(f32_decode_b64le("AACAPwAA", 8, &v, &cap) == -1,
	    "f32le of 6 bytes refused");
	T_OK(f32_decode_b64le("AACAPwA=", 8, &v, &cap) == -1,
	    "f32le of 5 bytes refused");
	T_OK(f32_decode_b64le("AAC=PwAA", 8, &v, &cap) == -1,
	    "padding inside refused");
	{
		/* 7 floats: 28 bytes, 40 digits with padding; 1.5f each */
		static const char s7[] =
		    "AADAPwAAwD8AAMA/AADAPwAAwD8AAMA/AADAPw==";
		n = f32_decode_b64le(s7, strlen(s7), &v, &cap);
		T_OK(n == 7 && v[0] == 1.5 && v[6] == 1.5,
		    "f32le block with padding decoded");
	}
	free(v);
}

int
main(void)
{
	test_defects();
	test_sine();
	test_quality();
	test_iso();
	test_fft_plans();
	test_spec();
	test_f32();
	return T_DONE();
}
