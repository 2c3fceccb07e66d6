/**
 * @file errors.hpp
 * @brief Exceptions of the dupscan library. The library never prints and never exits; the CLI turns
 * these into messages and exit codes (Error: 1, UsageError: 2).
 */
#pragma once

#include <stdexcept>
#include <string>

namespace dupscan {

/// A failure of a run: bad input, I/O error, resource exhaustion. Exit code 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid options or arguments, found before any work is done. Exit code 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

/// The run was interrupted (SIGINT/SIGTERM); outputs were not written. Exit code 130.
class Interrupted : public Error {
 public:
  using Error::Error;
};

/// Throws UsageError(msg) unless cond holds.
inline void expects_usage(bool cond, const std::string& msg) {
  if (!cond) throw UsageError(msg);
}

}  // namespace dupscan

namespace dupscan {

/// Asks running work to stop at its next check (async-signal-safe: call it from a signal handler).
void request_interrupt() noexcept;
/// True once request_interrupt() was called.
bool interrupt_requested() noexcept;
/// Throws Interrupted if an interrupt was requested.
void check_interrupt();
/// Forgets a request (a library caller that goes on after an interrupted run: the Python package).
void clear_interrupt() noexcept;

}  // namespace dupscan
