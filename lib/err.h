/*
 * err.h - how library code reports failure.
 *
 * Library functions never print and never exit.  A function that can fail
 * takes a struct twin_err * as its last argument, fills it with a code and
 * a message in diagnostic style (lower case, subject quoted, no full stop)
 * and returns -1 (or NULL).  The caller in cmd/ decides what to say and
 * which exit status follows.  A NULL err is allowed and discards the
 * message.
 */
#ifndef TWIN_ERR_H
#define TWIN_ERR_H

#include <stddef.h>

/*
 * Exit statuses shared by every program; documented in twin(7).  The error
 * codes below map onto them through err_exit_status().
 */
enum {
	EXIT_OK = 0,
	EXIT_DATA = 1,		/* stream completed, some records rejected */
	EXIT_USAGE = 2,		/* bad option or argument */
	EXIT_CONFIG = 3,	/* bad configuration file */
	EXIT_IO = 4,		/* cannot read input or write output/state */
	EXIT_UNAVAILABLE = 69,	/* a peer (broker, server, CMMS) unavailable */
	EXIT_TEMPFAIL = 75	/* temporary failure; try again later */
};

enum twin_errcode {
	TWIN_EOK = 0,
	TWIN_EDATA,		/* bad record: reject it, carry on */
	TWIN_EUSAGE,
	TWIN_ECONFIG,
	TWIN_EIO,
	TWIN_EPIPE,		/* downstream closed: end quietly */
	TWIN_ENOMEM,
	TWIN_EUNAVAIL,
	TWIN_ETEMP
};

#define TWIN_ERRMSG_MAX 512

struct twin_err {
	enum twin_errcode code;
	char msg[TWIN_ERRMSG_MAX];
};

/* Set code and message; returns -1 so callers can 'return err_set(...)'. */
int err_set(struct twin_err *err, enum twin_errcode code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "context: old message". */
int err_prefix(struct twin_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void err_clear(struct twin_err *err);

int err_exit_status(enum twin_errcode code);

#endif
