/* test-cli.c - the shared command line: arguments, options, flush modes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "out.h"
#include "t.h"

static const struct cli_prog prog = {
	"twin-test", "test the front end", "usage: twin-test [-hlqV]\n", "",
	CLI_TENANT | CLI_LIVE | CLI_MAX_LINE | CLI_QUIET
};

int
main(void)
{
	unsigned long long u;
	struct cli c;
	int64_t ns;
	double d;
	long l;
	int k;
	static const char *const words[] = { "reject", "pass", "drop",
	    NULL };

	/* The messages go to stderr; the checks are on what is returned. */
	T_OK(cli_size("--max-line", "16M", 64, 1ULL << 30, &u) == 0 &&
	    u == 16ULL << 20, "cli: size with M");
	T_OK(cli_size("--max-line", "1k", 1, 1ULL << 30, &u) == 0 &&
	    u == 1024, "cli: size with k");
	T_OK(cli_size("--max-line", "12abc", 64, 1ULL << 30, &u) < 0,
	    "cli: size with junk refused");
	T_OK(cli_size("--max-line", "-5", 0, 100, &u) < 0,
	    "cli: negative size refused");
	T_OK(cli_size("--max-line", "32", 64, 100, &u) < 0,
	    "cli: size under the bound refused");
	T_OK(cli_size("--max-line", "99999999999999999999T", 0, UINT64_MAX,
	    &u) < 0, "cli: size overflow refused");
	T_OK(cli_size("--max-line", "16777216T", 0, UINT64_MAX, &u) < 0,
	    "cli: size overflow by the suffix refused");
	T_OK(cli_uint("-c", "10", 0, 10, &u) == 0 && u == 10,
	    "cli: uint at the bound");
	T_OK(cli_uint("-c", "11", 0, 10, &u) < 0, "cli: uint over the bound");
	T_OK(cli_uint("-c", "", 0, 10, &u) < 0, "cli: empty uint refused");
	T_OK(cli_long("--retries", "-3", -5, 5, &l) == 0 && l == -3,
	    "cli: negative long");
	T_OK(cli_long("--retries", "3x", -5, 5, &l) < 0,
	    "cli: long with junk refused");
	T_OK(cli_real("--rate", "2.5", 0, 10, &d) == 0 && d == 2.5,
	    "cli: real");
	T_OK(cli_real("--rate", "nan", 0, 10, &d) < 0, "cli: NaN refused");
	T_OK(cli_real("--rate", "1e999", 0, 1e300, &d) < 0,
	    "cli: overflowing real refused");
	T_OK(cli_duration("--timeout", "250ms", 1, INT64_MAX, &ns) == 0 &&
	    ns == 250000000, "cli: duration in ms");
	T_OK(cli_duration("--timeout", "0s", 1, INT64_MAX, &ns) < 0,
	    "cli: duration under the bound refused");
	T_OK(cli_duration("--timeout", "soon", 1, INT64_MAX, &ns) < 0,
	    "cli: duration word refused");
	T_OK(cli_time("--since", "2026-11-01", &ns) == 0 &&
	    ns == 1793491200LL * 1000000000, "cli: a date is midnight UTC");
	T_OK(cli_time("--since", "2026-11-01T06:00:00Z", &ns) == 0 &&
	    ns == (1793491200LL + 6 * 3600) * 1000000000, "cli: RFC 3339");
	T_OK(cli_time("--since", "yesterday", &ns) < 0, "cli: bad time");
	T_OK(cli_choice("--unmapped", "pass", words, &k) == 0 && k == 1,
	    "cli: choice");
	T_OK(cli_choice("--unmapped", "keep", words, &k) < 0,
	    "cli: unknown choice refused");
	T_OK(cli_tenant("-T", "acme-1.a_b") == 0, "cli: good tenant");
	T_OK(cli_tenant("-T", "a b") < 0 && cli_tenant("-T", "-x") < 0 &&
	    cli_tenant("-T", "") < 0, "cli: bad tenants refused");

	cli_init(&c, &prog, "twin-test");
	T_OK(c.live == CLI_LIVE_AUTO && cli_out_mode(&c) == OUT_AUTO,
	    "cli: the default is the flush rule");
	T_OK(cli_option(&c, 'l', NULL) == CLI_TAKEN &&
	    cli_out_mode(&c) == OUT_LIVE, "cli: -l is live");
	T_OK(cli_option(&c, CLI_OPT_REPLAY, NULL) == CLI_TAKEN &&
	    cli_out_mode(&c) == OUT_BATCH, "cli: --replay is batch");
	T_OK(cli_option(&c, 'T', "acme") == CLI_TAKEN &&
	    strcmp(c.tenant, "acme") == 0, "cli: -T");
	T_OK(cli_option(&c, 'T', "a b") == CLI_EXIT && c.exit == EXIT_USAGE,
	    "cli: bad -T is a usage error");
	T_OK(cli_option(&c, CLI_OPT_MAX_LINE, "1M") == CLI_TAKEN &&
	    c.max_line == 1 << 20, "cli: --max-line");
	T_OK(cli_option(&c, 'R', "x") == CLI_EXIT && c.exit == EXIT_USAGE,
	    "cli: a common option the program does not take is refused");
	T_OK(cli_option(&c, 'z', NULL) == CLI_NOT_MINE,
	    "cli: the program's own options are left to it");
	T_OK(cli_option(&c, 'q', NULL) == CLI_TAKEN && diag_quiet(),
	    "cli: -q");
	return T_DONE();
}
