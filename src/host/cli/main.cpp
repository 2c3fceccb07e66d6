// dupscan's command line: CLI11 fills option structs (one file per command), which become
// library configurations; this file dispatches and turns exceptions into messages and exit
// codes. Nothing under include/ knows about CLI11.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/commit.hpp"
#ifdef DUPSCAN_HAVE_PARQUET
#include "io/parquet_input.hpp"
#endif

namespace {

void on_signal(int sig) {
  dupscan::request_interrupt();
  std::signal(sig, SIG_DFL);  // a second Ctrl-C kills at once
}

const char* kAbout =
    "dupscan finds duplicate and near-duplicate documents in LLM training data (MinHash + LSH,\n"
    "datasketch-compatible signatures, every candidate verified by exact Jaccard), and benchmark\n"
    "examples that leaked into it (n-gram overlap the way GPT-3, lm-eval and Llama 2 measure it).";

}  // namespace

int main(int argc, char** argv) {
#ifdef DUPSCAN_HAVE_PARQUET
  dupscan::register_parquet();
#endif
  CLI::App app{kAbout, "dupscan"};
  app.get_formatter()->column_width(28);
  app.set_version_flag("--version", std::string("dupscan ") + dupscan::version());
  app.require_subcommand(1);
  app.footer("\nRun 'dupscan <command> --help' for a command's options.");
  const std::vector<dupscan::cli::Command> commands = {
      dupscan::cli::add_dedup_command(app), dupscan::cli::add_contam_command(app),
      dupscan::cli::add_index_command(app), dupscan::cli::add_report_command(app)};

  // CLI11 reports an unknown command only as "A subcommand is required"; name it.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto& c : commands) {
      known |= c.app->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + c.app->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "dupscan: error: unknown command '%s' (commands: %s)\n%s", argv[1],
                   names.c_str(), "Run 'dupscan --help' for more information.\n");
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    dupscan::cli::print_parse_error("dupscan", app, e);
    return 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  // Past a file-size limit (ulimit -f), write() then fails with EFBIG and the run ends with an
  // error naming the file and removes its temporary files, instead of being killed half-way.
  std::signal(SIGXFSZ, SIG_IGN);
  for (const auto& c : commands) {
    if (!c.app->parsed()) continue;
    try {
      const int rc = c.run();
      dupscan::io::fault_point("run-finished");
      // A signal after the outputs were committed (the summary, the --html page) is not ignored:
      // the run says what it left and exits 130.
      if (rc == 0 && dupscan::interrupt_requested()) {
        std::fprintf(stderr,
                     "\ndupscan: interrupted after the commit point: the outputs of this run are "
                     "complete and in place\n");
        return 130;
      }
      return rc;
    } catch (const dupscan::UsageError& e) {
      std::fprintf(stderr, "dupscan: error: %s\nRun 'dupscan %s --help' for the options.\n",
                   e.what(), c.app->get_name().c_str());
      return 2;
    } catch (const dupscan::Interrupted& e) {
      std::fprintf(stderr, "\ndupscan: %s\n", e.what());
      return 130;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dupscan: error: %s\n", e.what());
      return 1;
    }
  }
  return 2;
}
