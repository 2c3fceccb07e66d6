// io/commit.hpp: the journal of a run's renames. On disk, `.dupscan-commit` holds the line
// "dupscan-commit 1", then per rename a line "<bytes of tmp> <bytes of path>" followed by the two
// paths back to back and a newline, then "end". Lengths, not separators: a path may hold any byte.
#include "io/commit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan::io {

const char* const kInterruptedAfterCommit =
    "interrupted after the commit point: finishing the commit; done, the outputs of this run "
    "are complete and in place";

namespace {

constexpr char kHeader[] = "dupscan-commit 1\n";
constexpr char kEnd[] = "end\n";

void sync_dir(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

// Renames the temporaries still there (those renamed already are not), fsyncs their directories.
void do_renames(const std::vector<std::pair<std::string, std::string>>& renames,
                const bool faults) {
  std::size_t k = 0;
  for (const auto& [tmp, path] : renames) {
    ++k;
    if (!exists(tmp)) continue;  // renamed by the run that wrote the journal
    if (::rename(tmp.c_str(), path.c_str()) != 0) throw_errno("rename output file to", path);
    sync_dir(dir_of(path));
    if (faults) fault_point("commit-after-rename-" + std::to_string(k));
  }
}

}  // namespace

void fault_point(const std::string& name) {
  const char* f = std::getenv("DUPSCAN_TEST_FAULT");
  if (f == nullptr) return;
  const std::string want = f;
  if (want == name) {
    std::raise(SIGKILL);
  } else if (want == "sigterm@" + name) {
    std::raise(SIGTERM);
  }
}

Commit::~Commit() {
  if (started_) return;
  for (const auto& r : renames_)
    ::unlink(r.first.c_str());
}

namespace {

// The journal is read by the next run, which may start elsewhere: its paths are absolute.
std::string absolute(std::string path) {
  if (!path.empty() && path[0] == '/') return path;
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) == nullptr) throw_errno("find the working directory of", path);
  return std::string(cwd) + "/" + path;
}

}  // namespace

void Commit::add(std::string tmp, std::string path) {
  renames_.emplace_back(absolute(std::move(tmp)), absolute(std::move(path)));
}

void Commit::run() {
  fault_point("commit-before-journal");
  check_interrupt();  // the last point where the run rolls back
  std::string text = kHeader;
  for (const auto& [tmp, path] : renames_) {
    text +=
        std::to_string(tmp.size()) + " " + std::to_string(path.size()) + "\n" + tmp + path + "\n";
  }
  text += kEnd;
  const std::string journal = dir_ + "/" + kJournal;
  {
    AtomicFile j(journal);
    j.write(text);
    j.commit();  // fsynced, renamed, the directory fsynced: the commit point
  }
  started_ = true;
  fault_point("commit-after-journal");
  do_renames(renames_, true);
  if (::unlink(journal.c_str()) != 0) throw_errno("remove", journal);
  sync_dir(dir_);
  if (interrupt_requested()) throw Interrupted(kInterruptedAfterCommit);
}

bool recover_commit(const std::string& dir) {
  const std::string journal = dir + "/" + Commit::kJournal;
  if (!exists(journal)) return false;
  std::string text;
  {
    const int fd = ::open(journal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open", journal);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
      text.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    if (n < 0) throw_errno("read", journal);
  }
  auto bad = [&]() -> Error {
    return Error("the commit journal '" + journal +
                 "' of a killed run is damaged; check the outputs in '" + dir + "' and remove it");
  };
  const std::string header = kHeader, end = kEnd;
  if (text.compare(0, header.size(), header) != 0) throw bad();
  std::size_t at = header.size();
  std::vector<std::pair<std::string, std::string>> renames;
  while (text.compare(at, std::string::npos, end) != 0) {
    const auto nl = text.find('\n', at);
    if (nl == std::string::npos) throw bad();
    unsigned long long a = 0, b = 0;
    if (std::sscanf(text.substr(at, nl - at).c_str(), "%llu %llu", &a, &b) != 2) throw bad();
    at = nl + 1;
    if (text.size() < at + a + b + 1 || text[at + a + b] != '\n') throw bad();
    renames.emplace_back(text.substr(at, a), text.substr(at + a, b));
    at += a + b + 1;
  }
  do_renames(renames, false);
  if (::unlink(journal.c_str()) != 0) throw_errno("remove", journal);
  sync_dir(dir);
  return true;
}

}  // namespace dupscan::io
