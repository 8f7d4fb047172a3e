/*
 * t.h - the smallest unit-test harness: each check prints "ok - NAME" or
 * "not ok - NAME: why", which tests/run counts.  Exit status is 1 when
 * any check failed.
 */
#ifndef TWIN_T_H
#define TWIN_T_H

#include <stdio.h>
#include <string.h>

static int t_failed;

#define T_OK(cond, ...) do {						\
	if (cond) {							\
		printf("ok - " __VA_ARGS__);				\
		printf("\n");						\
	} else {							\
		t_failed = 1;						\
		printf("not ok - " __VA_ARGS__);			\
		printf(": %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

#define T_STREQ(got, want, ...) do {					\
	const char *t_g = (got), *t_w = (want);				\
	if (t_g != NULL && strcmp(t_g, t_w) == 0) {			\
		printf("ok - " __VA_ARGS__);				\
		printf("\n");						\
	} else {							\
		t_failed = 1;						\
		printf("not ok - " __VA_ARGS__);			\
		printf(": got '%s', want '%s'\n", t_g ? t_g : "(null)", t_w); \
	}								\
} while (0)

#define T_DONE() (fflush(stdout), t_failed)

#endif
