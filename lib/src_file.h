/*
 * src_file.h - read NDJSON lines from captures: plain or compressed files,
 * archives (tar, zip, cpio, 7z) of such files, directories of capture
 * segments, and standard input, all through libarchive and streaming:
 * nothing is ever extracted to disk.
 *
 * Archives are untrusted input, so the reader caps the number of entries,
 * the uncompressed size of one entry and the ratio of uncompressed bytes
 * to compressed bytes read (an archive bomb); past a cap the source ends
 * with an error.  An entry whose name is absolute or climbs with ".." is
 * reported and skipped: the reader never writes entries anywhere, but such
 * a name in a capture means it was not made by twin.  Entries that are not
 * regular files (directories, links) are skipped silently.
 *
 * A directory is read as a capture: its regular files in name order,
 * except hidden files and segments still open ("*.open").
 *
 * Positions in messages are "path:line" for a plain or compressed file
 * and "path:entry:line" for an entry of an archive.
 */
#ifndef TWIN_SRC_FILE_H
#define TWIN_SRC_FILE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct src_file_opts {
	unsigned long long max_entries;		/* entries in one archive */
	unsigned long long max_entry_bytes;	/* uncompressed, per entry */
	double max_ratio;			/* uncompressed / compressed */
	size_t max_line;			/* bytes in one line */
	/*
	 * When set, a read of standard input interrupted by a signal
	 * while *stop is non-zero fails (TWIN_EIO) instead of waiting on.
	 */
	volatile sig_atomic_t *stop;
};

#define SRC_FILE_MAX_ENTRIES 100000ULL
#define SRC_FILE_MAX_ENTRY_BYTES (64ULL << 30)
#define SRC_FILE_MAX_RATIO 250.0
/* The ratio is checked only past this many uncompressed bytes. */
#define SRC_FILE_RATIO_MIN_BYTES (1ULL << 20)

struct src_file;

/* Fill o with the defaults above. */
void src_file_defaults(struct src_file_opts *o);

/* path "-" is standard input.  NULL with err (TWIN_EIO) on failure. */
struct src_file *src_file_open(const char *path,
    const struct src_file_opts *o, struct twin_err *err);

/*
 * Next non-blank line, CR/LF removed.  Returns 1 with *line (valid until
 * the next call; not NUL-terminated) and *len, 0 at the end, -1 on error:
 * TWIN_EDATA for a bad line or entry (skipped; call again), TWIN_EDATA or
 * TWIN_EIO for an error that ends the source (a cap, a corrupt archive, a
 * read error: the next call returns 0).  The position of the line or of
 * the error is src_file_where() and src_file_lineno().
 */
int src_file_next(struct src_file *f, const char **line, size_t *len,
    struct twin_err *err);

/* "path" or "path:entry" of the line last returned. */
const char *src_file_where(const struct src_file *f);
/* Line number within that, from 1; 0 when an error has no line. */
long src_file_lineno(const struct src_file *f);

void src_file_close(struct src_file *f);

/*
 * A fast strict check of a replayed line holding a flat raw record of
 * tenant, the shape programs write: scalar, or a block whose "v" is an
 * array of numbers or a base64 string followed by "rate_hz" (and then
 * "enc").  Returns 1 with the record's time in *ts when the line is
 * certainly a valid record that jansson would accept; 0 to decline, and
 * then the caller must check the line the slow way, which also words any
 * error.  tests/fuzz/fuzz-fastraw.c checks that against jansson.
 */
int src_file_fast_raw(const char *line, size_t n, const char *tenant,
    int64_t *ts);

#endif
