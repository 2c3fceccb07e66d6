// Reading chosen records again after pass 1, by their location: pread for plain files (nearby
// records coalesced into one read), a forward scan for compressed ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "io/io.hpp"

namespace dupscan {

/// Where a record is. Line files: input index, offset of its first byte in the decompressed
/// stream, length (without '\n') and 1-based line number. Columnar inputs (Parquet files, tables
/// in memory; documents.hpp): offset and line both hold the record's 0-based row number in its
/// input, and length is its text's length in bytes (the joined text for several text fields).
struct Locator {
  std::uint64_t offset = 0;
  std::uint64_t line = 0;
  std::uint32_t input = 0;
  std::uint32_t length = 0;
};

struct FetchedBatch {
  struct Item {
    std::uint32_t doc;
    std::uint64_t begin;  // offset in data
    std::uint32_t length;
  };
  std::vector<char> data;  // followed by at least io::kPadding readable bytes
  std::vector<Item> items;

  std::string_view record(const Item& it) const { return {data.data() + it.begin, it.length}; }
};

/// How to read input i again: its path (a spool file for stdin) and whether pread can address it.
struct RereadSource {
  std::string path;        // what to open
  std::string display;     // what to call it in messages
  bool plain = false;      // uncompressed regular file: pread by offset
  std::int64_t size = -1;  // st_size when pass 1 opened it (plain files), to detect changes
  std::int64_t mtime_ns = -1;
  /// Lines longer than this were skipped in pass 1 (never wanted): they are skipped unread again.
  std::uint64_t max_line = UINT64_MAX;
};

/// Bytes of records read again per batch (verification, the deduplicated copy): large enough that
/// nearby records coalesce into few reads, small enough to hold a batch per run.
constexpr std::size_t kRefetchBytes = std::size_t{16} << 20;

/**
 * @brief Reads the records of `docs` (ascending doc indices, hence ascending locations) and hands
 * them to `consume` in batches of about batch_bytes, in order.
 * @throw Error if an input changed since pass 1 or cannot be read.
 */
void refetch(const std::vector<RereadSource>& sources, const std::vector<Locator>& locators,
             const std::vector<std::uint32_t>& docs, std::size_t batch_bytes,
             const std::function<void(FetchedBatch&)>& consume);

/// refetch of documents docs[0, n) that are all in one input, `source`.
void refetch_source(const RereadSource& source, const std::vector<Locator>& locators,
                    const std::uint32_t* docs, std::size_t n, std::size_t batch_bytes,
                    const std::function<void(FetchedBatch&)>& consume);

/// In reread_lines: a line that is none of the documents (a blank line, a skipped record).
constexpr std::uint32_t kNotADocument = UINT32_MAX;

/**
 * @brief Reads every line of sources [first_source, end_source) again, in order, and hands
 * them to `consume` in batches of about batch_bytes, with the document of each line
 * (line_docs[k] for batch.lines[k]): one of `docs`, or kNotADocument for the lines pass 1 did not
 * take (blank lines, skipped records). The outputs that copy an input (--write-deduped,
 * --write-decontaminated) walk its lines this way, so that a record they cannot read is copied
 * through rather than lost. `docs`: ascending, every document of those sources.
 * @throw Error if an input changed since pass 1 (a document's line is not where its locator
 * says) or cannot be read.
 */
void reread_lines(const std::vector<RereadSource>& sources, std::uint32_t first_source,
                  std::uint32_t end_source, const std::vector<Locator>& locators,
                  const std::vector<std::uint32_t>& docs, std::size_t batch_bytes,
                  const std::function<void(const io::RawBatch& batch,
                                           const std::vector<std::uint32_t>& line_docs)>& consume);

/// The documents reread_lines walks to, in order of their locations: each its number (what
/// line_docs holds for its line) and its Locator. A list of them in memory, or a file of Locators
/// read back in pieces (contam's --memory spill).
class DocCursor {
 public:
  virtual ~DocCursor() = default;
  /// The next document's Locator, not taken yet; null at the end. Valid until advance().
  virtual const Locator* peek() = 0;
  /// The next document's number.
  virtual std::uint32_t doc() const = 0;
  /// Takes the next document.
  virtual void advance() = 0;
};

/// reread_lines of the documents `docs` hands out (every document of those sources, in order);
/// each batch's `input` is the index of the source its lines are of.
void reread_lines(const std::vector<RereadSource>& sources, std::uint32_t first_source,
                  std::uint32_t end_source, DocCursor& docs, std::size_t batch_bytes,
                  const std::function<void(const io::RawBatch& batch,
                                           const std::vector<std::uint32_t>& line_docs)>& consume);

/// Fills size and mtime of a plain source from stat(); leaves them -1 otherwise.
void stamp_source(RereadSource& source);

}  // namespace dupscan
