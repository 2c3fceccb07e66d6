// --shingle-hash sha1: the SHA-1 of a shingle (include/dupscan/sha1.hpp, the scalar reference the
// CUDA kernels compile; src/host/sketch/sha1_ni.cpp, the SHA-NI path) against datasketch's
// sha1_hash32 / sha1_hash64 (tests/data/golden_sha1.json, from scripts/gen_golden.py: hashlib), the
// SHA-NI path against the scalar one on every length 0..200 and long ones, every MinHash scheme's
// signatures and band keys against datasketch's MinHash() constructed with no hashfunc, and the
// option end to end on the built binary: signatures and --no-verify estimates of real text equal
// datasketch's, report.json names it, the fast sketch refuses it, an index remembers it.
#include <map>
#include <random>

#include "dupscan/backend.hpp"
#include "dupscan/spec.hpp"
#include "sketch/sha1_shingles.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using detail::Sha1Path;
using test::run_dupscan;
using test::shell_quote;

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

// ---- end to end
// ------------------------------------------------------------------------------------

struct SignatureLine {
  std::string id;
  std::uint64_t shingles = 0;
  std::vector<std::uint64_t> signature;
};

std::vector<SignatureLine> read_signatures(const std::string& path) {
  simdjson::dom::parser parser;
  std::vector<SignatureLine> out;
  for (const std::string& line : test::lines_of(test::read_file(path))) {
    auto rec = test::parse_json(parser, line);
    SignatureLine s;
    s.id = test::str(rec["id"]);
    s.shingles = std::uint64_t(rec["shingles"]);
    for (auto v : rec["signature"].get_array())
      s.signature.push_back(std::uint64_t(v));
    out.push_back(std::move(s));
  }
  return out;
}

std::pair<std::string, std::string> unordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

std::string report_field(const std::string& dir, const char* key) {
  simdjson::dom::parser parser;
  auto rep = test::parse_json(parser, test::read_file(dir + "/report.json"));
  simdjson::dom::element v;
  if (rep["parameters"][key].get(v)) return "(missing)";
  if (v.is_null()) return "null";
  return std::string(std::string_view(v));
}

// dedup --shingle-hash sha1 --no-verify --write-signatures on the real-text corpus, every scheme:
// each signature is datasketch's default MinHash's, each near duplicate's Jaccard datasketch's
// MinHash.jaccard; both CPU paths (DUPSCAN_SHA1) write the same bytes, and the summary names the
// path that ran.
TEST(Sha1Cli, SignaturesAndEstimatesEqualDatasketchsDefaultOnRealText) {
  test::TempDir dir;
  const std::string corpus = test::test_data("e2e_corpus.jsonl");
  for (const char* scheme : kSchemes) {
    SCOPED_TRACE(scheme);
    const std::string out = dir / (std::string("out-") + scheme);
    const std::string sigs = dir / (std::string("sigs-") + scheme + ".jsonl");
    const std::string args =
        " --no-verify --bands 32 --rows 4 --threads 2 --backend cpu --scheme " +
        std::string(scheme) + " --shingle-hash sha1";
    const auto r = run_dupscan("dedup " + shell_quote(corpus) + " -o " + shell_quote(out) + args +
                               " --write-signatures " + shell_quote(sigs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("SHA-1"), std::string::npos) << r.err;
    EXPECT_EQ(report_field(out, "shingle_hash_function"), "sha1");
    EXPECT_EQ(
        report_field(out, "shingle_hash")
            .rfind(std::string("first ") + (std::string(scheme) == "affine64" ? "8 bytes of SHA-1"
                                                                              : "4 bytes of SHA-1"),
                   0),
        0u)
        << report_field(out, "shingle_hash");

    const simdjson::dom::element g = golden()["corpus"][scheme];
    const std::vector<SignatureLine> mine = read_signatures(sigs);
    std::map<std::string, const SignatureLine*> by_id;
    std::size_t i = 0;
    for (simdjson::dom::element d : g["documents"].get_array()) {
      ASSERT_LT(i, mine.size());
      const SignatureLine& s = mine[i++];
      EXPECT_EQ(s.id, test::str(d["id"]));
      EXPECT_EQ(s.shingles, std::uint64_t(d["shingles"])) << s.id;
      std::vector<std::uint64_t> want;
      for (auto v : d["signature"].get_array())
        want.push_back(std::uint64_t(v));
      EXPECT_EQ(s.signature, want) << s.id;
      by_id[s.id] = &s;
    }
    EXPECT_EQ(i, mine.size());

    std::map<std::pair<std::string, std::string>, double> theirs;
    for (simdjson::dom::element p : g["jaccard"].get_array())
      theirs[unordered(test::str(p.at(0)), test::str(p.at(1)))] = double(p.at(2));
    simdjson::dom::parser parser;
    std::size_t near = 0;
    for (const std::string& line : test::lines_of(test::read_file(out + "/duplicates.jsonl"))) {
      auto d = test::parse_json(parser, line);
      if (test::str(d["kind"]) != "near") continue;
      const auto it = theirs.find(unordered(test::str(d["id"]), test::str(d["duplicate_of"])));
      EXPECT_EQ(double(d["jaccard"]), it == theirs.end() ? 0.0 : it->second)
          << test::str(d["id"]) << " ~ " << test::str(d["duplicate_of"]);
      ++near;
    }
    EXPECT_GE(near, 12u);

    // The scalar path, forced: the same bytes, and the summary says which path ran.
    const std::string sigs2 = dir / (std::string("sigs2-") + scheme + ".jsonl");
    test::RunResult forced;
    {
      test::EnvVar scalar("DUPSCAN_SHA1", "scalar");
      forced = run_dupscan("dedup " + shell_quote(corpus) + " -o " +
                           shell_quote(dir / (std::string("o3-") + scheme)) + args +
                           " --write-signatures " + shell_quote(sigs2));
    }
    ASSERT_EQ(forced.exit_code, 0) << forced.err;
    EXPECT_NE(forced.err.find("SHA-1 shingle hashes (scalar)"), std::string::npos) << forced.err;
    EXPECT_EQ(test::read_file(sigs2), test::read_file(sigs));
    if (detail::sha_ni_supported()) {
      EXPECT_NE(r.err.find("SHA-1 shingle hashes (shani)"), std::string::npos) << r.err;
    }
  }
}

TEST(Sha1Cli, DefaultIsXxh64AndHelpNamesTheOption) {
  test::TempDir dir;
  const std::string corpus = test::test_data("e2e_corpus.jsonl");
  const auto r =
      run_dupscan("dedup " + shell_quote(corpus) + " -o " + shell_quote(dir / "o") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(report_field(dir / "o", "shingle_hash_function"), "xxh64");
  for (const char* cmd : {"dedup --help", "index build --help"}) {
    const auto h = run_dupscan(cmd);
    EXPECT_NE(h.out.find("--shingle-hash"), std::string::npos) << cmd;
  }
  const auto h = run_dupscan("dedup --help");
  EXPECT_NE(h.out.find("--shingle-hash sha1"), std::string::npos) << h.out;
  // contam has none, and its help says why.
  const auto c = run_dupscan("contam --help");
  EXPECT_NE(c.out.find("contam takes no --scheme or\n--shingle-hash"), std::string::npos) << c.out;
  const auto ca =
      run_dupscan("contam --train " + shell_quote(corpus) + " --eval g=" + shell_quote(corpus) +
                  " -o " + shell_quote(dir / "c") + " --shingle-hash sha1");
  EXPECT_EQ(ca.exit_code, 2) << ca.err;
  const auto bad = run_dupscan("dedup " + shell_quote(corpus) + " -o " + shell_quote(dir / "b") +
                               " --shingle-hash md5");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// The fast sketch hashes its shingles its own way: --shingle-hash with it is a usage error (exit
// 2, nothing written), and its report.json names no shingle hash function.
TEST(Sha1Cli, ShingleHashWithTheFastSketchIsAUsageError) {
  test::TempDir dir;
  const std::string in = shell_quote(test::test_data("e2e_corpus.jsonl"));
  for (const std::string args :
       {"dedup " + in + " -o " + shell_quote(dir / "o") + " --sketch fast --shingle-hash sha1",
        "dedup " + in + " -o " + shell_quote(dir / "o") + " --shingle-hash xxh64 --sketch fast",
        "index build " + in + " --index " + shell_quote(dir / "idx") +
            " --sketch fast --shingle-hash sha1"}) {
    const auto r = run_dupscan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("--shingle-hash applies to --sketch compat only"), std::string::npos)
        << r.err;
  }
  EXPECT_FALSE(test::file_exists(dir / "o"));
  EXPECT_FALSE(test::file_exists(dir / "idx"));
  const auto fast =
      run_dupscan("dedup " + in + " -o " + shell_quote(dir / "f") + " --sketch fast -q");
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(report_field(dir / "f", "shingle_hash_function"), "null");
}

// An index records its shingle hash: dedup --against takes it when not given and refuses
// another; index add sketches with it; an index written before the option is an xxh64 one.
TEST(Sha1Cli, IndexRemembersItsShingleHashAndRefusesAnother) {
  test::TempDir dir;
  const auto lines = test::lines_of(test::read_file(test::test_data("e2e_corpus.jsonl")));
  std::string a, b;
  for (std::size_t i = 0; i < lines.size(); ++i)
    (i < 26 ? a : b) += lines[i] + "\n";
  test::write_file(dir / "a.jsonl", a);
  test::write_file(dir / "b.jsonl", b);
  const std::string idx = dir / "idx";
  const auto build = run_dupscan("index build " + shell_quote(dir / "a.jsonl") + " --index " +
                                 shell_quote(idx) + " --shingle-hash sha1 --threshold 0.6 -q");
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_NE(test::read_file(idx + "/index.json").find("\"shingle_hash\": \"sha1\""),
            std::string::npos);
  const auto ok = run_dupscan("dedup " + shell_quote(dir / "b.jsonl") + " --against " +
                              shell_quote(idx) + " -o " + shell_quote(dir / "o") + " -q");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(report_field(dir / "o", "shingle_hash_function"), "sha1");
  EXPECT_NE(test::read_file(dir / "o/report.json").find("\"--shingle-hash sha1\""),
            std::string::npos);
  // The same run with sha1 given finds the same; sketched with xxh64 keys, it would find none of
  // the near copies through the index.
  const auto same =
      run_dupscan("dedup " + shell_quote(dir / "b.jsonl") + " --against " + shell_quote(idx) +
                  " -o " + shell_quote(dir / "o2") + " --shingle-hash sha1 -q");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(test::read_file(dir / "o/duplicates.jsonl"),
            test::read_file(dir / "o2/duplicates.jsonl"));
  const auto other =
      run_dupscan("dedup " + shell_quote(dir / "b.jsonl") + " --against " + shell_quote(idx) +
                  " -o " + shell_quote(dir / "o3") + " --shingle-hash xxh64");
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("--shingle-hash xxh64 (the index: sha1)"), std::string::npos)
      << other.err;
  EXPECT_FALSE(test::file_exists(dir / "o3"));
  // index add: the index's sha1, whatever the defaults say.
  const auto add =
      run_dupscan("index add " + shell_quote(dir / "b.jsonl") + " --index " + shell_quote(idx));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(test::read_file(idx + "/index.json").find("\"shingle_hash\": \"sha1\""),
            std::string::npos);

  // A manifest without the field (written before --shingle-hash) is read as xxh64.
  const std::string old = dir / "old";
  ASSERT_EQ(run_dupscan("index build " + shell_quote(dir / "a.jsonl") + " --index " +
                        shell_quote(old) + " -q")
                .exit_code,
            0);
  std::string m = test::without_manifest_checksum(test::read_file(old + "/index.json"));
  const std::string field = "\"shingle_hash\": \"xxh64\",";
  const auto at = m.find(field);
  ASSERT_NE(at, std::string::npos) << m;
  m.erase(at, field.size());
  test::write_file(old + "/index.json", m);
  const auto from_old = run_dupscan("dedup " + shell_quote(dir / "b.jsonl") + " --against " +
                                    shell_quote(old) + " -o " + shell_quote(dir / "o4") + " -q");
  ASSERT_EQ(from_old.exit_code, 0) << from_old.err;
  EXPECT_EQ(report_field(dir / "o4", "shingle_hash_function"), "xxh64");
  const auto refused =
      run_dupscan("dedup " + shell_quote(dir / "b.jsonl") + " --against " + shell_quote(old) +
                  " -o " + shell_quote(dir / "o5") + " --shingle-hash sha1");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("(the index: xxh64)"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace dupscan
