/* test-csv.c - raw records from CSV exports. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "src_csv.h"
#include "tm.h"
#include "t.h"

static char path[64];

static void
put_file(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/test-csv.XXXXXX");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
}

/*
 * Run the CSV reader over text: records one per line, each error as
 * "! line: message" in order.
 */
static char *
run(const char *text, const struct csv_opts *o)
{
	static struct buf out = BUF_INIT;
	struct buf rec = BUF_INIT;
	struct twin_err err;
	struct src_csv *c;
	int64_t ts;
	int r;

	put_file(text);
	buf_reset(&out);
	if ((c = src_csv_open(path, o, NULL, "acme", &err)) == NULL) {
		buf_addf(&out, "! open: %s\n", err.msg);
		unlink(path);
		return out.s;
	}
	while ((r = src_csv_next(c, &rec, &ts, &err)) != 0) {
		if (r < 0)
			buf_addf(&out, "! %ld: %s\n", src_csv_lineno(c),
			    err.msg);
		else {
			buf_add(&out, rec.s, rec.len);
			buf_addc(&out, '\n');
		}
	}
	src_csv_close(c);
	buf_free(&rec);
	unlink(path);
	return (char *)buf_str(&out);
}

/* The record text with "src":"csv:<tmp path>" replaced by "csv:F". */
static const char *
norm(const char *s)
{
	static struct buf b = BUF_INIT;
	const char *p;
	size_t n = strlen(path);

	buf_reset(&b);
	while ((p = strstr(s, path)) != NULL) {
		buf_add(&b, s, (size_t)(p - s));
		buf_addc(&b, 'F');
		s = p + n;
	}
	buf_adds(&b, s);
	return buf_str(&b);
}

int
main(void)
{
	struct csv_opts o;
	int64_t t0;

	csv_defaults(&o);
	T_STREQ(norm(run("time,A/x,B\n"
	    "2026-11-01T00:00:00Z,1.5,\n"
	    "2026-11-01 00:00:01,-2,3e2\n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,\"tag\":\"A/x\","
	    "\"v\":1.5}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:01.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":2,\"tag\":\"A/x\","
	    "\"v\":-2.0}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:01.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":3,\"tag\":\"B\","
	    "\"v\":300.0}\n",
	    "wide with header, empty cell skipped, zone-less time is UTC");

	o.tag = "Plant1/{col}";
	o.unit = "degC";
	T_STREQ(norm(run("\"t\",\"T, \"\"in\"\"\"\r\n"
	    "2026-11-01T00:00:00.5+01:00,\"20\"\r\n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-10-31T23:00:00.500Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,"
	    "\"tag\":\"Plant1/T, \\\"in\\\"\",\"v\":20.0,\"unit\":\"degC\"}\n",
	    "quotes, CRLF, template, unit, offset time");

	csv_defaults(&o);
	o.layout = CSV_LONG;
	o.time_fmt = CSV_TIME_EPOCH_MS;
	T_STREQ(norm(run("tag,time,value\n"
	    "a,1793491200000,1\n"
	    "b,1793491200250,\n"
	    "c,1793491200500,x\n"
	    "d,1793491200750,4\n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,\"tag\":\"a\","
	    "\"v\":1.0}\n"
	    "! 4: bad number 'x'\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:00.750Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":2,\"tag\":\"d\","
	    "\"v\":4.0}\n",
	    "long layout, epoch ms, a bad value reported at its line");

	csv_defaults(&o);
	o.layout = CSV_LONG;
	o.header = 0;
	o.delim = ';';
	o.time_fmt = CSV_TIME_EPOCH_S;
	o.tag_col = "2";
	o.time_col = "1";
	o.value_col = "3";
	T_STREQ(norm(run("1793491200.5;x;7\n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-11-01T00:00:00.500Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,\"tag\":\"x\","
	    "\"v\":7.0}\n", "long layout by column numbers, epoch seconds");

	/* The shape of NASA's C-MAPSS files. */
	tm_parse("2026-01-01T00:00:00Z", 20, &t0, NULL);
	csv_defaults(&o);
	o.delim = ' ';
	o.header = 0;
	o.columns = "unit,cycle,s1,s2";
	o.time_col = "cycle";
	o.time_fmt = CSV_TIME_COUNTER;
	o.start = t0;
	o.step = 3600 * TM_NS_PER_S;
	o.tag = "cmapss/unit{unit}/{col}";
	T_STREQ(norm(run("1 1 518.67 0.0023  \n1 2 518.70 -0.0007  \n"
	    "12 1 1.0 2  \n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T01:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,"
	    "\"tag\":\"cmapss/unit1/s1\",\"v\":518.67}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T01:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":2,"
	    "\"tag\":\"cmapss/unit1/s2\",\"v\":0.0023}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T02:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":3,"
	    "\"tag\":\"cmapss/unit1/s1\",\"v\":518.7}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T02:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":4,"
	    "\"tag\":\"cmapss/unit1/s2\",\"v\":-0.0007}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T01:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":5,"
	    "\"tag\":\"cmapss/unit12/s1\",\"v\":1.0}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T01:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":6,"
	    "\"tag\":\"cmapss/unit12/s2\",\"v\":2.0}\n",
	    "C-MAPSS shape: blanks, counter time, unit in the tag");

	/* Row time, unnamed columns, skip. */
	csv_defaults(&o);
	o.header = 0;
	o.time_fmt = CSV_TIME_ROW;
	o.start = t0;
	o.step = TM_NS_PER_S / 2;
	o.skip = "2";
	T_STREQ(norm(run("5,6,7\n8,9,10\n", &o)),
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T00:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":1,\"tag\":\"c1\","
	    "\"v\":5.0}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T00:00:00.000Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":2,\"tag\":\"c3\","
	    "\"v\":7.0}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T00:00:00.500Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":3,\"tag\":\"c1\","
	    "\"v\":8.0}\n"
	    "{\"kind\":\"raw\",\"ts\":\"2026-01-01T00:00:00.500Z\","
	    "\"tenant\":\"acme\",\"src\":\"csv:F\",\"seq\":4,\"tag\":\"c3\","
	    "\"v\":10.0}\n",
	    "row time, column numbers as names, skipped column");

	/* Errors. */
	csv_defaults(&o);
	T_STREQ(run("time,a\nyesterday,1\n2026-11-01T00:00:00Z,1,2\n"
	    "2026-11-01T00:00:00Z,\"1\n2026-11-01T00:00:00Z,\"1\"x\n"
	    "2026-11-01T00:00:00Z,nan\n", &o),
	    "! 2: bad RFC 3339 time 'yesterday'\n"
	    "! 3: row has 3 fields, not 2\n"
	    "! 4: unterminated quoted field 2\n"
	    "! 5: text after the closing quote of field 2\n"
	    "! 6: column 'a': bad number 'nan'\n", "bad rows");
	o.time_col = "when";
	put_file("");
	T_OK(strstr(run("time,a\n1,2\n", &o), "no time column 'when'") !=
	    NULL, "missing time column");
	csv_defaults(&o);
	o.tag = "x{";
	T_STREQ(run("a\n", &o), "! open: bad tag template 'x{': unclosed "
	    "or empty '{'\n", "bad template");
	o.tag = "{nope}";
	T_OK(strstr(run("time,a\n2026-11-01T00:00:00Z,1\n", &o),
	    "no template column 'nope'") != NULL, "unknown template column");
	return T_DONE();
}
