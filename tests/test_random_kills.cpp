// A run killed with SIGKILL at random moments -- not only at the fault points test_faults.cpp
// names -- and run again each time, as a preempted node's job is: whatever moment the kill hits
// (reading, sketching, saving a part, spilling keys, the LSH stage, verification, the commit),
// the run that finally completes writes the bytes of a run never interrupted, and after every
// kill the outputs are all there (the kill came after the commit) or none is.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <xxhash.h>

#include "io/record.hpp"
#include "mpi_util.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::shell_quote;

// Inputs of `files` x `docs` documents of 40 words drawn from a vocabulary, with near copies
// (a few words changed) and exact copies of earlier documents, within and across files: every
// stage has work, and enough of it (~1 s at one thread) that kills land inside the run.
std::vector<std::string> write_inputs(const std::string& dir, int files, int docs) {
  std::mt19937_64 rng(20261206);
  std::vector<std::string> words;
  for (int i = 0; i < 3000; ++i)
    words.push_back("w" + std::to_string(i * 7919 % 100003));
  std::vector<std::string> texts;
  std::vector<std::string> paths;
  for (int f = 0; f < files; ++f) {
    std::string out;
    for (int d = 0; d < docs; ++d) {
      std::string text;
      const std::uint64_t kind = rng() % 10;
      if (kind == 0 && !texts.empty()) {
        text = texts[rng() % texts.size()];  // an exact copy
      } else if (kind <= 2 && !texts.empty()) {
        text = texts[rng() % texts.size()];
        const std::size_t at = rng() % (text.size() / 2);
        text.replace(at, 3, words[rng() % words.size()]);  // a near copy
      } else {
        for (int k = 0; k < 40; ++k)
          text += (k ? " " : "") + words[rng() % words.size()];
      }
      texts.push_back(text);
      std::string line =
          "{\"id\":\"f" + std::to_string(f) + "-" + std::to_string(d) + "\",\"text\":";
      append_json_string(line, text);
      out += line + "}\n";
    }
    paths.push_back(dir + "/in-" + std::to_string(f) + ".jsonl");
    test::write_file(paths.back(), out);
  }
  return paths;
}

const std::vector<std::string> kDedupOutputs = {"out/duplicates.jsonl", "out/clusters.jsonl",
                                                "out/report.json", "kept.jsonl"};

// The outputs `files` as short text, so that a difference prints readably: each file's size and
// XXH3 ("<absent>" for a missing one); report.json by its fields but those that differ from run
// to run (timings, the resume note, resident memory, the canary's time).
std::string outputs_of(const std::string& dir, const std::vector<std::string>& files) {
  std::string state;
  for (const std::string& f : files) {
    const std::string path = dir + "/" + f;
    std::string what = "<absent>";
    if (test::file_exists(path)) {
      const std::string bytes = test::read_file(path);
      if (f == "out/report.json") {
        simdjson::dom::parser p;
        what.clear();
        for (auto field : test::parse_json(p, bytes).get_object()) {
          const std::string key(field.key);
          if (key == "timings_s" || key == "resume" || key == "memory" || key == "canary") continue;
          what += key + "=" + simdjson::minify(field.value) + " ";
        }
      } else {
        char sum[64];
        std::snprintf(sum, sizeof sum, "%zu bytes, xxh3 %016llx", bytes.size(),
                      static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
        what = sum;
      }
    }
    state += f + ": " + what + "\n";
  }
  return state;
}

// Every process whose command line mentions `dir` (but this one), killed with SIGKILL, until none
// is left: what a preemption does to a job's processes -- mpirun and its ranks alike, whichever
// process group a rank is in.
void kill_all_mentioning(const std::string& dir) {
  for (int round = 0; round < 500; ++round) {
    int found = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
      const std::string name = e.path().filename();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = static_cast<pid_t>(std::stol(name));
      if (pid == ::getpid()) continue;
      std::ifstream in(e.path() / "cmdline", std::ios::binary);
      const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
      if (cmdline.find(dir) == std::string::npos) continue;
      ++found;
      ::kill(pid, SIGKILL);
    }
    if (found == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "processes of " << dir << " outlived SIGKILL for 5 s";
}

// Runs `cmd` (sh -c, which execs it, in a process group of its own) and kills it with SIGKILL
// `seconds` after it started, unless it ended before -- its whole group, and every process that
// mentions `dir`. Returns its exit code, or 128 + the signal that ended it. Returns once every
// one of those processes is gone (their locks released): a preempted job's next run starts after.
int run_killed_at(const std::string& cmd, double seconds, const std::string& dir) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= until) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill_all_mentioning(dir);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `cmd` (writing `dir`/out, `dir`/kept.jsonl and its stderr to `dir`/err) run once whole, then
// killed at ten random moments and run again each time, then run to its end: the final bytes are
// the whole run's, and after every kill the outputs are all there or none is (or the commit
// journal is there, and the outputs renamed so far are this run's).
void killed_ten_times_resumes(const std::string& cmd, const std::string& dir,
                              const std::vector<std::string>& outputs) {
  auto remove_outputs = [&] {
    std::filesystem::remove_all(dir + "/out");
    for (const std::string& f : outputs)
      std::filesystem::remove_all(dir + "/" + f);
  };
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(dir + "/err");
  const double whole = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::string expected = outputs_of(dir, outputs);
  ASSERT_EQ(expected.find("<absent>"), std::string::npos) << expected;
  remove_outputs();

  // Ten kills, each at a moment drawn from the first 70 % of the whole run's length (a resumed run
  // is shorter: later moments would mostly miss it); a run the kill missed (it had finished) must
  // have written the expected bytes, and the next starts from nothing.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> moment(0.02, 0.7 * whole);
  std::string none;
  for (const std::string& f : outputs)
    none += f + ": <absent>\n";
  int landed = 0, resumed = 0, in_commit = 0;
  for (int kill = 0; kill < 10; ++kill) {
    const double at = moment(rng);
    SCOPED_TRACE("kill " + std::to_string(kill) + " after " + std::to_string(at) + " s");
    const int code = run_killed_at(cmd, at, dir);
    const std::string err = test::read_file(dir + "/err");
    if (err.find("resuming:") != std::string::npos) ++resumed;
    const std::string state = outputs_of(dir, outputs);
    if (code == 0) {  // finished before the kill
      EXPECT_EQ(state, expected);
      remove_outputs();
      continue;
    }
    ASSERT_EQ(code, 128 + SIGKILL) << err;  // killed, and by nothing else
    ++landed;
    // All or nothing: a kill before the commit point left no output, one after the renames all
    // of them; one between left the commit journal, and the outputs renamed so far are this
    // run's (the next run into the directory finishes the renames before anything else).
    if (test::file_exists(dir + "/out/.dupscan-commit")) {
      ++in_commit;
      const std::vector<std::string> got = test::lines_of(state), want = test::lines_of(expected);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(got[i] == want[i] || got[i].find("<absent>") != std::string::npos) << got[i];
      }
    } else {
      EXPECT_TRUE(state == none || state == expected) << state;
    }
  }
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_file(dir + "/err");
  EXPECT_EQ(outputs_of(dir, outputs), expected);
  EXPECT_FALSE(test::file_exists(dir + "/out/.dupscan-work")) << "left after success";
  EXPECT_FALSE(test::file_exists(dir + "/out/.dupscan-commit")) << "left after success";
  // The kills must have tested something: kills landed inside runs, and runs resumed (typically
  // 6-10 and 2-6 of 10; the bounds leave room for a loaded machine's timing).
  EXPECT_GE(landed, 4);
  EXPECT_GE(resumed, 1);
  std::fprintf(stderr,
               "whole run %.2f s; %d of 10 kills landed (%d inside the commit); %d runs resumed\n",
               whole, landed, in_commit, resumed);
}

std::string quoted(const std::vector<std::string>& paths) {
  std::string s;
  for (const std::string& p : paths)
    s += " " + shell_quote(p);
  return s;
}

TEST(RandomKills, DedupKilledAtRandomMomentsResumesToTheUninterruptedBytes) {
  test::TempDir dir;
  const std::vector<std::string> inputs = write_inputs(dir.path(), 8, 12000);
  // --memory with a small spill window (DUPSCAN_TEST_SPILL_WINDOW, bytes of band keys held):
  // keys go to disk every ~2 inputs, so that kills land in spills and merges too, while each
  // input is saved whole before its keys go (a part is what a resumed run loads).
  ::setenv("DUPSCAN_TEST_SPILL_WINDOW", "4000000", 1);
  const std::string cmd =
      std::string(DUPSCAN_BIN) + " dedup" + quoted(inputs) + " -o " + shell_quote(dir / "out") +
      " --write-deduped " + shell_quote(dir / "kept.jsonl") +
      " --threads 1 --memory 64M --no-progress 2>" + shell_quote(dir / "err") + " </dev/null";
  killed_ten_times_resumes(cmd, dir.path(), kDedupOutputs);
  ::unsetenv("DUPSCAN_TEST_SPILL_WINDOW");
  ASSERT_NE(test::read_file(dir / "out/duplicates.jsonl").find("duplicate_of"), std::string::npos);
  simdjson::dom::parser p;
  const std::string rep = test::read_file(dir / "out/report.json");
  EXPECT_GT(std::uint64_t(test::parse_json(p, rep)["memory"]["spilled_bytes"]), 0u) << rep;
}

// The same on two ranks: each kill takes mpirun and both ranks at once, as a preempted job's.
// Under --memory too, each rank spilling its keys and rows every ~2 of its 4 inputs (each input,
// ~1.8 MB of keys and rows, is saved whole before they go), so that kills land in the ranks'
// spills and merges.
TEST(RandomKills, MpiDedupKilledAtRandomMomentsResumesToTheUninterruptedBytes) {
  test::need_mpi();
  if (testing::Test::IsSkipped() || testing::Test::HasFatalFailure()) return;
  test::TempDir dir;
  const std::vector<std::string> inputs = write_inputs(dir.path(), 8, 12000);
  ::setenv("DUPSCAN_TEST_SPILL_WINDOW", "4000000", 1);
  const std::string cmd =
      test::mpirun_command(2) + "dedup" + quoted(inputs) + " -o " + shell_quote(dir / "out") +
      " --write-deduped " + shell_quote(dir / "kept.jsonl") +
      " --threads 1 --memory 64M --no-progress 2>" + shell_quote(dir / "err") + " </dev/null";
  killed_ten_times_resumes(cmd, dir.path(), kDedupOutputs);
  ::unsetenv("DUPSCAN_TEST_SPILL_WINDOW");
  ASSERT_NE(test::read_file(dir / "out/duplicates.jsonl").find("duplicate_of"), std::string::npos);
  simdjson::dom::parser p;
  const std::string rep = test::read_file(dir / "out/report.json");
  EXPECT_GT(std::uint64_t(test::parse_json(p, rep)["memory"]["spilled_bytes"]), 0u) << rep;
}

// contam, which resumes per training input: a benchmark of some training texts (a few words
// changed in some), the findings and the decontaminated copy after each kill as uninterrupted.
TEST(RandomKills, ContamKilledAtRandomMomentsResumesToTheUninterruptedBytes) {
  test::TempDir dir;
  const std::vector<std::string> inputs = write_inputs(dir.path(), 8, 12000);
  std::string bench;
  const std::vector<std::string> lines = test::lines_of(test::read_file(inputs[3]));
  for (std::size_t i = 0; i < 60; ++i) {
    std::string text = lines[i * 97].substr(lines[i * 97].find("\"text\":") + 7);
    text.pop_back();  // the record's '}'
    bench += "{\"id\":" + std::to_string(i) + ",\"text\":" + text + "}\n";
  }
  test::write_file(dir / "bench.jsonl", bench);
  const std::string cmd =
      std::string(DUPSCAN_BIN) + " contam --eval b=" + shell_quote(dir / "bench.jsonl") +
      " --train" + quoted(inputs) + " -o " + shell_quote(dir / "out") + " --write-decontaminated " +
      shell_quote(dir / "kept.jsonl") + " --threads 1 --no-progress 2>" + shell_quote(dir / "err") +
      " </dev/null";
  killed_ten_times_resumes(cmd, dir.path(),
                           {"out/contamination.jsonl", "out/removed.jsonl", "out/clean/b.jsonl",
                            "out/report.json", "kept.jsonl"});
  EXPECT_NE(test::read_file(dir / "out/removed.jsonl").find("\"train_id\""), std::string::npos);
}

}  // namespace
}  // namespace dupscan
