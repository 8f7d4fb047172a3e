/* linalg.c - Cholesky, Ledoit-Wolf, quantiles, chi-square; see linalg.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "linalg.h"
#include "banned.h"

int
la_cholesky(double *a, size_t n)
{
	size_t i, j, k;
	double s;

	for (j = 0; j < n; j++) {
		s = a[j * n + j];
		for (k = 0; k < j; k++)
			s -= a[j * n + k] * a[j * n + k];
		if (!(s > 0) || !isfinite(s))
			return -1;
		a[j * n + j] = sqrt(s);
		for (i = j + 1; i < n; i++) {
			s = a[i * n + j];
			for (k = 0; k < j; k++)
				s -= a[i * n + k] * a[j * n + k];
			a[i * n + j] = s / a[j * n + j];
		}
		for (k = j + 1; k < n; k++)
			a[j * n + k] = 0;
	}
	return 0;
}

void
la_forward(const double *l, size_t n, const double *b, double *y)
{
	size_t i, k;
	double s;

	for (i = 0; i < n; i++) {
		s = b[i];
		for (k = 0; k < i; k++)
			s -= l[i * n + k] * y[k];
		y[i] = s / l[i * n + i];
	}
}

void
la_chol_solve(const double *l, size_t n, const double *b, double *x)
{
	size_t i, k;
	double s;

	la_forward(l, n, b, x);
	for (i = n; i-- > 0;) {
		s = x[i];
		for (k = i + 1; k < n; k++)
			s -= l[k * n + i] * x[k];
		x[i] = s / l[i * n + i];
	}
}

int
la_ledoit_wolf(const double *x, size_t n, size_t p, double *mean,
    double *cov, double *shrink)
{
	double *c, *sq, mu, beta, delta, d, tr, s2;
	size_t r, i, j;

	if (n < 2 || p == 0)
		return -1;
	memset(mean, 0, p * sizeof(*mean));
	memset(cov, 0, p * p * sizeof(*cov));
	for (r = 0; r < n; r++)
		for (i = 0; i < p; i++)
			mean[i] += x[r * p + i];
	for (i = 0; i < p; i++)
		mean[i] /= (double)n;
	c = xmalloc(p * sizeof(*c));
	/* sq accumulates X2' X2 (the fourth moments), needed for beta. */
	sq = xcalloc(p * p, sizeof(*sq));
	for (r = 0; r < n; r++) {
		for (i = 0; i < p; i++)
			c[i] = x[r * p + i] - mean[i];
		for (i = 0; i < p; i++)
			for (j = 0; j <= i; j++) {
				cov[i * p + j] += c[i] * c[j];
				sq[i * p + j] += c[i] * c[i] * c[j] * c[j];
			}
	}
	tr = 0;
	for (i = 0; i < p; i++)
		for (j = 0; j <= i; j++) {
			cov[i * p + j] /= (double)n;
			cov[j * p + i] = cov[i * p + j];
			sq[j * p + i] = sq[i * p + j];
		}
	for (i = 0; i < p; i++)
		tr += cov[i * p + i];
	mu = tr / (double)p;
	/* delta: squared distance of S from mu I; beta: its estimation noise */
	s2 = 0;
	beta = 0;
	for (i = 0; i < p * p; i++) {
		s2 += cov[i] * cov[i];
		beta += sq[i];
	}
	beta = (beta / (double)n - s2) / (double)n / (double)p;
	delta = (s2 - 2 * mu * tr + (double)p * mu * mu) / (double)p;
	if (beta > delta)
		beta = delta;
	d = (beta == 0 || delta == 0) ? 0 : beta / delta;
	for (i = 0; i < p; i++)
		for (j = 0; j < p; j++)
			cov[i * p + j] = (1 - d) * cov[i * p + j] +
			    (i == j ? d * mu : 0);
	*shrink = d;
	free(c);
	free(sq);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
la_sort(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double
la_quantile_sorted(const double *s, size_t n, double q)
{
	double h, f;
	size_t i;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return s[0];
	if (q >= 1)
		return s[n - 1];
	h = (double)(n - 1) * q;
	i = (size_t)floor(h);
	f = h - (double)i;
	if (i + 1 >= n)
		return s[n - 1];
	return s[i] + f * (s[i + 1] - s[i]);
}

double
la_select(double *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j;
	double pivot, t;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	return v[k];
}

double
la_median(double *v, size_t n)
{
	double a, b;
	size_t i;

	if (n == 0)
		return NAN;
	a = la_select(v, n, (n - 1) / 2);
	if (n % 2)
		return a;
	/* everything after the selected place is at least a: take the least */
	b = v[n / 2];
	for (i = n / 2 + 1; i < n; i++)
		if (v[i] < b)
			b = v[i];
	/* the same arithmetic as la_quantile_sorted(v, n, 0.5) */
	return a + 0.5 * (b - a);
}

/* Power series of P(a, x), converging well for x < a + 1. */
static double
gamma_series(double a, double x)
{
	double term = 1 / a, sum = term, ap = a;
	int i;

	for (i = 0; i < 10000; i++) {
		ap += 1;
		term *= x / ap;
		sum += term;
		if (fabs(term) < fabs(sum) * 1e-16)
			break;
	}
	return sum * exp(-x + a * log(x) - lgamma(a));
}

/* Continued fraction of Q(a, x) (modified Lentz), for x >= a + 1. */
static double
gamma_cfrac(double a, double x)
{
	const double tiny = 1e-300;
	double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d, an, del;
	int i;

	for (i = 1; i < 10000; i++) {
		an = -i * (i - a);
		b += 2;
		d = an * d + b;
		if (fabs(d) < tiny)
			d = tiny;
		c = b + an / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return exp(-x + a * log(x) - lgamma(a)) * h;
}

double
la_gamma_p(double a, double x)
{
	if (!(x > 0))
		return 0;
	if (isinf(x))
		return 1;
	if (x < a + 1)
		return gamma_series(a, x);
	return 1 - gamma_cfrac(a, x);
}

double
la_gamma_q(double a, double x)
{
	if (!(x > 0))
		return 1;
	if (isinf(x))
		return 0;
	if (x < a + 1)
		return 1 - gamma_series(a, x);
	return gamma_cfrac(a, x);
}

double
la_chi2_cdf(double x, double k)
{
	return la_gamma_p(k / 2, x / 2);
}

double
la_chi2_sf(double x, double k)
{
	return la_gamma_q(k / 2, x / 2);
}
