/* src_csv.c - raw records from CSV exports; see src_csv.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "src_csv.h"
#include "tm.h"
#include "banned.h"

/* A piece of a tag template: text, a column's cell, or the column name. */
struct tpart {
	const char *text;	/* into the template copy; NULL for a ref */
	size_t len;
	int col;		/* 0-based; -1: the value column's name */
	char *ref;		/* unresolved reference */
};

struct src_csv {
	struct src_file *f;
	struct csv_opts o;
	char *tenant;
	char *src;
	char **names;
	size_t nnames;
	int resolved;
	int time_idx;		/* -1: none (row time) */
	int tag_idx, value_idx;	/* long layout */
	unsigned char *is_value; /* wide layout, per column */
	char *tmpl;		/* copy of the template */
	struct tpart *parts;
	size_t nparts;
	/* the row being emitted */
	struct buf row;		/* fields, each NUL-terminated */
	size_t *fstart;
	size_t nf, fcap;
	size_t next_col;
	int have_row;
	int64_t row_ts;
	long long rowno;
	long long seq;
	int header_pending;
	int done;
	struct buf tmp;
};

void
csv_defaults(struct csv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->delim = ',';
	o->header = 1;
	o->layout = CSV_WIDE;
	o->time_fmt = CSV_TIME_RFC3339;
	o->step = TM_NS_PER_S;
}

static void
free_names(struct src_csv *c)
{
	size_t i;

	for (i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	c->names = NULL;
	c->nnames = 0;
}

static void
add_name(struct src_csv *c, const char *s, size_t n)
{
	c->names = xrealloc(c->names, (c->nnames + 1) * sizeof(*c->names));
	c->names[c->nnames] = xmalloc(n + 1);
	memcpy(c->names[c->nnames], s, n);
	c->names[c->nnames][n] = '\0';
	c->nnames++;
}

/* Split a template into parts; the references are resolved later. */
static int
parse_template(struct src_csv *c, const char *t, struct twin_err *err)
{
	char *p, *open, *close;

	c->tmpl = xstrdup(t);
	for (p = c->tmpl; *p;) {
		c->parts = xrealloc(c->parts, (c->nparts + 1) *
		    sizeof(*c->parts));
		memset(&c->parts[c->nparts], 0, sizeof(*c->parts));
		if ((open = strchr(p, '{')) != p) {
			size_t n = open ? (size_t)(open - p) : strlen(p);

			if (memchr(p, '}', n) != NULL)
				return err_set(err, TWIN_EUSAGE,
				    "bad tag template '%s': '}' without '{'", t);
			c->parts[c->nparts].text = p;
			c->parts[c->nparts].len = n;
			c->nparts++;
			p += n;
			continue;
		}
		if ((close = strchr(p, '}')) == NULL || close == p + 1)
			return err_set(err, TWIN_EUSAGE,
			    "bad tag template '%s': unclosed or empty '{'", t);
		*close = '\0';
		c->parts[c->nparts].ref = p + 1;
		c->parts[c->nparts].col = strcmp(p + 1, "col") == 0 ? -1 : -2;
		c->nparts++;
		p = close + 1;
	}
	return 0;
}

struct src_csv *
src_csv_open(const char *path, const struct csv_opts *o,
    const struct src_file_opts *fo, const char *tenant,
    struct twin_err *err)
{
	struct src_csv *c = xcalloc(1, sizeof(*c));
	struct buf b = BUF_INIT;
	const char *p, *comma;

	c->o = *o;
	c->tenant = xstrdup(tenant);
	buf_addf(&b, "csv:%s", path);
	c->src = xstrdup(buf_str(&b));
	buf_free(&b);
	if (o->layout == CSV_WIDE &&
	    parse_template(c, o->tag ? o->tag : "{col}", err) < 0)
		goto fail;
	if (o->columns != NULL) {
		for (p = o->columns;; p = comma + 1) {
			comma = strchr(p, ',');
			add_name(c, p, comma ? (size_t)(comma - p) : strlen(p));
			if (comma == NULL)
				break;
		}
	}
	c->header_pending = o->header;
	if ((c->f = src_file_open(path, fo, err)) == NULL)
		goto fail;
	return c;
fail:
	src_csv_close(c);
	return NULL;
}

/* Whether s holds only valid UTF-8 and no NUL byte. */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, j;
	unsigned cp;

	while (i < n) {
		if (s[i] == 0)
			return 0;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (i + k > n)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k;
	}
	return 1;
}

/* Split line into c->row / c->fstart; -1 on bad quoting. */
static int
split(struct src_csv *c, const char *s, size_t n, struct twin_err *err)
{
	size_t i = 0, j;

	buf_reset(&c->row);
	c->nf = 0;
	for (;;) {
		if (c->o.delim == ' ') {
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i >= n)
				break;
		}
		if (c->nf == c->fcap) {
			c->fcap = c->fcap ? c->fcap * 2 : 32;
			c->fstart = xrealloc(c->fstart,
			    c->fcap * sizeof(*c->fstart));
		}
		c->fstart[c->nf++] = c->row.len;
		if (c->o.delim != ' ' && i < n && s[i] == '"') {
			for (i++;; i++) {
				if (i >= n)
					return err_set(err, TWIN_EDATA,
					    "unterminated quoted field %zu",
					    c->nf);
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						buf_addc(&c->row, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				buf_addc(&c->row, s[i]);
			}
			if (i < n && s[i] != c->o.delim)
				return err_set(err, TWIN_EDATA,
				    "text after the closing quote of field %zu",
				    c->nf);
		} else {
			for (j = i; j < n && s[j] != c->o.delim &&
			    !(c->o.delim == ' ' && s[j] == '\t'); j++)
				;
			/* Blanks around an unquoted cell mean nothing. */
			{
				size_t a = i, z = j;

				while (a < z && (s[a] == ' ' || s[a] == '\t'))
					a++;
				while (z > a && (s[z - 1] == ' ' ||
				    s[z - 1] == '\t'))
					z--;
				buf_add(&c->row, s + a, z - a);
			}
			i = j;
		}
		buf_addc(&c->row, '\0');
		if (i >= n)
			break;
		i++;	/* the delimiter */
		if (c->o.delim != ' ' && i >= n) {
			/* a trailing delimiter: one more empty field */
			if (c->nf == c->fcap) {
				c->fcap *= 2;
				c->fstart = xrealloc(c->fstart,
				    c->fcap * sizeof(*c->fstart));
			}
			c->fstart[c->nf++] = c->row.len;
			buf_addc(&c->row, '\0');
			break;
		}
	}
	return 0;
}

static const char *
field(const struct src_csv *c, size_t i)
{
	return c->row.s + c->fstart[i];
}

/* A column by name or by number (from 1); -1 when there is none. */
static int
find_col(const struct src_csv *c, const char *ref, size_t ncols)
{
	size_t i;
	char *end;
	long v;

	for (i = 0; i < c->nnames; i++)
		if (strcmp(c->names[i], ref) == 0)
			return (int)i;
	if (ref[0] >= '0' && ref[0] <= '9') {
		v = strtol(ref, &end, 10);
		if (*end == '\0' && v >= 1 && (size_t)v <= ncols)
			return (int)v - 1;
	}
	return -1;
}

static int
need_col(const struct src_csv *c, const char *what, const char *ref,
    size_t ncols, int *out, struct twin_err *err)
{
	if ((*out = find_col(c, ref, ncols)) < 0)
		return err_set(err, TWIN_EUSAGE, "%s: no %s column '%s'",
		    src_file_where(c->f), what, ref);
	return 0;
}

/* Fix the columns once their names (or their count) are known. */
static int
resolve(struct src_csv *c, size_t ncols, struct twin_err *err)
{
	const char *p, *comma;
	char tmp[256];
	size_t i;
	int k;

	if (c->nnames > 0)
		ncols = c->nnames;
	/* Without names, columns are called c1, c2, ... */
	if (c->nnames == 0)
		for (i = 0; i < ncols; i++) {
			snprintf(tmp, sizeof(tmp), "c%zu", i + 1);
			add_name(c, tmp, strlen(tmp));
		}
	c->time_idx = -1;
	if (c->o.time_fmt != CSV_TIME_ROW &&
	    need_col(c, "time", c->o.time_col ? c->o.time_col :
	    c->o.layout == CSV_LONG ? (find_col(c, "time", 0) >= 0 ? "time" :
	    "2") : "1", ncols, &c->time_idx, err) < 0)
		return -1;
	if (c->o.layout == CSV_LONG) {
		if (need_col(c, "tag", c->o.tag_col ? c->o.tag_col :
		    find_col(c, "tag", 0) >= 0 ? "tag" : "1", ncols,
		    &c->tag_idx, err) < 0 ||
		    need_col(c, "value", c->o.value_col ? c->o.value_col :
		    find_col(c, "value", 0) >= 0 ? "value" : "3", ncols,
		    &c->value_idx, err) < 0)
			return -1;
		c->resolved = 1;
		return 0;
	}
	c->is_value = xcalloc(ncols ? ncols : 1, 1);
	for (i = 0; i < ncols; i++)
		c->is_value[i] = 1;
	if (c->time_idx >= 0)
		c->is_value[c->time_idx] = 0;
	for (i = 0; i < c->nparts; i++) {
		if (c->parts[i].ref == NULL || c->parts[i].col == -1)
			continue;
		if (need_col(c, "template", c->parts[i].ref, ncols, &k,
		    err) < 0)
			return -1;
		c->parts[i].col = k;
		c->is_value[k] = 0;
	}
	for (p = c->o.skip; p != NULL && *p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		snprintf(tmp, sizeof(tmp), "%.*s",
		    (int)(comma ? (size_t)(comma - p) : strlen(p)), p);
		if (need_col(c, "skipped", tmp, ncols, &k, err) < 0)
			return -1;
		c->is_value[k] = 0;
	}
	c->resolved = 1;
	return 0;
}

static int
parse_num(const char *s, double *v)
{
	char *end;

	if (*s == '\0')
		return -1;
	*v = strtod(s, &end);
	if (*end != '\0' || !isfinite(*v))
		return -1;
	return 0;
}

/*
 * An integer with up to fdig decimals, exactly, scaled by 10^fdig: epoch
 * times must not pass through a double.  -1 when s is not of that form.
 */
static int
parse_scaled(const char *s, int fdig, int64_t *out)
{
	int64_t v = 0, f = 0;
	int neg = 0, n = 0, k = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, k++) {
			if (k >= fdig)
				return -1;
			f = f * 10 + (*s - '0');
		}
	if (*s != '\0' || n == 0)
		return -1;
	for (; k < fdig; k++)
		f *= 10;
	for (k = 0; k < fdig; k++) {
		if (v > INT64_MAX / 10)
			return -1;
		v *= 10;
	}
	if (v > INT64_MAX - f)
		return -1;
	*out = neg ? -(v + f) : v + f;
	return 0;
}

static int
row_time(struct src_csv *c, struct twin_err *err)
{
	const char *s;
	char tmp[64];
	size_t n;
	double v;
	int64_t k;

	if (c->o.time_fmt == CSV_TIME_ROW) {
		c->row_ts = c->o.start + c->rowno * c->o.step;
		return 0;
	}
	s = field(c, (size_t)c->time_idx);
	if (c->o.time_fmt == CSV_TIME_RFC3339) {
		n = strlen(s);
		/* "2026-11-01 10:00:00" and no zone: a historian's UTC. */
		if (n >= 19 && n < sizeof(tmp) - 2 && s[10] == ' ') {
			memcpy(tmp, s, n + 1);
			tmp[10] = 'T';
			s = tmp;
		}
		if (n >= 19 && n < sizeof(tmp) - 2 && s[n - 1] != 'Z' &&
		    s[n - 1] != 'z' && strchr(s + 19, '+') == NULL &&
		    strchr(s + 19, '-') == NULL) {
			if (s != tmp)
				memcpy(tmp, s, n + 1);
			tmp[n] = 'Z';
			tmp[n + 1] = '\0';
			s = tmp;
			n++;
		}
		if (tm_parse(s, n, &c->row_ts, err) < 0)
			return -1;
		return 0;
	}
	if (c->o.time_fmt == CSV_TIME_EPOCH_S ||
	    c->o.time_fmt == CSV_TIME_EPOCH_MS) {
		if (parse_scaled(s, c->o.time_fmt == CSV_TIME_EPOCH_S ? 9 : 6,
		    &c->row_ts) < 0 || c->row_ts < -9200000000000000000LL ||
		    c->row_ts > 9200000000000000000LL)
			return err_set(err, TWIN_EDATA, "bad epoch time "
			    "'%.40s'", s);
		return 0;
	}
	if (parse_scaled(s, 0, &k) == 0 && (k == 0 || (k > 0 &&
	    k < 9200000000000000000LL / c->o.step) || (k < 0 &&
	    k > -9200000000000000000LL && -k < 9200000000000000000LL /
	    c->o.step))) {
		/* An integer counter: exact, when start + k step fits. */
		if (__builtin_add_overflow(c->o.start, k * c->o.step,
		    &c->row_ts))
			return err_set(err, TWIN_EDATA, "time out of range "
			    "'%.40s'", s);
		return 0;
	}
	if (parse_num(s, &v) < 0)
		return err_set(err, TWIN_EDATA, "bad time '%.40s'", s);
	v = (double)c->o.start + v * (double)c->o.step;
	if (!(v > -9.2e18 && v < 9.2e18))
		return err_set(err, TWIN_EDATA, "time out of range '%.40s'", s);
	c->row_ts = (int64_t)llround(v);
	return 0;
}

static void
put_head(struct src_csv *c, struct buf *rec, const char *tag, size_t n)
{
	char ts[TM_BUFSZ];
	int k = tm_format(c->row_ts, ts);

	buf_reset(rec);
	buf_adds(rec, "{\"kind\":\"raw\",\"ts\":\"");
	buf_add(rec, ts, (size_t)k);
	buf_adds(rec, "\",\"tenant\":");
	buf_jstr(rec, c->tenant, strlen(c->tenant));
	buf_adds(rec, ",\"src\":");
	buf_jstr(rec, c->src, strlen(c->src));
	buf_adds(rec, ",\"seq\":");
	buf_jint(rec, ++c->seq);
	buf_adds(rec, ",\"tag\":");
	buf_jstr(rec, tag, n);
}

static void
put_tail(struct src_csv *c, struct buf *rec, double v)
{
	buf_adds(rec, ",\"v\":");
	buf_jnum(rec, v);
	if (c->o.unit != NULL) {
		buf_adds(rec, ",\"unit\":");
		buf_jstr(rec, c->o.unit, strlen(c->o.unit));
	}
	buf_addc(rec, '}');
}

/* Read the next row that has data; 1 row, 0 end, -1 error. */
static int
next_row(struct src_csv *c, struct twin_err *err)
{
	const char *line;
	size_t n, i;
	int r;

	for (;;) {
		r = src_file_next(c->f, &line, &n, err);
		if (r <= 0)
			return r;
		if (!utf8_ok((const unsigned char *)line, n)) {
			if (c->header_pending)
				c->header_pending = 0;
			return err_set(err, TWIN_EDATA,
			    "invalid UTF-8 or NUL byte");
		}
		if (split(c, line, n, err) < 0)
			return -1;
		if (c->header_pending) {
			c->header_pending = 0;
			if (c->o.columns == NULL) {
				free_names(c);
				for (i = 0; i < c->nf; i++)
					add_name(c, field(c, i),
					    strlen(field(c, i)));
			}
			continue;
		}
		if (!c->resolved && resolve(c, c->nf, err) < 0) {
			c->done = 1;
			return -1;
		}
		if (c->nf != c->nnames)
			return err_set(err, TWIN_EDATA,
			    "row has %zu fields, not %zu", c->nf, c->nnames);
		if (row_time(c, err) < 0) {
			c->rowno++;
			return -1;
		}
		c->rowno++;
		c->next_col = 0;
		c->have_row = 1;
		return 1;
	}
}

int
src_csv_next(struct src_csv *c, struct buf *rec, int64_t *ts,
    struct twin_err *err)
{
	const char *s;
	double v;
	size_t i, k;
	int r;

	for (;;) {
		if (c->done)
			return 0;
		if (!c->have_row) {
			r = next_row(c, err);
			if (r <= 0)
				return r;
		}
		if (c->o.layout == CSV_LONG) {
			c->have_row = 0;
			s = field(c, (size_t)c->tag_idx);
			if (*s == '\0')
				return err_set(err, TWIN_EDATA, "empty tag");
			if (*field(c, (size_t)c->value_idx) == '\0')
				continue;
			if (parse_num(field(c, (size_t)c->value_idx), &v) < 0)
				return err_set(err, TWIN_EDATA,
				    "bad number '%.40s'",
				    field(c, (size_t)c->value_idx));
			put_head(c, rec, s, strlen(s));
			put_tail(c, rec, v);
			*ts = c->row_ts;
			return 1;
		}
		while (c->next_col < c->nf && !c->is_value[c->next_col])
			c->next_col++;
		if (c->next_col >= c->nf) {
			c->have_row = 0;
			continue;
		}
		k = c->next_col++;
		s = field(c, k);
		if (*s == '\0')
			continue;	/* a missing value */
		if (parse_num(s, &v) < 0)
			return err_set(err, TWIN_EDATA,
			    "column '%.40s': bad number '%.40s'", c->names[k],
			    s);
		buf_reset(&c->tmp);
		for (i = 0; i < c->nparts; i++) {
			const struct tpart *p = &c->parts[i];

			if (p->ref == NULL)
				buf_add(&c->tmp, p->text, p->len);
			else if (p->col == -1)
				buf_adds(&c->tmp, c->names[k]);
			else
				buf_adds(&c->tmp, field(c, (size_t)p->col));
		}
		put_head(c, rec, c->tmp.s ? c->tmp.s : "", c->tmp.len);
		put_tail(c, rec, v);
		*ts = c->row_ts;
		return 1;
	}
}

const char *
src_csv_where(const struct src_csv *c)
{
	return src_file_where(c->f);
}

long
src_csv_lineno(const struct src_csv *c)
{
	return src_file_lineno(c->f);
}

void
src_csv_close(struct src_csv *c)
{
	if (c == NULL)
		return;
	src_file_close(c->f);
	free_names(c);
	free(c->tenant);
	free(c->src);
	free(c->is_value);
	free(c->tmpl);
	free(c->parts);
	free(c->fstart);
	buf_free(&c->row);
	buf_free(&c->tmp);
	free(c);
}
