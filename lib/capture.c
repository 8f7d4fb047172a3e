/* capture.c - rotating compressed capture; see capture.h.  (stub) */
#include <stddef.h>

#include "capture.h"
#include "err.h"
#include "banned.h"

struct capture *
capture_open(const char *dir, const struct capture_opts *o,
    struct twin_err *err)
{
	err_set(err, TWIN_EUNAVAIL, "capture '%s': not implemented yet", dir);
	return NULL;
}

int
capture_write(struct capture *c, const char *rec, size_t n,
    struct twin_err *err)
{
	return err_set(err, TWIN_EIO, "capture: not implemented yet");
}

int
capture_flush(struct capture *c, struct twin_err *err)
{
	return 0;
}

int
capture_rotate(struct capture *c, struct twin_err *err)
{
	return 0;
}

int
capture_poll(struct capture *c, struct twin_err *err)
{
	return 0;
}

void
capture_set_clock(struct capture *c, long long (*now)(void *), void *arg)
{
}

unsigned long long
capture_segments(const struct capture *c)
{
	return 0;
}

unsigned long long
capture_recovered(const struct capture *c)
{
	return 0;
}

int
capture_close(struct capture *c, struct twin_err *err)
{
	return 0;
}
