// The CUDA backend's per-item maths: what one work item (a byte, a unit, a shingle chunk, a
// document, a band) computes, as DUPSCAN_HD functions over flat arrays. The GPU runs each item in
// a thread (or, for a chunk, in a thread block); the cuda-host build runs the same functions in a
// loop on the CPU. All of it follows spec.hpp, shingle.hpp and fast_sketch.hpp; nothing here may
// depend on the order in which items run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dupscan/fast_sketch.hpp"
#include "dupscan/shingle.hpp"
#include "dupscan/spec.hpp"

namespace dupscan::kernels {

/// Shingles per chunk: the unit of work of the sketch kernels. A document of more shingles is split
/// into several chunks (one thread block each on the GPU), whose per-permutation minima are then
/// combined; min is order-independent, so any split gives the same bits. 2048: a 1 KB document
/// (~170 shingles) is one chunk, a 1 MB one ~85 chunks that spread over the SMs.
constexpr std::uint32_t kChunkShingles = 2048;
/// Shingle hashes computed per step of a chunk (in shared memory on the GPU), then folded into the
/// K minima by the team.
constexpr std::uint32_t kTile = 256;

/// Bytes of a tile's text that a chunk's team copies into shared memory before hashing the tile's
/// shingles from there (minhash_chunk): each byte of a word:N shingle is read by N shingles, so
/// from shared memory rather than as N byte loads from global memory each. 4 KiB: a tile of 256
/// word:5 shingles of ~6-byte words (5 letters and a space) spans ~260 words, ~1.6 KB, and 256
/// char:5 shingles of code points of at most 4 bytes at most ~1 KB, so ordinary text fits with
/// room for words twice as long; a tile whose span does not fit (long tokens, a URL list) is
/// hashed from global memory as before. With the tile's hashes (at most 2 KiB) a 128-thread
/// block holds ~6 KiB of static shared memory: the 16 blocks of an SM's 2,048 threads take
/// ~97 KiB, below an A100's 164 KiB and an H100's 228 KiB, so it does not cut occupancy.
constexpr std::uint32_t kTileTextBytes = 4096;

/// The normalized documents of a batch on the device, with their units (words for word:N, code
/// points for char:N).
struct TextView {
  const unsigned char* text;        ///< all documents back to back
  const std::uint64_t* doc_off;     ///< n + 1 offsets into text
  const std::uint32_t* unit_start;  ///< first byte of every unit, ascending
  const std::uint32_t* unit_end;    ///< one past the last byte of every word (word:N only)
  const std::uint32_t* doc_unit;    ///< n + 1: document d's units are [doc_unit[d], doc_unit[d+1])
  std::uint32_t n;                  ///< N of word:N / char:N
  bool word;                        ///< word:N (else char:N)
};

/// Shingles of a document of `len` bytes and `units` units (shingle.hpp).
DUPSCAN_HD inline std::uint32_t shingle_count(std::uint64_t len, std::uint32_t units,
                                              std::uint32_t n) {
  if (len == 0) return 0;
  return units < n ? 1u : units - n + 1;
}

/// Byte range [begin, end) of shingle j of document d (shingle.hpp).
DUPSCAN_HD inline void shingle_range(const TextView& v, std::uint32_t d, std::uint32_t j,
                                     std::uint64_t& begin, std::uint64_t& end) {
  const std::uint32_t u0 = v.doc_unit[d];
  const std::uint32_t units = v.doc_unit[d + 1] - u0;
  if (units < v.n) {
    begin = v.doc_off[d];
    end = v.doc_off[d + 1];
    return;
  }
  begin = v.unit_start[u0 + j];
  if (j + v.n < units) {
    // word:N ends at the last byte of word j + N - 1, the byte before the space before word
    // j + N; char:N right before code point j + N.
    end = v.word ? v.unit_end[u0 + j + v.n - 1] : v.unit_start[u0 + j + v.n];
  } else {
    end = v.doc_off[d + 1];
  }
}

/// Unit starts: byte i begins a word (after a space or a document start) or a code point.
/// `doc_start[i]` is 1 where a document begins.
DUPSCAN_HD inline bool is_unit_start(const unsigned char* text, const std::uint8_t* doc_start,
                                     std::uint64_t i, bool word) {
  if (!word) return detail::is_utf8_lead(static_cast<char>(text[i]));
  return text[i] != ' ' && (doc_start[i] || text[i - 1] == ' ');
}

/// Word ends: byte i is the last of a word (before a space, a document start or the end).
DUPSCAN_HD inline bool is_word_end(const unsigned char* text, const std::uint8_t* doc_start,
                                   std::uint64_t i, std::uint64_t size) {
  return text[i] != ' ' && (i + 1 == size || doc_start[i + 1] || text[i + 1] == ' ');
}

/// The code point of well-formed UTF-8 at p (normalized text is well-formed).
DUPSCAN_HD inline std::uint32_t decode_utf8(const unsigned char* p) {
  const std::uint32_t c = p[0];
  if (c < 0x80) return c;
  if (c < 0xE0) return ((c & 0x1F) << 6) | (p[1] & 0x3F);
  if (c < 0xF0) return ((c & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
  return ((c & 0x07) << 18) | ((p[1] & 0x3F) << 12) | ((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
}

/// fast_sketch.hpp step 1 for unit u.
DUPSCAN_HD inline std::uint64_t unit_hash(const TextView& v, std::uint32_t u) {
  const std::uint32_t s = v.unit_start[u];
  if (v.word) return fast::word_hash(v.text + s, v.unit_end[u] - s);
  return fast::char_hash(decode_utf8(v.text + s));
}

/// fast_sketch.hpp step 2: the value of shingle j of document d from the unit hashes `uh`.
DUPSCAN_HD inline std::uint64_t shingle_value(const TextView& v, const std::uint64_t* uh,
                                              std::uint32_t d, std::uint32_t j) {
  const std::uint32_t u0 = v.doc_unit[d];
  const std::uint32_t units = v.doc_unit[d + 1] - u0;
  const std::uint32_t m = units < v.n ? units : v.n;
  std::uint64_t s = 0;
  for (std::uint32_t k = 0; k < m; ++k)
    s = s * fast::kBase + uh[u0 + j + k];
  return fast::fmix64(s);
}

// ---- the MinHash schemes (spec.hpp step 5) ------------------------------------------------------
//
// A scheme says what a shingle hashes to (Hash), what a signature holds (Value, kEmpty when no
// shingle), and splits step 5 in two: prepare() is the part that does not depend on the
// permutation, applied once per shingle when its hash enters a tile; apply(perm(i), x) is
// permutation i's part, run K times per shingle. For every shingle s and permutation i,
//     apply(perm(i), prepare(hash(s)))  ==  h_i(hv) of spec.hpp step 5.

/// datasketch's legacy scheme: 32-bit shingle hashes, ((a*h + b) mod 2^64) mod (2^61 - 1); nothing
/// to prepare.
struct LegacyScheme {
  using Hash = std::uint32_t;
  using Value = std::uint32_t;
  struct Perm {
    std::uint64_t a, b;
  };
  static constexpr Value kEmpty = spec::max_hash;
  const std::uint64_t* a;  ///< K multipliers (Permutations::a)
  const std::uint64_t* b;  ///< K offsets

  ShingleHash shingle_hash;  ///< step 4: XXH64 or SHA-1 (SketchParams::shingle_hash)
  DUPSCAN_HD Hash hash(const unsigned char* p, std::size_t len) const {
    return spec::shingle_hash(p, len, shingle_hash);
  }
  DUPSCAN_HD static Hash prepare(Hash h) { return h; }
  DUPSCAN_HD Perm perm(std::uint32_t i) const { return {a[i], b[i]}; }
  DUPSCAN_HD static Value apply(const Perm& p, Hash h) { return spec::permute(p.a, p.b, h); }
};

/// datasketch 2.0's affine32: 32-bit shingle hashes mixed once by fmix32, then a*m + b mod 2^32.
struct Affine32Scheme {
  using Hash = std::uint32_t;
  using Value = std::uint32_t;
  struct Perm {
    std::uint32_t a, b;
  };
  static constexpr Value kEmpty = spec::max_hash;
  const std::uint64_t* a;  ///< K odd multipliers below 2^32 (Permutations::a)
  const std::uint64_t* b;  ///< K offsets below 2^32

  ShingleHash shingle_hash;  ///< step 4: XXH64 or SHA-1 (SketchParams::shingle_hash)
  DUPSCAN_HD Hash hash(const unsigned char* p, std::size_t len) const {
    return spec::shingle_hash(p, len, shingle_hash);
  }
  DUPSCAN_HD static Hash prepare(Hash h) { return spec::fmix32(h); }
  DUPSCAN_HD Perm perm(std::uint32_t i) const {
    return {static_cast<std::uint32_t>(a[i]), static_cast<std::uint32_t>(b[i])};
  }
  DUPSCAN_HD static Value apply(const Perm& p, Hash m) { return spec::affine32_step(p.a, p.b, m); }
};

/// datasketch 2.0's affine64: the full 64-bit shingle hash (XXH64, or SHA-1's first 8 bytes) of
/// each shingle mixed once by fmix64, then a*m + b mod 2^64; 64-bit signature values.
struct Affine64Scheme {
  using Hash = std::uint64_t;
  using Value = std::uint64_t;
  struct Perm {
    std::uint64_t a, b;
  };
  static constexpr Value kEmpty = spec::max_hash64;
  const std::uint64_t* a;  ///< K odd multipliers (Permutations::a)
  const std::uint64_t* b;  ///< K offsets

  ShingleHash shingle_hash;  ///< step 4: XXH64 or SHA-1 (SketchParams::shingle_hash)
  DUPSCAN_HD Hash hash(const unsigned char* p, std::size_t len) const {
    return spec::shingle_hash64(p, len, shingle_hash);
  }
  DUPSCAN_HD static Hash prepare(Hash h) { return spec::fmix64(h); }
  DUPSCAN_HD Perm perm(std::uint32_t i) const { return {a[i], b[i]}; }
  DUPSCAN_HD static Value apply(const Perm& p, Hash m) { return spec::affine64_step(p.a, p.b, m); }
};

// ---- teams: who works on one chunk -------------------------------------------------------------

/// One thread alone (the host build, and any item run by a single thread).
struct SoloTeam {
  DUPSCAN_HD unsigned rank() const { return 0; }
  DUPSCAN_HD unsigned size() const { return 1; }
  DUPSCAN_HD void sync() const {}
  template <class T>
  DUPSCAN_HD void atomic_min(T* p, T v) const {
    if (v < *p) *p = v;
  }
};

/// Copies 16 bytes from `from` to `to`, both 16-byte aligned: one vector load on the GPU.
DUPSCAN_HD inline void copy16(unsigned char* to, const unsigned char* from) {
#if defined(__CUDA_ARCH__)
  *reinterpret_cast<uint4*>(to) = *reinterpret_cast<const uint4*>(from);
#else
  std::memcpy(to, from, 16);
#endif
}

/// Bytes [begin, end) of the text of shingles [j0, j1) of document d (j0 < j1): from the first
/// byte of the first to the last byte of the last (shingle starts and ends ascend with j).
DUPSCAN_HD inline void tile_span(const TextView& v, std::uint32_t d, std::uint32_t j0,
                                 std::uint32_t j1, std::uint64_t& begin, std::uint64_t& end) {
  std::uint64_t unused;
  shingle_range(v, d, j0, begin, unused);
  shingle_range(v, d, j1 - 1, unused, end);
}

/**
 * Where the team reads text[begin, end) from: a copy in `buf` (16-byte aligned, at least
 * `capacity` bytes; shared memory on the GPU) when it fits, else text + begin itself. The copy
 * starts at buf + head, head = the address of text + begin mod 16, so that every 16 bytes the
 * source holds at a 16-byte boundary are copied with one aligned load and store; the bytes before
 * the first boundary and after the last are copied one by one. It fits when head + (end - begin)
 * <= capacity (0: never). Every member gets the same answer; a copy ends with a team sync.
 */
template <class Team>
DUPSCAN_HD const unsigned char* stage_text(const Team& team, const unsigned char* text,
                                           std::uint64_t begin, std::uint64_t end,
                                           unsigned char* buf, std::uint32_t capacity) {
  const unsigned char* from = text + begin;
  const auto head = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(from) % 16);
  if (head + (end - begin) > capacity) return from;
  const auto len = static_cast<std::uint32_t>(end - begin);  // below the capacity
  unsigned char* to = buf + head;
  const std::uint32_t lead = len < (16 - head) % 16 ? len : (16 - head) % 16;
  const std::uint32_t words = (len - lead) / 16, tail = lead + words * 16;
  for (std::uint32_t i = team.rank(); i < words; i += team.size())
    copy16(to + lead + i * 16, from + lead + i * 16);
  for (std::uint32_t i = team.rank(); i < lead; i += team.size())
    to[i] = from[i];
  for (std::uint32_t i = tail + team.rank(); i < len; i += team.size())
    to[i] = from[i];
  team.sync();
  return to;
}

/// Where a chunk is: its document and its first shingle.
DUPSCAN_HD inline void chunk_place(const std::uint32_t* chunk_doc, const std::uint32_t* doc_chunk,
                                   std::uint32_t c, std::uint32_t& d, std::uint32_t& first) {
  d = chunk_doc[c];
  first = (c - doc_chunk[d]) * kChunkShingles;
}

/// Where a tile's text is read from (stage_text): the team's copy of it, or the batch's text.
struct TileText {
  unsigned char* buf;      ///< 16-byte aligned, at least `capacity` bytes
  std::uint32_t capacity;  ///< kTileTextBytes, or less (a test hook); 0: never copied
};

/// The prepared hashes of shingles [j0, j0 + tn) of document d (tn >= 1) into tile[0, tn): their
/// text staged in `staging` when it fits (stage_text), then each hashed from there or in place.
template <class Team, class Scheme>
DUPSCAN_HD void hash_tile(const Team& team, const TextView& v, std::uint32_t d, std::uint32_t j0,
                          std::uint32_t tn, const Scheme& scheme, const TileText& staging,
                          typename Scheme::Hash* tile) {
  std::uint64_t begin, end;
  tile_span(v, d, j0, j0 + tn, begin, end);
  const unsigned char* at = stage_text(team, v.text, begin, end, staging.buf, staging.capacity);
  // Byte b of the batch is at base + b: one 64-bit value live across the hash loop, not the
  // copy's start and the span's begin (40 registers on sm_90, as before the copy; 48 with two).
  const std::uintptr_t base = reinterpret_cast<std::uintptr_t>(at) - begin;
  for (std::uint32_t s = team.rank(); s < tn; s += team.size()) {
    std::uint64_t b, e;
    shingle_range(v, d, j0 + s, b, e);
    tile[s] = Scheme::prepare(scheme.hash(reinterpret_cast<const unsigned char*>(base + b), e - b));
  }
}

/**
 * The K minima of one chunk's shingles under a MinHash scheme, into partial[c * K, (c + 1) * K).
 * The team hashes (and prepares) kTile shingles at a time into `tile` (hash_tile: from a copy of
 * the tile's text in `staging` when it fits), then each member folds the tile into the
 * permutations it owns (i = rank, rank + size, ...): no two members write the same minimum.
 */
template <class Team, class Scheme>
DUPSCAN_HD void minhash_chunk(const Team& team, const TextView& v, const std::uint32_t* chunk_doc,
                              const std::uint32_t* doc_chunk, const std::uint32_t* shingles,
                              std::uint32_t c, const Scheme& scheme, std::uint32_t k,
                              typename Scheme::Value* partial, typename Scheme::Hash* tile,
                              const TileText& staging) {
  std::uint32_t d, first;
  chunk_place(chunk_doc, doc_chunk, c, d, first);
  const std::uint32_t left = shingles[d] - first;
  const std::uint32_t count = left < kChunkShingles ? left : kChunkShingles;
  typename Scheme::Value* out = partial + std::size_t{c} * k;
  for (std::uint32_t i = team.rank(); i < k; i += team.size())
    out[i] = Scheme::kEmpty;
  for (std::uint32_t t0 = 0; t0 < count; t0 += kTile) {
    const std::uint32_t tn = count - t0 < kTile ? count - t0 : kTile;
    team.sync();  // the previous tile is folded and hashed: `tile` and `staging` are free
    hash_tile(team, v, d, first + t0, tn, scheme, staging, tile);
    team.sync();
    for (std::uint32_t i = team.rank(); i < k; i += team.size()) {
      const typename Scheme::Perm perm = scheme.perm(i);
      typename Scheme::Value m = out[i];
      for (std::uint32_t s = 0; s < tn; ++s) {
        const typename Scheme::Value x = Scheme::apply(perm, tile[s]);
        m = x < m ? x : m;
      }
      out[i] = m;
    }
  }
}

/// One chunk's OPH bins (fast_sketch.hpp step 3) into partial[c * K, (c + 1) * K) as 64-bit
/// values: lo32(v) for a bin that received v, 2^64 - 1 for an empty one (so that min over chunks
/// keeps "empty" apart from a received 2^32 - 1). The bins are kept in `bins` (K values: the
/// block's shared memory on the GPU, so that a shingle's atomic min stays on the SM) and copied
/// to partial at the end; bins may be partial's own K values (then there is nothing to copy).
template <class Team>
DUPSCAN_HD void oph_chunk(const Team& team, const TextView& v, const std::uint64_t* uh,
                          const std::uint32_t* chunk_doc, const std::uint32_t* doc_chunk,
                          const std::uint32_t* shingles, std::uint32_t c, std::uint32_t k,
                          std::uint64_t* bins, std::uint64_t* partial) {
  std::uint32_t d, first;
  chunk_place(chunk_doc, doc_chunk, c, d, first);
  const std::uint32_t left = shingles[d] - first;
  const std::uint32_t count = left < kChunkShingles ? left : kChunkShingles;
  std::uint64_t* out = partial + std::size_t{c} * k;
  for (std::uint32_t i = team.rank(); i < k; i += team.size())
    bins[i] = ~std::uint64_t{0};
  team.sync();
  for (std::uint32_t s = team.rank(); s < count; s += team.size()) {
    const std::uint64_t x = shingle_value(v, uh, d, first + s);
    team.atomic_min(bins + fast::oph_bin(x, k), x & 0xFFFFFFFFu);
  }
  if (bins == out) return;
  team.sync();
  for (std::uint32_t i = team.rank(); i < k; i += team.size())
    out[i] = bins[i];
}

/**
 * fast_sketch.hpp step 4 for bin i of one document whose bins[0, K) (its combined 64-bit bins,
 * 2^64 - 1 = empty) are not all empty: bin i's value, or, when it is empty, that of bin
 * (i - o_t) mod K for the first round t whose bin was filled in step 3 (about K / filled rounds).
 */
DUPSCAN_HD inline std::uint32_t densify_bin(const std::uint64_t* bins, std::uint32_t k,
                                            std::uint32_t i) {
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  if (bins[i] != kNone) return static_cast<std::uint32_t>(bins[i]);
  for (std::uint32_t t = 1;; ++t) {
    const std::uint32_t o = fast::densify_offset(t, k);
    const std::uint32_t j = i >= o ? i - o : i + k - o;
    if (bins[j] != kNone) return static_cast<std::uint32_t>(bins[j]);
  }
}

/**
 * fast_sketch.hpp step 4 for one document, bin after bin (densify_bin): sig gets the densified
 * 32-bit signature. A document without shingles keeps every slot at 2^32 - 1.
 */
DUPSCAN_HD inline void densify(const std::uint64_t* bins, std::uint32_t k, std::uint32_t* sig) {
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  bool any = false;
  for (std::uint32_t i = 0; i < k; ++i)
    any = any || bins[i] != kNone;
  for (std::uint32_t i = 0; i < k; ++i)
    sig[i] = any ? densify_bin(bins, k, i) : spec::max_hash;
}

/// spec.hpp step 6 for band j of a document with `shingles` shingles: 0 when it has none.
DUPSCAN_HD inline std::uint64_t band_key_of(const std::uint32_t* sig, std::uint32_t shingles,
                                            std::uint32_t rows, std::uint32_t j) {
  return shingles ? spec::band_key(sig + std::size_t{j} * rows, rows, j) : 0;
}
/// The same for 64-bit signature values (affine64): spec::band_key64.
DUPSCAN_HD inline std::uint64_t band_key_of(const std::uint64_t* sig, std::uint32_t shingles,
                                            std::uint32_t rows, std::uint32_t j) {
  return shingles ? spec::band_key64(sig + std::size_t{j} * rows, rows, j) : 0;
}

}  // namespace dupscan::kernels
