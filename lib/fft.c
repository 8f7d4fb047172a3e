/*
 * fft.c - FFTW plans made once per size, with FFTW_ESTIMATE (see fft.h).
 */
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "buf.h"
#include "fft.h"
#include "banned.h"

struct plan {
	size_t n;
	double *rin;		/* n reals */
	fftw_complex *rout;	/* n/2+1 bins */
	fftw_plan r2c;
	fftw_complex *cin;	/* n complex, made on first envelope */
	fftw_complex *cout;
	fftw_plan c2c;
	struct plan *next;
};

struct fft {
	struct plan *plans;
	size_t nplans;
};

struct fft *
fft_new(void)
{
	return xcalloc(1, sizeof(struct fft));
}

void
fft_free(struct fft *f)
{
	struct plan *p, *next;

	if (f == NULL)
		return;
	for (p = f->plans; p != NULL; p = next) {
		next = p->next;
		if (p->c2c != NULL)
			fftw_destroy_plan(p->c2c);
		fftw_free(p->cout);
		fftw_free(p->cin);
		if (p->r2c != NULL)
			fftw_destroy_plan(p->r2c);
		fftw_free(p->rout);
		fftw_free(p->rin);
		free(p);
	}
	free(f);
}

size_t
fft_nplans(const struct fft *f)
{
	return f->nplans;
}

static struct plan *
plan_get(struct fft *f, size_t n, struct twin_err *err)
{
	struct plan *p, **pp;

	/* Move a hit to the front: streams of one size dominate. */
	for (pp = &f->plans; (p = *pp) != NULL; pp = &p->next)
		if (p->n == n) {
			*pp = p->next;
			p->next = f->plans;
			f->plans = p;
			return p;
		}
	if (n < 2 || n > (size_t)1 << 30) {
		err_set(err, TWIN_EDATA, "transform size %zu out of range", n);
		return NULL;
	}
	p = xcalloc(1, sizeof(*p));
	p->n = n;
	p->rin = fftw_alloc_real(n);
	p->rout = fftw_alloc_complex(n / 2 + 1);
	if (p->rin == NULL || p->rout == NULL)
		goto fail;
	p->r2c = fftw_plan_dft_r2c_1d((int)n, p->rin, p->rout, FFTW_ESTIMATE);
	if (p->r2c == NULL)
		goto fail;
	p->next = f->plans;
	f->plans = p;
	f->nplans++;
	return p;
fail:
	fftw_free(p->rout);
	fftw_free(p->rin);
	free(p);
	err_set(err, TWIN_ENOMEM, "cannot plan a transform of size %zu", n);
	return NULL;
}

double *
fft_in(struct fft *f, size_t n, struct twin_err *err)
{
	struct plan *p = plan_get(f, n, err);

	return p == NULL ? NULL : p->rin;
}

double *
fft_run(struct fft *f, size_t n)
{
	struct plan *p = f->plans;

	/* fft_in() just moved this size's plan to the front */
	if (p == NULL || p->n != n)
		return NULL;
	fftw_execute(p->r2c);
	return &p->rout[0][0];
}

/* The complex transform of p's size, made on first use. */
static int
plan_c2c(struct plan *p, struct twin_err *err)
{
	if (p->c2c != NULL)
		return 0;
	p->cin = fftw_alloc_complex(p->n);
	p->cout = fftw_alloc_complex(p->n);
	if (p->cin == NULL || p->cout == NULL)
		return err_set(err, TWIN_ENOMEM,
		    "cannot allocate a transform of size %zu", p->n);
	p->c2c = fftw_plan_dft_1d((int)p->n, p->cin, p->cout, FFTW_BACKWARD,
	    FFTW_ESTIMATE);
	if (p->c2c == NULL)
		return err_set(err, TWIN_ENOMEM,
		    "cannot plan a transform of size %zu", p->n);
	return 0;
}

double *
fft_sq_envelope(struct fft *f, const double *x, size_t n, size_t lo,
    size_t hi, size_t *nz, double *gain, struct twin_err *err)
{
	struct plan *p;
	double s;
	size_t k, b, m;

	if (lo < 1)
		lo = 1;
	if (hi > (n - 1) / 2)
		hi = (n - 1) / 2;
	b = hi >= lo ? hi - lo : 0;
	/* the smallest power of two that holds -b..b with a zero on each
	 * side, or n itself */
	for (m = 4; m < 2 * b + 2; m *= 2)
		;
	if (m > n)
		m = n;
	if ((p = plan_get(f, m, err)) == NULL || plan_c2c(p, err) < 0)
		return NULL;
	memset(p->cin, 0, m * sizeof(fftw_complex));
	for (k = lo; k <= hi; k++) {
		p->cin[k - lo][0] = 2 * x[2 * k];
		p->cin[k - lo][1] = 2 * x[2 * k + 1];
	}
	fftw_execute(p->c2c);
	s = 1.0 / ((double)n * (double)n);
	for (k = 0; k < m; k++)
		p->rin[k] = (p->cout[k][0] * p->cout[k][0] +
		    p->cout[k][1] * p->cout[k][1]) * s;
	fftw_execute(p->r2c);
	/* m samples of a signal of bins -b..b give its coefficients
	 * exactly; an n-point transform has them n/m times larger */
	*gain = (double)n / (double)m;
	*nz = m / 2 + 1;
	return &p->rout[0][0];
}
