/*
 * http.h - one HTTP request at a time to one origin (libcurl), with the
 * limits a program talking to a remote peer unattended needs.
 *
 *   - TLS peer and host verification stay on; there is no switch to turn
 *     them off.  A CA file may be given for a private CA.
 *   - Only http and https; a redirect is followed only when it is a 307
 *     or 308 to the same scheme, host and port as the base URL, at most
 *     three times; any other redirect is refused (HTTP_REDIRECT).
 *   - Every request has a connection of its own, so that libcurl never
 *     sends a request twice on its own after a reused connection died.
 *   - The whole request is capped in time, and so is a transfer slower
 *     than a low-speed limit (a drip-fed reply); the reply body is capped
 *     in size, the transfer aborted past it (HTTP_TOOBIG).
 *
 * http_request() fills a struct http_resp; http_class() says what the
 * caller should do with it.  The handle owns its curl easy handle; the
 * response owns its body buffer (http_resp_free()).
 */
#ifndef TWIN_HTTP_H
#define TWIN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct http_opts {
	long timeout_ms;	/* whole request */
	long connect_ms;
	size_t max_body;	/* reply bytes kept; more aborts */
	long low_speed;		/* bytes/s under which ... */
	long low_speed_s;	/* ... for this long aborts */
	const char *cafile;	/* NULL: the system's CAs */
};

enum http_fail {
	HTTP_NONE,		/* a status was received */
	HTTP_CONNECT,		/* nothing was sent */
	HTTP_TRANSFER,		/* failed after (part of) the request left */
	HTTP_TIMEOUT,
	HTTP_TOOBIG,
	HTTP_REDIRECT,		/* a redirect was refused */
	HTTP_TLS		/* TLS handshake or verification failed */
};

struct http_resp {
	long status;		/* 0 when none was received */
	enum http_fail fail;
	struct buf body;
	int64_t retry_after_ms;	/* -1 when absent */
	char msg[256];		/* what went wrong, for a diagnostic */
};

enum http_class {
	HC_OK,			/* 2xx: confirmed */
	HC_RETRY,		/* timeout, 408, 429, 5xx, transfer failure */
	HC_UNAVAIL,		/* cannot connect, TLS, refused redirect */
	HC_REJECT		/* other 3xx/4xx: do not send again */
};

struct http;

struct http *http_new(const char *base_url, const struct http_opts *o,
    struct twin_err *err);
void http_free(struct http *h);
const char *http_base(const struct http *h);

/*
 * Send method to url (base URL + path) with headers ("Name: value", NULL
 * terminated) and body (NULL for none).  Returns 0 when a reply or a
 * failure was recorded in resp, -1 only for a local error.
 */
int http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const char *body, size_t bodylen,
    struct http_resp *resp, struct twin_err *err);
void http_resp_free(struct http_resp *r);

enum http_class http_class(const struct http_resp *r);

/*
 * Delay before attempt number 'attempt' (from 1) after a failure:
 * Retry-After when the peer gave one, else capped exponential backoff
 * base * 2^(attempt-1) with jitter in its upper half; rnd is any random
 * number.
 */
int64_t http_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms,
    int64_t retry_after_ms, unsigned long rnd);

/* Retry-After: delta-seconds or an HTTP date relative to now (s). */
int64_t http_retry_after_ms(const char *v, int64_t now_s);

#endif
