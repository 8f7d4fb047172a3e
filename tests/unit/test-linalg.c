/* test-linalg.c - Cholesky, Ledoit-Wolf, quantiles and chi-square against
 * known values (scipy.stats.chi2 and sklearn.covariance.LedoitWolf). */
#include <math.h>
#include <stdlib.h>

#include "linalg.h"
#include "t.h"

static int
near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fabs(b) + 1e-300;
}

int
main(void)
{
	double a[9] = { 4, 12, -16, 12, 37, -43, -16, -43, 98 };
	double l[9] = { 2, 0, 0, 6, 1, 0, -8, 5, 3 };
	double b[3] = { 1, 2, 3 }, x[3], r;
	double np[4] = { 1, 0.5, 0.5, -1 };	/* not positive definite */
	double d[18] = { 1, 2, 0.5, 2, 1, 0.1, 3, 5, 0.7, 0, 1, 0.2, 4, 3,
		0.9, 2, 2, 0.3 };
	double skcov[9] = { 1.4868899374493683, 0.7057944818980074,
		0.16132445300525883, 0.7057944818980074, 1.6213269816204174,
		0.1814900096309162, 0.16132445300525883, 0.1814900096309162,
		0.5265053031524367 };
	double mean[3], cov[9], shrink, q[4] = { 4, 1, 3, 2 };
	double a0[9] = { 4, 12, -16, 12, 37, -43, -16, -43, 98 };
	int i, ok;

	T_OK(la_cholesky(a, 3) == 0, "cholesky of an SPD matrix succeeds");
	ok = 1;
	for (i = 0; i < 9; i++)
		ok &= fabs(a[i] - l[i]) < 1e-12;
	T_OK(ok, "cholesky factor is the known one");
	la_chol_solve(a, 3, b, x);
	ok = 1;
	for (i = 0; i < 3; i++) {
		r = a0[i * 3] * x[0] + a0[i * 3 + 1] * x[1] + a0[i * 3 + 2] *
		    x[2];
		ok &= fabs(r - b[i]) < 1e-9;
	}
	T_OK(ok, "chol_solve solves A x = b");
	T_OK(la_cholesky(np, 2) == -1, "cholesky refuses an indefinite "
	    "matrix");
	T_OK(la_ledoit_wolf(d, 6, 3, mean, cov, &shrink) == 0,
	    "ledoit-wolf runs");
	T_OK(near(shrink, 0.3950333012302793, 1e-12),
	    "ledoit-wolf shrinkage = sklearn's");
	ok = 1;
	for (i = 0; i < 9; i++)
		ok &= near(cov[i], skcov[i], 1e-12);
	T_OK(ok, "ledoit-wolf covariance = sklearn's");
	T_OK(near(mean[1], 2.3333333333333335, 1e-15), "ledoit-wolf location");
	T_OK(la_ledoit_wolf(d, 1, 3, mean, cov, &shrink) == -1,
	    "ledoit-wolf needs two rows");
	la_sort(q, 4);
	T_OK(q[0] == 1 && q[3] == 4, "sort");
	T_OK(la_quantile_sorted(q, 4, 0.25) == 1.75, "quantile type 7");
	T_OK(la_quantile_sorted(q, 4, 1.0) == 4 &&
	    la_quantile_sorted(q, 4, 0.0) == 1, "quantile ends");
	T_OK(la_median(q, 4) == 2.5, "median of an even count");
	T_OK(isnan(la_median(q, 0)), "median of nothing is NaN");
	T_OK(near(la_chi2_cdf(3.84, 1), 0.9499564787512949, 1e-12),
	    "chi2 cdf(3.84, 1) = scipy");
	T_OK(near(la_chi2_sf(20, 10), 0.029252688076961124, 1e-11),
	    "chi2 sf(20, 10) = scipy");
	T_OK(near(la_chi2_cdf(10, 10), 0.5595067149347879, 1e-12),
	    "chi2 cdf(10, 10) = scipy");
	T_OK(near(la_chi2_sf(200, 19), 3.4047651393116526e-32, 1e-9),
	    "chi2 far tail sf(200, 19) = scipy");
	T_OK(near(la_chi2_cdf(0.5, 30), 5.634558720450966e-22, 1e-9),
	    "chi2 near zero cdf(0.5, 30) = scipy");
	T_OK(la_chi2_cdf(0, 3) == 0 && la_chi2_sf(INFINITY, 3) == 0,
	    "chi2 at the ends");
	return T_DONE();
}
