/*
 * test-fastnum.c - fastnum_format() on the values just below and above a
 * power of ten, where rounding to 15 digits carries into a new digit
 * (0.99999999999999978 used to loop forever): it ends, and it prints what
 * fmt_double() prints or declines.
 */
#include <math.h>
#include <signal.h>
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
	for (e = -4; e <= 14; e++) {
		p = pow(10, e);
		x = p;
		for (i = 0; i < 40; i++) {
			x = nextafter(x, 0);
			tried++;
			if (fastnum_format(x, b) < 0)
				continue;
			took++;
			fmt_double(x, w);
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
			fmt_double(x, w);
			if (strcmp(b, w) != 0 && bad++ < 5)
				printf("# %.17g: fast '%s', fmt_double '%s'\n",
				    x, b, w);
		}
	}
	T_OK(bad == 0, "values next to powers of ten print as fmt_double "
	    "(%d of %d taken)", took, tried);
	T_OK(took > tried / 2, "most values next to powers of ten are taken "
	    "(%d of %d)", took, tried);
	return T_DONE();
}
