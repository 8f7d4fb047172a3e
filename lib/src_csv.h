/*
 * src_csv.h - raw records from CSV exports of historians and PLCs.
 *
 * Two layouts:
 *   wide  a time column and one column per tag; each non-empty cell of a
 *         tag column becomes one record, tagged by a template
 *   long  one record per row from a tag column, a time column and a
 *         value column
 *
 * Fields are split on a delimiter character, or on runs of blanks
 * (delim ' '), which also ignores leading and trailing blanks (the form
 * of NASA's C-MAPSS files).  With a character delimiter, RFC 4180 quotes
 * are understood within a line ("a ""b""" is a "b"); a quoted field
 * cannot hold a line break.  Lines come through src_file, so a CSV file
 * may be compressed or inside an archive.
 *
 * Time of a row:
 *   CSV_TIME_RFC3339   the time column holds RFC 3339 text
 *   CSV_TIME_EPOCH_S   epoch seconds (may be fractional)
 *   CSV_TIME_EPOCH_MS  epoch milliseconds
 *   CSV_TIME_COUNTER   start + value * step (a cycle or sample counter)
 *   CSV_TIME_ROW       start + row * step, rows counted from 0 (no column)
 *
 * A tag template holds text and references: {col} is the name of the
 * value column, {N} the cell of column N (from 1), {name} the cell of the
 * column so named.  Columns referenced by the template, the time column
 * and any listed in skip are not value columns.
 *
 * Records: {"kind":"raw","ts":..,"tenant":..,"src":"csv:<path>","seq":N,
 * "tag":..,"v":number[,"unit":..]}, seq counting records from 1.
 */
#ifndef TWIN_SRC_CSV_H
#define TWIN_SRC_CSV_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "src_file.h"

enum csv_layout { CSV_WIDE, CSV_LONG };
enum csv_time {
	CSV_TIME_RFC3339, CSV_TIME_EPOCH_S, CSV_TIME_EPOCH_MS,
	CSV_TIME_COUNTER, CSV_TIME_ROW
};

struct csv_opts {
	char delim;		/* ' ' for runs of blanks */
	int header;		/* 1: the first line names the columns */
	const char *columns;	/* comma-separated names, or NULL */
	int layout;		/* enum csv_layout */
	const char *time_col;	/* name or number; NULL: first column */
	int time_fmt;		/* enum csv_time */
	int64_t start;		/* for COUNTER and ROW */
	int64_t step;
	const char *tag;	/* wide: template, default "{col}" */
	const char *tag_col;	/* long: default "tag" or column 1 */
	const char *value_col;	/* long: default "value" or column 3 */
	const char *skip;	/* wide: comma-separated columns to ignore */
	const char *unit;	/* unit for every record, or NULL */
};

void csv_defaults(struct csv_opts *o);

struct src_csv;

/*
 * Open path ("-" for standard input) for tenant.  Option errors are
 * TWIN_EUSAGE, a missing file TWIN_EIO.
 */
struct src_csv *src_csv_open(const char *path, const struct csv_opts *o,
    const struct src_file_opts *fo, const char *tenant,
    struct twin_err *err);

/*
 * The next record into rec (reset first; no newline) and its time.  1 a
 * record, 0 the end, -1 an error: TWIN_EDATA for a bad row or cell (the
 * rest of the row is skipped; call again), TWIN_EIO or a fatal
 * TWIN_EDATA from the file (the next call returns 0), TWIN_EUSAGE when
 * the header lacks a named column (the next call returns 0).
 */
int src_csv_next(struct src_csv *c, struct buf *rec, int64_t *ts,
    struct twin_err *err);

/* Position of the last record or error, as src_file gives it. */
const char *src_csv_where(const struct src_csv *c);
long src_csv_lineno(const struct src_csv *c);

void src_csv_close(struct src_csv *c);

#endif
