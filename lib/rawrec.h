/*
 * rawrec.h - a "raw" record (twin(7)) taken apart into its fields, by
 * jansson or by a fast scanner.
 *
 * rawrec_from_json() reads any raw record jansson parsed and checks every
 * field.  rawrec_scan() reads the flat shape that programs write most
 * often (one line, ASCII strings without escapes, a scalar "v", no
 * unknown keys) straight from the text, about ten times faster; for
 * anything else, and for anything wrong, it declines and the caller falls
 * back to jansson, which then gives the error message.  Where the scanner
 * accepts a line, the two give the same fields: tests/fuzz/fuzz-rawfast.c
 * checks that.
 *
 * String fields borrow from the line or from the jansson object: they are
 * valid while it is.  vals is owned by the rawrec and reused from record
 * to record; rawrec_free() releases it.
 */
#ifndef TWIN_RAWREC_H
#define TWIN_RAWREC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

enum rawrec_q { RAWREC_GOOD, RAWREC_UNCERTAIN, RAWREC_BAD };
enum rawrec_vkind { RAWREC_SCALAR, RAWREC_ARRAY, RAWREC_F32LE };

struct rawrec {
	int64_t ts;
	const char *tenant;
	size_t tenantlen;
	const char *src;
	size_t srclen;
	long long seq;
	const char *tag;
	size_t taglen;
	const char *unit;	/* NULL when the record has none */
	size_t unitlen;
	enum rawrec_q q;
	enum rawrec_vkind vkind;
	double v;		/* RAWREC_SCALAR */
	double *vals;		/* RAWREC_ARRAY, RAWREC_F32LE (widened) */
	size_t nvals;
	size_t cap;
	double rate_hz;		/* blocks only */
	/* rawrec_scan()'s memory of the last "ts" text and its value */
	char tstext[40];
	size_t tslen;
	int64_t tsns;
};

#define RAWREC_INIT { 0 }

/*
 * Fill rr from a raw record; TWIN_EDATA with a message naming the field
 * ("'seq' is not a non-negative integer") when one is missing or wrong.
 * Does not look at "kind" or compare the tenant: rec_check() does that.
 */
int rawrec_from_json(const json_t *r, struct rawrec *rr,
    struct twin_err *err);

/*
 * Fill rr from a line of n bytes (NUL-terminated) if it is a flat raw
 * record the scanner reads; returns 1, or 0 to decline.
 */
int rawrec_scan(const char *line, size_t n, struct rawrec *rr);

/* Map a quality: "good"/"uncertain"/"bad" or an OPC UA status code. */
int rawrec_quality_str(const char *s, size_t n, enum rawrec_q *q);
int rawrec_quality_code(long long code, enum rawrec_q *q);
const char *rawrec_quality_name(enum rawrec_q q);

void rawrec_free(struct rawrec *rr);

#endif
