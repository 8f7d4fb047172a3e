/*
 * f32.c - fast sample-array reading (see f32.h).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define F32_SSSE3 1
#include <tmmintrin.h>
#endif

#include "f32.h"
#include "banned.h"

static const double pow10tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static int
isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && isws(*p))
		p++;
	return p;
}

/* Past a string starting at its opening quote, or NULL. */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past one value of any kind, or NULL. */
static const char *
skip_value(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			if (depth == 0)
				return p;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
			break;
		case ',':
			if (depth == 0)
				return p;
			break;
		default:
			break;
		}
		p++;
	}
	return depth == 0 ? p : NULL;
}

/* The start of the value of top-level member key in object text, or NULL. */
static const char *
find_value(const char *s, size_t n, const char *key)
{
	const char *p = s, *end = s + n, *k, *q;
	size_t klen = strlen(key);

	p = skip_ws(p, end);
	if (p == end || *p != '{')
		return NULL;
	p++;
	for (;;) {
		p = skip_ws(p, end);
		if (p == end || *p != '"')
			return NULL;
		k = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return NULL;
		q = p - 1;	/* closing quote */
		p = skip_ws(p, end);
		if (p == end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, end);
		if ((size_t)(q - k) == klen && memcmp(k, key, klen) == 0)
			return p < end ? p : NULL;
		if ((p = skip_value(p, end)) == NULL)
			return NULL;
		p = skip_ws(p, end);
		if (p == end || *p != ',')
			return NULL;
		p++;
	}
}

int
f32_find_member(const char *s, size_t n, const char *key, size_t *lb,
    size_t *rb)
{
	const char *p = find_value(s, n, key), *e;

	if (p == NULL || *p != '[')
		return 0;
	if ((e = skip_value(p, s + n)) == NULL || e[-1] != ']')
		return 0;
	*lb = (size_t)(p - s);
	*rb = (size_t)(e - 1 - s);
	return 1;
}

int
f32_find_string(const char *s, size_t n, const char *key, size_t *lq,
    size_t *rq)
{
	const char *p = find_value(s, n, key), *e;

	if (p == NULL || *p != '"')
		return 0;
	if ((e = memchr(p + 1, '"', (size_t)(s + n - p - 1))) == NULL ||
	    memchr(p + 1, '\\', (size_t)(e - p - 1)) != NULL)
		return 0;
	*lq = (size_t)(p - s);
	*rq = (size_t)(e - s);
	return 1;
}

size_t
f32_number(const char *s, const char *end, double *out)
{
	const char *p = s;
	uint64_t m = 0;
	int neg = 0, nsig = 0, isint = 1, trunc = 0, eneg = 0;
	int64_t e = 0, scale = 0, ex;
	char tmp[64], *ep;
	size_t len;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return 0;
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			return 0;
	} else
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (nsig < 19) {
				m = m * 10 + (uint64_t)(*p - '0');
				nsig++;
			} else {
				trunc = 1;
				scale++;
			}
		}
	if (p < end && *p == '.') {
		isint = 0;
		p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (nsig >= 19)
				trunc = 1;
			else if (m == 0 && *p == '0')
				scale--;
			else {
				m = m * 10 + (uint64_t)(*p - '0');
				nsig++;
				scale--;
			}
		}
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || *p < '0' || *p > '9')
			return 0;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
	}
	len = (size_t)(p - s);
	if (isint) {
		/* As jansson: through a 64-bit integer (too big: jansson). */
		if (trunc || nsig > 18)
			return 0;
		*out = (double)(neg ? -(int64_t)m : (int64_t)m);
		return len;
	}
	ex = (eneg ? -e : e) + scale;
	if (!trunc && m <= ((uint64_t)1 << 53) && ex >= -22 && ex <= 22) {
		double d = (double)m;

		d = ex < 0 ? d / pow10tab[-ex] : d * pow10tab[ex];
		*out = neg ? -d : d;
		return len;
	}
	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtod(tmp, &ep);
	if (ep != tmp + len || (errno == ERANGE && isinf(*out)))
		return 0;
	return len;
}

long
f32_parse_array(const char *s, size_t n, double **v, size_t *cap)
{
	const char *p = s, *end = s + n;
	size_t cnt = 0, k;
	double d;

	if (n < 2 || *p != '[')
		return -1;
	p = skip_ws(p + 1, end);
	if (p < end && *p == ']')
		return p + 1 == end ? 0 : -1;
	for (;;) {
		if ((k = f32_number(p, end, &d)) == 0)
			return -1;
		if (cnt == *cap) {
			*cap = *cap ? 2 * *cap : 4096;
			*v = xrealloc(*v, *cap * sizeof(double));
		}
		(*v)[cnt++] = d;
		p = skip_ws(p + k, end);
		if (p == end)
			return -1;
		if (*p == ']')
			return p + 1 == end ? (long)cnt : -1;
		if (*p != ',')
			return -1;
		p = skip_ws(p + 1, end);
	}
}

/*
 * Base64 digit values already shifted into place for each of the four
 * positions of a quantum, so a quantum is four lookups ORed; anything
 * else than a digit sets bits 24..31, which no digit sets.
 */
static uint32_t b64tab[4][256];

static void
b64tab_init(void)
{
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	int i, k;

	if (b64tab[3]['B'] == 1)
		return;
	for (k = 0; k < 4; k++)
		for (i = 0; i < 256; i++)
			b64tab[k][i] = 0xff000000u;
	for (k = 0; k < 4; k++)
		for (i = 0; i < 64; i++)
			b64tab[k][(unsigned char)d[i]] =
			    (uint32_t)i << (18 - 6 * k);
}

static uint32_t
quantum(const unsigned char *p)
{
	return b64tab[0][p[0]] | b64tab[1][p[1]] | b64tab[2][p[2]] |
	    b64tab[3][p[3]];
}

static double
f32_at(const unsigned char *b)
{
	uint32_t u = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
	    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* The float whose bits are u. */
static double
f32_bits(uint32_t u)
{
	float f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

/* The low three bytes of q in reverse order. */
static uint32_t
bswap24(uint32_t q)
{
	return (q >> 16 & 0xff) | (q & 0xff00) | (q & 0xff) << 16;
}

#ifdef F32_SSSE3
/*
 * Blocks of 16 digits, 3 floats each, with SSSE3 (every x86-64 processor
 * since 2006; checked at run time).  A digit's high nibble picks, through
 * two 16-byte tables, a bit that its low nibble must not have set (which
 * refuses anything but A-Z a-z 0-9 + /) and the offset from its code to
 * its value ('/' shares its high nibble with '+' and is moved to a slot of
 * its own).  The four sextets of each quantum are then joined by two
 * multiply-adds and the bytes put in stream order by one shuffle.
 * Returns the blocks done: all of them, or those before a bad digit.
 */
__attribute__((target("ssse3")))
static size_t
blocks_ssse3(const unsigned char *p, size_t nblk, double *out)
{
	const __m128i lut_lo = _mm_setr_epi8(
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m128i lut_hi = _mm_setr_epi8(
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
	    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m128i lut_off = _mm_setr_epi8(
	    0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nib = _mm_set1_epi8(0x0f), slash = _mm_set1_epi8('/');
	const __m128i pair = _mm_set1_epi32(0x01400140);
	const __m128i quad = _mm_set1_epi32(0x00011000);
	const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
	    13, 12, -1, -1, -1, -1);
	size_t b;

	for (b = 0; b < nblk; b++, p += 16, out += 3) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hi = _mm_and_si128(_mm_srli_epi32(c, 4), nib);
		__m128i lo = _mm_and_si128(c, nib);
		__m128i bad = _mm_and_si128(_mm_shuffle_epi8(lut_lo, lo),
		    _mm_shuffle_epi8(lut_hi, hi));
		__m128i v, r;
		__m128 f;

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad,
		    _mm_setzero_si128())) != 0xffff)
			break;
		/* '/' is -1 where it is, so its index is 2 - 1 */
		v = _mm_add_epi8(c, _mm_shuffle_epi8(lut_off,
		    _mm_add_epi8(hi, _mm_cmpeq_epi8(c, slash))));
		v = _mm_maddubs_epi16(v, pair);
		v = _mm_madd_epi16(v, quad);
		r = _mm_shuffle_epi8(v, order);
		f = _mm_castsi128_ps(r);
		_mm_storeu_pd(out, _mm_cvtps_pd(f));
		_mm_store_sd(out + 2, _mm_cvtps_pd(_mm_movehl_ps(f, f)));
	}
	return b;
}
#endif

long
f32_decode_b64le(const char *s, size_t n, double **v, size_t *cap)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char tail[32];
	size_t nbytes, cnt, i, full, o;
	uint32_t q;
	unsigned pad = 0;

	b64tab_init();
	if (n % 4 != 0)
		return -1;
	if (n >= 1 && s[n - 1] == '=')
		pad++;
	if (n >= 2 && s[n - 2] == '=')
		pad++;
	nbytes = n / 4 * 3 - pad;
	if (nbytes % 4 != 0)
		return -1;
	cnt = nbytes / 4;
	if (cnt > *cap) {
		*cap = cnt;
		*v = xrealloc(*v, *cap * sizeof(double));
	}
	/* 16 digits are 12 bytes are 3 floats; the rest goes through tail. */
	full = n >= 16 ? (n - 16) / 16 : 0;
	i = 0;
#ifdef F32_SSSE3
	if (__builtin_cpu_supports("ssse3")) {
		i = blocks_ssse3(p, full, *v);
		if (i < full)
			return -1;
		p += 16 * full;
	}
#endif
	for (; i < full; i++, p += 16) {
		uint32_t q0 = quantum(p), q1 = quantum(p + 4);
		uint32_t q2 = quantum(p + 8), q3 = quantum(p + 12);
		uint32_t r0, r1, r2, r3;

		if ((q0 | q1 | q2 | q3) & 0xff000000u)
			return -1;
		/* each quantum's three bytes in stream order, lowest first;
		 * the floats' little-endian words straddle them */
		r0 = bswap24(q0);
		r1 = bswap24(q1);
		r2 = bswap24(q2);
		r3 = bswap24(q3);
		(*v)[3 * i] = f32_bits(r0 | r1 << 24);
		(*v)[3 * i + 1] = f32_bits(r1 >> 8 | r2 << 16);
		(*v)[3 * i + 2] = f32_bits(r2 >> 16 | r3 << 8);
	}
	/* The last 1 to 31 digits, with the padding. */
	o = 0;
	for (; p < (const unsigned char *)s + n; p += 4) {
		int last = p + 4 == (const unsigned char *)s + n, k;

		q = 0;
		for (k = 0; k < 4; k++)
			if (!last || k < 4 - (int)pad)
				q |= b64tab[k][p[k]];
		if (q & 0xff000000u)
			return -1;
		tail[o++] = (unsigned char)(q >> 16);
		tail[o++] = (unsigned char)(q >> 8);
		tail[o++] = (unsigned char)q;
	}
	for (i = 0; 3 * full + i < cnt; i++)
		(*v)[3 * full + i] = f32_at(tail + 4 * i);
	return (long)cnt;
}
