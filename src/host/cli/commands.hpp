// The subcommands of the CLI: each registers its options and returns how to run it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "dupscan/dedup.hpp"

namespace dupscan::cli {

struct Command {
  CLI::App* app;             ///< the subcommand, to test whether it was given
  std::function<int()> run;  ///< runs it; throws the library's exceptions
};

/// How `dedup` runs: run_dedup by default; a distributed run passes its own, and its ranks other
/// than 0 keep the progress bar and the summary to themselves (report = false).
struct DedupRunner {
  std::function<DedupResult(const DedupConfig&, const DedupObserver&)> run;
  bool report = true;
};

Command add_dedup_command(CLI::App& app, DedupRunner runner = {});
Command add_contam_command(CLI::App& app);
Command add_index_command(CLI::App& app);
Command add_report_command(CLI::App& app);

/// `--html` of dedup and contam: writes dir/report.html (dupscan report's defaults) and, unless
/// quiet, says so on stderr. @throw as report::write_report.
void write_html_report(const std::string& dir, bool quiet);

}  // namespace dupscan::cli
