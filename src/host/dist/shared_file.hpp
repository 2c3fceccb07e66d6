// One output file made of every rank's piece, in rank order (SharedFile), and the name of a
// rank's piece written beside an output first.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "common/pack.hpp"
#include "dupscan/distributed.hpp"
#include "io/io.hpp"

namespace dupscan {

/**
 * One output file made of every rank's piece, in rank order, under a temporary name beside its
 * final path; rank 0 renames it with commit(). Constructing and write_piece are collective.
 */
class SharedFile {
 public:
  SharedFile(Communicator& comm, const std::string& path) : comm_(comm), path_(path) {
    std::string tmp;
    if (comm_.rank() == 0) {
      tmp = io::temp_path(path_, "ranks");
      const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) io::throw_errno("create output file", path_);
      ::close(fd);
      owned_ = true;
    }
    tmp_ = comm_.all_gather(tmp)[0];
  }
  ~SharedFile() {
    if (owned_ && !committed_) ::unlink(tmp_.c_str());
  }
  SharedFile(const SharedFile&) = delete;
  SharedFile& operator=(const SharedFile&) = delete;

  /// This rank's piece: `bytes`, or (when `from_file` is set) the content of that file.
  void write_piece(const std::string& bytes, const std::string& from_file = {}) {
    std::uint64_t size = bytes.size();
    int in = -1;
    if (!from_file.empty()) {
      in = ::open(from_file.c_str(), O_RDONLY | O_CLOEXEC);
      if (in < 0) io::throw_errno("open", from_file);
      struct stat st {};
      ::fstat(in, &st);
      size = static_cast<std::uint64_t>(st.st_size);
    }
    Packer p;
    p.put(size);
    const std::vector<std::string> sizes = comm_.all_gather(p.str());
    std::uint64_t offset = 0;
    for (int r = 0; r < comm_.rank(); ++r)
      offset += Unpacker(sizes[r]).get<std::uint64_t>();
    if (size > 0) {
      const int fd = ::open(tmp_.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) io::throw_errno("open output file", path_);
      if (in < 0) {
        write_at(fd, bytes.data(), bytes.size(), offset);
      } else {
        std::vector<char> buf(std::size_t{4} << 20);
        for (std::uint64_t done = 0; done < size;) {
          const std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size - done));
          io::pread_exact(in, from_file, buf.data(), n, done);
          write_at(fd, buf.data(), n, offset + done);
          done += n;
        }
      }
      if (::fsync(fd) != 0 || ::close(fd) != 0) io::throw_errno("write output file", path_);
    }
    if (in >= 0) ::close(in);
    comm_.all_gather({});  // every piece is on disk
  }

  const std::string& path() const { return path_; }

  /// Rank 0: hands the complete temporary file over (to an io::Commit), which renames or removes
  /// it. @return its path.
  std::string release() {
    committed_ = true;
    return tmp_;
  }

  /// Rank 0: the complete file replaces `path`.
  void commit() {
    if (!owned_) return;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) io::throw_errno("rename output file", path_);
    committed_ = true;
  }

 private:
  void write_at(int fd, const char* p, std::size_t n, std::uint64_t offset) {
    while (n > 0) {
      const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        io::throw_errno("write output file", path_);
      }
      p += w;
      n -= static_cast<std::size_t>(w);
      offset += static_cast<std::uint64_t>(w);
    }
  }

  Communicator& comm_;
  std::string path_, tmp_;
  bool owned_ = false, committed_ = false;
};

/**
 * @brief Where rank `rank` writes its piece of the output `path` before SharedFile::write_piece
 * copies it: a temporary name beside it (io::temp_path, so that a run killed before removing it
 * leaves nothing the next run into this directory keeps), compressed as `path` says (.gz, .zst).
 */
inline std::string rank_piece_path(const std::string& path, int rank) {
  const auto slash = path.find_last_of('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string ext;
  for (const char* e : {".gz", ".zst"}) {
    if (name.size() > std::strlen(e) &&
        name.compare(name.size() - std::strlen(e), std::string::npos, e) == 0)
      ext = e;
  }
  return io::temp_path(path, "rank" + std::to_string(rank) + ext);
}

}  // namespace dupscan
