/*
 * digest.h - sha256 digests (OpenSSL libcrypto) for provenance.
 *
 * Hex output is 64 lower-case digits plus NUL (DIGEST_HEX bytes).
 */
#ifndef TWIN_DIGEST_H
#define TWIN_DIGEST_H

#include <stddef.h>

#include "err.h"

#define DIGEST_HEX 65

void digest_sha256_hex(const void *p, size_t n, char *hex);
int digest_file_sha256_hex(const char *path, char *hex, struct twin_err *err);

#endif
