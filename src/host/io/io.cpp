#include "io/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"

namespace dupscan::io {

void throw_errno(const std::string& what, const std::string& path) {
  throw Error("cannot " + what + " '" + path + "': " + std::strerror(errno));
}

std::string hex64(std::uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    s[i] = digits[v & 15];
  return s;
}

namespace {

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

LineReader::LineReader(ByteSource& source, std::FILE* tee, std::string tee_path,
                       std::uint64_t max_line)
    : src_(source), tee_(tee), tee_path_(std::move(tee_path)), max_line_(max_line) {}

void LineReader::tee(const char* p, std::size_t n) {
  if (tee_ && n > 0 && std::fwrite(p, 1, n, tee_) != n) throw_errno("write spool file", tee_path_);
}

void LineReader::tee_skip(const char* p, std::size_t n) {
  // The bytes of a record too long to hold go to the spool all the same (in pieces of at most
  // kRawChunk, never held whole): --write-deduped copies a skipped record through as it was.
  tee(p, n);
}

void LineReader::push_line(RawBatch& batch, std::size_t begin, std::size_t length) {
  const std::uint64_t offset = stream_pos_ + begin;
  if (length > max_line_) {
    batch.lines.push_back({begin, 0, ++line_no_, offset, length});  // read whole, yet too long
  } else {
    batch.lines.push_back({begin, length, ++line_no_, offset});
  }
}

bool LineReader::next(RawBatch& batch, std::size_t target_bytes) {
  batch.lines.clear();
  std::vector<char>& data = batch.data;
  data.resize(std::max<std::size_t>(carry_.size() + kRawChunk, data.capacity()));
  std::memcpy(data.data(), carry_.data(), carry_.size());
  std::size_t size = carry_.size();
  carry_.clear();
  std::size_t line_start = 0;  // first byte of the line being scanned
  std::size_t scan = 0;        // bytes before this hold no '\n' of the current line
  for (;;) {
    while (scan < size) {
      const void* nl = std::memchr(data.data() + scan, '\n', size - scan);
      if (!nl) {
        scan = size;
        break;
      }
      const std::size_t pos = static_cast<const char*>(nl) - data.data();
      push_line(batch, line_start, pos - line_start);
      line_start = scan = pos + 1;
      if (line_start >= target_bytes) break;  // the rest stays for the next batch
    }
    if (line_start >= target_bytes && !batch.lines.empty()) break;
    if (!skipping_ && bom_checked_ && scan == size && size - line_start > max_line_) {
      // The line being read is longer than allowed: drop what it holds and read on to its end
      // without keeping it (a line that never ends -- /dev/zero -- must not fill the memory).
      skipping_ = true;
      skip_at_ = stream_pos_ + line_start;
      skip_len_ = size - line_start;
      size = scan = line_start;
    }
    if (eof_) {
      if (skipping_) {
        batch.lines.push_back({line_start, 0, ++line_no_, skip_at_, skip_len_});
        stream_pos_ += skip_len_;  // data[line_start] is the stream's byte after the line
        skipping_ = false;
      } else if (line_start < size) {
        push_line(batch, line_start, size - line_start);
        line_start = size;
      }
      break;
    }
    if (data.size() - size < kRawChunk) data.resize(std::max(data.size() * 2, size + kRawChunk));
    // At most kRawChunk per read: a batch whose buffer grew once (a long line, or a capacity left
    // by another file's batch) must not read its whole capacity ahead, which the next batch would
    // then copy as carry -- megabytes copied per batch, and every pooled buffer growing.
    const std::size_t n = src_.read(data.data() + size, std::min(data.size() - size, kRawChunk));
    if (n == 0) eof_ = true;
    if (skipping_) {
      char* got = data.data() + size;
      const void* nl = std::memchr(got, '\n', n);
      if (!nl) {
        tee_skip(got, n);
        skip_len_ += n;
        continue;
      }
      const std::size_t k = static_cast<const char*>(nl) - got;
      tee_skip(got, k);
      tee(got + k, n - k);
      skip_len_ += k;
      batch.lines.push_back({line_start, 0, ++line_no_, skip_at_, skip_len_});
      stream_pos_ += skip_len_ + 1;  // data[line_start] is now the byte after its '\n'
      skipping_ = false;
      std::memmove(got, got + k + 1, n - k - 1);
      size += n - k - 1;
      continue;
    }
    tee(data.data() + size, n);
    size += n;
    if (!bom_checked_) {
      // A UTF-8 byte-order mark (EF BB BF) opening the stream is not part of line 1. Undecided
      // while the bytes read so far are a prefix of it: they hold no '\n', so no line was cut.
      static const unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
      std::size_t k = 0;
      while (k < size && k < 3 && static_cast<unsigned char>(data[k]) == kBom[k])
        ++k;
      if (k == 3) {
        std::memmove(data.data(), data.data() + 3, size - 3);
        size -= 3;
        stream_pos_ += 3;
        scan = 0;
        bom_checked_ = true;
      } else if (k < size || eof_) {
        bom_checked_ = true;
      }
    }
  }
  carry_.assign(data.data() + line_start, size - line_start);
  stream_pos_ += line_start;
  batch.size = line_start;
  if (data.size() < line_start + kPadding) data.resize(line_start + kPadding);
  return !batch.lines.empty();
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

std::string dir_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

namespace {

std::atomic<unsigned> tmp_counter{0};
constexpr char kTempMark[] = ".dupscan-tmp.";

// This host's name with '.' and '/' replaced by '_', so that temporary names split at '.'.
std::string host_name() {
  char h[256] = {};
  if (::gethostname(h, sizeof h - 1) != 0 || h[0] == '\0') return "localhost";
  std::string s = h;
  for (char& c : s) {
    if (c == '/' || c == '.') c = '_';
  }
  return s;
}

}  // namespace

std::string temp_path(const std::string& path, const std::string& tag) {
  const auto slash = path.find_last_of('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir_of(path) + "/" + (name.empty() || name[0] != '.' ? "." : "") + name + kTempMark +
         host_name() + "." + std::to_string(::getpid()) + "." + tag;
}

std::size_t remove_stale_temporaries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return 0;
  const std::string host = host_name();
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    // ".NAME.dupscan-tmp.HOST.PID.TAG": HOST and PID hold no '.'; TAG may (an extension).
    const auto mark = n.rfind(kTempMark);
    if (n.empty() || n[0] != '.' || mark == std::string::npos) continue;
    const std::string rest = n.substr(mark + sizeof kTempMark - 1);
    const auto host_end = rest.find('.');
    if (host_end == std::string::npos || rest.compare(0, host_end, host) != 0 ||
        host_end != host.size()) {
      continue;
    }
    const auto pid_end = rest.find('.', host_end + 1);
    if (pid_end == std::string::npos) continue;
    const std::string pid_text = rest.substr(host_end + 1, pid_end - host_end - 1);
    if (pid_text.empty() || pid_text.size() > 9 ||
        pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    // Alive (or not ours to signal): keep. Only a process that is gone frees its files.
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    stale.push_back(dir + "/" + n);
  }
  ::closedir(d);
  std::size_t removed = 0;
  for (const std::string& path : stale)
    removed += ::unlink(path.c_str()) == 0;
  return removed;
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  // Renamed over, a device or a pipe would be replaced by a plain file -- /dev/null among them,
  // for everyone on the machine when run as root.
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw UsageError("'" + path_ +
                     "' is not a regular file (a directory, device or pipe): dupscan writes each "
                     "output under a temporary name and renames it into place when the run "
                     "succeeds, which would replace it; name a file");
  }
  tmp_ = temp_path(path_, std::to_string(tmp_counter.fetch_add(1)));
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) throw_errno("create output file", path_);
  buf_.reserve(kRawChunk);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void AtomicFile::flush_buffer() {
  const char* p = buf_.data();
  std::size_t n = buf_.size();
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw_errno("write output file", path_);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  buf_.clear();
}

void AtomicFile::write(std::string_view bytes) {
  if (buf_.size() + bytes.size() > kRawChunk) {
    flush_buffer();
    if (bytes.size() > kRawChunk) {
      buf_.assign(bytes.data(), bytes.size());
      flush_buffer();
      return;
    }
  }
  buf_.append(bytes.data(), bytes.size());
}

void AtomicFile::finish() {
  if (finished_) return;
  flush_buffer();
  if (::fsync(fd_) != 0) throw_errno("sync output file", path_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_errno("close output file", path_);
  finished_ = true;
}

void AtomicFile::commit() {
  finish();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw_errno("rename output file to", path_);
  committed_ = true;
  const int dfd = ::open(dir_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // make the rename durable; failure here cannot lose the file any more
    ::close(dfd);
  }
}

std::string AtomicFile::release() {
  finish();
  committed_ = true;
  return tmp_;
}

struct OutputFile::Codec {
  enum Kind { gzip, zstd } kind;
  z_stream zs{};
  ZSTD_CStream* cs = nullptr;
};

namespace {
bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}
}  // namespace

OutputFile::OutputFile(std::string path) : file_(std::move(path)) {
  if (ends_with(file_.path(), ".gz")) {
    codec_ = new Codec{Codec::gzip};
    if (deflateInit2(&codec_->zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      delete codec_;
      throw Error("cannot initialize zlib");
    }
  } else if (ends_with(file_.path(), ".zst")) {
    codec_ = new Codec{Codec::zstd};
    codec_->cs = ZSTD_createCStream();
    // Level 3 (zstd's default) with a content checksum, as the zstd command writes.
    if (!codec_->cs || ZSTD_isError(ZSTD_initCStream(codec_->cs, 3)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(codec_->cs, ZSTD_c_checksumFlag, 1))) {
      ZSTD_freeCStream(codec_->cs);
      delete codec_;
      throw Error("cannot initialize zstd");
    }
  }
  out_.resize(kRawChunk);
}

OutputFile::~OutputFile() {
  if (!codec_) return;
  if (codec_->kind == Codec::gzip) deflateEnd(&codec_->zs);
  if (codec_->kind == Codec::zstd) ZSTD_freeCStream(codec_->cs);
  delete codec_;
}

void OutputFile::write(std::string_view bytes) {
  if (!codec_) return file_.write(bytes);
  if (codec_->kind == Codec::gzip) {
    z_stream& zs = codec_->zs;
    while (!bytes.empty()) {
      const std::size_t take = std::min<std::size_t>(bytes.size(), UINT32_MAX);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
      zs.avail_in = static_cast<uInt>(take);
      do {
        zs.next_out = reinterpret_cast<Bytef*>(out_.data());
        zs.avail_out = static_cast<uInt>(out_.size());
        deflate(&zs, Z_NO_FLUSH);
        file_.write(out_.data(), out_.size() - zs.avail_out);
      } while (zs.avail_out == 0);
      bytes.remove_prefix(take);
    }
    return;
  }
  ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
  while (in.pos < in.size) {
    ZSTD_outBuffer o{out_.data(), out_.size(), 0};
    const std::size_t r = ZSTD_compressStream(codec_->cs, &o, &in);
    if (ZSTD_isError(r))
      throw Error("zstd compression failed: " + std::string(ZSTD_getErrorName(r)));
    file_.write(out_.data(), o.pos);
  }
}

void OutputFile::end_stream() {
  if (ended_ || !codec_) return;
  ended_ = true;
  if (codec_->kind == Codec::gzip) {
    z_stream& zs = codec_->zs;
    zs.next_in = nullptr;
    zs.avail_in = 0;
    int r;
    do {
      zs.next_out = reinterpret_cast<Bytef*>(out_.data());
      zs.avail_out = static_cast<uInt>(out_.size());
      r = deflate(&zs, Z_FINISH);
      file_.write(out_.data(), out_.size() - zs.avail_out);
    } while (r == Z_OK);
    if (r != Z_STREAM_END) throw Error("gzip compression failed");
    return;
  }
  std::size_t r;
  do {
    ZSTD_outBuffer o{out_.data(), out_.size(), 0};
    r = ZSTD_endStream(codec_->cs, &o);
    if (ZSTD_isError(r))
      throw Error("zstd compression failed: " + std::string(ZSTD_getErrorName(r)));
    file_.write(out_.data(), o.pos);
  } while (r != 0);
}

void OutputFile::finish() {
  end_stream();
  file_.finish();
}

void OutputFile::commit() {
  finish();
  file_.commit();
}

std::string OutputFile::release() {
  finish();
  return file_.release();
}

std::vector<std::string> make_dirs(const std::string& path) {
  std::vector<std::string> created;
  if (path.empty()) return created;
  std::string cur;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    cur = path.substr(0, pos);
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) == 0) {
      created.push_back(cur);
    } else if (errno != EEXIST) {
      const int e = errno;
      remove_created_dirs(created);
      errno = e;
      throw_errno("create directory", cur);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    remove_created_dirs(created);
    throw Error("cannot create directory '" + path + "': a file of that name exists");
  }
  return created;
}

void remove_created_dirs(const std::vector<std::string>& created) noexcept {
  for (auto it = created.rbegin(); it != created.rend(); ++it)
    ::rmdir(it->c_str());  // fails, harmlessly, on a directory that is not empty
}

bool file_id(const std::string& path, FileId& id) {
  struct stat st {};
  if (path == "-" || ::stat(path.c_str(), &st) != 0) return false;
  id.dev = static_cast<std::uint64_t>(st.st_dev);
  id.ino = static_cast<std::uint64_t>(st.st_ino);
  return true;
}

std::string file_xxh3_64(const std::string& path) {
  RawFile raw(path);
  while (raw.fill())
    raw.consume(raw.available());
  return raw.checksum();
}

}  // namespace dupscan::io
