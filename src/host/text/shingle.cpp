#include "dupscan/shingle.hpp"

#include <charconv>

#include "dupscan/errors.hpp"

namespace dupscan {

std::string ShingleSpec::to_string() const {
  return std::string(kind == ShingleKind::word ? "word:" : "char:") + std::to_string(n);
}

ShingleSpec ShingleSpec::parse(std::string_view text) {
  const std::string msg =
      "--shingle must be word:N or char:N with N in [1, 1024], got '" + std::string(text) + "'";
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) throw UsageError(msg);
  ShingleSpec s;
  const std::string_view kind = text.substr(0, colon);
  if (kind == "word") {
    s.kind = ShingleKind::word;
  } else if (kind == "char") {
    s.kind = ShingleKind::character;
  } else {
    throw UsageError(msg);
  }
  const std::string_view num = text.substr(colon + 1);
  std::uint32_t n = 0;
  const auto r = std::from_chars(num.data(), num.data() + num.size(), n);
  if (r.ec != std::errc() || r.ptr != num.data() + num.size() || n < 1 || n > 1024) {
    throw UsageError(msg);
  }
  s.n = n;
  return s;
}

}  // namespace dupscan
