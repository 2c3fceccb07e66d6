// The MinHash chunk's staging of a tile's text (src/kernels/sketch_items.cuh: stage_text,
// hash_tile, minhash_chunk), run here with the host's team of one as the cuda-host build runs it:
// every span at every alignment is copied byte for byte, head and tail bytes included, and only
// when it fits; a chunk's minima are those of the plain per-shingle formula whatever the capacity,
// on both sides of the boundary where a tile's span stops fitting.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dupscan/minhash.hpp"
#include "sketch_items.cuh"

namespace dupscan {
namespace {

using kernels::kTileTextBytes;

// A 16-byte aligned host buffer of `n` bytes.
struct Aligned {
  explicit Aligned(std::size_t n) : raw(n + 16) {}
  unsigned char* get() {
    const auto a = reinterpret_cast<std::uintptr_t>(raw.data());
    return raw.data() + (16 - a % 16) % 16;
  }
  std::vector<unsigned char> raw;
};

TEST(TileText, EverySpanAtEveryAlignmentIsCopiedWhenItFitsAndOnlyThen) {
  Aligned src(160), buf(kTileTextBytes);
  for (std::size_t i = 0; i < 160; ++i)
    src.get()[i] = static_cast<unsigned char>(i * 37 + 11);
  for (std::uint64_t begin = 0; begin < 32; ++begin) {
    for (std::uint64_t len = 0; len <= 100; ++len) {
      const std::uint32_t head = begin % 16;  // src is aligned
      const auto need = static_cast<std::uint32_t>(head + len);
      for (std::uint32_t cap : {need - 1, need, need + 1, kTileTextBytes, 0u}) {
        if (cap == ~0u) continue;
        SCOPED_TRACE("begin " + std::to_string(begin) + ", " + std::to_string(len) +
                     " bytes, capacity " + std::to_string(cap));
        std::memset(buf.get(), 0xEE, kTileTextBytes);
        const unsigned char* at =
            kernels::stage_text(kernels::SoloTeam{}, src.get(), begin, begin + len, buf.get(), cap);
        const bool fits = need <= cap;
        ASSERT_EQ(at, fits ? buf.get() + head : src.get() + begin);
        ASSERT_EQ(std::memcmp(at, src.get() + begin, len), 0);
        // Nothing outside the copy is written (and nothing at all when it does not fit).
        for (std::uint32_t i = 0; i < 200; ++i) {
          if (fits && i >= head && i < need) continue;
          ASSERT_EQ(buf.get()[i], 0xEE) << "byte " << i;
        }
      }
    }
  }
}

// One document of words of lengths 1..13 (or code points of 1..4 bytes) in a host TextView.
struct OneDocument {
  OneDocument(const std::string& doc, std::uint32_t n, bool word, std::size_t shift)
      : store(doc.size() + 16) {
    text = store.get() + shift;
    std::memcpy(text, doc.data(), doc.size());
    std::vector<std::uint8_t> starts(doc.size() + 1, 0);
    starts[0] = 1;
    for (std::uint64_t i = 0; i < doc.size(); ++i) {
      if (kernels::is_unit_start(text, starts.data(), i, word))
        unit_start.push_back(static_cast<std::uint32_t>(i));
      if (word && kernels::is_word_end(text, starts.data(), i, doc.size()))
        unit_end.push_back(static_cast<std::uint32_t>(i + 1));
    }
    doc_off = {0, doc.size()};
    doc_unit = {0, static_cast<std::uint32_t>(unit_start.size())};
    unit_end.push_back(0);  // never empty
    view = {text, doc_off.data(), unit_start.data(), unit_end.data(), doc_unit.data(), n, word};
    shingles = kernels::shingle_count(doc.size(), doc_unit[1], n);
  }
  Aligned store;
  unsigned char* text;
  std::vector<std::uint64_t> doc_off;
  std::vector<std::uint32_t> unit_start, unit_end, doc_unit;
  kernels::TextView view;
  std::uint32_t shingles;
};

std::string mixed_words(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += std::string(1 + (i * 5) % 13, static_cast<char>('a' + i % 26));
  }
  return s;
}

std::string mixed_code_points(std::size_t n) {
  const char* cps[] = {"a", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", " ", "b"};
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += cps[(i * 7) % 6];
  return s;
}

// The chunk's minima by the plain formula: every shingle hashed in place, every permutation.
std::vector<std::uint32_t> plain_minima(const OneDocument& d, const kernels::LegacyScheme& s,
                                        std::uint32_t k) {
  std::vector<std::uint32_t> m(k, kernels::LegacyScheme::kEmpty);
  for (std::uint32_t j = 0; j < d.shingles && j < kernels::kChunkShingles; ++j) {
    std::uint64_t b, e;
    kernels::shingle_range(d.view, 0, j, b, e);
    const auto h = kernels::LegacyScheme::prepare(s.hash(d.text + b, e - b));
    for (std::uint32_t i = 0; i < k; ++i)
      m[i] = std::min(m[i], kernels::LegacyScheme::apply(s.perm(i), h));
  }
  return m;
}

TEST(TileText, ChunkMinimaAreThePlainFormulasWhateverTheCapacity) {
  const std::uint32_t k = 16;
  const Permutations perms = make_permutations(k, 3, Scheme::legacy);
  for (const ShingleHash sh : {ShingleHash::xxh64, ShingleHash::sha1}) {
    const kernels::LegacyScheme scheme{perms.a.data(), perms.b.data(), sh};
    for (const bool word : {true, false}) {
      const std::string doc = word ? mixed_words(600) : mixed_code_points(700);
      for (std::size_t shift = 0; shift < 16; shift += 5) {
        const OneDocument d(doc, word ? 5 : 3, word, shift);
        ASSERT_GT(d.shingles, kernels::kTile * 2);  // three tiles, the last one short
        const std::vector<std::uint32_t> want = plain_minima(d, scheme, k);
        // Each tile's span, and the capacities on both sides of each.
        std::vector<std::uint32_t> caps = {0, 1, 16, kTileTextBytes};
        for (std::uint32_t t0 = 0; t0 < d.shingles; t0 += kernels::kTile) {
          std::uint64_t b, e;
          const std::uint32_t t1 = std::min(d.shingles, t0 + kernels::kTile);
          kernels::tile_span(d.view, 0, t0, t1, b, e);
          const auto need = static_cast<std::uint32_t>((shift + b) % 16 + (e - b));
          ASSERT_LE(need, kTileTextBytes);
          caps.insert(caps.end(), {need - 1, need, need + 1});
        }
        const std::uint32_t chunk_doc = 0, doc_chunk[2] = {0, 1};
        for (std::uint32_t cap : caps) {
          SCOPED_TRACE(std::string(word ? "word:5" : "char:3") + ", shift " +
                       std::to_string(shift) + ", capacity " + std::to_string(cap));
          Aligned buf(kTileTextBytes);
          std::uint32_t tile[kernels::kTile];
          std::vector<std::uint32_t> got(k);
          kernels::minhash_chunk(kernels::SoloTeam{}, d.view, &chunk_doc, doc_chunk, &d.shingles, 0,
                                 scheme, k, got.data(), tile, kernels::TileText{buf.get(), cap});
          ASSERT_EQ(got, want);
        }
      }
    }
  }
}

}  // namespace
}  // namespace dupscan
