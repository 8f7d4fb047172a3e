/*
 * test-join.c - the as-of join of lib/join.c: rows at the primary
 * channel's window ends, carried-forward values, staleness, lateness,
 * early completion, remapping and the choice of the primary channel.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "join.h"
#include "t.h"
#include "banned.h"

#define S ((int64_t)1000000000)
#define M (60 * S)
#define H (60 * M)

int
main(void)
{
	static const char *const feats[] = {
		"temperature.de:max", "vibration.de.x:rms",
		"vibration.de.x:kurtosis", "flow:mean", "vibration.de.y:x1",
	};
	static const char *const tie[] = { "a:x", "b:x", "b:y", "a:y" };
	struct join j;
	double x[3];
	int64_t t, from;
	const char *c;
	size_t n;
	int map[3] = { 2, -1, 0 };

	n = join_primary(feats, 5, &c);
	T_OK(n == 14 && strncmp(c, "vibration.de.x", n) == 0,
	    "primary: the channel with the most features");
	n = join_primary(tie, 4, &c);
	T_OK(n == 1 && c[0] == 'a', "primary: the first channel on a tie");

	/* features: 0, 1 of the primary channel (1 s), 2 scalar (10 min) */
	join_init(&j, 3, 3 * H);
	join_set(&j, 2, 10 * M, 0, 7.0);
	T_OK(!join_due(&j, 20 * M) && join_emit(&j, x, &t, &from) == -1,
	    "no row without a primary window");
	join_set(&j, 0, 2 * H + S, 2 * H, 1.0);
	join_set(&j, 1, 2 * H + S, 2 * H, 2.0);
	join_trigger(&j, 2 * H + S);
	T_OK(!join_complete(&j), "a carried value does not complete a row");
	join_set(&j, 2, 2 * H, 2 * H - 10 * M, 8.0);
	T_OK(!join_due(&j, 2 * H + S), "a record of the row's time is not due");
	T_OK(join_due(&j, 2 * H + 10 * M), "a later record closes the row");
	T_OK(join_emit(&j, x, &t, &from) == 3 && t == 2 * H + S &&
	    x[0] == 1.0 && x[1] == 2.0 && x[2] == 8.0 &&
	    from == 2 * H - 10 * M, "row: latest value at or before its time");
	T_OK(join_late(&j, 2 * H + S) && join_late(&j, H) &&
	    !join_late(&j, 2 * H + 2 * S), "records up to the row are late");

	/* the next snapshot 4 h later: the scalar is 4 h old, stale */
	join_set(&j, 0, 6 * H + S, 6 * H, 3.0);
	join_trigger(&j, 6 * H + S);
	T_OK(join_emit(&j, x, &t, NULL) == 1 && isnan(x[1]) && isnan(x[2]) &&
	    x[0] == 3.0, "stale and absent values stay missing (NaN)");

	/* every feature of the row's own window end: complete at once */
	join_set(&j, 0, 7 * H, 7 * H - S, 4.0);
	join_set(&j, 1, 7 * H, 7 * H - S, 5.0);
	join_set(&j, 2, 7 * H, 7 * H - 10 * M, 6.0);
	join_trigger(&j, 7 * H);
	T_OK(join_complete(&j), "a row with all values of its window end "
	    "is complete");
	join_set(&j, 2, 6 * H, 6 * H - 10 * M, 99.0);
	T_OK(join_emit(&j, x, &t, NULL) == 3 && x[2] == 6.0,
	    "an older window does not replace a newer value");

	/* remap: new order {old 2, none, old 0} */
	join_set(&j, 0, 8 * H, 8 * H - S, 1.5);
	join_set(&j, 2, 8 * H, 8 * H - S, 2.5);
	join_trigger(&j, 8 * H);
	join_remap(&j, 3, map);
	T_OK(join_emit(&j, x, &t, NULL) == 2 && x[0] == 2.5 && isnan(x[1]) &&
	    x[2] == 1.5 && t == 8 * H, "remap keeps values and the pending row");
	join_free(&j);
	return T_DONE();
}
