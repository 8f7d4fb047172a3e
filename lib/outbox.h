/*
 * outbox.h - a durable outbox: one file per message in a directory.
 *
 * A message is written to a temporary file, synced, renamed to its name
 * and the directory synced before outbox_put() returns, so once it
 * returns the message survives a crash or a power cut.  Names sort in
 * delivery order (the caller chooses them so).  A message leaves the
 * outbox only by outbox_remove() (after the peer confirmed it) or
 * outbox_reject() (moved to the "rejected" subdirectory, kept for a
 * person to read).  Files whose name starts with '.' are temporary and
 * never listed.
 *
 * The outbox owns its directory names; outbox_list() returns an array the
 * caller frees with outbox_list_free().
 */
#ifndef TWIN_OUTBOX_H
#define TWIN_OUTBOX_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct outbox;

/* Create the directory (and parents, mode 0700) when missing. */
int outbox_mkdirs(const char *path, struct twin_err *err);

struct outbox *outbox_open(const char *dir, struct twin_err *err);
void outbox_close(struct outbox *ob);
const char *outbox_dir(const struct outbox *ob);

/* name: [A-Za-z0-9._-], not starting with '.', at most 200 bytes. */
int outbox_put(struct outbox *ob, const char *name, const void *p,
    size_t n, struct twin_err *err);
/* 1 when a message of that name is waiting. */
int outbox_has(struct outbox *ob, const char *name);
int outbox_list(struct outbox *ob, char ***names, size_t *n,
    struct twin_err *err);
void outbox_list_free(char **names, size_t n);
int outbox_read(struct outbox *ob, const char *name, struct buf *b,
    struct twin_err *err);
int outbox_remove(struct outbox *ob, const char *name, struct twin_err *err);
/* Move to rejected/NAME and write rejected/NAME.reason beside it. */
int outbox_reject(struct outbox *ob, const char *name, const char *reason,
    struct twin_err *err);

#endif
