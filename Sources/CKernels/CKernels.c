#include "CKernels.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define FP_X86 1
#endif

// No contraction of a*b + c into a fused multiply-add: results must not
// depend on the instruction set. (The block sums ask for their fused
// multiply-adds by name, FMA below, on every path alike.)
#if defined(__clang__)
#pragma clang fp contract(off)
#else
#pragma STDC FP_CONTRACT OFF
#endif

// Eight lanes of double: one AVX-512 register, two AVX2, four SSE2 or NEON.
typedef double v8d __attribute__((vector_size(64)));
typedef float v8f __attribute__((vector_size(32)));
typedef uint32_t v8u32 __attribute__((vector_size(32)));
typedef uint16_t v8u16 __attribute__((vector_size(16)));
// Unaligned, aliasing-safe views for loads.
typedef v8d v8d_u __attribute__((aligned(1), may_alias));
typedef v8f v8f_u __attribute__((aligned(1), may_alias));
typedef v8u16 v8u16_u __attribute__((aligned(1), may_alias));

static inline double scalar_f64(const unsigned char *p) {
    double v;
    memcpy(&v, p, 8);
    return v;
}
static inline double scalar_f32(const unsigned char *p) {
    float v;
    memcpy(&v, p, 4);
    return (double)v;
}
static inline double scalar_bf16(const unsigned char *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    uint32_t w = (uint32_t)h << 16;
    float v;
    memcpy(&v, &w, 4);
    return (double)v;
}

#define LOAD_F64(p) (*(const v8d_u *)(p))
#define LOAD_F32(p) __builtin_convertvector(*(const v8f_u *)(p), v8d)
#define LOAD_BF16(p) __builtin_convertvector((v8f)(__builtin_convertvector(*(const v8u16_u *)(p), v8u32) << 16), v8d)
// a * b + c with one rounding, for vectors (hardware FMA with AVX2,
// AVX-512 and NEON; libm's correctly rounded fma() for each lane on the
// portable x86 path) and for scalars (libm's fma(), inlined where the
// instruction set has it): the same bits on every path.
#define FMA(a, b, c) __builtin_elementwise_fma(a, b, c)
#define HSUM(v) ((((v)[0] + (v)[1]) + ((v)[2] + (v)[3])) + (((v)[4] + (v)[5]) + ((v)[6] + (v)[7])))

// One step of the sums for values DA, DB (vectors of any width, or scalars):
// x = DA - ka, y = DB - kb, d = DA - DB, and Σx, Σy, Σx², Σy², Σxy, Σd²
// added into S[0..5] (S[0..5] and VKA/VKB of the values' type).
#define SUMS_STEP(T, DA, DB, VKA, VKB, S)                                                                             \
    {                                                                                                                 \
        const T da_ = (DA), db_ = (DB);                                                                               \
        const T x = da_ - (VKA), y = db_ - (VKB), d = da_ - db_;                                                      \
        S[0] += x;                                                                                                    \
        S[1] += y;                                                                                                    \
        S[2] = FMA(x, x, S[2]);                                                                                       \
        S[3] = FMA(y, y, S[3]);                                                                                       \
        S[4] = FMA(x, y, S[4]);                                                                                       \
        S[5] = FMA(d, d, S[5]);                                                                                       \
    }

// The last n mod 8 elements, one by one, into r; then r to out.
#define TAIL_SUMS(SCALAR, SIZE)                                                                                       \
    for (ptrdiff_t i = n8; i < n; i++) SUMS_STEP(double, SCALAR(a + i * SIZE), SCALAR(b + i * SIZE), ka, kb, r)       \
    memcpy(out, r, sizeof r);

#define BLOCK_KERNEL(NAME, ATTR, LOAD, SCALAR, SIZE)                                                                  \
    ATTR static void NAME(const unsigned char *a, const unsigned char *b, ptrdiff_t n, double ka, double kb,          \
                          double out[6]) {                                                                            \
        const v8d vka = {ka, ka, ka, ka, ka, ka, ka, ka};                                                             \
        const v8d vkb = {kb, kb, kb, kb, kb, kb, kb, kb};                                                             \
        v8d s[6];                                                                                                     \
        for (int k = 0; k < 6; k++) s[k] = (v8d){0, 0, 0, 0, 0, 0, 0, 0};                                             \
        ptrdiff_t n8 = n & ~(ptrdiff_t)7;                                                                             \
        for (ptrdiff_t i = 0; i < n8; i += 8) SUMS_STEP(v8d, LOAD(a + i * SIZE), LOAD(b + i * SIZE), vka, vkb, s)     \
        double r[6];                                                                                                  \
        for (int k = 0; k < 6; k++) r[k] = HSUM(s[k]);                                                                \
        TAIL_SUMS(SCALAR, SIZE)                                                                                       \
    }

BLOCK_KERNEL(sums_f64, , LOAD_F64, scalar_f64, 8)
BLOCK_KERNEL(sums_f32, , LOAD_F32, scalar_f32, 4)
BLOCK_KERNEL(sums_bf16, , LOAD_BF16, scalar_bf16, 2)

#if FP_X86
// AVX2 has 16 vector registers: the 12 of the eight-lane sums, the two
// shifts and the temporaries do not fit, and the compiler kept three sums
// in memory (a store and a reload on each one's dependency chain, about 60
// instructions an iteration). Here each iteration does lanes 0-3, then
// lanes 4-7, in separate four-lane sums: the same lanes, the same
// operations in the same order, so the same bits, with fewer values live.
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef uint32_t v4u32 __attribute__((vector_size(16)));
typedef uint16_t v4u16 __attribute__((vector_size(8)));
typedef v4d v4d_u __attribute__((aligned(1), may_alias));
typedef v4f v4f_u __attribute__((aligned(1), may_alias));
typedef v4u16 v4u16_u __attribute__((aligned(1), may_alias));
#define LOAD4_F64(p) (*(const v4d_u *)(p))
#define LOAD4_F32(p) __builtin_convertvector(*(const v4f_u *)(p), v4d)
#define LOAD4_BF16(p) __builtin_convertvector((v4f)(__builtin_convertvector(*(const v4u16_u *)(p), v4u32) << 16), v4d)
#define HSUM4(l, h) ((((l)[0] + (l)[1]) + ((l)[2] + (l)[3])) + (((h)[0] + (h)[1]) + ((h)[2] + (h)[3])))
#define HALVES_KERNEL(NAME, ATTR, LOAD, SCALAR, SIZE)                                                                 \
    ATTR static void NAME(const unsigned char *a, const unsigned char *b, ptrdiff_t n, double ka, double kb,          \
                          double out[6]) {                                                                            \
        const v4d vka = {ka, ka, ka, ka};                                                                             \
        const v4d vkb = {kb, kb, kb, kb};                                                                             \
        v4d lo[6], hi[6];                                                                                             \
        for (int k = 0; k < 6; k++) lo[k] = hi[k] = (v4d){0, 0, 0, 0};                                               \
        ptrdiff_t n8 = n & ~(ptrdiff_t)7;                                                                             \
        for (ptrdiff_t i = 0; i < n8; i += 8) {                                                                       \
            SUMS_STEP(v4d, LOAD(a + i * SIZE), LOAD(b + i * SIZE), vka, vkb, lo)                                      \
            SUMS_STEP(v4d, LOAD(a + (i + 4) * SIZE), LOAD(b + (i + 4) * SIZE), vka, vkb, hi)                          \
        }                                                                                                             \
        double r[6];                                                                                                  \
        for (int k = 0; k < 6; k++) r[k] = HSUM4(lo[k], hi[k]);                                                       \
        TAIL_SUMS(SCALAR, SIZE)                                                                                       \
    }
#define AVX2 __attribute__((target("avx2")))
#define AVX2_FMA __attribute__((target("avx2,fma")))
HALVES_KERNEL(sums_f64_avx2, AVX2_FMA, LOAD4_F64, scalar_f64, 8)
HALVES_KERNEL(sums_f32_avx2, AVX2_FMA, LOAD4_F32, scalar_f32, 4)
HALVES_KERNEL(sums_bf16_avx2, AVX2_FMA, LOAD4_BF16, scalar_bf16, 2)
#define AVX512 __attribute__((target("avx512f")))
#define AVX512_SUMS __attribute__((target("avx512f,avx512bw,avx512vl,fma")))
// Eight bf16 values to eight doubles: one word permutation puts each value in
// the high half of a 32-bit lane, the low half from the zero upper half of
// the register the 16 bytes were loaded into (one instruction where
// LOAD_BF16's widening load and shift are two), then the widening to double.
AVX512_SUMS static inline v8d load_bf16_avx512(const unsigned char *p) {
    const __m256i spread = _mm256_setr_epi16(8, 0, 8, 1, 8, 2, 8, 3, 8, 4, 8, 5, 8, 6, 8, 7);
    const __m256i bits = _mm256_permutexvar_epi16(spread, _mm256_zextsi128_si256(_mm_loadu_si128((const __m128i *)p)));
    return (v8d)_mm512_cvtps_pd(_mm256_castsi256_ps(bits));
}
BLOCK_KERNEL(sums_f64_avx512, AVX512_SUMS, LOAD_F64, scalar_f64, 8)
BLOCK_KERNEL(sums_f32_avx512, AVX512_SUMS, LOAD_F32, scalar_f32, 4)
BLOCK_KERNEL(sums_bf16_avx512, AVX512_SUMS, load_bf16_avx512, scalar_bf16, 2)

enum { CPU_AVX2 = 1, CPU_AVX512F = 2, CPU_AVX512VL = 4, CPU_SHA = 8, CPU_KNOWN = 16, CPU_FMA = 32, CPU_AVX512BW = 64 };

/// What the CPU has and the OS saves the registers of, as CPU_ bits. Asked
/// once: CPUID is slow, and in a virtual machine it traps to the hypervisor
/// (asked once a document, it had cost 12% of dedup).
static int cpu_features(void) {
    static int known = 0;
    int f = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (f) return f;
    f = CPU_KNOWN;
    unsigned int eax, ebx, ecx, edx, lo = 0, hi;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        const int ssse3_sse41 = (ecx & (1u << 9)) && (ecx & (1u << 19));
        const int avx = (ecx & (1u << 27)) && (ecx & (1u << 28)); // OSXSAVE, AVX
        const unsigned int ecx1 = ecx;
        if (avx) __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        unsigned int b7 = 0;
        if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) b7 = ebx;
        if (ssse3_sse41 && (b7 & (1u << 29))) f |= CPU_SHA;
        if (avx && (lo & 6) == 6 && (b7 & (1u << 5))) { // XMM and YMM state; AVX2
            f |= CPU_AVX2;
            if (ecx1 & (1u << 12)) f |= CPU_FMA;
            if ((b7 & (1u << 16)) && (lo & 0xE0) == 0xE0) { // AVX512F; opmask and ZMM state
                f |= CPU_AVX512F;
                if (b7 & (1u << 31)) f |= CPU_AVX512VL;
                if (b7 & (1u << 30)) f |= CPU_AVX512BW;
            }
        }
    }
    __atomic_store_n(&known, f, __ATOMIC_RELAXED);
    return f;
}

/// The widest usable: 2 AVX-512 (F, BW and VL) with FMA, 1 AVX2 with FMA,
/// 0 neither (every CPU that has AVX2 or AVX-512 has FMA too; a virtual
/// machine may still hide it).
static int best_level(void) {
    const int f = cpu_features();
    if (!(f & CPU_FMA)) return 0;
    const int avx512 = CPU_AVX512F | CPU_AVX512BW | CPU_AVX512VL;
    return (f & avx512) == avx512 ? 2 : (f & CPU_AVX2) ? 1 : 0;
}

#endif

// -1: not chosen yet (every thread that chooses chooses the same).
static int level = -1;

int fp_block_sums_level(void) {
#if FP_X86
    int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
    if (l < 0) {
        l = best_level();
        __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    }
    return l;
#else
    return 0;
#endif
}

int fp_cpu_vector_level(void) {
#if FP_X86
    return best_level();
#else
    return 0;
#endif
}

int fp_block_sums_set_level(int wanted) {
#if FP_X86
    int best = best_level();
    int l = wanted < 0 ? 0 : wanted > best ? best : wanted;
    __atomic_store_n(&level, l, __ATOMIC_RELAXED);
    return l;
#else
    (void)wanted;
    return 0;
#endif
}

void fp_block_sums(int dtype, const void *a, const void *b, ptrdiff_t n, double ka, double kb, double out[6]) {
    const unsigned char *pa = (const unsigned char *)a;
    const unsigned char *pb = (const unsigned char *)b;
#if FP_X86
    int l = fp_block_sums_level();
    if (l == 2) {
        switch (dtype) {
        case FP_F32: sums_f32_avx512(pa, pb, n, ka, kb, out); return;
        case FP_BF16: sums_bf16_avx512(pa, pb, n, ka, kb, out); return;
        default: sums_f64_avx512(pa, pb, n, ka, kb, out); return;
        }
    }
    if (l == 1) {
        switch (dtype) {
        case FP_F32: sums_f32_avx2(pa, pb, n, ka, kb, out); return;
        case FP_BF16: sums_bf16_avx2(pa, pb, n, ka, kb, out); return;
        default: sums_f64_avx2(pa, pb, n, ka, kb, out); return;
        }
    }
#endif
    switch (dtype) {
    case FP_F32: sums_f32(pa, pb, n, ka, kb, out); return;
    case FP_BF16: sums_bf16(pa, pb, n, ka, kb, out); return;
    default: sums_f64(pa, pb, n, ka, kb, out); return;
    }
}

// MARK: MinHash and SimHash (integer arithmetic: exact, the same bits at every level)

typedef uint32_t v8u32_u __attribute__((vector_size(32), aligned(1), may_alias));

#define MINHASH_KERNEL(NAME, ATTR)                                                                                   \
    ATTR static void NAME(const uint64_t *h, ptrdiff_t n, const uint32_t *a, const uint32_t *b, uint32_t *sig,     \
                          ptrdiff_t perms) {                                                                       \
        ptrdiff_t p = 0;                                                                                           \
        for (; p + 32 <= perms; p += 32) {                                                                         \
            const v8u32 a0 = *(const v8u32_u *)(a + p), a1 = *(const v8u32_u *)(a + p + 8);                       \
            const v8u32 a2 = *(const v8u32_u *)(a + p + 16), a3 = *(const v8u32_u *)(a + p + 24);                  \
            const v8u32 b0 = *(const v8u32_u *)(b + p), b1 = *(const v8u32_u *)(b + p + 8);                        \
            const v8u32 b2 = *(const v8u32_u *)(b + p + 16), b3 = *(const v8u32_u *)(b + p + 24);                  \
            v8u32 s0 = *(v8u32_u *)(sig + p), s1 = *(v8u32_u *)(sig + p + 8);                                      \
            v8u32 s2 = *(v8u32_u *)(sig + p + 16), s3 = *(v8u32_u *)(sig + p + 24);                                \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                    \
                const uint32_t x = (uint32_t)(h[i] ^ (h[i] >> 32));                                                \
                s0 = __builtin_elementwise_min(s0, a0 * x + b0);                                                   \
                s1 = __builtin_elementwise_min(s1, a1 * x + b1);                                                   \
                s2 = __builtin_elementwise_min(s2, a2 * x + b2);                                                   \
                s3 = __builtin_elementwise_min(s3, a3 * x + b3);                                                   \
            }                                                                                                      \
            *(v8u32_u *)(sig + p) = s0;                                                                            \
            *(v8u32_u *)(sig + p + 8) = s1;                                                                        \
            *(v8u32_u *)(sig + p + 16) = s2;                                                                       \
            *(v8u32_u *)(sig + p + 24) = s3;                                                                       \
        }                                                                                                          \
        for (; p + 8 <= perms; p += 8) {                                                                           \
            const v8u32 a0 = *(const v8u32_u *)(a + p), b0 = *(const v8u32_u *)(b + p);                            \
            v8u32 s0 = *(v8u32_u *)(sig + p);                                                                      \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                    \
                const uint32_t x = (uint32_t)(h[i] ^ (h[i] >> 32));                                                \
                s0 = __builtin_elementwise_min(s0, a0 * x + b0);                                                   \
            }                                                                                                      \
            *(v8u32_u *)(sig + p) = s0;                                                                            \
        }                                                                                                          \
        for (; p < perms; p++) {                                                                                   \
            uint32_t s = sig[p];                                                                                   \
            for (ptrdiff_t i = 0; i < n; i++) {                                                                    \
                const uint32_t y = a[p] * (uint32_t)(h[i] ^ (h[i] >> 32)) + b[p];                                  \
                if (y < s) s = y;                                                                                  \
            }                                                                                                      \
            sig[p] = s;                                                                                            \
        }                                                                                                          \
    }

// Bit k of each hash, counted: lanes 0-31 from the low word, 32-63 from the high one.
#define SIMHASH_KERNEL(NAME, ATTR)                                                                                   \
    ATTR static void NAME(const uint64_t *h, ptrdiff_t n, uint64_t ones[64]) {                                     \
        const v8u32 sh0 = {0, 1, 2, 3, 4, 5, 6, 7};                                                                \
        const v8u32 sh1 = sh0 + 8, sh2 = sh0 + 16, sh3 = sh0 + 24;                                                 \
        ptrdiff_t i = 0;                                                                                           \
        while (i < n) {                                                                                            \
            /* 32-bit counters, emptied into 64-bit ones every 2^30 hashes. */                                     \
            ptrdiff_t end = n - i > ((ptrdiff_t)1 << 30) ? i + ((ptrdiff_t)1 << 30) : n;                           \
            v8u32 c0 = {0}, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;                         \
            for (; i < end; i++) {                                                                                 \
                const uint32_t lo = (uint32_t)h[i], hi = (uint32_t)(h[i] >> 32);                                   \
                c0 += (lo >> sh0) & 1;                                                                             \
                c1 += (lo >> sh1) & 1;                                                                             \
                c2 += (lo >> sh2) & 1;                                                                             \
                c3 += (lo >> sh3) & 1;                                                                             \
                c4 += (hi >> sh0) & 1;                                                                             \
                c5 += (hi >> sh1) & 1;                                                                             \
                c6 += (hi >> sh2) & 1;                                                                             \
                c7 += (hi >> sh3) & 1;                                                                             \
            }                                                                                                      \
            const v8u32 c[8] = {c0, c1, c2, c3, c4, c5, c6, c7};                                                   \
            for (int k = 0; k < 64; k++) ones[k] += c[k >> 3][k & 7];                                              \
        }                                                                                                          \
    }

MINHASH_KERNEL(minhash_portable, )
SIMHASH_KERNEL(simhash_portable, )
#if FP_X86
MINHASH_KERNEL(minhash_avx2, AVX2)
SIMHASH_KERNEL(simhash_avx2, AVX2)
#define AVX512VL __attribute__((target("avx512f,avx512vl")))
MINHASH_KERNEL(minhash_avx512, AVX512VL)
SIMHASH_KERNEL(simhash_avx512, AVX512VL)
#endif

void fp_minhash_fold(const uint64_t *h, ptrdiff_t n, const uint32_t *a, const uint32_t *b, uint32_t *sig,
                     ptrdiff_t perms) {
#if FP_X86
    int l = fp_block_sums_level();
    if (l == 2) { minhash_avx512(h, n, a, b, sig, perms); return; }
    if (l >= 1) { minhash_avx2(h, n, a, b, sig, perms); return; }
#endif
    minhash_portable(h, n, a, b, sig, perms);
}

void fp_simhash_ones(const uint64_t *h, ptrdiff_t n, uint64_t ones[64]) {
#if FP_X86
    int l = fp_block_sums_level();
    if (l == 2) { simhash_avx512(h, n, ones); return; }
    if (l >= 1) { simhash_avx2(h, n, ones); return; }
#endif
    simhash_portable(h, n, ones);
}

// MARK: Multinomial logistic regression: loss and gradient in one pass

#define LOADD(p) (*(const v8d_u *)(p))
#define STORED(p, v) (*(v8d_u *)(p) = (v))

#define LOGISTIC_KERNEL(NAME, ATTR)                                                                                  \
    ATTR static double NAME(const double *x, ptrdiff_t n, ptrdiff_t p, const int64_t *y, ptrdiff_t k, const double *w, \
                            const double *b, double *gw, double *gb, double *s) {                                  \
        memset(gw, 0, sizeof(double) * (size_t)(k * p));                                                           \
        memset(gb, 0, sizeof(double) * (size_t)k);                                                                 \
        const ptrdiff_t p8 = p & ~(ptrdiff_t)7;                                                                    \
        double loss = 0;                                                                                           \
        for (ptrdiff_t i0 = 0; i0 < n; i0 += 4) {                                                                  \
            const ptrdiff_t R = n - i0 < 4 ? n - i0 : 4;                                                           \
            /* Rows past the end alias the group's first row; their scores are not used. */                        \
            const double *x0 = x + i0 * p, *x1 = R > 1 ? x0 + p : x0, *x2 = R > 2 ? x0 + 2 * p : x0;               \
            const double *x3 = R > 3 ? x0 + 3 * p : x0;                                                            \
            for (ptrdiff_t c = 0; c < k; c++) {                                                                    \
                const double *wc = w + c * p;                                                                      \
                v8d a0 = {0, 0, 0, 0, 0, 0, 0, 0}, a1 = a0, a2 = a0, a3 = a0;                                      \
                for (ptrdiff_t j = 0; j < p8; j += 8) {                                                            \
                    const v8d wv = LOADD(wc + j);                                                                  \
                    a0 += LOADD(x0 + j) * wv;                                                                      \
                    a1 += LOADD(x1 + j) * wv;                                                                      \
                    a2 += LOADD(x2 + j) * wv;                                                                      \
                    a3 += LOADD(x3 + j) * wv;                                                                      \
                }                                                                                                  \
                double t0 = 0, t1 = 0, t2 = 0, t3 = 0;                                                             \
                for (ptrdiff_t j = p8; j < p; j++) {                                                               \
                    t0 += x0[j] * wc[j];                                                                           \
                    t1 += x1[j] * wc[j];                                                                           \
                    t2 += x2[j] * wc[j];                                                                           \
                    t3 += x3[j] * wc[j];                                                                           \
                }                                                                                                  \
                s[c] = b[c] + (HSUM(a0) + t0);                                                                     \
                s[k + c] = b[c] + (HSUM(a1) + t1);                                                                 \
                s[2 * k + c] = b[c] + (HSUM(a2) + t2);                                                             \
                s[3 * k + c] = b[c] + (HSUM(a3) + t3);                                                             \
            }                                                                                                      \
            for (ptrdiff_t r = 0; r < R; r++) {                                                                    \
                double *row = s + r * k;                                                                           \
                double m = -INFINITY;                                                                              \
                for (ptrdiff_t c = 0; c < k; c++) m = row[c] > m ? row[c] : m;                                     \
                double sum = 0;                                                                                    \
                for (ptrdiff_t c = 0; c < k; c++) sum += exp(row[c] - m);                                          \
                const double lse = m + log(sum);                                                                   \
                const int64_t yi = y[i0 + r];                                                                      \
                loss += lse - row[yi];                                                                             \
                for (ptrdiff_t c = 0; c < k; c++) row[c] = exp(row[c] - lse);                                      \
                row[yi] -= 1;                                                                                      \
                for (ptrdiff_t c = 0; c < k; c++) gb[c] += row[c];                                                 \
            }                                                                                                      \
            /* gw_c += d_0c x_0 + ... in row order, each a separate rounding: the same */                          \
            /* operations whether a group is whole or not. */                                                      \
            for (ptrdiff_t c = 0; c < k; c++) {                                                                    \
                double *gc = gw + c * p;                                                                           \
                const double d0 = s[c], d1 = s[k + c], d2 = s[2 * k + c], d3 = s[3 * k + c];                       \
                if (R == 4) {                                                                                      \
                    for (ptrdiff_t j = 0; j < p8; j += 8) {                                                        \
                        v8d g = LOADD(gc + j);                                                                     \
                        g = g + d0 * LOADD(x0 + j);                                                                \
                        g = g + d1 * LOADD(x1 + j);                                                                \
                        g = g + d2 * LOADD(x2 + j);                                                                \
                        g = g + d3 * LOADD(x3 + j);                                                                \
                        STORED(gc + j, g);                                                                         \
                    }                                                                                              \
                    for (ptrdiff_t j = p8; j < p; j++) {                                                           \
                        double g = gc[j];                                                                          \
                        g = g + d0 * x0[j];                                                                        \
                        g = g + d1 * x1[j];                                                                        \
                        g = g + d2 * x2[j];                                                                        \
                        g = g + d3 * x3[j];                                                                        \
                        gc[j] = g;                                                                                 \
                    }                                                                                              \
                } else {                                                                                           \
                    for (ptrdiff_t r = 0; r < R; r++) {                                                            \
                        const double d = s[r * k + c];                                                             \
                        const double *xr = x0 + r * p;                                                             \
                        for (ptrdiff_t j = 0; j < p8; j += 8) STORED(gc + j, LOADD(gc + j) + d * LOADD(xr + j));   \
                        for (ptrdiff_t j = p8; j < p; j++) gc[j] = gc[j] + d * xr[j];                              \
                    }                                                                                              \
                }                                                                                                  \
            }                                                                                                      \
        }                                                                                                          \
        return loss;                                                                                               \
    }

LOGISTIC_KERNEL(logistic_portable, )
#if FP_X86
LOGISTIC_KERNEL(logistic_avx2, AVX2)
LOGISTIC_KERNEL(logistic_avx512, AVX512)
#endif

double fp_logistic_loss_grad(const double *x, ptrdiff_t n, ptrdiff_t p, const int64_t *y, ptrdiff_t k, const double *w,
                             const double *b, double *gw, double *gb, double *scratch) {
#if FP_X86
    int l = fp_block_sums_level();
    if (l == 2) return logistic_avx512(x, n, p, y, k, w, b, gw, gb, scratch);
    if (l == 1) return logistic_avx2(x, n, p, y, k, w, b, gw, gb, scratch);
#endif
    return logistic_portable(x, n, p, y, k, w, b, gw, gb, scratch);
}

// MARK: Sparse multinomial logistic loss and gradient

// One row at a time: its K scores from its entries, softmax, its share of
// the gradient. K is a compile-time constant in the specialised copies (2-8
// classes: the class loops unroll and the scores stay in registers) and a
// variable in the general one; every copy does the same operations in the
// same order, so they give the same bits.
#define SPARSE_LOGISTIC_BODY(K)                                                                 \
    memset(gw, 0, sizeof(double) * (size_t)((K) * p));                                          \
    memset(gb, 0, sizeof(double) * (size_t)(K));                                                \
    double loss = 0;                                                                            \
    for (ptrdiff_t i = 0; i < n; i++) {                                                         \
        const int64_t e0 = start[i], e1 = start[i + 1];                                         \
        for (ptrdiff_t c = 0; c < (K); c++) s[c] = 0;                                           \
        for (int64_t e = e0; e < e1; e++) {                                                     \
            const double v = (double)vals[e];                                                   \
            const double *wj = w + (ptrdiff_t)cols[e] * (K);                                    \
            for (ptrdiff_t c = 0; c < (K); c++) s[c] += v * wj[c];                              \
        }                                                                                       \
        double m = -INFINITY;                                                                   \
        for (ptrdiff_t c = 0; c < (K); c++) {                                                   \
            s[c] += b[c];                                                                       \
            m = s[c] > m ? s[c] : m;                                                            \
        }                                                                                       \
        double sum = 0;                                                                         \
        for (ptrdiff_t c = 0; c < (K); c++) sum += exp(s[c] - m);                               \
        const double lse = m + log(sum);                                                        \
        const int64_t yi = y[i];                                                                \
        loss += lse - s[yi];                                                                    \
        for (ptrdiff_t c = 0; c < (K); c++) s[c] = exp(s[c] - lse);                             \
        s[yi] -= 1;                                                                             \
        for (ptrdiff_t c = 0; c < (K); c++) gb[c] += s[c];                                      \
        for (int64_t e = e0; e < e1; e++) {                                                     \
            const double v = (double)vals[e];                                                   \
            double *gj = gw + (ptrdiff_t)cols[e] * (K);                                         \
            for (ptrdiff_t c = 0; c < (K); c++) gj[c] += v * s[c];                              \
        }                                                                                       \
    }                                                                                           \
    return loss;

#define SPARSE_LOGISTIC_FIXED(K)                                                                                      \
    static double sparse_logistic_##K(const int64_t *start, const int32_t *cols, const float *vals, ptrdiff_t n,       \
                                      ptrdiff_t p, const int64_t *y, const double *w, const double *b, double *gw,     \
                                      double *gb) {                                                                    \
        double s[K];                                                                                                  \
        SPARSE_LOGISTIC_BODY(K)                                                                                       \
    }
SPARSE_LOGISTIC_FIXED(2)
SPARSE_LOGISTIC_FIXED(3)
SPARSE_LOGISTIC_FIXED(4)
SPARSE_LOGISTIC_FIXED(5)
SPARSE_LOGISTIC_FIXED(6)
SPARSE_LOGISTIC_FIXED(7)
SPARSE_LOGISTIC_FIXED(8)

double fp_sparse_logistic_loss_grad(const int64_t *start, const int32_t *cols, const float *vals, ptrdiff_t n, ptrdiff_t p,
                                    const int64_t *y, ptrdiff_t k, const double *w, const double *b, double *gw, double *gb,
                                    double *s) {
    switch (k) {
    case 2: return sparse_logistic_2(start, cols, vals, n, p, y, w, b, gw, gb);
    case 3: return sparse_logistic_3(start, cols, vals, n, p, y, w, b, gw, gb);
    case 4: return sparse_logistic_4(start, cols, vals, n, p, y, w, b, gw, gb);
    case 5: return sparse_logistic_5(start, cols, vals, n, p, y, w, b, gw, gb);
    case 6: return sparse_logistic_6(start, cols, vals, n, p, y, w, b, gw, gb);
    case 7: return sparse_logistic_7(start, cols, vals, n, p, y, w, b, gw, gb);
    case 8: return sparse_logistic_8(start, cols, vals, n, p, y, w, b, gw, gb);
    default: break;
    }
    SPARSE_LOGISTIC_BODY(k)
}

// MARK: SHA-256 (FIPS 180-4): the compression function, portable and with the SHA extensions (SHA-NI)

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    while (blocks--) {
        for (int t = 0; t < 16; t++) {
            const uint8_t *q = data + 4 * t;
            w[t] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | (uint32_t)q[3];
        }
        for (int t = 16; t < 64; t++) {
            const uint32_t s0 = ROTR32(w[t - 15], 7) ^ ROTR32(w[t - 15], 18) ^ (w[t - 15] >> 3);
            const uint32_t s1 = ROTR32(w[t - 2], 17) ^ ROTR32(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            const uint32_t t1 = h + (ROTR32(e, 6) ^ ROTR32(e, 11) ^ ROTR32(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[t] + w[t];
            const uint32_t t2 = (ROTR32(a, 2) ^ ROTR32(a, 13) ^ ROTR32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
        data += 64;
    }
}

#if FP_X86
#include <immintrin.h>

__attribute__((target("sha,sse4.1,ssse3"))) static void sha256_ni(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // Big-endian words of each 16-byte load.
    const __m128i order = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    // The instructions keep the state as ABEF and CDGH.
    __m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // C D A B
    __m128i s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B); // E F G H
    __m128i s0 = _mm_alignr_epi8(t, s1, 8);                                           // A B E F
    s1 = _mm_blend_epi16(s1, t, 0xF0);                                                // C D G H
    while (blocks--) {
        const __m128i abef = s0, cdgh = s1;
        __m128i m[4];
        for (int j = 0; j < 16; j++) {
            __m128i w;
            if (j < 4) {
                w = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * j)), order);
            } else {
                // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], four at a time.
                const __m128i a = m[j & 3], b = m[(j + 1) & 3], c = m[(j + 2) & 3], d = m[(j + 3) & 3];
                w = _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(a, b), _mm_alignr_epi8(d, c, 4)), d);
            }
            m[j & 3] = w;
            __m128i k = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&sha256_k[4 * j]));
            s1 = _mm_sha256rnds2_epu32(s1, s0, k);
            k = _mm_shuffle_epi32(k, 0x0E);
            s0 = _mm_sha256rnds2_epu32(s0, s1, k);
        }
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
        data += 64;
    }
    t = _mm_shuffle_epi32(s0, 0x1B);   // F E B A
    s1 = _mm_shuffle_epi32(s1, 0xB1);  // D C H G
    s0 = _mm_blend_epi16(t, s1, 0xF0); // D C B A
    s1 = _mm_alignr_epi8(s1, t, 8);    // H G F E
    _mm_storeu_si128((__m128i *)&state[0], s0);
    _mm_storeu_si128((__m128i *)&state[4], s1);
}

static int has_sha_ni(void) { return (cpu_features() & CPU_SHA) != 0; }
#endif

static int sha_allowed = 1;

int fp_sha256_hardware(void) {
#if FP_X86
    return __atomic_load_n(&sha_allowed, __ATOMIC_RELAXED) && has_sha_ni();
#else
    return 0;
#endif
}

int fp_sha256_set_hardware(int allowed) {
    __atomic_store_n(&sha_allowed, allowed != 0, __ATOMIC_RELAXED);
    return fp_sha256_hardware();
}

void fp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
#if FP_X86
    if (fp_sha256_hardware()) {
        sha256_ni(state, data, blocks);
        return;
    }
#endif
    sha256_portable(state, data, blocks);
}

// MARK: Sorting 64-bit values (hashes)

/// One insertion pass that gives up after `budget` moves (SIZE_MAX: none): 1 when done.
static int insertion_pass_within(uint64_t *x, size_t n, size_t budget) {
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        uint64_t v = x[i];
        if (x[i - 1] <= v) continue;
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
        moves += i - j;
        if (moves > budget) return 0;
    }
    return 1;
}

enum { SORT_SMALL = 32, SORT_DIGIT = 12 };

/// Sorts the n values at a by their `bits` bits below the top `shared`
/// (stable), through t, in least-significant-digit passes of at most
/// SORT_DIGIT bits. n < 2³², so bits ≤ 36 and passes ≤ 3 (n ≥ 2¹² takes
/// digits of 12 bits; below, digits of ⌈log₂ n⌉ ≥ 6 bits cover the
/// ⌈log₂ n⌉ + 4 bits in 2 passes). Its counters (48 KB) are on the stack
/// only while it runs, not while sort_u64 recurses.
__attribute__((noinline)) static void sort_u64_digits(uint64_t *a, uint64_t *t, size_t n, int shared, int bits) {
    // Digits of at most ⌈log₂ n⌉ bits (and SORT_DIGIT): clearing and summing
    // 2^digit counters costs no more than the pass over the values.
    int log = 64 - __builtin_clzll((unsigned long long)(n - 1));
    int widest = log < 4 ? 4 : log > SORT_DIGIT ? SORT_DIGIT : log;
    int passes = (bits + widest - 1) / widest;
    // Digits from the least significant of the sorted bits up, as even as
    // the bits allow.
    int width[3], shift[3];
    int low = 64 - shared - bits;
    for (int p = 0; p < passes; p++) {
        width[p] = bits / passes + (p < bits % passes);
        shift[p] = low;
        low += width[p];
    }
    uint32_t counts[3 << SORT_DIGIT];
    uint32_t *c[3];
    size_t used = 0;
    for (int p = 0; p < passes; p++) {
        c[p] = counts + used;
        used += (size_t)1 << width[p];
    }
    memset(counts, 0, used * sizeof counts[0]);
    for (size_t i = 0; i < n; i++) {
        uint64_t v = a[i];
        for (int p = 0; p < passes; p++) c[p][(v >> shift[p]) & ((1u << width[p]) - 1)]++;
    }
    uint64_t *x = a, *y = t;
    for (int p = 0; p < passes; p++) {
        const int s = shift[p];
        const uint64_t m = (1u << width[p]) - 1;
        uint32_t *q = c[p];
        // A digit every value shares moves nothing.
        if (q[(a[0] >> s) & m] == n) continue;
        uint32_t run = 0;
        for (size_t d = 0; d <= m; d++) {
            uint32_t k = q[d];
            q[d] = run;
            run += k;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t v = x[i];
            y[q[(v >> s) & m]++] = v;
        }
        uint64_t *swap = x;
        x = y;
        y = swap;
    }
    if (x != a) memcpy(a, x, n * sizeof *a);
}

static void sort_u64(uint64_t *a, uint64_t *t, size_t n, int shared) {
    if (n <= SORT_SMALL) {
        (void)insertion_pass_within(a, n, SIZE_MAX);
        return;
    }
    int bits = (64 - __builtin_clzll((unsigned long long)(n - 1))) + 4;
    if (bits > 64 - shared) bits = 64 - shared;
    sort_u64_digits(a, t, n, shared, bits);
    if (shared + bits == 64) return;
    if (insertion_pass_within(a, n, 2 * n + 64)) return;
    // Ties beyond what uniform values give. The insertion moves each value
    // only past larger ones of its own run (the values sharing the top
    // shared + bits bits), so the runs are still in order: sort each on
    // the bits below those its values share (at least shared + bits, so
    // each level of this recursion sorts 10 or more bits further down).
    const int sorted = shared + bits;
    size_t lo = 0;
    while (lo < n) {
        uint64_t prefix = a[lo] >> (64 - sorted);
        size_t hi = lo + 1;
        uint64_t any = a[lo], all = a[lo];
        while (hi < n && (a[hi] >> (64 - sorted)) == prefix) {
            any |= a[hi];
            all &= a[hi];
            hi++;
        }
        if (any != all) sort_u64(a + lo, t + lo, hi - lo, __builtin_clzll((unsigned long long)(any ^ all)));
        lo = hi;
    }
}

static int compare_u64(const void *l, const void *r) {
    uint64_t a = *(const uint64_t *)l, b = *(const uint64_t *)r;
    return (a > b) - (a < b);
}

void fp_sort_u64(uint64_t *a, uint64_t *scratch, size_t n, int shared) {
    if (n > UINT32_MAX) {
        qsort(a, n, sizeof *a, compare_u64);
        return;
    }
    sort_u64(a, scratch, n, shared < 0 ? 0 : shared > 63 ? 63 : shared);
}
