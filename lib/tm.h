/*
 * tm.h - event time.
 *
 * Time is an int64_t count of nanoseconds since 1970-01-01T00:00:00Z (no
 * leap seconds, as POSIX).  The range is years 1678 to 2261.
 *
 * Input: RFC 3339 with 'T' or 't' between date and time, up to nine
 * fractional digits (more is an error: nothing finer than a nanosecond is
 * kept), 'Z'/'z' or a numeric offset, which is converted to UTC.  A JSON
 * number is epoch milliseconds (integer or fractional).
 *
 * Output: always UTC with 'Z' and a fractional part of 3, 6 or 9 digits,
 * the fewest that represent the value exactly: 2026-11-21T10:00:00.125Z.
 */
#ifndef TWIN_TM_H
#define TWIN_TM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

#define TM_NS_PER_S 1000000000LL
#define TM_NS_PER_MS 1000000LL
#define TM_BUFSZ 40

int tm_parse(const char *s, size_t n, int64_t *ns, struct twin_err *err);
/* A record's "ts": a string (RFC 3339) or a number (epoch ms). */
int tm_from_json(const json_t *v, int64_t *ns, struct twin_err *err);
/* Writes the RFC 3339 text into out (TM_BUFSZ bytes); returns length. */
int tm_format(int64_t ns, char *out);
/* Parse a duration: "250ms", "1s", "10m", "2h", "7d", "1.5s"; bare = s. */
int tm_parse_duration(const char *s, int64_t *ns, struct twin_err *err);

#endif
