/* outbox.c - durable outbox directory; see outbox.h. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsio.h"
#include "outbox.h"
#include "banned.h"

struct outbox {
	char *dir;
	char *rejdir;
};

int
outbox_mkdirs(const char *path, struct twin_err *err)
{
	char *p = xstrdup(path), *s;
	struct stat st;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			err_set(err, TWIN_EIO,
			    "cannot create directory '%s': %s", p,
			    strerror(errno));
			free(p);
			return -1;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(err, TWIN_EIO, "'%s' is not a directory", path);
	return 0;
}

static int
sync_dir(const char *path, struct twin_err *err)
{
	if (fsio_sync_parent(path) < 0)
		return err_set(err, TWIN_EIO, "cannot sync the directory of "
		    "'%s': %s", path, strerror(errno));
	return 0;
}


struct outbox *
outbox_open(const char *dir, struct twin_err *err)
{
	struct outbox *ob;
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/rejected", dir);
	if (outbox_mkdirs(dir, err) < 0 || outbox_mkdirs(b.s, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	ob = xcalloc(1, sizeof(*ob));
	ob->dir = xstrdup(dir);
	ob->rejdir = xstrdup(b.s);
	buf_free(&b);
	return ob;
}

void
outbox_close(struct outbox *ob)
{
	if (ob == NULL)
		return;
	free(ob->dir);
	free(ob->rejdir);
	free(ob);
}

const char *
outbox_dir(const struct outbox *ob)
{
	return ob->dir;
}

static int
name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > 200 || name[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static void
path_of(struct buf *b, const char *dir, const char *name)
{
	buf_reset(b);
	buf_addf(b, "%s/%s", dir, name);
}

int
outbox_put(struct outbox *ob, const char *name, const void *p, size_t n,
    struct twin_err *err)
{
	struct buf path = BUF_INIT;
	int rc;

	if (!name_ok(name))
		return err_set(err, TWIN_EUSAGE, "bad outbox name '%s'", name);
	path_of(&path, ob->dir, name);
	rc = fsio_write_atomic(path.s, p, n, 0600, err);
	buf_free(&path);
	return rc;
}

int
outbox_has(struct outbox *ob, const char *name)
{
	struct buf path = BUF_INIT;
	int rc;

	if (!name_ok(name))
		return 0;
	path_of(&path, ob->dir, name);
	rc = access(path.s, F_OK) == 0;
	buf_free(&path);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
outbox_list(struct outbox *ob, char ***names, size_t *n,
    struct twin_err *err)
{
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	if ((d = opendir(ob->dir)) == NULL)
		return err_set(err, TWIN_EIO, "cannot open outbox '%s': %s",
		    ob->dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (!name_ok(de->d_name) || len < 5 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
}

void
outbox_list_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
outbox_read(struct outbox *ob, const char *name, struct buf *b,
    struct twin_err *err)
{
	struct buf path = BUF_INIT;
	char tmp[8192];
	ssize_t r;
	int fd;

	path_of(&path, ob->dir, name);
	if ((fd = open(path.s, O_RDONLY | O_CLOEXEC)) < 0) {
		err_set(err, TWIN_EIO, "cannot open '%s': %s", path.s,
		    strerror(errno));
		buf_free(&path);
		return -1;
	}
	buf_reset(b);
	for (;;) {
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(err, TWIN_EIO, "cannot read '%s': %s", path.s,
			    strerror(errno));
			close(fd);
			buf_free(&path);
			return -1;
		}
		if (r == 0)
			break;
		buf_add(b, tmp, (size_t)r);
	}
	close(fd);
	buf_free(&path);
	return 0;
}

int
outbox_remove(struct outbox *ob, const char *name, struct twin_err *err)
{
	struct buf path = BUF_INIT;
	int rc = 0;

	path_of(&path, ob->dir, name);
	if (unlink(path.s) < 0 && errno != ENOENT)
		rc = err_set(err, TWIN_EIO, "cannot remove '%s': %s", path.s,
		    strerror(errno));
	else
		rc = sync_dir(path.s, err);
	buf_free(&path);
	return rc;
}

int
outbox_reject(struct outbox *ob, const char *name, const char *reason,
    struct twin_err *err)
{
	struct buf from = BUF_INIT, to = BUF_INIT;
	int rc = -1;

	path_of(&from, ob->dir, name);
	buf_addf(&to, "%s/%s.reason", ob->rejdir, name);
	if (fsio_write_atomic(to.s, reason, strlen(reason), 0600, err) < 0)
		goto out;
	path_of(&to, ob->rejdir, name);
	if (rename(from.s, to.s) < 0) {
		err_set(err, TWIN_EIO, "cannot move '%s' to '%s': %s", from.s,
		    to.s, strerror(errno));
		goto out;
	}
	if (sync_dir(to.s, err) < 0 || sync_dir(from.s, err) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&from);
	buf_free(&to);
	return rc;
}
