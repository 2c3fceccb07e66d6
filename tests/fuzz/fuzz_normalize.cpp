// libFuzzer target: both normalizers on arbitrary bytes. Invariants: dedup's output is valid
// UTF-8, words separated by single spaces with none at either end, the word count is right,
// normalizing the output again changes nothing, and its scalar, AVX2 and AVX-512 paths agree; the
// Janitor's words are non-empty, hold no ASCII whitespace or punctuation, come from increasing,
// disjoint input ranges, and re-normalizing their text changes nothing when the input is valid
// UTF-8.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "dupscan/contam.hpp"
#include "dupscan/normalize.hpp"
#include "text/normalize_internal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const dupscan::NormalizeOptions opt{(data[0] & 1) != 0, (data[0] & 2) != 0};
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string out;
  const std::size_t words = dupscan::normalize(in, opt, out);
  if (!simdjson::validate_utf8(out.data(), out.size())) std::abort();
  if (!out.empty() && (out.front() == ' ' || out.back() == ' ')) std::abort();
  if (out.find("  ") != std::string::npos) std::abort();
  std::size_t spaces = 0;
  for (char c : out)
    spaces += c == ' ';
  if (words != (out.empty() ? 0 : spaces + 1)) std::abort();
  if (dupscan::normalize(out, opt) != out) std::abort();
  for (const auto path : dupscan::detail::normalize_paths()) {
    std::string other;
    if (dupscan::detail::normalize_with(in, opt, other, path) != words || other != out) {
      std::abort();
    }
  }

  dupscan::JanitorWords j;
  dupscan::janitor_words(in, j);
  if (j.raw_begin.size() != j.size() || j.raw_end.size() != j.size()) std::abort();
  for (std::size_t i = 0; i < j.size(); ++i) {
    const std::string_view word = j.span(i, 1);
    if (word.empty()) std::abort();
    for (char c : word) {
      if (c == ' ' || c == '\t' || c == '\n' || c == ',' || c == '.' || (c >= 'A' && c <= 'Z')) {
        std::abort();
      }
    }
    if (j.raw_begin[i] >= j.raw_end[i] || j.raw_end[i] > in.size()) std::abort();
    if (i && j.raw_begin[i] <= j.raw_end[i - 1]) std::abort();
  }
  // Idempotent on text that is valid UTF-8 (all that JSON input can hold): with ill-formed bytes,
  // deleting punctuation between them can join them into a well-formed whitespace character
  // ("\xe2\x80@\x80" becomes U+2000), which splits the word on a second pass.
  if (simdjson::validate_utf8(in.data(), in.size())) {
    dupscan::JanitorWords again;
    dupscan::janitor_words(j.text, again);
    if (again.text != j.text) std::abort();
  }
  return 0;
}
