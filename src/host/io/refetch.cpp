#include "io/refetch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

// Records closer than this are read with one pread (the gap is read and ignored): a dense
// selection then reads sequentially, a sparse one does not read what it skips.
constexpr std::uint64_t kCoalesceGap = 64 * 1024;

void check_unchanged(const RereadSource& s) {
  if (!s.plain || s.size < 0) return;
  RereadSource now = s;
  stamp_source(now);
  if (now.size != s.size || now.mtime_ns != s.mtime_ns) {
    throw Error("input '" + s.display +
                "' changed while dupscan was running; run again on a stable copy");
  }
}

struct Flusher {
  FetchedBatch batch;
  std::size_t batch_bytes;
  const std::function<void(FetchedBatch&)>& consume;
  void maybe_flush(bool force) {
    if (batch.items.empty()) return;
    if (!force && batch.data.size() < batch_bytes) return;
    batch.data.resize(batch.data.size() + io::kPadding);
    consume(batch);
    batch.data.clear();
    batch.items.clear();
  }
};

void fetch_plain(const RereadSource& s, const std::vector<Locator>& loc, const std::uint32_t* docs,
                 std::size_t n, Flusher& out) {
  check_unchanged(s);
  const int fd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io::throw_errno("open input", s.display);
  try {
    std::size_t i = 0;
    while (i < n) {
      check_interrupt();
      // One span: docs[i, j) read with a single pread.
      const std::uint64_t begin = loc[docs[i]].offset;
      std::uint64_t end = begin + loc[docs[i]].length;
      std::size_t j = i + 1;
      while (j < n && loc[docs[j]].offset <= end + kCoalesceGap &&
             loc[docs[j]].offset + loc[docs[j]].length - begin <= out.batch_bytes) {
        end = loc[docs[j]].offset + loc[docs[j]].length;
        ++j;
      }
      const std::size_t base = out.batch.data.size();
      out.batch.data.resize(base + (end - begin));
      io::pread_exact(fd, s.display, out.batch.data.data() + base, end - begin, begin);
      for (std::size_t k = i; k < j; ++k) {
        const Locator& l = loc[docs[k]];
        out.batch.items.push_back({docs[k], base + (l.offset - begin), l.length});
      }
      i = j;
      out.maybe_flush(false);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

void fetch_stream(const RereadSource& s, const std::vector<Locator>& loc, const std::uint32_t* docs,
                  std::size_t n, Flusher& out) {
  auto src = io::open_source(s.path);
  io::LineReader reader(*src, nullptr, {}, s.max_line);
  io::RawBatch raw;
  std::size_t i = 0;
  while (i < n && reader.next(raw, std::size_t{4} << 20)) {
    check_interrupt();
    for (const io::LineRef& l : raw.lines) {
      if (i == n) break;
      const Locator& want = loc[docs[i]];
      if (l.stream_offset < want.offset) continue;
      if (l.stream_offset != want.offset || l.length != want.length) {
        throw Error("input '" + s.display +
                    "' changed while dupscan was running; run again on a stable copy");
      }
      const std::size_t base = out.batch.data.size();
      out.batch.data.insert(out.batch.data.end(), raw.data.data() + l.begin,
                            raw.data.data() + l.begin + l.length);
      out.batch.items.push_back({docs[i], base, want.length});
      ++i;
      out.maybe_flush(false);
    }
  }
  if (i != n) {
    throw Error("input '" + s.display +
                "' changed while dupscan was running; run again on a stable copy");
  }
}

[[noreturn]] void throw_changed(const RereadSource& s) {
  throw Error("input '" + s.display +
              "' changed while dupscan was running; run again on a stable copy");
}

// reread_lines of source `input`, whose documents are those `docs` hands out next.
void reread_source_lines(
    const RereadSource& s, std::uint32_t input, DocCursor& docs, std::size_t batch_bytes,
    const std::function<void(const io::RawBatch&, const std::vector<std::uint32_t>&)>& consume) {
  check_unchanged(s);
  auto src = io::open_source(s.path);
  io::LineReader reader(*src);
  io::RawBatch raw;
  std::vector<std::uint32_t> line_docs;
  const Locator* next = docs.peek();
  while (reader.next(raw, batch_bytes)) {
    check_interrupt();
    raw.input = input;
    line_docs.assign(raw.lines.size(), kNotADocument);
    for (std::size_t k = 0; k < raw.lines.size(); ++k) {
      const io::LineRef& l = raw.lines[k];
      if (!next || next->input != input || l.stream_offset < next->offset) continue;
      if (l.stream_offset != next->offset || l.length != next->length) throw_changed(s);
      line_docs[k] = docs.doc();
      docs.advance();
      next = docs.peek();
    }
    consume(raw, line_docs);
  }
  if (next && next->input == input) throw_changed(s);
}

// The documents docs[0, n) of `locators`.
class DocList : public DocCursor {
 public:
  DocList(const std::vector<Locator>& locators, const std::vector<std::uint32_t>& docs)
      : loc_(locators), docs_(docs) {}
  const Locator* peek() override { return i_ < docs_.size() ? &loc_[docs_[i_]] : nullptr; }
  std::uint32_t doc() const override { return docs_[i_]; }
  void advance() override { ++i_; }

 private:
  const std::vector<Locator>& loc_;
  const std::vector<std::uint32_t>& docs_;
  std::size_t i_ = 0;
};

}  // namespace

void reread_lines(
    const std::vector<RereadSource>& sources, std::uint32_t first_source, std::uint32_t end_source,
    DocCursor& docs, std::size_t batch_bytes,
    const std::function<void(const io::RawBatch&, const std::vector<std::uint32_t>&)>& consume) {
  for (std::uint32_t input = first_source; input < end_source; ++input)
    reread_source_lines(sources[input], input, docs, batch_bytes, consume);
  const Locator* left = docs.peek();
  if (left && left->input < end_source) {
    throw Error("internal error: documents of no input read again");
  }
}

void reread_lines(
    const std::vector<RereadSource>& sources, std::uint32_t first_source, std::uint32_t end_source,
    const std::vector<Locator>& locators, const std::vector<std::uint32_t>& docs,
    std::size_t batch_bytes,
    const std::function<void(const io::RawBatch&, const std::vector<std::uint32_t>&)>& consume) {
  DocList list(locators, docs);
  reread_lines(sources, first_source, end_source, list, batch_bytes, consume);
  if (list.peek()) throw Error("internal error: documents of no input read again");
}

void stamp_source(RereadSource& source) {
  struct stat st {};
  if (!source.plain || ::stat(source.path.c_str(), &st) != 0) return;
  source.size = st.st_size;
  source.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

void refetch_source(const RereadSource& source, const std::vector<Locator>& locators,
                    const std::uint32_t* docs, std::size_t n, std::size_t batch_bytes,
                    const std::function<void(FetchedBatch&)>& consume) {
  Flusher out{{}, batch_bytes, consume};
  if (source.plain) {
    fetch_plain(source, locators, docs, n, out);
  } else {
    fetch_stream(source, locators, docs, n, out);
  }
  out.maybe_flush(true);
}

void refetch(const std::vector<RereadSource>& sources, const std::vector<Locator>& locators,
             const std::vector<std::uint32_t>& docs, std::size_t batch_bytes,
             const std::function<void(FetchedBatch&)>& consume) {
  Flusher out{{}, batch_bytes, consume};
  std::size_t i = 0;
  while (i < docs.size()) {
    const std::uint32_t input = locators[docs[i]].input;
    std::size_t j = i;
    while (j < docs.size() && locators[docs[j]].input == input)
      ++j;
    const RereadSource& s = sources[input];
    if (s.plain) {
      fetch_plain(s, locators, docs.data() + i, j - i, out);
    } else {
      fetch_stream(s, locators, docs.data() + i, j - i, out);
    }
    i = j;
  }
  out.maybe_flush(true);
}

}  // namespace dupscan
