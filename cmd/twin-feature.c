/*
 * twin-feature - event-time windows over sample streams; time-domain,
 * spectral, envelope and velocity features with data-quality figures.
 *
 * Reads "sample" records (twin(7)), keeps one window state per (asset,
 * channel) in a hash table, and writes one "feature" record per closed
 * window.  Other kinds pass through unchanged.  See twin-feature(1) and
 * the spec file format in twin-feature(5).
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "digest.h"
#include "err.h"
#include "f32.h"
#include "feat.h"
#include "featspec.h"
#include "ndj.h"
#include "out.h"
#include "rec.h"
#include "tm.h"
#include "win.h"
#include "banned.h"

#define MAX_SRC 4
#define SPEED_MAX 65536		/* speed samples kept per source at most */

struct speedpt {
	int64_t t;
	double hz;
};

/*
 * The samples of one speed channel of one asset of the tenant, sorted by
 * time, for the windows of every stream whose speed follows it (the
 * asset's own vibration channels, or a driven machine's).
 */
struct speedsrc {
	char *tenant, *asset, *channel;
	struct speedpt *pt;
	size_t n, cap;
	struct stream **users;	/* waveform streams that follow it */
	size_t nusers;
	struct speedsrc *next;
};

/* How a window's speed was found, for dq.speed. */
enum speed_how { SPEED_NONE, SPEED_FIXED, SPEED_MEASURED, SPEED_NOMINAL,
	SPEED_MISSING };

struct stream {
	char *asset, *channel, *site, *class, *unit;
	const struct featspec_class *cls;
	const struct featspec_chan *spec;
	const struct featspec_speed *sp;	/* NULL: no speed */
	struct speedsrc *spsrc;	/* when the speed comes from a channel */
	int64_t smax;		/* newest record time pushed */
	int64_t winlen_ns;	/* the window's length in time */
	double rate_hz;		/* 0: scalar series */
	struct win *win;
	char *src[MAX_SRC];
	size_t nsrc;
	char tagmap[DIGEST_HEX];
	uint64_t flagged;	/* samples flagged out_of_range upstream */
	struct stream *next;
};

/*
 * A closed window waiting for the speed samples of its time: kept until
 * the input's watermark passes its end, with what the record needs.
 */
struct held {
	struct stream *s;
	struct win_ready w;
	double *x, *t;
	char *src[MAX_SRC];
	size_t nsrc;
	uint64_t flagged;
	struct held *next;
};

struct totals {
	uint64_t records, samples, windows, passed, skipped;
	uint64_t expected, received, nan, oor, flat, spikes;
	uint64_t speed_samples, speed_late, speed_dropped;
	uint64_t speed_nominal, speed_missing;
};

static struct featspec *spec;
static const char *tenant;
static struct out *out;
static struct feat_ws *ws;
static struct stream **tab;
static size_t tabsz, nstreams;
static struct speedsrc **srctab;
static size_t srctabsz, nsrcs;
static struct held *held, **heldtail = &held;
static int64_t maxts = INT64_MIN;	/* newest sample time of the input */
static struct totals tot;
static double *vals;
static size_t valcap;

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: twin-feature [-hlq] [--max-line bytes] "
	    "[-R rejects] -s spec [-T tenant]\n"
	    "                    [file ...]\n");
}

static uint64_t
hash2(const char *a, const char *b)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

static struct stream *
stream_find(const char *asset, const char *channel)
{
	struct stream *s;

	if (tabsz == 0)
		return NULL;
	for (s = tab[hash2(asset, channel) % tabsz]; s != NULL; s = s->next)
		if (strcmp(s->asset, asset) == 0 &&
		    strcmp(s->channel, channel) == 0)
			return s;
	return NULL;
}

static void
stream_add(struct stream *s)
{
	struct stream **nt, *p, *next;
	size_t i, nsz;

	if (nstreams + 1 > tabsz) {
		nsz = tabsz ? 2 * tabsz : 64;
		nt = xcalloc(nsz, sizeof(*nt));
		for (i = 0; i < tabsz; i++)
			for (p = tab[i]; p != NULL; p = next) {
				next = p->next;
				p->next = nt[hash2(p->asset, p->channel) % nsz];
				nt[hash2(p->asset, p->channel) % nsz] = p;
			}
		free(tab);
		tab = nt;
		tabsz = nsz;
	}
	i = hash2(s->asset, s->channel) % tabsz;
	s->next = tab[i];
	tab[i] = s;
	nstreams++;
}

static uint64_t
hash3(const char *t, const char *a, const char *c)
{
	uint64_t h = hash2(t, a);

	h = (h ^ 0xff) * 1099511628211ULL;
	for (; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return h;
}

/* The speed source of (tenant, asset, channel), made on first use. */
static struct speedsrc *
speedsrc_get(const char *ten, const char *asset, const char *channel)
{
	struct speedsrc **nt, *p, *next;
	size_t i, nsz;

	if (srctabsz > 0)
		for (p = srctab[hash3(ten, asset, channel) % srctabsz];
		    p != NULL; p = p->next)
			if (strcmp(p->tenant, ten) == 0 &&
			    strcmp(p->asset, asset) == 0 &&
			    strcmp(p->channel, channel) == 0)
				return p;
	if (nsrcs + 1 > srctabsz) {
		nsz = srctabsz ? 2 * srctabsz : 16;
		nt = xcalloc(nsz, sizeof(*nt));
		for (i = 0; i < srctabsz; i++)
			for (p = srctab[i]; p != NULL; p = next) {
				next = p->next;
				p->next = nt[hash3(p->tenant, p->asset,
				    p->channel) % nsz];
				nt[hash3(p->tenant, p->asset, p->channel) %
				    nsz] = p;
			}
		free(srctab);
		srctab = nt;
		srctabsz = nsz;
	}
	p = xcalloc(1, sizeof(*p));
	p->tenant = xstrdup(ten);
	p->asset = xstrdup(asset);
	p->channel = xstrdup(channel);
	i = hash3(ten, asset, channel) % srctabsz;
	p->next = srctab[i];
	srctab[i] = p;
	nsrcs++;
	return p;
}

static int64_t
sub_sat(int64_t a, int64_t b)
{
	return a < INT64_MIN + b ? INT64_MIN : a - b;
}

/*
 * The oldest time a window that follows src may still need a speed
 * sample from: max_age before the earliest window start still to come,
 * held, or of a stream not seen yet (the watermark).
 */
static int64_t
speedsrc_need(const struct speedsrc *src)
{
	const struct held *h;
	int64_t b = sub_sat(maxts, spec->lateness_ns), u;
	size_t i;

	for (i = 0; i < src->nusers; i++) {
		u = sub_sat(sub_sat(src->users[i]->smax, spec->lateness_ns),
		    src->users[i]->winlen_ns);
		if (u < b)
			b = u;
	}
	for (h = held; h != NULL; h = h->next)
		if (h->s->spsrc == src && h->w.start < b)
			b = h->w.start;
	return sub_sat(b, spec->max_age_ns);
}

/* Insert a speed sample in time order, making room first. */
static void
speedsrc_add(struct speedsrc *src, int64_t t, double hz)
{
	size_t i, drop;
	int64_t need;

	if (src->n == src->cap) {
		need = speedsrc_need(src);
		for (drop = 0; drop < src->n && src->pt[drop].t < need; drop++)
			;
		if (drop == 0 && src->cap >= SPEED_MAX) {
			drop = 1;
			tot.speed_dropped++;
		}
		if (drop > 0) {
			memmove(src->pt, src->pt + drop, (src->n - drop) *
			    sizeof(*src->pt));
			src->n -= drop;
		}
		if (src->n == src->cap) {
			src->cap = src->cap ? 2 * src->cap : 64;
			src->pt = xrealloc(src->pt, src->cap *
			    sizeof(*src->pt));
		}
	}
	for (i = src->n; i > 0 && src->pt[i - 1].t > t; i--)
		;
	if (i < src->n)
		memmove(src->pt + i + 1, src->pt + i, (src->n - i) *
		    sizeof(*src->pt));
	src->pt[i] = (struct speedpt){ t, hz };
	src->n++;
}

/* First sample at or after t. */
static size_t
speedsrc_find(const struct speedsrc *src, int64_t t)
{
	size_t lo = 0, hi = src->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (src->pt[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Shaft speed in Hz for the window [start, end): the mean of the source's
 * samples inside it, else of its latest samples before it if no older
 * than max_age at the window's end, times the ratio; else the nominal
 * rpm.  Only samples that arrived before the window closed are there.
 */
static double
speed_for(const struct stream *s, int64_t start, int64_t end,
    enum speed_how *how)
{
	const struct featspec_speed *sp = s->sp;
	const struct speedsrc *src = s->spsrc;
	double sum = 0;
	size_t i, j, n = 0;

	*how = SPEED_NONE;
	if (sp == NULL)
		return 0;
	*how = SPEED_FIXED;
	if (sp->channel == NULL)
		return sp->rpm / 60;
	/* A scalar series follows no speed. */
	*how = SPEED_NONE;
	if (src == NULL)
		return 0;
	i = speedsrc_find(src, start);
	for (j = i; j < src->n && src->pt[j].t < end; j++, n++)
		sum += src->pt[j].hz;
	if (n == 0 && i > 0 && src->pt[i - 1].t >= sub_sat(end,
	    sp->max_age_ns))
		for (j = i; j > 0 && src->pt[j - 1].t == src->pt[i - 1].t;
		    j--, n++)
			sum += src->pt[j - 1].hz;
	if (n > 0) {
		*how = SPEED_MEASURED;
		return sum / (double)n * sp->ratio;
	}
	*how = sp->rpm > 0 ? SPEED_NOMINAL : SPEED_MISSING;
	return sp->rpm / 60;
}

static void
jkey(struct buf *b, const char *k)
{
	buf_addc(b, ',');
	buf_jstr(b, k, strlen(k));
	buf_addc(b, ':');
}

static void
jtime(struct buf *b, const char *k, int64_t t)
{
	char tb[TM_BUFSZ];
	int n = tm_format(t, tb);

	jkey(b, k);
	buf_jstr(b, tb, (size_t)n);
}

static void
jsval(struct buf *b, const char *k, const char *v)
{
	jkey(b, k);
	buf_jstr(b, v, strlen(v));
}

static void
jnum(struct buf *b, const char *k, double v)
{
	jkey(b, k);
	if (buf_jnum(b, v) < 0)
		buf_adds(b, "null");
}

static void
jint(struct buf *b, const char *k, long long v)
{
	jkey(b, k);
	buf_jint(b, v);
}

/* A closed window: compute its features and write the record. */
static int
record(struct stream *s, const struct win_ready *w, char *const *srcv,
    size_t nsrc, uint64_t flagged, struct twin_err *err)
{
	const struct featspec_chan *c = s->spec;
	const struct featspec_bearing *br = NULL;
	struct feat_opts fo = c->fo;
	struct feat_out fout;
	struct feat_dq dq;
	struct buf *b = out_buf(out);
	double lim[3], speed;
	char zone = 0;
	enum speed_how how;
	size_t i;

	fo.rate_hz = s->rate_hz;
	speed = speed_for(s, w->start, w->end, &how);
	fo.speed_hz = speed;
	fo.speed_refine = speed > 0 && s->sp->refine;
	if (c->bearing != NULL)
		br = featspec_bearing(s->cls, c->bearing);
	else if (strncmp(s->channel, "vibration.", 10) == 0) {
		char name[64];
		const char *p = s->channel + 10, *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			br = featspec_bearing(s->cls, name);
		}
	}
	if (br != NULL) {
		fo.have_bearing = 1;
		fo.bearing = br->b;
	}
	if (s->unit == NULL || strcmp(s->unit, "g") != 0)
		fo.sel &= ~(unsigned)FEAT_VEL_RMS;
	if (feat_compute(ws, &fo, w->x, w->t, w->n, &fout, err) < 0)
		return -1;
	feat_quality_ws(ws, w->x, w->n, c->range_lo, c->has_range ?
	    c->range_hi : c->range_lo, c->spike_k, c->flat_eps, &dq);
	dq.out_of_range += flagged;

	buf_adds(b, "{\"kind\":\"feature\"");
	jtime(b, "ts", w->end);
	jsval(b, "tenant", tenant);
	if (s->site != NULL)
		jsval(b, "site", s->site);
	jsval(b, "asset", s->asset);
	jsval(b, "class", s->class);
	jsval(b, "channel", s->channel);
	if (s->unit != NULL)
		jsval(b, "unit", s->unit);
	jkey(b, "window");
	buf_addc(b, '{');
	buf_adds(b, "\"start\":");
	{
		char tb[TM_BUFSZ];
		int n = tm_format(w->start, tb);

		buf_jstr(b, tb, (size_t)n);
	}
	jtime(b, "end", w->end);
	jint(b, "n", (long long)w->n);
	if (s->rate_hz > 0)
		jnum(b, "rate_hz", s->rate_hz);
	buf_addc(b, '}');
	jkey(b, "f");
	buf_addc(b, '{');
	for (i = 0; i < fout.n; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_jstr(b, fout.name[i], strlen(fout.name[i]));
		buf_addc(b, ':');
		buf_jnum(b, fout.v[i]);
		if (strcmp(fout.name[i], "vel_rms") == 0 &&
		    featspec_iso_limits(spec, s->cls, s->asset, lim) == 0)
			zone = feat_iso_zone(fout.v[i], lim);
	}
	buf_addc(b, '}');
	if (fout.speed_hz > 0 && s->rate_hz > 0)
		jnum(b, "speed_hz", fout.speed_hz);
	if (zone != 0) {
		char z[2] = { zone, '\0' };

		jsval(b, "iso_zone", z);
	}
	jkey(b, "dq");
	buf_addf(b, "{\"expected\":%llu,\"received\":%llu,\"gaps\":%llu,"
	    "\"nan\":%zu,\"out_of_range\":%zu,\"flatline\":%s,"
	    "\"spikes\":%zu,\"late\":%llu",
	    (unsigned long long)w->expected, (unsigned long long)w->received,
	    (unsigned long long)w->gaps, dq.nan, dq.out_of_range,
	    dq.flatline ? "true" : "false", dq.spikes,
	    (unsigned long long)w->late);
	if (s->spsrc != NULL) {
		jsval(b, "speed", how == SPEED_MEASURED ? "measured" :
		    how == SPEED_NOMINAL ? "nominal" : "missing");
		tot.speed_nominal += how == SPEED_NOMINAL;
		tot.speed_missing += how == SPEED_MISSING;
	}
	buf_addc(b, '}');
	jkey(b, "prov");
	buf_adds(b, "{\"src\":[");
	for (i = 0; i < nsrc; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_jstr(b, srcv[i], strlen(srcv[i]));
	}
	buf_addc(b, ']');
	jtime(b, "from", w->start);
	jtime(b, "to", w->end);
	if (s->tagmap[0] != '\0')
		jsval(b, "tagmap_sha256", s->tagmap);
	jsval(b, "spec_sha256", spec->sha256);
	jsval(b, "twin_feature", TWIN_VERSION);
	buf_adds(b, "}}");

	tot.windows++;
	tot.expected += w->expected;
	tot.received += w->received;
	tot.nan += dq.nan;
	tot.oor += dq.out_of_range;
	tot.flat += dq.flatline != 0;
	tot.spikes += dq.spikes;
	return out_end_record(out, err);
}

static void
held_free(struct held *h)
{
	size_t i;

	for (i = 0; i < h->nsrc; i++)
		free(h->src[i]);
	free(h->x);
	free(h->t);
	free(h);
}

/*
 * Write the held windows whose end the watermark has passed (all of them
 * at the end of input), in the order they closed.
 */
static int
release_held(int all, struct twin_err *err)
{
	struct held **hp = &held, *h;
	int64_t wm = sub_sat(maxts, spec->lateness_ns);
	int rc;

	while ((h = *hp) != NULL) {
		if (!all && h->w.end > wm) {
			hp = &h->next;
			continue;
		}
		*hp = h->next;
		if (*hp == NULL)
			heldtail = hp;
		rc = record(h->s, &h->w, h->src, h->nsrc, h->flagged, err);
		held_free(h);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * A window closed in its stream.  One whose speed comes from a channel
 * waits until the watermark passes its end, so that speed samples of its
 * time arriving within the allowed lateness are there whatever the order
 * of the streams; the others are written at once.
 */
static int
emit(void *arg, const struct win_ready *w, struct twin_err *err)
{
	struct stream *s = arg;
	struct held *h;
	int rc = 0;

	if (s->spsrc == NULL || w->end <= sub_sat(maxts, spec->lateness_ns))
		rc = record(s, w, s->src, s->nsrc, s->flagged, err);
	else {
		h = xcalloc(1, sizeof(*h));
		h->s = s;
		h->w = *w;
		h->x = xmalloc((w->n ? w->n : 1) * sizeof(double));
		memcpy(h->x, w->x, w->n * sizeof(double));
		if (w->t != NULL) {
			h->t = xmalloc((w->n ? w->n : 1) * sizeof(double));
			memcpy(h->t, w->t, w->n * sizeof(double));
		}
		h->w.x = h->x;
		h->w.t = h->t;
		for (; h->nsrc < s->nsrc; h->nsrc++)
			h->src[h->nsrc] = xstrdup(s->src[h->nsrc]);
		h->flagged = s->flagged;
		*heldtail = h;
		heldtail = &h->next;
	}
	s->flagged = 0;
	/* Keep only the newest source for the next window. */
	while (s->nsrc > 1) {
		free(s->src[0]);
		memmove(s->src, s->src + 1, (s->nsrc - 1) * sizeof(char *));
		s->nsrc--;
	}
	return rc;
}

static void
note_src(struct stream *s, const char *src)
{
	size_t i;

	if (src == NULL)
		return;
	for (i = 0; i < s->nsrc; i++)
		if (strcmp(s->src[i], src) == 0)
			return;
	if (s->nsrc == MAX_SRC) {
		free(s->src[0]);
		memmove(s->src, s->src + 1, (MAX_SRC - 1) * sizeof(char *));
		s->nsrc--;
	}
	s->src[s->nsrc++] = xstrdup(src);
}

static const char *
field(const json_t *r, const char *key, struct twin_err *err)
{
	const char *v = rec_str(r, key);

	if (v == NULL || *v == '\0')
		err_set(err, TWIN_EDATA, "missing '%s'", key);
	return v != NULL && *v != '\0' ? v : NULL;
}

/*
 * The values of a sample: into vals, count in *n.  When fast >= 0, vals
 * holds that many values already read by the fast scanner, and "v" in r is
 * an empty array (or an empty string when str is set).
 */
static int
sample_values(const json_t *r, long fast, int str, size_t *n, double *rate,
    struct twin_err *err)
{
	json_t *v = json_object_get(r, "v"), *e, *rh;
	const char *enc = rec_str(r, "enc");
	size_t i;
	long cnt;

	*rate = 0;
	rh = json_object_get(r, "rate_hz");
	if (rh != NULL) {
		if (!json_is_number(rh))
			return err_set(err, TWIN_EDATA,
			    "'rate_hz' is not a number");
		*rate = json_number_value(rh);
		if (!(*rate > 0 && *rate <= 1e7))
			return err_set(err, TWIN_EDATA,
			    "rate_hz %g is out of range (0-10000000]", *rate);
	}
	if (v == NULL)
		return err_set(err, TWIN_EDATA, "missing 'v'");
	if (json_object_get(r, "enc") != NULL) {
		if (enc == NULL || strcmp(enc, "f32le") != 0)
			return err_set(err, TWIN_EDATA,
			    "unknown encoding (only 'f32le')");
		if (!json_is_string(v))
			return err_set(err, TWIN_EDATA,
			    "'v' of an f32le block is not a string");
		if (fast >= 0 && str)
			cnt = fast;
		else
			cnt = f32_decode_b64le(json_string_value(v),
			    json_string_length(v), &vals, &valcap);
		if (cnt < 0)
			return err_set(err, TWIN_EDATA,
			    "'v' is not base64 of float32 values");
		*n = (size_t)cnt;
	} else if (json_is_array(v)) {
		if (fast >= 0 && !str)
			*n = (size_t)fast;
		else {
			*n = json_array_size(v);
			if (*n > valcap) {
				valcap = *n;
				vals = xrealloc(vals, valcap * sizeof(double));
			}
			json_array_foreach(v, i, e) {
				if (json_is_number(e))
					vals[i] = json_number_value(e);
				else if (json_is_null(e))
					vals[i] = NAN;
				else
					return err_set(err, TWIN_EDATA,
					    "'v'[%zu] is not a number", i);
			}
		}
	} else if (json_is_number(v) || json_is_null(v)) {
		if (rh != NULL)
			return err_set(err, TWIN_EDATA,
			    "'rate_hz' given with a single value");
		if (valcap == 0) {
			valcap = 4096;
			vals = xrealloc(vals, valcap * sizeof(double));
		}
		vals[0] = json_is_null(v) ? NAN : json_number_value(v);
		*n = 1;
		return 0;
	} else
		return err_set(err, TWIN_EDATA,
		    "'v' is not a number, an array or an f32le string");
	if (*n == 0)
		return err_set(err, TWIN_EDATA, "empty block");
	if (rh == NULL)
		return err_set(err, TWIN_EDATA, "block without 'rate_hz'");
	return 0;
}

static int
sample(const json_t *r, int64_t ts, long fast, int str,
    struct twin_err *err)
{
	const char *asset, *channel, *class, *unit, *q, *src;
	const struct featspec_class *cls;
	const struct featspec_chan *c;
	struct stream *s;
	json_t *fl, *prov;
	double rate;
	size_t n = 0, i;
	int rc;

	if ((asset = field(r, "asset", err)) == NULL ||
	    (channel = field(r, "channel", err)) == NULL ||
	    (class = field(r, "class", err)) == NULL)
		return -1;
	unit = rec_str(r, "unit");
	if (sample_values(r, fast, str, &n, &rate, err) < 0)
		return -1;
	if ((q = rec_str(r, "q")) != NULL && strcmp(q, "bad") == 0)
		for (i = 0; i < n; i++)
			vals[i] = NAN;
	tot.samples += n;
	cls = featspec_class(spec, class);
	/*
	 * A speed channel feeds the speed of its asset or of the assets that
	 * follow it, featured or not, of any class.
	 */
	if (featspec_speed_source(spec, cls, asset, channel)) {
		double sum = 0, k = 1.0 / 60;
		size_t m = 0;

		if (unit != NULL && strcmp(unit, "Hz") == 0)
			k = 1;
		else if (unit != NULL && strcmp(unit, "rpm") != 0)
			return err_set(err, TWIN_EDATA, "speed channel '%s' "
			    "in '%s', not 'rpm' or 'Hz'", channel, unit);
		for (i = 0; i < n; i++)
			if (isfinite(vals[i])) {
				sum += vals[i];
				m++;
			}
		if (m > 0 && sum > 0) {
			tot.speed_samples++;
			if (ts < sub_sat(maxts, spec->lateness_ns))
				tot.speed_late++;
			speedsrc_add(speedsrc_get(tenant, asset, channel), ts,
			    sum / (double)m * k);
		}
	}
	if (ts > maxts) {
		maxts = ts;
		if (held != NULL && release_held(0, err) < 0)
			return -1;
	}
	if (cls == NULL) {
		tot.skipped++;
		return 0;
	}
	if ((c = featspec_chan(cls, channel)) == NULL) {
		tot.skipped++;
		return 0;
	}
	if (c->rate_hz > 0 && rate != c->rate_hz)
		return err_set(err, TWIN_EDATA, "rate %g Hz of '%s' is not "
		    "the %g Hz of the spec", rate, channel, c->rate_hz);
	if (c->unit != NULL && (unit == NULL || strcmp(unit, c->unit) != 0))
		return err_set(err, TWIN_EDATA, "unit '%s' of '%s' is not "
		    "the spec's '%s'", unit ? unit : "", channel, c->unit);
	if ((s = stream_find(asset, channel)) == NULL) {
		struct win_cfg wc;

		memset(&wc, 0, sizeof(wc));
		wc.by_count = c->by_count;
		wc.n = c->n;
		wc.hop_n = c->hop_n;
		wc.len_ns = c->len_ns;
		wc.hop_ns = c->hop_ns;
		wc.align = c->align;
		wc.bursts = c->bursts;
		wc.tol_ns = c->tol_ns;
		wc.lateness_ns = spec->lateness_ns;
		wc.rate_hz = rate;
		wc.nominal_hz = rate > 0 ? 0 : c->rate_hz;
		if (rate == 0 && c->by_count)
			return err_set(err, TWIN_EDATA, "scalar sample of "
			    "'%s', but its window is a sample count", channel);
		s = xcalloc(1, sizeof(*s));
		if ((s->win = win_new(&wc, err)) == NULL) {
			free(s);
			return -1;
		}
		s->asset = xstrdup(asset);
		s->channel = xstrdup(channel);
		s->class = xstrdup(class);
		s->site = rec_str(r, "site") ? xstrdup(rec_str(r, "site")) :
		    NULL;
		s->unit = unit ? xstrdup(unit) : NULL;
		s->cls = cls;
		s->spec = c;
		s->sp = featspec_speed(spec, cls, asset);
		s->rate_hz = rate;
		s->smax = ts;
		s->winlen_ns = c->by_count && rate > 0 ?
		    (int64_t)ceil((double)c->n * 1e9 / rate) : c->len_ns;
		/* Only waveform windows use the speed. */
		if (s->sp != NULL && s->sp->channel != NULL && rate > 0) {
			struct speedsrc *ss = speedsrc_get(tenant,
			    s->sp->asset ? s->sp->asset : asset,
			    s->sp->channel);

			ss->users = xrealloc(ss->users, (ss->nusers + 1) *
			    sizeof(*ss->users));
			ss->users[ss->nusers++] = s;
			s->spsrc = ss;
		}
		stream_add(s);
	} else {
		if (strcmp(s->class, class) != 0)
			return err_set(err, TWIN_EDATA, "class '%s' of '%s' "
			    "'%s' is not its earlier '%s'", class, asset,
			    channel, s->class);
		if ((unit == NULL) != (s->unit == NULL) ||
		    (unit != NULL && strcmp(unit, s->unit) != 0))
			return err_set(err, TWIN_EDATA, "unit '%s' of '%s' "
			    "'%s' is not its earlier '%s'", unit ? unit : "",
			    asset, channel, s->unit ? s->unit : "");
		if ((rate > 0) != (s->rate_hz > 0))
			return err_set(err, TWIN_EDATA, "%s in the %s "
			    "channel '%s' of '%s'", rate > 0 ? "block" :
			    "single value", rate > 0 ? "scalar" : "waveform",
			    channel, asset);
		if (rate != s->rate_hz)
			return err_set(err, TWIN_EDATA, "rate %g Hz of '%s' "
			    "'%s' is not its earlier %g Hz", rate, asset,
			    channel, s->rate_hz);
	}
	if ((src = rec_str(r, "src")) != NULL)
		note_src(s, src);
	if ((prov = json_object_get(r, "prov")) != NULL &&
	    rec_str(prov, "tagmap_sha256") != NULL)
		snprintf(s->tagmap, sizeof(s->tagmap), "%s",
		    rec_str(prov, "tagmap_sha256"));
	if ((fl = json_object_get(r, "flags")) != NULL && json_is_array(fl)) {
		json_t *e;

		json_array_foreach(fl, i, e)
			if (json_is_string(e) &&
			    strcmp(json_string_value(e), "out_of_range") == 0)
				s->flagged += n;
	}
	if (ts > s->smax)
		s->smax = ts;
	rc = win_push(s->win, ts, vals, n, emit, s, err);
	return rc < 0 ? -1 : 0;
}

/*
 * Parse a line, reading a large "v" array or f32le string with the fast
 * scanner (f32.h).  Returns the record and sets *fast to the number of
 * values read that way (-1 when jansson is to read them); *str tells that
 * they came from a string.
 */
static json_t *
parse_line(char *line, size_t len, long *fast, int *str, struct buf *tmp,
    struct twin_err *err)
{
	size_t lb, rb;
	json_t *r;
	long n = -1;

	*fast = -1;
	*str = 0;
	if (len > 256 && f32_find_member(line, len, "v", &lb, &rb) &&
	    rb - lb > 2)
		n = f32_parse_array(line + lb, rb - lb + 1, &vals, &valcap);
	else if (len > 256 && f32_find_string(line, len, "v", &lb, &rb) &&
	    rb - lb > 2) {
		n = f32_decode_b64le(line + lb + 1, rb - lb - 1, &vals,
		    &valcap);
		*str = 1;
	}
	if (n > 0) {
		buf_reset(tmp);
		buf_add(tmp, line, lb);
		buf_add(tmp, *str ? "\"\"" : "[]", 2);
		buf_add(tmp, line + rb + 1, len - rb - 1);
		if ((r = ndj_parse(tmp->s, tmp->len, NULL)) != NULL) {
			*fast = n;
			return r;
		}
	}
	*str = 0;
	return ndj_parse(line, len, err);
}

static int
run(struct ndj_reader *rd)
{
	struct twin_err err;
	struct buf tmp = BUF_INIT;
	enum rec_kind kind;
	char *line;
	size_t len;
	int64_t ts;
	json_t *r;
	long fast;
	int rc, str;

	for (;;) {
		err_clear(&err);
		rc = ndj_next(rd, &line, &len, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (err.code != TWIN_EDATA) {
				diag_warn("%s: %s", ndj_name(rd), err.msg);
				buf_free(&tmp);
				return EXIT_IO;
			}
			diag_reject(ndj_name(rd), ndj_lineno(rd), NULL, 0, "%s",
			    err.msg);
			continue;
		}
		tot.records++;
		if ((r = parse_line(line, len, &fast, &str, &tmp, &err)) == NULL ||
		    rec_check(r, tenant, &kind, &ts, &err) < 0) {
			json_decref(r);
			diag_reject(ndj_name(rd), ndj_lineno(rd), line, len,
			    "%s", err.msg);
			continue;
		}
		if (kind != REC_SAMPLE) {
			json_decref(r);
			tot.passed++;
			rc = out_line(out, line, len, &err);
		} else {
			rc = sample(r, ts, fast, str, &err);
			json_decref(r);
			if (rc < 0 && err.code == TWIN_EDATA) {
				diag_reject(ndj_name(rd), ndj_lineno(rd), line,
				    len, "%s", err.msg);
				rc = 0;
			}
		}
		if (rc < 0) {
			buf_free(&tmp);
			if (err.code == TWIN_EPIPE)
				return -1;
			diag_warn("%s", err.msg);
			return err_exit_status(err.code);
		}
	}
	buf_free(&tmp);
	return 0;
}

static int
finish(struct twin_err *err)
{
	struct win_totals wt;
	uint64_t dropped = 0, gaps = 0, late = 0;
	size_t i;
	struct stream *s;

	for (i = 0; i < tabsz; i++)
		for (s = tab[i]; s != NULL; s = s->next) {
			if (win_finish(s->win, emit, s, err) < 0)
				return -1;
			win_totals(s->win, &wt);
			dropped += wt.dropped;
			gaps += wt.gaps;
			late += wt.late;
		}
	if (release_held(1, err) < 0)
		return -1;
	diag_info("%llu records, %llu samples, %llu windows from %zu "
	    "streams, %llu passed through, %llu without a spec",
	    (unsigned long long)tot.records, (unsigned long long)tot.samples,
	    (unsigned long long)tot.windows, nstreams,
	    (unsigned long long)tot.passed, (unsigned long long)tot.skipped);
	diag_info("data quality: expected %llu, received %llu, gaps %llu, "
	    "nan %llu, out of range %llu, flatline windows %llu, spikes %llu, "
	    "late %llu, samples in no window %llu",
	    (unsigned long long)tot.expected, (unsigned long long)tot.received,
	    (unsigned long long)gaps, (unsigned long long)tot.nan,
	    (unsigned long long)tot.oor, (unsigned long long)tot.flat,
	    (unsigned long long)tot.spikes, (unsigned long long)late,
	    (unsigned long long)dropped);
	if (nsrcs > 0)
		diag_info("speed: %llu samples from %zu channels, %llu late, "
		    "%llu dropped; windows on the nominal speed %llu, without "
		    "a speed %llu", (unsigned long long)tot.speed_samples,
		    nsrcs, (unsigned long long)tot.speed_late,
		    (unsigned long long)tot.speed_dropped,
		    (unsigned long long)tot.speed_nominal,
		    (unsigned long long)tot.speed_missing);
	return 0;
}

static void
cleanup(void)
{
	struct stream *s, *next;
	struct speedsrc *p, *pn;
	struct held *h;
	size_t i, j;

	for (i = 0; i < tabsz; i++)
		for (s = tab[i]; s != NULL; s = next) {
			next = s->next;
			win_free(s->win);
			for (j = 0; j < s->nsrc; j++)
				free(s->src[j]);
			free(s->asset);
			free(s->channel);
			free(s->site);
			free(s->class);
			free(s->unit);
			free(s);
		}
	free(tab);
	while ((h = held) != NULL) {
		held = h->next;
		held_free(h);
	}
	for (i = 0; i < srctabsz; i++)
		for (p = srctab[i]; p != NULL; p = pn) {
			pn = p->next;
			free(p->tenant);
			free(p->asset);
			free(p->channel);
			free(p->pt);
			free(p->users);
			free(p);
		}
	free(srctab);
	free(vals);
	feat_ws_free(ws);
	featspec_free(spec);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "live", no_argument, NULL, 'l' },
		{ "max-line", required_argument, NULL, 'M' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "reject", required_argument, NULL, 'R' },
		{ "spec", required_argument, NULL, 's' },
		{ "tenant", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *specpath = NULL, *rejpath = NULL;
	size_t max_line = NDJ_MAX_LINE_DEFAULT;
	struct twin_err err;
	struct ndj_reader *rd;
	int ch, live = 0, status = EXIT_OK, rc, i;
	char *end;

	diag_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "hlqR:s:T:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'l':
			live = 1;
			break;
		case 'M': {
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1024 ||
			    v > (1ULL << 30) || optarg[0] == '-') {
				diag_warn("--max-line '%s' is out of range "
				    "(1024-1073741824)", optarg);
				return EXIT_USAGE;
			}
			max_line = (size_t)v;
			break;
		}
		case 'q':
			diag_set_quiet(1);
			break;
		case 'R':
			rejpath = optarg;
			break;
		case 's':
			specpath = optarg;
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
	if (specpath == NULL) {
		diag_warn("no spec file: use -s");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (tenant != NULL && !rec_tenant_valid(tenant)) {
		diag_warn("tenant '%s' is not a valid name", tenant);
		return EXIT_USAGE;
	}

	err_clear(&err);
	if ((spec = featspec_load(specpath, &err)) == NULL) {
		diag_warn("%s", err.msg);
		return EXIT_CONFIG;
	}
	if (tenant == NULL)
		tenant = spec->tenant;
	if (tenant == NULL) {
		diag_warn("no tenant: use -T or name one in the spec");
		featspec_free(spec);
		return EXIT_USAGE;
	}
	if (diag_reject_open(rejpath, &err) < 0) {
		diag_warn("%s", err.msg);
		featspec_free(spec);
		return EXIT_IO;
	}
	if (!live && argc == 0 && isatty(0))
		live = 1;
	out = out_open(1, live);
	ws = feat_ws_new();

	rc = 0;
	if (argc == 0) {
		rd = ndj_open_fd(0, "<stdin>", max_line);
		rc = run(rd);
		ndj_close(rd);
	}
	for (i = 0; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "-") == 0)
			rd = ndj_open_fd(0, "<stdin>", max_line);
		else if ((rd = ndj_open_path(argv[i], max_line, &err)) ==
		    NULL) {
			diag_warn("%s", err.msg);
			rc = EXIT_IO;
			break;
		}
		rc = run(rd);
		ndj_close(rd);
	}
	if (rc == 0) {
		err_clear(&err);
		if (finish(&err) < 0)
			rc = err.code == TWIN_EPIPE ? -1 :
			    (diag_warn("%s", err.msg),
			    err_exit_status(err.code));
	}
	if (rc > 0)
		status = rc;
	err_clear(&err);
	if (out_close(out, &err) < 0 && err.code != TWIN_EPIPE) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
	}
	err_clear(&err);
	if (diag_reject_close(&err) < 0) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
	}
	if (status == EXIT_OK && diag_errors() > 0)
		status = EXIT_DATA;
	cleanup();
	return status;
}
