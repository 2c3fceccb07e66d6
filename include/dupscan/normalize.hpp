/**
 * @file normalize.hpp
 * @brief Text normalization: the first step of the specification (spec.hpp).
 *
 * ## Specification
 *
 * Input: any byte string, read as UTF-8. Output: the *normalized text*, valid UTF-8 made of words
 * joined by exactly one U+0020, with no leading or trailing space. Steps, per code point:
 *
 *  1. Decoding. Well-formed UTF-8 decodes as usual. Each *maximal subpart* of an ill-formed
 * sequence (Unicode 14, section 3.9, "U+FFFD substitution of maximal subparts", the practice of the
 * WHATWG encoding standard and of Python's `errors="replace"`) decodes to one U+FFFD. Overlong
 * forms, surrogates (U+D800..U+DFFF) and values above U+10FFFF are ill-formed. So any input bytes
 * give one defined output, and U+FFFD, being a symbol (So), then acts as a separator by default.
 *  2. Class, from the General Category in Unicode 14.0 (tables generated from Python's unicodedata
 * by scripts/gen_unicode_table.py):
 *       - space: Zs, Zl, Zp and Cc (so \t, \n, \r, NUL and the other controls separate words);
 *       - punct: P* and S* (punctuation and symbols);
 *       - drop:  Cf (soft hyphen, zero-width space/joiners, BOM, bidi marks) is deleted without
 *                separating: "co\u00ADop" -> "coop";
 *       - mark:  Mn, Mc, Me (combining marks) belong to the character before them: inside a word
 *                they are word characters ("cafe\u0301"), after a separator or at the start of the
 *                text they are deleted with the separator they extend (the emoji variation
 *                selector U+FE0F after a symbol does not become a word);
 *       - word:  everything else (letters, digits, private use, unassigned).
 *  3. `strip_punctuation` (default true): punct behaves as space. When false it behaves as word, so
 *     words are the runs between whitespace ("don't" stays one word) and marks after punctuation
 *     stay with it.
 *  4. `lowercase` (default true): every kept code point is replaced by its simple (1:1,
 * context-free) lowercase mapping from UnicodeData.txt: "ÀΣ" -> "àσ" (no final-sigma rule), U+0130
 * -> "i".
 *  5. Words are the maximal runs of word code points (marks included as above); the output is the
 *     words joined by one U+0020.
 *
 * No Unicode normalization form (NFC/NFKC) is applied: "é" precomposed and "e" + U+0301 stay
 * distinct.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dupscan {

/// Options of the normalizer; the defaults are dupscan's default normalization.
struct NormalizeOptions {
  bool lowercase = true;          ///< map to simple lowercase (`--keep-case` turns it off)
  bool strip_punctuation = true;  ///< punctuation and symbols separate words (`--keep-punct` off)

  /// A short stable description, e.g. "lowercase,strip-punct", for reports.
  std::string describe() const;
};

/// Character class of a code point under the normalization spec.
enum class CharClass : std::uint8_t { word = 0, space = 1, punct = 2, drop = 3, mark = 4 };

/// @brief Class of a code point (cp <= 0x10FFFF).
CharClass char_class(char32_t cp) noexcept;

/// @brief Simple lowercase mapping of a code point (cp <= 0x10FFFF).
char32_t simple_lowercase(char32_t cp) noexcept;

/// @brief Version of the Unicode tables the normalizer was generated from, e.g. "14.0.0".
const char* unicode_version() noexcept;

/**
 * @brief Normalize `text` into `out` (cleared first) following the specification above.
 * @return the number of words written.
 */
std::size_t normalize(std::string_view text, const NormalizeOptions& options, std::string& out);

/// The most bytes normalize() writes for `bytes` bytes of input: three per byte (an ill-formed
/// byte becomes U+FFFD), and some room.
constexpr std::size_t normalized_bound(std::size_t bytes) {
  return 3 * bytes + 16;
}

/**
 * @brief Normalize `text` straight into `out`, which has room for normalized_bound(text.size())
 * bytes: the same bytes normalize() gives, without its copy out of a buffer of its own. The room
 * past them may have been written too (the vector paths store whole registers).
 * @return the number of bytes of normalized text at `out`; `words`, when given, gets the words.
 */
std::size_t normalize_into(std::string_view text, const NormalizeOptions& options, char* out,
                           std::size_t* words = nullptr);

/// @brief Convenience overload returning the normalized text.
std::string normalize(std::string_view text, const NormalizeOptions& options = {});

}  // namespace dupscan
