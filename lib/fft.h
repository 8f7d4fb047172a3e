/*
 * fft.h - FFTW plans and the transforms twin-feature needs.
 *
 * A struct fft keeps one set of plans per transform size, made the first
 * time that size is asked for and kept until fft_free().  Plans are made
 * with FFTW_ESTIMATE: FFTW_MEASURE times candidate algorithms and may pick
 * a different one on each run, and different algorithms round
 * differently, so the same input would not always give the same bytes.
 * Every transform runs on the plan's own (FFTW-aligned) arrays, which the
 * caller fills and reads in place, so the codelets used never depend on
 * the caller's alignment either.
 *
 * Spectra are unnormalised, as FFTW computes them: X[k] = sum x[j]
 * exp(-2 pi i j k / n).  The caller scales.
 *
 * The struct owns its plans and arrays; fft_free() releases them.  It is
 * not thread-safe (FFTW planning is not).
 */
#ifndef TWIN_FFT_H
#define TWIN_FFT_H

#include <stddef.h>

#include "err.h"

struct fft;

struct fft *fft_new(void);
void fft_free(struct fft *f);

/*
 * Real forward transform without copies: fft_in() returns the plan's input
 * array for size n (NULL, TWIN_ENOMEM, if FFTW cannot plan), the caller
 * fills its n values, and fft_run() transforms them and returns the n/2+1
 * bins interleaved (re, im, re, im, ...).  Both arrays belong to the plan
 * and hold until the next transform of that size; fft_run() must follow
 * fft_in() of the same size with no other transform between.
 */
double *fft_in(struct fft *f, size_t n, struct twin_err *err);
double *fft_run(struct fft *f, size_t n);

/*
 * Squared envelope of a band, as a spectrum.  Bins k with lo <= k <= hi
 * (0 < lo, hi < n/2) of the spectrum x (n/2+1 bins, interleaved) are
 * doubled, all others zeroed: the analytic signal z of the band.  Its
 * squared envelope e[j] = |z[j]|^2 / n^2 (j in 0..n-1, in the units of the
 * signal squared) is never formed at n points: |z|^2 does not change when
 * the band is shifted down to bins 0..b (b = hi - lo), and then holds only
 * bins -b..b, so m >= 2b + 2 samples of it (m the next power of two, at
 * most n) determine its transform exactly.  Returns the first *nz = m/2+1
 * bins of the n-point transform E of e, interleaved, each divided by
 * *gain = n/m; every bin from *nz to n/2 is zero.  The array belongs to
 * the plan of size m (as fft_run()'s); NULL (TWIN_ENOMEM) if FFTW cannot
 * plan.
 */
double *fft_sq_envelope(struct fft *f, const double *x, size_t n, size_t lo,
    size_t hi, size_t *nz, double *gain, struct twin_err *err);

/* Number of distinct sizes planned so far (for tests). */
size_t fft_nplans(const struct fft *f);

#endif
