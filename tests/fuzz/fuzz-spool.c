/*
 * fuzz-spool.c - the spool's recovery scanner and reader on any bytes.
 *
 * The input is taken as a segment file: spool_scan() must stay inside it,
 * and a spool opened over it (recovery scan at open, then spool_next()
 * to the end) must deliver exactly the frames spool_scan() finds and
 * count exactly its damaged regions, plus one for a bad segment header.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static char dir[64];
static size_t bytes_seen;

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return;
}

static void
see(void *arg, const char *rec, size_t len)
{
	(void)arg;
	/* Touch every byte so that the sanitizer checks the bounds. */
	if (len > 0)
		bytes_seen += (unsigned char)rec[0] + (unsigned char)rec[len - 1];
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct spool_stats st;
	struct spool *s;
	char path[128];
	const char *rec;
	size_t n, nscan = 0, dmg = 0, got = 0;
	int fd, hdr_bad;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/twin-fuzz-spool.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(cleanup);
	}
	if (size > 8)
		nscan = spool_scan(data + 8, size - 8, see, NULL, &dmg);
	hdr_bad = size < 8 || memcmp(data, "TWSPSEG1", 8) != 0;

	/* No commit is ever made here: the commit log stays empty. */
	snprintf(path, sizeof(path), "%s/0000000000000001.seg", dir);
	/* A new file, not O_TRUNC, which ext4 flushes on close. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	s = spool_open(dir, "fuzz", NULL, NULL);
	if (s == NULL)
		abort();
	while (spool_next(s, &rec, &n, NULL) == 1) {
		see(NULL, rec, n);
		got++;
	}
	while (spool_damage(s) != NULL)
		;
	spool_stats(s, &st);
	if (got != nscan || st.damaged != dmg + (size_t)hdr_bad)
		abort();
	spool_close(s, NULL);
	unlink(path);
	return 0;
}
