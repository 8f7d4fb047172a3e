/*
 * episode.h - fault episodes per (asset, failure mode) on event time.
 *
 * An episode table holds, for one tenant, the hysteresis state of every
 * (asset, failure mode) pair that is pending, open or re-arming, and the
 * last score time seen per asset.  episode_feed() takes one score reading
 * and returns the episode events it causes (open, update, escalate,
 * close).  Nothing here reads a clock: every decision uses the reading's
 * time, so a replay of the same scores gives the same events.
 *
 * The rules (twin-ticket(5)):
 *   - a pair becomes pending when its level reaches 'enter' and stays
 *     pending while the level stays at or above 'exit' (hysteresis);
 *   - it opens once it has been pending for 'persist';
 *   - an open episode escalates at once when the severity rises, and
 *     de-escalates (event update) when a lower severity held for
 *     'deescalate';
 *   - it closes when the level stayed below 'exit' for 'clear';
 *   - after a close, the pair cannot become pending for 'rearm'.
 *
 * The table owns its entries and strings.  episode_save() writes the table
 * atomically (temporary file, fsync, rename, fsync of the directory), so
 * a crash leaves the old or the new state, never a mix.
 */
#ifndef TWIN_EPISODE_H
#define TWIN_EPISODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

enum ep_sev { SEV_NORMAL, SEV_WATCH, SEV_WARNING, SEV_ALARM };

enum ep_event { EV_NONE, EV_OPEN, EV_UPDATE, EV_ESCALATE, EV_CLOSE };

struct ep_policy {
	double enter;		/* level that starts an episode */
	double exit;		/* level below which it may close */
	int64_t persist;	/* ns pending before opening */
	int64_t clear;		/* ns below 'exit' before closing */
	int64_t rearm;		/* ns after a close before a new pending */
	int64_t deescalate;	/* ns at a lower severity before update */
	int64_t update_every;	/* ns between periodic updates; 0 never */
};

enum ep_status { EP_IDLE, EP_OPEN };

struct episode {
	char *asset;
	char *mode;
	enum ep_status status;
	int64_t pending_since;	/* -1 when not pending */
	enum ep_sev pending_sev;
	int64_t rearm_until;	/* INT64_MIN when not re-arming */
	/* Open episodes only. */
	char key[65];		/* work order idempotency key */
	int64_t start;		/* first reading at or above 'enter' */
	int64_t opened;
	int64_t last_event;
	enum ep_sev sev;
	int64_t below_since;	/* -1 when at or above 'exit' */
	int64_t lower_since;	/* -1 when not below sev */
	enum ep_sev lower_sev;
	double peak;		/* highest score while open */
	long nscores;
	long nevents;
};

struct ep_table {
	char *tenant;
	struct episode **v;	/* sorted by (asset, mode) */
	size_t n, cap;
	json_t *last;		/* asset -> last score time (ns, integer) */
};

struct ep_table *ep_table_new(const char *tenant);
void ep_table_free(struct ep_table *t);

/* Severity names: "normal", "watch", "warning", "alarm". */
int ep_sev_parse(const char *s, enum ep_sev *sev);
const char *ep_sev_name(enum ep_sev sev);
const char *ep_event_name(enum ep_event ev);

/*
 * The work order key: sha256 hex of tenant, asset, mode and the episode
 * start (RFC 3339), each followed by a NUL byte.
 */
void ep_key(const char *tenant, const char *asset, const char *mode,
    int64_t start, char hex[65]);

/*
 * Per asset: returns 1 when ts is newer than the last reading of the
 * asset (and records it), 0 for a reading at or before it (a duplicate or
 * a replay of what the state has already seen).
 */
int ep_seen(struct ep_table *t, const char *asset, int64_t ts);

/* The entry of (asset, mode), created idle when create is set. */
struct episode *ep_get(struct ep_table *t, const char *asset,
    const char *mode, int create);

/*
 * Feed one reading at ts to an entry: the level the thresholds apply to
 * (the score, or the severity's rank when the policy sets its thresholds
 * by severity), the score itself (for the peak) and the severity.
 * Returns the event it causes (EV_NONE for none).
 */
enum ep_event ep_feed(const struct ep_policy *p, const char *tenant,
    struct episode *e, int64_t ts, double level, double score,
    enum ep_sev sev);

/* Drop idle entries that hold no pending or re-arm state. */
void ep_gc(struct ep_table *t, int64_t now);

int ep_save(const struct ep_table *t, const char *path,
    struct twin_err *err);
/* Load a state file; a missing file gives an empty table. */
struct ep_table *ep_load(const char *path, const char *tenant,
    struct twin_err *err);

#endif
