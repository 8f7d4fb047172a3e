/* test-tmpl.c - CMMS request templates: placeholders, maps, checks. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "ndj.h"
#include "tmpl.h"
#include "t.h"
#include "banned.h"

static json_t *
J(const char *s)
{
	return json_loads(s, 0, NULL);
}

static int
parse(struct tmpl *t, const char *s, struct twin_err *err)
{
	json_t *j = J(s);

	if (j == NULL)
		return -2;
	return tmpl_parse(t, j, err);
}

#define OPS "\"update\":{\"method\":\"PATCH\",\"path\":\"/wo/{{key}}\"," \
	"\"body\":{}}"

int
main(void)
{
	struct tmpl t;
	struct twin_err err;
	struct buf b = BUF_INIT;
	json_t *ctx, *r, *want;
	const char *top = getenv("TOP") ? getenv("TOP") : ".";
	char *s;

	ctx = J("{\"key\":\"ab/c d\",\"priority\":2,\"score\":0.93,"
	    "\"parts\":[\"bearing\",\"grease\"],\"evidence\":{\"score\":0.5,"
	    "\"contrib\":[{\"feature\":\"f:x\"}]},\"ok\":true,\"n\":null}");
	T_OK(parse(&t, "{\"maps\":{\"prio\":{\"1\":\"HIGH\",\"2\":\"MEDIUM\","
	    "\"*\":\"LOW\"}},\"create\":{\"method\":\"POST\",\"path\":\"/wo\","
	    "\"body\":{\"k\":\"{{key}}\",\"p\":\"{{priority}}\","
	    "\"pm\":\"{{priority|prio}}\",\"parts\":\"{{parts}}\","
	    "\"t\":\"P{{priority}}: {{score}} {{parts}} {{missing}}.\","
	    "\"deep\":\"{{evidence.contrib.0.feature}}\","
	    "\"none\":\"{{missing}}\",\"lit\":[1,\"x\",{\"y\":null}],"
	    "\"j\":\"{{evidence|json}}\"},\"id\":\"/id\"}," OPS "}",
	    &err) == 0, "template parses");
	r = tmpl_render_body(&t, t.create.body, ctx, &err);
	want = J("{\"k\":\"ab/c d\",\"p\":2,\"pm\":\"MEDIUM\","
	    "\"parts\":[\"bearing\",\"grease\"],"
	    "\"t\":\"P2: 0.93 [\\\"bearing\\\",\\\"grease\\\"] .\","
	    "\"deep\":\"f:x\",\"none\":null,\"lit\":[1,\"x\",{\"y\":null}],"
	    "\"j\":\"{\\\"score\\\":0.5,\\\"contrib\\\":[{\\\"feature\\\":"
	    "\\\"f:x\\\"}]}\"}");
	s = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
	T_OK(r != NULL && json_equal(r, want),
	    "body: whole placeholders keep their type, text ones interpolate "
	    "(%s)", s ? s : "null");
	free(s);
	json_decref(r);
	json_decref(want);
	T_OK(tmpl_render_text(&t, t.update.path, ctx, 1, &b, &err) == 0,
	    "path renders");
	T_STREQ(buf_str(&b), "/wo/ab%2Fc%20d", "path values percent-encoded");
	buf_reset(&b);
	T_OK(tmpl_render_text(&t, "{{ priority | prio }}-{{score|prio}}", ctx,
	    0, &b, &err) == 0, "spaces inside a placeholder");
	T_STREQ(buf_str(&b), "MEDIUM-LOW", "map with a '*' default");
	T_OK(strcmp(t.idem_header, "Idempotency-Key") == 0 &&
	    t.auth_header == NULL && !t.has_lookup,
	    "defaults: Idempotency-Key header, no auth, no lookup");
	T_OK(tmpl_op_for(&t, "open") == &t.create &&
	    tmpl_op_for(&t, "close") == &t.update &&
	    tmpl_op_for(&t, "escalate") == &t.update,
	    "close and escalate fall back to update");
	tmpl_free(&t);

	/* JSON pointers and dot paths. */
	r = J("{\"member\":[{\"a/b\":{\"~x\":7}}],\"id\":\"w1\"}");
	T_OK(json_integer_value(tmpl_pointer(r, "/member/0/a~1b/~0x")) == 7,
	    "JSON pointer with escapes");
	T_OK(tmpl_pointer(r, "/member/1") == NULL &&
	    tmpl_pointer(r, "/member/x") == NULL &&
	    tmpl_pointer(r, "/id/0") == NULL, "absent pointers are NULL");
	T_OK(tmpl_path_get(r, "member.0.a/b.~x", 15) != NULL &&
	    tmpl_path_get(r, "member..0", 9) == NULL, "dot paths");
	json_decref(r);

	/* Errors found when the template is read. */
	T_OK(parse(&t, "{\"create\":{\"method\":\"POST\",\"path\":\"/wo\","
	    "\"body\":\"{{key\"}," OPS "}", &err) < 0 &&
	    strstr(err.msg, "bad placeholder") != NULL, "unclosed placeholder");
	T_OK(parse(&t, "{\"create\":{\"method\":\"POST\",\"path\":\"/wo\","
	    "\"body\":\"{{}}\"}," OPS "}", &err) < 0, "empty placeholder");
	T_OK(parse(&t, "{\"create\":{\"method\":\"POST\",\"path\":\"wo\","
	    "\"body\":{}}," OPS "}", &err) < 0 &&
	    strstr(err.msg, "path") != NULL, "path must start with '/'");
	T_OK(parse(&t, "{\"create\":{\"method\":\"POST\",\"path\":\"/wo\"},"
	    OPS "}", &err) < 0 && strstr(err.msg, "no body") != NULL,
	    "POST without a body");
	T_OK(parse(&t, "{" OPS "}", &err) < 0 &&
	    strstr(err.msg, "'create'") != NULL, "create is required");
	T_OK(parse(&t, "{\"headers\":{\"X-A\":\"a\\r\\nB: b\"},"
	    "\"create\":{\"method\":\"POST\",\"path\":\"/wo\",\"body\":{}},"
	    OPS "}", &err) < 0, "header with a line break refused");
	T_OK(parse(&t, "{\"lookup\":{\"method\":\"POST\",\"path\":\"/wo\","
	    "\"body\":{}},\"create\":{\"method\":\"POST\",\"path\":\"/wo\","
	    "\"body\":{}}," OPS "}", &err) < 0, "lookup must be GET");
	T_OK(parse(&t, "{\"idempotency_header\":null,\"auth\":{\"header\":"
	    "\"apikey\"},\"lookup\":{\"method\":\"GET\",\"path\":"
	    "\"/wo?k={{key}}\",\"id\":\"/0/id\"},\"create\":{\"method\":"
	    "\"POST\",\"path\":\"/wo\",\"body\":{}}," OPS "}", &err) == 0 &&
	    t.idem_header == NULL && strcmp(t.auth_header, "apikey") == 0 &&
	    strcmp(t.auth_prefix, "") == 0 && t.has_lookup &&
	    strcmp(t.lookup.id, "/0/id") == 0,
	    "no idempotency header, auth header, lookup with id");
	tmpl_free(&t);

	/* The shipped templates load. */
	buf_reset(&b);
	buf_addf(&b, "%s/examples/cmms/json-server.json", top);
	T_OK(tmpl_load(&t, b.s, &err) == 0,
	    "examples/cmms/json-server.json loads");
	tmpl_free(&t);
	buf_reset(&b);
	buf_addf(&b, "%s/examples/cmms/maintainx.json", top);
	T_OK(tmpl_load(&t, b.s, &err) == 0,
	    "examples/cmms/maintainx.json loads");
	tmpl_free(&t);
	buf_reset(&b);
	buf_addf(&b, "%s/examples/cmms/maximo-oslc.json", top);
	T_OK(tmpl_load(&t, b.s, &err) == 0,
	    "examples/cmms/maximo-oslc.json loads");
	tmpl_free(&t);
	json_decref(ctx);
	buf_free(&b);
	return T_DONE();
}
