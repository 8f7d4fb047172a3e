/* tm.c - event time as int64 nanoseconds; see tm.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm.h"
#include "banned.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (era arithmetic). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y += *m <= 2;
}

static int
digits(const char *s, size_t n, size_t at, size_t count, int *v)
{
	size_t i;

	if (at + count > n)
		return -1;
	*v = 0;
	for (i = 0; i < count; i++) {
		if (s[at + i] < '0' || s[at + i] > '9')
			return -1;
		*v = *v * 10 + (s[at + i] - '0');
	}
	return 0;
}

static int
mdays(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return dm[m - 1];
}

int
tm_parse(const char *s, size_t n, int64_t *ns, struct twin_err *err)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	int64_t frac = 0, t;
	size_t i = 19, nd = 0;

	if (digits(s, n, 0, 4, &y) || n < 20 || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' ||
	    digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    digits(s, n, 11, 2, &h) || s[13] != ':' ||
	    digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    digits(s, n, 17, 2, &sec))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)	/* :60, a leap second, folds onto :00 */
		goto bad;
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
			if (nd >= 9)
				goto bad;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			goto bad;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n ||
		    s[i + 3] != ':' || digits(s, n, i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			goto bad;
		i += 6;
	} else
		goto bad;
	if (i != n)
		goto bad;
	if (y < 1678 || y > 2261)
		return err_set(err, TWIN_EDATA, "time out of range: '%.*s'",
		    (int)(n > 64 ? 64 : n), s);
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
	*ns = t * TM_NS_PER_S + frac;
	return 0;
bad:
	return err_set(err, TWIN_EDATA, "bad RFC 3339 time '%.*s'",
	    (int)(n > 64 ? 64 : n), s);
}

int
tm_from_json(const json_t *v, int64_t *ns, struct twin_err *err)
{
	double ms;

	if (json_is_string(v))
		return tm_parse(json_string_value(v), json_string_length(v),
		    ns, err);
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < -9200000000000LL || i > 9200000000000LL)
			return err_set(err, TWIN_EDATA,
			    "epoch milliseconds out of range");
		*ns = (int64_t)i * TM_NS_PER_MS;
		return 0;
	}
	if (json_is_real(v)) {
		ms = json_real_value(v);
		if (!(ms > -9.2e12 && ms < 9.2e12))
			return err_set(err, TWIN_EDATA,
			    "epoch milliseconds out of range");
		/* Split first: ms * 1e6 alone would exceed 2^53 and lose ns. */
		{
			double ip = floor(ms);

			*ns = (int64_t)ip * TM_NS_PER_MS +
			    (int64_t)llround((ms - ip) * 1e6);
		}
		return 0;
	}
	return err_set(err, TWIN_EDATA,
	    "'ts' is neither RFC 3339 text nor epoch milliseconds");
}

/* v as exactly w decimal digits (v < 10^w) at out + *n. */
static void
put_digits(char *out, int *n, unsigned v, int w)
{
	int i;

	for (i = w - 1; i >= 0; i--) {
		out[*n + i] = (char)('0' + v % 10);
		v /= 10;
	}
	*n += w;
}

int
tm_format(int64_t ns, char *out)
{
	int64_t secs, days, rem, frac, y;
	unsigned mo, d;
	int n;

	secs = ns / TM_NS_PER_S;
	frac = ns % TM_NS_PER_S;
	if (frac < 0) {
		frac += TM_NS_PER_S;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y < 0 || y > 9999)
		n = snprintf(out, TM_BUFSZ, "%04lld-%02u-%02uT%02d:%02d:%02d",
		    (long long)y, mo, d, (int)(rem / 3600),
		    (int)(rem / 60 % 60), (int)(rem % 60));
	else {
		/* the common case by hand: this runs once per record */
		n = 0;
		put_digits(out, &n, (unsigned)y, 4);
		out[n++] = '-';
		put_digits(out, &n, mo, 2);
		out[n++] = '-';
		put_digits(out, &n, d, 2);
		out[n++] = 'T';
		put_digits(out, &n, (unsigned)(rem / 3600), 2);
		out[n++] = ':';
		put_digits(out, &n, (unsigned)(rem / 60 % 60), 2);
		out[n++] = ':';
		put_digits(out, &n, (unsigned)(rem % 60), 2);
	}
	out[n++] = '.';
	if (frac % 1000000 == 0)
		put_digits(out, &n, (unsigned)(frac / 1000000), 3);
	else if (frac % 1000 == 0)
		put_digits(out, &n, (unsigned)(frac / 1000), 6);
	else
		put_digits(out, &n, (unsigned)frac, 9);
	out[n++] = 'Z';
	out[n] = '\0';
	return n;
}

int
tm_parse_duration(const char *s, int64_t *ns, struct twin_err *err)
{
	char *end;
	double v, mul = 1e9;

	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		goto bad;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mul = 1e9;
	else if (strcmp(end, "ms") == 0)
		mul = 1e6;
	else if (strcmp(end, "us") == 0)
		mul = 1e3;
	else if (strcmp(end, "ns") == 0)
		mul = 1;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60e9;
	else if (strcmp(end, "h") == 0)
		mul = 3600e9;
	else if (strcmp(end, "d") == 0)
		mul = 86400e9;
	else if (strcmp(end, "w") == 0)
		mul = 7 * 86400e9;
	else
		goto bad;
	if (v * mul > 9.2e18)
		goto bad;
	*ns = (int64_t)llround(v * mul);
	return 0;
bad:
	return err_set(err, TWIN_EUSAGE, "bad duration '%s'", s);
}
