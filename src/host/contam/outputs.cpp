#include "contam/outputs.hpp"

#include <algorithm>

#include "dedup/report.hpp"
#include "dedup/resume.hpp"
#include "io/commit.hpp"
#include "io/json_writer.hpp"
#include "io/pipeline.hpp"
#include "io/record.hpp"
#include "sketch/canary.hpp"

namespace dupscan::contam {

void append_contamination_line(std::string& line, const ContamConfig& cfg, const EvalExample& ex,
                               const ExampleFindings& f, const Findings& findings) {
  const std::size_t w = ex.words.size();
  const double coverage = w ? static_cast<double>(f.covered_words()) / static_cast<double>(w) : 0.0;
  line += "{\"benchmark\":";
  append_json_string(line, cfg.evals[ex.bench].name);
  line += ",\"id\":" + ex.id_json + ",\"words\":" + std::to_string(w);
  line += ex.judged ? ",\"judged\":true" : ",\"judged\":false";
  line += f.dirty ? ",\"dirty\":true" : ",\"dirty\":false";
  line += ",\"coverage\":";
  append_double(line, coverage);
  line += ",\"longest_match\":" + std::to_string(f.longest_match());
  line += ",\"train_docs\":" + std::to_string(f.train_docs);
  line += ",\"matches\":[";
  const std::size_t listed = std::min<std::size_t>(f.spans.size(), cfg.max_matches);
  for (std::size_t i = 0; i < listed; ++i) {
    const Span& s = f.spans[i];
    if (i) line += ',';
    line += "{\"train_id\":" + findings.train_id(s.doc) +
            ",\"train_offset\":" + std::to_string(s.train_offset.front()) +
            ",\"eval_start\":" + std::to_string(s.eval_start) +
            ",\"eval_end\":" + std::to_string(s.eval_end) +
            ",\"ngrams\":" + std::to_string(s.ngrams()) + '}';
  }
  line +=
      "],\"more_matches\":" + std::to_string(f.spans.size() - listed) + ",\"near_duplicates\":[";
  for (std::size_t i = 0; i < f.near.size(); ++i) {
    if (i) line += ',';
    line += "{\"train_id\":" + findings.train_id(f.near[i].train_doc) + ",\"jaccard\":";
    append_double(line, f.near[i].jaccard);
    line += '}';
  }
  line += "]}\n";
}

void tally_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    std::vector<BenchmarkSummary>& sums) {
  const std::vector<std::uint8_t> boilerplate = findings.boilerplate_examples();
  for (std::size_t e = 0; e < benchmarks.examples.size(); ++e) {
    const EvalExample& ex = benchmarks.examples[e];
    const ExampleFindings& f = findings.example(e);
    BenchmarkSummary& sum = sums[ex.bench];
    const std::size_t w = ex.words.size();
    const double coverage =
        w ? static_cast<double>(f.covered_words()) / static_cast<double>(w) : 0.0;
    if (ex.judged) {
      ++sum.judged;
      if (coverage < cfg.clean_below_of(ex.bench))
        ++sum.llama_clean;
      else
        ++sum.llama_not_clean;
      if (coverage < cfg.dirty_at_of(ex.bench))
        ++sum.llama_not_dirty;
      else
        ++sum.llama_dirty;
    } else {
      ++sum.too_short;
    }
    if (f.dirty) {
      ++sum.dirty;
      sum.boilerplate_dirty += boilerplate[e];
    } else {
      ++sum.clean;
    }
    if (!f.near.empty()) ++sum.near_duplicate_examples;
  }
}

void write_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    const io::Sink& contamination, const std::vector<io::Sink>& clean) {
  std::string line;
  for (std::size_t e = 0; e < benchmarks.examples.size(); ++e) {
    const EvalExample& ex = benchmarks.examples[e];
    const ExampleFindings& f = findings.example(e);
    if (!f.dirty) {
      clean[ex.bench](ex.raw_line);
      clean[ex.bench]("\n");
    }
    line.clear();
    append_contamination_line(line, cfg, ex, f, findings);
    contamination(line);
  }
}

void write_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    io::AtomicFile& contamination,
                    std::vector<std::unique_ptr<io::AtomicFile>>& clean) {
  std::vector<io::Sink> to_clean;
  for (auto& c : clean)
    to_clean.push_back([&c](std::string_view s) { c->write(s); });
  write_examples(
      cfg, benchmarks, findings, [&](std::string_view s) { contamination.write(s); }, to_clean);
}

void warn_boilerplate(const ContamConfig& cfg, const std::vector<BenchmarkSummary>& sums,
                      const std::function<void(const std::string&)>& warning) {
  if (cfg.write_decontaminated.empty() || !warning) return;
  for (const BenchmarkSummary& b : sums) {
    if (b.boilerplate_dirty == 0) continue;
    warning(b.name + ": " + std::to_string(b.boilerplate_dirty) + " of " + std::to_string(b.dirty) +
            " dirty example" + (b.dirty == 1 ? "" : "s") + " matched n-grams found in more than " +
            std::to_string(cfg.max_train_docs) +
            " training documents, which count as boilerplate and are not cut from " +
            cfg.write_decontaminated +
            " (a benchmark copied that often is not boilerplate: --boilerplate-docs 0 cuts "
            "them)");
  }
}

// Long: report.json's fields, one writer call each, in the file's order.
std::string report_json(const ContamConfig& cfg, const ContamResult& res) {
  JsonWriter w(2);
  w.begin_object();
  w.field("dupscan_version", version());
  w.field("command", "contam");
  w.key("parameters").begin_object();
  w.field("ngram", cfg.ngram);
  w.field("min_ngram", cfg.min_ngram);
  w.field("normalization",
          "lm-eval Janitor: ASCII lowercase, ASCII punctuation deleted, "
          "split on whitespace");
  w.field("coverage_clean_below", cfg.clean_below);
  w.field("coverage_dirty_at", cfg.dirty_at);
  w.field("max_matches", cfg.max_matches);
  w.field("max_train_docs", cfg.max_train_docs);
  w.field("near", cfg.near);
  w.field("near_threshold", cfg.near_threshold);
  w.field("format", input_format_name(cfg.format));
  w.field("text_field", cfg.text_field);
  w.field("id_field", cfg.id_field);
  w.field("eval_id_field", cfg.eval_id_field);
  w.field("max_skipped", cfg.max_skipped);
  if (!cfg.write_decontaminated.empty()) {
    w.field("window", cfg.window);
    w.field("min_piece", cfg.min_piece);
    w.field("max_cuts", cfg.max_cuts);
  }
  w.end_object();
  canary::write_backend_json(w, res.backend, res.backend_asked, res.canary);
  w.field("threads", res.threads);
  w.field("ranks", res.ranks);
  w.key("benchmarks").begin_array();
  for (std::size_t i = 0; i < res.benchmarks.size(); ++i) {
    const BenchmarkSummary& b = res.benchmarks[i];
    w.begin_object();
    w.field("name", b.name);
    w.field("path", b.path);
    w.field("fields", b.fields);
    w.field("total", b.examples);
    w.field("judged", b.judged);
    w.field("too_short", b.too_short);
    w.field("dirty", b.dirty);
    w.field("clean", b.clean);
    w.field("dirty_pct", b.examples ? 100.0 * static_cast<double>(b.dirty) / b.examples : 0.0);
    w.field("dirty_pct_of_judged",
            b.judged ? 100.0 * static_cast<double>(b.dirty) / b.judged : 0.0);
    w.field("coverage_clean_below", cfg.clean_below_of(i));
    w.field("coverage_dirty_at", cfg.dirty_at_of(i));
    w.key("llama2_coverage").begin_object();
    w.field("clean", b.llama_clean);
    w.field("not_clean", b.llama_not_clean);
    w.field("not_dirty", b.llama_not_dirty);
    w.field("dirty", b.llama_dirty);
    w.end_object();
    w.field("near_duplicate_examples", b.near_duplicate_examples);
    w.field("boilerplate_dirty", b.boilerplate_dirty);
    w.end_object();
  }
  w.end_array();
  w.key("train").begin_object();
  w.field("documents", res.train_documents);
  w.field("text_bytes", res.train_text_bytes);
  w.field("skipped", res.train_skipped);
  w.key("skipped_by_reason").begin_object();
  for (int r = 0; r < kSkipReasonCount; ++r) {
    w.field(skip_reason_name(static_cast<SkipReason>(r)), res.skipped_by_reason[r]);
  }
  w.end_object();
  w.field("documents_matched", res.train_docs_matched);
  w.key("inputs");
  write_input_summaries(w, res.train_inputs);
  w.end_object();
  w.key("index").begin_object();
  w.field("distinct_ngrams", res.eval_ngrams);
  w.field("matches", res.matches);
  w.field("hash_hits_rejected", res.hash_hits_rejected);
  w.field("boilerplate_ngrams", res.boilerplate_ngrams);
  w.field("boilerplate_note",
          "n-grams matched in more than max_train_docs training documents: they count for "
          "dirty and coverage, and are not cut from the decontaminated corpus");
  w.end_object();
  if (!cfg.write_decontaminated.empty()) {
    w.key("decontaminated").begin_object();
    w.field("documents_cut", res.decontaminated_cut);
    w.field("documents_dropped", res.decontaminated_dropped);
    w.field("skipped_passed_through", res.skipped_passed_through);
    w.end_object();
  }
  // Whether the run kept its progress to resume from, and whether it resumed (as dedup's).
  write_resume_json(w, res.resume);
  write_memory_json(w, res.memory);
  w.key("timings_s").begin_object();
  w.field("index", res.seconds_index);
  w.field("scan", res.seconds_scan);
  w.field("write", res.seconds_write);
  w.field("total", res.seconds_total);
  w.end_object();
  w.key("outputs").begin_array();
  for (const auto& o : res.outputs)
    w.value(o);
  w.end_array();
  w.key(io::kOutputDirFilesKey).begin_array();
  for (const auto& o : res.output_dir_files)
    w.value(o);
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

}  // namespace dupscan::contam
