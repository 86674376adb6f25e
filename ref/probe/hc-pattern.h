/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hc-pattern.h: the data hc-probe writes and the checksum it prints, in one
 * place for both sides of the channel.
 *
 * hc-probe runs inside the container and the tests run on the host; they
 * agree on a file only through these bytes and this sum. Two copies would
 * drift apart and make every "equal sums" assertion compare two different
 * things, so hc-probe.c and the selftests include this header, and nothing
 * else defines the pattern. Static inline functions in a header, because
 * there is nothing to link them from: hc-probe is a static binary of one
 * file, and the suite builds nothing of ref/.
 *
 * The pattern is position-addressed: 64-bit word i of the data of SEED is
 * splitmix64(SEED + i), little-endian. Any chunking (write(2), a mapping,
 * a read from the middle) produces the same bytes at the same offsets, and
 * no two pages are alike. Sums are FNV-1a 64 over the bytes: equal sums mean
 * equal bytes with FNV-1a's confidence, enough to catch lost or moved data.
 */
#ifndef HC_PATTERN_H
#define HC_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a 64: the sum of no bytes, and the multiplier of each byte. */
#define HC_FNV1A_OFFSET 0xcbf29ce484222325ULL
#define HC_FNV1A_PRIME	0x100000001b3ULL

/* splitmix64's output function: word i of the pattern is hc_splitmix64(seed + i). */
static inline uint64_t hc_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Bytes [offset, offset + len) of the pattern of seed, into buf. */
static inline void hc_pattern_fill(uint64_t seed, uint64_t offset, void *buf, size_t len)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t pos = offset + i;

		p[i] = (unsigned char)(hc_splitmix64(seed + pos / 8) >> (8 * (pos % 8)));
	}
}

/* FNV-1a 64 of buf, continuing from h (HC_FNV1A_OFFSET to start). */
static inline uint64_t hc_fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= HC_FNV1A_PRIME;
	}
	return h;
}

#endif /* HC_PATTERN_H */
