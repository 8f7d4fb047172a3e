/*
 * test-unit.c - lib/unit: the unit table against the exact definitions
 * of NIST SP 811 (appendix B), dimension checks and channel families.
 */
#include <math.h>
#include <string.h>

#include "t.h"
#include "unit.h"
#include "banned.h"

static double
conv(const char *name, double x)
{
	const struct unit *u = unit_lookup(name, strlen(name));

	return u ? unit_to_canonical(u, x) : NAN;
}

/* Equal within a few ulps: the reference figures are exact decimals. */
static int
near(double got, double want)
{
	return fabs(got - want) <= 4e-16 * fabs(want) + 1e-300;
}

int
main(void)
{
	struct twin_err err;
	const struct unit *u;
	size_t i;

	/* Exact conversions print exactly: no 100.00000000000001. */
	T_OK(conv("degF", 212) == 100, "212 degF is 100 degC exactly");
	T_OK(conv("degF", 32) == 0, "32 degF is 0 degC");
	T_OK(conv("degF", -40) == -40, "-40 degF is -40 degC");
	T_OK(conv("\xc2\xb0" "F", 50) == 10, "degree sign F alias");
	T_OK(conv("K", 0) == -273.15, "0 K is -273.15 degC");
	T_OK(conv("K", 373.15) == 100, "373.15 K is 100 degC");
	T_OK(conv("degC", 21.5) == 21.5, "degC is canonical");
	T_OK(conv("in/s", 1) == 25.4, "1 in/s is 25.4 mm/s");
	T_OK(conv("ips", 0.5) == 12.7, "ips alias");
	T_OK(conv("m/s", 0.01) == 10, "0.01 m/s is 10 mm/s");
	T_OK(conv("m/s2", 9.80665) == 1, "g0 = 9.80665 m/s2");
	T_OK(conv("mm/s2", 9806.65) == 1, "g0 in mm/s2");
	T_OK(conv("g", 0.07) == 0.07, "g is canonical");
	/* 1 psi = 4.4482216152605 N / 0.00064516 m2 = 6.894757293168361 kPa */
	T_OK(near(conv("psi", 1), 6.894757293168361), "1 psi in kPa");
	T_OK(fabs(conv("psi", 14.6959487755134) - 101.325) < 1e-12,
	    "1 atm in psi is 101.325 kPa");
	T_OK(conv("bar", 1) == 100, "1 bar is 100 kPa");
	T_OK(conv("mbar", 1013.25) == 101.325, "1013.25 mbar");
	T_OK(conv("Pa", 101325) == 101.325, "101325 Pa");
	T_OK(conv("MPa", 0.5) == 500, "0.5 MPa");
	T_OK(conv("mA", 41250) == 41.25, "41250 mA is 41.25 A");
	T_OK(conv("Hz", 29.7) == 1782, "29.7 Hz is 1782 rpm");
	T_OK(near(conv("rad/s", 1), 9.549296585513721), "1 rad/s in rpm");
	T_OK(near(conv("gpm", 1), 0.22712470704), "1 US gpm in m3/h");
	T_OK(near(conv("l/s", 1), 3.6), "1 l/s is 3.6 m3/h");
	T_OK(near(conv("L/min", 1000), 60), "1000 L/min is 60 m3/h");
	T_OK(conv("m3/s", 1) == 3600, "1 m3/s is 3600 m3/h");
	T_OK(conv("W", 5400) == 5.4, "5400 W is 5.4 kW");
	T_OK(near(conv("hp", 1), 0.74569987158227022), "1 hp in kW");
	T_OK(conv("MW", 1.5) == 1500, "1.5 MW");

	T_OK(unit_lookup("G", 1) == NULL, "unit names are case-sensitive");
	T_OK(unit_lookup("degCx", 4) != NULL, "lookup honours the length");
	T_OK(unit_lookup("furlong", 7) == NULL, "unknown unit");

	T_OK(unit_channel_dim("vibration.de.x", 14) == UNIT_ACCELERATION,
	    "vibration is acceleration");
	T_OK(unit_channel_dim("velocity.de.x", 13) == UNIT_VELOCITY,
	    "velocity family");
	T_OK(unit_channel_dim("flow", 4) == UNIT_FLOW, "flow has no dot");
	T_OK(unit_channel_dim("power", 5) == UNIT_POWER, "power");
	T_OK(unit_channel_dim("vibrationx.y", 12) == UNIT_DIM_NONE,
	    "family must match whole");
	T_OK(unit_channel_dim("humidity.room", 13) == UNIT_DIM_NONE,
	    "unknown family");

	T_OK(unit_check("psi", 3, UNIT_PRESSURE, &u, &err) == 0 &&
	    strcmp(u->name, "psi") == 0, "psi is a pressure unit");
	T_OK(unit_check("psi", 3, UNIT_TEMPERATURE, &u, &err) < 0 &&
	    err.code == TWIN_ECONFIG, "psi is not a temperature unit");
	T_STREQ(err.msg, "unit 'psi' is a pressure unit, not temperature "
	    "(degC)", "dimension message");
	T_OK(unit_check("g", 1, UNIT_VELOCITY, &u, &err) < 0,
	    "g (standard gravity) is not a velocity");
	T_OK(unit_check("lbs", 3, UNIT_POWER, &u, &err) < 0, "unknown unit");
	T_STREQ(err.msg, "unknown unit 'lbs'", "unknown unit message");

	/* Every dimension has its canonical unit, which converts as itself. */
	for (i = 0; i < unit_count(); i++) {
		const struct unit *c;

		u = unit_at(i);
		c = unit_canonical(u->dim);
		if (c == NULL || c->dim != u->dim ||
		    unit_to_canonical(c, 0.1) != 0.1)
			break;
	}
	T_OK(i == unit_count(), "every unit has a canonical unit");
	T_STREQ(unit_canonical(UNIT_TEMPERATURE)->name, "degC", "degC");
	T_STREQ(unit_canonical(UNIT_PRESSURE)->name, "kPa", "kPa");
	T_STREQ(unit_canonical(UNIT_ACCELERATION)->name, "g", "g");
	T_STREQ(unit_canonical(UNIT_FLOW)->name, "m3/h", "m3/h");
	T_STREQ(unit_dim_name(UNIT_SPEED), "speed", "dimension name");
	return T_DONE();
}
