// --memory (issue 25): band keys spilled to disk as sorted runs and merged by the LSH stage
// (dedup/key_spill.hpp) give the pairs and the outputs of a run that keeps them in memory, bit for
// bit. Tiny windows (DUPSCAN_TEST_SPILL_WINDOW) and fan-ins (DUPSCAN_TEST_SPILL_FAN_IN) force
// every path -- many runs, cascaded merges, a resumed run -- on small inputs.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dedup/doc_table.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/lsh_pairs.hpp"
#include "examples.hpp"
#include "io/record.hpp"
#include "parquet_util.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// A pass's table as the spill sees it: exact groups (rep), empty documents, members not sketched
// (an exact copy of a text sketched earlier, or the first of a group whose later member a faster
// worker sketched), and keys drawn from few values so that buckets hold several documents.
// `group_keys` holds every document's group keys (what the engine's in-memory path uses after
// group_exact_copies); docs.keys holds them only where sketched, garbage elsewhere.
struct Table {
  DocTable docs;
  std::vector<std::uint32_t> rep;
  std::vector<std::uint64_t> group_keys;
};

Table random_table(std::uint32_t n, std::uint32_t bands, unsigned seed) {
  std::mt19937_64 rng(seed);
  Table t;
  t.rep.resize(n);
  t.docs.empty.resize(n);
  t.docs.sketched.resize(n);
  t.group_keys.resize(std::size_t{n} * bands);
  for (std::uint32_t d = 0; d < n; ++d) {
    const bool copy = d > 0 && rng() % 4 == 0;
    t.rep[d] = copy ? t.rep[rng() % d] : d;
    t.docs.empty[d] = copy ? t.docs.empty[t.rep[d]] : rng() % 17 == 0;
    t.docs.sketched[d] = !copy || rng() % 3 == 0;
    // A later member sketched: now and then the first of the group was not.
    if (copy && t.docs.sketched[d] && rng() % 2 == 0) t.docs.sketched[t.rep[d]] = 0;
    for (std::uint32_t j = 0; j < bands; ++j) {
      std::mt19937_64 key_rng(std::uint64_t{t.rep[d]} * 131 + j);
      t.group_keys[std::size_t{d} * bands + j] = key_rng() % (n / 3 + 1) + j * 1000003ull;
    }
  }
  t.docs.keys = t.group_keys;
  for (std::uint32_t d = 0; d < n; ++d) {
    if (t.docs.sketched[d]) continue;
    for (std::uint32_t j = 0; j < bands; ++j)
      t.docs.keys[std::size_t{d} * bands + j] = rng();  // never read
  }
  return t;
}

// What the engine does without a spill: the first member of each group that is not empty, with
// the group's keys, through stages::lsh_candidate_pairs.
std::vector<std::uint64_t> in_memory_pairs(const Table& t, std::uint32_t bands) {
  std::vector<std::uint32_t> docs;
  for (std::uint32_t d = 0; d < t.rep.size(); ++d) {
    if (t.rep[d] == d && !t.docs.empty[d]) docs.push_back(d);
  }
  return stages::lsh_candidate_pairs(t.group_keys.data(), bands, docs, 0, 2);
}

TEST(MemorySpill, PairsEqualTheInMemoryStage) {
  const std::uint32_t bands = 5;
  for (unsigned seed : {1u, 2u, 3u}) {
    for (std::size_t window : {std::size_t{64}, std::size_t{4096}, std::size_t{1} << 30}) {
      for (const char* fan_in : {"2", "64"}) {
        SCOPED_TRACE("seed " + std::to_string(seed) + " window " + std::to_string(window) +
                     " fan-in " + fan_in);
        test::EnvVar env("DUPSCAN_TEST_SPILL_FAN_IN", fan_in);
        Table t = random_table(3000, bands, seed);
        const std::vector<std::uint64_t> expected = in_memory_pairs(t, bands);
        ASSERT_GT(expected.size(), 100u) << "buckets too small to test anything";
        test::TempDir dir;
        KeySpill spill(dir / "spill", bands, window);
        // Fed as pass 1 does: rows appended in batches, spilled when over the window.
        DocTable fed;
        fed.empty = t.docs.empty;
        fed.sketched = t.docs.sketched;
        const std::size_t batch = 97;
        for (std::size_t d = 0; d < t.rep.size(); d += batch) {
          const std::size_t end = std::min(t.rep.size(), d + batch);
          fed.keys.insert(fed.keys.end(), t.docs.keys.begin() + d * bands,
                          t.docs.keys.begin() + end * bands);
          fed.loc.resize(end);  // size() is the rows fed so far
          if (spill.over(fed)) spill.spill(fed, end);
        }
        spill.finish(fed);
        EXPECT_TRUE(fed.keys.empty());
        if (window < 4096) {
          EXPECT_GT(spill.runs(), 20u);
        }
        if (!spill.spilled()) {
          // Nothing spilled: the engine then uses the in-memory stage (the window held it all).
          EXPECT_EQ(window, std::size_t{1} << 30);
          continue;
        }
        EXPECT_EQ(spill.candidate_pairs(t.rep, t.docs.empty, t.docs.sketched, 2), expected);
      }
    }
  }
}

// --against under --memory: the first r documents (indexed ones, held) put before the spilled
// rest by KeySpill::prepend give lsh_candidate_pairs' pairs with first_new = r -- exact groups
// across the two, and no pair of two held documents.
TEST(MemorySpill, PairsWithHeldIndexedDocumentsEqualTheInMemoryStage) {
  const std::uint32_t bands = 5;
  const std::uint32_t n = 3000, r = 700;
  for (unsigned seed : {1u, 2u}) {
    for (std::size_t window : {std::size_t{64}, std::size_t{4096}}) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " window " + std::to_string(window));
      test::EnvVar env("DUPSCAN_TEST_SPILL_FAN_IN", "2");
      Table t = random_table(n, bands, seed);
      std::vector<std::uint32_t> docs;
      for (std::uint32_t d = 0; d < n; ++d) {
        if (t.rep[d] == d && !t.docs.empty[d]) docs.push_back(d);
      }
      const std::vector<std::uint64_t> expected =
          stages::lsh_candidate_pairs(t.group_keys.data(), bands, docs, r, 2);
      ASSERT_GT(expected.size(), 100u);
      ASSERT_LT(expected.size(), in_memory_pairs(t, bands).size()) << "no pair of two held";
      test::TempDir dir;
      KeySpill spill(dir / "spill", bands, window);
      // The new documents, numbered from 0 while pass 1 spills them.
      DocTable fed;
      fed.empty.assign(t.docs.empty.begin() + r, t.docs.empty.end());
      fed.sketched.assign(t.docs.sketched.begin() + r, t.docs.sketched.end());
      for (std::size_t d = r; d < n; d += 97) {
        const std::size_t end = std::min<std::size_t>(n, d + 97);
        fed.keys.insert(fed.keys.end(), t.docs.keys.begin() + d * bands,
                        t.docs.keys.begin() + end * bands);
        fed.loc.resize(end - r);
        if (spill.over(fed)) spill.spill(fed, end - r);
      }
      spill.finish(fed);
      ASSERT_TRUE(spill.spilled());
      DocTable held;
      held.keys.assign(t.docs.keys.begin(), t.docs.keys.begin() + std::size_t{r} * bands);
      held.empty.assign(t.docs.empty.begin(), t.docs.empty.begin() + r);
      held.sketched.assign(t.docs.sketched.begin(), t.docs.sketched.begin() + r);
      spill.prepend(held);
      EXPECT_EQ(spill.candidate_pairs(t.rep, t.docs.empty, t.docs.sketched, 2), expected);
    }
  }
}

// Runs `args` on the example corpus split in three inputs into `out`; returns the run's result.
test::RunResult dedup_into(const std::string& inputs, const std::string& out,
                           const std::string& args) {
  return test::run_dupscan("dedup " + inputs + " -o " + test::shell_quote(out) + " " + args +
                           " --write-deduped " + test::shell_quote(out + "/kept.jsonl"));
}

std::string counts_of(const std::string& dir) {
  simdjson::dom::parser p;
  const std::string text = test::read_file(dir + "/report.json");
  std::string out;
  for (auto field : test::parse_json(p, text)["counts"].get_object()) {
    out += std::string(field.key) + "=" + simdjson::to_string(field.value) + "\n";
  }
  return out;
}

// A spilling run's counts equal the reference run's, and it left no spill beside its outputs.
void expect_same_counts_and_no_spill_left(const std::string& spilled, const std::string& ref) {
  EXPECT_EQ(counts_of(spilled), counts_of(ref));
  EXPECT_FALSE(test::file_exists(spilled + "/.dupscan-spill")) << "spill left after the run";
  EXPECT_FALSE(test::file_exists(spilled + "/.dupscan-spill-docs")) << "spill left";
}

TEST(MemorySpill, OutputsEqualTheUnboundedRun) {
  test::TempDir dir;
  // Three inputs, so that runs hold documents of several inputs and a resumed run's parts.
  const std::vector<std::string> lines = test::example_lines();
  std::string parts[3];
  for (std::size_t i = 0; i < lines.size(); ++i)
    parts[i % 3] += lines[i] + "\n";
  std::string inputs;
  for (int i = 0; i < 3; ++i) {
    const std::string path = dir / ("part" + std::to_string(i) + ".jsonl");
    test::write_file(path, parts[i]);
    inputs += test::shell_quote(path) + " ";
  }
  for (const std::string options : {"", "--scheme legacy", "--scheme affine64 --no-verify",
                                    "--sketch fast", "--keep longest --shingle-hash sha1"}) {
    SCOPED_TRACE(options);
    const std::string ref = dir / "ref", spilled = dir / "spilled";
    ASSERT_EQ(dedup_into(inputs, ref, options).exit_code, 0);
    test::RunResult r;
    {
      // ~9 documents' keys per window: a run per batch of every input, cascades of 3.
      test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
      test::EnvVar fan_in("DUPSCAN_TEST_SPILL_FAN_IN", "3");
      r = dedup_into(inputs, spilled, options + " --memory 64M");
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
      EXPECT_EQ(test::read_file(spilled + "/" + f), test::read_file(ref + "/" + f)) << f;
    }
    expect_same_counts_and_no_spill_left(spilled, ref);
    simdjson::dom::parser p;
    const std::string text = test::read_file(spilled + "/report.json");
    auto mem = test::parse_json(p, text)["memory"];
    EXPECT_EQ(std::uint64_t(mem["budget_bytes"]), std::uint64_t{64} << 20) << text;
    EXPECT_GT(std::uint64_t(mem["spilled_bytes"]), 12850u * 12) << text;
    EXPECT_GT(std::uint64_t(mem["spill_runs"]), 3u) << text;
    EXPECT_GT(std::uint64_t(mem["peak_resident_bytes"]), 1u << 20) << text;
    test::run_shell("rm -rf " + test::shell_quote(ref) + " " + test::shell_quote(spilled));
  }
}

// The per-document table on disk (dedup/doc_spill.hpp): Locators, ids and lengths spilled with
// the keys are read back for every line that names a document -- ids of their own, the
// "NAME:line" of documents without one, the warning about repeated ids -- and for the copies,
// JSON Lines and Parquet.
TEST(MemorySpill, DocumentTableOnDiskGivesTheSameLines) {
  test::TempDir dir;
  std::vector<std::string> lines = test::example_lines();
  std::vector<std::string> part[3];
  for (std::size_t i = 0; i < lines.size(); ++i)
    part[i % 3].push_back(lines[i]);
  // Part 1 without ids; part 2 repeats 40 of part 0's records (their ids with them).
  for (std::string& l : part[1]) {
    const std::size_t at = l.find("\"id\"");
    ASSERT_NE(at, std::string::npos) << l;
    l.replace(at, 4, "\"no\"");
  }
  part[2].insert(part[2].begin() + 100, part[0].begin() + 7, part[0].begin() + 47);
  for (const bool parquet : {false, true}) {
#ifndef DUPSCAN_HAVE_PARQUET
    if (parquet) continue;
#endif
    SCOPED_TRACE(parquet ? "parquet" : "jsonl");
    std::string inputs;
    const char* ext = parquet ? ".parquet" : ".jsonl";
    for (int i = 0; i < 3; ++i) {
      const std::string path = dir / ("in" + std::to_string(i) + ext);
      if (parquet) {
#ifdef DUPSCAN_HAVE_PARQUET
        test::write_parquet(path, part[i]);
#endif
      } else {
        std::string text;
        for (const std::string& l : part[i])
          text += l + "\n";
        test::write_file(path, text);
      }
      inputs += test::shell_quote(path) + " ";
    }
    for (const std::string options : {"", "--keep longest"}) {
      SCOPED_TRACE(options);
      const std::string ref = dir / "ref", spilled = dir / "spilled";
      // Parquet inputs of other columns (part 1 has no id): their rows as JSON objects.
      auto run = [&](const std::string& out) {
        return test::run_dupscan("dedup " + inputs + " -o " + test::shell_quote(out) + " " +
                                 options + " --write-deduped " +
                                 test::shell_quote(out + "/kept.jsonl") +
                                 (out == spilled ? " --memory 64M" : ""));
      };
      const test::RunResult a = run(ref);
      ASSERT_EQ(a.exit_code, 0) << a.err;
      test::RunResult b;
      {
        test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
        test::EnvVar shares("DUPSCAN_TEST_ID_HASHES", "1000");  // the ids counted in ~19 shares
        b = run(spilled);
      }
      ASSERT_EQ(b.exit_code, 0) << b.err;
      for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
        EXPECT_EQ(test::read_file(spilled + "/" + f), test::read_file(ref + "/" + f)) << f;
      }
      // Lines without their own id are named by input and line; the repeated ids are warned of,
      // naming the same two records.
      EXPECT_NE(test::read_file(ref + "/duplicates.jsonl").find(std::string("in1") + ext + ":"),
                std::string::npos);
      auto warning = [](const std::string& err) {
        const std::size_t at = err.find("the id of an earlier one");
        return at == std::string::npos ? std::string() : err.substr(at, err.find('\n', at) - at);
      };
      EXPECT_NE(warning(a.err), "") << a.err;
      EXPECT_EQ(warning(b.err), warning(a.err));
      EXPECT_FALSE(test::file_exists(spilled + "/.dupscan-spill-docs")) << "spill left";
      simdjson::dom::parser p;
      const std::string text = test::read_file(spilled + "/report.json");
      // Every document's row went to disk (so the lines above were read back from there).
      EXPECT_EQ(std::uint64_t(test::parse_json(p, text)["memory"]["documents_on_disk"]),
                lines.size() + 40)
          << text;
      test::run_shell("rm -rf " + test::shell_quote(ref) + " " + test::shell_quote(spilled));
    }
  }
}

// The example corpus for dedup --against: its first 60% indexed (two inputs), the rest new, in
// three inputs, the last ending with exact copies of 40 indexed records under ids of their own.
// Planted copies lie up to a few hundred records after their originals: near and exact copies
// between indexed and new documents, and among new ones across their inputs.
struct AgainstCorpus {
  std::string indexed, fresh;  // the inputs, quoted
  std::size_t new_docs = 0;
};

AgainstCorpus against_corpus(const test::TempDir& dir) {
  const std::vector<std::string> lines = test::example_lines();
  const std::size_t old_end = lines.size() * 6 / 10;
  std::string text[5];
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::size_t part =
        i < old_end ? i * 2 / old_end : 2 + (i - old_end) * 3 / (lines.size() - old_end);
    text[part] += lines[i] + "\n";
  }
  for (std::size_t i = 0; i < 40; ++i) {
    std::string l = lines[i * (old_end / 40)];
    const std::size_t at = l.find("\"id\": \"");
    EXPECT_NE(at, std::string::npos) << l;
    text[4] += l.insert(at + 7, "again-") + "\n";
  }
  AgainstCorpus c;
  c.new_docs = lines.size() - old_end + 40;
  for (int i = 0; i < 5; ++i) {
    const std::string path = dir / ((i < 2 ? "old" : "new") + std::to_string(i) + ".jsonl");
    test::write_file(path, text[i]);
    (i < 2 ? c.indexed : c.fresh) += test::shell_quote(path) + " ";
  }
  return c;
}

// dedup --against under --memory: the new documents' rows and keys spilled in many runs per band
// (merged in cascades of 2), probed in the index in small chunks, the referenced indexed
// documents held before them, give the bytes
// of the unbounded run -- for every sketch, keep policy, and with and without the deduped copy.
TEST(MemorySpill, AgainstOutputsEqualTheUnboundedRun) {
  test::TempDir dir;
  const AgainstCorpus c = against_corpus(dir);
  int built = 0;
  for (const std::string sketch : {"", "--scheme affine64", "--sketch fast"}) {
    SCOPED_TRACE(sketch);
    const std::string idx = dir / ("idx" + std::to_string(built++));
    const auto b = test::run_dupscan("index build " + c.indexed + "--index " +
                                     test::shell_quote(idx) + " " + sketch);
    ASSERT_EQ(b.exit_code, 0) << b.err;
    for (const std::string options :
         {"", "--keep longest", "--keep first --no-copy", "--keep longest --no-copy"}) {
      SCOPED_TRACE(options);
      const bool copy = options.find("--no-copy") == std::string::npos;
      const std::string keep = options.substr(0, options.find(" --no-copy"));
      auto run = [&](const std::string& out, const std::string& more) {
        return test::run_dupscan(
            "dedup " + c.fresh + "--against " + test::shell_quote(idx) + " -o " +
            test::shell_quote(out) + " " + keep + more +
            (copy ? " --write-deduped " + test::shell_quote(out + "/kept.jsonl") : ""));
      };
      const std::string ref = dir / "ref", spilled = dir / "spilled";
      const test::RunResult a = run(ref, "");
      ASSERT_EQ(a.exit_code, 0) << a.err;
      test::RunResult r;
      {
        test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
        test::EnvVar fan_in("DUPSCAN_TEST_SPILL_FAN_IN", "2");
        // The merged hashes and keys probed in the index 97 at a time.
        test::EnvVar chunk("DUPSCAN_TEST_PROBE_CHUNK", "97");
        r = run(spilled, " --memory 64M");
      }
      ASSERT_EQ(r.exit_code, 0) << r.err;
      for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
        const bool written = copy || f[0] != 'k';
        EXPECT_EQ(test::file_exists(spilled + "/" + f), written) << f;
        if (written) {
          EXPECT_EQ(test::read_file(spilled + "/" + f), test::read_file(ref + "/" + f)) << f;
        }
      }
      expect_same_counts_and_no_spill_left(spilled, ref);
      simdjson::dom::parser p;
      const std::string text = test::read_file(spilled + "/report.json");
      const auto rep = test::parse_json(p, text);
      // Every new document's row went to disk; the indexed ones it references were held.
      EXPECT_EQ(std::uint64_t(rep["memory"]["documents_on_disk"]), c.new_docs) << text;
      // A run per batch: several per band, merged in cascades of 2.
      EXPECT_GT(std::uint64_t(rep["memory"]["spill_runs"]), 3u) << text;
      EXPECT_GT(std::uint64_t(rep["against"]["referenced"]), 100u) << text;
      EXPECT_EQ(text.find("not spilled"), std::string::npos) << text;
      // Exact and near copies of indexed documents among the removed.
      const std::string dups = test::read_file(ref + "/duplicates.jsonl");
      EXPECT_NE(dups.find("\"id\":\"again-"), std::string::npos);
      EXPECT_NE(dups.find("\"kind\":\"near\""), std::string::npos);
      test::run_shell("rm -rf " + test::shell_quote(ref) + " " + test::shell_quote(spilled));
    }
  }
}

// A run with --against under --memory killed after its second input was saved resumes from the
// two saved inputs (their rows and keys spilled again from the parts) to the same bytes.
TEST(MemorySpill, AgainstResumesUnderMemory) {
  test::TempDir dir;
  const AgainstCorpus c = against_corpus(dir);
  const std::string idx = dir / "idx";
  const auto b =
      test::run_dupscan("index build " + c.indexed + "--index " + test::shell_quote(idx));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto run = [&](const std::string& out, const std::string& more) {
    return test::run_dupscan("dedup " + c.fresh + "--against " + test::shell_quote(idx) + " -o " +
                             test::shell_quote(out) + " --write-deduped " +
                             test::shell_quote(out + "/kept.jsonl") + more);
  };
  const std::string ref = dir / "ref", out = dir / "out";
  ASSERT_EQ(run(ref, "").exit_code, 0);
  {
    // More than an input's rows and keys (~300 kB), less than two: each input is saved whole,
    // and spilled while the next one is read.
    test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "500000");
    test::EnvVar fan_in("DUPSCAN_TEST_SPILL_FAN_IN", "2");
    {
      test::EnvVar fault("DUPSCAN_TEST_FAULT", "resume-part-saved-2");
      ASSERT_NE(run(out, " --memory 64M").exit_code, 0) << "the fault did not kill the run";
    }
    const test::RunResult r = run(out, " --memory 64M");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
    EXPECT_EQ(test::read_file(out + "/" + f), test::read_file(ref + "/" + f)) << f;
  }
  simdjson::dom::parser p;
  const std::string text = test::read_file(out + "/report.json");
  const auto rep = test::parse_json(p, text);
  EXPECT_EQ(std::uint64_t(rep["resume"]["inputs_already_read"]), 2u) << text;
  EXPECT_EQ(std::uint64_t(rep["memory"]["documents_on_disk"]), c.new_docs) << text;
}

TEST(MemorySpill, BudgetBelowTheMinimumIsAUsageError) {
  test::TempDir dir;
  const auto r =
      test::run_dupscan("dedup " + test::shell_quote(test::examples_dir() + "/planted.jsonl") +
                        " -o " + test::shell_quote(dir / "out") + " --memory 10M");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("below the minimum of 64M"), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out")) << "a refused run creates nothing";
}

TEST(MemorySpill, AKilledSpillIsClearedByTheNextRun) {
  test::TempDir dir;
  const std::string out = dir / "out";
  // What a run under --memory killed mid-way leaves: its spill directory.
  ASSERT_EQ(test::run_shell("mkdir -p " + test::shell_quote(out + "/.dupscan-spill") + " " +
                            test::shell_quote(out + "/.dupscan-spill-docs") + " && echo x > " +
                            test::shell_quote(out + "/.dupscan-spill/band-0-run-0") +
                            " && echo x > " + test::shell_quote(out + "/.dupscan-spill-docs/ids"))
                .exit_code,
            0);
  const auto r =
      test::run_dupscan("dedup " + test::shell_quote(test::examples_dir() + "/corpus.jsonl.gz") +
                        " -o " + test::shell_quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(test::file_exists(out + "/.dupscan-spill"));
  EXPECT_FALSE(test::file_exists(out + "/.dupscan-spill-docs"));
}

// Under --tmp-dir (which runs may share) a spill is named by host and process: the next run there
// removes one whose process is gone, and leaves a live process's alone.
TEST(MemorySpill, AKilledSpillUnderTmpDirIsClearedByTheNextRun) {
  test::TempDir dir;
  const std::string tmp = dir / "tmp";
  char h[256] = {};
  ASSERT_EQ(::gethostname(h, sizeof h - 1), 0);
  std::string host = h;
  for (char& c : host) {
    if (c == '/' || c == '.') c = '_';
  }
  // A process that is gone: a shell that printed its pid and ended.
  const std::string dead = test::run_shell("sh -c 'echo $$'").out;
  const std::string gone =
      tmp + "/.dupscan-spill.dupscan-tmp." + host + "." + dead.substr(0, dead.find('\n')) + ".keys";
  const std::string live =
      tmp + "/.dupscan-spill.dupscan-tmp." + host + "." + std::to_string(::getpid()) + ".keys";
  for (const std::string& d : {gone, live}) {
    ASSERT_EQ(test::run_shell("mkdir -p " + test::shell_quote(d) + " && echo x > " +
                              test::shell_quote(d + "/band-0-run-0"))
                  .exit_code,
              0);
  }
  test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
  const auto r = test::run_dupscan(
      "dedup " + test::shell_quote(test::examples_dir() + "/corpus.jsonl.gz") + " -o " +
      test::shell_quote(dir / "out") + " --memory 64M --tmp-dir " + test::shell_quote(tmp));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(test::file_exists(gone)) << "the spill of a process that is gone was left";
  EXPECT_TRUE(test::file_exists(live + "/band-0-run-0")) << "a live process's spill was removed";
  EXPECT_EQ(test::run_shell("ls -A " + test::shell_quote(tmp)).out,
            ".dupscan-spill.dupscan-tmp." + host + "." + std::to_string(::getpid()) + ".keys\n")
      << "this run's own spill was left";
}

// contam --memory (dedup/locator_spill.hpp): the Locators --write-decontaminated keeps are
// spilled past a window and read back in pieces; every output is the unbounded run's, byte for
// byte. The training inputs: the example corpus in three parts (a bad record in the second);
// the benchmark: 30 words from the middle of every 37th record of it (whole records when
// shorter), so that matches are cut and dropped in every part.
struct ContamSpillCase {
  test::TempDir dir;
  std::string train;

  ContamSpillCase() {
    const std::vector<std::string> lines = test::example_lines();
    std::string parts[3], eval;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      parts[i % 3] += lines[i] + "\n";
      if (i % 37 == 0) eval += middle_words(i, lines[i]);
    }
    parts[1] += "{not json\n";
    for (int i = 0; i < 3; ++i) {
      const std::string path = dir / ("part" + std::to_string(i) + ".jsonl");
      test::write_file(path, parts[i]);
      train += " " + test::shell_quote(path);
    }
    test::write_file(dir / "eval.jsonl", eval);
  }
  // {"id": "e<i>", "text": words 20-49 of the record's text}.
  static std::string middle_words(std::size_t i, const std::string& line) {
    simdjson::dom::parser p;
    const std::string text = test::str(test::parse_json(p, line)["text"]);
    std::size_t from = 0, to = text.size(), words = 0;
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (text[k] != ' ') continue;
      if (++words == 20) from = k + 1;
      if (words == 50) {
        to = k;
        break;
      }
    }
    std::string rec = "{\"id\":\"e" + std::to_string(i) + "\",\"text\":";
    append_json_string(rec, text.substr(from, to - from));
    return rec + "}\n";
  }
  // Runs contam into dir/NAME (its decontaminated copy dir/NAME.jsonl) with `args`.
  test::RunResult run(const std::string& name, const std::string& args) const {
    return test::run_dupscan("contam --train" + train + " --eval " +
                             test::shell_quote("b=" + (dir / "eval.jsonl")) + " -o " +
                             test::shell_quote(dir / name) + " --write-decontaminated " +
                             test::shell_quote(dir / (name + ".jsonl")) + " -q " + args);
  }
  std::string outputs(const std::string& name) const {
    std::string out;
    for (const std::string f : {name + "/contamination.jsonl", name + "/removed.jsonl",
                                name + "/clean/b.jsonl", name + ".jsonl"}) {
      out += f.substr(name.size()) + ":\n" + test::read_file(dir / f);
    }
    return out;
  }
};

TEST(MemorySpill, ContamOutputsEqualTheUnboundedRun) {
  ContamSpillCase c;
  ASSERT_EQ(c.run("ref", "--threads 2").exit_code, 0);
  const std::string expected = c.outputs("ref");
  ASSERT_NE(expected.find("\"action\":\"cut\""), std::string::npos) << "nothing cut";
  ASSERT_NE(expected.find("{not json"), std::string::npos) << "the bad record copied through";
  for (const std::string window : {"24", "480", "100000"}) {
    // A run that can resume spills into its work directory's file (written at each input's
    // end too); one that cannot, into OUT/.dupscan-spill or under --tmp-dir.
    for (const std::string options :
         {"--threads 2", "--threads 2 --no-resume", "--threads 1 --no-resume --tmp-dir {T}"}) {
      SCOPED_TRACE(window + " " + options);
      const std::string tmp = c.dir / "tmp";
      std::string args = options;
      if (args.find("{T}") != std::string::npos) {
        args.replace(args.find("{T}"), 3, test::shell_quote(tmp));
      }
      test::RunResult r;
      {
        // 1, 20 or ~4,000 Locators per window: a spill per document, per batch, or a few.
        test::EnvVar w("DUPSCAN_TEST_SPILL_WINDOW", window);
        r = c.run("spilled", args + " --memory 512M");
      }
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(c.outputs("spilled"), expected);
      EXPECT_FALSE(test::file_exists(c.dir / "spilled/.dupscan-spill")) << "spill left";
      EXPECT_FALSE(test::file_exists(c.dir / "spilled/.dupscan-work")) << "work dir left";
      if (test::file_exists(tmp)) {
        EXPECT_EQ(test::run_shell("ls -A " + test::shell_quote(tmp)).out, "") << "spill left";
      }
      simdjson::dom::parser p;
      const std::string text = test::read_file(c.dir / "spilled/report.json");
      auto rep = test::parse_json(p, text);
      auto mem = rep["memory"];
      const std::uint64_t docs = rep["train"]["documents"];
      EXPECT_EQ(std::uint64_t(mem["budget_bytes"]), std::uint64_t{512} << 20) << text;
      EXPECT_GT(std::uint64_t(mem["spilled_bytes"]), 0u) << text;
      EXPECT_LE(std::uint64_t(mem["spilled_bytes"]), docs * 24) << text;
      EXPECT_GE(std::uint64_t(mem["spill_runs"]), docs * 24 / (std::stoull(window) + 24)) << text;
      EXPECT_GT(std::uint64_t(mem["peak_resident_bytes"]), 1u << 20) << text;
      test::run_shell("rm -rf " + test::shell_quote(c.dir / "spilled") + " " +
                      test::shell_quote(tmp));
    }
  }
  // Without --write-decontaminated nothing grows per document: nothing is spilled.
  const auto r = test::run_dupscan("contam --train" + c.train + " --eval " +
                                   test::shell_quote("b=" + (c.dir / "eval.jsonl")) + " -o " +
                                   test::shell_quote(c.dir / "plain") + " -q --memory 512M");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(c.dir / "plain/contamination.jsonl"),
            test::read_file(c.dir / "ref/contamination.jsonl"));
  simdjson::dom::parser p;
  const std::string text = test::read_file(c.dir / "plain/report.json");
  EXPECT_EQ(std::uint64_t(test::parse_json(p, text)["memory"]["spilled_bytes"]), 0u) << text;
}

TEST(MemorySpill, ContamBudgetBelowTheMinimumIsAUsageError) {
  ContamSpillCase c;
  const auto low = c.run("out", "--memory 10M");
  EXPECT_EQ(low.exit_code, 2) << low.err;
  EXPECT_NE(low.err.find("below the minimum of 64M"), std::string::npos) << low.err;
  // Above 64M, below what the pipeline's batches of 256 workers take (16 x 1 MiB each): the
  // minimum named is this run's.
  const auto busy = c.run("out", "--memory 100M --threads 256");
  EXPECT_EQ(busy.exit_code, 2) << busy.err;
  const auto at = busy.err.find("below the minimum of ");
  ASSERT_NE(at, std::string::npos) << busy.err;
  EXPECT_GE(std::stoull(busy.err.substr(at + 21)), 1024u) << busy.err;
  EXPECT_NE(busy.err.find("256 thread(s)"), std::string::npos) << busy.err;
  EXPECT_FALSE(test::file_exists(c.dir / "out")) << "a refused run creates nothing";
  EXPECT_FALSE(test::file_exists(c.dir / "out.jsonl"));
}

TEST(MemorySpill, AKilledContamSpillIsClearedByTheNextRun) {
  ContamSpillCase c;
  const std::string out = c.dir / "out", tmp = c.dir / "tmp";
  char h[256] = {};
  ASSERT_EQ(::gethostname(h, sizeof h - 1), 0);
  std::string host = h;
  for (char& ch : host) {
    if (ch == '/' || ch == '.') ch = '_';
  }
  // What runs under --memory killed mid-way leave: the spill in the output directory, and one
  // under --tmp-dir of a process that is gone.
  const std::string dead = test::run_shell("sh -c 'echo $$'").out;
  const std::string gone = tmp + "/.dupscan-spill.dupscan-tmp." + host + "." +
                           dead.substr(0, dead.find('\n')) + ".locators";
  for (const std::string& d : {out + "/.dupscan-spill", gone}) {
    ASSERT_EQ(test::run_shell("mkdir -p " + test::shell_quote(d) + " && echo x > " +
                              test::shell_quote(d + "/locators"))
                  .exit_code,
              0);
  }
  const auto first = c.run("out", "");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_FALSE(test::file_exists(out + "/.dupscan-spill"));
  test::EnvVar w("DUPSCAN_TEST_SPILL_WINDOW", "480");
  // A budget well above the minimum, which counts the process's resident set (larger under the
  // sanitizers): the window above is what makes it spill.
  const auto second = c.run("out", "--memory 512M --no-resume --tmp-dir " + test::shell_quote(tmp));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_FALSE(test::file_exists(gone)) << "the spill of a process that is gone was left";
  EXPECT_EQ(test::run_shell("ls -A " + test::shell_quote(tmp)).out, "") << "this run's was left";
}

}  // namespace
}  // namespace dupscan
