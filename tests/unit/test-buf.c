/* test-buf.c - number and string formatting, base64. */
#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "t.h"

static const char *
num(double x)
{
	static char s[40];

	if (fmt_double(x, s) < 0)
		return "(refused)";
	return s;
}

int
main(void)
{
	struct buf b = BUF_INIT;
	json_t *v;
	unsigned i;
	unsigned long long st = 88172645463325252ULL;
	int rt = 1;

	T_STREQ(num(0.1), "0.1", "0.1 prints shortest");
	T_STREQ(num(0.1 + 0.2), "0.30000000000000004", "0.1+0.2 needs 17 digits");
	T_STREQ(num(1.0), "1.0", "integral real keeps .0");
	T_STREQ(num(-0.0), "0.0", "negative zero prints as 0.0");
	T_STREQ(num(1e-5), "1e-05", "small exponent");
	T_STREQ(num(1e300), "1e+300", "large exponent");
	T_STREQ(num(123456.789), "123456.789", "plain decimal");
	T_STREQ(num(NAN), "(refused)", "NaN refused");
	T_STREQ(num(INFINITY), "(refused)", "infinity refused");
	T_OK(buf_jnum(&b, NAN) == -1 && b.len == 0, "buf_jnum adds nothing for NaN");

	/* Every printed double reads back to itself (xorshift sample). */
	for (i = 0; i < 200000; i++) {
		double x, y;
		char s[40];

		st ^= st << 13;
		st ^= st >> 7;
		st ^= st << 17;
		memcpy(&x, &st, sizeof(x));
		if (!isfinite(x))
			continue;
		fmt_double(x, s);
		y = strtod(s, NULL);
		if (y != x && !(x == 0 && y == 0))
			rt = 0;
	}
	T_OK(rt, "200000 random doubles round-trip");

	buf_reset(&b);
	buf_jstr(&b, "a\"b\\c\n\x01\xc3\xa9", 9);
	T_STREQ(buf_str(&b), "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"", "string escaping");

	v = json_loads("{\"kind\":\"raw\",\"v\":[1,2.5,0.1],\"x\":{\"a\":null,\"b\":true}}", 0, NULL);
	buf_reset(&b);
	buf_json(&b, v);
	T_STREQ(buf_str(&b), "{\"kind\":\"raw\",\"v\":[1,2.5,0.1],\"x\":{\"a\":null,\"b\":true}}",
	    "object keeps key order and number forms");
	json_decref(v);

	buf_reset(&b);
	buf_b64enc(&b, "hello!?", 7);
	T_STREQ(buf_str(&b), "aGVsbG8hPw==", "base64 encode with padding");
	{
		struct buf d = BUF_INIT;

		T_OK(buf_b64dec(&d, "aGVsbG8hPw==", 12) == 0 && d.len == 7 &&
		    memcmp(d.s, "hello!?", 7) == 0, "base64 decode");
		buf_reset(&d);
		T_OK(buf_b64dec(&d, "aGV$bG8h", 8) == -1, "base64 rejects bad char");
		buf_free(&d);
	}
	buf_free(&b);
	return T_DONE();
}
