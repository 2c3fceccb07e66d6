#include "dedup/locator_spill.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <type_traits>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

static_assert(std::is_trivially_copyable<Locator>::value && sizeof(Locator) == 24,
              "spilled as bytes");

/// Locators read back at once: 1.5 MiB.
constexpr std::size_t kReadPiece = std::size_t{1} << 16;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC) msg += " (the disk is full: give --tmp-dir a folder with more space)";
  throw Error(msg);
}

}  // namespace

// The file's Locators a piece at a time, then those held (in place).
class LocatorSpill::Reader : public DocCursor {
 public:
  Reader(const LocatorSpill& spill, std::uint32_t first) : s_(spill), first_(first) { fill(); }
  const Locator* peek() override { return k_ < n_ ? &at_piece_[k_] : nullptr; }
  std::uint32_t doc() const override { return static_cast<std::uint32_t>(first_ + at_ + k_); }
  void advance() override {
    if (++k_ == n_) {
      at_ += n_;
      fill();
    }
  }

 private:
  // The piece that starts at Locator at_: read from the file, or the held ones.
  void fill() {
    k_ = 0;
    if (at_ >= s_.spilled_) {
      at_piece_ = s_.held_.data() + (at_ - s_.spilled_);
      n_ = s_.held_.size() - (at_ - s_.spilled_);
      return;
    }
    piece_.resize(std::min<std::uint64_t>(kReadPiece, s_.spilled_ - at_));
    s_.read_at(at_, piece_.size(), reinterpret_cast<char*>(piece_.data()));
    at_piece_ = piece_.data();
    n_ = piece_.size();
  }

  const LocatorSpill& s_;
  std::uint64_t first_;
  std::uint64_t at_ = 0;  // Locator number of at_piece_[0]
  std::vector<Locator> piece_;
  const Locator* at_piece_ = nullptr;
  std::size_t n_ = 0, k_ = 0;
};

LocatorSpill::LocatorSpill(std::string dir, std::size_t window_bytes)
    : dir_(std::move(dir)), window_(window_bytes) {
  WorkDir::discard(dir_);  // what a killed run left (the run holds its output directory's lock)
  held_.reserve(window_ / sizeof(Locator) + 1);
}

LocatorSpill::LocatorSpill(const WorkDir& work, const std::string& name, std::size_t window_bytes,
                           std::uint64_t kept)
    : work_(&work), name_(name), window_(window_bytes) {
  held_.reserve(window_ / sizeof(Locator) + 1);
  if (kept == 0) return;  // the file is made (with the directory) by the first spill
  open_file(O_RDWR | O_CLOEXEC);
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot read", path_, errno);
  if (static_cast<std::uint64_t>(st.st_size) < kept * sizeof(Locator)) {
    throw Error("the work directory's " + path_ + " holds fewer locations than its parts say (" +
                std::to_string(st.st_size / sizeof(Locator)) + " < " + std::to_string(kept) +
                "): pass --restart to start over");
  }
  if (::ftruncate(fd_, static_cast<off_t>(kept * sizeof(Locator))) != 0) {
    fail("cannot write", path_, errno);
  }
  spilled_ = kept;
}

void LocatorSpill::open_file(int flags) {
  path_ = work_ ? work_->own_file(name_) : dir_ + "/locators";
  if (!work_) io::make_dirs(dir_);
  fd_ = ::open(path_.c_str(), flags, 0600);
  if (fd_ < 0) fail("cannot create the spill file", path_, errno);
}

void LocatorSpill::flush() {
  if (!held_.empty()) spill();
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) fail("cannot write the spill file", path_, errno);
}

LocatorSpill::~LocatorSpill() {
  if (fd_ >= 0) ::close(fd_);
  if (!dir_.empty()) WorkDir::discard(dir_);
}

void LocatorSpill::add_bytes(const char* bytes, std::size_t n) {
  while (n > 0) {
    // Up to the window, then spilled; without a budget, all at once.
    std::size_t take = n;
    if (window_ > 0) {
      const std::size_t room = window_ / sizeof(Locator) + 1 - held_.size();
      take = std::min(n, room);
    }
    const std::size_t at = held_.size();
    held_.resize(at + take);
    std::memcpy(held_.data() + at, bytes, take * sizeof(Locator));
    bytes += take * sizeof(Locator);
    n -= take;
    if (window_ > 0 && held_.size() * sizeof(Locator) > window_) spill();
  }
}

void LocatorSpill::spill() {
  if (fd_ < 0) open_file(O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC);
  io::pwrite_all(fd_, path_, reinterpret_cast<const char*>(held_.data()),
                 held_.size() * sizeof(Locator), spilled_ * sizeof(Locator));
  spilled_ += held_.size();
  held_.clear();  // the capacity stays: the next window
  ++spills_;
}

void LocatorSpill::read_at(std::uint64_t first, std::uint64_t n, char* out) const {
  io::pread_exact(fd_, path_, out, n * sizeof(Locator), first * sizeof(Locator));
}

std::unique_ptr<DocCursor> LocatorSpill::read(std::uint32_t first) const {
  return std::make_unique<Reader>(*this, first);
}

}  // namespace dupscan
