/*
 * sim.h - a plant simulator: deterministic, physically plausible telemetry
 * of the example plant (examples/plant1) as raw records.
 *
 * The plant: centrifugal pumps P-101..P-103, each driven by the motor of
 * the same number (M-101..M-103), and fans F-201, F-202.  Pumps and motors
 * carry an accelerometer on the drive-end bearing (an SKF 6205 deep-groove
 * ball bearing); every block of acceleration is the sum of shaft-rate
 * components (1x, 2x, 3x), broadband noise and a structural resonance
 * (a damped second-order mode) that noise and bearing impacts excite.
 * Scalars (bearing and winding temperature, velocity overall, pressures,
 * flow, speed, current, power) follow a daily load cycle with noise.
 *
 * Faults grow from an onset: severity is 0 before it and then rises
 * exponentially, reaching 1 one growth time after the onset, after which
 * it stays at 1.  Bearing faults add periodic impacts at the defect
 * frequency of the bearing's geometry (with 1.5% random slip between
 * impacts), which ring the resonance; an inner-race fault's impacts are
 * modulated at shaft rate, a ball fault's at the cage rate.  Imbalance
 * grows 1x, misalignment 2x (and 3x), looseness brings harmonics and
 * half-order components, cavitation brings broadband noise and unsteady
 * suction pressure.  Sensor faults corrupt one tag: stuck value, dropout,
 * spikes, or a value in the wrong unit.
 *
 * Everything random comes from the simulator's own generator
 * (xoshiro256** seeded through splitmix64), one stream per asset and
 * purpose, so a seed gives the same bytes on every machine, and the
 * telemetry of an asset does not depend on which other assets run.
 *
 * The spec is a query string (see twin-ingest(1)):
 *   seed=1&start=2026-11-01&duration=30d&assets=P-101,P-103&
 *   fault=P-103:bearing_outer_race@2026-11-10/14d&block=1h&scalar=1m
 */
#ifndef TWIN_SIM_H
#define TWIN_SIM_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Random numbers (exposed for the unit tests). */
struct sim_rng {
	uint64_t s[4];
	double spare;		/* the second normal of a Box-Muller pair */
	int has_spare;
};

uint64_t sim_splitmix64(uint64_t *state);
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
double sim_rng_uniform(struct sim_rng *r);	/* [0, 1) */
double sim_rng_normal(struct sim_rng *r);	/* mean 0, sd 1 */

/* Rolling-element bearing geometry and its defect frequencies. */
struct sim_bearing {
	int n;			/* rolling elements */
	double d;		/* ball diameter, mm */
	double pd;		/* pitch diameter, mm */
	double angle;		/* contact angle, degrees */
};

struct sim_defects {
	double bpfo, bpfi, bsf, ftf;	/* Hz */
};

/* The defect frequencies of bearing b at shaft frequency fr (Hz). */
void sim_bearing_defects(const struct sim_bearing *b, double fr,
    struct sim_defects *out);

/* The drive-end bearing of the example plant (SKF 6205). */
extern const struct sim_bearing sim_skf6205;

struct sim;

/* Parse spec and set up; tenant is copied.  NULL with TWIN_EUSAGE. */
struct sim *sim_open(const char *spec, const char *tenant,
    struct twin_err *err);

/*
 * The next raw record, in time order, into rec (reset first; no newline),
 * with its time in *ts.  1 record, 0 at the end of the duration.
 */
int sim_next(struct sim *s, struct buf *rec, int64_t *ts,
    struct twin_err *err);

/* The source identity records carry: "sim:<seed>". */
const char *sim_src(const struct sim *s);

void sim_close(struct sim *s);

#endif
