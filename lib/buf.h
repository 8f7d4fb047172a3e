/*
 * buf.h - a growable byte buffer and the JSON text writer built on it.
 *
 * Every record twin prints goes through buf_json() or the buf_j*()
 * helpers, so all programs format numbers and strings the same way:
 *
 *   - a real prints in the shortest form that reads back to the same
 *     double (0.1, not 0.10000000000000001), always with a '.' or an
 *     exponent so that it stays a real when read again (3.0, 1e-05);
 *   - an integer prints as an integer;
 *   - NaN and infinities are never printed: buf_jnum() refuses them;
 *   - strings are escaped as RFC 8259 requires (quote, backslash, control
 *     bytes); UTF-8 passes through unchanged;
 *   - object keys print in insertion order (jansson keeps it).
 *
 * The buffer owns its memory; buf_free() releases it.  Functions that grow
 * the buffer abort the process only if memory is exhausted (xrealloc), as
 * git's strbuf does: there is nothing useful a record loop can do then.
 */
#ifndef TWIN_BUF_H
#define TWIN_BUF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct buf {
	char *s;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);
/* NUL-terminated contents (always valid, even when empty). */
const char *buf_str(struct buf *b);

/*
 * Format a double into out (at least 32 bytes) in the shortest form that
 * round-trips; returns the length, or -1 for NaN or an infinity.  The
 * easy values go through fastnum_format(), the rest through
 * fmt_double_printf(): the shortest of printf's %.15g, %.16g and %.17g
 * that strtod() reads back, the reference the tests hold the fast path
 * to.
 */
int fmt_double(double x, char *out);
int fmt_double_printf(double x, char *out);

/* JSON writing: a value, a string (n bytes), a number. */
int buf_json(struct buf *b, const json_t *v); /* -1 on NaN/Inf (never) */
void buf_jstr(struct buf *b, const char *s, size_t n);
int buf_jnum(struct buf *b, double x);	/* -1 for NaN/Inf, nothing added */
void buf_jint(struct buf *b, long long x);

/* Base64 (RFC 4648, with padding). decode returns -1 on bad input. */
void buf_b64enc(struct buf *b, const void *p, size_t n);
int buf_b64dec(struct buf *b, const char *s, size_t n);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
