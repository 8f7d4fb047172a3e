/*
 * fastnum.h - decimal numbers read and printed without the C library's
 * arbitrary-precision paths, for the common easy cases only.
 *
 * fastnum_parse() is Clinger's fast path: a decimal with at most 15
 * significant digits and a power of ten up to 22 is one correctly
 * rounded multiplication or division of two exact doubles, so it equals
 * strtod().  fastnum_format() finds the shortest decimal of at most 15
 * significant digits that reads back exactly, for magnitudes from 1e-4
 * to 1e15, and prints it as fmt_double() would.  Both return -1 when the
 * case is not easy; the caller then uses strtod() or fmt_double().
 * tests/unit/test-tagmap.c compares them with those on many values.
 */
#ifndef TWIN_FASTNUM_H
#define TWIN_FASTNUM_H

#include <stddef.h>

/*
 * Parse the JSON number text [s, s+n) (already checked against the JSON
 * grammar) into *x.  0 on success, -1 when not easy.
 */
int fastnum_parse(const char *s, size_t n, double *x);

/* Print x into out (at least 32 bytes); the length, or -1. */
int fastnum_format(double x, char *out);

#endif
