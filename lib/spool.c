/* spool.c - durable bounded queue; see spool.h.  (stub, being written) */
#include <stddef.h>

#include "err.h"
#include "spool.h"
#include "banned.h"

struct spool *
spool_open(const char *dir, const char *tenant, const struct spool_opts *o,
    struct twin_err *err)
{
	err_set(err, TWIN_EUNAVAIL, "spool '%s': not implemented yet", dir);
	return NULL;
}

int
spool_append(struct spool *s, const char *rec, size_t n, struct twin_err *err)
{
	return err_set(err, TWIN_EIO, "spool: not implemented yet");
}

int
spool_next(struct spool *s, const char **rec, size_t *n, struct twin_err *err)
{
	return err_set(err, TWIN_EIO, "spool: not implemented yet");
}

int
spool_commit(struct spool *s, struct twin_err *err)
{
	return err_set(err, TWIN_EIO, "spool: not implemented yet");
}

int
spool_sync(struct spool *s, struct twin_err *err)
{
	return err_set(err, TWIN_EIO, "spool: not implemented yet");
}

void
spool_stats(const struct spool *s, struct spool_stats *st)
{
	(void)s;
	*st = (struct spool_stats){ 0 };
}

unsigned long long
spool_pending(const struct spool *s)
{
	return 0;
}

const char *
spool_damage(struct spool *s)
{
	return NULL;
}

int
spool_close(struct spool *s, struct twin_err *err)
{
	return 0;
}

size_t
spool_scan(const unsigned char *p, size_t n,
    void (*fn)(void *arg, const char *rec, size_t len), void *arg,
    size_t *damaged)
{
	*damaged = 0;
	return 0;
}
