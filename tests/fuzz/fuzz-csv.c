/*
 * fuzz-csv.c - the CSV source on arbitrary bytes: no crash, no leak, and
 * every record it makes is a valid raw record of the tenant.  The first
 * byte picks the options (delimiter, layout, header, time format).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ndj.h"
#include "rec.h"
#include "src_csv.h"
#include "tm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = { ',', ';', ' ', '\t' };
	static const int fmts[] = {
		CSV_TIME_RFC3339, CSV_TIME_EPOCH_S, CSV_TIME_EPOCH_MS,
		CSV_TIME_COUNTER, CSV_TIME_ROW
	};
	struct buf rec = BUF_INIT;
	struct csv_opts o;
	struct src_csv *c;
	enum rec_kind kind;
	char path[64];
	int64_t ts, ts2;
	json_t *r;
	FILE *fp;
	int k, guard = 0;

	if (size < 1)
		return 0;
	csv_defaults(&o);
	o.delim = delims[data[0] & 3];
	o.layout = (data[0] >> 2) & 1 ? CSV_LONG : CSV_WIDE;
	o.header = (data[0] >> 3) & 1;
	o.time_fmt = fmts[((data[0] >> 4) & 7) % 5];
	o.start = 1793491200LL * TM_NS_PER_S;
	o.step = TM_NS_PER_S;
	if (data[0] & 0x80)
		o.tag = "p/{1}/{col}";
	snprintf(path, sizeof(path), "/tmp/fuzz-csv.%ld", (long)getpid());
	if ((fp = fopen(path, "wb")) == NULL)
		return 0;
	fwrite(data + 1, 1, size - 1, fp);
	fclose(fp);
	if ((c = src_csv_open(path, &o, NULL, "acme", NULL)) == NULL) {
		unlink(path);
		return 0;
	}
	while ((k = src_csv_next(c, &rec, &ts, NULL)) != 0 && guard++ < 100000) {
		if (k < 0)
			continue;
		if ((r = ndj_parse(rec.s, rec.len, NULL)) == NULL)
			abort();
		if (rec_check(r, "acme", &kind, &ts2, NULL) < 0 ||
		    kind != REC_RAW || ts2 != ts)
			abort();
		json_decref(r);
	}
	src_csv_close(c);
	buf_free(&rec);
	unlink(path);
	return 0;
}
