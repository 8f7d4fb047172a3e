/* cli.c - the command line every twin program shares; see cli.h. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <curl/curl.h>
#include <fftw3.h>
#include <jansson.h>
#include <mosquitto.h>
#include <openssl/crypto.h>
#include <protobuf-c/protobuf-c.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "ndj.h"
#include "out.h"
#include "rec.h"
#include "tm.h"
#include "banned.h"

#define CLI_MAX_LINE_MIN 64ULL
#define CLI_MAX_LINE_MAX (1ULL << 30)

void
cli_init(struct cli *c, const struct cli_prog *p, const char *argv0)
{
	diag_init(argv0 != NULL ? argv0 : p->name);
	memset(c, 0, sizeof(*c));
	c->prog = p;
	c->live = CLI_LIVE_AUTO;
	c->max_line = NDJ_MAX_LINE_DEFAULT;
}

void
cli_help(const struct cli_prog *p, FILE *f)
{
	fprintf(f, "%s", p->synopsis);
	fprintf(f, "\n%s - %s\n", p->name, p->purpose);
	if (p->options != NULL && *p->options != '\0')
		fprintf(f, "\nOptions:\n%s", p->options);
	fprintf(f, "\nCommon options:\n");
	fprintf(f, "  -h, --help             print this help and exit\n");
	fprintf(f, "  -V, --version          print the version and exit\n");
	fprintf(f, "  -q, --quiet            no counts or progress on "
	    "stderr\n");
	if (p->common & CLI_TENANT)
		fprintf(f, "  -T, --tenant NAME      the tenant this run is "
		    "for\n");
	if (p->common & CLI_REJECT)
		fprintf(f, "  -R, --reject FILE      append each rejected "
		    "line, with its reason, to FILE\n");
	if (p->common & CLI_LIVE) {
		fprintf(f, "  -l, --live             flush every record at "
		    "once\n");
		fprintf(f, "      --replay           flush only when the "
		    "buffer fills\n");
	}
	if (p->common & CLI_MAX_LINE)
		fprintf(f, "      --max-line BYTES   longest input line "
		    "(default 16M)\n");
	fprintf(f, "\nSee %s(1) and twin(7).\n", p->name);
}

void
cli_version(const struct cli_prog *p, FILE *f)
{
	int maj, min, rev;

	mosquitto_lib_version(&maj, &min, &rev);
	fprintf(f, "%s (twin) %s\n", p->name, TWIN_VERSION);
	fprintf(f, "libraries: jansson %s, %s, %s, %s, %s, "
	    "libmosquitto %d.%d.%d, protobuf-c %s\n", jansson_version_str(),
	    OpenSSL_version(OPENSSL_VERSION), archive_version_string(),
	    fftw_version, curl_version(), maj, min, rev,
	    protobuf_c_version());
	fprintf(f, "License GPL-2.0-or-later: this is free software; there "
	    "is NO WARRANTY.\n");
}

int
cli_usage(const struct cli *c)
{
	fprintf(stderr, "%s", c->prog->synopsis);
	return EXIT_USAGE;
}

int
cli_usage_error(const struct cli *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_warn("%s", msg);
	return cli_usage(c);
}

static int
mine(const struct cli *c, int flag)
{
	return (c->prog->common & flag) != 0;
}

int
cli_option(struct cli *c, int ch, const char *arg)
{
	unsigned long long v;

	switch (ch) {
	case 'h':
		cli_help(c->prog, stdout);
		c->exit = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
		return CLI_EXIT;
	case 'V':
		cli_version(c->prog, stdout);
		c->exit = fflush(stdout) == 0 ? EXIT_OK : EXIT_IO;
		return CLI_EXIT;
	case 'q':
		diag_set_quiet(1);
		return CLI_TAKEN;
	case 'T':
		if (!mine(c, CLI_TENANT))
			break;
		if (cli_tenant("-T", arg) < 0) {
			c->exit = EXIT_USAGE;
			return CLI_EXIT;
		}
		c->tenant = arg;
		return CLI_TAKEN;
	case 'R':
		if (!mine(c, CLI_REJECT))
			break;
		c->reject = arg;
		return CLI_TAKEN;
	case 'l':
		if (!mine(c, CLI_LIVE))
			break;
		c->live = 1;
		return CLI_TAKEN;
	case CLI_OPT_REPLAY:
		if (!mine(c, CLI_LIVE))
			break;
		c->live = 0;
		return CLI_TAKEN;
	case CLI_OPT_MAX_LINE:
		if (!mine(c, CLI_MAX_LINE))
			break;
		if (cli_size("--max-line", arg, CLI_MAX_LINE_MIN,
		    CLI_MAX_LINE_MAX, &v) < 0) {
			c->exit = EXIT_USAGE;
			return CLI_EXIT;
		}
		c->max_line = (size_t)v;
		return CLI_TAKEN;
	case '?':
		/* getopt has named the option already. */
		c->exit = cli_usage(c);
		return CLI_EXIT;
	default:
		return CLI_NOT_MINE;
	}
	/* A common letter this program does not take. */
	diag_warn("option '-%c' is not one of %s's", ch, c->prog->name);
	c->exit = cli_usage(c);
	return CLI_EXIT;
}

static int
bad(const char *opt, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(const char *opt, const char *s, const char *fmt, ...)
{
	char want[256], q[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	diag_warn("bad %s '%s': give %s", opt,
	    diag_quote(s, strlen(s), q, sizeof(q)), want);
	return -1;
}

int
cli_tenant(const char *opt, const char *s)
{
	if (rec_tenant_valid(s))
		return 0;
	return bad(opt, s, "1 to 64 letters, digits, '.', '_' or '-', "
	    "starting with a letter or digit");
}

int
cli_uint(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto out;
	x = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || x < lo || x > hi)
		goto out;
	*v = x;
	return 0;
out:
	return bad(opt, s, "a whole number from %llu to %llu", lo, hi);
}

int
cli_long(const char *opt, const char *s, long lo, long hi, long *v)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno == ERANGE || x < lo || x > hi)
		return bad(opt, s, "a whole number from %ld to %ld", lo, hi);
	*v = x;
	return 0;
}

/* 1024 as "1K", 16 MiB as "16M": the form the user may type back. */
static void
size_words(unsigned long long x, char *out, size_t n)
{
	static const char sfx[] = "KMGT";
	int i = -1;

	while (i < 3 && x >= 1024 && x % 1024 == 0) {
		x /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(out, n, "%llu", x);
	else
		snprintf(out, n, "%llu%c", x, sfx[i]);
}

int
cli_size(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *v)
{
	unsigned long long x, mul = 1;
	char *end, a[32], b[32];

	errno = 0;
	if (*s < '0' || *s > '9')
		goto out;
	x = strtoull(s, &end, 10);
	if (errno == ERANGE)
		goto out;
	switch (*end) {
	case 'K': case 'k': mul = 1ULL << 10; end++; break;
	case 'M': mul = 1ULL << 20; end++; break;
	case 'G': mul = 1ULL << 30; end++; break;
	case 'T': mul = 1ULL << 40; end++; break;
	}
	if (*end != '\0' || (x != 0 && x > ULLONG_MAX / mul))
		goto out;
	x *= mul;
	if (x < lo || x > hi)
		goto out;
	*v = x;
	return 0;
out:
	size_words(lo, a, sizeof(a));
	size_words(hi, b, sizeof(b));
	if (hi == ULLONG_MAX)
		return bad(opt, s, "a size in bytes of at least %s (K, M, G, "
		    "T: powers of 1024)", a);
	return bad(opt, s, "a size in bytes from %s to %s (K, M, G, T: "
	    "powers of 1024)", a, b);
}

int
cli_real(const char *opt, const char *s, double lo, double hi, double *v)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !(x >= lo &&
	    x <= hi))
		return bad(opt, s, "a number from %g to %g", lo, hi);
	*v = x;
	return 0;
}

/* A duration as the user would type it: 10s, 1h, 250ms. */
static void
dur_words(int64_t ns, char *out, size_t n)
{
	static const struct { int64_t ns; const char *u; } u[] = {
		{ 86400LL * 1000000000, "d" }, { 3600LL * 1000000000, "h" },
		{ 60LL * 1000000000, "m" }, { 1000000000, "s" },
		{ 1000000, "ms" }, { 1000, "us" }, { 1, "ns" }
	};
	size_t i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (ns >= u[i].ns && ns % u[i].ns == 0) {
			snprintf(out, n, "%lld%s", (long long)(ns / u[i].ns),
			    u[i].u);
			return;
		}
	snprintf(out, n, "0s");
}

int
cli_duration(const char *opt, const char *s, int64_t lo, int64_t hi,
    int64_t *ns)
{
	struct twin_err e;
	char a[32], b[32];
	int64_t x;

	if (tm_parse_duration(s, &x, &e) == 0 && x >= lo && x <= hi) {
		*ns = x;
		return 0;
	}
	dur_words(lo, a, sizeof(a));
	dur_words(hi, b, sizeof(b));
	if (hi == INT64_MAX && lo <= 1)
		return bad(opt, s, "a duration%s such as 250ms, 10s or 1h",
		    lo == 1 ? " above zero" : "");
	if (hi == INT64_MAX)
		return bad(opt, s, "a duration of at least %s, such as 10s or "
		    "1h", a);
	return bad(opt, s, "a duration from %s to %s, such as 10s or 1h", a,
	    b);
}

int
cli_time(const char *opt, const char *s, int64_t *ns)
{
	struct twin_err e;
	char tmp[32];
	const char *t = s;

	if (strlen(s) == 10) {
		snprintf(tmp, sizeof(tmp), "%sT00:00:00Z", s);
		t = tmp;
	}
	if (tm_parse(t, strlen(t), ns, &e) == 0)
		return 0;
	return bad(opt, s, "an RFC 3339 time such as 2026-11-01T06:00:00Z, "
	    "or a date");
}

int
cli_choice(const char *opt, const char *s, const char *const *words,
    int *v)
{
	struct buf b = BUF_INIT;
	int i, n;

	for (n = 0; words[n] != NULL; n++)
		if (strcmp(s, words[n]) == 0) {
			*v = n;
			return 0;
		}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, i == n - 1 ? " or " : ", ");
		buf_adds(&b, words[i]);
	}
	bad(opt, s, "%s", buf_str(&b));
	buf_free(&b);
	return -1;
}

int
cli_out_mode(const struct cli *c)
{
	if (c->live == 1)
		return OUT_LIVE;
	if (c->live == 0)
		return OUT_BATCH;
	return OUT_AUTO;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
cli_progress_start(struct cli_progress *p, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->on = !diag_quiet() && isatty(2);
	p->total = total;
	if (p->on)
		p->t0 = p->last = mono_ns();
}

/* 1234567 as "1.23 M". */
static void
count_words(double x, const char *unit, char *out, size_t n)
{
	static const char *const sfx[] = { "", " k", " M", " G", " T" };
	int i = 0;

	while (x >= 1000 && i < 4) {
		x /= 1000;
		i++;
	}
	snprintf(out, n, i == 0 ? "%.0f%s%s" : "%.3g%s%s", x, sfx[i], unit);
}

void
cli_progress_tick(struct cli_progress *p, uint64_t pos,
    unsigned long long n)
{
	char line[160], a[32], b[32], c[32], d[32];
	int64_t now;
	double secs, rate;
	int len;

	/* The clock is read once in 256 calls: the loop stays cheap. */
	if (!p->on || (++p->tick & 255) != 0)
		return;
	now = mono_ns();
	if (now - p->last < 250000000)
		return;
	p->last = now;
	secs = (double)(now - p->t0) / 1e9;
	rate = secs > 0 ? (double)n / secs : 0;
	count_words((double)n, "", a, sizeof(a));
	count_words(rate, "/s", b, sizeof(b));
	if (p->total > 0 && pos > 0 && pos <= p->total) {
		double eta = secs * (double)(p->total - pos) / (double)pos;

		count_words((double)pos, "B", c, sizeof(c));
		count_words((double)p->total, "B", d, sizeof(d));
		len = snprintf(line, sizeof(line), "\r%s: %s records, %s, "
		    "%s of %s (%.0f%%), ETA %d:%02d\033[K", diag_prog, a, b,
		    c, d, 100.0 * (double)pos / (double)p->total,
		    (int)(eta / 60), (int)eta % 60);
	} else
		len = snprintf(line, sizeof(line), "\r%s: %s records, %s, "
		    "%.0f s\033[K", diag_prog, a, b, secs);
	if (len > 0)
		(void)!write(2, line, (size_t)len < sizeof(line) ?
		    (size_t)len : sizeof(line) - 1);
	p->shown = 1;
}

void
cli_progress_end(struct cli_progress *p)
{
	if (p->on && p->shown)
		(void)!write(2, "\r\033[K", 4);
	p->shown = 0;
}
