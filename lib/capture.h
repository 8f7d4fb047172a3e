/*
 * capture.h - record everything ingested into rotating, compressed
 * segments that libarchive (and zcat) read back.
 *
 * In dir (mode 0700), segments are named NNNNNNNN-YYYYMMDDTHHMMSSZ with a
 * number that keeps growing across runs, so that the names sort in write
 * order:
 *
 *   NNNNNNNN-...Z.ndjson.open   the open segment: plain NDJSON, one record
 *                               per line, appended as records arrive
 *   NNNNNNNN-...Z.ndjson.gz     a closed segment: one gzip stream of the
 *                               same lines, written beside, flushed to
 *                               disk and renamed into place, after which
 *                               the .open file is removed
 *
 * A segment is rotated when it would pass max_bytes (uncompressed) or has
 * been open max_ns nanoseconds.  Records are buffered (at most 64 KiB)
 * and written when the buffer fills, when a write or capture_poll() finds
 * its oldest record a second old, at capture_flush() and at rotation; a
 * killed process thus loses at most the records of the last second (or
 * since the last write, for a source that went quiet and no poll), and
 * leaves every closed segment whole and the open one holding whole
 * records plus perhaps one torn line.
 * capture_open() recovers what a crash left: an .open segment is cut
 * after its last newline and compressed like any other.
 *
 * Replaying the .gz segments in name order gives back the records written,
 * byte for byte, one per line.
 */
#ifndef TWIN_CAPTURE_H
#define TWIN_CAPTURE_H

#include <stddef.h>

#include "err.h"

struct capture_opts {
	unsigned long long max_bytes;	/* per segment; 0 = no limit */
	long long max_ns;		/* per segment; 0 = no limit */
};

/* Files are 0600; dir is created 0700 when missing.  o may be NULL. */
struct capture *capture_open(const char *dir, const struct capture_opts *o,
    struct twin_err *err);

/* One complete NDJSON record without its newline. */
int capture_write(struct capture *c, const char *rec, size_t n,
    struct twin_err *err);

/* Write the buffered records to the open segment (no fsync). */
int capture_flush(struct capture *c, struct twin_err *err);

/* Close the open segment now (a later write opens the next one). */
int capture_rotate(struct capture *c, struct twin_err *err);

/*
 * For a quiet source, call now and then: rotates a segment open max_ns,
 * writes records buffered for a second.
 */
int capture_poll(struct capture *c, struct twin_err *err);

/* The clock for max_ns, in nanoseconds (default CLOCK_REALTIME). */
void capture_set_clock(struct capture *c, long long (*now)(void *),
    void *arg);

/* Segments closed since capture_open(), and those recovered by it. */
unsigned long long capture_segments(const struct capture *c);
unsigned long long capture_recovered(const struct capture *c);

/* Close the open segment and release. */
int capture_close(struct capture *c, struct twin_err *err);

#endif
