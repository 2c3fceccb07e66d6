// dupscan contam on planted contamination with exact expectations: verbatim, re-styled, partial
// (known coverage), perturbed (must not match), short and too-short examples, ids, fields,
// decontamination cuts, boilerplate, near duplicates, determinism, and the CLI.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "contam_cases.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "examples.hpp"
#include "io/record.hpp"
#include "parquet_util.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

struct SpanRow {
  std::string train_id;
  std::uint64_t train_offset, start, end, ngrams;
};

struct Row {
  bool judged, dirty;
  double coverage;
  std::size_t words, matches;  // matches: spans listed and not
  std::uint64_t longest, train_docs;
  std::vector<std::string> match_docs;
  std::vector<SpanRow> spans;
  std::vector<std::pair<std::string, double>> near;
};

std::map<std::string, Row> read_rows(const std::string& path) {
  simdjson::dom::parser p;
  std::map<std::string, Row> rows;
  for (const auto& line : test::lines_of(test::read_file(path))) {
    auto r = test::parse_json(p, line);
    Row row{bool(r["judged"]),
            bool(r["dirty"]),
            double(r["coverage"]),
            static_cast<std::size_t>(std::uint64_t(r["words"])),
            0,
            std::uint64_t(r["longest_match"]),
            std::uint64_t(r["train_docs"]),
            {},
            {},
            {}};
    for (auto m : r["matches"].get_array()) {
      row.match_docs.push_back(test::str(m["train_id"]));
      row.spans.push_back({test::str(m["train_id"]), std::uint64_t(m["train_offset"]),
                           std::uint64_t(m["eval_start"]), std::uint64_t(m["eval_end"]),
                           std::uint64_t(m["ngrams"])});
    }
    row.matches = row.match_docs.size() + std::uint64_t(r["more_matches"]);
    for (auto n : r["near_duplicates"].get_array()) {
      row.near.emplace_back(test::str(n["train_id"]), double(n["jaccard"]));
    }
    rows[test::str(r["id"])] = row;
  }
  return rows;
}

// Spans never overlap, and (when all are listed) cover exactly the matched words: as many as the
// coverage says, none outside the example, the longest match at least the longest span.
void expect_spans_cover_matched_words(const Row& r, const std::string& what) {
  std::vector<SpanRow> s = r.spans;
  std::sort(s.begin(), s.end(),
            [](const SpanRow& a, const SpanRow& b) { return a.start < b.start; });
  std::uint64_t words = 0, longest = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    EXPECT_LT(s[i].start, s[i].end) << what;
    EXPECT_LE(s[i].end, r.words) << what;
    if (i) EXPECT_LE(s[i - 1].end, s[i].start) << what << ": spans overlap";
    words += s[i].end - s[i].start;
    longest = std::max(longest, s[i].end - s[i].start);
  }
  EXPECT_GE(r.longest, longest) << what;
  if (r.matches == r.spans.size()) {
    EXPECT_EQ(words, static_cast<std::uint64_t>(std::llround(r.coverage * r.words))) << what;
  }
  EXPECT_EQ(r.dirty, !s.empty()) << what;
}

using Planted = test::PlantedContam;
using test::example_words;
using test::filler;
using test::join;
using test::rec;

TEST(Contam, PlantedContaminationGivesExactVerdictsAndCoverage) {
  Planted p;
  const ContamResult r = run_contam(p.config());
  const auto rows = read_rows(p.dir / "out/contamination.jsonl");
  ASSERT_EQ(rows.size(), 10u);
  const Row& v = rows.at("verbatim");
  EXPECT_TRUE(v.judged);
  EXPECT_TRUE(v.dirty);
  EXPECT_DOUBLE_EQ(v.coverage, 1.0);
  // All 28 13-grams of the 40 words, in one document: one span of the whole example.
  ASSERT_EQ(v.spans.size(), 1u);
  EXPECT_EQ(v.matches, 1u);
  EXPECT_EQ(v.spans[0].train_id, "t-verbatim");
  EXPECT_EQ(v.spans[0].start, 0u);
  EXPECT_EQ(v.spans[0].end, 40u);
  EXPECT_EQ(v.spans[0].ngrams, 28u);
  EXPECT_EQ(v.longest, 40u);
  EXPECT_EQ(v.train_docs, 1u);
  // Its training text: 50 filler words, then the example.
  EXPECT_EQ(v.spans[0].train_offset, test::filler(50, 1).size() + 1);
  const Row& s = rows.at("styled");
  EXPECT_TRUE(s.dirty);
  EXPECT_DOUBLE_EQ(s.coverage, 1.0);
  const Row& pa = rows.at("partial");
  EXPECT_TRUE(pa.dirty);
  EXPECT_DOUBLE_EQ(pa.coverage, 0.5);  // words 0..19 of 40 lie in matched 13-grams
  EXPECT_EQ(pa.matches, 1u);           // words 0..19: one span of 8 13-grams
  EXPECT_EQ(pa.spans[0].end, 20u);
  EXPECT_EQ(pa.spans[0].ngrams, 8u);
  EXPECT_EQ(pa.longest, 20u);  // the planted part's length
  const Row& pe = rows.at("perturbed");
  EXPECT_TRUE(pe.judged);
  EXPECT_FALSE(pe.dirty);
  EXPECT_DOUBLE_EQ(pe.coverage, 0.0);
  EXPECT_TRUE(rows.at("short10").dirty);  // 10 words, all present contiguously
  EXPECT_DOUBLE_EQ(rows.at("short10").coverage, 1.0);
  EXPECT_FALSE(rows.at("short-broken").dirty);  // one word differs
  EXPECT_FALSE(rows.at("short-split").dirty);   // present, but across two documents
  EXPECT_FALSE(rows.at("tiny").judged);         // 6 words < --min-ngram 8
  EXPECT_FALSE(rows.at("tiny").dirty);
  EXPECT_TRUE(rows.at("exact13").dirty);  // exactly N words: one 13-gram
  EXPECT_EQ(rows.at("exact13").matches, 1u);
  EXPECT_EQ(rows.at("exact13").spans[0].ngrams, 1u);
  EXPECT_EQ(rows.at("exact13").longest, 13u);
  EXPECT_EQ(rows.at("short10").longest, 10u);  // the whole example, shorter than N
  EXPECT_EQ(rows.at("short10").spans[0].ngrams, 1u);
  EXPECT_EQ(rows.at("styled").longest, 40u);
  EXPECT_EQ(pe.longest, 0u);
  for (const auto& [id, row] : rows)
    expect_spans_cover_matched_words(row, id);
  EXPECT_FALSE(rows.at("clean").dirty);

  ASSERT_EQ(r.benchmarks.size(), 1u);
  const BenchmarkSummary& b = r.benchmarks[0];
  EXPECT_EQ(b.examples, 10u);
  EXPECT_EQ(b.judged, 9u);
  EXPECT_EQ(b.too_short, 1u);
  EXPECT_EQ(b.dirty, 5u);  // verbatim, styled, partial, short10, exact13
  EXPECT_EQ(b.clean, 5u);
  EXPECT_EQ(b.llama_dirty, 4u);      // coverage >= 0.8: verbatim, styled, short10, exact13
  EXPECT_EQ(b.llama_not_clean, 5u);  // >= 0.2: those and partial (0.5)
  EXPECT_EQ(b.llama_clean, 4u);
  EXPECT_EQ(r.train_documents, 40u);
  EXPECT_EQ(r.train_docs_matched, 5u);

  // clean/bench.jsonl: the lines of the examples not dirty, as read, in order.
  const auto clean = test::lines_of(test::read_file(p.dir / "out/clean/bench.jsonl"));
  const auto eval = test::lines_of(test::read_file(p.dir / "eval.jsonl"));
  ASSERT_EQ(clean.size(), 5u);
  EXPECT_EQ(clean[0], eval[3]);  // perturbed
  EXPECT_EQ(clean[4], eval[9]);  // clean
}

TEST(Contam, SpansMergeOverlappingNgramsAndEachWordGoesToItsFirstMatch) {
  // Example e (40 words) in four documents: A holds words 0..19, B 10..39, C all of it twice, D
  // 5..24. Example g (30 words) twice in one document: words 0..14, later 10..29.
  test::TempDir dir;
  const auto e = example_words("e", 40), g = example_words("g", 30);
  test::write_file(dir / "eval.jsonl", rec("e", join(e)) + rec("g", join(g)));
  const std::string pre_b = filler(7, 2);
  std::string train = rec("A", join(e, 0, 20) + " " + filler(30, 1));
  train += rec("B", pre_b + " " + join(e, 10, 30));
  train += rec("C", join(e) + " " + filler(20, 3) + " " + join(e));
  train += rec("D", join(e, 5, 20));
  train += rec("X", join(g, 0, 15) + " " + filler(20, 4) + " " + join(g, 10, 20));
  test::write_file(dir / "train.jsonl", train);
  ContamConfig cfg;
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("b=" + (dir / "eval.jsonl"))};
  cfg.output_dir = dir / "out";
  cfg.write_decontaminated = dir / "decon.jsonl";
  cfg.max_cuts = 100;
  const ContamResult r = run_contam(cfg);
  const auto rows = read_rows(dir / "out/contamination.jsonl");
  const Row& re = rows.at("e");
  ASSERT_EQ(re.spans.size(), 2u);
  EXPECT_EQ(re.spans[0].train_id, "A");
  EXPECT_EQ(re.spans[0].start, 0u);
  EXPECT_EQ(re.spans[0].end, 20u);
  EXPECT_EQ(re.spans[0].ngrams, 8u);  // 13-grams at 0..7
  EXPECT_EQ(re.spans[0].train_offset, 0u);
  EXPECT_EQ(re.spans[1].train_id, "B");  // B's words 10..19 went to A already
  EXPECT_EQ(re.spans[1].start, 20u);
  EXPECT_EQ(re.spans[1].end, 40u);
  EXPECT_EQ(re.spans[1].ngrams, 8u);  // of B's 13-grams at 10..27, those at 20..27
  // B's text: 7 filler words, then e's words 10.., so e's word 20 is B's word 17.
  std::size_t at = pre_b.size() + 1;
  for (std::size_t w = 10; w < 20; ++w)
    at += e[w].size() + 1;
  EXPECT_EQ(re.spans[1].train_offset, at);
  EXPECT_EQ(re.longest, 40u);
  EXPECT_EQ(re.train_docs, 4u);
  EXPECT_DOUBLE_EQ(re.coverage, 1.0);
  const Row& rg = rows.at("g");
  ASSERT_EQ(rg.spans.size(), 2u);
  EXPECT_EQ(rg.spans[0].start, 0u);
  EXPECT_EQ(rg.spans[0].end, 15u);
  EXPECT_EQ(rg.spans[0].ngrams, 3u);
  EXPECT_EQ(rg.spans[1].start, 15u);
  EXPECT_EQ(rg.spans[1].end, 30u);
  EXPECT_EQ(rg.spans[1].ngrams, 3u);  // of the run's 13-grams at 10..17, those at 15..17
  EXPECT_EQ(rg.longest, 30u);
  EXPECT_EQ(rg.train_docs, 1u);
  for (const auto& [id, row] : rows)
    expect_spans_cover_matched_words(row, id);
  // The Janitor cut still counts n-grams, as lm-eval does: A 8, B 18, C 56, D 8, X 3 + 8.
  EXPECT_EQ(r.matches, 8u + 18u + 56u + 8u + 11u);
  const auto removed = test::lines_of(test::read_file(dir / "out/removed.jsonl"));
  ASSERT_EQ(removed.size(), 5u);
  simdjson::dom::parser parser;
  EXPECT_EQ(simdjson::dom::array(test::parse_json(parser, removed[2])["matches"]).size(), 56u);
  // Listing: --max-matches 1 lists A's span and counts B's.
  cfg.max_matches = 1;
  cfg.write_decontaminated.clear();
  run_contam(cfg);
  const Row one = read_rows(dir / "out/contamination.jsonl").at("e");
  EXPECT_EQ(one.spans.size(), 1u);
  EXPECT_EQ(one.matches, 2u);
}

TEST(Contam, SpansOnTheExampleCorpusNeverOverlapAndCoverTheMatchedWords) {
  // The example corpus's GSM8K test problems against the rest of it (planted copies, whole and
  // edited), at 13- and 8-grams.
  test::TempDir dir;
  std::string bench, train;
  for (const std::string& line : test::example_lines()) {
    const bool is_bench = line.find("\"id\": \"gsm8k-test-") != std::string::npos &&
                          line.find('~') == std::string::npos;
    (is_bench ? bench : train) += line + "\n";
  }
  test::write_file(dir / "gsm8k.jsonl", bench);
  test::write_file(dir / "train.jsonl", train);
  for (std::uint32_t n : {13u, 8u}) {
    ContamConfig cfg;
    cfg.train = {dir / "train.jsonl"};
    cfg.evals = {EvalSpec::parse("gsm8k=" + (dir / "gsm8k.jsonl"))};
    cfg.output_dir = dir / "out";
    cfg.ngram = n;
    cfg.min_ngram = std::min(8u, n);
    cfg.near = false;
    cfg.max_matches = 1000;
    run_contam(cfg);
    std::size_t dirty = 0, partial = 0;
    for (const auto& [id, row] : read_rows(dir / "out/contamination.jsonl")) {
      expect_spans_cover_matched_words(row, id + " N=" + std::to_string(n));
      dirty += row.dirty;
      partial += row.dirty && row.longest < row.words;
    }
    EXPECT_GT(dirty, 50u);
    EXPECT_GT(partial, 5u);  // edited copies: matched in parts
  }
}

TEST(Contam, OutputsDoNotDependOnThreadsOrBatches) {
  Planted p;
  std::string ref;
  for (unsigned threads : {1u, 2u, 5u}) {
    ContamConfig cfg = p.config();
    cfg.threads = threads;
    cfg.batch_bytes = threads == 5 ? 300 : std::size_t{1} << 20;
    run_contam(cfg);
    const std::string out = test::read_file(p.dir / "out/contamination.jsonl");
    if (ref.empty()) ref = out;
    EXPECT_EQ(out, ref) << threads << " threads";
  }
}

// The run in memory (the Python package's) gives the files' bytes, with its benchmark given as
// bytes too; no output directory is made and no work directory is kept.
TEST(Contam, OutputsInMemoryAreTheFilesBytes) {
  Planted p;
  ContamConfig cfg = p.config();
  cfg.evals.push_back(EvalSpec::parse("again=" + (p.dir / "eval.jsonl")));
  cfg.evals.back().display = "<again>";
  run_contam(cfg);
  const std::string report = test::read_file(p.dir / "out/report.json");
  EXPECT_NE(report.find("\"path\": \"<again>\""), std::string::npos);

  ContamConfig mem = cfg;
  mem.output_dir = p.dir / "mem";
  mem.evals.back().path.clear();
  mem.evals.back().data =
      std::make_shared<const std::string>(test::read_file(p.dir / "eval.jsonl"));
  ContamOutputs out;
  const ContamResult r = run_contam(mem, {}, out);
  EXPECT_FALSE(test::file_exists(p.dir / "mem"));
  EXPECT_EQ(out.contamination, test::read_file(p.dir / "out/contamination.jsonl"));
  ASSERT_EQ(out.clean.size(), 2u);
  EXPECT_FALSE(out.clean[1].empty());
  EXPECT_EQ(out.clean[0], test::read_file(p.dir / "out/clean/bench.jsonl"));
  EXPECT_EQ(out.clean[1], test::read_file(p.dir / "out/clean/again.jsonl"));
  EXPECT_EQ(r.resume.why_not, "its outputs stay in memory");
  EXPECT_NE(out.report.find("\"why_not\": \"its outputs stay in memory\""), std::string::npos);
  EXPECT_NE(out.report.find("\"path\": \"<again>\""), std::string::npos);
  const std::vector<std::string> files = {"clean/", "clean/again.jsonl", "clean/bench.jsonl",
                                          "contamination.jsonl", "report.json"};
  EXPECT_EQ(r.output_dir_files, files);
  // report.json's counts are the file run's.
  auto counts = [](const std::string& json) {
    const std::size_t from = json.find("\"benchmarks\"");
    return json.substr(from, json.find("\"index\"") - from);
  };
  EXPECT_EQ(counts(out.report), counts(report));

  // A bad record of a benchmark given as bytes is named by its display name and line.
  mem.evals.back().data = std::make_shared<const std::string>("{\"text\": \"a b\"}\nnot json\n");
  try {
    run_contam(mem, {}, out);
    ADD_FAILURE() << "a bad benchmark record was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("<again>:2: malformed JSON"), std::string::npos)
        << e.what();
  }
  // Nothing is written: no decontaminated copy.
  mem = cfg;
  mem.write_decontaminated = p.dir / "decon.jsonl";
  EXPECT_THROW(run_contam(mem, {}, out), UsageError);
}

TEST(Contam, DecontaminatedCorpusCutsWindowsDropsDirtyDocumentsKeepsBoilerplate) {
  test::TempDir dir;
  const auto ex = example_words("q", 20);
  const auto boiler = example_words("z", 15);
  test::write_file(dir / "eval.jsonl", rec("e1", join(ex)) + rec("e2", join(boiler)));
  // d-cut: 600+ characters of filler, the 13-gram, 600+ more: two pieces survive.
  const std::string before = filler(120, 1), after = filler(120, 2);
  const std::string gram = join(ex, 0, 13);
  std::string train = rec("d-cut", before + " " + gram + " " + after);
  // d-drop: eleven separate 13-gram matches (more than --max-cuts 10).
  std::string many;
  for (int i = 0; i < 11; ++i)
    many += gram + " " + filler(60, 10 + i) + " ";
  train += rec("d-drop", many);
  // The boilerplate n-gram appears in 12 documents (> --max-train-docs 10): not cut anywhere.
  for (int i = 0; i < 12; ++i) {
    train += rec("b" + std::to_string(i),
                 filler(150, 50 + i) + " " + join(boiler, 0, 13) + " " + filler(150, 80 + i));
  }
  train += rec("d-clean", filler(100, 99));
  test::write_file(dir / "train.jsonl", train);
  ContamConfig cfg;
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("b=" + (dir / "eval.jsonl"))};
  cfg.output_dir = dir / "out";
  cfg.write_decontaminated = dir / "decon.jsonl";
  const ContamResult r = run_contam(cfg);
  EXPECT_EQ(r.decontaminated_cut, 1u);
  EXPECT_EQ(r.decontaminated_dropped, 1u);
  EXPECT_EQ(r.boilerplate_ngrams, 1u);
  const auto rows = read_rows(dir / "out/contamination.jsonl");
  EXPECT_TRUE(rows.at("e2").dirty);  // boilerplate still counts for the verdict

  simdjson::dom::parser parser;
  const auto lines = test::lines_of(test::read_file(dir / "decon.jsonl"));
  ASSERT_EQ(lines.size(), 2u + 12u + 1u);  // d-cut's two pieces, the 12 b's whole, d-clean
  auto first = test::parse_json(parser, lines[0]);
  const std::string piece0 = test::str(first["text"]);
  EXPECT_EQ(std::uint64_t(first["decontam_piece"]), 0u);
  EXPECT_EQ(std::uint64_t(first["decontam_pieces"]), 2u);
  // The cut starts 200 characters before the n-gram and ends 200 after it.
  const std::string text = before + " " + gram + " " + after;
  const std::size_t gb = before.size() + 1, ge = gb + gram.size();
  EXPECT_EQ(piece0, text.substr(0, gb - 200));
  auto second = test::parse_json(parser, lines[1]);
  EXPECT_EQ(test::str(second["text"]), text.substr(ge + 200));
  EXPECT_EQ(test::str(second["id"]), "d-cut");
  EXPECT_EQ(lines[2], rec("b0", filler(150, 50) + " " + join(boiler, 0, 13) + " " + filler(150, 80))
                          .substr(0, lines[2].size()));  // copied as read
  const auto removed = test::lines_of(test::read_file(dir / "out/removed.jsonl"));
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_NE(removed[0].find("\"train_id\":\"d-cut\",\"action\":\"cut\""), std::string::npos);
  EXPECT_NE(removed[1].find("\"train_id\":\"d-drop\",\"action\":\"dropped\""), std::string::npos);
}

TEST(Contam, NearDuplicatesAreReportedBesideTheVerdict) {
  // 30 examples of 40 words, each paraphrased in its own training document by swapping words 12,
  // 25 and 38: no 13 consecutive words survive (not dirty), and the exact Jaccard of the word
  // 5-gram sets is 24 / 48 (the swaps sit in 5, 5 and 2 of the 36 5-grams). LSH finds such a
  // pair with probability 1 - (1 - 0.5^3)^21 = 0.94 at --near-threshold 0.3 (21 bands x 3 rows).
  test::TempDir dir;
  std::string eval, train;
  for (int k = 0; k < 30; ++k) {
    const auto ex = example_words("n" + std::to_string(k) + "x", 40);
    std::vector<std::string> para = ex;
    for (std::size_t i = 12; i < para.size(); i += 13)
      para[i] = "swapped";
    eval += rec("e" + std::to_string(k), join(ex));
    train += rec("para" + std::to_string(k), join(para));
  }
  train += rec("other", filler(300, 3));
  test::write_file(dir / "eval.jsonl", eval);
  test::write_file(dir / "train.jsonl", train);
  ContamConfig cfg;
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("b=" + (dir / "eval.jsonl"))};
  cfg.output_dir = dir / "out";
  cfg.near_threshold = 0.3;
  const ContamResult r = run_contam(cfg);
  const auto rows = read_rows(dir / "out/contamination.jsonl");
  std::size_t found = 0;
  for (int k = 0; k < 30; ++k) {
    const Row& e = rows.at("e" + std::to_string(k));
    EXPECT_FALSE(e.dirty);
    ASSERT_LE(e.near.size(), 1u);
    if (e.near.empty()) continue;
    ++found;
    EXPECT_EQ(e.near[0].first, "para" + std::to_string(k));  // never another example's paraphrase
    EXPECT_DOUBLE_EQ(e.near[0].second, 24.0 / 48.0);
  }
  std::printf("near duplicates found: %zu of 30\n", found);
  EXPECT_GE(found, 24u) << "LSH should find ~94% of the 30 pairs";
  EXPECT_EQ(r.benchmarks[0].near_duplicate_examples, found);
  EXPECT_EQ(r.benchmarks[0].dirty, 0u);  // near duplicates never make an example dirty
}

TEST(Contam, EvalSpecsIdsAndFieldsAndBadEvalRecords) {
  const EvalSpec a = EvalSpec::parse("gsm8k=data/test.jsonl:question");
  EXPECT_EQ(a.name, "gsm8k");
  EXPECT_EQ(a.path, "data/test.jsonl");
  EXPECT_EQ(a.field_label(), "question");
  const EvalSpec b = EvalSpec::parse("mmlu=/x:y/mmlu.jsonl:question+answer");
  EXPECT_EQ(b.path, "/x:y/mmlu.jsonl");
  EXPECT_EQ(b.fields, (std::vector<std::string>{"question", "answer"}));
  EXPECT_EQ(EvalSpec::parse("n=/a:b/c.jsonl").fields, (std::vector<std::string>{"text"}));
  for (const char* bad : {"noequals", "=path", "name=", "na me=p", "n=p:", "n=p:a++b"}) {
    EXPECT_THROW(EvalSpec::parse(bad), UsageError) << bad;
  }

  test::TempDir dir;
  const auto q = example_words("q", 9), an = example_words("a", 9);
  test::write_file(dir / "eval.jsonl", "{\"task_id\": \"T/1\", \"q\": \"" + join(q) +
                                           "\", \"a\": \"" + join(an) + "\"}\n");
  // Question and answer joined: the train text must hold the answer right after the question.
  test::write_file(dir / "train.jsonl", rec("t", join(q) + "\n" + join(an)));
  ContamConfig cfg;
  cfg.train = {dir / "train.jsonl"};
  cfg.evals = {EvalSpec::parse("qa=" + (dir / "eval.jsonl") + ":q+a")};
  cfg.eval_id_field = "task_id";
  cfg.output_dir = dir / "out";
  run_contam(cfg);
  const auto rows = read_rows(dir / "out/contamination.jsonl");
  ASSERT_EQ(rows.count("T/1"), 1u);
  EXPECT_EQ(rows.at("T/1").words, 18u);
  EXPECT_TRUE(rows.at("T/1").dirty);

  // A benchmark record without the field is an error naming file:line; nothing is written.
  test::write_file(dir / "bad.jsonl", "{\"q\": \"x\"}\n{\"other\": 1}\n");
  cfg.evals = {EvalSpec::parse("bad=" + (dir / "bad.jsonl") + ":q")};
  cfg.output_dir = dir / "out2";
  try {
    run_contam(cfg);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2: benchmark record without a string field"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(dir / "out2"));
}

TEST(Contam, CoverageThresholdsPerBenchmarkAsLlama3) {
  // The planted benchmark twice, under two names: the partial copy (coverage 0.5) is "dirty" by
  // Llama 2's subsets only where the threshold is 0.5.
  Planted p;
  ContamConfig cfg = p.config();
  cfg.evals.push_back(EvalSpec::parse("llama3=" + (p.dir / "eval.jsonl")));
  cfg.set_coverage_threshold("--coverage-dirty", "llama3=0.5");
  cfg.set_coverage_threshold("--coverage-clean", "llama3=0.1");
  cfg.set_coverage_threshold("--coverage-dirty", "0.9");  // the run's: for "bench"
  EXPECT_DOUBLE_EQ(cfg.dirty_at_of(0), 0.9);
  EXPECT_DOUBLE_EQ(cfg.dirty_at_of(1), 0.5);
  EXPECT_DOUBLE_EQ(cfg.clean_below_of(1), 0.1);
  const ContamResult r = run_contam(cfg);
  ASSERT_EQ(r.benchmarks.size(), 2u);
  EXPECT_EQ(r.benchmarks[0].llama_dirty, 4u);  // verbatim, styled, short10, exact13 (coverage 1)
  EXPECT_EQ(r.benchmarks[1].llama_dirty, 5u);  // and partial (0.5)
  EXPECT_EQ(r.benchmarks[0].dirty, r.benchmarks[1].dirty);  // the n-gram verdict is the same
  simdjson::dom::parser parser;
  auto rep = test::parse_json(parser, test::read_file(p.dir / "out/report.json"));
  EXPECT_DOUBLE_EQ(double(rep["benchmarks"].at(0)["coverage_dirty_at"]), 0.9);
  EXPECT_DOUBLE_EQ(double(rep["benchmarks"].at(1)["coverage_dirty_at"]), 0.5);
  EXPECT_DOUBLE_EQ(double(rep["benchmarks"].at(1)["coverage_clean_below"]), 0.1);
  EXPECT_DOUBLE_EQ(double(rep["parameters"]["coverage_dirty_at"]), 0.9);

  for (const char* bad : {"x", "0.5x", "", "llama3=", "=0.5", "other=0.5"}) {
    EXPECT_THROW(cfg.set_coverage_threshold("--coverage-dirty", bad), UsageError) << bad;
  }
  ContamConfig wrong = p.config();
  wrong.set_coverage_threshold("--coverage-dirty", "bench=0.1");  // below the clean 0.2
  try {
    wrong.validate();
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("of benchmark 'bench'"), std::string::npos) << e.what();
  }
  wrong.set_coverage_threshold("--coverage-dirty", "bench=1.5");
  EXPECT_THROW(wrong.validate(), UsageError);

  const auto cli = test::run_dupscan("contam --train " + test::shell_quote(p.dir / "train.jsonl") +
                                     " --eval " + test::shell_quote("a=" + (p.dir / "eval.jsonl")) +
                                     " --eval " + test::shell_quote("b=" + (p.dir / "eval.jsonl")) +
                                     " --coverage-dirty b=0.5 --coverage-dirty 0.9 --ngram 8 -o " +
                                     test::shell_quote(p.dir / "cli"));
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.err.find("coverage subsets: a clean <20%, dirty >=90%; b clean <20%, dirty >=50%"),
            std::string::npos)
      << cli.err;
  // The four coverage columns are Llama 2's subsets, which overlap: the table says so.
  EXPECT_NE(cli.err.find("(coverage columns: Llama 2's subsets, which overlap: clean within not "
                         "dirty, dirty within not clean)"),
            std::string::npos)
      << cli.err;
  const auto plain =
      test::run_dupscan("contam --train " + test::shell_quote(p.dir / "train.jsonl") + " --eval " +
                        test::shell_quote("a=" + (p.dir / "eval.jsonl")) + " --ngram 8 -o " +
                        test::shell_quote(p.dir / "cli3"));
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_NE(plain.err.find("(coverage columns: Llama 2's subsets, which overlap: cov<20% within "
                           "cov<80%, cov>=80% within cov>=20%)"),
            std::string::npos)
      << plain.err;
  const auto unknown =
      test::run_dupscan("contam --train " + test::shell_quote(p.dir / "train.jsonl") + " --eval " +
                        test::shell_quote("a=" + (p.dir / "eval.jsonl")) +
                        " --coverage-dirty c=0.5 -o " + test::shell_quote(p.dir / "cli2"));
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no --eval is named 'c'"), std::string::npos) << unknown.err;
}

TEST(Contam, JanitorNormalizationAndOffsets) {
  JanitorWords w;
  janitor_words("  Don't STOP -- (re-)read «Straße»!\tÉté  ", w);
  EXPECT_EQ(w.text, "dont stop reread «straße» Été");  // ASCII-only lowercasing, as lm-eval
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(w.span(1, 2), "stop reread");
  // Raw ranges are the whitespace-delimited tokens, punctuation included.
  EXPECT_EQ(w.raw_begin[0], 2u);
  EXPECT_EQ(w.raw_end[0], 7u);
  EXPECT_EQ(w.raw_begin[2], 16u);  // "(re-)read"
  JanitorWords spaces;
  janitor_words("a\u00a0b\u3000c\u200bd", spaces);  // NBSP and ideographic space split; ZWSP not
  EXPECT_EQ(spaces.text, "a b c\u200bd");
  JanitorWords bad;
  janitor_words("ok \xff\xfe Ok", bad);  // ill-formed bytes are kept as they are
  EXPECT_EQ(bad.text, "ok \xff\xfe ok");
}

// --in-place lets --write-decontaminated replace a training input, and nothing else: every other
// output is still checked against every input (training and benchmark), and the corpus against
// the benchmarks. The error names both files, and nothing is replaced or created.
TEST(Contam, InPlaceLetsOnlyTheDecontaminatedCorpusReplaceATrainingInput) {
  Planted p;
  const std::string train = test::read_file(p.dir / "train.jsonl");
  const std::string eval = test::read_file(p.dir / "eval.jsonl");
  const std::string out = p.dir / "out";
  std::filesystem::create_directories(out + "/clean");
  struct Case {
    std::string train, eval, decon, option, victim;
  };
  const std::string t = p.dir / "train.jsonl", e = p.dir / "eval.jsonl", d = p.dir / "decon.jsonl";
  const std::vector<Case> cases = {
      {out + "/contamination.jsonl", e, "", "--output-dir", out + "/contamination.jsonl"},
      {out + "/report.json", e, d, "--output-dir", out + "/report.json"},
      {out + "/removed.jsonl", e, d, "--output-dir", out + "/removed.jsonl"},
      {t, out + "/report.json", "", "--output-dir", out + "/report.json"},
      {t, out + "/clean/bench.jsonl", d, "--output-dir", out + "/clean/bench.jsonl"},
      {t, e, e, "--write-decontaminated", e},
  };
  for (const Case& c : cases) {
    const bool train_victim = c.victim == c.train;
    test::write_file(c.train, train);
    test::write_file(c.eval, eval);
    ContamConfig cfg;
    cfg.train = {c.train};
    cfg.evals = {EvalSpec::parse("bench=" + c.eval)};
    cfg.output_dir = out;
    cfg.write_decontaminated = c.decon;
    cfg.in_place = true;
    try {
      run_contam(cfg);
      ADD_FAILURE() << c.victim << " replaced an input";
    } catch (const UsageError& err) {
      const std::string m = err.what();
      EXPECT_NE(m.find("input file is output file: " + c.option + " '" + c.victim +
                       "' would replace the input '" + c.victim + "'; write it elsewhere"),
                std::string::npos)
          << m;
      EXPECT_EQ(m.find("--in-place"), std::string::npos) << m;  // it would not help
    }
    EXPECT_EQ(test::read_file(c.victim), train_victim ? train : eval) << c.victim;
    EXPECT_FALSE(test::file_exists(d));
    if (c.train != t) std::remove(c.train.c_str());
    if (c.eval != e) std::remove(c.eval.c_str());
  }
  EXPECT_EQ(test::list_dir(out), (std::vector<std::string>{"clean"}));

  // The page of --html too (with --in-place or not).
  test::write_file(out + "/report.html", train);
  for (const char* in_place : {"", " --in-place"}) {
    const auto r = test::run_dupscan("contam --train " + test::shell_quote(out + "/report.html") +
                                     " --eval " + test::shell_quote("bench=" + e) + " -o " +
                                     test::shell_quote(out) + " --html" + in_place);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("input file is output file: --html '" + out + "/report.html'"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(test::read_file(out + "/report.html"), train);
  }

  // What --in-place is for: the corpus replaces its training input once the run has succeeded.
  ContamConfig cfg;
  cfg.train = {t};
  cfg.evals = {EvalSpec::parse("bench=" + e)};
  cfg.output_dir = p.dir / "ok";
  cfg.write_decontaminated = t;
  try {
    run_contam(cfg);
    ADD_FAILURE() << "the training input replaced without --in-place";
  } catch (const UsageError& err) {
    EXPECT_NE(std::string(err.what()).find("give --in-place"), std::string::npos) << err.what();
  }
  EXPECT_EQ(test::read_file(t), train);
  cfg.in_place = true;
  const ContamResult r = run_contam(cfg);
  EXPECT_GT(r.decontaminated_cut + r.decontaminated_dropped, 0u);
  EXPECT_NE(test::read_file(t), train);
  EXPECT_EQ(test::read_file(e), eval);
}

// A run that read no training document would call every example clean: it fails, naming the
// training inputs, and so does a benchmark file without an example; nothing is written.
TEST(Contam, NoTrainingDocumentOrNoBenchmarkExampleFailsTheRun) {
  Planted p;
  test::write_file(p.dir / "empty.jsonl", "");
  test::write_file(p.dir / "blank.jsonl", "\n  \n\t\n");
  ContamConfig cfg;
  cfg.train = {p.dir / "empty.jsonl", p.dir / "blank.jsonl"};
  cfg.evals = {EvalSpec::parse("bench=" + (p.dir / "eval.jsonl"))};
  cfg.output_dir = p.dir / "out";
  try {
    run_contam(cfg);
    ADD_FAILURE() << "a run without training documents succeeded";
  } catch (const UsageError& e) {
    ADD_FAILURE() << "a usage error: " << e.what();
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("no training document read from '" + (p.dir / "empty.jsonl") +
                                   "', '" + (p.dir / "blank.jsonl") + "'"),
        std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--text-field"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(test::file_exists(p.dir / "out"));
  const auto cli =
      test::run_dupscan("contam --train " + test::shell_quote(p.dir / "blank.jsonl") + " --eval " +
                        test::shell_quote("bench=" + (p.dir / "eval.jsonl")) + " -o " +
                        test::shell_quote(p.dir / "out"));
  EXPECT_EQ(cli.exit_code, 1) << cli.err;
  EXPECT_NE(cli.err.find("no training document read from"), std::string::npos) << cli.err;
  EXPECT_FALSE(test::file_exists(p.dir / "out"));

  // A benchmark file with nothing in it, beside one that has examples.
  cfg.train = {p.dir / "train.jsonl"};
  cfg.evals.push_back(EvalSpec::parse("none=" + (p.dir / "blank.jsonl")));
  try {
    run_contam(cfg);
    ADD_FAILURE() << "a benchmark without examples was reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'" + (p.dir / "blank.jsonl") +
                                         "' (--eval none): no benchmark example read"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(p.dir / "out"));
}

#ifdef DUPSCAN_HAVE_PARQUET
// --write-decontaminated of a Parquet training input: each row is cut as the same record of a
// JSON Lines file is. The example corpus's GSM8K test problems against the rest of it (planted
// copies, whole and edited: documents cut and dropped), plus a row whose text is null (skipped
// by the scan, copied through), in both forms; the JSON Lines form is the Parquet rows as JSON
// objects, so that both hold the same records. The copies of both, as JSON Lines, and their
// removed.jsonl are the same bytes; a Parquet copy of either reads back as the same rows, and so
// does the Parquet input replaced by its copy (--in-place).
TEST(Contam, DecontaminatedParquetInputIsCutAsItsJsonLines) {
  test::TempDir dir;
  std::string bench;
  std::vector<std::string> train;
  for (const std::string& line : test::example_lines()) {
    const bool is_bench = line.find("\"id\": \"gsm8k-test-") != std::string::npos &&
                          line.find('~') == std::string::npos;
    if (is_bench) {
      bench += line + "\n";
    } else {
      train.push_back(line);
    }
  }
  train.insert(train.begin() + 7, R"({"id":"no-text","source":"none","text":null})");
  test::write_file(dir / "gsm8k.jsonl", bench);
  test::write_parquet(dir / "train.parquet", train);
  const std::vector<std::string> rows = test::parquet_rows(dir / "train.parquet", train.size() + 1);
  ASSERT_EQ(rows.size(), train.size());
  std::string jsonl;
  for (const std::string& r : rows)
    jsonl += r + "\n";
  test::write_file(dir / "train.jsonl", jsonl);

  auto q = [](const std::string& s) { return test::shell_quote(s); };
  auto contam = [&](const std::string& train_path, const std::string& out, const std::string& copy,
                    const std::string& more = "") {
    const auto r = test::run_dupscan("contam --train " + q(train_path) + " --eval " +
                                     q("gsm8k=" + (dir / "gsm8k.jsonl")) + " -o " + q(out) +
                                     " --threads 2 -q --write-decontaminated " + q(copy) + more);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  };
  contam(dir / "train.jsonl", dir / "from_jsonl", dir / "from_jsonl.jsonl");
  contam(dir / "train.parquet", dir / "from_parquet", dir / "from_parquet.jsonl");
  const std::string want = test::read_file(dir / "from_jsonl.jsonl");
  EXPECT_EQ(test::read_file(dir / "from_parquet.jsonl"), want);
  const std::string removed = test::read_file(dir / "from_jsonl/removed.jsonl");
  EXPECT_EQ(test::read_file(dir / "from_parquet/removed.jsonl"), removed);
  EXPECT_NE(removed.find("\"action\":\"cut\""), std::string::npos);
  EXPECT_NE(removed.find("\"action\":\"dropped\""), std::string::npos);
  EXPECT_NE(want.find("\"decontam_pieces\":"), std::string::npos);
  EXPECT_NE(want.find(R"({"id":"no-text","source":"none","text":null})"), std::string::npos);
  simdjson::dom::parser parser;
  for (const char* out : {"from_jsonl", "from_parquet"}) {
    auto rep = test::parse_json(parser, test::read_file(dir / (std::string(out) + "/report.json")));
    EXPECT_EQ(std::uint64_t(rep["decontaminated"]["skipped_passed_through"]), 1u) << out;
  }

  // Parquet copies: of the Parquet input, of the JSON Lines one, and the Parquet input replaced
  // by its own (--in-place). Read back, a row the cut left whole has the piece columns null.
  contam(dir / "train.parquet", dir / "pq_pq", dir / "pq.parquet");
  contam(dir / "train.jsonl", dir / "jsonl_pq", dir / "jsonl.parquet");
  ASSERT_EQ(std::system(("cp " + q(dir / "train.parquet") + " " + q(dir / "self.parquet")).c_str()),
            0);
  contam(dir / "self.parquet", dir / "self", dir / "self.parquet", " --in-place");
  const std::vector<std::string> want_lines = test::lines_of(want);
  const std::vector<std::string> back =
      test::parquet_rows(dir / "pq.parquet", want_lines.size() + 1);
  ASSERT_EQ(back.size(), want_lines.size());
  const std::string whole = R"(,"decontam_piece":null,"decontam_pieces":null})";
  for (std::size_t i = 0; i < back.size(); ++i) {
    std::string row = back[i];
    if (row.size() > whole.size() &&
        row.compare(row.size() - whole.size(), whole.size(), whole) == 0)
      row.replace(row.size() - whole.size(), whole.size(), "}");
    ASSERT_EQ(row, want_lines[i]) << "record " << i;
  }
  EXPECT_EQ(test::parquet_rows(dir / "jsonl.parquet", want_lines.size() + 1), back);
  EXPECT_EQ(test::parquet_rows(dir / "self.parquet", want_lines.size() + 1), back);
  EXPECT_EQ(test::read_file(dir / "self/removed.jsonl"), removed);
}
#endif

TEST(Contam, CliPrintsTheTableAndWritesEveryOutput) {
  Planted p;
  const auto r =
      test::run_dupscan("contam --train " + test::shell_quote(p.dir / "train.jsonl") + " --eval " +
                        test::shell_quote("bench=" + (p.dir / "eval.jsonl")) + " -o " +
                        test::shell_quote(p.dir / "cli"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("bench"), std::string::npos);
  EXPECT_NE(r.err.find("50.00%"), std::string::npos) << r.err;  // 5 dirty of 10
  simdjson::dom::parser parser;
  const std::string report = test::read_file(p.dir / "cli/report.json");
  auto rep = test::parse_json(parser, report);
  EXPECT_EQ(std::uint64_t(rep["benchmarks"].at(0)["dirty"]), 5u);
  EXPECT_EQ(std::uint64_t(rep["parameters"]["ngram"]), 13u);
  EXPECT_TRUE(test::file_exists(p.dir / "cli/clean/bench.jsonl"));
  const auto bad =
      test::run_dupscan("contam --train x --eval broken -o " + test::shell_quote(p.dir / "o"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("NAME=PATH"), std::string::npos) << bad.err;
  const auto n0 = test::run_dupscan("contam --train " + test::shell_quote(p.dir / "train.jsonl") +
                                    " --eval b=" + test::shell_quote(p.dir / "eval.jsonl") +
                                    " --ngram 0 -o " + test::shell_quote(p.dir / "o"));
  EXPECT_EQ(n0.exit_code, 2);
  EXPECT_NE(n0.err.find("--ngram must be in [1, 64]"), std::string::npos) << n0.err;
}

}  // namespace
}  // namespace dupscan
