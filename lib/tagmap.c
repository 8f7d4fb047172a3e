/* tagmap.c - reading the tag map and mapping raw records; see tagmap.h. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "digest.h"
#include "rec.h"
#include "tagmap.h"
#include "tm.h"
#include "banned.h"

#define TAGMAP_MAX_FILE (64u * 1024 * 1024)
#define TAGMAP_ERE_MAX 512	/* bytes of a pattern */
#define TAGMAP_ERE_COST 4096	/* see ere_cost() */
#define ID_MAX 128

enum field {
	F_TAG, F_PATTERN, F_SITE, F_ASSET, F_CLASS, F_CHANNEL, F_UNIT,
	F_NOTE, F_SCALE, F_OFFSET, F_MIN, F_MAX, F_DESCRIPTION, NFIELDS
};

static const char *const field_names[NFIELDS] = {
	"tag", "pattern", "site", "asset", "class", "channel", "unit",
	"note", "scale", "offset", "min", "max", "description"
};

#define F_FIRSTNUM F_SCALE
#define F_LASTNUM F_MAX

/* One entry as read from JSON or CSV, before it is checked. */
struct esrc {
	long line;
	int bad;		/* a problem already reported */
	const char *s[NFIELDS];
	double num[NFIELDS];
	int has[NFIELDS];
};

struct slot {
	uint64_t h;
	char *key;
	size_t klen;
	struct tagmap_hit *hit;
};

/* The JSON text of the last string seen in a field that rarely changes. */
struct jcache {
	struct buf raw;
	struct buf js;
};

struct tagmap {
	char *name;
	char *tenant;
	char *site;
	char sha[DIGEST_HEX];
	struct tagmap_entry *ents;
	regex_t *res;		/* per entry; used for pattern entries */
	int *nsub;		/* captures per pattern entry */
	size_t n, cap;
	struct slot *slots;
	size_t nslots, nused, ndyn;
	struct tagmap_hit scratch;
	struct tagmap_hit unmapped;
	struct buf tmp;
	struct buf tagcopy;
	struct jcache tenantjs, srcjs;
	char *prov;		/* ,"prov":{"tagmap_sha256":"..."}} */
	size_t provlen;
	int64_t last_ts;
	int have_ts;
	char tsbuf[TM_BUFSZ];
	int tslen;
	/* while loading */
	struct buf *problems;
	unsigned nproblems;
};

static void problem(struct tagmap *, long, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem(struct tagmap *m, long line, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->nproblems++;
	if (m->problems == NULL)
		return;
	if (line > 0)
		buf_addf(m->problems, "%s:%ld: %s\n", m->name, line, msg);
	else
		buf_addf(m->problems, "%s: %s\n", m->name, msg);
}

/* Text from the map or from input, made safe to print in a message. */
static const char *
q(const char *s, char *out, size_t outsz)
{
	return diag_quote(s, strlen(s), out, outsz);
}

static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct slot *
slot_find(struct tagmap *m, const char *key, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (m->nslots - 1);

	for (;;) {
		struct slot *sl = &m->slots[i];

		if (sl->key == NULL || (sl->h == h && sl->klen == n &&
		    memcmp(sl->key, key, n) == 0))
			return sl;
		i = (i + 1) & (m->nslots - 1);
	}
}

static void
slot_grow(struct tagmap *m)
{
	struct slot *old = m->slots;
	size_t i, oldn = m->nslots;

	m->nslots = oldn ? oldn * 2 : 64;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	for (i = 0; i < oldn; i++)
		if (old[i].key != NULL)
			*slot_find(m, old[i].key, old[i].klen, old[i].h) =
			    old[i];
	free(old);
}

static void
slot_add(struct tagmap *m, const char *key, size_t n, struct tagmap_hit *hit)
{
	uint64_t h = hash(key, n);
	struct slot *sl;

	if ((m->nused + 1) * 2 > m->nslots)
		slot_grow(m);
	sl = slot_find(m, key, n, h);
	sl->h = h;
	sl->key = xmalloc(n + 1);
	memcpy(sl->key, key, n);
	sl->key[n] = '\0';
	sl->klen = n;
	sl->hit = hit;
	m->nused++;
}

/* Characters allowed in an asset or site id. */
static int
id_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
	    c == ':' || c == '/';
}

static int
chan_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	    c == '.';
}

/* A resolved id: 1..ID_MAX of id_char. */
static int
id_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!id_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* A resolved channel: a known family, dot-separated words of chan_char. */
static int
channel_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > ID_MAX || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (!chan_char((unsigned char)s[i]) ||
		    (s[i] == '.' && s[i + 1] == '.'))
			return 0;
	return unit_channel_dim(s, n) != UNIT_DIM_NONE;
}

/*
 * Check a template: $1..$9 within nsub (nsub < 0: no captures allowed),
 * $$ for a dollar, the rest characters accepted by ok().  Returns NULL or
 * what is wrong.
 */
static const char *
tmpl_check(const char *t, int nsub, int (*ok)(int), char *why, size_t whysz)
{
	size_t i;

	for (i = 0; t[i] != '\0'; i++) {
		if (t[i] == '$') {
			if (t[i + 1] >= '1' && t[i + 1] <= '9') {
				if (nsub < 0) {
					snprintf(why, whysz, "'$%c' in an "
					    "entry without a pattern",
					    t[i + 1]);
					return why;
				}
				if (t[i + 1] - '0' > nsub) {
					snprintf(why, whysz, "'$%c' but the "
					    "pattern has %d capture%s",
					    t[i + 1], nsub,
					    nsub == 1 ? "" : "s");
					return why;
				}
				i++;
				continue;
			}
			snprintf(why, whysz, "'$' not followed by a digit 1-9");
			return why;
		}
		if (!ok((unsigned char)t[i])) {
			snprintf(why, whysz, "character '%c' not allowed",
			    (unsigned char)t[i] >= 0x20 &&
			    (unsigned char)t[i] < 0x7f ? t[i] : '?');
			return why;
		}
	}
	return NULL;
}

/* Turn the \d shorthand into [0-9] outside bracket expressions. */
static void
ere_translate(struct buf *b, const char *p)
{
	size_t i = 0;

	while (p[i] != '\0') {
		if (p[i] == '\\' && p[i + 1] == 'd') {
			buf_adds(b, "[0-9]");
			i += 2;
		} else if (p[i] == '\\' && p[i + 1] != '\0') {
			buf_add(b, p + i, 2);
			i += 2;
		} else if (p[i] == '[') {
			size_t j = i + 1;

			if (p[j] == '^')
				j++;
			if (p[j] == ']')
				j++;
			while (p[j] != '\0' && p[j] != ']') {
				if (p[j] == '[' && (p[j + 1] == ':' ||
				    p[j + 1] == '.' || p[j + 1] == '=')) {
					char c = p[j + 1];

					j += 2;
					while (p[j] != '\0' &&
					    !(p[j] == c && p[j + 1] == ']'))
						j++;
					if (p[j] != '\0')
						j += 2;
				} else
					j++;
			}
			if (p[j] == ']')
				j++;
			buf_add(b, p + i, j - i);
			i = j;
		} else
			buf_addc(b, p[i++]);
	}
}

static unsigned long
cap_mul(unsigned long a, unsigned long b)
{
	return a > TAGMAP_ERE_COST || b > TAGMAP_ERE_COST ||
	    a * b > TAGMAP_ERE_COST ? TAGMAP_ERE_COST + 1 : a * b;
}

/*
 * The size of the tree regcomp() builds for an ERE, roughly: glibc
 * copies the subtree of "x+" twice and of "x{m,n}" n times, so nested
 * repetitions multiply, and (((a+)+)+)... takes memory exponential in
 * its length.  *adjacent is set for two repetition operators in a row,
 * which POSIX leaves undefined.  Reads up to an unmatched ')' or the end.
 */
static unsigned long
ere_cost(const char **pp, int *adjacent)
{
	const char *p = *pp;
	unsigned long total = 0, atom, f, lo, hi;
	char *end;
	int nq;

	while (*p != '\0' && *p != ')') {
		if (*p == '|') {
			p++;
			continue;
		}
		if (*p == '(') {
			p++;
			atom = ere_cost(&p, adjacent) + 1;
			if (*p == ')')
				p++;
		} else if (*p == '[') {
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p != '\0' && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' ||
				    p[1] == '=')) {
					char c = p[1];

					p += 2;
					while (*p != '\0' &&
					    !(*p == c && p[1] == ']'))
						p++;
					if (*p != '\0')
						p += 2;
				} else
					p++;
			}
			if (*p == ']')
				p++;
			atom = 1;
		} else if (*p == '\\' && p[1] != '\0') {
			p += 2;
			atom = 1;
		} else {
			p++;
			atom = 1;
		}
		for (nq = 0;; nq++) {
			if (*p == '*' || *p == '?')
				f = 1, p++;
			else if (*p == '+')
				f = 2, p++;
			else if (*p == '{' && p[1] >= '0' && p[1] <= '9') {
				lo = hi = strtoul(p + 1, &end, 10);
				if (*end == ',') {
					end++;
					if (*end >= '0' && *end <= '9')
						hi = strtoul(end, &end, 10);
					else
						hi = lo + 1;
				}
				f = hi > lo ? hi : lo;
				if (f < 1)
					f = 1;
				p = *end == '}' ? end + 1 : end;
			} else
				break;
			atom = cap_mul(atom, f);
		}
		if (nq > 1)
			*adjacent = 1;
		total += atom;
		if (total > TAGMAP_ERE_COST)
			total = TAGMAP_ERE_COST + 1;
	}
	*pp = p;
	return total;
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void
frag_build(struct buf *b, const char *site, size_t sitelen, const char *asset,
    size_t assetlen, const char *cls, const char *chan, size_t chanlen,
    const struct unit *canon)
{
	buf_adds(b, "\"site\":");
	buf_jstr(b, site, sitelen);
	buf_adds(b, ",\"asset\":");
	buf_jstr(b, asset, assetlen);
	buf_adds(b, ",\"class\":");
	buf_jstr(b, cls, strlen(cls));
	buf_adds(b, ",\"channel\":");
	buf_jstr(b, chan, chanlen);
	buf_adds(b, ",\"unit\":");
	buf_jstr(b, canon->name, strlen(canon->name));
}

static struct tagmap_hit *
hit_exact(const struct tagmap_entry *e)
{
	struct tagmap_hit *h = xcalloc(1, sizeof(*h));
	struct buf b = BUF_INIT;

	h->e = e;
	frag_build(&b, e->site, strlen(e->site), e->asset, strlen(e->asset),
	    e->class, e->channel, strlen(e->channel), unit_canonical(e->dim));
	h->frag = b.s;
	h->fraglen = b.len;
	return h;
}

/* Check one entry and add it; problems are reported, not fatal. */
static void
entry_add(struct tagmap *m, struct esrc *f)
{
	struct tagmap_entry e;
	struct twin_err err;
	char why[160], qb[200];
	const char *w;
	int nsub = -1, bad, i;
	regex_t re;

	memset(&e, 0, sizeof(e));
	e.line = f->line;
	bad = f->bad;
	if ((f->s[F_TAG] == NULL) == (f->s[F_PATTERN] == NULL) &&
	    !f->bad) {
		problem(m, f->line, "give exactly one of 'tag' and 'pattern'");
		return;
	}
	for (i = 0; i < NFIELDS; i++)
		if (f->s[i] != NULL && f->s[i][0] == '\0' && i != F_NOTE &&
		    i != F_DESCRIPTION) {
			problem(m, f->line, "'%s' is empty", field_names[i]);
			f->s[i] = NULL;
			bad = 1;
		}
	if (f->s[F_TAG] != NULL && f->s[F_PATTERN] != NULL)
		return;
	if (f->s[F_PATTERN] != NULL) {
		struct buf b = BUF_INIT;
		const char *cp;
		int rc, adjacent = 0;

		buf_adds(&b, "^(");
		ere_translate(&b, f->s[F_PATTERN]);
		buf_adds(&b, ")$");
		if (strlen(f->s[F_PATTERN]) > TAGMAP_ERE_MAX) {
			problem(m, f->line, "pattern '%s' is over %d bytes",
			    q(f->s[F_PATTERN], qb, sizeof(qb)),
			    TAGMAP_ERE_MAX);
			buf_free(&b);
			return;
		}
		cp = b.s;
		if (ere_cost(&cp, &adjacent) > TAGMAP_ERE_COST || adjacent) {
			problem(m, f->line, "pattern '%s' is too complex: %s",
			    q(f->s[F_PATTERN], qb, sizeof(qb)), adjacent ?
			    "two repetition operators in a row" :
			    "its repetitions nest too deep or count too high");
			buf_free(&b);
			return;
		}
		if ((rc = regcomp(&re, buf_str(&b), REG_EXTENDED)) != 0) {
			char msg[160];

			regerror(rc, &re, msg, sizeof(msg));
			problem(m, f->line, "bad pattern '%s': %s",
			    q(f->s[F_PATTERN], qb, sizeof(qb)), msg);
			buf_free(&b);
			return;
		}
		buf_free(&b);
		nsub = (int)re.re_nsub - 1;
	}
	if (f->s[F_SITE] == NULL && m->site == NULL) {
		problem(m, f->line, "missing 'site' (per entry or at the top)");
		bad = 1;
	}
	for (i = F_SITE; i <= F_UNIT; i++)
		if (f->s[i] == NULL && i != F_SITE) {
			problem(m, f->line, "missing '%s'", field_names[i]);
			bad = 1;
		}
	if (f->s[F_SITE] && (w = tmpl_check(f->s[F_SITE], nsub, id_char, why,
	    sizeof(why))) != NULL) {
		problem(m, f->line, "bad site '%s': %s",
		    q(f->s[F_SITE], qb, sizeof(qb)), w);
		bad = 1;
	}
	if (f->s[F_ASSET] && (w = tmpl_check(f->s[F_ASSET], nsub, id_char,
	    why, sizeof(why))) != NULL) {
		problem(m, f->line, "bad asset '%s': %s",
		    q(f->s[F_ASSET], qb, sizeof(qb)), w);
		bad = 1;
	}
	if (f->s[F_CLASS]) {
		const char *c = f->s[F_CLASS];
		size_t k, n = strlen(c);

		for (k = 0; k < n; k++)
			if (!((c[k] >= 'a' && c[k] <= 'z') ||
			    (c[k] >= '0' && c[k] <= '9') || c[k] == '_'))
				break;
		if (k < n || n > 64) {
			problem(m, f->line, "bad class '%s': lower-case "
			    "letters, digits and '_' only",
			    q(c, qb, sizeof(qb)));
			bad = 1;
		}
	}
	if (f->s[F_CHANNEL]) {
		const char *c = f->s[F_CHANNEL];
		const char *dot = strchr(c, '.');
		size_t famlen = dot ? (size_t)(dot - c) : strlen(c);

		e.dim = unit_channel_dim(c, famlen);
		if (e.dim == UNIT_DIM_NONE || memchr(c, '$', famlen)) {
			problem(m, f->line, "unknown channel family in '%s'",
			    q(c, qb, sizeof(qb)));
			bad = 1;
		} else if ((w = tmpl_check(c, nsub, chan_char, why,
		    sizeof(why))) != NULL) {
			problem(m, f->line, "bad channel '%s': %s",
			    q(c, qb, sizeof(qb)), w);
			bad = 1;
		} else if (c[strlen(c) - 1] == '.' || strstr(c, "..")) {
			problem(m, f->line, "bad channel '%s': empty word",
			    q(c, qb, sizeof(qb)));
			bad = 1;
		} else if (f->s[F_UNIT] && unit_check(f->s[F_UNIT],
		    strlen(f->s[F_UNIT]), e.dim, &e.unit, &err) < 0) {
			problem(m, f->line, "channel '%s': %s",
			    q(c, qb, sizeof(qb)), err.msg);
			bad = 1;
		}
	}
	e.scale = f->has[F_SCALE] ? f->num[F_SCALE] : 1;
	e.offset = f->has[F_OFFSET] ? f->num[F_OFFSET] : 0;
	if (f->has[F_SCALE] && e.scale == 0) {
		problem(m, f->line, "'scale' is zero");
		bad = 1;
	}
	e.has_min = f->has[F_MIN];
	e.has_max = f->has[F_MAX];
	e.min = f->num[F_MIN];
	e.max = f->num[F_MAX];
	if (e.has_min && e.has_max && e.min > e.max) {
		problem(m, f->line, "'min' is above 'max'");
		bad = 1;
	}
	if (bad) {
		if (nsub >= 0)
			regfree(&re);
		return;
	}
	e.tag = dup_or_null(f->s[F_TAG]);
	e.pattern = dup_or_null(f->s[F_PATTERN]);
	e.site = xstrdup(f->s[F_SITE] ? f->s[F_SITE] : m->site);
	e.asset = xstrdup(f->s[F_ASSET]);
	e.class = xstrdup(f->s[F_CLASS]);
	e.channel = xstrdup(f->s[F_CHANNEL]);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->ents = xrealloc(m->ents, m->cap * sizeof(*m->ents));
		m->res = xrealloc(m->res, m->cap * sizeof(*m->res));
		m->nsub = xrealloc(m->nsub, m->cap * sizeof(*m->nsub));
	}
	m->ents[m->n] = e;
	m->nsub[m->n] = nsub;
	if (nsub >= 0)
		m->res[m->n] = re;
	m->n++;
}

/*
 * Entries are stored by value and the array moves as it grows, so the
 * hits of exact entries are made, and duplicates found, once all entries
 * are read.
 */
static void
index_exact(struct tagmap *m)
{
	struct slot *sl;
	const char *t;
	char qb[200];
	size_t i, n;

	for (i = 0; i < m->n; i++) {
		if ((t = m->ents[i].tag) == NULL)
			continue;
		n = strlen(t);
		if (m->nslots > 0 && (sl = slot_find(m, t, n,
		    hash(t, n)))->key != NULL) {
			problem(m, m->ents[i].line, "duplicate tag '%s' "
			    "(first at line %ld)", q(t, qb, sizeof(qb)),
			    sl->hit->e->line);
			continue;
		}
		slot_add(m, t, n, hit_exact(&m->ents[i]));
	}
}

/* ---- JSON form ---- */

/* Line of each element of the top-level "tags" array, for messages. */
static void
json_tag_lines(const char *s, size_t n, long *lines, size_t max)
{
	long line = 1;
	int depth = 0, tagsdepth = -1, key = 0, colon = 0, want = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\n') {
			line++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r')
			continue;
		if (depth == tagsdepth && want) {
			if (k < max)
				lines[k++] = line;
			want = 0;
		}
		if (c == '"') {
			size_t j = i + 1;

			while (j < n && s[j] != '"') {
				if (s[j] == '\\')
					j++;
				j++;
			}
			if (depth == 1 && !colon)
				key = j - i - 1 == 4 &&
				    memcmp(s + i + 1, "tags", 4) == 0;
			colon = 0;
			i = j;
			continue;
		}
		if (c == ':') {
			colon = key;
			key = 0;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
			if (c == '[' && colon && depth == 2) {
				tagsdepth = 2;
				want = 1;
			}
		} else if (c == '}' || c == ']') {
			if (depth == tagsdepth && c == ']')
				tagsdepth = -1;
			depth--;
		} else if (c == ',' && depth == tagsdepth)
			want = 1;
		colon = 0;
		key = 0;
	}
}

static const char *
json_str(struct tagmap *m, long line, json_t *v, const char *what)
{
	if (!json_is_string(v)) {
		problem(m, line, "'%s' is not a string", what);
		return NULL;
	}
	if (strlen(json_string_value(v)) != json_string_length(v)) {
		problem(m, line, "'%s' holds a NUL byte", what);
		return NULL;
	}
	return json_string_value(v);
}

static void
parse_json(struct tagmap *m, const char *text, size_t n)
{
	json_error_t je;
	json_t *doc, *tags, *v, *ev;
	const char *k;
	long *lines;
	size_t i, j;
	char qb[200];

	doc = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL) {
		problem(m, je.line, "invalid JSON at column %d: %s",
		    je.column, je.text);
		return;
	}
	if (!json_is_object(doc)) {
		problem(m, 1, "the map is not a JSON object");
		json_decref(doc);
		return;
	}
	json_object_foreach(doc, k, v) {
		if (strcmp(k, "tenant") == 0) {
			const char *t = json_str(m, 0, v, "tenant");

			if (t != NULL && !rec_tenant_valid(t))
				problem(m, 0, "bad tenant '%s'",
				    q(t, qb, sizeof(qb)));
			else if (t != NULL)
				m->tenant = xstrdup(t);
		} else if (strcmp(k, "site") == 0) {
			const char *t = json_str(m, 0, v, "site");
			char why[160];
			const char *w;

			if (t != NULL && (w = tmpl_check(t, -1, id_char, why,
			    sizeof(why))) != NULL)
				problem(m, 0, "bad site '%s': %s",
				    q(t, qb, sizeof(qb)), w);
			else if (t != NULL)
				m->site = xstrdup(t);
		} else if (strcmp(k, "tags") != 0 &&
		    strcmp(k, "description") != 0 && strcmp(k, "$schema") != 0)
			problem(m, 0, "unknown key '%s'", q(k, qb, sizeof(qb)));
	}
	tags = json_object_get(doc, "tags");
	if (!json_is_array(tags)) {
		problem(m, 0, tags ? "'tags' is not an array" :
		    "missing 'tags'");
		json_decref(doc);
		return;
	}
	lines = xcalloc(json_array_size(tags) + 1, sizeof(*lines));
	json_tag_lines(text, n, lines, json_array_size(tags));
	json_array_foreach(tags, i, ev) {
		struct esrc f;

		memset(&f, 0, sizeof(f));
		f.line = lines[i];
		if (!json_is_object(ev)) {
			problem(m, f.line, "tags[%zu] is not an object", i);
			continue;
		}
		json_object_foreach(ev, k, v) {
			for (j = 0; j < NFIELDS; j++)
				if (strcmp(k, field_names[j]) == 0)
					break;
			if (j == NFIELDS) {
				problem(m, f.line, "unknown key '%s'",
				    q(k, qb, sizeof(qb)));
				f.bad = 1;
			} else if (j >= F_FIRSTNUM && j <= F_LASTNUM) {
				if (!json_is_number(v) ||
				    !isfinite(json_number_value(v))) {
					problem(m, f.line, "'%s' is not a "
					    "number", k);
					f.bad = 1;
				} else {
					f.num[j] = json_number_value(v);
					f.has[j] = 1;
				}
			} else if ((f.s[j] = json_str(m, f.line, v, k)) ==
			    NULL)
				f.bad = 1;
		}
		entry_add(m, &f);
	}
	free(lines);
	json_decref(doc);
}

/* ---- CSV form (RFC 4180, plus '#' comment lines) ---- */

#define CSV_MAXCOL 32

struct csv {
	const char *s;
	size_t n, i;
	long line;
	struct buf col[CSV_MAXCOL];
	size_t ncol;
};

static void
trim(struct buf *b)
{
	size_t a = 0;

	while (b->len > 0 && (b->s[b->len - 1] == ' ' ||
	    b->s[b->len - 1] == '\t'))
		b->len--;
	while (a < b->len && (b->s[a] == ' ' || b->s[a] == '\t'))
		a++;
	if (a > 0) {
		memmove(b->s, b->s + a, b->len - a);
		b->len -= a;
	}
	buf_str(b);
}

/*
 * Read one record; returns 1, 0 at the end, -1 for a malformed one
 * (reported; the rest of its line is skipped).  *start is the line it
 * starts on.  Comment lines are handed to the caller as one column
 * starting with '#'.
 */
static int
csv_next(struct tagmap *m, struct csv *c, long *start)
{
	size_t k;
	int quoted;

	while (c->i < c->n && (c->s[c->i] == '\n' || c->s[c->i] == '\r')) {
		if (c->s[c->i] == '\n')
			c->line++;
		c->i++;
	}
	if (c->i >= c->n)
		return 0;
	*start = c->line;
	for (k = 0; k < CSV_MAXCOL; k++)
		buf_reset(&c->col[k]);
	c->ncol = 0;
	if (c->s[c->i] == '#') {
		while (c->i < c->n && c->s[c->i] != '\n')
			buf_addc(&c->col[0], c->s[c->i++]);
		c->ncol = 1;
		buf_str(&c->col[0]);
		return 1;
	}
	for (;;) {
		struct buf *b;

		if (c->ncol == CSV_MAXCOL) {
			problem(m, *start, "more than %d columns", CSV_MAXCOL);
			goto skip;
		}
		b = &c->col[c->ncol++];
		buf_str(b);
		while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t'))
			c->i++;
		quoted = c->i < c->n && c->s[c->i] == '"';
		if (quoted) {
			c->i++;
			for (;;) {
				if (c->i >= c->n) {
					problem(m, *start, "unterminated "
					    "quoted field");
					return -1;
				}
				if (c->s[c->i] == '"') {
					if (c->i + 1 < c->n &&
					    c->s[c->i + 1] == '"') {
						buf_addc(b, '"');
						c->i += 2;
						continue;
					}
					c->i++;
					break;
				}
				if (c->s[c->i] == '\n')
					c->line++;
				buf_addc(b, c->s[c->i++]);
			}
			while (c->i < c->n && (c->s[c->i] == ' ' ||
			    c->s[c->i] == '\t' || (c->s[c->i] == '\r' &&
			    c->i + 1 < c->n && c->s[c->i + 1] == '\n')))
				c->i++;
			if (c->i < c->n && c->s[c->i] != ',' &&
			    c->s[c->i] != '\n') {
				problem(m, c->line, "text after a quoted "
				    "field");
				goto skip;
			}
		} else {
			while (c->i < c->n && c->s[c->i] != ',' &&
			    c->s[c->i] != '\n') {
				if (c->s[c->i] == '"') {
					problem(m, c->line, "quote inside an "
					    "unquoted field");
					goto skip;
				}
				buf_addc(b, c->s[c->i++]);
			}
			if (b->len > 0 && b->s[b->len - 1] == '\r')
				b->len--;
			trim(b);
		}
		if (c->i >= c->n || c->s[c->i] == '\n')
			return 1;
		c->i++;		/* the comma */
	}
skip:
	while (c->i < c->n && c->s[c->i] != '\n')
		c->i++;
	return -1;
}

/* "# key: value" comment lines set the tenant and the site. */
static void
csv_directive(struct tagmap *m, const char *s, long line)
{
	char qb[200], why[160];
	const char *w;
	struct buf v = BUF_INIT;
	int is_tenant;

	s++;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "tenant:", 7) == 0)
		is_tenant = 1;
	else if (strncmp(s, "site:", 5) == 0)
		is_tenant = 0;
	else
		return;
	buf_adds(&v, s + (is_tenant ? 7 : 5));
	if (v.len > 0 && v.s[v.len - 1] == '\r')
		v.len--;
	trim(&v);
	if (is_tenant) {
		if (!rec_tenant_valid(v.s))
			problem(m, line, "bad tenant '%s'", q(v.s, qb,
			    sizeof(qb)));
		else if (m->tenant != NULL)
			problem(m, line, "tenant given twice");
		else
			m->tenant = xstrdup(v.s);
	} else {
		if ((w = tmpl_check(v.s, -1, id_char, why, sizeof(why))) !=
		    NULL || v.len == 0)
			problem(m, line, "bad site '%s': %s", q(v.s, qb,
			    sizeof(qb)), w ? w : "empty");
		else if (m->site != NULL)
			problem(m, line, "site given twice");
		else
			m->site = xstrdup(v.s);
	}
	buf_free(&v);
}

static int
csv_number(const char *s, double *x)
{
	char *end;

	if (*s == '\0' || *s == ' ')
		return -1;
	errno = 0;
	*x = strtod(s, &end);
	if (*end != '\0' || errno == ERANGE || !isfinite(*x))
		return -1;
	/* strtod also reads hex, "inf" and "nan"; a map has plain decimals. */
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '+' || *s == 'e' || *s == 'E'))
			return -1;
	return 0;
}

static void
parse_csv(struct tagmap *m, const char *text, size_t n)
{
	struct csv c;
	int colmap[CSV_MAXCOL], header = 0, rc;
	size_t k, j, ncols = 0;
	long start;
	char qb[200];

	memset(&c, 0, sizeof(c));
	c.s = text;
	c.n = n;
	c.line = 1;
	if (memchr(text, '\0', n) != NULL) {
		problem(m, 0, "the map holds a NUL byte");
		return;
	}
	while ((rc = csv_next(m, &c, &start)) != 0) {
		struct esrc f;

		if (rc < 0)
			continue;
		if (c.ncol == 1 && c.col[0].len > 0 && c.col[0].s[0] == '#') {
			csv_directive(m, c.col[0].s, start);
			continue;
		}
		if (!header) {
			header = 1;
			ncols = c.ncol;
			for (k = 0; k < c.ncol; k++) {
				colmap[k] = -1;
				for (j = 0; j < NFIELDS; j++)
					if (strcmp(c.col[k].s,
					    field_names[j]) == 0)
						colmap[k] = (int)j;
				if (colmap[k] < 0)
					problem(m, start, "unknown column "
					    "'%s'", q(c.col[k].s, qb,
					    sizeof(qb)));
				for (j = 0; j < k; j++)
					if (colmap[k] >= 0 &&
					    colmap[j] == colmap[k])
						problem(m, start, "column "
						    "'%s' twice", c.col[k].s);
			}
			continue;
		}
		if (c.ncol != ncols) {
			problem(m, start, "%zu columns, the header has %zu",
			    c.ncol, ncols);
			continue;
		}
		memset(&f, 0, sizeof(f));
		f.line = start;
		for (k = 0; k < c.ncol; k++) {
			int fi = colmap[k];
			const char *s = c.col[k].s;

			if (fi < 0 || c.col[k].len == 0)
				continue;
			if (strlen(s) != c.col[k].len)
				continue;
			if (fi >= F_FIRSTNUM && fi <= F_LASTNUM) {
				if (csv_number(s, &f.num[fi]) < 0) {
					problem(m, start, "'%s' is not a "
					    "number: '%s'", field_names[fi],
					    q(s, qb, sizeof(qb)));
					f.bad = 1;
				} else
					f.has[fi] = 1;
			} else
				f.s[fi] = s;
		}
		entry_add(m, &f);
	}
	if (!header)
		problem(m, 0, "no header line");
	for (k = 0; k < CSV_MAXCOL; k++)
		buf_free(&c.col[k]);
}

/* ---- loading ---- */

struct tagmap *
tagmap_parse(const char *name, const char *text, size_t n,
    struct buf *problems, struct twin_err *err)
{
	struct tagmap *m = xcalloc(1, sizeof(*m));
	struct buf b = BUF_INIT;
	size_t i = 0;

	m->name = xstrdup(name);
	m->problems = problems;
	digest_sha256_hex(text, n, m->sha);
	while (i < n && (text[i] == ' ' || text[i] == '\t' ||
	    text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < n && text[i] == '{')
		parse_json(m, text, n);
	else if (n >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		parse_csv(m, text + 3, n - 3);	/* a spreadsheet's BOM */
	else
		parse_csv(m, text, n);
	if (m->nproblems == 0 && m->n == 0)
		problem(m, 0, "no entries");
	index_exact(m);
	if (m->nproblems > 0) {
		err_set(err, TWIN_ECONFIG, "%s: %u problem%s", name,
		    m->nproblems, m->nproblems == 1 ? "" : "s");
		tagmap_free(m);
		return NULL;
	}
	m->problems = NULL;
	buf_adds(&b, ",\"prov\":{\"tagmap_sha256\":\"");
	buf_adds(&b, m->sha);
	buf_adds(&b, "\"}}");
	m->prov = b.s;
	m->provlen = b.len;
	return m;
}

struct tagmap *
tagmap_load(const char *path, struct buf *problems, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	struct tagmap *m;
	char tmp[65536];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, TWIN_ECONFIG, "cannot open tag map '%s': %s",
		    path, strerror(errno));
		return NULL;
	}
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, TWIN_ECONFIG, "cannot read tag map "
			    "'%s': %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > TAGMAP_MAX_FILE) {
			err_set(err, TWIN_ECONFIG, "tag map '%s' is over "
			    "%u bytes", path, TAGMAP_MAX_FILE);
			goto fail;
		}
		buf_add(&b, tmp, (size_t)r);
	}
	close(fd);
	m = tagmap_parse(path, buf_str(&b), b.len, problems, err);
	buf_free(&b);
	return m;
fail:
	close(fd);
	buf_free(&b);
	return NULL;
}

static void
hit_free(struct tagmap_hit *h)
{
	if (h == NULL)
		return;
	free(h->frag);
	free((char *)h->bad);
	free(h);
}

void
tagmap_free(struct tagmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i].key != NULL) {
			free(m->slots[i].key);
			if (m->slots[i].hit != &m->unmapped)
				hit_free(m->slots[i].hit);
		}
	free(m->slots);
	for (i = 0; i < m->n; i++) {
		struct tagmap_entry *e = &m->ents[i];

		if (m->nsub[i] >= 0)
			regfree(&m->res[i]);
		free(e->tag);
		free(e->pattern);
		free(e->site);
		free(e->asset);
		free(e->class);
		free(e->channel);
	}
	free(m->ents);
	free(m->res);
	free(m->nsub);
	free(m->scratch.frag);
	free((char *)m->scratch.bad);
	buf_free(&m->tmp);
	buf_free(&m->tagcopy);
	buf_free(&m->tenantjs.raw);
	buf_free(&m->tenantjs.js);
	buf_free(&m->srcjs.raw);
	buf_free(&m->srcjs.js);
	free(m->prov);
	free(m->tenant);
	free(m->site);
	free(m->name);
	free(m);
}

const char *
tagmap_tenant(const struct tagmap *m)
{
	return m->tenant;
}

const char *
tagmap_sha256(const struct tagmap *m)
{
	return m->sha;
}

size_t
tagmap_count(const struct tagmap *m)
{
	return m->n;
}

const struct tagmap_entry *
tagmap_entry_at(const struct tagmap *m, size_t i)
{
	return i < m->n ? &m->ents[i] : NULL;
}

/* ---- lookup ---- */

static void
subst(struct buf *b, const char *t, const char *tag, const regmatch_t *pm)
{
	for (; *t; t++) {
		if (*t == '$' && t[1] >= '1' && t[1] <= '9') {
			const regmatch_t *g = &pm[t[1] - '0' + 1];

			if (g->rm_so >= 0)
				buf_add(b, tag + g->rm_so,
				    (size_t)(g->rm_eo - g->rm_so));
			t++;
		} else
			buf_addc(b, *t);
	}
}

/* Fill h for pattern entry i matching tag. */
static void
hit_pattern(struct tagmap *m, struct tagmap_hit *h, size_t i,
    const char *tag, const regmatch_t *pm)
{
	const struct tagmap_entry *e = &m->ents[i];
	struct buf site = BUF_INIT, asset = BUF_INIT, chan = BUF_INIT;
	struct buf b = BUF_INIT;
	char qb[200], msg[300];

	h->e = e;
	subst(&site, e->site, tag, pm);
	subst(&asset, e->asset, tag, pm);
	subst(&chan, e->channel, tag, pm);
	buf_str(&site);
	buf_str(&asset);
	buf_str(&chan);
	msg[0] = '\0';
	if (!id_valid(site.s, site.len))
		snprintf(msg, sizeof(msg), "maps to invalid site '%s'",
		    diag_quote(site.s, site.len, qb, 64));
	else if (!id_valid(asset.s, asset.len))
		snprintf(msg, sizeof(msg), "maps to invalid asset '%s'",
		    diag_quote(asset.s, asset.len, qb, 64));
	else if (!channel_valid(chan.s, chan.len))
		snprintf(msg, sizeof(msg), "maps to invalid channel '%s'",
		    diag_quote(chan.s, chan.len, qb, 64));
	if (msg[0] != '\0')
		h->bad = xstrdup(msg);
	else {
		frag_build(&b, site.s, site.len, asset.s, asset.len, e->class,
		    chan.s, chan.len, unit_canonical(e->dim));
		h->frag = b.s;
		h->fraglen = b.len;
	}
	buf_free(&site);
	buf_free(&asset);
	buf_free(&chan);
}

const struct tagmap_hit *
tagmap_lookup(struct tagmap *m, const char *tag, size_t n)
{
	regmatch_t pm[11];
	struct tagmap_hit *h = NULL;
	struct slot *sl;
	uint64_t hv = hash(tag, n);
	size_t i;

	if (m->nslots > 0) {
		sl = slot_find(m, tag, n, hv);
		if (sl->key != NULL)
			return sl->hit;
	}
	/*
	 * First sight of this tag: try the patterns in file order, on a
	 * NUL-terminated copy (the tag may point into the input line).
	 */
	if (memchr(tag, '\0', n) == NULL) {
		buf_reset(&m->tagcopy);
		buf_add(&m->tagcopy, tag, n);
		for (i = 0; i < m->n; i++) {
			if (m->nsub[i] < 0)
				continue;
			if (regexec(&m->res[i], m->tagcopy.s, 11, pm, 0) != 0)
				continue;
			if (m->ndyn < TAGMAP_CACHE_MAX)
				h = xcalloc(1, sizeof(*h));
			else {
				h = &m->scratch;
				free(h->frag);
				free((char *)h->bad);
				memset(h, 0, sizeof(*h));
			}
			hit_pattern(m, h, i, m->tagcopy.s, pm);
			break;
		}
	}
	if (h == NULL)
		h = &m->unmapped;
	if (m->ndyn < TAGMAP_CACHE_MAX) {
		slot_add(m, tag, n, h);
		m->ndyn++;
	}
	return h;
}

/* ---- writing samples ---- */

static const char *
tag_quoted(const struct rawrec *r, char *qb, size_t qbsz)
{
	return diag_quote(r->tag, r->taglen, qb, qbsz);
}

static double
convert(const struct tagmap_entry *e, const struct unit *u, double x)
{
	if (e->scale != 1)
		x *= e->scale;
	if (e->offset != 0)
		x += e->offset;
	return unit_to_canonical(u, x);
}

/* buf_jstr() of s, from the cache when s is the string of last time. */
static void
put_str(struct buf *b, struct jcache *c, const char *s, size_t n)
{
	if (c->raw.s == NULL || c->raw.len != n ||
	    memcmp(c->raw.s, s, n) != 0) {
		buf_reset(&c->raw);
		buf_add(&c->raw, s, n);
		buf_reset(&c->js);
		buf_jstr(&c->js, s, n);
	}
	buf_add(b, c->js.s, c->js.len);
}

/* buf_jint() without snprintf. */
static void
put_int(struct buf *b, long long x)
{
	char tmp[24];
	unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x :
	    (unsigned long long)x;
	int n = sizeof(tmp);

	do {
		tmp[--n] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (x < 0)
		tmp[--n] = '-';
	buf_add(b, tmp + n, sizeof(tmp) - (size_t)n);
}

static int
out_of_range(const struct tagmap_entry *e, double y)
{
	return (e->has_min && y < e->min) || (e->has_max && y > e->max);
}

static void
put_f32le(unsigned char *p, float f)
{
	uint32_t w;

	memcpy(&w, &f, sizeof(w));
	p[0] = (unsigned char)w;
	p[1] = (unsigned char)(w >> 8);
	p[2] = (unsigned char)(w >> 16);
	p[3] = (unsigned char)(w >> 24);
}

int
tagmap_sample(struct tagmap *m, const struct rawrec *r, struct buf *out,
    struct twin_err *err)
{
	const struct tagmap_hit *h = tagmap_lookup(m, r->tag, r->taglen);
	const struct tagmap_entry *e = h->e;
	const struct unit *u;
	size_t mark = out->len, i;
	int oor = 0;
	char qb[200];
	double y;

	if (e == NULL)
		return 0;
	if (h->bad != NULL)
		return err_set(err, TWIN_EDATA, "tag '%s' %s",
		    tag_quoted(r, qb, sizeof(qb)), h->bad);
	u = e->unit;
	if (r->unit != NULL && (r->unitlen != strlen(u->name) ||
	    memcmp(r->unit, u->name, r->unitlen) != 0)) {
		const struct unit *ru = unit_lookup(r->unit, r->unitlen);
		char ub[80];

		if (ru == NULL)
			return err_set(err, TWIN_EDATA,
			    "tag '%s': unknown unit '%s'",
			    tag_quoted(r, qb, sizeof(qb)),
			    diag_quote(r->unit, r->unitlen, ub, 40));
		if (ru->dim != e->dim)
			return err_set(err, TWIN_EDATA,
			    "tag '%s': unit '%s' is a %s unit, not %s (%s)",
			    tag_quoted(r, qb, sizeof(qb)), ru->name,
			    unit_dim_name(ru->dim), unit_dim_name(e->dim),
			    unit_canonical(e->dim)->name);
		u = ru;
	}
	buf_adds(out, "{\"kind\":\"sample\",\"ts\":\"");
	if (!m->have_ts || m->last_ts != r->ts) {
		m->tslen = tm_format(r->ts, m->tsbuf);
		m->last_ts = r->ts;
		m->have_ts = 1;
	}
	buf_add(out, m->tsbuf, (size_t)m->tslen);
	buf_adds(out, "\",\"tenant\":");
	put_str(out, &m->tenantjs, r->tenant, r->tenantlen);
	buf_addc(out, ',');
	buf_add(out, h->frag, h->fraglen);
	buf_adds(out, ",\"v\":");
	switch (r->vkind) {
	case RAWREC_SCALAR:
		y = convert(e, u, r->v);
		if (buf_jnum(out, y) < 0)
			goto overflow;
		oor = out_of_range(e, y);
		break;
	case RAWREC_ARRAY:
		buf_addc(out, '[');
		for (i = 0; i < r->nvals; i++) {
			y = convert(e, u, r->vals[i]);
			if (i > 0)
				buf_addc(out, ',');
			if (buf_jnum(out, y) < 0)
				goto overflow;
			oor |= out_of_range(e, y);
		}
		buf_addc(out, ']');
		break;
	case RAWREC_F32LE:
		buf_reset(&m->tmp);
		buf_grow(&m->tmp, r->nvals * 4);
		for (i = 0; i < r->nvals; i++) {
			float f;

			y = convert(e, u, r->vals[i]);
			f = (float)y;
			if (isfinite(r->vals[i]) && !isfinite(f))
				goto overflow;
			put_f32le((unsigned char *)m->tmp.s + 4 * i, f);
			if (!isnan(y))
				oor |= out_of_range(e, y);
		}
		m->tmp.len = r->nvals * 4;
		buf_addc(out, '"');
		buf_b64enc(out, m->tmp.s, m->tmp.len);
		buf_addc(out, '"');
		break;
	}
	if (r->vkind != RAWREC_SCALAR) {
		buf_adds(out, ",\"rate_hz\":");
		if (r->rate_hz == floor(r->rate_hz) && r->rate_hz < 9e15)
			buf_jint(out, (long long)r->rate_hz);
		else
			buf_jnum(out, r->rate_hz);
	}
	if (r->vkind == RAWREC_F32LE)
		buf_adds(out, ",\"enc\":\"f32le\"");
	buf_adds(out, ",\"q\":\"");
	buf_adds(out, rawrec_quality_name(r->q));
	buf_addc(out, '"');
	if (oor)
		buf_adds(out, ",\"flags\":[\"out_of_range\"]");
	buf_adds(out, ",\"src\":");
	put_str(out, &m->srcjs, r->src, r->srclen);
	buf_adds(out, ",\"seq\":");
	put_int(out, r->seq);
	buf_add(out, m->prov, m->provlen);
	return 1;
overflow:
	out->len = mark;
	return err_set(err, TWIN_EDATA,
	    "tag '%s': value out of range of %s after conversion to %s",
	    tag_quoted(r, qb, sizeof(qb)),
	    r->vkind == RAWREC_F32LE ? "float32" : "double",
	    unit_canonical(e->dim)->name);
}
