/*
 * feat.c - feature math (see feat.h and twin-feature(5) for formulas).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fft.h"
#include "feat.h"
#include "banned.h"

struct feat_ws {
	struct fft *fft;
	size_t cap;
	double *y;		/* finite, mean-removed copy */
	double *w;		/* Hann window of the current size */
	size_t wn;
	double wsum, wsq;
	double *re, *im;	/* spectrum of the Hann-windowed signal */
	double *ere, *eim;	/* spectrum of the unwindowed signal */
	double *env;		/* squared envelope */
	double *sre, *sim;	/* spectrum of the squared envelope */
	double *ses;		/* its amplitudes */
	double *tmp;		/* median scratch */
};

static const struct {
	const char *name;
	unsigned bits;
} bitnames[] = {
	{ "mean", FEAT_MEAN }, { "std", FEAT_STD }, { "rms", FEAT_RMS },
	{ "peak", FEAT_PEAK }, { "p2p", FEAT_P2P }, { "crest", FEAT_CREST },
	{ "kurtosis", FEAT_KURTOSIS }, { "skewness", FEAT_SKEWNESS },
	{ "shape", FEAT_SHAPE }, { "impulse", FEAT_IMPULSE },
	{ "clearance", FEAT_CLEARANCE }, { "min", FEAT_MIN },
	{ "max", FEAT_MAX }, { "slope", FEAT_SLOPE },
	{ "centroid", FEAT_CENTROID }, { "peak_hz", FEAT_PEAK_HZ },
	{ "bands", FEAT_BANDS }, { "orders", FEAT_ORDERS },
	{ "envelope", FEAT_ENVELOPE }, { "vel_rms", FEAT_VEL_RMS },
	{ "time", FEAT_TIME }, { "trend", FEAT_TREND },
	{ "spectral", FEAT_SPECTRAL }
};

unsigned
feat_bits(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bitnames) / sizeof(bitnames[0]); i++)
		if (strcmp(name, bitnames[i].name) == 0)
			return bitnames[i].bits;
	return 0;
}

void
feat_defects(const struct feat_bearing *b, struct feat_defects *d)
{
	double r = b->ball_d / b->pitch_d * cos(b->contact_deg * M_PI / 180);

	d->ftf = 0.5 * (1 - r);
	d->bpfo = b->balls * 0.5 * (1 - r);
	d->bpfi = b->balls * 0.5 * (1 + r);
	d->bsf = b->pitch_d / (2 * b->ball_d) * (1 - r * r);
}

char
feat_iso_zone(double v, const double lim[3])
{
	if (v <= lim[0])
		return 'A';
	if (v <= lim[1])
		return 'B';
	if (v <= lim[2])
		return 'C';
	return 'D';
}

struct feat_ws *
feat_ws_new(void)
{
	struct feat_ws *ws = xcalloc(1, sizeof(*ws));

	ws->fft = fft_new();
	return ws;
}

void
feat_ws_free(struct feat_ws *ws)
{
	if (ws == NULL)
		return;
	free(ws->tmp);
	free(ws->ses);
	free(ws->sim);
	free(ws->sre);
	free(ws->env);
	free(ws->eim);
	free(ws->ere);
	free(ws->im);
	free(ws->re);
	free(ws->w);
	free(ws->y);
	fft_free(ws->fft);
	free(ws);
}

static void
ws_reserve(struct feat_ws *ws, size_t n)
{
	size_t h = n / 2 + 1;

	if (n <= ws->cap)
		return;
	ws->y = xrealloc(ws->y, n * sizeof(double));
	ws->w = xrealloc(ws->w, n * sizeof(double));
	ws->env = xrealloc(ws->env, n * sizeof(double));
	ws->tmp = xrealloc(ws->tmp, n * sizeof(double));
	ws->re = xrealloc(ws->re, h * sizeof(double));
	ws->im = xrealloc(ws->im, h * sizeof(double));
	ws->ere = xrealloc(ws->ere, h * sizeof(double));
	ws->eim = xrealloc(ws->eim, h * sizeof(double));
	ws->sre = xrealloc(ws->sre, h * sizeof(double));
	ws->sim = xrealloc(ws->sim, h * sizeof(double));
	ws->ses = xrealloc(ws->ses, h * sizeof(double));
	ws->cap = n;
	ws->wn = 0;
}

/* The periodic Hann window w[i] = (1 - cos(2 pi i / n)) / 2. */
static void
ws_window(struct feat_ws *ws, size_t n)
{
	size_t i;

	if (ws->wn == n)
		return;
	ws->wsum = ws->wsq = 0;
	for (i = 0; i < n; i++) {
		ws->w[i] = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)n);
		ws->wsum += ws->w[i];
		ws->wsq += ws->w[i] * ws->w[i];
	}
	ws->wn = n;
}

static void
put(struct feat_out *o, const char *name, double v)
{
	if (!isfinite(v) || o->n >= FEAT_MAX_OUT)
		return;
	snprintf(o->name[o->n], FEAT_NAME_MAX, "%s", name);
	o->v[o->n++] = v;
}

static int
cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of a[0..n-1] (sorts a). */
static double
median(double *a, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(a, n, sizeof(double), cmpd);
	return n % 2 ? a[n / 2] : 0.5 * (a[n / 2 - 1] + a[n / 2]);
}

/* A spectrum held as power: amplitude of bin k is mul sqrt(pw[k]) / div. */
struct spec {
	const double *pw;
	size_t nb;
	double mul, div;
};

static double
amp(const struct spec *sp, size_t k)
{
	return sp->mul * sqrt(sp->pw[k]) / sp->div;
}

/*
 * The fractional bin of a peak at bin k: the vertex of the parabola
 * through the amplitudes of k-1, k, k+1 (k itself at the ends or on a
 * flat top).
 */
static double
interp(const struct spec *sp, size_t k)
{
	double a, b, c, den, d;

	if (k < 1 || k + 1 >= sp->nb)
		return (double)k;
	a = amp(sp, k - 1);
	b = amp(sp, k);
	c = amp(sp, k + 1);
	den = a - 2 * b + c;
	if (!(den < 0))
		return (double)k;
	d = 0.5 * (a - c) / den;
	if (d > 0.5)
		d = 0.5;
	if (d < -0.5)
		d = -0.5;
	return (double)k + d;
}

/*
 * Largest amplitude over bins whose frequency lies within f*(1 +- tol)
 * (at least the nearest bin); *at receives its frequency.  Power and
 * amplitude rise together, so the search runs on power.
 */
static double
line_search(const struct spec *sp, double df, double f, double tol,
    double *at, size_t *klo, size_t *khi)
{
	size_t k, lo, hi, kc, best = 0;
	int found = 0;

	kc = (size_t)llround(f / df);
	lo = (size_t)ceil(f * (1 - tol) / df);
	hi = (size_t)floor(f * (1 + tol) / df);
	if (lo > kc)
		lo = kc;
	if (hi < kc)
		hi = kc;
	if (lo < 1)
		lo = 1;
	if (hi >= sp->nb)
		hi = sp->nb - 1;
	*klo = lo;
	*khi = hi;
	*at = NAN;
	for (k = lo; k <= hi; k++)
		if (!found || sp->pw[k] > sp->pw[best]) {
			best = k;
			found = 1;
		}
	if (!found)
		return NAN;
	*at = interp(sp, best) * df;
	return amp(sp, best);
}

/*
 * Local noise floor: the median amplitude over bins within +-half Hz
 * (at least 8 bins each side) of the searched bins lo..hi, which are left
 * out.
 */
static double
noise_floor(struct feat_ws *ws, const struct spec *sp, double df,
    double half, size_t lo, size_t hi)
{
	size_t k, a, b, m = 0, w;

	w = (size_t)ceil(half / df);
	if (w < 8)
		w = 8;
	a = lo > w ? lo - w : 1;
	if (a < 1)
		a = 1;
	b = hi + w;
	if (b >= sp->nb)
		b = sp->nb - 1;
	for (k = a; k <= b; k++)
		if (k < lo || k > hi)
			ws->tmp[m++] = amp(sp, k);
	return median(ws->tmp, m);
}

static void
envelope_lines(struct feat_ws *ws, const struct feat_opts *o, double speed,
    size_t n, struct feat_out *out)
{
	static const char *names[] = { "bpfo", "bpfi", "bsf", "2bsf", "ftf" };
	struct feat_defects d;
	struct spec sp = { ws->ses, n / 2 + 1, 2, ws->wsum };
	double mult[5], df, f, a, at, fl, asum, fsum, v;
	size_t k, klo, khi;
	char name[FEAT_NAME_MAX];
	int i, h;

	feat_defects(&o->bearing, &d);
	mult[0] = d.bpfo;
	mult[1] = d.bpfi;
	mult[2] = d.bsf;
	mult[3] = 2 * d.bsf;
	mult[4] = d.ftf;
	df = o->rate_hz / (double)n;
	for (i = 0; i < 5; i++) {
		asum = fsum = 0;
		for (h = 1; h <= o->env_harmonics; h++) {
			f = mult[i] * speed * h;
			if (f / df < 1 || f >= o->rate_hz / 2)
				break;
			a = line_search(&sp, df, f, o->env_tol, &at, &klo,
			    &khi);
			fl = noise_floor(ws, &sp, df, o->floor_hz, klo, khi);
			if (h == 1) {
				snprintf(name, sizeof(name), "env_%s",
				    names[i]);
				put(out, name, a);
				snprintf(name, sizeof(name), "env_%s_ratio",
				    names[i]);
				if (fl > 0)
					put(out, name, a / fl);
				snprintf(name, sizeof(name), "env_%s_hz",
				    names[i]);
				put(out, name, at);
			}
			asum += a;
			fsum += fl;
		}
		if (o->env_harmonics > 1 && h > o->env_harmonics &&
		    fsum > 0) {
			snprintf(name, sizeof(name), "env_%s_hratio",
			    names[i]);
			put(out, name, asum / fsum);
		}
	}
	/* Overall level of the squared envelope (its mean), for trends. */
	v = 0;
	for (k = 0; k < n; k++)
		v += ws->env[k];
	put(out, "env_ms", v / (double)n);
}

int
feat_compute(struct feat_ws *ws, const struct feat_opts *o, const double *x,
    const double *t, size_t n, struct feat_out *out, struct twin_err *err)
{
	double mean = 0, m2 = 0, m3 = 0, m4 = 0, ms = 0, mabs = 0, msq = 0;
	double mn = INFINITY, mx = -INFINITY, d, df, v, p, psum, sfp;
	double tm = 0, st = 0, stx = 0, speed;
	size_t i, k, nf = 0, nb, h;
	unsigned sel = o->sel;
	char name[FEAT_NAME_MAX];

	out->n = 0;
	out->speed_hz = o->speed_hz;
	for (i = 0; i < n; i++)
		if (isfinite(x[i])) {
			mean += x[i];
			nf++;
		}
	if (nf < 2)
		return 0;
	mean /= (double)nf;
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			continue;
		d = x[i] - mean;
		m2 += d * d;
		m3 += d * d * d;
		m4 += d * d * d * d;
		ms += x[i] * x[i];
		mabs += fabs(x[i]);
		msq += sqrt(fabs(x[i]));
		if (x[i] < mn)
			mn = x[i];
		if (x[i] > mx)
			mx = x[i];
	}
	m2 /= (double)nf;
	m3 /= (double)nf;
	m4 /= (double)nf;
	ms /= (double)nf;
	mabs /= (double)nf;
	msq /= (double)nf;
	p = fmax(fabs(mn), fabs(mx));
	if (sel & FEAT_MEAN)
		put(out, "mean", mean);
	if (sel & FEAT_STD)
		put(out, "std", sqrt(m2));
	if (sel & FEAT_RMS)
		put(out, "rms", sqrt(ms));
	if (sel & FEAT_PEAK)
		put(out, "peak", p);
	if (sel & FEAT_P2P)
		put(out, "p2p", mx - mn);
	if ((sel & FEAT_CREST) && ms > 0)
		put(out, "crest", p / sqrt(ms));
	if ((sel & FEAT_KURTOSIS) && m2 > 0)
		put(out, "kurtosis", m4 / (m2 * m2));
	if ((sel & FEAT_SKEWNESS) && m2 > 0)
		put(out, "skewness", m3 / (m2 * sqrt(m2)));
	if ((sel & FEAT_SHAPE) && mabs > 0)
		put(out, "shape", sqrt(ms) / mabs);
	if ((sel & FEAT_IMPULSE) && mabs > 0)
		put(out, "impulse", p / mabs);
	if ((sel & FEAT_CLEARANCE) && msq > 0)
		put(out, "clearance", p / (msq * msq));
	if (sel & FEAT_MIN)
		put(out, "min", mn);
	if (sel & FEAT_MAX)
		put(out, "max", mx);
	if (sel & FEAT_SLOPE) {
		/* Least squares of x on t (seconds): cov(t, x) / var(t). */
		for (i = 0; i < n; i++)
			if (isfinite(x[i]))
				tm += t ? t[i] : (double)i / o->rate_hz;
		tm /= (double)nf;
		for (i = 0; i < n; i++) {
			if (!isfinite(x[i]))
				continue;
			d = (t ? t[i] : (double)i / o->rate_hz) - tm;
			st += d * d;
			stx += d * (x[i] - mean);
		}
		if (st > 0)
			put(out, "slope", stx / st);
	}
	if (!(sel & FEAT_NEED_FFT) || o->rate_hz <= 0)
		return 0;

	ws_reserve(ws, n);
	ws_window(ws, n);
	nb = n / 2 + 1;
	df = o->rate_hz / (double)n;
	for (i = 0; i < n; i++)
		ws->y[i] = (isfinite(x[i]) ? x[i] : mean) - mean;
	if (sel & FEAT_ENVELOPE) {
		if (fft_r2c(ws->fft, ws->y, n, ws->ere, ws->eim, err) < 0)
			return -1;
	}
	for (i = 0; i < n; i++)
		ws->y[i] *= ws->w[i];
	if (fft_r2c(ws->fft, ws->y, n, ws->re, ws->im, err) < 0)
		return -1;
	/* Power per bin, in the units of x squared (Hann-corrected). */
	for (k = 0; k < nb; k++)
		ws->tmp[k] = ws->re[k] * ws->re[k] + ws->im[k] * ws->im[k];

	speed = o->speed_hz;
	if (speed > 0 && o->speed_refine && speed < o->rate_hz / 2) {
		double at;
		size_t klo, khi;

		struct spec sp = { ws->tmp, nb, 1, 1 };

		line_search(&sp, df, speed, o->order_tol, &at, &klo, &khi);
		if (isfinite(at) && at > 0)
			speed = at;
	}
	out->speed_hz = speed;
	if (sel & FEAT_CENTROID) {
		psum = sfp = 0;
		for (k = 1; k < nb; k++) {
			psum += ws->tmp[k];
			sfp += ws->tmp[k] * (double)k * df;
		}
		if (psum > 0)
			put(out, "centroid", sfp / psum);
	}
	if (sel & FEAT_PEAK_HZ) {
		h = 1;
		for (k = 2; k < nb; k++)
			if (ws->tmp[k] > ws->tmp[h])
				h = k;
		if (nb > 1 && ws->tmp[h] > 0)
			put(out, "peak_hz", (double)h * df);
	}
	if (sel & FEAT_BANDS) {
		for (i = 0; i < o->nbands; i++) {
			v = 0;
			for (k = 1; k < nb; k++) {
				double f = (double)k * df;

				if (f >= o->bands[i].lo && f <= o->bands[i].hi)
					v += ws->tmp[k];
			}
			snprintf(name, sizeof(name), "band_%s",
			    o->bands[i].name);
			put(out, name, sqrt(2 * v / ((double)n * ws->wsq)));
		}
	}
	if ((sel & FEAT_ORDERS) && speed > 0) {
		struct spec sp = { ws->tmp, nb, 2, ws->wsum };

		for (h = 1; h <= 3; h++) {
			double at, a;
			size_t klo, khi;

			if ((double)h * speed >= o->rate_hz / 2)
				break;
			a = line_search(&sp, df, (double)h * speed,
			    o->order_tol, &at, &klo, &khi);
			snprintf(name, sizeof(name), "x%zu", h);
			put(out, name, a);
		}
	}
	if (sel & FEAT_VEL_RMS) {
		/* Divide each bin by 2 pi f: acceleration to velocity. */
		v = 0;
		for (k = 1; k < nb; k++) {
			double f = (double)k * df, g;

			if (f < o->vel_lo || f > o->vel_hi)
				continue;
			g = o->vel_scale / (2 * M_PI * f);
			v += ws->tmp[k] * g * g;
		}
		put(out, "vel_rms", sqrt(2 * v / ((double)n * ws->wsq)));
	}
	if ((sel & FEAT_ENVELOPE) && o->env_hi > o->env_lo) {
		size_t lo = (size_t)ceil(o->env_lo / df);
		size_t hi = (size_t)floor(o->env_hi / df);

		if (lo < 1)
			lo = 1;
		if (hi > (n - 1) / 2)
			hi = (n - 1) / 2;
		if (lo > hi)
			return 0;
		if (fft_sq_envelope(ws->fft, ws->ere, ws->eim, n, lo, hi,
		    ws->env, err) < 0)
			return -1;
		v = 0;
		for (i = 0; i < n; i++)
			v += ws->env[i];
		v /= (double)n;
		for (i = 0; i < n; i++)
			ws->y[i] = (ws->env[i] - v) * ws->w[i];
		if (fft_r2c(ws->fft, ws->y, n, ws->sre, ws->sim, err) < 0)
			return -1;
		for (k = 0; k < nb; k++)
			ws->ses[k] = ws->sre[k] * ws->sre[k] +
			    ws->sim[k] * ws->sim[k];
		if (o->have_bearing && speed > 0)
			envelope_lines(ws, o, speed, n, out);
		else
			put(out, "env_ms", v);
	}
	return 0;
}

void
feat_quality(const double *x, size_t n, double lo, double hi,
    double spike_k, double flat_eps, struct feat_dq *dq)
{
	double mean = 0, m2 = 0, mn = INFINITY, mx = -INFINITY, sd;
	size_t i, nf = 0;

	memset(dq, 0, sizeof(*dq));
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i])) {
			dq->nan++;
			continue;
		}
		nf++;
		mean += x[i];
		if (x[i] < mn)
			mn = x[i];
		if (x[i] > mx)
			mx = x[i];
		if (lo < hi && (x[i] < lo || x[i] > hi))
			dq->out_of_range++;
	}
	if (nf < 2)
		return;
	mean /= (double)nf;
	dq->flatline = mx - mn <= flat_eps;
	if (spike_k <= 0)
		return;
	for (i = 0; i < n; i++)
		if (isfinite(x[i]))
			m2 += (x[i] - mean) * (x[i] - mean);
	sd = sqrt(m2 / (double)nf);
	for (i = 0; i < n; i++)
		if (isfinite(x[i]) && fabs(x[i] - mean) > spike_k * sd &&
		    sd > 0)
			dq->spikes++;
}
