/* tmpl.c - CMMS request templates; see tmpl.h. */
#include <stdlib.h>
#include <string.h>

#include "ndj.h"
#include "rec.h"
#include "tmpl.h"
#include "banned.h"

static int
name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/*
 * Parse the placeholder starting at s (at "{{").  Fills name/filter
 * spans and the length consumed; -1 on bad syntax.
 */
static int
placeholder(const char *s, const char **name, size_t *nlen,
    const char **filt, size_t *flen, size_t *used)
{
	size_t i = 2;

	while (s[i] == ' ')
		i++;
	*name = s + i;
	while (name_char(s[i]))
		i++;
	*nlen = (size_t)(s + i - *name);
	if (*nlen == 0)
		return -1;
	*filt = NULL;
	*flen = 0;
	while (s[i] == ' ')
		i++;
	if (s[i] == '|') {
		i++;
		while (s[i] == ' ')
			i++;
		*filt = s + i;
		while (name_char(s[i]) && s[i] != '.')
			i++;
		*flen = (size_t)(s + i - *filt);
		if (*flen == 0)
			return -1;
	}
	while (s[i] == ' ')
		i++;
	if (s[i] != '}' || s[i + 1] != '}')
		return -1;
	*used = i + 2;
	return 0;
}

json_t *
tmpl_path_get(const json_t *ctx, const char *path, size_t n)
{
	const json_t *v = ctx;
	size_t i = 0, j;
	char key[256];

	while (i < n && v != NULL) {
		for (j = i; j < n && path[j] != '.'; j++)
			;
		if (j - i == 0 || j - i >= sizeof(key))
			return NULL;
		memcpy(key, path + i, j - i);
		key[j - i] = '\0';
		if (json_is_object(v))
			v = json_object_get(v, key);
		else if (json_is_array(v)) {
			char *end;
			unsigned long k = strtoul(key, &end, 10);

			if (*end != '\0' || key[0] < '0' || key[0] > '9')
				return NULL;
			v = json_array_get(v, k);
		} else
			return NULL;
		i = j + 1;
	}
	return (json_t *)v;
}

json_t *
tmpl_pointer(const json_t *v, const char *ptr)
{
	struct buf tok = BUF_INIT;
	const char *p = ptr;

	if (*p == '\0')
		return (json_t *)v;
	while (v != NULL && *p == '/') {
		p++;
		buf_reset(&tok);
		while (*p != '\0' && *p != '/') {
			if (p[0] == '~' && p[1] == '0') {
				buf_addc(&tok, '~');
				p += 2;
			} else if (p[0] == '~' && p[1] == '1') {
				buf_addc(&tok, '/');
				p += 2;
			} else
				buf_addc(&tok, *p++);
		}
		if (json_is_object(v))
			v = json_object_get(v, buf_str(&tok));
		else if (json_is_array(v)) {
			const char *k = buf_str(&tok);
			char *end;
			unsigned long i = strtoul(k, &end, 10);

			if (*k < '0' || *k > '9' || *end != '\0')
				v = NULL;
			else
				v = json_array_get(v, i);
		} else
			v = NULL;
	}
	buf_free(&tok);
	return *p == '\0' ? (json_t *)v : NULL;
}

/* Text of a value for interpolation. */
static void
value_text(struct buf *b, const json_t *v)
{
	char num[40];
	int n;

	if (v == NULL || json_is_null(v))
		return;
	if (json_is_string(v))
		buf_add(b, json_string_value(v), json_string_length(v));
	else if (json_is_integer(v))
		buf_addf(b, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v)) {
		if ((n = fmt_double(json_real_value(v), num)) > 0)
			buf_add(b, num, (size_t)n);
	} else if (json_is_true(v))
		buf_adds(b, "true");
	else if (json_is_false(v))
		buf_adds(b, "false");
	else
		buf_json(b, v);
}

static void
add_url(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_addc(b, (char)c);
		else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

/* Apply a filter to v, giving text into out. */
static int
filtered(const struct tmpl *t, const json_t *v, const char *f, size_t fn,
    struct buf *out, struct twin_err *err)
{
	struct buf key = BUF_INIT;
	json_t *map, *m;

	if (fn == 4 && memcmp(f, "json", 4) == 0) {
		if (v == NULL)
			buf_adds(out, "null");
		else
			buf_json(out, v);
		return 0;
	}
	buf_addf(&key, "%.*s", (int)fn, f);
	map = t != NULL ? json_object_get(t->maps, key.s) : NULL;
	if (!json_is_object(map)) {
		err_set(err, TWIN_ECONFIG, "unknown map '%s'", key.s);
		buf_free(&key);
		return -1;
	}
	buf_reset(&key);
	value_text(&key, v);
	m = json_object_get(map, buf_str(&key));
	if (m == NULL)
		m = json_object_get(map, "*");
	value_text(out, m != NULL ? m : v);
	buf_free(&key);
	return 0;
}

int
tmpl_render_text(const struct tmpl *t, const char *s, const json_t *ctx,
    int url, struct buf *out, struct twin_err *err)
{
	struct buf tmp = BUF_INIT;

	while (*s != '\0') {
		const char *name, *filt;
		size_t nlen, flen, used;
		const json_t *v;

		if (s[0] != '{' || s[1] != '{') {
			buf_addc(out, *s++);
			continue;
		}
		if (placeholder(s, &name, &nlen, &filt, &flen, &used) < 0) {
			buf_free(&tmp);
			return err_set(err, TWIN_ECONFIG,
			    "bad placeholder at '%.20s'", s);
		}
		v = ctx != NULL ? tmpl_path_get(ctx, name, nlen) : NULL;
		buf_reset(&tmp);
		if (filt != NULL) {
			if (filtered(t, v, filt, flen, &tmp, err) < 0) {
				buf_free(&tmp);
				return -1;
			}
		} else
			value_text(&tmp, v);
		if (url)
			add_url(out, tmp.s ? tmp.s : "", tmp.len);
		else
			buf_add(out, tmp.s ? tmp.s : "", tmp.len);
		s += used;
	}
	buf_free(&tmp);
	return 0;
}

int
tmpl_check_text(const struct tmpl *t, const char *s, struct twin_err *err)
{
	struct buf b = BUF_INIT;
	int rc = tmpl_render_text(t, s, NULL, 0, &b, err);

	buf_free(&b);
	return rc;
}

json_t *
tmpl_render_body(const struct tmpl *t, const json_t *body, const json_t *ctx,
    struct twin_err *err)
{
	const char *s, *name, *filt, *k;
	size_t nlen, flen, used, i;
	json_t *r, *v, *x;
	struct buf b = BUF_INIT;

	if (json_is_string(body)) {
		s = json_string_value(body);
		if (s[0] == '{' && s[1] == '{' &&
		    placeholder(s, &name, &nlen, &filt, &flen, &used) == 0 &&
		    s[used] == '\0' && filt == NULL) {
			v = ctx != NULL ? tmpl_path_get(ctx, name, nlen) : NULL;
			return v != NULL ? json_deep_copy(v) : json_null();
		}
		if (tmpl_render_text(t, s, ctx, 0, &b, err) < 0) {
			buf_free(&b);
			return NULL;
		}
		r = json_stringn(buf_str(&b), b.len);
		buf_free(&b);
		if (r == NULL)
			err_set(err, TWIN_EDATA, "rendered text is not UTF-8");
		return r;
	}
	if (json_is_array(body)) {
		r = json_array();
		json_array_foreach(body, i, v) {
			if ((x = tmpl_render_body(t, v, ctx, err)) == NULL) {
				json_decref(r);
				return NULL;
			}
			json_array_append_new(r, x);
		}
		return r;
	}
	if (json_is_object(body)) {
		r = json_object();
		json_object_foreach((json_t *)body, k, v) {
			if ((x = tmpl_render_body(t, v, ctx, err)) == NULL) {
				json_decref(r);
				return NULL;
			}
			json_object_set_new(r, k, x);
		}
		return r;
	}
	return json_deep_copy(body);
}

static int
check_body(const struct tmpl *t, const json_t *body, struct twin_err *err)
{
	json_t *r = tmpl_render_body(t, body, NULL, err);

	if (r == NULL)
		return -1;
	json_decref(r);
	return 0;
}

static int
check_headers(const struct tmpl *t, json_t *h, struct twin_err *err)
{
	const char *k;
	json_t *v;

	if (h != NULL && !json_is_object(h))
		return err_set(err, TWIN_ECONFIG, "'headers' is not an object");
	json_object_foreach(h, k, v) {
		if (!json_is_string(v) || *k == '\0' ||
		    strpbrk(k, ":\r\n ") != NULL ||
		    strpbrk(json_string_value(v), "\r\n") != NULL)
			return err_set(err, TWIN_ECONFIG, "bad header '%s'", k);
		if (tmpl_check_text(t, json_string_value(v), err) < 0)
			return err_prefix(err, "header '%s'", k);
	}
	return 0;
}

static int
parse_op(struct tmpl *t, const char *name, struct tmpl_op *op, int required,
    struct twin_err *err)
{
	json_t *o = json_object_get(t->root, name), *v;
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH" };
	size_t i;

	memset(op, 0, sizeof(*op));
	if (o == NULL) {
		if (required)
			return err_set(err, TWIN_ECONFIG, "no '%s' operation",
			    name);
		return 0;
	}
	if (!json_is_object(o))
		return err_set(err, TWIN_ECONFIG, "'%s' is not an object",
		    name);
	op->method = json_string_value(json_object_get(o, "method"));
	for (i = 0; op->method != NULL && i < 4; i++)
		if (strcmp(op->method, methods[i]) == 0)
			break;
	if (op->method == NULL || i == 4)
		return err_set(err, TWIN_ECONFIG,
		    "'%s': method is not GET, POST, PUT or PATCH", name);
	op->path = json_string_value(json_object_get(o, "path"));
	if (op->path == NULL || (op->path[0] != '/' && op->path[0] != '?'))
		return err_set(err, TWIN_ECONFIG,
		    "'%s': path must be a string starting with '/' or '?'",
		    name);
	if (tmpl_check_text(t, op->path, err) < 0)
		return err_prefix(err, "'%s': path", name);
	op->body = json_object_get(o, "body");
	if (strcmp(op->method, "GET") != 0 && op->body == NULL)
		return err_set(err, TWIN_ECONFIG, "'%s': no body", name);
	if (op->body != NULL && check_body(t, op->body, err) < 0)
		return err_prefix(err, "'%s': body", name);
	op->headers = json_object_get(o, "headers");
	if (check_headers(t, op->headers, err) < 0)
		return err_prefix(err, "'%s'", name);
	if ((v = json_object_get(o, "id")) != NULL) {
		op->id = json_string_value(v);
		if (op->id == NULL || (op->id[0] != '/' && op->id[0] != '\0'))
			return err_set(err, TWIN_ECONFIG,
			    "'%s': id is not a JSON pointer", name);
	}
	return 1;
}

int
tmpl_parse(struct tmpl *t, json_t *root, struct twin_err *err)
{
	const char *k;
	json_t *v, *a;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!json_is_object(root)) {
		json_decref(root);
		return err_set(err, TWIN_ECONFIG, "template is not an object");
	}
	t->root = root;
	t->maps = json_object_get(root, "maps");
	if (t->maps != NULL && !json_is_object(t->maps))
		goto bad_maps;
	json_object_foreach(t->maps, k, v)
		if (!json_is_object(v))
			goto bad_maps;
	t->headers = json_object_get(root, "headers");
	if (check_headers(t, t->headers, err) < 0)
		goto fail;
	v = json_object_get(root, "idempotency_header");
	if (v == NULL)
		t->idem_header = "Idempotency-Key";
	else if (!json_is_null(v) && ((t->idem_header =
	    json_string_value(v)) == NULL || *t->idem_header == '\0' ||
	    strpbrk(t->idem_header, ":\r\n ") != NULL)) {
		err_set(err, TWIN_ECONFIG, "bad 'idempotency_header'");
		goto fail;
	}
	if ((a = json_object_get(root, "auth")) != NULL) {
		t->auth_header = rec_str(a, "header");
		t->auth_prefix = rec_str(a, "prefix");
		if (t->auth_header == NULL || *t->auth_header == '\0' ||
		    strpbrk(t->auth_header, ":\r\n ") != NULL ||
		    (t->auth_prefix != NULL &&
		    strpbrk(t->auth_prefix, "\r\n") != NULL)) {
			err_set(err, TWIN_ECONFIG, "bad 'auth'");
			goto fail;
		}
		if (t->auth_prefix == NULL)
			t->auth_prefix = "";
	}
	if (parse_op(t, "create", &t->create, 1, err) < 0 ||
	    parse_op(t, "update", &t->update, 1, err) < 0 ||
	    parse_op(t, "escalate", &t->escalate, 0, err) < 0 ||
	    parse_op(t, "close", &t->close, 0, err) < 0 ||
	    (rc = parse_op(t, "lookup", &t->lookup, 0, err)) < 0)
		goto fail;
	t->has_lookup = rc;
	if (rc && strcmp(t->lookup.method, "GET") != 0) {
		err_set(err, TWIN_ECONFIG, "'lookup': method must be GET");
		goto fail;
	}
	if ((rc = parse_op(t, "feedback", &t->feedback, 0, err)) < 0)
		goto fail;
	t->has_feedback = rc;
	if (rc) {
		json_t *fb = json_object_get(root, "feedback");

		t->fb_items = rec_str(fb, "items");
		t->fb_fields = json_object_get(fb, "fields");
		if (strcmp(t->feedback.method, "GET") != 0 ||
		    t->fb_items == NULL || (t->fb_items[0] != '/' &&
		    t->fb_items[0] != '\0') || !json_is_object(t->fb_fields)) {
			err_set(err, TWIN_ECONFIG, "'feedback': a GET with "
			    "'items' (a JSON pointer) and 'fields' (an object)");
			goto fail;
		}
		json_object_foreach(t->fb_fields, k, v) {
			const char *ptr = json_string_value(v);

			if (ptr == NULL || (ptr[0] != '/' && ptr[0] != '\0')) {
				err_set(err, TWIN_ECONFIG, "'feedback': field "
				    "'%s' is not a JSON pointer", k);
				goto fail;
			}
		}
	}
	return 0;
bad_maps:
	err_set(err, TWIN_ECONFIG, "'maps' is not an object of objects");
fail:
	json_decref(t->root);
	memset(t, 0, sizeof(*t));
	return -1;
}

int
tmpl_load(struct tmpl *t, const char *path, struct twin_err *err)
{
	json_t *root = ndj_load_file(path, err);

	memset(t, 0, sizeof(*t));
	if (root == NULL)
		return -1;
	if (tmpl_parse(t, root, err) < 0) {
		if (err != NULL)
			err->code = TWIN_ECONFIG;
		return err_prefix(err, "%s", path);
	}
	return 0;
}

void
tmpl_free(struct tmpl *t)
{
	json_decref(t->root);
	memset(t, 0, sizeof(*t));
}

const struct tmpl_op *
tmpl_op_for(const struct tmpl *t, const char *event)
{
	if (strcmp(event, "open") == 0)
		return &t->create;
	if (strcmp(event, "escalate") == 0 && t->escalate.method != NULL)
		return &t->escalate;
	if (strcmp(event, "close") == 0 && t->close.method != NULL)
		return &t->close;
	return &t->update;
}
