// Input: byte sources (plain, gzip, zstd, stdin) and a line reader over them; output: files that
// appear under their name only when complete.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dupscan::io {

/// simdjson's padding: bytes that must stay readable after the end of a record it parses.
constexpr std::size_t kPadding = 64;

/// A decompressed byte stream over one input.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Reads up to n bytes; 0 means end of stream. @throw Error naming the path on failure.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
  /// "none", "gzip" or "zstd".
  virtual const char* compression() const = 0;
  /// Bytes read from the underlying file so far (compressed bytes).
  virtual std::uint64_t raw_bytes() const = 0;
  /// Hex XXH3-64 of the underlying file's bytes read so far.
  virtual std::string raw_checksum() const = 0;
};

/**
 * @brief Opens `path` ("-" = stdin), detecting gzip (1f 8b) and zstd (28 b5 2f fd) by their magic
 * bytes. @throw Error when the path cannot be opened or is a directory.
 */
std::unique_ptr<ByteSource> open_source(const std::string& path);

/// True when `path` is a regular uncompressed file that pread can address by offset.
bool is_plain_file(const std::string& path);

/**
 * @brief True when `path` can be read only once, like stdin: "-", a named pipe (FIFO), a
 * character device, a socket, or a process substitution (/dev/fd/N, a pipe). Such an input is
 * spooled where it must be read again; false for a regular file and for a path that names nothing.
 */
bool reads_once(const std::string& path);

/// One line of a RawBatch. Its bytes exclude the '\n' (a '\r' before it is kept).
struct LineRef {
  std::uint64_t begin = 0;          ///< offset in RawBatch::data
  std::uint64_t length = 0;         ///< bytes
  std::uint64_t line_no = 0;        ///< 1-based
  std::uint64_t stream_offset = 0;  ///< offset of its first byte in the decompressed stream
  /// Not 0: the line was longer than the reader's max_line, and this is its length; its bytes
  /// were skipped, not kept (length is then 0).
  std::uint64_t oversize = 0;
};

/// A run of whole lines of one input, padded for simdjson.
struct RawBatch {
  std::uint32_t input = 0;
  std::uint64_t seq = 0;
  std::vector<char> data;  ///< the lines' bytes, followed by kPadding readable bytes
  std::size_t size = 0;    ///< bytes of data before the padding
  std::vector<LineRef> lines;

  std::string_view line(const LineRef& l) const { return {data.data() + l.begin, l.length}; }
};

class LineReader {
 public:
  /// No limit on a line's length.
  static constexpr std::uint64_t kNoMaxLine = UINT64_MAX;
  /**
   * `tee`, if not null, receives every decompressed byte (the stdin spool), except those of lines
   * longer than max_line, which it skips as a hole (a sparse file; offsets stay the stream's). A
   * line longer than max_line is returned as a LineRef with `oversize` set and no bytes: the
   * reader holds at most max_line bytes of it plus a read chunk.
   */
  explicit LineReader(ByteSource& source, std::FILE* tee = nullptr, std::string tee_path = {},
                      std::uint64_t max_line = kNoMaxLine);
  /**
   * @brief Fills `batch` (cleared first) with whole lines until it holds at least target_bytes or
   * the stream ends. A last line without '\n' is a line. @return false when no line was left.
   */
  bool next(RawBatch& batch, std::size_t target_bytes);
  std::uint64_t lines() const { return line_no_; }
  std::uint64_t bytes() const { return stream_pos_; }

 private:
  ByteSource& src_;
  std::FILE* tee_;
  std::string tee_path_;
  std::string carry_;  // a partial line left from the previous batch
  std::uint64_t line_no_ = 0;
  std::uint64_t stream_pos_ = 0;  // stream offset of carry_[0]
  bool eof_ = false;
  bool bom_checked_ = false;  // a UTF-8 byte-order mark opening the stream is skipped
  std::uint64_t max_line_ = kNoMaxLine;
  bool skipping_ = false;       // inside a line longer than max_line_: reading to its end
  std::uint64_t skip_len_ = 0;  // its bytes so far
  std::uint64_t skip_at_ = 0;   // its stream offset

  void tee(const char* p, std::size_t n);
  void push_line(RawBatch& batch, std::size_t begin, std::size_t length);
  void tee_skip(const char* p, std::size_t n);
};

/// Reads exactly n bytes at offset of a plain file into buf. @throw Error on failure.
void pread_exact(int fd, const std::string& path, char* buf, std::size_t n, std::uint64_t offset);

/// Writes exactly n bytes at offset of a spill file. @throw Error naming the file (a full disk
/// says so, with what to do).
void pwrite_all(int fd, const std::string& path, const char* buf, std::size_t n,
                std::uint64_t offset);

/**
 * A file written under a temporary name in the destination's directory; commit() flushes, fsyncs
 * and renames it to its name (so the name must not be a directory, device or pipe:
 * UsageError). Destroyed uncommitted, it removes the temporary file, so a failed
 * run never leaves a partial output nor touches an earlier one.
 */
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  void write(const char* p, std::size_t n) { write(std::string_view(p, n)); }
  /// Flush, fsync, close (everything that can fail) but do not rename yet.
  void finish();
  /// finish() if needed, then rename onto the final path.
  void commit();
  /// finish() if needed, then hand the complete temporary file over (to an io::Commit, which
  /// renames it or removes it): this object no longer removes it. @return its path.
  std::string release();
  const std::string& path() const { return path_; }

 private:
  void flush_buffer();
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  std::string buf_;
  bool finished_ = false;
  bool committed_ = false;
};

/**
 * An AtomicFile whose content is compressed according to the file name: ".gz" (gzip, level 6),
 * ".zst" (zstd, level 3), anything else plain.
 */
class OutputFile {
 public:
  explicit OutputFile(std::string path);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(std::string_view bytes);
  void finish();
  void commit();
  /// As AtomicFile::release().
  std::string release();
  const std::string& path() const { return file_.path(); }

 private:
  void end_stream();
  AtomicFile file_;
  struct Codec;
  Codec* codec_ = nullptr;
  std::string out_;
  bool ended_ = false;
};

/**
 * @brief The name of a temporary file for `path`: ".NAME.dupscan-tmp.HOST.PID.TAG" in its
 * directory. The name says whose it is, so that a later run can remove it once its process is
 * gone (remove_stale_temporaries), and only then.
 */
std::string temp_path(const std::string& path, const std::string& tag);

/**
 * @brief Removes the temporary files of dupscan runs of this host that are no longer alive (a run
 * killed with SIGKILL cannot remove its own) from directory `dir`, and temporary directories
 * named the same way with their files (dedup's key spill under --tmp-dir); leaves every other
 * file, and those of live processes. @return how many were removed.
 */
std::size_t remove_stale_temporaries(const std::string& dir);

/// The directory part of a path ("." when it has none).
std::string dir_of(const std::string& path);

/**
 * @brief Creates directory `path` and its parents if needed. @return the directories it created,
 * parents first (for remove_created_dirs). @throw Error naming the path.
 */
std::vector<std::string> make_dirs(const std::string& path);

/// Removes the directories make_dirs created, deepest first, where they are still empty: a failed
/// run leaves the file system as it found it.
void remove_created_dirs(const std::vector<std::string>& created) noexcept;

/// Identity of a file: equal for two paths to the same file (links, "./a" and "a").
struct FileId {
  std::uint64_t dev = 0, ino = 0;
  bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};
/// The identity of an existing file, or false when `path` names none.
bool file_id(const std::string& path, FileId& id);

/// Hex XXH3-64 of the bytes of the file at `path` (as ByteSource::raw_checksum after reading it
/// whole). @throw Error naming the path.
std::string file_xxh3_64(const std::string& path);

/// 16 lowercase hex digits (checksums in report.json and index manifests).
std::string hex64(std::uint64_t v);

/// "Cannot <what> '<path>': <strerror(errno)>" as an Error.
[[noreturn]] void throw_errno(const std::string& what, const std::string& path);

}  // namespace dupscan::io
