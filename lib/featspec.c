/*
 * featspec.c - parse and query the feature specification (featspec.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "digest.h"
#include "featspec.h"
#include "ndj.h"
#include "tm.h"
#include "banned.h"

#define WHERE 256

/* Build a place name for a message into a WHERE-byte buffer. */
static void at(char *dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
at(char *dst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, WHERE, fmt, ap);
	va_end(ap);
}

static int
bad(struct twin_err *err, const char *where, const char *what)
{
	return err_set(err, TWIN_ECONFIG, "%s: %s", where, what);
}

static int
keys_ok(json_t *o, const char *where, const char *const *allowed,
    struct twin_err *err)
{
	const char *k;
	json_t *v;
	size_t i;

	if (!json_is_object(o))
		return bad(err, where, "not an object");
	json_object_foreach(o, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			char q[80];

			snprintf(q, sizeof(q), "unknown key '%.60s'", k);
			for (i = 0; q[i]; i++)
				if ((unsigned char)q[i] < 0x20)
					q[i] = '?';
			return bad(err, where, q);
		}
	}
	(void)v;
	return 0;
}

static int
num(json_t *o, const char *key, const char *where, double lo, double hi,
    double *out, struct twin_err *err)
{
	json_t *v = json_object_get(o, key);
	char w[WHERE], m[128];
	double d;

	if (v == NULL)
		return 0;
	at(w, "%s.%s", where, key);
	if (!json_is_number(v))
		return bad(err, w, "not a number");
	d = json_number_value(v);
	if (!(d >= lo && d <= hi)) {
		snprintf(m, sizeof(m), "%.15g is out of range (%.15g-%.15g)",
		    d, lo, hi);
		return bad(err, w, m);
	}
	*out = d;
	return 1;
}

static int
dur(json_t *o, const char *key, const char *where, int64_t lo, int64_t hi,
    int64_t *out, struct twin_err *err)
{
	json_t *v = json_object_get(o, key);
	char w[WHERE], m[160];
	struct twin_err e;
	int64_t ns;

	if (v == NULL)
		return 0;
	at(w, "%s.%s", where, key);
	if (json_is_number(v)) {
		double d = json_number_value(v) * 1e9;

		if (!(d >= -9e18 && d <= 9e18))
			return bad(err, w, "duration out of range");
		ns = (int64_t)llround(d);
	} else if (json_is_string(v)) {
		if (tm_parse_duration(json_string_value(v), &ns, &e) < 0)
			return bad(err, w, e.msg);
	} else
		return bad(err, w, "not a duration");
	if (ns < lo || ns > hi) {
		snprintf(m, sizeof(m), "duration out of range (%gs-%gs)",
		    (double)lo / 1e9, (double)hi / 1e9);
		return bad(err, w, m);
	}
	*out = ns;
	return 1;
}

static int
str(json_t *o, const char *key, const char *where, size_t max, char **out,
    struct twin_err *err)
{
	json_t *v = json_object_get(o, key);
	char w[WHERE];

	if (v == NULL)
		return 0;
	at(w, "%s.%s", where, key);
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, w, "not a non-empty string");
	free(*out);
	*out = xstrdup(json_string_value(v));
	return 1;
}

static int
ident(const char *s, size_t max)
{
	size_t i;

	if (*s == '\0' || strlen(s) > max)
		return 0;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
parse_iso(json_t *o, const char *where, struct featspec_iso *iso,
    struct twin_err *err)
{
	static const char *const k[] = { "group", "foundation", "limits",
	    NULL };
	json_t *v;
	char w[WHERE];
	size_t i;
	double prev = 0;

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	iso->set = 1;
	if ((v = json_object_get(o, "group")) != NULL) {
		at(w, "%s.group", where);
		if (json_is_integer(v))
			snprintf(iso->group, sizeof(iso->group), "%lld",
			    (long long)json_integer_value(v));
		else if (json_is_string(v) && json_string_length(v) <
		    sizeof(iso->group))
			snprintf(iso->group, sizeof(iso->group), "%s",
			    json_string_value(v));
		else
			return bad(err, w, "not a group name");
	}
	if ((v = json_object_get(o, "foundation")) != NULL) {
		at(w, "%s.foundation", where);
		if (!json_is_string(v) || (strcmp(json_string_value(v),
		    "rigid") != 0 && strcmp(json_string_value(v),
		    "flexible") != 0))
			return bad(err, w, "not 'rigid' or 'flexible'");
		snprintf(iso->foundation, sizeof(iso->foundation), "%s",
		    json_string_value(v));
	}
	if ((v = json_object_get(o, "limits")) != NULL) {
		at(w, "%s.limits", where);
		if (!json_is_array(v) || json_array_size(v) != 3)
			return bad(err, w, "not an array of 3 numbers");
		for (i = 0; i < 3; i++) {
			json_t *e = json_array_get(v, i);
			double d;

			if (!json_is_number(e))
				return bad(err, w, "not an array of 3 numbers");
			d = json_number_value(e);
			if (!(d > prev && d < 1000))
				return bad(err, w,
				    "limits must increase, within 0-1000 mm/s");
			iso->lim[i] = prev = d;
		}
		iso->has_limits = 1;
	}
	return 0;
}

/* Control bytes of a name from the spec made '?' for a message. */
static void
unctrl(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = '?';
}

/*
 * A speed source.  own is set for a per-asset override, the only place
 * that may name another asset as the source.
 */
static int
parse_speed(json_t *o, const char *where, int own, struct featspec_speed *sp,
    struct twin_err *err)
{
	static const char *const k[] = { "channel", "asset", "ratio", "rpm",
	    "max_age", "refine", NULL };
	json_t *v;
	char w[WHERE], m[128];

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	if ((v = json_object_get(o, "refine")) != NULL) {
		if (!json_is_boolean(v))
			return bad(err, where, "'refine' is not true or false");
		sp->refine = json_is_true(v);
	}
	sp->max_age_ns = 10 * TM_NS_PER_S;
	sp->ratio = 1;
	if (str(o, "channel", where, 128, &sp->channel, err) < 0 ||
	    str(o, "asset", where, 128, &sp->asset, err) < 0 ||
	    num(o, "rpm", where, 1, 1e6, &sp->rpm, err) < 0 ||
	    dur(o, "max_age", where, 0, 86400 * TM_NS_PER_S, &sp->max_age_ns,
	    err) < 0)
		return -1;
	if ((v = json_object_get(o, "ratio")) != NULL) {
		at(w, "%s.ratio", where);
		if (!json_is_number(v))
			return bad(err, w, "not a number");
		sp->ratio = json_number_value(v);
		if (!(sp->ratio > 0 && sp->ratio <= 1000)) {
			snprintf(m, sizeof(m), "%.15g is out of range (above 0, "
			    "at most 1000)", sp->ratio);
			return bad(err, w, m);
		}
	}
	if (sp->channel == NULL && sp->rpm <= 0)
		return bad(err, where, "give 'channel', 'rpm' or both");
	if (sp->channel == NULL && (sp->asset != NULL ||
	    json_object_get(o, "ratio") != NULL))
		return bad(err, where, "'asset' and 'ratio' need a 'channel'");
	if (sp->asset != NULL && !own) {
		at(w, "%s.asset", where);
		return bad(err, w, "a class cannot take its speed from one "
		    "asset; say so per asset under 'assets'");
	}
	return 0;
}

static int
parse_window(json_t *o, const char *where, struct featspec_chan *c,
    struct twin_err *err)
{
	static const char *const k[] = { "n", "hop", "length", "align",
	    "bursts", "tolerance", NULL };
	json_t *v;
	double d;
	char w[WHERE];

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	if ((json_object_get(o, "n") == NULL) ==
	    (json_object_get(o, "length") == NULL))
		return bad(err, where, "give exactly one of 'n' or 'length'");
	if (json_object_get(o, "n") != NULL) {
		c->by_count = 1;
		at(w, "%s.n", where);
		if (!json_is_integer(json_object_get(o, "n")))
			return bad(err, w, "not an integer");
		if (num(o, "n", where, 16, FEATSPEC_MAX_N, &d, err) < 0)
			return -1;
		c->n = c->hop_n = (size_t)d;
		if ((v = json_object_get(o, "hop")) != NULL) {
			at(w, "%s.hop", where);
			if (!json_is_integer(v))
				return bad(err, w, "not an integer");
			if (num(o, "hop", where, 1, (double)c->n, &d, err) < 0)
				return -1;
			c->hop_n = (size_t)d;
		}
	} else {
		if (dur(o, "length", where, TM_NS_PER_MS,
		    30 * 86400 * TM_NS_PER_S, &c->len_ns, err) < 0)
			return -1;
		c->hop_ns = c->len_ns;
		if (dur(o, "hop", where, TM_NS_PER_MS, c->len_ns, &c->hop_ns,
		    err) < 0)
			return -1;
	}
	if ((v = json_object_get(o, "align")) != NULL) {
		at(w, "%s.align", where);
		if (!json_is_boolean(v))
			return bad(err, w, "not true or false");
		c->align = json_is_true(v);
	}
	if ((v = json_object_get(o, "bursts")) != NULL) {
		at(w, "%s.bursts", where);
		if (!json_is_boolean(v))
			return bad(err, w, "not true or false");
		c->bursts = json_is_true(v);
	}
	if (dur(o, "tolerance", where, 0, TM_NS_PER_S, &c->tol_ns, err) < 0)
		return -1;
	return 0;
}

static int
parse_chan(json_t *o, const char *where, struct featspec_chan *c,
    struct twin_err *err)
{
	static const char *const k[] = { "match", "window", "features",
	    "bearing", "bands", "envelope", "velocity", "range", "rate_hz",
	    "unit", "spike_k", "flatline", NULL };
	static const char *const ek[] = { "lo", "hi", "tol", "harmonics",
	    "floor_hz", NULL };
	static const char *const vk[] = { "lo", "hi", NULL };
	static const char *const bk[] = { "name", "lo", "hi", NULL };
	struct feat_opts *fo = &c->fo;
	char w[WHERE], w2[WHERE];
	json_t *v, *e;
	size_t i;
	double d;

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	c->tol_ns = TM_NS_PER_MS;
	c->spike_k = 10;
	fo->env_lo = 2000;
	fo->env_hi = 5000;
	fo->env_tol = 0.02;
	fo->env_harmonics = 3;
	fo->floor_hz = 10;
	fo->vel_lo = 10;
	fo->vel_hi = 1000;
	fo->vel_scale = 9806.65;
	fo->order_tol = 0.02;
	if (json_object_get(o, "match") == NULL)
		return bad(err, where, "missing 'match'");
	if (str(o, "match", where, 128, &c->match, err) < 0)
		return -1;
	at(w, "%s.window", where);
	if ((v = json_object_get(o, "window")) == NULL)
		return bad(err, where, "missing 'window'");
	if (parse_window(v, w, c, err) < 0)
		return -1;
	at(w, "%s.features", where);
	if ((v = json_object_get(o, "features")) == NULL)
		return bad(err, where, "missing 'features'");
	if (!json_is_array(v) || json_array_size(v) == 0)
		return bad(err, w, "not a non-empty array of names");
	json_array_foreach(v, i, e) {
		unsigned b;

		if (!json_is_string(e) ||
		    (b = feat_bits(json_string_value(e))) == 0) {
			char m[100];

			snprintf(m, sizeof(m), "unknown feature '%.40s'",
			    json_is_string(e) ? json_string_value(e) : "?");
			for (b = 0; m[b]; b++)
				if ((unsigned char)m[b] < 0x20)
					m[b] = '?';
			return bad(err, w, m);
		}
		fo->sel |= b;
	}
	if (str(o, "bearing", where, 64, &c->bearing, err) < 0 ||
	    str(o, "unit", where, 32, &c->unit, err) < 0 ||
	    num(o, "rate_hz", where, 1e-6, 1e7, &c->rate_hz, err) < 0 ||
	    num(o, "spike_k", where, 0, 1e6, &c->spike_k, err) < 0 ||
	    num(o, "flatline", where, 0, 1e300, &c->flat_eps, err) < 0)
		return -1;
	if ((v = json_object_get(o, "range")) != NULL) {
		at(w, "%s.range", where);
		if (!json_is_array(v) || json_array_size(v) != 2 ||
		    !json_is_number(json_array_get(v, 0)) ||
		    !json_is_number(json_array_get(v, 1)) ||
		    !(json_number_value(json_array_get(v, 0)) <
		    json_number_value(json_array_get(v, 1))))
			return bad(err, w, "not [low, high] with low < high");
		c->has_range = 1;
		c->range_lo = json_number_value(json_array_get(v, 0));
		c->range_hi = json_number_value(json_array_get(v, 1));
	}
	if ((v = json_object_get(o, "bands")) != NULL) {
		at(w, "%s.bands", where);
		if (!json_is_array(v) || json_array_size(v) > FEAT_MAX_BANDS)
			return bad(err, w, "not an array of at most 16 bands");
		json_array_foreach(v, i, e) {
			struct feat_band *b = &fo->bands[i];
			char *name = NULL;

			at(w2, "%s.bands[%zu]", where, i);
			if (keys_ok(e, w2, bk, err) < 0)
				return -1;
			if (str(e, "name", w2, sizeof(b->name) - 1, &name,
			    err) <= 0 || !ident(name, sizeof(b->name) - 1)) {
				free(name);
				return bad(err, w2,
				    "'name' must be [a-z0-9_], 1-39 bytes");
			}
			snprintf(b->name, sizeof(b->name), "%s", name);
			free(name);
			b->lo = b->hi = -1;
			if (num(e, "lo", w2, 0, 1e7, &b->lo, err) < 0 ||
			    num(e, "hi", w2, 0, 1e7, &b->hi, err) < 0)
				return -1;
			if (!(b->lo >= 0 && b->lo < b->hi))
				return bad(err, w2, "needs 'lo' < 'hi' in Hz");
		}
		fo->nbands = json_array_size(v);
	}
	if ((v = json_object_get(o, "envelope")) != NULL) {
		at(w, "%s.envelope", where);
		if (keys_ok(v, w, ek, err) < 0 ||
		    num(v, "lo", w, 0, 1e7, &fo->env_lo, err) < 0 ||
		    num(v, "hi", w, 0, 1e7, &fo->env_hi, err) < 0 ||
		    num(v, "tol", w, 0, 0.5, &fo->env_tol, err) < 0 ||
		    num(v, "floor_hz", w, 0, 1e6, &fo->floor_hz, err) < 0)
			return -1;
		d = 3;
		if (num(v, "harmonics", w, 1, 10, &d, err) < 0)
			return -1;
		fo->env_harmonics = (int)d;
		if (!(fo->env_lo < fo->env_hi))
			return bad(err, w, "needs 'lo' < 'hi'");
	}
	if ((v = json_object_get(o, "velocity")) != NULL) {
		at(w, "%s.velocity", where);
		if (keys_ok(v, w, vk, err) < 0 ||
		    num(v, "lo", w, 0, 1e7, &fo->vel_lo, err) < 0 ||
		    num(v, "hi", w, 0, 1e7, &fo->vel_hi, err) < 0)
			return -1;
		if (!(fo->vel_lo < fo->vel_hi))
			return bad(err, w, "needs 'lo' < 'hi'");
	}
	if (!c->by_count && c->rate_hz > 0 &&
	    (double)c->len_ns * c->rate_hz / 1e9 > FEATSPEC_MAX_N)
		return bad(err, where, "window holds more than 16777216 samples");
	return 0;
}

static int
parse_class(json_t *o, const char *where, struct featspec_class *c,
    struct twin_err *err)
{
	static const char *const k[] = { "speed", "bearings", "iso",
	    "channels", NULL };
	static const char *const bk[] = { "balls", "ball_d", "pitch_d",
	    "contact_deg", NULL };
	char w[WHERE], w2[WHERE];
	const char *name;
	json_t *v, *e;
	size_t i;

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	if ((v = json_object_get(o, "speed")) != NULL) {
		at(w, "%s.speed", where);
		if (parse_speed(v, w, 0, &c->speed, err) < 0)
			return -1;
	}
	if ((v = json_object_get(o, "iso")) != NULL) {
		at(w, "%s.iso", where);
		if (parse_iso(v, w, &c->iso, err) < 0)
			return -1;
	}
	if ((v = json_object_get(o, "bearings")) != NULL) {
		at(w, "%s.bearings", where);
		if (!json_is_object(v))
			return bad(err, w, "not an object");
		c->bearings = xcalloc(json_object_size(v) + 1,
		    sizeof(*c->bearings));
		json_object_foreach(v, name, e) {
			struct featspec_bearing *b = &c->bearings[c->nbearings];

			at(w2, "%s.%.64s", w, name);
			if (!ident(name, 64))
				return bad(err, w2,
				    "bearing name must be [a-z0-9_]");
			b->name = xstrdup(name);
			c->nbearings++;
			if (keys_ok(e, w2, bk, err) < 0)
				return -1;
			if (json_object_get(e, "balls") == NULL ||
			    json_object_get(e, "ball_d") == NULL ||
			    json_object_get(e, "pitch_d") == NULL)
				return bad(err, w2, "needs 'balls', 'ball_d' "
				    "and 'pitch_d'");
			if (num(e, "balls", w2, 3, 200, &b->b.balls, err) < 0 ||
			    num(e, "ball_d", w2, 1e-6, 1e4, &b->b.ball_d,
			    err) < 0 ||
			    num(e, "pitch_d", w2, 1e-6, 1e5, &b->b.pitch_d,
			    err) < 0 ||
			    num(e, "contact_deg", w2, 0, 60, &b->b.contact_deg,
			    err) < 0)
				return -1;
			if (b->b.balls != floor(b->b.balls))
				return bad(err, w2, "'balls' not an integer");
			if (!(b->b.ball_d < b->b.pitch_d))
				return bad(err, w2,
				    "'ball_d' must be less than 'pitch_d'");
		}
	}
	at(w, "%s.channels", where);
	if ((v = json_object_get(o, "channels")) == NULL)
		return bad(err, where, "missing 'channels'");
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > 256)
		return bad(err, w, "not an array of 1-256 entries");
	c->chans = xcalloc(json_array_size(v), sizeof(*c->chans));
	json_array_foreach(v, i, e) {
		at(w2, "%s[%zu]", w, i);
		c->nchans++;
		if (parse_chan(e, w2, &c->chans[i], err) < 0)
			return -1;
		if (c->chans[i].bearing != NULL &&
		    featspec_bearing(c, c->chans[i].bearing) == NULL)
			return bad(err, w2, "'bearing' names no bearing of "
			    "the class");
	}
	return 0;
}

/* The ISO table: {"groups": {"2": {"rigid": [..], "flexible": [..]}}}. */
static int
parse_isotable(struct featspec *s, json_t *o, const char *where,
    struct twin_err *err)
{
	static const char *const k[] = { "standard", "version", "source",
	    "note", "quantity", "unit", "groups", NULL };
	const char *g, *f;
	json_t *gv, *fv;
	char w[WHERE];
	struct featspec_iso tmp;

	if (keys_ok(o, where, k, err) < 0)
		return -1;
	if ((gv = json_object_get(o, "groups")) == NULL ||
	    !json_is_object(gv))
		return bad(err, where, "missing 'groups' object");
	json_object_foreach(gv, g, fv) {
		at(w, "%s.groups.%.32s", where, g);
		if (!json_is_object(fv) || strlen(g) >= 16)
			return bad(err, w, "not an object of foundations");
		json_object_foreach(fv, f, o) {
			json_t *lim = json_object(), *tmpo = json_object();
			int rc;

			at(w, "%s.groups.%.32s.%.32s", where,
			    g, f);
			if (strcmp(f, "rigid") != 0 &&
			    strcmp(f, "flexible") != 0) {
				json_decref(lim);
				json_decref(tmpo);
				return bad(err, w, "not 'rigid' or 'flexible'");
			}
			json_object_set(tmpo, "limits", o);
			memset(&tmp, 0, sizeof(tmp));
			rc = parse_iso(tmpo, w, &tmp, err);
			json_decref(tmpo);
			json_decref(lim);
			if (rc < 0)
				return -1;
			if (!tmp.has_limits)
				return bad(err, w, "missing limits");
			s->iso = xrealloc(s->iso, (s->niso + 1) *
			    sizeof(*s->iso));
			snprintf(s->iso[s->niso].group,
			    sizeof(s->iso[s->niso].group), "%s", g);
			snprintf(s->iso[s->niso].foundation,
			    sizeof(s->iso[s->niso].foundation), "%s", f);
			memcpy(s->iso[s->niso].lim, tmp.lim, sizeof(tmp.lim));
			s->niso++;
		}
	}
	return 0;
}

/* Read the ISO table file named by the spec, relative to its folder. */
static int
load_isotable(struct featspec *s, const char *path, const char *basedir,
    struct twin_err *err)
{
	struct buf b = BUF_INIT;
	char hex[DIGEST_HEX];
	json_t *t;
	int rc;

	if (path[0] != '/') {
		buf_adds(&b, basedir);
		buf_addc(&b, '/');
	}
	buf_adds(&b, path);
	if ((t = ndj_load_file(buf_str(&b), err)) == NULL) {
		if (err != NULL)
			err->code = TWIN_ECONFIG;
		buf_free(&b);
		return -1;
	}
	rc = digest_file_sha256_hex(buf_str(&b), hex, err);
	if (rc == 0) {
		s->iso_sha256 = xstrdup(hex);
		rc = parse_isotable(s, t, path, err);
	}
	json_decref(t);
	buf_free(&b);
	return rc;
}

/*
 * A source asset must have an entry under "assets" (even {}), so that a
 * misspelt name is an error here rather than a speed that never comes.
 */
static int
check_sources(struct featspec *s, struct twin_err *err)
{
	const struct featspec_speed *sp;
	char w[WHERE], m[200];
	size_t i, j;

	for (i = 0; i < s->nclasses; i++)
		if (s->classes[i].speed.channel != NULL &&
		    s->classes[i].speed.max_age_ns > s->max_age_ns)
			s->max_age_ns = s->classes[i].speed.max_age_ns;
	for (i = 0; i < s->nassets; i++) {
		sp = &s->assets[i].speed;
		if (!s->assets[i].has_speed || sp->channel == NULL)
			continue;
		if (sp->max_age_ns > s->max_age_ns)
			s->max_age_ns = sp->max_age_ns;
		if (sp->asset == NULL)
			continue;
		for (j = 0; j < s->nassets; j++)
			if (strcmp(s->assets[j].name, sp->asset) == 0)
				break;
		if (j == s->nassets) {
			at(w, "assets.%.64s.speed.asset", s->assets[i].name);
			snprintf(m, sizeof(m), "unknown asset '%.64s' (a speed "
			    "source needs an entry under 'assets', {} will do)",
			    sp->asset);
			unctrl(m);
			return bad(err, w, m);
		}
	}
	return 0;
}

static int
parse_root(struct featspec *s, json_t *root, const char *basedir,
    struct twin_err *err)
{
	static const char *const k[] = { "version", "tenant", "lateness",
	    "iso20816", "classes", "assets", "note", NULL };
	static const char *const ak[] = { "speed", "iso", NULL };
	const char *name;
	json_t *v, *e;
	char w[WHERE];
	double d = 0;

	if (keys_ok(root, "spec", k, err) < 0)
		return -1;
	if (json_object_get(root, "version") == NULL)
		return bad(err, "spec", "missing 'version' (1)");
	if (num(root, "version", "spec", 1, 1, &d, err) < 0)
		return -1;
	if (str(root, "tenant", "spec", 64, &s->tenant, err) < 0 ||
	    dur(root, "lateness", "spec", 0, 86400 * TM_NS_PER_S,
	    &s->lateness_ns, err) < 0)
		return -1;
	if ((v = json_object_get(root, "iso20816")) != NULL) {
		if (json_is_object(v)) {
			if (parse_isotable(s, v, "spec.iso20816", err) < 0)
				return -1;
		} else if (!json_is_string(v))
			return bad(err, "spec.iso20816", "not a file name "
			    "or an object");
		else if (basedir == NULL)
			return bad(err, "spec.iso20816",
			    "files cannot be read here");
		else if (load_isotable(s, json_string_value(v), basedir,
		    err) < 0)
			return -1;
	}
	if ((v = json_object_get(root, "classes")) == NULL ||
	    !json_is_object(v) || json_object_size(v) == 0)
		return bad(err, "spec", "missing 'classes' object");
	s->classes = xcalloc(json_object_size(v), sizeof(*s->classes));
	json_object_foreach(v, name, e) {
		at(w, "classes.%.64s", name);
		s->classes[s->nclasses].name = xstrdup(name);
		s->nclasses++;
		if (parse_class(e, w, &s->classes[s->nclasses - 1], err) < 0)
			return -1;
	}
	if ((v = json_object_get(root, "assets")) != NULL) {
		if (!json_is_object(v))
			return bad(err, "spec.assets", "not an object");
		s->assets = xcalloc(json_object_size(v) + 1,
		    sizeof(*s->assets));
		json_object_foreach(v, name, e) {
			struct featspec_asset *a = &s->assets[s->nassets++];
			json_t *x;

			at(w, "assets.%.64s", name);
			a->name = xstrdup(name);
			if (keys_ok(e, w, ak, err) < 0)
				return -1;
			if ((x = json_object_get(e, "speed")) != NULL) {
				char w2[WHERE];

				at(w2, "%s.speed", w);
				a->has_speed = 1;
				if (parse_speed(x, w2, 1, &a->speed, err) < 0)
					return -1;
			}
			if ((x = json_object_get(e, "iso")) != NULL) {
				char w2[WHERE];

				at(w2, "%s.iso", w);
				if (parse_iso(x, w2, &a->iso, err) < 0)
					return -1;
			}
		}
	}
	return check_sources(s, err);
}

struct featspec *
featspec_parse(const char *text, size_t n, const char *basedir,
    struct twin_err *err)
{
	struct featspec *s;
	json_error_t je;
	json_t *root;

	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		err_set(err, TWIN_ECONFIG, "line %d: %s", je.line, je.text);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	digest_sha256_hex(text, n, s->sha256);
	if (parse_root(s, root, basedir, err) < 0) {
		json_decref(root);
		featspec_free(s);
		return NULL;
	}
	json_decref(root);
	return s;
}

struct featspec *
featspec_load(const char *path, struct twin_err *err)
{
	struct buf b = BUF_INIT, dir = BUF_INIT;
	struct featspec *s;
	char tmp[65536];
	const char *slash;
	size_t n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		err_set(err, TWIN_ECONFIG, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0) {
		buf_add(&b, tmp, n);
		if (b.len > 16u * 1024 * 1024)
			break;
	}
	if (ferror(fp) || b.len > 16u * 1024 * 1024) {
		fclose(fp);
		buf_free(&b);
		err_set(err, TWIN_ECONFIG, "cannot read '%s'", path);
		return NULL;
	}
	fclose(fp);
	if ((slash = strrchr(path, '/')) != NULL)
		buf_add(&dir, path, (size_t)(slash - path));
	else
		buf_addc(&dir, '.');
	s = featspec_parse(b.s ? b.s : "", b.len, buf_str(&dir), err);
	if (s == NULL)
		err_prefix(err, "%s", path);
	buf_free(&dir);
	buf_free(&b);
	return s;
}

static void
speed_free(struct featspec_speed *sp)
{
	free(sp->asset);
	free(sp->channel);
}

void
featspec_free(struct featspec *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->nclasses; i++) {
		struct featspec_class *c = &s->classes[i];

		for (j = 0; j < c->nchans; j++) {
			free(c->chans[j].match);
			free(c->chans[j].bearing);
			free(c->chans[j].unit);
		}
		free(c->chans);
		for (j = 0; j < c->nbearings; j++)
			free(c->bearings[j].name);
		free(c->bearings);
		speed_free(&c->speed);
		free(c->name);
	}
	free(s->classes);
	for (i = 0; i < s->nassets; i++) {
		free(s->assets[i].name);
		speed_free(&s->assets[i].speed);
	}
	free(s->assets);
	free(s->iso);
	free(s->iso_sha256);
	free(s->tenant);
	free(s);
}

const struct featspec_class *
featspec_class(const struct featspec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nclasses; i++)
		if (strcmp(s->classes[i].name, name) == 0)
			return &s->classes[i];
	return NULL;
}

const struct featspec_chan *
featspec_chan(const struct featspec_class *c, const char *channel)
{
	size_t i;

	for (i = 0; i < c->nchans; i++)
		if (fnmatch(c->chans[i].match, channel, 0) == 0)
			return &c->chans[i];
	return NULL;
}

const struct featspec_bearing *
featspec_bearing(const struct featspec_class *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nbearings; i++)
		if (strcmp(c->bearings[i].name, name) == 0)
			return &c->bearings[i];
	return NULL;
}

static const struct featspec_asset *
asset(const struct featspec *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nassets; i++)
		if (strcmp(s->assets[i].name, name) == 0)
			return &s->assets[i];
	return NULL;
}

const struct featspec_speed *
featspec_speed(const struct featspec *s, const struct featspec_class *c,
    const char *name)
{
	const struct featspec_asset *a = asset(s, name);

	if (a != NULL && a->has_speed)
		return &a->speed;
	if (c->speed.channel != NULL || c->speed.rpm > 0)
		return &c->speed;
	return NULL;
}

int
featspec_speed_source(const struct featspec *s,
    const struct featspec_class *cls, const char *name, const char *channel)
{
	const struct featspec_speed *sp;
	size_t i;

	if (cls != NULL && (sp = featspec_speed(s, cls, name)) != NULL &&
	    sp->channel != NULL && sp->asset == NULL &&
	    strcmp(sp->channel, channel) == 0)
		return 1;
	for (i = 0; i < s->nassets; i++) {
		sp = &s->assets[i].speed;
		if (s->assets[i].has_speed && sp->asset != NULL &&
		    strcmp(sp->channel, channel) == 0 &&
		    strcmp(sp->asset, name) == 0)
			return 1;
	}
	return 0;
}

int
featspec_iso_limits(const struct featspec *s, const struct featspec_class *c,
    const char *name, double lim[3])
{
	const struct featspec_asset *a = asset(s, name);
	const char *g, *f;
	size_t i;

	if (a != NULL && a->iso.has_limits) {
		memcpy(lim, a->iso.lim, 3 * sizeof(double));
		return 0;
	}
	g = a != NULL && a->iso.group[0] ? a->iso.group : c->iso.group;
	f = a != NULL && a->iso.foundation[0] ? a->iso.foundation :
	    c->iso.foundation;
	if ((a == NULL || !a->iso.set) && c->iso.has_limits) {
		memcpy(lim, c->iso.lim, 3 * sizeof(double));
		return 0;
	}
	if (g[0] == '\0' || f[0] == '\0')
		return -1;
	for (i = 0; i < s->niso; i++)
		if (strcmp(s->iso[i].group, g) == 0 &&
		    strcmp(s->iso[i].foundation, f) == 0) {
			memcpy(lim, s->iso[i].lim, 3 * sizeof(double));
			return 0;
		}
	return -1;
}
