/* model.c - health model training, file format and scoring; see model.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "fastnum.h"
#include "join.h"
#include "linalg.h"
#include "model.h"
#include "tm.h"
#include "banned.h"

static const char *const sevnames[] = {
	"normal", "watch", "warning", "alarm", "unknown"
};

const char *
model_severity_name(int sev)
{
	if (sev < 0 || sev > SEV_UNKNOWN)
		return "unknown";
	return sevnames[sev];
}

void
model_params_default(struct model_params *pp)
{
	pp->watch = 0.999;
	pp->warning = 0.9999;
	pp->alarm = 0.99999;
	pp->min_present = 0.5;
	pp->min_asset_rows = 30;
	pp->drift_psi = 0.25;
	pp->drift_min = 100;
	pp->max_age = JOIN_MAX_AGE_DEFAULT;
}

char *
model_primary(const char *const *features, size_t p, const char *given)
{
	const char *c;
	size_t i, n;
	char *r;

	if (given != NULL) {
		n = strlen(given);
		for (i = 0; i < p; i++)
			if (strncmp(features[i], given, n) == 0 &&
			    features[i][n] == ':')
				return xstrdup(given);
		return NULL;
	}
	if ((n = join_primary(features, p, &c)) == 0)
		return NULL;
	r = xmalloc(n + 1);
	memcpy(r, c, n);
	r[n] = '\0';
	return r;
}

void
model_data_init(struct model_data *d, size_t p)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->assets = json_array();
}

size_t
model_data_add(struct model_data *d, const char *asset, int64_t ts,
    const double *x)
{
	size_t i, a = json_array_size(d->assets);

	for (i = 0; i < json_array_size(d->assets); i++)
		if (strcmp(json_string_value(json_array_get(d->assets, i)),
		    asset) == 0) {
			a = i;
			break;
		}
	if (a == json_array_size(d->assets))
		json_array_append_new(d->assets, json_string(asset));
	if (d->n == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 256;
		d->x = xrealloc(d->x, d->cap * d->p * sizeof(*d->x));
		d->asset = xrealloc(d->asset, d->cap * sizeof(*d->asset));
		d->ts = xrealloc(d->ts, d->cap * sizeof(*d->ts));
	}
	memcpy(d->x + d->n * d->p, x, d->p * sizeof(*x));
	d->asset[d->n] = (int)a;
	d->ts[d->n] = ts;
	return d->n++;
}

void
model_data_free(struct model_data *d)
{
	free(d->x);
	free(d->asset);
	free(d->ts);
	json_decref(d->assets);
	memset(d, 0, sizeof(*d));
}

static double
transform(int logt, double floor, double x)
{
	if (!logt)
		return x;
	return log(x > floor ? x : floor);
}

static json_t *
jvec(const double *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real(v[i]));
	return a;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calibrated score from the quantile table and the tail. */
static double
calib(const double *q, double theta, size_t n, size_t ntail, double d2,
    double *lo, double *hi)
{
	double f, se, th_lo, th_hi, ex, span;
	size_t i;

	if (d2 > q[MODEL_QTAB - 1]) {
		ex = d2 - q[MODEL_QTAB - 1];
		f = 1 - 0.01 * exp(-ex / theta);
		se = 1.96 / sqrt((double)(ntail ? ntail : 1));
		th_hi = theta * (1 + se);
		th_lo = theta / (1 + se);
		*lo = 1 - 0.01 * exp(-ex / th_hi);
		*hi = 1 - 0.01 * exp(-ex / th_lo);
		return f;
	}
	if (d2 <= q[0]) {
		f = 0;
	} else {
		for (i = 0; i + 1 < MODEL_QTAB && q[i + 1] < d2; i++)
			;
		span = q[i + 1] - q[i];
		f = ((double)i + (span > 0 ? (d2 - q[i]) / span : 0)) /
		    (double)MODEL_QTAB;
	}
	se = 1.96 * sqrt(f * (1 - f) / (double)(n ? n : 1));
	*lo = f - se < 0 ? 0 : f - se;
	*hi = f + se > 1 ? 1 : f + se;
	return f;
}

double
model_calibrate(const struct model_class *mc, double d2, double *lo,
    double *hi)
{
	return calib(mc->qtab, mc->theta, mc->ntrain, mc->ntail, d2, lo, hi);
}

json_t *
model_train_class(const json_t *cls, const json_t *features,
    const struct model_data *d, const struct model_params *pp,
    struct twin_err *err)
{
	size_t p = d->p, n = 0, na = json_array_size(d->assets);
	size_t r, i, j, k, *rows = NULL, *acount = NULL, ntail;
	double *x = NULL, *z = NULL, *tmp = NULL, *base = NULL, *center = NULL;
	double *scale = NULL, *mean = NULL, *cov = NULL, *chol = NULL;
	double *fl = NULL, *d2 = NULL, *w = NULL, q[MODEL_QTAB], shrink, theta;
	int *logt = NULL, *hasbase = NULL;
	const char **names = NULL;
	json_t *sec = NULL, *assets, *a, *m, *e, *tr, *fls;

	/* complete rows only */
	rows = xmalloc((d->n ? d->n : 1) * sizeof(*rows));
	for (r = 0; r < d->n; r++) {
		for (i = 0; i < p; i++)
			if (isnan(d->x[r * p + i]))
				break;
		if (i == p)
			rows[n++] = r;
	}
	if (n < 2 * p + 10 || n < 50) {
		err_set(err, TWIN_EDATA, "class '%s': %zu complete windows, "
		    "need at least %zu", json_string_value(json_object_get(cls,
		    "class")), n, 2 * p + 10 > 50 ? 2 * p + 10 : 50);
		goto out;
	}
	x = xmalloc(n * p * sizeof(*x));
	z = xmalloc(n * p * sizeof(*z));
	tmp = xmalloc(n * sizeof(*tmp));
	logt = xcalloc(p, sizeof(*logt));
	fl = xcalloc(p, sizeof(*fl));
	center = xmalloc(p * sizeof(*center));
	scale = xmalloc(p * sizeof(*scale));
	base = xmalloc((na ? na : 1) * p * sizeof(*base));
	hasbase = xcalloc(na ? na : 1, sizeof(*hasbase));
	acount = xcalloc(na ? na : 1, sizeof(*acount));
	mean = xmalloc(p * sizeof(*mean));
	cov = xmalloc(p * p * sizeof(*cov));
	chol = xmalloc(p * p * sizeof(*chol));
	d2 = xmalloc(n * sizeof(*d2));
	w = xmalloc(p * sizeof(*w));

	/* transform: log when every training value is positive */
	for (i = 0; i < p; i++) {
		double mn = INFINITY;

		for (k = 0; k < n; k++)
			if (d->x[rows[k] * p + i] < mn)
				mn = d->x[rows[k] * p + i];
		logt[i] = mn > 0;
		fl[i] = logt[i] ? mn / 2 : 0;
		for (k = 0; k < n; k++)
			x[k * p + i] = transform(logt[i], fl[i],
			    d->x[rows[k] * p + i]);
	}
	for (k = 0; k < n; k++)
		acount[d->asset[rows[k]]]++;
	/* baselines: class median, and the median per asset with history */
	for (i = 0; i < p; i++) {
		for (k = 0; k < n; k++)
			tmp[k] = x[k * p + i];
		center[i] = la_median(tmp, n);
		for (j = 0; j < na; j++) {
			size_t m2 = 0;

			if (acount[j] < pp->min_asset_rows)
				continue;
			hasbase[j] = 1;
			for (k = 0; k < n; k++)
				if (d->asset[rows[k]] == (int)j)
					tmp[m2++] = x[k * p + i];
			base[j * p + i] = la_median(tmp, m2);
		}
	}
	/* robust scale of the deviations from the baselines */
	for (i = 0; i < p; i++) {
		for (k = 0; k < n; k++) {
			int aj = d->asset[rows[k]];
			double b = hasbase[aj] ? base[aj * p + i] : center[i];

			z[k * p + i] = x[k * p + i] - b;
			tmp[k] = fabs(z[k * p + i]);
		}
		scale[i] = 1.4826 * la_median(tmp, n);
		if (!(scale[i] > 0)) {
			double s = 0;

			for (k = 0; k < n; k++)
				s += z[k * p + i] * z[k * p + i];
			scale[i] = sqrt(s / (double)n);
		}
		if (!(scale[i] > 0))
			scale[i] = 1;
		for (k = 0; k < n; k++)
			z[k * p + i] /= scale[i];
	}
	if (la_ledoit_wolf(z, n, p, mean, cov, &shrink) < 0)
		goto bad;
	memcpy(chol, cov, p * p * sizeof(*cov));
	if (la_cholesky(chol, p) < 0)
		goto bad;
	for (k = 0; k < n; k++) {
		for (i = 0; i < p; i++)
			w[i] = z[k * p + i] - mean[i];
		la_forward(chol, p, w, w);
		d2[k] = 0;
		for (i = 0; i < p; i++)
			d2[k] += w[i] * w[i];
	}
	la_sort(d2, n);
	for (i = 0; i < MODEL_QTAB; i++)
		q[i] = la_quantile_sorted(d2, n, (double)i / MODEL_QTAB);
	theta = 0;
	ntail = 0;
	for (k = 0; k < n; k++)
		if (d2[k] > q[MODEL_QTAB - 1]) {
			theta += d2[k] - q[MODEL_QTAB - 1];
			ntail++;
		}
	theta = ntail ? theta / (double)ntail : 0;
	if (!(theta > 0))
		theta = q[MODEL_QTAB - 1] - q[90] > 0 ?
		    q[MODEL_QTAB - 1] - q[90] : 1;

	sec = json_object();
	json_object_set_new(sec, "features", json_deep_copy(features));
	if (json_is_string(json_object_get(cls, "primary")))
		json_object_set_new(sec, "primary", json_deep_copy(
		    json_object_get(cls, "primary")));
	tr = json_array();
	fls = json_array();
	for (i = 0; i < p; i++) {
		json_array_append_new(tr, json_string(logt[i] ? "log" : "id"));
		json_array_append_new(fls, json_real(fl[i]));
	}
	json_object_set_new(sec, "transform", tr);
	json_object_set_new(sec, "floor", fls);
	json_object_set_new(sec, "center", jvec(center, p));
	json_object_set_new(sec, "scale", jvec(scale, p));
	names = xmalloc((na ? na : 1) * sizeof(*names));
	for (j = 0; j < na; j++)
		names[j] = json_string_value(json_array_get(d->assets, j));
	qsort(names, na, sizeof(*names), cmp_name);
	assets = json_object();
	for (k = 0; k < na; k++) {
		for (j = 0; j < na; j++)
			if (strcmp(names[k], json_string_value(
			    json_array_get(d->assets, j))) == 0)
				break;
		if (!hasbase[j])
			continue;
		json_object_set_new(assets, names[k], jvec(base + j * p, p));
	}
	json_object_set_new(sec, "assets", assets);
	json_object_set_new(sec, "mean", jvec(mean, p));
	a = json_array();
	for (i = 0; i < p; i++)
		json_array_append_new(a, jvec(cov + i * p, p));
	json_object_set_new(sec, "cov", a);
	json_object_set_new(sec, "shrinkage", json_real(shrink));
	m = json_object();
	json_object_set_new(m, "n", json_integer((json_int_t)n));
	json_object_set_new(m, "quantiles", jvec(q, MODEL_QTAB));
	json_object_set_new(m, "tail_n", json_integer((json_int_t)ntail));
	json_object_set_new(m, "tail_mean_excess", json_real(theta));
	json_object_set_new(sec, "calibration", m);
	/* drift reference: deciles of each scaled deviation */
	a = json_array();
	for (i = 0; i < p; i++) {
		e = json_array();
		for (k = 0; k < n; k++)
			tmp[k] = z[k * p + i];
		la_sort(tmp, n);
		for (j = 1; j < MODEL_DBINS; j++)
			json_array_append_new(e, json_real(la_quantile_sorted(
			    tmp, n, (double)j / MODEL_DBINS)));
		json_array_append_new(a, e);
	}
	json_object_set_new(sec, "drift_edges", a);
	json_object_set_new(sec, "modes", json_deep_copy(json_object_get(cls,
	    "modes")));
	goto out;
bad:
	err_set(err, TWIN_EDATA, "class '%s': covariance is not positive "
	    "definite", json_string_value(json_object_get(cls, "class")));
out:
	free(rows);
	free(x);
	free(z);
	free(tmp);
	free(logt);
	free(fl);
	free(center);
	free(scale);
	free(base);
	free(hasbase);
	free(acount);
	free(mean);
	free(cov);
	free(chol);
	free(d2);
	free(w);
	free(names);
	return sec;
}

int
model_serialize(const json_t *doc, struct buf *b)
{
	if (buf_json(b, doc) < 0)
		return -1;
	buf_addc(b, '\n');
	return 0;
}

/* Read an array of n finite numbers into v. */
static int
getvec(const json_t *a, size_t n, double *v)
{
	size_t i;

	if (!json_is_array(a) || json_array_size(a) != n)
		return -1;
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(a, i);

		if (!json_is_number(e))
			return -1;
		v[i] = json_number_value(e);
		if (!isfinite(v[i]))
			return -1;
	}
	return 0;
}

static double
getnum(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

static void
class_free(struct model_class *mc)
{
	free(mc->features);
	free(mc->primary);
	free(mc->logt);
	free(mc->floor);
	free(mc->center);
	free(mc->scale);
	free(mc->base);
	free(mc->mean);
	free(mc->cov);
	free(mc->chol);
	free(mc->sd);
	free(mc->basefu);
	free(mc->dedge);
	json_decref(mc->assets);
	classlib_modes_free(mc->modes, mc->nmodes);
}

static int
class_parse(struct model_class *mc, const char *name, const json_t *s,
    struct twin_err *err)
{
	const json_t *f, *t, *cal, *e;
	size_t p, i, j, na;
	const char *key;
	json_t *v;

	mc->name = name;
	f = json_object_get(s, "features");
	if (!json_is_array(f) || (p = json_array_size(f)) == 0 || p > 512)
		return err_set(err, TWIN_ECONFIG, "class '%s': bad 'features'",
		    name);
	mc->p = p;
	mc->features = xcalloc(p, sizeof(*mc->features));
	mc->logt = xcalloc(p, sizeof(*mc->logt));
	mc->floor = xcalloc(p, sizeof(*mc->floor));
	mc->center = xcalloc(p, sizeof(*mc->center));
	mc->scale = xcalloc(p, sizeof(*mc->scale));
	mc->mean = xcalloc(p, sizeof(*mc->mean));
	mc->cov = xcalloc(p * p, sizeof(*mc->cov));
	mc->chol = xcalloc(p * p, sizeof(*mc->chol));
	mc->dedge = xcalloc(p * (MODEL_DBINS - 1), sizeof(*mc->dedge));
	mc->assets = json_object();
	for (i = 0; i < p; i++) {
		mc->features[i] = json_string_value(json_array_get(f, i));
		if (mc->features[i] == NULL || strchr(mc->features[i], ':') ==
		    NULL)
			return err_set(err, TWIN_ECONFIG, "class '%s': feature "
			    "%zu is not '<channel>:<name>'", name, i + 1);
	}
	e = json_object_get(s, "primary");
	if ((e != NULL && !json_is_string(e)) || (mc->primary = model_primary(
	    mc->features, p, json_string_value(e))) == NULL)
		return err_set(err, TWIN_ECONFIG, "class '%s': 'primary' is "
		    "not the channel of a feature", name);
	t = json_object_get(s, "transform");
	if (!json_is_array(t) || json_array_size(t) != p)
		return err_set(err, TWIN_ECONFIG, "class '%s': bad 'transform'",
		    name);
	for (i = 0; i < p; i++) {
		key = json_string_value(json_array_get(t, i));
		if (key != NULL && strcmp(key, "log") == 0)
			mc->logt[i] = 1;
		else if (key == NULL || strcmp(key, "id") != 0)
			return err_set(err, TWIN_ECONFIG, "class '%s': "
			    "transform %zu is not 'log' or 'id'", name, i + 1);
	}
	if (getvec(json_object_get(s, "floor"), p, mc->floor) < 0 ||
	    getvec(json_object_get(s, "center"), p, mc->center) < 0 ||
	    getvec(json_object_get(s, "scale"), p, mc->scale) < 0 ||
	    getvec(json_object_get(s, "mean"), p, mc->mean) < 0)
		return err_set(err, TWIN_ECONFIG, "class '%s': 'floor', "
		    "'center', 'scale' and 'mean' must hold %zu numbers", name,
		    p);
	for (i = 0; i < p; i++)
		if (!(mc->scale[i] > 0) || (mc->logt[i] && !(mc->floor[i] > 0)))
			return err_set(err, TWIN_ECONFIG, "class '%s': scale "
			    "and log floor must be positive", name);
	e = json_object_get(s, "assets");
	if (!json_is_object(e))
		return err_set(err, TWIN_ECONFIG, "class '%s': bad 'assets'",
		    name);
	na = json_object_size(e);
	mc->base = xcalloc(na ? na * p : 1, sizeof(*mc->base));
	i = 0;
	json_object_foreach((json_t *)e, key, v) {
		if (getvec(v, p, mc->base + i * p) < 0)
			return err_set(err, TWIN_ECONFIG, "class '%s': asset "
			    "baseline must hold %zu numbers", name, p);
		json_object_set_new(mc->assets, key,
		    json_integer((json_int_t)i));
		i++;
	}
	e = json_object_get(s, "cov");
	if (!json_is_array(e) || json_array_size(e) != p)
		return err_set(err, TWIN_ECONFIG, "class '%s': 'cov' must be "
		    "%zu x %zu", name, p, p);
	for (i = 0; i < p; i++)
		if (getvec(json_array_get(e, i), p, mc->cov + i * p) < 0)
			return err_set(err, TWIN_ECONFIG, "class '%s': 'cov' "
			    "must be %zu x %zu", name, p, p);
	for (i = 0; i < p; i++)
		for (j = 0; j < i; j++)
			if (mc->cov[i * p + j] != mc->cov[j * p + i])
				return err_set(err, TWIN_ECONFIG, "class '%s': "
				    "'cov' is not symmetric", name);
	memcpy(mc->chol, mc->cov, p * p * sizeof(*mc->cov));
	if (la_cholesky(mc->chol, p) < 0)
		return err_set(err, TWIN_ECONFIG, "class '%s': 'cov' is not "
		    "positive definite", name);
	/* what every score would compute again: the scale of z and the
	 * baselines people read */
	mc->sd = xcalloc(p, sizeof(*mc->sd));
	for (i = 0; i < p; i++)
		mc->sd[i] = sqrt(mc->cov[i * p + i]);
	mc->basefu = xcalloc((na + 1) * p, sizeof(*mc->basefu));
	for (j = 0; j <= na; j++) {
		const double *b = j < na ? mc->base + j * p : mc->center;
		double bt;

		for (i = 0; i < p; i++) {
			bt = b[i] + mc->mean[i] * mc->scale[i];
			mc->basefu[j * p + i] = mc->logt[i] ? exp(bt) : bt;
		}
	}
	cal = json_object_get(s, "calibration");
	if (getvec(json_object_get(cal, "quantiles"), MODEL_QTAB,
	    mc->qtab) < 0)
		return err_set(err, TWIN_ECONFIG, "class '%s': calibration "
		    "needs %d quantiles", name, MODEL_QTAB);
	for (i = 1; i < MODEL_QTAB; i++)
		if (mc->qtab[i] < mc->qtab[i - 1])
			return err_set(err, TWIN_ECONFIG, "class '%s': "
			    "calibration quantiles must not decrease", name);
	mc->theta = getnum(cal, "tail_mean_excess", -1);
	mc->ntrain = (size_t)getnum(cal, "n", 0);
	mc->ntail = (size_t)getnum(cal, "tail_n", 0);
	if (!(mc->theta > 0) || mc->ntrain == 0)
		return err_set(err, TWIN_ECONFIG, "class '%s': calibration "
		    "needs 'n' and a positive 'tail_mean_excess'", name);
	e = json_object_get(s, "drift_edges");
	if (!json_is_array(e) || json_array_size(e) != p)
		return err_set(err, TWIN_ECONFIG, "class '%s': bad "
		    "'drift_edges'", name);
	for (i = 0; i < p; i++)
		if (getvec(json_array_get(e, i), MODEL_DBINS - 1,
		    mc->dedge + i * (MODEL_DBINS - 1)) < 0)
			return err_set(err, TWIN_ECONFIG, "class '%s': bad "
			    "'drift_edges'", name);
	if (classlib_modes(json_object_get(s, "modes"), &mc->modes,
	    &mc->nmodes, err) < 0)
		return err_prefix(err, "class '%s'", name);
	for (i = 0; i < mc->nmodes; i++)
		for (j = 0; j < mc->modes[i].nsig; j++)
			mc->modes[i].sig[j].index = model_feature_index(mc,
			    mc->modes[i].sig[j].feature);
	return 0;
}

struct model *
model_parse(const char *text, size_t len, const char *tenant,
    struct twin_err *err)
{
	struct model *m = xcalloc(1, sizeof(*m));
	json_error_t je;
	const char *fmt, *key;
	json_t *cls, *v, *tr, *pa;
	size_t i;

	m->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (m->doc == NULL || !json_is_object(m->doc)) {
		err_set(err, TWIN_ECONFIG, "not a model file: %s",
		    m->doc ? "not an object" : je.text);
		goto bad;
	}
	fmt = json_string_value(json_object_get(m->doc, "format"));
	if (fmt == NULL || strcmp(fmt, MODEL_FORMAT) != 0) {
		err_set(err, TWIN_ECONFIG, "model format '%s' is not '%s'",
		    fmt ? fmt : "(none)", MODEL_FORMAT);
		goto bad;
	}
	m->tenant = json_string_value(json_object_get(m->doc, "tenant"));
	if (m->tenant == NULL) {
		err_set(err, TWIN_ECONFIG, "model has no tenant");
		goto bad;
	}
	if (tenant != NULL && strcmp(tenant, m->tenant) != 0) {
		err_set(err, TWIN_ECONFIG, "model of tenant '%s', not '%s'",
		    m->tenant, tenant);
		goto bad;
	}
	tr = json_object_get(m->doc, "train");
	if (tm_from_json(json_object_get(tr, "from"), &m->train_from,
	    NULL) < 0 || tm_from_json(json_object_get(tr, "to"),
	    &m->train_to, NULL) < 0) {
		err_set(err, TWIN_ECONFIG, "model has no training range");
		goto bad;
	}
	model_params_default(&m->params);
	pa = json_object_get(m->doc, "params");
	m->params.watch = getnum(pa, "watch", m->params.watch);
	m->params.warning = getnum(pa, "warning", m->params.warning);
	m->params.alarm = getnum(pa, "alarm", m->params.alarm);
	m->params.min_present = getnum(pa, "min_present",
	    m->params.min_present);
	m->params.drift_psi = getnum(pa, "drift_psi", m->params.drift_psi);
	m->params.drift_min = (size_t)getnum(pa, "drift_min",
	    (double)m->params.drift_min);
	v = json_object_get(pa, "max_age");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 366 * 86400) {
			err_set(err, TWIN_ECONFIG, "model 'max_age' must be 1 "
			    "to 31622400 seconds");
			goto bad;
		}
		m->params.max_age = (int64_t)json_integer_value(v) *
		    TM_NS_PER_S;
	}
	cls = json_object_get(m->doc, "classes");
	if (!json_is_object(cls) || json_object_size(cls) == 0 ||
	    json_object_size(cls) > 1000) {
		err_set(err, TWIN_ECONFIG, "model has no classes");
		goto bad;
	}
	m->cls = xcalloc(json_object_size(cls), sizeof(*m->cls));
	i = 0;
	json_object_foreach(cls, key, v) {
		m->ncls = i + 1;
		if (class_parse(&m->cls[i], key, v, err) < 0)
			goto bad;
		i++;
	}
	return m;
bad:
	model_free(m);
	return NULL;
}

void
model_free(struct model *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ncls; i++)
		class_free(&m->cls[i]);
	free(m->cls);
	json_decref(m->doc);
	free(m);
}

const struct model_class *
model_class_get(const struct model *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->ncls; i++)
		if (strcmp(m->cls[i].name, name) == 0)
			return &m->cls[i];
	return NULL;
}

int
model_feature_index(const struct model_class *mc, const char *name)
{
	size_t i;

	for (i = 0; i < mc->p; i++)
		if (strcmp(mc->features[i], name) == 0)
			return (int)i;
	return -1;
}

void
model_result_init(struct model_result *r, const struct model_class *mc)
{
	size_t p = mc->p;

	memset(r, 0, sizeof(*r));
	r->v = xcalloc(p, sizeof(*r->v));
	r->c = xcalloc(p, sizeof(*r->c));
	r->z = xcalloc(p, sizeof(*r->z));
	r->baseline = xcalloc(p, sizeof(*r->baseline));
	r->order = xcalloc(p, sizeof(*r->order));
	r->mp = xcalloc(mc->nmodes ? mc->nmodes : 1, sizeof(*r->mp));
	r->morder = xcalloc(mc->nmodes ? mc->nmodes : 1, sizeof(*r->morder));
}

void
model_result_free(struct model_result *r)
{
	free(r->v);
	free(r->c);
	free(r->z);
	free(r->baseline);
	free(r->order);
	free(r->mp);
	free(r->morder);
	memset(r, 0, sizeof(*r));
}

/* Row of the asset in base and basefu, or -1. */
static long
asset_row(const struct model_class *mc, const char *asset)
{
	json_t *ix = asset ? json_object_get(mc->assets, asset) : NULL;

	return ix == NULL ? -1 : (long)json_integer_value(ix);
}

static const double *
asset_base(const struct model_class *mc, const char *asset)
{
	long row = asset_row(mc, asset);

	return row < 0 ? NULL : mc->base + (size_t)row * mc->p;
}

double
model_deviation(const struct model_class *mc, const char *asset, size_t i,
    double x)
{
	const double *b = asset_base(mc, asset);

	if (isnan(x))
		return NAN;
	return (transform(mc->logt[i], mc->floor[i], x) -
	    (b ? b[i] : mc->center[i])) / mc->scale[i];
}

int
model_score(const struct model *m, const struct model_class *mc,
    const char *asset, const double *x, struct model_result *r,
    struct twin_err *err)
{
	size_t p = mc->p, q = 0, i, j, a, b, *ix, ixs[64];
	long row = asset_row(mc, asset);
	const double *base, *bfu;
	double *sub = NULL, *v, *w, tot, s, vs[128], csort[64], *cs;
	int rc = 0;

	r->no_baseline = row < 0;
	base = row < 0 ? mc->center : mc->base + (size_t)row * p;
	bfu = mc->basefu + (row < 0 ? json_object_size(mc->assets) :
	    (size_t)row) * p;
	/* the usual class is small: no allocation per score */
	ix = p <= 64 ? ixs : xmalloc(p * sizeof(*ix));
	memcpy(r->baseline, bfu, p * sizeof(*bfu));
	for (i = 0; i < p; i++) {
		r->c[i] = 0;
		r->z[i] = 0;
		r->v[i] = 0;
		if (isnan(x[i]))
			continue;
		r->v[i] = (transform(mc->logt[i], mc->floor[i], x[i]) -
		    base[i]) / mc->scale[i] - mc->mean[i];
		r->z[i] = r->v[i] / mc->sd[i];
		ix[q++] = i;
	}
	r->npresent = q;
	r->partial = q < p;
	r->ncontrib = 0;
	if (q == 0 || (double)q < m->params.min_present * (double)p) {
		r->severity = SEV_UNKNOWN;
		rc = err_set(err, TWIN_EDATA, "%zu of %zu features present", q,
		    p);
		goto out;
	}
	v = q <= 64 ? vs : xmalloc(2 * q * sizeof(*v));
	w = v + q;
	for (a = 0; a < q; a++)
		v[a] = r->v[ix[a]];
	if (q == p) {
		la_chol_solve(mc->chol, p, v, w);
	} else {
		sub = xmalloc(q * q * sizeof(*sub));
		for (a = 0; a < q; a++)
			for (b = 0; b < q; b++)
				sub[a * q + b] = mc->cov[ix[a] * p + ix[b]];
		if (la_cholesky(sub, q) < 0) {
			if (v != vs)
				free(v);
			r->severity = SEV_UNKNOWN;
			rc = err_set(err, TWIN_EDATA, "singular covariance");
			goto out;
		}
		la_chol_solve(sub, q, v, w);
	}
	r->d2 = 0;
	for (a = 0; a < q; a++) {
		r->c[ix[a]] = v[a] * w[a];
		r->d2 += r->c[ix[a]];
	}
	if (v != vs)
		free(v);
	/* a marginal distance over q features is scaled to p features */
	r->score = calib(mc->qtab, mc->theta, mc->ntrain, mc->ntail,
	    r->d2 * (double)p / (double)q, &r->lo, &r->hi);
	if (r->score >= m->params.alarm)
		r->severity = SEV_ALARM;
	else if (r->score >= m->params.warning)
		r->severity = SEV_WARNING;
	else if (r->score >= m->params.watch)
		r->severity = SEV_WATCH;
	else
		r->severity = SEV_NORMAL;
	/*
	 * contributions ranked, largest first; ties keep feature order (an
	 * insertion sort of the values beside their indices)
	 */
	cs = p <= 64 ? csort : xmalloc(p * sizeof(*cs));
	for (i = 0; i < p; i++) {
		if (!(r->c[i] > 0))
			continue;
		s = r->c[i];
		for (j = r->ncontrib; j > 0 && s > cs[j - 1]; j--) {
			cs[j] = cs[j - 1];
			r->order[j] = r->order[j - 1];
		}
		cs[j] = s;
		r->order[j] = i;
		r->ncontrib++;
	}
	if (cs != csort)
		free(cs);
	/* failure modes: weighted share of the positive contributions */
	tot = 0;
	for (i = 0; i < p; i++)
		if (r->c[i] > 0)
			tot += r->c[i];
	for (i = 0; i < mc->nmodes; i++) {
		s = 0;
		for (j = 0; j < mc->modes[i].nsig; j++) {
			int k = mc->modes[i].sig[j].index;

			if (k >= 0 && r->c[k] > 0 && r->v[k] > 0)
				s += mc->modes[i].sig[j].weight * r->c[k];
		}
		r->mp[i] = tot > 0 ? s / tot : 0;
		r->morder[i] = i;
	}
	for (i = 1; i < mc->nmodes; i++)
		for (j = i; j > 0 && r->mp[r->morder[j]] >
		    r->mp[r->morder[j - 1]]; j--) {
			size_t t = r->morder[j];

			r->morder[j] = r->morder[j - 1];
			r->morder[j - 1] = t;
		}
out:
	free(sub);
	if (ix != ixs)
		free(ix);
	return rc;
}

/*
 * The feature record scanner.  A cursor walks the line: every helper takes
 * it and returns it past what it read, or NULL to decline.  The strings
 * kept are copied into fr->scratch with a NUL; it is grown once per line
 * to hold them all, so their addresses stay put.
 */
struct scan {
	const char *end;
	int ws;			/* the line holds a space or a tab */
	char *copy;		/* where the next string copy goes */
	struct featrec *fr;
};

/* The few helpers called for every token are inlined where possible. */
#ifdef __GNUC__
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

/* Blanks between tokens; a line without any (the usual) skips nothing. */
static inline const char *
blank(const struct scan *s, const char *p)
{
	if (s->ws)
		while (p < s->end && (*p == ' ' || *p == '\t'))
			p++;
	return p;
}

static inline const char *
jchar(const struct scan *s, const char *p, char c)
{
	p = blank(s, p);
	return p < s->end && *p == c ? p + 1 : NULL;
}

/* Bytes a string may hold without a closer look: printable ASCII but '"'
 * and '\\'. */
static unsigned char plain[256];

static void
plain_init(void)
{
	int c;

	for (c = 0x20; c < 0x7f; c++)
		plain[c] = c != '"' && c != '\\';
}

/*
 * The first byte at or after q that is not plain.  Eight bytes at a time
 * while none of them is: a byte below 0x20, from 0x7f up, '"' or '\\'
 * sets its high bit in t.  A borrow can flag a byte wrongly only above
 * one flagged rightly, so the lowest flag is the first such byte.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HASZERO(w) (((w) - ONES) & ~(w) & HIGHS)

#ifdef __SSE2__
/* '"', '\\', DEL and blank sixteen times, loaded rather than made per call */
static const union {
	char c[16];
	__m128i v;
} sse_k[4] = {
#define X16(c) { { c, c, c, c, c, c, c, c, c, c, c, c, c, c, c, c } }
	X16('"'), X16('\\'), X16(0x7f), X16(0x20)
#undef X16
};
#endif

static inline const char *
plain_run(const char *q, const char *end)
{
	uint64_t w, t;

#ifdef __SSE2__
	/* sixteen at a time: signed bytes below 0x20 are controls or not
	 * ASCII */
	while (end - q >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, sse_k[0].v),
		    _mm_cmpeq_epi8(v, sse_k[1].v)), _mm_or_si128(
		    _mm_cmpeq_epi8(v, sse_k[2].v),
		    _mm_cmplt_epi8(v, sse_k[3].v))));

		if (mask != 0)
			return q + __builtin_ctz(mask);
		q += 16;
	}
#endif
	while (end - q >= 8) {
		memcpy(&w, q, 8);
		t = (((w - 0x20 * ONES) & ~w) | w | HASZERO(w ^ ('"' * ONES)) |
		    HASZERO(w ^ ('\\' * ONES)) | HASZERO(w ^ (0x7f * ONES))) &
		    HIGHS;
		if (t != 0) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* the lowest flag is exact: the first byte to look at */
			return q + __builtin_ctzll(t) / 8;
#else
			break;
#endif
		}
		q += 8;
	}
	while (q < end && plain[(unsigned char)*q])
		q++;
	return q;
}

/* A string without escapes, ASCII only: its bytes in the line. */
ALWAYS_INLINE const char *
jstr(const struct scan *s, const char *p, const char **str, size_t *len)
{
	const char *q;

	p = blank(s, p);
	if (p >= s->end || *p != '"')
		return NULL;
	/* the first byte that is not plain decides */
	q = plain_run(p + 1, s->end);
	if (q >= s->end || *q != '"')
		return NULL;
	*str = p + 1;
	*len = (size_t)(q - p - 1);
	return q + 1;
}

/* A NUL-terminated copy of a string of the line, in the scratch. */
static const char *
jcopy(struct scan *s, const char *str, size_t len)
{
	char *c = s->copy;

	memcpy(c, str, len);
	c[len] = '\0';
	s->copy = c + len + 1;
	return c;
}

/*
 * A JSON number by the grammar; its value in *x, or with x NULL only
 * whether jansson would take it (a number without an exponent and of
 * fewer than 300 digits is finite).
 */
ALWAYS_INLINE const char *
jnum(const struct scan *s, const char *p, double *x)
{
	const char *q, *b, *end = s->end;
	char tmp[64];
	size_t n;
	int real = 0;		/* 1: a fraction, 2: an exponent */
	double dummy;

	b = q = blank(s, p);
	if (q < end && *q == '-')
		q++;
	if (q >= end || *q < '0' || *q > '9')
		return NULL;
	if (*q == '0')
		q++;
	else
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	if (q < end && *q == '.') {
		real = 1;
		if (++q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		real = 2;
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || *q < '0' || *q > '9')
			return NULL;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	n = (size_t)(q - b);
	/* jansson refuses integers beyond 64 bits; leave those to it */
	if (!real && n > 18)
		return NULL;
	if (x == NULL) {
		if (real < 2 && n < 300)
			return q;
		x = &dummy;
	}
	if (fastnum_parse(b, n, x) == 0)
		return q;
	if (n >= sizeof(tmp))
		return NULL;
	memcpy(tmp, b, n);
	tmp[n] = '\0';
	*x = strtod(tmp, NULL);
	return isfinite(*x) ? q : NULL;
}

static const char *
jlit(const struct scan *s, const char *p, const char *lit, size_t n)
{
	p = blank(s, p);
	if ((size_t)(s->end - p) < n || memcmp(p, lit, n) != 0)
		return NULL;
	return p + n;
}

/*
 * Keys of one object, to refuse duplicates as jansson does.  A bit per
 * key of its length and last byte: only keys that share the bit are
 * compared.
 */
struct keys {
	const char *k[64];
	size_t n[64];
	size_t count;
	uint64_t bits;
};

ALWAYS_INLINE int
newkey(struct keys *ks, const char *k, size_t n)
{
	uint64_t bit = 1ULL << ((n * 7 + (n ? (unsigned char)k[n - 1] : 0)) &
	    63);
	size_t i;

	if (ks->count == 64)
		return -1;
	if (ks->bits & bit)
		for (i = 0; i < ks->count; i++)
			if (ks->n[i] == n && memcmp(ks->k[i], k, n) == 0)
				return -1;
	ks->bits |= bit;
	ks->k[ks->count] = k;
	ks->n[ks->count++] = n;
	return 0;
}

/*
 * The end of an object or array at p: 1 after a ',' (another member
 * follows), 0 at the closer c, -1 on anything else.
 */
static inline int
jnext(const struct scan *s, const char **pp, char c)
{
	const char *p = blank(s, *pp);

	if (p < s->end && *p == ',') {
		*pp = p + 1;
		return 1;
	}
	if (p < s->end && *p == c) {
		*pp = p + 1;
		return 0;
	}
	return -1;
}

/* At an opener c: 1 when members follow, 0 when it closes at once. */
static inline int
jopen(const struct scan *s, const char **pp, char c, char close)
{
	const char *p = jchar(s, *pp, c);

	if (p == NULL)
		return -1;
	p = blank(s, p);
	if (p < s->end && *p == close) {
		*pp = p + 1;
		return 0;
	}
	*pp = p;
	return 1;
}

static const char *jskip(const struct scan *s, const char *p, int depth);

/* Skip a member's value: a string, number or literal here, else jskip. */
ALWAYS_INLINE const char *
jvalue(const struct scan *s, const char *p, int depth)
{
	const char *str;
	size_t len;

	p = blank(s, p);
	if (p >= s->end)
		return NULL;
	switch (*p) {
	case '"':
		return jstr(s, p, &str, &len);
	case 't':
		return jlit(s, p, "true", 4);
	case 'f':
		return jlit(s, p, "false", 5);
	case 'n':
		return jlit(s, p, "null", 4);
	case '[':
	case '{':
		return jskip(s, p, depth);
	default:
		return jnum(s, p, NULL);
	}
}

/* Skip any value, checking the grammar, to a depth of 8. */
static const char *
jskip(const struct scan *s, const char *p, int depth)
{
	const char *str;
	size_t len;
	struct keys ks;
	int more;

	p = blank(s, p);
	if (p >= s->end || depth > 8)
		return NULL;
	switch (*p) {
	case '[':
		for (more = jopen(s, &p, '[', ']'); more > 0;
		    more = jnext(s, &p, ']'))
			if ((p = jvalue(s, p, depth + 1)) == NULL)
				return NULL;
		return more < 0 ? NULL : p;
	case '{':
		ks.count = 0;
		ks.bits = 0;
		for (more = jopen(s, &p, '{', '}'); more > 0;
		    more = jnext(s, &p, '}'))
			if ((p = jstr(s, p, &str, &len)) == NULL ||
			    newkey(&ks, str, len) < 0 ||
			    (p = jchar(s, p, ':')) == NULL ||
			    (p = jvalue(s, p, depth + 1)) == NULL)
				return NULL;
		return more < 0 ? NULL : p;
	default:
		/* a string, number or literal */
		return jvalue(s, p, depth);
	}
}

/* Is the key k (n bytes) the literal name? */
#define keyis(k, n, name) \
	((n) == sizeof(name) - 1 && memcmp((k), (name), (n)) == 0)

/*
 * A time string; the records of one window end come together, so the
 * last text of each slot and its value are kept.
 */
static const char *
jtime(const struct scan *s, const char *p, int slot, int64_t *t)
{
	struct featrec *fr = s->fr;
	const char *str;
	size_t len;

	if ((p = jstr(s, p, &str, &len)) == NULL)
		return NULL;
	if (len == fr->tlen[slot] && memcmp(str, fr->tstr[slot], len) == 0) {
		*t = fr->tval[slot];
		return p;
	}
	if (tm_parse(str, len, t, NULL) < 0)
		return NULL;
	if (len < sizeof(fr->tstr[slot])) {
		memcpy(fr->tstr[slot], str, len);
		fr->tlen[slot] = len;
		fr->tval[slot] = *t;
	}
	return p;
}

enum { K_KIND, K_TS, K_TENANT, K_ASSET, K_CLASS, K_CHANNEL, K_SITE,
	K_WINDOW, K_F, K_PROV, K_UNIT, K_SPEED, K_ISO, K_DQ, K_SPEC, K_SRC,
	K_START };

/* A key seen before is a duplicate: jansson refuses it. */
#define ONCE(seen, k) ((seen) & (1u << (k)) ? -1 : ((seen) |= 1u << (k), 0))

/* "window": its start is kept. */
static const char *
jwindow(struct scan *s, const char *p, unsigned *seen)
{
	const char *k;
	size_t n;
	struct keys ks;
	int more;

	ks.count = 0;
	ks.bits = 0;
	for (more = jopen(s, &p, '{', '}'); more > 0; more = jnext(s, &p, '}')) {
		if ((p = jstr(s, p, &k, &n)) == NULL ||
		    newkey(&ks, k, n) < 0 || (p = jchar(s, p, ':')) == NULL)
			return NULL;
		if (keyis(k, n, "start")) {
			if (ONCE(*seen, K_START) < 0 ||
			    (p = jtime(s, p, 1, &s->fr->wstart)) == NULL)
				return NULL;
			s->fr->has_wstart = 1;
		} else if ((p = jvalue(s, p, 1)) == NULL) {
			return NULL;
		}
	}
	return more < 0 ? NULL : p;
}

/* "f": names and values (null is NaN). */
static const char *
jfeatures(struct scan *s, const char *p)
{
	struct featrec *fr = s->fr;
	const char *k;
	size_t n;
	struct keys ks;
	int more;

	ks.count = 0;
	ks.bits = 0;
	for (more = jopen(s, &p, '{', '}'); more > 0; more = jnext(s, &p, '}')) {
		if (fr->nf == FEATREC_MAX_F ||
		    (p = jstr(s, p, &k, &n)) == NULL ||
		    newkey(&ks, k, n) < 0 || (p = jchar(s, p, ':')) == NULL)
			return NULL;
		p = blank(s, p);
		if (p < s->end && *p == 'n') {
			if ((p = jlit(s, p, "null", 4)) == NULL)
				return NULL;
			fr->fval[fr->nf] = NAN;
		} else if ((p = jnum(s, p, &fr->fval[fr->nf])) == NULL) {
			return NULL;
		}
		fr->fname[fr->nf++] = jcopy(s, k, n);
	}
	return more < 0 ? NULL : p;
}

/* "prov": the feature spec's digest and the sources are kept. */
static const char *
jprov(struct scan *s, const char *p, unsigned *seen)
{
	struct featrec *fr = s->fr;
	const char *k, *str;
	size_t n, len;
	struct keys ks;
	int more, more2;

	ks.count = 0;
	ks.bits = 0;
	for (more = jopen(s, &p, '{', '}'); more > 0; more = jnext(s, &p, '}')) {
		if ((p = jstr(s, p, &k, &n)) == NULL ||
		    newkey(&ks, k, n) < 0 || (p = jchar(s, p, ':')) == NULL)
			return NULL;
		if (keyis(k, n, "spec_sha256")) {
			if (ONCE(*seen, K_SPEC) < 0 ||
			    (p = jstr(s, p, &str, &len)) == NULL)
				return NULL;
			fr->spec = jcopy(s, str, len);
		} else if (keyis(k, n, "src")) {
			if (ONCE(*seen, K_SRC) < 0)
				return NULL;
			for (more2 = jopen(s, &p, '[', ']'); more2 > 0;
			    more2 = jnext(s, &p, ']')) {
				if ((p = jstr(s, p, &str, &len)) == NULL)
					return NULL;
				if (fr->nsrc < FEATREC_MAX_SRC)
					fr->src[fr->nsrc++] = jcopy(s, str,
					    len);
			}
			if (more2 < 0)
				return NULL;
		} else if ((p = jvalue(s, p, 1)) == NULL) {
			return NULL;
		}
	}
	return more < 0 ? NULL : p;
}

enum { MEMO_WINDOW, MEMO_DQ, MEMO_PROV };

/* Objects longer than this are read every time. */
#define MEMO_MAX 1024

/*
 * The object at p is the one of memo slot k, byte for byte: what was taken
 * from it is set again and the cursor moved past it.  An object ends at
 * its closing brace, so equal bytes are the same object, already checked.
 */
static const char *
memo_hit(struct scan *s, const char *p, int k)
{
	struct featrec *fr = s->fr;
	struct featrec_memo *m = &fr->memo[k];
	const char *c;
	size_t i;

	if (m->text.len == 0 || (size_t)(s->end - p) < m->text.len ||
	    memcmp(p, m->text.s, m->text.len) != 0)
		return NULL;
	if (k == MEMO_WINDOW) {
		fr->wstart = m->wstart;
		fr->has_wstart = m->has_wstart;
	} else if (k == MEMO_PROV) {
		c = m->store.s;
		if (m->has_spec) {
			fr->spec = c;
			c += strlen(c) + 1;
		}
		for (i = 0; i < m->nsrc; i++) {
			fr->src[i] = c;
			c += strlen(c) + 1;
		}
		fr->nsrc = m->nsrc;
	}
	return p + m->text.len;
}

/* Keep the object [p, q) read into slot k with what was taken from it. */
static void
memo_keep(struct scan *s, const char *p, const char *q, int k)
{
	struct featrec *fr = s->fr;
	struct featrec_memo *m = &fr->memo[k];
	size_t i;

	m->text.len = 0;
	if (q - p > MEMO_MAX)
		return;
	m->wstart = fr->wstart;
	m->has_wstart = fr->has_wstart;
	m->store.len = 0;
	m->has_spec = k == MEMO_PROV && fr->spec != NULL;
	m->nsrc = k == MEMO_PROV ? fr->nsrc : 0;
	if (m->has_spec)
		buf_add(&m->store, fr->spec, strlen(fr->spec) + 1);
	for (i = 0; i < m->nsrc; i++)
		buf_add(&m->store, fr->src[i], strlen(fr->src[i]) + 1);
	buf_add(&m->text, p, (size_t)(q - p));
}

/* The top level: each known key once; any other declines. */
static const char *
jtop(struct scan *s, const char *p, unsigned *seen)
{
	struct featrec *fr = s->fr;
	const char *k, *str, **dst;
	size_t n, len;
	int more, i;

	for (more = jopen(s, &p, '{', '}'); more > 0; more = jnext(s, &p, '}')) {
		if ((p = jstr(s, p, &k, &n)) == NULL ||
		    (p = jchar(s, p, ':')) == NULL)
			return NULL;
		if (keyis(k, n, "kind")) {
			if (ONCE(*seen, K_KIND) < 0 ||
			    (p = jstr(s, p, &str, &len)) == NULL ||
			    !keyis(str, len, "feature"))
				return NULL;
			continue;
		}
		if (keyis(k, n, "ts")) {
			if (ONCE(*seen, K_TS) < 0 ||
			    (p = jtime(s, p, 0, &fr->ts)) == NULL)
				return NULL;
			continue;
		}
		i = keyis(k, n, "tenant") ? 0 : keyis(k, n, "asset") ? 1 :
		    keyis(k, n, "class") ? 2 : keyis(k, n, "channel") ? 3 :
		    keyis(k, n, "site") ? 4 : -1;
		if (i >= 0) {
			dst = i == 0 ? &fr->tenant : i == 1 ? &fr->asset :
			    i == 2 ? &fr->cls : i == 3 ? &fr->channel :
			    &fr->site;
			if (ONCE(*seen, K_TENANT + i) < 0 ||
			    (p = jstr(s, p, &str, &len)) == NULL || len == 0)
				return NULL;
			*dst = jcopy(s, str, len);
			continue;
		}
		if (keyis(k, n, "window") || keyis(k, n, "prov") ||
		    keyis(k, n, "dq")) {
			const char *q;
			int mk = k[0] == 'w' ? MEMO_WINDOW : k[0] == 'p' ?
			    MEMO_PROV : MEMO_DQ;

			if (ONCE(*seen, mk == MEMO_WINDOW ? K_WINDOW :
			    mk == MEMO_PROV ? K_PROV : K_DQ) < 0)
				return NULL;
			p = blank(s, p);
			if (p < s->end && *p != '{') {
				/* only an object is kept; window and prov
				 * must be one */
				if (mk != MEMO_DQ || (p = jvalue(s, p, 1)) ==
				    NULL)
					return NULL;
				continue;
			}
			if ((q = memo_hit(s, p, mk)) != NULL) {
				p = q;
				continue;
			}
			q = mk == MEMO_WINDOW ? jwindow(s, p, seen) :
			    mk == MEMO_PROV ? jprov(s, p, seen) :
			    jskip(s, p, 1);
			if (q == NULL)
				return NULL;
			memo_keep(s, p, q, mk);
			p = q;
			continue;
		}
		if (keyis(k, n, "f"))
			p = ONCE(*seen, K_F) < 0 ? NULL : jfeatures(s, p);
		else if (keyis(k, n, "unit"))
			p = ONCE(*seen, K_UNIT) < 0 ? NULL : jvalue(s, p, 1);
		else if (keyis(k, n, "speed_hz"))
			p = ONCE(*seen, K_SPEED) < 0 ? NULL : jvalue(s, p, 1);
		else if (keyis(k, n, "iso_zone"))
			p = ONCE(*seen, K_ISO) < 0 ? NULL : jvalue(s, p, 1);
		else
			p = NULL;
		if (p == NULL)
			return NULL;
	}
	return more < 0 ? NULL : p;
}

int
featrec_scan(const char *line, size_t n, const char *want,
    struct featrec *fr)
{
	const unsigned need = 1u << K_KIND | 1u << K_TS | 1u << K_TENANT |
	    1u << K_ASSET | 1u << K_CLASS | 1u << K_CHANNEL | 1u << K_F;
	unsigned seen = 0;
	struct scan s;
	const char *p;

	if (!plain[' '])
		plain_init();
	fr->nf = fr->nsrc = 0;
	fr->has_wstart = 0;
	fr->site = fr->spec = NULL;
	/* every string kept is shorter than the line, and a NUL each */
	fr->scratch.len = 0;
	buf_grow(&fr->scratch, n + n / 2 + 2);
	s.end = line + n;
	s.copy = fr->scratch.s;
	s.fr = fr;
	/* a line as programs write it has no blank to skip: one look */
	s.ws = memchr(line, ' ', n) != NULL || memchr(line, '\t', n) != NULL;
	if ((p = jtop(&s, line, &seen)) == NULL)
		return 0;
	p = blank(&s, p);
	if (p != s.end || (seen & need) != need)
		return 0;
	if (want != NULL && strcmp(fr->tenant, want) != 0)
		return 0;
	return 1;
}

int
featrec_from_json(const json_t *r, int64_t ts, struct featrec *fr,
    struct twin_err *err)
{
	json_t *f = json_object_get(r, "f"), *v, *w, *prov, *e;
	const char *name;
	size_t i;

	fr->ts = ts;
	fr->nf = fr->nsrc = 0;
	fr->has_wstart = 0;
	fr->tenant = json_string_value(json_object_get(r, "tenant"));
	fr->asset = json_string_value(json_object_get(r, "asset"));
	fr->cls = json_string_value(json_object_get(r, "class"));
	fr->channel = json_string_value(json_object_get(r, "channel"));
	fr->site = json_string_value(json_object_get(r, "site"));
	if (fr->asset == NULL || *fr->asset == '\0' || fr->cls == NULL ||
	    *fr->cls == '\0' || fr->channel == NULL || *fr->channel == '\0')
		return err_set(err, TWIN_EDATA, "feature record needs 'asset', "
		    "'class' and 'channel'");
	if (!json_is_object(f))
		return err_set(err, TWIN_EDATA, "feature record needs an "
		    "object 'f'");
	json_object_foreach(f, name, v) {
		if (!json_is_number(v) && !json_is_null(v))
			return err_set(err, TWIN_EDATA, "feature '%s' is not a "
			    "number", name);
		if (fr->nf == FEATREC_MAX_F)
			return err_set(err, TWIN_EDATA, "more than %d features",
			    FEATREC_MAX_F);
		fr->fname[fr->nf] = name;
		fr->fval[fr->nf++] = json_is_null(v) ? NAN :
		    json_number_value(v);
	}
	w = json_object_get(json_object_get(r, "window"), "start");
	if (w != NULL) {
		if (tm_from_json(w, &fr->wstart, err) < 0)
			return err_prefix(err, "window start");
		fr->has_wstart = 1;
	}
	prov = json_object_get(r, "prov");
	fr->spec = json_string_value(json_object_get(prov, "spec_sha256"));
	json_array_foreach(json_object_get(prov, "src"), i, e)
		if (json_is_string(e) && fr->nsrc < FEATREC_MAX_SRC)
			fr->src[fr->nsrc++] = json_string_value(e);
	return 0;
}

void
featrec_free(struct featrec *fr)
{
	size_t i;

	buf_free(&fr->scratch);
	for (i = 0; i < 3; i++) {
		buf_free(&fr->memo[i].text);
		buf_free(&fr->memo[i].store);
	}
}
