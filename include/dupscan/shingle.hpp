/**
 * @file shingle.hpp
 * @brief Shingles: step 3 of the specification (spec.hpp).
 *
 * Shingles are byte ranges of the *normalized* text (normalize.hpp), whose words are separated by
 * exactly one U+0020:
 *  - `word:N`: N consecutive words together with the single spaces between them. A text of W >= N
 *    words has W - N + 1 shingles, the j-th starting at the first byte of word j and ending at the
 *    last byte of word j + N - 1.
 *  - `char:N`: N consecutive code points (spaces included). A text of C >= N code points has
 *    C - N + 1 shingles.
 *  - A non-empty text with fewer than N words (code points) has exactly one shingle: the whole
 * text.
 *  - The empty text has no shingle.
 * Shingles are enumerated in order of their first byte; a repeated shingle is enumerated each time
 * it occurs (MinHash is unaffected; verification uses the set).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dupscan/spec.hpp"

namespace dupscan {

enum class ShingleKind : std::uint8_t { word, character };

/// `--shingle word:N` or `char:N`.
struct ShingleSpec {
  ShingleKind kind = ShingleKind::word;
  std::uint32_t n = 5;

  /// "word:5" or "char:9".
  std::string to_string() const;
  /// Parses "word:N" / "char:N" (1 <= N <= 1024). @throw UsageError on anything else.
  static ShingleSpec parse(std::string_view text);
};

namespace detail {
DUPSCAN_HD inline bool is_utf8_lead(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
}
}  // namespace detail

/**
 * @brief Calls f(const char* begin, std::size_t length) for every shingle of the normalized text
 * `text[0, len)`, in order. @return the number of shingles.
 */
template <class F>
DUPSCAN_HD std::size_t for_each_shingle(const char* text, std::size_t len, ShingleKind kind,
                                        std::uint32_t n, F&& f) {
  if (len == 0) return 0;
  std::size_t start = 0;  // first byte of the current shingle
  std::size_t end = 0;    // one past its last byte
  std::size_t count = 0;
  if (kind == ShingleKind::word) {
    std::uint32_t words = 0;
    for (;;) {
      while (end < len && text[end] != ' ')
        ++end;
      if (++words == n || end == len) break;
      ++end;  // the separating space
    }
    if (words < n) {
      f(text, len);
      return 1;
    }
    for (;;) {
      f(text + start, end - start);
      ++count;
      if (end == len) break;
      while (text[start] != ' ')
        ++start;
      ++start;
      ++end;
      while (end < len && text[end] != ' ')
        ++end;
    }
  } else {
    std::uint32_t chars = 0;
    while (end < len && chars < n) {
      ++end;
      while (end < len && !detail::is_utf8_lead(text[end]))
        ++end;
      ++chars;
    }
    if (chars < n) {
      f(text, len);
      return 1;
    }
    for (;;) {
      f(text + start, end - start);
      ++count;
      if (end == len) break;
      ++start;
      while (!detail::is_utf8_lead(text[start]))
        ++start;
      ++end;
      while (end < len && !detail::is_utf8_lead(text[end]))
        ++end;
    }
  }
  return count;
}

}  // namespace dupscan
