/*
 * ndj.h - streaming NDJSON input.
 *
 * An ndj_reader reads lines from a file descriptor with bounded memory:
 * the buffer grows to hold the longest line seen, up to max_line bytes.
 * A longer line is skipped up to its newline and reported as an error
 * with its line number; reading carries on after it.  CRLF line ends are
 * accepted (the CR is removed), and so is a last line without a newline.
 * Empty lines (and lines of only blanks) are skipped but still counted,
 * so positions stay right.
 *
 * ndj_parse() turns a line into a jansson object strictly: duplicate keys,
 * invalid UTF-8, NUL bytes, NaN/Infinity, numbers out of double range and
 * anything but an object at the top level are errors.  The caller owns
 * (steals) the returned reference.
 */
#ifndef TWIN_NDJ_H
#define TWIN_NDJ_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define NDJ_MAX_LINE_DEFAULT (16u * 1024 * 1024)

struct ndj_reader;

/* name is the position prefix used in messages: a path or "<stdin>". */
struct ndj_reader *ndj_open_fd(int fd, const char *name, size_t max_line);
struct ndj_reader *ndj_open_path(const char *path, size_t max_line,
    struct twin_err *err);
void ndj_close(struct ndj_reader *r);	/* closes the fd unless it was 0 */

/*
 * Next non-empty line.  Returns 1 with *line (NUL-terminated, CR/LF
 * removed, valid until the next call) and *len, 0 at end of input, -1 on
 * error: TWIN_EDATA for an over-long line (already skipped; call again),
 * TWIN_EIO for a read error (stop).
 */
int ndj_next(struct ndj_reader *r, char **line, size_t *len,
    struct twin_err *err);

/* Line number of the line last returned (or rejected), from 1. */
long ndj_lineno(const struct ndj_reader *r);
const char *ndj_name(const struct ndj_reader *r);
/* Bytes of the line last returned or rejected, before CR/LF removal. */
size_t ndj_rawlen(const struct ndj_reader *r);

/*
 * Call fn(arg) before a read that would wait: the input is not a
 * regular file and holds no data yet.  Programs flush their output there
 * (out_idle_cb), which is twin(7)'s flush rule.
 */
void ndj_set_idle(struct ndj_reader *r, void (*fn)(void *), void *arg);

/* Bytes consumed so far, and the input's size (0 if not a regular file):
 * for the progress line. */
unsigned long long ndj_pos(const struct ndj_reader *r);
unsigned long long ndj_size(const struct ndj_reader *r);

/* Parse one line strictly; the caller owns the result.  NULL on error. */
json_t *ndj_parse(const char *line, size_t len, struct twin_err *err);

/* Parse a whole file as one JSON document (configuration files). */
json_t *ndj_load_file(const char *path, struct twin_err *err);

#endif
