/*
 * spool.h - a durable, bounded, per-tenant queue on disk (store and forward).
 *
 * twin-ingest appends every record to the spool before it writes it
 * downstream, and commits the position downstream has consumed.  After a
 * crash, a power loss or a closed pipe the next run resumes from the last
 * committed position: delivery is at least once, and the duplicates are
 * the records that were in flight (returned by spool_next() but not yet
 * committed), each still carrying its stable identity (src, seq).
 *
 * On disk, in a directory of mode 0700 holding files of mode 0600:
 *
 *   SPOOL           "twin-spool 1\ntenant NAME\n": a spool belongs to one
 *                   tenant and refuses to open for another
 *   NNNN...N.seg    segments (16 hex digits, in append order), each an
 *                   8-byte magic "TWSPSEG1" and then frames:
 *                     u32 sync 0x5450534c ("LSPT" little-endian)
 *                     u32 payload length, u64 record number,
 *                     u32 CRC32C of (length, number, payload),
 *                     payload (the record, no newline)
 *                   all integers little-endian
 *   commit          256 slots of 40 bytes, allocated when the spool is
 *                   made so that a commit never needs disk space (a
 *                   full disk must not stop the drain that frees it):
 *                     u32 sync 0x43535754 ("TWSC"), u32 CRC32C of the
 *                     rest, u64 commit number, u64 segment, u64 offset,
 *                     u64 next record number
 *                   commit number g is written to slot g % 256; the
 *                   valid entry with the highest number is the
 *                   committed position
 *
 * A segment is deleted once the committed position has moved past it.
 *
 * Durability (the text for twin-ingest(1)): each spool_append() hands the
 * frame to the kernel with write(2) before it returns, so a killed process
 * loses nothing it appended.  The segment is flushed to the disk with
 * fdatasync(2) every fsync_every appends (0: only at commit, rotation and
 * close), and at every spool_commit(), whose position is itself written
 * and flushed before it returns.  A power loss or kernel crash can
 * therefore lose at most the last fsync_every - 1 appends (with 0, the
 * appends since the last commit), and redeliver at most the records in
 * flight since the last commit.
 *
 * Damage (a torn tail, a flipped byte, an unflushed last record) never
 * stops the spool: the bad bytes are skipped up to the next valid frame,
 * each damaged region is counted in stats.damaged once, and described by
 * a message that spool_damage() hands out.  A damaged or truncated commit
 * log falls back to the newest valid entry left, which can only add
 * duplicates.
 *
 * Disk full: an append that cannot be written whole is cut back off the
 * segment and fails with TWIN_EIO "spool 'dir': disk full"; the records
 * before it stay, and delivering and committing them frees their
 * segments, after which appends succeed again.
 *
 * Ownership: the spool owns everything it returns; a record from
 * spool_next() is valid until the next call on the spool.
 */
#ifndef TWIN_SPOOL_H
#define TWIN_SPOOL_H

#include <stddef.h>

#include "err.h"

enum spool_overflow {
	SPOOL_BLOCK,		/* append fails TWIN_ETEMP: deliver, retry */
	SPOOL_DROP_OLDEST,	/* drop the oldest undelivered records */
	SPOOL_DROP_NEWEST,	/* drop the record being appended */
	SPOOL_FAIL		/* append fails TWIN_ETEMP: stop */
};

struct spool_opts {
	unsigned long long max_bytes;	/* pending frame bytes; 0: no limit */
	int overflow;			/* enum spool_overflow */
	unsigned fsync_every;		/* fdatasync every N appends; 0: never */
};

/* Counts since spool_open(); bytes is the current pending size. */
struct spool_stats {
	unsigned long long appended, delivered, committed, dropped_oldest,
	    dropped_newest, damaged, bytes;
};

/*
 * Open (creating it if needed) the spool in dir for tenant.  o may be
 * NULL for the defaults (no limit, SPOOL_BLOCK, fsync at commit only).
 * The read position starts at the last committed position.
 */
struct spool *spool_open(const char *dir, const char *tenant,
    const struct spool_opts *o, struct twin_err *err);

/*
 * Append one record (n bytes, no newline).  0 when it is written (or
 * counted as dropped under SPOOL_DROP_NEWEST), -1 with TWIN_ETEMP when
 * the spool is full under SPOOL_FAIL or SPOOL_BLOCK, TWIN_EIO on a write
 * error ("spool 'dir': disk full" for ENOSPC): nothing is acknowledged
 * that was not written.
 */
int spool_append(struct spool *s, const char *rec, size_t n,
    struct twin_err *err);

/* Next undelivered record: 1 (rec valid until the next call), 0 none, -1. */
int spool_next(struct spool *s, const char **rec, size_t *n,
    struct twin_err *err);

/* Everything spool_next() returned so far is consumed: record it durably. */
int spool_commit(struct spool *s, struct twin_err *err);

/* Flush appended records to the disk now (fdatasync). */
int spool_sync(struct spool *s, struct twin_err *err);

void spool_stats(const struct spool *s, struct spool_stats *st);

/* Records appended or recovered and not yet delivered by spool_next(). */
unsigned long long spool_pending(const struct spool *s);

/*
 * The next unreported damage message, e.g. "spool 'd': segment
 * 0000000000000001.seg offset 4096: bad checksum, 57 bytes skipped", or
 * NULL.  Valid until the next call on the spool.
 */
const char *spool_damage(struct spool *s);

/* Sync and release; does not commit. */
int spool_close(struct spool *s, struct twin_err *err);

/*
 * Scan a buffer holding a segment's bytes (after the magic) for frames:
 * calls fn for each valid one and counts the damaged regions.  Returns
 * the number of valid frames; *damaged gets the damaged regions.  Used by
 * the recovery scan and the fuzz harness.
 */
size_t spool_scan(const unsigned char *p, size_t n,
    void (*fn)(void *arg, const char *rec, size_t len), void *arg,
    size_t *damaged);

#endif
