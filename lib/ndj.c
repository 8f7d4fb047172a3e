/* ndj.c - streaming NDJSON input; see ndj.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ndj.h"
#include "banned.h"

#define NDJ_CHUNK (256u * 1024)

struct ndj_reader {
	int fd;
	char *name;
	size_t max_line;
	char *buf;
	size_t cap;
	size_t start;	/* first byte not yet returned */
	size_t end;	/* end of data read */
	size_t scan;	/* where to look for the next newline */
	int eof;
	long lineno;
	size_t rawlen;
	int regular;		/* a regular file: reads never wait */
	unsigned long long size;
	unsigned long long nread;	/* bytes read before buf[0] */
	void (*idle)(void *);
	void *idle_arg;
};

struct ndj_reader *
ndj_open_fd(int fd, const char *name, size_t max_line)
{
	struct ndj_reader *r = xcalloc(1, sizeof(*r));
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		r->regular = 1;
		r->size = (unsigned long long)st.st_size;
	}
	r->fd = fd;
	r->name = xstrdup(name);
	r->max_line = max_line ? max_line : NDJ_MAX_LINE_DEFAULT;
	r->cap = NDJ_CHUNK;
	r->buf = xmalloc(r->cap + 1);
	return r;
}

struct ndj_reader *
ndj_open_path(const char *path, size_t max_line, struct twin_err *err)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return ndj_open_fd(0, "<stdin>", max_line);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	return ndj_open_fd(fd, path, max_line);
}

void
ndj_close(struct ndj_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd > 0)
		close(r->fd);
	free(r->name);
	free(r->buf);
	free(r);
}

long
ndj_lineno(const struct ndj_reader *r)
{
	return r->lineno;
}

const char *
ndj_name(const struct ndj_reader *r)
{
	return r->name;
}

void
ndj_set_idle(struct ndj_reader *r, void (*fn)(void *), void *arg)
{
	r->idle = fn;
	r->idle_arg = arg;
}

unsigned long long
ndj_pos(const struct ndj_reader *r)
{
	return r->nread + r->start;
}

unsigned long long
ndj_size(const struct ndj_reader *r)
{
	return r->size;
}

size_t
ndj_rawlen(const struct ndj_reader *r)
{
	return r->rawlen;
}

/* Read more input; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t
fill(struct ndj_reader *r, struct twin_err *err)
{
	ssize_t n;

	if (r->start > 0 && (r->end == r->cap || r->start == r->end)) {
		r->nread += r->start;
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		size_t ncap = r->cap * 2;

		/* Bounded: never more than one maximal line plus a chunk. */
		if (ncap > r->max_line + NDJ_CHUNK)
			ncap = r->max_line + NDJ_CHUNK;
		if (ncap <= r->cap)
			return -2;
		r->buf = xrealloc(r->buf, ncap + 1);
		r->cap = ncap;
	}
	if (r->idle != NULL && !r->regular) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };

		if (poll(&pfd, 1, 0) == 0)
			r->idle(r->idle_arg);
	}
	do
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err_set(err, TWIN_EIO, "%s: read error: %s", r->name,
		    strerror(errno));
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return n;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Skip the rest of an over-long line, up to and including its newline. */
static int
skip_line(struct ndj_reader *r, struct twin_err *err)
{
	char *nl;

	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl != NULL) {
			r->start = r->scan = (size_t)(nl - r->buf) + 1;
			return 0;
		}
		r->start = r->scan = r->end;
		if (r->eof)
			return 0;
		if (fill(r, err) == -1)
			return -1;
	}
}

int
ndj_next(struct ndj_reader *r, char **line, size_t *len,
    struct twin_err *err)
{
	char *nl, *s;
	size_t n;
	ssize_t got;

	for (;;) {
		nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);
		if (nl == NULL) {
			if (r->end - r->start > r->max_line)
				goto toolong;
			if (r->eof) {
				if (r->start == r->end)
					return 0;
				nl = r->buf + r->end; /* last line, no newline */
			} else {
				r->scan = r->end;
				got = fill(r, err);
				if (got == -1)
					return -1;
				if (got == -2)
					goto toolong;
				continue;
			}
		}
		s = r->buf + r->start;
		n = (size_t)(nl - s);
		r->lineno++;
		r->rawlen = n;
		r->start = r->scan = (size_t)(nl - r->buf) + (nl < r->buf + r->end);
		if (n > r->max_line) {
			err_set(err, TWIN_EDATA, "line too long (over %zu bytes)",
			    r->max_line);
			return -1;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		s[n] = '\0';
		if (blank(s, n))
			continue;
		*line = s;
		*len = n;
		return 1;
	}
toolong:
	r->lineno++;
	r->rawlen = r->end - r->start;
	r->scan = r->end;
	if (skip_line(r, err) < 0)
		return -1;
	return err_set(err, TWIN_EDATA, "line too long (over %zu bytes)",
	    r->max_line);
}

json_t *
ndj_parse(const char *line, size_t len, struct twin_err *err)
{
	json_error_t je;
	const char *nul;
	json_t *v;

	if ((nul = memchr(line, '\0', len)) != NULL) {
		err_set(err, TWIN_EDATA, "NUL byte at column %zu",
		    (size_t)(nul - line) + 1);
		return NULL;
	}
	v = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		err_set(err, TWIN_EDATA, "invalid JSON at column %d: %s",
		    je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		err_set(err, TWIN_EDATA, "record is not a JSON object");
		return NULL;
	}
	return v;
}

json_t *
ndj_load_file(const char *path, struct twin_err *err)
{
	json_error_t je;
	json_t *v;

	v = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		if (je.line < 1)
			err_set(err, TWIN_ECONFIG, "%s: %s", path, je.text);
		else
			err_set(err, TWIN_ECONFIG, "%s:%d:%d: %s", path,
			    je.line, je.column, je.text);
	}
	return v;
}
