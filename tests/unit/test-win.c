/*
 * test-win.c - event-time windows: counts, hops, gaps, alignment, late
 * records, lateness, scalar windows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "tm.h"
#include "win.h"

#define MAXW 64

struct got {
	size_t n;
	struct {
		int64_t start, end;
		size_t n;
		double first, last;
		uint64_t expected, received, gaps, late;
	} w[MAXW];
};

static int
collect(void *arg, const struct win_ready *r, struct twin_err *err)
{
	struct got *g = arg;

	(void)err;
	if (g->n == MAXW)
		return 0;
	g->w[g->n].start = r->start;
	g->w[g->n].end = r->end;
	g->w[g->n].n = r->n;
	g->w[g->n].first = r->x[0];
	g->w[g->n].last = r->x[r->n - 1];
	g->w[g->n].expected = r->expected;
	g->w[g->n].received = r->received;
	g->w[g->n].gaps = r->gaps;
	g->w[g->n].late = r->late;
	g->n++;
	return 0;
}

static struct win *
wave(size_t n, size_t hop, int align, int64_t lateness)
{
	struct win_cfg c;

	memset(&c, 0, sizeof(c));
	c.by_count = 1;
	c.n = n;
	c.hop_n = hop;
	c.align = align;
	c.tol_ns = TM_NS_PER_MS;
	c.lateness_ns = lateness;
	c.rate_hz = 1000;
	return win_new(&c, NULL);
}

/* A block of len samples numbered from first, at 1 kHz from t0 + first ms. */
static void
push(struct win *w, int64_t t0, int first, size_t len, struct got *g)
{
	double v[256];
	size_t i;

	for (i = 0; i < len; i++)
		v[i] = first + (double)i;
	win_push(w, t0 + (int64_t)first * TM_NS_PER_MS, v, len, collect, g,
	    NULL);
}

int
main(void)
{
	int64_t t0 = 1795000000LL * TM_NS_PER_S;
	struct win_totals tot;
	struct win_cfg c;
	struct got g;
	struct win *w;
	double v;
	int i;

	/* Count windows with hop: 16 samples, hop 8, from 40 samples. */
	memset(&g, 0, sizeof(g));
	w = wave(16, 8, 0, 0);
	push(w, t0, 0, 10, &g);
	push(w, t0, 10, 30, &g);
	T_OK(g.n == 4, "40 samples make 4 windows of 16 at hop 8");
	T_OK(g.w[1].first == 8 && g.w[1].last == 23, "second window 8..23");
	T_OK(g.w[0].start == t0 && g.w[0].end == t0 + 16 * TM_NS_PER_MS,
	    "window times from the sample times");
	T_OK(g.w[0].expected == 16 && g.w[1].expected == 8 &&
	    g.w[1].received == 8, "expected and received per hop");
	win_free(w);

	/* A gap drops the partial window and is counted. */
	memset(&g, 0, sizeof(g));
	w = wave(16, 16, 0, 0);
	push(w, t0, 0, 10, &g);
	push(w, t0, 50, 16, &g);
	T_OK(g.n == 1 && g.w[0].first == 50, "nothing merged across a gap");
	T_OK(g.w[0].gaps == 1 && g.w[0].expected == 66 &&
	    g.w[0].received == 26, "the gap shows in expected and received");
	win_totals(w, &tot);
	T_OK(tot.dropped == 10 && tot.gaps == 1, "dropped samples counted");
	/* A duplicate is late; an overlap within the tolerance is not. */
	push(w, t0, 50, 16, &g);
	push(w, t0, 66, 16, &g);
	T_OK(g.n == 2 && g.w[1].late == 1, "a duplicate block is late");
	win_free(w);

	/* Alignment: windows start on multiples of the hop's duration. */
	memset(&g, 0, sizeof(g));
	w = wave(16, 16, 1, 0);
	push(w, t0, 5, 40, &g);
	T_OK(g.n == 1 && g.w[0].start % (16 * TM_NS_PER_MS) == 0 &&
	    g.w[0].first == 16 && g.w[0].received == 27,
	    "aligned windows start at 16 ms multiples");
	win_free(w);

	/* Lateness: disorder within it gives the in-order result. */
	memset(&g, 0, sizeof(g));
	w = wave(16, 16, 0, 20 * TM_NS_PER_MS);
	push(w, t0, 8, 8, &g);
	push(w, t0, 0, 8, &g);
	push(w, t0, 24, 8, &g);
	push(w, t0, 16, 8, &g);
	win_finish(w, collect, &g, NULL);
	T_OK(g.n == 2 && g.w[0].first == 0 && g.w[1].last == 31 &&
	    g.w[0].late == 0 && g.w[0].gaps == 0,
	    "disorder within the lateness is reordered");
	win_free(w);
	memset(&g, 0, sizeof(g));
	w = wave(16, 16, 0, 0);
	push(w, t0, 8, 8, &g);
	push(w, t0, 0, 8, &g);
	win_totals(w, &tot);
	T_OK(tot.late == 1, "without lateness the older block is late");
	win_free(w);

	/* Windows of 3 samples are refused. */
	memset(&c, 0, sizeof(c));
	c.len_ns = 30 * TM_NS_PER_MS;
	c.hop_ns = c.len_ns;
	c.rate_hz = 100;
	T_OK(win_new(&c, NULL) == NULL, "a 3-sample window is refused");

	/* Scalar windows of 10 s aligned to the epoch. */
	memset(&c, 0, sizeof(c));
	c.len_ns = 10 * TM_NS_PER_S;
	c.hop_ns = 10 * TM_NS_PER_S;
	c.tol_ns = TM_NS_PER_MS;
	w = win_new(&c, NULL);
	memset(&g, 0, sizeof(g));
	for (i = 3; i < 45; i++) {
		if (i >= 20 && i < 27)
			continue;	/* a 7 s gap in the second window */
		v = i;
		win_push(w, t0 + (int64_t)i * TM_NS_PER_S, &v, 1, collect, &g,
		    NULL);
	}
	T_OK(g.n == 4, "scalar windows closed by later samples: %zu", g.n);
	T_OK(g.w[0].start == t0 && g.w[0].n == 7 && g.w[0].first == 3,
	    "first scalar window [0,10) s holds 3..9");
	T_OK(g.w[0].expected == 10 && g.w[0].received == 7,
	    "partial first window: 7 of 10");
	T_OK(g.w[2].gaps == 1 && g.w[2].n == 3, "gap inside a scalar window");
	v = 30;
	T_OK(win_push(w, t0 + 30 * TM_NS_PER_S, &v, 1, collect, &g, NULL) == 1,
	    "an old scalar sample is late");
	win_finish(w, collect, &g, NULL);
	win_totals(w, &tot);
	T_OK(tot.dropped == 5, "the open window is dropped at the end");
	win_free(w);
	return T_DONE();
}
