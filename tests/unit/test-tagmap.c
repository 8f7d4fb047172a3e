/*
 * test-tagmap.c - lib/tagmap, lib/rawrec and lib/fastnum: the map in its
 * JSON and CSV forms, lookups, problems, the sample writer, and the fast
 * paths checked against their references (jansson, strtod, fmt_double).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fastnum.h"
#include "ndj.h"
#include "rawrec.h"
#include "tagmap.h"
#include "t.h"
#include "banned.h"

static const char map_json[] =
    "{\"tenant\":\"acme\",\"site\":\"plant1\",\"tags\":[\n"
    "{\"tag\":\"PLANT1.L2.P102.BRG_TEMP_F\",\"asset\":\"P-102\","
    "\"class\":\"centrifugal_pump\",\"channel\":\"temperature.bearing.de\","
    "\"unit\":\"degF\",\"min\":-40,\"max\":150},\n"
    "{\"pattern\":\"Plant1/Line[0-9]/Pump(\\\\d+)/VIB_X\","
    "\"asset\":\"P-1$1\",\"class\":\"centrifugal_pump\","
    "\"channel\":\"vibration.de.x\",\"unit\":\"m/s2\"},\n"
    "{\"pattern\":\"L(1|2)_([A-Za-z]+)\",\"site\":\"s$1\",\"asset\":\"P-$1\","
    "\"class\":\"centrifugal_pump\",\"channel\":\"pressure.$2\","
    "\"unit\":\"bar\"},\n"
    "{\"tag\":\"loop\",\"asset\":\"P-1\",\"class\":\"centrifugal_pump\","
    "\"channel\":\"pressure.discharge\",\"unit\":\"kPa\",\"scale\":62.5,"
    "\"offset\":-250}\n"
    "]}\n";

static const char map_csv[] =
    "# exported from the historian\r\n"
    "# tenant: acme\r\n"
    "# site: plant1\r\n"
    "tag,pattern,asset,class,channel,unit,min,max\r\n"
    "PLANT1.L2.P102.BRG_TEMP_F,,P-102,centrifugal_pump,"
    "temperature.bearing.de,degF,-40,150\r\n"
    ",Plant1/Line[0-9]/Pump(\\d+)/VIB_X,P-1$1,centrifugal_pump,"
    "vibration.de.x,m/s2,,\r\n"
    ",\"L(1|2)_([A-Za-z]+)\",P-$1,centrifugal_pump,pressure.$2,bar,,\r\n";

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct tagmap *
load(const char *text, struct buf *problems)
{
	struct twin_err err;

	buf_reset(problems);
	return tagmap_parse("m", text, strlen(text), problems, &err);
}

static const char *
frag(struct tagmap *m, const char *tag)
{
	const struct tagmap_hit *h = tagmap_lookup(m, tag, strlen(tag));

	if (h->e == NULL)
		return "(unmapped)";
	return h->bad ? h->bad : h->frag;
}

/* Map one line through jansson (the reference) into out. */
static int
map_slow(struct tagmap *m, const char *line, struct buf *out)
{
	struct rawrec rr = RAWREC_INIT;
	struct twin_err err;
	json_t *j = ndj_parse(line, strlen(line), &err);
	int rc = -1;

	if (j != NULL && rawrec_from_json(j, &rr, &err) == 0)
		rc = tagmap_sample(m, &rr, out, &err);
	json_decref(j);
	rawrec_free(&rr);
	return rc;
}

static void
test_maps(void)
{
	struct buf p = BUF_INIT, out = BUF_INIT;
	struct tagmap *m, *c;
	struct twin_err err;
	const struct tagmap_hit *h;
	char tag[32];
	int i;

	m = load(map_json, &p);
	T_OK(m != NULL && p.len == 0, "JSON map loads");
	if (m == NULL)
		return;
	T_STREQ(tagmap_tenant(m), "acme", "tenant from the map");
	T_OK(tagmap_count(m) == 4, "four entries");
	T_OK(tagmap_entry_at(m, 1)->line == 3, "entry line numbers");
	T_STREQ(frag(m, "PLANT1.L2.P102.BRG_TEMP_F"), "\"site\":\"plant1\","
	    "\"asset\":\"P-102\",\"class\":\"centrifugal_pump\","
	    "\"channel\":\"temperature.bearing.de\",\"unit\":\"degC\"",
	    "exact lookup");
	T_STREQ(frag(m, "Plant1/Line3/Pump03/VIB_X"), "\"site\":\"plant1\","
	    "\"asset\":\"P-103\",\"class\":\"centrifugal_pump\","
	    "\"channel\":\"vibration.de.x\",\"unit\":\"g\"",
	    "pattern with \\d and a capture");
	T_STREQ(frag(m, "L2_discharge"), "\"site\":\"s2\",\"asset\":\"P-2\","
	    "\"class\":\"centrifugal_pump\",\"channel\":"
	    "\"pressure.discharge\",\"unit\":\"kPa\"",
	    "captures in site, asset and channel");
	T_STREQ(frag(m, "L1_SUCT"), "maps to invalid channel "
	    "'pressure.SUCT'", "an upper-case capture is an invalid channel");
	T_STREQ(frag(m, "xPlant1/Line3/Pump03/VIB_X"), "(unmapped)",
	    "patterns are anchored at the start");
	T_STREQ(frag(m, "Plant1/Line3/Pump03/VIB_Xy"), "(unmapped)",
	    "patterns are anchored at the end");
	T_STREQ(frag(m, "plant1.l2.p102.brg_temp_f"), "(unmapped)",
	    "tags are case-sensitive");
	h = tagmap_lookup(m, "Plant1/Line3/Pump03/VIB_X", 25);
	T_OK(h == tagmap_lookup(m, "Plant1/Line3/Pump03/VIB_X", 25),
	    "a pattern hit is remembered");
	/* Past the cache limit lookups still work, memory stays bounded. */
	for (i = 0; i < TAGMAP_CACHE_MAX + 100; i++) {
		snprintf(tag, sizeof(tag), "unknown-%d", i);
		if (tagmap_lookup(m, tag, strlen(tag))->e != NULL)
			break;
	}
	T_OK(i == TAGMAP_CACHE_MAX + 100, "many unknown tags stay unknown");
	T_STREQ(frag(m, "Plant1/Line9/Pump77/VIB_X"), "\"site\":\"plant1\","
	    "\"asset\":\"P-177\",\"class\":\"centrifugal_pump\","
	    "\"channel\":\"vibration.de.x\",\"unit\":\"g\"",
	    "patterns still match with the cache full");

	buf_reset(&out);
	T_OK(map_slow(m, "{\"kind\":\"raw\",\"ts\":\"2026-11-21T10:00:00Z\","
	    "\"tenant\":\"acme\",\"src\":\"s\",\"seq\":7,\"tag\":\"loop\","
	    "\"v\":12,\"q\":1073741824}", &out) == 1, "sample written");
	T_OK(strncmp(buf_str(&out), "{\"kind\":\"sample\",\"ts\":"
	    "\"2026-11-21T10:00:00.000Z\",\"tenant\":\"acme\",\"site\":"
	    "\"plant1\",\"asset\":\"P-1\",\"class\":\"centrifugal_pump\","
	    "\"channel\":\"pressure.discharge\",\"unit\":\"kPa\",\"v\":500.0,"
	    "\"q\":\"uncertain\",\"src\":\"s\",\"seq\":7,\"prov\":"
	    "{\"tagmap_sha256\":\"", 235) == 0 && out.len == 235 + 64 + 3,
	    "sample text: loop scaled, OPC UA uncertain, provenance");
	buf_reset(&out);
	T_OK(map_slow(m, "{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\","
	    "\"src\":\"s\",\"seq\":1,\"tag\":\"Plant1/Line1/Pump01/VIB_X\","
	    "\"v\":[9.80665,-4.903325],\"rate_hz\":12800}", &out) == 1 &&
	    strstr(out.s, "\"v\":[1.0,-0.5],\"rate_hz\":12800,") != NULL,
	    "block converted element-wise, stays a block");
	buf_reset(&out);
	T_OK(map_slow(m, "{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\","
	    "\"src\":\"s\",\"seq\":1,\"tag\":\"PLANT1.L2.P102.BRG_TEMP_F\","
	    "\"v\":400}", &out) == 1 &&
	    strstr(out.s, "\"flags\":[\"out_of_range\"]") != NULL &&
	    strstr(out.s, "\"v\":204.44444444444446,") != NULL,
	    "out of range flagged, not clamped");
	buf_reset(&out);
	T_OK(map_slow(m, "{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\","
	    "\"src\":\"s\",\"seq\":1,\"tag\":\"nope\",\"v\":1}", &out) == 0 &&
	    out.len == 0, "unmapped tag: 0, nothing written");

	c = load(map_csv, &p);
	T_OK(c != NULL && p.len == 0, "CSV map loads");
	if (c != NULL) {
		T_STREQ(tagmap_tenant(c), "acme", "tenant directive");
		T_STREQ(frag(c, "Plant1/Line3/Pump03/VIB_X"),
		    frag(m, "Plant1/Line3/Pump03/VIB_X"),
		    "CSV and JSON forms map alike");
		T_OK(tagmap_entry_at(c, 2)->line == 7, "CSV line numbers");
	}
	tagmap_free(c);
	tagmap_free(m);

	m = load("{\"site\":\"s\",\"tags\":[\n{\"tag\":\"a\",\"asset\":\"A\","
	    "\"class\":\"fan\",\"channel\":\"power\",\"unit\":\"W\"},\n"
	    "{\"tag\":\"a\",\"asset\":\"B\",\"class\":\"fan\",\"channel\":"
	    "\"power\",\"unit\":\"degC\"},\n{\"tag\":\"a\",\"asset\":\"B\","
	    "\"class\":\"fan\",\"channel\":\"power\",\"unit\":\"kW\"}]}", &p);
	T_OK(m == NULL, "a bad map does not load");
	T_STREQ(buf_str(&p), "m:3: channel 'power': unit 'degC' is a "
	    "temperature unit, not power (kW)\nm:4: duplicate tag 'a' "
	    "(first at line 2)\n", "every problem, with its line");
	m = load("#site: s\ntag,asset,class,channel,unit\n\"a,b\",A,fan,"
	    "power,W\n\"open,A,fan,power,W\n", &p);
	T_OK(m == NULL, "unterminated quote");
	T_STREQ(buf_str(&p), "m:4: unterminated quoted field\n",
	    "CSV problem position");
	m = load("\xef\xbb\xbf# site: s\ntag,asset,class,channel,unit\n"
	    "T,A,fan,power,W\n",
	    &p);
	T_OK(m != NULL && tagmap_count(m) == 1,
	    "a CSV export with a byte order mark");
	tagmap_free(m);
	m = load("[]", &p);
	T_OK(m == NULL && p.len > 0, "a JSON array is not a map");
	T_OK(tagmap_load("/nonexistent/map.json", &p, &err) == NULL &&
	    err.code == TWIN_ECONFIG, "missing file is a config error");
	buf_free(&p);
	buf_free(&out);
}

/* rawrec_scan accepts only what jansson reads the same way. */
static void
test_scan(void)
{
	static const char *const lines[] = {
		("{\"kind\":\"raw\",\"ts\":\"2026-11-21T10:00:00.125Z\","
		    "\"tenant\":\"acme\",\"src\":\"s\",\"seq\":3,\"tag\":\"t\","
		    "\"v\":1.25,\"q\":\"bad\",\"unit\":\"g\"}"),
		("{ \"kind\" : \"raw\" , \"ts\" : 1795255200000 , \"tenant\":"
		    "\"acme\",\"src\":\"s\",\"seq\":0,\"tag\":\"t\",\"v\":-0,"
		    "\"q\":3221225472,\"recv\":\"x\"}"),
		("{\"kind\":\"raw\",\"ts\":\"2026-11-21T10:00:00Z\",\"tenant\":"
		    "\"acme\",\"src\":\"s\",\"seq\":1,\"tag\":\"t\","
		    "\"v\":1e-400}"),
	};
	static const char *const declined[] = {
		("{\"kind\":\"raw\",\"ts\":\"2026-11-21T10:00:00Z\",\"tenant\":"
		    "\"acme\",\"src\":\"s\",\"seq\":1,\"tag\":\"t\","
		    "\"v\":12345678901234567890123e-5}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\",\"v\":1,\"v\":2}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\\u0041\",\"v\":1}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\",\"v\":1e400}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\",\"v\":01}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1.0,\"tag\":\"t\",\"v\":1}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\",\"v\":1} x"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\",\"v\":[1],\"rate_hz\":1}"),
		("{\"kind\":\"event\",\"ts\":0,\"tenant\":\"acme\"}"),
		("{\"kind\":\"raw\",\"ts\":0,\"tenant\":\"acme\",\"src\":\"s\","
		    "\"seq\":1,\"tag\":\"t\"}"),
	};
	struct rawrec a = RAWREC_INIT, b = RAWREC_INIT;
	struct twin_err err;
	size_t i;
	int same = 1;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		json_t *j = ndj_parse(lines[i], strlen(lines[i]), &err);

		if (!rawrec_scan(lines[i], strlen(lines[i]), &a) || j == NULL ||
		    rawrec_from_json(j, &b, &err) < 0 || a.ts != b.ts ||
		    a.seq != b.seq || memcmp(&a.v, &b.v, sizeof(a.v)) != 0 ||
		    a.q != b.q || (a.unit == NULL) != (b.unit == NULL) ||
		    a.taglen != b.taglen || memcmp(a.tag, b.tag, a.taglen)) {
			printf("# differs: %s\n", lines[i]);
			same = 0;
		}
		json_decref(j);
	}
	T_OK(same, "scanner and jansson read the same fields");
	same = 1;
	for (i = 0; i < sizeof(declined) / sizeof(declined[0]); i++)
		if (rawrec_scan(declined[i], strlen(declined[i]), &a)) {
			printf("# accepted: %s\n", declined[i]);
			same = 0;
		}
	T_OK(same, "scanner declines what it does not read");
	rawrec_free(&a);
	rawrec_free(&b);
}

/* The easy-number paths give exactly what strtod and fmt_double give. */
static void
test_fastnum(void)
{
	char a[40], b[40], t[40];
	long i, bad = 0, fast = 0;
	double x, y;

	for (i = 0; i < 400000; i++) {
		uint64_t r = next();

		switch (i % 5) {
		case 0:
			x = (double)(r % 10000000) / 1000;
			break;
		case 1:
			x = ((double)(r % 1000000) / 100 - 32) * 5 / 9;
			break;
		case 2:
			memcpy(&x, &r, sizeof(x));
			if (!isfinite(x))
				x = 1;
			break;
		case 3:
			x = (double)(r % 100000) / 1000 * 4.4482216152605 /
			    0.64516;
			break;
		default:
			x = -(double)(r % 1000) / 9.80665;
			break;
		}
		if (fastnum_format(x, b) < 0)
			continue;
		fast++;
		fmt_double_printf(x, a);
		if (strcmp(a, b) != 0 && bad++ < 5)
			printf("# %.17g: fmt_double %s, fastnum %s\n", x, a, b);
	}
	T_OK(bad == 0, "fastnum_format equals fmt_double (%ld values)", fast);
	T_OK(fast > 200000, "fastnum_format takes most values (%ld)", fast);
	fastnum_format(1782, b);
	T_STREQ(b, "1782.0", "an integral value keeps '.0'");
	fastnum_format(0.0005, b);
	T_STREQ(b, "0.0005", "small value in fixed notation");
	fastnum_format(0.00005, b);
	T_STREQ(b, "5e-05", "below 1e-4 in printf's exponent form");
	T_OK(fastnum_format(1e-16, b) < 0, "below 1e-15 is left to printf");
	T_OK(fastnum_format(1e15, b) < 0, "1e15 is left to printf");
	T_OK(fastnum_format(0.5, b) < 0, "a power of two is left to printf");

	for (i = 0, bad = 0; i < 400000; i++) {
		uint64_t r = next();
		int n = snprintf(t, sizeof(t), "%s%llu%s%llu%s%d",
		    r & 1 ? "-" : "", (unsigned long long)(r >> 8) % 100000,
		    r & 2 ? "." : "", (unsigned long long)(r >> 30) % 1000000,
		    r & 4 ? "e" : "e+", (int)((r >> 50) % 30) - 15);

		if (fastnum_parse(t, (size_t)n, &x) == 0 &&
		    x != (y = strtod(t, NULL)) && bad++ < 5)
			printf("# %s: strtod %.17g, fastnum %.17g\n", t, y, x);
	}
	T_OK(bad == 0, "fastnum_parse equals strtod");
	T_OK(fastnum_parse("1234567890123456", 16, &x) < 0,
	    "16 significant digits are left to strtod");
	T_OK(fastnum_parse("0.000000000000000000000000001", 29, &x) < 0,
	    "10^-27 is left to strtod");
	T_OK(fastnum_parse("2.5e3", 5, &x) == 0 && x == 2500, "2.5e3");
}

int
main(void)
{
	test_maps();
	test_scan();
	test_fastnum();
	return T_DONE();
}
