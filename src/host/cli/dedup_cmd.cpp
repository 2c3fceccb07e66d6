// `dupscan dedup`: its options (CLI11) and how its run is reported on stderr.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "progress.hpp"

namespace dupscan::cli {
namespace {

const char* kDedupFooter = R"(
Inputs are JSON Lines, one record per line; gzip and zstd files are recognised by their content,
'-' reads stdin. Each record needs a string field with the text (--text-field). A record without
an id field gets the id "<path>:<line>".

Outputs in --output-dir (written to temporary files, renamed into place when the run succeeded):
  duplicates.jsonl  one line per document to remove:
                    {"id", "duplicate_of", "cluster", "kind": "exact"|"near", "jaccard"}
  clusters.jsonl    one line per cluster of >= 2 documents: {"cluster", "kept", "members"}
  report.json       parameters, inputs (bytes, records, checksum), counts, timings, backend

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

Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error, 130 interrupted.

Examples:
  dupscan dedup data/*.jsonl.zst -o out/
  dupscan dedup train.jsonl --text-field question -o out/ --threshold 0.7 --write-deduped clean.jsonl
  zcat shard.jsonl.gz | dupscan dedup - -o out/ --shingle char:9
)";

struct DedupArgs {
  dupscan::DedupConfig cfg;
  std::string shingle = "word:5";
  std::string keep = "first";
  std::string sketch = "compat";
  unsigned bands = 0, rows = 0;
  std::string lsh_weights = "0.5,0.5";
  bool no_verify = false, keep_case = false, keep_punct = false, quiet = false;
  bool no_progress = false;
};

dupscan::DedupConfig resolve(DedupArgs& a) {
  dupscan::DedupConfig cfg = a.cfg;
  cfg.shingle = dupscan::ShingleSpec::parse(a.shingle);
  cfg.verify = !a.no_verify;
  cfg.sketch = a.sketch == "fast" ? dupscan::SketchKind::fast : dupscan::SketchKind::compat;
  cfg.normalize.lowercase = !a.keep_case;
  cfg.normalize.strip_punctuation = !a.keep_punct;
  cfg.keep = a.keep == "longest" ? dupscan::KeepPolicy::longest : dupscan::KeepPolicy::first;
  if ((a.bands == 0) != (a.rows == 0)) {
    throw dupscan::UsageError("--bands and --rows go together: give both or neither");
  }
  if (a.bands) cfg.lsh = dupscan::LshParams{a.bands, a.rows};
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
      throw dupscan::UsageError("--lsh-weights must be FP,FN (two numbers that sum to 1), got '" +
                                w + "'");
    }
  }
  cfg.validate();
  return cfg;
}

int run_dedup_command(DedupArgs& a) {
  const dupscan::DedupConfig cfg = resolve(a);
  const bool tty = !a.quiet && !a.no_progress && ::isatty(STDERR_FILENO);
  ProgressBar bar(tty);
  dupscan::DedupObserver obs;
  obs.progress = [&](const dupscan::Progress& p) { bar.update(p); };
  obs.warning = [&](const std::string& w) {
    bar.clear();
    if (!a.quiet) std::fprintf(stderr, "dupscan: warning: %s\n", w.c_str());
  };
  const dupscan::DedupResult r = dupscan::run_dedup(cfg, obs);
  bar.clear();
  if (!a.quiet && r.counts.skipped > dupscan::kMaxSkipWarnings) {
    std::fprintf(stderr, "dupscan: warning: %llu more records skipped (report.json counts them)\n",
                 static_cast<unsigned long long>(r.counts.skipped - dupscan::kMaxSkipWarnings));
  }
  if (!a.quiet) print_summary(stderr, cfg, r);
  return 0;
}

}  // namespace

Command add_dedup_command(CLI::App& app) {
  auto a = std::make_shared<DedupArgs>();
  CLI::App* dedup = app.add_subcommand(
      "dedup", "Find exact and near-duplicate documents in JSONL corpora and list what to remove");
  dedup->footer(kDedupFooter);
  dedup->add_option("inputs", a->cfg.inputs, "JSONL files (.jsonl, .jsonl.gz, .jsonl.zst) or -")
      ->required()
      ->type_name("INPUT");
  dedup->add_option("-o,--output-dir", a->cfg.output_dir, "Directory for the outputs (created)")
      ->required()
      ->type_name("DIR");
  dedup->add_option("--text-field", a->cfg.text_field, "JSON field holding the text")
      ->capture_default_str()
      ->type_name("NAME");
  dedup->add_option("--id-field", a->cfg.id_field, "JSON field holding the document id")
      ->capture_default_str()
      ->type_name("NAME");
  dedup->add_option("--shingle", a->shingle, "Shingles: word:N (N words) or char:N (N characters)")
      ->capture_default_str()
      ->type_name("KIND:N");
  dedup
      ->add_option("--sketch", a->sketch,
                   "compat: datasketch's MinHash; fast: one-permutation hashing")
      ->capture_default_str()
      ->check(CLI::IsMember({"compat", "fast"}))
      ->type_name("KIND");
  dedup
      ->add_option("--threshold", a->cfg.threshold,
                   "Jaccard at or above which documents are duplicates")
      ->capture_default_str()
      ->type_name("T");
  dedup->add_option("--num-perm", a->cfg.num_perm, "MinHash permutations (signature size) K")
      ->capture_default_str()
      ->type_name("K");
  dedup->add_option("--seed", a->cfg.seed, "Seed of the permutations (datasketch's seed)")
      ->capture_default_str()
      ->type_name("S");
  dedup->add_option("--bands", a->bands, "LSH bands (with --rows; default: the optimum for T)")
      ->type_name("B");
  dedup->add_option("--rows", a->rows, "LSH rows per band (with --bands)")->type_name("R");
  dedup
      ->add_option("--lsh-weights", a->lsh_weights,
                   "Weights choosing bands x rows (datasketch's; sum 1)")
      ->capture_default_str()
      ->type_name("FP,FN");
  dedup->add_flag("--no-verify", a->no_verify,
                  "Accept LSH candidates unchecked (MinHash estimates)");
  dedup->add_option("--keep", a->keep, "Cluster member kept: first in input, or longest text")
      ->capture_default_str()
      ->check(CLI::IsMember({"first", "longest"}))
      ->type_name("POLICY");
  dedup->add_flag("--keep-case", a->keep_case, "Do not lowercase");
  dedup->add_flag("--keep-punct", a->keep_punct,
                  "Keep punctuation in words (split at whitespace only)");
  dedup
      ->add_option("--write-deduped", a->cfg.write_deduped,
                   "Also write the kept records, as read, to FILE (.gz/.zst)")
      ->type_name("FILE");
  dedup
      ->add_option("--write-signatures", a->cfg.write_signatures,
                   "Also write every document's signature and band keys (JSONL)")
      ->type_name("FILE");
  dedup->add_option("--threads", a->cfg.threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->type_name("N");
  dedup->add_option("--backend", a->cfg.backend, "auto, cpu or cuda")
      ->capture_default_str()
      ->envname("DUPSCAN_BACKEND")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->type_name("NAME");
  dedup->add_flag("--strict", a->cfg.strict, "A bad record is an error, not skipped");
  dedup->add_option("--tmp-dir", a->cfg.tmp_dir, "Where stdin is spooled (default: output dir)")
      ->type_name("DIR");
  dedup->add_flag("-q,--quiet", a->quiet, "No progress, warnings or summary on stderr");
  dedup->add_flag("--no-progress", a->no_progress, "No progress bar even on a terminal");

  return {dedup, [a] { return run_dedup_command(*a); }};
}

}  // namespace dupscan::cli
