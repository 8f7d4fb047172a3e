/* fsio.c - durable file writes; see fsio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fsio.h"
#include "banned.h"

int
fsio_write_all(int fd, const void *p, size_t n)
{
	const char *q = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, q, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

int
fsio_sync_dir(const char *dir)
{
	int fd, rc = 0, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int
fsio_sync_parent(const char *path)
{
	const char *s = strrchr(path, '/');
	char *d;
	int rc;

	if (s == NULL)
		return fsio_sync_dir(".");
	if (s == path)
		return fsio_sync_dir("/");
	d = xmalloc((size_t)(s - path) + 1);
	memcpy(d, path, (size_t)(s - path));
	d[s - path] = '\0';
	rc = fsio_sync_dir(d);
	free(d);
	return rc;
}

int
fsio_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
    struct twin_err *err)
{
	struct buf tmp = BUF_INIT;
	const char *base = strrchr(path, '/');
	int fd;

	if (base == NULL)
		buf_addf(&tmp, ".%s.tmp%ld", path, (long)getpid());
	else
		buf_addf(&tmp, "%.*s/.%s.tmp%ld", (int)(base - path), path,
		    base + 1, (long)getpid());
	fd = open(tmp.s, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(err, TWIN_EIO, "cannot create '%s': %s", tmp.s,
		    strerror(errno));
		buf_free(&tmp);
		return -1;
	}
	if (fsio_write_all(fd, p, n) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.s, path) < 0)
		goto fail;
	buf_free(&tmp);
	if (fsio_sync_parent(path) < 0)
		return err_set(err, TWIN_EIO, "cannot sync the directory of "
		    "'%s': %s", path, strerror(errno));
	return 0;
fail:
	err_set(err, TWIN_EIO, "cannot write '%s': %s", path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp.s);
	buf_free(&tmp);
	return -1;
}
