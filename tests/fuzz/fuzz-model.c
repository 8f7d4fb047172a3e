/*
 * fuzz-model.c - the model file parser on any bytes, and the feature
 * record scanner against jansson: where featrec_scan() accepts a line,
 * jansson must accept it too and give the same fields.  The first byte
 * chooses: odd for a model file, even for a feature record.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ndj.h"
#include "rec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
fuzz_model(const char *s, size_t n)
{
	struct twin_err err;
	struct model_result r;
	struct model *m = model_parse(s, n, NULL, &err);
	double *x;
	size_t i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->ncls; i++) {
		const struct model_class *mc = &m->cls[i];

		x = malloc(mc->p * sizeof(*x));
		for (j = 0; j < mc->p; j++)
			x[j] = j % 3 == 2 ? NAN : (double)j + 0.5;
		model_result_init(&r, mc);
		model_score(m, mc, "A", x, &r, &err);
		model_result_free(&r);
		free(x);
	}
	model_free(m);
}

static void
fuzz_featrec(const char *s, size_t n)
{
	static struct featrec a, b;
	struct twin_err err;
	enum rec_kind kind;
	int64_t ts;
	json_t *r;
	size_t i;

	if (!featrec_scan(s, n, "acme", &a))
		return;
	r = ndj_parse(s, n, &err);
	if (r == NULL || rec_check(r, "acme", &kind, &ts, &err) < 0 ||
	    kind != REC_FEATURE || featrec_from_json(r, ts, &b, &err) < 0)
		abort();
	if (a.ts != b.ts || !same_str(a.tenant, b.tenant) ||
	    !same_str(a.asset, b.asset) || !same_str(a.cls, b.cls) ||
	    !same_str(a.channel, b.channel) || !same_str(a.site, b.site) ||
	    !same_str(a.spec, b.spec) || a.nf != b.nf || a.nsrc != b.nsrc ||
	    a.has_wstart != b.has_wstart ||
	    (a.has_wstart && a.wstart != b.wstart))
		abort();
	for (i = 0; i < a.nf; i++)
		if (!same_str(a.fname[i], b.fname[i]) ||
		    (a.fval[i] != b.fval[i] && !(isnan(a.fval[i]) &&
		    isnan(b.fval[i]))))
			abort();
	for (i = 0; i < a.nsrc; i++)
		if (!same_str(a.src[i], b.src[i]))
			abort();
	json_decref(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size < 1)
		return 0;
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] & 1)
		fuzz_model(s, size - 1);
	else
		fuzz_featrec(s, size - 1);
	free(s);
	return 0;
}
