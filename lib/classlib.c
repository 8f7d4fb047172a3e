/* classlib.c - asset class templates and failure modes; see classlib.h. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "classlib.h"
#include "digest.h"
#include "ndj.h"
#include "banned.h"

static int
is_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '.' || s[i] == '-' || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

static int
check_modes(const json_t *modes, const json_t *feats, const char *file,
    struct twin_err *err)
{
	size_t i, j, k;
	json_t *m, *s, *sig, *w;
	const char *f;
	int found;

	if (!json_is_array(modes) || json_array_size(modes) == 0)
		return err_set(err, TWIN_ECONFIG, "%s: 'modes' must be a "
		    "non-empty array", file);
	json_array_foreach(modes, i, m) {
		const char *name = json_string_value(json_object_get(m, "mode"));

		if (name == NULL || !is_name(name))
			return err_set(err, TWIN_ECONFIG, "%s: mode %zu: "
			    "'mode' must be a name", file, i + 1);
		if (!json_is_string(json_object_get(m, "action")))
			return err_set(err, TWIN_ECONFIG, "%s: mode '%s': "
			    "'action' must be a string", file, name);
		sig = json_object_get(m, "signature");
		if (!json_is_array(sig) || json_array_size(sig) == 0)
			return err_set(err, TWIN_ECONFIG, "%s: mode '%s': "
			    "'signature' must be a non-empty array", file, name);
		json_array_foreach(sig, j, s) {
			f = json_string_value(json_object_get(s, "feature"));
			w = json_object_get(s, "weight");
			if (f == NULL || !json_is_number(w) ||
			    !(json_number_value(w) > 0) ||
			    json_number_value(w) > 1)
				return err_set(err, TWIN_ECONFIG, "%s: mode "
				    "'%s': signature %zu needs 'feature' and a "
				    "'weight' in (0, 1]", file, name, j + 1);
			if (feats == NULL)
				continue;
			found = 0;
			for (k = 0; k < json_array_size(feats); k++)
				if (strcmp(f, json_string_value(
				    json_array_get(feats, k))) == 0)
					found = 1;
			if (!found)
				return err_set(err, TWIN_ECONFIG, "%s: mode "
				    "'%s': signature feature '%s' is not a "
				    "feature of the class", file, name, f);
		}
	}
	return 0;
}

int
classlib_check(const json_t *cls, const char *file, struct twin_err *err)
{
	const char *fmt, *name;
	json_t *chs, *ch, *fs, *f, *feats;
	size_t i, j;
	int rc;

	if (!json_is_object(cls))
		return err_set(err, TWIN_ECONFIG, "%s: not a JSON object", file);
	fmt = json_string_value(json_object_get(cls, "format"));
	if (fmt == NULL || strcmp(fmt, CLASS_FORMAT) != 0)
		return err_set(err, TWIN_ECONFIG, "%s: 'format' is not '%s'",
		    file, CLASS_FORMAT);
	name = json_string_value(json_object_get(cls, "class"));
	if (name == NULL || !is_name(name))
		return err_set(err, TWIN_ECONFIG, "%s: 'class' must be a name",
		    file);
	chs = json_object_get(cls, "channels");
	if (!json_is_array(chs) || json_array_size(chs) == 0)
		return err_set(err, TWIN_ECONFIG, "%s: 'channels' must be a "
		    "non-empty array", file);
	json_array_foreach(chs, i, ch) {
		const char *c = json_string_value(json_object_get(ch,
		    "channel"));

		if (c == NULL || !is_name(c))
			return err_set(err, TWIN_ECONFIG, "%s: channel %zu: "
			    "'channel' must be a name", file, i + 1);
		if (!json_is_string(json_object_get(ch, "unit")))
			return err_set(err, TWIN_ECONFIG, "%s: channel '%s': "
			    "'unit' must be a string", file, c);
		fs = json_object_get(ch, "features");
		if (!json_is_array(fs) || json_array_size(fs) == 0)
			return err_set(err, TWIN_ECONFIG, "%s: channel '%s': "
			    "'features' must be a non-empty array", file, c);
		json_array_foreach(fs, j, f)
			if (!json_is_string(f) || !is_name(json_string_value(f)))
				return err_set(err, TWIN_ECONFIG, "%s: channel "
				    "'%s': feature %zu must be a name", file, c,
				    j + 1);
	}
	feats = classlib_features(cls);
	rc = check_modes(json_object_get(cls, "modes"), feats, file, err);
	json_decref(feats);
	return rc;
}

json_t *
classlib_features(const json_t *cls)
{
	json_t *out = json_array(), *ch, *f;
	size_t i, j;
	struct buf b = BUF_INIT;

	json_array_foreach(json_object_get(cls, "channels"), i, ch) {
		json_array_foreach(json_object_get(ch, "features"), j, f) {
			buf_reset(&b);
			buf_adds(&b, json_string_value(json_object_get(ch,
			    "channel")));
			buf_addc(&b, ':');
			buf_adds(&b, json_string_value(f));
			json_array_append_new(out, json_string(buf_str(&b)));
		}
	}
	buf_free(&b);
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_one(struct classlib *cl, const char *path, struct buf *dig,
    struct twin_err *err)
{
	char hex[DIGEST_HEX];
	const char *name;
	json_t *doc;

	if ((doc = ndj_load_file(path, err)) == NULL)
		return -1;
	if (classlib_check(doc, path, err) < 0) {
		json_decref(doc);
		return -1;
	}
	name = json_string_value(json_object_get(doc, "class"));
	if (json_object_get(cl->classes, name) != NULL) {
		err_set(err, TWIN_ECONFIG, "%s: class '%s' defined twice", path,
		    name);
		json_decref(doc);
		return -1;
	}
	if (digest_file_sha256_hex(path, hex, err) < 0) {
		json_decref(doc);
		return -1;
	}
	buf_adds(dig, hex);
	json_object_set_new(cl->classes, name, doc);
	return 0;
}

int
classlib_load(struct classlib *cl, const char *path, struct twin_err *err)
{
	struct buf dig = BUF_INIT, p = BUF_INIT;
	char **names = NULL;
	size_t n = 0, i, len;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = -1;

	cl->classes = json_object();
	cl->digest[0] = '\0';
	if (stat(path, &st) < 0) {
		err_set(err, TWIN_ECONFIG, "cannot read class library '%s': %s",
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = load_one(cl, path, &dig, err);
		goto out;
	}
	if ((d = opendir(path)) == NULL) {
		err_set(err, TWIN_ECONFIG, "cannot read class library '%s': %s",
		    path, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 6 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	if (n == 0) {
		err_set(err, TWIN_ECONFIG, "no class files (*.json) in '%s'",
		    path);
		goto out;
	}
	for (i = 0; i < n; i++) {
		buf_reset(&p);
		buf_addf(&p, "%s/%s", path, names[i]);
		if (load_one(cl, buf_str(&p), &dig, err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0)
		digest_sha256_hex(dig.s ? dig.s : "", dig.len, cl->digest);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	buf_free(&dig);
	buf_free(&p);
	if (rc < 0) {
		json_decref(cl->classes);
		cl->classes = NULL;
	}
	return rc;
}

void
classlib_free(struct classlib *cl)
{
	json_decref(cl->classes);
	cl->classes = NULL;
}

json_t *
classlib_get(const struct classlib *cl, const char *name)
{
	return json_object_get(cl->classes, name);
}

int
classlib_modes(const json_t *arr, struct cls_mode **modes, size_t *n,
    struct twin_err *err)
{
	struct cls_mode *m;
	json_t *e, *s;
	size_t i, j;

	if (check_modes(arr, NULL, "model", err) < 0)
		return -1;
	*n = json_array_size(arr);
	m = xcalloc(*n, sizeof(*m));
	json_array_foreach(arr, i, e) {
		m[i].mode = json_string_value(json_object_get(e, "mode"));
		m[i].title = json_string_value(json_object_get(e, "title"));
		m[i].action = json_string_value(json_object_get(e, "action"));
		m[i].nsig = json_array_size(json_object_get(e, "signature"));
		m[i].sig = xcalloc(m[i].nsig, sizeof(*m[i].sig));
		json_array_foreach(json_object_get(e, "signature"), j, s) {
			m[i].sig[j].feature = json_string_value(
			    json_object_get(s, "feature"));
			m[i].sig[j].weight = json_number_value(
			    json_object_get(s, "weight"));
			m[i].sig[j].index = -1;
		}
	}
	*modes = m;
	return 0;
}

void
classlib_modes_free(struct cls_mode *modes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(modes[i].sig);
	free(modes);
}
