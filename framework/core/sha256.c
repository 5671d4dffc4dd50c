/* sha256.c - SHA-256 (FIPS 180-4): the identity of plugin modules
 * (provenance) and of a run's configuration, plugins and data in
 * checkpoint.h5.  The stack has no crypto library and kinlab needs only this
 * digest, so it is written out here (tests: the FIPS 180-4 example vectors).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void compress(uint32_t h[8], const unsigned char block[64]) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
           (uint32_t)block[4 * i + 2] << 8 | (uint32_t)block[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) +
                  round_constants[i] + w[i];
    uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void kl_sha256_init(kl_sha256_ctx *s) {
  static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, initial, sizeof initial);
  s->length = 0;
  s->used = 0;
}

void kl_sha256_update(kl_sha256_ctx *s, const void *data, size_t n) {
  const unsigned char *p = data;
  s->length += n;
  if (s->used) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used < 64) return;
    compress(s->h, s->block);
    s->used = 0;
  }
  for (; n >= 64; p += 64, n -= 64) compress(s->h, p);
  memcpy(s->block, p, n);
  s->used = n;
}

void kl_sha256_final(kl_sha256_ctx *s, unsigned char out[32]) {
  uint64_t bits = s->length * 8;
  static const unsigned char pad[64] = {0x80};
  size_t pad_len = s->used < 56 ? 56 - s->used : 120 - s->used;
  kl_sha256_update(s, pad, pad_len);
  unsigned char len_be[8];
  for (int i = 0; i < 8; i++) len_be[i] = (unsigned char)(bits >> (56 - 8 * i));
  kl_sha256_update(s, len_be, 8);
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(s->h[i] >> (24 - 8 * j));
}

void kl_sha256_to_hex(const unsigned char digest[32], char hex[KL_SHA256_HEX_SIZE]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[64] = '\0';
}

void kl_sha256_final_hex(kl_sha256_ctx *s, char hex[KL_SHA256_HEX_SIZE]) {
  unsigned char digest[32];
  kl_sha256_final(s, digest);
  kl_sha256_to_hex(digest, hex);
}

void kl_sha256(const void *data, size_t n, unsigned char out[32]) {
  kl_sha256_ctx s;
  kl_sha256_init(&s);
  kl_sha256_update(&s, data, n);
  kl_sha256_final(&s, out);
}

void kl_sha256_hex(const void *data, size_t n, char hex[KL_SHA256_HEX_SIZE]) {
  kl_sha256_ctx s;
  kl_sha256_init(&s);
  kl_sha256_update(&s, data, n);
  kl_sha256_final_hex(&s, hex);
}

int kl_sha256_file(const char *path, char hex[KL_SHA256_HEX_SIZE], kl_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return kl_error_set(err, KL_EIO, "cannot read %s: %s", path, strerror(errno));
  kl_sha256_ctx s;
  kl_sha256_init(&s);
  unsigned char buf[1 << 16];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, f)) > 0) kl_sha256_update(&s, buf, got);
  int failed = ferror(f);
  fclose(f);
  if (failed) return kl_error_set(err, KL_EIO, "cannot read %s", path);
  kl_sha256_final_hex(&s, hex);
  return KL_OK;
}
