/* capture.c - rotating gzip segments of NDJSON; see capture.h. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "capture.h"
#include "fsio.h"
#include "err.h"
#include "banned.h"

#define WBUF_MAX	(64u << 10)
#define WBUF_AGE	1000000000LL	/* ns a buffered record may wait */
#define CHUNK		(64u << 10)

struct capture {
	char *dir;
	struct capture_opts o;
	long long (*now)(void *);
	void *now_arg;

	int fd;				/* the .open segment, or -1 */
	struct buf name;		/* its path without ".open" */
	unsigned long long next;	/* number of the next segment */
	unsigned long long size;	/* bytes of the open segment */
	unsigned long long written;	/* of which on disk */
	long long opened;		/* clock at open */
	struct buf wbuf;
	long long wbuf_since;		/* clock at its first record */

	unsigned long long nclosed, nrecovered;
};

static long long
clock_real(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
ioerr(struct capture *c, struct twin_err *err, const char *what,
    const char *name)
{
	if (errno == ENOSPC || errno == EDQUOT)
		return err_set(err, TWIN_EIO, "capture '%s': disk full",
		    c->dir);
	return err_set(err, TWIN_EIO, "capture '%s': %s '%s': %s", c->dir,
	    what, name, strerror(errno));
}


static int
dirsync(struct capture *c, struct twin_err *err)
{
	if (fsio_sync_dir(c->dir) < 0)
		return ioerr(c, err, "sync directory", c->dir);
	return 0;
}

/*
 * Compress the first len bytes of the plain segment src (path base +
 * ".open") into base + ".gz": written to ".gz.tmp", flushed, renamed.
 * libarchive's raw format writes a bare gzip stream that zcat reads too.
 */
static int
compress_segment(struct capture *c, const char *base, unsigned long long len,
    struct twin_err *err)
{
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	struct buf src = BUF_INIT, tmp = BUF_INIT, dst = BUF_INIT;
	const char *slash;
	char *chunk = NULL;
	ssize_t r;
	size_t want;
	int in = -1, out = -1, rc = -1;

	buf_addf(&src, "%s.open", base);
	buf_addf(&dst, "%s.gz", base);
	buf_addf(&tmp, "%s.gz.tmp", base);
	in = open(src.s, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		ioerr(c, err, "open", src.s);
		goto out;
	}
	out = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		ioerr(c, err, "create", tmp.s);
		goto out;
	}
	a = archive_write_new();
	e = archive_entry_new();
	slash = strrchr(base, '/');
	archive_entry_set_pathname(e, slash ? slash + 1 : base);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out) != ARCHIVE_OK ||
	    archive_write_header(a, e) != ARCHIVE_OK) {
		err_set(err, TWIN_EIO, "capture '%s': compress '%s': %s",
		    c->dir, src.s, archive_error_string(a));
		goto out;
	}
	chunk = xmalloc(CHUNK);
	while (len > 0) {
		want = len < CHUNK ? (size_t)len : CHUNK;
		r = read(in, chunk, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			ioerr(c, err, "read", src.s);
			goto out;
		}
		if (archive_write_data(a, chunk, (size_t)r) != r) {
			err_set(err, TWIN_EIO, "capture '%s': compress '%s': "
			    "%s", c->dir, src.s, archive_error_string(a));
			goto out;
		}
		len -= (unsigned long long)r;
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		err_set(err, TWIN_EIO, "capture '%s': compress '%s': %s",
		    c->dir, src.s, archive_error_string(a));
		goto out;
	}
	if (fsync(out) < 0) {
		ioerr(c, err, "sync", tmp.s);
		goto out;
	}
	if (close(out) < 0) {
		out = -1;
		ioerr(c, err, "close", tmp.s);
		goto out;
	}
	out = -1;
	if (rename(tmp.s, dst.s) < 0) {
		ioerr(c, err, "rename", tmp.s);
		goto out;
	}
	/* The .gz must be durable before its source goes. */
	if (dirsync(c, err) < 0)
		goto out;
	if (unlink(src.s) < 0) {
		ioerr(c, err, "remove", src.s);
		goto out;
	}
	rc = 0;
out:
	free(chunk);
	if (a != NULL)
		archive_write_free(a);
	if (e != NULL)
		archive_entry_free(e);
	if (out >= 0) {
		close(out);
		unlink(tmp.s);
	}
	if (in >= 0)
		close(in);
	buf_free(&src);
	buf_free(&tmp);
	buf_free(&dst);
	return rc;
}

/*
 * A segment left open by a crash: keep it up to its last newline (a torn
 * last line is cut off) and close it like any other.  An .open segment
 * with a complete .gz beside it was already closed: the crash came just
 * before its removal.
 */
static int
recover(struct capture *c, const char *file, struct twin_err *err)
{
	struct buf base = BUF_INIT, path = BUF_INIT;
	struct stat sb;
	char tail[4096];
	off_t end, at;
	ssize_t r, i;
	int fd = -1, rc = -1;

	buf_addf(&base, "%s/%.*s", c->dir, (int)(strlen(file) - 5), file);
	buf_addf(&path, "%s.gz", base.s);
	if (stat(path.s, &sb) == 0) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", c->dir, file);
		if (unlink(path.s) < 0)
			ioerr(c, err, "remove", path.s);
		else
			rc = 0;
		goto out;
	}
	buf_reset(&path);
	buf_addf(&path, "%s/%s", c->dir, file);
	fd = open(path.s, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		ioerr(c, err, "open", path.s);
		goto out;
	}
	/* Find the last newline, reading backwards. */
	end = sb.st_size;
	at = end;
	for (;;) {
		off_t from = at > (off_t)sizeof(tail) ? at -
		    (off_t)sizeof(tail) : 0;

		if (at == 0) {
			end = 0;
			break;
		}
		r = pread(fd, tail, (size_t)(at - from), from);
		if (r < 0) {
			ioerr(c, err, "read", path.s);
			goto out;
		}
		for (i = r - 1; i >= 0 && tail[i] != '\n'; i--)
			;
		if (i >= 0) {
			end = from + i + 1;
			break;
		}
		at = from;
	}
	if (end < sb.st_size && (ftruncate(fd, end) < 0 || fsync(fd) < 0)) {
		ioerr(c, err, "truncate", path.s);
		goto out;
	}
	close(fd);
	fd = -1;
	if (end == 0) {
		if (unlink(path.s) < 0)
			ioerr(c, err, "remove", path.s);
		else
			rc = 0;
		goto out;
	}
	if (compress_segment(c, base.s, (unsigned long long)end, err) < 0)
		goto out;
	c->nrecovered++;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(&base);
	buf_free(&path);
	return rc;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Find the next segment number; recover .open segments; drop .tmp. */
static int
scan_dir(struct capture *c, struct twin_err *err)
{
	struct dirent *d;
	struct buf path = BUF_INIT;
	char **open_names = NULL, *end;
	size_t nopen = 0, i;
	unsigned long long no;
	DIR *dp;
	int rc = 0;

	dp = opendir(c->dir);
	if (dp == NULL)
		return ioerr(c, err, "open directory", c->dir);
	while ((d = readdir(dp)) != NULL) {
		if (strlen(d->d_name) < 9 || d->d_name[8] != '-')
			continue;
		no = strtoull(d->d_name, &end, 10);
		if (end != d->d_name + 8)
			continue;
		if (no + 1 > c->next)
			c->next = no + 1;
		if (has_suffix(d->d_name, ".ndjson.gz.tmp")) {
			buf_reset(&path);
			buf_addf(&path, "%s/%s", c->dir, d->d_name);
			(void)unlink(path.s);
		} else if (has_suffix(d->d_name, ".ndjson.open")) {
			open_names = xrealloc(open_names, (nopen + 1) *
			    sizeof(*open_names));
			open_names[nopen++] = xstrdup(d->d_name);
		}
	}
	closedir(dp);
	if (nopen > 1)
		qsort(open_names, nopen, sizeof(*open_names), namecmp);
	for (i = 0; i < nopen; i++) {
		if (rc == 0 && recover(c, open_names[i], err) < 0)
			rc = -1;
		free(open_names[i]);
	}
	free(open_names);
	buf_free(&path);
	return rc;
}

struct capture *
capture_open(const char *dir, const struct capture_opts *o,
    struct twin_err *err)
{
	struct capture *c;
	struct stat sb;

	c = xcalloc(1, sizeof(*c));
	c->dir = xstrdup(dir);
	c->fd = -1;
	c->now = clock_real;
	c->next = 1;
	if (o != NULL)
		c->o = *o;
	if (c->o.max_ns < 0) {
		err_set(err, TWIN_EUSAGE, "capture '%s': negative segment "
		    "time", dir);
		goto fail;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		ioerr(c, err, "create directory", dir);
		goto fail;
	}
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		err_set(err, TWIN_EIO, "capture '%s': not a directory", dir);
		goto fail;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) < 0) {
		ioerr(c, err, "chmod", dir);
		goto fail;
	}
	if (scan_dir(c, err) < 0)
		goto fail;
	return c;
fail:
	free(c->dir);
	free(c);
	return NULL;
}

void
capture_set_clock(struct capture *c, long long (*now)(void *), void *arg)
{
	c->now = now != NULL ? now : clock_real;
	c->now_arg = arg;
}

static int
segment_open(struct capture *c, struct twin_err *err)
{
	struct buf path = BUF_INIT;
	struct tm tm;
	time_t t;
	long long ns;
	char stamp[32];

	ns = c->now(c->now_arg);
	t = (time_t)(ns / 1000000000LL);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "19700101T000000Z");
	buf_reset(&c->name);
	buf_addf(&c->name, "%s/%08llu-%s.ndjson", c->dir, c->next, stamp);
	buf_addf(&path, "%s.open", c->name.s);
	c->fd = open(path.s, O_WRONLY | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0600);
	if (c->fd < 0) {
		ioerr(c, err, "create", path.s);
		buf_free(&path);
		return -1;
	}
	buf_free(&path);
	c->next++;
	c->size = c->written = 0;
	c->opened = ns;
	return 0;
}

int
capture_flush(struct capture *c, struct twin_err *err)
{
	struct buf path = BUF_INIT;
	int e;

	if (c->fd < 0 || c->wbuf.len == 0)
		return 0;
	if (fsio_write_all(c->fd, c->wbuf.s, c->wbuf.len) < 0) {
		e = errno;
		/* Whole lines only: undo a partial write. */
		(void)!ftruncate(c->fd, (off_t)c->written);
		errno = e;
		buf_addf(&path, "%s.open", c->name.s);
		ioerr(c, err, "write", path.s);
		buf_free(&path);
		return -1;
	}
	c->written += c->wbuf.len;
	buf_reset(&c->wbuf);
	return 0;
}

int
capture_rotate(struct capture *c, struct twin_err *err)
{
	struct buf path = BUF_INIT;
	int rc;

	if (c->fd < 0)
		return 0;
	if (capture_flush(c, err) < 0)
		return -1;
	close(c->fd);
	c->fd = -1;
	if (c->written == 0) {
		buf_addf(&path, "%s.open", c->name.s);
		(void)unlink(path.s);
		buf_free(&path);
		return 0;
	}
	rc = compress_segment(c, c->name.s, c->written, err);
	if (rc == 0)
		c->nclosed++;
	return rc;
}

int
capture_poll(struct capture *c, struct twin_err *err)
{
	long long now;

	if (c->fd < 0)
		return 0;
	now = c->now(c->now_arg);
	if (c->o.max_ns > 0 && now - c->opened >= c->o.max_ns)
		return capture_rotate(c, err);
	if (c->wbuf.len > 0 && now - c->wbuf_since >= WBUF_AGE)
		return capture_flush(c, err);
	return 0;
}

int
capture_write(struct capture *c, const char *rec, size_t n,
    struct twin_err *err)
{
	long long now;

	if (memchr(rec, '\n', n) != NULL)
		return err_set(err, TWIN_EDATA, "capture '%s': record holds "
		    "a newline", c->dir);
	if (c->fd >= 0 && c->size > 0 && c->o.max_bytes > 0 &&
	    c->size + n + 1 > c->o.max_bytes)
		if (capture_rotate(c, err) < 0)
			return -1;
	now = c->now(c->now_arg);
	if (c->fd >= 0 && c->o.max_ns > 0 && now - c->opened >= c->o.max_ns)
		if (capture_rotate(c, err) < 0)
			return -1;
	if (c->fd < 0 && segment_open(c, err) < 0)
		return -1;
	if (c->wbuf.len == 0)
		c->wbuf_since = now;
	buf_add(&c->wbuf, rec, n);
	buf_addc(&c->wbuf, '\n');
	c->size += n + 1;
	/* A slow live source must not keep minutes of records in memory. */
	if (c->wbuf.len >= WBUF_MAX || now - c->wbuf_since >= WBUF_AGE)
		return capture_flush(c, err);
	return 0;
}

unsigned long long
capture_segments(const struct capture *c)
{
	return c->nclosed;
}

unsigned long long
capture_recovered(const struct capture *c)
{
	return c->nrecovered;
}

int
capture_close(struct capture *c, struct twin_err *err)
{
	int rc;

	if (c == NULL)
		return 0;
	rc = capture_rotate(c, err);
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->wbuf);
	buf_free(&c->name);
	free(c->dir);
	free(c);
	return rc;
}
