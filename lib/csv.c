/* csv.c - the CSV line splitter; see csv.h. */
#include <stdlib.h>

#include "csv.h"
#include "banned.h"

static void
field_start(struct csv_row *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 32;
		r->start = xrealloc(r->start, r->cap * sizeof(*r->start));
	}
	r->start[r->n++] = r->text.len;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

int
csv_split(struct csv_row *r, const char *s, size_t n, char delim,
    struct twin_err *err)
{
	size_t i = 0, j, a, z;

	buf_reset(&r->text);
	r->n = 0;
	for (;;) {
		if (delim == ' ') {
			while (i < n && blank(s[i]))
				i++;
			if (i >= n)
				break;
		}
		field_start(r);
		a = i;
		while (delim != ' ' && a < n && blank(s[a]))
			a++;
		if (delim != ' ' && a < n && s[a] == '"') {
			for (i = a + 1;; i++) {
				if (i >= n)
					return err_set(err, TWIN_EDATA,
					    "unterminated quoted field %zu",
					    r->n);
				if (s[i] == '"') {
					if (i + 1 < n && s[i + 1] == '"') {
						buf_addc(&r->text, '"');
						i++;
						continue;
					}
					i++;
					break;
				}
				buf_addc(&r->text, s[i]);
			}
			while (i < n && blank(s[i]) && s[i] != delim)
				i++;
			if (i < n && s[i] != delim)
				return err_set(err, TWIN_EDATA,
				    "text after the closing quote of field %zu",
				    r->n);
		} else {
			for (j = i; j < n && s[j] != delim &&
			    !(delim == ' ' && s[j] == '\t'); j++)
				;
			/* Blanks around an unquoted field mean nothing. */
			for (a = i, z = j; a < z && blank(s[a]); a++)
				;
			while (z > a && blank(s[z - 1]))
				z--;
			buf_add(&r->text, s + a, z - a);
			i = j;
		}
		buf_addc(&r->text, '\0');
		if (i >= n)
			break;
		i++;	/* the delimiter */
		if (delim != ' ' && i >= n) {
			field_start(r);
			buf_addc(&r->text, '\0');
			break;
		}
	}
	return 0;
}

void
csv_row_free(struct csv_row *r)
{
	buf_free(&r->text);
	free(r->start);
	r->start = NULL;
	r->n = r->cap = 0;
}
