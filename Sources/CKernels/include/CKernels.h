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

#ifdef __cplusplus
extern "C" {
#endif

/// Element types of the block functions.
enum fp_dtype { FP_F64 = 0, FP_F32 = 1, FP_BF16 = 2 };

/// Sums over one block of n element pairs a_i, b_i (little-endian values
/// of type `dtype`, any alignment), with x = a - ka, y = b - kb, d = a - b,
/// all in double: out = { Σx, Σy, Σx², Σy², Σxy, Σd² }.
///
/// Eight lanes (element i goes to lane i mod 8, from the block's start),
/// each summed in order; the lanes added as ((l0 + l1) + (l2 + l3)) +
/// ((l4 + l5) + (l6 + l7)); the last n mod 8 elements added one by one
/// after that. The same operations in the same order whatever the
/// instruction set (no fused multiply-add), so the result is bit-identical
/// on every machine and for every dtype path (conversions to double are
/// exact).
void fp_block_sums(int dtype, const void *a, const void *b, ptrdiff_t n, double ka, double kb, double out[6]);

/// Which implementation fp_block_sums uses: 0 portable (SSE2 on x86-64,
/// NEON on arm64), 1 AVX2, 2 AVX-512F: the widest the CPU and OS support.
int fp_block_sums_level(void);

/// Makes fp_block_sums use implementation `level`, or the widest the CPU
/// has below it (tests compare them); returns the level now in use.
int fp_block_sums_set_level(int level);

/// MinHash: for each of the n shingle hashes, x = low 32 bits of h ^ (h >> 32);
/// for each i < perms, sig[i] = min(sig[i], a[i] * x + b[i]) modulo 2^32.
/// Integer arithmetic: the same result at every level (the level is
/// fp_block_sums_level's; AVX-512 needs AVX-512VL too).
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

#ifdef __cplusplus
}
#endif

#endif
