// What the CLI prints on stderr: a progress line on terminals and the end-of-run summary.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "dupscan/dedup.hpp"

namespace dupscan::cli {

/**
 * Progress on stderr: on a terminal a live line (redrawn at most 5 times a second, with the
 * stage's ETA where its total is known); elsewhere -- a batch job's or CI's log -- a plain line
 * every `interval` seconds ("dupscan: progress: ..."), never escape codes; nothing when off.
 * In a log the line comes every `interval` seconds even while a stage reports nothing new (one
 * band's merge, the exact groups of a hundred million documents): the last figures again, with
 * the time and resident set of now, so that a log never goes quiet while the run works.
 */
class ProgressBar {
 public:
  enum class Mode { off, live, log };
  explicit ProgressBar(Mode mode, double interval = 30)
      : mode_(mode), interval_(interval), start_(Clock::now()), last_(start_) {}
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  /// Mode::live on a terminal, Mode::log elsewhere (off when !enabled or interval <= 0 there).
  static ProgressBar for_stderr(bool enabled, double interval);
  void update(const Progress& p);
  /// Erases the live line (before a warning).
  void clear();
  /// The run is over: no more lines (the heartbeat stops), the live line erased (before the
  /// summary).
  void finish();

 private:
  using Clock = std::chrono::steady_clock;
  /// Prints `p` now (m_ held).
  void print(const Progress& p, Clock::time_point now);
  /// Mode::log: the thread that prints the last figures when `interval` passed without a line.
  void heartbeat();

  Mode mode_;
  double interval_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_;
  std::string stage_;
  Clock::time_point stage_start_{};
  std::mutex m_;
  std::condition_variable cv_;
  std::thread beat_;
  bool stop_ = false;
  bool have_ = false;
  Progress latest_;
};

void print_summary(std::FILE* out, const DedupConfig& cfg, const DedupResult& r);

/// What every reading command gives the library: progress to `bar`, each warning on stderr
/// after clearing the bar (none when quiet). `bar` must outlive the observer.
RunObserver stderr_observer(ProgressBar& bar, bool quiet);

/// 1234567 -> "1,234,567".
std::string group_digits(std::uint64_t v);
/// Bytes as "12.3 MB" (decimal units).
std::string human_bytes(double bytes);

}  // namespace dupscan::cli
