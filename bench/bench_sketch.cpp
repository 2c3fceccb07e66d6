// Signature throughput of the CPU kernels, one thread, per SIMD path:
//
//   dupscan_bench_sketch CORPUS.jsonl[.gz|.zst] [--text-field text] [--num-perm 128] [--repeat 3]
//
// The documents are read and normalized first (not timed); then, for every SIMD path this CPU has,
// it times (best of --repeat runs) the shingle hashing alone, MinHash alone on the precomputed
// shingle hashes, and the whole sketch (shingles + MinHash + band keys) -- what the CPU backend
// does per document. Then the same per permutation scheme (legacy, affine32, affine64; minhash.hpp)
// and SIMD path: "minhash_scheme" rows time MinHasher alone on precomputed shingle hashes (32-bit,
// 64-bit for affine64), "sketch_scheme" rows the CPU backend's sketch (shingle hashes of normalized
// text + MinHasher + band keys, document by document; uint64 signatures for affine64). For
// --shingle-hash sha1: "shingle_hash_fn" rows time one hash function over every shingle (xxh64;
// sha1 on each SHA-1 path this CPU has: scalar, shani), and "sketch_scheme_sha1" rows the CPU
// backend's sketch with SHA-1 shingle hashes, per scheme, on the fastest SIMD path (compare.py
// sets them against the "sketch_scheme" rows of the same path). Prints one JSON object per line,
// for bench/compare.py.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <xxhash.h>

#include "dupscan/backend.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/spec.hpp"
#include "io/io.hpp"
#include "io/record.hpp"
#include "sketch/sha1_shingles.hpp"

using namespace dupscan;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

template <class F>
double best_of(int repeat, F f) {
  double best = 1e300;
  for (int r = 0; r < repeat; ++r) {
    const double t0 = now();
    f();
    best = std::min(best, now() - t0);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS [--text-field F] [--num-perm K] [--repeat N]\n",
                 argv[0]);
    return 2;
  }
  std::string path = argv[1], field = "text";
  std::uint32_t k = 128;
  int repeat = 3;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--text-field")) field = argv[i + 1];
    if (!std::strcmp(argv[i], "--num-perm"))
      k = static_cast<std::uint32_t>(std::stoul(argv[i + 1]));
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::stoi(argv[i + 1]);
  }

  // Read everything once (not timed), then time parsing and normalizing.
  std::vector<io::RawBatch> raw;
  {
    auto src = io::open_source(path);
    io::LineReader reader(*src);
    io::RawBatch batch;
    while (reader.next(batch, 4 << 20))
      raw.push_back(batch);
  }
  double jsonl_mb = 0;
  for (const auto& b : raw)
    jsonl_mb += static_cast<double>(b.size) / 1e6;
  std::vector<std::string> texts;
  const double t_parse = best_of(repeat, [&] {
    texts.clear();
    RecordParser parser(field, "id");
    std::string id, detail;
    std::string_view text;
    SkipReason reason{};
    for (const auto& b : raw) {
      for (const auto& l : b.lines) {
        const auto line = b.line(l);
        if (is_blank(line) || !parser.parse(line.data(), line.size(), text, id, reason, detail)) {
          continue;
        }
        texts.emplace_back(text);
      }
    }
  });
  NormalizedBatch docs;
  std::string norm;
  double text_in = 0;
  for (const auto& t : texts)
    text_in += static_cast<double>(t.size()) / 1e6;
  const double t_norm = best_of(repeat, [&] {
    docs.clear();
    for (const auto& t : texts) {
      normalize(t, NormalizeOptions{}, norm);
      docs.add(norm);
    }
  });
  std::printf("{\"what\":\"parse_jsonl\",\"jsonl_mb\":%.3f,\"seconds\":%.6f,\"mb_per_s\":%.2f}\n",
              jsonl_mb, t_parse, jsonl_mb / t_parse);
  std::printf("{\"what\":\"normalize\",\"text_mb\":%.3f,\"seconds\":%.6f,\"mb_per_s\":%.2f}\n",
              text_in, t_norm, text_in / t_norm);
  const double t_exact = best_of(repeat, [&] {
    std::uint64_t acc = 0;
    for (std::size_t d = 0; d < docs.size(); ++d) {
      const auto doc = docs.doc(d);
      acc ^= XXH3_128bits(doc.data(), doc.size()).low64;
    }
    if (acc == 42) std::fprintf(stderr, " ");
  });
  std::printf("{\"what\":\"exact_hash\",\"seconds\":%.6f,\"mb_per_s\":%.2f}\n", t_exact,
              static_cast<double>(docs.text.size()) / 1e6 / t_exact);
  const ShingleSpec shingle{};
  std::vector<std::uint32_t> hashes;
  std::vector<std::uint64_t> offsets{0};
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto doc = docs.doc(d);
    for_each_shingle(
        doc.data(), doc.size(), shingle.kind, shingle.n,
        [&](const char* s, std::size_t n) { hashes.push_back(spec::shingle_hash(s, n)); });
    offsets.push_back(hashes.size());
  }
  const double text_mb = static_cast<double>(docs.text.size()) / 1e6;
  const double shingles = static_cast<double>(hashes.size());

  std::vector<std::uint32_t> scratch;
  const double t_hash = best_of(repeat, [&] {
    for (std::size_t d = 0; d < docs.size(); ++d)
      shingle_hashes(docs.doc(d), shingle, scratch);
  });
  std::printf(
      "{\"what\":\"shingle_hash\",\"docs\":%zu,\"shingles\":%.0f,\"text_mb\":%.3f,\"seconds\":%.6f,"
      "\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f}\n",
      docs.size(), shingles, text_mb, t_hash, shingles / t_hash / 1e6, text_mb / t_hash);

  // One hash function over every shingle (the enumeration included, the same for each).
  {
    std::vector<detail::Sha1Path> sha1_paths{detail::Sha1Path::scalar};
    if (detail::sha_ni_supported()) sha1_paths.push_back(detail::Sha1Path::shani);
    struct Fn {
      std::string name, path;
      std::function<std::uint64_t(const char*, std::size_t)> f;
    };
    std::vector<Fn> fns{
        {"xxh64", "scalar", [](const char* s, std::size_t n) { return spec::xxh64(s, n, 0); }}};
    for (detail::Sha1Path p : sha1_paths) {
      fns.push_back({"sha1", detail::sha1_path_name(p),
                     [p](const char* s, std::size_t n) { return detail::sha1_prefix64(s, n, p); }});
    }
    for (const Fn& fn : fns) {
      std::uint64_t sink = 0;
      const double t = best_of(repeat, [&] {
        for (std::size_t d = 0; d < docs.size(); ++d) {
          const auto doc = docs.doc(d);
          for_each_shingle(doc.data(), doc.size(), shingle.kind, shingle.n,
                           [&](const char* s, std::size_t n) { sink ^= fn.f(s, n); });
        }
      });
      std::printf(
          "{\"what\":\"shingle_hash_fn\",\"fn\":\"%s\",\"path\":\"%s\",\"seconds\":%.6f,"
          "\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f,\"sink\":%u}\n",
          fn.name.c_str(), fn.path.c_str(), t, shingles / t / 1e6, text_mb / t,
          static_cast<unsigned>(sink & 1));
    }
  }

  const Permutations perms = make_permutations(k, 1);
  std::vector<std::uint32_t> sigs(docs.size() * k);
  for (SimdPath path : supported_simd_paths()) {
    const MinHasher hasher(perms, path);
    const double t_min = best_of(repeat, [&] {
      std::fill(sigs.begin(), sigs.end(), spec::max_hash);
      for (std::size_t d = 0; d < docs.size(); ++d) {
        hasher.update(hashes.data() + offsets[d], offsets[d + 1] - offsets[d], sigs.data() + d * k);
      }
    });
    std::printf(
        "{\"what\":\"minhash\",\"path\":\"%s\",\"num_perm\":%u,\"seconds\":%.6f,"
        "\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f}\n",
        simd_path_name(path), k, t_min, shingles / t_min / 1e6, text_mb / t_min);
  }
  for (SimdPath path : supported_simd_paths()) {
    ::setenv("DUPSCAN_SIMD", simd_path_name(path), 1);
    SketchParams params;
    params.perms = perms;
    params.lsh = optimal_lsh_params(0.8, k);
    auto cpu = make_cpu_backend(params);
    SketchBatch out;
    const double t_all = best_of(repeat, [&] { cpu->sketch(docs, out); });
    std::printf(
        "{\"what\":\"sketch\",\"path\":\"%s\",\"num_perm\":%u,\"seconds\":%.6f,"
        "\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f,\"docs_per_s\":%.0f}\n",
        simd_path_name(path), k, t_all, shingles / t_all / 1e6, text_mb / t_all,
        docs.size() / t_all);
  }
  // Per scheme: the 64-bit shingle hashes too, and the same documents.
  std::vector<std::uint64_t> hashes64;
  for (std::size_t d = 0; d < docs.size(); ++d) {
    const auto doc = docs.doc(d);
    for_each_shingle(doc.data(), doc.size(), shingle.kind, shingle.n,
                     [&](const char* s, std::size_t n) { hashes64.push_back(XXH64(s, n, 0)); });
  }
  const LshParams lsh = optimal_lsh_params(0.8, k);
  for (Scheme scheme : {Scheme::legacy, Scheme::affine32, Scheme::affine64}) {
    const Permutations sp = make_permutations(k, 1, scheme);
    const bool wide = scheme == Scheme::affine64;
    std::vector<std::uint64_t> sigs64(wide ? docs.size() * k : 0);
    for (SimdPath path : supported_simd_paths()) {
      const MinHasher hasher(sp, path);
      const double t_min = best_of(repeat, [&] {
        if (wide) {
          std::fill(sigs64.begin(), sigs64.end(), spec::max_hash64);
          for (std::size_t d = 0; d < docs.size(); ++d) {
            hasher.update64(hashes64.data() + offsets[d], offsets[d + 1] - offsets[d],
                            sigs64.data() + d * k);
          }
        } else {
          std::fill(sigs.begin(), sigs.end(), spec::max_hash);
          for (std::size_t d = 0; d < docs.size(); ++d) {
            hasher.update(hashes.data() + offsets[d], offsets[d + 1] - offsets[d],
                          sigs.data() + d * k);
          }
        }
      });
      std::printf(
          "{\"what\":\"minhash_scheme\",\"scheme\":\"%s\",\"path\":\"%s\",\"num_perm\":%u,"
          "\"seconds\":%.6f,\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f}\n",
          scheme_name(scheme), simd_path_name(path), k, t_min, shingles / t_min / 1e6,
          text_mb / t_min);
      // The CPU backend's sketch: per document the shingle hashes, MinHash, band keys.
      ::setenv("DUPSCAN_SIMD", simd_path_name(path), 1);
      SketchParams params;
      params.shingle = shingle;
      params.perms = sp;
      params.lsh = lsh;
      auto cpu = make_cpu_backend(params);
      SketchBatch out;
      const double t_all = best_of(repeat, [&] { cpu->sketch(docs, out); });
      std::printf(
          "{\"what\":\"sketch_scheme\",\"scheme\":\"%s\",\"path\":\"%s\",\"num_perm\":%u,"
          "\"seconds\":%.6f,\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f,\"docs_per_s\":%.0f}\n",
          scheme_name(scheme), simd_path_name(path), k, t_all, shingles / t_all / 1e6,
          text_mb / t_all, docs.size() / t_all);
      if (path != supported_simd_paths().back()) continue;
      // The same with SHA-1 shingle hashes (--shingle-hash sha1), fastest SIMD path only.
      params.shingle_hash = ShingleHash::sha1;
      auto cpu_sha1 = make_cpu_backend(params);
      const double t_sha1 = best_of(repeat, [&] { cpu_sha1->sketch(docs, out); });
      std::printf(
          "{\"what\":\"sketch_scheme_sha1\",\"scheme\":\"%s\",\"path\":\"%s\",\"sha1_path\":"
          "\"%s\",\"num_perm\":%u,\"seconds\":%.6f,\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f,"
          "\"docs_per_s\":%.0f}\n",
          scheme_name(scheme), simd_path_name(path),
          detail::sha1_path_name(detail::active_sha1_path()), k, t_sha1, shingles / t_sha1 / 1e6,
          text_mb / t_sha1, docs.size() / t_sha1);
    }
  }
  {
    SketchParams params;
    params.kind = SketchKind::fast;
    params.perms = perms;
    params.lsh = optimal_lsh_params(0.8, k);
    auto cpu = make_cpu_backend(params);
    SketchBatch out;
    const double t_fast = best_of(repeat, [&] { cpu->sketch(docs, out); });
    std::printf(
        "{\"what\":\"sketch\",\"path\":\"fast\",\"num_perm\":%u,\"seconds\":%.6f,"
        "\"mshingles_per_s\":%.3f,\"mb_per_s\":%.2f,\"docs_per_s\":%.0f}\n",
        k, t_fast, shingles / t_fast / 1e6, text_mb / t_fast, docs.size() / t_fast);
  }
  return 0;
}
