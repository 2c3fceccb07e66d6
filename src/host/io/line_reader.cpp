// The line reader: whole lines of a byte source in padded batches (io.hpp's LineReader).
#include <algorithm>
#include <cstring>

#include "io/io.hpp"
#include "io/raw_file.hpp"

namespace dupscan::io {

using detail::kRawChunk;

namespace {

// A UTF-8 byte-order mark (EF BB BF) opening the stream is not part of line 1. Undecided while
// the bytes read so far are a prefix of it: they hold no '\n', so no line was cut. Removes it
// from the `size` bytes of `data` read so far. @return whether it is decided.
bool skip_bom(std::vector<char>& data, std::size_t& size, std::uint64_t& stream_pos,
              std::size_t& scan, bool eof) {
  static const unsigned char kBom[3] = {0xEF, 0xBB, 0xBF};
  std::size_t k = 0;
  while (k < size && k < 3 && static_cast<unsigned char>(data[k]) == kBom[k])
    ++k;
  if (k == 3) {
    std::memmove(data.data(), data.data() + 3, size - 3);
    size -= 3;
    stream_pos += 3;
    scan = 0;
    return true;
  }
  return k < size || eof;
}

}  // namespace

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
    if (!bom_checked_) bom_checked_ = skip_bom(data, size, stream_pos_, scan, eof_);
  }
  carry_.assign(data.data() + line_start, size - line_start);
  stream_pos_ += line_start;
  batch.size = line_start;
  if (data.size() < line_start + kPadding) data.resize(line_start + kPadding);
  return !batch.lines.empty();
}

}  // namespace dupscan::io
