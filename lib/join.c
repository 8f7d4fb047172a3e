/*
 * join.c - the as-of join of one asset's features into model rows; see
 * join.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "join.h"
#include "banned.h"

void
join_init(struct join *j, size_t p, int64_t max_age)
{
	size_t i;

	j->p = p;
	j->max_age = max_age;
	j->val = xmalloc((p ? p : 1) * sizeof(*j->val));
	j->vt = xmalloc((p ? p : 1) * sizeof(*j->vt));
	j->ws = xmalloc((p ? p : 1) * sizeof(*j->ws));
	for (i = 0; i < p; i++) {
		j->val[i] = NAN;
		j->vt[i] = INT64_MIN;
		j->ws[i] = INT64_MIN;
	}
	j->row = INT64_MIN;
	j->done = INT64_MIN;
}

void
join_free(struct join *j)
{
	free(j->val);
	free(j->vt);
	free(j->ws);
	j->val = NULL;
	j->vt = j->ws = NULL;
	j->p = 0;
}

int
join_late(const struct join *j, int64_t ts)
{
	return j->done != INT64_MIN && ts <= j->done;
}

int
join_due(const struct join *j, int64_t ts)
{
	return j->row != INT64_MIN && ts > j->row;
}

void
join_set(struct join *j, size_t i, int64_t ts, int64_t ws, double v)
{
	if (i >= j->p || isnan(v) || (j->vt[i] != INT64_MIN && ts < j->vt[i]))
		return;
	j->val[i] = v;
	j->vt[i] = ts;
	j->ws[i] = ws;
}

void
join_trigger(struct join *j, int64_t ts)
{
	if (j->row == INT64_MIN || ts > j->row)
		j->row = ts;
}

static int
fresh(const struct join *j, size_t i, int64_t t)
{
	return j->vt[i] != INT64_MIN && j->vt[i] <= t &&
	    t - j->vt[i] <= j->max_age;
}

int
join_complete(const struct join *j)
{
	size_t i;

	if (j->row == INT64_MIN)
		return 0;
	/* a value carried forward could still be replaced by a record of
	 * the same window end */
	for (i = 0; i < j->p; i++)
		if (j->vt[i] != j->row)
			return 0;
	return 1;
}

int
join_emit(struct join *j, double *x, int64_t *t, int64_t *from)
{
	int64_t f;
	size_t i;
	int n = 0;

	if (j->row == INT64_MIN)
		return -1;
	f = j->row;
	for (i = 0; i < j->p; i++) {
		if (!fresh(j, i, j->row)) {
			x[i] = NAN;
			continue;
		}
		x[i] = j->val[i];
		if (j->ws[i] < f)
			f = j->ws[i];
		n++;
	}
	*t = j->row;
	if (from != NULL)
		*from = f;
	j->done = j->row;
	j->row = INT64_MIN;
	return n;
}

void
join_remap(struct join *j, size_t p, const int *map)
{
	struct join n;
	size_t k;

	join_init(&n, p, j->max_age);
	for (k = 0; k < p; k++) {
		if (map[k] < 0 || (size_t)map[k] >= j->p)
			continue;
		n.val[k] = j->val[map[k]];
		n.vt[k] = j->vt[map[k]];
		n.ws[k] = j->ws[map[k]];
	}
	n.row = j->row;
	n.done = j->done;
	join_free(j);
	*j = n;
}

size_t
join_primary(const char *const *features, size_t p, const char **chan)
{
	size_t i, k, len, best = 0, bestn = 0, n;
	const char *c;

	*chan = NULL;
	for (i = 0; i < p; i++) {
		if ((c = strchr(features[i], ':')) == NULL)
			continue;
		len = (size_t)(c - features[i]);
		/* counted already at its first feature */
		for (k = 0; k < i; k++)
			if (strncmp(features[k], features[i], len) == 0 &&
			    features[k][len] == ':')
				break;
		if (k < i)
			continue;
		for (n = 0, k = i; k < p; k++)
			if (strncmp(features[k], features[i], len) == 0 &&
			    features[k][len] == ':')
				n++;
		if (n > bestn) {
			bestn = n;
			best = len;
			*chan = features[i];
		}
	}
	return best;
}
