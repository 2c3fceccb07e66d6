// io/commit.hpp: the journal of a run's renames. On disk, `.dupscan-commit` holds the line
// "dupscan-commit 2", then per rename a line "<bytes of tmp> <bytes of path>" followed by the two
// paths back to back and a newline, then "end". Lengths, not separators: a path may hold any byte.
// A removal is a rename with no temporary ("0 <bytes of path>"); version 1 (before removals) is
// still read. A dupscan that knows only version 1 refuses a version 2 journal as damaged rather
// than finishing half of it.
#include "io/commit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <dirent.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan::io {

const char* const kInterruptedAfterCommit =
    "interrupted after the commit point: finishing the commit; done, the outputs of this run "
    "are complete and in place";

namespace {

constexpr char kHeader[] = "dupscan-commit 2\n";
constexpr char kHeaderV1[] = "dupscan-commit 1\n";
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

// Removes an earlier output: a file, or a directory ("...'/'") if empty. Gone already is done.
void remove_output(const std::string& path) {
  if (!path.empty() && path.back() == '/') {
    const std::string d = path.substr(0, path.size() - 1);
    if (::rmdir(d.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST) {
      throw_errno("remove the directory", d);
    }
    sync_dir(dir_of(d));
    return;
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_errno("remove", path);
  sync_dir(dir_of(path));
}

// Renames the temporaries still there (those renamed already are not), fsyncs their directories;
// then removes the earlier outputs named (those removed already are not).
void do_renames(const std::vector<std::pair<std::string, std::string>>& renames,
                const bool faults) {
  std::size_t k = 0, r = 0;
  for (const auto& [tmp, path] : renames) {
    if (tmp.empty()) {
      remove_output(path);
      if (faults) fault_point("commit-after-remove-" + std::to_string(++r));
      continue;
    }
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
  for (const auto& r : renames_) {
    if (!r.first.empty()) ::unlink(r.first.c_str());
  }
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

void Commit::remove(std::string path) {
  renames_.emplace_back(std::string(), absolute(std::move(path)));
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
  const std::string header = kHeader, header_v1 = kHeaderV1, end = kEnd;
  if (text.compare(0, header.size(), header) != 0 &&
      text.compare(0, header_v1.size(), header_v1) != 0) {
    throw bad();
  }
  std::size_t at = header.size();
  std::vector<std::pair<std::string, std::string>> renames;
  while (text.compare(at, std::string::npos, end) != 0) {
    const auto nl = text.find('\n', at);
    if (nl == std::string::npos) throw bad();
    unsigned long long a = 0, b = 0;
    if (std::sscanf(text.substr(at, nl - at).c_str(), "%llu %llu", &a, &b) != 2) throw bad();
    at = nl + 1;
    if (b == 0 || text.size() < at + a + b + 1 || text[at + a + b] != '\n') throw bad();
    renames.emplace_back(text.substr(at, a), text.substr(at + a, b));
    at += a + b + 1;
  }
  do_renames(renames, false);
  if (::unlink(journal.c_str()) != 0) throw_errno("remove", journal);
  sync_dir(dir);
  return true;
}

// ---- the outputs of earlier runs ---------------------------------------------------------------

namespace {

constexpr const char* kFixedNames[] = {"duplicates.jsonl", "clusters.jsonl", "contamination.jsonl",
                                       "removed.jsonl",    "report.json",    "report.html"};

bool real_path(const std::string& path, std::string& out) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return false;
  out = buf;
  return true;
}

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Never foreign: hidden files -- dupscan's own (the lock, a commit journal, the write probe,
// temporaries) and others' (.nfs* files of NFS, .DS_Store), which no one takes for an output.
bool internal_name(const std::string& name) {
  return !name.empty() && name[0] == '.';
}

std::vector<std::string> entries_of(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    struct stat st {};
    const bool is_dir = ::lstat((dir + "/" + n).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    out.push_back(is_dir ? n + "/" : n);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> names_in_dir(const std::string& dir,
                                      const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  std::string real_dir;
  if (!real_path(dir, real_dir)) return out;
  for (const std::string& p : paths) {
    if (p.empty() || p == "-") continue;
    std::string parent;
    if (!real_path(dir_of(p), parent)) continue;
    struct stat st {};
    const bool is_dir = ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    std::string base = base_name(p);
    if (base.empty() || base == "." || base == "..") continue;
    if (is_dir) base += "/";
    if (parent == real_dir) {
      out.push_back(base);
    } else if (parent.size() > real_dir.size() &&
               parent.compare(0, real_dir.size(), real_dir) == 0 &&
               parent[real_dir.size()] == '/') {
      const std::string sub = parent.substr(real_dir.size() + 1) + "/";
      for (std::size_t at = sub.find('/'); at != std::string::npos; at = sub.find('/', at + 1))
        out.push_back(sub.substr(0, at + 1));
      out.push_back(sub + base);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> earlier_outputs(const std::string& dir) {
  std::vector<std::string> out;
  const std::string report = dir + "/report.json";
  if (exists(report)) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.load(report).get(doc)) {
      throw Error("cannot read '" + report +
                  "' (the record of an earlier run, naming its outputs): it is not JSON; "
                  "remove the directory's earlier outputs, or choose another directory");
    }
    simdjson::dom::array files;
    if (!doc[kOutputDirFilesKey].get_array().get(files)) {
      for (simdjson::dom::element f : files) {
        std::string_view name;
        if (f.get_string().get(name) || name.empty() || name[0] == '/' ||
            name.find("..") != std::string_view::npos) {
          continue;  // not a name inside the directory: nothing of ours
        }
        out.emplace_back(name);
      }
    } else if (!doc["outputs"].get_array().get(files)) {
      std::vector<std::string> paths;
      for (simdjson::dom::element f : files) {
        std::string_view path;
        if (!f.get_string().get(path)) paths.emplace_back(path);
      }
      const auto names = names_in_dir(dir, paths);
      out.insert(out.end(), names.begin(), names.end());
    }
  }
  for (const char* name : kFixedNames) {
    if (exists(dir + "/" + name)) out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void check_output_dir_is_ours(const std::string& dir, const std::vector<std::string>& own,
                              const bool force) {
  if (force || !exists(dir) || exists(dir + "/" + Commit::kJournal)) return;
  // Looked into: the directories earlier runs wrote (clean/); not those this run names (a
  // --tmp-dir inside the output directory holds what it holds).
  const std::vector<std::string> earlier = earlier_outputs(dir);
  std::vector<std::string> ours = earlier;
  const auto named = names_in_dir(dir, own);
  ours.insert(ours.end(), named.begin(), named.end());
  std::sort(ours.begin(), ours.end());
  std::vector<std::string> foreign;
  std::vector<std::string> todo = {""};  // relative directories to look into
  while (!todo.empty()) {
    const std::string sub = todo.back();
    todo.pop_back();
    for (const std::string& e : entries_of(sub.empty() ? dir : dir + "/" + sub)) {
      const std::string name = sub + e;
      if (internal_name(base_name(e.back() == '/' ? e.substr(0, e.size() - 1) : e))) continue;
      if (!std::binary_search(ours.begin(), ours.end(), name)) {
        foreign.push_back(name);
      } else if (name.back() == '/' && std::binary_search(earlier.begin(), earlier.end(), name)) {
        todo.push_back(name);
      }
    }
  }
  if (foreign.empty()) return;
  std::sort(foreign.begin(), foreign.end());
  std::string list;
  constexpr std::size_t kShown = 5;
  for (std::size_t i = 0; i < foreign.size() && i < kShown; ++i)
    list += (i ? ", '" : "'") + foreign[i] + "'";
  if (foreign.size() > kShown) list += " and " + std::to_string(foreign.size() - kShown) + " more";
  throw UsageError("the output directory '" + dir + "' holds files no dupscan run wrote: " + list +
                   ". A run replaces the outputs of the earlier run in its directory and removes "
                   "those it does not write again, so it writes only into an empty directory or "
                   "one of its own: choose another --output-dir, or give --force to write there "
                   "anyway (files no dupscan run wrote are left alone)");
}

}  // namespace dupscan::io
