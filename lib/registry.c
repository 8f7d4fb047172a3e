/* registry.c - the model registry on disk; see registry.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "ndj.h"
#include "rec.h"
#include "fsio.h"
#include "registry.h"
#include "tm.h"
#include "banned.h"

int
reg_valid_sha(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

static int
mkdir_p(const char *path, struct twin_err *err)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(err, TWIN_EIO, "cannot create '%s': %s", path,
		    strerror(errno));
	return 0;
}

static char *
path_of(struct registry *r, const char *a, const char *b, const char *c)
{
	struct buf p = BUF_INIT;

	buf_adds(&p, r->dir);
	buf_addc(&p, '/');
	buf_adds(&p, a);
	if (b != NULL)
		buf_adds(&p, b);
	if (c != NULL)
		buf_adds(&p, c);
	return (char *)buf_str(&p);
}

int
reg_open(struct registry *r, const char *dir, const char *tenant,
    int create, struct twin_err *err)
{
	struct buf p = BUF_INIT;
	struct stat st;
	char *sub;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
	if (!rec_tenant_valid(tenant))
		return err_set(err, TWIN_EUSAGE, "invalid tenant '%s'", tenant);
	buf_addf(&p, "%s/%s", dir, tenant);
	r->dir = xstrdup(buf_str(&p));
	r->tenant = xstrdup(tenant);
	buf_free(&p);
	if (!create) {
		if (stat(r->dir, &st) < 0 || !S_ISDIR(st.st_mode))
			return err_set(err, TWIN_ECONFIG, "no registry for "
			    "tenant '%s' in '%s'", tenant, dir);
		return 0;
	}
	if (mkdir_p(dir, err) < 0 || mkdir_p(r->dir, err) < 0)
		return -1;
	sub = path_of(r, "models", NULL, NULL);
	if (mkdir_p(sub, err) == 0) {
		free(sub);
		sub = path_of(r, "cards", NULL, NULL);
		if (mkdir_p(sub, err) == 0)
			rc = 0;
	}
	free(sub);
	return rc;
}

void
reg_close(struct registry *r)
{
	if (r->lockfd >= 0)
		close(r->lockfd);
	free(r->dir);
	free(r->tenant);
	memset(r, 0, sizeof(*r));
	r->lockfd = -1;
}

int
reg_lock(struct registry *r, struct twin_err *err)
{
	char *p = path_of(r, "lock", NULL, NULL);
	int rc = 0;

	r->lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (r->lockfd < 0)
		rc = err_set(err, TWIN_EIO, "cannot open '%s': %s", p,
		    strerror(errno));
	else if (flock(r->lockfd, LOCK_EX | LOCK_NB) < 0)
		rc = err_set(err, errno == EWOULDBLOCK ? TWIN_ETEMP : TWIN_EIO,
		    "registry '%s' is locked by another run", r->dir);
	free(p);
	return rc;
}

static int
read_all(const char *path, struct buf *b, struct twin_err *err)
{
	char tmp[65536];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(err, errno == ENOENT ? TWIN_ECONFIG : TWIN_EIO,
		    "cannot read '%s': %s", path, strerror(errno));
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(err, TWIN_EIO, "cannot read '%s': %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		buf_add(b, tmp, (size_t)n);
	}
	close(fd);
	buf_str(b);
	return 0;
}

int
reg_production(struct registry *r, char *sha, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	char *p = path_of(r, "production", NULL, NULL);
	struct twin_err e2;
	int rc;

	if (read_all(p, &b, &e2) < 0) {
		rc = e2.code == TWIN_ECONFIG ? 0 : err_set(err, e2.code, "%s",
		    e2.msg);
		goto out;
	}
	if (b.len != 65 || b.s[64] != '\n') {
		rc = err_set(err, TWIN_ECONFIG, "'%s' is not a model name", p);
		goto out;
	}
	memcpy(sha, b.s, 64);
	sha[64] = '\0';
	if (!reg_valid_sha(sha)) {
		rc = err_set(err, TWIN_ECONFIG, "'%s' is not a model name", p);
		goto out;
	}
	rc = 1;
out:
	free(p);
	buf_free(&b);
	return rc;
}

int
reg_production_stamp(struct registry *r, ino_t *ino, struct timespec *mtime)
{
	char *p = path_of(r, "production", NULL, NULL);
	struct stat st;
	int rc = stat(p, &st);

	free(p);
	if (rc < 0) {
		*ino = 0;
		mtime->tv_sec = 0;
		mtime->tv_nsec = 0;
		return -1;
	}
	*ino = st.st_ino;
	*mtime = st.st_mtim;
	return 0;
}

int
reg_set_production(struct registry *r, const char *sha, struct twin_err *err)
{
	char *p = path_of(r, "production", NULL, NULL), line[66];
	int rc;

	memcpy(line, sha, 64);
	line[64] = '\n';
	line[65] = '\0';
	rc = fsio_write_atomic(p, line, 65, 0644, err);
	free(p);
	return rc;
}

int
reg_has(struct registry *r, const char *sha)
{
	char *p = path_of(r, "models/", sha, ".json");
	int rc = access(p, F_OK) == 0;

	free(p);
	return rc;
}

int
reg_store(struct registry *r, const char *text, size_t len, char *sha,
    struct twin_err *err)
{
	char *p;
	int rc;

	digest_sha256_hex(text, len, sha);
	if (reg_has(r, sha)) {
		struct buf b = BUF_INIT;

		/* Stored before: keep it unless it was damaged since. */
		rc = reg_read(r, sha, &b, NULL);
		buf_free(&b);
		if (rc == 0)
			return 0;
	}
	p = path_of(r, "models/", sha, ".json");
	rc = fsio_write_atomic(p, text, len, 0644, err);
	free(p);
	return rc < 0 ? -1 : 1;
}

int
reg_read(struct registry *r, const char *sha, struct buf *b,
    struct twin_err *err)
{
	char hex[DIGEST_HEX], *p;
	int rc;

	if (!reg_valid_sha(sha))
		return err_set(err, TWIN_EUSAGE, "'%s' is not a model name",
		    sha);
	p = path_of(r, "models/", sha, ".json");
	rc = read_all(p, b, err);
	free(p);
	if (rc < 0)
		return -1;
	digest_sha256_hex(b->s, b->len, hex);
	if (strcmp(hex, sha) != 0)
		return err_set(err, TWIN_ECONFIG, "model %.12s: content does "
		    "not match its name (altered or truncated)", sha);
	return 0;
}

struct model *
reg_load(struct registry *r, const char *sha, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	struct model *m = NULL;

	if (reg_read(r, sha, &b, err) == 0) {
		m = model_parse(b.s, b.len, r->tenant, err);
		if (m == NULL)
			err_prefix(err, "model %.12s", sha);
		else
			memcpy(m->sha, sha, 65);
	}
	buf_free(&b);
	return m;
}

int
reg_resolve(struct registry *r, const char *name, char *sha,
    struct twin_err *err)
{
	char *p = path_of(r, "models", NULL, NULL);
	size_t n = strlen(name), found = 0;
	struct dirent *de;
	DIR *d;

	if (n < 6 || n > 64 || strspn(name, "0123456789abcdef") != n) {
		free(p);
		return err_set(err, TWIN_EUSAGE, "'%s' is not a model name "
		    "(6 to 64 hex digits)", name);
	}
	if ((d = opendir(p)) == NULL) {
		err_set(err, TWIN_EIO, "cannot read '%s': %s", p,
		    strerror(errno));
		free(p);
		return -1;
	}
	free(p);
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) != 69 ||
		    strcmp(de->d_name + 64, ".json") != 0 ||
		    strncmp(de->d_name, name, n) != 0)
			continue;
		if (found++ == 0) {
			memcpy(sha, de->d_name, 64);
			sha[64] = '\0';
		}
	}
	closedir(d);
	if (found == 0)
		return err_set(err, TWIN_ECONFIG, "no model '%s' in the "
		    "registry", name);
	if (found > 1)
		return err_set(err, TWIN_EUSAGE, "model name '%s' is "
		    "ambiguous", name);
	return 0;
}

int
reg_card_write(struct registry *r, const char *sha, const json_t *card,
    struct twin_err *err)
{
	struct buf b = BUF_INIT;
	char *p = path_of(r, "cards/", sha, ".json");
	int rc;

	buf_json(&b, card);
	buf_addc(&b, '\n');
	rc = fsio_write_atomic(p, b.s, b.len, 0644, err);
	buf_free(&b);
	free(p);
	return rc;
}

json_t *
reg_card_read(struct registry *r, const char *sha, struct twin_err *err)
{
	char *p = path_of(r, "cards/", sha, ".json");
	json_t *c = ndj_load_file(p, err);

	free(p);
	return c;
}

int
reg_ledger_append(struct registry *r, json_t *entry, struct twin_err *err)
{
	char *p = path_of(r, "ledger.ndjson", NULL, NULL), ts[TM_BUFSZ];
	struct buf b = BUF_INIT;
	struct timespec now;
	json_t *e = json_object();
	const char *key;
	json_t *v;
	ssize_t w;
	size_t off = 0;
	int fd, rc = -1;

	clock_gettime(CLOCK_REALTIME, &now);
	tm_format((int64_t)now.tv_sec * TM_NS_PER_S / TM_NS_PER_MS *
	    TM_NS_PER_MS + now.tv_nsec / TM_NS_PER_MS * TM_NS_PER_MS, ts);
	json_object_set_new(e, "ts", json_string(ts));
	json_object_set_new(e, "tenant", json_string(r->tenant));
	json_object_foreach(entry, key, v)
		json_object_set(e, key, v);
	buf_json(&b, e);
	buf_addc(&b, '\n');
	json_decref(e);
	fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", p,
		    strerror(errno));
		goto out;
	}
	while (off < b.len) {
		w = write(fd, b.s + off, b.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err_set(err, TWIN_EIO, "cannot write '%s': %s", p,
			    strerror(errno));
			close(fd);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		err_set(err, TWIN_EIO, "cannot sync '%s': %s", p,
		    strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	buf_free(&b);
	free(p);
	return rc;
}

json_t *
reg_ledger_read(struct registry *r, struct twin_err *err)
{
	char *p = path_of(r, "ledger.ndjson", NULL, NULL), *line;
	struct ndj_reader *rd;
	json_t *arr = json_array(), *e;
	struct twin_err e2;
	size_t len;
	int rc;

	if (access(p, F_OK) < 0) {
		free(p);
		return arr;
	}
	rd = ndj_open_path(p, NDJ_MAX_LINE_DEFAULT, err);
	free(p);
	if (rd == NULL) {
		json_decref(arr);
		return NULL;
	}
	while ((rc = ndj_next(rd, &line, &len, &e2)) != 0) {
		if (rc < 0) {
			if (e2.code == TWIN_EDATA)
				continue;
			break;
		}
		/* A torn last line (crash mid-append) is ignored. */
		if ((e = ndj_parse(line, len, NULL)) != NULL)
			json_array_append_new(arr, e);
	}
	ndj_close(rd);
	if (rc < 0) {
		err_set(err, e2.code, "%s", e2.msg);
		json_decref(arr);
		return NULL;
	}
	return arr;
}
