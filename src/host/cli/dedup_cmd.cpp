// `dupscan dedup`: its options (CLI11) and how its run is reported on stderr; what it shares with
// `dupscan index` (dedup_args.hpp: its raw options, resolve, the sketch and run options), and the
// option parsers commands.hpp declares.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dedup_args.hpp"
#include "dupscan/choices.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/documents.hpp"
#include "progress.hpp"

namespace dupscan::cli {
namespace {

const char* kDedupFooter = R"(
Inputs are JSON Lines, one record per line, or Parquet files; gzip and zstd files are recognised
by their content, and so is Parquet; '-' reads stdin. Each record needs a string field with the
text (--text-field; a Parquet file's column): a key, a nested path (meta.body) or fields joined by
a newline (title+body). A record without an id field gets the id "<path>:<line>" (a Parquet row
"<path>:<row>"); an --id-field given must exist. --format text reads plain text instead: one
document per line.
A bad record is skipped with a warning; an input of which no record could be used, or more than
--max-skipped of its records, fails the run (exit 1) saying which fields the records do have.
With --against, the options not given are taken from the index.

Outputs in --output-dir (written to temporary files, renamed into place when the run succeeded):
  duplicates.jsonl  one line per document to remove:
                    {"id", "duplicate_of", "cluster", "kind": "exact"|"near", "jaccard"}
  clusters.jsonl    one line per cluster of >= 2 documents: {"cluster", "kept", "members"}
  report.json       parameters, inputs (bytes, records, checksum), counts, timings, backend

Long runs: pass 1 (reading and sketching, nearly all of a run's time) keeps its results per
finished input file in a work directory (--work-dir, default DIR/.dupscan-work). After a crash,
a kill or a preempted node, run the same command again: it says "resuming: N of M inputs
already read", reads only the rest, and writes the same outputs an uninterrupted run would. A
change of inputs (size, mtime), options or dupscan version is refused, naming what changed;
--restart discards the interrupted run. The directory is removed when the run succeeds. Runs
that read stdin, a pipe or --write-signatures do not resume.

Bands x rows: by default datasketch's optimum for --threshold and --num-perm (9 x 13 for 0.8 and
128), which weighs missed pairs and extra candidates equally: it finds ~40% of pairs at exactly
Jaccard 0.8 and ~93% at 0.9. Verification makes extra candidates cheap, so for recall near the
threshold choose e.g. --lsh-weights 0.2,0.8 (12 x 10: 74% at 0.8, 99.4% at 0.9). The summary
prints the rates of the bands in use.

How it decides: text is normalized (lowercase, punctuation and symbols separate words,
whitespace collapsed); documents with equal normalized text are exact duplicates. The others are
cut into shingles (default: 5-word windows), sketched with K MinHash permutations and grouped by
LSH bands; every candidate pair is then checked by the exact Jaccard similarity of the two
documents' shingle sets against --threshold. Clusters are connected components; one document per
cluster is kept (--keep).

Signatures (--write-signatures, and the estimates of --no-verify) are datasketch's for the same
shingles, K and seed, given its hashfunc = the low 32 bits of XXH64 (seed 0) -- all 64 bits for
affine64: --scheme affine32 (the default) is MinHash(num_perm=K, seed=S) of datasketch 2.0;
--scheme legacy is datasketch before 2.0, or 2.0 with scheme="legacy" (use it to match an
existing pipeline); --scheme affine64 is scheme="affine64", with 64-bit values. To match
MinHash() as datasketch constructs it by default (no hashfunc: SHA-1, sha1_hash32, or
sha1_hash64 for affine64), use --shingle-hash sha1 (slower to hash than xxh64; uses the CPU's
SHA extensions where it has them). --sketch fast has no permutations and shingle values of its
own: --scheme and --shingle-hash are errors with it (and dupscan contam takes neither: its
n-gram probe and near filter hash words their own way). Verification compares sets of XXH64
shingle hashes whatever --shingle-hash says. Signature values are decimal JSON integers
(affine64's go up to 2^64 - 1: exact in Python, rounded above 2^53 by JavaScript's JSON.parse).

Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error, 130 interrupted.

Examples:
  dupscan dedup data/*.jsonl.zst -o out/
  dupscan dedup train.jsonl --text-field question -o out/ --threshold 0.7 --write-deduped clean.jsonl
  zcat shard.jsonl.gz | dupscan dedup - -o out/ --shingle char:9
)";

}  // namespace

DedupConfig resolve(DedupArgs& a) {
  DedupConfig cfg = a.cfg;
  cfg.output_dir = directory_option(cfg.output_dir);
  cfg.id_field_required = a.given("--id-field");  // the default "id" is used where present
  cfg.shingle = ShingleSpec::parse(a.shingle);
  cfg.verify = !a.no_verify;
  cfg.sketch = a.sketch == "fast" ? SketchKind::fast : SketchKind::compat;
  cfg.scheme = *parse_scheme(a.scheme);                    // CLI11 checked the name
  cfg.shingle_hash = *parse_shingle_hash(a.shingle_hash);  // CLI11 checked the name
  check_sketch_options(cfg.sketch, a.given("--scheme"), a.given("--shingle-hash"));
  cfg.format = parse_input_format(a.format);
  cfg.max_skipped = parse_share(a.max_skipped, "--max-skipped");
  cfg.gpu_memory = parse_size(a.gpu_memory, "--gpu-memory");
  cfg.memory = parse_size(a.memory, "--memory");
  cfg.max_record_size = parse_size(a.max_record_size, "--max-record-size");
  cfg.normalize.lowercase = !a.keep_case;
  cfg.normalize.strip_punctuation = !a.keep_punct;
  cfg.keep = a.keep == "longest" ? KeepPolicy::longest : KeepPolicy::first;
  cfg.lsh =
      lsh_option(a.given("--bands") ? std::optional<long long>(a.bands) : std::nullopt,
                 a.given("--rows") ? std::optional<long long>(a.rows) : std::nullopt, cfg.num_perm);
  {
    const std::string& w = a.lsh_weights;
    const auto comma = w.find(',');
    std::size_t used = 0;
    try {
      if (comma == std::string::npos) throw std::invalid_argument("no comma");
      cfg.lsh_fp_weight = std::stod(w.substr(0, comma), &used);
      if (used != comma) throw std::invalid_argument("junk");
      cfg.lsh_fn_weight = std::stod(w.substr(comma + 1), &used);
      if (used != w.size() - comma - 1) throw std::invalid_argument("junk");
    } catch (const std::exception&) {
      throw UsageError("--lsh-weights must be FP,FN (two numbers that sum to 1), got '" + w + "'");
    }
  }
  cfg.validate();
  return cfg;
}

namespace {

int run_dedup_command(DedupArgs& a, const DedupRunner& runner) {
  DedupConfig cfg = resolve(a);
  cfg.html = a.html;
  cfg.force = a.force;
  // One process: the options not given come from the --against index (a distributed run rejects
  // --against on its own).
  if (!cfg.against.empty() && !runner.run) {
    adopt_index_parameters(cfg, a.given_options());
    cfg.validate();
  }
  ProgressBar bar =
      ProgressBar::for_stderr(runner.report && !a.quiet && !a.no_progress, a.progress_interval);
  RunObserver obs = stderr_observer(bar, a.quiet);
  if (!runner.report) obs.progress = nullptr;
  const DedupResult r = runner.run ? runner.run(cfg, obs) : run_dedup(cfg, obs);
  bar.finish();
  if (!a.quiet && runner.report) print_summary(stderr, cfg, r);
  if (a.html && runner.report) write_html_report(cfg.output_dir, a.quiet);
  return 0;
}

}  // namespace

void add_sketch_options(CLI::App* cmd, DedupArgs& a) {
  auto& o = a.sketch_options;
  o.push_back(cmd->add_option("--format", a.format,
                              "jsonl: JSON Lines records; text: one document per line")
                  ->capture_default_str()
                  ->check(CLI::IsMember(input_format_choices()))
                  ->type_name("FORMAT"));
  o.push_back(cmd->add_option("--text-field", a.cfg.text_field,
                              "JSON field of the text: key, a.b (nested), a+b (joined)")
                  ->capture_default_str()
                  ->type_name("NAME"));
  o.push_back(cmd->add_option("--id-field", a.cfg.id_field, "JSON field holding the document id")
                  ->capture_default_str()
                  ->type_name("NAME"));
  o.push_back(
      cmd->add_option("--shingle", a.shingle, "Shingles: word:N (N words) or char:N (N characters)")
          ->capture_default_str()
          ->type_name("KIND:N"));
  o.push_back(cmd->add_option("--sketch", a.sketch,
                              "compat: datasketch's MinHash; fast: one-permutation hashing")
                  ->capture_default_str()
                  ->check(CLI::IsMember(sketch_choices()))
                  ->type_name("KIND"));
  o.push_back(cmd->add_option("--scheme", a.scheme,
                              "datasketch's scheme: affine32 (its 2.0 default), affine64, "
                              "legacy (datasketch < 2.0)")
                  ->capture_default_str()
                  ->check(CLI::IsMember(scheme_choices()))
                  ->type_name("NAME"));
  o.push_back(cmd->add_option("--shingle-hash", a.shingle_hash,
                              "Hash of each shingle (compat sketch): xxh64, or sha1 -- "
                              "datasketch's default hashfunc (MinHash() given none)")
                  ->capture_default_str()
                  ->check(CLI::IsMember(shingle_hash_choices()))
                  ->type_name("NAME"));
  o.push_back(cmd->add_option("--threshold", a.cfg.threshold,
                              "Jaccard at or above which documents are duplicates")
                  ->capture_default_str()
                  ->type_name("T"));
  o.push_back(
      cmd->add_option("--num-perm", a.cfg.num_perm, "MinHash permutations (signature size) K")
          ->capture_default_str()
          ->type_name("K"));
  o.push_back(cmd->add_option("--seed", a.cfg.seed, "Seed of the permutations (datasketch's seed)")
                  ->capture_default_str()
                  ->type_name("S"));
  o.push_back(
      cmd->add_option("--bands", a.bands, "LSH bands (with --rows; default: the optimum for T)")
          ->type_name("B"));
  o.push_back(
      cmd->add_option("--rows", a.rows, "LSH rows per band (with --bands)")->type_name("R"));
  o.push_back(cmd->add_option("--lsh-weights", a.lsh_weights,
                              "Weights choosing bands x rows (datasketch's; sum 1)")
                  ->capture_default_str()
                  ->type_name("FP,FN"));
  o.push_back(cmd->add_flag("--keep-case", a.keep_case, "Do not lowercase"));
  o.push_back(cmd->add_flag("--keep-punct", a.keep_punct,
                            "Keep punctuation in words (split at whitespace only)"));
}

void add_run_options(CLI::App* cmd, DedupArgs& a) {
  cmd->add_option("--threads", a.cfg.threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->type_name("N");
  cmd->add_option("--backend", a.cfg.backend, "auto, cpu, cuda, or cuda-host (testing)")
      ->capture_default_str()
      ->envname("DUPSCAN_BACKEND")
      ->check(CLI::IsMember(backend_choices()))
      ->type_name("NAME");
  cmd->add_option("--gpu-memory", a.gpu_memory,
                  "Device memory the CUDA backend may use (e.g. 40G; 0 = what is free)")
      ->capture_default_str()
      ->type_name("SIZE");
  cmd->add_flag("--strict", a.cfg.strict, "A bad record is an error, not skipped");
  cmd->add_option("--max-skipped", a.max_skipped,
                  "More bad records in an input fail the run (10% or 0.1)")
      ->capture_default_str()
      ->type_name("SHARE");
  cmd->add_option("--max-record-size", a.max_record_size,
                  "Longer records (lines) are skipped as bad ones, unread (e.g. 1G, 64M)")
      ->capture_default_str()
      ->type_name("SIZE");
  cmd->add_flag("--restart", a.cfg.restart,
                "Discard what an interrupted run left in the work directory; start over");
  cmd->add_flag("!--no-resume", a.cfg.resume,
                "Keep no work directory (no resuming after a crash; saves ~140 B/document of "
                "disk)");
  cmd->add_flag("-q,--quiet", a.quiet, "No progress, warnings or summary on stderr");
  cmd->add_flag("--no-progress", a.no_progress, "No progress line, on a terminal or in a log");
  cmd->add_option("--progress-interval", a.progress_interval,
                  "When stderr is not a terminal (a batch job's log): a plain progress line "
                  "every this many seconds (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber)
      ->type_name("SECONDS");
}

void print_parse_error(const char* program, CLI::App& app, const CLI::ParseError& e) {
  std::string cmd = program;
  for (CLI::App* sub = &app;;) {
    const auto subs = sub->get_subcommands();
    if (subs.empty()) break;
    sub = subs.front();
    cmd += " " + sub->get_name();
  }
  std::fprintf(stderr, "%s: error: %s\nRun '%s --help' for %s.\n", program, e.what(), cmd.c_str(),
               cmd == program ? "more information" : "the options");
}

std::size_t parse_size(const std::string& text, const char* option) {
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  double scale = -1;
  if (unit.empty()) scale = 1;
  if (unit == "K" || unit == "k" || unit == "Ki") scale = 1024.0;
  if (unit == "M" || unit == "Mi") scale = 1024.0 * 1024;
  if (unit == "G" || unit == "Gi") scale = 1024.0 * 1024 * 1024;
  if (unit == "T" || unit == "Ti") scale = 1024.0 * 1024 * 1024 * 1024;
  if (used == 0 || scale < 0 || !(v >= 0) || v * scale >= 1.8e19) {
    throw UsageError(std::string(option) +
                     " must be a size such as 8G, 512M or 1000000 (bytes), got '" + text + "'");
  }
  return static_cast<std::size_t>(v * scale);
}

CLI::Option* add_memory_option(CLI::App* cmd, std::string& value, const std::string& what,
                               const std::string& after) {
  return cmd->add_option("--memory", value, what + " (e.g. 4G; at least 64M; 0 = no limit)" + after)
      ->capture_default_str()
      ->type_name("SIZE");
}

CLI::Option* add_tmp_dir_option(CLI::App* cmd, std::string& dir) {
  return cmd
      ->add_option("--tmp-dir", dir,
                   "Where stdin is spooled and --memory spills (default: output dir)")
      ->type_name("DIR");
}

std::string parquet_note(const std::string& use) {
  return have_parquet() ? "\nParquet: this build reads Parquet files" + use + ".\n"
                        : "\nParquet: this build has none (CMake found no Apache Arrow C++; see "
                          "cmake/find_arrow.cmake): Parquet inputs are an error.\n";
}

std::string directory_option(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  return dir;
}

double parse_share(const std::string& text, const char* option) {
  std::string t = text;
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.pop_back();
  std::size_t used = 0;
  double v = -1;
  try {
    v = std::stod(t, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (percent) v /= 100.0;
  if (t.empty() || used != t.size() || !(v >= 0.0 && v <= 1.0)) {
    throw UsageError(std::string(option) +
                     " must be a share in [0, 1] or a percentage in [0%, 100%], got '" + text +
                     "'");
  }
  return v;
}

Command add_dedup_command(CLI::App& app, DedupRunner runner) {
  auto a = std::make_shared<DedupArgs>();
  CLI::App* dedup = app.add_subcommand("dedup",
                                       "Find exact and near-duplicate documents in JSONL or "
                                       "Parquet corpora and list what to remove");
  dedup->footer(kDedupFooter +
                parquet_note(" (and --write-deduped writes one for Parquet inputs)"));
  dedup
      ->add_option("inputs", a->cfg.inputs,
                   "JSONL files (.jsonl, .jsonl.gz, .jsonl.zst), Parquet files, or -")
      ->required()
      ->type_name("INPUT");
  dedup->add_option("-o,--output-dir", a->cfg.output_dir, "Directory for the outputs (created)")
      ->required()
      ->type_name("DIR");
  add_sketch_options(dedup, *a);
  dedup->add_flag("--no-verify", a->no_verify,
                  "Accept LSH candidates unchecked (MinHash estimates)");
  dedup->add_option("--keep", a->keep, "Cluster member kept: first in input, or longest text")
      ->capture_default_str()
      ->check(CLI::IsMember(keep_choices()))
      ->type_name("POLICY");
  dedup
      ->add_option("--against", a->cfg.against,
                   "An index of earlier documents: remove new duplicates of them")
      ->type_name("DIR");
  dedup->add_flag("--verify-sources", a->cfg.verify_sources,
                  "With --against: checksum every indexed file before use (not only size and "
                  "mtime)");
  dedup
      ->add_option("--write-deduped", a->cfg.write_deduped,
                   "Also write the kept records to FILE: JSONL (.gz/.zst) or, named .parquet, "
                   "Parquet (converted from the inputs' kind where it differs)")
      ->type_name("FILE");
  dedup->add_flag("--in-place", a->cfg.in_place,
                  "Let --write-deduped replace an input (when the run succeeded)");
  dedup
      ->add_option("--write-signatures", a->cfg.write_signatures,
                   "Also write every document's signature and band keys (JSONL)")
      ->type_name("FILE");
  add_run_options(dedup, *a);
  dedup
      ->add_option("--work-dir", a->cfg.work_dir,
                   "Where progress is kept, to resume an interrupted run by running it again "
                   "(default: DIR/.dupscan-work; removed when the run succeeds)")
      ->type_name("DIR");
  dedup->add_flag("--html", a->html,
                  "Also write DIR/report.html, a page of the findings (see dupscan report)");
  dedup->add_flag("--force", a->force,
                  "Write into an output directory that holds files no dupscan run wrote (left "
                  "alone)");
  add_tmp_dir_option(dedup, a->cfg.tmp_dir);
  if (runner.run) {  // dupscan-mpi: each rank takes SIZE for itself
    add_memory_option(dedup, a->memory,
                      "Per rank: spill the rank's band keys to disk past a quarter of SIZE (into "
                      "DIR/.dupscan-spill/rank-R-of-N, or --tmp-dir) and bound the texts "
                      "remembered",
                      ". The rank's per-document table (~70 B + id) and one band's keys in the "
                      "exchange between ranks stay in memory");
  } else {
    add_memory_option(
        dedup, a->memory,
        "Spill pass 1's band keys to disk past a quarter of SIZE and bound the texts remembered",
        ". The per-document table (~70 B + id) stays in memory");
  }

  return {dedup, [a, runner] { return run_dedup_command(*a, runner); }};
}

}  // namespace dupscan::cli
