/*
 * test-fastnum.c - fastnum_format() on the values just below and above a
 * power of ten, where rounding to 15 digits carries into a new digit
 * (0.99999999999999978 used to loop forever): it ends, and it prints what
 * fmt_double_printf() prints or declines.  Then random bit patterns over
 * its whole range (1e-15 to 1e15), and random values of each decade.
 */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fastnum.h"
#include "t.h"
#include "banned.h"

int
main(void)
{
	char b[64], w[64];
	double p, x;
	int e, i, n, bad = 0, took = 0, tried = 0;

	/* a loop ends the test with SIGALRM instead of hanging the suite */
	alarm(20);
	n = fastnum_format(0.99999999999999978, b);
	T_STREQ(n > 0 ? b : NULL, "0.9999999999999998",
	    "fastnum_format(0.99999999999999978) ends, shortest form");
	for (e = -15; e <= 14; e++) {
		p = pow(10, e);
		x = p;
		for (i = 0; i < 40; i++) {
			x = nextafter(x, 0);
			tried++;
			if (fastnum_format(x, b) < 0)
				continue;
			took++;
			fmt_double_printf(x, w);
			if (strcmp(b, w) != 0 && bad++ < 5)
				printf("# %.17g: fast '%s', fmt_double '%s'\n",
				    x, b, w);
		}
		x = p;
		for (i = 0; i < 40; i++) {
			x = nextafter(x, INFINITY);
			tried++;
			if (fastnum_format(x, b) < 0)
				continue;
			took++;
			fmt_double_printf(x, w);
			if (strcmp(b, w) != 0 && bad++ < 5)
				printf("# %.17g: fast '%s', fmt_double '%s'\n",
				    x, b, w);
		}
	}
	T_OK(bad == 0, "values next to powers of ten print as fmt_double "
	    "(%d of %d taken)", took, tried);
	T_OK(took > tried / 2, "most values next to powers of ten are taken "
	    "(%d of %d)", took, tried);
	/* random bits: every exponent, every mantissa pattern */
	{
		uint64_t r = 88172645463325252ULL, u;
		long took2 = 0, bad2 = 0, j;

		for (j = 0; j < 1000000; j++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			/* exponents around 1e-16 .. 1e16, any mantissa */
			u = (r & ((1ULL << 52) - 1)) |
			    ((uint64_t)(969 + (r >> 52) % 108) << 52) |
			    ((r >> 63) << 63);
			memcpy(&x, &u, sizeof(x));
			if (fastnum_format(x, b) < 0)
				continue;
			took2++;
			fmt_double_printf(x, w);
			if (strcmp(b, w) != 0 && bad2++ < 5)
				printf("# %.17g: fast '%s', printf '%s'\n",
				    x, b, w);
		}
		T_OK(bad2 == 0, "random bit patterns print as "
		    "fmt_double_printf (%ld taken)", took2);
		T_OK(took2 > 900000, "most random bit patterns in range are "
		    "taken (%ld of 1000000)", took2);
	}
	/* short decimals, as sensors and features give them */
	for (i = 0, bad = 0; i < 200000; i++) {
		x = (double)(rand() % 2000001 - 1000000) /
		    pow(10, rand() % 22);
		if (fastnum_format(x, b) < 0)
			continue;
		fmt_double_printf(x, w);
		if (strcmp(b, w) != 0 && bad++ < 5)
			printf("# %.17g: fast '%s', printf '%s'\n", x, b, w);
	}
	T_OK(bad == 0, "short decimals print as fmt_double_printf");
	return T_DONE();
}
