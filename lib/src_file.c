/* src_file.c - NDJSON lines from files and archives; see src_file.h. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buf.h"
#include "rawrec.h"
#include "src_file.h"
#include "banned.h"

#define SRC_FILE_BLOCK 65536

struct src_file {
	struct src_file_opts o;
	char **files;		/* what to open, in order */
	size_t nfiles;
	size_t ifile;
	const char *path;	/* the file open now */
	struct archive *a;
	struct archive *inner;	/* a compressed file inside an archive */
	int in_entry;
	struct buf where;
	long lineno;
	unsigned long long nentries;
	unsigned long long entry_bytes;
	unsigned long long total_bytes;
	const char *blk;	/* the data block being split */
	size_t blen;
	size_t bpos;
	struct buf part;	/* a line that spans blocks */
	int skipping;		/* inside a line over the limit */
	char *rbuf;		/* standard input's read buffer */
};

void
src_file_defaults(struct src_file_opts *o)
{
	o->max_entries = SRC_FILE_MAX_ENTRIES;
	o->max_entry_bytes = SRC_FILE_MAX_ENTRY_BYTES;
	o->max_ratio = SRC_FILE_MAX_RATIO;
	o->max_line = 16u * 1024 * 1024;
	o->stop = NULL;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
segment_name(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return 0;
	if (n >= 5 && strcmp(name + n - 5, ".open") == 0)
		return 0;
	return 1;
}

/* List a capture directory: its regular files in name order. */
static int
list_dir(struct src_file *f, const char *dir, struct twin_err *err)
{
	struct dirent *de;
	struct stat st;
	struct buf p = BUF_INIT;
	size_t cap = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return err_set(err, TWIN_EIO, "cannot open '%s': %s", dir,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!segment_name(de->d_name))
			continue;
		buf_reset(&p);
		buf_addf(&p, "%s/%s", dir, de->d_name);
		if (stat(buf_str(&p), &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (f->nfiles == cap) {
			cap = cap ? cap * 2 : 16;
			f->files = xrealloc(f->files, cap * sizeof(*f->files));
		}
		f->files[f->nfiles++] = xstrdup(buf_str(&p));
	}
	closedir(d);
	buf_free(&p);
	if (f->nfiles > 1)
		qsort(f->files, f->nfiles, sizeof(*f->files), cmpstr);
	return 0;
}

struct src_file *
src_file_open(const char *path, const struct src_file_opts *o,
    struct twin_err *err)
{
	struct src_file *f = xcalloc(1, sizeof(*f));
	struct stat st;

	if (o != NULL)
		f->o = *o;
	else
		src_file_defaults(&f->o);
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		if (list_dir(f, path, err) < 0) {
			src_file_close(f);
			return NULL;
		}
		return f;
	}
	if (strcmp(path, "-") != 0 && stat(path, &st) < 0) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", path,
		    strerror(errno));
		src_file_close(f);
		return NULL;
	}
	f->files = xmalloc(sizeof(*f->files));
	f->files[0] = xstrdup(path);
	f->nfiles = 1;
	return f;
}

static void
end_inner(struct src_file *f)
{
	if (f->inner != NULL) {
		archive_read_free(f->inner);
		f->inner = NULL;
	}
}

static void
end_archive(struct src_file *f)
{
	end_inner(f);
	if (f->a != NULL) {
		archive_read_free(f->a);
		f->a = NULL;
	}
	f->in_entry = 0;
	f->blen = f->bpos = 0;
	buf_reset(&f->part);
	f->skipping = 0;
}

/*
 * Standard input is read here rather than by libarchive, which retries a
 * read interrupted by a signal: a SIGTERM must end a wait for input.
 */
static la_ssize_t
stdin_read(struct archive *a, void *arg, const void **buf)
{
	struct src_file *f = arg;
	ssize_t n;

	for (;;) {
		n = read(0, f->rbuf, SRC_FILE_BLOCK);
		if (n >= 0)
			break;
		if (errno == EINTR && !(f->o.stop != NULL && *f->o.stop))
			continue;
		archive_set_error(a, errno, "read error: %s",
		    errno == EINTR ? "interrupted" : strerror(errno));
		return -1;
	}
	*buf = f->rbuf;
	return n;
}

static void
support_filters(struct archive *a)
{
	/* Named filters only: "all" would run external programs. */
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
}

static int
open_next(struct src_file *f, struct twin_err *err)
{
	struct archive *a;
	int r;

	f->path = f->files[f->ifile++];
	buf_reset(&f->where);
	buf_adds(&f->where, strcmp(f->path, "-") == 0 ? "<stdin>" : f->path);
	f->lineno = 0;
	f->nentries = 0;
	f->total_bytes = 0;
	a = archive_read_new();
	support_filters(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_cpio(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_empty(a);
	archive_read_support_format_raw(a);
	if (strcmp(f->path, "-") == 0) {
		if (f->rbuf == NULL)
			f->rbuf = xmalloc(SRC_FILE_BLOCK);
		r = archive_read_open(a, f, NULL, stdin_read, NULL);
	} else
		r = archive_read_open_filename(a, f->path, SRC_FILE_BLOCK);
	if (r != ARCHIVE_OK) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", f->path,
		    archive_error_string(a) ? archive_error_string(a) :
		    "unknown error");
		archive_read_free(a);
		return -1;
	}
	f->a = a;
	return 0;
}

/* An absolute name or one with a ".." component. */
static int
unsafe_name(const char *name)
{
	const char *p = name;

	if (name[0] == '/' || name[0] == '\\')
		return 1;
	while (*p) {
		size_t n = strcspn(p, "/\\");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		p += n;
		if (*p)
			p++;
	}
	return 0;
}

/* Only printable bytes of an untrusted name reach a message. */
static const char *
quote_name(const char *name, char *q, size_t qsz)
{
	size_t i, o = 0;

	for (i = 0; name[i] && o + 8 < qsz; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(q + o, qsz - o, "\\x%02x", c);
			o += 4;
		} else
			q[o++] = (char)c;
	}
	if (name[i])
		q[o++] = '.', q[o++] = '.', q[o++] = '.';
	q[o] = '\0';
	return q;
}

static int
fail_archive(struct src_file *f, enum twin_errcode code, struct twin_err *err,
    const char *what)
{
	const char *s = archive_error_string(f->a);

	err_set(err, code, "%s: %s", what, s ? s : "unknown error");
	f->lineno = 0;
	end_archive(f);
	return -1;
}

static la_ssize_t
inner_read(struct archive *a, void *arg, const void **buf)
{
	struct src_file *f = arg;
	size_t size;
	la_int64_t off;
	int r;

	(void)a;
	r = archive_read_data_block(f->a, buf, &size, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		archive_set_error(f->inner, EIO, "%s",
		    archive_error_string(f->a) ? archive_error_string(f->a) :
		    "cannot read entry");
		return -1;
	}
	return (la_ssize_t)size;
}

static int
compressed_name(const char *name)
{
	static const char *const sfx[] = {
		".gz", ".zst", ".xz", ".bz2", ".lz4", ".lzma"
	};
	size_t i, n = strlen(name), k;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		k = strlen(sfx[i]);
		if (n > k && strcmp(name + n - k, sfx[i]) == 0)
			return 1;
	}
	return 0;
}

/* Read a compressed entry (a capture segment in a tar) through filters. */
static int
open_inner(struct src_file *f, struct twin_err *err)
{
	struct archive_entry *e;

	f->inner = archive_read_new();
	support_filters(f->inner);
	archive_read_support_format_empty(f->inner);
	archive_read_support_format_raw(f->inner);
	if (archive_read_open(f->inner, f, NULL, inner_read, NULL) !=
	    ARCHIVE_OK || archive_read_next_header(f->inner, &e) <
	    ARCHIVE_WARN) {
		err_set(err, TWIN_EDATA, "cannot read compressed entry: %s",
		    archive_error_string(f->inner) ?
		    archive_error_string(f->inner) : "unknown error");
		end_inner(f);
		f->in_entry = 0;
		return -1;
	}
	return 0;
}

static int
next_entry(struct src_file *f, struct twin_err *err)
{
	struct archive_entry *e;
	const char *name;
	char q[256];
	int r;

	r = archive_read_next_header(f->a, &e);
	if (r == ARCHIVE_EOF) {
		end_archive(f);
		return 0;
	}
	if (r < ARCHIVE_WARN)
		return fail_archive(f, TWIN_EDATA, err, "cannot read archive");
	if (++f->nentries > f->o.max_entries) {
		f->lineno = 0;
		buf_reset(&f->where);
		buf_adds(&f->where, strcmp(f->path, "-") == 0 ? "<stdin>" :
		    f->path);
		end_archive(f);
		return err_set(err, TWIN_EDATA,
		    "archive has too many entries (over %llu)",
		    f->o.max_entries);
	}
	f->lineno = 0;
	f->entry_bytes = 0;
	buf_reset(&f->part);
	f->skipping = 0;
	f->blen = f->bpos = 0;
	buf_reset(&f->where);
	buf_adds(&f->where, strcmp(f->path, "-") == 0 ? "<stdin>" : f->path);
	if (archive_format(f->a) == ARCHIVE_FORMAT_RAW) {
		f->in_entry = 1;
		return 0;
	}
	name = archive_entry_pathname(e);
	if (name == NULL)
		name = "";
	if (unsafe_name(name))
		return err_set(err, TWIN_EDATA,
		    "unsafe entry name '%s' skipped",
		    quote_name(name, q, sizeof(q)));
	if (archive_entry_filetype(e) != AE_IFREG)
		return 0;
	buf_addc(&f->where, ':');
	buf_adds(&f->where, name);
	f->in_entry = 1;
	if (compressed_name(name))
		return open_inner(f, err);
	return 0;
}

static int
next_block(struct src_file *f, struct twin_err *err)
{
	const void *p;
	size_t size;
	la_int64_t off, in;
	int r;

	if (f->inner != NULL) {
		r = archive_read_data_block(f->inner, &p, &size, &off);
		if (r < ARCHIVE_WARN) {
			err_set(err, TWIN_EDATA, "cannot read data: %s",
			    archive_error_string(f->inner) ?
			    archive_error_string(f->inner) : "unknown error");
			f->lineno = 0;
			end_inner(f);
			f->in_entry = 0;
			return -1;
		}
	} else
		r = archive_read_data_block(f->a, &p, &size, &off);
	if (r == ARCHIVE_EOF) {
		end_inner(f);
		f->in_entry = 0;
		return 0;
	}
	if (r < ARCHIVE_WARN)
		return fail_archive(f, TWIN_EDATA, err, "cannot read data");
	f->entry_bytes += size;
	f->total_bytes += size;
	if (f->entry_bytes > f->o.max_entry_bytes) {
		f->lineno = 0;
		end_archive(f);
		return err_set(err, TWIN_EDATA,
		    "entry larger than %llu bytes uncompressed",
		    f->o.max_entry_bytes);
	}
	in = archive_filter_bytes(f->a, -1);
	if (f->total_bytes > SRC_FILE_RATIO_MIN_BYTES &&
	    (double)f->total_bytes > f->o.max_ratio * (double)(in > 0 ? in : 1)) {
		f->lineno = 0;
		end_archive(f);
		return err_set(err, TWIN_EDATA,
		    "compression ratio over %g (archive bomb?)", f->o.max_ratio);
	}
	f->blk = p;
	f->blen = size;
	f->bpos = 0;
	return 1;
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Finish a line: count it, check it, strip CR.  1 line, 0 blank, -1 err. */
static int
finish_line(struct src_file *f, const char *s, size_t n, const char **line,
    size_t *len, struct twin_err *err)
{
	f->lineno++;
	if (f->skipping || n > f->o.max_line) {
		f->skipping = 0;
		return err_set(err, TWIN_EDATA, "line too long (over %zu bytes)",
		    f->o.max_line);
	}
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (blank(s, n))
		return 0;
	*line = s;
	*len = n;
	return 1;
}

int
src_file_next(struct src_file *f, const char **line, size_t *len,
    struct twin_err *err)
{
	const char *s, *nl;
	size_t rest;
	int r;

	for (;;) {
		if (f->a == NULL) {
			if (f->ifile >= f->nfiles)
				return 0;
			if (open_next(f, err) < 0)
				return -1;
		}
		if (!f->in_entry) {
			if (next_entry(f, err) < 0)
				return -1;
			continue;
		}
		if (f->bpos >= f->blen) {
			r = next_block(f, err);
			if (r < 0)
				return -1;
			if (r > 0)
				continue;
			/* End of entry: a last line without a newline. */
			if (f->part.len > 0 || f->skipping) {
				r = finish_line(f, f->part.s, f->part.len,
				    line, len, err);
				f->part.len = 0;
				if (r != 0)
					return r;
			}
			continue;
		}
		s = f->blk + f->bpos;
		rest = f->blen - f->bpos;
		nl = memchr(s, '\n', rest);
		if (nl == NULL) {
			if (!f->skipping) {
				if (f->part.len + rest > f->o.max_line) {
					f->skipping = 1;
					f->part.len = 0;
				} else
					buf_add(&f->part, s, rest);
			}
			f->bpos = f->blen;
			continue;
		}
		f->bpos += (size_t)(nl - s) + 1;
		if (f->part.len > 0) {
			buf_add(&f->part, s, (size_t)(nl - s));
			r = finish_line(f, f->part.s, f->part.len, line, len,
			    err);
			f->part.len = 0;
		} else
			r = finish_line(f, s, (size_t)(nl - s), line, len,
			    err);
		if (r != 0)
			return r;
	}
}

const char *
src_file_where(const struct src_file *f)
{
	return f->where.s ? f->where.s : "";
}

long
src_file_lineno(const struct src_file *f)
{
	return f->lineno;
}

void
src_file_close(struct src_file *f)
{
	size_t i;

	if (f == NULL)
		return;
	end_archive(f);
	for (i = 0; i < f->nfiles; i++)
		free(f->files[i]);
	free(f->files);
	buf_free(&f->where);
	buf_free(&f->part);
	free(f->rbuf);
	free(f);
}

/*
 * One JSON number at p (RFC 8259 grammar, finite as a double); the byte
 * after it, or NULL.
 */
static const char *
scan_number(const char *p, const char *end)
{
	const char *q = p;
	int digits = 0, exp = 0, frac = 0;

	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++, digits = 1;
	else
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return NULL;
	if (p < end && *p == '.') {
		frac = 1;
		if (++p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		exp = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	/* jansson reads an integer as a long long: decline what may not fit. */
	if (!exp && !frac && digits > 18)
		return NULL;
	/* Only an exponent or a huge integer part can overflow a double. */
	if (exp || digits > 300) {
		char tmp[400];
		size_t n = (size_t)(p - q);

		if (n >= sizeof(tmp))
			return NULL;
		memcpy(tmp, q, n);
		tmp[n] = '\0';
		if (!isfinite(strtod(tmp, NULL)))
			return NULL;
	}
	return p;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A JSON array of numbers at p; the byte after its ']', or NULL. */
static const char *
scan_numbers(const char *p, const char *end)
{
	if (p >= end || *p++ != '[')
		return NULL;
	for (;;) {
		p = skip_blanks(p, end);
		if ((p = scan_number(p, end)) == NULL)
			return NULL;
		p = skip_blanks(p, end);
		if (p < end && *p == ']')
			return p + 1;
		if (p >= end || *p++ != ',')
			return NULL;
	}
}

/* A base64 string at p (the opening quote); the byte after it, or NULL. */
static const char *
scan_b64(const char *p, const char *end)
{
	if (p >= end || *p++ != '"')
		return NULL;
	for (; p < end && *p != '"'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' ||
		    *p == '='))
			return NULL;
	return p < end ? p + 1 : NULL;
}

static int
has(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

int
src_file_fast_raw(const char *line, size_t n, const char *tenant,
    int64_t *ts)
{
	static struct rawrec rr = RAWREC_INIT;
	static struct buf z = BUF_INIT;
	const char *end = line + n, *v, *a, *q;

	/*
	 * rawrec_scan() reads a flat scalar record, and accepts only
	 * strings without quotes or escapes, so the first '"v":' is the
	 * key.  A block's value, and the "rate_hz" and "enc" after it, are
	 * checked here and replaced by a scalar 0 for rawrec_scan(), which
	 * checks the rest of the line.
	 */
	/*
	 * rawrec_scan() remembers the last "ts" text; before the first one
	 * that memory is empty, and an empty "ts" would match it.
	 */
	if (rr.tslen == 0)
		rr.tslen = (size_t)-1;
	buf_reset(&z);
	for (v = line; (v = memchr(v, '"', (size_t)(end - v))) != NULL; v++)
		if (has(v, end, "\"v\":"))
			break;
	if (v != NULL && v + 4 < end && (v[4] == '[' || v[4] == '"')) {
		a = v[4] == '[' ? scan_numbers(v + 4, end) :
		    scan_b64(v + 4, end);
		if (a == NULL || !has(a, end, ",\"rate_hz\":"))
			return 0;
		q = a + 11;
		if (q >= end || *q < '1' || *q > '9' ||
		    (q = scan_number(q, end)) == NULL)
			return 0;
		if (has(q, end, ",\"enc\":\"f32le\""))
			q += 14;
		else if (v[4] == '"')
			return 0;
		buf_add(&z, line, (size_t)(v + 4 - line));
		buf_addc(&z, '0');
		buf_add(&z, q, (size_t)(end - q));
	} else
		buf_add(&z, line, n);
	if (rawrec_scan(buf_str(&z), z.len, &rr) != 1 || rr.srclen == 0 ||
	    rr.taglen == 0 || rr.tenantlen != strlen(tenant) ||
	    memcmp(rr.tenant, tenant, rr.tenantlen) != 0)
		return 0;
	*ts = rr.ts;
	return 1;
}
