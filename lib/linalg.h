/*
 * linalg.h - the small dense linear algebra and statistics the health
 * model needs: Cholesky factors of covariance matrices of a few dozen
 * features, the Ledoit-Wolf shrunk covariance, quantiles, and the chi-square
 * distribution function used to calibrate distances into scores.
 *
 * Matrices are row-major arrays of doubles owned by the caller; nothing here
 * allocates except la_ledoit_wolf (a scratch row) and la_quantile_copy.
 */
#ifndef TWIN_LINALG_H
#define TWIN_LINALG_H

#include <stddef.h>

/*
 * Factor the symmetric positive definite n x n matrix a in place into its
 * lower Cholesky factor L (a = L L'); the upper triangle is zeroed.
 * Returns -1 when a is not positive definite.
 */
int la_cholesky(double *a, size_t n);

/* Solve L L' x = b with the factor from la_cholesky; x may be b. */
void la_chol_solve(const double *l, size_t n, const double *b, double *x);

/* Solve L y = b (forward substitution); y may be b. */
void la_forward(const double *l, size_t n, const double *b, double *y);

/*
 * Ledoit-Wolf shrinkage of the covariance of the n x p data x (rows are
 * observations): mean[p] receives the column means, cov[p*p] the shrunk
 * covariance (1 - s) S + s mu I with S the maximum-likelihood covariance
 * (divisor n) and mu = trace(S) / p, and *shrink the coefficient s, as
 * Ledoit and Wolf (2004) estimate it.  Returns -1 when n < 2.
 */
int la_ledoit_wolf(const double *x, size_t n, size_t p, double *mean,
    double *cov, double *shrink);

/*
 * Quantile q (0..1) of the n values in sorted (ascending) order, linear
 * between order statistics (the "type 7" rule of R and numpy).
 */
double la_quantile_sorted(const double *sorted, size_t n, double q);

/* Sort v (n values) ascending in place. */
void la_sort(double *v, size_t n);

/*
 * The k-th smallest (from 0) of n > 0 values, by Hoare's selection in
 * expected O(n); v is reordered so that the values before place k are at
 * most, and those after at least, the one returned.
 */
double la_select(double *v, size_t n, size_t k);

/* Median of n values, by selection in O(n); v is reordered.  NaN if n == 0. */
double la_median(double *v, size_t n);

/* Regularised lower incomplete gamma function P(a, x), a > 0, x >= 0. */
double la_gamma_p(double a, double x);

/* Its complement Q(a, x) = 1 - P(a, x), accurate when P is near 1. */
double la_gamma_q(double a, double x);

/* Chi-square distribution function with k degrees of freedom. */
double la_chi2_cdf(double x, double k);

/* Upper tail of the chi-square distribution: 1 - la_chi2_cdf(x, k). */
double la_chi2_sf(double x, double k);

#endif
