// `--eval` specifications and the checks of a contam configuration.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "dupscan/choices.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "io/record.hpp"

namespace dupscan {

EvalSpec EvalSpec::parse(std::string_view arg) {
  const std::string usage =
      "--eval must be NAME=PATH[:FIELD[+FIELD...]], got '" + std::string(arg) + "'";
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) throw UsageError(usage);
  EvalSpec s;
  s.name = std::string(arg.substr(0, eq));
  for (char c : s.name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      throw UsageError(
          "--eval NAME may hold letters, digits, '_', '-' and '.' (it names "
          "clean/NAME.jsonl), got '" +
          s.name + "'");
    }
  }
  std::string_view rest = arg.substr(eq + 1);
  const auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && rest.substr(colon).find('/') == std::string_view::npos) {
    s.fields = FieldSpec::split(rest.substr(colon + 1), usage);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) throw UsageError(usage);
  s.path = std::string(rest);
  return s;
}

std::string EvalSpec::field_label() const {
  std::string l;
  for (const auto& f : fields)
    l += (l.empty() ? "" : "+") + f;
  return l;
}

void ContamConfig::set_coverage_threshold(const std::string& option, std::string_view value) {
  const std::string usage =
      option + " must be F or NAME=F (F a share in (0, 1]), got '" + std::string(value) + "'";
  const auto eq = value.find('=');
  const std::string num(eq == std::string_view::npos ? value : value.substr(eq + 1));
  char* end = nullptr;
  const double f = num.empty() ? 0 : std::strtod(num.c_str(), &end);
  if (num.empty() || *end != '\0') throw UsageError(usage);
  const bool clean = option == "--coverage-clean";
  if (eq == std::string_view::npos) {
    (clean ? clean_below : dirty_at) = f;
    return;
  }
  const std::string_view name = value.substr(0, eq);
  for (EvalSpec& e : evals) {
    if (e.name == name) {
      (clean ? e.clean_below : e.dirty_at) = f;
      return;
    }
  }
  throw UsageError(option + " " + std::string(value) + ": no --eval is named '" +
                   std::string(name) + "'");
}

void ContamConfig::validate() const {
  expects_usage(!train.empty() || !train_tables.empty(),
                "no training input given: --train FILE...");
  expects_usage(std::count(train.begin(), train.end(), std::string("-")) <= 1,
                "stdin (-) can be given only once");
  expects_usage(!evals.empty(), "no benchmark given: --eval NAME=PATH[:FIELD]");
  expects_usage(!output_dir.empty(), "--output-dir is required");
  for (std::size_t i = 0; i < evals.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      expects_usage(evals[i].name != evals[j].name,
                    "two --eval share the name '" + evals[i].name + "'");
    }
  }
  check_memory_budget(memory);  // the benchmarks' share is checked once they are read
  expects_usage(ngram >= 1 && ngram <= 64, "--ngram must be in [1, 64]");
  expects_usage(min_ngram >= 1 && min_ngram <= ngram, "--min-ngram must be in [1, --ngram]");
  for (std::size_t b = 0; b <= evals.size(); ++b) {
    // b == evals.size(): the run's own thresholds.
    const double c = b < evals.size() ? clean_below_of(b) : clean_below;
    const double d = b < evals.size() ? dirty_at_of(b) : dirty_at;
    const std::string of = b < evals.size() ? " of benchmark '" + evals[b].name + "'" : "";
    expects_usage(c > 0 && c <= 1 && d > 0 && d <= 1,
                  "--coverage-clean and --coverage-dirty must be in (0, 1]" +
                      (of.empty() ? std::string() : " (as" + of + ")"));
    if (c > d) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "--coverage-clean (%g) must not exceed --coverage-dirty (%g)",
                    c, d);
      throw UsageError(buf + of + ": an example would be both clean and dirty");
    }
  }
  expects_usage(!text_field.empty(), "--text-field must not be empty");
  RecordParser(text_field, id_field, format);  // @throw UsageError on a malformed field path
  RecordParser("text", eval_id_field);
  expects_usage(max_record_size >= 1 && max_record_size <= UINT32_MAX,
                "--max-record-size must be between 1 byte and 4 GiB - 1 (4294967295 bytes), got " +
                    std::to_string(max_record_size));
  expects_usage(max_skipped >= 0.0 && max_skipped <= 1.0,
                "--max-skipped must be a share in [0, 1] or a percentage in [0%, 100%]");
  expects_usage(write_decontaminated.empty() || format == InputFormat::text ||
                    FieldSpec::split(text_field, "--text-field").size() == 1,
                "--write-decontaminated needs one --text-field, not several joined by '+': the "
                "cut text replaces that field");
  expects_usage(near_threshold > 0 && near_threshold <= 1, "--near-threshold must be in (0, 1]");
  expects_usage(threads <= 1024, "--threads must be in [0, 1024]");
  expect_choice("--backend", backend, backend_choices());
  expects_usage(batch_bytes >= 1, "batch_bytes must be >= 1");
}

}  // namespace dupscan
