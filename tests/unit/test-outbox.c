/* test-outbox.c - the durable outbox, and the retry arithmetic of http.h. */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "outbox.h"
#include "t.h"
#include "banned.h"

static int
exists(const char *dir, const char *name)
{
	struct buf p = BUF_INIT;
	int rc;

	buf_addf(&p, "%s/%s", dir, name);
	rc = access(p.s, F_OK) == 0;
	buf_free(&p);
	return rc;
}

int
main(void)
{
	char tmpl[] = "/tmp/twin-test-outbox.XXXXXX", *dir;
	struct buf path = BUF_INIT, b = BUF_INIT;
	struct twin_err err;
	struct outbox *ob;
	char **names;
	size_t n;
	int64_t d, prev;
	int i, ok;

	if ((dir = mkdtemp(tmpl)) == NULL)
		return 1;
	buf_addf(&path, "%s/a/b/outbox", dir);
	ob = outbox_open(path.s, &err);
	T_OK(ob != NULL, "outbox created with its parents");
	T_OK(exists(path.s, "rejected"), "rejected/ created");
	T_OK(outbox_put(ob, "0002-b.json", "two\n", 4, &err) == 0 &&
	    outbox_put(ob, "0001-a.json", "one\n", 4, &err) == 0 &&
	    outbox_put(ob, "0003-c.json", "three\n", 6, &err) == 0,
	    "three messages put");
	T_OK(outbox_put(ob, "../escape.json", "x", 1, &err) < 0 &&
	    outbox_put(ob, ".hidden.json", "x", 1, &err) < 0,
	    "names with '/' or a leading '.' refused");
	T_OK(outbox_list(ob, &names, &n, &err) == 0 && n == 3 &&
	    strcmp(names[0], "0001-a.json") == 0 &&
	    strcmp(names[2], "0003-c.json") == 0, "listed in name order");
	outbox_list_free(names, n);
	T_OK(outbox_read(ob, "0003-c.json", &b, &err) == 0 && b.len == 6 &&
	    memcmp(b.s, "three\n", 6) == 0, "read back what was put");
	T_OK(outbox_put(ob, "0003-c.json", "3\n", 2, &err) == 0 &&
	    outbox_read(ob, "0003-c.json", &b, &err) == 0 && b.len == 2,
	    "put again replaces the message whole");
	T_OK(outbox_has(ob, "0001-a.json") &&
	    outbox_remove(ob, "0001-a.json", &err) == 0 &&
	    !outbox_has(ob, "0001-a.json"), "removed after confirmation");
	T_OK(outbox_reject(ob, "0002-b.json", "HTTP 422: no\n", &err) == 0 &&
	    !outbox_has(ob, "0002-b.json"),
	    "rejected message leaves the queue");
	buf_reset(&b);
	buf_addf(&b, "%s/rejected", path.s);
	T_OK(exists(b.s, "0002-b.json") && exists(b.s, "0002-b.json.reason"),
	    "rejected message and its reason kept");
	/* A temporary file of a crashed writer is never listed. */
	buf_reset(&b);
	buf_addf(&b, "%s/.0004-d.json.tmp123", path.s);
	{
		FILE *f = fopen(b.s, "w");

		if (f != NULL)
			fclose(f);
	}
	T_OK(outbox_list(ob, &names, &n, &err) == 0 && n == 1 &&
	    strcmp(names[0], "0003-c.json") == 0, "temporary files not listed");
	outbox_list_free(names, n);
	outbox_close(ob);

	/* Retry arithmetic. */
	T_OK(http_backoff_ms(1, 200, 5000, 1500, 12345) == 1500,
	    "Retry-After wins over the backoff");
	ok = 1;
	prev = 0;
	for (i = 1; i <= 12; i++) {
		int64_t cap = 200;
		int k;

		for (k = 1; k < i && cap < 5000; k++)
			cap *= 2;
		if (cap > 5000)
			cap = 5000;
		d = http_backoff_ms(i, 200, 5000, -1, (unsigned long)rand());
		if (d < cap / 2 || d > cap)
			ok = 0;
		prev = d;
	}
	(void)prev;
	T_OK(ok, "backoff within [cap/2, cap], cap doubling up to 5 s");
	T_OK(http_retry_after_ms("120", 0) == 120000, "Retry-After seconds");
	T_OK(http_retry_after_ms("Wed, 21 Oct 2015 07:28:10 GMT", 1445412480)
	    == 10000, "Retry-After HTTP date");
	T_OK(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490)
	    == 0, "Retry-After date in the past is now");
	T_OK(http_retry_after_ms("soon", 0) < 0 &&
	    http_retry_after_ms("12x", 0) < 0, "bad Retry-After ignored");
	{
		struct http_resp r;

		memset(&r, 0, sizeof(r));
		r.status = 201;
		ok = http_class(&r) == HC_OK;
		r.status = 408;
		ok = ok && http_class(&r) == HC_RETRY;
		r.status = 429;
		ok = ok && http_class(&r) == HC_RETRY;
		r.status = 503;
		ok = ok && http_class(&r) == HC_RETRY;
		r.status = 404;
		ok = ok && http_class(&r) == HC_REJECT;
		r.status = 0;
		r.fail = HTTP_TIMEOUT;
		ok = ok && http_class(&r) == HC_RETRY;
		r.fail = HTTP_REDIRECT;
		ok = ok && http_class(&r) == HC_UNAVAIL;
		T_OK(ok, "statuses and failures classified");
	}
	buf_free(&b);
	buf_free(&path);
	buf_reset(&b);
	buf_addf(&b, "rm -rf '%s'", dir);
	if (system(b.s) != 0)
		return 1;
	buf_free(&b);
	return T_DONE();
}
