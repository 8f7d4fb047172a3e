/* out.c - buffered record output; see out.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out.h"
#include "banned.h"

#define OUT_FLUSH_AT (64u * 1024)

struct out {
	int fd;
	int live;	/* OUT_* */
	int failed;
	struct buf b;
	unsigned long long count;
};

struct out *
out_open(int fd, int live)
{
	struct out *o = xcalloc(1, sizeof(*o));

	o->fd = fd;
	o->live = live;
	return o;
}

void
out_set_live(struct out *o, int live)
{
	o->live = live;
}

void
out_idle(struct out *o)
{
	if (o != NULL && o->live != OUT_BATCH && o->b.len > 0)
		(void)out_flush(o, NULL);
}

void
out_idle_cb(void *arg)
{
	out_idle(arg);
}

struct buf *
out_buf(struct out *o)
{
	return &o->b;
}

unsigned long long
out_count(const struct out *o)
{
	return o->count;
}

int
out_flush(struct out *o, struct twin_err *err)
{
	size_t off = 0;
	ssize_t n;

	if (o->failed) {
		o->b.len = 0;
		return err_set(err, o->failed == EPIPE ? TWIN_EPIPE : TWIN_EIO,
		    "write error: %s", strerror(o->failed));
	}
	while (off < o->b.len) {
		n = write(o->fd, o->b.s + off, o->b.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			o->failed = errno;
			o->b.len = 0;
			return err_set(err,
			    o->failed == EPIPE ? TWIN_EPIPE : TWIN_EIO,
			    "write error: %s", strerror(o->failed));
		}
		off += (size_t)n;
	}
	o->b.len = 0;
	return 0;
}

int
out_end_record(struct out *o, struct twin_err *err)
{
	buf_addc(&o->b, '\n');
	o->count++;
	if (o->live == OUT_LIVE || o->b.len >= OUT_FLUSH_AT)
		return out_flush(o, err);
	return 0;
}

int
out_json(struct out *o, const json_t *v, struct twin_err *err)
{
	size_t mark = o->b.len;

	if (buf_json(&o->b, v) < 0) {
		o->b.len = mark;
		return err_set(err, TWIN_EDATA, "cannot print NaN or infinity");
	}
	return out_end_record(o, err);
}

int
out_line(struct out *o, const char *s, size_t n, struct twin_err *err)
{
	buf_add(&o->b, s, n);
	return out_end_record(o, err);
}

int
out_close(struct out *o, struct twin_err *err)
{
	int rc;

	if (o == NULL)
		return 0;
	rc = out_flush(o, err);
	buf_free(&o->b);
	free(o);
	return rc;
}
