/*
 * tagmap.h - the tag map of twin-map(5): customer tag names (exact, or
 * POSIX extended regular expressions with captures) onto site, asset,
 * asset class, canonical channel and unit conversion.
 *
 * A map is read once, all of it checked, then looked up per record.
 * Exact names and every tag seen before sit in one hash table, so a
 * lookup is O(1) after the first sight of a tag; patterns are tried in
 * file order only on the first sight (at most TAGMAP_CACHE_MAX distinct
 * tags are remembered, so hostile input cannot grow memory without
 * bound).
 *
 * The map owns everything it returns; pointers stay valid until
 * tagmap_free().  Loading never prints: each problem found is appended
 * to the problems buffer as a line "file:line: message\n".
 */
#ifndef TWIN_TAGMAP_H
#define TWIN_TAGMAP_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "rawrec.h"
#include "unit.h"

#define TAGMAP_CACHE_MAX 65536

struct tagmap;

struct tagmap_entry {
	long line;		/* where the entry starts in the file */
	char *tag;		/* exact tag name, or NULL */
	char *pattern;		/* POSIX ERE as written, or NULL */
	char *site;		/* may hold $1..$9 for a pattern */
	char *asset;		/* may hold $1..$9 for a pattern */
	char *class;
	char *channel;		/* after the family, may hold $1..$9 */
	const struct unit *unit;	/* the source unit */
	enum unit_dim dim;	/* the channel's dimension */
	double scale, offset;	/* applied first: v * scale + offset */
	double min, max;	/* valid range, canonical unit */
	int has_min, has_max;
};

/* The result of looking up one tag name. */
struct tagmap_hit {
	const struct tagmap_entry *e;	/* NULL: the tag is not mapped */
	const char *bad;	/* non-NULL: maps, but to an invalid id */
	/* "site":..,"asset":..,"class":..,"channel":..,"unit":.. as JSON */
	char *frag;
	size_t fraglen;
};

/*
 * Read a map from a file: JSON when its first non-blank byte is '{',
 * else CSV.  NULL on any problem (err has the count or the read error).
 */
struct tagmap *tagmap_load(const char *path, struct buf *problems,
    struct twin_err *err);
/* The same from text in memory; name is used in messages. */
struct tagmap *tagmap_parse(const char *name, const char *text, size_t n,
    struct buf *problems, struct twin_err *err);
void tagmap_free(struct tagmap *m);

const char *tagmap_tenant(const struct tagmap *m);	/* NULL if none */
const char *tagmap_sha256(const struct tagmap *m);	/* of the file */
size_t tagmap_count(const struct tagmap *m);
const struct tagmap_entry *tagmap_entry_at(const struct tagmap *m,
    size_t i);

/* Look up a tag (n bytes).  Never NULL. */
const struct tagmap_hit *tagmap_lookup(struct tagmap *m, const char *tag,
    size_t n);

/*
 * Append the "sample" record for raw record r to out (no newline).
 * Returns 1 when written, 0 when the tag is not mapped (nothing
 * written), -1 with TWIN_EDATA for a record that cannot be mapped
 * (nothing written).
 */
int tagmap_sample(struct tagmap *m, const struct rawrec *r,
    struct buf *out, struct twin_err *err);

#endif
