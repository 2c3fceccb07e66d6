// The Janitor normalization (contam.hpp) appended to a batch of documents.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/batch_text.hpp"

namespace dupscan {

/**
 * @brief Appends the Janitor words of `raw` (valid UTF-8) to `text` as janitor_words writes them
 * (joined by single spaces, no separator before the first), each word's start in `text` to
 * `start` and its whitespace-delimited token in `raw` to raw_begin / raw_end. The batch must stay
 * below 4 GiB.
 */
void janitor_append(std::string_view raw, std::string& text, std::vector<std::uint32_t>& start,
                    std::vector<std::uint32_t>& raw_begin, std::vector<std::uint32_t>& raw_end);
/// The same, onto a batch's text (no zero-fill of the room it writes into).
void janitor_append(std::string_view raw, BatchText& text, std::vector<std::uint32_t>& start,
                    std::vector<std::uint32_t>& raw_begin, std::vector<std::uint32_t>& raw_end);

}  // namespace dupscan
