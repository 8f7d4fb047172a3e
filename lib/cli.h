/*
 * cli.h - the command line every twin program shares.
 *
 * Like libarchive_fe under bsdtar, this is the front end of cmd/: it is
 * called from cmd/ only and, with diag, is the only lib/ code that
 * prints.  It gives the six programs one set of common options with one
 * meaning each, one wording for every bad argument, --help and
 * --version, the flush rule and the progress line (twin(7)).
 *
 * Common options (a program takes the ones its cli_prog names):
 *   -h, --help          usage and every option on stdout, exit 0
 *   -V, --version       version and libraries on stdout, exit 0
 *   -q, --quiet         no informational lines, no progress
 *   -T, --tenant NAME   the tenant the run is for
 *   -R, --reject FILE   write rejected lines to FILE (diag.h)
 *   -l, --live          flush every record
 *   --replay            flush only when the buffer fills
 *   --max-line BYTES    longest input line, 64 to 1G (default 16M)
 *
 * Letters that mean one thing in every program that has them:
 *   -c count, -C classes, -d state directory, -m tag map, -M model file,
 *   -n dry run, -p policy, -r registry, -s feature spec, -t template,
 *   -u URL.
 *
 * The number parsers below print "prog: bad OPT 'ARG': give ..." through
 * diag and return -1; the caller exits with EXIT_USAGE.
 */
#ifndef TWIN_CLI_H
#define TWIN_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* getopt_long values of the common long-only options. */
enum {
	CLI_OPT_MAX_LINE = 0x1000,
	CLI_OPT_REPLAY
};

/* Which common options a program takes (cli_prog.common). */
enum {
	CLI_TENANT = 1 << 0,
	CLI_REJECT = 1 << 1,
	CLI_LIVE = 1 << 2,	/* -l and --replay */
	CLI_MAX_LINE = 1 << 3,
	CLI_QUIET = 1 << 4	/* always given; listed for --help */
};

/* The long options of the common ones; end a program's table with it. */
#define CLI_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "live", no_argument, NULL, 'l' }, \
	{ "max-line", required_argument, NULL, CLI_OPT_MAX_LINE }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "reject", required_argument, NULL, 'R' }, \
	{ "replay", no_argument, NULL, CLI_OPT_REPLAY }, \
	{ "tenant", required_argument, NULL, 'T' }, \
	{ "version", no_argument, NULL, 'V' }, \
	{ NULL, 0, NULL, 0 }
/* Their letters, for the getopt string. */
#define CLI_SHORTOPTS "hlqR:T:V"

struct cli_prog {
	const char *name;	/* "twin-map" */
	const char *purpose;	/* one line: the NAME section's */
	const char *synopsis;	/* the usage lines, each ending "\n" */
	const char *options;	/* the program's own options, for --help */
	int common;		/* CLI_* flags */
};

#define CLI_LIVE_AUTO (-1)

/* What the common options set; cli_init() fills in the defaults. */
struct cli {
	const struct cli_prog *prog;
	const char *tenant;
	const char *reject;
	int live;		/* CLI_LIVE_AUTO, 0 replay, 1 live */
	size_t max_line;
	int exit;		/* status when cli_option() returns CLI_EXIT */
};

void cli_init(struct cli *c, const struct cli_prog *p, const char *argv0);

enum { CLI_NOT_MINE = 0, CLI_TAKEN = 1, CLI_EXIT = 2 };

/*
 * Handle one getopt_long result if it is a common option: CLI_TAKEN,
 * CLI_EXIT (help or version printed, or a bad argument reported: exit
 * with c->exit) or CLI_NOT_MINE.  A '?' from getopt is reported with
 * the usage and gives CLI_EXIT with EXIT_USAGE.
 */
int cli_option(struct cli *c, int ch, const char *arg);

/* The synopsis on stderr after a usage error; returns EXIT_USAGE. */
int cli_usage(const struct cli *c);
/* "prog: MESSAGE" and the synopsis; returns EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cli_help(const struct cli_prog *p, FILE *f);
void cli_version(const struct cli_prog *p, FILE *f);

/* Arguments.  Each names opt in its message; -1 after the message. */
int cli_tenant(const char *opt, const char *s);
int cli_uint(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *v);
int cli_long(const char *opt, const char *s, long lo, long hi, long *v);
/* A byte count, with an optional K, M, G or T (powers of 1024). */
int cli_size(const char *opt, const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *v);
int cli_real(const char *opt, const char *s, double lo, double hi,
    double *v);
/* A duration such as 250ms, 10s, 1h or 7d (tm.h), from lo to hi ns. */
int cli_duration(const char *opt, const char *s, int64_t lo, int64_t hi,
    int64_t *ns);
/* RFC 3339 time, or a date (midnight UTC). */
int cli_time(const char *opt, const char *s, int64_t *ns);
/* One of a NULL-terminated list of words; *v is its index. */
int cli_choice(const char *opt, const char *s, const char *const *words,
    int *v);

/*
 * The output mode of twin(7)'s flush rule, for out_open(): OUT_LIVE with
 * -l, OUT_BATCH with --replay, else OUT_AUTO: written when the buffer
 * fills and whenever the program is about to wait for input.
 */
int cli_out_mode(const struct cli *c);

/*
 * The progress line: on stderr only when it is a terminal and -q is not
 * given, at most a few times a second, "\r"-rewritten, cleared at
 * cli_progress_end().  total is the input's size in bytes, 0 when
 * unknown (a pipe); pos the bytes read so far; n the records so far.
 */
struct cli_progress {
	int on;
	uint64_t total;
	int64_t t0, last;
	unsigned tick;
	int shown;
};

void cli_progress_start(struct cli_progress *p, uint64_t total);
void cli_progress_tick(struct cli_progress *p, uint64_t pos,
    unsigned long long n);
void cli_progress_end(struct cli_progress *p);

#endif
