/*
 * fuzz-conf.c - libFuzzer harness for strict configuration files: any
 * bytes are parsed; when they make a document, every member and element
 * is visited with the getters and position lookups, and every line found
 * must lie within the input.
 */
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long nlines;

static void
check_line(long line)
{
	if (line < 0 || line > nlines)
		__builtin_trap();
}

static void
visit(const struct conf *c, const json_t *v, int depth)
{
	static const char *const words[] = { "a", "b", NULL };
	struct twin_err err;
	const char *k, *s;
	json_t *x, *o;
	long long ll;
	int64_t ns;
	double d;
	size_t i;
	int b;

	if (depth > 64)
		return;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, x) {
			check_line(conf_key_line(c, v, k));
			(void)conf_num(c, v, "p", k, 1, -1e9, 1e9, &d, &err);
			(void)conf_int(c, v, "p", k, 0, -5, 5, &ll, &err);
			(void)conf_bool(c, v, "p", k, 0, &b, &err);
			(void)conf_str(c, v, "p", k, 0, &s, &err);
			(void)conf_enum(c, v, "p", k, 0, words, &b, &err);
			(void)conf_dur(c, v, "p", k, 0, 0, INT64_MAX, &ns,
			    &err);
			(void)conf_obj(c, v, "p", k, 0, &o, &err);
			(void)conf_error(c, v, "p", k, &err, "x");
			visit(c, x, depth + 1);
		}
		(void)conf_keys(c, v, "p", words, &err);
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			check_line(conf_elem_line(c, v, i));
			(void)conf_elem_error(c, v, "p", i, &err, "x");
			visit(c, json_array_get(v, i), depth + 1);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twin_err err;
	struct conf *c;
	size_t i;

	nlines = 1;
	for (i = 0; i < size; i++)
		nlines += data[i] == '\n';
	if ((c = conf_parse("f.json", (const char *)data, size, &err)) ==
	    NULL)
		return 0;
	visit(c, conf_root(c), 0);
	conf_free(c);
	return 0;
}
