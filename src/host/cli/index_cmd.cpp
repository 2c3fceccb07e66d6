// `dupscan index build|add`: its options (CLI11, the sketch options shared with dedup) and how its
// run is reported on stderr.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "dedup_args.hpp"
#include "dupscan/dedup.hpp"
#include "progress.hpp"

namespace dupscan::cli {
namespace {

const char* kIndexFooter = R"(
An index keeps, per document, where it is (file, offset, line), its id, the exact hash of its
normalized text and its LSH band keys -- never the text, which is read again from the indexed
files when a candidate pair is verified: they must stay where they were, unchanged (checked).
The parameters (format, fields, sketch, scheme, shingle hash, K, seed, bands x rows, shingle,
normalization, threshold) are stored with it; dedup --against takes those it is not given from
the index, and those given must match; index add uses the index's. An index made before dupscan
had --scheme is a legacy one; one made before --shingle-hash is an xxh64 one. A file touched after indexing (same size, other mtime) is checked by
its checksum; only a real change is an error. index build --force replaces an index.

Weekly workflow:
  dupscan index build corpus/*.jsonl.zst --index idx/            # once
  dupscan dedup new/*.jsonl --against idx/ -o out/ --write-deduped new.kept.jsonl
  dupscan index add new.kept.jsonl --index idx/                  # the kept new documents

Files: idx/index.json (manifest: parameters, inputs with size, mtime and checksum, segments with
checksums) and one idx/segment-NNNNNN.bin per build or add, several under --memory (format in
include/dupscan/index.hpp).
An add writes its segment, then replaces the manifest atomically: a crash leaves the previous
index valid. One run writes an index at a time (idx/.dupscan.lock): another build or add fails
at once naming it, or waits for it with --wait. A build or add killed before it finishes keeps
pass 1's results per finished input in idx/.dupscan-work: the same command run again resumes
from them (--restart starts over, --no-resume keeps none).

Memory: without --memory a run holds every new document's row (~70 B + id + 8 B per band) and
the segment's copy of it until the segment is written. With --memory SIZE the new documents go
into several segments, each written as soon as pass 1 has filled it, and the manifest naming
them all is written once at the end (a kill before it leaves the previous index, whole); the
same command resumes from idx/.dupscan-work as without. dedup --against reads many segments as
it reads one: the results are the same.
)";

const char* kIndexMemoryHelp =
    "Write the new documents as several segments, each of as many as fit in SIZE while it is "
    "made, and hold no whole table";
const char* kIndexMemoryAfter =
    ". Every document is sketched (exact copies too); the manifest naming the segments is "
    "written once at the end. An index run needs a little more than 64M: a segment of 4096 "
    "documents (the error names the minimum)";

int run_index_command(DedupArgs& a, IndexAction action, const std::string& given_dir) {
  const std::string dir = directory_option(given_dir);
  a.cfg.output_dir = dir;  // what validate() checks; the index is the only output
  DedupConfig cfg = action == IndexAction::add ? a.cfg : resolve(a);
  cfg.max_skipped = parse_share(a.max_skipped, "--max-skipped");
  cfg.gpu_memory = parse_size(a.gpu_memory, "--gpu-memory");
  cfg.max_record_size = parse_size(a.max_record_size, "--max-record-size");
  cfg.memory = parse_size(a.memory, "--memory");
  if (action == IndexAction::build && a.force) action = IndexAction::rebuild;
  ProgressBar bar = ProgressBar::for_stderr(!a.quiet && !a.no_progress, a.progress_interval);
  const IndexResult r = run_index(cfg, action, dir, stderr_observer(bar, a.quiet), a.wait);
  bar.finish();
  if (!a.quiet) {
    const std::string limit =
        r.segment_documents == 0
            ? std::string()
            : " of at most " + group_digits(r.segment_documents) + " documents (--memory)";
    std::fprintf(stderr,
                 "dupscan index %s: %s documents indexed in %.2f s (%s empty, %s skipped "
                 "records), written as %zu new segment%s%s; %s holds %s documents in %zu "
                 "segment%s, %u bands x %u rows\n",
                 action == IndexAction::add ? "add" : "build", group_digits(r.added).c_str(),
                 r.seconds, group_digits(r.counts.empty).c_str(),
                 group_digits(r.counts.skipped).c_str(), r.segments_written,
                 r.segments_written == 1 ? "" : "s", limit.c_str(), dir.c_str(),
                 group_digits(r.documents).c_str(), r.segments, r.segments == 1 ? "" : "s",
                 r.lsh.bands, r.lsh.rows);
  }
  return 0;
}

}  // namespace

Command add_index_command(CLI::App& app) {
  CLI::App* index = app.add_subcommand(
      "index", "Keep documents seen before in an index, to deduplicate new data against them");
  index->require_subcommand(1);
  index->footer(kIndexFooter);
  auto build_args = std::make_shared<DedupArgs>();
  auto add_args = std::make_shared<DedupArgs>();
  auto dir = std::make_shared<std::string>();
  CLI::App* build = index->add_subcommand("build", "Index JSONL or Parquet files (a new index)");
  build
      ->add_option("inputs", build_args->cfg.inputs,
                   "JSONL files (.jsonl, .jsonl.gz, .jsonl.zst) or Parquet files")
      ->required()
      ->type_name("INPUT");
  build->add_option("--index", *dir, "Directory of the index (created)")
      ->required()
      ->type_name("DIR");
  add_sketch_options(build, *build_args);
  add_run_options(build, *build_args);
  build->add_flag("--force", build_args->force,
                  "Replace the index DIR holds, once the new one is made");
  build->add_flag("--wait", build_args->wait,
                  "Wait for another run writing the index to finish (default: fail at once)");
  add_memory_option(build, build_args->memory, kIndexMemoryHelp, kIndexMemoryAfter);
  build->footer("\nThe sketch options are stored in the index; dedup --against needs the same.");
  CLI::App* add = index->add_subcommand("add",
                                        "Append JSONL or Parquet files to an index (with its "
                                        "parameters), e.g. the kept new documents");
  add->add_option("inputs", add_args->cfg.inputs,
                  "JSONL files (.jsonl, .jsonl.gz, .jsonl.zst) or Parquet files")
      ->required()
      ->type_name("INPUT");
  add->add_option("--index", *dir, "Directory of the index")->required()->type_name("DIR");
  add->add_flag("--wait", add_args->wait,
                "Wait for another run writing the index to finish (default: fail at once)");
  add_memory_option(add, add_args->memory, kIndexMemoryHelp, kIndexMemoryAfter);
  add_run_options(add, *add_args);
  return {index, [=] {
            if (build->parsed()) return run_index_command(*build_args, IndexAction::build, *dir);
            return run_index_command(*add_args, IndexAction::add, *dir);
          }};
}

}  // namespace dupscan::cli
