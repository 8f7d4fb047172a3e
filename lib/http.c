/* http.c - bounded HTTP requests with libcurl; see http.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"
#include "banned.h"

#define MAX_REDIRECTS 3

struct http {
	CURL *c;
	struct http_opts o;
	char *base;
	char *scheme, *host, *port;
	struct http_resp *cur;	/* the reply being received */
};

static int curl_ready;

/* Scheme, host and port of a URL, each newly allocated. */
static int
origin(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	int rc = -1;

	*scheme = *host = *port = NULL;
	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	rc = 0;
out:
	if (rc < 0) {
		curl_free(*scheme);
		curl_free(*host);
		curl_free(*port);
		*scheme = *host = *port = NULL;
	}
	curl_url_cleanup(u);
	return rc;
}

struct http *
http_new(const char *base_url, const struct http_opts *o,
    struct twin_err *err)
{
	struct http *h;
	char *scheme, *host, *port;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(err, TWIN_EIO, "cannot initialise libcurl");
			return NULL;
		}
		curl_ready = 1;
	}
	if (origin(base_url, &scheme, &host, &port) < 0) {
		err_set(err, TWIN_EUSAGE, "bad URL '%s'", base_url);
		return NULL;
	}
	if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
		err_set(err, TWIN_EUSAGE, "URL '%s' is not http or https",
		    base_url);
		curl_free(scheme);
		curl_free(host);
		curl_free(port);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->o = *o;
	h->base = xstrdup(base_url);
	/* A trailing '/' would double with the paths' leading one. */
	while (strlen(h->base) > 0 && h->base[strlen(h->base) - 1] == '/')
		h->base[strlen(h->base) - 1] = '\0';
	h->scheme = scheme;
	h->host = host;
	h->port = port;
	if ((h->c = curl_easy_init()) == NULL) {
		err_set(err, TWIN_EIO, "cannot create a curl handle");
		http_free(h);
		return NULL;
	}
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	if (h->c != NULL)
		curl_easy_cleanup(h->c);
	curl_free(h->scheme);
	curl_free(h->host);
	curl_free(h->port);
	free(h->base);
	free(h);
}

const char *
http_base(const struct http *h)
{
	return h->base;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t len = size * n;

	if (h->cur->body.len + len > h->o.max_body) {
		h->cur->fail = HTTP_TOOBIG;
		return 0;	/* makes curl abort with CURLE_WRITE_ERROR */
	}
	buf_add(&h->cur->body, p, len);
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http *h = arg;
	size_t len = size * n;
	char v[128];
	size_t k = sizeof("retry-after:") - 1, i, j;

	if (len > k && strncasecmp(p, "retry-after:", k) == 0) {
		for (i = k; i < len && (p[i] == ' ' || p[i] == '\t'); i++)
			;
		for (j = 0; i < len && p[i] != '\r' && p[i] != '\n' &&
		    j + 1 < sizeof(v); i++)
			v[j++] = p[i];
		v[j] = '\0';
		h->cur->retry_after_ms = http_retry_after_ms(v,
		    (int64_t)time(NULL));
	}
	return len;
}

int64_t
http_retry_after_ms(const char *v, int64_t now_s)
{
	const char *s = v;
	int64_t secs = 0;
	time_t t;

	if (*s >= '0' && *s <= '9') {
		for (; *s >= '0' && *s <= '9'; s++) {
			if (secs > 100000000)
				return -1;
			secs = secs * 10 + (*s - '0');
		}
		while (*s == ' ')
			s++;
		return *s == '\0' ? secs * 1000 : -1;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	return (int64_t)t <= now_s ? 0 : ((int64_t)t - now_s) * 1000;
}

static void
set_common(struct http *h, const char *url, const char *method,
    struct curl_slist *hl, const char *body, size_t bodylen)
{
	CURL *c = h->c;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/*
	 * A fresh connection per request: libcurl silently sends a request
	 * again when a reused connection dies before the reply, and a
	 * second POST is what the outbox and the lookup must decide on.
	 */
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, h->scheme);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->o.cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->o.cafile);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, h->o.low_speed);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->o.low_speed_s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "twin-ticket/" TWIN_VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	else {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(body ? bodylen : 0));
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
}

/* Same scheme, host and port as the base URL. */
static int
same_origin(const struct http *h, const char *url)
{
	char *s, *ho, *p;
	int same;

	if (origin(url, &s, &ho, &p) < 0)
		return 0;
	same = strcasecmp(s, h->scheme) == 0 && strcasecmp(ho, h->host) == 0 &&
	    strcmp(p, h->port) == 0;
	curl_free(s);
	curl_free(ho);
	curl_free(p);
	return same;
}

static void
failed(struct http_resp *r, CURLcode rc, const char *ebuf)
{
	const char *what = *ebuf ? ebuf : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		r->fail = HTTP_CONNECT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		r->fail = HTTP_TIMEOUT;
		break;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		r->fail = HTTP_TLS;
		break;
	case CURLE_WRITE_ERROR:
		if (r->fail == HTTP_TOOBIG) {
			snprintf(r->msg, sizeof(r->msg),
			    "reply larger than the limit");
			return;
		}
		r->fail = HTTP_TRANSFER;
		break;
	default:
		r->fail = HTTP_TRANSFER;
		break;
	}
	snprintf(r->msg, sizeof(r->msg), "%s", what);
}

int
http_request(struct http *h, const char *method, const char *url,
    const char *const *headers, const char *body, size_t bodylen,
    struct http_resp *r, struct twin_err *err)
{
	struct curl_slist *hl = NULL, *t;
	char ebuf[CURL_ERROR_SIZE];
	struct buf cur = BUF_INIT;
	CURLcode rc;
	size_t i;
	int hops;

	memset(r, 0, sizeof(*r));
	r->retry_after_ms = -1;
	for (i = 0; headers != NULL && headers[i] != NULL; i++) {
		if ((t = curl_slist_append(hl, headers[i])) == NULL) {
			curl_slist_free_all(hl);
			return err_set(err, TWIN_ENOMEM, "out of memory");
		}
		hl = t;
	}
	buf_adds(&cur, url);
	for (hops = 0; ; hops++) {
		char *loc = NULL;

		buf_reset(&r->body);
		r->status = 0;
		r->fail = HTTP_NONE;
		r->retry_after_ms = -1;
		r->msg[0] = '\0';
		h->cur = r;
		set_common(h, cur.s, method, hl, body, bodylen);
		ebuf[0] = '\0';
		curl_easy_setopt(h->c, CURLOPT_ERRORBUFFER, ebuf);
		rc = curl_easy_perform(h->c);
		h->cur = NULL;
		if (rc != CURLE_OK) {
			failed(r, rc, ebuf);
			break;
		}
		curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->status < 300 || r->status > 399)
			break;
		curl_easy_getinfo(h->c, CURLINFO_REDIRECT_URL, &loc);
		if (loc == NULL)
			break;
		if ((r->status != 307 && r->status != 308) ||
		    !same_origin(h, loc) || hops + 1 > MAX_REDIRECTS) {
			snprintf(r->msg, sizeof(r->msg),
			    "redirect %ld to '%.160s' refused", r->status, loc);
			r->fail = HTTP_REDIRECT;
			break;
		}
		buf_reset(&cur);
		buf_adds(&cur, loc);
	}
	curl_slist_free_all(hl);
	buf_free(&cur);
	return 0;
}

void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
}

enum http_class
http_class(const struct http_resp *r)
{
	switch (r->fail) {
	case HTTP_NONE:
		break;
	case HTTP_CONNECT:
	case HTTP_TLS:
	case HTTP_REDIRECT:
		return HC_UNAVAIL;
	default:
		return HC_RETRY;
	}
	if (r->status >= 200 && r->status <= 299)
		return HC_OK;
	if (r->status == 408 || r->status == 429 || r->status >= 500)
		return HC_RETRY;
	return HC_REJECT;
}

int64_t
http_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms,
    int64_t retry_after_ms, unsigned long rnd)
{
	int64_t d = base_ms;
	int i;

	if (retry_after_ms >= 0)
		return retry_after_ms;
	for (i = 1; i < attempt && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (d < 2)
		return d;
	/* Jitter in the upper half keeps clients apart and the delay sane. */
	return d / 2 + (int64_t)(rnd % (unsigned long)(d / 2 + 1));
}
