/* digest.c - sha256 via libcrypto; see digest.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "digest.h"
#include "banned.h"

static void
tohex(const unsigned char *md, unsigned n, char *hex)
{
	static const char x[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n; i++) {
		hex[2 * i] = x[md[i] >> 4];
		hex[2 * i + 1] = x[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void
digest_sha256_hex(const void *p, size_t n, char *hex)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	tohex(md, mdlen, hex);
}

int
digest_file_sha256_hex(const char *path, char *hex, struct twin_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE], chunk[65536];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = NULL;
	FILE *fp;
	size_t n;
	int rc = -1;

	if ((fp = fopen(path, "rb")) == NULL)
		return err_set(err, TWIN_EIO, "cannot open '%s': %s", path,
		    strerror(errno));
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err_set(err, TWIN_ENOMEM, "cannot start sha256");
		goto out;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		EVP_DigestUpdate(ctx, chunk, n);
	if (ferror(fp)) {
		err_set(err, TWIN_EIO, "read error on '%s'", path);
		goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	tohex(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	fclose(fp);
	return rc;
}
