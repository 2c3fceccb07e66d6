// dupscan's command line: CLI11 fills option structs here, which become library configurations.
// Nothing under include/ knows about CLI11.
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "progress.hpp"

namespace {

void on_signal(int sig) {
  dupscan::request_interrupt();
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills at once
}

const char* kAbout =
    "dupscan finds exact and near-duplicate documents in LLM training data (MinHash + LSH,\n"
    "datasketch-compatible signatures, every candidate verified by exact Jaccard).";

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
  dupscan::cli::ProgressBar bar(tty);
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
  if (!a.quiet) dupscan::cli::print_summary(stderr, cfg, r);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kAbout, "dupscan"};
  app.get_formatter()->column_width(28);
  app.set_version_flag("--version", std::string("dupscan ") + dupscan::version());
  app.require_subcommand(1);
  app.footer("\nRun 'dupscan <command> --help' for a command's options.");

  DedupArgs d;
  CLI::App* dedup = app.add_subcommand(
      "dedup", "Find exact and near-duplicate documents in JSONL corpora and list what to remove");
  dedup->footer(kDedupFooter);
  dedup->add_option("inputs", d.cfg.inputs, "JSONL files (.jsonl, .jsonl.gz, .jsonl.zst) or -")
      ->required()
      ->type_name("INPUT");
  dedup->add_option("-o,--output-dir", d.cfg.output_dir, "Directory for the outputs (created)")
      ->required()
      ->type_name("DIR");
  dedup->add_option("--text-field", d.cfg.text_field, "JSON field holding the text")
      ->capture_default_str()
      ->type_name("NAME");
  dedup->add_option("--id-field", d.cfg.id_field, "JSON field holding the document id")
      ->capture_default_str()
      ->type_name("NAME");
  dedup->add_option("--shingle", d.shingle, "Shingles: word:N (N words) or char:N (N characters)")
      ->capture_default_str()
      ->type_name("KIND:N");
  dedup
      ->add_option("--sketch", d.sketch,
                   "compat: datasketch's MinHash; fast: one-permutation hashing")
      ->capture_default_str()
      ->check(CLI::IsMember({"compat", "fast"}))
      ->type_name("KIND");
  dedup
      ->add_option("--threshold", d.cfg.threshold,
                   "Jaccard at or above which documents are duplicates")
      ->capture_default_str()
      ->type_name("T");
  dedup->add_option("--num-perm", d.cfg.num_perm, "MinHash permutations (signature size) K")
      ->capture_default_str()
      ->type_name("K");
  dedup->add_option("--seed", d.cfg.seed, "Seed of the permutations (datasketch's seed)")
      ->capture_default_str()
      ->type_name("S");
  dedup->add_option("--bands", d.bands, "LSH bands (with --rows; default: the optimum for T)")
      ->type_name("B");
  dedup->add_option("--rows", d.rows, "LSH rows per band (with --bands)")->type_name("R");
  dedup
      ->add_option("--lsh-weights", d.lsh_weights,
                   "Weights choosing bands x rows (datasketch's; sum 1)")
      ->capture_default_str()
      ->type_name("FP,FN");
  dedup->add_flag("--no-verify", d.no_verify,
                  "Accept LSH candidates unchecked (MinHash estimates)");
  dedup->add_option("--keep", d.keep, "Cluster member kept: first in input, or longest text")
      ->capture_default_str()
      ->check(CLI::IsMember({"first", "longest"}))
      ->type_name("POLICY");
  dedup->add_flag("--keep-case", d.keep_case, "Do not lowercase");
  dedup->add_flag("--keep-punct", d.keep_punct,
                  "Keep punctuation in words (split at whitespace only)");
  dedup
      ->add_option("--write-deduped", d.cfg.write_deduped,
                   "Also write the kept records, as read, to FILE (.gz/.zst)")
      ->type_name("FILE");
  dedup
      ->add_option("--write-signatures", d.cfg.write_signatures,
                   "Also write every document's signature and band keys (JSONL)")
      ->type_name("FILE");
  dedup->add_option("--threads", d.cfg.threads, "Worker threads (0 = all cores)")
      ->capture_default_str()
      ->type_name("N");
  dedup->add_option("--backend", d.cfg.backend, "auto, cpu or cuda")
      ->capture_default_str()
      ->envname("DUPSCAN_BACKEND")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->type_name("NAME");
  dedup->add_flag("--strict", d.cfg.strict, "A bad record is an error, not skipped");
  dedup->add_option("--tmp-dir", d.cfg.tmp_dir, "Where stdin is spooled (default: output dir)")
      ->type_name("DIR");
  dedup->add_flag("-q,--quiet", d.quiet, "No progress, warnings or summary on stderr");
  dedup->add_flag("--no-progress", d.no_progress, "No progress bar even on a terminal");

  // CLI11 reports an unknown command only as "A subcommand is required"; name it.
  if (argc > 1 && argv[1][0] != '-' && std::string(argv[1]) != "dedup") {
    std::fprintf(stderr, "dupscan: error: unknown command '%s' (commands: dedup)\n%s", argv[1],
                 "Run 'dupscan --help' for more information.\n");
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Past a file-size limit (ulimit -f), write() then fails with EFBIG and the run ends with an
  // error naming the file and removes its temporary files, instead of being killed half-way.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    if (dedup->parsed()) return run_dedup_command(d);
  } catch (const dupscan::UsageError& e) {
    std::fprintf(stderr, "dupscan: error: %s\nRun 'dupscan dedup --help' for the options.\n",
                 e.what());
    return 2;
  } catch (const dupscan::Interrupted& e) {
    std::fprintf(stderr, "\ndupscan: %s\n", e.what());
    return 130;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dupscan: error: %s\n", e.what());
    return 1;
  }
  return 2;
}
