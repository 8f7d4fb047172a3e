/* test-episode.c - the episode state machine and its state file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "digest.h"
#include "episode.h"
#include "tm.h"
#include "t.h"
#include "banned.h"

#define MIN (60 * TM_NS_PER_S)

static const struct ep_policy pol = {
	0.8, 0.6, 60 * MIN, 120 * MIN, 360 * MIN, 60 * MIN, 0
};

/* Feed levels at 10-minute steps from t0; returns the events as letters. */
static void
feed(struct episode *e, int64_t *t, const double *lv, const enum ep_sev *sv,
    size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		enum ep_event ev = ep_feed(&pol, "acme", e, *t, lv[i], lv[i],
		    sv[i]);

		if (ev != EV_NONE)
			out[o++] = "-ouec"[ev];
		*t += 10 * MIN;
	}
	out[o] = '\0';
}

int
main(void)
{
	struct ep_table *t, *u;
	struct episode *e, *f;
	char ev[64], hex[65], path[] = "/tmp/twin-test-episode.XXXXXX";
	int64_t t0 = 1798000000LL * TM_NS_PER_S, ts;
	double lv[40];
	enum ep_sev sv[40];
	struct twin_err err;
	enum ep_sev s;
	size_t i;
	int fd;

	T_OK(ep_sev_parse("alarm", &s) == 0 && s == SEV_ALARM,
	    "severity names parse");
	T_OK(ep_sev_parse("critical", &s) < 0, "unknown severity refused");

	/* Flapping between 0.82 and 0.7 stays pending and opens once. */
	t = ep_table_new("acme");
	e = ep_get(t, "P-103", "bearing_outer_race", 1);
	for (i = 0; i < 20; i++) {
		lv[i] = i % 2 ? 0.7 : 0.82;
		sv[i] = SEV_WARNING;
	}
	ts = t0;
	feed(e, &ts, lv, sv, 20, ev);
	T_STREQ(ev, "o", "flapping above exit opens one episode");
	T_OK(e->start == t0 && e->opened == t0 + 60 * MIN,
	    "episode starts at the first reading above enter, opens after "
	    "persist");

	/* Dips below exit for less than 'clear' do not close. */
	for (i = 0; i < 20; i++) {
		lv[i] = i % 3 == 2 ? 0.7 : 0.5;
		sv[i] = SEV_WARNING;
	}
	feed(e, &ts, lv, sv, 20, ev);
	T_STREQ(ev, "", "short dips below exit keep it open");

	/* Alarm escalates at once; warning for an hour de-escalates. */
	for (i = 0; i < 10; i++) {
		lv[i] = 0.9;
		sv[i] = i < 3 ? SEV_ALARM : SEV_WARNING;
	}
	feed(e, &ts, lv, sv, 10, ev);
	T_STREQ(ev, "eu", "escalate at once, de-escalate after 'deescalate'");
	T_OK(e->sev == SEV_WARNING, "severity back to warning");

	/* Two hours below exit close it; the re-arm blocks a new pending. */
	for (i = 0; i < 13; i++) {
		lv[i] = 0.2;
		sv[i] = SEV_NORMAL;
	}
	memcpy(hex, e->key, sizeof(hex));
	feed(e, &ts, lv, sv, 13, ev);
	T_STREQ(ev, "c", "close after 'clear' below exit");
	for (i = 0; i < 20; i++) {
		lv[i] = 0.95;
		sv[i] = SEV_ALARM;
	}
	feed(e, &ts, lv, sv, 20, ev);
	T_STREQ(ev, "", "no new episode within 'rearm'");
	for (i = 20; i < 30; i++) {
		lv[i] = 0.95;
		sv[i] = SEV_ALARM;
	}
	feed(e, &ts, lv, sv, 30, ev);
	T_STREQ(ev, "o", "a new episode after 'rearm'");
	T_OK(strcmp(hex, e->key) != 0, "the new episode has a new key");

	/* The key is sha256 over NUL-terminated fields. */
	{
		const char m[] = "acme\0P-103\0bearing_outer_race\0"
		    "2026-12-23T04:26:40.000Z";
		char want[65];

		digest_sha256_hex(m, sizeof(m), want);
		ep_key("acme", "P-103", "bearing_outer_race", t0, hex);
		T_STREQ(hex, want, "key is sha256(tenant, asset, mode, start)");
	}

	/* Duplicates and late readings per asset. */
	T_OK(ep_seen(t, "P-101", t0) == 1, "first reading of an asset is new");
	T_OK(ep_seen(t, "P-101", t0) == 0, "the same time again is not");
	T_OK(ep_seen(t, "P-101", t0 - 1) == 0, "an older time is not");

	/* Save and load give the same table. */
	f = ep_get(t, "M-101", "imbalance", 1);
	f->pending_since = t0;
	f->pending_sev = SEV_WATCH;
	fd = mkstemp(path);
	close(fd);
	T_OK(ep_save(t, path, &err) == 0, "state saved");
	u = ep_load(path, "acme", &err);
	T_OK(u != NULL && u->n == t->n, "state loaded with every entry");
	if (u != NULL) {
		struct episode *g = ep_get(u, "P-103", "bearing_outer_race", 0);
		struct episode *h = ep_get(u, "M-101", "imbalance", 0);

		T_OK(g != NULL && g->status == EP_OPEN &&
		    strcmp(g->key, e->key) == 0 && g->start == e->start &&
		    g->sev == e->sev && g->peak == e->peak &&
		    g->nscores == e->nscores, "open episode round-trips");
		T_OK(h != NULL && h->status == EP_IDLE &&
		    h->pending_since == t0 && h->pending_sev == SEV_WATCH,
		    "pending entry round-trips");
		T_OK(ep_seen(u, "P-101", t0) == 0, "last times round-trip");
		ep_table_free(u);
	}
	u = ep_load(path, "globex", &err);
	T_OK(u == NULL && err.code == TWIN_ECONFIG,
	    "state of another tenant refused");
	ep_table_free(u);
	{
		FILE *fp = fopen(path, "w");

		fputs("{\"version\":1,\"tenant\":\"acme\",\"episodes\":[{}]}",
		    fp);
		fclose(fp);
	}
	u = ep_load(path, "acme", &err);
	T_OK(u == NULL, "damaged state refused: %s", err.msg);
	unlink(path);
	u = ep_load(path, "acme", &err);
	T_OK(u != NULL && u->n == 0, "a missing state file is an empty table");
	ep_table_free(u);

	/* gc keeps pending and open entries, drops idle ones. */
	f->pending_since = -1;
	ep_gc(t, INT64_MIN);
	T_OK(ep_get(t, "M-101", "imbalance", 0) == NULL &&
	    ep_get(t, "P-103", "bearing_outer_race", 0) != NULL,
	    "gc drops idle entries only");
	ep_table_free(t);
	return T_DONE();
}
