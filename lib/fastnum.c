/* fastnum.c - easy decimal conversions; see fastnum.h. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fastnum.h"
#include "banned.h"

static const double pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

int
fastnum_parse(const char *s, size_t n, double *x)
{
	const char *p = s, *end = s + n;
	uint64_t m = 0;
	int neg = 0, digits = 0, scale = 0, e = 0, eneg = 0;
	double v;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (m == 0 && *p == '0')
			continue;	/* leading zeros are not significant */
		if (++digits > 15)
			return -1;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
			if (m == 0 && *p == '0') {
				scale--;
				continue;
			}
			if (++digits > 15)
				return -1;
			m = m * 10 + (uint64_t)(*p - '0');
			scale--;
		}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			e = e * 10 + (*p - '0');
			if (e > 1000)
				return -1;
		}
	}
	if (p != end)
		return -1;
	scale += eneg ? -e : e;
	v = (double)m;		/* exact: m < 10^15 < 2^53 */
	if (m == 0)
		scale = 0;
	if (scale >= 0 && scale <= 22)
		v *= pow10[scale];
	else if (scale < 0 && scale >= -22)
		v /= pow10[-scale];
	else
		return -1;
	*x = neg ? -v : v;
	return 0;
}

/*
 * x = mant * 2^-shift rounded to p significant decimal digits: *q with
 * *k digits after the point.  Since 10^kk = 5^kk 2^kk, x 10^kk is
 * mant 5^kk / 2^(shift - kk), which fits 128 bits for kk up to 31.
 * Returns 1 when *q * 10^-k reads back as x (it is strictly nearer to x
 * than half the gap to x's neighbours: 2 dist < 5^kk in units of
 * 2^-(shift - kk)), 0 when it does not, -1 when the case is not easy
 * (an exact tie, or out of range).
 */
static int
round_p(uint64_t mant, int shift, int p, int xexp, uint64_t *q, int *k)
{
	static const uint64_t p10[] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL,
		1000000ULL, 10000000ULL, 100000000ULL, 1000000000ULL,
		10000000000ULL, 100000000000ULL, 1000000000000ULL,
		10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
		10000000000000000ULL, 100000000000000000ULL,
		1000000000000000000ULL, 10000000000000000000ULL
	};
	static const uint64_t p5[28] = {
		1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL,
		78125ULL, 390625ULL, 1953125ULL, 9765625ULL, 48828125ULL,
		244140625ULL, 1220703125ULL, 6103515625ULL, 30517578125ULL,
		152587890625ULL, 762939453125ULL, 3814697265625ULL,
		19073486328125ULL, 95367431640625ULL, 476837158203125ULL,
		2384185791015625ULL, 11920928955078125ULL,
		59604644775390625ULL, 298023223876953125ULL,
		1490116119384765625ULL, 7450580596923828125ULL
	};
	unsigned __int128 t, r, half, one, fivek, dist;
	int kk, s, up;

	for (;;) {
		kk = p - 1 - xexp;
		s = shift - kk;
		if (kk < 0 || kk > 31 || s < 1 || s > 127)
			return -1;
		fivek = kk <= 27 ? p5[kk] : (unsigned __int128)p5[27] *
		    p5[kk - 27];
		t = (unsigned __int128)mant * fivek;
		one = (unsigned __int128)1 << s;
		r = t & (one - 1);
		t >>= s;
		if (t < p10[p - 1]) {
			xexp--;
			continue;
		}
		if (t >= p10[p]) {
			xexp++;
			continue;
		}
		half = one >> 1;
		if (r == half)
			return -1;
		up = r > half;
		if (up)
			t++;
		dist = up ? one - r : r;
		*q = (uint64_t)t;
		*k = kk;
		if (t == p10[p]) {
			/* rounded up to the next power of ten (0.99999999999999978
			 * with 15 digits): the same value with one digit less;
			 * starting over one exponent higher would round down
			 * and loop */
			if (kk == 0)
				return -1;
			*q = p10[p - 1];
			*k = kk - 1;
		}
		if (2 * dist == fivek)
			return -1;
		return 2 * dist < fivek;
	}
}

int
fastnum_format(double x, char *out)
{
	char dig[24];
	double a = fabs(x);
	uint64_t bits, mant, q;
	int shift, p, k, xexp, nd, i, o = 0, intd, rc, e2, de;

	if (!(a >= 1e-15 && a < 1e15))
		return -1;
	memcpy(&bits, &a, sizeof(bits));
	mant = (bits & ((1ULL << 52) - 1));
	if (mant == 0)
		return -1;	/* a power of two: its gaps are uneven */
	mant |= 1ULL << 52;
	shift = 1075 - (int)(bits >> 52);
	/* A first guess at the decimal exponent; round_p() corrects it. */
	e2 = (int)(bits >> 52) - 1023;
	xexp = (int)floor(e2 * 0.30102999566398120);
	for (p = 15; p <= 17; p++) {
		rc = round_p(mant, shift, p, xexp, &q, &k);
		if (rc < 0)
			return -1;
		if (rc == 1)
			break;
	}
	if (p > 17)
		return -1;
	while (k > 0 && q % 10 == 0) {
		q /= 10;
		k--;
	}
	nd = 0;
	do {
		dig[nd++] = (char)('0' + q % 10);
		q /= 10;
	} while (q > 0);
	if (x < 0)
		out[o++] = '-';
	intd = nd - k;
	if (intd <= -4) {
		/* below 1e-4: printf's %g exponent form, d.ddde-XX */
		out[o++] = dig[nd - 1];
		if (nd > 1) {
			out[o++] = '.';
			for (i = nd - 2; i >= 0; i--)
				out[o++] = dig[i];
		}
		de = 1 - intd;
		out[o++] = 'e';
		out[o++] = '-';
		out[o++] = (char)('0' + de / 10);
		out[o++] = (char)('0' + de % 10);
	} else if (intd <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (i = intd; i < 0; i++)
			out[o++] = '0';
		for (i = nd - 1; i >= 0; i--)
			out[o++] = dig[i];
	} else {
		for (i = nd - 1; i >= k; i--)
			out[o++] = dig[i];
		out[o++] = '.';
		if (k == 0)
			out[o++] = '0';
		for (i = k - 1; i >= 0; i--)
			out[o++] = dig[i];
	}
	out[o] = '\0';
	return o;
}
