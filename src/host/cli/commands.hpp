// The subcommands of the CLI: each registers its options and returns how to run it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace dupscan::cli {

struct Command {
  CLI::App* app;             ///< the subcommand, to test whether it was given
  std::function<int()> run;  ///< runs it; throws the library's exceptions
};

Command add_dedup_command(CLI::App& app);
Command add_contam_command(CLI::App& app);
Command add_index_command(CLI::App& app);

}  // namespace dupscan::cli
