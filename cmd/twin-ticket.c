/*
 * twin-ticket - score records in, one idempotent work order per fault
 * episode out: as records on stdout, as CSV, and to a CMMS over HTTP
 * through a durable outbox.  Technicians' feedback becomes label records.
 * See twin-ticket(1) and twin-ticket(5).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
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
#include "fsio.h"
#include "digest.h"
#include "episode.h"
#include "err.h"
#include "http.h"
#include "ndj.h"
#include "out.h"
#include "outbox.h"
#include "rec.h"
#include "tm.h"
#include "tmpl.h"
#include "banned.h"

#define MAX_MODES 16

enum {
	OPT_AUTH_FILE = 256, OPT_CAFILE, OPT_CSV, OPT_FEEDBACK, OPT_FLUSH,
	OPT_MAX_WAIT, OPT_RETRIES, OPT_TIMEOUT, OPT_MAX_REPLY
};

static const struct option longopts[] = {
	{ "auth-file", required_argument, NULL, OPT_AUTH_FILE },
	{ "cafile", required_argument, NULL, OPT_CAFILE },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "dir", required_argument, NULL, 'd' },
	{ "feedback", no_argument, NULL, OPT_FEEDBACK },
	{ "flush", no_argument, NULL, OPT_FLUSH },
	{ "help", no_argument, NULL, 'h' },
	{ "live", no_argument, NULL, 'l' },
	{ "max-reply", required_argument, NULL, OPT_MAX_REPLY },
	{ "max-wait", required_argument, NULL, OPT_MAX_WAIT },
	{ "policy", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "reject", required_argument, NULL, 'R' },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "template", required_argument, NULL, 't' },
	{ "tenant", required_argument, NULL, 'T' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "url", required_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 }
};

/* Outcome of a delivery pass, worst last. */
enum dres { D_OK, D_LATER, D_UNAVAIL, D_REJECTED, D_ERROR };

struct policy {
	struct ep_policy ep;
	json_t *root;
	json_t *modes;		/* fallback failure-mode library */
	struct classlib cl;
	int have_cl;
	double mode_min_p;
	int by_sev;		/* thresholds are severities */
	int per_asset;		/* at most one open episode per asset */
	int prio[SEV_ALARM + 1];
	int64_t due[5];		/* by priority 1..4 */
	double due_rul_fraction;
	int evidence_top;
	char sha[DIGEST_HEX];
	const char *tenant;
};

struct ticket {
	const char *tenant;
	struct policy pol;
	int have_pol;
	struct ep_table *tab;
	char *statepath;
	char *tdir;		/* DIR/TENANT */
	int lockfd;
	struct outbox *ob;
	struct http *http;
	struct tmpl tm;
	int have_tm;
	char *secret;
	json_t *ids;		/* key -> CMMS id */
	char *idspath;
	int csv;
	int live;
	struct out *out;
	int retries;
	int64_t max_wait_ms;
	enum dres dres;		/* outcome of the last delivery pass */
	int rejected;		/* some message was refused by the CMMS */
	int down;		/* the last pass left messages for later */
	unsigned long nlate;
	unsigned long nunscored;
	unsigned long nscore;
	unsigned long norders;
	unsigned long ndelivered;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: twin-ticket [-hlq] [-d dir] [-p policy] [-R rejects] [-T tenant]\n"
"                   [--csv] [-u url -t template] [--auth-file file]\n"
"                   [--cafile file] [--max-reply bytes] [--max-wait dur]\n"
"                   [--retries n] [--timeout dur] [file ...]\n"
"       twin-ticket --flush -d dir -T tenant -u url -t template [...]\n"
"       twin-ticket --feedback [-q] [-R rejects] [-T tenant] [file ...]\n"
"       twin-ticket --feedback -T tenant -u url -t template [...]\n");
}

static int
dur_opt(const char *name, const char *s, int64_t *ns)
{
	struct twin_err err;

	if (tm_parse_duration(s, ns, &err) < 0) {
		diag_warn("%s: %s", name, err.msg);
		return -1;
	}
	return 0;
}

static int
num_opt(const char *name, const char *s, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || *v < lo || *v > hi) {
		diag_warn("%s: '%s' is not a number from %ld to %ld", name, s,
		    lo, hi);
		return -1;
	}
	return 0;
}

/* Policy file (twin-ticket(5)). */

static int
pol_dur(json_t *root, const char *key, int64_t def, int64_t *ns,
    struct twin_err *err)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL) {
		*ns = def;
		return 0;
	}
	if (!json_is_string(v) ||
	    tm_parse_duration(json_string_value(v), ns, err) < 0)
		return err_set(err, TWIN_ECONFIG,
		    "'%s' is not a duration such as \"2h\"", key);
	return 0;
}

static int
pol_num(json_t *root, const char *key, double def, double lo, double hi,
    double *x, struct twin_err *err)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL) {
		*x = def;
		return 0;
	}
	if (!json_is_number(v) || json_number_value(v) < lo ||
	    json_number_value(v) > hi)
		return err_set(err, TWIN_ECONFIG,
		    "'%s' is not a number from %g to %g", key, lo, hi);
	*x = json_number_value(v);
	return 0;
}

/*
 * Thresholds are scores (0 to 1) or, both of them, severity names; then
 * the level of a reading is its severity's rank.
 */
static int
pol_level(struct policy *p, json_t *r, struct twin_err *err)
{
	json_t *en = json_object_get(r, "enter");
	json_t *ex = json_object_get(r, "exit");
	enum ep_sev a, b;

	if (!json_is_string(en) && !json_is_string(ex)) {
		if (pol_num(r, "enter", 0.8, 0, 1, &p->ep.enter, err) < 0 ||
		    pol_num(r, "exit", 0.6, 0, 1, &p->ep.exit, err) < 0)
			return -1;
		return 0;
	}
	if (!json_is_string(en) || !json_is_string(ex) ||
	    ep_sev_parse(json_string_value(en), &a) < 0 ||
	    ep_sev_parse(json_string_value(ex), &b) < 0 || b < SEV_WATCH)
		return err_set(err, TWIN_ECONFIG, "'enter' and 'exit' must "
		    "be both scores or both severities, 'exit' at least "
		    "\"watch\"");
	p->by_sev = 1;
	p->ep.enter = a;
	p->ep.exit = b;
	return 0;
}

static int
policy_load(struct policy *p, const char *path, struct twin_err *err)
{
	static const char *const prionames[] = { "1", "2", "3", "4" };
	static const int64_t duedef[] = { 0, 86400 * TM_NS_PER_S,
		3 * 86400 * TM_NS_PER_S, 7 * 86400 * TM_NS_PER_S,
		30 * 86400 * TM_NS_PER_S };
	json_t *r, *v;
	const char *s;
	double x;
	int i;

	memset(p, 0, sizeof(*p));
	if (digest_file_sha256_hex(path, p->sha, err) < 0)
		return -1;
	if ((r = ndj_load_file(path, err)) == NULL)
		return -1;
	p->root = r;
	if (!json_is_object(r)) {
		err_set(err, TWIN_ECONFIG, "not a JSON object");
		goto fail;
	}
	if ((v = json_object_get(r, "tenant")) != NULL) {
		if ((p->tenant = json_string_value(v)) == NULL ||
		    !rec_tenant_valid(p->tenant)) {
			err_set(err, TWIN_ECONFIG, "bad 'tenant'");
			goto fail;
		}
	}
	if (pol_level(p, r, err) < 0 ||
	    pol_num(r, "mode_min_p", 0.3, 0, 1, &p->mode_min_p, err) < 0 ||
	    pol_num(r, "due_rul_fraction", 0.5, 0, 1, &p->due_rul_fraction,
	    err) < 0 ||
	    pol_num(r, "evidence_top", 5, 0, 50, &x, err) < 0 ||
	    pol_dur(r, "persist", 0, &p->ep.persist, err) < 0 ||
	    pol_dur(r, "clear", 0, &p->ep.clear, err) < 0 ||
	    pol_dur(r, "rearm", 0, &p->ep.rearm, err) < 0 ||
	    pol_dur(r, "deescalate", 0, &p->ep.deescalate, err) < 0 ||
	    pol_dur(r, "update_every", 0, &p->ep.update_every, err) < 0)
		goto fail;
	p->evidence_top = (int)x;
	if ((v = json_object_get(r, "per_asset")) != NULL) {
		if (!json_is_boolean(v)) {
			err_set(err, TWIN_ECONFIG, "'per_asset' is not true or "
			    "false");
			goto fail;
		}
		p->per_asset = json_is_true(v);
	}
	if (p->ep.exit > p->ep.enter) {
		err_set(err, TWIN_ECONFIG, "'exit' is above 'enter'");
		goto fail;
	}
	p->prio[SEV_NORMAL] = 4;
	p->prio[SEV_WATCH] = 3;
	p->prio[SEV_WARNING] = 2;
	p->prio[SEV_ALARM] = 1;
	if ((v = json_object_get(r, "priority")) != NULL) {
		for (i = SEV_NORMAL; i <= SEV_ALARM; i++) {
			json_t *n = json_object_get(v, ep_sev_name(i));

			if (n == NULL)
				continue;
			if (!json_is_integer(n) || json_integer_value(n) < 1 ||
			    json_integer_value(n) > 4) {
				err_set(err, TWIN_ECONFIG,
				    "'priority.%s' is not 1 to 4",
				    ep_sev_name(i));
				goto fail;
			}
			p->prio[i] = (int)json_integer_value(n);
		}
	}
	for (i = 1; i <= 4; i++) {
		json_t *d = json_object_get(json_object_get(r, "due"),
		    prionames[i - 1]);

		p->due[i] = duedef[i];
		if (d != NULL && (!json_is_string(d) || tm_parse_duration(
		    json_string_value(d), &p->due[i], err) < 0)) {
			err_set(err, TWIN_ECONFIG, "'due.%d' is not a duration",
			    i);
			goto fail;
		}
	}
	p->modes = json_object_get(r, "modes");
	if (p->modes != NULL && !json_is_object(p->modes)) {
		err_set(err, TWIN_ECONFIG, "'modes' is not an object");
		goto fail;
	}
	if ((s = json_string_value(json_object_get(r, "classes"))) != NULL) {
		struct buf cp = BUF_INIT;
		const char *slash = strrchr(path, '/');

		if (s[0] != '/' && slash != NULL)
			buf_addf(&cp, "%.*s/%s", (int)(slash - path), path, s);
		else
			buf_adds(&cp, s);
		if (access(cp.s, F_OK) == 0) {
			if (classlib_load(&p->cl, cp.s, err) < 0) {
				buf_free(&cp);
				goto fail;
			}
			p->have_cl = 1;
		}
		buf_free(&cp);
	}
	return 0;
fail:
	if (err != NULL)
		err->code = TWIN_ECONFIG;
	err_prefix(err, "%s", path);
	json_decref(r);
	p->root = NULL;
	return -1;
}

static void
policy_free(struct policy *p)
{
	if (p->have_cl)
		classlib_free(&p->cl);
	json_decref(p->root);
}

/* The failure-mode entry (action, parts, title) for a class and mode. */
static json_t *
mode_info(const struct policy *p, const char *cls, const char *mode)
{
	json_t *c, *m;
	size_t i;

	if (p->have_cl && cls != NULL &&
	    (c = classlib_get(&p->cl, cls)) != NULL) {
		json_array_foreach(json_object_get(c, "modes"), i, m) {
			const char *n = rec_str(m, "mode");

			if (n != NULL && strcmp(n, mode) == 0)
				return m;
		}
	}
	return json_object_get(p->modes, mode);
}

/* Work order records. */

static void
set_time(json_t *o, const char *key, int64_t ns)
{
	char s[TM_BUFSZ];

	tm_format(ns, s);
	json_object_set_new(o, key, json_string(s));
}

static void
copy_field(json_t *to, const json_t *from, const char *key)
{
	json_t *v = json_object_get(from, key);

	if (v != NULL)
		json_object_set_new(to, key, json_deep_copy(v));
}

static json_t *
mode_entry(const json_t *rec, const char *mode)
{
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(rec, "modes"), i, m) {
		const char *n = rec_str(m, "mode");

		if (n != NULL && strcmp(n, mode) == 0)
			return m;
	}
	return NULL;
}

/* Hours of remaining life to plan on: the interval's low end if given. */
static int
rul_hours(const json_t *rec, double *h)
{
	json_t *rul = json_object_get(rec, "rul");
	json_t *v = json_object_get(rul, "lo");

	if (!json_is_number(v))
		v = json_object_get(rul, "hours");
	if (!json_is_number(v) || !isfinite(json_number_value(v)) ||
	    json_number_value(v) < 0 || json_number_value(v) > 1e6)
		return 0;
	*h = json_number_value(v);
	return 1;
}

static json_t *
build_order(struct ticket *tk, const struct episode *e, enum ep_event ev,
    const json_t *rec, int64_t ts)
{
	const struct policy *p = &tk->pol;
	const char *cls = rec_str(rec, "class");
	json_t *wo = json_object(), *info, *evd, *prov, *a, *me, *sp;
	int prio = p->prio[e->sev];
	const char *title = NULL, *action = NULL;
	struct buf t = BUF_INIT;
	double h;
	size_t i;

	json_object_set_new(wo, "kind", json_string("workorder"));
	set_time(wo, "ts", ts);
	json_object_set_new(wo, "tenant", json_string(tk->tenant));
	copy_field(wo, rec, "site");
	json_object_set_new(wo, "asset", json_string(e->asset));
	copy_field(wo, rec, "class");
	json_object_set_new(wo, "event", json_string(ep_event_name(ev)));
	json_object_set_new(wo, "key", json_string(e->key));
	json_object_set_new(wo, "priority", json_integer(prio));
	json_object_set_new(wo, "severity",
	    json_string(ep_sev_name(e->sev)));
	json_object_set_new(wo, "mode", json_string(e->mode));
	/* The library first; else what twin-score said about the mode. */
	if ((info = mode_info(p, cls, e->mode)) == NULL)
		info = mode_entry(rec, e->mode);
	title = rec_str(info, "title");
	action = rec_str(info, "action");
	buf_addf(&t, "%s: %s", e->asset, title != NULL ? title : e->mode);
	json_object_set_new(wo, "title", json_string(buf_str(&t)));
	buf_free(&t);
	json_object_set_new(wo, "action", json_string(action != NULL ? action :
	    "inspect the asset; this failure mode is not in the library"));
	a = json_object_get(info, "parts");
	json_object_set_new(wo, "parts", json_is_array(a) ?
	    json_deep_copy(a) : json_array());
	if ((a = json_object_get(info, "kit")) != NULL && json_is_array(a))
		json_object_set_new(wo, "kit", json_deep_copy(a));
	if (ev != EV_CLOSE) {
		if (rul_hours(rec, &h))
			set_time(wo, "due", ts + (int64_t)llround(h *
			    p->due_rul_fraction * 3600.0) * TM_NS_PER_S);
		else
			set_time(wo, "due", ts + p->due[prio]);
	}
	evd = json_object();
	copy_field(evd, rec, "score");
	copy_field(evd, rec, "band");
	copy_field(evd, rec, "severity");
	json_object_set_new(evd, "peak", json_real(e->peak));
	set_time(evd, "since", e->start);
	json_object_set_new(evd, "scores", json_integer(e->nscores));
	if ((me = mode_entry(rec, e->mode)) != NULL) {
		copy_field(evd, me, "p");
		if ((a = json_object_get(me, "evidence")) != NULL)
			json_object_set_new(evd, "mode_evidence",
			    json_deep_copy(a));
	}
	a = json_object_get(rec, "contrib");
	if (json_is_array(a)) {
		json_t *top = json_array();

		for (i = 0; i < json_array_size(a) &&
		    i < (size_t)p->evidence_top; i++)
			json_array_append_new(top,
			    json_deep_copy(json_array_get(a, i)));
		json_object_set_new(evd, "contrib", top);
	}
	copy_field(evd, rec, "rul");
	sp = json_object_get(rec, "prov");
	if (json_object_get(sp, "model_sha256") != NULL)
		copy_field(evd, sp, "model_sha256");
	json_object_set_new(wo, "evidence", evd);
	prov = json_is_object(sp) ? json_deep_copy(sp) : json_object();
	json_object_set_new(prov, "policy_sha256", json_string(p->sha));
	if (p->have_cl)
		json_object_set_new(prov, "classes_sha256",
		    json_string(p->cl.digest));
	set_time(prov, "score_ts", ts);
	json_object_set_new(prov, "twin_ticket", json_string(TWIN_VERSION));
	json_object_set_new(wo, "prov", prov);
	return wo;
}

static const char *const csv_cols[] = { "ts", "tenant", "site", "asset",
	"class", "event", "key", "priority", "severity", "mode", "title",
	"action", "parts", "due", "score", NULL };

static void
csv_field(struct buf *b, const char *s, size_t n)
{
	size_t i;

	if (strcspn(s, ",\"\r\n") >= n) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

static void
csv_row(struct buf *b, const json_t *wo)
{
	struct buf v = BUF_INIT;
	json_t *x;
	size_t i, j;

	for (i = 0; csv_cols[i] != NULL; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_reset(&v);
		if (strcmp(csv_cols[i], "score") == 0)
			x = json_object_get(json_object_get(wo, "evidence"),
			    "score");
		else
			x = json_object_get(wo, csv_cols[i]);
		if (json_is_array(x)) {
			json_t *y;

			json_array_foreach(x, j, y) {
				if (j > 0)
					buf_adds(&v, "; ");
				if (json_is_string(y))
					buf_adds(&v, json_string_value(y));
			}
		} else if (json_is_string(x))
			buf_adds(&v, json_string_value(x));
		else if (x != NULL)
			buf_json(&v, x);
		csv_field(b, buf_str(&v), v.len);
	}
	buf_free(&v);
}

/* Outbox message names sort by event time. */
static void
msg_name(struct buf *b, int64_t ts, const char *event, const char *key)
{
	buf_reset(b);
	buf_addf(b, "%019lld-%.16s-%s.json", (long long)ts, key, event);
}

static int
emit(struct ticket *tk, json_t *wo, int64_t ts, struct twin_err *err)
{
	struct buf line = BUF_INIT, name = BUF_INIT;
	struct buf *ob;
	int rc = -1;

	buf_json(&line, wo);
	if (tk->ob != NULL) {
		msg_name(&name, ts, rec_str(wo, "event"), rec_str(wo, "key"));
		buf_addc(&line, '\n');
		if (outbox_put(tk->ob, name.s, line.s, line.len, err) < 0)
			goto out;
		line.len--;
	}
	if (tk->csv) {
		ob = out_buf(tk->out);
		if (out_count(tk->out) == 0) {
			size_t i;

			for (i = 0; csv_cols[i] != NULL; i++) {
				if (i > 0)
					buf_addc(ob, ',');
				buf_adds(ob, csv_cols[i]);
			}
			if (out_end_record(tk->out, err) < 0)
				goto out;
		}
		csv_row(ob, wo);
		if (out_end_record(tk->out, err) < 0)
			goto out;
	} else if (out_line(tk->out, line.s, line.len, err) < 0)
		goto out;
	tk->norders++;
	rc = 0;
out:
	buf_free(&line);
	buf_free(&name);
	return rc;
}

/* Delivery to the CMMS. */

static void
sleep_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The CMMS's own words from a reply: its "message" or "error" field. */
static void
cmms_message(const struct http_resp *r, char *out, size_t outsz)
{
	json_t *j = json_loadb(r->body.s ? r->body.s : "", r->body.len, 0,
	    NULL);
	const char *m = NULL;
	json_t *e;

	if (j != NULL) {
		m = rec_str(j, "message");
		if (m == NULL && (e = json_object_get(j, "error")) != NULL)
			m = json_is_string(e) ? json_string_value(e) :
			    rec_str(e, "message");
		if (m == NULL)
			m = rec_str(j, "oslc:message");
	}
	if (m != NULL)
		diag_quote(m, strlen(m), out, outsz);
	else
		diag_quote(r->body.s ? r->body.s : "", r->body.len > 200 ?
		    200 : r->body.len, out, outsz);
	json_decref(j);
}

static void
describe(struct buf *b, const json_t *wo)
{
	const json_t *ev = json_object_get(wo, "evidence"), *c, *x;
	struct buf num = BUF_INIT;
	size_t i;

	buf_addf(b, "%s\n", rec_str(wo, "title"));
	buf_adds(b, "score ");
	buf_json(b, json_object_get(ev, "score"));
	if ((x = json_object_get(ev, "severity")) != NULL)
		buf_addf(b, ", severity %s", json_string_value(x));
	buf_addf(b, ", since %s\n", rec_str(ev, "since"));
	buf_addf(b, "action: %s\n", rec_str(wo, "action"));
	buf_adds(b, "parts:");
	json_array_foreach(json_object_get(wo, "parts"), i, x)
		buf_addf(b, "%s %s", i ? "," : "", json_string_value(x));
	buf_addc(b, '\n');
	json_array_foreach(json_object_get(ev, "contrib"), i, c) {
		buf_addf(b, "evidence: %s = ", rec_str(c, "feature"));
		buf_json(b, json_object_get(c, "value"));
		buf_adds(b, " (baseline ");
		buf_json(b, json_object_get(c, "baseline"));
		buf_adds(b, ")\n");
	}
	buf_addf(b, "key %s", rec_str(wo, "key"));
	buf_free(&num);
}

static json_t *
render_ctx(struct ticket *tk, const json_t *wo, const char *idem)
{
	json_t *ctx = json_deep_copy(wo), *id;
	struct buf d = BUF_INIT;

	id = json_object_get(tk->ids, rec_str(wo, "key"));
	json_object_set_new(ctx, "cmms_id", id != NULL ? json_deep_copy(id) :
	    json_string(rec_str(wo, "key")));
	json_object_set_new(ctx, "idempotency_key", json_string(idem));
	describe(&d, wo);
	json_object_set_new(ctx, "description", json_string(buf_str(&d)));
	buf_free(&d);
	return ctx;
}

static int
save_id(struct ticket *tk, const char *key, const json_t *reply,
    const char *ptr, struct twin_err *err)
{
	json_t *id = tmpl_pointer(reply, ptr);
	struct buf b = BUF_INIT;
	int rc;

	if (id == NULL || !(json_is_string(id) || json_is_integer(id)))
		return 0;
	json_object_set_new(tk->ids, key, json_deep_copy(id));
	buf_json(&b, tk->ids);
	buf_addc(&b, '\n');
	rc = fsio_write_atomic(tk->idspath, b.s, b.len, 0600, err);
	buf_free(&b);
	return rc;
}

/* One HTTP request with the template's headers. */
static int
send_op(struct ticket *tk, const struct tmpl_op *op, const json_t *ctx,
    const char *idem, struct http_resp *r, struct twin_err *err)
{
	struct buf url = BUF_INIT, body = BUF_INIT, hv = BUF_INIT;
	const char *hdrs[40];
	char *owned[40];
	size_t nh = 0, no = 0, i;
	const char *k;
	json_t *v, *rb = NULL;
	int rc = -1;

	buf_adds(&url, http_base(tk->http));
	if (tmpl_render_text(&tk->tm, op->path, ctx, 1, &url, err) < 0)
		goto out;
	if (op->body != NULL) {
		rb = tmpl_render_body(&tk->tm, op->body, ctx, err);
		if (rb == NULL)
			goto out;
		buf_json(&body, rb);
		hdrs[nh++] = "Content-Type: application/json";
	}
	hdrs[nh++] = "Accept: application/json";
	hdrs[nh++] = "Expect:";
	if (tk->tm.idem_header != NULL && strcmp(op->method, "GET") != 0) {
		buf_reset(&hv);
		buf_addf(&hv, "%s: %s", tk->tm.idem_header, idem);
		hdrs[nh++] = owned[no++] = xstrdup(hv.s);
	}
	if (tk->tm.auth_header != NULL) {
		buf_reset(&hv);
		buf_addf(&hv, "%s: %s%s", tk->tm.auth_header,
		    tk->tm.auth_prefix, tk->secret);
		hdrs[nh++] = owned[no++] = xstrdup(hv.s);
	}
	json_object_foreach(tk->tm.headers, k, v) {
		if (nh + 2 >= sizeof(hdrs) / sizeof(hdrs[0]) ||
		    json_object_get(op->headers, k) != NULL)
			continue;
		buf_reset(&hv);
		buf_addf(&hv, "%s: ", k);
		if (tmpl_render_text(&tk->tm, json_string_value(v), ctx, 0,
		    &hv, err) < 0)
			goto out;
		if (strpbrk(hv.s, "\r\n") != NULL) {
			err_set(err, TWIN_EDATA, "header '%s' holds a newline",
			    k);
			goto out;
		}
		hdrs[nh++] = owned[no++] = xstrdup(hv.s);
	}
	json_object_foreach(op->headers, k, v) {
		if (nh + 2 >= sizeof(hdrs) / sizeof(hdrs[0]))
			break;
		buf_reset(&hv);
		buf_addf(&hv, "%s: ", k);
		if (tmpl_render_text(&tk->tm, json_string_value(v), ctx, 0,
		    &hv, err) < 0)
			goto out;
		if (strpbrk(hv.s, "\r\n") != NULL) {
			err_set(err, TWIN_EDATA, "header '%s' holds a newline",
			    k);
			goto out;
		}
		hdrs[nh++] = owned[no++] = xstrdup(hv.s);
	}
	hdrs[nh] = NULL;
	rc = http_request(tk->http, op->method, url.s, hdrs,
	    op->body != NULL ? buf_str(&body) : NULL, body.len, r, err);
out:
	for (i = 0; i < no; i++)
		free(owned[i]);
	json_decref(rb);
	buf_free(&url);
	buf_free(&body);
	buf_free(&hv);
	return rc;
}

/*
 * Look the work order up by key: 1 found, 0 not found, -1 failed (the
 * reply is left in r for the caller to classify).
 */
static int
lookup(struct ticket *tk, const json_t *ctx, const char *key,
    struct http_resp *r, struct twin_err *err)
{
	const struct tmpl_op *op = &tk->tm.lookup;
	json_t *j, *id;
	int found;

	if (send_op(tk, op, ctx, key, r, err) < 0)
		return -1;
	if (r->fail == HTTP_NONE && r->status == 404)
		return 0;
	if (http_class(r) != HC_OK)
		return -1;
	j = json_loadb(r->body.s ? r->body.s : "", r->body.len, 0, NULL);
	if (op->id != NULL) {
		id = tmpl_pointer(j, op->id);
		found = id != NULL && !json_is_null(id);
		if (found && save_id(tk, key, j, op->id, err) < 0) {
			json_decref(j);
			return -1;
		}
	} else
		found = j != NULL && !(json_is_array(j) &&
		    json_array_size(j) == 0);
	json_decref(j);
	return found;
}

/* Deliver one outbox message with retries. */
static enum dres
deliver(struct ticket *tk, const char *name, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	struct http_resp r = { 0 };
	json_t *wo = NULL, *ctx = NULL;
	const char *event, *key;
	const struct tmpl_op *op;
	char idem[DIGEST_HEX], msg[256];
	enum dres res = D_ERROR;
	int attempt, found;
	/* While the CMMS is known to be down, probe once per pass. */
	int retries = tk->down ? 0 : tk->retries;
	int64_t wait;

	if (outbox_read(tk->ob, name, &b, err) < 0)
		goto out;
	if ((wo = ndj_parse(b.s, b.len > 0 && b.s[b.len - 1] == '\n' ?
	    b.len - 1 : b.len, err)) == NULL ||
	    (event = rec_str(wo, "event")) == NULL ||
	    (key = rec_str(wo, "key")) == NULL) {
		diag_warn("%s/%s: not a work order; moved to rejected/",
		    outbox_dir(tk->ob), name);
		if (outbox_reject(tk->ob, name, "not a work order", err) < 0)
			goto out;
		res = D_REJECTED;
		goto out;
	}
	if (strcmp(event, "open") == 0)
		memcpy(idem, key, DIGEST_HEX);
	else {
		struct buf s = BUF_INIT;

		buf_add(&s, key, strlen(key) + 1);
		buf_add(&s, event, strlen(event) + 1);
		buf_adds(&s, rec_str(wo, "ts"));
		digest_sha256_hex(s.s, s.len, idem);
		buf_free(&s);
	}
	ctx = render_ctx(tk, wo, idem);
	op = tmpl_op_for(&tk->tm, event);
	for (attempt = 1; ; attempt++) {
		http_resp_free(&r);
		memset(&r, 0, sizeof(r));
		found = 0;
		/*
		 * Before a create, ask a CMMS that can be searched whether
		 * an earlier attempt (this run or one that crashed) already
		 * made it: the key is the lookup's argument.
		 */
		if (op == &tk->tm.create && tk->tm.has_lookup) {
			found = lookup(tk, ctx, key, &r, err);
			if (found < 0 && r.status == 0 && r.fail == HTTP_NONE)
				goto out;
		}
		if (found == 0) {
			http_resp_free(&r);
			memset(&r, 0, sizeof(r));
			if (send_op(tk, op, ctx, idem, &r, err) < 0)
				goto out;
		}
		if (found == 1 || http_class(&r) == HC_OK) {
			if (found == 0 && op == &tk->tm.create &&
			    op->id != NULL) {
				json_t *j = json_loadb(r.body.s ? r.body.s :
				    "", r.body.len, 0, NULL);
				int rc = save_id(tk, key, j, op->id, err);

				json_decref(j);
				if (rc < 0)
					goto out;
			}
			if (outbox_remove(tk->ob, name, err) < 0)
				goto out;
			tk->ndelivered++;
			res = D_OK;
			goto out;
		}
		switch (http_class(&r)) {
		case HC_REJECT:
			cmms_message(&r, msg, sizeof(msg));
			diag_warn("%s: %s %s refused by the CMMS: HTTP %ld: %s",
			    name, event, key, r.status, msg);
			{
				struct buf why = BUF_INIT;
				int rc;

				buf_addf(&why, "HTTP %ld: %s\n", r.status, msg);
				rc = outbox_reject(tk->ob, name, why.s, err);
				buf_free(&why);
				if (rc < 0)
					goto out;
			}
			res = D_REJECTED;
			goto out;
		case HC_UNAVAIL:
			if (r.fail != HTTP_CONNECT || attempt > retries) {
				diag_warn("%s: CMMS unavailable: %s", name,
				    r.msg);
				res = D_UNAVAIL;
				goto out;
			}
			break;
		default:
			if (attempt > retries) {
				diag_warn("%s: left in the outbox after %d "
				    "attempts: %s", name, attempt, r.fail ?
				    r.msg : "server error");
				res = D_LATER;
				goto out;
			}
			break;
		}
		wait = http_backoff_ms(attempt, 200, tk->max_wait_ms,
		    r.retry_after_ms, (unsigned long)random());
		if (wait > tk->max_wait_ms) {
			diag_warn("%s: CMMS asks to wait %lld ms; left in the "
			    "outbox", name, (long long)wait);
			res = D_LATER;
			goto out;
		}
		if (r.fail != HTTP_NONE)
			diag_info("%s: attempt %d: %s; retry in %lld ms", name,
			    attempt, r.msg, (long long)wait);
		else
			diag_info("%s: attempt %d: HTTP %ld; retry in %lld ms",
			    name, attempt, r.status, (long long)wait);
		sleep_ms(wait);
	}
out:
	http_resp_free(&r);
	json_decref(ctx);
	json_decref(wo);
	buf_free(&b);
	return res;
}

/*
 * Send what waits in the outbox, oldest first.  A message that cannot be
 * sent now stops the pass, so that an update never overtakes its open.
 */
static enum dres
deliver_all(struct ticket *tk, struct twin_err *err)
{
	char **names;
	size_t n, i;
	enum dres worst = D_OK, r;

	if (outbox_list(tk->ob, &names, &n, err) < 0)
		return D_ERROR;
	for (i = 0; i < n; i++) {
		r = deliver(tk, names[i], err);
		if (r > worst)
			worst = r;
		if (r == D_ERROR || r == D_LATER || r == D_UNAVAIL)
			break;
	}
	outbox_list_free(names, n);
	/* What is left in the outbox decides; a rejection needs a person. */
	if (worst == D_REJECTED || worst == D_ERROR)
		tk->rejected = 1;
	tk->dres = worst;
	tk->down = worst == D_LATER || worst == D_UNAVAIL;
	return worst;
}

/* The record loop. */

static int
process_score(struct ticket *tk, const json_t *rec, int64_t ts,
    const char *file, long lineno, const char *line, size_t len,
    int *emitted, struct twin_err *err)
{
	const char *asset = rec_str(rec, "asset"), *s;
	const char *set[MAX_MODES];
	json_t *sc = json_object_get(rec, "score"), *modes, *m;
	double level, score, top = -1;
	enum ep_sev sev;
	size_t nset = 0, i, k;
	const char *topmode = NULL;

	if (asset == NULL || *asset == '\0') {
		diag_reject(file, lineno, line, len, "score without 'asset'");
		return 0;
	}
	/* twin-score could not score it (unknown class, too few features). */
	if (sc == NULL || json_is_null(sc) ||
	    ((s = rec_str(rec, "severity")) != NULL &&
	    strcmp(s, "unknown") == 0)) {
		tk->nunscored++;
		return 0;
	}
	if (!json_is_number(sc) || !(json_number_value(sc) >= 0 &&
	    json_number_value(sc) <= 1)) {
		diag_reject(file, lineno, line, len,
		    "'score' is not a number from 0 to 1");
		return 0;
	}
	level = json_number_value(sc);
	if ((s = rec_str(rec, "severity")) != NULL) {
		if (ep_sev_parse(s, &sev) < 0) {
			char q[80];

			diag_reject(file, lineno, line, len,
			    "unknown severity '%s'",
			    diag_quote(s, strlen(s), q, sizeof(q)));
			return 0;
		}
	} else if (tk->pol.by_sev) {
		diag_reject(file, lineno, line, len,
		    "score without 'severity'");
		return 0;
	} else
		sev = level >= tk->pol.ep.enter ? SEV_WARNING : SEV_NORMAL;
	modes = json_object_get(rec, "modes");
	if (modes != NULL && !json_is_array(modes)) {
		diag_reject(file, lineno, line, len, "'modes' is not an array");
		return 0;
	}
	json_array_foreach(modes, i, m) {
		const char *name = rec_str(m, "mode");
		json_t *p = json_object_get(m, "p");

		if (name == NULL || *name == '\0' || !json_is_number(p)) {
			diag_reject(file, lineno, line, len,
			    "modes[%zu] without 'mode' or 'p'", i);
			return 0;
		}
		if (json_number_value(p) > top) {
			top = json_number_value(p);
			topmode = name;
		}
		if (json_number_value(p) >= tk->pol.mode_min_p &&
		    nset < MAX_MODES)
			set[nset++] = name;
	}
	if (topmode != NULL) {
		for (k = 0; k < nset && strcmp(set[k], topmode) != 0; k++)
			;
		if (k == nset && nset < MAX_MODES)
			set[nset++] = topmode;
	} else
		set[nset++] = "anomaly";
	/*
	 * One work order per asset: while the asset has an open episode,
	 * its readings go to that episode whatever mode ranks first now.
	 */
	if (tk->pol.per_asset)
		for (i = 0; i < tk->tab->n; i++)
			if (tk->tab->v[i]->status == EP_OPEN &&
			    strcmp(tk->tab->v[i]->asset, asset) == 0) {
				set[0] = tk->tab->v[i]->mode;
				nset = 1;
				break;
			}
	tk->nscore++;
	score = level;
	if (tk->pol.by_sev)
		level = sev;
	if (!ep_seen(tk->tab, asset, ts)) {
		tk->nlate++;
		return 0;
	}
	if (level >= tk->pol.ep.enter)
		for (k = 0; k < nset; k++)
			ep_get(tk->tab, asset, set[k], 1);
	for (i = 0; i < tk->tab->n; i++) {
		struct episode *e = tk->tab->v[i];
		enum ep_event ev;
		int in = 0;
		json_t *wo;

		if (strcmp(e->asset, asset) != 0)
			continue;
		for (k = 0; k < nset; k++)
			if (strcmp(set[k], e->mode) == 0)
				in = 1;
		/* For the asset's other modes this reading counts as low. */
		ev = ep_feed(&tk->pol.ep, tk->tenant, e, ts, in ? level : -1,
		    in ? score : 0, in ? sev : SEV_NORMAL);
		if (ev == EV_NONE)
			continue;
		wo = build_order(tk, e, ev, rec, ts);
		if (emit(tk, wo, ts, err) < 0) {
			json_decref(wo);
			return -1;
		}
		json_decref(wo);
		(*emitted)++;
	}
	return 0;
}

static int
save_state(struct ticket *tk, struct twin_err *err)
{
	if (tk->statepath == NULL)
		return 0;
	ep_gc(tk->tab, INT64_MIN);
	return ep_save(tk->tab, tk->statepath, err);
}

static int
run_input(struct ticket *tk, struct ndj_reader *rd, struct twin_err *err)
{
	const char *file = ndj_name(rd);
	char *line;
	size_t len;
	int rc;

	for (;;) {
		enum rec_kind kind;
		json_t *rec;
		int64_t ts;
		int emitted = 0;

		rc = ndj_next(rd, &line, &len, err);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (err->code == TWIN_EDATA) {
				diag_reject(file, ndj_lineno(rd), NULL, 0, "%s",
				    err->msg);
				continue;
			}
			return -1;
		}
		if ((rec = ndj_parse(line, len, err)) == NULL) {
			diag_reject(file, ndj_lineno(rd), line, len, "%s",
			    err->msg);
			continue;
		}
		if (rec_check(rec, tk->tenant, &kind, &ts, err) < 0) {
			diag_reject(file, ndj_lineno(rd), line, len, "%s",
			    err->msg);
			json_decref(rec);
			continue;
		}
		if (kind != REC_SCORE) {
			json_decref(rec);
			if (!tk->csv && out_line(tk->out, line, len, err) < 0)
				return -1;
			continue;
		}
		rc = process_score(tk, rec, ts, file, ndj_lineno(rd), line,
		    len, &emitted, err);
		json_decref(rec);
		if (rc < 0)
			return -1;
		if (emitted > 0 || tk->live) {
			/* The outbox holds the orders: the state may move. */
			if (save_state(tk, err) < 0)
				return -1;
		}
		if (emitted > 0 && tk->http != NULL) {
			if (out_flush(tk->out, err) < 0)
				return -1;
			if (deliver_all(tk, err) == D_ERROR)
				return -1;
		}
	}
	return 0;
}

/* Feedback: CSV or NDJSON outcomes to label records. */

static const char *const fb_fields[] = { "ts", "asset", "outcome", "mode",
	"from", "to", "workorder", "note", NULL };

static int
csv_split(const char *s, size_t n, json_t *cells)
{
	struct buf c = BUF_INIT;
	size_t i = 0;

	for (;;) {
		buf_reset(&c);
		if (i < n && s[i] == '"') {
			for (i++; ; i++) {
				if (i >= n) {
					buf_free(&c);
					return -1;
				}
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						buf_addc(&c, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				buf_addc(&c, s[i]);
			}
			if (i < n && s[i] != ',') {
				buf_free(&c);
				return -1;
			}
		} else
			for (; i < n && s[i] != ','; i++)
				buf_addc(&c, s[i]);
		json_array_append_new(cells, json_stringn(buf_str(&c), c.len));
		if (json_array_get(cells, json_array_size(cells) - 1) == NULL) {
			buf_free(&c);
			return -1;
		}
		if (i >= n)
			break;
		i++;	/* the comma */
	}
	buf_free(&c);
	return 0;
}

static int
outcome_norm(const char *s, struct buf *out)
{
	static const char *const ok[] = { "confirmed", "false_alarm",
		"action_taken", "unknown", NULL };
	size_t i;

	buf_reset(out);
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == ' ' || c == '-')
			c = '_';
		buf_addc(out, c);
	}
	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(buf_str(out), ok[i]) == 0)
			return 0;
	return -1;
}

static int
label_from(struct ticket *tk, json_t *in, const char *file, long lineno,
    const char *line, size_t len, struct twin_err *err)
{
	json_t *lab = json_object(), *v;
	struct buf oc = BUF_INIT;
	const char *asset = rec_str(in, "asset"), *s;
	char q[80];
	int64_t ns;
	size_t i;
	int rc = 0;

	v = json_object_get(in, "ts");
	if (v == NULL || (json_is_string(v) && *json_string_value(v) == '\0')
	    || tm_from_json(v, &ns, err) < 0) {
		diag_reject(file, lineno, line, len, "missing or bad 'ts'");
		goto out;
	}
	if (asset == NULL || *asset == '\0') {
		diag_reject(file, lineno, line, len, "missing 'asset'");
		goto out;
	}
	s = rec_str(in, "outcome");
	if (s == NULL || outcome_norm(s, &oc) < 0) {
		diag_reject(file, lineno, line, len, "unknown outcome '%s'",
		    s ? diag_quote(s, strlen(s), q, sizeof(q)) : "");
		goto out;
	}
	json_object_set_new(lab, "kind", json_string("label"));
	set_time(lab, "ts", ns);
	json_object_set_new(lab, "tenant", json_string(tk->tenant));
	json_object_set_new(lab, "asset", json_string(asset));
	json_object_set_new(lab, "outcome", json_string(buf_str(&oc)));
	for (i = 3; fb_fields[i] != NULL; i++) {
		v = json_object_get(in, fb_fields[i]);
		if (v == NULL || (json_is_string(v) &&
		    *json_string_value(v) == '\0'))
			continue;
		if (strcmp(fb_fields[i], "from") == 0 ||
		    strcmp(fb_fields[i], "to") == 0) {
			if (tm_from_json(v, &ns, err) < 0) {
				diag_reject(file, lineno, line, len,
				    "bad '%s': %s", fb_fields[i], err->msg);
				goto out;
			}
			set_time(lab, fb_fields[i], ns);
		} else if (json_is_string(v))
			json_object_set_new(lab, fb_fields[i],
			    json_deep_copy(v));
		else {
			diag_reject(file, lineno, line, len,
			    "'%s' is not a string", fb_fields[i]);
			goto out;
		}
	}
	rc = out_json(tk->out, lab, err);
out:
	json_decref(lab);
	buf_free(&oc);
	return rc;
}

static int
run_feedback(struct ticket *tk, struct ndj_reader *rd, struct twin_err *err)
{
	const char *file = ndj_name(rd);
	json_t *header = NULL, *cells, *in;
	char *line;
	size_t len, i;
	int rc, csv = -1;

	for (;;) {
		if ((rc = ndj_next(rd, &line, &len, err)) == 0)
			break;
		if (rc < 0) {
			if (err->code == TWIN_EDATA) {
				diag_reject(file, ndj_lineno(rd), NULL, 0, "%s",
				    err->msg);
				continue;
			}
			json_decref(header);
			return -1;
		}
		if (csv < 0)
			csv = line[strspn(line, " \t")] != '{';
		if (!csv) {
			const char *tn;

			if ((in = ndj_parse(line, len, err)) == NULL) {
				diag_reject(file, ndj_lineno(rd), line, len,
				    "%s", err->msg);
				continue;
			}
			/* A record of another tenant is refused here too. */
			if (json_object_get(in, "tenant") != NULL &&
			    ((tn = rec_str(in, "tenant")) == NULL ||
			    strcmp(tn, tk->tenant) != 0)) {
				char q[80];

				q[0] = '\0';
				if (tn != NULL)
					diag_quote(tn, strlen(tn), q, 80);
				diag_reject(file, ndj_lineno(rd), line, len,
				    "record of tenant '%s', not '%s'", q,
				    tk->tenant);
				json_decref(in);
				continue;
			}
			rc = label_from(tk, in, file, ndj_lineno(rd), line, len,
			    err);
			json_decref(in);
			if (rc < 0)
				return -1;
			continue;
		}
		cells = json_array();
		if (csv_split(line, len, cells) < 0) {
			diag_reject(file, ndj_lineno(rd), line, len,
			    "bad CSV quoting");
			json_decref(cells);
			continue;
		}
		if (header == NULL) {
			header = cells;
			continue;
		}
		if (json_array_size(cells) != json_array_size(header)) {
			diag_reject(file, ndj_lineno(rd), line, len,
			    "%zu fields, the header has %zu",
			    json_array_size(cells), json_array_size(header));
			json_decref(cells);
			continue;
		}
		in = json_object();
		for (i = 0; i < json_array_size(header); i++) {
			const char *col = json_string_value(
			    json_array_get(header, i));

			json_object_set(in, col, json_array_get(cells, i));
		}
		json_decref(cells);
		rc = label_from(tk, in, file, ndj_lineno(rd), line, len, err);
		json_decref(in);
		if (rc < 0) {
			json_decref(header);
			return -1;
		}
	}
	json_decref(header);
	return 0;
}

/*
 * Feedback from the CMMS: the template's "feedback" GET, one label per
 * item that has an outcome (work orders still open have none).
 */
static int
run_feedback_cmms(struct ticket *tk, struct twin_err *err)
{
	struct http_resp r = { 0 };
	json_t *ctx, *body = NULL, *items, *it, *in, *v;
	const char *k;
	char msg[256], pos[64];
	size_t i;
	int rc = -1;

	ctx = json_object();
	json_object_set_new(ctx, "tenant", json_string(tk->tenant));
	if (send_op(tk, &tk->tm.feedback, ctx, "", &r, err) < 0)
		goto out;
	switch (http_class(&r)) {
	case HC_OK:
		break;
	case HC_REJECT:
		cmms_message(&r, msg, sizeof(msg));
		err_set(err, TWIN_EDATA, "feedback refused by the CMMS: HTTP "
		    "%ld: %s", r.status, msg);
		goto out;
	default:
		err_set(err, http_class(&r) == HC_UNAVAIL ? TWIN_EUNAVAIL :
		    TWIN_ETEMP, "feedback: %s", r.fail ? r.msg : "server error");
		goto out;
	}
	body = json_loadb(r.body.s ? r.body.s : "", r.body.len, 0, NULL);
	items = tmpl_pointer(body, tk->tm.fb_items);
	if (!json_is_array(items)) {
		err_set(err, TWIN_EDATA, "feedback: no array at '%s' in the "
		    "reply", tk->tm.fb_items);
		goto out;
	}
	json_array_foreach(items, i, it) {
		in = json_object();
		json_object_foreach(tk->tm.fb_fields, k, v) {
			json_t *x = tmpl_pointer(it, json_string_value(v));

			if (x != NULL && !json_is_null(x))
				json_object_set(in, k, x);
		}
		v = json_object_get(in, "outcome");
		if (v == NULL || (json_is_string(v) &&
		    *json_string_value(v) == '\0')) {
			json_decref(in);
			continue;
		}
		snprintf(pos, sizeof(pos), "<cmms>");
		rc = label_from(tk, in, pos, (long)i + 1, NULL, 0, err);
		json_decref(in);
		if (rc < 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(body);
	json_decref(ctx);
	http_resp_free(&r);
	return rc;
}

/* Set-up helpers. */

static char *
read_secret(const char *path, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	char tmp[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, TWIN_ECONFIG, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) > 0 && b.len < 65536)
		buf_add(&b, tmp, (size_t)n);
	close(fd);
	buf_str(&b);
	b.s[strcspn(b.s, "\r\n")] = '\0';
	if (*b.s == '\0') {
		buf_free(&b);
		err_set(err, TWIN_ECONFIG, "'%s' holds no credential", path);
		return NULL;
	}
	return b.s;
}

static int
open_dir(struct ticket *tk, const char *dir, struct twin_err *err)
{
	struct buf p = BUF_INIT;
	json_t *ids;

	buf_addf(&p, "%s/%s", dir, tk->tenant);
	tk->tdir = xstrdup(p.s);
	if (outbox_mkdirs(tk->tdir, err) < 0)
		goto fail;
	buf_addf(&p, "/lock");
	tk->lockfd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (tk->lockfd < 0) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", p.s,
		    strerror(errno));
		goto fail;
	}
	if (flock(tk->lockfd, LOCK_EX | LOCK_NB) < 0) {
		err_set(err, TWIN_ETEMP,
		    "'%s' is in use by another twin-ticket", tk->tdir);
		goto fail;
	}
	buf_reset(&p);
	buf_addf(&p, "%s/state.json", tk->tdir);
	tk->statepath = xstrdup(p.s);
	buf_reset(&p);
	buf_addf(&p, "%s/outbox", tk->tdir);
	if ((tk->ob = outbox_open(p.s, err)) == NULL)
		goto fail;
	buf_reset(&p);
	buf_addf(&p, "%s/cmms-ids.json", tk->tdir);
	tk->idspath = xstrdup(p.s);
	if (access(p.s, F_OK) == 0) {
		if ((ids = ndj_load_file(p.s, err)) == NULL)
			goto fail;
		if (!json_is_object(ids)) {
			json_decref(ids);
			err_set(err, TWIN_ECONFIG, "'%s' is not an object",
			    p.s);
			goto fail;
		}
		json_decref(tk->ids);
		tk->ids = ids;
	}
	buf_free(&p);
	return 0;
fail:
	buf_free(&p);
	return -1;
}

static int
exit_for(struct ticket *tk)
{
	if (tk->dres == D_ERROR)
		return EXIT_IO;
	if (tk->rejected || diag_errors() > 0)
		return EXIT_DATA;
	if (tk->dres == D_UNAVAIL)
		return EXIT_UNAVAILABLE;
	if (tk->dres == D_LATER)
		return EXIT_TEMPFAIL;
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct ticket tk;
	struct twin_err err = { 0 };
	struct http_opts ho = { 10000, 5000, 1024 * 1024, 100, 3, NULL };
	const char *dir = NULL, *polpath = NULL, *rejpath = NULL;
	const char *url = NULL, *tmplpath = NULL, *authfile = NULL;
	int feedback = 0, flush = 0, ch, status = EXIT_OK, i;
	int64_t ns;
	long n;

	diag_init(argv[0]);
	memset(&tk, 0, sizeof(tk));
	tk.lockfd = -1;
	tk.retries = 4;
	tk.max_wait_ms = 30000;
	while ((ch = getopt_long(argc, argv, "d:hlp:qR:T:t:u:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'l':
			tk.live = 1;
			break;
		case 'p':
			polpath = optarg;
			break;
		case 'q':
			diag_set_quiet(1);
			break;
		case 'R':
			rejpath = optarg;
			break;
		case 'T':
			if (!rec_tenant_valid(optarg)) {
				diag_warn("-T: bad tenant name '%s'", optarg);
				return EXIT_USAGE;
			}
			tk.tenant = optarg;
			break;
		case 't':
			tmplpath = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case OPT_AUTH_FILE:
			authfile = optarg;
			break;
		case OPT_CAFILE:
			ho.cafile = optarg;
			break;
		case OPT_CSV:
			tk.csv = 1;
			break;
		case OPT_FEEDBACK:
			feedback = 1;
			break;
		case OPT_FLUSH:
			flush = 1;
			break;
		case OPT_MAX_REPLY:
			if (num_opt("--max-reply", optarg, 1024, 1L << 30,
			    &n) < 0)
				return EXIT_USAGE;
			ho.max_body = (size_t)n;
			break;
		case OPT_MAX_WAIT:
			if (dur_opt("--max-wait", optarg, &ns) < 0)
				return EXIT_USAGE;
			if (ns < TM_NS_PER_MS || ns > 3600 * TM_NS_PER_S) {
				diag_warn("--max-wait: '%s' is not from 1ms "
				    "to 1h", optarg);
				return EXIT_USAGE;
			}
			tk.max_wait_ms = ns / TM_NS_PER_MS;
			break;
		case OPT_RETRIES:
			if (num_opt("--retries", optarg, 0, 100, &n) < 0)
				return EXIT_USAGE;
			tk.retries = (int)n;
			break;
		case OPT_TIMEOUT:
			if (dur_opt("--timeout", optarg, &ns) < 0)
				return EXIT_USAGE;
			if (ns < 100 * TM_NS_PER_MS || ns > 600 * TM_NS_PER_S) {
				diag_warn("--timeout: '%s' is not from 100ms "
				    "to 10m", optarg);
				return EXIT_USAGE;
			}
			ho.timeout_ms = (long)(ns / TM_NS_PER_MS);
			ho.connect_ms = ho.timeout_ms;
			/* A reply dripping slower than this is given up. */
			ho.low_speed_s = ho.timeout_ms / 3000 > 0 ?
			    ho.timeout_ms / 3000 : 1;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (feedback + flush > 1) {
		diag_warn("--feedback and --flush do not go together");
		return EXIT_USAGE;
	}
	if (feedback && (dir != NULL || tk.csv)) {
		diag_warn("--feedback takes no -d or --csv");
		return EXIT_USAGE;
	}
	if (feedback && url != NULL && argc > 0) {
		diag_warn("--feedback reads files or the CMMS (-u), not both");
		return EXIT_USAGE;
	}
	if ((url == NULL) != (tmplpath == NULL)) {
		diag_warn("-u and -t go together");
		return EXIT_USAGE;
	}
	if (url != NULL && dir == NULL && !feedback) {
		diag_warn("-u needs -d: work orders go through the outbox");
		return EXIT_USAGE;
	}
	if (flush && (url == NULL || argc > 0)) {
		diag_warn("--flush needs -d, -u and -t and takes no files");
		return EXIT_USAGE;
	}
	if (!feedback && !flush && polpath == NULL) {
		diag_warn("no policy file (-p)");
		usage(stderr);
		return EXIT_USAGE;
	}

	tk.ids = json_object();
	if (polpath != NULL) {
		if (policy_load(&tk.pol, polpath, &err) < 0) {
			diag_warn("%s", err.msg);
			status = EXIT_CONFIG;
			goto out;
		}
		tk.have_pol = 1;
		if (tk.tenant == NULL)
			tk.tenant = tk.pol.tenant;
	}
	if (tk.tenant == NULL) {
		diag_warn("no tenant: give -T or a policy with \"tenant\"");
		status = EXIT_USAGE;
		goto out;
	}
	if (tmplpath != NULL) {
		const char *env = getenv("TWIN_CMMS_TOKEN");

		if (tmpl_load(&tk.tm, tmplpath, &err) < 0) {
			diag_warn("%s", err.msg);
			status = EXIT_CONFIG;
			goto out;
		}
		tk.have_tm = 1;
		if (authfile != NULL) {
			if ((tk.secret = read_secret(authfile, &err)) == NULL) {
				diag_warn("%s", err.msg);
				status = EXIT_CONFIG;
				goto out;
			}
		} else if (env != NULL && *env != '\0')
			tk.secret = xstrdup(env);
		if (tk.secret != NULL && strpbrk(tk.secret, "\r\n") != NULL) {
			diag_warn("the credential holds a line break");
			status = EXIT_CONFIG;
			goto out;
		}
		if (tk.tm.auth_header != NULL && tk.secret == NULL) {
			diag_warn("%s: the template sends credentials; set "
			    "TWIN_CMMS_TOKEN or give --auth-file", tmplpath);
			status = EXIT_CONFIG;
			goto out;
		}
		if (feedback && !tk.tm.has_feedback) {
			diag_warn("%s: the template has no 'feedback'",
			    tmplpath);
			status = EXIT_CONFIG;
			goto out;
		}
		if ((tk.http = http_new(url, &ho, &err)) == NULL) {
			diag_warn("-u: %s", err.msg);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (diag_reject_open(rejpath, &err) < 0) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
		goto out;
	}
	if (dir != NULL) {
		if (open_dir(&tk, dir, &err) < 0) {
			diag_warn("%s", err.msg);
			status = err_exit_status(err.code);
			goto out;
		}
		if (!flush && !feedback) {
			struct ep_table *t = ep_load(tk.statepath, tk.tenant,
			    &err);

			if (t == NULL) {
				diag_warn("%s", err.msg);
				status = EXIT_CONFIG;
				goto out;
			}
			tk.tab = t;
		}
	}
	if (tk.tab == NULL)
		tk.tab = ep_table_new(tk.tenant);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	tk.out = out_open(1, tk.live);

	if (feedback && tk.http != NULL) {
		if (run_feedback_cmms(&tk, &err) < 0) {
			diag_warn("%s", err.msg);
			status = err_exit_status(err.code);
			goto out;
		}
	} else if (flush) {
		if (deliver_all(&tk, &err) == D_ERROR) {
			diag_warn("%s", err.msg);
			status = EXIT_IO;
			goto out;
		}
	} else {
		for (i = 0; i < (argc > 0 ? argc : 1); i++) {
			struct ndj_reader *rd;
			int rc;

			if (argc == 0 || strcmp(argv[i], "-") == 0)
				rd = ndj_open_fd(0, "<stdin>",
				    NDJ_MAX_LINE_DEFAULT);
			else if ((rd = ndj_open_path(argv[i],
			    NDJ_MAX_LINE_DEFAULT, &err)) == NULL) {
				diag_warn("%s", err.msg);
				status = EXIT_IO;
				goto out;
			}
			rc = feedback ? run_feedback(&tk, rd, &err) :
			    run_input(&tk, rd, &err);
			ndj_close(rd);
			if (rc < 0) {
				if (err.code != TWIN_EPIPE) {
					diag_warn("%s", err.msg);
					status = err_exit_status(err.code);
				}
				goto out;
			}
		}
		if (!feedback && save_state(&tk, &err) < 0) {
			diag_warn("%s", err.msg);
			status = EXIT_IO;
			goto out;
		}
		if (tk.http != NULL) {
			if (out_flush(tk.out, &err) < 0 &&
			    err.code != TWIN_EPIPE) {
				diag_warn("%s", err.msg);
				status = EXIT_IO;
				goto out;
			}
			/* The last pass of a run tries with every retry. */
			tk.down = 0;
			if (deliver_all(&tk, &err) == D_ERROR) {
				diag_warn("%s", err.msg);
				status = EXIT_IO;
				goto out;
			}
		}
	}
	if (tk.nunscored > 0)
		diag_info("%lu score record(s) without a score; skipped",
		    tk.nunscored);
	if (tk.nlate > 0)
		diag_info("%lu score record(s) at or before the last one seen "
		    "for their asset; skipped", tk.nlate);
	if (tk.http != NULL && !feedback)
		diag_info("%lu work order message(s) delivered", tk.ndelivered);
	status = exit_for(&tk);
out:
	if (tk.out != NULL && out_close(tk.out, &err) < 0 &&
	    err.code != TWIN_EPIPE && status == EXIT_OK) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
	}
	if (diag_reject_close(&err) < 0 && status == EXIT_OK) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
	}
	http_free(tk.http);
	if (tk.have_tm)
		tmpl_free(&tk.tm);
	if (tk.have_pol)
		policy_free(&tk.pol);
	ep_table_free(tk.tab);
	outbox_close(tk.ob);
	if (tk.lockfd >= 0)
		close(tk.lockfd);
	json_decref(tk.ids);
	free(tk.secret);
	free(tk.statepath);
	free(tk.idspath);
	free(tk.tdir);
	return status;
}
