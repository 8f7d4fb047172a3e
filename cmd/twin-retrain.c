/*
 * twin-retrain - train health models from feature history, evaluate a
 * candidate against production on a hold-out window, promote it when the
 * policy's gate holds, roll back, and move models between sites as
 * bundles.  Safe under cron: one run at a time per tenant (flock), re-runs
 * on the same data find the same model and do nothing, and the exit status
 * tells promoted, kept, nothing to do and error apart.  See twin-retrain(1).
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "classlib.h"
#include "diag.h"
#include "digest.h"
#include "err.h"
#include "join.h"
#include "linalg.h"
#include "model.h"
#include "ndj.h"
#include "out.h"
#include "rec.h"
#include "registry.h"
#include "tm.h"
#include "banned.h"

enum {
	EXIT_PROMOTED = 0,
	EXIT_KEPT = 10,
	EXIT_NOTHING = 11
};

#define ASSET_MONTH (30 * 24 * 3600 * TM_NS_PER_S)
#define MAX_BUNDLE (64u * 1024 * 1024)

enum { OPT_TRIGGER = 256 };

static const struct option longopts[] = {
	{ "classes", required_argument, NULL, 'C' },
	{ "drift", required_argument, NULL, 'd' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ "policy", required_argument, NULL, 'P' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "registry", required_argument, NULL, 'r' },
	{ "reject", required_argument, NULL, 'R' },
	{ "tenant", required_argument, NULL, 'T' },
	{ "trigger", required_argument, NULL, OPT_TRIGGER },
	{ NULL, 0, NULL, 0 }
};

struct policy {
	int64_t holdout;
	struct model_params mp;
	int alert_sev;
	size_t persist;
	double min_precision, min_recall, max_far, max_recall_drop;
	double max_far_rise;
	int64_t min_lead;
	char sha[65];
};

struct label {
	char *asset;
	char *mode;
	int fault;		/* confirmed or action_taken */
	int64_t from, to;
};

/* Rows of one class, joined per asset (lib/join.h). */
struct cdata {
	const char *cls;
	json_t *tmpl;
	json_t *features;	/* array of names */
	json_t *index;		/* feature name -> index */
	char *primary;		/* the channel whose windows make rows */
	struct model_data d;
	json_t *rowix;		/* asset -> index into js */
	struct join *js;
	char **jasset;
	size_t nj;
};

struct metrics {
	size_t alerts, tp, fp, faults, detected, mode_ok;
	double asset_months;
	double precision, recall, far, lead_med, lead_min;
};

static const char *tenant;
static char *tenant_own;
static int dry_run;
static struct registry reg;
static struct label *labels;
static size_t nlabels;
static struct cdata *cd;
static size_t ncd;
static json_t *unknown_cls;
static int64_t max_age = JOIN_MAX_AGE_DEFAULT;
static unsigned long long nlate;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: twin-retrain [-hnq] [-C classes] [-d drift-file] "
	    "[-P policy] [-R file]\n"
	    "                    [-r dir] [-T tenant] "
	    "[--trigger cron|drift|manual]\n"
	    "                    train [file ...]\n"
	    "       twin-retrain [-hnq] [-r dir] [-T tenant] promote model\n"
	    "       twin-retrain [-hnq] [-r dir] [-T tenant] rollback "
	    "[model]\n"
	    "       twin-retrain [-hq] [-r dir] [-T tenant] show [model]\n"
	    "       twin-retrain [-hq] [-r dir] [-T tenant] export model "
	    "file.tar.gz\n"
	    "       twin-retrain [-hnq] [-r dir] [-T tenant] import "
	    "file.tar.gz\n");
}

static double
pnum(const json_t *o, const char *key, double def)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : def;
}

static int
sev_of(const char *s)
{
	int i;

	for (i = SEV_WATCH; i <= SEV_ALARM; i++)
		if (strcmp(s, model_severity_name(i)) == 0)
			return i;
	return -1;
}

static int
policy_load(struct policy *p, const char *path, struct twin_err *err)
{
	json_t *doc = NULL, *g, *s, *a, *v;
	const char *str;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	model_params_default(&p->mp);
	p->holdout = 7 * 24 * 3600 * TM_NS_PER_S;
	p->alert_sev = SEV_WARNING;
	p->persist = 3;
	p->min_precision = p->min_recall = 0;
	p->max_far = INFINITY;
	p->max_recall_drop = p->max_far_rise = INFINITY;
	p->min_lead = 0;
	if (path == NULL)
		return 0;
	if ((doc = ndj_load_file(path, err)) == NULL)
		return -1;
	if (digest_file_sha256_hex(path, p->sha, err) < 0)
		goto out;
	if (!json_is_object(doc)) {
		err_set(err, TWIN_ECONFIG, "%s: not a JSON object", path);
		goto out;
	}
	str = json_string_value(json_object_get(doc, "tenant"));
	if (str != NULL && tenant == NULL) {
		if (!rec_tenant_valid(str)) {
			err_set(err, TWIN_ECONFIG, "%s: invalid tenant '%s'",
			    path, str);
			goto out;
		}
		tenant = tenant_own = xstrdup(str);
	}
	if (str != NULL && strcmp(str, tenant) != 0) {
		err_set(err, TWIN_ECONFIG, "%s: policy of tenant '%s', not "
		    "'%s'", path, str, tenant);
		goto out;
	}
	if ((str = json_string_value(json_object_get(doc, "holdout"))) &&
	    tm_parse_duration(str, &p->holdout, err) < 0) {
		err_prefix(err, "%s: holdout", path);
		err->code = TWIN_ECONFIG;
		goto out;
	}
	v = json_object_get(doc, "max_age");
	if (v != NULL && !json_is_string(v)) {
		err_set(err, TWIN_ECONFIG, "%s: max_age must be a duration "
		    "such as \"3h\"", path);
		goto out;
	}
	if ((str = json_string_value(v))) {
		if (tm_parse_duration(str, &p->mp.max_age, err) < 0) {
			err_prefix(err, "%s: max_age", path);
			err->code = TWIN_ECONFIG;
			goto out;
		}
		if (p->mp.max_age < TM_NS_PER_S || p->mp.max_age > 366 *
		    86400 * TM_NS_PER_S) {
			err_set(err, TWIN_ECONFIG, "%s: max_age must be 1s "
			    "to 366d", path);
			goto out;
		}
	}
	s = json_object_get(doc, "severity");
	p->mp.watch = pnum(s, "watch", p->mp.watch);
	p->mp.warning = pnum(s, "warning", p->mp.warning);
	p->mp.alarm = pnum(s, "alarm", p->mp.alarm);
	if (!(p->mp.watch > 0 && p->mp.watch < p->mp.warning &&
	    p->mp.warning < p->mp.alarm && p->mp.alarm < 1)) {
		err_set(err, TWIN_ECONFIG, "%s: severity thresholds must rise "
		    "strictly between 0 and 1", path);
		goto out;
	}
	p->mp.min_present = pnum(doc, "min_present", p->mp.min_present);
	p->mp.min_asset_rows = (size_t)pnum(doc, "min_asset_windows",
	    (double)p->mp.min_asset_rows);
	s = json_object_get(doc, "drift");
	p->mp.drift_psi = pnum(s, "psi", p->mp.drift_psi);
	p->mp.drift_min = (size_t)pnum(s, "min_windows",
	    (double)p->mp.drift_min);
	a = json_object_get(doc, "alert");
	if ((str = json_string_value(json_object_get(a, "severity")))) {
		if ((p->alert_sev = sev_of(str)) < 0) {
			err_set(err, TWIN_ECONFIG, "%s: alert severity '%s' is "
			    "not watch, warning or alarm", path, str);
			goto out;
		}
	}
	v = json_object_get(a, "persist");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000) {
			err_set(err, TWIN_ECONFIG, "%s: alert persist must be "
			    "1 to 1000 windows", path);
			goto out;
		}
		p->persist = (size_t)json_integer_value(v);
	}
	g = json_object_get(doc, "gate");
	p->min_precision = pnum(g, "min_precision", p->min_precision);
	p->min_recall = pnum(g, "min_recall", p->min_recall);
	p->max_far = pnum(g, "max_false_alarms_per_asset_month", p->max_far);
	p->max_recall_drop = pnum(g, "max_recall_drop", p->max_recall_drop);
	p->max_far_rise = pnum(g, "max_false_alarm_rise", p->max_far_rise);
	if ((str = json_string_value(json_object_get(g, "min_lead_time"))) &&
	    tm_parse_duration(str, &p->min_lead, err) < 0) {
		err_prefix(err, "%s: min_lead_time", path);
		err->code = TWIN_ECONFIG;
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

static struct cdata *
cdata_get(const struct classlib *cl, const char *cls)
{
	json_t *t;
	size_t i;

	for (i = 0; i < ncd; i++)
		if (strcmp(cd[i].cls, cls) == 0)
			return &cd[i];
	if ((t = classlib_get(cl, cls)) == NULL)
		return NULL;
	cd = xrealloc(cd, (ncd + 1) * sizeof(*cd));
	memset(&cd[ncd], 0, sizeof(*cd));
	cd[ncd].cls = json_string_value(json_object_get(t, "class"));
	cd[ncd].tmpl = t;
	cd[ncd].features = classlib_features(t);
	cd[ncd].index = json_object();
	for (i = 0; i < json_array_size(cd[ncd].features); i++)
		json_object_set_new(cd[ncd].index, json_string_value(
		    json_array_get(cd[ncd].features, i)),
		    json_integer((json_int_t)i));
	model_data_init(&cd[ncd].d, json_array_size(cd[ncd].features));
	cd[ncd].rowix = json_object();
	{
		size_t p = json_array_size(cd[ncd].features);
		const char **f = xmalloc((p ? p : 1) * sizeof(*f));

		for (i = 0; i < p; i++)
			f[i] = json_string_value(json_array_get(
			    cd[ncd].features, i));
		cd[ncd].primary = model_primary(f, p, json_string_value(
		    json_object_get(t, "primary")));
		free(f);
	}
	return &cd[ncd++];
}

static int
take_label(const json_t *rec, int64_t ts, struct twin_err *err)
{
	const char *asset = rec_str(rec, "asset"), *oc = rec_str(rec,
	    "outcome"), *mode = rec_str(rec, "mode");
	struct label *l;
	int64_t from = ts, to = ts;

	if (asset == NULL || oc == NULL)
		return err_set(err, TWIN_EDATA, "label needs 'asset' and "
		    "'outcome'");
	if (strcmp(oc, "confirmed") != 0 && strcmp(oc, "false_alarm") != 0 &&
	    strcmp(oc, "action_taken") != 0 && strcmp(oc, "unknown") != 0)
		return err_set(err, TWIN_EDATA, "label outcome '%s' is not "
		    "confirmed, false_alarm, action_taken or unknown", oc);
	if (json_object_get(rec, "from") && tm_from_json(json_object_get(rec,
	    "from"), &from, err) < 0)
		return err_prefix(err, "label 'from'");
	if (json_object_get(rec, "to") && tm_from_json(json_object_get(rec,
	    "to"), &to, err) < 0)
		return err_prefix(err, "label 'to'");
	if (to < from)
		return err_set(err, TWIN_EDATA, "label 'to' is before 'from'");
	labels = xrealloc(labels, (nlabels + 1) * sizeof(*labels));
	l = &labels[nlabels++];
	l->asset = xstrdup(asset);
	l->mode = mode ? xstrdup(mode) : NULL;
	l->fault = strcmp(oc, "confirmed") == 0 ||
	    strcmp(oc, "action_taken") == 0;
	l->from = from;
	l->to = to;
	return 0;
}

/* Write the pending row of join j of asset a, if it has any value. */
static void
row_out(struct cdata *c, struct join *j, const char *a)
{
	double *x = xmalloc((c->d.p ? c->d.p : 1) * sizeof(*x));
	int64_t t;

	if (join_emit(j, x, &t, NULL) > 0)
		model_data_add(&c->d, a, t, x);
	free(x);
}

/* The join of asset a in class c. */
static size_t
join_get(struct cdata *c, const char *a)
{
	json_t *ix = json_object_get(c->rowix, a);

	if (ix != NULL)
		return (size_t)json_integer_value(ix);
	c->js = xrealloc(c->js, (c->nj + 1) * sizeof(*c->js));
	c->jasset = xrealloc(c->jasset, (c->nj + 1) * sizeof(*c->jasset));
	join_init(&c->js[c->nj], c->d.p, max_age);
	c->jasset[c->nj] = xstrdup(a);
	json_object_set_new(c->rowix, a, json_integer((json_int_t)c->nj));
	return c->nj++;
}

/*
 * Take a feature record into its asset's join; rows come out as they are
 * due, the same way as in twin-score.  A late record is counted and left
 * out.
 */
static int
take_feature(const struct classlib *cl, const struct featrec *fr)
{
	int64_t wstart = fr->has_wstart ? fr->wstart : fr->ts;
	struct buf key = BUF_INIT;
	struct cdata *c;
	struct join *j;
	json_t *fi;
	size_t i;

	if ((c = cdata_get(cl, fr->cls)) == NULL) {
		if (json_object_get(unknown_cls, fr->cls) == NULL) {
			json_object_set_new(unknown_cls, fr->cls, json_true());
			diag_warn("asset class '%s' is not in the class "
			    "library: its features are not used", fr->cls);
		}
		return 0;
	}
	i = join_get(c, fr->asset);
	j = &c->js[i];
	if (join_late(j, fr->ts)) {
		nlate++;
		return 0;
	}
	if (join_due(j, fr->ts))
		row_out(c, j, c->jasset[i]);
	for (i = 0; i < fr->nf; i++) {
		if (isnan(fr->fval[i]))
			continue;
		buf_reset(&key);
		buf_adds(&key, fr->channel);
		buf_addc(&key, ':');
		buf_adds(&key, fr->fname[i]);
		if ((fi = json_object_get(c->index, buf_str(&key))) != NULL)
			join_set(j, (size_t)json_integer_value(fi), fr->ts,
			    wstart, fr->fval[i]);
	}
	buf_free(&key);
	if (c->primary != NULL && strcmp(fr->channel, c->primary) == 0)
		join_trigger(j, fr->ts);
	if (join_complete(j))
		row_out(c, j, fr->asset);
	return 0;
}

/* The end of the input: the pending rows, in asset order. */
static void
rows_flush(void)
{
	size_t i, k;

	for (i = 0; i < ncd; i++)
		for (k = 0; k < cd[i].nj; k++)
			row_out(&cd[i], &cd[i].js[k], cd[i].jasset[k]);
}

static int
read_input(const struct classlib *cl, const char *path)
{
	static struct featrec fr;
	struct ndj_reader *rd;
	struct twin_err err;
	enum rec_kind kind;
	json_t *rec;
	char *line;
	size_t len;
	int64_t ts;
	int rc;

	if (path == NULL || strcmp(path, "-") == 0)
		rd = ndj_open_fd(0, "<stdin>", NDJ_MAX_LINE_DEFAULT);
	else if ((rd = ndj_open_path(path, NDJ_MAX_LINE_DEFAULT, &err)) ==
	    NULL) {
		diag_warn("%s", err.msg);
		return -1;
	}
	while ((rc = ndj_next(rd, &line, &len, &err)) != 0) {
		if (rc < 0) {
			if (err.code != TWIN_EDATA) {
				diag_warn("%s: %s", ndj_name(rd), err.msg);
				ndj_close(rd);
				return -1;
			}
			diag_reject(ndj_name(rd), ndj_lineno(rd), NULL, 0, "%s",
			    err.msg);
			continue;
		}
		if (featrec_scan(line, len, tenant, &fr)) {
			take_feature(cl, &fr);
			continue;
		}
		rec = ndj_parse(line, len, &err);
		if (rec == NULL || rec_check(rec, tenant, &kind, &ts, &err) <
		    0 || (kind == REC_FEATURE && (featrec_from_json(rec, ts,
		    &fr, &err) < 0 || take_feature(cl, &fr) < 0)) ||
		    (kind == REC_LABEL && take_label(rec, ts, &err) < 0))
			diag_reject(ndj_name(rd), ndj_lineno(rd), line, len,
			    "%s", err.msg);
		json_decref(rec);
	}
	ndj_close(rd);
	featrec_free(&fr);
	return 0;
}

static int
in_fault(const char *asset, int64_t t, const struct label **which)
{
	size_t i;

	for (i = 0; i < nlabels; i++)
		if (labels[i].fault && strcmp(labels[i].asset, asset) == 0 &&
		    t >= labels[i].from && t <= labels[i].to) {
			if (which != NULL)
				*which = &labels[i];
			return 1;
		}
	return 0;
}

static const struct model_data *sort_data;

static int
cmp_row(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct model_data *d = sort_data;
	int c;

	if (d->ts[x] != d->ts[y])
		return d->ts[x] < d->ts[y] ? -1 : 1;
	c = strcmp(json_string_value(json_array_get(d->assets, d->asset[x])),
	    json_string_value(json_array_get(d->assets, d->asset[y])));
	if (c != 0)
		return c;
	return (x > y) - (x < y);
}

/* Rows of c in [from, to], in (time, asset) order; fault rows left out. */
static void
select_rows(const struct cdata *c, int64_t from, int64_t to, int nofault,
    struct model_data *out)
{
	size_t i, n = 0, *ix = xmalloc((c->d.n ? c->d.n : 1) * sizeof(*ix));
	const char *a;

	model_data_init(out, c->d.p);
	for (i = 0; i < c->d.n; i++) {
		a = json_string_value(json_array_get(c->d.assets,
		    c->d.asset[i]));
		if (c->d.ts[i] < from || c->d.ts[i] > to)
			continue;
		if (nofault && in_fault(a, c->d.ts[i], NULL))
			continue;
		ix[n++] = i;
	}
	sort_data = &c->d;
	qsort(ix, n, sizeof(*ix), cmp_row);
	for (i = 0; i < n; i++)
		model_data_add(out, json_string_value(json_array_get(
		    c->d.assets, c->d.asset[ix[i]])), c->d.ts[ix[i]],
		    c->d.x + ix[i] * c->d.p);
	free(ix);
}

/*
 * The canonical text of training rows for the data digest: class, asset
 * and window end, then each value as the 16 hex digits of its IEEE 754
 * bits (exact, and cheaper than decimal), one row per line.
 */
static void
digest_rows(struct buf *b, const char *cls, const struct model_data *d)
{
	static const char hex[] = "0123456789abcdef";
	char tsb[TM_BUFSZ], h[17];
	uint64_t bits;
	size_t r, i;
	int k;

	h[16] = '\0';
	for (r = 0; r < d->n; r++) {
		tm_format(d->ts[r], tsb);
		buf_adds(b, cls);
		buf_addc(b, '\t');
		buf_adds(b, json_string_value(json_array_get(d->assets,
		    d->asset[r])));
		buf_addc(b, '\t');
		buf_adds(b, tsb);
		for (i = 0; i < d->p; i++) {
			memcpy(&bits, &d->x[r * d->p + i], sizeof(bits));
			for (k = 15; k >= 0; k--, bits >>= 4)
				h[k] = hex[bits & 15];
			buf_addc(b, '\t');
			buf_add(b, h, 16);
		}
		buf_addc(b, '\n');
	}
}

static void
put_time(json_t *o, const char *key, int64_t t)
{
	char ts[TM_BUFSZ];

	tm_format(t, ts);
	json_object_set_new(o, key, json_string(ts));
}

static json_t *
params_json(const struct model_params *mp)
{
	json_t *p = json_object();

	json_object_set_new(p, "method", json_string("robust-mahalanobis"));
	json_object_set_new(p, "watch", json_real(mp->watch));
	json_object_set_new(p, "warning", json_real(mp->warning));
	json_object_set_new(p, "alarm", json_real(mp->alarm));
	json_object_set_new(p, "min_present", json_real(mp->min_present));
	json_object_set_new(p, "min_asset_windows",
	    json_integer((json_int_t)mp->min_asset_rows));
	json_object_set_new(p, "drift_psi", json_real(mp->drift_psi));
	json_object_set_new(p, "drift_min",
	    json_integer((json_int_t)mp->drift_min));
	/* written only when not the default, so that the models of the
	 * default policy keep their bytes */
	if (mp->max_age != JOIN_MAX_AGE_DEFAULT)
		json_object_set_new(p, "max_age",
		    json_integer((json_int_t)(mp->max_age / TM_NS_PER_S)));
	return p;
}

/* Evaluate a model on the hold-out rows of every class. */
static void
evaluate(const struct model *m, const struct policy *pol, int64_t from,
    int64_t to, struct metrics *mt)
{
	double *leads = NULL, *x;
	size_t nleads = 0, i, k, r, run;
	int *map;
	json_t *assets = json_object(), *det = json_object();
	const struct label *lb;
	struct model_result res;
	struct model_data h;
	const char *a;
	int64_t span = to - from;

	memset(mt, 0, sizeof(*mt));
	for (i = 0; i < ncd; i++) {
		const struct model_class *mc = model_class_get(m, cd[i].cls);
		json_t *runs = json_object(), *rv;

		if (mc == NULL)
			continue;
		select_rows(&cd[i], from + 1, to, 0, &h);
		model_result_init(&res, mc);
		x = xmalloc(mc->p * sizeof(*x));
		/* where each model feature sits in the rows, once */
		map = xmalloc(mc->p * sizeof(*map));
		for (k = 0; k < mc->p; k++) {
			json_t *fi = json_object_get(cd[i].index,
			    mc->features[k]);

			map[k] = fi ? (int)json_integer_value(fi) : -1;
		}
		for (r = 0; r < h.n; r++) {
			a = json_string_value(json_array_get(h.assets,
			    h.asset[r]));
			json_object_set_new(assets, a, json_true());
			for (k = 0; k < mc->p; k++)
				x[k] = map[k] < 0 ? NAN :
				    h.x[r * h.p + (size_t)map[k]];
			model_score(m, mc, a, x, &res, NULL);
			/* a window that cannot be scored neither counts nor
			 * breaks a run */
			if (res.severity == SEV_UNKNOWN)
				continue;
			rv = json_object_get(runs, a);
			run = rv ? (size_t)json_integer_value(rv) : 0;
			if (res.severity < pol->alert_sev) {
				json_object_set_new(runs, a, json_integer(0));
				continue;
			}
			json_object_set_new(runs, a,
			    json_integer((json_int_t)run + 1));
			if (run + 1 != pol->persist)
				continue;
			/* an alert: persist windows in a row */
			mt->alerts++;
			lb = NULL;
			if (!in_fault(a, h.ts[r], &lb)) {
				mt->fp++;
				continue;
			}
			mt->tp++;
			{
				char key[32];

				snprintf(key, sizeof(key), "%zu",
				    (size_t)(lb - labels));
				if (json_object_get(det, key) != NULL)
					continue;
				json_object_set_new(det, key, json_true());
			}
			mt->detected++;
			leads = xrealloc(leads, (nleads + 1) *
			    sizeof(*leads));
			leads[nleads++] = (double)(lb->to - h.ts[r]) /
			    (3600.0 * TM_NS_PER_S);
			if (lb->mode != NULL && mc->nmodes > 0 &&
			    res.mp[res.morder[0]] > 0 &&
			    strcmp(mc->modes[res.morder[0]].mode,
			    lb->mode) == 0)
				mt->mode_ok++;
		}
		free(x);
		free(map);
		model_result_free(&res);
		model_data_free(&h);
		json_decref(runs);
	}
	for (i = 0; i < nlabels; i++)
		if (labels[i].fault && labels[i].to > from &&
		    labels[i].from <= to &&
		    json_object_get(assets, labels[i].asset) != NULL)
			mt->faults++;
	mt->asset_months = (double)json_object_size(assets) * (double)span /
	    (double)ASSET_MONTH;
	mt->precision = mt->alerts ? (double)mt->tp / (double)mt->alerts :
	    NAN;
	mt->recall = mt->faults ? (double)mt->detected / (double)mt->faults :
	    NAN;
	mt->far = mt->asset_months > 0 ? (double)mt->fp / mt->asset_months :
	    NAN;
	if (nleads > 0) {
		mt->lead_med = la_median(leads, nleads);
		mt->lead_min = leads[0];
	} else {
		mt->lead_med = mt->lead_min = NAN;
	}
	free(leads);
	json_decref(assets);
	json_decref(det);
}

static void
jset_num(json_t *o, const char *key, double v, int digits)
{
	double f = pow(10, digits);

	if (isnan(v) || isinf(v))
		json_object_set_new(o, key, json_null());
	else
		json_object_set_new(o, key, json_real(round(v * f) / f));
}

static json_t *
metrics_json(const struct metrics *mt)
{
	json_t *o = json_object();

	json_object_set_new(o, "alerts", json_integer((json_int_t)mt->alerts));
	json_object_set_new(o, "true_alerts",
	    json_integer((json_int_t)mt->tp));
	json_object_set_new(o, "false_alerts",
	    json_integer((json_int_t)mt->fp));
	json_object_set_new(o, "faults", json_integer((json_int_t)mt->faults));
	json_object_set_new(o, "detected",
	    json_integer((json_int_t)mt->detected));
	json_object_set_new(o, "mode_first",
	    json_integer((json_int_t)mt->mode_ok));
	jset_num(o, "asset_months", mt->asset_months, 3);
	jset_num(o, "precision", mt->precision, 4);
	jset_num(o, "recall", mt->recall, 4);
	jset_num(o, "false_alarms_per_asset_month", mt->far, 3);
	jset_num(o, "lead_hours_median", mt->lead_med, 2);
	jset_num(o, "lead_hours_min", mt->lead_min, 2);
	return o;
}

/* The gate: NULL when it holds, else why not (static text). */
static const char *
gate(const struct policy *pol, const struct metrics *c,
    const struct metrics *p, char *why, size_t n)
{
	if (!isnan(c->precision) && c->precision < pol->min_precision) {
		snprintf(why, n, "precision %.3f is below %.3f", c->precision,
		    pol->min_precision);
		return why;
	}
	if (!isnan(c->recall) && c->recall < pol->min_recall) {
		snprintf(why, n, "recall %.3f is below %.3f", c->recall,
		    pol->min_recall);
		return why;
	}
	if (!isnan(c->far) && c->far > pol->max_far) {
		snprintf(why, n, "%.3f false alarms per asset-month is above "
		    "%.3f", c->far, pol->max_far);
		return why;
	}
	if (pol->min_lead > 0 && c->detected > 0 && c->lead_min <
	    (double)pol->min_lead / (3600.0 * TM_NS_PER_S)) {
		snprintf(why, n, "lead time %.1fh is below %.1fh", c->lead_min,
		    (double)pol->min_lead / (3600.0 * TM_NS_PER_S));
		return why;
	}
	if (p == NULL)
		return NULL;
	if (!isnan(c->recall) && !isnan(p->recall) &&
	    c->recall < p->recall - pol->max_recall_drop) {
		snprintf(why, n, "recall %.3f is worse than production's %.3f",
		    c->recall, p->recall);
		return why;
	}
	if (!isnan(c->far) && !isnan(p->far) &&
	    c->far > p->far + pol->max_far_rise) {
		snprintf(why, n, "%.3f false alarms per asset-month is worse "
		    "than production's %.3f", c->far, p->far);
		return why;
	}
	return NULL;
}

static void
ledger(const char *event, const char *sha, json_t *extra)
{
	struct twin_err err;
	json_t *e = json_object();
	const char *key;
	json_t *v;

	json_object_set_new(e, "event", json_string(event));
	if (sha != NULL)
		json_object_set_new(e, "model_sha256", json_string(sha));
	if (extra != NULL)
		json_object_foreach(extra, key, v)
			json_object_set(e, key, v);
	if (!dry_run && reg_ledger_append(&reg, e, &err) < 0)
		diag_warn("%s", err.msg);
	json_decref(e);
}

/* Is there a drift record against the production model? */
static int
drift_pending(const char *path, const char *prod, struct twin_err *err)
{
	struct ndj_reader *rd;
	enum rec_kind kind;
	json_t *rec;
	char *line;
	size_t len;
	int64_t ts;
	int rc, found = 0;
	const char *m;

	if ((rd = ndj_open_path(path, NDJ_MAX_LINE_DEFAULT, err)) == NULL)
		return -1;
	while ((rc = ndj_next(rd, &line, &len, err)) != 0) {
		if (rc < 0) {
			if (err->code == TWIN_EDATA)
				continue;
			ndj_close(rd);
			return -1;
		}
		if ((rec = ndj_parse(line, len, NULL)) == NULL)
			continue;
		if (rec_check(rec, tenant, &kind, &ts, NULL) == 0 &&
		    kind == REC_DRIFT && (m = rec_str(rec, "model_sha256")) &&
		    (prod == NULL || strcmp(m, prod) == 0))
			found = 1;
		json_decref(rec);
	}
	ndj_close(rd);
	return found;
}

/* Was this model evaluated and kept before? */
static int
kept_before(const char *sha)
{
	json_t *l = reg_ledger_read(&reg, NULL), *e;
	size_t i;
	int found = 0;

	json_array_foreach(l, i, e) {
		const char *ev = rec_str(e, "event"), *m = rec_str(e,
		    "model_sha256");

		if (ev && m && strcmp(m, sha) == 0 && (strcmp(ev, "keep") ==
		    0 || strcmp(ev, "promote") == 0))
			found = 1;
	}
	json_decref(l);
	return found;
}

static void
print_event(const char *result, const char *sha, int64_t ts, json_t *extra)
{
	struct buf b = BUF_INIT;
	json_t *e = json_object();
	const char *key;
	json_t *v;
	char tsb[TM_BUFSZ];

	json_object_set_new(e, "kind", json_string("event"));
	tm_format(ts, tsb);
	json_object_set_new(e, "ts", json_string(tsb));
	json_object_set_new(e, "tenant", json_string(tenant));
	json_object_set_new(e, "event", json_string("retrain"));
	json_object_set_new(e, "result", json_string(result));
	if (sha != NULL)
		json_object_set_new(e, "model_sha256", json_string(sha));
	if (extra != NULL)
		json_object_foreach(extra, key, v)
			json_object_set(e, key, v);
	buf_json(&b, e);
	buf_addc(&b, '\n');
	fwrite(b.s, 1, b.len, stdout);
	buf_free(&b);
	json_decref(e);
}

static int
cmd_train(const char *regdir, const char *classes, const char *policy,
    const char *driftf, const char *trigger, int nfiles, char **files)
{
	struct classlib cl = { NULL, "" };
	struct policy pol;
	struct twin_err err;
	struct buf dig = BUF_INIT, text = BUF_INIT;
	struct model_data tr;
	struct model *cand = NULL, *prod = NULL;
	struct metrics mc, mp;
	json_t *doc = NULL, *clsj, *sec, *t, *card = NULL, *ev = NULL;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN, split;
	char sha[65], prodsha[65], dhex[DIGEST_HEX], why[256];
	const char *reason;
	size_t i, r, rows = 0;
	int rc = EXIT_CONFIG, hasprod, isnew, dr;

	if (classes == NULL) {
		diag_warn("train needs a class library (-C)");
		return EXIT_USAGE;
	}
	if (policy_load(&pol, policy, &err) < 0 ||
	    classlib_load(&cl, classes, &err) < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	if (tenant == NULL) {
		diag_warn("no tenant (-T or the policy's 'tenant')");
		classlib_free(&cl);
		return EXIT_USAGE;
	}
	max_age = pol.mp.max_age;
	if (reg_open(&reg, regdir, tenant, 1, &err) < 0 ||
	    reg_lock(&reg, &err) < 0) {
		diag_warn("%s", err.msg);
		classlib_free(&cl);
		return err_exit_status(err.code);
	}
	hasprod = reg_production(&reg, prodsha, &err);
	if (hasprod < 0) {
		diag_warn("%s", err.msg);
		goto out;
	}
	if (hasprod && (prod = reg_load(&reg, prodsha, &err)) == NULL)
		diag_warn("%s; the candidate is judged on its own", err.msg);
	if (driftf != NULL) {
		dr = drift_pending(driftf, hasprod ? prodsha : NULL, &err);
		if (dr < 0) {
			diag_warn("%s", err.msg);
			rc = EXIT_IO;
			goto out;
		}
		if (dr == 0) {
			diag_info("no drift against the production model: "
			    "nothing to do");
			rc = EXIT_NOTHING;
			goto out;
		}
	}
	unknown_cls = json_object();
	for (i = 0; i < (size_t)(nfiles ? nfiles : 1); i++)
		if (read_input(&cl, nfiles ? files[i] : NULL) < 0) {
			rc = EXIT_IO;
			goto out;
		}
	rows_flush();
	if (nlate > 0)
		diag_warn("%llu late feature record(s) left out: their window "
		    "ended before a row already formed", nlate);
	for (i = 0; i < ncd; i++)
		for (r = 0; r < cd[i].d.n; r++) {
			if (cd[i].d.ts[r] < tmin)
				tmin = cd[i].d.ts[r];
			if (cd[i].d.ts[r] > tmax)
				tmax = cd[i].d.ts[r];
		}
	if (tmin > tmax) {
		diag_warn("no feature records of a known class for tenant "
		    "'%s'", tenant);
		rc = EXIT_DATA;
		goto out;
	}
	split = pol.holdout > 0 ? tmax - pol.holdout : tmax;
	if (split <= tmin) {
		diag_warn("the history is shorter than the hold-out window");
		rc = EXIT_DATA;
		goto out;
	}
	doc = json_object();
	json_object_set_new(doc, "format", json_string(MODEL_FORMAT));
	json_object_set_new(doc, "tenant", json_string(tenant));
	t = json_object();
	json_object_set_new(doc, "train", t);
	json_object_set_new(doc, "params", params_json(&pol.mp));
	clsj = json_object();
	for (i = 0; i < ncd; i++) {
		select_rows(&cd[i], tmin, split, 1, &tr);
		digest_rows(&dig, cd[i].cls, &tr);
		sec = model_train_class(cd[i].tmpl, cd[i].features, &tr,
		    &pol.mp, &err);
		rows += tr.n;
		model_data_free(&tr);
		if (sec == NULL) {
			diag_warn("%s: not trained", err.msg);
			continue;
		}
		json_object_set_new(clsj, cd[i].cls, sec);
	}
	if (json_object_size(clsj) == 0) {
		json_decref(clsj);
		diag_warn("no class could be trained");
		rc = EXIT_DATA;
		goto out;
	}
	json_object_set_new(doc, "classes", clsj);
	put_time(t, "from", tmin);
	put_time(t, "to", split);
	json_object_set_new(t, "rows", json_integer((json_int_t)rows));
	digest_sha256_hex(dig.s ? dig.s : "", dig.len, dhex);
	json_object_set_new(t, "data_sha256", json_string(dhex));
	model_serialize(doc, &text);
	digest_sha256_hex(text.s, text.len, sha);
	if ((hasprod && strcmp(sha, prodsha) == 0) || kept_before(sha)) {
		diag_info("model %.12s is %s: nothing to do", sha,
		    hasprod && strcmp(sha, prodsha) == 0 ?
		    "already in production" : "already evaluated and kept");
		print_event("nothing", sha, tmax, NULL);
		rc = EXIT_NOTHING;
		goto out;
	}
	if ((cand = model_parse(text.s, text.len, tenant, &err)) == NULL) {
		diag_warn("candidate: %s", err.msg);
		rc = EXIT_DATA;
		goto out;
	}
	memcpy(cand->sha, sha, 65);
	isnew = 0;
	if (!dry_run && (isnew = reg_store(&reg, text.s, text.len, sha,
	    &err)) < 0) {
		diag_warn("%s", err.msg);
		rc = EXIT_IO;
		goto out;
	}
	ev = json_object();
	json_object_set_new(ev, "trigger", json_string(trigger));
	json_object_set_new(ev, "train", json_deep_copy(t));
	ledger("train", sha, ev);
	json_decref(ev);
	evaluate(cand, &pol, split, tmax, &mc);
	if (prod != NULL)
		evaluate(prod, &pol, split, tmax, &mp);
	ev = json_object();
	t = json_object();
	put_time(t, "from", split);
	put_time(t, "to", tmax);
	json_object_set_new(ev, "holdout", t);
	json_object_set_new(ev, "candidate", metrics_json(&mc));
	if (prod != NULL)
		json_object_set_new(ev, "production", metrics_json(&mp));
	ledger("evaluate", sha, ev);
	card = json_object();
	json_object_set_new(card, "model_sha256", json_string(sha));
	json_object_set_new(card, "tenant", json_string(tenant));
	json_object_set_new(card, "format", json_string(MODEL_FORMAT));
	json_object_set_new(card, "trigger", json_string(trigger));
	json_object_set_new(card, "train", json_deep_copy(json_object_get(doc,
	    "train")));
	t = json_object();
	json_object_foreach(json_object_get(doc, "classes"), reason, sec) {
		json_t *ci = json_object();

		json_object_set_new(ci, "features", json_deep_copy(
		    json_object_get(sec, "features")));
		json_object_set_new(ci, "windows", json_deep_copy(
		    json_object_get(json_object_get(sec, "calibration"), "n")));
		json_object_set_new(ci, "assets", json_integer(
		    (json_int_t)json_object_size(json_object_get(sec,
		    "assets"))));
		json_object_set_new(ci, "shrinkage", json_deep_copy(
		    json_object_get(sec, "shrinkage")));
		json_object_set_new(t, reason, ci);
	}
	json_object_set_new(card, "classes", t);
	json_object_set_new(card, "params", json_deep_copy(json_object_get(doc,
	    "params")));
	json_object_set_new(card, "classes_sha256", json_string(cl.digest));
	if (policy != NULL)
		json_object_set_new(card, "policy_sha256", json_string(pol.sha));
	json_object_set_new(card, "evaluation", json_deep_copy(ev));
	json_object_set_new(card, "parent", hasprod ? json_string(prodsha) :
	    json_null());
	if (!dry_run && isnew && reg_card_write(&reg, sha, card, &err) < 0) {
		diag_warn("%s", err.msg);
		rc = EXIT_IO;
		goto out;
	}
	reason = gate(&pol, &mc, prod ? &mp : NULL, why, sizeof(why));
	if (reason == NULL) {
		json_t *x = json_object();

		json_object_set_new(x, "previous", hasprod ?
		    json_string(prodsha) : json_null());
		json_object_set_new(x, "trigger", json_string(trigger));
		if (!dry_run && reg_set_production(&reg, sha, &err) < 0) {
			diag_warn("%s", err.msg);
			json_decref(x);
			rc = EXIT_IO;
			goto out;
		}
		ledger("promote", sha, x);
		json_decref(x);
		diag_info("%smodel %.12s promoted%s%.12s", dry_run ?
		    "dry run: " : "", sha, hasprod ? ", was " : "",
		    hasprod ? prodsha : "");
		rc = EXIT_PROMOTED;
	} else {
		json_t *x = json_object();

		json_object_set_new(x, "reason", json_string(reason));
		ledger("keep", sha, x);
		json_decref(x);
		diag_info("%smodel %.12s kept out of production: %s",
		    dry_run ? "dry run: " : "", sha, reason);
		rc = EXIT_KEPT;
	}
	json_object_set_new(ev, "gate", reason ? json_string(reason) :
	    json_string("holds"));
	if (dry_run)
		json_object_set_new(ev, "dry_run", json_true());
	print_event(rc == EXIT_PROMOTED ? "promoted" : "kept", sha, tmax, ev);
out:
	json_decref(ev);
	json_decref(card);
	json_decref(doc);
	model_free(cand);
	model_free(prod);
	buf_free(&dig);
	buf_free(&text);
	classlib_free(&cl);
	return rc;
}

/* The model production had before sha was promoted, from the ledger. */
static int
previous_of(const char *sha, char *prev)
{
	json_t *l = reg_ledger_read(&reg, NULL), *e;
	size_t i;
	int found = 0;

	json_array_foreach(l, i, e) {
		const char *ev = rec_str(e, "event"), *m = rec_str(e,
		    "model_sha256"), *p = rec_str(e, "previous");

		if (ev && m && strcmp(ev, "promote") == 0 &&
		    strcmp(m, sha) == 0) {
			found = p != NULL && reg_valid_sha(p);
			if (found)
				memcpy(prev, p, 65);
		}
	}
	json_decref(l);
	return found;
}

static int
cmd_switch(const char *event, const char *name)
{
	struct twin_err err;
	struct model *m;
	char sha[65], cur[65];
	json_t *x;
	int hasprod;

	if (reg_lock(&reg, &err) < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	if ((hasprod = reg_production(&reg, cur, &err)) < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	if (name != NULL) {
		if (reg_resolve(&reg, name, sha, &err) < 0) {
			diag_warn("%s", err.msg);
			return err_exit_status(err.code);
		}
	} else if (!hasprod || !previous_of(cur, sha)) {
		diag_warn("no earlier production model to roll back to");
		return EXIT_CONFIG;
	}
	if ((m = reg_load(&reg, sha, &err)) == NULL) {
		diag_warn("%s: not put into production", err.msg);
		return EXIT_CONFIG;
	}
	model_free(m);
	if (hasprod && strcmp(sha, cur) == 0) {
		diag_info("model %.12s is already in production", sha);
		return EXIT_NOTHING;
	}
	if (!dry_run && reg_set_production(&reg, sha, &err) < 0) {
		diag_warn("%s", err.msg);
		return EXIT_IO;
	}
	x = json_object();
	json_object_set_new(x, "previous", hasprod ? json_string(cur) :
	    json_null());
	json_object_set_new(x, "trigger", json_string("manual"));
	ledger(event, sha, x);
	json_decref(x);
	diag_info("%smodel %.12s in production%s%.12s", dry_run ?
	    "dry run: " : "", sha, hasprod ? ", was " : "", hasprod ? cur : "");
	return EXIT_OK;
}

static int
cmd_show(const char *name)
{
	struct twin_err err;
	struct buf b = BUF_INIT;
	json_t *card;
	char sha[65];
	int rc;

	if (name != NULL)
		rc = reg_resolve(&reg, name, sha, &err);
	else if ((rc = reg_production(&reg, sha, &err)) == 0)
		rc = err_set(&err, TWIN_ECONFIG, "tenant '%s' has no "
		    "production model", tenant);
	if (rc < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	if (!reg_has(&reg, sha)) {
		diag_warn("no model %.12s in the registry", sha);
		return EXIT_CONFIG;
	}
	if ((card = reg_card_read(&reg, sha, &err)) == NULL) {
		diag_warn("model %.12s has no readable card", sha);
		return EXIT_CONFIG;
	}
	buf_json(&b, card);
	buf_addc(&b, '\n');
	fwrite(b.s, 1, b.len, stdout);
	buf_free(&b);
	json_decref(card);
	return EXIT_OK;
}

static int
add_entry(struct archive *a, const char *name, const void *p, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	int rc;

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)n);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 0, 0);
	rc = archive_write_header(a, e) == ARCHIVE_OK &&
	    archive_write_data(a, p, n) == (la_ssize_t)n ? 0 : -1;
	archive_entry_free(e);
	return rc;
}

static int
cmd_export(const char *name, const char *path)
{
	struct buf model = BUF_INIT, card = BUF_INIT, en = BUF_INIT;
	struct twin_err err;
	struct archive *a = NULL;
	json_t *c = NULL, *x;
	char sha[65];
	int rc = EXIT_CONFIG;

	if (reg_resolve(&reg, name, sha, &err) < 0 ||
	    reg_read(&reg, sha, &model, &err) < 0) {
		diag_warn("%s", err.msg);
		rc = err_exit_status(err.code);
		goto out;
	}
	if ((c = reg_card_read(&reg, sha, &err)) != NULL) {
		buf_json(&card, c);
		buf_addc(&card, '\n');
	}
	a = archive_write_new();
	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		diag_warn("cannot create '%s': %s", path,
		    archive_error_string(a));
		rc = EXIT_IO;
		goto out;
	}
	buf_addf(&en, "%s.model.json", sha);
	if (add_entry(a, en.s, model.s, model.len) < 0)
		goto werr;
	if (c != NULL) {
		buf_reset(&en);
		buf_addf(&en, "%s.card.json", sha);
		if (add_entry(a, en.s, card.s, card.len) < 0)
			goto werr;
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		goto werr;
	x = json_object();
	json_object_set_new(x, "file", json_string(path));
	ledger("export", sha, x);
	json_decref(x);
	diag_info("model %.12s exported to '%s'", sha, path);
	rc = EXIT_OK;
	goto out;
werr:
	diag_warn("cannot write '%s': %s", path, archive_error_string(a));
	rc = EXIT_IO;
out:
	if (a != NULL)
		archive_write_free(a);
	json_decref(c);
	buf_free(&model);
	buf_free(&card);
	buf_free(&en);
	return rc;
}

static int
cmd_import(const char *path)
{
	struct buf model = BUF_INIT, card = BUF_INIT, *dst;
	struct archive_entry *e;
	struct twin_err err;
	struct archive *a;
	struct model *m = NULL;
	char msha[65] = "", csha[65] = "", sha[65], hex[DIGEST_HEX];
	const char *name;
	json_t *c = NULL, *x;
	char tmp[65536];
	la_ssize_t n;
	size_t len;
	int rc = EXIT_CONFIG, r;

	if (reg_lock(&reg, &err) < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		diag_warn("cannot read bundle '%s': %s", path,
		    archive_error_string(a));
		archive_read_free(a);
		return EXIT_IO;
	}
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		len = name ? strlen(name) : 0;
		if (len == 75 && strcmp(name + 64, ".model.json") == 0) {
			dst = &model;
			memcpy(msha, name, 64);
			msha[64] = '\0';
		} else if (len == 74 && strcmp(name + 64, ".card.json") == 0) {
			dst = &card;
			memcpy(csha, name, 64);
			csha[64] = '\0';
		} else {
			diag_warn("bundle '%s': unexpected entry '%s'", path,
			    name ? name : "");
			goto out;
		}
		while ((n = archive_read_data(a, tmp, sizeof(tmp))) > 0) {
			buf_add(dst, tmp, (size_t)n);
			if (dst->len > MAX_BUNDLE) {
				diag_warn("bundle '%s': entry too large", path);
				goto out;
			}
		}
		if (n < 0) {
			diag_warn("bundle '%s': %s", path,
			    archive_error_string(a));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		diag_warn("bundle '%s': %s", path, archive_error_string(a));
		goto out;
	}
	if (msha[0] == '\0' || !reg_valid_sha(msha)) {
		diag_warn("bundle '%s' holds no model", path);
		goto out;
	}
	digest_sha256_hex(model.s ? model.s : "", model.len, hex);
	if (strcmp(hex, msha) != 0) {
		diag_warn("bundle '%s': model %.12s: content does not match "
		    "its name (altered or truncated)", path, msha);
		goto out;
	}
	if ((m = model_parse(model.s, model.len, tenant, &err)) == NULL) {
		diag_warn("bundle '%s': %s", path, err.msg);
		goto out;
	}
	if (csha[0] != '\0' && (strcmp(csha, msha) != 0 || (c = json_loadb(
	    card.s ? card.s : "", card.len, 0, NULL)) == NULL)) {
		diag_warn("bundle '%s': the card does not belong to the model",
		    path);
		goto out;
	}
	if (dry_run) {
		diag_info("dry run: model %.12s would be imported", msha);
		rc = EXIT_OK;
		goto out;
	}
	if (reg_store(&reg, model.s, model.len, sha, &err) < 0 ||
	    (c != NULL && reg_card_write(&reg, sha, c, &err) < 0)) {
		diag_warn("%s", err.msg);
		rc = EXIT_IO;
		goto out;
	}
	x = json_object();
	json_object_set_new(x, "file", json_string(path));
	ledger("import", sha, x);
	json_decref(x);
	diag_info("model %.12s imported", sha);
	rc = EXIT_OK;
out:
	archive_read_free(a);
	model_free(m);
	json_decref(c);
	buf_free(&model);
	buf_free(&card);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *regdir = getenv("TWIN_REGISTRY"), *classes = NULL;
	const char *policy = NULL, *driftf = NULL, *trigger = NULL;
	const char *reject = NULL, *cmd;
	struct twin_err err;
	int c, rc;
	size_t i, k;

	diag_init(argv[0]);
	while ((c = getopt_long(argc, argv, "+C:d:hnP:qR:r:T:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'C':
			classes = optarg;
			break;
		case 'd':
			driftf = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'n':
			dry_run = 1;
			break;
		case 'P':
			policy = optarg;
			break;
		case 'q':
			diag_set_quiet(1);
			break;
		case 'R':
			reject = optarg;
			break;
		case 'r':
			regdir = optarg;
			break;
		case 'T':
			tenant = optarg;
			break;
		case OPT_TRIGGER:
			if (strcmp(optarg, "cron") != 0 &&
			    strcmp(optarg, "drift") != 0 &&
			    strcmp(optarg, "manual") != 0) {
				diag_warn("trigger '%s' is not cron, drift or "
				    "manual", optarg);
				return EXIT_USAGE;
			}
			trigger = optarg;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		diag_warn("no command");
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[0];
	if (regdir == NULL) {
		diag_warn("no registry (-r or TWIN_REGISTRY)");
		return EXIT_USAGE;
	}
	if (tenant != NULL && !rec_tenant_valid(tenant)) {
		diag_warn("invalid tenant '%s'", tenant);
		return EXIT_USAGE;
	}
	if (trigger == NULL)
		trigger = driftf ? "drift" : "manual";
	if (strcmp(cmd, "train") == 0) {
		if (diag_reject_open(reject, &err) < 0) {
			diag_warn("%s", err.msg);
			return EXIT_IO;
		}
		rc = cmd_train(regdir, classes, policy, driftf, trigger,
		    argc - 1, argv + 1);
		if (diag_reject_close(&err) < 0) {
			diag_warn("%s", err.msg);
			rc = EXIT_IO;
		}
		if (diag_errors() > 0)
			diag_info("%llu record(s) rejected", diag_errors());
		goto done;
	}
	if (tenant == NULL) {
		diag_warn("no tenant (-T)");
		return EXIT_USAGE;
	}
	if ((strcmp(cmd, "promote") == 0 && argc != 2) ||
	    (strcmp(cmd, "rollback") == 0 && argc > 2) ||
	    (strcmp(cmd, "show") == 0 && argc > 2) ||
	    (strcmp(cmd, "export") == 0 && argc != 3) ||
	    (strcmp(cmd, "import") == 0 && argc != 2)) {
		diag_warn("wrong number of arguments for '%s'", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "promote") != 0 && strcmp(cmd, "rollback") != 0 &&
	    strcmp(cmd, "show") != 0 && strcmp(cmd, "export") != 0 &&
	    strcmp(cmd, "import") != 0) {
		diag_warn("unknown command '%s'", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (reg_open(&reg, regdir, tenant, strcmp(cmd, "import") == 0,
	    &err) < 0) {
		diag_warn("%s", err.msg);
		return err_exit_status(err.code);
	}
	if (strcmp(cmd, "promote") == 0)
		rc = cmd_switch("promote", argv[1]);
	else if (strcmp(cmd, "rollback") == 0)
		rc = cmd_switch("rollback", argc > 1 ? argv[1] : NULL);
	else if (strcmp(cmd, "show") == 0)
		rc = cmd_show(argc > 1 ? argv[1] : NULL);
	else if (strcmp(cmd, "export") == 0)
		rc = cmd_export(argv[1], argv[2]);
	else
		rc = cmd_import(argv[1]);
done:
	reg_close(&reg);
	for (i = 0; i < nlabels; i++) {
		free(labels[i].asset);
		free(labels[i].mode);
	}
	free(labels);
	for (i = 0; i < ncd; i++) {
		json_decref(cd[i].features);
		json_decref(cd[i].index);
		json_decref(cd[i].rowix);
		for (k = 0; k < cd[i].nj; k++) {
			join_free(&cd[i].js[k]);
			free(cd[i].jasset[k]);
		}
		free(cd[i].js);
		free(cd[i].jasset);
		free(cd[i].primary);
		model_data_free(&cd[i].d);
	}
	free(cd);
	json_decref(unknown_cls);
	free(tenant_own);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		diag_warn("write error on standard output");
		rc = EXIT_IO;
	}
	return rc;
}
