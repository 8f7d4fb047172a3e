/*
 * fuzz-rawfast.c - differential test of twin-map's two readers.  For any
 * line the fast scanner accepts, jansson must accept it too as a raw
 * record of the same tenant, and both must give byte-identical samples.
 * The easy-number paths are checked against strtod and fmt_double on the
 * same bytes.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fastnum.h"
#include "ndj.h"
#include "rawrec.h"
#include "rec.h"
#include "tagmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char map_text[] =
    "{\"tenant\":\"acme\",\"site\":\"s\",\"tags\":["
    "{\"tag\":\"t\",\"asset\":\"A\",\"class\":\"fan\","
    "\"channel\":\"temperature.x\",\"unit\":\"degF\",\"min\":0,\"max\":50},"
    "{\"tag\":\"p\",\"asset\":\"A\",\"class\":\"fan\","
    "\"channel\":\"pressure.x\",\"unit\":\"psi\"},"
    "{\"pattern\":\"v([0-9])\",\"asset\":\"V-$1\",\"class\":\"fan\","
    "\"channel\":\"vibration.x\",\"unit\":\"m/s2\"}]}";

static struct tagmap *map;

static void
check_numbers(const uint8_t *data, size_t size)
{
	char a[40], b[40], *t;
	double x, y;

	if (size >= sizeof(double)) {
		memcpy(&x, data, sizeof(x));
		if (isfinite(x) && fastnum_format(x, b) >= 0) {
			fmt_double_printf(x, a);
			if (strcmp(a, b) != 0)
				__builtin_trap();
		}
	}
	if (size > 0 && size < 64) {
		t = malloc(size + 1);
		memcpy(t, data, size);
		t[size] = '\0';
		/* Only JSON number text reaches fastnum_parse. */
		if (strspn(t, "-0123456789.eE+") == size &&
		    fastnum_parse(t, size, &x) == 0) {
			y = strtod(t, NULL);
			if (x != y && !(x == 0 && y == 0))
				__builtin_trap();
		}
		free(t);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rawrec fast = RAWREC_INIT, slow = RAWREC_INIT;
	struct buf line = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	struct twin_err err;
	enum rec_kind kind;
	json_t *j = NULL;
	int64_t ts;
	int ra, rb;

	if (map == NULL && (map = tagmap_parse("m", map_text,
	    sizeof(map_text) - 1, NULL, &err)) == NULL)
		__builtin_trap();
	check_numbers(data, size);
	buf_add(&line, data, size);
	buf_str(&line);
	if (!rawrec_scan(line.s, line.len, &fast) ||
	    fast.tenantlen != 4 || memcmp(fast.tenant, "acme", 4) != 0)
		goto out;
	/* The scanner accepted: jansson must agree on everything. */
	if ((j = ndj_parse(line.s, line.len, &err)) == NULL ||
	    rec_check(j, "acme", &kind, &ts, &err) < 0 || kind != REC_RAW ||
	    rawrec_from_json(j, &slow, &err) < 0 || ts != fast.ts)
		__builtin_trap();
	ra = tagmap_sample(map, &fast, &a, &err);
	rb = tagmap_sample(map, &slow, &b, &err);
	if (ra != rb || a.len != b.len || (a.len > 0 &&
	    memcmp(a.s, b.s, a.len) != 0))
		__builtin_trap();
out:
	json_decref(j);
	rawrec_free(&fast);
	rawrec_free(&slow);
	buf_free(&line);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
