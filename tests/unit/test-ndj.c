/* test-ndj.c - the NDJSON reader: lines, limits, strict parsing. */
#include <stdlib.h>
#include <unistd.h>

#include "ndj.h"
#include "t.h"

/* Feed text through a pipe and collect the lines or errors it yields. */
static char *
lines(const char *in, size_t n, size_t max)
{
	static char out[4096];
	struct ndj_reader *r;
	struct twin_err err;
	size_t len, o = 0;
	char *line;
	int fds[2], rc;

	if (pipe(fds) < 0)
		return NULL;
	if (write(fds[1], in, n) != (ssize_t)n)
		return NULL;
	close(fds[1]);
	r = ndj_open_fd(fds[0], "t", max);
	while ((rc = ndj_next(r, &line, &len, &err)) != 0) {
		if (rc < 0)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%ld:E|",
			    ndj_lineno(r));
		else
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%ld:%s|",
			    ndj_lineno(r), line);
		if (rc < 0 && err.code != TWIN_EDATA)
			break;
	}
	close(fds[0]);
	ndj_close(r);
	out[o] = '\0';
	return out;
}

static const char *
parse(const char *s)
{
	static char msg[600];
	struct twin_err err;
	json_t *v = ndj_parse(s, strlen(s), &err);

	if (v == NULL) {
		snprintf(msg, sizeof(msg), "%s", err.msg);
		return msg;
	}
	json_decref(v);
	return "ok";
}

int
main(void)
{
	char big[1000];
	json_t *v;
	struct twin_err err;

	T_STREQ(lines("a\nb\n", 4, 0), "1:a|2:b|", "two lines");
	T_STREQ(lines("a\r\nb", 4, 0), "1:a|2:b|", "CRLF and no final newline");
	T_STREQ(lines("a\n\n  \nb\n", 8, 0), "1:a|4:b|", "blank lines skipped, counted");
	T_STREQ(lines("", 0, 0), "", "empty input");
	memset(big, 'x', sizeof(big));
	big[500] = '\n';
	memcpy(big + 990, "\nok\n", 4);
	T_STREQ(lines(big, 994, 100), "1:E|2:E|3:ok|", "over-long lines skipped, reading goes on");
	T_STREQ(lines("0123456789\n", 11, 10), "1:0123456789|", "line of exactly max bytes");

	T_STREQ(parse("{\"a\":1}"), "ok", "object");
	T_STREQ(parse("{\"a\":1,\"a\":2}"), "invalid JSON at column 10: duplicate object key near '\"a\"'", "duplicate key");
	T_STREQ(parse("[1]"), "record is not a JSON object", "array refused");
	T_STREQ(parse("{\"a\":NaN}"), "invalid JSON at column 8: invalid token near 'NaN'", "NaN refused");
	T_STREQ(parse("{\"a\":1e400}"), "invalid JSON at column 10: real number overflow near '1e400'", "1e400 refused");
	T_STREQ(parse("{\"a\":\"\xff\"}"), "invalid JSON at column 6: unable to decode byte 0xff near '\"'", "invalid UTF-8 refused");
	T_STREQ(parse("{\"a\":1} x"), "invalid JSON at column 9: end of file expected near 'x'", "trailing text refused");
	T_OK(ndj_parse("{\"a\":\0}", 7, &err) == NULL && strcmp(err.msg, "NUL byte at column 6") == 0, "NUL byte refused");
	v = ndj_parse("{\"a\":\"\\u0000\"}", 14, &err);
	T_OK(v == NULL, "escaped NUL refused");
	json_decref(v);
	return T_DONE();
}
