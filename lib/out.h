/*
 * out.h - buffered record output on a file descriptor.
 *
 * Records are appended as text plus a newline.  The buffer is written
 * when it fills (64 KiB) and at out_close(); in OUT_LIVE mode also after
 * every record, so a downstream consumer sees it without delay.  In
 * OUT_AUTO mode (twin(7)'s flush rule) the program itself calls
 * out_idle() whenever it is about to wait for input: a live stream is
 * then seen record by record and a batch costs no extra writes.  A write that fails with EPIPE sets TWIN_EPIPE: the caller
 * should end quietly with status 0, as cat(1) under head(1) does.
 * SIGPIPE must be ignored by the program for that to work (diag_init does).
 */
#ifndef TWIN_OUT_H
#define TWIN_OUT_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

struct out;

enum { OUT_BATCH = 0, OUT_LIVE = 1, OUT_AUTO = 2 };

struct out *out_open(int fd, int mode);
void out_set_live(struct out *o, int mode);
/* About to wait for input: flush unless in OUT_BATCH mode.  A failure
 * is kept and reported by the next write. */
void out_idle(struct out *o);
/* The same as a callback for ndj_set_idle(); arg is the struct out. */
void out_idle_cb(void *arg);
/* Append a serialized JSON value and a newline. */
int out_json(struct out *o, const json_t *v, struct twin_err *err);
/* Append n bytes of an already-formatted line; a newline is added. */
int out_line(struct out *o, const char *s, size_t n, struct twin_err *err);
/* The buffer records are built in, for callers that write by hand. */
struct buf *out_buf(struct out *o);
/* After writing a record into out_buf() by hand: add newline, maybe flush. */
int out_end_record(struct out *o, struct twin_err *err);
int out_flush(struct out *o, struct twin_err *err);
/* Flush and close (fsync is not done); returns -1 if any write failed. */
int out_close(struct out *o, struct twin_err *err);
unsigned long long out_count(const struct out *o);

#endif
