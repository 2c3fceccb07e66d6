// What the report highlights, located in the original text: normalized words mapped back to the
// bytes they came from, shared shingles and n-grams as byte ranges, byte offsets as the UTF-16
// offsets the page's JavaScript indexes strings by.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/contam.hpp"
#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"

namespace dupscan::report {

/// A half-open range [begin, end) of byte offsets (or, after to_utf16, UTF-16 offsets).
struct Range {
  std::uint32_t begin = 0, end = 0;
  bool operator==(const Range& o) const { return begin == o.begin && end == o.end; }
};

/// Sorts ranges and merges those that overlap or touch; empty ranges go.
void merge_ranges(std::vector<Range>& ranges);

/**
 * The normalized text (normalize.hpp) of an original text, with the original bytes each of its
 * bytes came from: a letter's bytes map to its code point in the original; the single space
 * between two words maps to the whole run of separators (and deleted characters) between them.
 */
struct MappedText {
  std::string norm;
  std::vector<std::uint32_t> from, to;  ///< per byte of norm: [from, to) in the original
  /// True when `norm` is exactly normalize(original) -- the mapping is built here from the
  /// specification's per-code-point rules and checked against the library's normalizer; when
  /// they differ (ill-formed UTF-8, which JSON text never holds), highlights are not shown.
  bool exact = false;
};

/// @brief Normalizes `text` as normalize() does, keeping where every output byte came from.
MappedText normalize_mapped(std::string_view text, const NormalizeOptions& options);

/// What two documents share: the original byte ranges of each covered by a shingle that occurs in
/// the other, and the sizes of their shingle sets (shingles compared as strings).
struct SharedShingles {
  std::vector<Range> a, b;
  std::size_t a_set = 0, b_set = 0, shared = 0;
  /// The Jaccard similarity of the two shingle sets (0 when both are empty).
  double jaccard() const {
    const std::size_t uni = a_set + b_set - shared;
    return uni ? static_cast<double>(shared) / static_cast<double>(uni) : 0.0;
  }
};

/// @brief Shared shingles of two mapped texts under `shingle` (shingle.hpp's enumeration).
SharedShingles shared_shingles(const MappedText& a, const MappedText& b,
                               const ShingleSpec& shingle);

/// Byte ranges in a Janitor-normalized text's input covered by its words [first, first + count).
Range janitor_range(const JanitorWords& w, std::size_t first, std::size_t count);

/// @brief Bytes of the first `max_chars` code points of `text` (all of it when shorter).
std::size_t prefix_bytes(std::string_view text, std::size_t max_chars);

/// @brief Code points of `text` (UTF-8 lead bytes).
std::size_t count_chars(std::string_view text);

/// @brief UTF-16 length of a UTF-8 text (what JavaScript's String.length says).
std::uint32_t utf16_length(std::string_view text);

/**
 * @brief Clips sorted, disjoint byte ranges of `text` to [0, text.size()), snaps them to code
 * point boundaries and rewrites them as UTF-16 offsets of the same text.
 */
void to_utf16(std::string_view text, std::vector<Range>& ranges);

}  // namespace dupscan::report
