// dupscan-mpi: `dupscan dedup` and `dupscan contam` over MPI ranks (distributed.hpp), with the
// same options and the same outputs as one process. Launch it with mpirun or srun:
//   mpirun -np 4 dupscan-mpi dedup shards/*.jsonl.zst -o out/
//   mpirun -np 4 dupscan-mpi contam --train shards/*.jsonl.zst --eval gsm8k=gsm8k.jsonl -o out/
// Rank 0 shows the progress and the summary and writes report.json; every rank reads its share
// of the files and writes its share of the outputs into the shared output directory.
#include <mpi.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "dist/mpi_comm.hpp"
#include "dupscan/distributed.hpp"
#include "dupscan/errors.hpp"
#ifdef DUPSCAN_HAVE_PARQUET
#include "io/parquet_input.hpp"
#endif

namespace {

void on_signal(int sig) {
  dupscan::request_interrupt();
  std::signal(sig, SIG_DFL);
}

// The run failed on this rank: the others may wait in a collective, so end them all.
[[noreturn]] void abort_all(int code) {
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
#ifdef DUPSCAN_HAVE_PARQUET
  dupscan::register_parquet();
#endif
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);  // only this thread calls MPI
  dupscan::MpiCommunicator comm(MPI_COMM_WORLD);
  const int rank = comm.rank();

  CLI::App app{
      "dupscan-mpi runs dupscan dedup and dupscan contam over MPI ranks: each rank reads a share\n"
      "of the input files (whole files, about equal bytes). dedup: band keys are exchanged by\n"
      "key, candidate pairs are verified on the rank holding the documents. contam: each rank\n"
      "scans its share against the benchmarks, rank 0 merges the findings. The outputs are byte\n"
      "for byte those of one process over the same inputs. Launch with mpirun -np N or srun.",
      "dupscan-mpi"};
  app.get_formatter()->column_width(28);
  app.set_version_flag("--version", std::string("dupscan-mpi ") + dupscan::version());
  app.require_subcommand(1);
  dupscan::cli::DedupRunner runner;
  runner.run = [&comm](const dupscan::DedupConfig& cfg, const dupscan::RunObserver& obs) {
    return dupscan::run_dedup_distributed(cfg, comm, obs);
  };
  runner.report = rank == 0;
  const dupscan::cli::Command dedup = dupscan::cli::add_dedup_command(app, runner);
  dupscan::cli::ContamRunner contam_runner;
  contam_runner.run = [&comm](const dupscan::ContamConfig& cfg, const dupscan::RunObserver& obs) {
    return dupscan::run_contam_distributed(cfg, comm, obs);
  };
  contam_runner.report = rank == 0;
  const dupscan::cli::Command contam = dupscan::cli::add_contam_command(app, contam_runner);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Every rank parsed the same arguments: one message, then all leave together.
    const int code = e.get_exit_code();
    if (rank == 0) {
      if (code == 0) {
        app.exit(e);  // --help, --version
      } else {
        dupscan::cli::print_parse_error("dupscan-mpi", app, e);
      }
    }
    MPI_Finalize();
    return code == 0 ? 0 : 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    for (const dupscan::cli::Command* c : {&dedup, &contam}) {
      if (c->app->parsed()) c->run();
    }
  } catch (const dupscan::UsageError& e) {
    // Only the checks of the configuration, before any message, throw it: every rank does, at
    // the same point, so they can all leave in order. Say it once.
    if (rank == 0) {
      std::fprintf(stderr, "dupscan-mpi: error: %s\nRun 'dupscan-mpi %s --help' for the options.\n",
                   e.what(), contam.app->parsed() ? "contam" : "dedup");
    }
    MPI_Finalize();
    return 2;
  } catch (const dupscan::Interrupted&) {
    // mpirun turns Ctrl-C, and another rank's failure, into SIGTERM for every rank.
    std::fprintf(stderr,
                 "dupscan-mpi: rank %d: stopped (interrupted, or another rank failed); "
                 "no output was written\n",
                 rank);
    abort_all(130);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dupscan-mpi: rank %d: error: %s\n", rank, e.what());
    abort_all(1);
  }
  MPI_Finalize();
  return 0;
}
