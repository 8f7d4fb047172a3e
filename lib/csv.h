/*
 * csv.h - the one CSV line splitter: historian exports (src_csv), tag
 * maps in CSV form (tagmap) and CMMS feedback (twin-ticket).
 *
 * A line (without its line end) is split on a delimiter character, or
 * on runs of blanks when delim is ' ' (which also ignores leading and
 * trailing blanks: the form of NASA's C-MAPSS files).  With a character
 * delimiter, RFC 4180 quotes are understood: "a ""b""" is a "b", and a
 * quoted field may hold the delimiter; a quoted field cannot hold a line
 * break, and text after its closing quote is an error.  Blanks around
 * an unquoted field are removed; a quote inside an unquoted field is
 * taken as it is.  A trailing delimiter gives one more, empty, field.
 *
 * The row owns its fields: each is NUL-terminated and valid until the
 * next csv_split() on the row or csv_row_free().
 */
#ifndef TWIN_CSV_H
#define TWIN_CSV_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct csv_row {
	struct buf text;	/* the fields, each followed by a NUL */
	size_t *start;		/* offset of field i in text */
	size_t n, cap;
};

#define CSV_ROW_INIT { BUF_INIT, NULL, 0, 0 }

/*
 * Split s (n bytes) into r.  Returns 0, or -1 with TWIN_EDATA for an
 * unterminated quoted field or text after a closing quote (the message
 * names the field by number, from 1).
 */
int csv_split(struct csv_row *r, const char *s, size_t n, char delim,
    struct twin_err *err);

static inline const char *
csv_field(const struct csv_row *r, size_t i)
{
	return r->text.s + r->start[i];
}

/* Bytes of field i, without its NUL. */
static inline size_t
csv_field_len(const struct csv_row *r, size_t i)
{
	return (i + 1 < r->n ? r->start[i + 1] : r->text.len) - r->start[i] -
	    1;
}

void csv_row_free(struct csv_row *r);

#endif
