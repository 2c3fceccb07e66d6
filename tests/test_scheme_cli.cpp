// --scheme end to end, on the built binary: for every scheme, the signatures --write-signatures
// writes and the MinHash estimates --no-verify reports equal datasketch 2.0.0's (golden vectors
// from scripts/gen_golden.py: real text from ../shared/data with planted copies, and the example
// corpus); the default is affine32; --scheme with --sketch fast is a usage error; an index
// remembers its scheme, a run against it with another one is refused, and an index made before
// the schemes is a legacy one.
#include <xxhash.h>

#include <map>
#include <set>

#include "test_util.hpp"

namespace dupscan {
namespace {

using test::run_dupscan;
using test::shell_quote;

const char* const kSchemes[] = {"affine32", "affine64", "legacy"};
const std::string kExamples = std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz";

// golden_end_to_end.json, parsed once (the parser owns the elements).
simdjson::dom::element golden() {
  static simdjson::dom::parser parser;
  static const std::string text = test::read_file(test::test_data("golden_end_to_end.json"));
  static const simdjson::dom::element root = test::parse_json(parser, text);
  return root;
}

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
      s.signature.push_back(std::uint64_t(v));  // a JSON integer, up to 2^64 - 1 (affine64)
    out.push_back(std::move(s));
  }
  return out;
}

struct DuplicateLine {
  std::string id, kept, kind;
  double jaccard = 0;
};

std::vector<DuplicateLine> read_duplicates(const std::string& path) {
  simdjson::dom::parser parser;
  std::vector<DuplicateLine> out;
  for (const std::string& line : test::lines_of(test::read_file(path))) {
    auto d = test::parse_json(parser, line);
    out.push_back({test::str(d["id"]), test::str(d["duplicate_of"]), test::str(d["kind"]),
                   double(d["jaccard"])});
  }
  return out;
}

std::pair<std::string, std::string> unordered(const std::string& a, const std::string& b) {
  return a < b ? std::make_pair(a, b) : std::make_pair(b, a);
}

// datasketch's MinHash.jaccard: the share of positions where two signatures agree.
double estimate(const std::vector<std::uint64_t>& a, const std::vector<std::uint64_t>& b) {
  std::size_t equal = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    equal += a[i] == b[i];
  return double(equal) / double(a.size());
}

std::string report_field(const std::string& dir, const char* key) {
  simdjson::dom::parser parser;
  auto rep = test::parse_json(parser, test::read_file(dir + "/report.json"));
  simdjson::dom::element v;
  if (rep["parameters"][key].get(v)) return "(missing)";
  if (v.is_null()) return "null";
  return std::string(std::string_view(v));
}

// dedup --no-verify --write-signatures on the real-text corpus, under every scheme (affine32 by
// default, without --scheme): every signature equals datasketch's, and every near duplicate's
// Jaccard is datasketch's MinHash.jaccard of the two documents.
TEST(SchemeCli, SignaturesAndEstimatesEqualDatasketchOnRealText) {
  test::TempDir dir;
  const std::string corpus = test::test_data("e2e_corpus.jsonl");
  for (const char* scheme : kSchemes) {
    SCOPED_TRACE(scheme);
    const std::string out = dir / (std::string("out-") + scheme);
    const std::string sigs = dir / (std::string("sigs-") + scheme + ".jsonl");
    // Bands of 4 rows: the near copies (estimates 0.3-0.9) all become candidates.
    const std::string scheme_arg =
        std::string(scheme) == "affine32" ? "" : std::string(" --scheme ") + scheme;
    const auto r = run_dupscan("dedup " + shell_quote(corpus) + " -o " + shell_quote(out) +
                               " --no-verify --bands 32 --rows 4 --threads 2" + scheme_arg +
                               " --write-signatures " + shell_quote(sigs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find(std::string("MinHash ") + scheme), std::string::npos) << r.err;
    EXPECT_EQ(report_field(out, "scheme"), scheme);
    EXPECT_EQ(report_field(out, "minhash").rfind(std::string("datasketch ") + scheme, 0), 0u);
    EXPECT_EQ(report_field(out, "shingle_hash"), std::string(scheme) == "affine64"
                                                     ? "XXH64(seed 0), all 64 bits"
                                                     : "low 32 bits of XXH64(seed 0)");

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
    for (simdjson::dom::element p : g["jaccard"].get_array()) {
      theirs[unordered(test::str(p.at(0)), test::str(p.at(1)))] = double(p.at(2));
    }
    std::size_t near = 0, exact = 0;
    for (const DuplicateLine& d : read_duplicates(out + "/duplicates.jsonl")) {
      if (d.kind == "exact") {
        EXPECT_EQ(d.jaccard, 1.0) << d.id;
        ++exact;
        continue;
      }
      const auto it = theirs.find(unordered(d.id, d.kept));
      // datasketch's estimate, exactly (both are k/128); a pair it does not list has 0.
      EXPECT_EQ(d.jaccard, it == theirs.end() ? 0.0 : it->second) << d.id << " ~ " << d.kept;
      EXPECT_EQ(d.jaccard, estimate(by_id.at(d.id)->signature, by_id.at(d.kept)->signature));
      ++near;
    }
    EXPECT_EQ(exact, 2u);
    EXPECT_GE(near, 12u);
  }
}

// The example corpus (12,850 documents): each scheme's signatures, digested per 128 documents,
// equal datasketch's; each near duplicate's Jaccard is the estimate of the written signatures,
// and for planted pairs it is datasketch's MinHash.jaccard.
TEST(SchemeCli, ExampleCorpusSignaturesAndEstimatesEqualDatasketch) {
  test::TempDir dir;
  std::map<std::pair<std::string, std::string>, std::size_t> planted;
  {
    std::size_t i = 0;
    for (simdjson::dom::element p : golden()["planted"].get_array()) {
      planted[unordered(test::str(p.at(0)), test::str(p.at(1)))] = i++;
    }
  }
  const std::uint64_t chunk = golden()["chunk"];
  for (const char* scheme : kSchemes) {
    SCOPED_TRACE(scheme);
    const std::string out = dir / (std::string("out-") + scheme);
    const std::string sigs = dir / (std::string("sigs-") + scheme + ".jsonl");
    const auto r =
        run_dupscan("dedup " + shell_quote(kExamples) + " -o " + shell_quote(out) +
                    " --no-verify --scheme " + scheme + " --write-signatures " + shell_quote(sigs));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const simdjson::dom::element g = golden()["examples"][scheme];
    const std::vector<SignatureLine> mine = read_signatures(sigs);
    const bool wide = std::string(scheme) == "affine64";
    std::size_t c = 0, total = 0;
    for (simdjson::dom::element want : g["chunks"].get_array()) {
      const std::size_t first = c * chunk, n = std::uint64_t(want["documents"]);
      ASSERT_LE(first + n, mine.size());
      std::string bytes;
      std::uint64_t shingles = 0;
      for (std::size_t d = first; d < first + n; ++d) {
        shingles += mine[d].shingles;
        for (std::uint64_t v : mine[d].signature) {
          if (wide) {
            bytes.append(reinterpret_cast<const char*>(&v), 8);  // little-endian hosts
          } else {
            const std::uint32_t v32 = static_cast<std::uint32_t>(v);
            EXPECT_EQ(v32, v);
            bytes.append(reinterpret_cast<const char*>(&v32), 4);
          }
        }
      }
      EXPECT_EQ(shingles, std::uint64_t(want["shingles"])) << "documents " << first << "+" << n;
      EXPECT_EQ(std::to_string(XXH64(bytes.data(), bytes.size(), 0)), test::str(want["xxh64"]))
          << "signatures of documents " << first << "+" << n;
      ++c;
      total += n;
    }
    EXPECT_EQ(total, mine.size());

    std::map<std::string, const SignatureLine*> by_id;
    for (const SignatureLine& s : mine)
      by_id[s.id] = &s;
    const simdjson::dom::array theirs = g["planted_jaccard"].get_array();
    std::size_t near = 0, checked = 0;
    for (const DuplicateLine& d : read_duplicates(out + "/duplicates.jsonl")) {
      if (d.kind != "near") continue;
      ++near;
      EXPECT_EQ(d.jaccard, estimate(by_id.at(d.id)->signature, by_id.at(d.kept)->signature))
          << d.id;
      const auto p = planted.find(unordered(d.id, d.kept));
      if (p == planted.end()) continue;
      EXPECT_EQ(d.jaccard, double(theirs.at(p->second))) << d.id << " ~ " << d.kept;
      ++checked;
    }
    EXPECT_GE(near, 300u);
    EXPECT_GE(checked, 250u) << "of " << near << " near duplicates";
  }
}

TEST(SchemeCli, HelpNamesTheSchemes) {
  const auto h = run_dupscan("dedup --help");
  ASSERT_EQ(h.exit_code, 0);
  for (const char* s :
       {"--scheme", "affine32", "affine64", "legacy", "datasketch 2.0", "--sketch fast", "2^53"}) {
    EXPECT_NE(h.out.find(s), std::string::npos) << s;
  }
  const auto b = run_dupscan("index build --help");
  EXPECT_NE(b.out.find("--scheme"), std::string::npos) << b.out;
}

// --sketch fast has no permutations: an explicit --scheme with it is a usage error (exit 2, no
// output), and its report.json says it has no scheme.
TEST(SchemeCli, SchemeWithTheFastSketchIsAUsageError) {
  test::TempDir dir;
  const std::string in = shell_quote(test::test_data("e2e_corpus.jsonl"));
  for (const std::string args :
       {"dedup " + in + " -o " + shell_quote(dir / "o") + " --sketch fast --scheme legacy",
        "dedup " + in + " -o " + shell_quote(dir / "o") + " --scheme affine32 --sketch fast",
        "index build " + in + " --index " + shell_quote(dir / "idx") +
            " --sketch fast --scheme affine64"}) {
    const auto r = run_dupscan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("--scheme applies to --sketch compat only"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(test::file_exists(dir / "o"));
  EXPECT_FALSE(test::file_exists(dir / "idx"));
  const auto bad = run_dupscan("dedup " + in + " -o " + shell_quote(dir / "o") + " --scheme x");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("affine32"), std::string::npos) << bad.err;

  const auto fast = run_dupscan("dedup " + in + " -o " + shell_quote(dir / "f") + " --sketch fast");
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(report_field(dir / "f", "scheme"), "null");
  EXPECT_NE(report_field(dir / "f", "minhash").find("--scheme does not apply"), std::string::npos);
  EXPECT_NE(fast.err.find("fast sketch"), std::string::npos) << fast.err;
}

// Three files of the real-text corpus: the index's, the new one's, one more for index add.
struct Parts {
  std::string a, b, c;
};

Parts split_corpus(const test::TempDir& dir) {
  const auto lines = test::lines_of(test::read_file(test::test_data("e2e_corpus.jsonl")));
  std::string a, b, c;
  for (std::size_t i = 0; i < lines.size(); ++i)
    (i < 26 ? a : i < 40 ? b : c) += lines[i] + "\n";
  test::write_file(dir / "a.jsonl", a);
  test::write_file(dir / "b.jsonl", b);
  test::write_file(dir / "c.jsonl", c);
  return {dir / "a.jsonl", dir / "b.jsonl", dir / "c.jsonl"};
}

// The index records its scheme: dedup --against takes it when not given and refuses another.
TEST(SchemeCli, IndexRemembersItsSchemeAndRefusesAnother) {
  test::TempDir dir;
  const Parts p = split_corpus(dir);
  const auto build = run_dupscan("index build " + shell_quote(p.a) + " --index " +
                                 shell_quote(dir / "idx") + " --scheme affine64 --threshold 0.6");
  ASSERT_EQ(build.exit_code, 0) << build.err;
  EXPECT_NE(test::read_file(dir / "idx/index.json").find("\"scheme\": \"affine64\""),
            std::string::npos);
  const auto ok = run_dupscan("dedup " + shell_quote(p.b) + " --against " +
                              shell_quote(dir / "idx") + " -o " + shell_quote(dir / "o"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(report_field(dir / "o", "scheme"), "affine64");
  EXPECT_NE(test::read_file(dir / "o/report.json").find("\"--scheme affine64\""),
            std::string::npos);
  // The new near copies of indexed documents (true Jaccard 0.68-0.92) are found through the
  // index's affine64 band keys: 9 of the 13.
  EXPECT_GE(read_duplicates(dir / "o/duplicates.jsonl").size(), 8u);

  const auto same =
      run_dupscan("dedup " + shell_quote(p.b) + " --against " + shell_quote(dir / "idx") + " -o " +
                  shell_quote(dir / "o2") + " --scheme affine64");
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(test::read_file(dir / "o/duplicates.jsonl"),
            test::read_file(dir / "o2/duplicates.jsonl"));
  for (const char* other : {"affine32", "legacy"}) {
    const auto r =
        run_dupscan("dedup " + shell_quote(p.b) + " --against " + shell_quote(dir / "idx") +
                    " -o " + shell_quote(dir / "o3") + " --scheme " + other);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(std::string("--scheme ") + other + " (the index: affine64)"),
              std::string::npos)
        << r.err;
    EXPECT_FALSE(test::file_exists(dir / "o3"));
  }
}

// An index made before the schemes (its manifest names none) is a legacy one: dedup --against
// takes legacy, and index add sketches with legacy -- not the affine32 default.
TEST(SchemeCli, IndexWithoutASchemeIsLegacy) {
  test::TempDir dir;
  const Parts p = split_corpus(dir);
  for (const char* name : {"legacy", "old", "affine32"}) {
    const std::string idx = dir / (std::string("idx-") + name);
    const std::string scheme = std::string(name) == "affine32" ? "affine32" : "legacy";
    const auto b = run_dupscan("index build " + shell_quote(p.a) + " --index " + shell_quote(idx) +
                               " --scheme " + scheme);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    if (std::string(name) == "old") {
      std::string m = test::without_manifest_checksum(test::read_file(idx + "/index.json"));
      const std::string field = "\"scheme\": \"legacy\",";
      const auto at = m.find(field);
      ASSERT_NE(at, std::string::npos) << m;
      m.erase(at, field.size());
      test::write_file(idx + "/index.json", m);
    }
    const auto add = run_dupscan("index add " + shell_quote(p.c) + " --index " + shell_quote(idx));
    ASSERT_EQ(add.exit_code, 0) << add.err;
  }
  // The added segments: legacy's band keys for the old index, not affine32's.
  const std::string seg = "/segment-000001.bin";
  EXPECT_EQ(test::read_file(dir / ("idx-old" + seg)), test::read_file(dir / ("idx-legacy" + seg)));
  EXPECT_NE(test::read_file(dir / ("idx-old" + seg)),
            test::read_file(dir / ("idx-affine32" + seg)));

  // A run against a scheme-less manifest adopts legacy, and refuses another scheme.
  const std::string old = dir / "idx-old2";
  ASSERT_EQ(run_dupscan("index build " + shell_quote(p.a) + " --index " + shell_quote(old) +
                        " --scheme legacy")
                .exit_code,
            0);
  std::string m = test::without_manifest_checksum(test::read_file(old + "/index.json"));
  m.erase(m.find("\"scheme\": \"legacy\","), std::string("\"scheme\": \"legacy\",").size());
  test::write_file(old + "/index.json", m);
  const auto r = run_dupscan("dedup " + shell_quote(p.b) + " --against " + shell_quote(old) +
                             " -o " + shell_quote(dir / "o"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(report_field(dir / "o", "scheme"), "legacy");
  EXPECT_NE(r.err.find("--scheme legacy"), std::string::npos) << r.err;  // "from the index"
  const auto mismatch = run_dupscan("dedup " + shell_quote(p.b) + " --against " + shell_quote(old) +
                                    " -o " + shell_quote(dir / "o4") + " --scheme affine32");
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_NE(mismatch.err.find("--scheme affine32 (the index: legacy)"), std::string::npos)
      << mismatch.err;
  // A scheme this dupscan does not know is a damaged manifest, not a guess.
  m = test::without_manifest_checksum(test::read_file(dir / "idx-legacy/index.json"));
  m.replace(m.find("\"legacy\""), 8, "\"affine16\"");
  test::write_file(dir / "idx-legacy/index.json", m);
  const auto unknown =
      run_dupscan("dedup " + shell_quote(p.b) + " --against " + shell_quote(dir / "idx-legacy") +
                  " -o " + shell_quote(dir / "o5"));
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("affine16"), std::string::npos) << unknown.err;
}

}  // namespace
}  // namespace dupscan
