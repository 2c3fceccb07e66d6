// `dupscan contam`: its options (CLI11) and the per-benchmark table it prints.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "contam/engine.hpp"
#include "dupscan/choices.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/errors.hpp"
#include "progress.hpp"

namespace dupscan::cli {
namespace {

const char* kContamFooter = R"(
Finds which evaluation examples occur in the training data, the way GPT-3, lm-eval and Llama 2
measure it. Text is normalized as lm-eval's Janitor does (ASCII lowercase, ASCII punctuation
deleted, split on whitespace). An example of >= N words (--ngram, 13) is dirty when any of its
N-grams occurs in a training document; one of --min-ngram (8) to N-1 words when all of it does;
shorter ones are not judged. Coverage is the fraction of an example's words inside matched
N-grams (Llama 2's measure; its clean / not clean / not dirty / dirty subsets are reported;
--coverage-dirty NAME=F gives one benchmark its own threshold, as Llama 3 does).
Near duplicates (MinHash LSH against training windows, exact Jaccard of word 5-grams >=
--near-threshold) are reported beside the verdict, never folded into it. Every hash hit is
confirmed on the words themselves. The N-gram probe and the near filter hash words with fixed
functions of their own (the near filter is the fast sketch, OPH): contam takes no --scheme or
--shingle-hash, which choose dedup's datasketch-compatible MinHash.

--eval NAME=PATH[:FIELD]: a JSONL benchmark, the field to check (default text). FIELD1+FIELD2
checks the fields joined by a newline as one text; to judge them separately give two --eval with
different names. Eval ids come from --eval-id-field, else "<path>:<line>". A benchmark record
that cannot be used is an error (exit 1): the tables must cover every example. A bad training
record is skipped with a warning, but a training input of which no record could be used, or
more than --max-skipped of its records, fails the run (exit 1) saying which fields it has.
Training inputs are JSON Lines or Parquet files (benchmarks are JSON Lines); --format text reads
the training inputs as plain text, one document per line.

Outputs in --output-dir (temporary files renamed into place when the run succeeded):
  contamination.jsonl  per example: {"benchmark", "id", "words", "judged", "dirty", "coverage",
                       "longest_match", "train_docs", "matches": [{"train_id", "train_offset",
                       "eval_start", "eval_end", "ngrams"}], "more_matches",
                       "near_duplicates": [{"train_id", "jaccard"}]}
                       matches are spans: example words [eval_start, eval_end) found word for
                       word in one training document (from byte train_offset of its text), each
                       word in the first span that found it (documents in input order): spans
                       never overlap and cover exactly the matched words; longest_match is the
                       longest run of matched words (ConTAM), train_docs the documents matched
  clean/NAME.jsonl     the examples not dirty (too-short ones included), lines as read
  report.json          per benchmark: total, judged, too short, dirty, clean, dirty %, coverage
                       subsets; the training inputs; parameters; timings
With --write-decontaminated FILE, the training corpus minus every matched N-gram and --window
characters each side (lm-eval's Janitor); pieces of --min-piece characters or fewer are dropped,
documents with more than --max-cuts matches dropped whole; N-grams matched in more than
--max-train-docs documents are boilerplate and not cut. removed.jsonl says what went. Parquet
training rows are cut as their JSON objects (every column needs a JSON form), as a JSON Lines
file of the same records would be.

Long runs: the scan of the training data keeps what each finished training input file matched
in a work directory (--work-dir, default DIR/.dupscan-work). After a crash, a kill or a
preempted node, run the same command again: it says "resuming: N of M inputs already read",
reads only the rest, and writes the same outputs an uninterrupted run would. A change of
training inputs (size, mtime), benchmarks, options or dupscan version is refused, naming what
changed; --restart discards the interrupted run. The directory is removed when the run
succeeds. Runs that read stdin or a pipe do not resume. --write-decontaminated keeps every
training document's location (24 B) to read the corpus again: a run that can resume writes
them to its work directory at the end of each input, and with --memory SIZE those past a share
of SIZE go to a file (the work directory's, else one under --tmp-dir, default DIR) and are read
back in pieces, so that the resident set stays near SIZE (report.json's "memory" says what was
spilled).

Exit status: 0 success, 1 failure, 2 usage error, 130 interrupted.

Examples:
  dupscan contam --train data/*.jsonl.zst --eval gsm8k=gsm8k_test.jsonl:question -o contam/
  dupscan contam --train web.jsonl --eval he=humaneval.jsonl:prompt --eval-id-field task_id \
      --eval mmlu=mmlu.jsonl:question+answer -o contam/ --write-decontaminated web.clean.jsonl
)";

struct ContamArgs {
  ContamConfig cfg;
  std::vector<std::string> evals, coverage_clean, coverage_dirty;
  std::string format = "jsonl", max_skipped = "10%", gpu_memory = "0", max_record_size = "1G";
  std::string memory = "0";
  bool no_near = false, quiet = false, no_progress = false, html = false, force = false;
  double progress_interval = 30;  ///< seconds between progress lines when stderr is no terminal
  CLI::Option* id_option = nullptr;
};

// "cov<20%": the Llama 2 subsets as the options set them.
std::string coverage_header(const char* op, double share) {
  char b[32];
  std::snprintf(b, sizeof b, "cov%s%g%%", op, 100.0 * share);
  return b;
}

// True when some benchmark has coverage thresholds of its own.
bool own_thresholds(const ContamConfig& cfg) {
  for (std::size_t b = 0; b < cfg.evals.size(); ++b) {
    if (cfg.clean_below_of(b) != cfg.clean_below || cfg.dirty_at_of(b) != cfg.dirty_at) return true;
  }
  return false;
}

// Long: the summary's table and the lines under it, one fprintf each, in printed order.
void print_table(std::FILE* out, const ContamConfig& cfg, const ContamResult& r) {
  const bool own = own_thresholds(cfg);
  const std::string ranks = r.ranks > 1 ? std::to_string(r.ranks) + " ranks x " : "";
  std::fprintf(out,
               "dupscan contam: %s training documents (%s of text) in %.2f s, %s/s [%s, %s%u "
               "thread%s]; N=%u, min %u\n",
               group_digits(r.train_documents).c_str(),
               human_bytes(static_cast<double>(r.train_text_bytes)).c_str(), r.seconds_total,
               human_bytes(r.seconds_scan > 0 ? r.train_text_bytes / r.seconds_scan : 0).c_str(),
               r.backend.c_str(), ranks.c_str(), r.threads, r.threads == 1 ? "" : "s", cfg.ngram,
               cfg.min_ngram);
  std::fprintf(out, "  %-14s %7s %7s %9s %7s %7s %7s | %8s %9s %9s %7s | %5s\n", "benchmark",
               "total", "judged", "too short", "dirty", "clean", "dirty%",
               own ? "clean" : coverage_header("<", cfg.clean_below).c_str(),
               own ? "not clean" : coverage_header(">=", cfg.clean_below).c_str(),
               own ? "not dirty" : coverage_header("<", cfg.dirty_at).c_str(),
               own ? "dirty" : coverage_header(">=", cfg.dirty_at).c_str(), "near");
  for (const BenchmarkSummary& b : r.benchmarks) {
    std::fprintf(
        out, "  %-14s %7llu %7llu %9llu %7llu %7llu %6.2f%% | %8llu %9llu %9llu %7llu | %5llu\n",
        b.name.c_str(), static_cast<unsigned long long>(b.examples),
        static_cast<unsigned long long>(b.judged), static_cast<unsigned long long>(b.too_short),
        static_cast<unsigned long long>(b.dirty), static_cast<unsigned long long>(b.clean),
        b.examples ? 100.0 * static_cast<double>(b.dirty) / b.examples : 0.0,
        static_cast<unsigned long long>(b.llama_clean),
        static_cast<unsigned long long>(b.llama_not_clean),
        static_cast<unsigned long long>(b.llama_not_dirty),
        static_cast<unsigned long long>(b.llama_dirty),
        static_cast<unsigned long long>(b.near_duplicate_examples));
  }
  // Each example is in two of the four: they are Llama 2's subsets, not a partition.
  std::fprintf(out,
               "  (coverage columns: Llama 2's subsets, which overlap: %s within %s, %s within "
               "%s)\n",
               own ? "clean" : coverage_header("<", cfg.clean_below).c_str(),
               own ? "not dirty" : coverage_header("<", cfg.dirty_at).c_str(),
               own ? "dirty" : coverage_header(">=", cfg.dirty_at).c_str(),
               own ? "not clean" : coverage_header(">=", cfg.clean_below).c_str());
  if (own) {
    std::fprintf(out, "  coverage subsets:");
    for (std::size_t b = 0; b < cfg.evals.size(); ++b) {
      std::fprintf(out, "%s %s clean %s, dirty %s", b ? ";" : "", cfg.evals[b].name.c_str(),
                   coverage_header("<", cfg.clean_below_of(b)).c_str() + 3,
                   coverage_header(">=", cfg.dirty_at_of(b)).c_str() + 3);
    }
    std::fprintf(out, "\n");
  }
  if (r.train_skipped) {
    std::fprintf(out, "  skipped training records: %s (bad lines; reasons in report.json)\n",
                 group_digits(r.train_skipped).c_str());
  }
  if (cfg.max_train_docs == 0) {
    std::fprintf(out, "  training documents with a match: %s; boilerplate n-grams: none (off)\n",
                 group_digits(r.train_docs_matched).c_str());
  } else {
    std::fprintf(
        out, "  training documents with a match: %s; boilerplate n-grams (in > %u documents): %s\n",
        group_digits(r.train_docs_matched).c_str(), cfg.max_train_docs,
        group_digits(r.boilerplate_ngrams).c_str());
  }
  for (const BenchmarkSummary& b : r.benchmarks) {
    if (b.boilerplate_dirty == 0) continue;
    std::fprintf(out, "  %s: %s dirty examples matched boilerplate n-grams (not cut)\n",
                 b.name.c_str(), group_digits(b.boilerplate_dirty).c_str());
  }
  if (!cfg.write_decontaminated.empty()) {
    std::fprintf(out, "  decontaminated: %s documents cut, %s dropped\n",
                 group_digits(r.decontaminated_cut).c_str(),
                 group_digits(r.decontaminated_dropped).c_str());
    if (r.skipped_passed_through) {
      std::fprintf(out, "  decontaminated copy: %s skipped records copied through unread\n",
                   group_digits(r.skipped_passed_through).c_str());
    }
  }
  if (r.resume.inputs_loaded > 0) {
    // The rate above counts the loaded inputs' bytes, not the time an earlier run spent on them.
    std::fprintf(out,
                 "  resumed: %u of %u training inputs loaded from %s, read by an interrupted run "
                 "(the rate above counts their bytes, not their time)\n",
                 r.resume.inputs_loaded, r.resume.inputs, r.resume.work_dir.c_str());
  }
  std::fprintf(out, "  outputs          ");
  for (const auto& o : r.outputs)
    std::fprintf(out, " %s", o.c_str());
  std::fprintf(out, "\n");
}

int run_contam_command(ContamArgs& a, const ContamRunner& runner) {
  ContamConfig cfg = a.cfg;
  cfg.output_dir = directory_option(cfg.output_dir);
  // The default "id" is used where present; a field named on purpose must exist.
  cfg.id_field_required = a.id_option != nullptr && a.id_option->count() > 0;
  for (const auto& e : a.evals)
    cfg.evals.push_back(EvalSpec::parse(e));
  for (const auto& v : a.coverage_clean)
    cfg.set_coverage_threshold("--coverage-clean", v);
  for (const auto& v : a.coverage_dirty)
    cfg.set_coverage_threshold("--coverage-dirty", v);
  cfg.near = !a.no_near;
  cfg.format = parse_input_format(a.format);
  cfg.max_skipped = parse_share(a.max_skipped, "--max-skipped");
  cfg.gpu_memory = parse_size(a.gpu_memory, "--gpu-memory");
  cfg.memory = parse_size(a.memory, "--memory");
  cfg.max_record_size = parse_size(a.max_record_size, "--max-record-size");
  cfg.html = a.html;
  cfg.force = a.force;
  cfg.validate();
  // The page is written after the run: no input may be it (--in-place or not).
  if (a.html) {
    check_outputs_not_inputs(contam::contam_inputs(cfg),
                             {{cfg.output_dir + "/report.html", "--html"}}, false);
  }
  ProgressBar bar =
      ProgressBar::for_stderr(runner.report && !a.quiet && !a.no_progress, a.progress_interval);
  RunObserver obs = stderr_observer(bar, a.quiet);
  if (!runner.report) obs.progress = nullptr;
  if (runner.run && (!cfg.work_dir.empty() || cfg.restart)) {
    throw UsageError(
        "a distributed contam run does not resume yet: leave out --work-dir and --restart (or "
        "run dupscan contam in one process)");
  }
  const ContamResult r = runner.run ? runner.run(cfg, obs) : run_contam(cfg, obs);
  bar.finish();
  if (!a.quiet && runner.report) print_table(stderr, cfg, r);
  if (a.html && runner.report) write_html_report(cfg.output_dir, a.quiet);
  return 0;
}

}  // namespace

// Long: the command's option list, one add_option each, in --help's order.
Command add_contam_command(CLI::App& app, ContamRunner runner) {
  auto a = std::make_shared<ContamArgs>();
  CLI::App* c = app.add_subcommand(
      "contam", "Find benchmark examples that occur in training data (GPT-3 / lm-eval / Llama 2)");
  c->footer(kContamFooter + parquet_note(" as training inputs (benchmarks are JSON Lines)"));
  c->add_option("--train", a->cfg.train,
                "Training JSONL files (.jsonl, .gz, .zst), Parquet files, or -")
      ->required()
      ->type_name("INPUT");
  c->add_option("--eval", a->evals, "A benchmark: NAME=PATH[:FIELD[+FIELD]] (repeat)")
      ->required()
      ->type_name("SPEC");
  c->add_option("-o,--output-dir", a->cfg.output_dir, "Directory for the outputs (created)")
      ->required()
      ->type_name("DIR");
  c->add_option("--format", a->format,
                "Training inputs: jsonl (JSON Lines) or text (one document per line)")
      ->capture_default_str()
      ->check(CLI::IsMember(input_format_choices()))
      ->type_name("FORMAT");
  c->add_option("--text-field", a->cfg.text_field,
                "JSON field of the training text: key, a.b (nested), a+b (joined)")
      ->capture_default_str()
      ->type_name("NAME");
  a->id_option = c->add_option("--id-field", a->cfg.id_field, "JSON field of the training id")
                     ->capture_default_str()
                     ->type_name("NAME");
  c->add_option("--eval-id-field", a->cfg.eval_id_field, "JSON field of the benchmark ids")
      ->capture_default_str()
      ->type_name("NAME");
  c->add_option("--ngram", a->cfg.ngram, "N: words per matched n-gram")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--min-ngram", a->cfg.min_ngram, "Shorter examples are not judged")
      ->capture_default_str()
      ->type_name("M");
  c->add_option("--coverage-clean", a->coverage_clean,
                "Llama 2 'clean': coverage below F (0.2); NAME=F for one benchmark (repeat)")
      ->type_name("[NAME=]F");
  c->add_option("--coverage-dirty", a->coverage_dirty,
                "Llama 2 'dirty': coverage at least F (0.8); NAME=F for one benchmark, as "
                "Llama 3 (repeat)")
      ->type_name("[NAME=]F");
  c->add_option("--max-matches", a->cfg.max_matches, "Matches listed per example")
      ->capture_default_str()
      ->type_name("K");
  c->add_option("--boilerplate-docs,--max-train-docs", a->cfg.max_train_docs,
                "N-grams in more training documents are boilerplate, not cut (0 = none is)")
      ->capture_default_str()
      ->type_name("D");
  c->add_flag("--no-near", a->no_near, "Skip the near-duplicate (MinHash) search");
  c->add_option("--near-threshold", a->cfg.near_threshold, "Jaccard for a near duplicate")
      ->capture_default_str()
      ->type_name("T");
  c->add_option("--write-decontaminated", a->cfg.write_decontaminated,
                "Write the training corpus with matches cut out: JSONL (.gz/.zst) or, named "
                ".parquet, Parquet")
      ->type_name("FILE");
  c->add_option("--window", a->cfg.window, "Characters cut each side of a match")
      ->capture_default_str()
      ->type_name("C");
  c->add_option("--min-piece", a->cfg.min_piece, "Pieces this short or shorter are dropped")
      ->capture_default_str()
      ->type_name("C");
  c->add_option("--max-cuts", a->cfg.max_cuts, "Documents with more matches are dropped")
      ->capture_default_str()
      ->type_name("K");
  c->add_option("--threads", a->cfg.threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--backend", a->cfg.backend, "auto, cpu, cuda, or cuda-host (testing)")
      ->capture_default_str()
      ->envname("DUPSCAN_BACKEND")
      ->check(CLI::IsMember(backend_choices()))
      ->type_name("NAME");
  c->add_option("--gpu-memory", a->gpu_memory,
                "Device memory the CUDA backend may use (e.g. 40G; 0 = what is free)")
      ->capture_default_str()
      ->type_name("SIZE");
  c->add_flag("--strict", a->cfg.strict, "A bad training record is an error, not skipped");
  c->add_option("--max-skipped", a->max_skipped,
                "More bad records in a training input fail the run (10% or 0.1)")
      ->capture_default_str()
      ->type_name("SHARE");
  c->add_option("--max-record-size", a->max_record_size,
                "Longer training records (lines) are skipped as bad ones, unread (e.g. 1G)")
      ->capture_default_str()
      ->type_name("SIZE");
  c->add_flag("--in-place", a->cfg.in_place,
              "Let --write-decontaminated replace a training input (when the run succeeded)");
  add_tmp_dir_option(c, a->cfg.tmp_dir);
  add_memory_option(c, a->memory,
                    std::string(runner.run ? "Per rank: write the rank's" : "Write the") +
                        " training documents' locations that --write-decontaminated keeps "
                        "(24 B each) to disk past a share of SIZE",
                    "; the minimum grows with the benchmarks' indexes and --threads. The matched "
                    "documents' findings stay in memory");
  c->add_option("--work-dir", a->cfg.work_dir,
                "Where progress is kept, to resume an interrupted run by running it again "
                "(default: DIR/.dupscan-work; removed when the run succeeds)")
      ->type_name("DIR");
  c->add_flag("--restart", a->cfg.restart,
              "Discard what an interrupted run left in the work directory; start over");
  c->add_flag("!--no-resume", a->cfg.resume,
              "Keep no work directory (no resuming after a crash; saves its disk space)");
  c->add_flag("--html", a->html,
              "Also write DIR/report.html, a page of the findings (see dupscan report)");
  c->add_flag("--force", a->force,
              "Write into an output directory that holds files no dupscan run wrote (left "
              "alone)");
  c->add_flag("-q,--quiet", a->quiet, "No progress, warnings or table on stderr");
  c->add_flag("--no-progress", a->no_progress, "No progress line, on a terminal or in a log");
  c->add_option("--progress-interval", a->progress_interval,
                "When stderr is not a terminal (a batch job's log): a plain progress line every "
                "this many seconds (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");
  return {c, [a, runner] { return run_contam_command(*a, runner); }};
}

}  // namespace dupscan::cli
