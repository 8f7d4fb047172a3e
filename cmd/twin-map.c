/*
 * twin-map - map raw records onto canonical samples with a tag map.
 *
 * Reads "raw" records (twin(7)), looks each tag up in the tag map
 * (twin-map(5)), converts the value to the channel's canonical unit and
 * writes a "sample" record.  Other kinds pass through unchanged.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "diag.h"
#include "err.h"
#include "ndj.h"
#include "out.h"
#include "rawrec.h"
#include "rec.h"
#include "tagmap.h"
#include "banned.h"

enum unmapped { UNMAPPED_REJECT, UNMAPPED_PASS, UNMAPPED_DROP };

enum {
	OPT_CHECK = 256,
	OPT_LIVE,
	OPT_MAX_LINE,
	OPT_REPLAY
};

struct counts {
	unsigned long long read, samples, passed, dropped;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: twin-map [-hq] [-T tenant] [-R reject-file] "
	    "[-u reject|pass|drop]\n"
	    "                [--live | --replay] [--max-line bytes] "
	    "-m map | map [file ...]\n"
	    "       twin-map --check [-q] map\n");
}

static int
parse_size(const char *s, const char *what, size_t lo, size_t hi, size_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	if (*s < '0' || *s > '9')
		goto bad;
	x = strtoull(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || x < lo || x > hi)
		goto bad;
	*v = (size_t)x;
	return 0;
bad:
	diag_warn("bad %s '%s': give a number from %zu to %zu", what, s, lo,
	    hi);
	return -1;
}

/* Print the load problems, one diagnostic each. */
static void
show_problems(struct buf *problems)
{
	char *p = problems->s, *nl;

	while (p != NULL && *p != '\0' && (nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		diag_warn("%s", p);
		p = nl + 1;
	}
}

/* Map one input; returns -1 when output fails and the run must stop. */
static int
map_input(struct ndj_reader *r, struct tagmap *m, const char *tenant,
    enum unmapped policy, struct out *o, struct counts *c)
{
	struct rawrec rr = RAWREC_INIT;
	struct twin_err err;
	struct buf *ob = out_buf(o);
	size_t len, tlen = strlen(tenant);
	enum rec_kind kind;
	json_t *rec = NULL;
	char *line, qb[200];
	int64_t ts;
	int rc, got;

	for (;;) {
		rc = ndj_next(r, &line, &len, &err);
		if (rc == 0)
			break;
		if (rc < 0) {
			if (err.code != TWIN_EDATA) {
				diag_warn("%s", err.msg);
				rawrec_free(&rr);
				return -2;
			}
			c->read++;
			diag_reject(ndj_name(r), ndj_lineno(r), NULL, 0, "%s",
			    err.msg);
			continue;
		}
		c->read++;
		/* The flat shape programs write goes without jansson. */
		if (rawrec_scan(line, len, &rr) && rr.tenantlen == tlen &&
		    memcmp(rr.tenant, tenant, tlen) == 0)
			goto map;
		json_decref(rec);
		if ((rec = ndj_parse(line, len, &err)) == NULL ||
		    rec_check(rec, tenant, &kind, &ts, &err) < 0) {
			diag_reject(ndj_name(r), ndj_lineno(r), line, len,
			    "%s", err.msg);
			continue;
		}
		if (kind != REC_RAW) {
			c->passed++;
			if (out_line(o, line, len, &err) < 0)
				goto outerr;
			continue;
		}
		if (rawrec_from_json(rec, &rr, &err) < 0) {
			diag_reject(ndj_name(r), ndj_lineno(r), line, len,
			    "%s", err.msg);
			continue;
		}
map:
		got = tagmap_sample(m, &rr, ob, &err);
		if (got < 0) {
			diag_reject(ndj_name(r), ndj_lineno(r), line, len,
			    "%s", err.msg);
			continue;
		}
		if (got == 1) {
			c->samples++;
			if (out_end_record(o, &err) < 0)
				goto outerr;
			continue;
		}
		switch (policy) {
		case UNMAPPED_REJECT:
			diag_reject(ndj_name(r), ndj_lineno(r), line, len,
			    "unknown tag '%s'", diag_quote(rr.tag, rr.taglen,
			    qb, sizeof(qb)));
			break;
		case UNMAPPED_PASS:
			c->passed++;
			if (out_line(o, line, len, &err) < 0)
				goto outerr;
			break;
		case UNMAPPED_DROP:
			c->dropped++;
			break;
		}
	}
	json_decref(rec);
	rawrec_free(&rr);
	return 0;
outerr:
	json_decref(rec);
	rawrec_free(&rr);
	if (err.code != TWIN_EPIPE)
		diag_warn("%s", err.msg);
	return err.code == TWIN_EPIPE ? -1 : -2;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ "live", no_argument, NULL, OPT_LIVE },
		{ "map", required_argument, NULL, 'm' },
		{ "max-line", required_argument, NULL, OPT_MAX_LINE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "reject", required_argument, NULL, 'R' },
		{ "replay", no_argument, NULL, OPT_REPLAY },
		{ "tenant", required_argument, NULL, 'T' },
		{ "unmapped", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct buf problems = BUF_INIT;
	struct counts c = { 0, 0, 0, 0 };
	struct tagmap *m = NULL;
	struct out *o = NULL;
	struct twin_err err;
	enum unmapped policy = UNMAPPED_REJECT;
	const char *mappath = NULL, *tenant = NULL, *rejpath = NULL;
	size_t max_line = NDJ_MAX_LINE_DEFAULT;
	int ch, check = 0, live = -1, status = EXIT_OK, i, rc = 0;
	struct stat st;

	diag_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "hm:qR:T:u:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'm':
			mappath = optarg;
			break;
		case 'q':
			diag_set_quiet(1);
			break;
		case 'R':
			rejpath = optarg;
			break;
		case 'T':
			if (!rec_tenant_valid(optarg)) {
				diag_warn("bad tenant '%s'", optarg);
				return EXIT_USAGE;
			}
			tenant = optarg;
			break;
		case 'u':
			if (strcmp(optarg, "reject") == 0)
				policy = UNMAPPED_REJECT;
			else if (strcmp(optarg, "pass") == 0)
				policy = UNMAPPED_PASS;
			else if (strcmp(optarg, "drop") == 0)
				policy = UNMAPPED_DROP;
			else {
				diag_warn("bad unmapped policy '%s': give "
				    "reject, pass or drop", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_LIVE:
			live = 1;
			break;
		case OPT_MAX_LINE:
			if (parse_size(optarg, "--max-line", 16,
			    (size_t)1 << 30, &max_line) < 0)
				return EXIT_USAGE;
			break;
		case OPT_REPLAY:
			live = 0;
			break;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (mappath == NULL) {
		if (argc == 0) {
			diag_warn("no tag map: give -m map or a map operand");
			usage(stderr);
			return EXIT_USAGE;
		}
		mappath = *argv++;
		argc--;
	}
	if (check && (argc > 0 || rejpath || tenant)) {
		diag_warn("--check takes only the map");
		return EXIT_USAGE;
	}

	m = tagmap_load(mappath, &problems, &err);
	if (m == NULL) {
		show_problems(&problems);
		diag_warn("%s", err.msg);
		buf_free(&problems);
		return EXIT_CONFIG;
	}
	buf_free(&problems);
	if (check) {
		diag_info("%s: %zu entries, no problems", mappath,
		    tagmap_count(m));
		tagmap_free(m);
		return EXIT_OK;
	}
	if (tenant == NULL)
		tenant = tagmap_tenant(m);
	else if (tagmap_tenant(m) && strcmp(tenant, tagmap_tenant(m)) != 0) {
		diag_warn("tag map '%s' is for tenant '%s', not '%s'",
		    mappath, tagmap_tenant(m), tenant);
		status = EXIT_CONFIG;
		goto out;
	}
	if (tenant == NULL) {
		diag_warn("no tenant: give -T tenant or \"tenant\" in the "
		    "tag map");
		status = EXIT_USAGE;
		goto out;
	}
	if (diag_reject_open(rejpath, &err) < 0) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
		goto out;
	}
	/* Live when stdin is a pipe, socket or terminal: see twin-map(1). */
	if (live < 0)
		live = argc == 0 && fstat(0, &st) == 0 && !S_ISREG(st.st_mode);
	o = out_open(1, live);

	for (i = 0; i < argc || (argc == 0 && i == 0); i++) {
		struct ndj_reader *r;

		if (argc == 0)
			r = ndj_open_fd(0, "<stdin>", max_line);
		else if ((r = ndj_open_path(argv[i], max_line, &err)) ==
		    NULL) {
			diag_warn("%s", err.msg);
			status = EXIT_IO;
			continue;
		}
		rc = map_input(r, m, tenant, policy, o, &c);
		ndj_close(r);
		if (rc < 0)
			break;
	}
	if (rc == -2)
		status = EXIT_IO;
	if (out_close(o, &err) < 0 && rc == 0) {
		if (err.code != TWIN_EPIPE) {
			diag_warn("%s", err.msg);
			status = EXIT_IO;
		}
	}
	if (diag_reject_close(&err) < 0) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
	}
	if (diag_errors() > 0 || c.dropped > 0)
		diag_info("records: %llu read, %llu mapped, %llu passed, "
		    "%llu dropped, %llu rejected", c.read, c.samples, c.passed,
		    c.dropped, diag_errors());
	if (status == EXIT_OK && diag_errors() > 0)
		status = EXIT_DATA;
out:
	tagmap_free(m);
	return status;
}
