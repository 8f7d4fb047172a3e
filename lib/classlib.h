/*
 * classlib.h - asset class templates and their failure-mode library
 * (twin-class(5)).
 *
 * A class file names the channels an asset of the class should report,
 * the features the health model uses ("<channel>:<name>"), normal ranges,
 * and failure modes, each with a signature: the features that rise when
 * the mode is present, with weights in (0, 1].  The library is data; the
 * model copies the parts it needs so that a model file is self-contained.
 *
 * classlib_load() reads one file or every *.json file of a directory and
 * owns the parsed documents until classlib_free().  Strings returned point
 * into them.
 */
#ifndef TWIN_CLASSLIB_H
#define TWIN_CLASSLIB_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

#define CLASS_FORMAT "twin-class/1"

struct cls_sig {
	const char *feature;
	double weight;
	int index;		/* the feature's place in a model; -1 */
};

struct cls_mode {
	const char *mode;
	const char *title;
	const char *action;
	struct cls_sig *sig;
	size_t nsig;
};

struct classlib {
	json_t *classes;	/* object: class name -> class document */
	char digest[65];	/* sha256 over the files read, in name order */
};

int classlib_load(struct classlib *cl, const char *path, struct twin_err *err);
void classlib_free(struct classlib *cl);

/* The class document, or NULL (borrowed). */
json_t *classlib_get(const struct classlib *cl, const char *name);

/*
 * Check one class document (format, channels, features, modes); file names
 * the document in messages.  TWIN_ECONFIG on error.
 */
int classlib_check(const json_t *cls, const char *file, struct twin_err *err);

/* The model features of a class, "<channel>:<name>", new reference. */
json_t *classlib_features(const json_t *cls);

/*
 * Parse a "modes" array (already checked) into *modes (allocated, free with
 * classlib_modes_free); strings borrow from the array.
 */
int classlib_modes(const json_t *arr, struct cls_mode **modes, size_t *n,
    struct twin_err *err);
void classlib_modes_free(struct cls_mode *modes, size_t n);

#endif
