// --shingle-hash sha1: the SHA-1 of a shingle (include/dupscan/sha1.hpp, the scalar reference the
// CUDA kernels compile; src/host/sketch/sha1_ni.cpp, the SHA-NI path) against datasketch's
// sha1_hash32 / sha1_hash64 (tests/data/golden_sha1.json, from scripts/gen_golden.py: hashlib), the
// SHA-NI path against the scalar one on every length 0..200 and long ones, every MinHash scheme's
// signatures and band keys against datasketch's MinHash() constructed with no hashfunc.
#include <map>
#include <random>

#include "dupscan/backend.hpp"
#include "dupscan/spec.hpp"
#include "sketch/sha1_shingles.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using detail::Sha1Path;

const char* const kSchemes[] = {"affine32", "affine64", "legacy"};

simdjson::dom::element golden() {
  static simdjson::dom::parser parser;
  static const std::string text = test::read_file(test::test_data("golden_sha1.json"));
  static const simdjson::dom::element root = test::parse_json(parser, text);
  return root;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::uint64_t u64(simdjson::dom::element e) {
  if (e.is_string()) return std::stoull(std::string(std::string_view(e)));
  return std::uint64_t(e);
}

// The paths this CPU can run, scalar first; says on stdout which ones a test ran.
std::vector<Sha1Path> paths_here() {
  std::vector<Sha1Path> p{Sha1Path::scalar};
  if (detail::sha_ni_supported()) p.push_back(Sha1Path::shani);
  return p;
}

std::string path_names(const std::vector<Sha1Path>& paths) {
  std::string s;
  for (Sha1Path p : paths)
    s += std::string(s.empty() ? "" : ", ") + detail::sha1_path_name(p);
  return s;
}

TEST(Sha1, SpecAndEveryCpuPathMatchDatasketchsSha1Hashes) {
  const std::vector<Sha1Path> paths = paths_here();
  std::cout << "[ SHA-1 paths run: " << path_names(paths)
            << (paths.size() == 1 ? " (this CPU has no SHA extensions: SHA-NI not run)" : "")
            << " ]\n";
  RecordProperty("sha1_paths", path_names(paths));
  std::size_t checked = 0;
  for (simdjson::dom::element v : golden()["vectors"].get_array()) {
    const std::string data = from_hex(std::string_view(v["hex"]));
    const std::uint64_t want64 = u64(v["sha1_hash64"]);
    const std::uint32_t want32 = static_cast<std::uint32_t>(u64(v["sha1_hash32"]));
    EXPECT_EQ(spec::sha1_prefix64(data.data(), data.size()), want64) << "length " << data.size();
    EXPECT_EQ(spec::shingle_hash64(data.data(), data.size(), ShingleHash::sha1), want64);
    EXPECT_EQ(spec::shingle_hash(data.data(), data.size(), ShingleHash::sha1), want32)
        << "length " << data.size();
    for (Sha1Path p : paths) {
      EXPECT_EQ(detail::sha1_prefix64(data.data(), data.size(), p), want64)
          << detail::sha1_path_name(p) << ", length " << data.size();
    }
    ++checked;
  }
  EXPECT_GE(checked, 205u);
}

// The SHA-NI path against the scalar reference, bit for bit: every length 0..200 (the padding's
// one-block / two-block cut at 55/56, the block ends 63/64 and 119/120 among them), long ones,
// unaligned starts.
TEST(Sha1, ShaNiEqualsScalarOnEveryLengthAndOffset) {
  if (!detail::sha_ni_supported()) {
    GTEST_SKIP() << "this CPU has no SHA extensions: only the scalar SHA-1 path can run here";
  }
  std::cout << "[ comparing SHA-1 paths: scalar and shani ]\n";
  std::mt19937_64 rng(20261206);
  std::string buf(70000, '\0');
  for (char& c : buf)
    c = static_cast<char>(rng());
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 200; ++n)
    lengths.push_back(n);
  for (std::size_t n : {255, 256, 1000, 4095, 4096, 4097, 65536, 65599})
    lengths.push_back(n);
  std::size_t compared = 0;
  for (std::size_t n : lengths) {
    for (std::size_t off : {0, 1, 3, 17}) {
      ASSERT_EQ(detail::sha1_prefix64(buf.data() + off, n, Sha1Path::shani),
                spec::sha1_prefix64(buf.data() + off, n))
          << "length " << n << " offset " << off;
      ++compared;
    }
  }
  EXPECT_EQ(compared, lengths.size() * 4);
}

// shingle_hashes / shingle_hashes64 with sha1 (the word-start path, char shingles, the one-shingle
// document) equal the scalar spec function of each shingle for_each_shingle enumerates.
TEST(Sha1, ShingleHashesEqualTheSpecPerShingle) {
  const std::string texts[] = {"",
                               "one",
                               "two words",
                               "the quick brown fox jumps over the lazy dog and then some more",
                               "ΣΊΣΥΦΟΣ και η πέτρα 東京都は日本の首都です 😀 end",
                               std::string(300, 'x') + " " + std::string(70, 'y') + " z"};
  for (const char* sh : {"word:1", "word:5", "word:13", "char:3", "char:9"}) {
    const ShingleSpec spec_ = ShingleSpec::parse(sh);
    for (const std::string& t : texts) {
      std::vector<std::uint64_t> want;
      for_each_shingle(t.data(), t.size(), spec_.kind, spec_.n, [&](const char* s, std::size_t n) {
        want.push_back(spec::sha1_prefix64(s, n));
      });
      std::vector<std::uint64_t> got64;
      std::vector<std::uint32_t> got32;
      shingle_hashes64(t, spec_, got64, ShingleHash::sha1);
      shingle_hashes(t, spec_, got32, ShingleHash::sha1);
      EXPECT_EQ(got64, want) << sh << ": " << t;
      ASSERT_EQ(got32.size(), want.size());
      for (std::size_t i = 0; i < want.size(); ++i)
        EXPECT_EQ(got32[i], static_cast<std::uint32_t>(want[i])) << sh << ": " << t;
      // xxh64 stays the default.
      std::vector<std::uint64_t> xx;
      shingle_hashes64(t, spec_, xx);
      if (!want.empty()) EXPECT_NE(xx, want);
    }
  }
}

// Every scheme's signature and band keys of the sample texts equal datasketch's
// MinHash(num_perm=K, seed=S, scheme=SCHEME) built with no hashfunc -- on the CPU, and on
// cuda-host where this build has it.
TEST(Sha1, SignaturesEqualDatasketchsDefaultConstruction) {
  std::size_t checked = 0;
  for (simdjson::dom::element rec : golden()["sketches"].get_array()) {
    const std::string norm = test::str(rec["normalized"]);
    NormalizedBatch batch;
    batch.add(norm);
    for (const char* scheme : kSchemes) {
      SketchParams p;
      p.shingle = ShingleSpec::parse(std::string_view(rec["shingle"]));
      p.perms = make_permutations(static_cast<std::uint32_t>(std::uint64_t(rec["num_perm"])),
                                  static_cast<std::uint32_t>(std::uint64_t(rec["seed"])),
                                  *parse_scheme(scheme));
      p.lsh = {static_cast<std::uint32_t>(std::uint64_t(rec["bands"])),
               static_cast<std::uint32_t>(std::uint64_t(rec["rows"]))};
      p.shingle_hash = ShingleHash::sha1;
      std::vector<std::uint64_t> want_sig, want_keys;
      for (auto v : rec[scheme]["signature"].get_array())
        want_sig.push_back(u64(v));
      for (auto v : rec[scheme]["band_keys"].get_array())
        want_keys.push_back(u64(v));
      std::vector<std::string> backends{"cpu"};
      if (have_cuda_host_backend()) backends.push_back("cuda-host");
      for (const std::string& name : backends) {
        auto b = make_backend(name, p).backend;
        SketchBatch out;
        b->sketch(batch, out);
        std::vector<std::uint64_t> sig(out.signatures.begin(), out.signatures.end());
        if (std::string(scheme) == "affine64") sig = out.signatures64;
        const std::string what =
            name + " " + scheme + " " + test::str(rec["name"]) + " " + test::str(rec["config"]);
        EXPECT_EQ(sig, want_sig) << what;
        EXPECT_EQ(out.shingle_counts.at(0), std::uint64_t(rec["shingle_count"])) << what;
        if (!want_keys.empty()) EXPECT_EQ(out.band_keys, want_keys) << what;
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 60u);
}

}  // namespace
}  // namespace dupscan
