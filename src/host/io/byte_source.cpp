// Byte sources: the decoders over a raw input file (plain, gzip, zstd) that open_source picks by
// the file's magic bytes, what a path is (a plain file pread can address, an input read once),
// and pread_exact.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/raw_file.hpp"

namespace dupscan::io {

namespace {

using detail::RawFile;

class PlainSource final : public ByteSource {
 public:
  explicit PlainSource(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)) {}
  std::size_t read(char* buf, std::size_t n) override {
    if (raw_->available() > 0) {
      const std::size_t k = std::min(n, raw_->available());
      std::memcpy(buf, raw_->data(), k);
      raw_->consume(k);
      return k;
    }
    return raw_->read_direct(buf, n);
  }
  const char* compression() const override { return "none"; }
  std::uint64_t raw_bytes() const override { return raw_->raw_bytes(); }
  std::string raw_checksum() const override { return raw_->checksum(); }

 private:
  std::unique_ptr<RawFile> raw_;
};

class GzipSource final : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) throw Error("cannot initialize zlib");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  std::size_t read(char* buf, std::size_t n) override {
    if (n > UINT32_MAX) n = UINT32_MAX;
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(n);
    for (;;) {
      if (raw_->available() == 0 && !raw_->fill()) {
        if (in_member_) {
          throw Error("input '" + raw_->path() +
                      "': truncated gzip stream (the file ends inside a compressed member)");
        }
        return n - zs_.avail_out;
      }
      in_member_ = true;
      const std::size_t avail = std::min<std::size_t>(raw_->available(), UINT32_MAX);
      zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw_->data()));
      zs_.avail_in = static_cast<uInt>(avail);
      const int r = inflate(&zs_, Z_NO_FLUSH);
      raw_->consume(avail - zs_.avail_in);
      if (r == Z_STREAM_END) {
        in_member_ = false;  // a concatenated member may follow (multi-member gzip)
        inflateReset(&zs_);
      } else if (r != Z_OK && r != Z_BUF_ERROR) {
        throw Error("input '" + raw_->path() + "': corrupt gzip data (" +
                    (zs_.msg ? zs_.msg : "zlib error " + std::to_string(r)) + ")");
      }
      if (zs_.avail_out < n) return n - zs_.avail_out;
    }
  }
  const char* compression() const override { return "gzip"; }
  std::uint64_t raw_bytes() const override { return raw_->raw_bytes(); }
  std::string raw_checksum() const override { return raw_->checksum(); }

 private:
  std::unique_ptr<RawFile> raw_;
  z_stream zs_;
  bool in_member_ = false;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<RawFile> raw) : raw_(std::move(raw)) {
    dctx_ = ZSTD_createDCtx();
    if (!dctx_) throw Error("cannot initialize zstd");
  }
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }

  std::size_t read(char* buf, std::size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    for (;;) {
      if (raw_->available() == 0 && !raw_eof_) raw_eof_ = !raw_->fill();
      // All frames complete and flushed, nothing left to read: the end. (Calling the decoder
      // again would make it ask for the next frame's header.)
      if (raw_eof_ && raw_->available() == 0 && last_ == 0) return 0;
      ZSTD_inBuffer in{raw_->data(), raw_->available(), 0};
      const std::size_t r = ZSTD_decompressStream(dctx_, &out, &in);
      raw_->consume(in.pos);
      if (ZSTD_isError(r)) {
        throw Error("input '" + raw_->path() + "': corrupt zstd data (" + ZSTD_getErrorName(r) +
                    ")");
      }
      last_ = r;
      if (out.pos > 0) return out.pos;
      if (raw_eof_ && raw_->available() == 0) {
        if (last_ != 0) {
          throw Error("input '" + raw_->path() +
                      "': truncated zstd stream (the file ends inside a frame)");
        }
        return 0;
      }
    }
  }
  const char* compression() const override { return "zstd"; }
  std::uint64_t raw_bytes() const override { return raw_->raw_bytes(); }
  std::string raw_checksum() const override { return raw_->checksum(); }

 private:
  std::unique_ptr<RawFile> raw_;
  ZSTD_DCtx* dctx_ = nullptr;
  std::size_t last_ = 0;
  bool raw_eof_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> open_source(const std::string& path) {
  auto raw = std::make_unique<RawFile>(path);
  while (raw->available() < 4 && raw->fill()) {
  }
  const auto* m = reinterpret_cast<const unsigned char*>(raw->data());
  const std::size_t n = raw->available();
  if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) return std::make_unique<GzipSource>(std::move(raw));
  if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) {
    return std::make_unique<ZstdSource>(std::move(raw));
  }
  return std::make_unique<PlainSource>(std::move(raw));
}

bool reads_once(const std::string& path) {
  if (path == "-") return true;
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

bool is_plain_file(const std::string& path) {
  if (path == "-") return false;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char m[4] = {0, 0, 0, 0};
  const ssize_t r = ::pread(fd, m, 4, 0);
  ::close(fd);
  if (r >= 2 && m[0] == 0x1f && m[1] == 0x8b) return false;
  if (r >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return false;
  return true;
}

void pread_exact(int fd, const std::string& path, char* buf, std::size_t n, std::uint64_t offset) {
  while (n > 0) {
    const ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      throw_errno("read input", path);
    }
    if (r == 0)
      throw Error("input '" + path + "' changed while dupscan was running (it is shorter)");
    buf += r;
    n -= static_cast<std::size_t>(r);
    offset += static_cast<std::uint64_t>(r);
  }
}

void pwrite_all(int fd, const std::string& path, const char* buf, std::size_t n,
                std::uint64_t offset) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, buf, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int err = w < 0 ? errno : EIO;
      std::string msg = "cannot write the spill file " + path + ": " + std::strerror(err);
      if (err == ENOSPC) msg += " (the disk is full: give --tmp-dir a folder with more space)";
      throw Error(msg);
    }
    buf += w;
    n -= static_cast<std::size_t>(w);
    offset += static_cast<std::uint64_t>(w);
  }
}

}  // namespace dupscan::io
