/*
 * fsio.h - durable file writes shared by the spool, capture, outbox,
 * episode state and model registry.
 *
 * fsio_write_all() and fsio_sync_dir() set errno and return -1, so each
 * caller can word its own message (a spool says "disk full").
 * fsio_write_atomic() replaces a file whole: the data goes to a temporary
 * file beside it (named ".NAME.tmpPID", so listings skip it), is synced,
 * renamed over the target, and the directory is synced; a crash leaves the
 * old file or the new one, never a mix.
 */
#ifndef TWIN_FSIO_H
#define TWIN_FSIO_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

int fsio_write_all(int fd, const void *p, size_t n);
/* fsync a directory; EINVAL (file systems that cannot) is not an error. */
int fsio_sync_dir(const char *dir);
/* fsync the directory that holds path. */
int fsio_sync_parent(const char *path);
int fsio_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
    struct twin_err *err);

#endif
