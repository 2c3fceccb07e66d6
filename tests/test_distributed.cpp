// A distributed dedup or contam (distributed.hpp) writes what one process writes, byte for byte,
// whatever the number of ranks: in process (ranks as threads, every build) and through
// dupscan-mpi under mpirun -np 1/2/4 (when MPI was found; DUPSCAN_MPI_REQUIRED=1 makes its
// absence a failure).
#include <simdjson.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "dupscan/distributed.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/table_input.hpp"
#include "examples.hpp"
#include "io/columns.hpp"
#include "io/json_writer.hpp"
#include "mpi_util.hpp"
#include "parquet_util.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// ---- ranks as threads of this process -----------------------------------------------------------

struct OtherRankFailed : std::runtime_error {
  OtherRankFailed() : std::runtime_error("another rank failed") {}
};

class Hub {
 public:
  explicit Hub(int n) : n_(n), box_(n, std::vector<std::string>(n)) {}

  std::vector<std::string> exchange(int me, const std::vector<std::string>& send) {
    {
      std::lock_guard<std::mutex> lock(m_);
      for (int r = 0; r < n_; ++r)
        box_[r][me] = send[r];
    }
    barrier();
    std::vector<std::string> got;
    {
      std::lock_guard<std::mutex> lock(m_);
      got = std::move(box_[me]);
      box_[me].assign(n_, {});
    }
    barrier();  // nobody writes the next round before everyone took this one
    return got;
  }

  /// A rank failed: the others leave their collectives with an exception (MPI_Abort's role).
  void fail() {
    std::lock_guard<std::mutex> lock(m_);
    failed_ = true;
    cv_.notify_all();
  }

 private:
  void barrier() {
    std::unique_lock<std::mutex> lock(m_);
    if (failed_) throw OtherRankFailed();
    const auto gen = generation_;
    if (++arrived_ == n_) {
      arrived_ = 0;
      ++generation_;
      cv_.notify_all();
      return;
    }
    cv_.wait(lock, [&] { return generation_ != gen || failed_; });
    if (failed_) throw OtherRankFailed();
  }

  const int n_;
  std::vector<std::vector<std::string>> box_;  // box_[to][from]
  std::mutex m_;
  std::condition_variable cv_;
  int arrived_ = 0;
  std::uint64_t generation_ = 0;
  bool failed_ = false;
};

class ThreadCommunicator final : public Communicator {
 public:
  ThreadCommunicator(Hub& hub, int rank, int size) : hub_(hub), rank_(rank), size_(size) {}
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::vector<std::string> all_to_all(const std::vector<std::string>& send) override {
    return hub_.exchange(rank_, send);
  }
  std::vector<std::string> all_gather(const std::string& mine) override {
    return hub_.exchange(rank_, std::vector<std::string>(size_, mine));
  }

 private:
  Hub& hub_;
  const int rank_, size_;
};

/// run(communicator) on `ranks` threads; rank 0's result. Rethrows the error of the failed rank
/// with the lowest number.
template <class Result, class Run>
Result run_ranks_on_threads(int ranks, Run run) {
  Hub hub(ranks);
  std::vector<Result> results(ranks);
  std::vector<std::exception_ptr> errors(ranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        ThreadCommunicator comm(hub, r, ranks);
        results[r] = run(comm);
      } catch (const OtherRankFailed&) {
      } catch (...) {
        errors[r] = std::current_exception();
        hub.fail();
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return results[0];
}

/// run_dedup_distributed on `ranks` threads.
DedupResult run_on_threads(const DedupConfig& cfg, int ranks) {
  return run_ranks_on_threads<DedupResult>(
      ranks, [&](Communicator& comm) { return run_dedup_distributed(cfg, comm); });
}

// ---- the corpus and the comparison --------------------------------------------------------------

// The example corpus in `parts` files of about equal size (gzip, plain, zstd in turn), with an
// empty file in the middle; planted copies lie up to a few hundred records after their
// originals, so many pairs and clusters span two parts.
// With bad_every > 0, a record that cannot be read (invalid UTF-8) follows every bad_every-th.
std::vector<std::string> write_parts(const test::TempDir& dir, int parts,
                                     std::size_t bad_every = 0) {
  const auto lines = test::example_lines();
  std::vector<std::string> paths;
  for (int p = 0; p < parts; ++p) {
    std::string text;
    for (std::size_t i = lines.size() * p / parts; i < lines.size() * (p + 1) / parts; ++i) {
      text += lines[i] + "\n";
      if (bad_every && i % bad_every == 0) {
        text += "{\"id\":\"bad" + std::to_string(i) + "\",\"text\":\"caf\xe9\"}\n";
      }
    }
    std::string path = dir / ("part" + std::to_string(p) + ".jsonl");
    if (p % 3 == 0) {
      path += ".gz";
      test::write_file(path, test::gzip_bytes(text));
    } else if (p % 3 == 2) {
      path += ".zst";
      test::write_file(path, test::zstd_bytes(text));
    } else {
      test::write_file(path, text);
    }
    paths.push_back(path);
    if (p == parts / 2) {
      paths.push_back(dir / "empty.jsonl");
      test::write_file(paths.back(), "");
    }
  }
  return paths;
}

// report.json without what may differ: timings, ranks, output paths, and the two counters of
// work done (a rank sketches its own first copy of a text that another rank also holds).
std::string comparable_report(const std::string& dir) {
  simdjson::dom::parser parser;
  std::string text = test::read_file(dir + "/report.json");
  const auto doc = test::parse_json(parser, text);
  std::string out;
  for (auto field : doc.get_object()) {
    const std::string key(field.key);
    // resume.work_dir names the output directory, as outputs do.
    if (key == "timings_s" || key == "ranks" || key == "outputs" || key == "resume" ||
        key == "memory")
      continue;
    if (key == "counts") {
      for (auto c : field.value.get_object()) {
        const std::string k(c.key);
        if (k == "sketch_skipped" || k == "keys_from_copy") continue;
        out += k + "=" + simdjson::to_string(c.value) + "\n";
      }
      continue;
    }
    out += key + "=" + simdjson::to_string(field.value) + "\n";
  }
  return out;
}

void expect_same_outputs(const std::string& one, const std::string& many, const std::string& what) {
  for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
    const std::string a = one + "/" + f, b = many + "/" + f;
    ASSERT_TRUE(test::file_exists(b)) << what << ": " << b;
    EXPECT_TRUE(test::read_file(a) == test::read_file(b)) << what << ": " << f << " differs";
  }
  EXPECT_EQ(comparable_report(one), comparable_report(many)) << what;
  // Nothing else is left in the output directory (pieces, temporary files).
  EXPECT_EQ(test::list_dir(many), (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl",
                                                            "kept.jsonl", "report.json"}))
      << what;
}

DedupConfig config(const std::vector<std::string>& inputs, const std::string& out) {
  DedupConfig cfg;
  cfg.inputs = inputs;
  cfg.output_dir = out;
  cfg.write_deduped = out + "/kept.jsonl";
  cfg.threads = 2;
  return cfg;
}

TEST(Distributed, SameBytesAsOneProcessOnOneToFourRanks) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  DedupConfig one = config(inputs, dir / "one");
  const DedupResult r1 = run_dedup(one);
  // The corpus has what the comparison needs: exact and near duplicates, across parts.
  ASSERT_GT(r1.counts.exact_duplicates, 50u);
  ASSERT_GT(r1.counts.near_duplicates, 200u);
  for (int ranks = 1; ranks <= 4; ++ranks) {
    const std::string out = dir / ("ranks" + std::to_string(ranks));
    const DedupResult r = run_on_threads(config(inputs, out), ranks);
    EXPECT_EQ(r.ranks, static_cast<unsigned>(ranks));
    EXPECT_EQ(r.counts.exact_duplicates, r1.counts.exact_duplicates);
    EXPECT_EQ(r.counts.near_duplicates, r1.counts.near_duplicates);
    EXPECT_EQ(r.counts.candidate_pairs, r1.counts.candidate_pairs);
    expect_same_outputs(one.output_dir, out, std::to_string(ranks) + " ranks");
  }
}

// Records that cannot be read are copied into --write-deduped by every rank, as one process does.
TEST(Distributed, SkippedRecordsPassThroughTheDeduplicatedCopy) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 4, 37);
  const DedupResult r1 = run_dedup(config(inputs, dir / "one"));
  ASSERT_GT(r1.counts.skipped, 50u);
  EXPECT_EQ(r1.skipped_passed_through, r1.counts.skipped);
  const std::string kept = test::read_file(dir / "one/kept.jsonl");
  std::size_t bad = 0;
  for (std::size_t at = 0; (at = kept.find("\"text\":\"caf\xe9\"", at)) != std::string::npos; ++at)
    ++bad;
  EXPECT_EQ(bad, r1.counts.skipped);
  for (int ranks : {2, 3}) {
    const std::string out = dir / ("ranks" + std::to_string(ranks));
    const DedupResult r = run_on_threads(config(inputs, out), ranks);
    EXPECT_EQ(r.skipped_passed_through, r1.counts.skipped);
    expect_same_outputs(dir / "one", out, std::to_string(ranks) + " ranks, skipped records");
  }
}

// Larger clusters spanning ranks (threshold 0.5), the longest member kept (often on another rank
// than the cluster's first), ids from path:line (no id field), character shingles, the affine64
// scheme (64-bit signatures and their band keys).
TEST(Distributed, KeepLongestLowThresholdNoIds) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 4);
  auto cfg = [&](const std::string& out) {
    DedupConfig c = config(inputs, out);
    c.keep = KeepPolicy::longest;
    c.threshold = 0.5;
    c.id_field = "no_such_field";
    c.shingle = ShingleSpec::parse("char:9");
    c.scheme = Scheme::affine64;
    return c;
  };
  const DedupResult r1 = run_dedup(cfg(dir / "one"));
  ASSERT_GT(r1.counts.jaccard_extra_pairs, 0u);  // removed members never paired with the kept one
  for (int ranks : {2, 3}) {
    const std::string out = dir / ("ranks" + std::to_string(ranks));
    DedupConfig c = cfg(out);
    c.verify_round_pairs = 7;  // many rounds, ranks with different numbers of pairs
    run_on_threads(c, ranks);
    expect_same_outputs(dir / "one", out, std::to_string(ranks) + " ranks, keep longest");
  }
  EXPECT_NE(test::read_file(dir / "one/duplicates.jsonl").find("part1.jsonl:"), std::string::npos);
}

// Chains: each document differs from the previous one of its chain by a few words (Jaccard
// ~0.9), far members of a chain are not similar at all, and the links are spread over the files
// out of order -- a cluster is joined only through many pairs on several ranks, the case that
// needs several rounds of the distributed union-find.
TEST(Distributed, LongChainsAcrossRanksJoinAsOneProcessJoinsThem) {
  test::TempDir dir;
  std::mt19937_64 rng(11);
  const std::vector<std::string> vocab = {"alpha",   "bravo", "charlie", "delta",    "echo",
                                          "foxtrot", "golf",  "hotel",   "india",    "juliet",
                                          "kilo",    "lima",  "mike",    "november", "oscar"};
  std::vector<std::string> records;
  for (int chain = 0; chain < 6; ++chain) {
    std::vector<std::string> words(240);
    for (std::size_t w = 0; w < words.size(); ++w)
      words[w] = vocab[rng() % vocab.size()] + std::to_string(rng() % 1000);
    for (int i = 0; i < 40; ++i) {
      for (int k = 0; k < 3; ++k)  // three new words at a new place
        words[(i * 6 + k) % words.size()] =
            "w" + std::to_string(chain) + "x" + std::to_string(i) + "y" + std::to_string(k);
      std::string text;
      for (const auto& w : words)
        text += w + " ";
      records.push_back("{\"id\":\"c" + std::to_string(chain) + "-" + std::to_string(i) +
                        "\",\"text\":\"" + text + "\"}");
    }
  }
  std::shuffle(records.begin(), records.end(), rng);
  std::vector<std::string> inputs;
  for (int f = 0; f < 6; ++f) {
    std::string text;
    for (std::size_t i = f; i < records.size(); i += 6)
      text += records[i] + "\n";
    inputs.push_back(dir / ("chain" + std::to_string(f) + ".jsonl"));
    test::write_file(inputs.back(), text);
  }
  auto cfg = [&](const std::string& out) {
    DedupConfig c = config(inputs, out);
    c.lsh = LshParams{32, 4};  // every link a candidate
    return c;
  };
  const DedupResult r1 = run_dedup(cfg(dir / "one"));
  ASSERT_LE(r1.counts.clusters, 12u);          // chains stay whole (or nearly)
  ASSERT_GE(r1.counts.near_duplicates, 200u);  // of 240 documents
  ASSERT_GT(r1.counts.rejected_pairs, 0u);     // far members are candidates, not duplicates
  for (int ranks = 2; ranks <= 4; ++ranks) {
    const std::string out = dir / ("ranks" + std::to_string(ranks));
    run_on_threads(cfg(out), ranks);
    expect_same_outputs(dir / "one", out, std::to_string(ranks) + " ranks, chains");
  }
}

TEST(Distributed, MoreRanksThanFiles) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 1);  // part0.jsonl.gz and an empty file
  run_dedup(config(inputs, dir / "one"));
  run_on_threads(config(inputs, dir / "four"), 4);
  expect_same_outputs(dir / "one", dir / "four", "4 ranks, 2 files");
}

TEST(Distributed, UnsupportedOptionsAreUsageErrors) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 2);
  DedupConfig c = config(inputs, dir / "out");
  c.verify = false;
  EXPECT_THROW(run_on_threads(c, 2), UsageError);
  c = config({"-"}, dir / "out");
  EXPECT_THROW(run_on_threads(c, 2), UsageError);
  c = config(inputs, dir / "out");
  c.write_signatures = dir / "sigs.jsonl";
  EXPECT_THROW(run_on_threads(c, 2), UsageError);
}

// --memory per rank (dedup_dist.cpp's open_spill): each rank's band keys spilled as sorted runs
// (a window of ~8 documents' keys: a run per batch read, merged in cascades of 2) and read back per
// band for the exchange; with the texts remembered bounded to 3 (on 1 and 3 ranks), exact
// copies are sketched again and spilled more than once per group. Every output is one
// process's without a budget, byte for byte, for two schemes and the fast sketch.
TEST(Distributed, MemoryBudgetPerRankWritesTheUnboundedBytes) {
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  struct Variant {
    std::string name;
    Scheme scheme;
    SketchKind sketch;
    KeepPolicy keep;
  };
  for (const Variant& v :
       {Variant{"affine32", Scheme::affine32, SketchKind::compat, KeepPolicy::first},
        Variant{"legacy", Scheme::legacy, SketchKind::compat, KeepPolicy::longest},
        Variant{"fast", Scheme::affine32, SketchKind::fast, KeepPolicy::first}}) {
    DedupConfig one = config(inputs, dir / (v.name + "-one"));
    one.scheme = v.scheme;
    one.sketch = v.sketch;
    one.keep = v.keep;
    const DedupResult r1 = run_dedup(one);
    ASSERT_GT(r1.counts.near_duplicates, 200u) << v.name;
    for (int ranks = 1; ranks <= 3; ++ranks) {
      const std::string what = v.name + " on " + std::to_string(ranks) + " ranks";
      SCOPED_TRACE(what);
      DedupConfig c = one;
      c.output_dir = dir / (v.name + "-np" + std::to_string(ranks));
      c.write_deduped = c.output_dir + "/kept.jsonl";
      c.memory = std::size_t{64} << 20;
      if (ranks == 2) c.tmp_dir = dir / "tmp";  // the spill there, named by process and rank
      DedupResult r;
      {
        test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
        test::EnvVar fan_in("DUPSCAN_TEST_SPILL_FAN_IN", "2");
        test::EnvVar cap("DUPSCAN_TEST_SEEN_EXACT_CAP", ranks == 2 ? "1000000" : "3");
        r = run_on_threads(c, ranks);
      }
      EXPECT_EQ(r.counts.candidate_pairs, r1.counts.candidate_pairs);
      expect_same_outputs(one.output_dir, c.output_dir, what);
      // It spilled every key (12 B per entry, 9 bands, > 10,000 documents sketched), in a run
      // per batch read (2 per input): several per rank, merged in cascades of 2.
      EXPECT_GT(r.memory.spilled_bytes, 10000u * 9 * 12);
      EXPECT_GE(r.memory.spill_runs, 9u);
      // The bound on the texts remembered bit: copies were sketched again.
      if (ranks != 2) EXPECT_LT(r.counts.sketch_skipped, r1.counts.sketch_skipped / 2);
      simdjson::dom::parser p;
      const std::string text = test::read_file(c.output_dir + "/report.json");
      auto mem = test::parse_json(p, text)["memory"];
      EXPECT_EQ(std::uint64_t(mem["budget_bytes"]), std::uint64_t{64} << 20) << text;
      EXPECT_EQ(std::uint64_t(mem["spilled_bytes"]), r.memory.spilled_bytes) << text;
      EXPECT_GT(std::uint64_t(mem["peak_resident_bytes"]), 1u << 20) << text;
      // Every rank's Locators, ids and lengths went to disk with its keys (doc_spill.hpp), and
      // nothing of either spill is left beside the outputs.
      EXPECT_EQ(r.memory.documents_on_disk, r.counts.documents);
      EXPECT_EQ(std::uint64_t(mem["documents_on_disk"]), r.counts.documents) << text;
      for (const std::string& name : test::list_dir(c.output_dir))
        EXPECT_EQ(name.rfind(".dupscan-spill", 0), std::string::npos) << name;
    }
  }
  EXPECT_TRUE(test::list_dir(dir / "tmp").empty()) << "a rank's spill was left in --tmp-dir";
}

#ifdef DUPSCAN_HAVE_PARQUET
// The example corpus in `parts` Parquet files (its records as rows, the same columns in each),
// each with a row whose text is null (skipped by pass 1, kept in the copies).
std::vector<std::string> write_parquet_parts(const test::TempDir& dir, int parts) {
  const auto lines = test::example_lines();
  std::vector<std::string> paths;
  for (int p = 0; p < parts; ++p) {
    std::vector<std::string> rows(lines.begin() + lines.size() * p / parts,
                                  lines.begin() + lines.size() * (p + 1) / parts);
    rows.insert(rows.begin() + 3,
                "{\"id\":\"null" + std::to_string(p) + "\",\"source\":\"none\",\"text\":null}");
    paths.push_back(dir / ("part" + std::to_string(p) + ".parquet"));
    test::write_parquet(paths.back(), rows);
  }
  return paths;
}

// --write-deduped of Parquet inputs: their kept rows as JSON objects into a JSON Lines copy (each
// rank its share's), or as rows into a Parquet copy (rank 0 from every input's kept rows): on 1,
// 2 and 3 ranks the same bytes as one process, the null-text rows passed through.
TEST(Distributed, ParquetInputsCopiedAsOneProcessCopiesThem) {
  test::TempDir dir;
  const auto inputs = write_parquet_parts(dir, 4);
  const DedupResult r1 = run_dedup(config(inputs, dir / "one"));
  ASSERT_GT(r1.counts.exact_duplicates + r1.counts.near_duplicates, 100u);
  EXPECT_EQ(r1.skipped_passed_through, 4u);
  DedupConfig pq1 = config(inputs, dir / "one-pq");
  pq1.write_deduped = dir / "one-pq/kept.parquet";
  run_dedup(pq1);
  const std::string kept = test::read_file(dir / "one/kept.jsonl");
  const std::size_t rows = test::lines_of(kept).size();
  ASSERT_EQ(test::parquet_rows(pq1.write_deduped, rows + 1).size(), rows);
  for (int ranks : {1, 2, 3}) {
    const std::string out = dir / ("ranks" + std::to_string(ranks));
    const DedupResult r = run_on_threads(config(inputs, out), ranks);
    EXPECT_EQ(r.skipped_passed_through, 4u);
    expect_same_outputs(dir / "one", out, std::to_string(ranks) + " ranks, Parquet inputs");
    DedupConfig pq = config(inputs, out + "-pq");
    pq.write_deduped = out + "-pq/kept.parquet";
    const DedupResult rp = run_on_threads(pq, ranks);
    EXPECT_EQ(rp.skipped_passed_through, 4u);
    EXPECT_TRUE(test::read_file(pq.write_deduped) == test::read_file(pq1.write_deduped))
        << ranks << " ranks: the Parquet copy differs";
    EXPECT_EQ(test::parquet_rows(pq.write_deduped, rows + 1),
              test::parquet_rows(pq1.write_deduped, rows + 1));
    EXPECT_EQ(test::read_file(out + "-pq/duplicates.jsonl"),
              test::read_file(dir / "one-pq/duplicates.jsonl"));
    EXPECT_EQ(test::list_dir(out + "-pq"),
              (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "kept.parquet",
                                        "report.json"}));
  }
  // A Parquet copy of line files stays one process's: refused before any work.
  const auto lines = write_parts(dir, 2);
  DedupConfig c = config(lines, dir / "lines");
  c.write_deduped = dir / "lines/kept.parquet";
  try {
    run_on_threads(c, 2);
    ADD_FAILURE() << "a Parquet copy of line files";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("copies line files into JSON Lines only"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(dir / "lines"));
}
#endif

// A bad record on one rank (--strict) fails the whole run, naming file and line; the outputs of
// an earlier run stay as they were.
TEST(Distributed, BadRecordOnOneRankFailsTheRunAndKeepsEarlierOutputs) {
  test::TempDir dir;
  auto inputs = write_parts(dir, 3);
  DedupConfig c = config(inputs, dir / "out");
  c.strict = true;
  run_on_threads(c, 3);
  const std::string before = test::read_file(dir / "out/duplicates.jsonl");
  const std::string kept_before = test::read_file(dir / "out/kept.jsonl");
  const std::string part1 = test::read_file(dir / "part1.jsonl");
  test::write_file(dir / "part1.jsonl", part1 + "{\"text\": 1}\n");
  try {
    run_on_threads(c, 3);
    FAIL() << "a bad record with --strict must fail the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("part1.jsonl:"), std::string::npos) << e.what();
  }
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), before);
  EXPECT_EQ(test::read_file(dir / "out/kept.jsonl"), kept_before);
  // Beside them, what the ranks had read (resume.hpp): the same run, once the input is fixed,
  // goes on from it and writes what it wrote before.
  EXPECT_EQ(test::list_dir(dir / "out"),
            (std::vector<std::string>{".dupscan-work", "clusters.jsonl", "duplicates.jsonl",
                                      "kept.jsonl", "report.json"}));
  test::write_file(dir / "part1.jsonl", part1);
  run_on_threads(c, 3);
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), before);
  EXPECT_EQ(test::read_file(dir / "out/kept.jsonl"), kept_before);
  EXPECT_EQ(test::list_dir(dir / "out"),
            (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "kept.jsonl",
                                      "report.json"}));
}

// An input that read nothing fails the run on the rank that reads it, with the one-line hint a
// single process gives; the output directory is not left behind.
TEST(Distributed, AnInputThatReadNothingFailsTheRun) {
  test::TempDir dir;
  auto inputs = write_parts(dir, 3);
  test::write_file(dir / "gsm.jsonl",
                   "{\"question\":\"How many clips did she sell?\",\"answer\":\"a\"}\n"
                   "{\"question\":\"How many eggs are left over?\",\"answer\":\"b\"}\n");
  inputs.push_back(dir / "gsm.jsonl");
  DedupConfig c = config(inputs, dir / "out");
  try {
    run_on_threads(c, 3);
    FAIL() << "a run that read nothing of an input succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'" + (dir / "gsm.jsonl") +
                                         "': no document read, all 2 records skipped"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("use --text-field question"), std::string::npos)
        << e.what();
  }
  // Nothing but what the other ranks read, to go on from once gsm.jsonl is fixed (resume.hpp).
  EXPECT_EQ(test::list_dir(dir / "out"), (std::vector<std::string>{".dupscan-work"}));
}

// ---- dupscan-mpi under mpirun ----------------------------------------------------------------

using test::mpirun;
using test::need_mpi;

std::string quoted(const std::vector<std::string>& paths) {
  std::string s;
  for (const auto& p : paths)
    s += test::shell_quote(p) + " ";
  return s;
}

// The arguments of dedup of `inputs` into `out` on one thread (per process), with its
// deduplicated copy out/kept.jsonl.
std::string dedup_args(const std::vector<std::string>& inputs, const std::string& out) {
  return "dedup " + quoted(inputs) + "-o " + test::shell_quote(out) +
         " --threads 1 --write-deduped " + test::shell_quote(out + "/kept.jsonl");
}

TEST(DistributedMpi, MpirunOneTwoFourRanksWriteWhatDupscanWrites) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  auto args = [&](const std::string& out) { return dedup_args(inputs, out); };
  const auto one = test::run_dupscan(args(dir / "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  for (int ranks : {1, 2, 4}) {
    const std::string out = dir / ("np" + std::to_string(ranks));
    const auto r = mpirun(ranks, args(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // One summary, from rank 0, saying how it ran.
    const std::string says = ranks > 1 ? std::to_string(ranks) + " ranks x 1 thread" : "1 thread]";
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("dupscan dedup:"), r.err.rfind("dupscan dedup:")) << r.err;
    expect_same_outputs(dir / "one", out, "mpirun -np " + std::to_string(ranks));
  }
  // dupscan-mpi takes --scheme as dupscan does.
  const auto legacy = test::run_dupscan(args(dir / "one-legacy") + " --scheme legacy");
  ASSERT_EQ(legacy.exit_code, 0) << legacy.err;
  const auto r = mpirun(2, args(dir / "np2-legacy") + " --scheme legacy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_outputs(dir / "one-legacy", dir / "np2-legacy", "mpirun -np 2 --scheme legacy");
  EXPECT_NE(test::read_file(dir / "np2-legacy/report.json").find("\"scheme\": \"legacy\""),
            std::string::npos);
}

#ifdef DUPSCAN_HAVE_PARQUET
// Parquet inputs under mpirun -np 2: the JSON Lines copy and the Parquet copy are dupscan's.
TEST(DistributedMpi, MpirunCopiesParquetInputsAsDupscanDoes) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const std::string in = quoted(write_parquet_parts(dir, 3));
  for (const char* name : {"kept.jsonl", "kept.parquet"}) {
    SCOPED_TRACE(name);
    auto args = [&](const std::string& out) {
      return "dedup " + in + "-o " + test::shell_quote(out) + " --threads 1 --write-deduped " +
             test::shell_quote(out + "/" + name);
    };
    const std::string one = dir / ("one-" + std::string(name)),
                      two = dir / ("np2-" + std::string(name));
    const auto r1 = test::run_dupscan(args(one));
    ASSERT_EQ(r1.exit_code, 0) << r1.err;
    const auto r2 = mpirun(2, args(two), 120);
    ASSERT_EQ(r2.exit_code, 0) << r2.err;
    for (const char* f : {"duplicates.jsonl", "clusters.jsonl", name}) {
      EXPECT_TRUE(test::read_file(one + "/" + f) == test::read_file(two + "/" + f)) << f;
    }
    EXPECT_EQ(comparable_report(one), comparable_report(two));
  }
  EXPECT_EQ(test::parquet_rows(dir / "np2-kept.parquet/kept.parquet", 1u << 20).size(),
            test::lines_of(test::read_file(dir / "one-kept.jsonl/kept.jsonl")).size());
}
#endif

TEST(DistributedMpi, MpirunFailuresExitNonZeroAndKeepEarlierOutputs) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  const std::string out = dir / "out";
  const std::string base =
      "dedup " + quoted(inputs) + "-o " + test::shell_quote(out) + " --threads 1 --strict";
  ASSERT_EQ(mpirun(2, base).exit_code, 0);
  const std::string before = test::read_file(out + "/duplicates.jsonl");

  const auto usage = mpirun(2, base + " --no-verify");
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("--no-verify is not supported in a distributed run"), std::string::npos)
      << usage.err;

  // part4, the last file, is rank 1's: its bad line ends the run on every rank.
  test::write_file(dir / "part4.jsonl", test::read_file(dir / "part4.jsonl") + "[1, 2]\n");
  const auto bad = mpirun(2, base);
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_NE(bad.err.find("rank 1: error: " + dir / "part4.jsonl:"), std::string::npos) << bad.err;
  EXPECT_EQ(test::read_file(out + "/duplicates.jsonl"), before);
}

// A rank killed (SIGKILL, a preempted node) ends the job; the same mpirun again resumes each
// rank's pass 1 from its work directory and writes what one process writes. Another rank count
// is refused (the inputs' split differs); --restart starts over.
TEST(DistributedMpi, KilledRunResumesOnTheSameRanks) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  auto args = [&](const std::string& out) { return dedup_args(inputs, out); };
  const auto one = test::run_dupscan(args(dir / "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  const std::string out = dir / "np2";
  ::setenv("DUPSCAN_TEST_FAULT", "resume-part-saved-2", 1);
  const auto killed = mpirun(2, args(out), 120);
  ::unsetenv("DUPSCAN_TEST_FAULT");
  EXPECT_NE(killed.exit_code, 0) << killed.err;
  EXPECT_FALSE(test::file_exists(out + "/duplicates.jsonl"));
  ASSERT_TRUE(test::file_exists(out + "/.dupscan-work/rank-0-of-2/input-000001.part"));
  const auto four = mpirun(4, args(out), 120);
  EXPECT_EQ(four.exit_code, 2) << four.err;
  EXPECT_NE(four.err.find("holds an interrupted run of 2 ranks, this one has 4"), std::string::npos)
      << four.err;
  const auto again = mpirun(2, args(out), 120);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming: 2 of"), std::string::npos) << again.err;
  expect_same_outputs(dir / "one", out, "mpirun -np 2, killed and resumed");
  // Each rank kills itself once it saved its second input, or is ended before by mpirun.
  EXPECT_NE(test::read_file(out + "/report.json").find("\"resumed\": true"), std::string::npos)
      << test::read_file(out + "/report.json");
  // Killed on 2 ranks, restarted on 4.
  const std::string out4 = dir / "np4";
  ::setenv("DUPSCAN_TEST_FAULT", "resume-part-saved-1", 1);
  EXPECT_NE(mpirun(2, args(out4), 120).exit_code, 0);
  ::unsetenv("DUPSCAN_TEST_FAULT");
  const auto restart = mpirun(4, args(out4) + " --restart", 120);
  ASSERT_EQ(restart.exit_code, 0) << restart.err;
  EXPECT_EQ(restart.err.find("resuming"), std::string::npos) << restart.err;
  expect_same_outputs(dir / "one", out4, "mpirun -np 4 --restart after -np 2 was killed");
}

// dupscan-mpi dedup --memory under mpirun: each rank spills its band keys (windows of ~8
// documents' keys, cascades of 2) and the outputs are dupscan's without a budget; killed once it
// saved inputs (a window that holds an input's keys, so that inputs are saved and spilled), the
// same command resumes and writes them too. The spill directories go with the run.
TEST(DistributedMpi, MemoryPerRankWritesWhatDupscanWritesAndResumes) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const auto inputs = write_parts(dir, 5);
  auto args = [&](const std::string& out) { return dedup_args(inputs, out); };
  const auto one = test::run_dupscan(args(dir / "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  auto spilled = [](const std::string& out) {
    simdjson::dom::parser p;
    const std::string text = test::read_file(out + "/report.json");
    return std::uint64_t(test::parse_json(p, text)["memory"]["spilled_bytes"]);
  };
  for (int ranks : {2, 3}) {
    const std::string out = dir / ("np" + std::to_string(ranks));
    test::RunResult r;
    {
      test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "600");
      test::EnvVar fan_in("DUPSCAN_TEST_SPILL_FAN_IN", "2");
      r = mpirun(ranks, args(out) + " --memory 64M", 120);
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_outputs(dir / "one", out, "mpirun -np " + std::to_string(ranks) + " --memory");
    EXPECT_GT(spilled(out), 10000u);
    EXPECT_NE(r.err.find(" per rank: "), std::string::npos) << r.err;
  }
  const std::string out = dir / "killed";
  {
    // Its keys and rows held (doc_spill.hpp) outgrow this in the rank's third input, after two
    // were saved whole.
    test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "700000");
    test::EnvVar fault("DUPSCAN_TEST_FAULT", "resume-part-saved-2");
    EXPECT_NE(mpirun(2, args(out) + " --memory 64M", 120).exit_code, 0);
  }
  ASSERT_TRUE(test::file_exists(out + "/.dupscan-work/rank-0-of-2/input-000001.part"));
  test::RunResult again;
  {
    test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "700000");
    again = mpirun(2, args(out) + " --memory 64M", 120);
  }
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming: 2 of"), std::string::npos) << again.err;
  expect_same_outputs(dir / "one", out, "mpirun -np 2 --memory, killed and resumed");
  EXPECT_GT(spilled(out), 0u);
}

// ---- contam
// --------------------------------------------------------------------------------------

// Training files for contam across ranks: half of the example corpus (its GSM8K test and
// HumanEval records are the benchmarks) in four parts, each followed by a file of planted
// overlaps of one example -- words 0..19 in the first, 10..39 in the second, the whole of it twice
// in the third, 5..24 in the fourth -- so that with 2 or 4 ranks the spans are clipped again
// across ranks; and a boilerplate 13-gram in 12 documents over the files (more than
// --max-train-docs 10 in all, 3 in one file: not cut anywhere).
struct ContamRanks {
  test::TempDir dir;
  std::vector<std::string> train;
  ContamConfig cfg;
  ContamRanks() {
    std::string gsm8k, humaneval;
    std::vector<std::string> rest;
    for (const std::string& line : test::example_lines()) {
      const bool copy = line.find('~') != std::string::npos;
      if (!copy && line.find("\"id\": \"gsm8k-test-") != std::string::npos) {
        gsm8k += line + "\n";
      } else if (!copy && line.find("\"id\": \"humaneval-") != std::string::npos) {
        humaneval += line + "\n";
      } else {
        rest.push_back(line);
      }
    }
    std::vector<std::string> e, boiler;
    for (int i = 0; i < 40; ++i)
      e.push_back("ex" + std::to_string(i));
    for (int i = 0; i < 13; ++i)
      boiler.push_back("bp" + std::to_string(i));
    auto words = [](const std::vector<std::string>& w, std::size_t from, std::size_t n) {
      std::string s;
      for (std::size_t i = from; i < from + n; ++i)
        s += (s.empty() ? "" : " ") + w[i];
      return s;
    };
    auto rec = [](const std::string& id, const std::string& text) {
      std::string line = "{\"id\":\"" + id + "\",\"text\":";
      append_json_string(line, text);
      return line + "}\n";
    };
    gsm8k += rec("planted", words(e, 0, 40)) + rec("boiler", words(boiler, 0, 13));
    test::write_file(dir / "gsm8k.jsonl", gsm8k);
    test::write_file(dir / "humaneval.jsonl", humaneval);
    const std::string parts[4] = {words(e, 0, 20), words(e, 10, 30),
                                  words(e, 0, 40) + " filler " + words(e, 0, 40), words(e, 5, 20)};
    // part0 planted0 part1 planted1 ...: with 2 or 4 ranks the planted files go to different ones
    // (each follows the part it shares a rank with).
    for (int f = 0; f < 4; ++f) {
      std::string text;
      for (std::size_t i = rest.size() / 10 + (rest.size() * 4 / 10) * f / 4;
           i < rest.size() / 10 + (rest.size() * 4 / 10) * (f + 1) / 4; ++i)
        text += rest[i] + "\n";
      std::string path = dir / ("part" + std::to_string(f) + ".jsonl");
      if (f == 1) {
        path += ".gz";
        test::write_file(path, test::gzip_bytes(text));
      } else {
        test::write_file(path, text);
      }
      train.push_back(path);
      text = rec("p" + std::to_string(f), "lead " + parts[f] + " tail");
      for (int b = 0; b < 3; ++b)
        text +=
            rec("b" + std::to_string(f) + std::to_string(b), "x " + words(boiler, 0, 13) + " y");
      for (std::size_t i = rest.size() * f / 40; i < rest.size() * (f + 1) / 40; ++i)
        text += rest[i] + "\n";
      train.push_back(dir / ("planted" + std::to_string(f) + ".jsonl"));
      test::write_file(train.back(), text);
    }
    cfg.train = train;
    cfg.evals = {EvalSpec::parse("gsm8k=" + (dir / "gsm8k.jsonl")),
                 EvalSpec::parse("humaneval=" + (dir / "humaneval.jsonl"))};
    cfg.threads = 2;
    cfg.max_matches = 3;  // listing capped across ranks
  }
  ContamConfig at(const std::string& out) const {
    ContamConfig c = cfg;
    c.output_dir = out;
    c.write_decontaminated = out + "/decon.jsonl";
    return c;
  }
};

std::string comparable_contam_report(const std::string& dir) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(dir + "/report.json");
  std::string out;
  for (auto field : test::parse_json(parser, text).get_object()) {
    const std::string key(field.key);
    // resume.work_dir names the output directory, as outputs do.
    if (key == "timings_s" || key == "ranks" || key == "outputs" || key == "resume" ||
        key == "memory")
      continue;
    out += key + "=" + simdjson::to_string(field.value) + "\n";
  }
  return out;
}

void expect_same_contam_outputs(const std::string& one, const std::string& many,
                                const std::string& what) {
  for (const char* f : {"contamination.jsonl", "clean/gsm8k.jsonl", "clean/humaneval.jsonl",
                        "removed.jsonl", "decon.jsonl"}) {
    const std::string a = one + "/" + f, b = many + "/" + f;
    ASSERT_TRUE(test::file_exists(b)) << what << ": " << b;
    EXPECT_TRUE(test::read_file(a) == test::read_file(b)) << what << ": " << f << " differs";
  }
  EXPECT_EQ(comparable_contam_report(one), comparable_contam_report(many)) << what;
  EXPECT_EQ(test::list_dir(many),
            (std::vector<std::string>{"clean", "contamination.jsonl", "decon.jsonl",
                                      "removed.jsonl", "report.json"}))
      << what;
}

TEST(DistributedContam, SameBytesAsOneProcessOnOneToFourRanks) {
  ContamRanks c;
  const ContamResult r1 = run_contam(c.at(c.dir / "one"));
  // What the comparison needs: dirty examples and near duplicates, the planted example's spans
  // over four files, and the boilerplate n-gram counted over all of them.
  ASSERT_GT(r1.benchmarks[0].dirty, 25u);
  ASSERT_GT(r1.benchmarks[0].near_duplicate_examples, 10u);
  EXPECT_EQ(r1.boilerplate_ngrams, 1u);
  const std::string rows = test::read_file(c.dir / "one/contamination.jsonl");
  EXPECT_NE(rows.find("\"id\":\"planted\",\"words\":40,\"judged\":true,\"dirty\":true,"
                      "\"coverage\":1,\"longest_match\":40,\"train_docs\":4,"),
            std::string::npos);
  for (int ranks = 1; ranks <= 4; ++ranks) {
    const std::string out = c.dir / ("ranks" + std::to_string(ranks));
    const ContamConfig cfg = c.at(out);
    const ContamResult r = run_ranks_on_threads<ContamResult>(
        ranks, [&](Communicator& comm) { return run_contam_distributed(cfg, comm); });
    EXPECT_EQ(r.ranks, static_cast<unsigned>(ranks));
    EXPECT_EQ(r.train_documents, r1.train_documents);
    EXPECT_EQ(r.matches, r1.matches);
    expect_same_contam_outputs(c.dir / "one", out, std::to_string(ranks) + " ranks");
  }
  // More ranks than files: some read none.
  std::vector<std::string> two = {c.train[1], c.train[3]};
  ContamConfig few = c.at(c.dir / "few-one");
  few.train = two;
  run_contam(few);
  ContamConfig many = c.at(c.dir / "few-four");
  many.train = two;
  run_ranks_on_threads<ContamResult>(
      4, [&](Communicator& comm) { return run_contam_distributed(many, comm); });
  expect_same_contam_outputs(c.dir / "few-one", c.dir / "few-four", "4 ranks, 2 files");
}

// What no rank can do alone fails on every rank before any collective, or from the whole run's
// count: no training document anywhere (some ranks read none, the others only empty files),
// tables in memory (every rank would read all of them), a Parquet training file that cannot be
// read with --write-decontaminated (its columns are checked up front, on every rank: only the
// rank that reads it would find out otherwise).
// contam --memory per rank: the Locators --write-decontaminated keeps go, past a window of 20,
// to the rank's own file (OUT/.dupscan-spill/rank-R-of-N, or under --tmp-dir on 2 ranks) and
// are read back in pieces; every output is one process's without a budget, and the spills go.
TEST(DistributedContam, MemoryBudgetPerRankWritesTheUnboundedBytes) {
  ContamRanks c;
  run_contam(c.at(c.dir / "one"));
  for (int ranks = 1; ranks <= 3; ++ranks) {
    const std::string what = std::to_string(ranks) + " ranks, --memory";
    const std::string out = c.dir / ("np" + std::to_string(ranks));
    ContamConfig cfg = c.at(out);
    cfg.memory = std::size_t{8} << 30;  // above any minimum: the window comes from the test knob
    if (ranks == 2) cfg.tmp_dir = c.dir / "tmp";
    ContamResult r;
    {
      test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "480");
      r = run_ranks_on_threads<ContamResult>(
          ranks, [&](Communicator& comm) { return run_contam_distributed(cfg, comm); });
    }
    expect_same_contam_outputs(c.dir / "one", out, what);
    // Nearly every Locator spilled (24 B each), in many pieces on every rank.
    EXPECT_GT(r.memory.spilled_bytes, (r.train_documents - 20u * ranks) * 24) << what;
    EXPECT_GT(r.memory.spill_runs, 20u * static_cast<unsigned>(ranks)) << what;
    simdjson::dom::parser p;
    const std::string text = test::read_file(out + "/report.json");
    auto mem = test::parse_json(p, text)["memory"];
    EXPECT_EQ(std::uint64_t(mem["budget_bytes"]), std::uint64_t{8} << 30) << text;
    EXPECT_EQ(std::uint64_t(mem["spilled_bytes"]), r.memory.spilled_bytes) << text;
  }
  EXPECT_TRUE(test::list_dir(c.dir / "tmp").empty()) << "a rank's spill was left in --tmp-dir";
}

TEST(DistributedContam, NoTrainingDocumentTablesAndUnreadableParquetCorpusFailOnEveryRank) {
  ContamRanks c;
  auto run = [&](const ContamConfig& cfg, int ranks) {
    run_ranks_on_threads<ContamResult>(
        ranks, [&](Communicator& comm) { return run_contam_distributed(cfg, comm); });
  };
  test::write_file(c.dir / "empty.jsonl", "");
  test::write_file(c.dir / "blank.jsonl", "\n\n");
  ContamConfig none = c.at(c.dir / "none");
  none.train = {c.dir / "empty.jsonl", c.dir / "blank.jsonl"};
  try {
    run(none, 3);
    ADD_FAILURE() << "a run without training documents succeeded";
  } catch (const UsageError& e) {
    ADD_FAILURE() << "a usage error: " << e.what();
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("no training document read from '" + (c.dir / "empty.jsonl") +
                                   "', '" + (c.dir / "blank.jsonl") + "'"),
        std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(test::file_exists(c.dir / "none"));

  ContamConfig tables = c.at(c.dir / "tables");
  tables.write_decontaminated.clear();
  static std::int32_t offsets[] = {0, 5};
  static const char data[] = "hello";
  static const void* buffers[] = {nullptr, offsets, data};
  ArrowSchema schema{"u",    "text",  nullptr, ARROW_FLAG_NULLABLE,
                     0,      nullptr, nullptr, [](ArrowSchema* s) { s->release = nullptr; },
                     nullptr};
  ArrowArray array{
      1,      0, 0, 3, 0, buffers, nullptr, nullptr, [](ArrowArray* a) { a->release = nullptr; },
      nullptr};
  tables.train_tables = {TableInput::from_array(&schema, &array, "<table>")};
  try {
    run(tables, 2);
    ADD_FAILURE() << "tables read by every rank";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("a distributed run reads files, not tables"),
              std::string::npos)
        << e.what();
  }

  // --memory below what a rank needs (the batches of 256 workers) is refused on every rank.
  ContamConfig budget = c.at(c.dir / "budget");
  budget.memory = std::size_t{100} << 20;
  budget.threads = 256;
  try {
    run(budget, 2);
    ADD_FAILURE() << "--memory below the minimum accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("below the minimum of "), std::string::npos) << e.what();
  }
  EXPECT_FALSE(test::file_exists(c.dir / "budget"));

  // Not a Parquet file to read, only its magic: the check comes before any reading. (Both
  // training files are "Parquet": a copy of Parquet and line files together is refused first.)
  test::write_file(c.dir / "corpus.parquet", "PAR1 not really");
  test::write_file(c.dir / "other.parquet", "PAR1 not really either");
  ContamConfig pq = c.at(c.dir / "pq");
  pq.train = {c.dir / "other.parquet", c.dir / "corpus.parquet"};
#ifdef DUPSCAN_HAVE_PARQUET
  register_parquet();
  const std::string says = "cannot read Parquet file '" + (c.dir / "other.parquet") + "'";
#else
  const std::string says =
      "cannot write the Parquet rows of '" + (c.dir / "other.parquet") + "' as JSON";
#endif
  for (int ranks : {1, 2}) {
    try {
      run(pq, ranks);
      ADD_FAILURE() << "an unreadable Parquet file to rewrite";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(run_contam(pq), Error);
  EXPECT_FALSE(test::file_exists(c.dir / "pq"));
}

#ifdef DUPSCAN_HAVE_PARQUET
// The training files as Parquet (each line file's records as the rows of one, the null-text row
// of one skipped and copied through), and the same records as JSON Lines (the rows as JSON
// objects): on 1, 2 and 4 ranks --write-decontaminated of the Parquet files is what one process
// writes, byte for byte, and what it writes for the JSON Lines.
struct ParquetContamRanks : ContamRanks {
  ParquetContamRanks() {
    std::vector<std::string> parquet, jsonl;
    for (std::size_t f = 0; f < train.size(); ++f) {
      std::string text = test::read_file(train[f]);
      if (train[f].size() > 3 && train[f].compare(train[f].size() - 3, 3, ".gz") == 0) {
        const auto r = test::run_shell("gzip -dc " + test::shell_quote(train[f]));
        text = r.out;
      }
      std::vector<std::string> lines = test::lines_of(text);
      if (f == 2) lines.insert(lines.begin() + 1, R"({"id":"null","text":null})");
      const std::string base = dir / ("pq" + std::to_string(f));
      test::write_parquet(base + ".parquet", lines);
      std::string json;
      for (const std::string& row : test::parquet_rows(base + ".parquet", lines.size() + 1))
        json += row + "\n";
      test::write_file(base + ".jsonl", json);
      parquet.push_back(base + ".parquet");
      jsonl.push_back(base + ".jsonl");
    }
    train = parquet;
    cfg.train = parquet;
    json_train = jsonl;
  }
  std::vector<std::string> json_train;
};

TEST(DistributedContam, ParquetTrainingFilesDecontaminatedAsOneProcessDoes) {
  ParquetContamRanks c;
  ContamConfig json = c.at(c.dir / "json");
  json.train = c.json_train;
  const ContamResult rj = run_contam(json);
  const ContamResult r1 = run_contam(c.at(c.dir / "one"));
  EXPECT_GT(r1.decontaminated_cut, 0u);
  EXPECT_EQ(r1.skipped_passed_through, 1u);
  EXPECT_EQ(r1.decontaminated_cut, rj.decontaminated_cut);
  EXPECT_EQ(r1.decontaminated_dropped, rj.decontaminated_dropped);
  for (const char* f : {"decon.jsonl", "removed.jsonl", "contamination.jsonl"}) {
    EXPECT_TRUE(test::read_file(c.dir / (std::string("json/") + f)) ==
                test::read_file(c.dir / (std::string("one/") + f)))
        << f;
  }
  for (int ranks : {1, 2, 4}) {
    const std::string out = c.dir / ("ranks" + std::to_string(ranks));
    const ContamConfig cfg = c.at(out);
    run_ranks_on_threads<ContamResult>(
        ranks, [&](Communicator& comm) { return run_contam_distributed(cfg, comm); });
    expect_same_contam_outputs(c.dir / "one", out, std::to_string(ranks) + " ranks, Parquet");
  }
}
#endif

TEST(DistributedMpi, ContamMpirunOneTwoFourRanksWriteWhatDupscanWrites) {
  need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  ContamRanks c;
  auto args = [&](const std::string& out) {
    return "contam --train " + quoted(c.train) + "--eval " +
           test::shell_quote("gsm8k=" + (c.dir / "gsm8k.jsonl")) + " --eval " +
           test::shell_quote("humaneval=" + (c.dir / "humaneval.jsonl")) +
           " --max-matches 3 --threads 1 -o " + test::shell_quote(out) +
           " --write-decontaminated " + test::shell_quote(out + "/decon.jsonl");
  };
  const auto one = test::run_dupscan(args(c.dir / "one"));
  ASSERT_EQ(one.exit_code, 0) << one.err;
  for (int ranks : {1, 2, 4}) {
    const std::string out = c.dir / ("np" + std::to_string(ranks));
    const auto r = mpirun(ranks, args(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string says = ranks > 1 ? std::to_string(ranks) + " ranks x 1 thread" : "1 thread]";
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("dupscan contam:"), r.err.rfind("dupscan contam:")) << r.err;
    expect_same_contam_outputs(c.dir / "one", out, "mpirun -np " + std::to_string(ranks));
  }
  // --memory per rank, each rank spilling its Locators (a window of 20): the same bytes.
  {
    const std::string out = c.dir / "np2-memory";
    test::RunResult r;
    {
      test::EnvVar window("DUPSCAN_TEST_SPILL_WINDOW", "480");
      r = mpirun(2, args(out) + " --memory 4G", 120);
    }
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_same_contam_outputs(c.dir / "one", out, "mpirun -np 2 --memory 4G");
    simdjson::dom::parser p;
    const std::string text = test::read_file(out + "/report.json");
    EXPECT_GT(std::uint64_t(test::parse_json(p, text)["memory"]["spilled_bytes"]), 10000u) << text;
  }
  const auto usage =
      mpirun(2, "contam --train - --eval " + test::shell_quote("g=" + (c.dir / "gsm8k.jsonl")) +
                    " -o " + test::shell_quote(c.dir / "stdin"));
  EXPECT_EQ(usage.exit_code, 2) << usage.err;
  EXPECT_NE(usage.err.find("cannot read stdin"), std::string::npos) << usage.err;
#ifdef DUPSCAN_HAVE_PARQUET
  // Parquet training files with --write-decontaminated: at 2 ranks, what dupscan contam writes.
  ParquetContamRanks p;
  auto pq_args = [&](const std::string& out) {
    return "contam --train " + quoted(p.train) + "--eval " +
           test::shell_quote("gsm8k=" + (p.dir / "gsm8k.jsonl")) + " --eval " +
           test::shell_quote("humaneval=" + (p.dir / "humaneval.jsonl")) +
           " --max-matches 3 --threads 1 -q -o " + test::shell_quote(out) +
           " --write-decontaminated " + test::shell_quote(out + "/decon.jsonl");
  };
  const auto pq_one = test::run_dupscan(pq_args(p.dir / "one"));
  ASSERT_EQ(pq_one.exit_code, 0) << pq_one.err;
  const auto pq = mpirun(2, pq_args(p.dir / "np2"), 120);
  ASSERT_EQ(pq.exit_code, 0) << pq.err;
  expect_same_contam_outputs(p.dir / "one", p.dir / "np2", "mpirun -np 2, Parquet");
#endif
}

}  // namespace
}  // namespace dupscan
