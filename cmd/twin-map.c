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
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
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
	OPT_UNMAPPED
};

struct counts {
	unsigned long long read, samples, passed, dropped;
};

static const struct cli_prog prog = {
	"twin-map",
	"map raw tag values onto canonical asset channels and units",
	"usage: twin-map [-hlqV] [-T tenant] [-R reject-file] "
	"[--unmapped reject|pass|drop]\n"
	"                [--replay] [--max-line bytes] -m map | map "
	"[file ...]\n"
	"       twin-map --check [-q] map\n",
	"      --check            check the map, list its problems, read no "
	"input\n"
	"  -m, --map FILE         the tag map, JSON or CSV (twin-map(5)); "
	"else the first\n"
	"                         operand\n"
	"      --unmapped POLICY  a tag not in the map: reject (the "
	"default), pass or drop\n",
	CLI_TENANT | CLI_REJECT | CLI_LIVE | CLI_MAX_LINE | CLI_QUIET
};

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
	struct cli_progress pg;
	int64_t ts;
	int rc, got;

	cli_progress_start(&pg, ndj_size(r));
	ndj_set_idle(r, out_idle_cb, o);
	for (;;) {
		cli_progress_tick(&pg, ndj_pos(r), c->read);
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
	cli_progress_end(&pg);
	json_decref(rec);
	rawrec_free(&rr);
	return 0;
outerr:
	cli_progress_end(&pg);
	json_decref(rec);
	rawrec_free(&rr);
	if (err.code != TWIN_EPIPE)
		diag_warn("%s", err.msg);
	return err.code == TWIN_EPIPE ? -1 : -2;
}

/* Map every input in turn; returns the exit status. */
static int
map_all(struct cli *cl, char **files, int nfiles, struct tagmap *m,
    enum unmapped policy)
{
	struct counts c = { 0, 0, 0, 0 };
	struct twin_err err;
	struct out *o;
	int i, rc = 0, status = EXIT_OK;

	if (diag_reject_open(cl->reject, &err) < 0) {
		diag_warn("%s", err.msg);
		return EXIT_IO;
	}
	o = out_open(1, cli_out_mode(cl));
	for (i = 0; i < nfiles || (nfiles == 0 && i == 0); i++) {
		struct ndj_reader *r;

		if (nfiles == 0)
			r = ndj_open_fd(0, "<stdin>", cl->max_line);
		else if ((r = ndj_open_path(files[i], cl->max_line, &err)) ==
		    NULL) {
			diag_warn("%s", err.msg);
			status = EXIT_IO;
			continue;
		}
		rc = map_input(r, m, cl->tenant, policy, o, &c);
		ndj_close(r);
		if (rc < 0)
			break;
	}
	if (rc == -2)
		status = EXIT_IO;
	if (out_close(o, &err) < 0 && rc == 0 && err.code != TWIN_EPIPE) {
		diag_warn("%s", err.msg);
		status = EXIT_IO;
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
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "map", required_argument, NULL, 'm' },
		{ "unmapped", required_argument, NULL, OPT_UNMAPPED },
		CLI_LONGOPTS
	};
	static const char *const policies[] = { "reject", "pass", "drop",
	    NULL };
	struct buf problems = BUF_INIT;
	struct tagmap *m = NULL;
	struct twin_err err;
	struct cli cl;
	const char *mappath = NULL;
	int ch, check = 0, policy = UNMAPPED_REJECT, status;

	cli_init(&cl, &prog, argv[0]);
	while ((ch = getopt_long(argc, argv, "m:" CLI_SHORTOPTS, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'm':
			mappath = optarg;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_UNMAPPED:
			if (cli_choice("--unmapped", optarg, policies,
			    &policy) < 0)
				return EXIT_USAGE;
			break;
		default:
			if (cli_option(&cl, ch, optarg) == CLI_EXIT)
				return cl.exit;
		}
	}
	argc -= optind;
	argv += optind;
	if (mappath == NULL) {
		if (argc == 0)
			return cli_usage_error(&cl, "no tag map: give -m map "
			    "or a map operand");
		mappath = *argv++;
		argc--;
	}
	if (check && (argc > 0 || cl.reject || cl.tenant)) {
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
	status = EXIT_OK;
	if (check)
		diag_info("%s: %zu entries, no problems", mappath,
		    tagmap_count(m));
	else if (cl.tenant != NULL && tagmap_tenant(m) != NULL &&
	    strcmp(cl.tenant, tagmap_tenant(m)) != 0) {
		diag_warn("tag map '%s' is for tenant '%s', not '%s'",
		    mappath, tagmap_tenant(m), cl.tenant);
		status = EXIT_CONFIG;
	} else if (cl.tenant == NULL && (cl.tenant = tagmap_tenant(m)) ==
	    NULL) {
		diag_warn("no tenant: give -T tenant or \"tenant\" in the "
		    "tag map");
		status = EXIT_USAGE;
	} else
		status = map_all(&cl, argv, argc, m, (enum unmapped)policy);
	tagmap_free(m);
	return status;
}
