/*
 * drift.h - distribution shift of features or scores against a model's
 * training reference, by the population stability index (PSI).
 *
 * The reference is the deciles of each feature's scaled deviation in the
 * training data (struct model_class dedge), or for the calibrated scores
 * the tenths 0.1 .. 0.9, so each of the ten bins held a tenth of the
 * training windows.  A drift window counts the windows of
 * one event-time period in the same bins; PSI = sum over bins of
 * (a - e) ln(a / e), with a floored at 1e-4 so that an empty bin counts
 * as a large but finite shift.  Common practice reads PSI < 0.1 as
 * stable, 0.1-0.25 as a moderate and > 0.25 as a significant shift.
 */
#ifndef TWIN_DRIFT_H
#define TWIN_DRIFT_H

#include <stddef.h>
#include <stdint.h>

struct drift {
	size_t p, nbins;
	const double *edges;	/* p x (nbins - 1), borrowed */
	size_t *count;		/* p x nbins */
	size_t *n;		/* p: values counted per feature */
	int64_t start;		/* window start (event time, ns) */
};

void drift_init(struct drift *d, size_t p, size_t nbins,
    const double *edges);
void drift_free(struct drift *d);
void drift_reset(struct drift *d, int64_t start);
/* Count one window's deviations (p values, NaN when missing). */
void drift_add(struct drift *d, const double *dev);
/* PSI of feature i over the values counted; NaN when none. */
double drift_psi(const struct drift *d, size_t i);
/* Start of the tumbling window of length w holding t. */
int64_t drift_window_start(int64_t t, int64_t w);

#endif
