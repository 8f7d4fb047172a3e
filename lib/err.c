/* err.c - error values for library code; see err.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "banned.h"

int
err_set(struct twin_err *err, enum twin_errcode code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
err_prefix(struct twin_err *err, const char *fmt, ...)
{
	char old[TWIN_ERRMSG_MAX];
	va_list ap;
	int n;

	if (err == NULL)
		return -1;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %.*s",
		    (int)(sizeof(err->msg) - (size_t)n), old);
	return -1;
}

void
err_clear(struct twin_err *err)
{
	if (err == NULL)
		return;
	err->code = TWIN_EOK;
	err->msg[0] = '\0';
}

int
err_exit_status(enum twin_errcode code)
{
	switch (code) {
	case TWIN_EOK:
	case TWIN_EPIPE:
		return EXIT_OK;
	case TWIN_EDATA:
		return EXIT_DATA;
	case TWIN_EUSAGE:
		return EXIT_USAGE;
	case TWIN_ECONFIG:
		return EXIT_CONFIG;
	case TWIN_EUNAVAIL:
		return EXIT_UNAVAILABLE;
	case TWIN_ETEMP:
		return EXIT_TEMPFAIL;
	case TWIN_EIO:
	case TWIN_ENOMEM:
	default:
		return EXIT_IO;
	}
}
