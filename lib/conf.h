/*
 * conf.h - strict reading of JSON configuration files, with positions.
 *
 * Every configuration format of twin (tag map, feature spec, class
 * template, retrain and ticket policy, CMMS template, ...) is read
 * through this module, so that all of them are equally strict: the file
 * must be one JSON value (duplicate keys, invalid UTF-8 and NUL bytes are
 * errors), an unknown key is an error, and a value of the wrong type or
 * out of range is an error.  Every error names the file, the line of the
 * offending key or element and its path in the document:
 *
 *   policy.json:7: levels.warning.persist: not a duration such as "2h"
 *
 * The getters take the object, the path of that object for messages
 * ("" for the root, "levels.warning", "tags[3]") and the key.  A getter
 * for an absent optional key leaves *v unchanged and returns 0, so the
 * caller sets the default first.  All return -1 with TWIN_ECONFIG.
 *
 * conf_load() owns the parsed document; conf_root() borrows it, and
 * every json_t a getter hands out is borrowed too, valid until
 * conf_free().
 */
#ifndef TWIN_CONF_H
#define TWIN_CONF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct conf;

/* Read and parse path; the file's sha256 is kept (conf_sha256). */
struct conf *conf_load(const char *path, struct twin_err *err);
/* The same from text in memory; name is used in messages. */
struct conf *conf_parse(const char *name, const char *text, size_t n,
    struct twin_err *err);
void conf_free(struct conf *c);

json_t *conf_root(const struct conf *c);
const char *conf_name(const struct conf *c);
/* Lowercase hex sha256 of the file's bytes (65 bytes with the NUL). */
const char *conf_sha256(const struct conf *c);

/*
 * Line of member key of object obj, or of element i of array arr; 0
 * when not known (a value built after loading).
 */
long conf_key_line(const struct conf *c, const json_t *obj, const char *key);
long conf_elem_line(const struct conf *c, const json_t *arr, size_t i);

/*
 * "name:line: path.key: message" (or without the line when unknown, or
 * without the path when both are empty).  key may be NULL for the
 * object itself.  Returns -1.
 */
int conf_error(const struct conf *c, const json_t *obj, const char *path,
    const char *key, struct twin_err *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The same for element i of array arr at path. */
int conf_elem_error(const struct conf *c, const json_t *arr,
    const char *path, size_t i, struct twin_err *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Is v an object?  Error "not an object" otherwise. */
int conf_object(const struct conf *c, const json_t *parent, const char *path,
    const char *key, const json_t *v, struct twin_err *err);

/* Every key of obj must be in the NULL-terminated list allowed. */
int conf_keys(const struct conf *c, const json_t *obj, const char *path,
    const char *const *allowed, struct twin_err *err);

/* Required keys: a missing one is "missing 'key'". */
#define CONF_REQUIRED 1
#define CONF_OPTIONAL 0

int conf_num(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, double lo, double hi, double *v,
    struct twin_err *err);
int conf_int(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, long long lo, long long hi,
    long long *v, struct twin_err *err);
int conf_bool(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, int *v, struct twin_err *err);
/* A non-empty string; *v is borrowed. */
int conf_str(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, const char **v, struct twin_err *err);
/* One of a NULL-terminated list of words; *v is its index. */
int conf_enum(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, const char *const *words, int *v,
    struct twin_err *err);
/* A duration string such as "90s" or "2h" (tm.h), from lo to hi ns. */
int conf_dur(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, int64_t lo, int64_t hi, int64_t *v,
    struct twin_err *err);
/* An object or an array; *v is borrowed, NULL when absent. */
int conf_obj(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, json_t **v, struct twin_err *err);
int conf_arr(const struct conf *c, const json_t *obj, const char *path,
    const char *key, int required, json_t **v, struct twin_err *err);

/* "path.key" or "key" into out; for the paths of nested objects. */
const char *conf_path_join(char *out, size_t n, const char *path,
    const char *key);
/* "path[i]" into out. */
const char *conf_path_index(char *out, size_t n, const char *path,
    size_t i);

#endif
