// libFuzzer target: the normalizer on arbitrary bytes. Invariants: the output is valid UTF-8,
// words separated by single spaces with none at either end, the word count is right, and
// normalizing the output again changes nothing.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "dupscan/normalize.hpp"

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
  return 0;
}
