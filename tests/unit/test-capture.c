/* test-capture.c - capture segments: rotation, recovery, read back. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "capture.h"
#include "err.h"
#include "t.h"

static char top[256];
static char dir[300];
static long long fake_ns;

static long long
fake_clock(void *arg)
{
	(void)arg;
	return fake_ns;
}

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
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with suffix; returns the count. */
static int
list(const char *suffix, char names[][128], int max)
{
	char *ptr[64];
	char tmp[64][128];
	struct dirent *d;
	DIR *dp;
	size_t m = strlen(suffix), l;
	int n = 0, i;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL && n < max && n < 64) {
		l = strlen(d->d_name);
		if (l >= m && l < 128 && strcmp(d->d_name + l - m, suffix) == 0)
			snprintf(tmp[n++], 128, "%s", d->d_name);
	}
	closedir(dp);
	for (i = 0; i < n; i++)
		ptr[i] = tmp[i];
	qsort(ptr, (size_t)n, sizeof(*ptr), namecmp);
	for (i = 0; i < n; i++)
		snprintf(names[i], 128, "%s", ptr[i]);
	return n;
}

/* Read a segment back the way twin-ingest's file source does. */
static int
read_back(const char *name, struct buf *out)
{
	struct archive *a;
	struct archive_entry *e;
	char path[500], chunk[8192];
	la_ssize_t r;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, 10240) != ARCHIVE_OK)
		goto out;
	if (archive_read_next_header(a, &e) != ARCHIVE_OK)
		goto out;
	while ((r = archive_read_data(a, chunk, sizeof(chunk))) > 0)
		buf_add(out, chunk, (size_t)r);
	if (r == 0 && archive_filter_code(a, 0) == ARCHIVE_FILTER_GZIP)
		rc = 0;
out:
	archive_read_free(a);
	return rc;
}

static int
mode_of(const char *name)
{
	struct buf path = BUF_INIT;
	struct stat sb;
	int r;

	buf_addf(&path, "%s/%s", dir, name);
	r = stat(path.s, &sb) < 0 ? -1 : (int)(sb.st_mode & 07777);
	buf_free(&path);
	return r;
}

static int
rec(char *out, size_t sz, int i)
{
	return snprintf(out, sz, "{\"kind\":\"raw\",\"src\":\"sim:t\",\"seq\":%d,"
	    "\"tag\":\"P-%03d\",\"v\":%d.5}", i, i % 7, i);
}

static void
test_rotation_size(void)
{
	struct capture_opts o = { 10000, 0 };
	struct buf want = BUF_INIT, got = BUF_INIT, one = BUF_INIT;
	struct twin_err err;
	struct capture *c;
	char names[64][128], b[200];
	int i, n, k, ok = 1, maxseg = 0;

	fresh("size");
	c = capture_open(dir, &o, &err);
	T_OK(c != NULL, "open creates the capture directory");
	if (c == NULL)
		return;
	T_OK(mode_of("") == 0700, "capture directory is 0700");
	for (i = 0; i < 1000; i++) {
		n = rec(b, sizeof(b), i);
		buf_add(&want, b, (size_t)n);
		buf_addc(&want, '\n');
		if (capture_write(c, b, (size_t)n, &err) < 0)
			ok = 0;
	}
	T_OK(ok, "1000 records written");
	T_OK(capture_write(c, "{\"a\":\n1}", 8, &err) == -1 &&
	    err.code == TWIN_EDATA, "a record with a newline is refused");
	T_OK(capture_close(c, &err) == 0, "close");
	k = list(".ndjson.gz", names, 64);
	T_OK(k >= 6 && k <= 8, "about 63 KB in 10 KB segments: %d", k);
	T_OK(list(".open", names + 60, 4) == 0 && list(".tmp", names + 60,
	    4) == 0, "no .open or .tmp left after close");
	T_OK(strncmp(names[0], "00000001-", 9) == 0 &&
	    strncmp(names[1], "00000002-", 9) == 0, "segments numbered");
	for (i = 0; i < k; i++) {
		buf_reset(&one);
		if (read_back(names[i], &one) < 0 || mode_of(names[i]) != 0600)
			ok = 0;
		if (one.len > (size_t)maxseg)
			maxseg = (int)one.len;
		if (one.len == 0 || one.s[one.len - 1] != '\n')
			ok = 0;
		buf_add(&got, one.s, one.len);
	}
	T_OK(ok, "libarchive reads every segment as gzip; files are 0600");
	T_OK(maxseg <= 10000, "no segment passes max_bytes (%d)", maxseg);
	T_OK(got.len == want.len && memcmp(got.s, want.s, got.len) == 0,
	    "read back in name order: byte-identical");
	buf_free(&want);
	buf_free(&got);
	buf_free(&one);
}

static void
test_rotation_time(void)
{
	struct capture_opts o = { 0, 1000000000LL };
	struct buf got = BUF_INIT;
	struct capture *c;
	char names[64][128];
	int k;

	fresh("time");
	c = capture_open(dir, &o, NULL);
	if (c == NULL) {
		T_OK(0, "time: open");
		return;
	}
	/* 2026-11-21T10:00:00Z */
	fake_ns = 1795255200LL * 1000000000LL;
	capture_set_clock(c, fake_clock, NULL);
	capture_write(c, "{\"n\":1}", 7, NULL);
	fake_ns += 500000000LL;
	capture_write(c, "{\"n\":2}", 7, NULL);
	T_OK(capture_poll(c, NULL) == 0 && capture_segments(c) == 0,
	    "half a second: still one segment");
	fake_ns += 600000000LL;
	capture_write(c, "{\"n\":3}", 7, NULL);
	T_OK(capture_segments(c) == 1, "past max_ns a write rotates");
	fake_ns += 1000000000LL;
	T_OK(capture_poll(c, NULL) == 0 && capture_segments(c) == 2,
	    "poll rotates an idle segment");
	T_OK(capture_poll(c, NULL) == 0 && capture_segments(c) == 2,
	    "poll without an open segment does nothing");
	capture_close(c, NULL);
	k = list(".ndjson.gz", names, 64);
	T_OK(k == 2, "two segments");
	T_STREQ(names[0], "00000001-20261121T100000Z.ndjson.gz",
	    "segment named by number and opening time");
	T_STREQ(names[1], "00000002-20261121T100001Z.ndjson.gz",
	    "second segment");
	if (k == 2) {
		read_back(names[0], &got);
		read_back(names[1], &got);
	}
	buf_addc(&got, '\0');
	T_STREQ(got.s, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n",
	    "time-rotated segments read back");
	buf_free(&got);
}

static long
open_size(void)
{
	char names[4][128], path[500];
	struct stat sb;

	if (list(".open", names, 4) != 1)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
	return stat(path, &sb) < 0 ? -1 : (long)sb.st_size;
}

/* A slow source: buffered records reach the file within a second. */
static void
test_age_flush(void)
{
	struct capture *c;

	fresh("age");
	c = capture_open(dir, NULL, NULL);
	if (c == NULL) {
		T_OK(0, "age: open");
		return;
	}
	fake_ns = 1795255200LL * 1000000000LL;
	capture_set_clock(c, fake_clock, NULL);
	capture_write(c, "{\"n\":1}", 7, NULL);
	fake_ns += 500000000LL;
	capture_write(c, "{\"n\":2}", 7, NULL);
	T_OK(open_size() == 0, "records younger than a second stay buffered");
	fake_ns += 500000000LL;
	capture_write(c, "{\"n\":3}", 7, NULL);
	T_OK(open_size() == 24, "a write finding a second-old record flushes");
	fake_ns += 200000000LL;
	capture_write(c, "{\"n\":4}", 7, NULL);
	T_OK(open_size() == 24 && capture_poll(c, NULL) == 0 &&
	    open_size() == 24, "poll leaves a young record buffered");
	fake_ns += 1000000000LL;
	T_OK(capture_poll(c, NULL) == 0 && open_size() == 32,
	    "poll writes a second-old record");
	T_OK(capture_segments(c) == 0, "without max_ns no rotation");
	capture_close(c, NULL);
}

static void
test_recovery(void)
{
	struct buf want = BUF_INIT, got = BUF_INIT;
	struct capture *c;
	char names[64][128], b[200], path[500];
	int i, n, k, status, fd;
	pid_t pid;

	fresh("crash");
	for (i = 0; i < 5; i++) {
		n = rec(b, sizeof(b), i);
		buf_add(&want, b, (size_t)n);
		buf_addc(&want, '\n');
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The child is "killed" after a flush and half a record. */
		c = capture_open(dir, NULL, NULL);
		if (c == NULL)
			_exit(1);
		capture_write(c, "{\"n\":0}", 7, NULL);
		capture_rotate(c, NULL);
		for (i = 0; i < 5; i++) {
			n = rec(b, sizeof(b), i);
			capture_write(c, b, (size_t)n, NULL);
		}
		capture_flush(c, NULL);
		k = list(".open", names, 4);
		if (k != 1)
			_exit(2);
		snprintf(path, sizeof(path), "%s/%s", dir, names[0]);
		fd = open(path, O_WRONLY | O_APPEND);
		if (fd < 0 || write(fd, "{\"kind\":\"ra", 11) != 11)
			_exit(3);
		_exit(0);
	}
	T_OK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a child writes, flushes, tears a line and dies");
	T_OK(list(".open", names, 4) == 1, "it leaves an .open segment");
	c = capture_open(dir, NULL, NULL);
	T_OK(c != NULL && capture_recovered(c) == 1,
	    "open recovers the .open segment");
	T_OK(list(".open", names, 4) == 0, "no .open left");
	k = list(".ndjson.gz", names, 64);
	T_OK(k == 2, "two closed segments");
	if (k == 2)
		read_back(names[1], &got);
	T_OK(got.len == want.len && memcmp(got.s, want.s, got.len) == 0,
	    "recovered segment: the whole records, torn line cut");
	capture_write(c, "{\"n\":9}", 7, NULL);
	capture_close(c, NULL);
	k = list(".ndjson.gz", names, 64);
	T_OK(k == 3 && strncmp(names[2], "00000003-", 9) == 0,
	    "numbering continues after recovery");

	/* A crash between rename and unlink; a crash during compression. */
	snprintf(path, sizeof(path), "%s/%.*s.open", dir,
	    (int)strlen(names[2]) - 3, names[2]);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/00000004-20261121T100000Z.ndjson."
	    "gz.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0)
		close(fd);
	c = capture_open(dir, NULL, NULL);
	T_OK(c != NULL && capture_recovered(c) == 0 &&
	    list(".open", names, 4) == 0 && list(".tmp", names, 4) == 0 &&
	    list(".ndjson.gz", names, 64) == 3,
	    "stale .open beside its .gz and a .gz.tmp are removed");
	capture_write(c, "{\"n\":10}", 8, NULL);
	capture_close(c, NULL);
	k = list(".ndjson.gz", names, 64);
	T_OK(k == 4 && strncmp(names[3], "00000005-", 9) == 0,
	    "a number seen on a .tmp is not reused");

	/* An .open segment holding only a torn line goes away. */
	snprintf(path, sizeof(path), "%s/00000009-20261121T100000Z.ndjson."
	    "open", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd >= 0 && write(fd, "{\"ki", 4) != 4)
		T_OK(0, "write torn line");
	if (fd >= 0)
		close(fd);
	c = capture_open(dir, NULL, NULL);
	T_OK(c != NULL && capture_recovered(c) == 0 &&
	    list(".open", names, 4) == 0 && list(".ndjson.gz", names, 64) == 4,
	    "an .open segment without a whole record is removed");
	capture_close(c, NULL);
	buf_free(&want);
	buf_free(&got);
}

int
main(void)
{
	const char *t;

	t = getenv("TMPDIR");
	snprintf(top, sizeof(top), "%s/twin-capture.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(top) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_rotation_size();
	test_rotation_time();
	test_age_flush();
	test_recovery();
	if (!t_failed) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
		if (system(cmd) != 0)
			return 1;
	}
	return T_DONE();
}
