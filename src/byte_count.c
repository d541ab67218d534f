#include "byte_count.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

uint64_t byte_count(const char *p, size_t n, unsigned char c) {
  uint64_t count = 0;
  size_t i = 0;
#ifdef __SSE2__
  /* 16 bytes a step: each match adds 1 to its lane's byte counter, which
   * is summed (psadbw) before it can wrap at 255 steps. */
  const __m128i needle = _mm_set1_epi8((char)c);
  const __m128i zero = _mm_setzero_si128();
  while (n - i >= 16) {
    size_t steps = (n - i) / 16;
    if (steps > 255)
      steps = 255;
    __m128i lanes = zero, lanes2 = zero;
    size_t k = 0;
    /* Two chains of 32 bytes a step keep the CPU's vector units busy. */
    for (; k + 4 <= steps; k += 4, i += 64) {
      const __m128i *q = (const __m128i *)(const void *)(p + i);
      __m128i a = _mm_cmpeq_epi8(_mm_loadu_si128(q), needle);
      __m128i b = _mm_cmpeq_epi8(_mm_loadu_si128(q + 1), needle);
      __m128i c2 = _mm_cmpeq_epi8(_mm_loadu_si128(q + 2), needle);
      __m128i d = _mm_cmpeq_epi8(_mm_loadu_si128(q + 3), needle);
      lanes = _mm_sub_epi8(lanes, _mm_add_epi8(a, b));
      lanes2 = _mm_sub_epi8(lanes2, _mm_add_epi8(c2, d));
    }
    for (; k < steps; k++, i += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
      lanes = _mm_sub_epi8(lanes, _mm_cmpeq_epi8(v, needle));
    }
    __m128i sums =
        _mm_add_epi64(_mm_sad_epu8(lanes, zero), _mm_sad_epu8(lanes2, zero));
    count += (uint64_t)_mm_cvtsi128_si64(sums) +
             (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
  }
#endif
  for (; i < n; i++)
    count += (unsigned char)p[i] == c;
  return count;
}
