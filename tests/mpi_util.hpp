// Running dupscan-mpi under mpirun in tests: whether it can run here (need_mpi) and one run of it
// (mpirun), shared by the distributed tests and the random-kill harness.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "test_util.hpp"

namespace dupscan::test {

#ifdef DUPSCAN_MPI_BIN
inline bool have_mpirun() {
  return std::system("command -v mpirun >/dev/null 2>&1") == 0;
}
#endif

inline void need_mpi() {
#ifdef DUPSCAN_MPI_BIN
  if (have_mpirun()) return;
  const char* why = "mpirun is not on PATH";
#else
  const char* why =
      "dupscan-mpi was not built (CMake found no MPI: apt-get install libopenmpi-dev)";
#endif
  const char* required = std::getenv("DUPSCAN_MPI_REQUIRED");
  if (required && std::string(required) == "1") {
    FAIL() << why << " and DUPSCAN_MPI_REQUIRED=1";
  }
  GTEST_SKIP() << why;
}

/// The command line that starts `ranks` ranks of the built dupscan-mpi, with a space after it.
inline std::string mpirun_command(int ranks) {
#ifdef DUPSCAN_MPI_BIN
  // Open MPI refuses root unless told; CI runs as root in a container.
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
  ::setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
  // Open MPI never frees some of its own allocations (libmpi and its plugins); under the
  // sanitizer build the ranks skip the leak check. The engine's memory is leak-checked by the
  // in-process tests.
  std::string env;
  if (const char* asan = std::getenv("ASAN_OPTIONS")) {
    env = "env ASAN_OPTIONS=" + shell_quote(std::string(asan) + ":detect_leaks=0") + " ";
  }
  return env + "mpirun -np " + std::to_string(ranks) + " --oversubscribe " + DUPSCAN_MPI_BIN + " ";
#else
  (void)ranks;
  return "false ";
#endif
}

/// `args` on `ranks` ranks; a `timeout_s` > 0 ends a run that hangs (ranks waiting in a
/// collective for one that left).
inline RunResult mpirun(int ranks, const std::string& args, int timeout_s = 0) {
  return run_captured((timeout_s > 0 ? "timeout -k 10 " + std::to_string(timeout_s) + " " : "") +
                          mpirun_command(ranks) + args,
                      "</dev/null");
}

}  // namespace dupscan::test
