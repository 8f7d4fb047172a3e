/*
 * twin-score - apply the tenant's production health model to feature
 * records: one score record per asset and window, with a calibrated score,
 * its band, a severity, the most likely failure modes with their evidence
 * and the ranked per-feature contributions; drift records when the
 * features or the scores move away from the model's training reference.
 * See twin-score(1).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "digest.h"
#include "drift.h"
#include "err.h"
#include "join.h"
#include "model.h"
#include "ndj.h"
#include "out.h"
#include "rec.h"
#include "registry.h"
#include "tm.h"
#include "banned.h"

/* Records between two looks at the production pointer. */
#define CHECK_EVERY 256
#define MAX_SRC 16
#define TOP_CONTRIB 5
#define TOP_MODES 3
#define MIN_MODE_P 0.05

static const struct option longopts[] = {
	{ "drift-window", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "live", no_argument, NULL, 'l' },
	{ "model", required_argument, NULL, 'm' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "registry", required_argument, NULL, 'r' },
	{ "reject", required_argument, NULL, 'R' },
	{ "tenant", required_argument, NULL, 'T' },
	{ NULL, 0, NULL, 0 }
};

/*
 * One asset's features.  For a class of the model they are joined into
 * rows (lib/join.h); for another class the records of one window end are
 * grouped to say 'unknown' once per window.
 */
struct group {
	char *asset;
	char *site;
	char *cls;
	const struct model_class *mc;	/* NULL: class not in the model */
	struct join j;		/* mc != NULL: the as-of join */
	int open;		/* mc == NULL: a window is open */
	int64_t end;		/* window end of the row or open group */
	int64_t from;		/* earliest window start */
	int64_t done;		/* last window end scored; INT64_MIN: none */
	double *x;		/* mc->p values of the row */
	size_t npresent;
	/*
	 * prov of the row: its sources and the spec digest of its first
	 * record.  The strings and their JSON text stay from row to row,
	 * since they rarely change.
	 */
	char *src[MAX_SRC];
	size_t nsrc;		/* of this row */
	size_t nsrcmem;		/* allocated */
	struct buf srcj;	/* "a","b" of the first srcj_n sources */
	size_t srcj_n;
	int srcj_stale;
	char *spec;
	int has_spec;		/* this row has spec */
	struct buf specj;	/* ,"spec_sha256":"<spec>" */
	struct buf hdr;		/* ,"tenant":..,"class":.. as JSON text */
	int hdr_site;		/* hdr was made with site */
};

/*
 * What the record loop needs per class of the model, made once: each
 * feature's name as the start of its JSON object, the model indices of
 * the features of a channel in the order its records name them, and a
 * result to score into.
 */
struct chmap {
	char *channel;
	size_t nf;
	char **fname;
	int *ix;		/* model index per name, or -1 */
};

struct clsinfo {
	struct buf *fjson;	/* p: {"feature":"<name>","value": */
	struct chmap *ch;
	size_t nch;
	struct model_result r;
};

struct drift_cls {
	char *cls;
	struct drift d;		/* the features' deviations */
	struct drift ds;	/* the calibrated scores */
	int64_t end;		/* end of the current drift window */
};

/*
 * The scores of the training windows are their distances' places in the
 * calibration quantiles, so their deciles are 0.1 .. 0.9: the reference
 * bins of score drift.
 */
static const double score_edges[MODEL_DBINS - 1] = { 0.1, 0.2, 0.3, 0.4,
	0.5, 0.6, 0.7, 0.8, 0.9 };

static const char *tenant;
static struct registry reg;
static int have_reg;
static struct model *model;
static int fixed_model;		/* -m: no reloads */
static ino_t prod_ino;
static struct timespec prod_mtime;
static struct out *out;
static json_t *groups;		/* asset -> index */
static struct group *grp;
static size_t ngrp;
static struct drift_cls *dcls;
static size_t ndcls;
static int64_t drift_win;
static json_t *warned;		/* unknown classes already reported */
static json_t *fmaps;		/* class -> "<channel>:<name>" -> index */
static struct clsinfo *cinfo;	/* per class of the model */
static size_t ncinfo;
static struct buf keybuf;
static struct buf sha_json;	/* ,"model_sha256":"<sha>" */
static struct featrec score_fr;
static volatile sig_atomic_t hup;
static unsigned long long nempty;	/* windows with no model feature */
static int status;

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: twin-score [-hlq] [-d duration] [-m model] [-R file] "
	    "[-r dir] -T tenant\n"
	    "                  [file ...]\n");
}

static void
on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

static void
worse(int s)
{
	if (status == EXIT_OK || (status == EXIT_DATA && s != EXIT_OK))
		status = s;
}

static void
drift_clear(void)
{
	size_t i;

	for (i = 0; i < ndcls; i++) {
		drift_free(&dcls[i].d);
		drift_free(&dcls[i].ds);
		free(dcls[i].cls);
	}
	free(dcls);
	dcls = NULL;
	ndcls = 0;
}

static void
cinfo_clear(void)
{
	size_t i, j, k;

	for (i = 0; i < ncinfo; i++) {
		struct clsinfo *ci = &cinfo[i];

		for (j = 0; j < model->cls[i].p; j++)
			buf_free(&ci->fjson[j]);
		free(ci->fjson);
		for (j = 0; j < ci->nch; j++) {
			for (k = 0; k < ci->ch[j].nf; k++)
				free(ci->ch[j].fname[k]);
			free(ci->ch[j].fname);
			free(ci->ch[j].ix);
			free(ci->ch[j].channel);
		}
		free(ci->ch);
		model_result_free(&ci->r);
	}
	free(cinfo);
	cinfo = NULL;
	ncinfo = 0;
}

/* Feature name -> index maps and the per-class state of the model. */
static void
build_fmaps(void)
{
	const struct model_class *mc;
	json_t *o;
	size_t i, j;

	json_decref(fmaps);
	fmaps = json_object();
	cinfo = xcalloc(model->ncls, sizeof(*cinfo));
	ncinfo = model->ncls;
	for (i = 0; i < model->ncls; i++) {
		mc = &model->cls[i];
		o = json_object();
		cinfo[i].fjson = xcalloc(mc->p, sizeof(*cinfo[i].fjson));
		for (j = 0; j < mc->p; j++) {
			json_object_set_new(o, mc->features[j],
			    json_integer((json_int_t)j));
			buf_adds(&cinfo[i].fjson[j], "{\"feature\":");
			buf_jstr(&cinfo[i].fjson[j], mc->features[j],
			    strlen(mc->features[j]));
			buf_adds(&cinfo[i].fjson[j], ",\"value\":");
		}
		json_object_set_new(fmaps, mc->name, o);
		model_result_init(&cinfo[i].r, mc);
	}
	buf_reset(&sha_json);
	buf_adds(&sha_json, ",\"model_sha256\":");
	buf_jstr(&sha_json, model->sha, strlen(model->sha));
}

static struct clsinfo *
cinfo_of(const struct model_class *mc)
{
	return &cinfo[mc - model->cls];
}

/*
 * The model indices of a channel's feature names, as a record names them:
 * made at the first record of the channel and again when a record names
 * other features or another order.
 */
static const int *
chmap_get(const struct model_class *mc, const struct featrec *fr)
{
	struct clsinfo *ci = cinfo_of(mc);
	json_t *map, *ix;
	struct chmap *cm;
	size_t i;

	for (i = 0; i < ci->nch; i++)
		if (strcmp(ci->ch[i].channel, fr->channel) == 0)
			break;
	if (i == ci->nch) {
		ci->ch = xrealloc(ci->ch, (ci->nch + 1) * sizeof(*ci->ch));
		cm = &ci->ch[ci->nch++];
		memset(cm, 0, sizeof(*cm));
		cm->channel = xstrdup(fr->channel);
	} else {
		cm = &ci->ch[i];
		if (cm->nf == fr->nf) {
			for (i = 0; i < fr->nf; i++)
				if (strcmp(cm->fname[i], fr->fname[i]) != 0)
					break;
			if (i == fr->nf)
				return cm->ix;
		}
		for (i = 0; i < cm->nf; i++)
			free(cm->fname[i]);
	}
	cm->nf = fr->nf;
	cm->fname = xrealloc(cm->fname, (fr->nf ? fr->nf : 1) *
	    sizeof(*cm->fname));
	cm->ix = xrealloc(cm->ix, (fr->nf ? fr->nf : 1) * sizeof(*cm->ix));
	map = json_object_get(fmaps, mc->name);
	for (i = 0; i < fr->nf; i++) {
		cm->fname[i] = xstrdup(fr->fname[i]);
		buf_reset(&keybuf);
		buf_adds(&keybuf, fr->channel);
		buf_addc(&keybuf, ':');
		buf_adds(&keybuf, fr->fname[i]);
		ix = json_object_get(map, buf_str(&keybuf));
		cm->ix[i] = ix ? (int)json_integer_value(ix) : -1;
	}
	return cm->ix;
}

/*
 * Use model m from now on.  The open windows keep what they collected:
 * their values move to the new model's feature order.
 */
static void
set_model(struct model *m)
{
	const struct model_class *mc;
	int *map;
	size_t k, j;

	for (k = 0; k < ngrp; k++) {
		struct group *g = &grp[k];

		mc = g->cls ? model_class_get(m, g->cls) : NULL;
		g->npresent = 0;
		if (mc != NULL && g->mc != NULL) {
			map = xmalloc(mc->p * sizeof(*map));
			for (j = 0; j < mc->p; j++)
				map[j] = model_feature_index(g->mc,
				    mc->features[j]);
			join_remap(&g->j, mc->p, map);
			g->j.max_age = m->params.max_age;
			free(map);
		} else if (mc != NULL) {
			/* an open window of an unknown class is dropped */
			g->open = 0;
			join_init(&g->j, mc->p, m->params.max_age);
			if (g->done != INT64_MIN)
				g->j.done = g->done;
		} else if (g->mc != NULL) {
			g->done = g->j.done;
			join_free(&g->j);
		}
		free(g->x);
		g->x = NULL;
		if (mc != NULL) {
			g->x = xmalloc(mc->p * sizeof(*g->x));
			for (j = 0; j < mc->p; j++)
				g->x[j] = NAN;
		}
		g->mc = mc;
	}
	cinfo_clear();
	model_free(model);
	model = m;
	drift_clear();
	build_fmaps();
}

/* Load a model named by -m: a path, or a registry name. */
static struct model *
load_fixed(const char *name, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	struct model *m = NULL;
	char sha[65], hex[DIGEST_HEX];
	const char *base;
	FILE *fp;
	size_t n;
	char tmp[65536];

	if (strchr(name, '/') == NULL && strchr(name, '.') == NULL) {
		if (!have_reg) {
			err_set(err, TWIN_EUSAGE, "model name '%s' needs a "
			    "registry (-r)", name);
			return NULL;
		}
		if (reg_resolve(&reg, name, sha, err) < 0)
			return NULL;
		return reg_load(&reg, sha, err);
	}
	if ((fp = fopen(name, "rb")) == NULL) {
		err_set(err, TWIN_ECONFIG, "cannot read '%s': %s", name,
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
		buf_add(&b, tmp, n);
	fclose(fp);
	digest_sha256_hex(b.s ? b.s : "", b.len, hex);
	base = strrchr(name, '/');
	base = base ? base + 1 : name;
	/* A file named like a registry entry must hash to its name. */
	if (strlen(base) == 69 && strcmp(base + 64, ".json") == 0 &&
	    strncmp(base, hex, 64) != 0) {
		err_set(err, TWIN_ECONFIG, "model '%s': content does not match "
		    "its name (altered or truncated)", name);
	} else if ((m = model_parse(b.s ? b.s : "", b.len, tenant,
	    err)) == NULL) {
		err_prefix(err, "'%s'", name);
	} else {
		memcpy(m->sha, hex, 65);
	}
	buf_free(&b);
	return m;
}

/* Load the production model; at start a failure is fatal. */
static int
load_production(int first)
{
	struct twin_err err;
	struct model *m;
	char sha[65];
	int rc;

	reg_production_stamp(&reg, &prod_ino, &prod_mtime);
	rc = reg_production(&reg, sha, &err);
	if (rc == 0)
		err_set(&err, TWIN_ECONFIG, "tenant '%s' has no production "
		    "model", tenant);
	if (rc <= 0)
		goto bad;
	if (model != NULL && strcmp(sha, model->sha) == 0)
		return 0;
	if ((m = reg_load(&reg, sha, &err)) == NULL)
		goto bad;
	if (model != NULL)
		diag_info("production model %.12s replaces %.12s", m->sha,
		    model->sha);
	set_model(m);
	return 0;
bad:
	if (first) {
		diag_warn("%s", err.msg);
		return -1;
	}
	diag_warn("%s; production keeps scoring with %.12s", err.msg,
	    model->sha);
	return 0;
}

static void
maybe_reload(void)
{
	struct timespec mt;
	ino_t ino;

	if (fixed_model)
		return;
	reg_production_stamp(&reg, &ino, &mt);
	if (!hup && ino == prod_ino && mt.tv_sec == prod_mtime.tv_sec &&
	    mt.tv_nsec == prod_mtime.tv_nsec)
		return;
	hup = 0;
	load_production(0);
}

/*
 * A time as a JSON string.  Records come in time order, so the few last
 * times formatted are kept with their text.
 */
static void
put_ts(struct buf *b, int64_t t)
{
	static int64_t ct[4] = { INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN };
	static char cs[4][TM_BUFSZ + 2];
	static int cn[4], next;
	int i;

	for (i = 0; i < 4; i++)
		if (ct[i] == t && cn[i] > 0) {
			buf_add(b, cs[i], (size_t)cn[i]);
			return;
		}
	i = next;
	next = (next + 1) % 4;
	cs[i][0] = '"';
	cn[i] = tm_format(t, cs[i] + 1) + 1;
	cs[i][cn[i]++] = '"';
	ct[i] = t;
	buf_add(b, cs[i], (size_t)cn[i]);
}

static void
put_key(struct buf *b, const char *key)
{
	buf_addc(b, ',');
	buf_jstr(b, key, strlen(key));
	buf_addc(b, ':');
}

static void
put_skey(struct buf *b, const char *key, const char *val)
{
	put_key(b, key);
	buf_jstr(b, val, strlen(val));
}

static void
put_num(struct buf *b, double x)
{
	if (buf_jnum(b, x) < 0)
		buf_adds(b, "null");
}

/*
 * Print the integer k over 10^d (d <= 12) as a decimal without trailing
 * zeros, and ".0" when there is no fraction, as fmt_double() ends its
 * numbers.  The digits are made two at a time, from the right.
 */
static int
put_scaled(char *dst, unsigned long long k, int d)
{
	static const char dig2[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "62636465666768697071727374757677787980818283848586878889909192"
	    "93949596979899";
	char t[32], *e = t + sizeof(t), *q = e;
	int n, len, fd;

	while (k >= 100) {
		q -= 2;
		memcpy(q, dig2 + 2 * (k % 100), 2);
		k /= 100;
	}
	if (k >= 10) {
		q -= 2;
		memcpy(q, dig2 + 2 * k, 2);
	} else {
		*--q = (char)('0' + k);
	}
	while (e - q < d + 1)
		*--q = '0';
	len = (int)(e - q);
	n = len - d;
	memcpy(dst, q, (size_t)n);
	dst[n++] = '.';
	for (fd = d; fd > 0 && q[len - d + fd - 1] == '0'; fd--)
		;
	if (fd == 0) {
		dst[n++] = '0';
		return n;
	}
	memcpy(dst + n, q + len - d, (size_t)fd);
	return n + fd;
}

/* A figure for people: rounded to digits decimal places. */
static double
rnd(double x, int digits)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
		1e8, 1e9, 1e10, 1e11, 1e12 };
	double f = digits >= 0 && digits <= 12 ? p10[digits] :
	    pow(10, digits);

	return round(x * f) / f;
}

/* fmt_double() into dst, or "null" for NaN or an infinity. */
static int
fmt_num(double x, char *dst)
{
	int n = fmt_double(x, dst);

	if (n >= 0)
		return n;
	memcpy(dst, "null", 4);
	return 4;
}

/*
 * A feature value or baseline for people: six significant digits, printed
 * as fmt_double() prints the double those digits read back as (a decimal
 * of at most 15 digits is the shortest form of its double).  From 1e-4 to
 * 1e5 the digits are an integer over a power of ten; other values take
 * the general path.  The rounding is by a multiplication, so a value
 * within an ulp of a half may round the other way than printf's %.6g
 * (about 2 in 10^4 values); it is the same on every machine.  Writes at
 * most 40 bytes into dst; returns the count.
 */
static int
fmt_sig6(double x, char *dst)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
		1e8, 1e9, 1e10 };
	static const double dec[] = { 1e-4, 1e-3, 1e-2, 1e-1, 1, 1e1, 1e2,
		1e3, 1e4, 1e5 };
	double a = fabs(x);
	long long k;
	char tmp[48];
	int e, n = 0;

	if (!isfinite(x))
		return fmt_num(x, dst);
	if (a == 0) {
		memcpy(dst, "0.0", 3);
		return 3;
	}
	if (!(a >= 1e-4 && a < 1e5)) {
		snprintf(tmp, sizeof(tmp), "%.6g", x);
		return fmt_num(strtod(tmp, NULL), dst);
	}
	/* the decade of a, give or take one: the rounding below settles it */
	for (e = -4; e < 4 && a >= dec[e + 5]; e++)
		;
	k = llround(a * p10[5 - e]);
	if (k >= 1000000 && e < 4) {
		e++;
		k = llround(a * p10[5 - e]);
	} else if (k < 100000 && e > -4) {
		e--;
		k = llround(a * p10[5 - e]);
	}
	if (x < 0)
		dst[n++] = '-';
	return n + put_scaled(dst + n, (unsigned long long)k, 5 - e);
}

/*
 * x rounded to d decimals (d <= 12), printed as fmt_double() would print
 * it, without its search for the shortest form: for 1e-4 <= |x| < 1e9 the
 * shortest decimal that reads back as round(x * 10^d) / 10^d is that
 * integer over 10^d with its trailing zeros taken off, since it has at
 * most 15 significant digits.  Other values take the general path.
 * Writes at most 40 bytes into dst; returns the count.
 */
static int
fmt_fixed(double x, int d, char *dst)
{
	static const double p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
		1e8, 1e9, 1e10, 1e11, 1e12 };
	long long k;
	int n = 0;
	double r;

	if (d < 0 || d > 12)
		return fmt_num(rnd(x, d), dst);
	r = rnd(x, d);
	if (r == 0) {
		memcpy(dst, "0.0", 3);
		return 3;
	}
	if (!(fabs(r) >= 1e-4 && fabs(r) < 1e9))
		return fmt_num(r, dst);
	k = llround(r * p10[d]);
	if (k < 0) {
		dst[n++] = '-';
		k = -k;
	}
	return n + put_scaled(dst + n, (unsigned long long)k, d);
}

static void
put_fixed(struct buf *b, double x, int d)
{
	char tmp[48];

	buf_add(b, tmp, (size_t)fmt_fixed(x, d, tmp));
}

/* A feature's object but its closing brace, written in one piece. */
static void
put_feature(struct buf *b, const struct model_class *mc,
    const struct model_result *r, const double *x, size_t i)
{
	const struct buf *fj = &cinfo_of(mc)->fjson[i];
	char tmp[160];
	int n;

	n = fmt_sig6(x[i], tmp);
	memcpy(tmp + n, ",\"baseline\":", 12);
	n += 12;
	n += fmt_sig6(r->baseline[i], tmp + n);
	memcpy(tmp + n, ",\"z\":", 5);
	n += 5;
	n += fmt_fixed(r->z[i], 2, tmp + n);
	buf_add(b, fj->s, fj->len);
	buf_add(b, tmp, (size_t)n);
}

static int
emit(struct buf *b)
{
	struct twin_err err;

	if (out_end_record(out, &err) < 0) {
		if (err.code != TWIN_EPIPE) {
			diag_warn("%s", err.msg);
			worse(EXIT_IO);
		}
		return -1;
	}
	return 0;
}

static struct drift_cls *
drift_for(const struct model_class *mc)
{
	size_t i;

	for (i = 0; i < ndcls; i++)
		if (strcmp(dcls[i].cls, mc->name) == 0)
			return &dcls[i];
	dcls = xrealloc(dcls, (ndcls + 1) * sizeof(*dcls));
	dcls[ndcls].cls = xstrdup(mc->name);
	drift_init(&dcls[ndcls].d, mc->p, MODEL_DBINS, mc->dedge);
	drift_init(&dcls[ndcls].ds, 1, MODEL_DBINS, score_edges);
	dcls[ndcls].end = INT64_MIN;
	return &dcls[ndcls++];
}

/*
 * Close a drift window: a drift record per feature over the threshold, and
 * one for the scores (i == p).
 */
static int
drift_close(const struct model_class *mc, struct drift_cls *dc)
{
	struct buf *b = out_buf(out);
	const struct drift *d;
	size_t i, k;
	double psi;

	for (i = 0; i <= mc->p; i++) {
		d = i < mc->p ? &dc->d : &dc->ds;
		k = i < mc->p ? i : 0;
		if (d->n[k] < model->params.drift_min)
			continue;
		psi = drift_psi(d, k);
		if (!(psi > model->params.drift_psi))
			continue;
		buf_adds(b, "{\"kind\":\"drift\",\"ts\":");
		put_ts(b, dc->end);
		put_skey(b, "tenant", tenant);
		put_skey(b, "class", mc->name);
		if (i < mc->p)
			put_skey(b, "feature", mc->features[i]);
		else
			put_skey(b, "of", "score");
		put_skey(b, "stat", "psi");
		put_key(b, "value");
		put_num(b, rnd(psi, 4));
		put_key(b, "threshold");
		put_num(b, model->params.drift_psi);
		buf_adds(b, ",\"window\":{\"start\":");
		put_ts(b, d->start);
		buf_adds(b, ",\"end\":");
		put_ts(b, dc->end);
		buf_adds(b, ",\"n\":");
		buf_jint(b, (long long)d->n[k]);
		buf_addc(b, '}');
		put_skey(b, "model_sha256", model->sha);
		buf_addc(b, '}');
		if (emit(b) < 0)
			return -1;
	}
	return 0;
}

static int
drift_update(const struct model_class *mc, const char *asset, int64_t end,
    const double *x, double score)
{
	struct drift_cls *dc;
	double *dev;
	int64_t start;
	size_t i;

	if (drift_win <= 0)
		return 0;
	dc = drift_for(mc);
	start = drift_window_start(end - 1, drift_win);
	if (dc->end != INT64_MIN && start + drift_win > dc->end) {
		if (drift_close(mc, dc) < 0)
			return -1;
	}
	if (dc->end == INT64_MIN || start + drift_win > dc->end) {
		drift_reset(&dc->d, start);
		drift_reset(&dc->ds, start);
		dc->end = start + drift_win;
	} else if (start + drift_win < dc->end) {
		return 0;	/* a window already closed: not counted */
	}
	dev = xmalloc(mc->p * sizeof(*dev));
	for (i = 0; i < mc->p; i++)
		dev[i] = model_deviation(mc, asset, i, x[i]);
	drift_add(&dc->d, dev);
	drift_add(&dc->ds, &score);
	free(dev);
	return 0;
}

/* Score the open window of a group and write the score record. */
static int
flush_group(struct group *g)
{
	const struct model_class *mc = g->mc;
	struct buf *b = out_buf(out);
	struct model_result r;
	struct twin_err err;
	double *x = g->x;
	size_t i, k, nm;
	int known, rc = 0, n;
	char tmp[160];

	if (mc != NULL) {
		if ((n = join_emit(&g->j, x, &g->end, &g->from)) < 0)
			return 0;
		g->npresent = (size_t)n;
	} else {
		if (!g->open)
			return 0;
		g->open = 0;
		g->done = g->end;
	}
	if (mc != NULL && g->npresent == 0) {
		/* windows of channels the model does not use: nothing to say */
		nempty++;
		g->nsrc = 0;
		g->has_spec = 0;
		return 0;
	}
	buf_adds(b, "{\"kind\":\"score\",\"ts\":");
	put_ts(b, g->end);
	if (g->hdr.len == 0 || g->hdr_site != (g->site != NULL)) {
		buf_reset(&g->hdr);
		put_skey(&g->hdr, "tenant", tenant);
		if (g->site != NULL)
			put_skey(&g->hdr, "site", g->site);
		put_skey(&g->hdr, "asset", g->asset);
		put_skey(&g->hdr, "class", g->cls);
		g->hdr_site = g->site != NULL;
	}
	buf_add(b, g->hdr.s, g->hdr.len);
	known = mc != NULL;
	memset(&r, 0, sizeof(r));
	if (known) {
		r = cinfo_of(mc)->r;
		model_score(model, mc, g->asset, x, &r, &err);
	} else if (json_object_get(warned, g->cls) == NULL) {
		json_object_set_new(warned, g->cls, json_true());
		diag_warn("asset class '%s' is not in model %.12s: scores "
		    "say 'unknown'", g->cls, model->sha);
	}
	if (known && r.severity != SEV_UNKNOWN) {
		/* 12 decimals: finer than any calibration can mean */
		memcpy(tmp, ",\"score\":", 9);
		n = 9 + fmt_fixed(r.score, 12, tmp + 9);
		memcpy(tmp + n, ",\"band\":[", 9);
		n += 9;
		n += fmt_fixed(r.lo, 12, tmp + n);
		tmp[n++] = ',';
		n += fmt_fixed(r.hi, 12, tmp + n);
		tmp[n++] = ']';
		buf_add(b, tmp, (size_t)n);
	}
	put_skey(b, "severity", model_severity_name(known ? r.severity :
	    SEV_UNKNOWN));
	buf_adds(b, ",\"modes\":[");
	nm = 0;
	if (known && r.severity != SEV_UNKNOWN && r.severity != SEV_NORMAL)
		for (k = 0; k < mc->nmodes && nm < TOP_MODES; k++) {
			const struct cls_mode *md = &mc->modes[r.morder[k]];
			size_t j, ne = 0;

			if (r.mp[r.morder[k]] < MIN_MODE_P)
				break;
			if (nm++)
				buf_addc(b, ',');
			buf_adds(b, "{\"mode\":");
			buf_jstr(b, md->mode, strlen(md->mode));
			put_key(b, "p");
			put_fixed(b, r.mp[r.morder[k]], 4);
			if (md->title != NULL)
				put_skey(b, "title", md->title);
			put_skey(b, "action", md->action);
			buf_adds(b, ",\"evidence\":[");
			for (j = 0; j < md->nsig; j++) {
				int fi = md->sig[j].index;

				if (fi < 0 || isnan(x[fi]))
					continue;
				if (ne++)
					buf_addc(b, ',');
				put_feature(b, mc, &r, x, (size_t)fi);
				buf_addc(b, '}');
			}
			buf_adds(b, "]}");
		}
	buf_adds(b, "],\"contrib\":[");
	if (known && r.severity != SEV_UNKNOWN) {
		double tot = 0;

		for (k = 0; k < r.ncontrib; k++)
			tot += r.c[r.order[k]];
		for (k = 0; k < r.ncontrib && k < TOP_CONTRIB; k++) {
			if (k)
				buf_addc(b, ',');
			put_feature(b, mc, &r, x, r.order[k]);
			n = 9;
			memcpy(tmp, ",\"share\":", 9);
			n += fmt_fixed(r.c[r.order[k]] / tot, 4, tmp + n);
			tmp[n++] = '}';
			buf_add(b, tmp, (size_t)n);
		}
	}
	buf_adds(b, "],\"dq\":{\"flags\":[");
	nm = 0;
	if (!known) {
		struct buf f = BUF_INIT;

		buf_adds(&f, "unknown_class:");
		buf_adds(&f, g->cls);
		buf_jstr(b, f.s, f.len);
		buf_free(&f);
		nm++;
	} else {
		struct buf f = BUF_INIT;

		for (i = 0; i < mc->p; i++) {
			if (!isnan(x[i]))
				continue;
			buf_reset(&f);
			buf_adds(&f, "missing_feature:");
			buf_adds(&f, mc->features[i]);
			if (nm++)
				buf_addc(b, ',');
			buf_jstr(b, f.s, f.len);
		}
		buf_free(&f);
		if (r.no_baseline) {
			if (nm++)
				buf_addc(b, ',');
			buf_adds(b, "\"no_asset_baseline\"");
		}
		if (r.severity == SEV_UNKNOWN) {
			if (nm++)
				buf_addc(b, ',');
			buf_adds(b, "\"too_few_features\"");
		}
	}
	buf_adds(b, "]},\"prov\":{\"src\":[");
	if (g->srcj_stale || g->srcj_n != g->nsrc) {
		buf_reset(&g->srcj);
		for (i = 0; i < g->nsrc; i++) {
			if (i)
				buf_addc(&g->srcj, ',');
			buf_jstr(&g->srcj, g->src[i], strlen(g->src[i]));
		}
		g->srcj_n = g->nsrc;
		g->srcj_stale = 0;
	}
	buf_add(b, g->srcj.s, g->srcj.len);
	buf_addc(b, ']');
	buf_adds(b, ",\"from\":");
	put_ts(b, g->from);
	buf_adds(b, ",\"to\":");
	put_ts(b, g->end);
	buf_add(b, sha_json.s, sha_json.len);
	if (g->has_spec)
		buf_add(b, g->specj.s, g->specj.len);
	buf_adds(b, ",\"twin_score\":\"" TWIN_VERSION "\"}}");
	rc = emit(b);
	if (rc == 0 && known && r.severity != SEV_UNKNOWN)
		rc = drift_update(mc, g->asset, g->end, x, r.score);
	g->npresent = 0;
	g->nsrc = 0;
	g->has_spec = 0;
	return rc;
}

static struct group *
group_get(const char *asset)
{
	static size_t last = SIZE_MAX;	/* records of an asset come together */
	json_t *ix;
	struct group *g;

	if (last < ngrp && strcmp(grp[last].asset, asset) == 0)
		return &grp[last];
	if ((ix = json_object_get(groups, asset)) != NULL) {
		last = (size_t)json_integer_value(ix);
		return &grp[last];
	}
	last = ngrp;
	grp = xrealloc(grp, (ngrp + 1) * sizeof(*grp));
	g = &grp[ngrp];
	memset(g, 0, sizeof(*g));
	g->asset = xstrdup(asset);
	g->done = INT64_MIN;
	json_object_set_new(groups, asset, json_integer((json_int_t)ngrp));
	ngrp++;
	return g;
}

/* Take one feature record; returns -1 (with err) when it is rejected. */
static int
take_feature(const struct featrec *fr, struct twin_err *err)
{
	int64_t wstart = fr->has_wstart ? fr->wstart : fr->ts;
	struct group *g;
	const int *ix;
	size_t i, j;
	char t1[TM_BUFSZ];

	g = group_get(fr->asset);
	if (g->cls != NULL && strcmp(g->cls, fr->cls) != 0)
		return err_set(err, TWIN_EDATA, "asset '%s' changed class from "
		    "'%s' to '%s'", fr->asset, g->cls, fr->cls);
	if (g->cls == NULL) {
		g->cls = xstrdup(fr->cls);
		g->mc = model_class_get(model, g->cls);
		if (g->mc != NULL) {
			join_init(&g->j, g->mc->p, model->params.max_age);
			g->x = xmalloc(g->mc->p * sizeof(*g->x));
			for (i = 0; i < g->mc->p; i++)
				g->x[i] = NAN;
		}
	}
	if (g->site == NULL && fr->site != NULL)
		g->site = xstrdup(fr->site);
	if (g->mc != NULL) {
		if (join_late(&g->j, fr->ts)) {
			tm_format(g->j.done, t1);
			return err_set(err, TWIN_EDATA, "late feature of "
			    "asset '%s': row at %s already scored", fr->asset,
			    t1);
		}
		if (join_due(&g->j, fr->ts) && flush_group(g) < 0)
			return -2;
	} else {
		if ((g->open && fr->ts < g->end) || (g->done != INT64_MIN &&
		    fr->ts <= g->done)) {
			tm_format(g->open ? g->end : g->done, t1);
			return err_set(err, TWIN_EDATA, "late feature of asset "
			    "'%s': window up to %s already %s", fr->asset, t1,
			    g->open ? "open" : "scored");
		}
		if (g->open && fr->ts > g->end && flush_group(g) < 0)
			return -2;
		if (!g->open) {
			g->open = 1;
			g->end = fr->ts;
			g->from = wstart;
		}
		if (wstart < g->from)
			g->from = wstart;
	}
	ix = g->mc ? chmap_get(g->mc, fr) : NULL;
	for (i = 0; ix != NULL && i < fr->nf; i++)
		if (ix[i] >= 0 && !isnan(fr->fval[i]))
			join_set(&g->j, (size_t)ix[i], fr->ts, wstart,
			    fr->fval[i]);
	for (i = 0; i < fr->nsrc; i++) {
		for (j = 0; j < g->nsrc; j++)
			if (strcmp(g->src[j], fr->src[i]) == 0)
				break;
		if (j < g->nsrc || g->nsrc == MAX_SRC)
			continue;
		/* the same source in the same place as the last row: kept */
		if (g->nsrc < g->nsrcmem && strcmp(g->src[g->nsrc],
		    fr->src[i]) == 0) {
			g->nsrc++;
			continue;
		}
		if (g->nsrc < g->nsrcmem)
			free(g->src[g->nsrc]);
		else
			g->nsrcmem++;
		g->src[g->nsrc++] = xstrdup(fr->src[i]);
		g->srcj_stale = 1;
	}
	if (!g->has_spec && fr->spec != NULL) {
		if (g->spec == NULL || strcmp(g->spec, fr->spec) != 0) {
			free(g->spec);
			g->spec = xstrdup(fr->spec);
			buf_reset(&g->specj);
			put_skey(&g->specj, "spec_sha256", g->spec);
		}
		g->has_spec = 1;
	}
	if (g->mc != NULL && strcmp(fr->channel, g->mc->primary) == 0)
		join_trigger(&g->j, fr->ts);
	if (g->mc != NULL && join_complete(&g->j) && flush_group(g) < 0)
		return -2;
	return 0;
}

/* Returns -1 when output failed and the run must stop. */
static int
score_stream(struct ndj_reader *rd, unsigned long long *nrec)
{
	struct featrec *fr = &score_fr;
	struct twin_err err;
	enum rec_kind kind;
	char *line;
	size_t len;
	json_t *rec;
	int64_t ts;
	int rc;

	for (;;) {
		rc = ndj_next(rd, &line, &len, &err);
		if (rc == 0)
			return 0;
		/* after the read: a SIGHUP that came while waiting counts */
		if (hup || ++*nrec % CHECK_EVERY == 0)
			maybe_reload();
		if (rc < 0) {
			if (err.code != TWIN_EDATA) {
				diag_warn("%s: %s", ndj_name(rd), err.msg);
				worse(EXIT_IO);
				return -1;
			}
			diag_reject(ndj_name(rd), ndj_lineno(rd), NULL, 0,
			    "%s", err.msg);
			worse(EXIT_DATA);
			continue;
		}
		if (featrec_scan(line, len, tenant, fr)) {
			rc = take_feature(fr, &err);
			goto took;
		}
		if ((rec = ndj_parse(line, len, &err)) == NULL ||
		    rec_check(rec, tenant, &kind, &ts, &err) < 0) {
			diag_reject(ndj_name(rd), ndj_lineno(rd), line, len,
			    "%s", err.msg);
			worse(EXIT_DATA);
			json_decref(rec);
			continue;
		}
		if (kind != REC_FEATURE) {
			json_decref(rec);
			if (out_line(out, line, len, &err) < 0) {
				if (err.code != TWIN_EPIPE) {
					diag_warn("%s", err.msg);
					worse(EXIT_IO);
				}
				return -1;
			}
			continue;
		}
		rc = featrec_from_json(rec, ts, fr, &err);
		if (rc == 0)
			rc = take_feature(fr, &err);
		json_decref(rec);
took:
		if (rc == -2)
			return -1;
		if (rc < 0) {
			diag_reject(ndj_name(rd), ndj_lineno(rd), line, len,
			    "%s", err.msg);
			worse(EXIT_DATA);
		}
	}
}

int
main(int argc, char **argv)
{
	const char *regdir = getenv("TWIN_REGISTRY"), *mname = NULL;
	const char *reject = NULL;
	struct ndj_reader *rd;
	struct twin_err err;
	unsigned long long nrec = 0;
	int c, live = 0, i, stop = 0;
	size_t k;

	diag_init(argv[0]);
	drift_win = 7 * 24 * 3600 * TM_NS_PER_S;
	while ((c = getopt_long(argc, argv, "d:hlm:qR:r:T:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			if (strcmp(optarg, "0") == 0)
				drift_win = 0;
			else if (tm_parse_duration(optarg, &drift_win,
			    &err) < 0 || drift_win < TM_NS_PER_S) {
				diag_warn("bad drift window '%s' (0 or at "
				    "least 1s)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'l':
			live = 1;
			break;
		case 'm':
			mname = optarg;
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
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (tenant == NULL) {
		diag_warn("no tenant (-T)");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!rec_tenant_valid(tenant)) {
		diag_warn("invalid tenant '%s'", tenant);
		return EXIT_USAGE;
	}
	if (regdir == NULL && mname == NULL) {
		diag_warn("no registry (-r or TWIN_REGISTRY) and no model (-m)");
		return EXIT_USAGE;
	}
	if (regdir != NULL) {
		if (reg_open(&reg, regdir, tenant, 0, &err) < 0) {
			diag_warn("%s", err.msg);
			return err_exit_status(err.code);
		}
		have_reg = 1;
	}
	if (mname != NULL) {
		fixed_model = 1;
		if ((model = load_fixed(mname, &err)) == NULL) {
			diag_warn("%s", err.msg);
			if (have_reg)
				reg_close(&reg);
			return err_exit_status(err.code);
		}
		build_fmaps();
	} else if (load_production(1) < 0) {
		reg_close(&reg);
		return EXIT_CONFIG;
	}
	if (diag_reject_open(reject, &err) < 0) {
		diag_warn("%s", err.msg);
		model_free(model);
		if (have_reg)
			reg_close(&reg);
		return EXIT_IO;
	}
	signal(SIGHUP, on_hup);
	groups = json_object();
	warned = json_object();
	out = out_open(1, live);
	for (i = 0; i < (argc ? argc : 1) && !stop; i++) {
		if (argc == 0 || strcmp(argv[i], "-") == 0) {
			rd = ndj_open_fd(0, "<stdin>", NDJ_MAX_LINE_DEFAULT);
		} else if ((rd = ndj_open_path(argv[i], NDJ_MAX_LINE_DEFAULT,
		    &err)) == NULL) {
			diag_warn("%s", err.msg);
			worse(EXIT_IO);
			continue;
		}
		if (score_stream(rd, &nrec) < 0)
			stop = 1;
		ndj_close(rd);
	}
	/* The end of input closes every open window, in asset order. */
	for (k = 0; k < ngrp && !stop; k++)
		if (flush_group(&grp[k]) < 0)
			stop = 1;
	if (out_close(out, &err) < 0 && err.code != TWIN_EPIPE) {
		diag_warn("%s", err.msg);
		worse(EXIT_IO);
	}
	if (diag_reject_close(&err) < 0) {
		diag_warn("%s", err.msg);
		worse(EXIT_IO);
	}
	if (nempty > 0)
		diag_info("%llu window(s) held none of the model's features: "
		    "not scored", nempty);
	if (diag_errors() > 0)
		diag_info("%llu record(s) rejected", diag_errors());
	for (k = 0; k < ngrp; k++) {
		free(grp[k].asset);
		free(grp[k].site);
		free(grp[k].cls);
		free(grp[k].spec);
		free(grp[k].x);
		buf_free(&grp[k].hdr);
		buf_free(&grp[k].srcj);
		buf_free(&grp[k].specj);
		if (grp[k].mc != NULL)
			join_free(&grp[k].j);
		for (i = 0; i < (int)grp[k].nsrcmem; i++)
			free(grp[k].src[i]);
	}
	free(grp);
	json_decref(groups);
	json_decref(warned);
	drift_clear();
	cinfo_clear();
	model_free(model);
	json_decref(fmaps);
	buf_free(&keybuf);
	buf_free(&sha_json);
	featrec_free(&score_fr);
	if (have_reg)
		reg_close(&reg);
	return status;
}
