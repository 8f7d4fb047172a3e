/*
 * rec.h - the fields every record has (twin(7)): kind, ts, tenant.
 *
 * Functions borrow the record; returned strings belong to it.
 */
#ifndef TWIN_REC_H
#define TWIN_REC_H

#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* The record kinds of twin(7), and REC_OTHER for any other string. */
enum rec_kind {
	REC_RAW, REC_SAMPLE, REC_FEATURE, REC_SCORE, REC_WORKORDER, REC_LABEL,
	REC_STATE, REC_DRIFT, REC_EVENT, REC_OTHER
};

const char *rec_kind_name(enum rec_kind k);

/*
 * Check the common fields: "kind" a string, "tenant" a non-empty string
 * equal to tenant (when tenant is not NULL), "ts" a valid time.  Fills
 * *kind and *ts.  A missing or wrong field is TWIN_EDATA with a message
 * such as "tenant 'acme' is not 'globex'".
 */
int rec_check(const json_t *r, const char *tenant, enum rec_kind *kind,
    int64_t *ts, struct twin_err *err);

/* A string field, or NULL when absent or not a string. */
const char *rec_str(const json_t *r, const char *key);

/* A tenant name: 1-64 bytes of [A-Za-z0-9._-], starting alphanumeric. */
int rec_tenant_valid(const char *t);

#endif
