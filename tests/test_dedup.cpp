// run_dedup as a library call: outputs, clusters, policies, determinism, failures.
#include <map>
#include <optional>
#include <random>
#include <set>

#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "examples.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/record.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

const std::string kBase =
    "The committee met on Tuesday to review the budget for the coming year and agreed that the "
    "library renovation should be finished before the winter term begins, while the sports hall "
    "repairs will wait until spring because the contractor cannot start earlier than March and "
    "the insurance claim for the storm damage has not been settled yet by the regional office";

const std::string kOther =
    "A small fishing village on the northern coast has become popular with painters, who come "
    "for the light in late summer and stay in the old harbour houses that the families rent out "
    "when the boats are away; the local council now worries about parking and about the noise "
    "of the evening markets that run along the quay until midnight every weekend in August";

std::string record(const std::string& id, const std::string& text) {
  std::string line = "{\"id\":\"" + id + "\",\"text\":";
  append_json_string(line, text);
  return line + "}\n";
}

std::string replace_word(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  return text.replace(pos, from.size(), to);
}

DedupConfig config_for(const test::TempDir& dir, std::vector<std::string> inputs) {
  DedupConfig cfg;
  cfg.inputs = std::move(inputs);
  cfg.output_dir = dir / "out";
  cfg.threads = 2;
  cfg.backend = "cpu";
  return cfg;
}

void expect_small_corpus(const test::TempDir& dir, const DedupResult& r, Scheme scheme);

// The checks the CLI, the Python package and validate() share (lsh_option, check_sketch_options).
TEST(Dedup, ExplicitBandsAndRowsAreCheckedBeforeNarrowing) {
  auto message = [](std::optional<long long> b, std::optional<long long> r) -> std::string {
    try {
      lsh_option(b, r, 128);
    } catch (const UsageError& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_FALSE(lsh_option(std::nullopt, std::nullopt, 128).has_value());
  const auto lsh = lsh_option(16, 8, 128);
  ASSERT_TRUE(lsh.has_value());
  EXPECT_EQ(lsh->bands, 16u);
  EXPECT_EQ(lsh->rows, 8u);
  EXPECT_EQ(message(0, 4), "--bands must be >= 1, got 0");
  EXPECT_EQ(message(std::nullopt, -1), "--rows must be >= 1, got -1");
  EXPECT_EQ(message(20, std::nullopt), "--bands and --rows go together: give both or neither");
  EXPECT_EQ(message(20, 10), "--bands x --rows (20 x 10) must not exceed --num-perm (128)");
  // 2^32 + 1 would be 1 in 32 bits; 2^32 x 2^32 would overflow 64.
  const long long big = (1LL << 32) + 1;
  EXPECT_NE(message(big, 1).find("must not exceed --num-perm (128)"), std::string::npos);
  EXPECT_NE(message(1LL << 32, 1LL << 32).find("must not exceed"), std::string::npos);
  DedupConfig cfg;
  cfg.inputs = {"in.jsonl"};
  cfg.output_dir = "out";
  cfg.lsh = LshParams{0, 4};
  EXPECT_THROW(cfg.validate(), UsageError);
}

TEST(Dedup, SchemeAndShingleHashGoWithTheCompatSketchOnly) {
  EXPECT_NO_THROW(check_sketch_options(SketchKind::compat, true, true));
  EXPECT_NO_THROW(check_sketch_options(SketchKind::fast, false, false));
  try {
    check_sketch_options(SketchKind::fast, true, false);
    ADD_FAILURE() << "--scheme with --sketch fast passed";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), kSchemeFastMessage);
  }
  try {
    check_sketch_options(SketchKind::fast, false, true);
    ADD_FAILURE() << "--shingle-hash with --sketch fast passed";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), kShingleHashFastMessage);
  }
}

TEST(Dedup, SmallCorpusExactNearEmptyAndUnrelated) {
  test::TempDir dir;
  std::string in;
  in += record("a", kBase);
  in += record("b", kOther);
  in += record("blank-text",
               "  " + std::string(kBase.size(), ' ') + "\n");  // normalizes to nothing: empty
  in += record("a-copy", replace_word(kBase, "The committee", "THE COMMITTEE!!"));  // exact
  // Near: the last word changed, 1 of 57 shingles: Jaccard 56/58, a candidate of 9 x 13 bands
  // with probability 1 - (1 - (56/58)^13)^9 = 0.9999 whatever the permutations. (One word in the
  // middle, Jaccard 0.84, is one with probability 0.62: found with legacy's permutations, missed
  // with affine32's.)
  in += record("a-near", replace_word(kBase, "regional office", "regional council"));
  in += record("c", "completely different and short");
  in += "\n";  // blank line: not a record
  test::write_file(dir / "in.jsonl", in);
  for (Scheme scheme : {Scheme::affine32, Scheme::affine64, Scheme::legacy}) {
    SCOPED_TRACE(scheme_name(scheme));
    DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
    cfg.scheme = scheme;
    expect_small_corpus(dir, run_dedup(cfg), scheme);
  }
}

void expect_small_corpus(const test::TempDir& dir, const DedupResult& r, Scheme scheme) {
  EXPECT_EQ(r.counts.documents, 6u);
  EXPECT_EQ(r.counts.empty, 1u);
  EXPECT_EQ(r.counts.exact_duplicates, 1u);
  EXPECT_EQ(r.counts.near_duplicates, 1u);
  EXPECT_EQ(r.counts.clusters, 1u);
  EXPECT_EQ(r.counts.kept, 4u);
  EXPECT_EQ(r.inputs[0].blank_lines, 1u);
  EXPECT_EQ(r.lsh.bands, 9u);
  const auto dups = test::lines_of(test::read_file(dir / "out/duplicates.jsonl"));
  ASSERT_EQ(dups.size(), 2u);
  EXPECT_EQ(dups[0],
            R"({"id":"a-copy","duplicate_of":"a","cluster":0,"kind":"exact","jaccard":1})");
  EXPECT_EQ(dups[1].substr(0, 68),
            R"({"id":"a-near","duplicate_of":"a","cluster":0,"kind":"near","jaccard)");
  EXPECT_EQ(test::read_file(dir / "out/clusters.jsonl"),
            "{\"cluster\":0,\"kept\":\"a\",\"members\":[\"a\",\"a-copy\",\"a-near\"]}\n");
  simdjson::dom::parser parser;
  const std::string report = test::read_file(dir / "out/report.json");
  auto rep = test::parse_json(parser, report);
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 6u);
  EXPECT_EQ(std::uint64_t(rep["parameters"]["bands"]), 9u);
  EXPECT_EQ(std::string_view(rep["parameters"]["shingle"]), "word:5");
  EXPECT_EQ(std::string_view(rep["backend"]), "cpu");
  EXPECT_EQ(std::string_view(rep["inputs"].at(0)["compression"]), "none");
  EXPECT_EQ(std::string_view(rep["inputs"].at(0)["xxh3_64"]).size(), 16u);
  EXPECT_EQ(std::string_view(rep["parameters"]["scheme"]), scheme_name(scheme));
}

TEST(Dedup, JaccardOfNearDuplicateIsTheExactSetJaccard) {
  test::TempDir dir;
  // One substituted word in the middle of a 61-word text changes 5 of its 57 five-word shingles:
  // 52 shared of 62 in the union.
  const std::string near = replace_word(kBase, "Tuesday", "Wednesday");
  test::write_file(dir / "in.jsonl", record("a", kBase) + record("b", near));
  DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
  cfg.threshold = 0.7;
  // 32 bands of 4 rows: a candidate with probability 1 - (1 - 0.84^4)^32 > 0.99999999 (with
  // the 14 x 9 bands of T = 0.7: 0.96, and these two texts' affine32 signatures miss it).
  cfg.lsh = LshParams{32, 4};
  run_dedup(cfg);
  const std::string dups = test::read_file(dir / "out/duplicates.jsonl");
  std::string expected;
  append_double(expected, 52.0 / 62.0);
  EXPECT_NE(dups.find("\"jaccard\":" + expected + "}"), std::string::npos) << dups;
}

TEST(Dedup, ThresholdRejectsFalseCandidates) {
  test::TempDir dir;
  const std::string near = replace_word(kBase, "Tuesday", "Wednesday");  // J = 0.836
  test::write_file(dir / "in.jsonl", record("a", kBase) + record("b", near));
  DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
  cfg.threshold = 0.9;
  cfg.lsh = LshParams{64, 2};  // loose bands: the pair is a candidate, then rejected
  const DedupResult r = run_dedup(cfg);
  EXPECT_EQ(r.counts.candidate_pairs, 1u);
  EXPECT_EQ(r.counts.rejected_pairs, 1u);
  EXPECT_EQ(r.counts.near_duplicates, 0u);
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), "");
  // Without verification the same candidate is accepted, with the MinHash estimate.
  cfg.verify = false;
  const DedupResult nv = run_dedup(cfg);
  EXPECT_EQ(nv.counts.near_duplicates, 1u);
  EXPECT_NE(test::read_file(dir / "out/duplicates.jsonl").find("\"kind\":\"near\""),
            std::string::npos);
}

TEST(Dedup, KeepLongestAndJaccardWithTheKeptDocument) {
  test::TempDir dir;
  const std::string longer = kBase + " and everyone went home early";
  test::write_file(dir / "in.jsonl",
                   record("short", kBase) + record("long", longer) + record("copy", kBase));
  DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
  cfg.keep = KeepPolicy::longest;
  run_dedup(cfg);
  EXPECT_EQ(test::read_file(dir / "out/clusters.jsonl"),
            "{\"cluster\":0,\"kept\":\"long\",\"members\":[\"short\",\"long\",\"copy\"]}\n");
  const auto dups = test::lines_of(test::read_file(dir / "out/duplicates.jsonl"));
  ASSERT_EQ(dups.size(), 2u);
  // "copy" is an exact duplicate of "short", not of the kept "long": it is a near duplicate of
  // "long", with the Jaccard of its own text against the kept text.
  EXPECT_NE(dups[0].find(R"("id":"short","duplicate_of":"long","cluster":0,"kind":"near")"),
            std::string::npos);
  EXPECT_NE(dups[1].find(R"("id":"copy","duplicate_of":"long","cluster":0,"kind":"near")"),
            std::string::npos);
  EXPECT_EQ(dups[0].substr(dups[0].find("jaccard")), dups[1].substr(dups[1].find("jaccard")));
}

TEST(Dedup, DefaultIdsAreFileAndLine) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl",
                   "{\"text\":\"" + kBase + "\"}\n\n{\"text\":\"" + kBase + "\"}\n");
  run_dedup(config_for(dir, {dir / "in.jsonl"}));
  const std::string dups = test::read_file(dir / "out/duplicates.jsonl");
  EXPECT_NE(dups.find("\"id\":\"" + (dir / "in.jsonl") + ":3\",\"duplicate_of\":\"" +
                      (dir / "in.jsonl") + ":1\""),
            std::string::npos)
      << dups;
}

TEST(Dedup, BadRecordsAreSkippedAndCountedOrFatalWithStrict) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", record("a", kBase) + "{not json}\n[1,2]\n{\"body\":1}\n" +
                                         "{\"text\":7}\n{\"text\":\"\xff\"}\n" +
                                         record("b", kBase));
  DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
  std::vector<std::string> warnings;
  RunObserver obs;
  obs.warning = [&](const std::string& w) { warnings.push_back(w); };
  // 5 of 7 records skipped is more than the default 10%: an error naming the most common reason.
  try {
    run_dedup(cfg);
    FAIL() << "5 of 7 records skipped passed for a clean run";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("'" + (dir / "in.jsonl") + "': 5 of 7 records skipped " +
                                              "(71.4%, more than --max-skipped 10%)",
                                          0),
              0u)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(dir / "out")) << "the output directory was left behind";
  cfg.max_skipped = 1.0;
  const DedupResult r = run_dedup(cfg, obs);
  EXPECT_EQ(r.counts.documents, 2u);
  EXPECT_EQ(r.counts.skipped, 5u);
  EXPECT_EQ(r.counts.skipped_by_reason[int(SkipReason::malformed_json)], 1u);
  EXPECT_EQ(r.counts.skipped_by_reason[int(SkipReason::not_an_object)], 1u);
  EXPECT_EQ(r.counts.skipped_by_reason[int(SkipReason::missing_text_field)], 1u);
  EXPECT_EQ(r.counts.skipped_by_reason[int(SkipReason::text_not_string)], 1u);
  EXPECT_EQ(r.counts.skipped_by_reason[int(SkipReason::invalid_utf8)], 1u);
  // The first kMaxSkipWarnings (3) bad records one by one, each on one short line, then one line
  // counting the others of the input.
  ASSERT_EQ(warnings.size(), 4u);
  EXPECT_EQ(warnings[0].rfind((dir / "in.jsonl") + ":2: malformed JSON", 0), 0u) << warnings[0];
  EXPECT_EQ(warnings[2].rfind((dir / "in.jsonl") + ":4: no \"text\" field", 0), 0u) << warnings[2];
  EXPECT_EQ(warnings[3], (dir / "in.jsonl") +
                             ": ... and 2 more records skipped; report.json counts them by reason");
  for (const std::string& w : warnings) {
    EXPECT_EQ(w.find('\n'), std::string::npos) << w;
    EXPECT_LE(w.size(), (dir / "in.jsonl").size() + 6 + kMaxWarningReason + 16) << w;
  }
  EXPECT_EQ(r.counts.exact_duplicates, 1u);

  test::TempDir strict_dir;
  cfg.output_dir = strict_dir / "out";
  cfg.strict = true;
  try {
    run_dedup(cfg);
    FAIL() << "strict run succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir / "in.jsonl") + ":2: malformed JSON", 0), 0u)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(strict_dir / "out/duplicates.jsonl"));
  EXPECT_FALSE(test::file_exists(strict_dir / "out/report.json"));
}

TEST(Dedup, FailedRunLeavesEarlierOutputsIntact) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", record("a", kBase) + record("b", kBase));
  DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
  cfg.write_deduped = dir / "out/deduped.jsonl";
  run_dedup(cfg);
  const std::string before_dups = test::read_file(dir / "out/duplicates.jsonl");
  const std::string before_report = test::read_file(dir / "out/report.json");
  const std::string before_deduped = test::read_file(dir / "out/deduped.jsonl");
  // A truncated gzip after a good input: the run fails after reading part of the data.
  const std::string gz = test::gzip_bytes(std::string(200000, ' ') + record("c", kOther));
  test::write_file(dir / "bad.jsonl.gz", gz.substr(0, gz.size() - 20));
  cfg.inputs.push_back(dir / "bad.jsonl.gz");
  EXPECT_THROW(run_dedup(cfg), Error);
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), before_dups);
  EXPECT_EQ(test::read_file(dir / "out/report.json"), before_report);
  EXPECT_EQ(test::read_file(dir / "out/deduped.jsonl"), before_deduped);
  EXPECT_EQ(std::system(("test $(ls -A " + (dir / "out") + " | wc -l) -eq 4").c_str()), 0)
      << "temporary files left behind";
}

TEST(Dedup, WriteDedupedKeepsRecordsByteForByteInInputOrder) {
  test::TempDir dir;
  const std::string r1 = "{\"id\": \"x\",   \"text\": \"" + kBase + "\", \"meta\": {\"k\": 1}}";
  const std::string r2 = "{\"text\":\"" + kBase + "\",\"id\":\"y\"}";
  const std::string r3 = "{\"id\":\"z\",\"text\":\"" + kOther + "\"}";
  test::write_file(dir / "in.jsonl", r1 + "\r\n" + r2 + "\n" + "\n" + r3);  // CRLF, no final \n
  for (const char* name : {"d.jsonl", "d.jsonl.gz", "d.jsonl.zst"}) {
    DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
    cfg.write_deduped = dir / name;
    run_dedup(cfg);
    std::string got;
    auto src = io::open_source(dir / name);
    std::string buf(1 << 16, '\0');
    for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;)
      got.append(buf, 0, n);
    EXPECT_EQ(got, r1 + "\r\n" + r3 + "\n") << name;
  }
}

TEST(Dedup, HugeOneWordAndNonAsciiDocuments) {
  test::TempDir dir;
  // A 16 MB document of random words and a copy with 20 words replaced (J ~ 0.9997).
  std::mt19937 rng(11);
  const char* vocab[] = {"river",  "stone",  "light",  "quiet", "north",  "table",
                         "seven",  "glass",  "winter", "paper", "orange", "music",
                         "garden", "silver", "storm",  "bread"};
  std::string huge;
  while (huge.size() < (16u << 20)) {
    huge += vocab[rng() % 16];
    huge += rng() % 13 == 0 ? ". " : " ";
  }
  std::string edited = huge;
  for (int i = 0; i < 20; ++i) {
    const std::size_t pos = edited.find(' ', rng() % (edited.size() - 100)) + 1;
    edited.replace(pos, 5, "zzzzz");
  }
  const std::string greek = "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο στο χωριό";
  std::string greek_upper = "Η ΓΡΉΓΟΡΗ ΚΑΦΈ ΑΛΕΠΟΎ ΠΗΔΆΕΙ ΠΆΝΩ ΑΠΌ ΤΟΝ ΤΕΜΠΈΛΗ ΣΚΎΛΟ ΣΤΟ ΧΩΡΙΌ!";
  std::string in = record("huge", huge) + record("hello", "hello") + record("greek", greek) +
                   record("huge-edited", edited) + record("hello-2", "  Hello! ") +
                   record("greek-upper", greek_upper) + record("bye", "bye");
  test::write_file(dir / "in.jsonl", in);
  const DedupResult r = run_dedup(config_for(dir, {dir / "in.jsonl"}));
  EXPECT_EQ(r.counts.documents, 7u);
  EXPECT_EQ(r.counts.exact_duplicates, 2u);  // hello-2, greek-upper
  EXPECT_EQ(r.counts.near_duplicates, 1u);   // huge-edited
  const auto dups = test::lines_of(test::read_file(dir / "out/duplicates.jsonl"));
  ASSERT_EQ(dups.size(), 3u);
  EXPECT_NE(dups[0].find(R"("id":"huge-edited","duplicate_of":"huge")"), std::string::npos);
  EXPECT_NE(dups[1].find(R"("id":"hello-2","duplicate_of":"hello","cluster":1,"kind":"exact")"),
            std::string::npos);
  EXPECT_NE(dups[2].find(R"("id":"greek-upper","duplicate_of":"greek","cluster":2,"kind":"exact")"),
            std::string::npos);
}

TEST(Dedup, SkippingExactCopiesInPass1ChangesNothing) {
  // Pass 1 sketches only the first-seen member of each exact group; --write-signatures turns that
  // off (it needs every signature). Both must give the same outputs, with and without verification
  // (which then estimates Jaccard from the copied signatures).
  test::TempDir dir;
  std::string in;
  for (int i = 0; i < 40; ++i) {
    in += record("a" + std::to_string(i), i % 3 ? kBase : replace_word(kBase, "Tuesday", "Monday"));
    in += record("b" + std::to_string(i), i % 2 ? kOther : "  " + kOther + "!!");
  }
  // Batch 1 is slow (a long text to normalize and sketch) and ends with X; batch 2 starts with an
  // exact copy of X, which the second worker reaches first: the group's earliest member X is then
  // the one not sketched, and its LSH keys must come from the copy.
  std::string slow;
  while (slow.size() < (24u << 20))
    slow += kOther + " ";
  const std::string x = replace_word(kBase, "budget", "schedule");
  in = record("slow", slow) + record("x", x) + record("x-copy", "  " + x + " ") + in;
  test::write_file(dir / "in.jsonl", in);
  // Without verification the copied signatures are 32-bit (affine32) or 64-bit (affine64).
  const std::pair<bool, Scheme> cases[] = {
      {true, Scheme::affine32}, {false, Scheme::affine32}, {false, Scheme::affine64}};
  for (const auto& [verify, scheme] : cases) {
    std::string ref;
    for (int run = 0; run < 3; ++run) {
      DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
      cfg.verify = verify;
      cfg.scheme = scheme;
      cfg.threads = run == 0 ? 1 : 2;
      if (run == 1) cfg.batch_bytes = record("slow", slow).size() + 100;  // slow, x | x-copy, ...
      if (run == 2) cfg.write_signatures = dir / "sigs.jsonl";
      const DedupResult r = run_dedup(cfg);
      if (run == 1) EXPECT_GE(r.counts.keys_from_copy, 1u) << "the case was not exercised";
      if (run == 2) EXPECT_EQ(r.counts.sketch_skipped, 0u);
      const std::string dups = test::read_file(dir / "out/duplicates.jsonl");
      if (run == 0) {
        ref = dups;
        EXPECT_GE(test::lines_of(ref).size(), 78u);  // x-copy, 39 b's, 38 or 39 a's
      } else {
        EXPECT_EQ(dups, ref) << "verify " << verify << " run " << run << " " << scheme_name(scheme);
      }
    }
    EXPECT_EQ(test::lines_of(test::read_file(dir / "sigs.jsonl")).size(), 83u);
  }
}

TEST(Dedup, WriteSignaturesGivesEachDocumentsSketch) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl",
                   record("x", kBase) + "{\"text\":\"\"}\n" + record("z", kOther));
  for (Scheme scheme : {Scheme::affine32, Scheme::affine64, Scheme::legacy}) {
    SCOPED_TRACE(scheme_name(scheme));
    DedupConfig cfg = config_for(dir, {dir / "in.jsonl"});
    cfg.scheme = scheme;
    cfg.write_signatures = dir / "sigs.jsonl";
    run_dedup(cfg);
    simdjson::dom::parser parser;
    const auto lines = test::lines_of(test::read_file(dir / "sigs.jsonl"));
    ASSERT_EQ(lines.size(), 3u);
    SketchParams params;
    params.perms = make_permutations(128, 1, scheme);
    params.lsh = {9, 13};
    const std::string texts[] = {kBase, "", kOther};
    for (std::size_t i = 0; i < 3; ++i) {
      auto rec = test::parse_json(parser, lines[i]);
      NormalizedBatch nb;
      nb.add(normalize(texts[i]));
      SketchBatch sb;
      make_cpu_backend(params)->sketch(nb, sb);
      std::vector<std::uint64_t> want(sb.signatures.begin(), sb.signatures.end());
      if (scheme == Scheme::affine64) want = sb.signatures64;
      std::vector<std::uint64_t> got;
      for (auto v : rec["signature"].get_array())
        got.push_back(std::uint64_t(v));
      EXPECT_EQ(got, want);
      EXPECT_EQ(got.size(), 128u);
      // The empty document: datasketch's empty value, 2^64 - 1 for affine64.
      if (i == 1) EXPECT_EQ(got.at(0), empty_value(scheme));
      EXPECT_EQ(std::uint64_t(rec["shingles"]), sb.shingle_counts[0]);
      std::size_t b = 0;
      for (auto v : rec["band_keys"].get_array())
        EXPECT_EQ(std::uint64_t(v), sb.band_keys.at(b++));
      EXPECT_EQ(b, i == 1 ? 0u : 9u);  // an empty document has no band keys
    }
    EXPECT_EQ(test::str(test::parse_json(parser, lines[1])["id"]), (dir / "in.jsonl") + ":2");
  }
}

// The examples corpus split into three inputs of three formats.
struct SplitCorpus {
  test::TempDir dir;
  std::vector<std::string> inputs;
  SplitCorpus() {
    const auto lines = test::example_lines();
    std::string all, parts[3];
    for (std::size_t i = 0; i < lines.size(); ++i) {
      all += lines[i] + "\n";
      parts[i * 3 / lines.size()] += lines[i] + "\n";
    }
    test::write_file(dir / "all.jsonl", all);
    test::write_file(dir / "p0.jsonl", parts[0]);
    test::write_file(dir / "p1.jsonl.gz", test::gzip_bytes(parts[1]));
    test::write_file(dir / "p2.jsonl.zst", test::zstd_bytes(parts[2]));
    inputs = {dir / "p0.jsonl", dir / "p1.jsonl.gz", dir / "p2.jsonl.zst"};
  }
};

TEST(Dedup, OutputsAreIdenticalAcrossThreadCountsAndInputSplits) {
  SplitCorpus corpus;
  std::string ref_dups, ref_clusters, ref_deduped;
  int runs = 0;
  for (unsigned threads : {1u, 2u, 5u}) {
    for (bool split : {false, true}) {
      if (split && threads != 2) continue;
      test::TempDir out;
      DedupConfig cfg;
      cfg.inputs = split ? corpus.inputs : std::vector<std::string>{corpus.dir / "all.jsonl"};
      cfg.output_dir = out / "o";
      cfg.threads = threads;
      cfg.write_deduped = out / "o/deduped.jsonl";
      const DedupResult r = run_dedup(cfg);
      EXPECT_GT(r.counts.near_duplicates, 300u);
      const std::string dups = test::read_file(out / "o/duplicates.jsonl");
      const std::string clusters = test::read_file(out / "o/clusters.jsonl");
      const std::string deduped = test::read_file(out / "o/deduped.jsonl");
      if (runs++ == 0) {
        ref_dups = dups;
        ref_clusters = clusters;
        ref_deduped = deduped;
        continue;
      }
      EXPECT_EQ(dups, ref_dups) << threads << " threads, split " << split;
      EXPECT_EQ(clusters, ref_clusters) << threads << " threads, split " << split;
      EXPECT_EQ(deduped, ref_deduped) << threads << " threads, split " << split;
    }
  }
  EXPECT_EQ(runs, 4);
}

}  // namespace
}  // namespace dupscan
