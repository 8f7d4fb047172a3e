/* diag.c - diagnostics on stderr and the reject file; see diag.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diag.h"
#include "banned.h"

const char *diag_prog = "twin";
static int quiet;
static unsigned long long nerrors;
static int rejfd = -1;
static char *rejpath;
static int rejfail;
static struct buf rejbuf = BUF_INIT;

void
diag_init(const char *argv0)
{
	const char *p;

	if (argv0 != NULL && *argv0 != '\0') {
		p = strrchr(argv0, '/');
		diag_prog = p ? p + 1 : argv0;
	}
	signal(SIGPIPE, SIG_IGN);
}

void
diag_set_quiet(int q)
{
	quiet = q;
}

int
diag_quiet(void)
{
	return quiet;
}

unsigned long long
diag_errors(void)
{
	return nerrors;
}

static void vline(const char *file, long line, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
vline(const char *file, long line, const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT;
	char tmp[1024];

	buf_adds(&b, diag_prog);
	buf_add(&b, ": ", 2);
	if (file != NULL) {
		if (line > 0)
			buf_addf(&b, "%s:%ld: ", file, line);
		else
			buf_addf(&b, "%s: ", file);
	}
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	buf_adds(&b, tmp);
	buf_addc(&b, '\n');
	/* One write per message, so lines from parallel stages do not mix. */
	(void)!write(2, b.s, b.len);
	buf_free(&b);
}

void
diag_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(NULL, 0, fmt, ap);
	va_end(ap);
}

void
diag_at(const char *file, long line, const char *fmt, ...)
{
	va_list ap;

	nerrors++;
	va_start(ap, fmt);
	vline(file, line, fmt, ap);
	va_end(ap);
}

void
diag_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	vline(NULL, 0, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static int
utf8_valid(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k)
		if ((k = utf8_len((const unsigned char *)s + i, n - i)) == 0 ||
		    s[i] == '\0')
			return 0;
	return 1;
}

char *
diag_quote(const char *s, size_t n, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, o = 0, k;

	if (outsz < 8) {
		if (outsz)
			out[0] = '\0';
		return out;
	}
	while (i < n) {
		const unsigned char *u = (const unsigned char *)s + i;

		k = utf8_len(u, n - i);
		if (k == 0 || u[0] < 0x20 || u[0] == 0x7f) {
			if (o + 4 + 4 > outsz)
				goto cut;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[u[0] >> 4];
			out[o++] = hex[u[0] & 15];
			i++;
			continue;
		}
		if (o + k + 4 > outsz)
			goto cut;
		memcpy(out + o, u, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
cut:
	memcpy(out + o, "...", 4);
	return out;
}

int
diag_reject_open(const char *path, struct twin_err *err)
{
	if (path == NULL)
		return 0;
	rejfd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (rejfd < 0)
		return err_set(err, TWIN_EIO, "cannot open reject file '%s': %s",
		    path, strerror(errno));
	rejpath = xstrdup(path);
	return 0;
}

void
diag_reject(const char *file, long line, const char *text, size_t n,
    const char *fmt, ...)
{
	char reason[1024];
	va_list ap;
	size_t off;
	ssize_t w;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	diag_at(file, line, "%s", reason);
	if (rejfd < 0 || rejfail)
		return;
	buf_reset(&rejbuf);
	buf_adds(&rejbuf, "{\"prog\":");
	buf_jstr(&rejbuf, diag_prog, strlen(diag_prog));
	buf_adds(&rejbuf, ",\"file\":");
	buf_jstr(&rejbuf, file ? file : "", file ? strlen(file) : 0);
	buf_addf(&rejbuf, ",\"line\":%ld,\"reason\":", line);
	buf_jstr(&rejbuf, reason, strlen(reason));
	if (text != NULL && utf8_valid(text, n)) {
		buf_adds(&rejbuf, ",\"text\":");
		buf_jstr(&rejbuf, text, n);
	} else if (text != NULL) {
		buf_adds(&rejbuf, ",\"text_b64\":\"");
		buf_b64enc(&rejbuf, text, n);
		buf_addc(&rejbuf, '"');
	}
	buf_adds(&rejbuf, "}\n");
	for (off = 0; off < rejbuf.len; off += (size_t)w) {
		w = write(rejfd, rejbuf.s + off, rejbuf.len - off);
		if (w < 0 && errno == EINTR) {
			w = 0;
			continue;
		}
		if (w < 0) {
			rejfail = errno;
			return;
		}
	}
}

int
diag_reject_close(struct twin_err *err)
{
	int rc = 0;

	if (rejfd >= 0) {
		if (rejfail)
			rc = err_set(err, TWIN_EIO,
			    "write error on reject file '%s': %s", rejpath,
			    strerror(rejfail));
		else if (fsync(rejfd) < 0 && errno != EINVAL)
			rc = err_set(err, TWIN_EIO, "cannot sync '%s': %s",
			    rejpath, strerror(errno));
		close(rejfd);
	}
	rejfd = -1;
	free(rejpath);
	rejpath = NULL;
	buf_free(&rejbuf);
	return rc;
}
