// The batches every backend is run over (tests/test_backend.cpp: cpu, cuda-host;
// tests/test_cuda_backend.cpp: the GPU), and the comparisons: signatures, band keys, shingle counts
// and the stages after pass 1, bit for bit.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "dupscan/normalize.hpp"
#include "examples.hpp"
#include "test_util.hpp"

namespace dupscan::test {

/// A named batch of normalized documents.
struct BackendCase {
  std::string name;
  NormalizedBatch batch;
};

inline std::string words(std::size_t n, std::size_t word_len, char base = 'a') {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    for (std::size_t k = 0; k < word_len; ++k)
      s += static_cast<char>(base + (i * 7 + k * 3) % 26);
  }
  return s;
}

/// Real text: the example corpus (wikitext-2, tinyshakespeare, GSM8K, HumanEval), normalized.
inline BackendCase real_text_case(std::size_t limit = 4000) {
  BackendCase c{"example corpus", {}};
  simdjson::dom::parser parser;
  std::string norm;
  for (const std::string& line : example_lines()) {
    if (c.batch.size() >= limit) break;
    simdjson::dom::element rec;
    std::string_view text;
    if (parser.parse(line).get(rec) || rec["text"].get(text)) continue;
    normalize(text, {}, norm);
    c.batch.add(norm);
  }
  return c;
}

/// Documents around the boundaries of shingles, tiles (256) and chunks (2048 shingles), with
/// empty ones between them; word lengths that make 31/32/33-byte shingles.
inline BackendCase boundary_case() {
  BackendCase c{"boundaries", {}};
  c.batch.add("");
  c.batch.add("one");
  c.batch.add("two words");
  for (std::size_t n : {4, 5, 6, 31, 32, 33, 255, 256, 257, 260, 2047, 2048, 2051, 2052, 4100}) {
    c.batch.add(words(n, 3));
    c.batch.add("");
  }
  // word:5 shingles of 5 words of lengths 5/6/..: 5 * len + 4 bytes.
  for (std::size_t len : {5, 6, 7}) {
    c.batch.add(words(40, len));
  }
  c.batch.add(std::string(1, 'x'));
  c.batch.add("é ü 😀 a 中文 b c d e f g");
  c.batch.add("");
  return c;
}

/// Random text through the normalizer: ASCII words, multi-byte code points, separators.
inline BackendCase random_utf8_case(unsigned seed, std::size_t docs) {
  BackendCase c{"random UTF-8 (seed " + std::to_string(seed) + ")", {}};
  std::mt19937 rng(seed);
  const char* pieces[] = {"a",  "b",  "ab", "the", "data", " ", "  ", ".", "é",     "ß",
                          "中", "文", "😀",  "\t",  "Zz",   "0", "12", "x", "quick", "\xcc\x81"};
  std::string raw, norm;
  for (std::size_t d = 0; d < docs; ++d) {
    raw.clear();
    const std::size_t len = rng() % 400;
    for (std::size_t i = 0; i < len; ++i)
      raw += pieces[rng() % (sizeof pieces / sizeof *pieces)];
    normalize(raw, {}, norm);
    c.batch.add(norm);
  }
  return c;
}

/// One document of about `bytes` bytes (a 16 MB one spans thousands of chunks).
inline BackendCase long_document_case(std::size_t bytes) {
  BackendCase c{"one document of " + std::to_string(bytes >> 20) + " MB", {}};
  std::string doc;
  doc.reserve(bytes + 64);
  std::mt19937 rng(7);
  while (doc.size() < bytes) {
    if (!doc.empty()) doc += ' ';
    const std::size_t len = 1 + rng() % 9;
    for (std::size_t k = 0; k < len; ++k)
      doc += static_cast<char>('a' + rng() % 26);
  }
  c.batch.add("short one before");
  c.batch.add(doc);
  c.batch.add("");
  return c;
}

/// Sketch parameters: the sketch, shingles, K and banding, the MinHash scheme.
inline SketchParams sketch_params(SketchKind kind, const char* shingle, std::uint32_t k,
                                  LshParams lsh, std::uint32_t seed = 1,
                                  Scheme scheme = Scheme::legacy) {
  SketchParams p;
  p.kind = kind;
  p.shingle = ShingleSpec::parse(shingle);
  p.perms = make_permutations(k, seed, scheme);
  p.lsh = lsh;
  return p;
}

/// Runs `test` over `ref` on the same batch and compares everything it returns.
inline void expect_same_sketches(Backend& ref, Backend& test, const BackendCase& c,
                                 const std::string& what) {
  for (bool signatures : {true, false}) {
    SketchBatch a, b;
    ref.sketch(c.batch, a, signatures);
    test.sketch(c.batch, b, signatures);
    SCOPED_TRACE(what + ", " + c.name + (signatures ? ", with signatures" : ", keys only"));
    ASSERT_EQ(a.shingle_counts, b.shingle_counts);
    ASSERT_EQ(a.band_keys.size(), b.band_keys.size());
    std::size_t key_diffs = 0;
    for (std::size_t i = 0; i < a.band_keys.size(); ++i)
      key_diffs += a.band_keys[i] != b.band_keys[i];
    EXPECT_EQ(key_diffs, 0u) << "band keys differ";
    EXPECT_EQ(a.signatures, b.signatures);
    EXPECT_EQ(a.signatures64, b.signatures64);
    if (!signatures) EXPECT_TRUE(b.signatures.empty() && b.signatures64.empty());
  }
  FlatSets sa, sb;
  ref.verification_sets(c.batch, sa);
  test.verification_sets(c.batch, sb);
  EXPECT_EQ(sa.offsets, sb.offsets) << what << ", " << c.name;
  EXPECT_EQ(sa.values, sb.values) << what << ", " << c.name;
}

/**
 * A device backend's lent memory (text_memory()): batches normalized into it (normalize_pending)
 * give the CPU's bits on `dev` and are not staged (staged_bytes() does not move), while a batch
 * built in ordinary memory is. Four arena batches in flight at once (each its own arena: a shared
 * one would hand a batch another's text) and one whose 4 MB document outgrew an arena.
 */
inline void expect_arena_batches_unstaged(Backend& cpu, Backend& dev) {
  ASSERT_NE(dev.text_memory(), nullptr);
  const BackendCase real = real_text_case(800);
  const BackendCase big = long_document_case(std::size_t{4} << 20);
  std::vector<NormalizedBatch> plain(5), lent(5);
  for (std::size_t d = 0; d < real.batch.size(); ++d)
    plain[d % 4].add(real.batch.doc(d));
  for (std::size_t d = 0; d < big.batch.size(); ++d)
    plain[4].add(big.batch.doc(d));
  for (std::size_t i = 0; i < plain.size(); ++i) {
    lent[i].text.use(dev.text_memory());
    for (std::size_t d = 0; d < plain[i].size(); ++d) {
      lent[i].normalize_pending(plain[i].doc(d), {});  // normalized text normalizes to itself
      lent[i].add_pending(true);
    }
    ASSERT_EQ(lent[i].text.view(), plain[i].text.view()) << i;
  }
  const std::uint64_t staged_before = dev.staged_bytes();  // the canary's batches
  std::vector<SketchBatch> want(plain.size()), got(plain.size());
  std::vector<Backend::Ticket> tickets;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    cpu.sketch(plain[i], want[i], true);
    if (i < 4) tickets.push_back(dev.submit(lent[i], true, got[i]));
  }
  for (Backend::Ticket t : tickets)
    dev.wait(t);
  dev.sketch(lent[4], got[4], true);
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(got[i].band_keys, want[i].band_keys) << i;
    EXPECT_EQ(got[i].signatures, want[i].signatures) << i;
    EXPECT_EQ(got[i].shingle_counts, want[i].shingle_counts) << i;
  }
  EXPECT_EQ(dev.staged_bytes(), staged_before) << "a batch built in an arena was staged";
  SketchBatch again;
  dev.sketch(plain[0], again, true);
  EXPECT_EQ(again.band_keys, want[0].band_keys);
  EXPECT_EQ(dev.staged_bytes(), staged_before + plain[0].text.size());
}

/// LSH pairs and exact groups of a random table with planted collisions, `test` against `ref`.
inline void expect_same_stages(Backend& ref, Backend& test, unsigned seed) {
  std::mt19937_64 rng(seed);
  const std::uint32_t n = 5000, bands = 9;
  std::vector<std::uint64_t> keys(std::size_t{n} * bands);
  for (auto& k : keys)
    k = rng() % 3 == 0 ? rng() % 40 : rng();  // about a third fall into 40 shared buckets
  std::vector<std::uint32_t> docs;
  for (std::uint32_t d = 0; d < n; ++d) {
    if (rng() % 5) docs.push_back(d);
  }
  for (std::uint32_t first_new : {0u, 1000u}) {
    EXPECT_EQ(ref.candidate_pairs(keys.data(), bands, docs, first_new, 2),
              test.candidate_pairs(keys.data(), bands, docs, first_new, 2))
        << "first_new " << first_new;
  }
  std::vector<XXH128_hash_t> hashes(n);
  std::vector<std::uint8_t> empty(n);
  for (std::uint32_t d = 0; d < n; ++d) {
    hashes[d] = {rng() % 4 == 0 ? rng() % 50 : rng(), rng() % 3 == 0 ? 7 : rng() % 2};
    empty[d] = rng() % 10 == 0;
  }
  std::vector<std::uint32_t> ra(n), rb(n);
  ref.exact_representatives(hashes.data(), empty.data(), n, ra.data());
  test.exact_representatives(hashes.data(), empty.data(), n, rb.data());
  EXPECT_EQ(ra, rb);
}

}  // namespace dupscan::test
