/* rawrec.c - the fields of a raw record, by jansson or by scanning; see
 * rawrec.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "fastnum.h"
#include "rawrec.h"
#include "tm.h"
#include "banned.h"

static const char *const qnames[] = { "good", "uncertain", "bad" };

const char *
rawrec_quality_name(enum rawrec_q q)
{
	return qnames[q];
}

int
rawrec_quality_str(const char *s, size_t n, enum rawrec_q *q)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strlen(qnames[i]) == n && memcmp(qnames[i], s, n) == 0) {
			*q = (enum rawrec_q)i;
			return 0;
		}
	return -1;
}

/*
 * OPC UA StatusCode: the top two bits are the severity, 00 good, 01
 * uncertain, 10 bad (11 is reserved and taken as bad).
 */
int
rawrec_quality_code(long long code, enum rawrec_q *q)
{
	if (code < 0 || code > 0xffffffffLL)
		return -1;
	switch ((code >> 30) & 3) {
	case 0:
		*q = RAWREC_GOOD;
		break;
	case 1:
		*q = RAWREC_UNCERTAIN;
		break;
	default:
		*q = RAWREC_BAD;
		break;
	}
	return 0;
}

void
rawrec_free(struct rawrec *rr)
{
	free(rr->vals);
	rr->vals = NULL;
	rr->cap = rr->nvals = 0;
}

static void
vals_room(struct rawrec *rr, size_t n)
{
	if (n > rr->cap) {
		rr->cap = n < 64 ? 64 : n;
		rr->vals = xrealloc(rr->vals, rr->cap * sizeof(*rr->vals));
	}
}

static int
getstr(const json_t *r, const char *key, const char **s, size_t *n,
    int need, struct twin_err *err)
{
	json_t *v = json_object_get(r, key);

	if (v == NULL) {
		*s = NULL;
		*n = 0;
		return need ? err_set(err, TWIN_EDATA, "missing '%s'", key) : 0;
	}
	if (!json_is_string(v))
		return err_set(err, TWIN_EDATA, "'%s' is not a string", key);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return 0;
}

static int
f32le_decode(struct rawrec *rr, const char *s, size_t n,
    struct twin_err *err)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (buf_b64dec(&b, s, n) < 0 || b.len % 4 != 0 || b.len == 0) {
		buf_free(&b);
		return err_set(err, TWIN_EDATA,
		    "'v' is not base64 of float32 values");
	}
	rr->nvals = b.len / 4;
	vals_room(rr, rr->nvals);
	for (i = 0; i < rr->nvals; i++) {
		const unsigned char *p = (const unsigned char *)b.s + 4 * i;
		uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		float f;

		memcpy(&f, &w, sizeof(f));
		rr->vals[i] = f;
	}
	buf_free(&b);
	return 0;
}

int
rawrec_from_json(const json_t *r, struct rawrec *rr, struct twin_err *err)
{
	const char *enc;
	size_t enclen, i;
	json_t *v, *x;

	if (tm_from_json(json_object_get(r, "ts"), &rr->ts, err) < 0)
		return -1;
	if (getstr(r, "tenant", &rr->tenant, &rr->tenantlen, 1, err) < 0 ||
	    getstr(r, "src", &rr->src, &rr->srclen, 1, err) < 0)
		return -1;
	if ((v = json_object_get(r, "seq")) == NULL)
		return err_set(err, TWIN_EDATA, "missing 'seq'");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return err_set(err, TWIN_EDATA,
		    "'seq' is not a non-negative integer");
	rr->seq = json_integer_value(v);
	if (getstr(r, "tag", &rr->tag, &rr->taglen, 1, err) < 0 ||
	    getstr(r, "unit", &rr->unit, &rr->unitlen, 0, err) < 0 ||
	    getstr(r, "enc", &enc, &enclen, 0, err) < 0)
		return -1;
	rr->q = RAWREC_GOOD;
	if ((x = json_object_get(r, "q")) != NULL) {
		if (json_is_string(x)) {
			char qb[80];

			if (rawrec_quality_str(json_string_value(x),
			    json_string_length(x), &rr->q) < 0)
				return err_set(err, TWIN_EDATA,
				    "unknown quality '%s'", diag_quote(
				    json_string_value(x), json_string_length(x),
				    qb, 40));
		} else if (!json_is_integer(x) ||
		    rawrec_quality_code(json_integer_value(x), &rr->q) < 0)
			return err_set(err, TWIN_EDATA, "'q' is neither a "
			    "quality name nor an OPC UA status code");
	}
	if ((v = json_object_get(r, "v")) == NULL)
		return err_set(err, TWIN_EDATA, "missing 'v'");
	if (enc != NULL) {
		char eb[80];

		if (enclen != 5 || memcmp(enc, "f32le", 5) != 0)
			return err_set(err, TWIN_EDATA,
			    "unknown encoding '%s'", diag_quote(enc, enclen,
			    eb, 40));
		if (!json_is_string(v))
			return err_set(err, TWIN_EDATA,
			    "'v' is not base64 of float32 values");
		if (f32le_decode(rr, json_string_value(v),
		    json_string_length(v), err) < 0)
			return -1;
		rr->vkind = RAWREC_F32LE;
	} else if (json_is_number(v)) {
		rr->vkind = RAWREC_SCALAR;
		rr->v = json_number_value(v);
	} else if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return err_set(err, TWIN_EDATA, "'v' is empty");
		rr->vkind = RAWREC_ARRAY;
		rr->nvals = json_array_size(v);
		vals_room(rr, rr->nvals);
		json_array_foreach(v, i, x) {
			if (!json_is_number(x))
				return err_set(err, TWIN_EDATA,
				    "'v[%zu]' is not a number", i);
			rr->vals[i] = json_number_value(x);
		}
	} else
		return err_set(err, TWIN_EDATA,
		    "'v' is neither a number nor an array of numbers");
	x = json_object_get(r, "rate_hz");
	if (rr->vkind == RAWREC_SCALAR) {
		if (x != NULL)
			return err_set(err, TWIN_EDATA,
			    "'rate_hz' with a scalar 'v'");
		return 0;
	}
	if (x == NULL)
		return err_set(err, TWIN_EDATA, "block without 'rate_hz'");
	if (!json_is_number(x) || !(json_number_value(x) > 0))
		return err_set(err, TWIN_EDATA,
		    "'rate_hz' is not a positive number");
	rr->rate_hz = json_number_value(x);
	return 0;
}

/* ---- the fast scanner ---- */

enum {
	K_KIND = 1, K_TS = 2, K_TENANT = 4, K_SRC = 8, K_SEQ = 16, K_TAG = 32,
	K_V = 64, K_UNIT = 128, K_Q = 256, K_RECV = 512
};

/* Printable ASCII but '"' and '\\': string bytes the scanner takes as is. */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* A string without escapes or non-ASCII bytes: [*s, *s + *n) is its text. */
static const char *
scan_str(const char *p, const char **s, size_t *n)
{
	const char *a;

	if (*p != '"')
		return NULL;
	a = ++p;
	while (plain[(unsigned char)*p])
		p++;
	if (*p != '"')
		return NULL;	/* an escape, a control byte, UTF-8, the end */
	*s = a;
	*n = (size_t)(p - a);
	return p + 1;
}

/*
 * A JSON number, as jansson reads it: an integer (no '.', 'e', 'E') of
 * at most 18 digits into *i, else a real into *d.  NULL to decline.
 */
static const char *
scan_num(const char *p, int *isint, long long *i, double *d)
{
	const char *a = p;
	char *end;
	long long v = 0;
	int neg = 0, nd = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p == '0')
		p++, nd = 1;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9') {
			if (++nd > 18)
				return NULL;
			v = v * 10 + (*p++ - '0');
		}
	else
		return NULL;
	if (*p != '.' && *p != 'e' && *p != 'E') {
		*isint = 1;
		*i = neg ? -v : v;
		*d = (double)*i;
		return p;
	}
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (fastnum_parse(a, (size_t)(p - a), d) == 0) {
		*isint = 0;
		return p;
	}
	errno = 0;
	*d = strtod(a, &end);
	if (end != p || (errno == ERANGE && (*d == HUGE_VAL ||
	    *d == -HUGE_VAL)))
		return NULL;
	*isint = 0;
	return p;
}

static const char *
ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int
key_is(const char *k, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(k, name, n) == 0;
}

int
rawrec_scan(const char *line, size_t n, struct rawrec *rr)
{
	const char *p = line, *k, *s;
	const char *end = line + n;
	size_t kn, sn;
	unsigned seen = 0, bit;
	long long iv;
	double dv;
	int isint;

	if (memchr(line, '\0', n) != NULL)
		return 0;
	p = ws(p);
	if (*p++ != '{')
		return 0;
	rr->unit = NULL;
	rr->unitlen = 0;
	rr->q = RAWREC_GOOD;
	rr->vkind = RAWREC_SCALAR;
	for (;;) {
		p = ws(p);
		if ((p = scan_str(p, &k, &kn)) == NULL)
			return 0;
		p = ws(p);
		if (*p++ != ':')
			return 0;
		p = ws(p);
		if (key_is(k, kn, "kind"))
			bit = K_KIND;
		else if (key_is(k, kn, "ts"))
			bit = K_TS;
		else if (key_is(k, kn, "tenant"))
			bit = K_TENANT;
		else if (key_is(k, kn, "src"))
			bit = K_SRC;
		else if (key_is(k, kn, "seq"))
			bit = K_SEQ;
		else if (key_is(k, kn, "tag"))
			bit = K_TAG;
		else if (key_is(k, kn, "v"))
			bit = K_V;
		else if (key_is(k, kn, "unit"))
			bit = K_UNIT;
		else if (key_is(k, kn, "q"))
			bit = K_Q;
		else if (key_is(k, kn, "recv"))
			bit = K_RECV;
		else
			return 0;
		if (seen & bit)
			return 0;
		seen |= bit;
		if (*p == '"') {
			if ((p = scan_str(p, &s, &sn)) == NULL)
				return 0;
			switch (bit) {
			case K_KIND:
				if (!key_is(s, sn, "raw"))
					return 0;
				break;
			case K_TS:
				/* Records come in scans that share a time. */
				if (sn > 0 && sn == rr->tslen &&
				    sn <= sizeof(rr->tstext) &&
				    memcmp(s, rr->tstext, sn) == 0) {
					rr->ts = rr->tsns;
					break;
				}
				if (tm_parse(s, sn, &rr->ts, NULL) < 0)
					return 0;
				if (sn <= sizeof(rr->tstext)) {
					memcpy(rr->tstext, s, sn);
					rr->tslen = sn;
					rr->tsns = rr->ts;
				}
				break;
			case K_TENANT:
				if (sn == 0)
					return 0;
				rr->tenant = s;
				rr->tenantlen = sn;
				break;
			case K_SRC:
				rr->src = s;
				rr->srclen = sn;
				break;
			case K_TAG:
				rr->tag = s;
				rr->taglen = sn;
				break;
			case K_UNIT:
				rr->unit = s;
				rr->unitlen = sn;
				break;
			case K_Q:
				if (rawrec_quality_str(s, sn, &rr->q) < 0)
					return 0;
				break;
			case K_RECV:
				break;
			default:
				return 0;
			}
		} else {
			if ((p = scan_num(p, &isint, &iv, &dv)) == NULL)
				return 0;
			switch (bit) {
			case K_TS:
				if (!isint || iv < -9200000000000LL ||
				    iv > 9200000000000LL)
					return 0;
				rr->ts = (int64_t)iv * TM_NS_PER_MS;
				break;
			case K_SEQ:
				if (!isint || iv < 0)
					return 0;
				rr->seq = iv;
				break;
			case K_V:
				rr->v = dv;
				break;
			case K_Q:
				if (!isint ||
				    rawrec_quality_code(iv, &rr->q) < 0)
					return 0;
				break;
			case K_RECV:
				break;
			default:
				return 0;
			}
		}
		p = ws(p);
		if (*p == '}')
			break;
		if (*p++ != ',')
			return 0;
	}
	p = ws(p + 1);
	if (p != end)
		return 0;
	bit = K_KIND | K_TS | K_TENANT | K_SRC | K_SEQ | K_TAG | K_V;
	return (seen & bit) == bit;
}
