/*
 * twin-ingest - telemetry in: the plant simulator, replay of captures
 * (plain, compressed, archived) and CSV exports, written as raw records,
 * optionally captured to rotating segments and forwarded through a
 * durable spool.  See twin-ingest(1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "capture.h"
#include "diag.h"
#include "err.h"
#include "ndj.h"
#include "out.h"
#include "rec.h"
#include "sim.h"
#include "spool.h"
#include "src_csv.h"
#include "src_file.h"
#include "tm.h"
#include "banned.h"

/* Records delivered from the spool between two commits in replay mode. */
#define COMMIT_EVERY 4096

enum {
	OPT_RATE = 256, OPT_SINCE, OPT_UNTIL, OPT_LIVE, OPT_RECV, OPT_MAX_LINE,
	OPT_MAX_ENTRIES, OPT_MAX_ENTRY_SIZE, OPT_MAX_RATIO, OPT_SPOOL,
	OPT_SPOOL_MAX, OPT_OVERFLOW, OPT_FSYNC_EVERY, OPT_CAPTURE,
	OPT_CAPTURE_SIZE, OPT_CAPTURE_TIME, OPT_DELIM, OPT_HEADER,
	OPT_NO_HEADER, OPT_COLUMNS, OPT_LAYOUT, OPT_TIME_COL, OPT_TIME_FORMAT,
	OPT_START, OPT_STEP, OPT_TAG, OPT_TAG_COL, OPT_VALUE_COL, OPT_SKIP,
	OPT_UNIT
};

static const struct option longopts[] = {
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "capture-size", required_argument, NULL, OPT_CAPTURE_SIZE },
	{ "capture-time", required_argument, NULL, OPT_CAPTURE_TIME },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "count", required_argument, NULL, 'c' },
	{ "delim", required_argument, NULL, OPT_DELIM },
	{ "fsync-every", required_argument, NULL, OPT_FSYNC_EVERY },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "help", no_argument, NULL, 'h' },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "live", no_argument, NULL, OPT_LIVE },
	{ "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
	{ "max-entry-size", required_argument, NULL, OPT_MAX_ENTRY_SIZE },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
	{ "max-ratio", required_argument, NULL, OPT_MAX_RATIO },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "overflow", required_argument, NULL, OPT_OVERFLOW },
	{ "quiet", no_argument, NULL, 'q' },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "recv", no_argument, NULL, OPT_RECV },
	{ "reject", required_argument, NULL, 'R' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "skip", required_argument, NULL, OPT_SKIP },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
	{ "start", required_argument, NULL, OPT_START },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "tag-col", required_argument, NULL, OPT_TAG_COL },
	{ "tenant", required_argument, NULL, 'T' },
	{ "time-col", required_argument, NULL, OPT_TIME_COL },
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "value-col", required_argument, NULL, OPT_VALUE_COL },
	{ NULL, 0, NULL, 0 }
};

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t want_stats;

/* The output chain: filters, pacing, capture, spool, stdout. */
struct chain {
	struct out *out;
	struct capture *cap;
	struct spool *spool;
	int overflow;
	int live;
	int recv;			/* stamp receipt time (--recv) */
	struct buf stamped;
	unsigned long long uncommitted;
	long long limit;		/* -c; -1: none */
	long long taken;
	int has_since, has_until;
	int64_t since, until;
	double rate;			/* 0: as fast as possible */
	int paced;
	int64_t t0;
	struct timespec w0;
	int status;			/* worst exit status so far */
	int fatal;			/* stop everything */
};

static const char *tenant;
static char *tenant_own;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: twin-ingest [-hq] [-c count] [-R file] [-T tenant] "
	    "[--rate x]\n"
	    "                   [--since time] [--until time] [--live] [--recv]\n"
	    "                   [--spool dir] [--spool-max size] "
	    "[--overflow policy]\n"
	    "                   [--fsync-every n] [--capture dir] "
	    "[--capture-size size]\n"
	    "                   [--capture-time duration] [--max-line n]\n"
	    "                   [--max-entries n] [--max-entry-size size] "
	    "[--max-ratio x]\n"
	    "                   [--delim c] [--header | --no-header] "
	    "[--columns names]\n"
	    "                   [--layout wide|long] [--time-col col] "
	    "[--time-format fmt]\n"
	    "                   [--start time] [--step duration] "
	    "[--tag template]\n"
	    "                   [--tag-col col] [--value-col col] "
	    "[--skip cols] [--unit unit]\n"
	    "                   [source ...]\n"
	    "sources: sim:[?]spec  file:path  csv:path  path  -\n");
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		want_stats = 1;
	else
		stopping = 1;
}

static int
worse(int a, int b)
{
	/* Any failure outranks bad data, which outranks success. */
	if (a == EXIT_OK)
		return b;
	if (a == EXIT_DATA && b != EXIT_OK)
		return b;
	return a;
}

/* Parse an unsigned number with an optional K, M, G or T suffix. */
static int
parse_size(const char *name, const char *s, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		goto bad;
	if (*end == 'K' || *end == 'k')
		mul = 1ULL << 10, end++;
	else if (*end == 'M')
		mul = 1ULL << 20, end++;
	else if (*end == 'G')
		mul = 1ULL << 30, end++;
	else if (*end == 'T')
		mul = 1ULL << 40, end++;
	if (*end != '\0' || (v != 0 && v > ULLONG_MAX / mul))
		goto bad;
	v *= mul;
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	diag_warn("bad %s '%s' (want %llu to %llu)", name, s, min, max);
	return -1;
}

static int
parse_real(const char *name, const char *s, double min, double max,
    double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		diag_warn("bad %s '%s' (want %g to %g)", name, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* A time on the command line: RFC 3339, or a date alone (midnight UTC). */
static int
parse_time(const char *name, const char *s, int64_t *ns)
{
	struct twin_err e;
	char tmp[32];

	if (strlen(s) == 10) {
		snprintf(tmp, sizeof(tmp), "%sT00:00:00Z", s);
		s = tmp;
	}
	if (tm_parse(s, strlen(s), ns, &e) < 0) {
		diag_warn("bad %s '%s': %s", name, s, e.msg);
		return -1;
	}
	return 0;
}

static int
parse_duration(const char *name, const char *s, int64_t *ns)
{
	struct twin_err e;

	if (tm_parse_duration(s, ns, &e) < 0 || *ns <= 0) {
		diag_warn("bad %s '%s' (want a duration such as 10s or 1h)",
		    name, s);
		return -1;
	}
	return 0;
}

static void
set_fatal(struct chain *c, int status)
{
	c->status = worse(c->status, status);
	c->fatal = 1;
}

static void
report(struct chain *c, const struct twin_err *e)
{
	if (e->code == TWIN_EPIPE) {
		c->fatal = 1;	/* downstream closed: end quietly */
		return;
	}
	diag_warn("%s", e->msg);
	set_fatal(c, err_exit_status(e->code));
}

/*
 * Wait until the wall clock reaches the record's place in the replay;
 * -1 when a signal to stop came first (the record is not written).
 */
static int
pace(struct chain *c, int64_t ts)
{
	struct timespec now, until;
	int64_t off;

	if (c->rate <= 0)
		return 0;
	if (!c->paced) {
		c->paced = 1;
		c->t0 = ts;
		clock_gettime(CLOCK_MONOTONIC, &c->w0);
		return 0;
	}
	if (ts <= c->t0)
		return 0;
	off = (int64_t)((double)(ts - c->t0) / c->rate);
	until.tv_sec = c->w0.tv_sec + (time_t)(off / TM_NS_PER_S);
	until.tv_nsec = c->w0.tv_nsec + (long)(off % TM_NS_PER_S);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!stopping) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec &&
		    now.tv_nsec >= until.tv_nsec))
			break;
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until,
		    NULL) == 0)
			break;
	}
	return stopping ? -1 : 0;
}

static void print_stats(struct chain *);

/* Flush stdout, then record that downstream has everything written. */
static int
commit(struct chain *c)
{
	struct twin_err e;

	if (out_flush(c->out, &e) < 0) {
		report(c, &e);
		return -1;
	}
	if (c->spool != NULL && c->uncommitted > 0) {
		if (spool_commit(c->spool, &e) < 0) {
			report(c, &e);
			return -1;
		}
		c->uncommitted = 0;
	}
	return 0;
}

static void
spool_report_damage(struct chain *c)
{
	const char *m;

	while ((m = spool_damage(c->spool)) != NULL) {
		diag_at(NULL, 0, "%s", m);
		c->status = worse(c->status, EXIT_DATA);
	}
}

/* Deliver what the spool holds to stdout. */
static int
drain(struct chain *c)
{
	struct twin_err e;
	const char *rec;
	size_t n;
	int r;

	while ((r = spool_next(c->spool, &rec, &n, &e)) == 1) {
		if (out_line(c->out, rec, n, &e) < 0) {
			report(c, &e);
			return -1;
		}
		c->uncommitted++;
		if (c->uncommitted >= COMMIT_EVERY && commit(c) < 0)
			return -1;
	}
	spool_report_damage(c);
	if (r < 0) {
		report(c, &e);
		return -1;
	}
	if (c->live && commit(c) < 0)
		return -1;
	return 0;
}

/* Whether a record's text holds a "recv" key already. */
static int
has_recv(const char *line, size_t n)
{
	static const char key[] = "\"recv\":";
	size_t i, k = sizeof(key) - 1;

	for (i = 0; i + k <= n; i++)
		if (line[i] == '"' && memcmp(line + i, key, k) == 0)
			return 1;
	return 0;
}

/*
 * Take one record from a source.  Returns 0 to go on, 1 when the count
 * limit or until (for time-ordered sources) says stop, -1 on a fatal
 * error (already reported).
 */
static int
emit(struct chain *c, const char *line, size_t n, int64_t ts, int ordered)
{
	struct twin_err e;

	if (c->has_until && ts >= c->until)
		return ordered ? 1 : 0;
	if (c->has_since && ts < c->since)
		return 0;
	if (pace(c, ts) < 0)
		return 1;
	if (c->recv && n > 1 && line[n - 1] == '}' &&
	    !has_recv(line, n)) {
		struct timespec now;
		char t[TM_BUFSZ];

		/*
		 * Receipt time is taken once, here, before capture and spool,
		 * so a replay of the capture gives the same bytes.
		 */
		clock_gettime(CLOCK_REALTIME, &now);
		tm_format((int64_t)now.tv_sec * TM_NS_PER_S + now.tv_nsec, t);
		buf_reset(&c->stamped);
		buf_add(&c->stamped, line, n - 1);
		if (n > 2)
			buf_addc(&c->stamped, ',');
		buf_adds(&c->stamped, "\"recv\":\"");
		buf_adds(&c->stamped, t);
		buf_adds(&c->stamped, "\"}");
		line = c->stamped.s;
		n = c->stamped.len;
	}
	if (c->cap != NULL && capture_write(c->cap, line, n, &e) < 0) {
		report(c, &e);
		return -1;
	}
	if (c->spool != NULL) {
		while (spool_append(c->spool, line, n, &e) < 0) {
			if (e.code != TWIN_ETEMP || c->overflow != SPOOL_BLOCK) {
				report(c, &e);
				return -1;
			}
			/*
			 * Full under "block": the consumer is this very
			 * process, so deliver what is pending and retry
			 * once; a record larger than the spool cannot fit.
			 */
			if (drain(c) < 0 || commit(c) < 0)
				return -1;
			if (spool_append(c->spool, line, n, &e) == 0)
				break;
			report(c, &e);
			return -1;
		}
		if (drain(c) < 0)
			return -1;
		if (want_stats) {
			want_stats = 0;
			print_stats(c);
		}
	} else if (out_line(c->out, line, n, &e) < 0) {
		report(c, &e);
		return -1;
	}
	c->taken++;
	if (c->limit >= 0 && c->taken >= c->limit)
		return 1;
	return 0;
}

static int
check_raw(const json_t *r, struct twin_err *e)
{
	json_t *v;

	if (rec_str(r, "src") == NULL || *rec_str(r, "src") == '\0')
		return err_set(e, TWIN_EDATA,
		    "raw record without a 'src' string");
	v = json_object_get(r, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return err_set(e, TWIN_EDATA,
		    "raw record without a non-negative integer 'seq'");
	if (rec_str(r, "tag") == NULL || *rec_str(r, "tag") == '\0')
		return err_set(e, TWIN_EDATA,
		    "raw record without a 'tag' string");
	if (json_object_get(r, "v") == NULL)
		return err_set(e, TWIN_EDATA, "raw record without 'v'");
	return 0;
}

/* Validate one replayed line; *ts gets its time. */
static int
check_line(const char *line, size_t n, int64_t *ts, struct twin_err *e)
{
	enum rec_kind kind;
	json_t *r;
	int rc = -1;

	if (tenant != NULL && src_file_fast_raw(line, n, tenant, ts))
		return 0;
	if ((r = ndj_parse(line, n, e)) == NULL)
		return -1;
	if (rec_check(r, tenant, &kind, ts, e) < 0)
		goto out;
	if (tenant == NULL) {
		const char *t = rec_str(r, "tenant");

		if (!rec_tenant_valid(t)) {
			err_set(e, TWIN_EDATA, "invalid tenant name");
			goto out;
		}
		tenant = tenant_own = xstrdup(t);
	}
	if (kind == REC_RAW && check_raw(r, e) < 0)
		goto out;
	rc = 0;
out:
	json_decref(r);
	return rc;
}

static void
run_file(struct chain *c, const char *path, const struct src_file_opts *fo)
{
	struct src_file *f;
	struct twin_err e;
	const char *line;
	size_t n;
	int64_t ts;
	int r;

	if ((f = src_file_open(path, fo, &e)) == NULL) {
		if (stopping)
			return;
		diag_warn("%s", e.msg);
		c->status = worse(c->status, EXIT_IO);
		return;
	}
	while (!stopping && !c->fatal) {
		r = src_file_next(f, &line, &n, &e);
		if (r == 0 || (r < 0 && stopping))
			break;
		if (r < 0) {
			if (e.code == TWIN_EIO) {
				diag_warn("%s", e.msg);
				c->status = worse(c->status, EXIT_IO);
			} else {
				diag_at(src_file_where(f), src_file_lineno(f),
				    "%s", e.msg);
				c->status = worse(c->status, EXIT_DATA);
			}
			continue;
		}
		if (check_line(line, n, &ts, &e) < 0) {
			diag_reject(src_file_where(f), src_file_lineno(f), line,
			    n, "%s", e.msg);
			c->status = worse(c->status, EXIT_DATA);
			continue;
		}
		if (emit(c, line, n, ts, 0) != 0)
			break;
	}
	src_file_close(f);
}

static void
run_csv(struct chain *c, const char *path, const struct csv_opts *co,
    const struct src_file_opts *fo)
{
	struct buf rec = BUF_INIT;
	struct src_csv *s;
	struct twin_err e;
	int64_t ts;
	int r;

	if ((s = src_csv_open(path, co, fo, tenant, &e)) == NULL) {
		diag_warn("%s", e.msg);
		set_fatal(c, err_exit_status(e.code));
		return;
	}
	while (!stopping && !c->fatal) {
		r = src_csv_next(s, &rec, &ts, &e);
		if (r == 0 || (r < 0 && stopping))
			break;
		if (r < 0) {
			if (e.code == TWIN_EIO || e.code == TWIN_EUSAGE) {
				diag_warn("%s", e.msg);
				c->status = worse(c->status,
				    err_exit_status(e.code));
			} else {
				diag_at(src_csv_where(s), src_csv_lineno(s),
				    "%s", e.msg);
				c->status = worse(c->status, EXIT_DATA);
			}
			continue;
		}
		if (emit(c, rec.s, rec.len, ts, 0) != 0)
			break;
	}
	src_csv_close(s);
	buf_free(&rec);
}

static void
run_sim(struct chain *c, struct sim *s)
{
	struct buf rec = BUF_INIT;
	struct twin_err e;
	int64_t ts;
	int r;

	while (!stopping && !c->fatal) {
		r = sim_next(s, &rec, &ts, &e);
		if (r == 0)
			break;
		if (r < 0) {
			report(c, &e);
			break;
		}
		if (emit(c, rec.s, rec.len, ts, 1) != 0)
			break;
	}
	buf_free(&rec);
}

static int
parse_overflow(const char *s, int *out)
{
	static const char *const names[] = {
		"block", "drop-oldest", "drop-newest", "fail"
	};
	static const int vals[] = {
		SPOOL_BLOCK, SPOOL_DROP_OLDEST, SPOOL_DROP_NEWEST, SPOOL_FAIL
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = vals[i];
			return 0;
		}
	diag_warn("bad --overflow '%s' (want block, drop-oldest, "
	    "drop-newest or fail)", s);
	return -1;
}

static int
parse_time_format(const char *s, int *out)
{
	if (strcmp(s, "rfc3339") == 0)
		*out = CSV_TIME_RFC3339;
	else if (strcmp(s, "epoch_s") == 0 || strcmp(s, "s") == 0)
		*out = CSV_TIME_EPOCH_S;
	else if (strcmp(s, "epoch_ms") == 0 || strcmp(s, "ms") == 0)
		*out = CSV_TIME_EPOCH_MS;
	else if (strcmp(s, "counter") == 0)
		*out = CSV_TIME_COUNTER;
	else if (strcmp(s, "row") == 0)
		*out = CSV_TIME_ROW;
	else {
		diag_warn("bad --time-format '%s' (want rfc3339, epoch_s, "
		    "epoch_ms, counter or row)", s);
		return -1;
	}
	return 0;
}

static int
parse_delim(const char *s, char *out)
{
	if (strcmp(s, "space") == 0 || strcmp(s, " ") == 0)
		*out = ' ';
	else if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0 ||
	    strcmp(s, "\t") == 0)
		*out = '\t';
	else if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' &&
	    s[0] != '\r')
		*out = s[0];
	else {
		diag_warn("bad --delim '%s' (want one character, space or tab)",
		    s);
		return -1;
	}
	return 0;
}

static void
print_stats(struct chain *c)
{
	struct spool_stats st;

	spool_stats(c->spool, &st);
	if (st.dropped_oldest || st.dropped_newest || st.damaged)
		diag_warn("spool: %llu appended, %llu delivered, %llu "
		    "committed, %llu dropped oldest, %llu dropped newest, "
		    "%llu damaged, %llu bytes pending", st.appended,
		    st.delivered, st.committed, st.dropped_oldest,
		    st.dropped_newest, st.damaged, st.bytes);
	else
		diag_info("spool: %llu appended, %llu delivered, %llu "
		    "committed, nothing dropped or damaged, %llu bytes pending",
		    st.appended, st.delivered, st.committed, st.bytes);
}

int
main(int argc, char *argv[])
{
	struct chain c;
	struct src_file_opts fo;
	struct csv_opts co;
	struct spool_opts so;
	struct capture_opts cpo;
	struct twin_err e;
	struct sigaction sa;
	struct sim **sims = NULL;
	const char *reject = NULL, *spool_dir = NULL, *capture_dir = NULL;
	unsigned long long v;
	int ch, i, nsrc, want_live = 0, early = EXIT_USAGE;
	int64_t d;

	diag_init(argv[0]);
	memset(&c, 0, sizeof(c));
	c.limit = -1;
	src_file_defaults(&fo);
	fo.stop = &stopping;
	csv_defaults(&co);
	memset(&so, 0, sizeof(so));
	so.overflow = SPOOL_BLOCK;
	memset(&cpo, 0, sizeof(cpo));

	while ((ch = getopt_long(argc, argv, "c:hqR:T:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			if (parse_size("-c", optarg, 0, LLONG_MAX, &v) < 0)
				return EXIT_USAGE;
			c.limit = (long long)v;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'q':
			diag_set_quiet(1);
			break;
		case 'R':
			reject = optarg;
			break;
		case 'T':
			if (!rec_tenant_valid(optarg)) {
				diag_warn("bad tenant '%s'", optarg);
				return EXIT_USAGE;
			}
			tenant = optarg;
			break;
		case OPT_CAPTURE:
			capture_dir = optarg;
			break;
		case OPT_CAPTURE_SIZE:
			if (parse_size("--capture-size", optarg, 4096,
			    ULLONG_MAX, &cpo.max_bytes) < 0)
				return EXIT_USAGE;
			break;
		case OPT_CAPTURE_TIME:
			if (parse_duration("--capture-time", optarg, &d) < 0)
				return EXIT_USAGE;
			cpo.max_ns = d;
			break;
		case OPT_COLUMNS:
			co.columns = optarg;
			co.header = 0;
			break;
		case OPT_DELIM:
			if (parse_delim(optarg, &co.delim) < 0)
				return EXIT_USAGE;
			break;
		case OPT_FSYNC_EVERY:
			if (parse_size("--fsync-every", optarg, 0, UINT_MAX,
			    &v) < 0)
				return EXIT_USAGE;
			so.fsync_every = (unsigned)v;
			break;
		case OPT_HEADER:
			co.header = 1;
			break;
		case OPT_LAYOUT:
			if (strcmp(optarg, "wide") == 0)
				co.layout = CSV_WIDE;
			else if (strcmp(optarg, "long") == 0)
				co.layout = CSV_LONG;
			else {
				diag_warn("bad --layout '%s' (want wide or "
				    "long)", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_LIVE:
			want_live = 1;
			break;
		case OPT_RECV:
			c.recv = 1;
			break;
		case OPT_MAX_ENTRIES:
			if (parse_size("--max-entries", optarg, 1, ULLONG_MAX,
			    &fo.max_entries) < 0)
				return EXIT_USAGE;
			break;
		case OPT_MAX_ENTRY_SIZE:
			if (parse_size("--max-entry-size", optarg, 1,
			    ULLONG_MAX, &fo.max_entry_bytes) < 0)
				return EXIT_USAGE;
			break;
		case OPT_MAX_LINE:
			if (parse_size("--max-line", optarg, 64, 1ULL << 30,
			    &v) < 0)
				return EXIT_USAGE;
			fo.max_line = (size_t)v;
			break;
		case OPT_MAX_RATIO:
			if (parse_real("--max-ratio", optarg, 1, 1e9,
			    &fo.max_ratio) < 0)
				return EXIT_USAGE;
			break;
		case OPT_NO_HEADER:
			co.header = 0;
			break;
		case OPT_OVERFLOW:
			if (parse_overflow(optarg, &so.overflow) < 0)
				return EXIT_USAGE;
			break;
		case OPT_RATE:
			if (parse_real("--rate", optarg, 0, 1e9, &c.rate) < 0)
				return EXIT_USAGE;
			break;
		case OPT_SINCE:
			if (parse_time("--since", optarg, &c.since) < 0)
				return EXIT_USAGE;
			c.has_since = 1;
			break;
		case OPT_SKIP:
			co.skip = optarg;
			break;
		case OPT_SPOOL:
			spool_dir = optarg;
			break;
		case OPT_SPOOL_MAX:
			if (parse_size("--spool-max", optarg, 4096, ULLONG_MAX,
			    &so.max_bytes) < 0)
				return EXIT_USAGE;
			break;
		case OPT_START:
			if (parse_time("--start", optarg, &co.start) < 0)
				return EXIT_USAGE;
			break;
		case OPT_STEP:
			if (parse_duration("--step", optarg, &co.step) < 0)
				return EXIT_USAGE;
			break;
		case OPT_TAG:
			co.tag = optarg;
			break;
		case OPT_TAG_COL:
			co.tag_col = optarg;
			break;
		case OPT_TIME_COL:
			co.time_col = optarg;
			break;
		case OPT_TIME_FORMAT:
			if (parse_time_format(optarg, &co.time_fmt) < 0)
				return EXIT_USAGE;
			break;
		case OPT_UNIT:
			co.unit = optarg;
			break;
		case OPT_UNTIL:
			if (parse_time("--until", optarg, &c.until) < 0)
				return EXIT_USAGE;
			c.has_until = 1;
			break;
		case OPT_VALUE_COL:
			co.value_col = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	/* Check the sources before anything is written. */
	nsrc = argc;
	if (nsrc == 0) {
		static char dash[] = "-";
		static char *dflt[] = { dash, NULL };

		argv = dflt;
		nsrc = 1;
	}
	sims = xcalloc((size_t)nsrc, sizeof(*sims));
	for (i = 0; i < nsrc; i++) {
		const char *a = argv[i];

		if (strncmp(a, "sim:", 4) == 0) {
			if (tenant == NULL) {
				diag_warn("the simulator needs a tenant (-T)");
				goto early_exit;
			}
			if ((sims[i] = sim_open(a + 4, tenant, &e)) == NULL) {
				diag_warn("%s", e.msg);
				goto early_exit;
			}
		} else if (strncmp(a, "csv:", 4) == 0) {
			if (tenant == NULL) {
				diag_warn("a csv source needs a tenant (-T)");
				goto early_exit;
			}
			if (a[4] == '\0') {
				diag_warn("source 'csv:' names no file");
				goto early_exit;
			}
		} else if (strncmp(a, "file:", 5) == 0) {
			if (a[5] == '\0') {
				diag_warn("source 'file:' names no file");
				goto early_exit;
			}
		} else if (strstr(a, "://") != NULL) {
			diag_warn("source '%s' is not supported (sim:, file:, "
			    "csv:, a path or -)", a);
			goto early_exit;
		}
	}
	if (spool_dir != NULL && tenant == NULL) {
		diag_warn("a spool needs a tenant (-T)");
		goto early_exit;
	}
	if (c.has_since && c.has_until && c.until <= c.since) {
		diag_warn("--until is not after --since");
		goto early_exit;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a read or a pacing sleep returns at once. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	if (diag_reject_open(reject, &e) < 0) {
		diag_warn("%s", e.msg);
		early = EXIT_IO;
		goto early_exit;
	}
	c.live = want_live || c.rate > 0;
	c.out = out_open(1, c.live);
	c.overflow = so.overflow;
	if (capture_dir != NULL &&
	    (c.cap = capture_open(capture_dir, &cpo, &e)) == NULL) {
		report(&c, &e);
		goto out;
	}
	if (spool_dir != NULL) {
		if ((c.spool = spool_open(spool_dir, tenant, &so, &e)) ==
		    NULL) {
			report(&c, &e);
			goto out;
		}
		/* What a previous run left undelivered goes first. */
		spool_report_damage(&c);
		if (drain(&c) < 0 || commit(&c) < 0)
			goto out;
	}

	for (i = 0; i < nsrc && !stopping && !c.fatal; i++) {
		const char *a = argv[i];

		if (c.limit >= 0 && c.taken >= c.limit)
			break;
		if (sims[i] != NULL)
			run_sim(&c, sims[i]);
		else if (strncmp(a, "csv:", 4) == 0)
			run_csv(&c, a + 4, &co, &fo);
		else if (strncmp(a, "file:", 5) == 0)
			run_file(&c, a + 5, &fo);
		else
			run_file(&c, a, &fo);
	}

out:
	if (c.spool != NULL && !c.fatal)
		(void)commit(&c);
	else if (!c.fatal && out_flush(c.out, &e) < 0)
		report(&c, &e);
	if (out_close(c.out, &e) < 0 && e.code != TWIN_EPIPE)
		c.status = worse(c.status, EXIT_IO);
	if (c.cap != NULL && capture_close(c.cap, &e) < 0) {
		diag_warn("%s", e.msg);
		c.status = worse(c.status, EXIT_IO);
	}
	if (c.spool != NULL) {
		print_stats(&c);
		if (spool_close(c.spool, &e) < 0) {
			diag_warn("%s", e.msg);
			c.status = worse(c.status, EXIT_IO);
		}
	}
	if (diag_reject_close(&e) < 0) {
		diag_warn("%s", e.msg);
		c.status = worse(c.status, EXIT_IO);
	}
	buf_free(&c.stamped);
	for (i = 0; i < nsrc; i++)
		sim_close(sims[i]);
	free(sims);
	free(tenant_own);
	if (c.status == EXIT_OK && diag_errors() > 0)
		c.status = EXIT_DATA;
	return c.status;

early_exit:
	for (i = 0; i < nsrc; i++)
		sim_close(sims[i]);
	free(sims);
	return early;
}
