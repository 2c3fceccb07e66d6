// What the CLI prints on stderr: a progress line on terminals and the end-of-run summary.
#pragma once

#include <chrono>
#include <cstdio>

#include "dupscan/dedup.hpp"

namespace dupscan::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(Clock::now()) {}
  /// Redraws at most 5 times a second.
  void update(const Progress& p);
  /// Erases the line (before a warning or the summary).
  void clear();

 private:
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_{};
};

void print_summary(std::FILE* out, const DedupConfig& cfg, const DedupResult& r);

/// What every reading command gives the library: progress to `bar`, each warning on stderr
/// after clearing the bar (none when quiet). `bar` must outlive the observer.
DedupObserver stderr_observer(ProgressBar& bar, bool quiet);

/// 1234567 -> "1,234,567".
std::string group_digits(std::uint64_t v);
/// Bytes as "12.3 MB" (decimal units).
std::string human_bytes(double bytes);

}  // namespace dupscan::cli
