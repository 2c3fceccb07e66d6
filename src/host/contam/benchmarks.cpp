#include "contam/benchmarks.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/pipeline.hpp"
#include "io/record.hpp"

namespace dupscan::contam {
namespace {

// A benchmark given as bytes (EvalSpec::data), read by the same line reader as a file: the same
// lines, so the same examples and the same raw lines in clean/NAME.jsonl.
class BytesSource final : public io::ByteSource {
 public:
  explicit BytesSource(const std::string& bytes) : bytes_(bytes) {}
  std::size_t read(char* buf, std::size_t n) override {
    n = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const char* compression() const override { return "none"; }
  std::uint64_t raw_bytes() const override { return pos_; }
  std::string raw_checksum() const override {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits(bytes_.data(), pos_)));
    return hex;
  }

 private:
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

// A benchmark record that cannot be used, as an error message: what is wrong and what to do.
std::string eval_problem(const BadRecord& b, const EvalSpec& spec) {
  switch (b.reason) {
    case SkipReason::invalid_utf8:
      return "invalid UTF-8 in a benchmark record";
    case SkipReason::malformed_json:
      return "malformed JSON in a benchmark record" +
             std::string(b.plain_text
                             ? "; this looks like plain text: benchmarks are read as JSON Lines, "
                               "one object per line"
                             : "");
    case SkipReason::not_an_object:
      return "a benchmark record is JSON but not an object";
    case SkipReason::missing_text_field:
    case SkipReason::text_not_string: {
      std::string m = "benchmark record without a string field \"" + b.field + "\"";
      if (!b.fields.empty()) m += "; records have fields: " + b.fields;
      if (!b.suggestion.empty()) {
        m += "; use --eval " + spec.name + "=" + spec.shown() + ":" + b.suggestion;
      }
      return m;
    }
    case SkipReason::record_too_large:
      break;
  }
  return b.detail + " in a benchmark record";
}

}  // namespace

Benchmarks load_benchmarks(const ContamConfig& cfg) {
  Benchmarks out;
  for (std::uint32_t b = 0; b < cfg.evals.size(); ++b) {
    const EvalSpec& spec = cfg.evals[b];
    BenchmarkSummary sum;
    sum.name = spec.name;
    sum.path = spec.shown();
    sum.fields = spec.field_label();
    // The shared record parser: fields joined by '\n' as they always were here.
    RecordParser parser(spec.field_label(), cfg.eval_id_field);
    std::unique_ptr<io::ByteSource> src;
    if (spec.data) {
      src = std::make_unique<BytesSource>(*spec.data);
    } else {
      src = io::open_source(spec.path);
    }
    io::LineReader reader(*src);
    io::RawBatch batch;
    std::string_view text;
    std::string id, detail;
    SkipReason reason{};
    while (reader.next(batch, std::size_t{4} << 20)) {
      for (const io::LineRef& l : batch.lines) {
        const std::string_view line = batch.line(l);
        if (is_blank(line)) continue;
        const std::string where = spec.shown() + ":" + std::to_string(l.line_no);
        if (!parser.parse(line.data(), line.size(), text, id, reason, detail)) {
          BadRecord bad;
          bad.line = l.line_no;
          bad.reason = reason;
          bad.detail = detail;
          parser.explain(line, bad);
          throw Error(where + ": " + eval_problem(bad, spec));
        }
        EvalExample ex;
        ex.bench = b;
        ex.raw_line = std::string(line);
        if (!id.empty()) {
          ex.id_json = std::move(id);
        } else {
          append_json_string(ex.id_json, spec.shown() + ":" + std::to_string(l.line_no));
        }
        janitor_words(text, ex.words);
        // Examples keep their words without slack and without input offsets (only training
        // matches need those): 100 k examples must not cost gigabytes.
        ex.words.text.shrink_to_fit();
        ex.words.start.shrink_to_fit();
        std::vector<std::uint32_t>().swap(ex.words.raw_begin);
        std::vector<std::uint32_t>().swap(ex.words.raw_end);
        ex.judged = ex.words.size() >= cfg.min_ngram;
        out.examples.push_back(std::move(ex));
        ++sum.examples;
      }
    }
    // A benchmark with nothing in it would be reported clean.
    if (sum.examples == 0) {
      throw Error("'" + spec.shown() + "' (--eval " + spec.name +
                  "): no benchmark example read: the file is empty or has only blank lines");
    }
    out.summaries.push_back(sum);
  }
  return out;
}

}  // namespace dupscan::contam
