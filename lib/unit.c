/* unit.c - the unit table and conversions; see unit.h. */
#include <string.h>

#include "unit.h"
#include "banned.h"

/*
 * Factors are the exact definitions (NIST SP 811): 1 in = 25.4 mm,
 * g0 = 9.80665 m/s2, 1 lbf = 4.4482216152605 N, 1 US gal = 3.785411784 L,
 * 1 hp (mechanical) = 745.69987158227022 W.  The canonical unit of each
 * dimension comes first in its group.
 */
static const struct unit units[] = {
	{ "g", UNIT_ACCELERATION, 0, 1, 1, 0 },
	{ "gn", UNIT_ACCELERATION, 0, 1, 1, 0 },
	{ "m/s2", UNIT_ACCELERATION, 0, 1, 9.80665, 0 },
	{ "m/s^2", UNIT_ACCELERATION, 0, 1, 9.80665, 0 },
	{ "m/s\xc2\xb2", UNIT_ACCELERATION, 0, 1, 9.80665, 0 },
	{ "mm/s2", UNIT_ACCELERATION, 0, 1, 9806.65, 0 },

	{ "mm/s", UNIT_VELOCITY, 0, 1, 1, 0 },
	{ "m/s", UNIT_VELOCITY, 0, 1000, 1, 0 },
	{ "in/s", UNIT_VELOCITY, 0, 25.4, 1, 0 },
	{ "ips", UNIT_VELOCITY, 0, 25.4, 1, 0 },

	{ "degC", UNIT_TEMPERATURE, 0, 1, 1, 0 },
	{ "\xc2\xb0" "C", UNIT_TEMPERATURE, 0, 1, 1, 0 },
	{ "degF", UNIT_TEMPERATURE, -32, 5, 9, 0 },
	{ "\xc2\xb0" "F", UNIT_TEMPERATURE, -32, 5, 9, 0 },
	{ "K", UNIT_TEMPERATURE, 0, 1, 1, -273.15 },

	{ "kPa", UNIT_PRESSURE, 0, 1, 1, 0 },
	{ "Pa", UNIT_PRESSURE, 0, 1, 1000, 0 },
	{ "hPa", UNIT_PRESSURE, 0, 1, 10, 0 },
	{ "MPa", UNIT_PRESSURE, 0, 1000, 1, 0 },
	{ "mbar", UNIT_PRESSURE, 0, 1, 10, 0 },
	{ "bar", UNIT_PRESSURE, 0, 100, 1, 0 },
	{ "psi", UNIT_PRESSURE, 0, 4.4482216152605, 0.64516, 0 },

	{ "A", UNIT_CURRENT, 0, 1, 1, 0 },
	{ "mA", UNIT_CURRENT, 0, 1, 1000, 0 },

	{ "rpm", UNIT_SPEED, 0, 1, 1, 0 },
	{ "r/min", UNIT_SPEED, 0, 1, 1, 0 },
	{ "Hz", UNIT_SPEED, 0, 60, 1, 0 },
	{ "rad/s", UNIT_SPEED, 0, 60, 6.283185307179586, 0 },

	{ "m3/h", UNIT_FLOW, 0, 1, 1, 0 },
	{ "m\xc2\xb3/h", UNIT_FLOW, 0, 1, 1, 0 },
	{ "m3/s", UNIT_FLOW, 0, 3600, 1, 0 },
	{ "l/s", UNIT_FLOW, 0, 3.6, 1, 0 },
	{ "L/s", UNIT_FLOW, 0, 3.6, 1, 0 },
	{ "l/min", UNIT_FLOW, 0, 60, 1000, 0 },
	{ "L/min", UNIT_FLOW, 0, 60, 1000, 0 },
	{ "gpm", UNIT_FLOW, 0, 227.12470704, 1000, 0 },

	{ "kW", UNIT_POWER, 0, 1, 1, 0 },
	{ "W", UNIT_POWER, 0, 1, 1000, 0 },
	{ "MW", UNIT_POWER, 0, 1000, 1, 0 },
	{ "hp", UNIT_POWER, 0, 745.69987158227022, 1000, 0 }
};

#define NUNITS (sizeof(units) / sizeof(units[0]))

static const struct {
	const char *family;
	enum unit_dim dim;
	const char *canonical;
} families[] = {
	{ "vibration", UNIT_ACCELERATION, "g" },
	{ "velocity", UNIT_VELOCITY, "mm/s" },
	{ "temperature", UNIT_TEMPERATURE, "degC" },
	{ "pressure", UNIT_PRESSURE, "kPa" },
	{ "current", UNIT_CURRENT, "A" },
	{ "speed", UNIT_SPEED, "rpm" },
	{ "flow", UNIT_FLOW, "m3/h" },
	{ "power", UNIT_POWER, "kW" }
};

#define NFAMILIES (sizeof(families) / sizeof(families[0]))

const struct unit *
unit_lookup(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NUNITS; i++)
		if (strlen(units[i].name) == n &&
		    memcmp(units[i].name, name, n) == 0)
			return &units[i];
	return NULL;
}

const struct unit *
unit_canonical(enum unit_dim dim)
{
	size_t i;

	for (i = 0; i < NFAMILIES; i++)
		if (families[i].dim == dim)
			return unit_lookup(families[i].canonical,
			    strlen(families[i].canonical));
	return NULL;
}

const char *
unit_dim_name(enum unit_dim dim)
{
	static const char *const names[] = {
		"dimensionless", "acceleration", "velocity", "temperature",
		"pressure", "current", "speed", "flow", "power"
	};

	if ((unsigned)dim < sizeof(names) / sizeof(names[0]))
		return names[dim];
	return "unknown";
}

enum unit_dim
unit_channel_dim(const char *channel, size_t n)
{
	const char *dot = memchr(channel, '.', n);
	size_t i, len = dot ? (size_t)(dot - channel) : n;

	for (i = 0; i < NFAMILIES; i++)
		if (strlen(families[i].family) == len &&
		    memcmp(families[i].family, channel, len) == 0)
			return families[i].dim;
	return UNIT_DIM_NONE;
}

double
unit_to_canonical(const struct unit *u, double x)
{
	/* Each step is skipped when it is the identity, so a value in the
	 * canonical unit comes out bit for bit as it went in. */
	if (u->pre != 0)
		x += u->pre;
	if (u->mul != 1)
		x *= u->mul;
	if (u->div != 1)
		x /= u->div;
	if (u->post != 0)
		x += u->post;
	return x;
}

int
unit_check(const char *name, size_t n, enum unit_dim dim,
    const struct unit **up, struct twin_err *err)
{
	const struct unit *u = unit_lookup(name, n);
	const struct unit *c = unit_canonical(dim);

	if (u == NULL)
		return err_set(err, TWIN_ECONFIG, "unknown unit '%.*s'",
		    n > 32 ? 32 : (int)n, name);
	if (u->dim != dim)
		return err_set(err, TWIN_ECONFIG,
		    "unit '%s' is a %s unit, not %s (%s)", u->name,
		    unit_dim_name(u->dim), unit_dim_name(dim),
		    c ? c->name : "?");
	*up = u;
	return 0;
}

size_t
unit_count(void)
{
	return NUNITS;
}

const struct unit *
unit_at(size_t i)
{
	return i < NUNITS ? &units[i] : NULL;
}
