/*
 * model.h - the health model: training, the model file, and scoring
 * (twin-model(5)).
 *
 * One model file holds a tenant's model for each asset class it was
 * trained on.  Per class: the features ("<channel>:<name>"), a transform
 * per feature (log for features that are always positive), robust
 * baselines (the median per asset, and for the class), a robust scale per
 * feature (1.4826 MAD), the Ledoit-Wolf shrunk covariance of the scaled
 * deviations, the calibration of Mahalanobis distances into scores
 * (empirical distribution of the training distances with an exponential
 * tail above its 99th percentile), drift reference deciles and the
 * failure-mode library copied from the class template.
 *
 * model_train() builds the JSON document; model_serialize() prints it
 * deterministically (lib/buf.h), so the same data give the same bytes and
 * so the same sha256.  model_parse() checks a document and prepares it for
 * scoring; struct model owns everything it points to.
 */
#ifndef TWIN_MODEL_H
#define TWIN_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "classlib.h"
#include "err.h"

#define MODEL_FORMAT "twin-model/1"
#define MODEL_QTAB 100		/* calibration quantiles 0.00 .. 0.99 */
#define MODEL_DBINS 10		/* drift reference bins (deciles) */

enum severity { SEV_NORMAL, SEV_WATCH, SEV_WARNING, SEV_ALARM, SEV_UNKNOWN };

const char *model_severity_name(int sev);

struct model_params {
	double watch, warning, alarm;	/* score thresholds */
	double min_present;		/* fraction of features needed */
	size_t min_asset_rows;		/* rows for an asset baseline */
	double drift_psi;		/* PSI threshold */
	size_t drift_min;		/* windows before PSI is judged */
	int64_t max_age;		/* oldest value a row joins, ns */
};

void model_params_default(struct model_params *pp);

/* Training rows of one class: n rows of p values, NaN when missing. */
struct model_data {
	size_t p, n, cap;
	double *x;
	int *asset;		/* index into assets */
	int64_t *ts;
	json_t *assets;		/* array of asset names (owned) */
};

void model_data_init(struct model_data *d, size_t p);
/* Append a row (copied); returns its index. */
size_t model_data_add(struct model_data *d, const char *asset, int64_t ts,
    const double *x);
void model_data_free(struct model_data *d);

/*
 * Train the section of one class.  cls is the class template, features its
 * model features (classlib_features), d the rows.  Rows with a missing
 * value are left out.  New reference, or NULL with TWIN_EDATA when there
 * are too few complete rows.
 */
json_t *model_train_class(const json_t *cls, const json_t *features,
    const struct model_data *d, const struct model_params *pp,
    struct twin_err *err);

/*
 * The primary channel of a class (lib/join.h): given, when not NULL, must
 * be the channel of one of the p features; otherwise the channel with the
 * most features.  A new string, or NULL when given is not a channel of the
 * features.
 */
char *model_primary(const char *const *features, size_t p,
    const char *given);

/* Serialize a model document (deterministic, one line, newline). */
int model_serialize(const json_t *doc, struct buf *b);

struct model_class {
	const char *name;
	size_t p;
	const char **features;
	char *primary;		/* the channel whose windows make rows */
	int *logt;		/* 1: log transform */
	double *floor;		/* smallest value taken for log */
	double *center;		/* class baseline (transformed) */
	double *scale;
	json_t *assets;		/* name -> index into base */
	double *base;		/* per-asset baselines, nassets x p */
	double *mean;		/* location of the scaled deviations */
	double *cov;
	double *chol;		/* Cholesky factor of cov */
	double *sd;		/* sqrt of the diagonal of cov */
	double *basefu;		/* (nassets + 1) x p baselines in feature
				 * units; the last row is the class's */
	double qtab[MODEL_QTAB];
	double theta;		/* mean excess over qtab[99] */
	size_t ntrain, ntail;
	double *dedge;		/* p x (MODEL_DBINS - 1) drift edges */
	struct cls_mode *modes;
	size_t nmodes;
};

struct model {
	json_t *doc;
	char sha[65];
	const char *tenant;
	struct model_params params;
	struct model_class *cls;
	size_t ncls;
	int64_t train_from, train_to;
};

/*
 * Parse and check a model file's text.  tenant, when not NULL, must match.
 * TWIN_ECONFIG with a message on any problem.
 */
struct model *model_parse(const char *text, size_t len, const char *tenant,
    struct twin_err *err);
void model_free(struct model *m);

const struct model_class *model_class_get(const struct model *m,
    const char *name);
/* Index of a feature in the class, or -1. */
int model_feature_index(const struct model_class *mc, const char *name);

struct model_result {
	int severity;
	int partial;		/* some features were missing */
	int no_baseline;	/* asset unknown to the model: class baseline */
	size_t npresent;
	double d2, score, lo, hi;
	double *v;		/* p: scaled deviation minus mean (0 if missing) */
	double *c;		/* p: contribution to d2 */
	double *z;		/* p: v_i / sqrt(cov_ii) */
	double *baseline;	/* p: the baseline in feature units */
	size_t *order;		/* feature indices by contribution, desc */
	size_t ncontrib;	/* features with positive contribution */
	double *mp;		/* nmodes: share of anomaly explained */
	size_t *morder;		/* modes by mp, desc */
};

void model_result_init(struct model_result *r, const struct model_class *mc);
void model_result_free(struct model_result *r);

/*
 * Score one window: x holds p feature values in the class's order (NaN when
 * missing).  Fails (TWIN_EDATA) when fewer than min_present of the
 * features are there; r->severity is then SEV_UNKNOWN.
 */
int model_score(const struct model *m, const struct model_class *mc,
    const char *asset, const double *x, struct model_result *r,
    struct twin_err *err);

/* Calibrated score of a distance (with the full feature set). */
double model_calibrate(const struct model_class *mc, double d2, double *lo,
    double *hi);

/* Transformed and scaled deviation of feature i for drift: NaN if x is. */
double model_deviation(const struct model_class *mc, const char *asset,
    size_t i, double x);

/*
 * A feature record (twin(7)) taken apart into what scoring and training
 * need.  featrec_scan() reads the usual one-line shape straight from the
 * text, ten times faster than jansson; it declines (returns 0) anything
 * unusual: another kind, another tenant than want, escapes or non-ASCII
 * bytes in strings, a numeric "ts", an unknown top-level key, a duplicate
 * key, a feature value that is not a number or null, bad JSON.  The caller
 * then parses with jansson and featrec_from_json(), which gives the error
 * message where there is one.  Strings are NUL-terminated copies owned by
 * fr (scan) or borrowed from the jansson object (from_json); a null
 * feature value is NaN.  featrec_free() releases the scratch memory.
 */
#define FEATREC_MAX_F 256
#define FEATREC_MAX_SRC 16

struct featrec {
	int64_t ts, wstart;
	int has_wstart;
	const char *tenant, *asset, *cls, *channel, *site, *spec;
	size_t nf, nsrc;
	const char *fname[FEATREC_MAX_F];
	double fval[FEATREC_MAX_F];
	const char *src[FEATREC_MAX_SRC];
	struct buf scratch;
	/* the last "ts" and window start texts and their values */
	char tstr[2][40];
	size_t tlen[2];
	int64_t tval[2];
	/*
	 * The last "window", "dq" and "prov" objects read, as text, with what
	 * was taken from them (the window start; the spec digest and the
	 * sources as NUL-terminated strings in store): the records of one
	 * window end repeat them byte for byte.
	 */
	struct featrec_memo {
		struct buf text;
		struct buf store;
		int64_t wstart;
		int has_wstart;
		size_t nsrc;
		int has_spec;
	} memo[3];
};

int featrec_scan(const char *line, size_t n, const char *want,
    struct featrec *fr);
int featrec_from_json(const json_t *r, int64_t ts, struct featrec *fr,
    struct twin_err *err);
void featrec_free(struct featrec *fr);

#endif
