// The names of run.hpp's input formats and skip reasons, as the CLI and report.json use them.
#include "dupscan/choices.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/run.hpp"

namespace dupscan {

const char* skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::malformed_json:
      return "malformed_json";
    case SkipReason::not_an_object:
      return "not_an_object";
    case SkipReason::missing_text_field:
      return "missing_text_field";
    case SkipReason::text_not_string:
      return "text_not_string";
    case SkipReason::invalid_utf8:
      return "invalid_utf8";
    case SkipReason::record_too_large:
      return "record_too_large";
  }
  return "unknown";
}

const char* input_format_name(InputFormat format) {
  return format == InputFormat::text ? "text" : "jsonl";
}

Choices input_format_choices() {
  return {input_format_name(InputFormat::jsonl), input_format_name(InputFormat::text)};
}

InputFormat parse_input_format(const std::string& name) {
  expect_choice("--format", name, input_format_choices());
  return name == input_format_name(InputFormat::text) ? InputFormat::text : InputFormat::jsonl;
}

}  // namespace dupscan
