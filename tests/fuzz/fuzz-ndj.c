/*
 * fuzz-ndj.c - the NDJSON reader and the JSON writer.
 *
 * Arbitrary bytes go through ndj_next() with a small line limit and each
 * line through ndj_parse().  Every record that parses is printed with
 * buf_json() and parsed again: the two values must be equal, so the
 * writer never emits text the reader refuses or reads differently.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "ndj.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct ndj_reader *r;
	struct buf b = BUF_INIT;
	struct twin_err err;
	char *line;
	size_t len;
	int fd, rc;

	if ((fd = memfd_create("fuzz", 0)) < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	r = ndj_open_fd(fd, "fuzz", 512);
	while ((rc = ndj_next(r, &line, &len, &err)) != 0) {
		json_t *v, *w;

		if (rc < 0) {
			if (err.code != TWIN_EDATA)
				break;
			continue;
		}
		if (len > 512)
			abort();
		if ((v = ndj_parse(line, len, &err)) == NULL)
			continue;
		buf_reset(&b);
		if (buf_json(&b, v) < 0)
			abort();
		w = ndj_parse(b.s, b.len, &err);
		if (w == NULL || !json_equal(v, w))
			abort();
		json_decref(v);
		json_decref(w);
	}
	ndj_close(r);
	buf_free(&b);
	return 0;
}
