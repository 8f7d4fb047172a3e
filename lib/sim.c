/* sim.c - the plant simulator; see sim.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sim.h"
#include "tm.h"
#include "banned.h"

#define SIM_PI 3.14159265358979323846
#define G0 9.80665		/* standard gravity, m/s2 per g */
#define MAX_FAULTS 32

const struct sim_bearing sim_skf6205 = { 9, 7.94, 39.04, 0.0 };

/* ---- random numbers ---- */

uint64_t
sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&seed);
	r->has_spare = 0;
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

double
sim_rng_uniform(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53;
}

double
sim_rng_normal(struct sim_rng *r)
{
	double u, v, m;

	/* Box-Muller, both of the pair used. */
	if (r->has_spare) {
		r->has_spare = 0;
		return r->spare;
	}
	do
		u = sim_rng_uniform(r);
	while (u <= 0);
	v = sim_rng_uniform(r);
	m = sqrt(-2 * log(u));
	r->spare = m * sin(2 * SIM_PI * v);
	r->has_spare = 1;
	return m * cos(2 * SIM_PI * v);
}

/* ---- bearing kinematics ---- */

void
sim_bearing_defects(const struct sim_bearing *b, double fr,
    struct sim_defects *out)
{
	double k = b->d / b->pd * cos(b->angle * SIM_PI / 180);

	out->bpfo = b->n / 2.0 * fr * (1 - k);
	out->bpfi = b->n / 2.0 * fr * (1 + k);
	out->bsf = b->pd / (2 * b->d) * fr * (1 - k * k);
	out->ftf = fr / 2 * (1 - k);
}

/* ---- the plant ---- */

enum sim_class { PUMP, MOTOR, FAN };

enum sim_chan {
	CH_VIB_X, CH_VIB_Y, CH_VEL, CH_BRG_TEMP, CH_P_SUCT, CH_P_DISCH,
	CH_FLOW, CH_SPEED, CH_WDG_TEMP, CH_CURRENT, CH_POWER, CH_N
};

static const char *const chan_names[CH_N] = {
	"vibration.de.x", "vibration.de.y", "velocity.de.x",
	"temperature.bearing.de", "pressure.suction", "pressure.discharge",
	"flow", "speed.shaft", "temperature.winding", "current.motor", "power"
};

/*
 * Units a tag reports in; values are made in the canonical unit (g, mm/s,
 * degC, kPa, m3/h, rpm, A, kW) and converted.
 */
enum sim_unit {
	U_G, U_MS2, U_MMS, U_INS, U_DEGC, U_DEGF, U_K, U_BAR, U_PSI, U_KPA,
	U_LOOP, U_M3H, U_GPM, U_RPM, U_HZ, U_A, U_MA, U_KW, U_W
};

struct sim_tag {
	const char *asset;
	enum sim_chan ch;
	const char *tag;
	enum sim_unit unit;
};

/* The tags of examples/plant1/tagmap.json that the simulator feeds. */
static const struct sim_tag plant_tags[] = {
	{ "P-101", CH_VEL, "Plant1/Line1/Pump01/VEL_DE_X", U_MMS },
	{ "P-101", CH_BRG_TEMP, "Plant1/Line1/Pump01/BRG_TEMP_DE", U_DEGC },
	{ "P-101", CH_P_SUCT, "Plant1/Line1/Pump01/PRESS_SUCT", U_BAR },
	{ "P-101", CH_P_DISCH, "Plant1/Line1/Pump01/PRESS_DISCH", U_BAR },
	{ "P-101", CH_FLOW, "Plant1/Line1/Pump01/FLOW", U_M3H },
	{ "P-101", CH_VIB_X, "Plant1/Line1/Pump01/VIB_DE_X", U_G },
	{ "P-101", CH_VIB_Y, "Plant1/Line1/Pump01/VIB_DE_Y", U_G },
	{ "P-102", CH_VEL, "PLANT1.L2.P102.VEL_DE_X", U_INS },
	{ "P-102", CH_BRG_TEMP, "PLANT1.L2.P102.BRG_TEMP_F", U_DEGF },
	{ "P-102", CH_P_SUCT, "PLANT1.L2.P102.SUCT_PSI", U_PSI },
	{ "P-102", CH_P_DISCH, "PLANT1.L2.P102.DISCH_PSI", U_PSI },
	{ "P-102", CH_FLOW, "PLANT1.L2.P102.FLOW_GPM", U_GPM },
	{ "P-102", CH_VIB_X, "PLANT1.L2.P102.VIB_DE_X", U_MS2 },
	{ "P-102", CH_VIB_Y, "PLANT1.L2.P102.VIB_DE_Y", U_MS2 },
	{ "P-103", CH_VEL, "Plant1/Line3/Pump03/VEL_DE_X", U_MMS },
	{ "P-103", CH_BRG_TEMP, "Plant1/Line3/Pump03/BRG_TEMP_DE", U_DEGC },
	{ "P-103", CH_P_SUCT, "Plant1/Line3/Pump03/PRESS_SUCT", U_BAR },
	{ "P-103", CH_P_DISCH, "Plant1/Line3/Pump03/PRESS_DISCH_LOOP", U_LOOP },
	{ "P-103", CH_FLOW, "Plant1/Line3/Pump03/FLOW", U_M3H },
	{ "P-103", CH_VIB_X, "Plant1/Line3/Pump03/VIB_DE_X", U_G },
	{ "P-103", CH_VIB_Y, "Plant1/Line3/Pump03/VIB_DE_Y", U_G },
	{ "M-101", CH_SPEED, "Plant1/Line1/Motor01/SPEED", U_RPM },
	{ "M-101", CH_WDG_TEMP, "Plant1/Line1/Motor01/WDG_TEMP", U_DEGC },
	{ "M-101", CH_CURRENT, "p1_m101_current_mA", U_MA },
	{ "M-101", CH_POWER, "p1_m101_power_kw", U_KW },
	{ "M-101", CH_VIB_X, "Plant1/Line1/Motor01/VIB_DE_X", U_G },
	{ "M-102", CH_SPEED, "PLANT1.L2.M102.SPEED_HZ", U_HZ },
	{ "M-102", CH_WDG_TEMP, "PLANT1.L2.M102.WDG_TEMP_F", U_DEGF },
	{ "M-102", CH_CURRENT, "p1_m102_current_mA", U_MA },
	{ "M-102", CH_POWER, "p1_m102_power_kw", U_KW },
	{ "M-102", CH_VIB_X, "PLANT1.L2.M102.VIB_DE_X", U_MS2 },
	{ "M-103", CH_SPEED, "Plant1/Line3/Motor03/SPEED", U_RPM },
	{ "M-103", CH_WDG_TEMP, "Plant1/Line3/Motor03/WDG_TEMP", U_DEGC },
	{ "M-103", CH_CURRENT, "p1_m103_current_mA", U_MA },
	{ "M-103", CH_POWER, "p1_m103_power_kw", U_KW },
	{ "M-103", CH_VIB_X, "Plant1/Line3/Motor03/VIB_DE_X", U_G },
	{ "F-201", CH_VEL, "AHU-F201.VibVel", U_MMS },
	{ "F-201", CH_CURRENT, "AHU-F201.MotorAmps", U_A },
	{ "F-201", CH_BRG_TEMP, "AHU-F201.BrgTemp", U_K },
	{ "F-201", CH_SPEED, "AHU-F201.Speed", U_HZ },
	{ "F-201", CH_POWER, "AHU-F201.Power", U_W },
	{ "F-202", CH_VEL, "AHU-F202.VibVel", U_MMS },
	{ "F-202", CH_CURRENT, "AHU-F202.MotorAmps", U_A },
	{ "F-202", CH_BRG_TEMP, "AHU-F202.BrgTemp", U_K },
	{ "F-202", CH_SPEED, "AHU-F202.Speed", U_HZ },
	{ "F-202", CH_POWER, "AHU-F202.Power", U_W },
};
#define NTAGS (sizeof(plant_tags) / sizeof(plant_tags[0]))

static const char *const plant_assets[] = {
	"P-101", "P-102", "P-103", "M-101", "M-102", "M-103", "F-201", "F-202"
};
#define NASSETS (sizeof(plant_assets) / sizeof(plant_assets[0]))

enum sim_fault {
	F_OUTER, F_INNER, F_BALL, F_IMBALANCE, F_MISALIGN, F_LOOSE, F_CAVITATION,
	F_N
};

static const char *const fault_names[F_N] = {
	"bearing_outer_race", "bearing_inner_race", "bearing_ball",
	"imbalance", "misalignment", "looseness", "cavitation"
};

enum sensor_fault { S_STUCK, S_DROPOUT, S_SPIKES, S_UNIT, S_N };

static const char *const sensor_names[S_N] = {
	"stuck", "dropout", "spikes", "unit"
};

struct fault {
	int asset;
	int kind;		/* enum sim_fault */
	int64_t onset;
	int64_t growth;
};

struct sensor {
	int asset;
	enum sim_chan ch;
	int kind;		/* enum sensor_fault */
	int64_t from;
	int64_t until;		/* INT64_MAX: to the end */
};

struct asset {
	const char *name;
	enum sim_class cls;
	int on;
	int pair;		/* motor and pump of one number share load */
	struct sim_rng rload;	/* shared by the pair */
	struct sim_rng rscal;
	struct sim_rng rvib[2];
	struct sim_rng rsens;
	double wander;		/* slow load noise */
	double temp;		/* bearing temperature, lagged */
	double wtemp;		/* winding temperature, lagged */
	double stuck[CH_N];	/* last value before a stuck fault */
	int have_stuck[CH_N];
	/* this tick */
	double load, rpm, sev[F_N];
};

struct sim {
	char *tenant;
	char src[32];
	uint64_t seed;
	int64_t start, end, t;
	int64_t tick, scalar, block, blocklen;
	double rate_hz;
	int f32;
	int axes;
	double sync_rpm;
	struct asset a[NASSETS];
	struct fault faults[MAX_FAULTS];
	int nfaults;
	struct sensor sensors[MAX_FAULTS];
	int nsensors;
	/* position in the tick: asset, then tag */
	size_t ia, itag;
	int started;
	long long seq;
	float *wave;
	size_t nwave;
};

static uint64_t
hash_name(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static int
find_asset(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < NASSETS; i++)
		if (strlen(plant_assets[i]) == n &&
		    memcmp(plant_assets[i], name, n) == 0)
			return (int)i;
	return -1;
}

/* A time in the spec: RFC 3339, a date, or +duration after start. */
static int
spec_time(const char *s, int64_t start, int64_t *out, struct twin_err *err)
{
	char tmp[40];
	int64_t d;

	if (s[0] == '+') {
		if (tm_parse_duration(s + 1, &d, err) < 0)
			return -1;
		*out = start + d;
		return 0;
	}
	if (strlen(s) == 10) {
		snprintf(tmp, sizeof(tmp), "%sT00:00:00Z", s);
		s = tmp;
	}
	return tm_parse(s, strlen(s), out, err);
}

/* "ASSET:KIND@ONSET[/GROWTH]" */
static int
parse_fault(struct sim *s, char *v, struct twin_err *err)
{
	char *colon, *at, *slash;
	struct fault *f;
	int k;

	if (s->nfaults >= MAX_FAULTS)
		return err_set(err, TWIN_EUSAGE, "sim: too many faults");
	f = &s->faults[s->nfaults];
	colon = strchr(v, ':');
	at = colon ? strchr(colon, '@') : NULL;
	if (colon == NULL || at == NULL)
		return err_set(err, TWIN_EUSAGE,
		    "sim: bad fault '%s' (want ASSET:KIND@ONSET[/GROWTH])", v);
	if ((f->asset = find_asset(v, (size_t)(colon - v))) < 0)
		return err_set(err, TWIN_EUSAGE, "sim: unknown asset '%.*s'",
		    (int)(colon - v), v);
	*at = '\0';
	f->kind = -1;
	for (k = 0; k < F_N; k++)
		if (strcmp(colon + 1, fault_names[k]) == 0)
			f->kind = k;
	if (f->kind < 0)
		return err_set(err, TWIN_EUSAGE, "sim: unknown fault kind "
		    "'%s'", colon + 1);
	f->growth = 14 * 86400 * TM_NS_PER_S;
	if ((slash = strchr(at + 1, '/')) != NULL) {
		*slash = '\0';
		if (tm_parse_duration(slash + 1, &f->growth, err) < 0 ||
		    f->growth <= 0)
			return err_set(err, TWIN_EUSAGE,
			    "sim: bad growth time '%s'", slash + 1);
	}
	if (spec_time(at + 1, s->start, &f->onset, err) < 0)
		return err_set(err, TWIN_EUSAGE, "sim: bad onset '%s'", at + 1);
	s->nfaults++;
	return 0;
}

/* "ASSET:CHANNEL:KIND@FROM[/DURATION]" */
static int
parse_sensor(struct sim *s, char *v, struct twin_err *err)
{
	char *c1, *c2, *at, *slash;
	struct sensor *f;
	int k;
	int64_t d;

	if (s->nsensors >= MAX_FAULTS)
		return err_set(err, TWIN_EUSAGE, "sim: too many sensor faults");
	f = &s->sensors[s->nsensors];
	c1 = strchr(v, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	at = c2 ? strchr(c2, '@') : NULL;
	if (at == NULL)
		return err_set(err, TWIN_EUSAGE, "sim: bad sensor fault '%s' "
		    "(want ASSET:CHANNEL:KIND@FROM[/DURATION])", v);
	if ((f->asset = find_asset(v, (size_t)(c1 - v))) < 0)
		return err_set(err, TWIN_EUSAGE, "sim: unknown asset '%.*s'",
		    (int)(c1 - v), v);
	*c2 = '\0';
	*at = '\0';
	f->ch = CH_N;
	for (k = 0; k < CH_N; k++)
		if (strcmp(c1 + 1, chan_names[k]) == 0)
			f->ch = (enum sim_chan)k;
	if (f->ch == CH_N)
		return err_set(err, TWIN_EUSAGE, "sim: unknown channel '%s'",
		    c1 + 1);
	f->kind = -1;
	for (k = 0; k < S_N; k++)
		if (strcmp(c2 + 1, sensor_names[k]) == 0)
			f->kind = k;
	if (f->kind < 0)
		return err_set(err, TWIN_EUSAGE, "sim: unknown sensor fault "
		    "'%s' (want stuck, dropout, spikes or unit)", c2 + 1);
	f->until = INT64_MAX;
	if ((slash = strchr(at + 1, '/')) != NULL) {
		*slash = '\0';
		if (tm_parse_duration(slash + 1, &d, err) < 0 || d <= 0)
			return err_set(err, TWIN_EUSAGE,
			    "sim: bad sensor fault duration '%s'", slash + 1);
	} else
		d = -1;
	if (spec_time(at + 1, s->start, &f->from, err) < 0)
		return err_set(err, TWIN_EUSAGE, "sim: bad time '%s'", at + 1);
	if (d > 0)
		f->until = f->from + d;
	s->nsensors++;
	return 0;
}

static int
parse_dur_opt(const char *key, const char *v, int64_t *out,
    struct twin_err *err)
{
	if (strcmp(v, "off") == 0) {
		*out = 0;
		return 0;
	}
	if (tm_parse_duration(v, out, err) < 0 || *out <= 0)
		return err_set(err, TWIN_EUSAGE, "sim: bad %s '%s'", key, v);
	return 0;
}

static int
parse_assets(struct sim *s, char *v, struct twin_err *err)
{
	char *p = v, *comma;
	size_t i;
	int k;

	for (i = 0; i < NASSETS; i++)
		s->a[i].on = 0;
	for (;;) {
		comma = strchr(p, ',');
		if ((k = find_asset(p, comma ? (size_t)(comma - p) :
		    strlen(p))) < 0)
			return err_set(err, TWIN_EUSAGE,
			    "sim: unknown asset '%.*s' (the plant has P-101.."
			    "P-103, M-101..M-103, F-201, F-202)",
			    comma ? (int)(comma - p) : (int)strlen(p), p);
		s->a[k].on = 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return 0;
}

static int
parse_spec(struct sim *s, char *spec, struct twin_err *err)
{
	char *p, *amp, *eq, *v;
	char *end;
	int64_t d;
	double x;
	int dur_set = 0;

	/* start first: onsets may be relative to it. */
	for (p = spec; p != NULL && *p; p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		if (strncmp(p, "start=", 6) == 0) {
			char tmp[64];
			size_t n = amp ? (size_t)(amp - p - 6) : strlen(p + 6);

			snprintf(tmp, sizeof(tmp), "%.*s", (int)n, p + 6);
			if (spec_time(tmp, 0, &s->start, err) < 0)
				return err_set(err, TWIN_EUSAGE,
				    "sim: bad start '%s'", tmp);
		}
	}
	for (p = spec; p != NULL && *p; p = amp ? amp + 1 : NULL) {
		if ((amp = strchr(p, '&')) != NULL)
			*amp = '\0';
		if (*p == '\0')
			continue;
		if ((eq = strchr(p, '=')) == NULL)
			return err_set(err, TWIN_EUSAGE,
			    "sim: bad option '%s' (want key=value)", p);
		*eq = '\0';
		v = eq + 1;
		if (strcmp(p, "seed") == 0) {
			if (*v == '\0' || *v == '-')
				goto badnum;
			s->seed = strtoull(v, &end, 10);
			if (*end != '\0')
				goto badnum;
		} else if (strcmp(p, "start") == 0) {
			/* done above */
		} else if (strcmp(p, "duration") == 0) {
			if (tm_parse_duration(v, &d, err) < 0 || d <= 0)
				return err_set(err, TWIN_EUSAGE,
				    "sim: bad duration '%s'", v);
			s->end = d;
			dur_set = 1;
		} else if (strcmp(p, "end") == 0) {
			if (spec_time(v, s->start, &d, err) < 0 ||
			    d <= s->start)
				return err_set(err, TWIN_EUSAGE,
				    "sim: bad end '%s'", v);
			s->end = d - s->start;
			dur_set = 1;
		} else if (strcmp(p, "assets") == 0) {
			if (parse_assets(s, v, err) < 0)
				return -1;
		} else if (strcmp(p, "fault") == 0) {
			if (parse_fault(s, v, err) < 0)
				return -1;
		} else if (strcmp(p, "sensor") == 0) {
			if (parse_sensor(s, v, err) < 0)
				return -1;
		} else if (strcmp(p, "scalar") == 0) {
			if (parse_dur_opt(p, v, &s->scalar, err) < 0)
				return -1;
		} else if (strcmp(p, "block") == 0) {
			if (parse_dur_opt(p, v, &s->block, err) < 0)
				return -1;
		} else if (strcmp(p, "blocklen") == 0) {
			if (tm_parse_duration(v, &s->blocklen, err) < 0 ||
			    s->blocklen < TM_NS_PER_S / 100 ||
			    s->blocklen > 60 * TM_NS_PER_S)
				return err_set(err, TWIN_EUSAGE,
				    "sim: bad blocklen '%s' (10ms to 60s)", v);
		} else if (strcmp(p, "rate") == 0) {
			x = strtod(v, &end);
			if (end == v || *end != '\0' || !(x >= 1000 &&
			    x <= 200000) || x != floor(x))
				return err_set(err, TWIN_EUSAGE, "sim: bad "
				    "rate '%s' (1000 to 200000 Hz)", v);
			s->rate_hz = x;
		} else if (strcmp(p, "rpm") == 0) {
			x = strtod(v, &end);
			if (end == v || *end != '\0' || !(x >= 300 &&
			    x <= 7200))
				return err_set(err, TWIN_EUSAGE, "sim: bad "
				    "rpm '%s' (300 to 7200)", v);
			s->sync_rpm = x;
		} else if (strcmp(p, "enc") == 0) {
			if (strcmp(v, "f32le") == 0)
				s->f32 = 1;
			else if (strcmp(v, "json") == 0)
				s->f32 = 0;
			else
				return err_set(err, TWIN_EUSAGE, "sim: bad enc "
				    "'%s' (want json or f32le)", v);
		} else if (strcmp(p, "axes") == 0) {
			if (strcmp(v, "x") == 0)
				s->axes = 1;
			else if (strcmp(v, "xy") == 0)
				s->axes = 2;
			else
				return err_set(err, TWIN_EUSAGE, "sim: bad axes "
				    "'%s' (want x or xy)", v);
		} else
			return err_set(err, TWIN_EUSAGE,
			    "sim: unknown option '%s'", p);
		continue;
badnum:
		return err_set(err, TWIN_EUSAGE, "sim: bad %s '%s'", p, v);
	}
	if (!dur_set)
		s->end = 86400 * TM_NS_PER_S;
	s->end += s->start;
	if (s->scalar == 0 && s->block == 0)
		return err_set(err, TWIN_EUSAGE,
		    "sim: scalar and block are both off");
	if (s->scalar != 0 && s->block != 0 && s->block % s->scalar != 0)
		return err_set(err, TWIN_EUSAGE,
		    "sim: block is not a multiple of scalar");
	if (s->block != 0 && s->blocklen > s->block)
		return err_set(err, TWIN_EUSAGE,
		    "sim: blocklen is longer than block");
	return 0;
}

struct sim *
sim_open(const char *spec, const char *tenant, struct twin_err *err)
{
	struct sim *s = xcalloc(1, sizeof(*s));
	char *copy;
	size_t i;
	uint64_t h;

	s->seed = 1;
	s->start = 1793491200LL * TM_NS_PER_S;	/* 2026-11-01T00:00:00Z */
	s->scalar = 60 * TM_NS_PER_S;
	s->block = 3600 * TM_NS_PER_S;
	s->blocklen = TM_NS_PER_S;
	s->rate_hz = 12800;
	s->axes = 1;
	s->sync_rpm = 1800;
	for (i = 0; i < NASSETS; i++) {
		s->a[i].name = plant_assets[i];
		s->a[i].cls = plant_assets[i][0] == 'P' ? PUMP :
		    plant_assets[i][0] == 'M' ? MOTOR : FAN;
		s->a[i].pair = plant_assets[i][4] - '0' +
		    (s->a[i].cls == FAN ? 10 : 0);
		s->a[i].on = 1;
	}
	if (spec[0] == '?')
		spec++;
	copy = xstrdup(spec);
	if (parse_spec(s, copy, err) < 0) {
		free(copy);
		sim_close(s);
		return NULL;
	}
	free(copy);
	s->tenant = xstrdup(tenant);
	snprintf(s->src, sizeof(s->src), "sim:%llu",
	    (unsigned long long)s->seed);
	s->tick = s->scalar ? s->scalar : s->block;
	s->t = s->start;
	for (i = 0; i < NASSETS; i++) {
		struct asset *a = &s->a[i];
		char pair[16];

		h = hash_name(a->name) ^ s->seed * 0x9e3779b97f4a7c15ULL;
		sim_rng_seed(&a->rscal, h ^ 1);
		sim_rng_seed(&a->rvib[0], h ^ 2);
		sim_rng_seed(&a->rvib[1], h ^ 3);
		sim_rng_seed(&a->rsens, h ^ 4);
		snprintf(pair, sizeof(pair), "load-%d", a->pair);
		sim_rng_seed(&a->rload, hash_name(pair) ^
		    s->seed * 0x9e3779b97f4a7c15ULL);
	}
	s->nwave = (size_t)llround(s->rate_hz * (double)s->blocklen / 1e9);
	s->wave = xmalloc(s->nwave * sizeof(*s->wave));
	return s;
}

const char *
sim_src(const struct sim *s)
{
	return s->src;
}

void
sim_close(struct sim *s)
{
	if (s == NULL)
		return;
	free(s->tenant);
	free(s->wave);
	free(s);
}

/* ---- physics ---- */

static double
severity(const struct fault *f, int64_t t)
{
	double x;

	if (t < f->onset)
		return 0;
	/* 1/50 at onset, 1 one growth time later, then it stays. */
	x = (double)(t - f->onset) / (double)f->growth;
	if (x >= 1)
		return 1;
	return exp(log(50.0) * (x - 1));
}

/* Daily cycle: fraction of the day since midnight UTC. */
static double
day_phase(int64_t t)
{
	int64_t s = t / TM_NS_PER_S % 86400;

	if (s < 0)
		s += 86400;
	return (double)s / 86400;
}

static double
ambient(int64_t t)
{
	/* warmest at 15:00 */
	return 22 + 4 * cos(2 * SIM_PI * (day_phase(t) - 15.0 / 24));
}

/* Advance an asset's state to time t (once per tick). */
static void
asset_tick(struct sim *s, struct asset *a, int64_t t)
{
	double dt = (double)s->tick / 1e9, base, rho, target, alpha;
	int k;

	for (k = 0; k < F_N; k++)
		a->sev[k] = 0;
	for (k = 0; k < s->nfaults; k++)
		if (&s->a[s->faults[k].asset] == a) {
			double v = severity(&s->faults[k], t);

			if (v > a->sev[s->faults[k].kind])
				a->sev[s->faults[k].kind] = v;
		}
	/* Load: a daily cycle plus slow noise shared by a motor and pump. */
	rho = exp(-dt / (6 * 3600));
	a->wander = a->wander * rho + 0.04 * sqrt(1 - rho * rho) *
	    sim_rng_normal(&a->rload);
	if (a->cls == FAN)
		base = 0.65 + 0.25 * sin(2 * SIM_PI * (day_phase(t) - 0.3));
	else
		base = 0.8 + 0.1 * sin(2 * SIM_PI * (day_phase(t) - 8.0 / 24));
	a->load = base + a->wander;
	if (a->load < 0.3)
		a->load = 0.3;
	if (a->load > 1.1)
		a->load = 1.1;
	/* An induction motor slips more under load. */
	a->rpm = (a->cls == FAN ? s->sync_rpm * 0.655 : s->sync_rpm) *
	    (1 - 0.013 * a->load) + 0.3 * sim_rng_normal(&a->rscal);
	target = ambient(t) + 25 * a->load + 18 * (a->sev[F_OUTER] *
	    a->sev[F_OUTER] + a->sev[F_INNER] * a->sev[F_INNER] +
	    a->sev[F_BALL] * a->sev[F_BALL]) + 6 * a->sev[F_MISALIGN];
	alpha = 1 - exp(-dt / 1800);
	if (!s->started)
		a->temp = target;
	else
		a->temp += (target - a->temp) * alpha;
	target = ambient(t) + 50 * a->load * a->load;
	alpha = 1 - exp(-dt / 2700);
	if (!s->started)
		a->wtemp = target;
	else
		a->wtemp += (target - a->wtemp) * alpha;
}

/* Shaft-rate amplitudes (g, peak) of orders 1..3. */
static void
orders(const struct asset *a, double amp[4])
{
	amp[1] = 0.03 * (0.8 + 0.25 * a->load) *
	    (1 + 5 * a->sev[F_IMBALANCE]) + 0.01 * a->sev[F_LOOSE];
	amp[2] = 0.012 * (1 + 6 * a->sev[F_MISALIGN]) +
	    0.008 * a->sev[F_LOOSE];
	amp[3] = 0.005 * (1 + 4 * a->sev[F_MISALIGN]) +
	    0.006 * a->sev[F_LOOSE];
}

/* Overall velocity, mm/s RMS, in the 10-1000 Hz band. */
static double
velocity(const struct asset *a)
{
	double amp[4], fr = a->rpm / 60, v2, vk;
	int k;

	orders(a, amp);
	/* broadband floor, and what bearing faults and cavitation add */
	v2 = 0.8 * 0.8 * (1 + 3 * a->sev[F_CAVITATION]) +
	    0.4 * (a->sev[F_OUTER] + a->sev[F_INNER] + a->sev[F_BALL]) +
	    1.5 * a->sev[F_LOOSE];
	for (k = 1; k <= 3; k++) {
		vk = amp[k] * G0 / (2 * SIM_PI * k * fr) * 1000 / sqrt(2);
		v2 += vk * vk;
	}
	if (a->cls == FAN)
		v2 *= 1.6;
	return sqrt(v2);
}

/* The canonical value of a scalar channel now. */
static double
scalar_value(struct sim *s, struct asset *a, enum sim_chan ch)
{
	struct sim_rng *r = &a->rscal;
	double n = sim_rng_normal(r), sp = a->rpm / (s->sync_rpm * 0.987);
	double flow;

	switch (ch) {
	case CH_VEL:
		return velocity(a) * (1 + 0.04 * n);
	case CH_BRG_TEMP:
		return a->temp + 0.2 * n;
	case CH_P_SUCT:
		return 150 - 90 * a->sev[F_CAVITATION] +
		    (2 + 15 * a->sev[F_CAVITATION]) * n;
	case CH_P_DISCH:
		flow = a->load / 0.8;
		return 450 * sp * sp - 60 * flow * flow -
		    40 * a->sev[F_CAVITATION] + 3 * n;
	case CH_FLOW:
		return 90 * a->load / 0.8 * sp *
		    (1 - 0.1 * a->sev[F_CAVITATION]) + 0.8 * n;
	case CH_SPEED:
		return a->rpm;
	case CH_WDG_TEMP:
		return a->wtemp + 0.3 * n;
	case CH_CURRENT:
		if (a->cls == FAN)
			return 8 + 20 * a->load + 0.2 * n;
		return 12 + 48 * a->load + 0.4 * n;
	case CH_POWER:
		if (a->cls == FAN)
			return 9 * a->load * (1 + 0.01 * n);
		return 30 * a->load / 0.92 * (1 + 0.01 * n);
	default:
		return 0;
	}
}

static double
convert(enum sim_unit u, double v)
{
	switch (u) {
	case U_MS2:
		return v * G0;
	case U_INS:
		return v / 25.4;
	case U_DEGF:
		return v * 1.8 + 32;
	case U_K:
		return v + 273.15;
	case U_BAR:
		return v / 100;
	case U_PSI:
		return v / 6.894757293168361;
	case U_LOOP:
		return (v + 250) / 62.5;	/* 4-20 mA over 0-1000 kPa */
	case U_GPM:
		return v * 4.402867539;
	case U_HZ:
		return v / 60;
	case U_MA:
		return v * 1000;
	case U_W:
		return v * 1000;
	default:
		return v;
	}
}

/* The value a tag in the wrong unit shows: its neighbour's. */
static double
wrong_unit(enum sim_unit u, double v)
{
	switch (u) {
	case U_DEGC:
		return v * 1.8 + 32;
	case U_DEGF:
		return (v - 32) / 1.8;
	case U_K:
		return v - 273.15;
	case U_BAR:
		return v * 14.5037738;
	case U_PSI:
		return v / 14.5037738;
	case U_G:
		return v * G0;
	case U_MS2:
		return v / G0;
	case U_MMS:
		return v / 25.4;
	case U_INS:
		return v * 25.4;
	case U_RPM:
		return v / 60;
	case U_HZ:
		return v * 60;
	default:
		return v * 1000;
	}
}

static const double pow10[] = { 1, 10, 100, 1000, 10000 };

/*
 * Round to dec decimals.  Dividing by an exact power of ten gives the
 * double nearest the decimal, which prints as that decimal.
 */
static double
round_dec(double v, int dec)
{
	return round(v * pow10[dec]) / pow10[dec];
}

/* Decimals a tag's values are reported with. */
static int
resolution(enum sim_unit u)
{
	switch (u) {
	case U_G:
	case U_INS:
	case U_BAR:
	case U_LOOP:
		return 4;
	case U_MS2:
		return 3;
	case U_MA:
	case U_W:
		return 0;
	default:
		return 2;
	}
}

static const struct sensor *
sensor_fault(const struct sim *s, const struct asset *a, enum sim_chan ch,
    int64_t t)
{
	int k;

	for (k = 0; k < s->nsensors; k++) {
		const struct sensor *f = &s->sensors[k];

		if (&s->a[f->asset] == a && f->ch == ch && t >= f->from &&
		    t < f->until)
			return f;
	}
	return NULL;
}

/*
 * A damped second-order mode driven by x: the recursion's impulse
 * response is r^n sin((n+1)w)/sin(w); the input is scaled by sin(w) so
 * that an impulse of height A rings with a first peak of about A.
 */
struct mode {
	double a1, a2, g, y1, y2;
};

static void
mode_init(struct mode *m, double fn, double zeta, double fs)
{
	double wn = 2 * SIM_PI * fn, r = exp(-zeta * wn / fs);
	double wd = wn * sqrt(1 - zeta * zeta) / fs;

	m->a1 = 2 * r * cos(wd);
	m->a2 = -r * r;
	m->g = sin(wd);
	m->y1 = m->y2 = 0;
}

static double
mode_step(struct mode *m, double x)
{
	double y = m->a1 * m->y1 + m->a2 * m->y2 + m->g * x;

	m->y2 = m->y1;
	m->y1 = y;
	return y;
}

/* One block of acceleration (g) for axis ax into s->wave. */
static void
make_block(struct sim *s, struct asset *a, int ax, int64_t t)
{
	struct sim_rng *r = &a->rvib[ax];
	struct sim_defects df;
	struct mode m;
	double fs = s->rate_hz, fr = a->rpm / 60, amp[4], ph[4], sub_ph;
	double wn, impact = 0, next_imp[3], per[3], sev[3], mod_ph;
	double bear, fault_scale, loose = a->sev[F_LOOSE];
	double pc[9], ps[9], rc[9], rs[9], pa[9];
	int nph;
	size_t i, n = s->nwave, warm = (size_t)(fs * 0.02);
	int k, kinds[3] = { F_OUTER, F_INNER, F_BALL };

	(void)t;
	sim_bearing_defects(&sim_skf6205, fr, &df);
	orders(a, amp);
	for (k = 1; k <= 3; k++)
		ph[k] = 2 * SIM_PI * sim_rng_uniform(r);
	sub_ph = 2 * SIM_PI * sim_rng_uniform(r);
	mod_ph = 2 * SIM_PI * sim_rng_uniform(r);
	/* The y axis sees the rotor a quarter turn later and less 2x. */
	if (ax == 1) {
		for (k = 1; k <= 3; k++)
			ph[k] = ph[1] * k + SIM_PI / 2;
		amp[2] *= 0.7;
	}
	mode_init(&m, a->cls == MOTOR ? 2800 : 3400, 0.03, fs);
	wn = 0.05 * (1 + 0.5 * (a->sev[F_OUTER] + a->sev[F_INNER] +
	    a->sev[F_BALL])) * (1 + 4 * a->sev[F_CAVITATION]);
	/* Impact periods: outer race, inner race, ball (both races). */
	per[0] = 1 / df.bpfo;
	per[1] = 1 / df.bpfi;
	per[2] = 1 / (2 * df.bsf);
	fault_scale = ax == 1 ? 0.6 : 1;
	for (k = 0; k < 3; k++) {
		sev[k] = a->sev[kinds[k]] * 2.2 * fault_scale;
		next_imp[k] = per[k] * sim_rng_uniform(r) - (double)warm / fs;
	}
	/*
	 * Sinusoids by rotating phasors (c + i s) one sample at a time:
	 * orders 1-3, and with looseness orders 4-8 and the half order.
	 */
	nph = loose > 0 ? 9 : 3;
	for (k = 0; k < nph; k++) {
		double ord = k < 8 ? k + 1 : 0.5;
		double p0 = k < 3 ? ph[k + 1] : k < 8 ? ph[1] * (k + 1) : sub_ph;
		double w = 2 * SIM_PI * ord * fr / fs;

		pc[k] = cos(p0);
		ps[k] = sin(p0);
		rc[k] = cos(w);
		rs[k] = sin(w);
		pa[k] = k < 3 ? amp[k + 1] : k < 8 ? 0.012 * loose / (k + 1) :
		    0.01 * loose;
	}
	/* Warm the mode up so the block starts in its steady state. */
	for (i = 0; i < n + warm; i++) {
		double tt = ((double)i - (double)warm) / fs, x, y;

		x = 0.03 * sim_rng_normal(r) * (1 + 4 * a->sev[F_CAVITATION]);
		for (k = 0; k < 3; k++) {
			if (sev[k] <= 0 || tt < next_imp[k])
				continue;
			impact = sev[k] * (1 + 0.1 * sim_rng_normal(r));
			if (k == 1)	/* inner race: load zone at shaft rate */
				impact *= 0.7 + 0.3 * cos(2 * SIM_PI * fr *
				    tt + mod_ph);
			else if (k == 2) /* ball: cage rate, races alternate */
				impact *= (0.6 + 0.4 * cos(2 * SIM_PI *
				    df.ftf * tt + mod_ph)) *
				    (fmod(next_imp[k] / per[k], 2) < 1 ?
				    1 : 0.5);
			x += impact;
			/* 1.5% slip between one impact and the next */
			next_imp[k] += per[k] * (1 + 0.015 *
			    sim_rng_normal(r));
		}
		y = mode_step(&m, x);
		if (i < warm)
			continue;
		bear = y;
		for (k = 0; k < nph; k++) {
			double c = pc[k];

			bear += pa[k] * ps[k];
			pc[k] = c * rc[k] - ps[k] * rs[k];
			ps[k] = ps[k] * rc[k] + c * rs[k];
		}
		bear += wn * 0.2 * sim_rng_normal(r);
		s->wave[i - warm] = (float)bear;
	}
}

/*
 * Append k / 10^dec as fmt_double() would print that value: the
 * shortest decimal, at least one digit after the point.
 */
static void
put_fixed(struct buf *b, long long k, int dec)
{
	char tmp[32], *p = tmp + sizeof(tmp);
	unsigned long long u = k < 0 ? (unsigned long long)-k :
	    (unsigned long long)k;
	int i, any = 0;

	if (u == 0) {
		buf_add(b, "0.0", 3);
		return;
	}
	for (i = 0; i < dec; i++) {
		int dgt = (int)(u % 10);

		u /= 10;
		if (dgt != 0 || any) {
			*--p = (char)('0' + dgt);
			any = 1;
		}
	}
	if (!any)
		*--p = '0';
	*--p = '.';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (k < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static void
head(struct sim *s, struct buf *b, int64_t t, const char *tag)
{
	char ts[TM_BUFSZ];
	int n = tm_format(t, ts);

	buf_reset(b);
	buf_add(b, "{\"kind\":\"raw\",\"ts\":\"", 20);
	buf_add(b, ts, (size_t)n);
	buf_add(b, "\",\"tenant\":", 11);
	buf_jstr(b, s->tenant, strlen(s->tenant));
	buf_add(b, ",\"src\":\"", 8);
	buf_adds(b, s->src);
	buf_add(b, "\",\"seq\":", 8);
	buf_jint(b, ++s->seq);
	buf_add(b, ",\"tag\":", 7);
	buf_jstr(b, tag, strlen(tag));
	buf_add(b, ",\"v\":", 5);
}

/* Emit one tag's record; 0 when a dropout suppresses it. */
static int
emit_tag(struct sim *s, struct asset *a, const struct sim_tag *tg,
    int64_t t, struct buf *b)
{
	const struct sensor *sf = sensor_fault(s, a, tg->ch, t);
	int q = resolution(tg->unit);
	double v;
	size_t i;
	int ax;

	if (tg->ch == CH_VIB_X || tg->ch == CH_VIB_Y) {
		ax = tg->ch == CH_VIB_Y;
		make_block(s, a, ax, t);
		if (sf != NULL && sf->kind == S_DROPOUT)
			return 0;
		for (i = 0; i < s->nwave; i++) {
			v = convert(tg->unit, s->wave[i]);
			if (sf != NULL && sf->kind == S_UNIT)
				v = wrong_unit(tg->unit, v);
			else if (sf != NULL && sf->kind == S_STUCK)
				v = 0;
			else if (sf != NULL && sf->kind == S_SPIKES &&
			    sim_rng_uniform(&a->rsens) < 2e-4)
				v = (sim_rng_uniform(&a->rsens) < 0.5 ?
				    -1 : 1) * convert(tg->unit, 40);
			s->wave[i] = (float)round_dec(v, q);
		}
		head(s, b, t, tg->tag);
		if (s->f32) {
			unsigned char *le = xmalloc(s->nwave * 4);

			for (i = 0; i < s->nwave; i++) {
				uint32_t u;

				memcpy(&u, &s->wave[i], 4);
				le[4 * i] = (unsigned char)u;
				le[4 * i + 1] = (unsigned char)(u >> 8);
				le[4 * i + 2] = (unsigned char)(u >> 16);
				le[4 * i + 3] = (unsigned char)(u >> 24);
			}
			buf_addc(b, '"');
			buf_b64enc(b, le, s->nwave * 4);
			buf_addc(b, '"');
			free(le);
		} else {
			buf_addc(b, '[');
			for (i = 0; i < s->nwave; i++) {
				if (i > 0)
					buf_addc(b, ',');
				put_fixed(b, llround((double)s->wave[i] *
				    pow10[q]), q);
			}
			buf_addc(b, ']');
		}
		buf_add(b, ",\"rate_hz\":", 11);
		buf_jint(b, (long long)s->rate_hz);
		if (s->f32)
			buf_adds(b, ",\"enc\":\"f32le\"");
		buf_addc(b, '}');
		return 1;
	}
	v = convert(tg->unit, scalar_value(s, a, tg->ch));
	if (sf != NULL) {
		switch (sf->kind) {
		case S_DROPOUT:
			return 0;
		case S_STUCK:
			if (a->have_stuck[tg->ch])
				v = a->stuck[tg->ch];
			break;
		case S_SPIKES:
			if (sim_rng_uniform(&a->rsens) < 0.05)
				v *= 1 + 4 * sim_rng_uniform(&a->rsens);
			break;
		case S_UNIT:
			v = wrong_unit(tg->unit, v);
			break;
		}
	}
	v = round_dec(v, q);
	if (v == 0)
		v = 0;	/* no -0.0 */
	if (sf == NULL || sf->kind != S_STUCK) {
		a->stuck[tg->ch] = v;
		a->have_stuck[tg->ch] = 1;
	}
	head(s, b, t, tg->tag);
	if (buf_jnum(b, v) < 0)
		buf_add(b, "0.0", 3);
	buf_addc(b, '}');
	return 1;
}

int
sim_next(struct sim *s, struct buf *rec, int64_t *ts, struct twin_err *err)
{
	const struct sim_tag *tg;
	struct asset *a;
	int blocks, block_tag, scal;

	(void)err;
	for (;;) {
		if (s->t >= s->end)
			return 0;
		if (s->ia >= NASSETS) {
			s->ia = 0;
			s->itag = 0;
			s->t += s->tick;
			s->started = 1;
			continue;
		}
		a = &s->a[s->ia];
		if (!a->on) {
			s->ia++;
			continue;
		}
		/* The first tag of an asset in a tick moves its state on. */
		if (s->itag == 0) {
			asset_tick(s, a, s->t);
			/* find this asset's first tag */
			while (s->itag < NTAGS &&
			    strcmp(plant_tags[s->itag].asset, a->name) != 0)
				s->itag++;
		}
		if (s->itag >= NTAGS ||
		    strcmp(plant_tags[s->itag].asset, a->name) != 0) {
			s->ia++;
			s->itag = 0;
			continue;
		}
		tg = &plant_tags[s->itag++];
		blocks = s->block != 0 && (s->t - s->start) % s->block == 0;
		block_tag = tg->ch == CH_VIB_X || tg->ch == CH_VIB_Y;
		scal = s->scalar != 0;
		if (block_tag && (!blocks || (tg->ch == CH_VIB_Y &&
		    s->axes < 2)))
			continue;
		if (!block_tag && !scal)
			continue;
		if (emit_tag(s, a, tg, s->t, rec)) {
			*ts = s->t;
			return 1;
		}
	}
}
