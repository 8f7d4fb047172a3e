/* test-fsio.c - durable writes: atomic replace, permissions, errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsio.h"
#include "t.h"

int
main(void)
{
	char dir[] = "/tmp/twin-fsio.XXXXXX", path[128], got[64];
	struct twin_err err;
	struct stat st;
	int fd, n;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	T_OK(fsio_write_atomic(path, "old", 3, 0600, &err) == 0, "atomic write creates");
	T_OK(fsio_write_atomic(path, "new!", 4, 0600, &err) == 0, "atomic write replaces");
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? (int)read(fd, got, sizeof(got) - 1) : -1;
	if (fd >= 0)
		close(fd);
	got[n > 0 ? n : 0] = '\0';
	T_STREQ(got, "new!", "the new contents, whole");
	T_OK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "mode 0600");
	snprintf(got, sizeof(got), "%s/.state.json.tmp%ld", dir, (long)getpid());
	T_OK(access(got, F_OK) != 0, "no temporary file left behind");
	T_OK(fsio_sync_dir(dir) == 0 && fsio_sync_parent(path) == 0, "directory sync");
	T_OK(fsio_sync_dir("/nonexistent/dir") == -1 && errno == ENOENT, "missing directory sets errno");
	snprintf(got, sizeof(got), "%s/no/such/file", dir);
	T_OK(fsio_write_atomic(got, "x", 1, 0600, &err) == -1 && err.code == TWIN_EIO,
	    "unwritable path is an I/O error");
	fd = open("/dev/full", O_WRONLY);
	T_OK(fd < 0 || (fsio_write_all(fd, "x", 1) == -1 && errno == ENOSPC), "write_all reports ENOSPC");
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
	return T_DONE();
}
