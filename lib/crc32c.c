/* crc32c.c - CRC-32C, table driven, eight bytes at a time; see crc32c.h. */
#include <stddef.h>
#include <stdint.h>

#include "crc32c.h"
#include "banned.h"

/* The reflected Castagnoli polynomial 0x1edc6f41. */
#define POLY 0x82f63b78u

static uint32_t tab[8][256];
static int ready;

static void
init(void)
{
	uint32_t c;
	int i, j, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
		tab[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			tab[k][i] = (tab[k - 1][i] >> 8) ^
			    tab[0][tab[k - 1][i] & 0xff];
	ready = 1;
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint32_t lo, hi;

	if (!ready)
		init();
	crc = ~crc;
	while (n > 0 && ((uintptr_t)p & 7) != 0) {
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
		n--;
	}
	/* Slicing by eight, byte by byte so that it is endian-neutral. */
	while (n >= 8) {
		lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 |
		    (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
		crc = tab[7][lo & 0xff] ^ tab[6][(lo >> 8) & 0xff] ^
		    tab[5][(lo >> 16) & 0xff] ^ tab[4][lo >> 24] ^
		    tab[3][hi & 0xff] ^ tab[2][(hi >> 8) & 0xff] ^
		    tab[1][(hi >> 16) & 0xff] ^ tab[0][hi >> 24];
		p += 8;
		n -= 8;
	}
	while (n-- > 0)
		crc = (crc >> 8) ^ tab[0][(crc ^ *p++) & 0xff];
	return ~crc;
}
