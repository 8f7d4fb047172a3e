/* test-tm.c - RFC 3339 <-> nanoseconds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tm.h"
#include "t.h"

static const char *
rt(const char *in)
{
	static char out[TM_BUFSZ];
	int64_t ns;

	if (tm_parse(in, strlen(in), &ns, NULL) < 0)
		return "(error)";
	tm_format(ns, out);
	return out;
}

int
main(void)
{
	int64_t ns;
	json_t *j;
	struct twin_err err;

	T_STREQ(rt("1970-01-01T00:00:00Z"), "1970-01-01T00:00:00.000Z", "epoch");
	T_STREQ(rt("2026-11-21T10:00:00.125Z"), "2026-11-21T10:00:00.125Z", "milliseconds");
	T_STREQ(rt("2026-11-21T10:00:00.1251Z"), "2026-11-21T10:00:00.125100Z", "microseconds");
	T_STREQ(rt("2026-11-21T10:00:00.123456789Z"), "2026-11-21T10:00:00.123456789Z", "nanoseconds");
	T_STREQ(rt("2026-11-21T12:30:00+02:30"), "2026-11-21T10:00:00.000Z", "offset converted to UTC");
	T_STREQ(rt("2024-02-29t23:59:59.5z"), "2024-02-29T23:59:59.500Z", "leap day, lower case");
	T_STREQ(rt("1969-12-31T23:59:59.999Z"), "1969-12-31T23:59:59.999Z", "before epoch");
	T_STREQ(rt("2023-02-29T00:00:00Z"), "(error)", "no Feb 29 in 2023");
	T_STREQ(rt("2026-11-21 10:00:00Z"), "(error)", "space separator refused");
	T_STREQ(rt("2026-11-21T10:00:00"), "(error)", "zone required");
	T_STREQ(rt("2026-11-21T10:00:00.1234567891Z"), "(error)", "more than 9 digits");
	T_STREQ(rt("2026-11-21T10:00:00.Z"), "(error)", "empty fraction");
	T_STREQ(rt("2026-11-21T24:00:00Z"), "(error)", "hour 24");

	j = json_integer(1763719200125LL);
	T_OK(tm_from_json(j, &ns, NULL) == 0 && ns == 1763719200125000000LL, "epoch ms integer");
	json_decref(j);
	j = json_real(1763719200125.5);
	T_OK(tm_from_json(j, &ns, NULL) == 0 && ns == 1763719200125500000LL, "epoch ms fractional");
	json_decref(j);
	j = json_true();
	T_OK(tm_from_json(j, &ns, &err) == -1 && err.code == TWIN_EDATA, "boolean ts refused");

	T_OK(tm_parse_duration("250ms", &ns, NULL) == 0 && ns == 250000000, "duration ms");
	T_OK(tm_parse_duration("7d", &ns, NULL) == 0 && ns == 7 * 86400 * TM_NS_PER_S, "duration days");
	T_OK(tm_parse_duration("1.5", &ns, NULL) == 0 && ns == 1500000000, "bare seconds");
	T_OK(tm_parse_duration("5 parsecs", &ns, NULL) == -1, "bad unit");
	T_OK(tm_parse_duration("-1s", &ns, NULL) == -1, "negative");

	/* tm_format against gmtime_r and printf over its range */
	{
		uint64_t r = 0x9e3779b97f4a7c15ULL;
		int i, bad = 0;

		for (i = 0; i < 200000; i++) {
			char a[TM_BUFSZ], b[TM_BUFSZ + 16];
			struct tm g;
			time_t secs;
			int64_t frac, t;
			int k;

			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			/* int64 nanoseconds reach 1677 to 2262 */
			secs = (time_t)(r % 18000000000ULL) - 9000000000LL;
			frac = (int64_t)((r >> 40) % 1000000000);
			if (i % 3 == 0)
				frac -= frac % 1000000;
			else if (i % 3 == 1)
				frac -= frac % 1000;
			t = (int64_t)secs * TM_NS_PER_S + frac;
			tm_format(t, a);
			gmtime_r(&secs, &g);
			k = snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d",
			    g.tm_year + 1900, g.tm_mon + 1, g.tm_mday, g.tm_hour,
			    g.tm_min, g.tm_sec);
			if (frac % 1000000 == 0)
				snprintf(b + k, sizeof(b) - (size_t)k, ".%03dZ",
				    (int)(frac / 1000000));
			else if (frac % 1000 == 0)
				snprintf(b + k, sizeof(b) - (size_t)k, ".%06dZ",
				    (int)(frac / 1000));
			else
				snprintf(b + k, sizeof(b) - (size_t)k, ".%09dZ",
				    (int)frac);
			if (strcmp(a, b) != 0 && bad++ < 5)
				printf("# %lld: %s, gmtime %s\n", (long long)t, a,
				    b);
		}
		T_OK(bad == 0, "tm_format agrees with gmtime_r over 1685-2255");
	}
	return T_DONE();
}
