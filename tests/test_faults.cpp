// What happens when things go wrong, end to end on the built binary. Each case here is one row of
// README's "What happens when..." table; Faults.ReadmeTableMatchesTheseCases keeps the two equal.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/record.hpp"
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

// `n` good records with distinct texts, one per line.
std::string filler(int n, const std::string& prefix = "f") {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += rec(prefix + std::to_string(i),
               "filler record " + std::to_string(i) + " about nothing in particular " + prefix) +
           "\n";
  }
  return out;
}

// A bad line among nine good ones (10%, the most --max-skipped allows by default): skipped and
// counted, fatal with --strict.
void expect_bad_line(const std::string& line, const char* reason, const char* message) {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl",
                   rec("a", kText) + "\n" + line + "\n" + rec("b", kText) + "\n" + filler(7));
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("in.jsonl:2: " + std::string(message)), std::string::npos) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped_by_reason"][reason]), 1u) << buf;
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 9u);
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
  const std::pair<const char*, const char*> cases[] = {
      {"--bogus", "The following argument was not expected: --bogus"},
      {"--threshold 1.5", "--threshold must be in (0, 1]"},
      {"--threshold abc", "--threshold"},
      {"--bands 20 --rows 10", "must not exceed --num-perm"},
      {"--bands 0 --rows 4", "--bands must be >= 1, got 0"},
      {"--bands 4 --rows 0", "--rows must be >= 1, got 0"},
      {"--bands -3 --rows 4", "--bands must be >= 1, got -3"},
      {"--bands 0", "--bands must be >= 1, got 0"},
      {"--shingle word:0", "word:N or char:N"},
      {"--keep biggest", "--keep"},
      {"--text-field a++b", "--text-field must be"},
  };
  for (const auto& [args, message] : cases) {
    const auto r =
        run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    // One style for CLI11's errors and dupscan's own: what is wrong, then where help is.
    EXPECT_EQ(r.err.rfind("dupscan: error: ", 0), 0u) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("\nRun 'dupscan dedup --help' for the options.\n"), std::string::npos)
        << args << "\n"
        << r.err;
    EXPECT_FALSE(test::file_exists(dir / "out")) << args;
  }
}

void cuda_without_gpu() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n");
  const auto r =
      run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") + " --backend cuda");
  // A build with the CUDA backend finds no GPU (exit 1); one without it refuses the option (2).
  EXPECT_EQ(r.exit_code, have_cuda_backend() ? 1 : 2) << r.err;
  EXPECT_NE(r.err.find("--backend cuda"), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
}

// The device gives other bits than the CPU (a fault injected into cuda-host's candidate pairs,
// DUPSCAN_TEST_DEVICE_FAULT; DUPSCAN_TEST_AUTO_DEVICE lets auto take cuda-host as its device).
// tests/test_canary.cpp checks the bytes of every case.
void device_fails_canary() {
  if (!have_cuda_host_backend()) GTEST_SKIP() << "this build has no cuda-host backend";
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText) + "\n");
  const std::string args = "dedup " + q(dir / "in.jsonl") + " -o ";
  ::setenv("DUPSCAN_TEST_DEVICE_FAULT", "pair", 1);
  ::setenv("DUPSCAN_TEST_AUTO_DEVICE", "cuda-host", 1);
  const auto fell = run_dupscan(args + q(dir / "auto"));
  ::unsetenv("DUPSCAN_TEST_AUTO_DEVICE");
  const auto named = run_dupscan(args + q(dir / "named") + " --backend cuda-host");
  ::unsetenv("DUPSCAN_TEST_DEVICE_FAULT");
  EXPECT_EQ(fell.exit_code, 0) << fell.err;
  EXPECT_NE(fell.err.find("failed its canary check at candidate pairs"), std::string::npos)
      << fell.err;
  EXPECT_NE(test::read_file(dir / "auto/report.json").find("\"status\": \"failed\""),
            std::string::npos);
  EXPECT_EQ(named.exit_code, 1) << named.err;
  EXPECT_NE(named.err.find("failed its canary check"), std::string::npos) << named.err;
  EXPECT_FALSE(test::file_exists(dir / "named"));
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
  RunObserver obs;
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
  test::write_file(dir / "train.jsonl",
                   rec("a", kText) + "\n{broken\n" + rec("b", kText) + "\n" + filler(7));
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
  EXPECT_EQ(std::uint64_t(rep["train"]["documents"]), 9u);
  EXPECT_NE(r.err.find("skipped training records: 1"), std::string::npos) << r.err;
  const auto s = run_dupscan(args + q(dir / "strict") + " --strict");
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("train.jsonl:2: malformed JSON"), std::string::npos) << s.err;
  EXPECT_TRUE(test::list_dir(dir / "strict").empty());
}

// The records a run could not read (one of each kind of skip, one of them twice) among true
// duplicates, a blank line and a CRLF line, with the ids of the duplicates.
struct SkipCorpus {
  std::vector<std::string> lines;  // as written, without '\n'
  std::vector<bool> duplicate;     // lines[i] is a record dupscan should remove
  std::size_t bad = 0;             // lines dupscan skips
  std::string text() const {
    std::string t;
    for (const std::string& l : lines)
      t += l + "\n";
    return t;
  }
  // What the deduplicated copy holds: every line but blank ones and the duplicates, as written.
  std::string kept() const {
    std::string t;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (!duplicate[i] && !is_blank(lines[i])) t += lines[i] + "\n";
    }
    return t;
  }
};

SkipCorpus skip_corpus() {
  SkipCorpus c;
  auto add = [&](const std::string& line, bool dup = false, bool bad = false) {
    c.lines.push_back(line);
    c.duplicate.push_back(dup);
    c.bad += bad;
  };
  add(rec("a", kText));
  add("{\"id\":\"u\",\"text\":\"caf\xe9 au lait\"}", false, true);        // invalid UTF-8
  add(std::string("{\"id\":\"n\",\"text\":\"a\0b\"}", 23), false, true);  // raw NUL
  add(rec("b", kText), true);
  add("{\"id\":\"j\",\"text\": \"no end", false, true);  // malformed JSON
  add("");
  add("{\"id\":\"m\",\"body\":\"no text field\"}", false, true);
  add("{\"id\":\"t\",\"text\":42}", false, true);
  add("[1, 2, 3]", false, true);
  add(rec("c", kText) + "\r", true);
  add("{\"id\":\"u\",\"text\":\"caf\xe9 au lait\"}", false, true);  // the same bad line again
  add(rec("d", "a record of its own, with a CRLF line end") + "\r");
  for (const std::string& l : test::lines_of(filler(70)))
    add(l);
  return c;
}

std::vector<std::string> duplicate_ids(const std::string& dir) {
  std::vector<std::string> ids;
  simdjson::dom::parser p;
  for (const std::string& l : test::lines_of(test::read_file(dir + "/duplicates.jsonl"))) {
    ids.emplace_back(std::string_view(p.parse(l)["id"]));
  }
  return ids;
}

void skipped_records_in_copies() {
  test::TempDir dir;
  const SkipCorpus c = skip_corpus();
  ASSERT_EQ(c.bad, 7u);
  const std::string in = dir / "f.jsonl";
  test::write_file(in, c.text());
  // The copy as a file of its own, from a gzip input and from stdin, then replacing the input.
  test::write_file(dir / "f.jsonl.gz", test::gzip_bytes(c.text()));
  for (const std::string& from : {in, dir / "f.jsonl.gz", std::string("-")}) {
    SCOPED_TRACE(from);
    const auto r = run_dupscan(
        "dedup " + q(from) + " -o " + q(dir / "o1") + " --write-deduped " + q(dir / "kept.jsonl"),
        from == "-" ? in : "");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(test::read_file(dir / "kept.jsonl"), c.kept());
  }
  const auto r = run_dupscan("dedup " + q(in) + " -o " + q(dir / "out") + " --write-deduped " +
                             q(in) + " --in-place");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(in), c.kept());
  EXPECT_EQ(duplicate_ids(dir / "out"), (std::vector<std::string>{"b", "c"}));
  EXPECT_NE(r.err.find("deduped copy      7 skipped records copied through unread"),
            std::string::npos)
      << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped"]), c.bad) << buf;
  EXPECT_EQ(std::uint64_t(rep["deduped"]["skipped_passed_through"]), c.bad) << buf;
  // Without --write-deduped, report.json has no such section.
  ASSERT_EQ(run_dupscan("dedup " + q(in) + " -o " + q(dir / "plain")).exit_code, 0);
  EXPECT_EQ(test::read_file(dir / "plain/report.json").find("\"deduped\""), std::string::npos);

  // contam: a contaminated record is dropped, the skipped ones are copied through.
  test::TempDir cdir;
  const std::string train = cdir / "train.jsonl";
  test::write_file(train, c.text());
  test::write_file(cdir / "eval.jsonl", rec("e", kText) + "\n");
  const auto t =
      run_dupscan("contam --train " + q(train) + " --eval " + q("b=" + (cdir / "eval.jsonl")) +
                  " -o " + q(cdir / "out") + " --write-decontaminated " + q(train) + " --in-place");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  std::string want;
  for (std::size_t i = 0; i < c.lines.size(); ++i) {
    // kText's records (a, b, c) are shorter than --min-piece once cut: dropped whole.
    if (i != 0 && !c.duplicate[i] && !is_blank(c.lines[i])) want += c.lines[i] + "\n";
  }
  EXPECT_EQ(test::read_file(train), want);
  auto crep = report(p, cdir / "out", buf);
  EXPECT_EQ(std::uint64_t(crep["decontaminated"]["documents_dropped"]), 3u) << buf;
  EXPECT_EQ(std::uint64_t(crep["decontaminated"]["skipped_passed_through"]), c.bad) << buf;
  EXPECT_NE(t.err.find("7 skipped records copied through unread"), std::string::npos) << t.err;
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

// ---- input honesty (issue 15) ---------------------------------------------------------------

// Every file under `dir` with its bytes ("<absent>" when there is no such directory): equal
// before and after a failed run when that run left the directory as it was.
std::string tree_of(const std::string& dir) {
  if (!test::file_exists(dir)) return "<absent>";
  std::string out;
  for (const std::string& name : test::list_dir(dir)) {
    const std::string path = dir + "/" + name;
    struct stat st {};
    ::stat(path.c_str(), &st);
    out += name + "\n" + (S_ISDIR(st.st_mode) ? tree_of(path) : test::read_file(path)) + "\n";
  }
  return out;
}

// GSM8K-like records: the text is in "question", the default --text-field is "text".
std::string gsm_records(int n, int from = 0) {
  std::string out;
  for (int i = from; i < from + n; ++i) {
    const std::string k = std::to_string(i);
    out += "{\"question\":\"Natalia sold clips to " + k +
           " of her friends in April and then half as many clips in May; how many clips did "
           "she sell altogether in April and May\",\"answer\":\"She sold " +
           k + " clips\"}\n";
  }
  return out;
}

#ifdef DUPSCAN_MPI_BIN
test::RunResult mpirun2(const std::string& args) {
  test::TempDir io;
  // Open MPI refuses root unless told (containers, CI).
  const std::string cmd =
      "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 "
      "--oversubscribe " +
      std::string(DUPSCAN_MPI_BIN) + " " + args + " >" + (io / "out") + " 2>" + (io / "err") +
      " </dev/null";
  const int status = std::system(cmd.c_str());
  test::RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.err = test::read_file(io / "err");
  return r;
}
#endif

void wrong_text_field() {
  test::TempDir dir;
  test::write_file(dir / "gsm.jsonl", gsm_records(20));
  test::write_file(dir / "gsm2.jsonl", gsm_records(20, 100));
  const std::string gsm = q(dir / "gsm.jsonl");
  const std::string hint = "records have fields: question, answer; use --text-field question";
  // An earlier run's outputs in out/; a failed run leaves them, and fresh/ stays absent.
  ASSERT_EQ(run_dupscan("dedup " + gsm + " --text-field question -o " + q(dir / "out")).exit_code,
            0);
  const std::string eval = q("b=" + (dir / "gsm.jsonl") + ":question");
  const std::pair<std::string, std::string> runs[] = {
      {"dedup " + gsm + " -o " + q(dir / "out"), dir / "out"},
      {"dedup " + gsm + " -o " + q(dir / "fresh/sub"), dir / "fresh"},
      {"index build " + gsm + " --index " + q(dir / "idx"), dir / "idx"},
      {"contam --train " + gsm + " --eval " + eval + " -o " + q(dir / "c"), dir / "c"},
  };
  for (const auto& [args, out] : runs) {
    const std::string before = tree_of(out);
    const auto r = run_dupscan(args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("dupscan: error: '" + (dir / "gsm.jsonl") +
                         "': no document read, all 20 records skipped (no \"text\" field, the "
                         "first at line 1); " +
                         hint + "\n"),
              std::string::npos)
        << args << "\n"
        << r.err;
    EXPECT_EQ(tree_of(out), before) << args;
  }
  // index add reads the index's field: the hint says which.
  ASSERT_EQ(run_dupscan("index build " + gsm + " --text-field question --index " + q(dir / "idx"))
                .exit_code,
            0);
  const std::string idx_before = tree_of(dir / "idx");
  test::write_file(dir / "other.jsonl", rec("x", kText) + "\n");
  const auto add =
      run_dupscan("index add " + q(dir / "other.jsonl") + " --index " + q(dir / "idx"));
  EXPECT_EQ(add.exit_code, 1) << add.err;
  EXPECT_NE(add.err.find("records have fields: id, text; the index reads --text-field question"),
            std::string::npos)
      << add.err;
  EXPECT_EQ(tree_of(dir / "idx"), idx_before);
  // The benchmark side: every record must be usable, and the hint names the --eval to give.
  const auto ev = run_dupscan("contam --train " + gsm + " --text-field question --eval " +
                              q("b=" + (dir / "gsm.jsonl")) + " -o " + q(dir / "c"));
  EXPECT_EQ(ev.exit_code, 1) << ev.err;
  EXPECT_NE(ev.err.find("gsm.jsonl:1: benchmark record without a string field \"text\"; records "
                        "have fields: question, answer; use --eval b=" +
                        (dir / "gsm.jsonl") + ":question"),
            std::string::npos)
      << ev.err;
  EXPECT_FALSE(test::file_exists(dir / "c"));
#ifdef DUPSCAN_MPI_BIN
  if (std::system("command -v mpirun >/dev/null 2>&1") == 0) {
    const auto m = mpirun2("dedup " + gsm + " " + q(dir / "gsm2.jsonl") + " -o " + q(dir / "mpi") +
                           " --threads 1");
    EXPECT_EQ(m.exit_code, 1) << m.err;
    EXPECT_NE(m.err.find(hint), std::string::npos) << m.err;
    EXPECT_FALSE(test::file_exists(dir / "mpi")) << "dupscan-mpi left its output directory";
  }
#endif
}

void plain_text_input() {
  test::TempDir dir;
  const std::string lines[] = {
      " = Valkyria Chronicles III = ",
      "",
      " Senjou no Valkyria 3 : Unrecorded Chronicles is a tactical role playing video game",
      " The game began development in 2010 , carrying over a large portion of the work",
      " Senjou no Valkyria 3 : Unrecorded Chronicles is a tactical role playing video game",
  };
  std::string text;
  for (const auto& l : lines)
    text += l + "\n";
  test::write_file(dir / "wiki.txt", text);
  const std::string wiki = q(dir / "wiki.txt");
  const std::string hint = "this looks like plain text, not JSON Lines: use --format text";
  const auto r = run_dupscan("dedup " + wiki + " -o " + q(dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no document read, all 4 records skipped"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(hint), std::string::npos) << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
  test::write_file(dir / "eval.jsonl", rec("e", lines[3]) + "\n");
  const std::string contam = "contam --train " + wiki + " --eval " +
                             q("b=" + (dir / "eval.jsonl")) + " -o " + q(dir / "c");
  const auto c = run_dupscan(contam);
  EXPECT_EQ(c.exit_code, 1);
  EXPECT_NE(c.err.find(hint), std::string::npos) << c.err;
  EXPECT_FALSE(test::file_exists(dir / "c"));
  // On purpose: one document per line, ids <file>:<line>.
  const auto t = run_dupscan("dedup " + wiki + " -o " + q(dir / "out") + " --format text");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(test::read_file(dir / "out/duplicates.jsonl"),
            "{\"id\":\"" + (dir / "wiki.txt") + ":5\",\"duplicate_of\":\"" + (dir / "wiki.txt") +
                ":3\",\"cluster\":0,\"kind\":\"exact\",\"jaccard\":1}\n");
  simdjson::dom::parser p;
  std::string buf;
  EXPECT_EQ(std::string_view(report(p, dir / "out", buf)["parameters"]["format"]), "text");
  const auto ct = run_dupscan(contam + " --format text");
  ASSERT_EQ(ct.exit_code, 0) << ct.err;
  EXPECT_NE(test::read_file(dir / "c/contamination.jsonl").find("\"dirty\":true"),
            std::string::npos);
  // An index of text remembers its format: --against needs no --format.
  ASSERT_EQ(
      run_dupscan("index build " + wiki + " --format text --index " + q(dir / "idx")).exit_code, 0);
  test::write_file(dir / "new.txt", lines[3] + "\n");
  const auto a = run_dupscan("dedup " + q(dir / "new.txt") + " -o " + q(dir / "a") + " --against " +
                             q(dir / "idx"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_NE(test::read_file(dir / "a/duplicates.jsonl")
                .find("\"duplicate_of\":\"" + (dir / "wiki.txt") + ":4\""),
            std::string::npos);
  EXPECT_NE(a.err.find("from the index    --format text"), std::string::npos) << a.err;
}

void too_many_skipped() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", filler(4) + "{broken\n" + filler(4, "g") + "[1]\n");
  const std::string run = "dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out");
  const auto r = run_dupscan(run);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'" + (dir / "in.jsonl") +
                       "': 2 of 10 records skipped (20.0%, more than --max-skipped 10%) (1 with "
                       "malformed JSON"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("the first at line 5); fix the input, or allow more with --max-skipped"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
  EXPECT_EQ(run_dupscan(run + " --max-skipped 20%").exit_code, 0);
  EXPECT_EQ(run_dupscan(run + " --max-skipped 0.2").exit_code, 0);
  const auto bad = run_dupscan(run + " --max-skipped 120%");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--max-skipped must be a share in [0, 1]"), std::string::npos) << bad.err;
  // Per input: a clean second input does not excuse the first.
  test::write_file(dir / "good.jsonl", filler(30, "h"));
  EXPECT_EQ(run_dupscan("dedup " + q(dir / "good.jsonl") + " " + q(dir / "in.jsonl") + " -o " +
                        q(dir / "out2"))
                .exit_code,
            1);
}

void nested_and_joined_fields() {
  test::TempDir dir;
  // The same documents three ways: flat, nested in meta.body, split into title + body.
  const std::string title = "Budget review", body = kText;
  std::string flat, nested, split;
  for (int i = 0; i < 3; ++i) {
    const std::string id = "\"d" + std::to_string(i) + "\"";
    const std::string tail = i == 2 ? " and more" : "";
    std::string t, b;
    append_json_string(t, title);
    append_json_string(b, body + tail);
    std::string joined;
    append_json_string(joined, title + "\n" + body + tail);
    flat += "{\"id\":" + id + ",\"text\":" + joined + "}\n";
    nested += "{\"id\":" + id + ",\"meta\":{\"lang\":\"en\",\"body\":" + joined + "},\"n\":1}\n";
    split += "{\"id\":" + id + ",\"title\":" + t + ",\"body\":" + b + "}\n";
  }
  test::write_file(dir / "flat.jsonl", flat);
  test::write_file(dir / "nested.jsonl", nested);
  test::write_file(dir / "split.jsonl", split);
  auto dedup = [&](const std::string& file, const std::string& field, const std::string& out) {
    const auto r =
        run_dupscan("dedup " + q(dir / file) + " -o " + q(dir / out) + " --text-field " + field);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return test::read_file(dir / out + "/duplicates.jsonl");
  };
  const std::string want = dedup("flat.jsonl", "text", "o1");
  EXPECT_NE(want.find("\"id\":\"d1\",\"duplicate_of\":\"d0\""), std::string::npos) << want;
  EXPECT_EQ(dedup("nested.jsonl", "meta.body", "o2"), want);
  EXPECT_EQ(dedup("split.jsonl", "title+body", "o3"), want);
  // The index and contam read them the same way.
  ASSERT_EQ(run_dupscan("index build " + q(dir / "nested.jsonl") +
                        " --text-field meta.body --index " + q(dir / "idx"))
                .exit_code,
            0);
  const auto a = run_dupscan("dedup " + q(dir / "flat.jsonl") + " -o " + q(dir / "o4") +
                             " --against " + q(dir / "idx") + " --id-field none");
  EXPECT_EQ(a.exit_code, 2) << "--text-field meta.body is the index's: flat.jsonl lacks it";
  test::write_file(
      dir / "eval.jsonl", "{\"doc\":{\"q\":" + [&] {
        std::string s;
        append_json_string(s, body);
        return s;
      }() + "}}\n");
  const auto c =
      run_dupscan("contam --train " + q(dir / "nested.jsonl") + " --text-field meta.body --eval " +
                  q("b=" + (dir / "eval.jsonl") + ":doc.q") + " -o " + q(dir / "c") +
                  " --write-decontaminated " + q(dir / "decon.jsonl") +
                  " --window 0 --min-piece 0 --max-cuts 100");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(test::read_file(dir / "c/contamination.jsonl").find("\"dirty\":true"),
            std::string::npos);
  // The cut text replaces meta.body; every other field stays where it was.
  const std::string decon = test::read_file(dir / "decon.jsonl");
  EXPECT_NE(decon.find("{\"id\":\"d2\",\"meta\":{\"lang\":\"en\",\"body\":\" and more\"},\"n\":1,"
                       "\"decontam_piece\":1,\"decontam_pieces\":2}\n"),
            std::string::npos)
      << decon;
}

void same_input_twice() {
  test::TempDir dir;
  test::write_file(dir / "a.jsonl", rec("a", kText) + "\n");
  ASSERT_EQ(::symlink((dir / "a.jsonl").c_str(), (dir / "link.jsonl").c_str()), 0);
  const std::string a = q(dir / "a.jsonl");
  for (const std::string& args :
       {"dedup " + a + " " + a + " -o " + q(dir / "out"),
        "dedup " + a + " " + q(dir / "link.jsonl") + " -o " + q(dir / "out"),
        "index build " + a + " " + q(dir / "link.jsonl") + " --index " + q(dir / "out"),
        "contam --train " + a + " " + a + " --eval " + q("b=" + (dir / "a.jsonl")) + " -o " +
            q(dir / "out")}) {
    const auto r = run_dupscan(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_TRUE(r.err.find("input '" + (dir / "a.jsonl") + "' is given twice") !=
                    std::string::npos ||
                r.err.find("inputs '" + (dir / "a.jsonl") + "' and '" + (dir / "link.jsonl") +
                           "' are the same file") != std::string::npos)
        << args << "\n"
        << r.err;
    EXPECT_FALSE(test::file_exists(dir / "out")) << args;
  }
}

void output_is_input() {
  test::TempDir dir;
  const std::string content = rec("a", kText) + "\n" + rec("b", kText) + "\n";
  test::write_file(dir / "c.jsonl", content);
  const std::string run = "dedup " + q(dir / "c.jsonl") + " -o " + q(dir / "out") +
                          " --write-deduped " + q(dir / "c.jsonl");
  const auto r = run_dupscan(run);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("input file is output file: --write-deduped '" + (dir / "c.jsonl") + "'"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(test::read_file(dir / "c.jsonl"), content);
  EXPECT_FALSE(test::file_exists(dir / "out"));
  const auto t = run_dupscan("contam --train " + q(dir / "c.jsonl") + " --eval " +
                             q("b=" + (dir / "c.jsonl")) + " -o " + q(dir / "o2") +
                             " --write-decontaminated " + q(dir / "./c.jsonl"));
  EXPECT_EQ(t.exit_code, 2);
  EXPECT_NE(t.err.find("input file is output file: --write-decontaminated"), std::string::npos)
      << t.err;
  EXPECT_EQ(test::read_file(dir / "c.jsonl"), content);
  // On purpose: the input is replaced by its deduplicated copy once the run has succeeded.
  // --in-place is for the copy only: duplicates.jsonl would still replace an input.
  ::mkdir((dir / "out2").c_str(), 0755);
  test::write_file(dir / "out2/duplicates.jsonl", content);
  const auto other = run_dupscan("dedup " + q(dir / "out2/duplicates.jsonl") + " -o " +
                                 q(dir / "out2") + " --in-place");
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_NE(other.err.find("input file is output file: --output-dir"), std::string::npos)
      << other.err;
  EXPECT_EQ(test::read_file(dir / "out2/duplicates.jsonl"), content);
  const auto in_place = run_dupscan(run + " --in-place");
  ASSERT_EQ(in_place.exit_code, 0) << in_place.err;
  EXPECT_EQ(test::read_file(dir / "c.jsonl"), rec("a", kText) + "\n");
}

void byte_order_mark() {
  test::TempDir dir;
  const std::string bom = "\xEF\xBB\xBF";
  const std::string a = rec("a", kText), b = rec("b", kText);
  test::write_file(dir / "in.jsonl", bom + a + "\n" + b + "\n");
  test::write_file(dir / "in2.jsonl.gz", test::gzip_bytes(bom + rec("c", kText) + "\n"));
  test::write_file(dir / "in.txt", bom + kText + "\n" + kText + "\n");
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " " + q(dir / "in2.jsonl.gz") +
                             " -o " + q(dir / "out") + " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 3u) << buf;
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped"]), 0u) << buf;
  EXPECT_EQ(std::uint64_t(rep["counts"]["exact_duplicates"]), 2u) << buf;
  EXPECT_EQ(test::read_file(dir / "kept.jsonl"), a + "\n");  // the record, not the mark
  const auto t = run_dupscan("dedup " + q(dir / "in.txt") + " -o " + q(dir / "o2") +
                             " --format text --write-deduped " + q(dir / "kept.txt"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_EQ(test::read_file(dir / "kept.txt"), kText + "\n");
}

void contam_coverage_options() {
  test::TempDir dir;
  test::write_file(dir / "train.jsonl", rec("t", kText) + "\n");
  test::write_file(dir / "eval.jsonl", rec("e", kText) + "\n");
  const std::string run = "contam --train " + q(dir / "train.jsonl") + " --eval " +
                          q("b=" + (dir / "eval.jsonl")) + " -o " + q(dir / "out");
  const auto bad = run_dupscan(run + " --coverage-clean 0.9");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--coverage-clean (0.9) must not exceed --coverage-dirty (0.8)"),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
  const auto r = run_dupscan(run + " --coverage-clean 0.3 --coverage-dirty 0.7");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* h : {"cov<30%", "cov>=30%", "cov<70%", "cov>=70%"})
    EXPECT_NE(r.err.find(h), std::string::npos) << h << "\n" << r.err;
  EXPECT_EQ(r.err.find("cov<20%"), std::string::npos) << r.err;
}

// Old and new documents with duplicates between them, for the --against cases.
void write_old_and_new(const test::TempDir& dir, const std::string& field = "question") {
  std::string old_docs, new_docs;
  for (int i = 0; i < 12; ++i) {
    std::string t;
    append_json_string(t, kText + " Item " + std::to_string(i) + " of the list.");
    old_docs += "{\"id\":\"o" + std::to_string(i) + "\",\"" + field + "\":" + t + "}\n";
    std::string u;
    append_json_string(
        u, kText + " ITEM " + std::to_string(i) + " of the list" + (i % 2 ? " again" : "."));
    new_docs += "{\"id\":\"n" + std::to_string(i) + "\",\"" + field + "\":" + u + "}\n";
  }
  test::write_file(dir / "old.jsonl", old_docs);
  test::write_file(dir / "new.jsonl", new_docs);
}

void against_takes_index_parameters() {
  test::TempDir dir;
  write_old_and_new(dir);
  const std::string params =
      " --text-field question --scheme legacy --shingle word:3 --num-perm 64 --seed 7 "
      "--threshold 0.7 --keep-case --lsh-weights 0.3,0.7";
  ASSERT_EQ(
      run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx") + params)
          .exit_code,
      0);
  const std::string run = "dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") + " -o ";
  const auto implicit = run_dupscan(run + q(dir / "implicit"));
  ASSERT_EQ(implicit.exit_code, 0) << implicit.err;
  const auto stated = run_dupscan(run + q(dir / "stated") + params);
  ASSERT_EQ(stated.exit_code, 0) << stated.err;
  for (const char* f : {"duplicates.jsonl", "clusters.jsonl"}) {
    EXPECT_EQ(test::read_file(dir / "implicit/" + f), test::read_file(dir / "stated/" + f)) << f;
  }
  EXPECT_NE(test::read_file(dir / "implicit/duplicates.jsonl").find("\"kind\":\"near\""),
            std::string::npos)
      << "the case must find near duplicates of indexed documents to compare";
  simdjson::dom::parser p1, p2;
  std::string b1, b2;
  EXPECT_EQ(simdjson::minify(report(p1, dir / "implicit", b1)["parameters"]),
            simdjson::minify(report(p2, dir / "stated", b2)["parameters"]));
  EXPECT_NE(implicit.err.find("from the index    --text-field question, --scheme legacy, "
                              "--shingle word:3, --num-perm 64, --seed 7, --keep-case, "
                              "--threshold 0.7, --lsh-weights 0.3,0.7"),
            std::string::npos)
      << implicit.err;
  // Options given must match, and every difference is listed with the index's value.
  const auto diff =
      run_dupscan(run + q(dir / "diff") + " --num-perm 128 --shingle word:5 --scheme affine64");
  EXPECT_EQ(diff.exit_code, 2);
  EXPECT_NE(diff.err.find("--scheme affine64 (the index: legacy); --shingle word:5 (the index: "
                          "word:3); --num-perm 128 (the index: 64)"),
            std::string::npos)
      << diff.err;
  EXPECT_FALSE(test::file_exists(dir / "diff"));
}

void touched_indexed_file() {
  test::TempDir dir;
  write_old_and_new(dir, "text");
  ASSERT_EQ(
      run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx")).exit_code,
      0);
  const std::string run = "dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") + " -o ";
  const auto before = run_dupscan(run + q(dir / "before"));
  ASSERT_EQ(before.exit_code, 0) << before.err;
  // touch: the mtime changes, the bytes do not.
  ASSERT_EQ(std::system(("touch -d '2001-02-03 04:05:06' " + q(dir / "old.jsonl")).c_str()), 0);
  const auto touched = run_dupscan(run + q(dir / "touched"));
  ASSERT_EQ(touched.exit_code, 0) << touched.err;
  EXPECT_EQ(test::read_file(dir / "touched/duplicates.jsonl"),
            test::read_file(dir / "before/duplicates.jsonl"));
  // A real change of the same size is one.
  std::string old_docs = test::read_file(dir / "old.jsonl");
  old_docs[old_docs.find("committee")] = 'C';
  test::write_file(dir / "old.jsonl", old_docs);
  const auto changed = run_dupscan(run + q(dir / "changed"));
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_NE(changed.err.find("old.jsonl' changed since it was indexed (its checksum differs)"),
            std::string::npos)
      << changed.err;
  EXPECT_FALSE(test::file_exists(dir / "changed"));
}

void index_build_over_index() {
  test::TempDir dir;
  test::write_file(dir / "empty.jsonl", "");
  write_old_and_new(dir, "text");
  const std::string idx = q(dir / "idx");
  ASSERT_EQ(run_dupscan("index build " + q(dir / "empty.jsonl") + " --index " + idx).exit_code, 0);
  const std::string build = "index build " + q(dir / "old.jsonl") + " --index " + idx;
  const auto again = run_dupscan(build);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("holds an empty index (0 documents): start over with dupscan index "
                           "build --force (replaces it), or remove the directory"),
            std::string::npos)
      << again.err;
  const auto force = run_dupscan(build + " --force");
  ASSERT_EQ(force.exit_code, 0) << force.err;
  EXPECT_NE(force.err.find("holds 12 documents in 1 segment"), std::string::npos) << force.err;
  const auto full = run_dupscan(build);
  EXPECT_EQ(full.exit_code, 2);
  EXPECT_NE(full.err.find("already holds an index of 12 documents from 1 files: add to it with "
                          "dupscan index add, start over with dupscan index build --force"),
            std::string::npos)
      << full.err;
}

void killed_run_temporaries() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText) + "\n");
  const std::string out = dir / "out";
  ASSERT_EQ(run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(out)).exit_code, 0);
  // A run reading a silent pipe, with a signatures file and a stdin spool open, killed hard.
  const std::string fifo = dir / "fifo";
  const auto killed = test::run_shell(
      "mkfifo " + q(fifo) + "; DUPSCAN dedup - -o " + q(out) + " --write-signatures " +
      q(out + "/sigs.jsonl") + " <" + q(fifo) + " & p=$!; exec 3>" + q(fifo) + "; echo '" +
      rec("c", kText) + "' >&3; sleep 0.5; kill -KILL $p; wait $p; exec 3>&-; exit 0");
  ASSERT_EQ(killed.exit_code, 0) << killed.err;
  std::size_t left = 0;
  for (const std::string& n : test::list_dir(out))
    left += n.find(".dupscan-tmp.") != std::string::npos;
  ASSERT_GE(left, 2u) << "the killed run left no temporary files to clean up";
  // Not stale: a live process's temporary (this test's pid), and a file of another naming.
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string h = host;
  for (char& c : h)
    if (c == '.' || c == '/') c = '_';
  const std::string live = ".x.jsonl.dupscan-tmp." + h + "." + std::to_string(::getpid()) + ".0";
  test::write_file(out + "/" + live, "live");
  test::write_file(out + "/.notes.tmp-1-1", "mine");
  ASSERT_EQ(run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(out)).exit_code, 0);
  std::vector<std::string> want = {live, ".notes.tmp-1-1", "clusters.jsonl", "duplicates.jsonl",
                                   "report.json"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(test::list_dir(out), want);
}

// The copies' format is their name's (parquet_copy.hpp): JSON Lines records into a .parquet
// copy, that Parquet file back into JSON Lines (plain and compressed), and what cannot be done
// refused before any work.
void copy_format_by_name() {
  test::TempDir dir;
  const std::string extra =
      "{\"id\":\"n\",\"text\":\"a record with more fields than the others have\",\"score\":1.5}";
  test::write_file(dir / "in.jsonl",
                   rec("a", kText) + "\n" + rec("b", kText) + "\n" + filler(3) + extra + "\n");
  const auto to_parquet = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out") +
                                      " --write-deduped " + q(dir / "kept.parquet"));
#ifndef DUPSCAN_HAVE_PARQUET
  // A build without Parquet (the sanitizer's) refuses the name before any work, saying why.
  EXPECT_EQ(to_parquet.exit_code, 2) << to_parquet.err;
  EXPECT_NE(to_parquet.err.find("built without Parquet support"), std::string::npos)
      << to_parquet.err;
  EXPECT_FALSE(test::file_exists(dir / "out"));
  return;
#endif
  ASSERT_EQ(to_parquet.exit_code, 0) << to_parquet.err;
  ASSERT_EQ(test::read_file(dir / "kept.parquet").substr(0, 4), "PAR1");
  // Back to JSON Lines: one object per kept row, the columns in the order the records first had
  // them, a field a record lacked null; .gz and .zst by the name.
  std::string want;
  for (const std::string& line : test::lines_of(rec("a", kText) + "\n" + filler(3))) {
    want += line.substr(0, line.size() - 1) + ",\"score\":null}\n";
  }
  want += extra + "\n";
  for (const char* name : {"back.jsonl", "back.jsonl.gz", "back.jsonl.zst"}) {
    SCOPED_TRACE(name);
    const auto back = run_dupscan("dedup " + q(dir / "kept.parquet") + " --id-field id -o " +
                                  q(dir / "out2") + " --write-deduped " + q(dir / name));
    ASSERT_EQ(back.exit_code, 0) << back.err;
    const auto plain = test::run_shell(
        std::string(name).find(".gz") != std::string::npos    ? "gzip -dc " + q(dir / name)
        : std::string(name).find(".zst") != std::string::npos ? "zstd -dcq " + q(dir / name)
                                                              : "cat " + q(dir / name));
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(plain.out, want);
  }
  // Plain text lines have no fields to make columns of: refused before any work.
  test::write_file(dir / "lines.txt", kText + "\n" + kText + "\n");
  const auto text = run_dupscan("dedup " + q(dir / "lines.txt") + " --format text -o " +
                                q(dir / "out3") + " --write-deduped " + q(dir / "t.parquet"));
  EXPECT_EQ(text.exit_code, 2) << text.err;
  EXPECT_NE(text.err.find("plain text lines, which have no fields"), std::string::npos) << text.err;
  EXPECT_FALSE(test::file_exists(dir / "out3"));
  EXPECT_FALSE(test::file_exists(dir / "t.parquet"));
}

std::vector<std::string> visible(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names)
    if (n[0] != '.') out.push_back(n);
  return out;
}

// An output directory holds the outputs of one run, as its report.json lists them: a new run
// removes those of the earlier one it does not write again (report.html, contam's files after a
// dedup), and refuses a directory with files no dupscan run wrote unless --force.
void output_dir_reuse() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText) + "\n" + filler(3));
  test::write_file(dir / "eval.jsonl", rec("e", kText) + "\n");
  const std::string out = dir / "out", in = q(dir / "in.jsonl");
  const std::vector<std::string> dedup_files = {"clusters.jsonl", "duplicates.jsonl",
                                                "report.json"};
  const auto html = run_dupscan("dedup " + in + " -o " + q(out) + " --html -q");
  ASSERT_EQ(html.exit_code, 0) << html.err;
  ASSERT_TRUE(test::file_exists(out + "/report.html"));
  {
    simdjson::dom::parser p;
    std::string buf;
    std::vector<std::string> listed;
    for (simdjson::dom::element f : report(p, out, buf)["output_dir_files"].get_array())
      listed.emplace_back(std::string_view(f.get_string()));
    EXPECT_EQ(listed, (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.html",
                                                "report.json"}));
  }
  // Other options, no --html: the page of the first run's findings goes.
  const auto second = run_dupscan("dedup " + in + " -o " + q(out) + " --threshold 0.9 -q");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(visible(test::list_dir(out)), dedup_files);
  // contam, then dedup, into one directory: each leaves only its own.
  const auto contam =
      run_dupscan("contam --train " + in + " --eval " + q("e=" + (dir / "eval.jsonl")) + " -o " +
                  q(out) + " --write-decontaminated " + q(out + "/decon.jsonl") + " -q");
  ASSERT_EQ(contam.exit_code, 0) << contam.err;
  EXPECT_EQ(visible(test::list_dir(out)),
            (std::vector<std::string>{"clean", "contamination.jsonl", "decon.jsonl",
                                      "removed.jsonl", "report.json"}));
  // The decontaminated copy is the next run's input: kept, and still dupscan's after it.
  const auto of_copy = run_dupscan("dedup " + q(out + "/decon.jsonl") + " -o " + q(out) + " -q");
  ASSERT_EQ(of_copy.exit_code, 0) << of_copy.err;
  EXPECT_EQ(visible(test::list_dir(out)),
            (std::vector<std::string>{"clusters.jsonl", "decon.jsonl", "duplicates.jsonl",
                                      "report.json"}));
  ASSERT_EQ(run_dupscan("dedup " + in + " -o " + q(out) + " -q").exit_code, 0);
  EXPECT_EQ(visible(test::list_dir(out)), dedup_files);
  // A file no dupscan run wrote: refused before any work (the outputs untouched), by both
  // commands; --force writes beside it and leaves it alone. Hidden files do not count.
  test::write_file(out + "/notes.txt", "mine");
  test::write_file(out + "/.hidden", "mine too");
  const std::string before = test::read_file(out + "/report.json");
  const auto refused = run_dupscan("dedup " + in + " -o " + q(out) + " --threshold 0.7");
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("the output directory '" + out +
                             "' holds files no dupscan run wrote: 'notes.txt'"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("give --force to write there anyway"), std::string::npos);
  const auto refused_c = run_dupscan("contam --train " + in + " --eval " +
                                     q("e=" + (dir / "eval.jsonl")) + " -o " + q(out));
  EXPECT_EQ(refused_c.exit_code, 2) << refused_c.err;
  EXPECT_EQ(test::read_file(out + "/report.json"), before);
  const auto forced = run_dupscan("dedup " + in + " -o " + q(out) + " --threshold 0.7 --force -q");
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_EQ(test::read_file(out + "/notes.txt"), "mine");
  EXPECT_NE(test::read_file(out + "/report.json"), before);
  // An empty directory, or one holding only hidden files, is taken as it is.
  ASSERT_EQ(::mkdir((dir / "fresh").c_str(), 0755), 0);
  test::write_file(dir / "fresh/.keep", "");
  EXPECT_EQ(run_dupscan("dedup " + in + " -o " + q(dir / "fresh") + " -q").exit_code, 0);
}

// ---- one writer per directory (issue 24) -----------------------------------------------------

// Holds the lock a dupscan run takes on `dir` (dir_lock.hpp: an flock on DIR/.dupscan.lock), as
// another run would, saying who it is in the file as a run does.
class HeldLock {
 public:
  HeldLock(const std::string& dir, const std::string& who) {
    ::mkdir(dir.c_str(), 0755);
    fd_ = ::open((dir + "/.dupscan.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(::flock(fd_, LOCK_EX | LOCK_NB), 0);
    EXPECT_EQ(::ftruncate(fd_, 0), 0);
    EXPECT_EQ(::pwrite(fd_, who.data(), who.size(), 0), static_cast<ssize_t>(who.size()));
  }
  ~HeldLock() { release(); }
  // Leaves the file, as a run killed with SIGKILL does: the next run takes it as usual.
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

const std::string kHolder = "pid 4242 on host elsewhere, started 2024-05-01T10:00:00Z";

// ids "<prefix>N", texts distinct per prefix; the same texts under ids "probe-<prefix>N".
std::string records(int n, const std::string& prefix, bool probe = false) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    out += rec((probe ? "probe-" : "") + prefix + std::to_string(i),
               "record " + std::to_string(i) + " of the " + prefix +
                   " batch, which says nothing much at all") +
           "\n";
  }
  return out;
}

void index_concurrent_writers() {
  test::TempDir dir;
  const std::string idx = dir / "idx";
  test::write_file(dir / "old.jsonl", records(50, "old"));
  test::write_file(dir / "a.jsonl", records(3000, "a"));
  test::write_file(dir / "b.jsonl", records(3000, "b"));
  test::write_file(dir / "c.jsonl", records(50, "c"));
  ASSERT_EQ(run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(idx)).exit_code, 0);
  const std::string manifest = test::read_file(idx + "/index.json");
  {
    // Held by another run: add and build --force fail at once, naming it, and change nothing.
    HeldLock held(idx, kHolder + "\n");
    const auto t0 = std::chrono::steady_clock::now();
    const auto add = run_dupscan("index add " + q(dir / "c.jsonl") + " --index " + q(idx));
    EXPECT_EQ(add.exit_code, 1) << add.err;
    EXPECT_NE(add.err.find("the index '" + idx + "' is in use by another dupscan run (" + kHolder),
              std::string::npos)
        << add.err;
    EXPECT_NE(add.err.find("--wait"), std::string::npos) << add.err;
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "it waited";
    const auto force =
        run_dupscan("index build " + q(dir / "c.jsonl") + " --index " + q(idx) + " --force");
    EXPECT_EQ(force.exit_code, 1) << force.err;
    EXPECT_NE(force.err.find(kHolder), std::string::npos) << force.err;
    EXPECT_EQ(test::read_file(idx + "/index.json"), manifest);
    EXPECT_FALSE(test::file_exists(idx + "/segment-000001.bin"));
    // A build into a new directory held by another run leaves it as it was.
    HeldLock other(dir / "idx2", kHolder);
    const auto build =
        run_dupscan("index build " + q(dir / "c.jsonl") + " --index " + q(dir / "idx2"));
    EXPECT_EQ(build.exit_code, 1) << build.err;
    EXPECT_EQ(test::list_dir(dir / "idx2"), std::vector<std::string>{".dupscan.lock"});

    // With --wait it waits for the holder, then adds.
    std::atomic<bool> done{false};
    test::RunResult waited;
    std::thread t([&] {
      waited = run_dupscan("index add " + q(dir / "c.jsonl") + " --index " + q(idx) + " --wait");
      done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_FALSE(done) << "index add --wait did not wait: " << waited.err;
    held.release();
    t.join();
    EXPECT_EQ(waited.exit_code, 0) << waited.err;
    EXPECT_NE(waited.err.find("waiting for the index"), std::string::npos) << waited.err;
  }
  // Two adds at once, with --wait: both land, one after the other.
  const auto both = test::run_shell(
      "DUPSCAN index add " + q(dir / "a.jsonl") + " --index " + q(idx) + " --wait -q & a=$!; " +
      "DUPSCAN index add " + q(dir / "b.jsonl") + " --index " + q(idx) + " --wait -q & b=$!; " +
      "wait $a || exit 10; wait $b || exit 11");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  EXPECT_NE(test::read_file(idx + "/index.json").find("segment-000003.bin"), std::string::npos);
  // Every document of both is found: each probe is an exact copy of one indexed document.
  test::write_file(dir / "probe.jsonl", records(3000, "a", true) + records(3000, "b", true) +
                                            records(50, "c", true) + records(50, "old", true));
  const auto r = run_dupscan("dedup " + q(dir / "probe.jsonl") + " --against " + q(idx) + " -o " +
                             q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::lines_of(test::read_file(dir / "out/duplicates.jsonl")).size(), 6100u);
  // Nothing left beside the index: the lock file goes with the lock.
  for (const std::string& n : test::list_dir(idx))
    EXPECT_TRUE(n == "index.json" || n.rfind("segment-", 0) == 0) << n;
}

void index_manifest_damaged() {
  test::TempDir dir;
  test::write_file(dir / "old.jsonl", rec("a", kText) + "\n" + filler(20));
  test::write_file(dir / "new.jsonl", rec("b", kText) + "\n");
  ASSERT_EQ(
      run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx")).exit_code,
      0);
  const std::string manifest = test::read_file(dir / "idx/index.json");
  const std::string run = "dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx");
  int n = 0;
  // One byte each: a parameter's digit or letter, an input's size, a segment's count, the
  // checksum itself, the checksum's name.
  for (const char* field :
       {"\"seed\": ", "\"num_perm\": ", "\"rows\": ", "\"shingle\": \"", "\"id_field\": \"",
        "\"scheme\": \"", "\"size\": ", "\"documents\": ", "\"checksum\": \"", "\"checksum"}) {
    std::string m = manifest;
    const auto at = m.find(field);
    ASSERT_NE(at, std::string::npos) << field;
    // The value's first byte; for the bare name "\"checksum", the name's.
    const std::string f = field;
    char& c = m[f.back() == 'm' ? at + 1 : at + f.size()];
    c = std::isdigit(static_cast<unsigned char>(c)) ? (c == '0' ? '1' : '0') : c == 'x' ? 'y' : 'x';
    test::write_file(dir / "idx/index.json", m);
    const std::string out = dir / ("out" + std::to_string(n++));
    const auto r = run_dupscan(run + " -o " + q(out));
    EXPECT_EQ(r.exit_code, 1) << field << ": " << r.err;
    EXPECT_NE(r.err.find("idx/index.json' fails its checksum: the index is corrupt"),
              std::string::npos)
        << field << ": " << r.err;
    EXPECT_FALSE(test::file_exists(out)) << field;
  }
  // A manifest written before manifests had a checksum is read as it was.
  const std::string old = test::without_manifest_checksum(manifest);
  ASSERT_NE(old, manifest);
  test::write_file(dir / "idx/index.json", old);
  const auto r = run_dupscan(run + " -o " + q(dir / "old-out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(test::read_file(dir / "old-out/duplicates.jsonl").find("\"duplicate_of\":\"a\""),
            std::string::npos);
}

void output_dir_in_use() {
  test::TempDir dir;
  test::write_file(dir / "in.jsonl", rec("a", kText) + "\n" + rec("b", kText) + "\n");
  test::write_file(dir / "eval.jsonl", rec("e", kText) + "\n");
  const std::string out = dir / "out";
  HeldLock held(out, kHolder + "\n");
  const auto t0 = std::chrono::steady_clock::now();
  const auto d = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(out));
  EXPECT_EQ(d.exit_code, 1) << d.err;
  EXPECT_NE(
      d.err.find("the output directory '" + out + "' is in use by another dupscan run (" + kHolder),
      std::string::npos)
      << d.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20)) << "it waited";
  const auto c = run_dupscan("contam --train " + q(dir / "in.jsonl") + " --eval " +
                             q("e=" + (dir / "eval.jsonl")) + " -o " + q(out));
  EXPECT_EQ(c.exit_code, 1) << c.err;
  EXPECT_NE(c.err.find(kHolder), std::string::npos) << c.err;
  EXPECT_EQ(test::list_dir(out), std::vector<std::string>{".dupscan.lock"});
  // Released (the file stays, as after a run killed with SIGKILL): the next run goes ahead and
  // leaves only its outputs.
  held.release();
  const auto ok = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(out));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(test::list_dir(out),
            (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}));
}

// A named pipe, or a process substitution (<(zcat ...), a /dev/fd/N pipe), is read once like
// stdin: spooled for verification and the deduplicated copy. It once hung (a second open after
// the writer had gone) or failed as "changed while dupscan was running".
void fifo_input() {
  test::TempDir dir;
  const std::string data = rec("a", kText) + "\n" + rec("b", kText) + "\n" + filler(3);
  test::write_file(dir / "data.jsonl", data);
  const std::string want_kept = rec("a", kText) + "\n" + filler(3);
  const std::string fifo = dir / "in.fifo";
  // The writer writes every record and closes; `timeout` turns a hang into a failure.
  const auto r = test::run_shell("mkfifo " + q(fifo) + " || exit 99; cat " + q(dir / "data.jsonl") +
                                 " >" + q(fifo) + " & w=$!; timeout -k 5 20 DUPSCAN dedup " +
                                 q(fifo) + " -o " + q(dir / "out") + " --write-deduped " +
                                 q(dir / "kept.jsonl") + "; rc=$?; kill $w 2>/dev/null; exit $rc");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dir / "kept.jsonl"), want_kept);
  EXPECT_NE(
      test::read_file(dir / "out/duplicates.jsonl").find("\"id\":\"b\",\"duplicate_of\":\"a\""),
      std::string::npos);
  EXPECT_EQ(test::list_dir(dir / "out"),
            (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}))
      << "the spool was left behind";
  // Process substitution (bash): a pipe named /dev/fd/N.
  const auto p = test::run_shell("bash -c " + q("timeout -k 5 20 DUPSCAN dedup <(cat " +
                                                q(dir / "data.jsonl") + ") -o " + q(dir / "out2") +
                                                " --write-deduped " + q(dir / "kept2.jsonl")));
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_EQ(test::read_file(dir / "kept2.jsonl"), want_kept);
  // No writer ever comes: SIGTERM still stops it at once (it used to wait in open()).
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = test::run_shell("DUPSCAN dedup " + q(fifo) + " -o " + q(dir / "out3") + " 2>" +
                                 q(dir / "err") + " & p=$!; (sleep 5; kill -KILL $p) & w=$!; " +
                                 "sleep 0.5; kill -TERM $p; wait $p; rc=$?; kill $w; exit $rc");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(s.exit_code, 130) << test::read_file(dir / "err");
  // An index reads its files again later: a pipe is refused before any work.
  const auto i = run_dupscan("index build " + q(fifo) + " --index " + q(dir / "idx"));
  EXPECT_EQ(i.exit_code, 2);
  EXPECT_NE(i.err.find("cannot be read twice"), std::string::npos) << i.err;
}

// A record over --max-record-size (1 GiB by default) is a skipped bad record; the reader goes
// on to the next newline without holding it, so a line that never ends cannot fill the memory.
void record_too_large() {
  test::TempDir dir;
  const std::string big = rec("big", std::string(2000, 'x'));
  test::write_file(dir / "in.jsonl",
                   rec("a", kText) + "\n" + big + "\n" + rec("b", kText) + "\n" + filler(7));
  const std::string args = "dedup " + q(dir / "in.jsonl") + " --max-record-size 1K -o ";
  const auto r = run_dupscan(args + q(dir / "out") + " --write-deduped " + q(dir / "kept.jsonl"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("in.jsonl:2: record too large (" + std::to_string(big.size()) +
                       " bytes, over --max-record-size)"),
            std::string::npos)
      << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped_by_reason"]["record_too_large"]), 1u) << buf;
  EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 9u);
  // A skipped record is no duplicate of anything known: the copy keeps it (only b goes).
  EXPECT_EQ(test::read_file(dir / "kept.jsonl"), rec("a", kText) + "\n" + big + "\n" + filler(7));
  const auto s = run_dupscan(args + q(dir / "strict") + " --strict");
  EXPECT_EQ(s.exit_code, 1);
  EXPECT_NE(s.err.find("in.jsonl:2: record too large"), std::string::npos) << s.err;
  EXPECT_EQ(run_dupscan(args + q(dir / "bad") + " --max-record-size 0").exit_code, 2);
  // 50 MB of zeros without a newline, twice (one ended by '\n', one by the end of the stream),
  // through stdin, which is spooled: skipped promptly, in bounded memory (read and verified
  // without holding them), and the records after the first are found where they are; copied
  // through by --write-deduped (which holds one such record at a time while copying it).
  test::write_file(dir / "good1.jsonl", filler(9, "g"));
  test::write_file(dir / "good2.jsonl", filler(9, "h"));
  const std::string zeros_in = "(cat " + q(dir / "good1.jsonl") +
                               "; head -c 50M /dev/zero; echo; cat " + q(dir / "good2.jsonl") +
                               "; head -c 50M /dev/zero) | ";
  const auto z = test::run_shell(zeros_in + "/usr/bin/time -f 'maxrss_kb=%M' " +
                                 "timeout -k 5 20 DUPSCAN dedup - --max-record-size 1M "
                                 "--threads 2 -o " +
                                 q(dir / "zero-read"));
  ASSERT_EQ(z.exit_code, 0) << z.err;
  const auto zc = test::run_shell(zeros_in +
                                  "timeout -k 5 20 DUPSCAN dedup - --max-record-size "
                                  "1M --threads 2 -o " +
                                  q(dir / "zero") + " --write-deduped " + q(dir / "zero.jsonl"));
  ASSERT_EQ(zc.exit_code, 0) << zc.err;
  EXPECT_NE(z.err.find("<stdin>:10: record too large (52428800 bytes"), std::string::npos) << z.err;
  EXPECT_NE(z.err.find("<stdin>:20: record too large (52428800 bytes"), std::string::npos) << z.err;
  // Copied through as they came (the spool keeps their bytes, written in pieces, never held).
  const std::string zeros(50 << 20, '\0');
  EXPECT_TRUE(test::read_file(dir / "zero.jsonl") ==
              filler(9, "g") + zeros + "\n" + filler(9, "h") + zeros + "\n");
  const auto at = z.err.find("maxrss_kb=");
  ASSERT_NE(at, std::string::npos) << z.err;
  EXPECT_LT(std::stoull(z.err.substr(at + 10)), 100000u) << "the 50 MB lines were held";
}

// Ids are kept as their JSON text, whatever the number: simdjson cannot hold a 30-digit integer
// or 1e400 (the record was "malformed JSON"), and rewrote 1E2 as 100.0. A repeated id is warned
// about once and counted.
void ids_as_written() {
  test::TempDir dir;
  const char* ids[] = {"123456789012345678901234567890",
                       "1e400",
                       "-9223372036854775809",
                       "1E2",
                       "1.50",
                       "-0",
                       "[1.0,\"x\"]",
                       "7",
                       "\"caf\\u00e9\""};
  std::string in = rec("keep", kText) + "\n";
  for (const char* id : ids)
    in += std::string("{\"id\":") + id + ",\"text\":\"" + kText + "\"}\n";
  in += rec("twice", "one text about ships") + "\n" + rec("twice", "another about trains") + "\n";
  in += rec("twice", "and a third about planes") + "\n";
  test::write_file(dir / "in.jsonl", in);
  const auto r = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string dups = test::read_file(dir / "out/duplicates.jsonl");
  for (const char* id : ids) {
    const std::string want = std::string(id) == "\"caf\\u00e9\"" ? "\"caf\xc3\xa9\"" : id;
    EXPECT_NE(dups.find("{\"id\":" + want + ",\"duplicate_of\":\"keep\""), std::string::npos)
        << id << "\n"
        << dups;
  }
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["counts"]["skipped"]), 0u) << r.err;
  EXPECT_EQ(std::uint64_t(rep["counts"]["duplicate_ids"]), 2u) << buf;
  const std::string warn = "have the id of an earlier one (first \"twice\" at ";
  const auto w = r.err.find(warn);
  ASSERT_NE(w, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(warn, w + 1), std::string::npos) << "warned more than once: " << r.err;
  EXPECT_NE(r.err.find("in.jsonl:11 and " + (dir / "in.jsonl") + ":12"), std::string::npos)
      << r.err;
  // The page reads those ids back, and finds their records.
  const auto h = run_dupscan("dedup " + q(dir / "in.jsonl") + " -o " + q(dir / "html") + " --html");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  const std::string page = test::read_file(dir / "html/report.html");
  EXPECT_NE(page.find("123456789012345678901234567890"), std::string::npos);
  EXPECT_NE(page.find("1e400"), std::string::npos);
}

// lm-eval's rule: an n-gram matched in more than 10 training documents is boilerplate, not cut.
// A benchmark copied into more documents than that is not cut either: said, counted, and
// --boilerplate-docs 0 cuts it.
void contam_boilerplate() {
  test::TempDir dir;
  const std::string example =
      "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in "
      "May. How many clips did Natalia sell altogether in April and May?";
  std::string train = filler(5, "t");
  for (int i = 0; i < 12; ++i) {
    std::string copy = rec("copy" + std::to_string(i), std::string(600, 'a' + i % 26) + " " +
                                                           example + " " + std::string(600, 'z'));
    // A number simdjson cannot hold: the cut pieces keep it as written.
    if (i == 0) copy.insert(copy.size() - 1, ",\"big\":1e400");
    train += copy + "\n";
  }
  train += filler(5, "u");
  test::write_file(dir / "train.jsonl", train);
  test::write_file(dir / "eval.jsonl", rec("e1", example) + "\n" + rec("e2", kText) + "\n");
  const std::string args = "contam --train " + q(dir / "train.jsonl") + " --eval " +
                           q("gsm=" + (dir / "eval.jsonl")) + " --write-decontaminated ";
  const auto r =
      run_dupscan(args + q(dir / "decon.jsonl") + " -o " + q(dir / "out") + " --no-near");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(test::read_file(dir / "decon.jsonl"), train);
  EXPECT_NE(r.err.find("warning: gsm: 1 of 1 dirty example matched n-grams found in more than 10 "
                       "training documents"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--boilerplate-docs 0"), std::string::npos) << r.err;
  simdjson::dom::parser p;
  std::string buf;
  auto rep = report(p, dir / "out", buf);
  EXPECT_EQ(std::uint64_t(rep["benchmarks"].at(0)["dirty"]), 1u) << buf;
  EXPECT_EQ(std::uint64_t(rep["benchmarks"].at(0)["boilerplate_dirty"]), 1u) << buf;
  const auto o = run_dupscan(args + q(dir / "decon0.jsonl") + " -o " + q(dir / "out0") +
                             " --no-near --boilerplate-docs 0 --max-cuts 100");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.err.find("boilerplate and are not cut"), std::string::npos) << o.err;
  simdjson::dom::parser p0;
  std::string buf0;
  auto rep0 = report(p0, dir / "out0", buf0);
  EXPECT_EQ(std::uint64_t(rep0["decontaminated"]["documents_cut"]) +
                std::uint64_t(rep0["decontaminated"]["documents_dropped"]),
            12u)
      << buf0;
  EXPECT_EQ(std::uint64_t(rep0["benchmarks"].at(0)["boilerplate_dirty"]), 0u) << buf0;
  const std::string cut = test::read_file(dir / "decon0.jsonl");
  EXPECT_EQ(cut.find(example), std::string::npos);
  EXPECT_NE(cut.find("\"big\":1e400,\"decontam_piece\":0"), std::string::npos) << cut;
}

// ---- committing outputs (issue 24) ----------------------------------------------------------

// A command line with "{D}" standing for the test's directory.
std::string in_dir(std::string args, const std::string& dir) {
  for (auto at = args.find("{D}"); at != std::string::npos; at = args.find("{D}", at))
    args.replace(at, 3, dir);
  return args;
}

test::RunResult run_with_fault(const std::string& args, const std::string& fault) {
  ::setenv("DUPSCAN_TEST_FAULT", fault.c_str(), 1);
  const auto r = run_dupscan(args);
  ::unsetenv("DUPSCAN_TEST_FAULT");
  return r;
}

// What `files` (relative to `dir`) hold: their bytes ("<absent>" when missing); a report.json by
// the inputs it names (its timings differ from run to run), one of `inputs`.
std::string state_of(const std::string& dir, const std::vector<std::string>& files,
                     const std::vector<std::string>& inputs) {
  std::string out;
  for (const std::string& f : files) {
    const std::string path = dir + "/" + f;
    std::string bytes = test::file_exists(path) ? test::read_file(path) : "<absent>";
    if (f.size() >= 11 && f.compare(f.size() - 11, 11, "report.json") == 0 && bytes != "<absent>") {
      std::string names;
      for (const std::string& in : inputs)
        names += bytes.find(in) != std::string::npos ? in + " " : "";
      bytes = "report of " + names;
    }
    out += f + ":\n" + bytes + "\n";
  }
  return out;
}

// The commit of one command: run `first`, then `second` killed (SIGKILL) at each of `points` in
// its commit, then `recover` (a run into the same output directory that fails once it holds it,
// finishing the commit of a killed run first). `files` must then be all as `first` left them, or
// all as `second` leaves them on its own -- the latter once the journal was written.
struct CommitCase {
  std::function<void(const std::string&)> setup;  // writes the inputs into the directory
  std::string first, second, recover;
  std::vector<std::string> files, inputs;
  int renames;      // the commit's renames: points commit-after-rename-1..renames
  int removes = 0;  // the earlier outputs it removes: points commit-after-remove-1..removes
};

void expect_all_old_or_all_new(const CommitCase& c) {
  std::string old_state, new_state;
  {
    test::TempDir ref;
    c.setup(ref.path());
    const auto a = run_dupscan(in_dir(c.first, ref.path()));
    ASSERT_EQ(a.exit_code, 0) << a.err;
    old_state = state_of(ref.path(), c.files, c.inputs);
    const auto b = run_dupscan(in_dir(c.second, ref.path()));
    ASSERT_EQ(b.exit_code, 0) << b.err;
    new_state = state_of(ref.path(), c.files, c.inputs);
    ASSERT_NE(old_state, new_state);
  }
  std::vector<std::string> points = {"commit-before-journal", "commit-after-journal"};
  for (int k = 1; k <= c.renames; ++k)
    points.push_back("commit-after-rename-" + std::to_string(k));
  for (int k = 1; k <= c.removes; ++k)
    points.push_back("commit-after-remove-" + std::to_string(k));
  for (const std::string& point : points) {
    SCOPED_TRACE(point + ": " + c.second);
    test::TempDir dir;
    c.setup(dir.path());
    ASSERT_EQ(run_dupscan(in_dir(c.first, dir.path())).exit_code, 0);
    const auto killed = run_with_fault(in_dir(c.second, dir.path()), point);
    ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.err;  // killed at that point
    const auto next = run_dupscan(in_dir(c.recover, dir.path()));
    EXPECT_EQ(next.exit_code, 1) << next.err;
    const std::string state = state_of(dir.path(), c.files, c.inputs);
    EXPECT_EQ(state, point == "commit-before-journal" ? old_state : new_state);
    for (const std::string& name : test::list_dir(dir / "out"))
      EXPECT_EQ(name.find(".dupscan"), std::string::npos) << name;  // no journal, temporary
  }
}

void write_commit_inputs(const std::string& d) {
  test::write_file(d + "/run-a.jsonl",
                   rec("a0", kText) + "\n" + rec("a1", kText) + "\n" + filler(3, "a"));
  test::write_file(d + "/run-b.jsonl", rec("b0", kText) + "\n" + rec("b1", kText + " again") +
                                           "\n" + rec("b2", kText) + "\n" + filler(4, "b"));
  test::write_file(d + "/bad.jsonl", rec("x", kText) + "\n{broken\n");
  test::write_file(d + "/eval.jsonl", rec("e", kText) + "\n");
}

void commit_crash() {
  const std::string dedup_recover = "dedup {D}/bad.jsonl --strict -o {D}/out";
  // dedup --write-deduped: duplicates, clusters, report, the copy.
  expect_all_old_or_all_new(
      {write_commit_inputs,
       "dedup {D}/run-a.jsonl -o {D}/out --write-deduped {D}/kept.jsonl",
       "dedup {D}/run-b.jsonl -o {D}/out --write-deduped {D}/kept.jsonl",
       dedup_recover,
       {"out/duplicates.jsonl", "out/clusters.jsonl", "out/report.json", "kept.jsonl"},
       {"run-a.jsonl", "run-b.jsonl"},
       4});
  // --in-place: the input is replaced only with the record of what it lost.
  expect_all_old_or_all_new(
      {write_commit_inputs,
       "dedup {D}/run-a.jsonl -o {D}/out",
       "dedup {D}/run-b.jsonl -o {D}/out --write-deduped {D}/run-b.jsonl --in-place",
       dedup_recover,
       {"out/duplicates.jsonl", "out/clusters.jsonl", "out/report.json", "run-b.jsonl"},
       {"run-a.jsonl", "run-b.jsonl"},
       4});
  // contam --write-decontaminated: contamination, clean/b, removed, report, the copy.
  expect_all_old_or_all_new(
      {write_commit_inputs,
       "contam --train {D}/run-a.jsonl --eval b={D}/eval.jsonl -o {D}/out "
       "--write-decontaminated {D}/decon.jsonl",
       "contam --train {D}/run-b.jsonl --eval b={D}/eval.jsonl -o {D}/out "
       "--write-decontaminated {D}/decon.jsonl",
       "contam --train {D}/bad.jsonl --eval b={D}/eval.jsonl --strict -o {D}/out",
       {"out/contamination.jsonl", "out/clean/b.jsonl", "out/removed.jsonl", "out/report.json",
        "decon.jsonl"},
       {"run-a.jsonl", "run-b.jsonl"},
       5});
  // contam, then dedup, into one directory: the renames, then contam's outputs removed
  // (contamination.jsonl, clean/b.jsonl, clean/) in the same step.
  expect_all_old_or_all_new({write_commit_inputs,
                             "contam --train {D}/run-a.jsonl --eval b={D}/eval.jsonl -o {D}/out",
                             "dedup {D}/run-b.jsonl -o {D}/out",
                             dedup_recover,
                             {"out/duplicates.jsonl", "out/clusters.jsonl", "out/report.json",
                              "out/contamination.jsonl", "out/clean/b.jsonl"},
                             {"run-a.jsonl", "run-b.jsonl"},
                             3,
                             3});
}

// The index at {D}/idx as `dedup --against` sees it: the duplicates of a probe file.
std::string index_seen(const std::string& d, const std::string& out) {
  const auto r = run_dupscan("dedup " + q(d + "/probe.jsonl") + " --against " + q(d + "/idx") +
                             " -o " + q(d + "/" + out));
  if (r.exit_code != 0) return "dedup --against failed: " + r.err;
  return test::read_file(d + "/" + out + "/duplicates.jsonl");
}

// `index build --force` and `index add` killed at each step: the index is the old one or the new
// one, whole, at once (no next run needed).
void index_commit_crash() {
  auto setup = [](const std::string& d) {
    test::write_file(d + "/old.jsonl", rec("o1", kText) + "\n" + filler(3, "o"));
    test::write_file(d + "/new.jsonl", rec("n1", kText + " again") + "\n" + filler(3, "n"));
    test::write_file(d + "/probe.jsonl",
                     rec("p1", kText) + "\n" + rec("p2", kText + " again") + "\n");
  };
  const std::vector<std::pair<std::string, bool>> points = {{"index-append-before-manifest", false},
                                                            {"index-before-manifest", false},
                                                            {"index-after-manifest", true},
                                                            {"index-before-cleanup", true}};
  for (const char* how : {"index build --force", "index add"}) {
    std::string old_seen, new_seen;
    {
      test::TempDir ref;
      setup(ref.path());
      ASSERT_EQ(run_dupscan("index build " + q(ref / "old.jsonl") + " --index " + q(ref / "idx"))
                    .exit_code,
                0);
      old_seen = index_seen(ref.path(), "o1");
      const auto b =
          run_dupscan(std::string(how) + " " + q(ref / "new.jsonl") + " --index " + q(ref / "idx"));
      ASSERT_EQ(b.exit_code, 0) << b.err;
      new_seen = index_seen(ref.path(), "o2");
      ASSERT_NE(old_seen, new_seen);
    }
    for (const auto& [point, is_new] : points) {
      SCOPED_TRACE(std::string(how) + " killed at " + point);
      test::TempDir dir;
      setup(dir.path());
      ASSERT_EQ(run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx"))
                    .exit_code,
                0);
      const std::string manifest = test::read_file(dir / "idx/index.json");
      const auto killed = run_with_fault(
          std::string(how) + " " + q(dir / "new.jsonl") + " --index " + q(dir / "idx"), point);
      EXPECT_TRUE(killed.exit_code == 128 + SIGKILL || killed.exit_code == 3) << killed.err;
      if (!is_new) EXPECT_EQ(test::read_file(dir / "idx/index.json"), manifest);
      EXPECT_EQ(index_seen(dir.path(), "seen"), is_new ? new_seen : old_seen);
      // The next writer leaves the index's own segments only.
      const auto again =
          run_dupscan("index build --force " + q(dir / "old.jsonl") + " --index " + q(dir / "idx"));
      ASSERT_EQ(again.exit_code, 0) << again.err;
      EXPECT_EQ(test::list_dir(dir / "idx").size(), 2u);
    }
  }
}

// A signal during the commit: before the commit point the run rolls back, after it the run
// finishes the commit and says so; exit 130 either way, never ignored.
void signal_during_commit() {
  const std::string said = "interrupted after the commit point: finishing the commit";
  {
    test::TempDir dir;
    write_commit_inputs(dir.path());
    const std::string second =
        in_dir("dedup {D}/run-b.jsonl -o {D}/out --write-deduped {D}/kept.jsonl", dir.path());
    ASSERT_EQ(run_dupscan(in_dir("dedup {D}/run-a.jsonl -o {D}/out --write-deduped "
                                 "{D}/kept.jsonl",
                                 dir.path()))
                  .exit_code,
              0);
    const std::vector<std::string> files = {"out/duplicates.jsonl", "out/report.json",
                                            "kept.jsonl"};
    const std::vector<std::string> inputs = {"run-a.jsonl", "run-b.jsonl"};
    const std::string old_state = state_of(dir.path(), files, inputs);
    const auto before = run_with_fault(second, "sigterm@commit-before-journal");
    EXPECT_EQ(before.exit_code, 130) << before.err;
    EXPECT_EQ(before.err.find(said), std::string::npos) << before.err;
    EXPECT_EQ(state_of(dir.path(), files, inputs), old_state);
    const auto after = run_with_fault(second, "sigterm@commit-after-journal");
    EXPECT_EQ(after.exit_code, 130) << after.err;
    EXPECT_NE(after.err.find(said), std::string::npos) << after.err;
    EXPECT_NE(test::read_file(dir / "out/report.json").find("run-b.jsonl"), std::string::npos);
    EXPECT_EQ(test::list_dir(dir / "out"),
              (std::vector<std::string>{"clusters.jsonl", "duplicates.jsonl", "report.json"}));
    // After the commit (the summary, the --html page): not ignored either.
    const auto late = run_with_fault(second + " --html", "sigterm@run-finished");
    EXPECT_EQ(late.exit_code, 130) << late.err;
    EXPECT_NE(late.err.find("interrupted after the commit point"), std::string::npos) << late.err;
    EXPECT_TRUE(test::file_exists(dir / "out/report.html"));
  }
  for (const char* how : {"index build --force", "index add"}) {
    SCOPED_TRACE(how);
    test::TempDir dir;
    test::write_file(dir / "old.jsonl", rec("o1", kText) + "\n");
    test::write_file(dir / "new.jsonl", rec("n1", kText + " again") + "\n");
    ASSERT_EQ(
        run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx")).exit_code,
        0);
    const std::string manifest = test::read_file(dir / "idx/index.json");
    const std::string second =
        std::string(how) + " " + q(dir / "new.jsonl") + " --index " + q(dir / "idx");
    const auto before = run_with_fault(second, "sigterm@index-before-manifest");
    EXPECT_EQ(before.exit_code, 130) << before.err;
    EXPECT_EQ(test::read_file(dir / "idx/index.json"), manifest);
    const auto after = run_with_fault(second, "sigterm@index-after-manifest");
    EXPECT_EQ(after.exit_code, 130) << after.err;
    EXPECT_NE(after.err.find(said), std::string::npos) << after.err;
    EXPECT_NE(test::read_file(dir / "idx/index.json").find("new.jsonl"), std::string::npos);
  }
}

// An indexed file edited in place, its size kept and its mtime restored: size and mtime cannot
// tell; --verify-sources checks every indexed file's checksum.
void indexed_file_edited_in_place() {
  test::TempDir dir;
  write_old_and_new(dir, "text");
  ASSERT_EQ(
      run_dupscan("index build " + q(dir / "old.jsonl") + " --index " + q(dir / "idx")).exit_code,
      0);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "old.jsonl").c_str(), &st), 0);
  std::string old_docs = test::read_file(dir / "old.jsonl");
  old_docs[old_docs.find("committee")] = 'C';
  test::write_file(dir / "old.jsonl", old_docs);
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, (dir / "old.jsonl").c_str(), times, 0), 0);
  const std::string run = "dedup " + q(dir / "new.jsonl") + " --against " + q(dir / "idx") + " -o ";
  const auto fast = run_dupscan(run + q(dir / "fast"));
  EXPECT_EQ(fast.exit_code, 0) << fast.err;  // the default: size and mtime only
  const auto checked = run_dupscan(run + q(dir / "checked") + " --verify-sources");
  EXPECT_EQ(checked.exit_code, 1) << checked.err;
  EXPECT_NE(checked.err.find("old.jsonl' changed since it was indexed (its checksum differs)"),
            std::string::npos)
      << checked.err;
  EXPECT_FALSE(test::file_exists(dir / "checked"));
  const auto alone =
      run_dupscan("dedup " + q(dir / "new.jsonl") + " -o " + q(dir / "x") + " --verify-sources");
  EXPECT_EQ(alone.exit_code, 2) << alone.err;
}

// ---- resuming a killed run (issue 25) ---------------------------------------------------------

// Six inputs with exact and near duplicates across them, a bad record and blank lines, one
// compressed: a resumed run must rebuild the exact groups and candidate pairs across the inputs
// it loaded and those it read again.
void write_resume_inputs(const std::string& d) {
  const std::string near = kText + " and then some";
  test::write_file(d + "/r1.jsonl", rec("a0", kText) + "\n" + filler(4, "one") + "\n");
  test::write_file(d + "/r2.jsonl", rec("b0", kText) + "\n{broken\n" + filler(9, "two"));
  test::write_file(d + "/r3.jsonl", "");
  test::write_file(d + "/r4.jsonl.gz",
                   test::gzip_bytes(rec("c0", near) + "\n" + filler(3, "one") + "\n"));
  test::write_file(d + "/r5.jsonl", rec("d0", kText) + "\n" + rec("d1", near) + "\n");
  test::write_file(d + "/r6.jsonl", filler(5, "six") + rec("e0", near + " twice") + "\n");
}

const char* const kResumeInputs =
    "{D}/r1.jsonl {D}/r2.jsonl {D}/r3.jsonl {D}/r4.jsonl.gz {D}/r5.jsonl {D}/r6.jsonl";

// What a run left: its outputs' bytes and report.json less its timings and "resume".
std::string resume_state(const std::string& dir) {
  std::string out;
  for (const char* f : {"out/duplicates.jsonl", "out/clusters.jsonl", "kept.jsonl"}) {
    const std::string path = dir + "/" + f;
    out += std::string(f) + ":\n" + (test::file_exists(path) ? test::read_file(path) : "<absent>");
  }
  if (test::file_exists(dir + "/out/report.json")) {
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir + "/out", buf);
    for (const char* key : {"parameters", "inputs", "counts", "deduped", "outputs"})
      out += std::string(key) + ": " + simdjson::minify(rep[key]) + "\n";
  }
  for (auto at = out.find(dir); at != std::string::npos; at = out.find(dir, at))
    out.replace(at, dir.size(), "{D}");  // runs in other directories compare equal
  return out;
}

void killed_run_resumes() {
  for (const std::string options :
       {"", " --no-verify --scheme affine64", " --sketch fast", " --memory 64M"}) {
    SCOPED_TRACE(options);
    // --memory: band keys and rows spilled to disk past 1500 bytes, ~11 documents' keys and
    // rows (~136 bytes each): more than any one input holds, so that each input is saved whole
    // before its keys go (the window counts those of inputs loaded from the work directory too).
    if (options == " --memory 64M") ::setenv("DUPSCAN_TEST_SPILL_WINDOW", "1500", 1);
    const std::string cmd = std::string("dedup ") + kResumeInputs + " -o {D}/out" + options +
                            " --write-deduped {D}/kept.jsonl";
    std::string expected;
    {
      test::TempDir ref;
      write_resume_inputs(ref.path());
      const auto r = run_dupscan(in_dir(cmd, ref.path()));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      expected = resume_state(ref.path());
      ASSERT_NE(expected.find("\"duplicate_of\":\"a0\""), std::string::npos) << expected;
      EXPECT_FALSE(test::file_exists(ref / "out/.dupscan-work")) << "left after success";
    }
    // Killed (SIGKILL, as a preempted node) once input k is saved, then run again.
    for (int k = 1; k <= 6; ++k) {
      SCOPED_TRACE("killed after input " + std::to_string(k));
      test::TempDir dir;
      write_resume_inputs(dir.path());
      const auto killed =
          run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-" + std::to_string(k));
      ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.err;
      EXPECT_FALSE(test::file_exists(dir / "out/duplicates.jsonl"));
      const auto again = run_dupscan(in_dir(cmd, dir.path()));
      ASSERT_EQ(again.exit_code, 0) << again.err;
      EXPECT_NE(again.err.find("resuming: " + std::to_string(k) + " of 6 inputs already read"),
                std::string::npos)
          << again.err;
      EXPECT_NE(again.err.find("resumed           " + std::to_string(k) + " of 6 inputs loaded"),
                std::string::npos)
          << again.err;  // the summary says so
      EXPECT_EQ(resume_state(dir.path()), expected);
      EXPECT_FALSE(test::file_exists(dir / "out/.dupscan-work")) << "left after success";
      simdjson::dom::parser p;
      std::string buf;
      auto rep = report(p, dir / "out", buf);
      EXPECT_EQ(std::uint64_t(rep["resume"]["inputs_already_read"]), std::uint64_t(k)) << buf;
      EXPECT_TRUE(bool(rep["resume"]["resumed"])) << buf;
      if (options == " --memory 64M") {
        EXPECT_GT(std::uint64_t(rep["memory"]["spilled_bytes"]), 0u) << buf;
      }
    }
    ::unsetenv("DUPSCAN_TEST_SPILL_WINDOW");
  }
  const std::string cmd =
      std::string("dedup ") + kResumeInputs + " -o {D}/out --write-deduped {D}/kept.jsonl";
  test::TempDir ref;
  write_resume_inputs(ref.path());
  ASSERT_EQ(run_dupscan(in_dir(cmd, ref.path())).exit_code, 0);
  const std::string expected = resume_state(ref.path());
  {
    // Killed twice (the second time while resuming), and a SIGTERM (exit 130): the same bytes.
    test::TempDir dir;
    write_resume_inputs(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-2").exit_code,
              128 + SIGKILL);
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-4").exit_code,
              128 + SIGKILL);
    const auto term = run_with_fault(in_dir(cmd, dir.path()), "sigterm@resume-part-saved-5");
    EXPECT_EQ(term.exit_code, 130) << term.err;
    const auto again = run_dupscan(in_dir(cmd, dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 5 of 6 inputs"), std::string::npos) << again.err;
    EXPECT_EQ(resume_state(dir.path()), expected);
  }
  {
    // Another input, another option: refused, naming what changed; --restart starts over.
    test::TempDir dir;
    write_resume_inputs(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-3").exit_code,
              128 + SIGKILL);
    const auto other = run_dupscan(in_dir(cmd + " --shingle word:3", dir.path()));
    EXPECT_EQ(other.exit_code, 2) << other.err;
    EXPECT_NE(other.err.find("shingle was word:5, is word:3"), std::string::npos) << other.err;
    const auto sha1 = run_dupscan(in_dir(cmd + " --shingle-hash sha1", dir.path()));
    EXPECT_EQ(sha1.exit_code, 2) << sha1.err;
    EXPECT_NE(sha1.err.find("shingle_hash was xxh64, is sha1"), std::string::npos) << sha1.err;
    EXPECT_NE(other.err.find("--restart"), std::string::npos) << other.err;
    test::write_file(dir / "r2.jsonl", rec("b0", kText) + "\n" + filler(9, "two"));
    const auto changed = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(changed.exit_code, 2) << changed.err;
    EXPECT_NE(changed.err.find("input 2 was"), std::string::npos) << changed.err;
    EXPECT_FALSE(test::file_exists(dir / "out/duplicates.jsonl"));
    const auto restart = run_dupscan(in_dir(cmd + " --restart", dir.path()));
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    EXPECT_EQ(restart.err.find("resuming"), std::string::npos) << restart.err;
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir / "out", buf);
    EXPECT_EQ(std::uint64_t(rep["counts"]["skipped"]), 0u) << buf;  // the fixed r2 was read
  }
  {
    // A run that fails on a bad input keeps what it read: fixed, the same command goes on from
    // it; a run of other options discards it, saying so, where a killed run's would be refused.
    test::TempDir dir;
    write_resume_inputs(dir.path());
    const std::string good5 = test::read_file(dir / "r5.jsonl");
    test::write_file(dir / "r5.jsonl", "{\"body\":\"x\"}\n");
    const auto failed = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_NE(failed.err.find("no document read"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("the inputs read before are kept in"), std::string::npos)
        << failed.err;
    test::write_file(dir / "r5.jsonl", good5);
    const auto fixed = run_dupscan(in_dir(cmd, dir.path()));
    ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
    EXPECT_NE(fixed.err.find("resuming: 4 of 6 inputs"), std::string::npos) << fixed.err;
    EXPECT_EQ(resume_state(dir.path()), expected);
    test::write_file(dir / "r5.jsonl", "{\"body\":\"x\"}\n");
    EXPECT_EQ(run_dupscan(in_dir(cmd, dir.path())).exit_code, 1);
    const auto other = run_dupscan(in_dir(cmd + " --shingle word:3", dir.path()));
    EXPECT_EQ(other.exit_code, 1) << other.err;  // r5 is still bad
    EXPECT_NE(other.err.find("discarded what a failed run of other inputs or options left"),
              std::string::npos)
        << other.err;
  }
  {
    // index build and index add: the same segments as uninterrupted runs.
    const std::string build = std::string("index build ") + kResumeInputs + " --index {D}/idx";
    const std::string add = "index add {D}/more.jsonl --index {D}/idx";
    auto setup = [](const std::string& d) {
      write_resume_inputs(d);
      test::write_file(d + "/more.jsonl", rec("m0", kText) + "\n" + filler(3, "more"));
    };
    test::TempDir ref_idx;
    setup(ref_idx.path());
    ASSERT_EQ(run_dupscan(in_dir(build, ref_idx.path())).exit_code, 0);
    ASSERT_EQ(run_dupscan(in_dir(add, ref_idx.path())).exit_code, 0);
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(build, dir.path()), "resume-part-saved-3").exit_code,
              128 + SIGKILL);
    EXPECT_FALSE(test::file_exists(dir / "idx/index.json"));
    const auto again = run_dupscan(in_dir(build, dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 3 of 6 inputs"), std::string::npos) << again.err;
    EXPECT_EQ(run_with_fault(in_dir(add, dir.path()), "resume-part-saved-1").exit_code,
              128 + SIGKILL);
    const auto added = run_dupscan(in_dir(add, dir.path()));
    ASSERT_EQ(added.exit_code, 0) << added.err;
    EXPECT_NE(added.err.find("resuming: 1 of 1 input "), std::string::npos) << added.err;
    for (const char* seg : {"/idx/segment-000000.bin", "/idx/segment-000001.bin"}) {
      EXPECT_EQ(test::read_file(dir.path() + seg), test::read_file(ref_idx.path() + seg)) << seg;
    }
    EXPECT_FALSE(test::file_exists(dir / "idx/.dupscan-work"));
  }
  {
    // index build under --memory, in segments of 11 documents (no input has more, so each is
    // saved whole before its rows go into a segment): killed once input 3 is saved, then run
    // again, it writes the segments an uninterrupted run writes -- cut at the same documents,
    // some of them loaded from the work directory.
    const std::string build =
        std::string("index build ") + kResumeInputs + " --index {D}/idx --memory 100M";
    ::setenv("DUPSCAN_TEST_INDEX_SEGMENT_DOCS", "11", 1);
    test::TempDir ref_idx;
    write_resume_inputs(ref_idx.path());
    const auto ref = run_dupscan(in_dir(build, ref_idx.path()));
    ASSERT_EQ(ref.exit_code, 0) << ref.err;
    EXPECT_NE(ref.err.find("written as 3 new segments"), std::string::npos) << ref.err;
    test::TempDir dir;
    write_resume_inputs(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(build, dir.path()), "resume-part-saved-3").exit_code,
              128 + SIGKILL);
    EXPECT_FALSE(test::file_exists(dir / "idx/index.json"));
    const auto again = run_dupscan(in_dir(build, dir.path()));
    ::unsetenv("DUPSCAN_TEST_INDEX_SEGMENT_DOCS");
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 3 of 6 inputs"), std::string::npos) << again.err;
    for (const char* seg :
         {"/idx/segment-000000.bin", "/idx/segment-000001.bin", "/idx/segment-000002.bin"}) {
      ASSERT_TRUE(test::file_exists(dir.path() + seg)) << seg;
      EXPECT_TRUE(test::read_file(dir.path() + seg) == test::read_file(ref_idx.path() + seg))
          << seg << " differs from the uninterrupted run's";
    }
    EXPECT_FALSE(test::file_exists(dir / "idx/segment-000003.bin"));
    EXPECT_FALSE(test::file_exists(dir / "idx/.dupscan-work"));
  }
  {
    // stdin cannot be read again: no work directory, and report.json says why.
    test::TempDir dir;
    write_resume_inputs(dir.path());
    // (run_dupscan's stdin_file: a "<" in the arguments would be undone by its own "</dev/null")
    const auto r = run_dupscan("dedup - -o " + q(dir / "out"), q(dir / "r1.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir / "out", buf);
    EXPECT_TRUE(rep["resume"]["work_dir"].is_null()) << buf;
    EXPECT_NE(std::string(std::string_view(rep["resume"]["why_not"])).find("<stdin>"),
              std::string::npos)
        << buf;
    EXPECT_EQ(std::uint64_t(rep["counts"]["documents"]), 5u) << buf;  // it read r1
  }
}

// contam: the scan's findings kept per finished training input. The benchmark: an example
// every input with kText matches, one whole short example (r2's filler), a near duplicate of
// the longer text in r4-r6, and a clean one.
void write_contam_eval(const std::string& d) {
  test::write_file(
      d + "/eval.jsonl",
      rec("e1", kText) + "\n" + rec("e2", "filler record 2 about nothing in particular two") +
          "\n" + rec("e3", kText + " and then some more, on another day") + "\n" +
          rec("e4", "an example no training document holds at all, not a word") + "\n");
}

const char* const kContamResume =
    "contam --train {D}/r1.jsonl {D}/r2.jsonl {D}/r3.jsonl {D}/r4.jsonl.gz {D}/r5.jsonl "
    "{D}/r6.jsonl --eval gsm={D}/eval.jsonl -o {D}/out --write-decontaminated {D}/decon.jsonl "
    "--ngram 8 --min-ngram 5";

// What a contam run left: its outputs' bytes and report.json less its timings and "resume".
std::string contam_resume_state(const std::string& dir) {
  std::string out;
  for (const char* f :
       {"out/contamination.jsonl", "out/clean/gsm.jsonl", "out/removed.jsonl", "decon.jsonl"}) {
    const std::string path = dir + "/" + f;
    out += std::string(f) + ":\n" + (test::file_exists(path) ? test::read_file(path) : "<absent>");
  }
  if (test::file_exists(dir + "/out/report.json")) {
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir + "/out", buf);
    for (auto field : simdjson::dom::object(rep)) {
      // memory: the peak resident set (and what a run under --memory spilled) differ.
      if (field.key == "timings_s" || field.key == "resume" || field.key == "memory") continue;
      out += std::string(field.key) + ": " + simdjson::minify(field.value) + "\n";
    }
  }
  for (auto at = out.find(dir); at != std::string::npos; at = out.find(dir, at))
    out.replace(at, dir.size(), "{D}");  // runs in other directories compare equal
  return out;
}

void killed_contam_resumes() {
  auto setup = [](const std::string& d) {
    write_resume_inputs(d);
    write_contam_eval(d);
  };
  for (const std::string options : {"", " --no-near --threads 1", " --memory 512M"}) {
    SCOPED_TRACE(options);
    // --memory: the Locators spilled past 3 of them, in the middle of every input (the parts
    // read back from the spill file, a resumed run's loaded ones spilled again).
    if (options == " --memory 512M") ::setenv("DUPSCAN_TEST_SPILL_WINDOW", "72", 1);
    const std::string cmd = kContamResume + options;
    std::string expected;
    {
      test::TempDir ref;
      setup(ref.path());
      const auto r = run_dupscan(in_dir(cmd, ref.path()));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      expected = contam_resume_state(ref.path());
      // What the runs must agree on is there: matches in several inputs, a skipped record.
      for (const char* want : {"\"id\":\"e1\"", "\"train_id\":\"d0\"", "\"train_id\":\"b0\"",
                               "\"malformed_json\":1", "\"documents_cut\":"}) {
        ASSERT_NE(expected.find(want), std::string::npos) << want << "\n" << expected;
      }
      if (options.empty()) {
        ASSERT_NE(expected.find("\"near_duplicates\":[{"), std::string::npos) << expected;
      }
      EXPECT_FALSE(test::file_exists(ref / "out/.dupscan-work")) << "left after success";
    }
    // Killed (SIGKILL, as a preempted node) once training input k is saved, then run again.
    for (int k = 1; k <= 6; ++k) {
      SCOPED_TRACE("killed after input " + std::to_string(k));
      test::TempDir dir;
      setup(dir.path());
      const auto killed =
          run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-" + std::to_string(k));
      ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << killed.err;
      EXPECT_FALSE(test::file_exists(dir / "out/contamination.jsonl"));
      EXPECT_TRUE(test::file_exists(dir / "out/.dupscan-work/run.json"));
      const auto again = run_dupscan(in_dir(cmd, dir.path()));
      ASSERT_EQ(again.exit_code, 0) << again.err;
      EXPECT_NE(again.err.find("resuming: " + std::to_string(k) + " of 6 inputs already read"),
                std::string::npos)
          << again.err;
      EXPECT_NE(again.err.find("resumed: " + std::to_string(k) + " of 6 training inputs loaded"),
                std::string::npos)
          << again.err;  // the summary says so
      // r2's bad record was warned about by the run that read it, not by one that loaded it.
      EXPECT_EQ(again.err.find("r2.jsonl:2: ") == std::string::npos, k >= 2) << again.err;
      EXPECT_EQ(contam_resume_state(dir.path()), expected);
      EXPECT_FALSE(test::file_exists(dir / "out/.dupscan-work")) << "left after success";
      simdjson::dom::parser p;
      std::string buf;
      auto rep = report(p, dir / "out", buf);
      EXPECT_EQ(std::uint64_t(rep["resume"]["inputs_already_read"]), std::uint64_t(k)) << buf;
      EXPECT_TRUE(bool(rep["resume"]["resumed"])) << buf;
      if (options == " --memory 512M") {
        EXPECT_GT(std::uint64_t(rep["memory"]["spilled_bytes"]), 0u) << buf;
        EXPECT_FALSE(test::file_exists(dir / "out/.dupscan-spill")) << "spill left";
      }
    }
    ::unsetenv("DUPSCAN_TEST_SPILL_WINDOW");
  }
  const std::string cmd = kContamResume;
  test::TempDir ref;
  setup(ref.path());
  ASSERT_EQ(run_dupscan(in_dir(cmd, ref.path())).exit_code, 0);
  const std::string expected = contam_resume_state(ref.path());
  {
    // The Locators are in the work directory's file, written before each part: a file cut
    // short (a damaged disk, a hand) is refused, naming --restart, rather than read.
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-3").exit_code,
              128 + SIGKILL);
    ASSERT_EQ(::truncate((dir / "out/.dupscan-work/locators").c_str(), 24), 0);
    const auto short_file = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(short_file.exit_code, 1) << short_file.err;
    EXPECT_NE(short_file.err.find("holds fewer locations than its parts say"), std::string::npos)
        << short_file.err;
    EXPECT_NE(short_file.err.find("--restart"), std::string::npos) << short_file.err;
    const auto restart = run_dupscan(in_dir(cmd + " --restart", dir.path()));
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
  }
  {
    // Killed twice (the second time while resuming), and a SIGTERM (exit 130): the same bytes.
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-2").exit_code,
              128 + SIGKILL);
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-4").exit_code,
              128 + SIGKILL);
    const auto term = run_with_fault(in_dir(cmd, dir.path()), "sigterm@resume-part-saved-5");
    EXPECT_EQ(term.exit_code, 130) << term.err;
    const auto again = run_dupscan(in_dir(cmd, dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 5 of 6 inputs"), std::string::npos) << again.err;
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
  }
  {
    // A kill inside the removal of a finished run's work directory can leave parts without
    // their run file: the next run loads none of them, and none of them may be loaded later
    // beside the parts it saves (their Locators are not in the file it rewrites). Found by the
    // random kills: "locators holds fewer locations than its parts say (72000 < 96000)".
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-6").exit_code,
              128 + SIGKILL);
    ASSERT_EQ(std::remove((dir / "out/.dupscan-work/run.json").c_str()), 0);
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-2").exit_code,
              128 + SIGKILL);
    const auto again = run_dupscan(in_dir(cmd, dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 2 of 6 inputs"), std::string::npos) << again.err;
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
  }
  {
    // What the findings do not depend on may change: a resumed run with other coverage
    // thresholds writes what an uninterrupted run with them writes.
    const std::string other = cmd + " --coverage-dirty 0.5 --max-matches 1";
    test::TempDir ref2;
    setup(ref2.path());
    ASSERT_EQ(run_dupscan(in_dir(other, ref2.path())).exit_code, 0);
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-5").exit_code,
              128 + SIGKILL);
    const auto again = run_dupscan(in_dir(other, dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 5 of 6 inputs"), std::string::npos) << again.err;
    EXPECT_EQ(contam_resume_state(dir.path()), contam_resume_state(ref2.path()));
    EXPECT_NE(contam_resume_state(dir.path()), expected);
  }
  {
    // Another option, benchmark or training input: refused, naming what changed; --restart
    // starts over.
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(run_with_fault(in_dir(cmd, dir.path()), "resume-part-saved-3").exit_code,
              128 + SIGKILL);
    std::string nine = cmd;
    nine.replace(nine.find("--ngram 8"), 9, "--ngram 9");
    const auto ngram = run_dupscan(in_dir(nine, dir.path()));
    EXPECT_EQ(ngram.exit_code, 2) << ngram.err;
    EXPECT_NE(ngram.err.find("ngram was 8, is 9"), std::string::npos) << ngram.err;
    EXPECT_NE(ngram.err.find("--restart"), std::string::npos) << ngram.err;
    const auto near = run_dupscan(in_dir(cmd + " --near-threshold 0.7", dir.path()));
    EXPECT_EQ(near.exit_code, 2) << near.err;
    EXPECT_NE(near.err.find("near was Jaccard >= 0.5, is Jaccard >= 0.7"), std::string::npos)
        << near.err;
    std::string no_copy = cmd;
    no_copy.erase(no_copy.find(" --write-decontaminated"), 39);
    ASSERT_EQ(no_copy.find("decon"), std::string::npos) << no_copy;
    const auto copy = run_dupscan(in_dir(no_copy, dir.path()));
    EXPECT_EQ(copy.exit_code, 2) << copy.err;
    EXPECT_NE(copy.err.find("locators_kept was yes, is no"), std::string::npos) << copy.err;
    const auto field = run_dupscan(in_dir(cmd + " --text-field body", dir.path()));
    EXPECT_EQ(field.exit_code, 2) << field.err;
    EXPECT_NE(field.err.find("text_field was text, is body"), std::string::npos) << field.err;
    const std::string eval = test::read_file(dir / "eval.jsonl");
    test::write_file(dir / "eval.jsonl", eval + rec("e5", "one more example") + "\n");
    const auto bench = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(bench.exit_code, 2) << bench.err;
    EXPECT_NE(bench.err.find("benchmark 1 was gsm="), std::string::npos) << bench.err;
    test::write_file(dir / "eval.jsonl", eval);
    test::write_file(dir / "r2.jsonl", rec("b0", kText) + "\n" + filler(9, "two"));
    const auto changed = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(changed.exit_code, 2) << changed.err;
    EXPECT_NE(changed.err.find("input 2 was"), std::string::npos) << changed.err;
    EXPECT_FALSE(test::file_exists(dir / "out/contamination.jsonl"));
    EXPECT_TRUE(test::file_exists(dir / "out/.dupscan-work/input-000002.part"));
    const auto restart = run_dupscan(in_dir(cmd + " --restart", dir.path()));
    ASSERT_EQ(restart.exit_code, 0) << restart.err;
    EXPECT_EQ(restart.err.find("resuming"), std::string::npos) << restart.err;
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir / "out", buf);
    EXPECT_EQ(std::uint64_t(rep["train"]["skipped"]), 0u) << buf;  // the fixed r2 was read
    EXPECT_FALSE(bool(rep["resume"]["resumed"])) << buf;
  }
  {
    // A run that fails on a bad training input keeps what it read: fixed, the same command goes
    // on from it.
    test::TempDir dir;
    setup(dir.path());
    const std::string good5 = test::read_file(dir / "r5.jsonl");
    test::write_file(dir / "r5.jsonl", "{\"body\":\"x\"}\n");
    const auto failed = run_dupscan(in_dir(cmd, dir.path()));
    EXPECT_EQ(failed.exit_code, 1) << failed.err;
    EXPECT_NE(failed.err.find("no document read"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("the inputs read before are kept in"), std::string::npos)
        << failed.err;
    test::write_file(dir / "r5.jsonl", good5);
    const auto fixed = run_dupscan(in_dir(cmd, dir.path()));
    ASSERT_EQ(fixed.exit_code, 0) << fixed.err;
    EXPECT_NE(fixed.err.find("resuming: 4 of 6 inputs"), std::string::npos) << fixed.err;
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
  }
  {
    // --no-resume keeps no work directory; --work-dir puts it elsewhere.
    test::TempDir dir;
    setup(dir.path());
    EXPECT_EQ(
        run_with_fault(in_dir(cmd + " --no-resume", dir.path()), "resume-part-saved-1").exit_code,
        0);
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
    EXPECT_EQ(run_with_fault(in_dir(cmd + " --work-dir {D}/wd", dir.path()), "resume-part-saved-2")
                  .exit_code,
              128 + SIGKILL);
    EXPECT_TRUE(test::file_exists(dir / "wd/input-000001.part"));
    const auto again = run_dupscan(in_dir(cmd + " --work-dir {D}/wd", dir.path()));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.err.find("resuming: 2 of 6 inputs already read by an interrupted run (" +
                             (dir / "wd")),
              std::string::npos)
        << again.err;
    EXPECT_FALSE(test::file_exists(dir / "wd"));
    EXPECT_EQ(contam_resume_state(dir.path()), expected);
  }
  {
    // stdin cannot be read again: no work directory, and report.json says why.
    test::TempDir dir;
    setup(dir.path());
    const auto r = run_dupscan(
        "contam --train - --eval " + q("gsm=" + (dir / "eval.jsonl")) + " -o " + q(dir / "out"),
        q(dir / "r1.jsonl"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    simdjson::dom::parser p;
    std::string buf;
    auto rep = report(p, dir / "out", buf);
    EXPECT_TRUE(rep["resume"]["work_dir"].is_null()) << buf;
    EXPECT_EQ(std::string(std::string_view(rep["resume"]["why_not"])),
              "it reads <stdin>, which can be read only once")
        << buf;
    EXPECT_EQ(std::uint64_t(rep["train"]["documents"]), 5u) << buf;  // it read r1
  }
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
     "ignores them without a warning and counts them as `blank_lines` per input; they are no "
     "records, and the copies (`--write-deduped`, `--write-decontaminated`) leave them out",
     blank_lines},
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
    {"BadUsage",
     "an option is unknown, malformed or out of range (`--threshold 1.5`, `--bands 0`, "
     "bands × rows > K, ...)",
     "exits 2 with a message naming the option and saying what is allowed (`dupscan: error: "
     "...`, then where the help is), before doing anything",
     bad_usage},
    {"CudaWithoutGpu", "`--backend cuda` is asked for without a usable GPU",
     "exits 1 saying so (no silent fallback)", cuda_without_gpu},
    {"DeviceFailsCanary",
     "the GPU gives other bits than the CPU in the canary check before a run (built-in documents "
     "through both, every stage the run uses)",
     "with `--backend auto` runs on the CPU, saying in one line which stage differed and its "
     "first differing value (and in report.json's `canary`); with `--backend cuda` exits 1 saying "
     "so, writing nothing",
     device_fails_canary},
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
    {"SkippedRecordsInCopies",
     "records are skipped and `--write-deduped` / `--write-decontaminated` copies the input "
     "(`--in-place` too)",
     "copies each skipped record through byte for byte (it is no duplicate of anything read): "
     "the copy lacks exactly the records of `duplicates.jsonl` (contam: the cut and dropped ones); "
     "the summary and report.json (`deduped` / `decontaminated`: `skipped_passed_through`) say "
     "how many",
     skipped_records_in_copies},
    {"IndexDamagedOrStale",
     "`dedup --against`: the index is damaged, or a file it indexed has changed",
     "exits 1 naming the segment or the file, writing nothing (rebuild the index)",
     index_damaged_or_stale},
    {"IndexAppendCrash", "`index add` dies between writing its segment and its manifest",
     "the previous index stays valid and usable; the next add overwrites the orphan segment",
     index_append_crash},
    {"InputChanges", "an input file changes while dupscan runs",
     "notices when it reads it again and exits 1 saying so, writing nothing", input_changes},
    {"WrongTextField",
     "no record of an input has the `--text-field` (`dedup`, `index build`/`add`, `contam`'s "
     "training and benchmark sides, `dupscan-mpi`)",
     "exits 1 in one line: no document read, the fields the records do have and the option to "
     "give (`records have fields: question, answer; use --text-field question`); the output "
     "directory stays as it was",
     wrong_text_field},
    {"PlainTextInput", "an input is plain text, not JSON Lines",
     "exits 1 saying `this looks like plain text, not JSON Lines: use --format text`; with "
     "`--format text` every line is a document, with the id `<file>:<line>`",
     plain_text_input},
    {"TooManySkipped", "more than `--max-skipped` (10%) of an input's records are skipped",
     "exits 1 naming the input, the share and the most common reason, writing nothing; "
     "`--max-skipped 20%` (or `0.2`) allows more",
     too_many_skipped},
    {"NestedAndJoinedFields",
     "the text is nested (`meta.body`) or spread over fields "
     "(`title+body`)",
     "`--text-field meta.body` reads it, `--text-field title+body` joins the fields with a "
     "newline, in every command; `--write-decontaminated` replaces the nested field",
     nested_and_joined_fields},
    {"SameInputTwice", "the same file is given twice (or two paths to one file)",
     "exits 2 naming it, before doing anything", same_input_twice},
    {"OutputIsInput", "an output (`--write-deduped`, `--write-decontaminated`) names an input",
     "exits 2: `input file is output file`, the input untouched; `--in-place` lets the copy "
     "replace a (training) input once the run has succeeded, and no other output any input, nor "
     "the copy a benchmark file",
     output_is_input},
    {"ByteOrderMark", "a file (plain or compressed) begins with a UTF-8 byte-order mark",
     "skips the mark: line 1 is read as usual", byte_order_mark},
    {"ContamCoverageOptions", "`contam --coverage-clean` is above `--coverage-dirty`",
     "exits 2 saying so; the table's headers follow the two options", contam_coverage_options},
    {"AgainstTakesIndexParameters", "`dedup --against` is given no parameters, or other ones",
     "takes every option not given from the index (the summary lists them), writing what a run "
     "stating them writes, byte for byte; options given must match: exits 2 listing every "
     "difference with the index's value",
     against_takes_index_parameters},
    {"TouchedIndexedFile", "an indexed file is touched (its mtime changes, not its size)",
     "checks its checksum and goes on; a real change is an error naming the file",
     touched_indexed_file},
    {"IndexBuildOverIndex", "`index build` is pointed at a directory holding an index",
     "exits 2 saying what it holds and how to go on (`index add`, `--force` to replace it, or "
     "remove it); an empty or damaged index is not kept for an add",
     index_build_over_index},
    {"IndexConcurrentWriters", "two `index add` (or `build`) runs write one index at once",
     "the second exits 1 at once naming the run that holds the index (pid, host, start time), "
     "changing nothing; with `--wait` it waits for it, then adds: both land",
     index_concurrent_writers},
    {"IndexManifestDamaged", "a byte of an index's `index.json` changes (a parameter, a count)",
     "exits 1: `index.json' fails its checksum: the index is corrupt`, writing nothing; a "
     "manifest from before manifests had a checksum is read as before",
     index_manifest_damaged},
    {"OutputDirInUse",
     "two runs (`dedup`, `contam`, `dupscan-mpi`) write one output directory at once",
     "the second exits 1 at once naming the run that holds the directory (pid, host, start "
     "time), writing nothing",
     output_dir_in_use},
    {"CommitCrash",
     "a run (`dedup`, with `--write-deduped` or `--in-place`; `contam`) is killed while it "
     "replaces earlier outputs with its own",
     "writes a journal of its renames (`.dupscan-commit`) before the first; killed before it, the "
     "earlier outputs stay; killed after it, the next run into that directory finishes the "
     "renames (and the removal of the earlier run's other outputs) first: all outputs of one "
     "run, never a mix; `--in-place` replaces the input last",
     commit_crash},
    {"OutputDirReuse",
     "an output directory holds an earlier run's outputs (another command, other options, a "
     "`report.html`), or files no dupscan run wrote",
     "removes the earlier run's outputs that the new one does not write (those its report.json "
     "lists in `output_dir_files`, and `report.html`) in the new run's commit, keeping its own "
     "inputs; files no dupscan run wrote make it exit 2 before any work, naming a few, unless "
     "`--force` (they are left alone); hidden files do not count",
     output_dir_reuse},
    {"CopyFormatByName",
     "a copy's name and the inputs' kind differ (`data.parquet` with `--write-deduped "
     "kept.jsonl`, JSONL with `kept.parquet`)",
     "converts: the name decides the format ([Parquet](#parquet)); a Parquet column with no JSON "
     "form, plain text lines into `.parquet`, or Parquet and line inputs in one copy exit 2 "
     "before any work, naming the column or the problem and what to do",
     copy_format_by_name},
    {"IndexCommitCrash",
     "`index build --force` or `index add` is killed at any point (disk full, SIGKILL)",
     "the directory holds the old index or the new one, whole: `--force` builds the new one "
     "beside the old, and removes the old segments only once the new manifest is in place",
     index_commit_crash},
    {"SignalDuringCommit", "SIGINT or SIGTERM arrives while a run commits its outputs or index",
     "before the commit point: rolls back, exits 130; after it: finishes the commit, says "
     "`interrupted after the commit point: finishing the commit`, exits 130; later (the summary, "
     "`--html`) it exits 130 too, saying the outputs are complete",
     signal_during_commit},
    {"IndexedFileEditedInPlace",
     "an indexed file is edited in place, its size kept and its mtime restored",
     "is not noticed by default (size and mtime); `dedup --against --verify-sources` checks "
     "every indexed file's checksum and exits 1 naming it",
     indexed_file_edited_in_place},
    {"KilledRunTemporaries", "a run was killed with SIGKILL and left temporary files",
     "the next run into that directory removes them (those of dupscan runs of this host that "
     "are gone), and nothing else",
     killed_run_temporaries},
    {"FifoInput", "an input is a named pipe, a device or a process substitution (`<(zcat f.gz)`)",
     "reads it once, like stdin `-`, spooling it where it must be read again; a signal stops "
     "it even while no writer has come; `index build` and `dupscan-mpi` refuse it (`cannot be "
     "read twice`), as they refuse stdin",
     fifo_input},
    {"RecordTooLarge", "a record is longer than `--max-record-size` (1 GiB; `/dev/zero`)",
     "skips it as `record_too_large` with file:line, reading on to the next newline without "
     "holding it in memory (fatal with `--strict`); `--write-deduped` copies it through as read, "
     "like every skipped record",
     record_too_large},
    {"IdsAsWritten",
     "an id is a number simdjson cannot hold (`1e400`, 30 digits) or writes otherwise (`1E2`, "
     "`1.50`, `-0`), or two records have one id",
     "keeps each id as its JSON text in every output; warns once about repeated ids with the "
     "first two lines and counts them (`counts.duplicate_ids`)",
     ids_as_written},
    {"ContamBoilerplate",
     "`contam`: a benchmark's n-grams are each in more than `--boilerplate-docs` (10) "
     "training documents",
     "counts them as boilerplate (lm-eval's rule): dirty, but not cut; says so per benchmark "
     "(`boilerplate_dirty`, a summary line, a warning with `--write-decontaminated`); "
     "`--boilerplate-docs 0` cuts them",
     contam_boilerplate},
    {"KilledRunResumes",
     "a `dedup` run is killed (SIGKILL, a preempted node) or interrupted before it finishes",
     "the same command run again says `resuming: N of M inputs already read` (pass 1's results "
     "are kept per finished input in `OUT/.dupscan-work`), reads only the rest and writes the "
     "bytes an uninterrupted run writes; other inputs (size, mtime) or options are refused "
     "naming what changed; `--restart` starts over",
     killed_run_resumes},
    {"KilledContamResumes", "a `contam` run is killed or interrupted before it finishes",
     "the same: the same command run again resumes (what each finished training input matched "
     "is kept in `OUT/.dupscan-work`) and writes the bytes an uninterrupted run writes; other "
     "training inputs, benchmarks or options the findings depend on are refused naming what "
     "changed; `--restart` starts over",
     killed_contam_resumes},
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
