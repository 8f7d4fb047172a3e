/*
 * feat.c - feature math (see feat.h and twin-feature(5) for formulas).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "fft.h"
#include "feat.h"
#include "linalg.h"
#include "banned.h"

struct feat_ws {
	struct fft *fft;
	size_t cap;
	double *y;		/* finite, mean-removed copy */
	size_t wn;		/* the size wsum and wsq are for */
	double wsum, wsq;	/* sums of the Hann window and its square */
	double *pw;		/* power spectrum of the Hann-windowed signal */
	double *ses;		/* its amplitudes */
	double *tmp;		/* median scratch */
	/* what feat_compute() learnt of its last window, all values finite,
	 * for feat_quality_ws() */
	const double *sx;
	size_t sn;
	int sok;
	double smean, sm2, smn, smx;
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
	free(ws->pw);
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
	ws->tmp = xrealloc(ws->tmp, n * sizeof(double));
	ws->pw = xrealloc(ws->pw, h * sizeof(double));
	ws->ses = xrealloc(ws->ses, h * sizeof(double));
	ws->cap = n;
	ws->wn = 0;
}

/*
 * Sums of the periodic Hann window w[i] = (1 - cos(2 pi i / n)) / 2 and of
 * its square; the window itself is applied in the frequency domain.
 */
static void
ws_window(struct feat_ws *ws, size_t n)
{
	double w;
	size_t i;

	if (ws->wn == n)
		return;
	ws->wsum = ws->wsq = 0;
	for (i = 0; i < n; i++) {
		w = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)n);
		ws->wsum += w;
		ws->wsq += w * w;
	}
	ws->wn = n;
}

static void
put(struct feat_out *o, const char *name, double v)
{
	size_t len = strlen(name);

	if (!isfinite(v) || o->n >= FEAT_MAX_OUT)
		return;
	if (len >= FEAT_NAME_MAX)
		len = FEAT_NAME_MAX - 1;
	memcpy(o->name[o->n], name, len);
	o->name[o->n][len] = '\0';
	o->v[o->n++] = v;
}

/* The middle values of a[0..n-1], n > 0 (reorders a); equal for odd n. */
static void
middle(double *a, size_t n, double *lo, double *hi)
{
	size_t i;

	*hi = la_select(a, n, n / 2);
	if (n % 2) {
		*lo = *hi;
		return;
	}
	/* the lower middle is the largest of what selection left below */
	*lo = a[0];
	for (i = 1; i < n / 2; i++)
		if (a[i] > *lo)
			*lo = a[i];
}

/*
 * Power of the Hann-windowed spectrum from the unwindowed one (c: n/2+1
 * bins interleaved, those from nz on zero): pw[k] = g^2 |X[k]/2 - X[k-1]/4
 * - X[k+1]/4|^2, the neighbours beyond the ends taken by symmetry, X[-k] =
 * conj X[k] = X[n-k].
 */
static void
hann_power(const double *c, size_t n, size_t nz, double g, double *pw)
{
	size_t nb = n / 2 + 1, m = n - nb, k, top;
	double a, b, g2 = g * g;

	/* X[-1] = conj X[1]: the imaginary parts cancel */
	a = 0.5 * c[0] - 0.5 * (nz > 1 ? c[2] : 0);
	b = 0.5 * c[1];
	pw[0] = (a * a + b * b) * g2;
	if (nz >= nb) {
		for (k = 1; k + 1 < nb; k++) {
			a = 0.5 * c[2 * k] - 0.25 * (c[2 * k - 2] + c[2 * k + 2]);
			b = 0.5 * c[2 * k + 1] -
			    0.25 * (c[2 * k - 1] + c[2 * k + 3]);
			pw[k] = (a * a + b * b) * g2;
		}
		k = nb - 1;
		a = 0.5 * c[2 * k] - 0.25 * (c[2 * k - 2] + c[2 * m]);
		b = 0.5 * c[2 * k + 1] - 0.25 * (c[2 * k - 1] - c[2 * m + 1]);
		pw[k] = (a * a + b * b) * g2;
		return;
	}
	/* bins nz.. are zero: the window spreads bin nz-1 into bin nz only */
	for (k = 1; k + 1 < nz; k++) {
		a = 0.5 * c[2 * k] - 0.25 * (c[2 * k - 2] + c[2 * k + 2]);
		b = 0.5 * c[2 * k + 1] - 0.25 * (c[2 * k - 1] + c[2 * k + 3]);
		pw[k] = (a * a + b * b) * g2;
	}
	top = nz < 2 ? 1 : nz + 1;
	for (k = nz < 2 ? 1 : nz - 1; k < top && k < nb; k++) {
		double r0 = 0.5 * (k < nz ? c[2 * k] : 0);
		double i0 = 0.5 * (k < nz ? c[2 * k + 1] : 0);

		a = r0 - 0.25 * c[2 * k - 2];
		b = i0 - 0.25 * c[2 * k - 1];
		pw[k] = (a * a + b * b) * g2;
	}
	for (; k < nb; k++)
		pw[k] = 0;
}

/*
 * The bins lo <= k < hi (1 <= k < nb) whose frequency k df lies in
 * [flo, fhi], by the same comparisons a scan of every bin would make.
 */
static void
bin_range(double flo, double fhi, double df, size_t nb, size_t *lo,
    size_t *hi)
{
	double g = flo / df - 1;
	size_t k = g > 1 ? (g < (double)nb ? (size_t)g : nb) : 1;

	while (k < nb && (double)k * df < flo)
		k++;
	*lo = k;
	/* likewise from just below the last bin */
	g = fhi / df - 1;
	if (g > (double)k)
		k = g < (double)nb ? (size_t)g : nb;
	while (k < nb && (double)k * df <= fhi)
		k++;
	*hi = k;
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
	double pl, ph;

	w = (size_t)ceil(half / df);
	if (w < 8)
		w = 8;
	a = lo > w ? lo - w : 1;
	if (a < 1)
		a = 1;
	b = hi + w;
	if (b >= sp->nb)
		b = sp->nb - 1;
	/* the median of the amplitudes, found among the powers: amplitude
	 * rises with power, so the middle bins are the same */
	for (k = a; k <= b; k++)
		if (k < lo || k > hi)
			ws->tmp[m++] = sp->pw[k];
	if (m == 0)
		return NAN;
	middle(ws->tmp, m, &pl, &ph);
	if (m % 2)
		return sp->mul * sqrt(ph) / sp->div;
	return 0.5 * (sp->mul * sqrt(pl) / sp->div + sp->mul * sqrt(ph) /
	    sp->div);
}

static void
envelope_lines(struct feat_ws *ws, const struct feat_opts *o, double speed,
    size_t n, double env_mean, struct feat_out *out)
{
	/* each line's four names: amplitude, ratio, frequency, harmonics */
	static const char *const names[5][4] = {
		{ "env_bpfo", "env_bpfo_ratio", "env_bpfo_hz", "env_bpfo_hratio" },
		{ "env_bpfi", "env_bpfi_ratio", "env_bpfi_hz", "env_bpfi_hratio" },
		{ "env_bsf", "env_bsf_ratio", "env_bsf_hz", "env_bsf_hratio" },
		{ "env_2bsf", "env_2bsf_ratio", "env_2bsf_hz",
		    "env_2bsf_hratio" },
		{ "env_ftf", "env_ftf_ratio", "env_ftf_hz", "env_ftf_hratio" }
	};
	struct feat_defects d;
	struct spec sp = { ws->ses, n / 2 + 1, 2, ws->wsum };
	double mult[5], df, f, a, at, fl, asum, fsum;
	size_t klo, khi;
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
				put(out, names[i][0], a);
				if (fl > 0)
					put(out, names[i][1], a / fl);
				put(out, names[i][2], at);
			}
			asum += a;
			fsum += fl;
		}
		if (o->env_harmonics > 1 && h > o->env_harmonics &&
		    fsum > 0) {
			put(out, names[i][3], asum / fsum);
		}
	}
	/* Overall level of the squared envelope (its mean), for trends. */
	put(out, "env_ms", env_mean);
}

/*
 * The loops over every sample of a window, two lanes at a time with the
 * vector extensions of GCC and Clang (SSE2 on x86-64, NEON on arm64, plain
 * code elsewhere).  Sums are kept per lane and added at the end, which
 * rounds differently from one running sum, by far less than the
 * tolerances twin-feature(5) states.  An odd last value goes through lane
 * 0 alone.
 */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2l __attribute__((vector_size(16)));

static v2d
ld2(const double *p)
{
	v2d v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Lane minimum and maximum: a when the comparison holds, else b (so a
 * NaN in a is passed over). */
#ifdef __SSE2__
static v2d
min2(v2d a, v2d b)
{
	return (v2d)_mm_min_pd((__m128d)a, (__m128d)b);
}

static v2d
max2(v2d a, v2d b)
{
	return (v2d)_mm_max_pd((__m128d)a, (__m128d)b);
}

static v2d
sqrt2(v2d a)
{
	return (v2d)_mm_sqrt_pd((__m128d)a);
}
#else
/* Lane select: m ? a : b, m a comparison result (all ones or zero). */
static v2d
sel2(v2l m, v2d a, v2d b)
{
	return (v2d)((m & (v2l)a) | (~m & (v2l)b));
}

static v2d
min2(v2d a, v2d b)
{
	return sel2(a < b, a, b);
}

static v2d
max2(v2d a, v2d b)
{
	return sel2(a > b, a, b);
}

static v2d
sqrt2(v2d a)
{
	v2d r = { sqrt(a[0]), sqrt(a[1]) };

	return r;
}
#endif

static v2d
abs2(v2d v)
{
	const v2l mask = { 0x7fffffffffffffffLL, 0x7fffffffffffffffLL };

	return (v2d)((v2l)v & mask);
}

static double
hsum(v2d v)
{
	return v[0] + v[1];
}

/*
 * Sums of the powers 2, 3, 4 of x - mean, of x^2 and of |x|, of finite x;
 * y receives x - mean.
 */
static void
moments(const double *x, size_t n, double mean, double *y, double *m2,
    double *m3, double *m4, double *ms, double *mabs)
{
	v2d a2 = { 0, 0 }, a3 = a2, a4 = a2, as = a2, aa = a2;
	v2d mu = { mean, mean };
	size_t i;

	for (i = 0; i + 2 <= n; i += 2) {
		v2d v = ld2(x + i), d = v - mu, d2 = d * d;

		memcpy(y + i, &d, sizeof(d));
		a2 += d2;
		a3 += d2 * d;
		a4 += d2 * d2;
		as += v * v;
		aa += abs2(v);
	}
	if (i < n) {
		double v = x[i], d = v - mean;

		y[i] = d;
		a2[0] += d * d;
		a3[0] += d * d * d;
		a4[0] += d * d * d * d;
		as[0] += v * v;
		aa[0] += fabs(v);
	}
	*m2 = hsum(a2);
	*m3 = hsum(a3);
	*m4 = hsum(a4);
	*ms = hsum(as);
	*mabs = hsum(aa);
}

static double
sum_sqrt_abs(const double *x, size_t n)
{
	v2d s = { 0, 0 }, s1 = s;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		s += sqrt2(abs2(ld2(x + i)));
		s1 += sqrt2(abs2(ld2(x + i + 2)));
	}
	s += s1;
	for (; i + 2 <= n; i += 2)
		s += sqrt2(abs2(ld2(x + i)));
	if (i < n)
		s[0] += sqrt(fabs(x[i]));
	return hsum(s);
}

/* scan_finite()'s lanes but the sum: zero, extremes, limits, counts. */
struct scan2 {
	v2d zero, a, b, l, h;
	v2l c, o;
};

/* One vector of scan_finite(), its finite values added to *s. */
static inline void
scan_step(struct scan2 *k, v2d *s, v2d v)
{
	v2l f = v - v == k->zero;	/* finite exactly when v - v is 0 */

	*s += (v2d)(f & (v2l)v);
	k->c -= f;
	k->a = min2(v, k->a);
	k->b = max2(v, k->b);
	/* lo < hi: never both; two subtractions stay in vector registers
	 * where an OR of comparisons does not */
	k->o -= v < k->l;
	k->o -= v > k->h;
}

/*
 * Count and sum of the finite values of x, and, good only when all are
 * finite, the minimum, the maximum and the count outside [lo, hi].
 */
static size_t
scan_finite(const double *x, size_t n, double lo, double hi, double *sum,
    double *mn, double *mx, double *out)
{
	struct scan2 k = { { 0, 0 }, { INFINITY, INFINITY },
	    { -INFINITY, -INFINITY }, { lo, lo }, { hi, hi }, { 0, 0 },
	    { 0, 0 } };
	v2d s = { 0, 0 }, s1 = s;
	size_t i;

	/* the sum in two chains, so that each add need not wait for the
	 * last */
	for (i = 0; i + 4 <= n; i += 4) {
		scan_step(&k, &s, ld2(x + i));
		scan_step(&k, &s1, ld2(x + i + 2));
	}
	s += s1;
	for (; i + 2 <= n; i += 2)
		scan_step(&k, &s, ld2(x + i));
	if (i < n) {
		if (isfinite(x[i])) {
			s[0] += x[i];
			k.c[0]++;
		}
		k.a[0] = x[i] < k.a[0] ? x[i] : k.a[0];
		k.b[0] = x[i] > k.b[0] ? x[i] : k.b[0];
		k.o[0] += x[i] < lo || x[i] > hi;
	}
	*sum = hsum(s);
	*mn = k.a[0] < k.a[1] ? k.a[0] : k.a[1];
	*mx = k.b[0] > k.b[1] ? k.b[0] : k.b[1];
	*out = (double)(k.o[0] + k.o[1]);
	return (size_t)(k.c[0] + k.c[1]);
}

/* Sum of squared deviations from mean, and the count above lim, of
 * finite x. */
static double
dev2(const double *x, size_t n, double mean, double lim, double *above)
{
	v2d s = { 0, 0 }, s1 = s, mu = { mean, mean }, li = { lim, lim };
	v2l c = { 0, 0 }, c1 = c;
	size_t i;

	/* two sums apart, so that each add need not wait for the last */
	for (i = 0; i + 4 <= n; i += 4) {
		v2d d = ld2(x + i) - mu, d2 = d * d;
		v2d e = ld2(x + i + 2) - mu, e2 = e * e;

		s += d2;
		s1 += e2;
		c -= d2 > li;
		c1 -= e2 > li;
	}
	s += s1;
	c += c1;
	for (; i + 2 <= n; i += 2) {
		v2d d = ld2(x + i) - mu, d2 = d * d;

		s += d2;
		c -= d2 > li;
	}
	if (i < n) {
		double d = x[i] - mean;

		s[0] += d * d;
		c[0] += d * d > lim;
	}
	*above = (double)(c[0] + c[1]);
	return hsum(s);
}

int
feat_compute(struct feat_ws *ws, const struct feat_opts *o, const double *x,
    const double *t, size_t n, struct feat_out *out, struct twin_err *err)
{
	double mean = 0, m2 = 0, m3 = 0, m4 = 0, ms = 0, mabs = 0, msq = 0;
	double mn = INFINITY, mx = -INFINITY, d, df, v, p, psum, sfp;
	double tm = 0, st = 0, stx = 0, speed, eg, oor, *y, *X, *E;
	size_t i, k, nf = 0, nb, h, nz;
	unsigned sel = o->sel;
	int need_fft = (sel & FEAT_NEED_FFT) && o->rate_hz > 0;
	char name[FEAT_NAME_MAX];

	out->n = 0;
	out->speed_hz = o->speed_hz;
	ws->sok = 0;
	/* the extremes hold only when every value is finite (below) */
	nf = scan_finite(x, n, -INFINITY, INFINITY, &mean, &mn, &mx, &oor);
	if (nf < 2)
		return 0;
	mean /= (double)nf;
	ws_reserve(ws, n);
	/* the mean-removed signal goes straight into the transform's input */
	y = ws->y;
	if (need_fft && (y = fft_in(ws->fft, n, err)) == NULL)
		return -1;
	if (nf == n) {
		moments(x, n, mean, y, &m2, &m3, &m4, &ms, &mabs);
		ws->sx = x;
		ws->sn = n;
		ws->sok = 1;
		ws->smean = mean;
		ws->sm2 = m2;
		ws->smn = mn;
		ws->smx = mx;
		if (sel & FEAT_CLEARANCE)
			msq = sum_sqrt_abs(x, n);
	} else {
		/* the scan's extremes took the non-finite values in */
		mn = INFINITY;
		mx = -INFINITY;
		for (i = 0; i < n; i++) {
			y[i] = (isfinite(x[i]) ? x[i] : mean) - mean;
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
	if (!need_fft)
		return 0;

	ws_window(ws, n);
	nb = n / 2 + 1;
	df = o->rate_hz / (double)n;
	/*
	 * One transform of the mean-removed signal serves both the envelope
	 * (which wants it unwindowed) and the spectrum (which wants it
	 * Hann-windowed): the periodic Hann window is 1/2 - e^{+}/4 - e^{-}/4,
	 * so its spectrum is the three-tap convolution hann_power() takes.
	 */
	if ((X = fft_run(ws->fft, n)) == NULL)
		return err_set(err, TWIN_ENOMEM, "transform of size %zu lost",
		    n);
	hann_power(X, n, nb, 1, ws->pw);

	speed = o->speed_hz;
	if (speed > 0 && o->speed_refine && speed < o->rate_hz / 2) {
		double at;
		size_t klo, khi;

		struct spec sp = { ws->pw, nb, 1, 1 };

		line_search(&sp, df, speed, o->order_tol, &at, &klo, &khi);
		if (isfinite(at) && at > 0)
			speed = at;
	}
	out->speed_hz = speed;
	if (sel & (FEAT_CENTROID | FEAT_PEAK_HZ)) {
		psum = sfp = 0;
		double best = ws->pw[1];

		h = 1;
		for (k = 1; k < nb; k++) {
			psum += ws->pw[k];
			sfp += ws->pw[k] * (double)k * df;
			if (ws->pw[k] > best) {
				best = ws->pw[k];
				h = k;
			}
		}
		if ((sel & FEAT_CENTROID) && psum > 0)
			put(out, "centroid", sfp / psum);
		if ((sel & FEAT_PEAK_HZ) && nb > 1 && ws->pw[h] > 0)
			put(out, "peak_hz", (double)h * df);
	}
	if (sel & FEAT_BANDS) {
		for (i = 0; i < o->nbands; i++) {
			size_t lo, hi;

			v = 0;
			bin_range(o->bands[i].lo, o->bands[i].hi, df, nb, &lo,
			    &hi);
			for (k = lo; k < hi; k++)
				v += ws->pw[k];
			snprintf(name, sizeof(name), "band_%s",
			    o->bands[i].name);
			put(out, name, sqrt(2 * v / ((double)n * ws->wsq)));
		}
	}
	if ((sel & FEAT_ORDERS) && speed > 0) {
		struct spec sp = { ws->pw, nb, 2, ws->wsum };
		static const char *const xn[] = { "", "x1", "x2", "x3" };

		for (h = 1; h <= 3; h++) {
			double at, a;
			size_t klo, khi;

			if ((double)h * speed >= o->rate_hz / 2)
				break;
			a = line_search(&sp, df, (double)h * speed,
			    o->order_tol, &at, &klo, &khi);
			put(out, xn[h], a);
		}
	}
	if (sel & FEAT_VEL_RMS) {
		/* Divide each bin by 2 pi f: acceleration to velocity. */
		size_t lo, hi;

		v = 0;
		bin_range(o->vel_lo, o->vel_hi, df, nb, &lo, &hi);
		for (k = lo; k < hi; k++) {
			double f = (double)k * df, g;

			g = o->vel_scale / (2 * M_PI * f);
			v += ws->pw[k] * g * g;
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
		if ((E = fft_sq_envelope(ws->fft, X, n, lo, hi, &nz, &eg,
		    err)) == NULL)
			return -1;
		/* the mean is bin 0 over n; removing it zeroes that bin */
		v = E[0] * eg / (double)n;
		E[0] = E[1] = 0;
		hann_power(E, n, nz < nb ? nz : nb, eg, ws->ses);
		if (o->have_bearing && speed > 0)
			envelope_lines(ws, o, speed, n, v, out);
		else
			put(out, "env_ms", v);
	}
	return 0;
}

void
feat_quality(const double *x, size_t n, double lo, double hi,
    double spike_k, double flat_eps, struct feat_dq *dq)
{
	double mean = 0, m2 = 0, mn, mx, sd, oor, sp;
	size_t i, nf;

	memset(dq, 0, sizeof(*dq));
	if (lo >= hi)
		lo = -INFINITY, hi = INFINITY;
	nf = scan_finite(x, n, lo, hi, &mean, &mn, &mx, &oor);
	if (nf != n) {
		/* the scan's extremes and count took the non-finite values in */
		dq->nan = n - nf;
		mn = INFINITY;
		mx = -INFINITY;
		oor = 0;
		for (i = 0; i < n; i++) {
			if (!isfinite(x[i]))
				continue;
			mn = x[i] < mn ? x[i] : mn;
			mx = x[i] > mx ? x[i] : mx;
			oor += x[i] < lo || x[i] > hi;
		}
	}
	dq->out_of_range = (size_t)oor;
	if (nf < 2)
		return;
	mean /= (double)nf;
	dq->flatline = mx - mn <= flat_eps;
	if (spike_k <= 0)
		return;
	if (nf == n) {
		/* every value finite: loops without a test per value */
		m2 = dev2(x, n, mean, INFINITY, &sp);
		sd = sqrt(m2 / (double)nf);
		if (sd > 0) {
			dev2(x, n, mean, spike_k * sd * spike_k * sd, &sp);
			dq->spikes = (size_t)sp;
		}
		return;
	}
	for (i = 0; i < n; i++)
		if (isfinite(x[i]))
			m2 += (x[i] - mean) * (x[i] - mean);
	sd = sqrt(m2 / (double)nf);
	for (i = 0; i < n; i++)
		if (isfinite(x[i]) && fabs(x[i] - mean) > spike_k * sd &&
		    sd > 0)
			dq->spikes++;
}

void
feat_quality_ws(struct feat_ws *ws, const double *x, size_t n, double lo,
    double hi, double spike_k, double flat_eps, struct feat_dq *dq)
{
	double sd, sp;
	size_t i;

	if (!ws->sok || ws->sx != x || ws->sn != n) {
		feat_quality(x, n, lo, hi, spike_k, flat_eps, dq);
		return;
	}
	/* every value finite, at least two: the sums are those of
	 * feat_quality(), so only the counts against limits remain */
	memset(dq, 0, sizeof(*dq));
	dq->flatline = ws->smx - ws->smn <= flat_eps;
	if (lo < hi)
		for (i = 0; i < n; i++)
			dq->out_of_range += x[i] < lo || x[i] > hi;
	if (spike_k <= 0)
		return;
	sd = sqrt(ws->sm2 / (double)n);
	if (sd > 0) {
		dev2(x, n, ws->smean, spike_k * sd * spike_k * sd, &sp);
		dq->spikes = (size_t)sp;
	}
}
