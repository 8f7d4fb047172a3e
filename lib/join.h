/*
 * join.h - the as-of join that turns one asset's feature records, whose
 * windows may differ in length, into the rows the health model trains on
 * (twin-retrain) and scores (twin-score).  Both programs use this code, so
 * training rows and scoring rows are formed the same way.
 *
 * A row is due at each window end of the class's primary channel (the
 * channel with the most model features, or the class template's
 * "primary").  It holds, for every model feature, the latest value whose
 * window ended at or before the row time and no longer than max_age
 * before it; an older or absent value stays missing (NaN), never zero.
 * Event time only: the row at t is written when a record of the asset with
 * a later window end arrives, when every feature has a value of the row's
 * own window end, or at the end of the input; a record whose window ended
 * at or before a row already written is late.
 */
#ifndef TWIN_JOIN_H
#define TWIN_JOIN_H

#include <stddef.h>
#include <stdint.h>

#define JOIN_MAX_AGE_DEFAULT (3 * 3600 * (int64_t)1000000000)

struct join {
	size_t p;
	int64_t max_age;	/* ns */
	double *val;		/* latest value per feature */
	int64_t *vt;		/* its window end; INT64_MIN: none */
	int64_t *ws;		/* its window start */
	int64_t row;		/* time of the pending row; INT64_MIN: none */
	int64_t done;		/* time of the last row written */
};

void join_init(struct join *j, size_t p, int64_t max_age);
void join_free(struct join *j);

/* A record with window end ts is late: a row at or after ts was written. */
int join_late(const struct join *j, int64_t ts);
/* A row is pending and a record with window end ts must close it first. */
int join_due(const struct join *j, int64_t ts);
/* Feature i's value v from the window [ws, ts]. */
void join_set(struct join *j, size_t i, int64_t ts, int64_t ws, double v);
/* A window of the primary channel ended at ts: a row is due there. */
void join_trigger(struct join *j, int64_t ts);
/* A row is pending and every feature has a value of its window end. */
int join_complete(const struct join *j);
/*
 * Write the pending row: x gets p values (NaN when missing or stale), *t
 * the row time, *from the earliest window start of the values used (the
 * row time when none).  Returns the number of values present, or -1 when
 * no row was pending.
 */
int join_emit(struct join *j, double *x, int64_t *t, int64_t *from);
/*
 * Move the state to another feature order: map[k] is the old index of new
 * feature k, or -1.
 */
void join_remap(struct join *j, size_t p, const int *map);

/*
 * The primary channel of p feature names "<channel>:<name>": the channel
 * with the most features, the first one on a tie.  Returns the length of
 * the channel name at the start of *chan, or 0 when there is none.
 */
size_t join_primary(const char *const *features, size_t p, const char **chan);

#endif
