// The built dupscan binary end to end: help, usage errors, failures, stdin, and the example
// corpus against its planted ground truth.
#include <sys/stat.h>

#include <cmath>
#include <map>
#include <set>

#include "dupscan/choices.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"
#include "io/io.hpp"
#include "io/record.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::run_dupscan;
using test::shell_quote;

const std::string kExamples = std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz";

TEST(Cli, VersionAndHelp) {
  const auto v = run_dupscan("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("dupscan 0.", 0), 0u) << v.out;
  const auto h = run_dupscan("--help");
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("dedup"), std::string::npos);
  const auto dh = run_dupscan("dedup --help");
  EXPECT_EQ(dh.exit_code, 0);
  for (const char* s : {"--threshold", "--shingle", "--write-deduped", "duplicates.jsonl",
                        "clusters.jsonl", "report.json", "Exit status"}) {
    EXPECT_NE(dh.out.find(s), std::string::npos) << s;
  }
  // Parquet is an input as JSONL is, and the help says whether this build reads it.
  const auto ch = run_dupscan("contam --help");
  for (const auto* help : {&dh, &ch}) {
    EXPECT_NE(help->out.find("Parquet files, or -"), std::string::npos) << help->out;
    EXPECT_NE(help->out.find("\nParquet: this build "), std::string::npos) << help->out;
  }
}

// The choices --help lists are the library's lists (choices.hpp), which the Python package's
// messages list too (expect_choice; tests/python/test_settings.py compares the two).
TEST(Cli, HelpListsTheLibrarysChoices) {
  const auto join = [](const Choices& c) {
    std::string s;
    for (const std::string& name : c)
      s += (s.empty() ? "" : ",") + name;
    return "{" + s + "}";
  };
  const auto dh = run_dupscan("dedup --help");
  const auto ih = run_dupscan("index build --help");
  const auto ch = run_dupscan("contam --help");
  const std::pair<std::string, Choices> dedup[] = {{"--format FORMAT:", input_format_choices()},
                                                   {"--scheme NAME:", scheme_choices()},
                                                   {"--shingle-hash NAME:", shingle_hash_choices()},
                                                   {"--sketch KIND:", sketch_choices()},
                                                   {"--keep POLICY:", keep_choices()},
                                                   {"--backend NAME:", backend_choices()}};
  for (const auto& [option, choices] : dedup) {
    EXPECT_NE(dh.out.find(option + join(choices)), std::string::npos) << option << dh.out;
    if (option.rfind("--keep", 0) != 0) {
      EXPECT_NE(ih.out.find(option + join(choices)), std::string::npos) << option << ih.out;
    }
  }
  for (const auto& [option, choices] : {dedup[0], dedup[5]}) {
    EXPECT_NE(ch.out.find(option + join(choices)), std::string::npos) << option << ch.out;
  }
  EXPECT_NO_THROW(expect_choice("--scheme", "legacy", scheme_choices()));
  try {
    expect_choice("--scheme", "affine16", scheme_choices());
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--scheme: 'affine16' not in {affine32, affine64, legacy}");
  }
}

TEST(Cli, UsageErrorsExitTwoAndSayWhatIsAllowed) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", "{\"text\":\"a b c\"}\n");
  const std::string in = shell_quote(dir / "in.jsonl") + " -o " + shell_quote(dir / "out");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"", "subcommand"},
      {"dedup", "inputs is required"},
      {"frobnicate", "frobnicate"},
      {"dedup " + in + " --bogus", "--bogus"},
      {"dedup " + in + " --threshold 0", "--threshold must be in (0, 1]"},
      {"dedup " + in + " --threshold 1.5", "--threshold must be in (0, 1]"},
      {"dedup " + in + " --bands 20 --rows 10", "must not exceed --num-perm"},
      {"dedup " + in + " --bands 20", "--bands and --rows go together"},
      {"dedup " + in + " --shingle word:0", "word:N or char:N"},
      {"dedup " + in + " --shingle bytes:4", "word:N or char:N"},
      {"dedup " + in + " --num-perm 0", "--num-perm must be in [1, 8192]"},
      {"dedup " + in + " --keep biggest", "biggest"},
      {"dedup " + in + " --backend tpu", "tpu"},
      {"dedup " + in + " --lsh-weights 0.5,0.6", "sum to 1"},
      {"dedup " + in + " --lsh-weights 1", "--lsh-weights"},
  };
  for (const Case& c : cases) {
    const auto r = run_dupscan(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
  EXPECT_FALSE(test::file_exists(dir / "out/report.json"));
}

// Lines of `text` that contain `needle`.
std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < text.size()) {
    const std::size_t e = std::min(text.find('\n', p), text.size());
    const std::string line = text.substr(p, e - p);
    if (line.find(needle) != std::string::npos) out.push_back(line);
    p = e + 1;
  }
  return out;
}

// {id, source, text} records: the text is in "text", "source" is a short label, "id" an id.
std::string labelled_records(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += "{\"id\":\"doc-" + std::to_string(100000 + i) +
           "\",\"source\":\"web\",\"text\":\"the quick brown fox jumps over the lazy dog " +
           std::to_string(i) + " and then runs far away into the woods\"}\n";
  }
  return out;
}

TEST(Cli, AWrongTextFieldSuggestsTheDefaultFieldNotALabel) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", labelled_records(5));
  const auto r = run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " --text-field body -o " +
                             shell_quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("records have fields: id, source, text; use --text-field text"),
            std::string::npos)
      << r.err;
}

TEST(Cli, ForgottenFormatWarnsThreeTimesThenCountsThenFails) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 60; ++i)
    text += "plain line number " + std::to_string(i) + ", not JSON at all\n";
  test::write_file(dir / "plain.txt", text);
  const auto r =
      run_dupscan("dedup " + shell_quote(dir / "plain.txt") + " -o " + shell_quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto skipped = lines_with(r.err, "; record skipped");
  ASSERT_EQ(skipped.size(), 3u) << r.err;
  for (const std::string& w : skipped) {
    // One short line: simdjson's long explanation is cut.
    EXPECT_LE(w.size() - (dir / "plain.txt").size(), 150u) << w;
    EXPECT_NE(w.find("malformed JSON"), std::string::npos) << w;
  }
  const auto more = lines_with(r.err, "more records skipped");
  ASSERT_EQ(more.size(), 1u) << r.err;
  EXPECT_NE(more[0].find("... and 57 more records skipped"), std::string::npos) << more[0];
  // The error that ends the run, as before, last.
  const auto errors = lines_with(r.err, "dupscan: error: ");
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_NE(errors[0].find("use --format text"), std::string::npos) << errors[0];
  EXPECT_EQ(r.err.rfind("dupscan: error: "), r.err.find("dupscan: error: "));
  EXPECT_GT(r.err.find("dupscan: error: "), r.err.find("more records skipped"));
}

TEST(Cli, SummarySaysWhatWasReadAndCountsInGoodEnglish) {
  test::TempDir dir;
  test::write_file(dir / "in.txt",
                   "one two three four five six seven eight nine ten eleven twelve\n"
                   "one two three four five six seven eight nine ten eleven twelve thirteen\n"
                   "something else entirely, with words of its very own here\n");
  const auto r = run_dupscan("dedup " + shell_quote(dir / "in.txt") +
                             " --format text --sketch fast --threshold 0.7 --backend cpu -o " +
                             shell_quote(dir / "out") + "/");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(" 3 documents, 192 B of text, "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0 exact, 1 near duplicate\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("backend: cpu, fast sketch (OPH)"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("//"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find((dir / "out") + "/duplicates.jsonl"), std::string::npos) << r.err;
}

TEST(Cli, AnIdFieldNamedOnPurposeMustExist) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", labelled_records(5));
  const std::string in = shell_quote(dir / "in.jsonl");
  const auto r = run_dupscan("dedup " + in + " --id-field nope -o " + shell_quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no record has the id field 'nope' (records have fields: id, source, text)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
  // Left out, the default "id" is used where records have it (and "<path>:<line>" where not).
  ASSERT_EQ(run_dupscan("dedup " + in + " -o " + shell_quote(dir / "out")).exit_code, 0);
}

// stderr is a file here, as in a batch job's log: plain progress lines every --progress-interval
// seconds, with the stage, counts, rate, share done and ETA (a plain file's size is known),
// elapsed time and resident memory -- never a terminal's escape codes; none with the default 30 s
// on a short run, none with --no-progress.
TEST(Cli, ProgressInALogIsPlainLinesAtAnInterval) {
  test::TempDir dir;
  auto src = io::open_source(std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz");
  std::string all, buf(1 << 20, '\0');
  for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;)
    all.append(buf, 0, n);
  test::write_file(dir / "in.jsonl", all + all + all);  // plain: its size is the read's total
  const std::string in = test::shell_quote(dir / "in.jsonl");
  const auto r = test::run_dupscan("dedup " + in + " -o " + test::shell_quote(dir / "a") +
                                   " --threads 1 --progress-interval 0.02");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t lines = 0;
  for (const std::string& line : test::lines_of(r.err)) {
    EXPECT_EQ(line.find('\033'), std::string::npos) << line;
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    if (line.rfind("dupscan: progress: ", 0) != 0) continue;
    ++lines;
    EXPECT_NE(line.find(" elapsed"), std::string::npos) << line;
    EXPECT_NE(line.find(", RSS "), std::string::npos) << line;
    if (line.find("progress: read ") != std::string::npos) {
      EXPECT_NE(line.find(" docs/s, "), std::string::npos) << line;
      EXPECT_NE(line.find("%"), std::string::npos) << line;  // share of the plain file read
    }
  }
  EXPECT_GE(lines, 2u) << r.err;
  for (const char* quiet : {"", " --no-progress"}) {
    const auto q = test::run_dupscan("dedup " + in + " -o " + test::shell_quote(dir / "b") +
                                     " --threads 2" + quiet);
    ASSERT_EQ(q.exit_code, 0) << q.err;
    EXPECT_EQ(q.err.find("progress:"), std::string::npos) << q.err;
  }
  EXPECT_EQ(test::run_dupscan("dedup " + in + " -o x --progress-interval -1").exit_code, 2);
}

// A log does not go quiet while a stage reports nothing new: here the second input is a named
// pipe whose writer waits 1.5 s, so that no batch arrives; lines keep coming at the interval, the
// last figures with the time of now. None after the run (the summary is the last line).
TEST(Cli, ProgressInALogKeepsComingWhileAStageReportsNothing) {
  test::TempDir dir;
  std::string first;
  for (int i = 0; i < 2000; ++i)
    first += "{\"text\":\"document number " + std::to_string(i) + " of the first input\"}\n";
  test::write_file(dir / "first.jsonl", first);
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
  const auto r = test::run_shell("(sleep 1.5; echo '{\"text\":\"late\"}' > " +
                                 test::shell_quote(dir / "pipe") + ") & DUPSCAN dedup " +
                                 test::shell_quote(dir / "first.jsonl") + " " +
                                 test::shell_quote(dir / "pipe") + " -o " +
                                 test::shell_quote(dir / "out") + " --progress-interval 0.2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t waiting = 0;
  for (const std::string& line : test::lines_of(r.err)) {
    if (line.rfind("dupscan: progress: read 2,000 docs", 0) == 0) ++waiting;
  }
  // ~7 lines over the 1.5 s wait at 0.2 s; before the heartbeat there was one.
  EXPECT_GE(waiting, 4u) << r.err;
  const std::size_t summary = r.err.find("dupscan dedup:");
  ASSERT_NE(summary, std::string::npos) << r.err;
  EXPECT_LT(r.err.rfind("dupscan: progress: "), summary) << r.err;
}

TEST(Cli, MissingInputIsAnErrorThatWritesNothing) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", "{\"text\":\"a b c\"}\n");
  const auto r =
      run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " " +
                  shell_quote(dir / "missing.jsonl") + " -o " + shell_quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.jsonl"), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out/duplicates.jsonl"));
  EXPECT_FALSE(test::file_exists(dir / "out"));  // not even the directory
  const auto d = run_dupscan("dedup " + shell_quote(dir.path()) + " -o " + shell_quote(dir / "o2"));
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("is a directory"), std::string::npos) << d.err;
}

TEST(Cli, StdinGivesTheSameOutputsAsTheFile) {
  test::TempDir dir;
  std::string in;
  for (int i = 0; i < 300; ++i) {
    in += "{\"id\":" + std::to_string(i) + ",\"text\":\"shared words appear in every line of " +
          "this little corpus number " + std::to_string(i % 50) + " and then some more\"}\n";
  }
  test::write_file(dir / "in.jsonl", in);
  test::write_file(dir / "in.jsonl.zst", test::zstd_bytes(in));
  const auto a =
      run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " -o " + shell_quote(dir / "a") +
                  " --write-deduped " + shell_quote(dir / "a.jsonl"));
  const auto b = run_dupscan(
      "dedup - -o " + shell_quote(dir / "b") + " --write-deduped " + shell_quote(dir / "b.jsonl"),
      dir / "in.jsonl.zst");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(test::read_file(dir / "a/duplicates.jsonl"),
            test::read_file(dir / "b/duplicates.jsonl"));
  EXPECT_EQ(test::read_file(dir / "a/clusters.jsonl"), test::read_file(dir / "b/clusters.jsonl"));
  EXPECT_EQ(test::read_file(dir / "a.jsonl"), test::read_file(dir / "b.jsonl"));
  EXPECT_EQ(test::lines_of(test::read_file(dir / "a.jsonl")).size(), 50u);
  EXPECT_EQ(std::system(("test $(ls -A " + (dir / "b") + " | wc -l) -eq 3").c_str()), 0)
      << "spool file left behind";
}

// ---- the example corpus against its planted ground truth --------------------------------------

std::map<std::string, std::string> load_corpus_texts() {
  auto src = io::open_source(kExamples);
  io::LineReader reader(*src);
  io::RawBatch batch;
  std::map<std::string, std::string> texts;
  simdjson::dom::parser parser;
  while (reader.next(batch, 1 << 22)) {
    for (const auto& l : batch.lines) {
      auto rec = test::parse_json(parser, std::string(batch.line(l)));
      texts.emplace(test::str(rec["id"]), test::str(rec["text"]));
    }
  }
  return texts;
}

// True Jaccard of word 5-gram sets -- sets of strings, not of 32-bit hashes.
double true_jaccard(const std::string& a, const std::string& b) {
  auto shingles = [](const std::string& text) {
    const std::string norm = normalize(text);
    std::set<std::string> s;
    for_each_shingle(norm.data(), norm.size(), ShingleKind::word, 5,
                     [&](const char* p, std::size_t n) { s.emplace(p, n); });
    return s;
  };
  const auto sa = shingles(a), sb = shingles(b);
  std::size_t inter = 0;
  for (const auto& s : sa)
    inter += sb.count(s);
  const std::size_t uni = sa.size() + sb.size() - inter;
  return uni ? double(inter) / double(uni) : 0.0;
}

struct Planted {
  std::string id, of, edit;
  double jaccard;
};

std::vector<Planted> load_planted() {
  simdjson::dom::parser parser;
  std::vector<Planted> out;
  for (const auto& line :
       test::lines_of(test::read_file(std::string(DUPSCAN_EXAMPLES) + "/planted.jsonl"))) {
    auto p = test::parse_json(parser, line);
    out.push_back(
        {test::str(p["id"]), test::str(p["of"]), test::str(p["edit"]), double(p["jaccard"])});
  }
  return out;
}

struct DedupOutput {
  std::map<std::string, std::uint64_t> cluster_of;
  struct Removed {
    std::string kept, kind;
    double jaccard;
  };
  std::map<std::string, Removed> removed;
  bool together(const std::string& a, const std::string& b) const {
    auto ia = cluster_of.find(a), ib = cluster_of.find(b);
    return ia != cluster_of.end() && ib != cluster_of.end() && ia->second == ib->second;
  }
};

DedupOutput read_output(const std::string& dir) {
  simdjson::dom::parser parser;
  DedupOutput o;
  for (const auto& line : test::lines_of(test::read_file(dir + "/clusters.jsonl"))) {
    auto c = test::parse_json(parser, line);
    for (auto m : c["members"].get_array()) {
      o.cluster_of[std::string(std::string_view(m))] = std::uint64_t(c["cluster"]);
    }
  }
  for (const auto& line : test::lines_of(test::read_file(dir + "/duplicates.jsonl"))) {
    auto d = test::parse_json(parser, line);
    o.removed[test::str(d["id"])] = {test::str(d["duplicate_of"]), test::str(d["kind"]),
                                     double(d["jaccard"])};
  }
  return o;
}

// Every removed document is linked to its kept one by a true Jaccard >= 0.5, and the reported
// Jaccard (of 64-bit shingle-hash sets) is the true one up to hash collisions.
void expect_precise(const DedupOutput& o, const std::map<std::string, std::string>& texts) {
  ASSERT_GT(o.removed.size(), 500u);
  for (const auto& [id, rm] : o.removed) {
    const double truth = true_jaccard(texts.at(id), texts.at(rm.kept));
    EXPECT_GE(truth, 0.5) << id << " removed as a duplicate of " << rm.kept;
    EXPECT_NEAR(rm.jaccard, truth, 0.01) << id;
  }
}

TEST(Cli, ExampleCorpusFindsPlantedDuplicatesAndNothingUnrelated) {
  test::TempDir dir;
  const auto planted = load_planted();
  const auto texts = load_corpus_texts();

  // Default parameters: T = 0.8, datasketch's 9 bands x 13 rows. LSH finds a pair of Jaccard s
  // with probability 1 - (1 - s^13)^9 (0.93 at s = 0.9): the measured recall of planted pairs
  // with s >= 0.9 must agree with that S-curve, and every exact copy must be found.
  const auto r = run_dupscan("dedup " + shell_quote(kExamples) + " -o " + shell_quote(dir / "d") +
                             " --write-deduped " + shell_quote(dir / "deduped.jsonl.zst"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("removed"), std::string::npos) << r.err;  // the summary
  const DedupOutput def = read_output(dir / "d");
  double expected = 0.0, variance = 0.0;
  std::size_t high = 0, found = 0;
  for (const Planted& p : planted) {
    if (p.edit == "exact") {
      ASSERT_TRUE(def.together(p.id, p.of)) << p.id;
      const std::string& gone = def.removed.count(p.id) ? p.id : p.of;
      ASSERT_EQ(def.removed.at(gone).kind, "exact") << p.id;
      continue;
    }
    if (p.jaccard < 0.9) continue;
    const double q = 1.0 - std::pow(1.0 - std::pow(p.jaccard, 13), 9);
    expected += q;
    variance += q * (1.0 - q);
    ++high;
    found += def.together(p.id, p.of);
  }
  ASSERT_GT(high, 150u);
  EXPECT_GE(double(found), expected - 3.0 * std::sqrt(variance))
      << found << " of " << high << " found, S-curve expects " << expected;
  expect_precise(def, texts);

  // The deduplicated copy holds exactly the kept records.
  {
    simdjson::dom::parser parser;
    auto src = io::open_source(dir / "deduped.jsonl.zst");
    io::LineReader reader(*src);
    io::RawBatch batch;
    std::size_t kept = 0;
    while (reader.next(batch, 1 << 22)) {
      for (const auto& l : batch.lines) {
        auto rec = test::parse_json(parser, std::string(batch.line(l)));
        EXPECT_EQ(def.removed.count(test::str(rec["id"])), 0u);
        ++kept;
      }
    }
    EXPECT_EQ(kept + def.removed.size(), texts.size());
  }

  // The fast sketch (OPH with densification) estimates Jaccard like MinHash: the same S-curve
  // bound and the same precision.
  const auto fr = run_dupscan("dedup " + shell_quote(kExamples) + " -o " + shell_quote(dir / "f") +
                              " --sketch fast");
  ASSERT_EQ(fr.exit_code, 0) << fr.err;
  const DedupOutput fast = read_output(dir / "f");
  std::size_t fast_found = 0;
  for (const Planted& p : planted) {
    if (p.edit != "exact" && p.jaccard >= 0.9) fast_found += fast.together(p.id, p.of);
  }
  EXPECT_GE(double(fast_found), expected - 3.0 * std::sqrt(variance))
      << fast_found << " of " << high << " found by --sketch fast";
  expect_precise(fast, texts);

  // Recall-weighted bands (--lsh-weights 0.2,0.8 -> 12 x 10): >= 99% of the planted pairs with
  // Jaccard >= 0.9 are found, still with nothing below 0.5 removed.
  const auto hr = run_dupscan("dedup " + shell_quote(kExamples) + " -o " + shell_quote(dir / "h") +
                              " --lsh-weights 0.2,0.8");
  ASSERT_EQ(hr.exit_code, 0) << hr.err;
  const DedupOutput rec = read_output(dir / "h");
  std::size_t high_all = 0, found_all = 0;
  for (const Planted& p : planted) {
    if (p.jaccard < 0.9) continue;
    ++high_all;
    found_all += rec.together(p.id, p.of);
  }
  EXPECT_GE(double(found_all) / double(high_all), 0.99) << found_all << " of " << high_all;
  expect_precise(rec, texts);
}

}  // namespace
}  // namespace dupscan
