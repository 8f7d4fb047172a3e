/*
 * feat.h - the feature math of twin-feature: time-domain statistics,
 * spectra, envelope analysis at bearing defect frequencies, velocity RMS
 * and data-quality counts of one window of samples.
 *
 * The formulas are those of twin-feature(5); tests/integration/
 * feature-ref.py checks each against numpy/scipy.  feat_compute() fills a
 * struct feat_out with (name, value) pairs in a fixed order, leaving out
 * a feature that cannot be computed (no speed, too few samples, a zero
 * denominator): no NaN or infinity ever comes out.
 *
 * A struct feat_ws holds the scratch arrays and the FFTW plans (lib/fft.h)
 * and is reused for every window; feat_ws_free() releases it.
 */
#ifndef TWIN_FEAT_H
#define TWIN_FEAT_H

#include <stddef.h>

#include "err.h"

/* Feature selection bits. */
enum {
	FEAT_MEAN = 1u << 0, FEAT_STD = 1u << 1, FEAT_RMS = 1u << 2,
	FEAT_PEAK = 1u << 3, FEAT_P2P = 1u << 4, FEAT_CREST = 1u << 5,
	FEAT_KURTOSIS = 1u << 6, FEAT_SKEWNESS = 1u << 7,
	FEAT_SHAPE = 1u << 8, FEAT_IMPULSE = 1u << 9,
	FEAT_CLEARANCE = 1u << 10, FEAT_MIN = 1u << 11, FEAT_MAX = 1u << 12,
	FEAT_SLOPE = 1u << 13, FEAT_CENTROID = 1u << 14,
	FEAT_PEAK_HZ = 1u << 15, FEAT_BANDS = 1u << 16,
	FEAT_ORDERS = 1u << 17, FEAT_ENVELOPE = 1u << 18,
	FEAT_VEL_RMS = 1u << 19
};
#define FEAT_TIME (FEAT_MEAN | FEAT_STD | FEAT_RMS | FEAT_PEAK | FEAT_P2P | \
	FEAT_CREST | FEAT_KURTOSIS | FEAT_SKEWNESS | FEAT_SHAPE |	\
	FEAT_IMPULSE | FEAT_CLEARANCE)
#define FEAT_TREND (FEAT_MEAN | FEAT_STD | FEAT_MIN | FEAT_MAX | FEAT_SLOPE)
#define FEAT_SPECTRAL (FEAT_CENTROID | FEAT_PEAK_HZ | FEAT_BANDS | \
	FEAT_ORDERS)
/* Features that need a transform, hence a waveform. */
#define FEAT_NEED_FFT (FEAT_SPECTRAL | FEAT_ENVELOPE | FEAT_VEL_RMS)

/* Name of one selection bit or group ("time", "trend", ...) -> bits. */
unsigned feat_bits(const char *name);

#define FEAT_NAME_MAX 48
#define FEAT_MAX_BANDS 16
#define FEAT_MAX_OUT 128

struct feat_band {
	char name[FEAT_NAME_MAX - 8];
	double lo, hi;		/* Hz */
};

struct feat_bearing {
	double balls;
	double ball_d;		/* same unit as pitch_d */
	double pitch_d;
	double contact_deg;
};

/* Defect frequencies as multiples of shaft speed. */
struct feat_defects {
	double bpfo, bpfi, bsf, ftf;
};
void feat_defects(const struct feat_bearing *b, struct feat_defects *d);

struct feat_opts {
	unsigned sel;
	double rate_hz;		/* > 0 for a waveform; 0 for a scalar series */
	double speed_hz;	/* shaft speed; <= 0 when unknown */
	struct feat_band bands[FEAT_MAX_BANDS];
	size_t nbands;
	int have_bearing;
	struct feat_bearing bearing;
	double env_lo, env_hi;	/* envelope band, Hz */
	double env_tol;		/* relative search tolerance for slip */
	int env_harmonics;	/* harmonics searched, >= 1 */
	double floor_hz;	/* half-width of the noise-floor neighbourhood */
	double vel_lo, vel_hi;	/* velocity integration band, Hz */
	double vel_scale;	/* unit of x to (mm/s)*(rad/s): 9806.65 for g */
	double order_tol;	/* relative search tolerance at 1x, 2x, 3x */
	int speed_refine;	/* refine speed_hz from the 1x spectral line */
};

struct feat_out {
	double speed_hz;	/* the speed used: refined, given, or 0 */
	size_t n;
	char name[FEAT_MAX_OUT][FEAT_NAME_MAX];
	double v[FEAT_MAX_OUT];
};

/* Per-window data-quality counts that come from the values themselves. */
struct feat_dq {
	size_t nan;		/* non-finite values */
	size_t out_of_range;
	size_t spikes;
	int flatline;
};

struct feat_ws;

struct feat_ws *feat_ws_new(void);
void feat_ws_free(struct feat_ws *ws);

/*
 * Features of x[0..n-1].  t (seconds from the window start, n values) is
 * used for a scalar series' slope; NULL means i / rate_hz.  Non-finite
 * values are left out of time-domain statistics and replaced by the mean
 * of the finite ones before a transform.  Returns -1 only when a
 * transform cannot be planned.
 */
int feat_compute(struct feat_ws *ws, const struct feat_opts *o,
    const double *x, const double *t, size_t n, struct feat_out *out,
    struct twin_err *err);

/*
 * Data-quality counts: values outside [lo, hi] (when lo < hi), spikes
 * (|x - mean| > spike_k * std, when spike_k > 0), flatline (max - min <=
 * flat_eps over at least two finite values).
 */
void feat_quality(const double *x, size_t n, double lo, double hi,
    double spike_k, double flat_eps, struct feat_dq *dq);

/*
 * The same for the window feat_compute() was last given (the same x and
 * n, unchanged since): the sums it took are reused, so only the counts
 * against the limits take a pass.  Any other x goes to feat_quality().
 */
void feat_quality_ws(struct feat_ws *ws, const double *x, size_t n,
    double lo, double hi, double spike_k, double flat_eps,
    struct feat_dq *dq);

/*
 * ISO 20816 zone of a velocity RMS given the three boundaries A/B, B/C,
 * C/D: 'A', 'B', 'C' or 'D'.
 */
char feat_iso_zone(double vel_rms, const double limits[3]);

#endif
