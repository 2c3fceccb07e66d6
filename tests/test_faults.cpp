// What happens when things go wrong, end to end on the built binary. Each case here is one row of
// README's "What happens when..." table; Faults.ReadmeTableMatchesTheseCases keeps the two equal.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <random>

#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io.hpp"
#include "record.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::run_dupscan;
using test::shell_quote;

const std::string kText =
    "The committee met on Tuesday to review the budget for the coming year and agreed that the "
    "library renovation should be finished before the winter term begins";

std::string rec(const std::string& id, const std::string& text) {
  std::string line = "{\"id\":\"" + id + "\",\"text\":";
  append_json_string(line, text);
  return line + "}";
}

std::string q(const std::string& s) {
  return shell_quote(s);
}

simdjson::dom::element report(simdjson::dom::parser& p, const std::string& dir, std::string& buf) {
  buf = test::read_file(dir + "/report.json");
  return test::parse_json(p, buf);
}

// A bad line between two good ones: skipped and counted by default, fatal with --strict.
void expect_bad_line(const std::string& line, const char* reason, const char* message) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + line + "\n" + rec("b", kText) + "\n");
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("in.jsonl:2: " + std::string(message)), std::string::npos) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped_by_reason"][reason]), 1u) << buf;
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 2u);
  const auto s =
      run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "strict") + " --strict");
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("in.jsonl:2: " + std::string(message)), std::string::npos) << s.err;
  EXPECT_TRUE(test::list_dir(dir / "strict").empty()) << "outputs written by a failed run";
}

void bad_json() {
  expect_bad_line("{\"text\": \"no end", "malformed_json", "malformed JSON");
}
void not_object() {
  expect_bad_line("[1, 2, 3]", "not_an_object", "the line is JSON but not");
}
void missing_text() {
  expect_bad_line("{\"body\": \"x\"}", "missing_text_field", "no \"text\" field");
  expect_bad_line("{\"text\": 42}", "text_not_string", "field \"text\" is not a string");
}
void bad_utf8() {
  expect_bad_line("{\"text\": \"caf\xe9\"}", "invalid_utf8", "invalid UTF-8");
}

void nul_bytes() {
  expect_bad_line(std::string("{\"text\": \"a\0b\"}", 15), "malformed_json", "malformed JSON");
  // An escaped NUL is valid JSON: a control character, so a word separator.
  test::TempDir dir;
  test::write_file(dir / "in.jsonl",
                   "{\"id\":\"x\",\"text\":\"one\\u0000two three four five six\"}\n"
                   "{\"id\":\"y\",\"text\":\"one two three four five six\"}\n");
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(
      test::read_file(dir / "out/duplicates.jsonl").find("\"id\":\"y\",\"duplicate_of\":\"x\""),
      std::string::npos);
}

void crlf_and_last_line() {
  test::TempDir dir;
  const std::string a = rec("a", kText), b = rec("b", "something else entirely here");
  test::write_file(dir / "in.jsonl", a + "\r\n" + b);  // CRLF, no newline at the end
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") +
                             " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dir / "kept.jsonl"), a + "\r\n" + b + "\n");
}

void blank_lines() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", "\n  \n" + rec("a", kText) + "\n\t\n");
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["inputs"].at(0)["blank_lines"]), 3u);
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 1u);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped"]), 0u);
}

void empty_file() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", "");
  test::write_file(dir / "in.jsonl.zst", test::zstd_bytes(""));
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " " + q(dir / "in.jsonl.zst") +
                             " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), "");
  EXPECT_EQ(test::read_file(dir / "out/clusters.jsonl"), "");
  simdjson::dom::parser p;
  std::string buf;
  EXPECT_EQ(std::uint64_t(report(p, dir / "out", buf)["counts"]["documents"]), 0u);
}

void empty_documents() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("e1", "") + "\n" + rec("e2", " !!! ... ") + "\n" +
                                         rec("e3", "") + "\n" + rec("a", kText) + "\n");
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") +
                             " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["empty"]), 3u);
  EXPECT_EQ(test::read_file(dir / "out/clusters.jsonl"), "");  // never clustered, even together
  EXPECT_EQ(test::lines_of(test::read_file(dir / "kept.jsonl")).size(), 4u);  // and kept
}

void huge_record() {
  test::TempDir dir;
  std::mt19937 rng(3);
  const char* words[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"};
  std::string text;
  text.reserve(200u << 20);
  while (text.size() < (200u << 20)) {
    text += words[rng() % 8];
    text += ' ';
  }
  const std::string big = rec("big", text);
  text.clear();
  text.shrink_to_fit();
  {
    std::FILE* f = std::fopen((dir / "in.jsonl").c_str(), "wb");
    std::fwrite(big.data(), 1, big.size(), f);
    std::fputs(("\n" + rec("small", kText) + "\n").c_str(), f);
    std::fclose(f);
  }
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") +
                             " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string kept = test::read_file(dir / "kept.jsonl");
  ASSERT_EQ(kept.size(), big.size() + 1 + rec("small", kText).size() + 1);
  EXPECT_TRUE(kept.compare(0, big.size(), big) == 0) << "the 200 MB record was not copied as read";
}

void many_tiny_records() {
  test::TempDir dir;
  std::string in;
  in.reserve(30u << 20);
  for (int i = 0; i < 1000000; ++i) {
    // Every tenth record repeats the one before it: 100,000 exact duplicates.
    const int n = i % 10 == 9 ? i - 1 : i;
    in += "{\"text\":\"tiny record number " + std::to_string(n) + "\"}\n";
  }
  test::write_file(dir / "in.jsonl", in);
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 1000000u);
  EXPECT_EQ(std::uint64_t(rep["counts"]["exact_duplicates"]), 100000u);
  // 900,000 distinct one-shingle texts: about a hundred pairs share a 32-bit shingle hash and can
  // become LSH candidates; verification (64-bit hashes) must reject every one.
  EXPECT_EQ(std::uint64_t(rep["counts"]["near_duplicates"]), 0u) << buf;
}

void truncated_or_corrupt_archive() {
  std::string content;
  for (int i = 0; i < 3000; ++i)
    content += rec(std::to_string(i), kText + std::to_string(i)) + "\n";
  const std::string gz = test::gzip_bytes(content), zs = test::zstd_bytes(content);
  std::string bad_gz = gz, bad_zs = zs;
  for (std::size_t i = 200; i < 260; ++i)
    bad_gz[i] = static_cast<char>(bad_gz[i] ^ 0x3c);
  for (std::size_t i = 200; i < 260; ++i)
    bad_zs[i] = static_cast<char>(bad_zs[i] ^ 0x3c);
  const std::pair<std::string, std::string> files[] = {
      {"t.jsonl.gz", gz.substr(0, gz.size() * 2 / 3)},
      {"t.jsonl.zst", zs.substr(0, zs.size() * 2 / 3)},
      {"c.jsonl.gz", bad_gz},
      {"c.jsonl.zst", bad_zs}};
  for (const auto& [name, bytes] : files) {
    test::TempDir dir;
    test::write_file(dir / name, bytes);
    const auto r = run_dupscan("dedup " + q(dir / name) + " -o " + q(dir / "out"));
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_NE(r.err.find(name + "'"), std::string::npos) << r.err;
    EXPECT_TRUE(r.err.find("truncated") != std::string::npos ||
                r.err.find("corrupt") != std::string::npos)
        << r.err;
    EXPECT_TRUE(test::list_dir(dir / "out").empty()) << name;
  }
}

void missing_or_unreadable_input() {
  test::TempDir dir;
  test::write_file(dir / "ok.jsonl", rec("a", kText) + "\n");
  for (const std::string& bad : {dir / "missing.jsonl", dir.path()}) {
    const auto r =
        run_dupscan("dedup " + q(dir / "ok.jsonl") + " " + q(bad) + " -o " + q(dir / "out"));
    EXPECT_EQ(r.exit_code, 1) << bad;
    EXPECT_NE(r.err.find("'" + bad + "'"), std::string::npos) << r.err;
    EXPECT_FALSE(test::file_exists(dir / "out")) << "output directory created for " << bad;
  }
  // A file whose reading fails (EIO): /proc/self/mem is readable by permissions, not by read().
  const auto r =
      run_dupscan("dedup " + q(dir / "ok.jsonl") + " /proc/self/mem -o " + q(dir / "out2"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read input '/proc/self/mem'"), std::string::npos) << r.err;
  EXPECT_TRUE(test::list_dir(dir / "out2").empty());
}

// A directory that cannot take files: read-only permissions, or a read-only mount for root (who
// ignores permissions). Empty string if neither can be made here.
std::string unwritable_dir(const test::TempDir& dir) {
  const std::string d = dir / "ro";
  ::mkdir(d.c_str(), 0755);
  if (::geteuid() != 0) {
    ::chmod(d.c_str(), 0555);
    return d;
  }
  if (::mount("tmpfs", d.c_str(), "tmpfs", MS_RDONLY, "size=64k") == 0) return d;
  return "";
}

void unwritable_output() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n");
  test::write_file(dir / "a-file", "x");
  const auto f = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "a-file"));
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("a-file"), std::string::npos) << f.err;
  // Nothing is read first: with a named pipe nobody writes to as input, reading would block.
  ::mkfifo((dir / "in.fifo").c_str(), 0644);
  const auto pipe =
      test::run_shell("timeout 5 DUPSCAN dedup " + q(dir / "in.fifo") + " -o " + q(dir / "a-file"));
  EXPECT_EQ(pipe.exit_code, 1) << "exit 124 means it opened the input first: " << pipe.err;
  const std::string ro = unwritable_dir(dir);
  if (ro.empty()) GTEST_SKIP() << "cannot make an unwritable directory here (root, no mount)";
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(ro + "/out"));
  const auto r2 = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(ro));
  if (::geteuid() == 0) ::umount(ro.c_str());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot create directory '" + ro + "/out'"), std::string::npos) << r.err;
  EXPECT_EQ(r2.exit_code, 1);
  EXPECT_NE(r2.err.find("cannot create output file '" + ro + "/"), std::string::npos) << r2.err;
}

void disk_full() {
  test::TempDir dir;
  std::string small, large;
  for (int i = 0; i < 20; ++i)
    small += rec("s" + std::to_string(i), kText) + "\n";
  for (int i = 0; i < 20000; ++i)
    large += rec("l" + std::to_string(i), kText) + "\n";
  test::write_file(dir / "small.jsonl", small);
  test::write_file(dir / "large.jsonl", large);  // ~3.5 MB; its duplicates.jsonl ~1 MB

  // 1. A file-size limit (ulimit -f, in 1 KiB blocks): write() fails with EFBIG.
  const std::string out = dir / "out";
  ASSERT_EQ(run_dupscan("dedup " + q(dir / "small.jsonl") + " -o " + q(out)).exit_code, 0);
  const std::string before = test::read_file(out + "/duplicates.jsonl");
  const auto r =
      test::run_shell("ulimit -f 256; DUPSCAN dedup " + q(dir / "large.jsonl") + " -o " + q(out));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_EQ(test::read_file(out + "/duplicates.jsonl"), before);
  EXPECT_EQ(test::list_dir(out),
            (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}));

  // 2. A full file system: a 256 KiB tmpfs (needs mount permission).
  const std::string fs = dir / "fs";
  ::mkdir(fs.c_str(), 0755);
  if (::mount("tmpfs", fs.c_str(), "tmpfs", 0, "size=256k") != 0) {
    GTEST_SKIP() << "no permission to mount a small tmpfs; the ulimit case above passed";
  }
  ASSERT_EQ(run_dupscan("dedup " + q(dir / "small.jsonl") + " -o " + q(fs)).exit_code, 0);
  const std::string before_fs = test::read_file(fs + "/duplicates.jsonl");
  const auto full = run_dupscan("dedup " + q(dir / "large.jsonl") + " -o " + q(fs) +
                                " --write-deduped " + q(fs + "/kept.jsonl"));
  const std::string after = test::read_file(fs + "/duplicates.jsonl");
  const auto listing = test::list_dir(fs);
  ::umount(fs.c_str());
  EXPECT_EQ(full.exit_code, 1);
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_EQ(after, before_fs);
  EXPECT_EQ(listing,
            (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}));
}

void signals() {
  for (const char* sig : {"TERM", "INT"}) {
    test::TempDir dir;
    test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText) + "\n");
    ASSERT_EQ(run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out")).exit_code, 0);
    const std::string before = test::read_file(dir / "out/duplicates.jsonl");
    // stdin is a pipe that stays open and silent; the signal must still end the run, promptly (a
    // watchdog kills it after 5 s otherwise, which fails the test instead of hanging it).
    const std::string fifo = dir / "fifo";
    const auto t0 = std::chrono::steady_clock::now();
    const auto r =
        test::run_shell("mkfifo " + q(fifo) + "; DUPSCAN dedup - -o " + q(dir / "out") + " <" +
                        q(fifo) + " 2>" + q(dir / "err") + " & p=$!; exec 3>" + q(fifo) +
                        "; (sleep 5; kill -KILL $p) & w=$!; sleep 0.5; kill -" + sig +
                        " $p; wait $p; rc=$?; kill $w; exec 3>&-; exit $rc");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(r.exit_code, 130) << sig << ": " << test::read_file(dir / "err");
    EXPECT_NE(test::read_file(dir / "err").find("interrupted"), std::string::npos);
    EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"), before);
    EXPECT_EQ(test::list_dir(dir / "out"),
              (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}))
        << "a spool or temporary file was left behind";
  }
}

void bad_usage() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n");
  for (const char* args :
       {"--bogus", "--threshold 1.5", "--bands 20 --rows 10", "--shingle word:0"}) {
    const auto r =
        run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_FALSE(r.err.empty());
    EXPECT_FALSE(test::file_exists(dir / "out")) << args;
  }
}

void cuda_without_gpu() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n");
  const auto r =
      run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") + " --backend cuda");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--backend cuda"), std::string::npos) << r.err;
}

void determinism() {
  test::TempDir dir;
  const std::string examples = std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz";
  // The example corpus, also split into two inputs of different formats.
  auto src = io::open_source(examples);
  std::string all, buf(1 << 20, '\0');
  for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;)
    all.append(buf, 0, n);
  const std::size_t cut = all.find('\n', all.size() / 2) + 1;
  test::write_file(dir / "a.jsonl", all.substr(0, cut));
  test::write_file(dir / "b.jsonl.zst", test::zstd_bytes(all.substr(cut)));
  std::map<std::string, std::string> ref;
  int run = 0;
  for (const std::string& args :
       {std::string("--threads 1"), std::string("--threads 2"), std::string("--threads 8"),
        std::string("--threads 8"), std::string("--threads 2 SPLIT")}) {
    const std::string out = dir / ("out" + std::to_string(run));
    std::string a = args, inputs = q(examples);
    if (a.find(" SPLIT") != std::string::npos) {
      a.erase(a.find(" SPLIT"));
      inputs = q(dir / "a.jsonl") + " " + q(dir / "b.jsonl.zst");
    }
    const auto r = run_dupscan("dedup " + inputs + " -o " + q(out) + " " + a + " --write-deduped " +
                               q(out + "/kept.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> files;
    for (const char* f : {"duplicates.jsonl", "clusters.jsonl", "kept.jsonl"}) {
      files[f] = test::read_file(out + "/" + f);
    }
    // report.json: equal but for the timings, the thread count, the inputs and outputs paths.
    simdjson::dom::parser p;
    std::string rb;
    auto rep = report(p, out, rb);
    files["report.counts"] = simdjson::minify(rep["counts"]);
    files["report.parameters"] = simdjson::minify(rep["parameters"]);
    if (run++ == 0) {
      ref = files;
      continue;
    }
    for (const auto& [name, content] : files)
      EXPECT_EQ(content, ref[name]) << name << " " << args;
  }
}

void input_changes() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText + " end") + "\n");
  DedupConfig cfg;
  cfg.inputs = {dir / "in.jsonl"};
  cfg.output_dir = dir / "out";
  DedupObserver obs;
  bool touched = false;
  obs.progress = [&](const Progress& p) {
    if (!touched && std::string(p.stage) == "lsh") {  // between reading and verification
      touched = true;
      std::FILE* f = std::fopen((dir / "in.jsonl").c_str(), "ab");
      std::fputs("{\"text\":\"appended\"}\n", f);
      std::fclose(f);
    }
  };
  try {
    run_dedup(cfg, obs);
    FAIL() << "the run did not notice its input changed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("changed while dupscan was running"), std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(touched);
  EXPECT_FALSE(test::file_exists(dir / "out/duplicates.jsonl"));
}

void contam_bad_benchmark() {
  test::TempDir dir;
  test::write_file(dir / "train.jsonl", rec("a", kText) + "\n");
  for (const std::string& line : {std::string("{\"question\": \"a b c\"}\n{\"answer\": 1}"),
                                  std::string("{\"question\": \"a b c\"}\n{broken")}) {
    test::write_file(dir / "eval.jsonl", line + "\n");
    const auto r =
        run_dupscan("contam --train " + q(dir / "train.jsonl") + " --eval " +
                    q("b=" + (dir / "eval.jsonl") + ":question") + " -o " + q(dir / "out"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("eval.jsonl:2: "), std::string::npos) << r.err;
    EXPECT_FALSE(test::file_exists(dir / "out"));
  }
}

void contam_bad_training_record() {
  test::TempDir dir;
  test::write_file(dir / "train.jsonl", rec("a", kText) + "\n{broken\n" + rec("b", kText) + "\n");
  test::write_file(dir / "eval.jsonl", rec("e", kText) + "\n");
  const std::string args = "contam --train " + q(dir / "train.jsonl") + " --eval " +
                           q("b=" + (dir / "eval.jsonl")) + " -o ";
  const auto r = run_dupscan(args + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("train.jsonl:2: malformed JSON"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["train"]["skipped_by_reason"]["malformed_json"]), 1u);
  EXPECT_EQ(std::uint64_t(rep["train"]["documents"]), 2u);
  const auto s = run_dupscan(args + q(dir / "strict") + " --strict");
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("train.jsonl:2: malformed JSON"), std::string::npos) << s.err;
  EXPECT_TRUE(test::list_dir(dir / "strict").empty());
}

void index_damaged_or_stale() {
  test::TempDir dir;
  test::write_file(dir / "old.jsonl", rec("a", kText) + "\n");
  test::write_file(dir / "new.jsonl", rec("b", kText) + "\n");
  const auto b = run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string run = "dedup " + q(dir / "new.jsonl") + " -o " + q(dir / "out") + " --against ";
  std::string seg = test::read_file(dir / "idx/segment-000000.bin");
  seg.back() = static_cast<char>(seg.back() ^ 1);
  ASSERT_EQ(std::system(("cp -r " + q(dir / "idx") + " " + q(dir / "bad")).c_str()), 0);
  test::write_file(dir / "bad/segment-000000.bin", seg);
  const auto damaged = run_dupscan(run + q(dir / "bad"));
  EXPECT_EQ(damaged.exit_code, 1);
  EXPECT_NE(damaged.err.find("segment-000000.bin' fails its checksum"), std::string::npos)
      << damaged.err;
  test::write_file(dir / "old.jsonl", rec("a", kText) + "\n" + rec("c", kText) + "\n");
  const auto stale = run_dupscan(run + q(dir / "idx"));
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("old.jsonl' changed since it was indexed"), std::string::npos)
      << stale.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
}

void index_append_crash() {
  test::TempDir dir;
  test::write_file(dir / "old.jsonl", rec("a", kText) + "\n");
  test::write_file(dir / "new.jsonl", rec("b", kText) + "\n");
  const auto b = run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const std::string manifest = test::read_file(dir / "idx/index.json");
  ::setenv("DUPSCAN_TEST_FAULT", "index-append-before-manifest", 1);
  const auto crash =
      run_dupscan("index add " + q(dir / "new.jsonl") + " --index " + q(dir / "idx"));
  ::unsetenv("DUPSCAN_TEST_FAULT");
  EXPECT_EQ(crash.exit_code, 3);
  EXPECT_EQ(test::read_file(dir / "idx/index.json"), manifest);
  const auto r = run_dupscan("dedup " + q(dir / "new.jsonl") + " -o " + q(dir / "out") +
                             " --against " + q(dir / "idx"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(dir / "out/duplicates.jsonl").find("\"duplicate_of\":\"a\""),
            std::string::npos);
}

struct Case {
  const char* name;
  const char* when;  // README: "When ..."
  const char* what;  // README: "dupscan ..."
  void (*run)();
};

const Case kCases[] = {
    {"BadJson", "a line is not valid JSON",
     "skips it with a warning naming file:line and counts it in report.json "
     "(`skipped_by_reason.malformed_json`); with `--strict` stops with exit 1 naming file:line and "
     "the reason, writing no output",
     bad_json},
    {"NotAnObject", "a line is JSON but not an object", "the same, as `not_an_object`", not_object},
    {"MissingText", "a record has no text field, or its text is not a string",
     "the same, as `missing_text_field` / `text_not_string`", missing_text},
    {"BadUtf8", "a line is not valid UTF-8", "the same, as `invalid_utf8`", bad_utf8},
    {"NulBytes", "a line holds a raw NUL byte, or the text an escaped `\\u0000`",
     "a raw NUL is malformed JSON (skipped as above); an escaped one is a control character, "
     "which separates words",
     nul_bytes},
    {"CrlfAndLastLine", "lines end in CRLF, or the last line has no newline",
     "reads them as usual; `--write-deduped` keeps the `\\r`, and ends the last record with "
     "`\\n`",
     crlf_and_last_line},
    {"BlankLines", "lines are empty or only whitespace",
     "ignores them without a warning and counts them as `blank_lines` per input", blank_lines},
    {"EmptyFile", "an input file (plain or compressed) is empty",
     "succeeds: 0 documents, empty duplicates and clusters", empty_file},
    {"EmptyDocuments", "a text is empty after normalization (\"\", \"!!!\")",
     "counts it as `empty`, keeps it, never clusters it", empty_documents},
    {"HugeRecord", "one record is 200 MB",
     "processes it like any other and copies it byte for byte with `--write-deduped`", huge_record},
    {"ManyTinyRecords", "the input is a million tiny records",
     "processes them; distinct one-shingle texts whose 32-bit shingle hashes collide are not "
     "taken for duplicates",
     many_tiny_records},
    {"TruncatedOrCorruptArchive", "a `.gz` / `.zst` input is truncated or corrupt",
     "exits 1 naming the file and what is wrong; writes nothing to the output directory",
     truncated_or_corrupt_archive},
    {"MissingOrUnreadableInput", "an input does not exist, is a directory, or cannot be read",
     "exits 1 naming the path, before creating the output directory when it can tell by "
     "looking, with nothing in it otherwise",
     missing_or_unreadable_input},
    {"UnwritableOutput", "the output directory cannot be created or written",
     "exits 1 naming it, before reading any input", unwritable_output},
    {"DiskFull", "the disk fills up (or a file-size limit is hit) while writing outputs",
     "exits 1 naming the file; removes its temporary files; outputs of an earlier run stay as "
     "they were",
     disk_full},
    {"Signals", "it gets SIGINT or SIGTERM, even while waiting on a silent pipe",
     "stops promptly (it checks every 0.1 s), exits 130, removes temporary and spool files; "
     "earlier outputs stay as they were (a second signal kills at once)",
     signals},
    {"BadUsage", "an option is unknown or out of range (`--threshold 1.5`, bands × rows > K, ...)",
     "exits 2 with a message saying what is allowed, before doing anything", bad_usage},
    {"CudaWithoutGpu", "`--backend cuda` is asked for without a usable GPU",
     "exits 1 saying so (no silent fallback)", cuda_without_gpu},
    {"Determinism",
     "the same inputs are run again, with any `--threads`, or split into several files",
     "writes byte-identical duplicates, clusters and deduplicated copy, and the same counts and "
     "parameters in report.json",
     determinism},
    {"ContamBadBenchmark", "`contam`: a benchmark record is not JSON or lacks the checked field",
     "exits 1 naming file:line, writing nothing (a verdict table must cover every example)",
     contam_bad_benchmark},
    {"ContamBadTrainingRecord", "`contam`: a training record is bad",
     "treats it as `dedup` does: skipped, warned and counted, or fatal with `--strict`",
     contam_bad_training_record},
    {"IndexDamagedOrStale",
     "`dedup --against`: the index is damaged, or a file it indexed has changed",
     "exits 1 naming the segment or the file, writing nothing (rebuild the index)",
     index_damaged_or_stale},
    {"IndexAppendCrash", "`index add` dies between writing its segment and its manifest",
     "the previous index stays valid and usable; the next add overwrites the orphan segment",
     index_append_crash},
    {"InputChanges", "an input file changes while dupscan runs",
     "notices when it reads it again and exits 1 saying so, writing nothing", input_changes},
};

// Test names and ctest lines show the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

class Faults : public ::testing::TestWithParam<Case> {};

TEST_P(Faults, Behaves) {
  GetParam().run();
}

INSTANTIATE_TEST_SUITE_P(Binary, Faults, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(FaultsTable, ReadmeTableMatchesTheseCases) {
  const std::string readme = test::read_file(DUPSCAN_README);
  const std::string begin = "<!-- faults-table: generated from tests/test_faults.cpp -->";
  const std::string end = "<!-- /faults-table -->";
  const auto b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos) << "README lacks the table markers";
  ASSERT_NE(e, std::string::npos);
  std::string expected = "\n| When | dupscan |\n|---|---|\n";
  for (const Case& c : kCases)
    expected += "| " + std::string(c.when) + " | " + c.what + " |\n";
  const std::string actual = readme.substr(b + begin.size(), e - b - begin.size());
  EXPECT_EQ(actual, expected) << "scripts/update_faults_table.py rewrites README's table; it "
                                 "should read:\n"
                              << expected;
}

}  // namespace
}  // namespace dupscan
