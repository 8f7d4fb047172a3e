/*
 * win.c - event-time windows (see win.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "win.h"
#include "banned.h"

struct pend {
	int64_t ts;
	size_t n;
	struct pend *next;
	double v[];
};

struct win {
	struct win_cfg c;
	size_t n, hop;
	int64_t hop_dur_ns;
	int64_t tol_ns;
	/* waveform */
	double *x;
	size_t fill;
	int in_seg;
	int64_t seg_t0;
	uint64_t seg_idx;	/* samples of the segment taken so far */
	uint64_t buf_idx;	/* segment index of x[0] */
	uint64_t skip;		/* samples to skip for alignment */
	/* scalar */
	double *sv;
	int64_t *st;
	unsigned char *sgap;	/* a gap precedes this sample */
	double *tsec;
	size_t sh, sn, scap;
	int have_cur;
	int64_t cur_start;
	int64_t last_t;
	int64_t min_dt;
	int any;
	/* records held for lateness */
	struct pend *pend;
	int64_t max_ts;
	size_t npend_vals;
	/* data quality since the last window */
	int64_t span_start;
	uint64_t rcv, gaps, late;
	struct win_totals tot;
};

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t
idx_time(const struct win *w, uint64_t idx)
{
	return w->seg_t0 + (int64_t)llround((double)idx * 1e9 / w->c.rate_hz);
}

struct win *
win_new(const struct win_cfg *cfg, struct twin_err *err)
{
	struct win *w;
	double n, hop;

	w = xcalloc(1, sizeof(*w));
	w->c = *cfg;
	w->span_start = INT64_MAX;
	w->max_ts = INT64_MIN;
	w->tol_ns = cfg->tol_ns;
	if (cfg->rate_hz > 0) {
		if (cfg->by_count) {
			n = (double)cfg->n;
			hop = (double)cfg->hop_n;
		} else {
			n = round((double)cfg->len_ns * cfg->rate_hz / 1e9);
			hop = round((double)cfg->hop_ns * cfg->rate_hz / 1e9);
		}
		if (!(n >= 16 && n <= (double)(1u << 24)) || !(hop >= 1) ||
		    hop > n) {
			err_set(err, TWIN_EDATA, "window of %.0f samples (hop "
			    "%.0f) at %g Hz is out of range (16-16777216)",
			    n, hop, cfg->rate_hz);
			free(w);
			return NULL;
		}
		w->n = (size_t)n;
		w->hop = (size_t)hop;
		w->hop_dur_ns = (int64_t)llround(hop * 1e9 / cfg->rate_hz);
		if (w->hop_dur_ns < 1)
			w->hop_dur_ns = 1;
		/* Half a sample period is always allowed as jitter. */
		if ((double)w->tol_ns < 0.5e9 / cfg->rate_hz)
			w->tol_ns = (int64_t)(0.5e9 / cfg->rate_hz);
		w->x = xmalloc(w->n * sizeof(double));
	} else if (cfg->by_count || cfg->len_ns <= 0 || cfg->hop_ns <= 0 ||
	    cfg->hop_ns > cfg->len_ns) {
		err_set(err, TWIN_EDATA, "a scalar series needs a window by "
		    "duration");
		free(w);
		return NULL;
	}
	return w;
}

void
win_free(struct win *w)
{
	struct pend *p, *next;

	if (w == NULL)
		return;
	for (p = w->pend; p != NULL; p = next) {
		next = p->next;
		free(p);
	}
	free(w->tsec);
	free(w->sgap);
	free(w->st);
	free(w->sv);
	free(w->x);
	free(w);
}

size_t
win_size(const struct win *w)
{
	return w->n;
}

void
win_totals(const struct win *w, struct win_totals *t)
{
	*t = w->tot;
}

size_t
win_bytes(const struct win *w)
{
	return sizeof(*w) + w->n * sizeof(double) +
	    w->scap * (2 * sizeof(double) + sizeof(int64_t) + 1) +
	    w->npend_vals * sizeof(double);
}

static void
seg_start(struct win *w, int64_t ts)
{
	w->in_seg = 1;
	w->seg_t0 = ts;
	w->seg_idx = 0;
	w->buf_idx = 0;
	w->fill = 0;
	w->skip = 0;
	if (w->c.align) {
		int64_t b = floordiv(ts, w->hop_dur_ns) * w->hop_dur_ns;
		double k;

		if (b < ts)
			b += w->hop_dur_ns;
		k = ceil((double)(b - ts) * w->c.rate_hz / 1e9 - 1e-6);
		w->skip = k > 0 ? (uint64_t)k : 0;
		w->buf_idx = w->skip;
	}
}

static int
emit_now(struct win *w, struct win_ready *r, win_emit_fn emit, void *arg,
    struct twin_err *err)
{
	r->received = w->rcv;
	r->gaps = w->gaps;
	r->late = w->late;
	w->rcv = w->gaps = w->late = 0;
	w->tot.windows++;
	return emit(arg, r, err);
}

static int
wave_release(struct win *w, int64_t ts, const double *v, size_t n,
    win_emit_fn emit, void *arg, struct twin_err *err)
{
	struct win_ready r;
	int64_t expect, from;
	size_t i = 0, k;

	if (w->in_seg) {
		expect = idx_time(w, w->seg_idx);
		if (ts < expect - w->tol_ns) {
			w->late++;
			w->tot.late++;
			return 1;
		}
		if (ts > expect + w->tol_ns) {
			if (w->c.bursts && w->fill == 0 && w->skip == 0)
				w->span_start = INT64_MAX;
			else {
				w->gaps++;
				w->tot.gaps++;
			}
			w->tot.dropped += w->fill;
			seg_start(w, ts);
		}
	} else
		seg_start(w, ts);
	if (w->span_start == INT64_MAX)
		w->span_start = ts;
	w->tot.received += n;
	if (w->skip > 0) {
		k = w->skip < n ? (size_t)w->skip : n;
		w->skip -= k;
		w->seg_idx += k;
		w->rcv += k;
		w->tot.dropped += k;
		i = k;
	}
	while (i < n) {
		k = w->n - w->fill;
		if (k > n - i)
			k = n - i;
		memcpy(w->x + w->fill, v + i, k * sizeof(double));
		w->fill += k;
		w->seg_idx += k;
		w->rcv += k;
		i += k;
		if (w->fill < w->n)
			break;
		memset(&r, 0, sizeof(r));
		r.x = w->x;
		r.n = w->n;
		r.start = idx_time(w, w->buf_idx);
		r.end = idx_time(w, w->buf_idx + w->n);
		from = w->span_start < r.end ? w->span_start : r.start;
		r.expected = (uint64_t)llround((double)(r.end - from) *
		    w->c.rate_hz / 1e9);
		w->span_start = r.end;
		if (emit_now(w, &r, emit, arg, err) < 0)
			return -1;
		memmove(w->x, w->x + w->hop, (w->n - w->hop) * sizeof(double));
		w->fill = w->n - w->hop;
		w->buf_idx += w->hop;
	}
	return 0;
}

/* Drop scalar samples before t. */
static void
scalar_trim(struct win *w, int64_t t)
{
	while (w->sh < w->sn && w->st[w->sh] < t)
		w->sh++;
	if (w->sh == w->sn)
		w->sh = w->sn = 0;
	else if (w->sh > w->sn / 2) {
		size_t m = w->sn - w->sh;

		memmove(w->sv, w->sv + w->sh, m * sizeof(double));
		memmove(w->st, w->st + w->sh, m * sizeof(int64_t));
		memmove(w->sgap, w->sgap + w->sh, m);
		w->sh = 0;
		w->sn = m;
	}
}

static int
scalar_close(struct win *w, win_emit_fn emit, void *arg,
    struct twin_err *err)
{
	struct win_ready r;
	int64_t end = w->cur_start + w->c.len_ns;
	double p;
	size_t i, m = 0;
	uint64_t gaps = 0;

	for (i = w->sh; i < w->sn && w->st[i] < end; i++) {
		w->tsec[m] = (double)(w->st[i] - w->cur_start) / 1e9;
		if (w->sgap[i])
			gaps++;
		m++;
	}
	if (m == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.x = w->sv + w->sh;
	r.t = w->tsec;
	r.n = m;
	r.start = w->cur_start;
	r.end = end;
	p = w->c.nominal_hz > 0 ? 1e9 / w->c.nominal_hz :
	    (w->min_dt > 0 ? (double)w->min_dt : 0);
	r.expected = p > 0 ? (uint64_t)llround((double)w->c.len_ns / p) : m;
	/* Scalar windows may overlap: gaps inside each are its own. */
	r.received = m;
	r.gaps = gaps;
	r.late = w->late;
	w->rcv = w->gaps = w->late = 0;
	w->tot.windows++;
	return emit(arg, &r, err);
}

static int
scalar_release(struct win *w, int64_t ts, double v, win_emit_fn emit,
    void *arg, struct twin_err *err)
{
	int64_t k, dt;
	double p;
	int gap = 0;

	if (w->any && ts <= w->last_t) {
		w->late++;
		w->tot.late++;
		return 1;
	}
	if (!w->have_cur) {
		k = floordiv(ts - w->c.len_ns, w->c.hop_ns) + 1;
		w->cur_start = k * w->c.hop_ns;
		w->have_cur = 1;
	}
	while (ts >= w->cur_start + w->c.len_ns) {
		if (scalar_close(w, emit, arg, err) < 0)
			return -1;
		w->cur_start += w->c.hop_ns;
		scalar_trim(w, w->cur_start);
		if (w->sn == w->sh) {
			k = floordiv(ts - w->c.len_ns, w->c.hop_ns) + 1;
			if (k * w->c.hop_ns > w->cur_start)
				w->cur_start = k * w->c.hop_ns;
		}
	}
	if (w->any) {
		dt = ts - w->last_t;
		p = w->c.nominal_hz > 0 ? 1e9 / w->c.nominal_hz :
		    (double)w->min_dt;
		if (p > 0 && (double)dt > 2 * p + (double)w->tol_ns) {
			gap = 1;
			w->gaps++;
			w->tot.gaps++;
		}
		if (w->min_dt == 0 || dt < w->min_dt)
			w->min_dt = dt;
	}
	if (w->sn == w->scap) {
		w->scap = w->scap ? 2 * w->scap : 64;
		w->sv = xrealloc(w->sv, w->scap * sizeof(double));
		w->st = xrealloc(w->st, w->scap * sizeof(int64_t));
		w->sgap = xrealloc(w->sgap, w->scap);
		w->tsec = xrealloc(w->tsec, w->scap * sizeof(double));
	}
	w->sv[w->sn] = v;
	w->st[w->sn] = ts;
	w->sgap[w->sn] = (unsigned char)gap;
	w->sn++;
	w->any = 1;
	w->last_t = ts;
	w->rcv++;
	w->tot.received++;
	return 0;
}

static int
release(struct win *w, int64_t ts, const double *v, size_t n,
    win_emit_fn emit, void *arg, struct twin_err *err)
{
	if (w->c.rate_hz > 0)
		return wave_release(w, ts, v, n, emit, arg, err);
	return scalar_release(w, ts, v[0], emit, arg, err);
}

/* Late already: older than what has been released. */
static int
is_late(const struct win *w, int64_t ts)
{
	if (w->c.rate_hz > 0)
		return w->in_seg && ts < idx_time(w, w->seg_idx) - w->tol_ns;
	return w->any && ts <= w->last_t;
}

static int
release_ready(struct win *w, int all, win_emit_fn emit, void *arg,
    struct twin_err *err)
{
	struct pend *p;
	int rc;

	while ((p = w->pend) != NULL &&
	    (all || p->ts <= w->max_ts - w->c.lateness_ns)) {
		w->pend = p->next;
		w->npend_vals -= p->n;
		rc = release(w, p->ts, p->v, p->n, emit, arg, err);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
win_push(struct win *w, int64_t ts, const double *v, size_t n,
    win_emit_fn emit, void *arg, struct twin_err *err)
{
	struct pend *p, **pp;

	if (n == 0)
		return 0;
	if (is_late(w, ts)) {
		w->late++;
		w->tot.late++;
		return 1;
	}
	if (w->c.lateness_ns <= 0 && w->pend == NULL)
		return release(w, ts, v, n, emit, arg, err) < 0 ? -1 : 0;
	p = xmalloc(sizeof(*p) + n * sizeof(double));
	p->ts = ts;
	p->n = n;
	memcpy(p->v, v, n * sizeof(double));
	for (pp = &w->pend; *pp != NULL && (*pp)->ts <= ts; pp = &(*pp)->next)
		;
	p->next = *pp;
	*pp = p;
	w->npend_vals += n;
	if (ts > w->max_ts)
		w->max_ts = ts;
	return release_ready(w, 0, emit, arg, err);
}

int
win_finish(struct win *w, win_emit_fn emit, void *arg, struct twin_err *err)
{
	if (release_ready(w, 1, emit, arg, err) < 0)
		return -1;
	if (w->c.rate_hz > 0)
		w->tot.dropped += w->fill;
	else
		w->tot.dropped += w->sn - w->sh;
	return 0;
}
