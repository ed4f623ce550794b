#ifndef FINGERPRINT_CKERNELS_H
#define FINGERPRINT_CKERNELS_H

/// Inner loops in C: the flat statistics of model weights (FlatStatistics.swift),
/// MinHash and SimHash (MinHash.swift).
///
/// Written in C with vector extensions rather than Swift SIMD types because
/// the test suite runs debug builds: there a loop over SIMD4<Double> costs
/// 200-500 ns an element (generic code, every lane a call), this one at -O0
/// a few ns; in release builds both vectorise alike.

#include <stddef.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Asks the CPU to bring the cache line at `p` closer, without waiting for
/// it (any address is allowed: a prefetch never faults). Swift has no
/// prefetch instruction; inline, so that it costs one instruction in a
/// Swift loop (see `TokenTable.prefetch`).
static inline void fp_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/// A byte read with acquire order and written with release order: a flag
/// that publishes what was written before it to other threads
/// (ScalarTable's pages).
static inline unsigned char fp_load_acquire_u8(const unsigned char *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void fp_store_release_u8(unsigned char *p, unsigned char v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

/// 64 bytes of text classified for the `word` tokenizer's ASCII path
/// (AsciiBlock.swift): bit k of `*word` is set when p[k] is A-Z, a-z, 0-9
/// or _, bit k of `*high` when p[k] >= 0x80, and lower[0..<64] is p with
/// A-Z lower-cased. Inline, so that Swift's optimiser inlines it into the
/// scanner: SSE2 (the x86-64 baseline) has the byte-mask instruction
/// (`pmovmskb`) that Swift's SIMD types do not expose, where each 16-lane
/// mask cost two 64-bit multiplies; unsigned range tests are signed
/// compares after moving the range's start to -128.
static inline void fp_ascii_block(const void *p, void *lower, uint64_t *word, uint64_t *high) {
    uint64_t w = 0, h = 0;
#if defined(__SSE2__)
    const __m128i upper_shift = _mm_set1_epi8(0x3F), letter_shift = _mm_set1_epi8(0x1F), digit_shift = _mm_set1_epi8(0x50);
    const __m128i letters = _mm_set1_epi8(26 - 128), digits = _mm_set1_epi8(10 - 128);
    const __m128i underscore = _mm_set1_epi8(0x5F), case_bit = _mm_set1_epi8(0x20);
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)((const char *)p + 16 * k));
        const __m128i upper = _mm_cmplt_epi8(_mm_add_epi8(v, upper_shift), letters);
        const __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, case_bit), letter_shift), letters);
        const __m128i digit = _mm_cmplt_epi8(_mm_add_epi8(v, digit_shift), digits);
        const __m128i is_word = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(v, underscore));
        _mm_storeu_si128((__m128i *)((char *)lower + 16 * k), _mm_or_si128(v, _mm_and_si128(upper, case_bit)));
        w |= (uint64_t)(uint32_t)_mm_movemask_epi8(is_word) << (16 * k);
        h |= (uint64_t)(uint32_t)_mm_movemask_epi8(v) << (16 * k);
    }
#else
    const unsigned char *s = (const unsigned char *)p;
    unsigned char *d = (unsigned char *)lower;
    for (int k = 0; k < 64; k++) {
        const unsigned char c = s[k];
        const int up = (unsigned char)(c - 0x41) < 26;
        const int is_word = (unsigned char)((c | 0x20) - 0x61) < 26 || (unsigned char)(c - 0x30) < 10 || c == 0x5F;
        d[k] = up ? (unsigned char)(c | 0x20) : c;
        w |= (uint64_t)is_word << k;
        h |= (uint64_t)(c >> 7) << k;
    }
#endif
    *word = w;
    *high = h;
}

/// Element types of the block functions.
enum fp_dtype { FP_F64 = 0, FP_F32 = 1, FP_BF16 = 2 };

/// Sums over one block of n element pairs a_i, b_i (little-endian values
/// of type `dtype`, any alignment), with x = a - ka, y = b - kb, d = a - b,
/// all in double: out = { Σx, Σy, Σx², Σy², Σxy, Σd² }.
///
/// Eight lanes (element i goes to lane i mod 8, from the block's start),
/// each summed in order; the lanes added as ((l0 + l1) + (l2 + l3)) +
/// ((l4 + l5) + (l6 + l7)); the last n mod 8 elements added one by one
/// after that. Each product is added by a fused multiply-add (one
/// rounding): the hardware's with AVX2, AVX-512 and NEON, libm's correctly
/// rounded fma() on the portable x86 path (there about 15 ns a pair: 6 times
/// the unfused portable code, 30 times AVX-512; only a CPU without AVX2 or
/// FMA takes it). The same
/// operations in the same order whatever the instruction set, so the result
/// is bit-identical on every machine and for every dtype path (conversions
/// to double are exact).
void fp_block_sums(int dtype, const void *a, const void *b, ptrdiff_t n, double ka, double kb, double out[6]);

/// Which implementation fp_block_sums uses: 0 portable (SSE2 on x86-64,
/// NEON on arm64), 1 AVX2 with FMA, 2 AVX-512 (F, BW, VL) with FMA: the
/// widest the CPU and OS support.
int fp_block_sums_level(void);

/// The widest vector level the CPU and OS support, as fp_block_sums_level
/// counts (whatever level a test has set): 0, 1 AVX2 with FMA, 2 AVX-512.
int fp_cpu_vector_level(void);

/// Makes fp_block_sums use implementation `level`, or the widest the CPU
/// has below it (tests compare them); returns the level now in use.
int fp_block_sums_set_level(int level);

/// MinHash: for each of the n shingle hashes, x = low 32 bits of h ^ (h >> 32);
/// for each i < perms, sig[i] = min(sig[i], a[i] * x + b[i]) modulo 2^32.
/// Integer arithmetic: the same result at every level (the level is
/// fp_block_sums_level's, whose AVX-512 level includes AVX-512VL).
void fp_minhash_fold(const uint64_t *h, ptrdiff_t n, const uint32_t *a, const uint32_t *b, uint32_t *sig,
                     ptrdiff_t perms);

/// SimHash counts: ones[k] += the number of the n hashes whose bit k is set, k < 64.
void fp_simhash_ones(const uint64_t *h, ptrdiff_t n, uint64_t ones[64]);

/// Multinomial logistic regression over n rows of x (n × p, row-major, any
/// alignment), k classes, weights w (k × p) and intercepts b (k): returns
/// the log-loss Σ_i (logsumexp(s_i) − s_{i,y_i}), s_i = W x_i + b, and
/// writes its gradient Σ_i (π_i − e_{y_i}) x_iᵀ into gw (k × p) and
/// Σ_i (π_i − e_{y_i}) into gb (k), π_i = softmax(s_i). `scratch` holds
/// 4 × k doubles.
///
/// One pass over x, four rows at a time (each row's scores and its share
/// of the gradient while the rows are in cache). Dot products in eight
/// lanes (element j to lane j mod 8) added as fp_block_sums adds them,
/// then the last p mod 8 products in order; gradients accumulated row by
/// row. No fused multiply-add: the same bits at every level, for any n.
double fp_logistic_loss_grad(const double *x, ptrdiff_t n, ptrdiff_t p, const int64_t *y, ptrdiff_t k, const double *w,
                             const double *b, double *gw, double *gb, double *scratch);

/// Multinomial logistic regression over n sparse rows (CSR: row i's entries
/// are cols[start[i]..<start[i+1]], with values vals), k classes, weights
/// stored feature-major, w[j * k + c] (p × k), intercepts b (k): returns the
/// log-loss Σ_i (logsumexp(s_i) − s_{i,y_i}), s_i = W x_i + b, and writes
/// its gradient feature-major into gw (p × k) and into gb (k), as
/// fp_logistic_loss_grad does. `scratch` holds k doubles.
///
/// One pass over the entries: each row's scores, softmax and share of the
/// gradient, entries in stored order, in double. The same bits on every
/// machine (no vector lanes, no fused multiply-add).
double fp_sparse_logistic_loss_grad(const int64_t *start, const int32_t *cols, const float *vals, ptrdiff_t n, ptrdiff_t p,
                                    const int64_t *y, ptrdiff_t k, const double *w, const double *b, double *gw, double *gb,
                                    double *scratch);

/// Whether fp_sha256_blocks uses the SHA extensions: the CPU has them
/// (SHA-NI) and they are allowed (fp_sha256_set_hardware).
int fp_sha256_hardware(void);

/// Allows (1) or forbids (0) the SHA extensions, for tests; returns
/// fp_sha256_hardware() afterwards.
int fp_sha256_set_hardware(int allowed);

/// SHA-256's compression function over `blocks` 64-byte blocks of `data`,
/// updating the eight state words: with the SHA extensions when
/// fp_sha256_hardware() is 1, else portable C (one table of round
/// constants serves both).
void fp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Sorts the n values at `a` into ascending order; `scratch` holds n
/// values; all values share their top `shared` bits (0 when nothing is
/// known). Least-significant-digit passes of at most 12 bits over the
/// ⌈log₂ n⌉ + 4 bits below the shared ones (at least 16 slots a value),
/// then one insertion pass for the values that tie on those bits. Made for
/// uniform hashes, where ties are rare: when the insertion pass would move
/// more than about 2n values (values crafted or clustered to share more
/// bits), each run of tied values is sorted the same way on the bits below
/// those it shares, so no input costs more than a few passes a bit-range.
void fp_sort_u64(uint64_t *a, uint64_t *scratch, size_t n, int shared);

#ifdef __cplusplus
}
#endif

#endif
