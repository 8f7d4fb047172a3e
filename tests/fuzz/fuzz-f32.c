/*
 * fuzz-f32.c - the fast sample-array reader agrees with jansson.
 *
 * For arbitrary bytes taken as a record: when f32_find_member() and
 * f32_parse_array() read a "v" array, jansson must parse the same text
 * (when it parses at all) to an object whose "v" holds exactly the same
 * numbers; and the line with the array replaced by [] must parse exactly
 * when the whole line does.  The bytes taken as base64 must decode as
 * buf_b64dec() decodes them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "f32.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	double *v = NULL, d;
	size_t cap = 0, lb, rb, i;
	struct buf b = BUF_INIT;
	json_error_t je;
	json_t *r, *r2, *a;
	long n;

	/* A single number must read as jansson reads it inside an array. */
	if (size > 0 && size < 64 && (i = f32_number(s, s + size, &d)) > 0 &&
	    i == size) {
		buf_addc(&b, '[');
		buf_add(&b, s, size);
		buf_addc(&b, ']');
		r = json_loadb(b.s, b.len, 0, &je);
		if (r == NULL ||
		    json_number_value(json_array_get(r, 0)) != d)
			abort();
		json_decref(r);
		buf_reset(&b);
	}
	/* base64 float32: the same acceptance and values as buf_b64dec */
	n = f32_decode_b64le(s, size, &v, &cap);
	if (buf_b64dec(&b, s, size) < 0 || b.len % 4 != 0) {
		if (n != -1)
			abort();
	} else {
		if (n < 0 || (size_t)n != b.len / 4)
			abort();
		for (i = 0; i < (size_t)n; i++) {
			float f;

			memcpy(&f, b.s + 4 * i, 4);
			if (!(isnan(f) && isnan(v[i])) && (double)f != v[i])
				abort();
		}
	}
	buf_reset(&b);
	if (!f32_find_member(s, size, "v", &lb, &rb))
		goto out;
	if (lb >= rb || rb >= size || s[lb] != '[' || s[rb] != ']')
		abort();
	n = f32_parse_array(s + lb, rb - lb + 1, &v, &cap);
	if (n < 0)
		goto out;
	r = json_loadb(s, size, JSON_REJECT_DUPLICATES, &je);
	buf_add(&b, s, lb);
	buf_add(&b, "[]", 2);
	buf_add(&b, s + rb + 1, size - rb - 1);
	r2 = json_loadb(b.s, b.len, JSON_REJECT_DUPLICATES, &je);
	if ((r == NULL) != (r2 == NULL))
		abort();
	if (r != NULL) {
		a = json_object_get(r, "v");
		if (!json_is_array(a) || json_array_size(a) != (size_t)n)
			abort();
		for (i = 0; i < (size_t)n; i++) {
			d = json_number_value(json_array_get(a, i));
			if (!(d == v[i] && signbit(d) == signbit(v[i])))
				abort();
		}
	}
	json_decref(r);
	json_decref(r2);
out:
	buf_free(&b);
	free(v);
	return 0;
}
