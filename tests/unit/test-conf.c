/* test-conf.c - strict configuration files: positions and getters. */
#include <stdint.h>
#include <string.h>

#include "conf.h"
#include "t.h"

static const char doc[] =
    "{\n"
    "  \"tenant\": \"acme\",\n"
    "  \"levels\": {\n"
    "    \"warning\": { \"enter\": 0.9,\n"
    "                 \"persist\": \"2 hours\" },\n"
    "    \"watch\": { \"enter\": \"high\" }\n"
    "  },\n"
    "  \"list\": [1,\n"
    "     {\"a\": true},\n"
    "     [\"x\"]],\n"
    "  \"min_precison\": 0.5,\n"
    "  \"flag\": null\n"
    "}\n";

int
main(void)
{
	static const char *const top[] = { "tenant", "levels", "list",
	    "min_precision", "flag", NULL };
	static const char *const words[] = { "reject", "pass", NULL };
	struct twin_err err;
	struct conf *c;
	json_t *root, *lv, *w, *list;
	const char *s = NULL;
	double d = -1;
	int64_t ns = 0;
	int e = -1, b = -1;

	c = conf_parse("p.json", doc, sizeof(doc) - 1, &err);
	T_OK(c != NULL, "conf: parses");
	if (c == NULL)
		return T_DONE();
	root = conf_root(c);
	T_OK(conf_key_line(c, root, "tenant") == 2, "conf: line of a key");
	T_OK(conf_key_line(c, root, "min_precison") == 11,
	    "conf: line of a later key");
	lv = json_object_get(root, "levels");
	w = json_object_get(lv, "warning");
	T_OK(conf_key_line(c, w, "persist") == 5, "conf: nested line");
	list = json_object_get(root, "list");
	T_OK(conf_elem_line(c, list, 0) == 8 && conf_elem_line(c, list, 1) ==
	    9 && conf_elem_line(c, list, 2) == 10, "conf: element lines");
	T_OK(conf_keys(c, root, "", top, &err) < 0 && err.code ==
	    TWIN_ECONFIG, "conf: unknown key refused");
	T_STREQ(err.msg, "p.json:11: min_precison: unknown key",
	    "conf: unknown key message");
	T_OK(conf_str(c, root, "", "tenant", CONF_REQUIRED, &s, &err) == 0 &&
	    strcmp(s, "acme") == 0, "conf: string");
	T_OK(conf_num(c, w, "levels.warning", "enter", CONF_REQUIRED, 0, 1,
	    &d, &err) == 0 && d == 0.9, "conf: number");
	T_OK(conf_num(c, w, "levels.warning", "enter", CONF_REQUIRED, 0, 0.5,
	    &d, &err) < 0, "conf: number out of range");
	T_STREQ(err.msg, "p.json:4: levels.warning.enter: "
	    "0.90000000000000002 is not from 0 to 0.5",
	    "conf: range message");
	T_OK(conf_dur(c, w, "levels.warning", "persist", CONF_REQUIRED, 0,
	    INT64_MAX, &ns, &err) < 0, "conf: bad duration");
	T_STREQ(err.msg, "p.json:5: levels.warning.persist: not a duration "
	    "such as \"90s\" or \"2h\"", "conf: duration message");
	T_OK(conf_num(c, json_object_get(lv, "watch"), "levels.watch",
	    "enter", CONF_REQUIRED, 0, 1, &d, &err) < 0, "conf: wrong type");
	T_STREQ(err.msg, "p.json:6: levels.watch.enter: not a number",
	    "conf: wrong type message");
	T_OK(conf_num(c, lv, "levels", "alarm", CONF_REQUIRED, 0, 1, &d,
	    &err) < 0, "conf: missing required");
	T_STREQ(err.msg, "p.json:3: levels: missing 'alarm'",
	    "conf: missing message names the object's line");
	d = 7;
	T_OK(conf_num(c, lv, "levels", "alarm", CONF_OPTIONAL, 0, 1, &d,
	    &err) == 0 && d == 7, "conf: absent optional keeps default");
	T_OK(conf_bool(c, json_array_get(list, 1), "list[1]", "a",
	    CONF_REQUIRED, &b, &err) == 0 && b == 1, "conf: bool");
	T_OK(conf_enum(c, root, "", "tenant", CONF_REQUIRED, words, &e,
	    &err) < 0, "conf: enum refused");
	T_STREQ(err.msg, "p.json:2: tenant: not \"reject\" or \"pass\"",
	    "conf: enum message");
	T_OK(conf_str(c, root, "", "flag", CONF_REQUIRED, &s, &err) < 0,
	    "conf: null is not a string");
	T_OK(conf_elem_error(c, list, "list", 2, &err, "not a number") < 0,
	    "conf: element error");
	T_STREQ(err.msg, "p.json:10: list[2]: not a number",
	    "conf: element error message");
	T_OK(strlen(conf_sha256(c)) == 64, "conf: sha256");
	conf_free(c);

	T_OK(conf_parse("d.json", "{\"a\":1,\n\"a\":2}", 14, &err) == NULL,
	    "conf: duplicate key refused");
	T_OK(strncmp(err.msg, "d.json:2: invalid JSON", 22) == 0,
	    "conf: duplicate key message has the line");
	T_OK(conf_parse("n.json", "{\n\"a\":\"\0\"}", 10, &err) == NULL &&
	    strcmp(err.msg, "n.json:2: NUL byte") == 0, "conf: NUL byte");
	T_OK(conf_load("/nonexistent/x.json", &err) == NULL &&
	    err.code == TWIN_ECONFIG, "conf: missing file");
	return T_DONE();
}
