/*
 * diag.h - the one place programs print diagnostics, and the reject file.
 *
 * This is the only lib/ module that writes to stderr; it is called from
 * cmd/ only.  Every message starts with the program name and, for a
 * record, its position:
 *
 *   twin-map: <stdin>:42: unknown tag 'Line3/FT-101'
 *
 * Text taken from input is passed through diag_quote() so that control
 * bytes and invalid UTF-8 are escaped before they reach a terminal.
 *
 * The reject file (-R) receives each bad line as one JSON object:
 *   {"prog":"twin-map","file":"<stdin>","line":42,
 *    "reason":"unknown tag 'Line3/FT-101'","text":"<the line>"}
 * with "text_b64" instead of "text" when the line is not valid UTF-8 or
 * holds a NUL byte, so that nothing is lost.
 */
#ifndef TWIN_DIAG_H
#define TWIN_DIAG_H

#include <stddef.h>

#include "err.h"

extern const char *diag_prog;

/* Set the program name from argv[0], ignore SIGPIPE. */
void diag_init(const char *argv0);
void diag_set_quiet(int quiet);
int diag_quiet(void);

/* "prog: message" */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: file:line: message"; counts a data error. */
void diag_at(const char *file, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Informational line, silenced by -q. */
void diag_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned long long diag_errors(void);

/*
 * Quote input text for a message: control bytes and invalid UTF-8 become
 * \xNN, and text past max bytes is cut with "...".  Returns out.
 */
char *diag_quote(const char *s, size_t n, char *out, size_t outsz);

/* Reject file: NULL path means none.  Returns -1 with err on failure. */
int diag_reject_open(const char *path, struct twin_err *err);
/* Report a bad line: message to stderr, counted, written to the reject
 * file if open. */
void diag_reject(const char *file, long line, const char *text, size_t n,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int diag_reject_close(struct twin_err *err);

#endif
