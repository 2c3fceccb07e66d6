/**
 * @file janitor.hpp
 * @brief lm-eval's Janitor normalization of a text into words (contam.hpp uses it on every
 * benchmark example and training document), with where each word came from.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dupscan {

/// Words of a text under the Janitor normalization, with where each came from.
struct JanitorWords {
  std::string text;                               ///< the normalized words joined by single spaces
  std::vector<std::uint32_t> start;               ///< start of each word in `text`
  std::vector<std::uint32_t> raw_begin, raw_end;  ///< its whitespace-delimited token in the input

  std::size_t size() const { return start.size(); }
  /// Bytes of words [i, i + n) in `text`, with their separating spaces.
  std::string_view span(std::size_t i, std::size_t n) const {
    const std::size_t end = i + n < start.size() ? start[i + n] - 1 : text.size();
    return std::string_view(text).substr(start[i], end - start[i]);
  }
};

/// @brief Janitor-normalizes `raw` (valid UTF-8, < 4 GiB) into `out`.
void janitor_words(std::string_view raw, JanitorWords& out);

}  // namespace dupscan
