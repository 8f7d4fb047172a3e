/*
 * f32.h - fast reading of sample arrays: a JSON number-array scanner and
 * the base64 float32 little-endian ("enc":"f32le") decoder.
 *
 * Most of twin-feature's input is the "v" array of sample records, and
 * jansson spends most of its time converting numbers.  f32_find_member()
 * locates a top-level member's array in the raw line, f32_parse_array()
 * converts it.  Numbers take a fast exact path (at most 19 significant
 * digits fitting 2^53 and a power of ten up to 1e22, so one correctly
 * rounded multiply or divide gives the correctly rounded result) and fall
 * back to strtod() otherwise; integers convert as jansson does (through a
 * 64-bit integer).  Anything else in the array (null, strings, nesting,
 * bad syntax, an integer too big for jansson) makes the parser return -1
 * so that the caller uses jansson, which decides what is an error.
 * An f32le block's base64 string is found and decoded the same way.
 * tests/fuzz/fuzz-f32.c checks the results against jansson and
 * buf_b64dec().
 */
#ifndef TWIN_F32_H
#define TWIN_F32_H

#include <stddef.h>

#include "buf.h"

/*
 * In the JSON object text s (n bytes), find the value of the top-level
 * member key when it is an array: *lb and *rb receive the offsets of its
 * '[' and matching ']'.  Returns 1 when found, 0 otherwise (including
 * invalid text; jansson will say why).
 */
int f32_find_member(const char *s, size_t n, const char *key, size_t *lb,
    size_t *rb);

/*
 * Convert the array text s[0..n-1] ('[' to ']') into doubles, growing
 * *v (capacity *cap).  Returns the count, or -1 when the text is not a
 * plain array of numbers.
 */
long f32_parse_array(const char *s, size_t n, double **v, size_t *cap);

/* One JSON number at s (before end): returns bytes used, 0 if none. */
size_t f32_number(const char *s, const char *end, double *out);

/*
 * Decode base64 (RFC 4648, padded, as buf_b64dec() accepts it) of
 * little-endian float32 into doubles, growing *v.  Returns the count, -1
 * on bad base64 or a length that is not a multiple of 4 bytes.
 */
long f32_decode_b64le(const char *s, size_t n, double **v, size_t *cap);

/*
 * In the JSON object text s, find the value of the top-level member key
 * when it is a string without escapes: *lq and *rq receive the offsets of
 * its quotes.  Returns 1 when found, 0 otherwise.
 */
int f32_find_string(const char *s, size_t n, const char *key, size_t *lq,
    size_t *rq);

#endif
