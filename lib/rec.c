/* rec.c - common record fields; see rec.h. */
#include <string.h>

#include "rec.h"
#include "tm.h"
#include "banned.h"

static const char *const kinds[] = {
	"raw", "sample", "feature", "score", "workorder", "label", "state",
	"drift", "event"
};

const char *
rec_kind_name(enum rec_kind k)
{
	if ((unsigned)k < sizeof(kinds) / sizeof(kinds[0]))
		return kinds[k];
	return "other";
}

const char *
rec_str(const json_t *r, const char *key)
{
	json_t *v = json_object_get(r, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

int
rec_tenant_valid(const char *t)
{
	size_t i, n = strlen(t);

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char c = t[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

int
rec_check(const json_t *r, const char *tenant, enum rec_kind *kind,
    int64_t *ts, struct twin_err *err)
{
	const char *k, *t;
	json_t *v;
	size_t i;

	if ((v = json_object_get(r, "kind")) == NULL)
		return err_set(err, TWIN_EDATA, "missing 'kind'");
	if ((k = json_string_value(v)) == NULL)
		return err_set(err, TWIN_EDATA, "'kind' is not a string");
	*kind = REC_OTHER;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(k, kinds[i]) == 0)
			*kind = (enum rec_kind)i;
	if ((v = json_object_get(r, "tenant")) == NULL)
		return err_set(err, TWIN_EDATA, "missing 'tenant'");
	if ((t = json_string_value(v)) == NULL || *t == '\0')
		return err_set(err, TWIN_EDATA,
		    "'tenant' is not a non-empty string");
	if (tenant != NULL && strcmp(t, tenant) != 0) {
		char q[80];
		size_t n = strlen(t);

		/* Quote only printable text: a tenant comes from input. */
		snprintf(q, sizeof(q), "%.*s%s", n > 64 ? 64 : (int)n, t,
		    n > 64 ? "..." : "");
		for (i = 0; q[i]; i++)
			if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
				q[i] = '?';
		return err_set(err, TWIN_EDATA,
		    "record of tenant '%s', not '%s'", q, tenant);
	}
	if ((v = json_object_get(r, "ts")) == NULL)
		return err_set(err, TWIN_EDATA, "missing 'ts'");
	return tm_from_json(v, ts, err);
}
