// DirLock (dir_lock.hpp): flock on DIR/.dupscan.lock, with the holder written into the file.
#include "io/dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <utility>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan::io {
namespace {

// How often a waiting run tries the lock again (and checks for SIGINT): the same 0.1 s as the
// other waits that must stay interruptible.
constexpr auto kRetry = std::chrono::milliseconds(100);
// A holder writes its description right after taking the lock: how long a run that found the
// lock taken waits for that description before saying the holder is unknown.
constexpr auto kDescribeWait = std::chrono::milliseconds(500);

std::string describe_self() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, 10, "?");
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return "pid " + std::to_string(::getpid()) + " on host " + host + ", started " + when;
}

std::string read_holder(int fd) {
  const auto until = std::chrono::steady_clock::now() + kDescribeWait;
  for (;;) {
    char buf[512];
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
      std::string s(buf, static_cast<std::size_t>(n));
      while (!s.empty() && (s.back() == '\n' || s.back() == '\0'))
        s.pop_back();
      if (!s.empty()) return s;
    }
    if (std::chrono::steady_clock::now() >= until) return "a process that has not said who it is";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool same_file(int fd, const std::string& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

}  // namespace

DirLock::DirLock(const std::string& dir, const std::string& what, const std::string& hint,
                 bool wait, const std::function<void(const std::string&)>& on_wait)
    : path_(dir + "/" + kFileName) {
  bool told = false;
  for (;;) {
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    // Another user's lock file: a read-only descriptor can be locked too (flock needs no write).
    if (fd < 0 && errno == EACCES) {
      fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) errno = EACCES;  // the directory's, not the missing file's ENOENT
    }
    if (fd < 0) throw_errno("open lock file", path_);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      if (errno != EWOULDBLOCK) {
        const int e = errno;
        ::close(fd);
        errno = e;
        throw_errno("lock", path_);
      }
      if (!wait) {
        const std::string holder = read_holder(fd);
        ::close(fd);
        throw Error(what + " '" + dir + "' is in use by another dupscan run (" + holder +
                    ", lock file " + path_ + "): " + hint);
      }
      if (!told && on_wait) on_wait(read_holder(fd));
      told = true;
      try {
        check_interrupt();
      } catch (...) {
        ::close(fd);
        throw;
      }
      std::this_thread::sleep_for(kRetry);
    }
    // The holder before us may have removed the file on release: our lock is then on a file
    // nobody else will look at. Start over on the one at the path.
    if (same_file(fd, path_)) {
      fd_ = fd;
      break;
    }
    ::close(fd);
  }
  const std::string me = describe_self() + "\n";
  // Best effort: a read-only lock file (another user's) cannot say who holds it.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, me.data(), me.size(), 0);
  }
}

DirLock::DirLock(DirLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    release();
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

void DirLock::release() noexcept {
  if (fd_ < 0) return;
  // Unlink while still holding the lock: a run that locks the old file afterwards sees that it
  // is no longer at the path and opens the new one.
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

}  // namespace dupscan::io
