// libFuzzer target: one JSONL record through the record parser. Invariants: a parse either gives a
// text that is valid UTF-8 (and an id that is valid JSON) or a reason; never a crash.
#include <simdjson.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/io.hpp"
#include "io/record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first byte picks the field names (nested and joined ones too), so that missing and
  // non-string fields are reached, and the format.
  const char* fields[][2] = {{"text", "id"},  {"t", "i"},         {"text", ""},  {"a", "text"},
                             {"a.b", "a.id"}, {"text+a.b", "id"}, {"a..b", "."}, {"text", "id"}};
  const auto& f = fields[size ? data[0] % 8 : 0];
  const auto format =
      size && data[0] % 8 == 7 ? dupscan::InputFormat::text : dupscan::InputFormat::jsonl;
  std::string line(reinterpret_cast<const char*>(data) + (size ? 1 : 0), size ? size - 1 : 0);
  const std::size_t len = line.size();
  line.append(dupscan::io::kPadding, '\0');
  dupscan::RecordParser parser(f[0], f[1], format);
  std::string_view text;
  std::string id, detail;
  dupscan::SkipReason reason{};
  if (parser.parse(line.data(), len, text, id, reason, detail)) {
    if (!simdjson::validate_utf8(text.data(), text.size())) std::abort();
    if (!id.empty()) {
      // The id is kept as JSON, numbers as written, and must stay valid JSON: checked through
      // NumberText, as every reader of our outputs does, since a 100-digit integer is JSON that
      // simdjson alone cannot hold.
      simdjson::dom::parser check;
      simdjson::dom::element e;
      dupscan::NumberText numbers;
      if (numbers.parse(check, id, e, true)) std::abort();
    }
  } else if (detail.empty()) {
    std::abort();
  } else {
    dupscan::BadRecord b;
    b.reason = reason;
    parser.explain(std::string_view(line.data(), len), b);  // the hint must not crash either
  }
  return 0;
}
