// What `dupscan dedup` and `dupscan index` share (internal to src/host/cli/): their raw options and
// the options that decide how documents are read and sketched (dedup_cmd.cpp defines them).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "dupscan/dedup.hpp"

namespace dupscan::cli {

struct DedupArgs {
  DedupConfig cfg;
  std::string shingle = "word:5";
  std::string keep = "first";
  std::string sketch = "compat";
  std::string scheme = "affine32";
  std::string shingle_hash = "xxh64";
  std::string format = "jsonl";
  std::string max_skipped = "10%";
  std::string gpu_memory = "0";
  std::string memory = "0";
  std::string max_record_size = "1G";
  long long bands = 0, rows = 0;
  std::string lsh_weights = "0.5,0.5";
  bool no_verify = false, keep_case = false, keep_punct = false, quiet = false;
  bool no_progress = false, force = false, html = false, wait = false;
  double progress_interval = 30;  ///< seconds between progress lines when stderr is no terminal
  /// The options that decide how documents are read and sketched, to tell which were given.
  std::vector<CLI::Option*> sketch_options;

  bool given(const char* name) const {
    for (const CLI::Option* o : sketch_options) {
      if (o->check_lname(name + 2) && o->count() > 0) return true;
    }
    return false;
  }
  std::vector<std::string> given_options() const {
    std::vector<std::string> g;
    for (const CLI::Option* o : sketch_options) {
      if (o->count() > 0) g.push_back("--" + o->get_lnames().front());
    }
    return g;
  }
};

/// The configuration of a dedup run (or an index build) from its raw options.
/// @throw UsageError for options that contradict each other.
DedupConfig resolve(DedupArgs& a);

/// The options that decide how documents are read, normalized and sketched: shared by dedup and
/// index build.
void add_sketch_options(CLI::App* cmd, DedupArgs& a);

/// Options every reading command has.
void add_run_options(CLI::App* cmd, DedupArgs& a);

}  // namespace dupscan::cli
