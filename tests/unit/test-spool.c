/* test-spool.c - the spool: order, commit, reopen, overflow, damage. */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc32c.h"
#include "err.h"
#include "spool.h"
#include "t.h"

static char top[256];
static char dir[300];

static void
fresh(const char *name)
{
	char cmd[700];

	snprintf(dir, sizeof(dir), "%s/%s", top, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

static int
rec(char *out, size_t sz, int i, size_t pad)
{
	int n;

	n = snprintf(out, sz, "{\"kind\":\"raw\",\"seq\":%d,\"p\":\"%0*d\"}",
	    i, (int)pad, i);
	return n;
}

static int
append_n(struct spool *s, int from, int to, size_t pad)
{
	char b[4096];
	int i, n;

	for (i = from; i < to; i++) {
		n = rec(b, sizeof(b), i, pad);
		if (spool_append(s, b, (size_t)n, NULL) < 0)
			return -1;
	}
	return 0;
}

/* Deliver everything pending; the seq numbers go to got[], count returned. */
static int
drain(struct spool *s, int *got, int max)
{
	const char *r;
	size_t n;
	int k = 0, seq;

	while (k < max && spool_next(s, &r, &n, NULL) == 1) {
		if (sscanf(r, "{\"kind\":\"raw\",\"seq\":%d", &seq) != 1)
			seq = -1;
		got[k++] = seq;
	}
	return k;
}

static int
is_range(const int *got, int n, int from, int to)
{
	int i;

	if (n != to - from)
		return 0;
	for (i = 0; i < n; i++)
		if (got[i] != from + i)
			return 0;
	return 1;
}

static int
count_segments(void)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strstr(d->d_name, ".seg") != NULL)
			n++;
	closedir(dp);
	return n;
}

/* The path of the last segment. */
static void
last_segment(char *out, size_t sz)
{
	struct dirent *d;
	DIR *dp;
	char best[300] = "";

	out[0] = '\0';
	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL)
		if (strstr(d->d_name, ".seg") != NULL &&
		    strcmp(d->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", d->d_name);
	closedir(dp);
	snprintf(out, sz, "%s/%s", dir, best);
}

static long
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) < 0 ? -1 : (long)sb.st_size;
}

static int
mode_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) < 0 ? -1 : (int)(sb.st_mode & 07777);
}

/* Flip one byte at off in path. */
static void
flip(const char *path, long off)
{
	unsigned char c;
	int fd;

	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &c, 1, off) != 1)
		abort();
	c ^= 0x20;
	if (pwrite(fd, &c, 1, off) != 1)
		abort();
	close(fd);
}

static void
test_basic(void)
{
	struct spool_opts o = { 0, SPOOL_BLOCK, 0 };
	struct spool_stats st;
	struct twin_err err;
	struct spool *s;
	const char *r;
	char path[400], want[64];
	size_t n;
	int got[200], k;

	fresh("basic");
	s = spool_open(dir, "acme", &o, &err);
	T_OK(s != NULL, "open creates a spool");
	if (s == NULL)
		return;
	T_OK(mode_of(dir) == 0700, "spool directory is 0700");
	snprintf(path, sizeof(path), "%s/SPOOL", dir);
	T_OK(mode_of(path) == 0600, "SPOOL file is 0600");
	snprintf(path, sizeof(path), "%s/commit", dir);
	T_OK(mode_of(path) == 0600, "commit log is 0600");
	T_OK(spool_next(s, &r, &n, NULL) == 0, "a new spool has nothing");
	T_OK(append_n(s, 0, 100, 10) == 0, "100 appends");
	last_segment(path, sizeof(path));
	T_OK(mode_of(path) == 0600, "segment is 0600");
	T_OK(spool_pending(s) == 100, "100 pending");
	T_OK(spool_next(s, &r, &n, NULL) == 1 &&
	    n == (size_t)rec(want, sizeof(want), 0, 10) &&
	    memcmp(r, want, n) == 0, "first record comes back byte for byte");
	k = drain(s, got, 200);
	T_OK(is_range(got, k, 1, 100), "the rest come back in order");
	T_OK(spool_commit(s, NULL) == 0, "commit");
	spool_stats(s, &st);
	T_OK(st.appended == 100 && st.delivered == 100 &&
	    st.committed == 100 && st.bytes == 0 && st.damaged == 0,
	    "stats after commit");
	T_OK(spool_close(s, NULL) == 0, "close");

	s = spool_open(dir, "acme", &o, &err);
	T_OK(s != NULL && spool_pending(s) == 0 &&
	    spool_next(s, &r, &n, NULL) == 0, "reopen: nothing redelivered");
	append_n(s, 100, 110, 10);
	T_OK(spool_next(s, &r, &n, NULL) == 1 && n > 0, "deliver one");
	T_OK(spool_next(s, &r, &n, NULL) == 1, "deliver two");
	spool_commit(s, NULL);
	T_OK(spool_next(s, &r, &n, NULL) == 1, "deliver a third, no commit");
	spool_close(s, NULL);

	s = spool_open(dir, "acme", &o, &err);
	T_OK(s != NULL && spool_pending(s) == 8,
	    "reopen: the uncommitted 8 are pending");
	k = drain(s, got, 200);
	T_OK(is_range(got, k, 102, 110),
	    "resume at the last committed position");
	spool_close(s, NULL);
}

/* A reader that lags behind the appends by more than the tail cache. */
static void
test_lagging_reader(void)
{
	struct spool *s;
	const char *r;
	size_t n;
	int i, seq, next = 0, ok = 1;

	fresh("lag");
	s = spool_open(dir, "acme", NULL, NULL);
	if (s == NULL) {
		T_OK(0, "lag: open");
		return;
	}
	for (i = 0; i < 60000; i += 3) {
		append_n(s, i, i + 3, 200);
		while (spool_next(s, &r, &n, NULL) == 1) {
			if (sscanf(r, "{\"kind\":\"raw\",\"seq\":%d", &seq) != 1 ||
			    seq != next++)
				ok = 0;
			if (next % 2 == 0)
				break;
		}
	}
	while (spool_next(s, &r, &n, NULL) == 1)
		if (sscanf(r, "{\"kind\":\"raw\",\"seq\":%d", &seq) != 1 ||
		    seq != next++)
			ok = 0;
	T_OK(ok && next == 60000, "a reader lagging by megabytes reads all "
	    "in order (%d)", next);
	spool_close(s, NULL);
}

static void
test_tenant_lock(void)
{
	struct twin_err err;
	struct spool *s, *s2;
	char want[600];

	fresh("tenant");
	s = spool_open(dir, "acme", NULL, &err);
	s2 = spool_open(dir, "acme", NULL, &err);
	snprintf(want, sizeof(want), "spool '%s': in use by another process",
	    dir);
	T_OK(s != NULL && s2 == NULL && err.code == TWIN_ETEMP,
	    "a second open of a spool in use is refused");
	T_STREQ(err.msg, want, "in-use message");
	spool_close(s, NULL);
	s2 = spool_open(dir, "globex", NULL, &err);
	snprintf(want, sizeof(want), "spool '%s' belongs to tenant 'acme', "
	    "not 'globex'", dir);
	T_OK(s2 == NULL && err.code == TWIN_ECONFIG,
	    "another tenant's spool is refused");
	T_STREQ(err.msg, want, "tenant mismatch message");
	s2 = spool_open(dir, "acme", NULL, &err);
	T_OK(s2 != NULL, "the owner opens it again after close");
	spool_close(s2, NULL);
}

static void
test_reclaim(void)
{
	struct spool_opts o = { 512 << 10, SPOOL_BLOCK, 0 };
	struct spool *s;
	int got[2000], k;

	fresh("reclaim");
	s = spool_open(dir, "acme", &o, NULL);
	if (s == NULL) {
		T_OK(0, "reclaim: open");
		return;
	}
	append_n(s, 0, 1500, 200);
	T_OK(count_segments() >= 4, "1500 records of 240 bytes fill "
	    "several 64 KiB segments (%d)", count_segments());
	k = drain(s, got, 2000);
	T_OK(is_range(got, k, 0, 1500), "all delivered across segments");
	spool_commit(s, NULL);
	T_OK(count_segments() == 1, "commit deletes consumed segments");
	spool_close(s, NULL);
}

static void
test_overflow(void)
{
	/* Records 100..114 are 41 bytes: ten 61-byte frames fit, not 11. */
	struct spool_opts o = { 10 * 61, SPOOL_DROP_NEWEST, 0 };
	struct spool_stats st;
	struct twin_err err;
	struct spool *s;
	char b[100];
	int got[100], k, n;

	n = rec(b, sizeof(b), 100, 10);
	T_OK(n == 41, "test records are 41 bytes");

	fresh("dropnew");
	s = spool_open(dir, "acme", &o, NULL);
	T_OK(s != NULL && append_n(s, 100, 115, 10) == 0,
	    "drop-newest: appends succeed");
	spool_stats(s, &st);
	T_OK(st.appended == 10 && st.dropped_newest == 5 &&
	    st.dropped_oldest == 0 && st.bytes == 610,
	    "drop-newest: 10 kept, 5 dropped, 610 bytes");
	k = drain(s, got, 100);
	T_OK(is_range(got, k, 100, 110),
	    "drop-newest: the first 10 delivered");
	spool_close(s, NULL);

	fresh("dropold");
	o.overflow = SPOOL_DROP_OLDEST;
	s = spool_open(dir, "acme", &o, NULL);
	T_OK(s != NULL && append_n(s, 100, 115, 10) == 0,
	    "drop-oldest: appends succeed");
	spool_stats(s, &st);
	T_OK(st.appended == 15 && st.dropped_oldest == 5 &&
	    st.dropped_newest == 0 && st.bytes == 610,
	    "drop-oldest: 15 appended, 5 dropped");
	k = drain(s, got, 100);
	T_OK(is_range(got, k, 105, 115), "drop-oldest: the last 10 delivered");
	spool_commit(s, NULL);
	spool_close(s, NULL);
	s = spool_open(dir, "acme", &o, NULL);
	T_OK(s != NULL && spool_pending(s) == 0,
	    "drop-oldest: dropped records do not come back");
	spool_close(s, NULL);

	fresh("dropold2");
	s = spool_open(dir, "acme", &o, NULL);
	append_n(s, 100, 110, 10);
	spool_close(s, NULL);
	s = spool_open(dir, "acme", &o, NULL);
	append_n(s, 110, 113, 10);
	spool_stats(s, &st);
	k = drain(s, got, 100);
	T_OK(st.dropped_oldest == 3 && is_range(got, k, 103, 113),
	    "drop-oldest: records from the last run are dropped first");
	spool_close(s, NULL);

	fresh("fail");
	o.overflow = SPOOL_FAIL;
	s = spool_open(dir, "acme", &o, NULL);
	T_OK(s != NULL && append_n(s, 100, 110, 10) == 0, "fail: 10 fit");
	T_OK(spool_append(s, b, (size_t)n, &err) == -1 &&
	    err.code == TWIN_ETEMP && strstr(err.msg, "full (610 bytes "
	    "pending, limit 610)") != NULL, "fail: the 11th is refused");
	spool_stats(s, &st);
	T_OK(st.appended == 10 && st.dropped_newest == 0 &&
	    st.dropped_oldest == 0, "fail: nothing dropped");
	spool_close(s, NULL);

	fresh("block");
	o.overflow = SPOOL_BLOCK;
	s = spool_open(dir, "acme", &o, NULL);
	append_n(s, 100, 110, 10);
	T_OK(spool_append(s, b, (size_t)n, &err) == -1 &&
	    err.code == TWIN_ETEMP, "block: full is a temporary failure");
	k = drain(s, got, 3);
	T_OK(spool_append(s, b, (size_t)n, &err) == -1,
	    "block: in-flight records still take room");
	spool_commit(s, NULL);
	T_OK(spool_append(s, b, (size_t)n, &err) == 0,
	    "block: room after commit");
	spool_close(s, NULL);
}

static void
test_damage(void)
{
	struct spool_stats st;
	struct twin_err err;
	struct spool *s;
	const char *m;
	char path[400], want[600];
	int got[100], k, fd;
	long sz;

	/* Torn tail: the last frame cut short. */
	fresh("torn");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 5, 10);
	spool_close(s, NULL);
	last_segment(path, sizeof(path));
	sz = file_size(path);
	T_OK(truncate(path, sz - 7) == 0, "cut 7 bytes off the tail");
	s = spool_open(dir, "acme", NULL, &err);
	T_OK(s != NULL, "a torn spool opens");
	if (s == NULL)
		return;
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && spool_pending(s) == 4,
	    "torn tail: 1 damaged, 4 pending");
	m = spool_damage(s);
	snprintf(want, sizeof(want), "spool '%s': segment 0000000000000001.seg "
	    "offset %ld: torn record at the end, 52 bytes skipped", dir,
	    8 + 4 * 59L);
	T_STREQ(m, want, "torn tail message");
	T_OK(spool_damage(s) == NULL, "one message only");
	append_n(s, 5, 8, 10);
	k = drain(s, got, 100);
	T_OK(k == 7 && got[3] == 3 && got[4] == 5 && got[6] == 7,
	    "records before and after the torn one are delivered");
	spool_stats(s, &st);
	T_OK(st.damaged == 1, "skipping the torn record counts it once");
	spool_commit(s, NULL);
	spool_close(s, NULL);

	/* A flipped byte in the payload of record 2, and in a length. */
	fresh("flip");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 5, 10);
	spool_close(s, NULL);
	last_segment(path, sizeof(path));
	flip(path, 8 + 2 * 59 + 20 + 5);
	s = spool_open(dir, "acme", NULL, &err);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && spool_pending(s) == 4,
	    "flipped payload byte: 1 damaged, 4 pending");
	snprintf(want, sizeof(want), "spool '%s': segment 0000000000000001.seg "
	    "offset %ld: bad frame, 59 bytes skipped", dir, 8 + 2 * 59L);
	T_STREQ(spool_damage(s), want, "flipped byte message");
	k = drain(s, got, 100);
	T_OK(k == 4 && got[0] == 0 && got[1] == 1 && got[2] == 3 &&
	    got[3] == 4, "records before and after the flip are delivered");
	spool_close(s, NULL);

	fresh("fliplen");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 5, 10);
	spool_close(s, NULL);
	last_segment(path, sizeof(path));
	flip(path, 8 + 1 * 59 + 6);	/* length becomes huge */
	s = spool_open(dir, "acme", NULL, &err);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && k == 4 && got[0] == 0 && got[1] == 2 &&
	    got[3] == 4, "flipped length byte: resync at the next frame");
	spool_close(s, NULL);

	/* An unflushed last record: a header and part of a payload. */
	fresh("unflushed");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 3, 10);
	spool_close(s, NULL);
	last_segment(path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND);
	T_OK(fd >= 0 && write(fd, "LSPT\x27\0\0\0\3\0\0\0\0\0\0\0\1\2\3\4{\"ki",
	    24) == 24, "append half a frame");
	close(fd);
	s = spool_open(dir, "acme", NULL, &err);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && is_range(got, k, 0, 3),
	    "unflushed record: 3 kept, 1 damaged");
	spool_close(s, NULL);

	/* A segment whose header is garbage still yields its frames. */
	fresh("badhdr");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 3, 10);
	spool_close(s, NULL);
	last_segment(path, sizeof(path));
	flip(path, 2);
	s = spool_open(dir, "acme", NULL, &err);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && is_range(got, k, 0, 3),
	    "bad segment header: counted, frames kept");
	spool_close(s, NULL);
}

static void
test_commit_damage(void)
{
	struct spool_stats st;
	struct spool *s;
	char path[400];
	int got[100], k, i, ok = 1;

	fresh("commit");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 10, 10);
	drain(s, got, 5);
	spool_commit(s, NULL);
	drain(s, got, 3);
	spool_commit(s, NULL);
	spool_close(s, NULL);
	snprintf(path, sizeof(path), "%s/commit", dir);
	T_OK(file_size(path) == 256 * 40,
	    "the commit log is allocated up front: 256 slots of 40 bytes");
	T_OK(truncate(path, 2 * 40 + 10) == 0,
	    "truncate the commit log inside the newest entry");
	s = spool_open(dir, "acme", NULL, NULL);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && is_range(got, k, 5, 10),
	    "truncated commit log: the previous entry, 3 redelivered");
	T_OK(spool_damage(s) != NULL, "commit damage described");
	spool_close(s, NULL);
	T_OK(file_size(path) == 256 * 40, "a truncated log gets its room back");
	s = spool_open(dir, "acme", NULL, NULL);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 0 && is_range(got, k, 5, 10),
	    "the damaged entry is reported once, then cleared");
	spool_close(s, NULL);

	s = spool_open(dir, "acme", NULL, NULL);
	drain(s, got, 100);
	spool_commit(s, NULL);
	spool_close(s, NULL);
	T_OK(count_segments() == 0, "a consumed segment is deleted at commit");

	fresh("commitflip");
	snprintf(path, sizeof(path), "%s/commit", dir);
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 10, 10);
	drain(s, got, 5);
	spool_commit(s, NULL);
	drain(s, got, 3);
	spool_commit(s, NULL);
	spool_close(s, NULL);
	flip(path, 2 * 40 + 30);
	s = spool_open(dir, "acme", NULL, NULL);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 1 && is_range(got, k, 5, 10),
	    "flipped newest entry: the one before it is used");
	spool_close(s, NULL);

	T_OK(truncate(path, 0) == 0, "empty the commit log");
	s = spool_open(dir, "acme", NULL, NULL);
	k = drain(s, got, 100);
	spool_stats(s, &st);
	T_OK(st.damaged == 0 && is_range(got, k, 0, 10),
	    "empty commit log: all redelivered");
	spool_close(s, NULL);

	/* More commits than slots: the ring wraps, the newest wins. */
	fresh("wrap");
	s = spool_open(dir, "acme", NULL, NULL);
	for (i = 0; i < 600; i++) {
		append_n(s, i, i + 1, 10);
		drain(s, got, 1);
		if (spool_commit(s, NULL) < 0)
			ok = 0;
	}
	append_n(s, 600, 603, 10);
	drain(s, got, 1);
	spool_close(s, NULL);
	snprintf(path, sizeof(path), "%s/commit", dir);
	s = spool_open(dir, "acme", NULL, NULL);
	k = drain(s, got, 100);
	T_OK(ok && file_size(path) == 256 * 40 && is_range(got, k, 600, 603),
	    "600 commits wrap the ring; the newest position wins");
	spool_close(s, NULL);
}

static void
test_write_error(void)
{
	struct spool_stats st;
	struct rlimit old, lim;
	struct twin_err err;
	struct spool *s;
	char path[400], b[2048];
	int got[20000], k, n, r;
	long before;

	fresh("efbig");
	s = spool_open(dir, "acme", NULL, NULL);
	append_n(s, 0, 4000, 200);
	last_segment(path, sizeof(path));
	before = file_size(path);
	n = rec(b, sizeof(b), 4000, 1000);
	fflush(stdout);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = (rlim_t)before + 500;
	setrlimit(RLIMIT_FSIZE, &lim);
	r = spool_append(s, b, (size_t)n, &err);
	setrlimit(RLIMIT_FSIZE, &old);
	T_OK(r == -1 && err.code == TWIN_EIO &&
	    strstr(err.msg, "File too large") != NULL,
	    "a failed write is an I/O error (%s)", err.msg);
	T_OK(file_size(path) == before, "the partial frame is removed");
	spool_stats(s, &st);
	T_OK(st.appended == 4000, "the failed record is not counted");
	T_OK(spool_append(s, b, (size_t)n, &err) == 0,
	    "appends work again when the disk has room");
	k = drain(s, got, 20000);
	T_OK(k == 4001 && got[3999] == 3999 && got[4000] == 4000,
	    "nothing lost around the failed write");
	spool_close(s, NULL);
}

int
main(void)
{
	const char *t;

	t = getenv("TMPDIR");
	snprintf(top, sizeof(top), "%s/twin-spool.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	T_OK(crc32c(0, "123456789", 9) == 0xe3069283u,
	    "crc32c check value (RFC 3720)");
	T_OK(crc32c(crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u,
	    "crc32c continues");
	test_basic();
	test_lagging_reader();
	test_tenant_lock();
	test_reclaim();
	test_overflow();
	test_damage();
	test_commit_damage();
	test_write_error();
	if (!t_failed) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			return 1;
	}
	return T_DONE();
}
