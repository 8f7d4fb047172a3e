/*
 * unit.h - engineering units and their conversion to twin's canonical
 * unit for each channel family (twin-map(5)).
 *
 * A channel's family is its first dot-separated word ("temperature" in
 * "temperature.bearing.de"); each family has one dimension and one
 * canonical unit.  A unit converts to the canonical unit of its dimension
 * as y = (x + pre) * mul / div + post, in that order, so that common
 * conversions stay exact where the decimal figures allow it (212 degF is
 * 100 degC, not 100.00000000000001).
 *
 * The table is static; returned pointers are never freed.
 */
#ifndef TWIN_UNIT_H
#define TWIN_UNIT_H

#include <stddef.h>

#include "err.h"

enum unit_dim {
	UNIT_DIM_NONE = 0,
	UNIT_ACCELERATION,	/* vibration.*: g */
	UNIT_VELOCITY,		/* velocity.*: mm/s */
	UNIT_TEMPERATURE,	/* temperature.*: degC */
	UNIT_PRESSURE,		/* pressure.*: kPa */
	UNIT_CURRENT,		/* current.*: A */
	UNIT_SPEED,		/* speed.*: rpm */
	UNIT_FLOW,		/* flow: m3/h */
	UNIT_POWER		/* power: kW */
};

struct unit {
	const char *name;
	enum unit_dim dim;
	double pre, mul, div, post;
};

/* The unit of that exact (case-sensitive) name or alias, or NULL. */
const struct unit *unit_lookup(const char *name, size_t n);

/* The canonical unit of a dimension, and the dimension's name. */
const struct unit *unit_canonical(enum unit_dim dim);
const char *unit_dim_name(enum unit_dim dim);

/*
 * The dimension of a channel family: the channel's text up to its first
 * dot (or all of it).  UNIT_DIM_NONE for an unknown family.
 */
enum unit_dim unit_channel_dim(const char *channel, size_t n);

/* Convert x in unit u to the canonical unit of u's dimension. */
double unit_to_canonical(const struct unit *u, double x);

/*
 * Check that unit name converts to the canonical unit of dimension dim:
 * TWIN_ECONFIG with "unknown unit 'furlong'" or "unit 'psi' is a
 * pressure unit, not temperature (degC)".  Fills *u on success.
 */
int unit_check(const char *name, size_t n, enum unit_dim dim,
    const struct unit **u, struct twin_err *err);

/* The names of all units of a dimension, for usage and documentation. */
size_t unit_count(void);
const struct unit *unit_at(size_t i);

#endif
