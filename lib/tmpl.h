/*
 * tmpl.h - CMMS request templates: how a work order becomes an HTTP
 * request for one CMMS product (twin-ticket(5)).
 *
 * A template file is a JSON object with one operation per work order
 * event ("create" for open; "update", and optionally "escalate" and
 * "close", which fall back to "update"), an optional "lookup" used to
 * find a work order by its key, and an optional "feedback" that fetches
 * technicians' outcomes.  Each operation has a "method", a "path"
 * (appended to the base URL), except for GET a "body", and optionally
 * "headers" of its own and "id", a JSON pointer to the CMMS's own id of
 * the work order in the reply.
 *
 * Placeholders {{name}} or {{name|map}} refer to the render context (the
 * work order record plus a few derived fields), by a dot path such as
 * "evidence.score" or "parts.0".  In a body, a string that is exactly one
 * placeholder is replaced by the value with its JSON type (a missing value
 * becomes null); a placeholder inside a longer string is replaced by its
 * text (strings as they are, numbers in twin's format, other values as
 * compact JSON, a missing value as nothing).  In a path, every
 * substituted text is percent-encoded.  "|name" maps the text through the
 * template's "maps" object ("maps":{"prio":{"1":"HIGH"}}); "|json" gives
 * the compact JSON text of the value.
 *
 * A struct tmpl owns its JSON.  Rendering borrows the context and returns
 * new values the caller owns.
 */
#ifndef TWIN_TMPL_H
#define TWIN_TMPL_H

#include <jansson.h>

#include "buf.h"
#include "err.h"

struct tmpl_op {
	const char *method;	/* GET, POST, PUT or PATCH */
	const char *path;
	json_t *body;		/* NULL for GET */
	const char *id;		/* JSON pointer to the CMMS id in the reply */
	json_t *headers;	/* extra headers of this operation, or NULL */
};

struct tmpl {
	json_t *root;
	json_t *maps;
	json_t *headers;	/* name -> value text (may hold placeholders) */
	const char *idem_header; /* NULL: the CMMS takes no idempotency key */
	const char *auth_header; /* NULL: no credentials sent */
	const char *auth_prefix;
	struct tmpl_op create, update, escalate, close, lookup;
	int has_lookup;
	/*
	 * "feedback": a GET of work orders with technicians' outcomes;
	 * "items" points at the array in the reply, "fields" maps label
	 * fields to pointers inside one item.
	 */
	struct tmpl_op feedback;
	int has_feedback;
	const char *fb_items;
	json_t *fb_fields;
};

/* Parse and check a template; every placeholder is checked here. */
int tmpl_parse(struct tmpl *t, json_t *root, struct twin_err *err);
int tmpl_load(struct tmpl *t, const char *path, struct twin_err *err);
void tmpl_free(struct tmpl *t);

/* The operation for a work order event name (open/update/escalate/close). */
const struct tmpl_op *tmpl_op_for(const struct tmpl *t, const char *event);

/* Render text (a path when url is set, else a header or string). */
int tmpl_render_text(const struct tmpl *t, const char *s, const json_t *ctx,
    int url, struct buf *out, struct twin_err *err);
/* Render a body; returns a new value. */
json_t *tmpl_render_body(const struct tmpl *t, const json_t *body,
    const json_t *ctx, struct twin_err *err);

/* Value at a dot path ("a.b.0"), borrowed; NULL when absent. */
json_t *tmpl_path_get(const json_t *ctx, const char *path, size_t n);
/* Value at an RFC 6901 JSON pointer, borrowed; NULL when absent. */
json_t *tmpl_pointer(const json_t *v, const char *ptr);

/* Check placeholder syntax in s without rendering. */
int tmpl_check_text(const struct tmpl *t, const char *s,
    struct twin_err *err);

#endif
