// The subcommands of the CLI: each registers its options and returns how to run it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "dupscan/contam.hpp"
#include "dupscan/dedup.hpp"

namespace dupscan::cli {

struct Command {
  CLI::App* app;             ///< the subcommand, to test whether it was given
  std::function<int()> run;  ///< runs it; throws the library's exceptions
};

/// How `dedup` runs: run_dedup by default; a distributed run passes its own, and its ranks other
/// than 0 keep the progress bar and the summary to themselves (report = false).
struct DedupRunner {
  std::function<DedupResult(const DedupConfig&, const RunObserver&)> run;
  bool report = true;
};

Command add_dedup_command(CLI::App& app, DedupRunner runner = {});
/// CLI11's own parse errors in dupscan's style: "<program>: error: <what>" and where the help is
/// (the help of the (sub)command being parsed).
void print_parse_error(const char* program, CLI::App& app, const CLI::ParseError& e);
/// "10%" or "0.1" -> 0.1. @throw UsageError naming `option` unless it is in [0, 1].
double parse_share(const std::string& text, const char* option);
/// "8G", "512M", "1000000": bytes (K, M, G, T are powers of 1024). @throw UsageError naming option.
std::size_t parse_size(const std::string& text, const char* option);
/// --memory SIZE (dedup's and contam's), parsed by parse_size(value, "--memory"): `what` says
/// what the budget does, `after` what it leaves (each command's words), around the shared part
/// (an example, the minimum, 0 = no limit).
CLI::Option* add_memory_option(CLI::App* cmd, std::string& value, const std::string& what,
                               const std::string& after);
/// --tmp-dir DIR (dedup's and contam's): where stdin is spooled and --memory spills.
CLI::Option* add_tmp_dir_option(CLI::App* cmd, std::string& dir);
/// The help's line saying whether this build reads Parquet (have_parquet()), and `use`: how.
std::string parquet_note(const std::string& use);
/// A directory option as files are named under it: "out/" and "out//" -> "out" ("/" stays), so
/// that the outputs print as out/report.json, not out//report.json.
std::string directory_option(std::string dir);
/// How `contam` runs: run_contam by default; a distributed run passes its own (as DedupRunner).
struct ContamRunner {
  std::function<ContamResult(const ContamConfig&, const RunObserver&)> run;
  bool report = true;
};
Command add_contam_command(CLI::App& app, ContamRunner runner = {});
Command add_index_command(CLI::App& app);
Command add_report_command(CLI::App& app);

/// `--html` of dedup and contam: writes dir/report.html (dupscan report's defaults) and, unless
/// quiet, says so on stderr. @throw as report::write_report.
void write_html_report(const std::string& dir, bool quiet);

}  // namespace dupscan::cli
