/* conf.c - strict configuration files with positions; see conf.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "digest.h"
#include "tm.h"
#include "banned.h"

/* A configuration file larger than this is refused: it is not one. */
#define CONF_MAX_BYTES (256u << 20)

/*
 * Where each member and element starts.  Objects are keyed by the key's
 * address inside jansson (stable while the document lives), arrays by
 * index; both hashed with the container's address.
 */
struct pos {
	const json_t *parent;
	const char *key;	/* NULL for an array element */
	size_t idx;
	long line;
};

struct conf {
	char *name;
	json_t *root;
	char sha[DIGEST_HEX];
	struct pos *tab;
	size_t cap, n;		/* cap a power of two */
};

/* The scanner that walks the text beside jansson's tree. */
struct scan {
	const char *p, *end;
	long line;
	struct conf *c;
	int depth;
};

static uint64_t
hash(const json_t *parent, const char *key, size_t idx)
{
	uint64_t h = (uint64_t)(uintptr_t)parent * 0x9e3779b97f4a7c15ULL;

	if (key != NULL)
		for (; *key != '\0'; key++)
			h = (h ^ (unsigned char)*key) * 0x100000001b3ULL;
	else
		h ^= (uint64_t)idx * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 29);
}

static void
pos_put(struct conf *c, const json_t *parent, const char *key, size_t idx,
    long line)
{
	size_t i;

	if ((c->n + 1) * 2 > c->cap) {
		struct pos *old = c->tab;
		size_t oldcap = c->cap;

		c->cap = c->cap ? c->cap * 2 : 64;
		c->tab = xcalloc(c->cap, sizeof(*c->tab));
		c->n = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].parent != NULL)
				pos_put(c, old[i].parent, old[i].key,
				    old[i].idx, old[i].line);
		free(old);
	}
	i = hash(parent, key, idx) & (c->cap - 1);
	while (c->tab[i].parent != NULL)
		i = (i + 1) & (c->cap - 1);
	c->tab[i].parent = parent;
	c->tab[i].key = key;
	c->tab[i].idx = idx;
	c->tab[i].line = line;
	c->n++;
}

static long
pos_get(const struct conf *c, const json_t *parent, const char *key,
    size_t idx)
{
	size_t i;

	if (c == NULL || c->cap == 0 || parent == NULL)
		return 0;
	i = hash(parent, key, idx) & (c->cap - 1);
	for (; c->tab[i].parent != NULL; i = (i + 1) & (c->cap - 1)) {
		const struct pos *p = &c->tab[i];

		if (p->parent != parent)
			continue;
		if (key == NULL ? p->key == NULL && p->idx == idx :
		    p->key != NULL && strcmp(p->key, key) == 0)
			return p->line;
	}
	return 0;
}

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r')) {
		if (*s->p == '\n')
			s->line++;
		s->p++;
	}
}

/* Skip a string, a number or a literal: jansson has checked them. */
static void
skip_token(struct scan *s)
{
	if (s->p < s->end && *s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++)
			if (*s->p == '\\' && s->p + 1 < s->end)
				s->p++;
		if (s->p < s->end)
			s->p++;
		return;
	}
	while (s->p < s->end && *s->p != ',' && *s->p != '}' &&
	    *s->p != ']' && *s->p != ' ' && *s->p != '\t' && *s->p != '\n' &&
	    *s->p != '\r')
		s->p++;
}

/*
 * Walk the value at s->p, which jansson parsed as v: the same members
 * in the same order, since jansson keeps insertion order and the
 * document has no duplicate keys.  Returns -1 if text and tree part.
 */
static int
walk(struct scan *s, const json_t *v)
{
	skip_ws(s);
	if (s->p >= s->end || ++s->depth > 2048)
		return -1;
	if (json_is_object(v)) {
		void *it = json_object_iter((json_t *)v);

		if (*s->p++ != '{')
			return -1;
		for (; it != NULL; it = json_object_iter_next((json_t *)v,
		    it)) {
			skip_ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				skip_ws(s);
			}
			pos_put(s->c, v, json_object_iter_key(it), 0, s->line);
			skip_token(s);
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return -1;
			if (walk(s, json_object_iter_value(it)) < 0)
				return -1;
		}
		skip_ws(s);
		if (s->p >= s->end || *s->p++ != '}')
			return -1;
	} else if (json_is_array(v)) {
		size_t i;

		if (*s->p++ != '[')
			return -1;
		for (i = 0; i < json_array_size(v); i++) {
			skip_ws(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				skip_ws(s);
			}
			pos_put(s->c, v, NULL, i, s->line);
			if (walk(s, json_array_get(v, i)) < 0)
				return -1;
		}
		skip_ws(s);
		if (s->p >= s->end || *s->p++ != ']')
			return -1;
	} else
		skip_token(s);
	s->depth--;
	return 0;
}

struct conf *
conf_parse(const char *name, const char *text, size_t n,
    struct twin_err *err)
{
	struct conf *c;
	struct scan s;
	json_error_t je;
	const char *nul;
	json_t *root;

	if ((nul = memchr(text, '\0', n)) != NULL) {
		long line = 1;
		const char *p;

		for (p = text; p < nul; p++)
			line += *p == '\n';
		err_set(err, TWIN_ECONFIG, "%s:%ld: NUL byte", name, line);
		return NULL;
	}
	root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL) {
		if (je.line < 1)
			err_set(err, TWIN_ECONFIG, "%s: %s", name, je.text);
		else
			err_set(err, TWIN_ECONFIG, "%s:%d: invalid JSON at "
			    "column %d: %s", name, je.line, je.column,
			    je.text);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(name);
	c->root = root;
	digest_sha256_hex(text, n, c->sha);
	s.p = text;
	s.end = text + n;
	s.line = 1;
	s.c = c;
	s.depth = 0;
	/* A walk that parts from the tree only loses line numbers. */
	(void)walk(&s, root);
	return c;
}

struct conf *
conf_load(const char *path, struct twin_err *err)
{
	struct conf *c;
	struct stat st;
	struct buf b = BUF_INIT;
	char tmp[65536];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, TWIN_ECONFIG, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		err_set(err, TWIN_ECONFIG, "%s: is a directory", path);
		return NULL;
	}
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_add(&b, tmp, (size_t)r);
		if (b.len > CONF_MAX_BYTES) {
			errno = EFBIG;
			r = -1;
			break;
		}
	}
	close(fd);
	if (r < 0) {
		err_set(err, TWIN_ECONFIG, "cannot read '%s': %s", path,
		    strerror(errno));
		buf_free(&b);
		return NULL;
	}
	c = conf_parse(path, buf_str(&b), b.len, err);
	buf_free(&b);
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	json_decref(c->root);
	free(c->tab);
	free(c->name);
	free(c);
}

json_t *
conf_root(const struct conf *c)
{
	return c->root;
}

const char *
conf_name(const struct conf *c)
{
	return c->name;
}

const char *
conf_sha256(const struct conf *c)
{
	return c->sha;
}

long
conf_key_line(const struct conf *c, const json_t *obj, const char *key)
{
	void *it;

	if (c == NULL || obj == NULL || key == NULL ||
	    (it = json_object_iter_at((json_t *)obj, key)) == NULL)
		return 0;
	return pos_get(c, obj, json_object_iter_key(it), 0);
}

long
conf_elem_line(const struct conf *c, const json_t *arr, size_t i)
{
	return pos_get(c, arr, NULL, i);
}

const char *
conf_path_join(char *out, size_t n, const char *path, const char *key)
{
	if (path == NULL || *path == '\0')
		snprintf(out, n, "%s", key ? key : "");
	else if (key == NULL || *key == '\0')
		snprintf(out, n, "%s", path);
	else
		snprintf(out, n, "%s.%s", path, key);
	return out;
}

const char *
conf_path_index(char *out, size_t n, const char *path, size_t i)
{
	snprintf(out, n, "%s[%zu]", path ? path : "", i);
	return out;
}

static int
verror(const struct conf *c, long line, const char *where,
    struct twin_err *err, const char *fmt, va_list ap)
{
	char msg[TWIN_ERRMSG_MAX], at[64];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(at, sizeof(at), ":%ld", line);
	else
		at[0] = '\0';
	if (where != NULL && *where != '\0')
		return err_set(err, TWIN_ECONFIG, "%s%s: %s: %s", c->name, at,
		    where, msg);
	return err_set(err, TWIN_ECONFIG, "%s%s: %s", c->name, at, msg);
}

/* The line of obj itself: of the key that holds it in its parent. */
static long
self_line(const struct conf *c, const json_t *obj)
{
	size_t i;

	if (c == NULL || obj == NULL)
		return 0;
	for (i = 0; i < c->cap; i++) {
		const struct pos *p = &c->tab[i];
		const json_t *v;

		if (p->parent == NULL)
			continue;
		v = p->key ? json_object_get(p->parent, p->key) :
		    json_array_get(p->parent, p->idx);
		if (v == obj)
			return p->line;
	}
	return 0;
}

int
conf_error(const struct conf *c, const json_t *obj, const char *path,
    const char *key, struct twin_err *err, const char *fmt, ...)
{
	char where[256];
	va_list ap;
	long line;
	int rc;

	line = key ? conf_key_line(c, obj, key) : self_line(c, obj);
	if (key != NULL && line == 0)
		line = self_line(c, obj);
	va_start(ap, fmt);
	rc = verror(c, line, conf_path_join(where, sizeof(where), path, key),
	    err, fmt, ap);
	va_end(ap);
	return rc;
}

int
conf_elem_error(const struct conf *c, const json_t *arr, const char *path,
    size_t i, struct twin_err *err, const char *fmt, ...)
{
	char where[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror(c, conf_elem_line(c, arr, i), conf_path_index(where,
	    sizeof(where), path, i), err, fmt, ap);
	va_end(ap);
	return rc;
}

int
conf_object(const struct conf *c, const json_t *parent, const char *path,
    const char *key, const json_t *v, struct twin_err *err)
{
	if (json_is_object(v))
		return 0;
	if (parent == NULL)
		return conf_error(c, NULL, path, NULL, err,
		    "not a JSON object");
	return conf_error(c, parent, path, key, err, "not an object");
}

int
conf_keys(const struct conf *c, const json_t *obj, const char *path,
    const char *const *allowed, struct twin_err *err)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)obj, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL)
			return conf_error(c, obj, path, k, err,
			    "unknown key");
	}
	return 0;
}

/* The member, or NULL; a missing required one is an error. */
static int
member(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, json_t **v, struct twin_err *err)
{
	*v = json_object_get(obj, key);
	if (*v == NULL && required)
		return conf_error(c, obj, path, NULL, err, "missing '%s'",
		    key);
	return 0;
}

static int
wrong(const struct conf *c, const json_t *obj, const char *path,
    const char *key, struct twin_err *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int
wrong(const struct conf *c, const json_t *obj, const char *path,
    const char *key, struct twin_err *err, const char *fmt, ...)
{
	char where[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror(c, conf_key_line(c, obj, key), conf_path_join(where,
	    sizeof(where), path, key), err, fmt, ap);
	va_end(ap);
	return rc;
}

int
conf_num(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, double lo, double hi, double *v,
    struct twin_err *err)
{
	json_t *x;
	double d;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x == NULL)
		return 0;
	if (!json_is_number(x))
		return wrong(c, obj, path, key, err, "not a number");
	d = json_number_value(x);
	if (!(d >= lo && d <= hi))
		return wrong(c, obj, path, key, err, "%.17g is not from %g "
		    "to %g", d, lo, hi);
	*v = d;
	return 0;
}

int
conf_int(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, long long lo, long long hi,
    long long *v, struct twin_err *err)
{
	json_t *x;
	long long i;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x == NULL)
		return 0;
	if (!json_is_integer(x))
		return wrong(c, obj, path, key, err, "not a whole number");
	i = (long long)json_integer_value(x);
	if (i < lo || i > hi)
		return wrong(c, obj, path, key, err, "%lld is not from %lld "
		    "to %lld", i, lo, hi);
	*v = i;
	return 0;
}

int
conf_bool(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, int *v, struct twin_err *err)
{
	json_t *x;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x == NULL)
		return 0;
	if (!json_is_boolean(x))
		return wrong(c, obj, path, key, err, "not true or false");
	*v = json_is_true(x);
	return 0;
}

int
conf_str(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, const char **v, struct twin_err *err)
{
	json_t *x;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x == NULL)
		return 0;
	if (!json_is_string(x))
		return wrong(c, obj, path, key, err, "not a string");
	if (json_string_length(x) == 0)
		return wrong(c, obj, path, key, err, "empty");
	if (strlen(json_string_value(x)) != json_string_length(x))
		return wrong(c, obj, path, key, err, "holds a NUL byte");
	*v = json_string_value(x);
	return 0;
}

int
conf_enum(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, const char *const *words, int *v,
    struct twin_err *err)
{
	struct buf b = BUF_INIT;
	const char *s = NULL;
	int i, n, rc;

	if (conf_str(c, obj, path, key, required, &s, err) < 0)
		return -1;
	if (s == NULL)
		return 0;
	for (n = 0; words[n] != NULL; n++)
		if (strcmp(s, words[n]) == 0) {
			*v = n;
			return 0;
		}
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, i == n - 1 ? " or " : ", ");
		buf_addf(&b, "\"%s\"", words[i]);
	}
	rc = wrong(c, obj, path, key, err, "not %s", buf_str(&b));
	buf_free(&b);
	return rc;
}

int
conf_dur(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, int64_t lo, int64_t hi, int64_t *v,
    struct twin_err *err)
{
	struct twin_err e;
	json_t *x;
	int64_t ns;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x == NULL)
		return 0;
	if (!json_is_string(x) || tm_parse_duration(json_string_value(x),
	    &ns, &e) < 0)
		return wrong(c, obj, path, key, err, "not a duration such "
		    "as \"90s\" or \"2h\"");
	if (ns < lo || ns > hi)
		return wrong(c, obj, path, key, err, "duration out of "
		    "range");
	*v = ns;
	return 0;
}

int
conf_obj(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, json_t **v, struct twin_err *err)
{
	json_t *x;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x != NULL && !json_is_object(x))
		return wrong(c, obj, path, key, err, "not an object");
	*v = x;
	return 0;
}

int
conf_arr(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, json_t **v, struct twin_err *err)
{
	json_t *x;

	if (member(c, obj, path, key, required, &x, err) < 0)
		return -1;
	if (x != NULL && !json_is_array(x))
		return wrong(c, obj, path, key, err, "not an array");
	*v = x;
	return 0;
}
