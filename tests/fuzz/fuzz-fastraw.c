/*
 * fuzz-fastraw.c - src_file_fast_raw() against jansson: whatever the
 * fast check accepts, the slow path (ndj_parse, rec_check and the raw
 * field checks of twin-ingest) must accept too, with the same time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndj.h"
#include "rec.h"
#include "src_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	enum rec_kind kind;
	int64_t ts, ts2;
	json_t *r, *v;
	const char *s;

	if (!src_file_fast_raw(line, size, "acme", &ts))
		return 0;
	if ((r = ndj_parse(line, size, NULL)) == NULL)
		abort();
	if (rec_check(r, "acme", &kind, &ts2, NULL) < 0 || kind != REC_RAW ||
	    ts2 != ts)
		abort();
	if ((s = rec_str(r, "src")) == NULL || *s == '\0' ||
	    (s = rec_str(r, "tag")) == NULL || *s == '\0')
		abort();
	v = json_object_get(r, "seq");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		abort();
	if (json_object_get(r, "v") == NULL)
		abort();
	json_decref(r);
	return 0;
}
