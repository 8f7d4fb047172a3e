/*
 * win.h - event-time windows over one stream (one asset's channel).
 *
 * A stream is either a waveform (blocks of samples at a fixed rate, the
 * time of sample i being ts + i/rate) or a scalar series (one value per
 * record, each with its own time).
 *
 * Waveform windows hold n samples and advance by hop samples (hop <= n)
 * within a segment: a run of blocks each starting where the one before
 * ended, within the tolerance.  A block that starts later than that opens
 * a new segment: the partial window before the gap is dropped, never
 * joined to data after it, and the gap is counted.  With align set, the
 * first window of a segment starts at the first sample at or after a
 * multiple of the hop's duration since the epoch.  With bursts set
 * (snapshot acquisition: one block every so often), a gap that loses no
 * partial window is expected and not counted.
 *
 * Scalar windows are [k*hop, k*hop + length) in event time, k an integer,
 * and close when a sample at or after their end arrives.  A window that
 * holds an interval longer than twice the nominal period (1/rate when
 * known, else the shortest interval seen) reports a gap.
 *
 * Lateness: records are held up to the allowed lateness and released in
 * event-time order, so that disorder within it does not change the
 * output.  A record older than what was already released (a duplicate,
 * or disorder beyond the lateness) is late: it is dropped and counted.
 *
 * The caller owns the struct win and frees it with win_free().  Window
 * data passed to the callback are borrowed for the call only.
 */
#ifndef TWIN_WIN_H
#define TWIN_WIN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct win_cfg {
	int by_count;
	size_t n, hop_n;	/* by_count */
	int64_t len_ns, hop_ns;	/* by duration */
	int align;
	int bursts;		/* gaps between whole windows are expected */
	int64_t tol_ns;
	int64_t lateness_ns;
	double rate_hz;		/* waveform rate; 0: a scalar series */
	double nominal_hz;	/* scalar: expected rate, 0 if unknown */
};

struct win_ready {
	const double *x;
	const double *t;	/* scalar: seconds from start; else NULL */
	size_t n;
	int64_t start, end;	/* end is exclusive */
	uint64_t expected, received, gaps, late;
};

typedef int (*win_emit_fn)(void *arg, const struct win_ready *w,
    struct twin_err *err);

struct win;

/*
 * A new stream.  For a waveform, a duration window is converted to a
 * sample count at cfg->rate_hz; a count outside 16..2^24 is TWIN_EDATA.
 */
struct win *win_new(const struct win_cfg *cfg, struct twin_err *err);
void win_free(struct win *w);

/*
 * Add a waveform block (n >= 1 values starting at ts) or a scalar value
 * (n == 1, for a scalar stream).  Complete windows are passed to emit; an
 * error from emit is returned.  Returns 1 when the record was late (and
 * dropped), 0 otherwise.
 */
int win_push(struct win *w, int64_t ts, const double *v, size_t n,
    win_emit_fn emit, void *arg, struct twin_err *err);

/* End of input: release held records; incomplete windows are dropped. */
int win_finish(struct win *w, win_emit_fn emit, void *arg,
    struct twin_err *err);

/* Window length and hop in samples (waveform) for messages and tests. */
size_t win_size(const struct win *w);

/* Totals over the stream's life. */
struct win_totals {
	uint64_t received, windows, gaps, late, dropped;
};
void win_totals(const struct win *w, struct win_totals *t);

/* Bytes held (for memory accounting). */
size_t win_bytes(const struct win *w);

#endif
