/* buf.c - growable buffer and JSON text writer; see buf.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fastnum.h"
#include "banned.h"

static void
die_nomem(void)
{
	/* The only exit in lib/: see buf.h for why. */
	static const char msg[] = "twin: out of memory\n";
	fwrite(msg, 1, sizeof(msg) - 1, stderr);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die_nomem();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die_nomem();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die_nomem();
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void
buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (need < b->cap * 2)
		need = b->cap * 2;
	if (need < 64)
		need = 64;
	b->s = xrealloc(b->s, need);
	b->cap = need;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_addc(struct buf *b, char c)
{
	buf_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

const char *
buf_str(struct buf *b)
{
	if (b->s == NULL)
		buf_grow(b, 0);
	b->s[b->len] = '\0';
	return b->s;
}

int
fmt_double_printf(double x, char *out)
{
	int n, prec, i, plain;

	if (!isfinite(x))
		return -1;
	if (x == 0) {
		/* -0.0 prints as 0.0: the sign of zero carries no meaning here. */
		memcpy(out, "0.0", 4);
		return 3;
	}
	/*
	 * The shortest of %.15g, %.16g, %.17g that reads back exactly.  When
	 * the shortest decimal has at most 15 digits, %.15g finds it, since a
	 * double's half-ulp is below 5e-16 of its value.
	 */
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(out, 32, "%.*g", prec, x);
		if (prec == 17 || strtod(out, NULL) == x)
			break;
	}
	plain = 1;
	for (i = 0; i < n; i++)
		if (out[i] == '.' || out[i] == 'e') {
			plain = 0;
			break;
		}
	if (plain) {
		out[n++] = '.';
		out[n++] = '0';
		out[n] = '\0';
	}
	return n;
}

int
fmt_double(double x, char *out)
{
	int n = fastnum_format(x, out);

	return n >= 0 ? n : fmt_double_printf(x, out);
}

int
buf_jnum(struct buf *b, double x)
{
	char tmp[40];
	int n = fmt_double(x, tmp);

	if (n < 0)
		return -1;
	buf_add(b, tmp, (size_t)n);
	return 0;
}

void
buf_jint(struct buf *b, long long x)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", x);

	buf_add(b, tmp, (size_t)n);
}

void
buf_jstr(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run;

	buf_grow(b, n + 2);
	b->s[b->len++] = '"';
	for (i = 0; i < n; i += run) {
		unsigned char c;

		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\')
				break;
		}
		if (run) {
			buf_add(b, s + i, run);
			continue;
		}
		c = (unsigned char)s[i];
		run = 1;
		switch (c) {
		case '"': buf_add(b, "\\\"", 2); break;
		case '\\': buf_add(b, "\\\\", 2); break;
		case '\n': buf_add(b, "\\n", 2); break;
		case '\r': buf_add(b, "\\r", 2); break;
		case '\t': buf_add(b, "\\t", 2); break;
		case '\b': buf_add(b, "\\b", 2); break;
		case '\f': buf_add(b, "\\f", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4],
				hex[c & 15] };
			buf_add(b, u, 6);
		}
		}
	}
	buf_addc(b, '"');
}

int
buf_json(struct buf *b, const json_t *v)
{
	const char *key;
	json_t *val;
	size_t i, n;
	int first;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_addc(b, '{');
		first = 1;
		/* Cast: jansson's iterator takes a non-const object. */
		json_object_foreach((json_t *)v, key, val) {
			if (!first)
				buf_addc(b, ',');
			first = 0;
			buf_jstr(b, key, strlen(key));
			buf_addc(b, ':');
			if (buf_json(b, val) < 0)
				return -1;
		}
		buf_addc(b, '}');
		return 0;
	case JSON_ARRAY:
		buf_addc(b, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(b, ',');
			if (buf_json(b, json_array_get(v, i)) < 0)
				return -1;
		}
		buf_addc(b, ']');
		return 0;
	case JSON_STRING:
		buf_jstr(b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		buf_jint(b, (long long)json_integer_value(v));
		return 0;
	case JSON_REAL:
		return buf_jnum(b, json_real_value(v));
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return 0;
	case JSON_NULL:
	default:
		buf_add(b, "null", 4);
		return 0;
	}
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
buf_b64enc(struct buf *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;
	char *o;

	buf_grow(b, (n + 2) / 3 * 4);
	o = b->s + b->len;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = b64chars[s[i] >> 2];
		*o++ = b64chars[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = b64chars[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = b64chars[s[i + 2] & 63];
	}
	if (i < n) {
		*o++ = b64chars[s[i] >> 2];
		if (i + 1 < n) {
			*o++ = b64chars[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			*o++ = b64chars[(s[i + 1] & 15) << 2];
		} else {
			*o++ = b64chars[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	b->len = (size_t)(o - b->s);
	b->s[b->len] = '\0';
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
buf_b64dec(struct buf *b, const char *s, size_t n)
{
	size_t i, pad = 0;
	int v[4], k;

	if (n % 4 != 0)
		return -1;
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	buf_grow(b, n / 4 * 3);
	for (i = 0; i < n; i += 4) {
		int last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			if ((v[k] = b64val((unsigned char)s[i + k])) < 0)
				return -1;
		}
		b->s[b->len++] = (char)((v[0] << 2) | (v[1] >> 4));
		if (!last || pad < 2)
			b->s[b->len++] = (char)(((v[1] & 15) << 4) | (v[2] >> 2));
		if (!last || pad < 1)
			b->s[b->len++] = (char)(((v[2] & 3) << 6) | v[3]);
	}
	b->s[b->len] = '\0';
	return 0;
}
