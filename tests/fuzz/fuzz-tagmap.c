/*
 * fuzz-tagmap.c - the tag map parser (JSON and CSV forms) on any bytes:
 * no crash, no leak, and a map that loads answers lookups and writes
 * samples for tag names taken from the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "rawrec.h"
#include "tagmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf problems = BUF_INIT, text = BUF_INIT, out = BUF_INIT;
	struct twin_err err;
	struct tagmap *m;
	size_t i, start;

	buf_add(&text, data, size);
	m = tagmap_parse("fuzz", buf_str(&text), text.len, &problems, &err);
	if (m == NULL) {
		/* Every refused map says why. */
		if (problems.len == 0)
			__builtin_trap();
		goto out;
	}
	if (problems.len != 0 || tagmap_count(m) == 0)
		__builtin_trap();
	/* Each line of the input, and each exact tag, as a tag name. */
	for (i = 0, start = 0; i <= size; i++) {
		struct rawrec r = RAWREC_INIT;

		if (i < size && data[i] != '\n')
			continue;
		r.tenant = "t";
		r.tenantlen = 1;
		r.src = "s";
		r.srclen = 1;
		r.tag = (const char *)data + start;
		r.taglen = i - start;
		r.v = 1.5;
		buf_reset(&out);
		(void)tagmap_sample(m, &r, &out, &err);
		start = i + 1;
	}
	for (i = 0; i < tagmap_count(m); i++) {
		const struct tagmap_entry *e = tagmap_entry_at(m, i);
		const struct tagmap_hit *h;

		if (e->tag == NULL)
			continue;
		h = tagmap_lookup(m, e->tag, strlen(e->tag));
		if (h->e == NULL)
			__builtin_trap();	/* an exact tag always maps */
	}
	tagmap_free(m);
out:
	buf_free(&problems);
	buf_free(&text);
	buf_free(&out);
	return 0;
}
