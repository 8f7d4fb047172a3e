/* test-registry.c - the registry on disk: store, check, pointer, ledger,
 * lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "registry.h"
#include "t.h"

int
main(void)
{
	char dir[] = "/tmp/twin-test-reg.XXXXXX", sha[65], sha2[65], got[65];
	char path[512], cmd[600];
	struct registry r, r2;
	struct twin_err err;
	struct buf b = BUF_INIT;
	const char *text = "{\"format\":\"nothing\"}\n";
	json_t *e, *l;
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return 1;
	T_OK(reg_open(&r, dir, "acme", 0, &err) == -1 &&
	    err.code == TWIN_ECONFIG, "open without create: no registry");
	reg_close(&r);
	T_OK(reg_open(&r, dir, "bad/tenant", 1, &err) == -1,
	    "an invalid tenant is refused");
	reg_close(&r);
	T_OK(reg_open(&r, dir, "acme", 1, &err) == 0, "create a registry");
	T_OK(reg_production(&r, got, &err) == 0, "no production at first");
	T_OK(reg_store(&r, text, strlen(text), sha, &err) == 1,
	    "store a new model");
	digest_sha256_hex(text, strlen(text), sha2);
	T_STREQ(sha, sha2, "a model is named by its sha256");
	T_OK(reg_store(&r, text, strlen(text), sha, &err) == 0,
	    "storing it again changes nothing");
	T_OK(reg_has(&r, sha), "reg_has finds it");
	T_OK(reg_read(&r, sha, &b, &err) == 0 && b.len == strlen(text),
	    "read it back");
	buf_reset(&b);
	T_OK(reg_load(&r, sha, &err) == NULL && err.code == TWIN_ECONFIG,
	    "loading a non-model is refused");
	T_OK(reg_resolve(&r, "abc", got, &err) == -1 &&
	    err.code == TWIN_EUSAGE, "a short name under 6 digits is refused");
	snprintf(cmd, sizeof(cmd), "%.8s", sha);
	T_OK(reg_resolve(&r, cmd, got, &err) == 0 && strcmp(got, sha) == 0,
	    "resolve a prefix");
	T_OK(reg_set_production(&r, sha, &err) == 0, "set production");
	T_OK(reg_production(&r, got, &err) == 1 && strcmp(got, sha) == 0,
	    "read production");
	snprintf(path, sizeof(path), "%s/acme/production", dir);
	fp = fopen(path, "w");
	fputs("not a name\n", fp);
	fclose(fp);
	T_OK(reg_production(&r, got, &err) == -1, "a damaged pointer is an "
	    "error, not a model");
	snprintf(path, sizeof(path), "%s/acme/models/%s.json", dir, sha);
	fp = fopen(path, "a");
	fputs(" ", fp);
	fclose(fp);
	T_OK(reg_read(&r, sha, &b, &err) == -1 &&
	    strstr(err.msg, "does not match its name") != NULL,
	    "an altered model is refused");
	e = json_pack("{s:s}", "event", "train");
	T_OK(reg_ledger_append(&r, e, &err) == 0, "append to the ledger");
	json_decref(e);
	e = json_pack("{s:s}", "event", "promote");
	reg_ledger_append(&r, e, &err);
	json_decref(e);
	snprintf(path, sizeof(path), "%s/acme/ledger.ndjson", dir);
	fp = fopen(path, "a");
	fputs("{\"torn", fp);	/* a crash in the middle of an append */
	fclose(fp);
	l = reg_ledger_read(&r, &err);
	T_OK(l != NULL && json_array_size(l) == 2 &&
	    strcmp(json_string_value(json_object_get(json_array_get(l, 1),
	    "event")), "promote") == 0, "read the ledger, torn line ignored");
	T_STREQ(json_string_value(json_object_get(json_array_get(l, 0),
	    "tenant")), "acme", "ledger entries carry the tenant");
	json_decref(l);
	T_OK(reg_lock(&r, &err) == 0, "take the lock");
	reg_open(&r2, dir, "acme", 0, &err);
	T_OK(reg_lock(&r2, &err) == -1 && err.code == TWIN_ETEMP,
	    "a second writer finds it locked");
	reg_close(&r2);
	reg_close(&r);
	buf_free(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return T_DONE();
}
