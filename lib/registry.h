/*
 * registry.h - a tenant's model registry on disk (twin-model(5)).
 *
 *   DIR/TENANT/models/SHA.json   immutable model files, named by sha256
 *   DIR/TENANT/cards/SHA.json    their model cards
 *   DIR/TENANT/ledger.ndjson     append-only log of what happened
 *   DIR/TENANT/production        the production model's sha256 and a
 *                                newline, replaced atomically (rename)
 *   DIR/TENANT/lock              flock(2) target that serialises writers
 *
 * Every file is written to a temporary name, synced, and renamed into
 * place, and the directory is synced, so a crash at any point leaves the
 * old or the new state, never a mix.  A model is loaded only when its
 * bytes hash to its name, its tenant is the registry's and its format is
 * known.
 */
#ifndef TWIN_REGISTRY_H
#define TWIN_REGISTRY_H

#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "model.h"

struct registry {
	char *dir;		/* DIR/TENANT */
	char *tenant;
	int lockfd;
};

/* Open (and with create, make) DIR/TENANT.  TWIN_ECONFIG or TWIN_EIO. */
int reg_open(struct registry *r, const char *dir, const char *tenant,
    int create, struct twin_err *err);
void reg_close(struct registry *r);

/* Take the writer lock; TWIN_ETEMP when another process holds it. */
int reg_lock(struct registry *r, struct twin_err *err);

/* The production sha into sha (65 bytes): 1 if set, 0 if none, -1. */
int reg_production(struct registry *r, char *sha, struct twin_err *err);
/* Identity of the production pointer (changes when it is replaced). */
int reg_production_stamp(struct registry *r, ino_t *ino,
    struct timespec *mtime);
int reg_set_production(struct registry *r, const char *sha,
    struct twin_err *err);

/* Store model text; *sha receives its name.  1 if it was new, 0 if not. */
int reg_store(struct registry *r, const char *text, size_t len, char *sha,
    struct twin_err *err);
int reg_has(struct registry *r, const char *sha);
/* Read a model's bytes and check them against the name. */
int reg_read(struct registry *r, const char *sha, struct buf *b,
    struct twin_err *err);
/* Read, check and parse a model of this registry's tenant. */
struct model *reg_load(struct registry *r, const char *sha,
    struct twin_err *err);
/* Resolve a unique prefix (at least 6 hex digits) of a stored model. */
int reg_resolve(struct registry *r, const char *name, char *sha,
    struct twin_err *err);

int reg_card_write(struct registry *r, const char *sha, const json_t *card,
    struct twin_err *err);
json_t *reg_card_read(struct registry *r, const char *sha,
    struct twin_err *err);

/* Append one ledger entry (a "ts" of the wall clock is put first). */
int reg_ledger_append(struct registry *r, json_t *entry,
    struct twin_err *err);
/* All ledger entries, as an array (new reference). */
json_t *reg_ledger_read(struct registry *r, struct twin_err *err);

/* Check a model name: 64 lower-case hex digits. */
int reg_valid_sha(const char *s);

#endif
