/* episode.c - fault episodes on event time; see episode.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "episode.h"
#include "fsio.h"
#include "ndj.h"
#include "outbox.h"
#include "tm.h"
#include "banned.h"

#define STATE_VERSION 1

static const char *const sevnames[] = { "normal", "watch", "warning", "alarm" };
static const char *const evnames[] = { "none", "open", "update", "escalate",
	"close" };

int
ep_sev_parse(const char *s, enum ep_sev *sev)
{
	size_t i;

	for (i = 0; i < sizeof(sevnames) / sizeof(sevnames[0]); i++)
		if (strcmp(s, sevnames[i]) == 0) {
			*sev = (enum ep_sev)i;
			return 0;
		}
	return -1;
}

const char *
ep_sev_name(enum ep_sev sev)
{
	return (unsigned)sev <= SEV_ALARM ? sevnames[sev] : "normal";
}

const char *
ep_event_name(enum ep_event ev)
{
	return (unsigned)ev <= EV_CLOSE ? evnames[ev] : "none";
}

void
ep_key(const char *tenant, const char *asset, const char *mode,
    int64_t start, char hex[65])
{
	struct buf b = BUF_INIT;
	char ts[TM_BUFSZ];

	tm_format(start, ts);
	buf_add(&b, tenant, strlen(tenant) + 1);
	buf_add(&b, asset, strlen(asset) + 1);
	buf_add(&b, mode, strlen(mode) + 1);
	buf_add(&b, ts, strlen(ts) + 1);
	digest_sha256_hex(b.s, b.len, hex);
	buf_free(&b);
}

struct ep_table *
ep_table_new(const char *tenant)
{
	struct ep_table *t = xcalloc(1, sizeof(*t));

	t->tenant = xstrdup(tenant);
	t->last = json_object();
	return t;
}

static void
ep_free(struct episode *e)
{
	free(e->asset);
	free(e->mode);
	free(e);
}

void
ep_table_free(struct ep_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		ep_free(t->v[i]);
	free(t->v);
	json_decref(t->last);
	free(t->tenant);
	free(t);
}

int
ep_seen(struct ep_table *t, const char *asset, int64_t ts)
{
	json_t *v = json_object_get(t->last, asset);

	if (v != NULL && ts <= json_integer_value(v))
		return 0;
	json_object_set_new(t->last, asset, json_integer(ts));
	return 1;
}

static int
cmp_am(const char *a1, const char *m1, const char *a2, const char *m2)
{
	int c = strcmp(a1, a2);

	return c != 0 ? c : strcmp(m1, m2);
}

/* Index of (asset, mode), or -(insertion point) - 1. */
static long
find(const struct ep_table *t, const char *asset, const char *mode)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_am(t->v[mid]->asset, t->v[mid]->mode, asset, mode);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static struct episode *
ep_new(const char *asset, const char *mode)
{
	struct episode *e = xcalloc(1, sizeof(*e));

	e->asset = xstrdup(asset);
	e->mode = xstrdup(mode);
	e->status = EP_IDLE;
	e->pending_since = -1;
	e->rearm_until = INT64_MIN;
	e->below_since = -1;
	e->lower_since = -1;
	return e;
}

static void
insert(struct ep_table *t, size_t at, struct episode *e)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
	t->v[at] = e;
	t->n++;
}

struct episode *
ep_get(struct ep_table *t, const char *asset, const char *mode, int create)
{
	long i = find(t, asset, mode);
	struct episode *e;

	if (i >= 0)
		return t->v[i];
	if (!create)
		return NULL;
	e = ep_new(asset, mode);
	insert(t, (size_t)(-i - 1), e);
	return e;
}

static enum ep_event
feed_idle(const struct ep_policy *p, const char *tenant, struct episode *e,
    int64_t ts, double level, double score, enum ep_sev sev)
{
	if (e->rearm_until != INT64_MIN && ts < e->rearm_until) {
		e->pending_since = -1;
		return EV_NONE;
	}
	e->rearm_until = INT64_MIN;
	if (level >= p->enter) {
		if (e->pending_since < 0) {
			e->pending_since = ts;
			e->pending_sev = sev;
		} else if (sev > e->pending_sev)
			e->pending_sev = sev;
	} else if (level < p->exit) {
		e->pending_since = -1;
		return EV_NONE;
	} else if (e->pending_since < 0)
		return EV_NONE;
	if (ts - e->pending_since < p->persist)
		return EV_NONE;
	e->status = EP_OPEN;
	e->start = e->pending_since;
	e->opened = ts;
	e->last_event = ts;
	e->sev = e->pending_sev > sev ? e->pending_sev : sev;
	if (e->sev < SEV_WATCH)
		e->sev = SEV_WATCH;
	e->below_since = -1;
	e->lower_since = -1;
	e->peak = score;
	e->nscores = 1;
	e->nevents = 1;
	e->pending_since = -1;
	ep_key(tenant, e->asset, e->mode, e->start, e->key);
	return EV_OPEN;
}

static enum ep_event
feed_open(const struct ep_policy *p, struct episode *e, int64_t ts,
    double level, double score, enum ep_sev sev)
{
	e->nscores++;
	if (score > e->peak)
		e->peak = score;
	if (level < p->exit) {
		if (e->below_since < 0)
			e->below_since = ts;
		if (ts - e->below_since < p->clear)
			return EV_NONE;
		e->status = EP_IDLE;
		e->rearm_until = ts + p->rearm;
		e->pending_since = -1;
		e->last_event = ts;
		e->nevents++;
		return EV_CLOSE;
	}
	e->below_since = -1;
	if (sev > e->sev) {
		e->sev = sev;
		e->lower_since = -1;
		e->last_event = ts;
		e->nevents++;
		return EV_ESCALATE;
	}
	if (sev < e->sev) {
		if (e->lower_since < 0) {
			e->lower_since = ts;
			e->lower_sev = sev;
		} else if (sev > e->lower_sev)
			e->lower_sev = sev;
		if (ts - e->lower_since >= p->deescalate) {
			enum ep_sev to = e->lower_sev < SEV_WATCH ? SEV_WATCH :
			    e->lower_sev;

			e->lower_since = -1;
			/* An open episode is at least 'watch'. */
			if (to != e->sev) {
				e->sev = to;
				e->last_event = ts;
				e->nevents++;
				return EV_UPDATE;
			}
		}
	} else
		e->lower_since = -1;
	if (p->update_every > 0 && ts - e->last_event >= p->update_every) {
		e->last_event = ts;
		e->nevents++;
		return EV_UPDATE;
	}
	return EV_NONE;
}

enum ep_event
ep_feed(const struct ep_policy *p, const char *tenant, struct episode *e,
    int64_t ts, double level, double score, enum ep_sev sev)
{
	if (e->status == EP_OPEN)
		return feed_open(p, e, ts, level, score, sev);
	return feed_idle(p, tenant, e, ts, level, score, sev);
}

void
ep_gc(struct ep_table *t, int64_t now)
{
	size_t i, j = 0;

	for (i = 0; i < t->n; i++) {
		struct episode *e = t->v[i];

		if (e->status == EP_IDLE && e->pending_since < 0 &&
		    (e->rearm_until == INT64_MIN || e->rearm_until <= now))
			ep_free(e);
		else
			t->v[j++] = e;
	}
	t->n = j;
}

/* State file: times are RFC 3339 strings, absent ones null. */
static json_t *
jtime(int64_t ns)
{
	char s[TM_BUFSZ];

	if (ns < 0 || ns == INT64_MIN)
		return json_null();
	tm_format(ns, s);
	return json_string(s);
}

static json_t *
jdur(int64_t ns)
{
	return json_integer(ns);
}

int
ep_save(const struct ep_table *t, const char *path, struct twin_err *err)
{
	json_t *root, *arr, *o, *last;
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;
	size_t i;
	int rc;

	root = json_object();
	json_object_set_new(root, "version", json_integer(STATE_VERSION));
	json_object_set_new(root, "tenant", json_string(t->tenant));
	last = json_object();
	json_object_foreach(t->last, k, v)
		json_object_set_new(last, k, jtime(json_integer_value(v)));
	json_object_set_new(root, "last", last);
	arr = json_array();
	for (i = 0; i < t->n; i++) {
		const struct episode *e = t->v[i];

		o = json_object();
		json_object_set_new(o, "asset", json_string(e->asset));
		json_object_set_new(o, "mode", json_string(e->mode));
		json_object_set_new(o, "status", json_string(
		    e->status == EP_OPEN ? "open" : "idle"));
		json_object_set_new(o, "pending_since",
		    jtime(e->pending_since));
		json_object_set_new(o, "pending_sev",
		    json_string(ep_sev_name(e->pending_sev)));
		json_object_set_new(o, "rearm_until", jtime(e->rearm_until));
		if (e->status == EP_OPEN) {
			json_object_set_new(o, "key", json_string(e->key));
			json_object_set_new(o, "start", jtime(e->start));
			json_object_set_new(o, "opened", jtime(e->opened));
			json_object_set_new(o, "last_event",
			    jtime(e->last_event));
			json_object_set_new(o, "sev",
			    json_string(ep_sev_name(e->sev)));
			json_object_set_new(o, "below_since",
			    jtime(e->below_since));
			json_object_set_new(o, "lower_since",
			    jtime(e->lower_since));
			json_object_set_new(o, "lower_sev",
			    json_string(ep_sev_name(e->lower_sev)));
			json_object_set_new(o, "peak", json_real(e->peak));
			json_object_set_new(o, "nscores", jdur(e->nscores));
			json_object_set_new(o, "nevents", jdur(e->nevents));
		}
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "episodes", arr);
	buf_json(&b, root);
	buf_addc(&b, '\n');
	json_decref(root);
	rc = fsio_write_atomic(path, b.s, b.len, 0600, err);
	buf_free(&b);
	return rc;
}

static int
get_time(json_t *o, const char *key, int64_t none, int64_t *ns,
    struct twin_err *err)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		*ns = none;
		return 0;
	}
	if (!json_is_string(v))
		return err_set(err, TWIN_ECONFIG, "'%s' is not a time", key);
	return tm_from_json(v, ns, err);
}

static int
get_sev(json_t *o, const char *key, enum ep_sev *sev, struct twin_err *err)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (s == NULL || ep_sev_parse(s, sev) < 0)
		return err_set(err, TWIN_ECONFIG, "bad '%s'", key);
	return 0;
}

static int
load_episode(struct ep_table *t, json_t *o, struct twin_err *err)
{
	const char *asset = json_string_value(json_object_get(o, "asset"));
	const char *mode = json_string_value(json_object_get(o, "mode"));
	const char *st = json_string_value(json_object_get(o, "status"));
	const char *key;
	struct episode *e;

	if (asset == NULL || mode == NULL || st == NULL)
		return err_set(err, TWIN_ECONFIG,
		    "episode without asset, mode or status");
	if (ep_get(t, asset, mode, 0) != NULL)
		return err_set(err, TWIN_ECONFIG, "episode '%s' '%s' twice",
		    asset, mode);
	e = ep_get(t, asset, mode, 1);
	if (get_time(o, "pending_since", -1, &e->pending_since, err) < 0 ||
	    get_sev(o, "pending_sev", &e->pending_sev, err) < 0 ||
	    get_time(o, "rearm_until", INT64_MIN, &e->rearm_until, err) < 0)
		return -1;
	if (strcmp(st, "idle") == 0)
		return 0;
	if (strcmp(st, "open") != 0)
		return err_set(err, TWIN_ECONFIG, "bad status '%s'", st);
	e->status = EP_OPEN;
	key = json_string_value(json_object_get(o, "key"));
	if (key == NULL || strlen(key) != 64)
		return err_set(err, TWIN_ECONFIG, "open episode without key");
	memcpy(e->key, key, 65);
	if (get_time(o, "start", -1, &e->start, err) < 0 ||
	    get_time(o, "opened", -1, &e->opened, err) < 0 ||
	    get_time(o, "last_event", -1, &e->last_event, err) < 0 ||
	    get_sev(o, "sev", &e->sev, err) < 0 ||
	    get_time(o, "below_since", -1, &e->below_since, err) < 0 ||
	    get_time(o, "lower_since", -1, &e->lower_since, err) < 0 ||
	    get_sev(o, "lower_sev", &e->lower_sev, err) < 0)
		return -1;
	e->peak = json_number_value(json_object_get(o, "peak"));
	e->nscores = (long)json_integer_value(json_object_get(o, "nscores"));
	e->nevents = (long)json_integer_value(json_object_get(o, "nevents"));
	return 0;
}

struct ep_table *
ep_load(const char *path, const char *tenant, struct twin_err *err)
{
	struct ep_table *t;
	json_t *root, *v, *arr;
	const char *k, *tn;
	size_t i;

	if (access(path, F_OK) < 0 && errno == ENOENT)
		return ep_table_new(tenant);
	if ((root = ndj_load_file(path, err)) == NULL)
		return NULL;
	t = ep_table_new(tenant);
	if (json_integer_value(json_object_get(root, "version")) !=
	    STATE_VERSION) {
		err_set(err, TWIN_ECONFIG, "unknown state version");
		goto fail;
	}
	tn = json_string_value(json_object_get(root, "tenant"));
	if (tn == NULL || strcmp(tn, tenant) != 0) {
		err_set(err, TWIN_ECONFIG, "state of another tenant");
		goto fail;
	}
	json_object_foreach(json_object_get(root, "last"), k, v) {
		int64_t ns;

		if (tm_from_json(v, &ns, err) < 0)
			goto fail;
		json_object_set_new(t->last, k, json_integer(ns));
	}
	arr = json_object_get(root, "episodes");
	if (!json_is_array(arr)) {
		err_set(err, TWIN_ECONFIG, "no 'episodes' array");
		goto fail;
	}
	json_array_foreach(arr, i, v)
		if (load_episode(t, v, err) < 0)
			goto fail;
	json_decref(root);
	return t;
fail:
	if (err != NULL)
		err->code = TWIN_ECONFIG;
	err_prefix(err, "%s", path);
	json_decref(root);
	ep_table_free(t);
	return NULL;
}
