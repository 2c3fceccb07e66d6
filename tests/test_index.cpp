// The persistent index (index.hpp): dedup --against an index removes the same new documents as
// one run over everything; index add; parameter mismatch; a crash during an append; damaged or
// changed indexes. All through the built binary.
#include <simdjson.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "examples.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::run_dupscan;
std::string q(const std::string& s) {
  return test::shell_quote(s);
}

// The example corpus, split: the first 60% of its records are "old" (two inputs, one gzip), the
// rest "new". Planted copies lie up to a few hundred records after their originals, so many new
// documents duplicate old ones and many duplicate other new ones.
struct Split {
  std::vector<std::string> old_ids, new_ids;
};

Split split_examples(const test::TempDir& dir) {
  const std::vector<std::string> lines = test::example_lines();
  simdjson::dom::parser parser;
  Split s;
  std::string a, b, n;
  const std::size_t old_end = lines.size() * 6 / 10;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string id = test::str(test::parse_json(parser, lines[i])["id"]);
    std::string& out = i < old_end / 2 ? a : i < old_end ? b : n;
    out += lines[i] + "\n";
    (i < old_end ? s.old_ids : s.new_ids).push_back(id);
  }
  test::write_file(dir / "old-a.jsonl.gz", test::gzip_bytes(a));
  test::write_file(dir / "old-b.jsonl", b);
  test::write_file(dir / "new.jsonl", n);
  return s;
}

struct Removed {
  std::string kept, kind;
  double jaccard;
};

std::map<std::string, Removed> removed_of(const std::string& out_dir) {
  simdjson::dom::parser parser;
  std::map<std::string, Removed> r;
  for (const auto& line : test::lines_of(test::read_file(out_dir + "/duplicates.jsonl"))) {
    auto d = test::parse_json(parser, line);
    r[test::str(d["id"])] = {test::str(d["duplicate_of"]), test::str(d["kind"]),
                             double(d["jaccard"])};
  }
  return r;
}

std::string build_index(const test::TempDir& dir, const std::string& extra = "") {
  const auto r = run_dupscan("index build " + q(dir / "old-a.jsonl.gz") + " " +
                             q(dir / "old-b.jsonl") + " --index " + q(dir / "idx") + extra);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("documents indexed"), std::string::npos) << r.err;
  return r.err;
}

TEST(Index, AgainstRemovesTheSameNewDocumentsAsOneRunOverEverything) {
  test::TempDir dir;
  const Split s = split_examples(dir);
  build_index(dir);
  const auto a = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                             " -o " + q(dir / "a") + " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(a.err.find("against index"), std::string::npos) << a.err;
  const auto all = run_dupscan("dedup " + q(dir / "old-a.jsonl.gz") + " " + q(dir / "old-b.jsonl") +
                               " " + q(dir / "new.jsonl") + " -o " + q(dir / "all"));
  ASSERT_EQ(all.exit_code, 0) << all.err;

  const std::set<std::string> old_ids(s.old_ids.begin(), s.old_ids.end());
  const std::set<std::string> new_ids(s.new_ids.begin(), s.new_ids.end());
  const auto ra = removed_of(dir / "a");
  const auto rall = removed_of(dir / "all");
  std::set<std::string> want, got;
  for (const auto& [id, r] : rall) {
    if (new_ids.count(id)) want.insert(id);
  }
  std::size_t of_old = 0;
  for (const auto& [id, r] : ra) {
    got.insert(id);
    ASSERT_TRUE(new_ids.count(id)) << id << ": an indexed document was removed";
    ASSERT_TRUE(old_ids.count(r.kept) || new_ids.count(r.kept)) << r.kept;
    of_old += old_ids.count(r.kept);
    // Clusters are connected components: a member may be linked to the kept one through others.
    if (r.kind == "near") EXPECT_GE(r.jaccard, 0.5) << id;
  }
  EXPECT_EQ(got, want);
  EXPECT_GT(of_old, 20u) << "too few new documents duplicate old ones for this test to mean much";
  EXPECT_GT(got.size(), of_old) << "no new document duplicates another new one";

  // The deduplicated copy holds the new documents that were kept, and only them.
  const auto kept = test::lines_of(test::read_file(dir / "kept.jsonl"));
  EXPECT_EQ(kept.size() + got.size(), s.new_ids.size());

  simdjson::dom::parser parser;
  const std::string report = test::read_file(dir / "a/report.json");
  auto rep = test::parse_json(parser, report);
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), s.new_ids.size());
  EXPECT_EQ(std::uint64_t(rep["against"]["documents"]), s.old_ids.size());
  EXPECT_EQ(std::uint64_t(rep["against"]["inputs"]), 2u);

  // Deterministic across thread counts.
  const auto t1 = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                              " -o " + q(dir / "t1") + " --threads 1");
  ASSERT_EQ(t1.exit_code, 0) << t1.err;
  EXPECT_EQ(test::read_file(dir / "t1/duplicates.jsonl"),
            test::read_file(dir / "a/duplicates.jsonl"));
  EXPECT_EQ(test::read_file(dir / "t1/clusters.jsonl"), test::read_file(dir / "a/clusters.jsonl"));
}

TEST(Index, SegmentBytesDoNotDependOnTheThreadCount) {
  test::TempDir dir;
  split_examples(dir);
  for (const char* t : {"1", "2", "8"}) {
    const auto r =
        run_dupscan("index build " + q(dir / "old-a.jsonl.gz") + " " + q(dir / "old-b.jsonl") +
                    " --index " + q(dir / ("idx" + std::string(t))) + " --threads " + t);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const std::string one = test::read_file(dir / "idx1/segment-000000.bin");
  EXPECT_EQ(test::read_file(dir / "idx2/segment-000000.bin"), one);
  EXPECT_EQ(test::read_file(dir / "idx8/segment-000000.bin"), one);
}

TEST(Index, AddedDocumentsAreFoundByTheNextRun) {
  test::TempDir dir;
  const Split s = split_examples(dir);
  build_index(dir);
  const auto a = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                             " -o " + q(dir / "a") + " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::size_t kept = test::lines_of(test::read_file(dir / "kept.jsonl")).size();
  const auto add = run_dupscan("index add " + q(dir / "kept.jsonl") + " --index " + q(dir / "idx"));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  simdjson::dom::parser parser;
  const std::string manifest = test::read_file(dir / "idx/index.json");
  auto m = test::parse_json(parser, manifest);
  EXPECT_EQ(std::uint64_t(m["documents"]), s.old_ids.size() + kept);
  EXPECT_EQ(simdjson::dom::array(m["segments"]).size(), 2u);
  EXPECT_EQ(simdjson::dom::array(m["inputs"]).size(), 3u);

  // The same new shard again: every document is now in the index (kept ones verbatim).
  const auto again = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                                 " -o " + q(dir / "b"));
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto rb = removed_of(dir / "b");
  EXPECT_EQ(rb.size(), s.new_ids.size());
  // Adding the same file twice, or indexing stdin, is refused.
  const auto twice =
      run_dupscan("index add " + q(dir / "kept.jsonl") + " --index " + q(dir / "idx"));
  EXPECT_EQ(twice.exit_code, 2);
  EXPECT_NE(twice.err.find("is already in the index"), std::string::npos) << twice.err;
  const auto in = run_dupscan("index add - --index " + q(dir / "idx"), dir / "kept.jsonl");
  EXPECT_EQ(in.exit_code, 2);
  EXPECT_NE(in.err.find("stdin"), std::string::npos) << in.err;
}

TEST(Index, OtherParametersAreAClearErrorThatWritesNothing) {
  test::TempDir dir;
  split_examples(dir);
  build_index(dir, " --shingle word:4");
  const std::string base =
      "dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") + " -o " + q(dir / "out");
  // Every difference, each with the index's value.
  const auto k = run_dupscan(base + " --shingle word:5 --num-perm 64");
  EXPECT_EQ(k.exit_code, 2);
  EXPECT_NE(k.err.find("--shingle word:5 (the index: word:4); --num-perm 64 (the index: 128)"),
            std::string::npos)
      << k.err;
  // Another threshold is fine as long as it keeps the index's bands x rows, which made its keys.
  const auto t = run_dupscan(base + " --threshold 0.5");
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("bands x rows 25 x 5 from --threshold 0.5 (the index: 9 x 13, built with "
                       "--threshold 0.8; add --bands 9 --rows 13"),
            std::string::npos)
      << t.err;
  const auto nv = run_dupscan(base + " --no-verify");
  EXPECT_EQ(nv.exit_code, 2);
  EXPECT_FALSE(test::file_exists(dir / "out"));
  // Nothing given: the index's parameters, and the summary says which.
  const auto sh = run_dupscan(base + " --threshold 0.5 --bands 9 --rows 13");
  EXPECT_EQ(sh.exit_code, 0) << sh.err;
  EXPECT_NE(sh.err.find("from the index    --shingle word:4\n"), std::string::npos) << sh.err;
  // index add takes the index's parameters: no options needed, none allowed.
  const auto add = run_dupscan("index add " + q(dir / "new.jsonl") + " --index " + q(dir / "idx") +
                               " --num-perm 64");
  EXPECT_EQ(add.exit_code, 2);
  const auto build =
      run_dupscan("index build " + q(dir / "new.jsonl") + " --index " + q(dir / "idx"));
  EXPECT_EQ(build.exit_code, 2);
  EXPECT_NE(build.err.find("already holds an index"), std::string::npos) << build.err;
}

TEST(Index, CrashDuringAnAppendLeavesThePreviousIndexValid) {
  test::TempDir dir;
  split_examples(dir);
  build_index(dir);
  const std::string manifest = test::read_file(dir / "idx/index.json");
  const auto before = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                                  " -o " + q(dir / "before"));
  ASSERT_EQ(before.exit_code, 0) << before.err;

  ::setenv("DUPSCAN_TEST_FAULT", "index-append-before-manifest", 1);
  const auto crash =
      run_dupscan("index add " + q(dir / "new.jsonl") + " --index " + q(dir / "idx"));
  ::unsetenv("DUPSCAN_TEST_FAULT");
  EXPECT_EQ(crash.exit_code, 3) << crash.err;  // died between the segment and the manifest
  EXPECT_TRUE(test::file_exists(dir / "idx/segment-000001.bin"));
  EXPECT_EQ(test::read_file(dir / "idx/index.json"), manifest);
  const auto after = run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") +
                                 " -o " + q(dir / "after"));
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(test::read_file(dir / "after/duplicates.jsonl"),
            test::read_file(dir / "before/duplicates.jsonl"));

  // The next append overwrites the orphan segment.
  const auto add = run_dupscan("index add " + q(dir / "new.jsonl") + " --index " + q(dir / "idx"));
  ASSERT_EQ(add.exit_code, 0) << add.err;
  simdjson::dom::parser parser;
  const std::string m = test::read_file(dir / "idx/index.json");
  EXPECT_EQ(simdjson::dom::array(test::parse_json(parser, m)["segments"]).size(), 2u);
}

// --memory: the new documents in several segments. Tests force small ones (the budget alone would
// put the example corpus in one).
constexpr std::size_t kSegmentDocs = 997;  // not a divisor of an input's size: segments span inputs

std::size_t segments_of(const std::string& idx) {
  simdjson::dom::parser parser;
  const std::string m = test::read_file(idx + "/index.json");
  return simdjson::dom::array(test::parse_json(parser, m)["segments"]).size();
}

// The records (location, exact hash, flags, band keys) of `idx`'s segments from `first` on, in
// order, and their ids: what the documents are, however they are cut into segments.
std::string records_of(const std::string& idx, std::size_t first = 0) {
  simdjson::dom::parser parser;
  auto m = test::parse_json(parser, test::read_file(idx + "/index.json"));
  const std::uint64_t bands = m["parameters"]["bands"];
  std::string records, ids;
  std::size_t i = 0;
  for (auto sg : simdjson::dom::array(m["segments"])) {
    if (i++ < first) continue;
    const std::string seg = test::read_file(idx + "/" + test::str(sg["file"]));
    std::uint64_t n = 0, tables = 0;
    std::memcpy(&n, seg.data() + 16, 8);
    std::memcpy(&tables, seg.data() + 24, 8);
    const std::size_t record = 56 + 8 * bands, ends = 40 + n * record;
    records += seg.substr(40, n * record);
    ids += seg.substr(ends + 8 * n, tables - ends - 8 * n);
  }
  return records + "\nids:\n" + ids;
}

// What dedup --against `idx` writes for new.jsonl: duplicates.jsonl and clusters.jsonl.
std::string against_outputs(const test::TempDir& dir, const std::string& idx,
                            const std::string& out) {
  const auto r =
      run_dupscan("dedup " + q(dir / "new.jsonl") + " --against " + q(idx) + " -o " + q(dir / out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return "duplicates:\n" + test::read_file(dir / out + "/duplicates.jsonl") + "clusters:\n" +
         test::read_file(dir / out + "/clusters.jsonl");
}

// Runs `args` with DUPSCAN_TEST_INDEX_SEGMENT_DOCS (and `fault` as DUPSCAN_TEST_FAULT) set.
test::RunResult run_segmented(const std::string& args, const std::string& fault = "") {
  ::setenv("DUPSCAN_TEST_INDEX_SEGMENT_DOCS", std::to_string(kSegmentDocs).c_str(), 1);
  if (!fault.empty()) ::setenv("DUPSCAN_TEST_FAULT", fault.c_str(), 1);
  const auto r = run_dupscan(args);
  ::unsetenv("DUPSCAN_TEST_INDEX_SEGMENT_DOCS");
  ::unsetenv("DUPSCAN_TEST_FAULT");
  return r;
}

// Exact copies among the old documents (equal text: equal normalized text) that lie in different
// segments of kSegmentDocs: the case where a copy's keys cannot come from its group's first.
std::size_t exact_copies_across_segments() {
  const std::vector<std::string> lines = test::example_lines();
  simdjson::dom::parser parser;
  std::map<std::string, std::size_t> first;
  std::size_t across = 0;
  for (std::size_t i = 0; i < lines.size() * 6 / 10; ++i) {
    const auto [it, fresh] =
        first.emplace(test::str(test::parse_json(parser, lines[i])["text"]), i);
    across += !fresh && it->second / kSegmentDocs != i / kSegmentDocs;
  }
  return across;
}

TEST(Index, MemoryBoundedSegmentsAnswerAsOneSegment) {
  ASSERT_GT(exact_copies_across_segments(), 0u) << "no exact copy spans segments: the test is moot";
  for (const std::string sketch : {"", " --scheme affine64", " --sketch fast"}) {
    SCOPED_TRACE("sketch options:" + sketch);
    test::TempDir dir;
    const Split s = split_examples(dir);
    const std::string inputs = q(dir / "old-a.jsonl.gz") + " " + q(dir / "old-b.jsonl");
    const auto one = run_dupscan("index build " + inputs + " --index " + q(dir / "one") + sketch);
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_NE(one.err.find("written as 1 new segment;"), std::string::npos) << one.err;
    const auto many = run_segmented("index build " + inputs + " --index " + q(dir / "many") +
                                    " --memory 512M" + sketch);
    ASSERT_EQ(many.exit_code, 0) << many.err;
    const std::size_t n = (s.old_ids.size() + kSegmentDocs - 1) / kSegmentDocs;
    ASSERT_GT(n, 1u);
    EXPECT_EQ(segments_of(dir / "many"), n);
    EXPECT_NE(many.err.find("written as " + std::to_string(n) +
                            " new segments of at most 997 "
                            "documents (--memory)"),
              std::string::npos)
        << many.err;
    const std::string want = against_outputs(dir, dir / "one", "a-one");
    ASSERT_NE(want.find("\"kind\":\"exact\""), std::string::npos) << "no exact duplicate found";
    ASSERT_NE(want.find("\"kind\":\"near\""), std::string::npos) << "no near duplicate found";
    EXPECT_EQ(against_outputs(dir, dir / "many", "a-many"), want);
    // The records, in order, are the same bytes (exact copies' band keys included): only the
    // cut into segments differs.
    EXPECT_TRUE(records_of(dir / "many") == records_of(dir / "one")) << "the records differ";
    simdjson::dom::parser parser;
    auto m = test::parse_json(parser, test::read_file(dir / "many/index.json"));
    EXPECT_EQ(std::uint64_t(m["documents"]), s.old_ids.size());
  }
}

TEST(Index, MemoryBoundedAddAnswersAsAnUnboundedOne) {
  for (const std::string sketch : {"", " --sketch fast"}) {
    SCOPED_TRACE("sketch options:" + sketch);
    test::TempDir dir;
    split_examples(dir);
    for (const char* idx : {"one", "many"}) {
      const auto b = run_dupscan("index build " + q(dir / "old-a.jsonl.gz") + " --index " +
                                 q(dir / idx) + sketch);
      ASSERT_EQ(b.exit_code, 0) << b.err;
    }
    const auto one =
        run_dupscan("index add " + q(dir / "old-b.jsonl") + " --index " + q(dir / "one"));
    ASSERT_EQ(one.exit_code, 0) << one.err;
    const auto many = run_segmented("index add " + q(dir / "old-b.jsonl") + " --index " +
                                    q(dir / "many") + " --memory 100M");
    ASSERT_EQ(many.exit_code, 0) << many.err;
    // old-b alone outgrows a segment: its rows go before it ends, so it is not kept to resume.
    EXPECT_NE(many.err.find("old-b.jsonl is kept no further for resuming"), std::string::npos)
        << many.err;
    EXPECT_EQ(segments_of(dir / "one"), 2u);
    EXPECT_GT(segments_of(dir / "many"), 3u);
    EXPECT_TRUE(records_of(dir / "many", 1) == records_of(dir / "one", 1)) << "the records differ";
    EXPECT_EQ(against_outputs(dir, dir / "many", "a-many"),
              against_outputs(dir, dir / "one", "a-one"));
  }
}

TEST(Index, MemoryBelowTheIndexMinimumIsAUsageError) {
  test::TempDir dir;
  split_examples(dir);
  const auto r = run_dupscan("index build " + q(dir / "old-b.jsonl") + " --index " +
                             q(dir / "idx") + " --memory 65M");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--memory 68157440 bytes is below the minimum of"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("an index run makes segments of at least 4096 documents"), std::string::npos)
      << r.err;
  EXPECT_FALSE(test::file_exists(dir / "idx"));
}

// The segment files in `idx`.
std::size_t segment_files_in(const std::string& idx) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(idx))
    n += e.path().filename().string().rfind("segment-", 0) == 0;
  return n;
}

// A kill between the segments of a bounded add, or after them before the manifest, or a SIGTERM:
// the old index, whole; the same add again completes it (the killed runs' segments overwritten
// or removed).
TEST(Index, KilledBetweenSegmentsLeavesThePreviousIndexWhole) {
  test::TempDir dir;
  split_examples(dir);
  build_index(dir);  // old-a and old-b in one segment
  const std::string want = against_outputs(dir, dir / "idx", "want");
  ASSERT_EQ(run_dupscan("index build " + q(dir / "old-a.jsonl.gz") + " --index " + q(dir / "idx2"))
                .exit_code,
            0);
  const std::string manifest = test::read_file(dir / "idx2/index.json");
  const std::string before = against_outputs(dir, dir / "idx2", "before");
  ASSERT_NE(before, want);
  const std::string add =
      "index add " + q(dir / "old-b.jsonl") + " --index " + q(dir / "idx2") + " --memory 100M";
  struct Point {
    const char* fault;
    int exit_code;
  };
  for (const Point p :
       {Point{"index-after-segment", 128 + SIGKILL}, Point{"index-append-before-manifest", 3},
        Point{"sigterm@index-after-segment", 130}}) {
    SCOPED_TRACE(p.fault);
    const auto killed = run_segmented(add, p.fault);
    EXPECT_EQ(killed.exit_code, p.exit_code) << killed.err;
    EXPECT_EQ(test::read_file(dir / "idx2/index.json"), manifest);
    EXPECT_EQ(against_outputs(dir, dir / "idx2", "after"), before);
    // Killed, the run leaves its segments to the next one; stopped by a signal, it removes them.
    const bool signal = std::string(p.fault).rfind("sigterm@", 0) == 0;
    EXPECT_EQ(test::file_exists(dir / "idx2/segment-000001.bin"), !signal);
  }
  const auto done = run_segmented(add);
  ASSERT_EQ(done.exit_code, 0) << done.err;
  const std::size_t n = segments_of(dir / "idx2");
  EXPECT_GT(n, 3u);
  EXPECT_EQ(segment_files_in(dir / "idx2"), n) << "a segment no manifest names was left";
  EXPECT_EQ(against_outputs(dir, dir / "idx2", "again"), want);

  // index build --force under --memory, killed between its segments (written beside the old
  // index's): the old index, whole; run again, the new one, and only its segments.
  const std::string force = "index build " + q(dir / "old-a.jsonl.gz") + " " +
                            q(dir / "old-b.jsonl") + " --force --index " + q(dir / "idx2") +
                            " --memory 100M";
  const std::string manifest2 = test::read_file(dir / "idx2/index.json");
  EXPECT_EQ(run_segmented(force, "index-after-segment").exit_code, 128 + SIGKILL);
  EXPECT_EQ(test::read_file(dir / "idx2/index.json"), manifest2);
  EXPECT_EQ(against_outputs(dir, dir / "idx2", "forced-killed"), want);
  const auto forced = run_segmented(force);
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  const std::size_t m = segments_of(dir / "idx2");
  EXPECT_EQ(m, (test::example_lines().size() * 6 / 10 + kSegmentDocs - 1) / kSegmentDocs);
  EXPECT_EQ(segment_files_in(dir / "idx2"), m) << "a segment no manifest names was left";
  EXPECT_EQ(against_outputs(dir, dir / "idx2", "forced"), want);
}

TEST(Index, DamagedOrStaleIndexesAreErrorsNamingTheFile) {
  test::TempDir dir;
  split_examples(dir);
  build_index(dir);
  const std::string run = "dedup " + q(dir / "new.jsonl") + " -o " + q(dir / "out") + " --against ";

  const auto none = run_dupscan(run + q(dir / "nowhere"));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("is not a dupscan index"), std::string::npos) << none.err;

  const auto self = run_dupscan("dedup " + q(dir / "old-b.jsonl") + " -o " + q(dir / "out") +
                                " --against " + q(dir / "idx"));
  EXPECT_EQ(self.exit_code, 2);
  EXPECT_NE(self.err.find("is already in the index"), std::string::npos) << self.err;

  // One byte of a segment changed.
  {
    std::string seg = test::read_file(dir / "idx/segment-000000.bin");
    seg[seg.size() / 2] = static_cast<char>(seg[seg.size() / 2] ^ 1);
    test::write_file(dir / "idx2-seg", seg);
    ASSERT_EQ(std::system(("cp -r " + q(dir / "idx") + " " + q(dir / "idx2") + " && cp " +
                           q(dir / "idx2-seg") + " " + q(dir / "idx2/segment-000000.bin"))
                              .c_str()),
              0);
    const auto bad = run_dupscan(run + q(dir / "idx2"));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("segment-000000.bin' fails its checksum"), std::string::npos) << bad.err;
  }
  // A truncated manifest.
  {
    ASSERT_EQ(std::system(("cp -r " + q(dir / "idx") + " " + q(dir / "idx3")).c_str()), 0);
    const std::string m = test::read_file(dir / "idx3/index.json");
    test::write_file(dir / "idx3/index.json", m.substr(0, m.size() / 2));
    const auto bad = run_dupscan(run + q(dir / "idx3"));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("index.json' is not valid JSON"), std::string::npos) << bad.err;
  }
  // An indexed input changed after it was indexed.
  {
    test::write_file(dir / "old-b.jsonl", test::read_file(dir / "old-b.jsonl") +
                                              "{\"id\": \"late\", \"text\": \"x\"}\n");
    const auto stale = run_dupscan(run + q(dir / "idx"));
    EXPECT_EQ(stale.exit_code, 1);
    EXPECT_NE(stale.err.find("old-b.jsonl' changed since it was indexed"), std::string::npos)
        << stale.err;
  }
  EXPECT_FALSE(test::file_exists(dir / "out"));
}

}  // namespace
}  // namespace dupscan
