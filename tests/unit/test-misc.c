/* test-misc.c - digest, rec_check, diag_quote. */
#include <stdio.h>

#include "diag.h"
#include "digest.h"
#include "rec.h"
#include "t.h"

int
main(void)
{
	char hex[DIGEST_HEX], q[64];
	enum rec_kind k;
	int64_t ts;
	struct twin_err err;
	json_t *r;
	FILE *fp;

	digest_sha256_hex("abc", 3, hex);
	T_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256('abc') as FIPS 180-2 gives");
	fp = fopen("build/tests/digest.tmp", "w");
	if (fp) {
		fputs("abc", fp);
		fclose(fp);
	}
	T_OK(digest_file_sha256_hex("build/tests/digest.tmp", hex, NULL) == 0 &&
	    strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
	    "file digest equals buffer digest");
	T_OK(digest_file_sha256_hex("/nonexistent/x", hex, &err) == -1 && err.code == TWIN_EIO,
	    "missing file is an I/O error");

	r = json_loads("{\"kind\":\"sample\",\"ts\":\"2026-11-21T10:00:00Z\",\"tenant\":\"acme\"}", 0, NULL);
	T_OK(rec_check(r, "acme", &k, &ts, NULL) == 0 && k == REC_SAMPLE, "rec_check accepts");
	T_OK(rec_check(r, "globex", &k, &ts, &err) == -1 &&
	    strcmp(err.msg, "record of tenant 'acme', not 'globex'") == 0, "foreign tenant refused");
	json_decref(r);
	r = json_loads("{\"kind\":\"gizmo\",\"ts\":1,\"tenant\":\"acme\"}", 0, NULL);
	T_OK(rec_check(r, NULL, &k, &ts, NULL) == 0 && k == REC_OTHER && ts == 1000000, "other kind, epoch ms");
	json_decref(r);
	r = json_loads("{\"kind\":\"raw\",\"ts\":\"x\"}", 0, NULL);
	T_OK(rec_check(r, NULL, &k, &ts, &err) == -1 && strcmp(err.msg, "missing 'tenant'") == 0, "missing tenant");
	json_decref(r);
	T_OK(rec_tenant_valid("acme-1.eu") && !rec_tenant_valid("-x") && !rec_tenant_valid("a/b") &&
	    !rec_tenant_valid(""), "tenant names");

	T_STREQ(diag_quote("a\tb\xff", 4, q, sizeof(q)), "a\\x09b\\xff", "control and invalid bytes escaped");
	T_STREQ(diag_quote("caf\xc3\xa9", 5, q, sizeof(q)), "caf\xc3\xa9", "UTF-8 kept");
	T_STREQ(diag_quote("0123456789abcdef", 16, q, 12), "01234567...", "long text cut");
	return T_DONE();
}
