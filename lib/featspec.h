/*
 * featspec.h - the feature specification file of twin-feature(5).
 *
 * A spec says, per asset class, which channels get which features over
 * which windows, the bearing geometry, where the shaft speed comes from
 * and the ISO 20816 machine group; per asset it may override speed and
 * ISO limits.  The ISO zone limits come from a separate data file
 * (examples/iso20816-3.json) named by the spec, or inline.
 *
 * Parsing is strict: unknown keys, wrong types and absurd numbers are
 * TWIN_ECONFIG errors naming the place ("classes.fan.channels[0].window.n:
 * 0 is out of range (16-16777216)").  The struct featspec owns everything
 * it points to; featspec_free() releases it.  Lookups borrow.
 */
#ifndef TWIN_FEATSPEC_H
#define TWIN_FEATSPEC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "feat.h"

#define FEATSPEC_MAX_N (1u << 24)

struct featspec_chan {
	char *match;		/* glob over channel names (fnmatch) */
	/* window: by sample count (n, hop_n) or by duration */
	int by_count;
	size_t n, hop_n;
	int64_t len_ns, hop_ns;
	int align;		/* start windows at multiples of the hop */
	int bursts;		/* snapshot blocks: whole-window gaps expected */
	int64_t tol_ns;		/* timing tolerance before a gap or overlap */
	struct feat_opts fo;	/* rate, speed, bearing filled per window */
	char *bearing;		/* NULL: from the channel name */
	int has_range;
	double range_lo, range_hi;
	double rate_hz;		/* expected rate, 0 for any */
	char *unit;		/* expected unit, NULL for any */
	double spike_k, flat_eps;
};

struct featspec_bearing {
	char *name;
	struct feat_bearing b;
};

/*
 * Where a shaft's speed comes from: a fixed rpm, or an rpm (or Hz)
 * channel of the asset itself or, for an asset override, of another
 * asset of the same tenant (a motor driving a pump), times a ratio for a
 * belt or gearbox.  With a channel, rpm is the nominal speed used when
 * the channel has no sample recent enough.
 */
struct featspec_speed {
	char *asset;		/* the source asset, NULL: the asset itself */
	char *channel;		/* an rpm or Hz channel, or NULL */
	double ratio;		/* this shaft's speed over the source's */
	double rpm;		/* fixed or nominal speed when > 0 */
	int64_t max_age_ns;	/* oldest speed sample used for a window */
	int refine;		/* refine from the 1x line of each spectrum */
};

struct featspec_iso {
	int set;
	char group[16];
	char foundation[16];
	int has_limits;
	double lim[3];		/* A/B, B/C, C/D in mm/s */
};

struct featspec_class {
	char *name;
	struct featspec_speed speed;
	struct featspec_bearing *bearings;
	size_t nbearings;
	struct featspec_iso iso;
	struct featspec_chan *chans;
	size_t nchans;
};

struct featspec_asset {
	char *name;
	int has_speed;
	struct featspec_speed speed;
	struct featspec_iso iso;
};

struct featspec {
	char sha256[65];
	char *tenant;		/* NULL when the spec names none */
	int64_t lateness_ns;
	struct featspec_class *classes;
	size_t nclasses;
	struct featspec_asset *assets;
	size_t nassets;
	/* ISO table: group x foundation -> limits */
	struct {
		char group[16];
		char foundation[16];
		double lim[3];
	} *iso;
	size_t niso;
	char *iso_sha256;
	int64_t max_age_ns;	/* the largest speed max_age of the spec */
};

/* Load a spec file; the ISO table it names is read relative to it. */
struct featspec *featspec_load(const char *path, struct twin_err *err);
/*
 * Parse spec text.  basedir is where a named ISO table is looked for;
 * NULL forbids reading files (the fuzz harness).
 */
struct featspec *featspec_parse(const char *text, size_t n,
    const char *basedir, struct twin_err *err);
void featspec_free(struct featspec *s);

const struct featspec_class *featspec_class(const struct featspec *s,
    const char *name);
/* First channel entry whose pattern matches, or NULL. */
const struct featspec_chan *featspec_chan(const struct featspec_class *c,
    const char *channel);
const struct featspec_bearing *featspec_bearing(
    const struct featspec_class *c, const char *name);
/* The speed source of an asset (its override, else its class's). */
const struct featspec_speed *featspec_speed(const struct featspec *s,
    const struct featspec_class *c, const char *asset);
/*
 * Whether samples of an asset's channel give a speed: its own speed
 * channel (cls, the asset's class, may be NULL) or another asset's source.
 */
int featspec_speed_source(const struct featspec *s,
    const struct featspec_class *cls, const char *asset,
    const char *channel);
/* ISO zone limits for an asset; -1 when none apply. */
int featspec_iso_limits(const struct featspec *s,
    const struct featspec_class *c, const char *asset, double lim[3]);

#endif
