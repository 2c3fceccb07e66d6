// Outputs: temporary names (and the removal of those a killed run left), AtomicFile (written
// under a temporary name, renamed into place when complete) and OutputFile (an AtomicFile
// compressed by its name's extension).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/raw_file.hpp"

namespace dupscan::io {

using detail::kRawChunk;

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
  for (const std::string& path : stale) {
    if (::unlink(path.c_str()) == 0) {
      ++removed;
    } else if (errno == EISDIR || errno == EPERM) {
      // A temporary directory (dedup's key spill under --tmp-dir): flat, its files first.
      if (DIR* sub = ::opendir(path.c_str())) {
        while (dirent* e = ::readdir(sub)) {
          const std::string n = e->d_name;
          if (n != "." && n != "..") ::unlink((path + "/" + n).c_str());
        }
        ::closedir(sub);
      }
      removed += ::rmdir(path.c_str()) == 0;
    }
  }
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

}  // namespace dupscan::io
