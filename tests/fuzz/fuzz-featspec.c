/*
 * fuzz-featspec.c - the feature specification parser.
 *
 * Arbitrary bytes go to featspec_parse() (no files may be read).  A spec
 * that parses must be usable: every class's channels are looked up, the
 * speed source and ISO limits of an asset are asked for, and every
 * channel's window must be sane (the parser's promise to twin-feature).
 */
#include <stdlib.h>
#include <string.h>

#include "featspec.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct featspec *s;
	struct twin_err err;
	double lim[3];
	size_t i, j;

	s = featspec_parse((const char *)data, size, NULL, &err);
	if (s == NULL) {
		if (err.code != TWIN_ECONFIG || err.msg[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < s->nclasses; i++) {
		const struct featspec_class *c = &s->classes[i];

		if (featspec_class(s, c->name) == NULL)
			abort();
		(void)featspec_chan(c, "vibration.de.x");
		(void)featspec_speed(s, c, "P-1");
		(void)featspec_iso_limits(s, c, "P-1", lim);
		for (j = 0; j < c->nchans; j++) {
			const struct featspec_chan *ch = &c->chans[j];

			if (ch->by_count && (ch->n < 16 || ch->hop_n < 1 ||
			    ch->hop_n > ch->n || ch->n > FEATSPEC_MAX_N))
				abort();
			if (!ch->by_count && (ch->len_ns <= 0 ||
			    ch->hop_ns <= 0 || ch->hop_ns > ch->len_ns))
				abort();
			if (ch->fo.sel == 0 || ch->fo.nbands > FEAT_MAX_BANDS)
				abort();
			if (c->chans[j].bearing != NULL &&
			    featspec_bearing(c, ch->bearing) == NULL)
				abort();
		}
	}
	featspec_free(s);
	return 0;
}
