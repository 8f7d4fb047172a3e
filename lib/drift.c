/* drift.c - population stability index against training deciles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "drift.h"
#include "banned.h"

void
drift_init(struct drift *d, size_t p, size_t nbins, const double *edges)
{
	d->p = p;
	d->nbins = nbins;
	d->edges = edges;
	d->count = xcalloc(p * nbins, sizeof(*d->count));
	d->n = xcalloc(p, sizeof(*d->n));
	d->start = INT64_MIN;
}

void
drift_free(struct drift *d)
{
	free(d->count);
	free(d->n);
	memset(d, 0, sizeof(*d));
}

void
drift_reset(struct drift *d, int64_t start)
{
	memset(d->count, 0, d->p * d->nbins * sizeof(*d->count));
	memset(d->n, 0, d->p * sizeof(*d->n));
	d->start = start;
}

void
drift_add(struct drift *d, const double *dev)
{
	size_t i, b, ne = d->nbins - 1;

	for (i = 0; i < d->p; i++) {
		if (isnan(dev[i]))
			continue;
		for (b = 0; b < ne && dev[i] > d->edges[i * ne + b]; b++)
			;
		d->count[i * d->nbins + b]++;
		d->n[i]++;
	}
}

double
drift_psi(const struct drift *d, size_t i)
{
	double e = 1.0 / (double)d->nbins, a, psi = 0;
	size_t b;

	if (d->n[i] == 0)
		return NAN;
	for (b = 0; b < d->nbins; b++) {
		a = (double)d->count[i * d->nbins + b] / (double)d->n[i];
		if (a < 1e-4)
			a = 1e-4;
		psi += (a - e) * log(a / e);
	}
	return psi;
}

int64_t
drift_window_start(int64_t t, int64_t w)
{
	int64_t q = t / w;

	if (t % w != 0 && t < 0)
		q--;
	return q * w;
}
