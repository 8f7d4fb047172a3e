/*
 * crc32c.h - CRC-32C (Castagnoli, RFC 3720), the checksum of spool frames.
 *
 * crc32c(0, p, n) is the CRC of p; pass a previous result as crc to
 * continue over more bytes.  crc32c(0, "123456789", 9) == 0xe3069283.
 */
#ifndef TWIN_CRC32C_H
#define TWIN_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
