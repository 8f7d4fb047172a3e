/*
 * fuzz-tmpl.c - libFuzzer harness for CMMS templates: the input is either
 * a template document (parsed, checked, then every operation rendered
 * against a work order) or, when it does not start with '{', placeholder
 * text rendered as a path and as a string.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "tmpl.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ctx_text[] =
    "{\"kind\":\"workorder\",\"key\":\"ab/c d\",\"priority\":2,"
    "\"asset\":\"P-103\",\"parts\":[\"bearing\",\"grease\"],"
    "\"evidence\":{\"score\":0.93,\"contrib\":[{\"feature\":\"f:x\","
    "\"value\":1e-300}]},\"ok\":true,\"n\":null}";

static void
render_op(const struct tmpl *t, const struct tmpl_op *op, const json_t *ctx)
{
	struct buf b = BUF_INIT;
	struct twin_err err;
	json_t *r;

	if (op->method == NULL)
		return;
	(void)tmpl_render_text(t, op->path, ctx, 1, &b, &err);
	if (op->body != NULL) {
		r = tmpl_render_body(t, op->body, ctx, &err);
		json_decref(r);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twin_err err;
	struct buf b = BUF_INIT, s = BUF_INIT;
	struct tmpl t;
	json_t *ctx = json_loads(ctx_text, 0, NULL), *root;

	if (size > 0 && data[0] == '{') {
		root = json_loadb((const char *)data, size, 0, NULL);
		if (root != NULL && tmpl_parse(&t, root, &err) == 0) {
			render_op(&t, &t.create, ctx);
			render_op(&t, &t.update, ctx);
			render_op(&t, &t.escalate, ctx);
			render_op(&t, &t.close, ctx);
			render_op(&t, &t.lookup, ctx);
			tmpl_free(&t);
		}
	} else {
		buf_add(&s, data, size);
		if (strlen(buf_str(&s)) == s.len) {
			(void)tmpl_render_text(NULL, s.s, ctx, 1, &b, &err);
			buf_reset(&b);
			(void)tmpl_render_text(NULL, s.s, ctx, 0, &b, &err);
			buf_reset(&b);
			(void)tmpl_pointer(ctx, s.s);
			(void)tmpl_path_get(ctx, s.s, s.len);
		}
	}
	buf_free(&s);
	buf_free(&b);
	json_decref(ctx);
	return 0;
}
