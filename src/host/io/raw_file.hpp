// What the parts of io.hpp's implementation share (internal to src/host/io/): the read size and
// RawFile, an input file as stored, under the decoders (byte_source.cpp) and the file checksum
// (io.cpp).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan::io::detail {

constexpr std::size_t kRawChunk = std::size_t{1} << 20;  // read() size: large enough to amortize
                                                         // syscalls, small enough to stay in L2/L3

// The file as stored: reads, counts and checksums raw bytes; decoders consume its buffer.
class RawFile {
 public:
  explicit RawFile(const std::string& path) : path_(path), buf_(kRawChunk) {
    if (path == "-") {
      fd_ = STDIN_FILENO;
      display_ = "<stdin>";
      struct stat st {};
      stream_ = ::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode);
    } else {
      // O_NONBLOCK: opening a named pipe would otherwise wait, deaf to SIGINT and SIGTERM, until
      // a writer comes; read_fd's poll then waits for data in slices. Reads block again after.
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
      if (fd_ < 0) throw_errno("open input", path);
      const int flags = ::fcntl(fd_, F_GETFL);
      if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        const int e = errno;
        ::close(fd_);
        errno = e;
        throw_errno("open input", path);
      }
      struct stat st {};
      if (::fstat(fd_, &st) != 0) throw_errno("stat input", path);
      if (S_ISDIR(st.st_mode)) {
        ::close(fd_);
        throw Error("input '" + path + "' is a directory, not a file");
      }
      stream_ = !S_ISREG(st.st_mode);
    }
    state_ = XXH3_createState();
    XXH3_64bits_reset(state_);
  }
  ~RawFile() {
    if (fd_ > STDIN_FILENO) ::close(fd_);
    XXH3_freeState(state_);
  }
  RawFile(const RawFile&) = delete;
  RawFile& operator=(const RawFile&) = delete;

  const char* data() const { return buf_.data() + pos_; }
  std::size_t available() const { return end_ - pos_; }
  void consume(std::size_t n) { pos_ += n; }

  /// Reads more bytes after those available (moving them to the front). False at end of file.
  bool fill() {
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      end_ -= pos_;
      pos_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    const std::size_t n = read_fd(buf_.data() + end_, buf_.size() - end_);
    end_ += n;
    return n > 0;
  }

  /// Reads directly into dst, bypassing the buffer (which must be empty).
  std::size_t read_direct(char* dst, std::size_t n) { return read_fd(dst, n); }

  const std::string& path() const { return path_; }
  std::uint64_t raw_bytes() const { return raw_bytes_; }
  std::string checksum() const { return hex64(XXH3_64bits_digest(state_)); }

 private:
  std::size_t read_fd(char* dst, std::size_t n) {
    if (stream_) wait_readable();
    for (;;) {
      const ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) {
        XXH3_64bits_update(state_, dst, static_cast<std::size_t>(r));
        raw_bytes_ += static_cast<std::uint64_t>(r);
        return static_cast<std::size_t>(r);
      }
      if (errno != EINTR) throw_errno("read input", path_);
    }
  }

  // A pipe or terminal may block for ever: wait in short slices so that an interrupt (SIGINT,
  // SIGTERM) stops the run even when no data comes.
  void wait_readable() {
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
      check_interrupt();
      const int r = ::poll(&p, 1, 100);
      if (r > 0) return;
      if (r < 0 && errno != EINTR) throw_errno("wait for input", path_);
    }
  }

  std::string path_;
  std::string display_;
  bool stream_ = false;
  int fd_ = -1;
  std::vector<char> buf_;
  std::size_t pos_ = 0, end_ = 0;
  std::uint64_t raw_bytes_ = 0;
  XXH3_state_t* state_ = nullptr;
};

}  // namespace dupscan::io::detail
