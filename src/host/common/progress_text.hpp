// One progress line in words, the same for the CLI (a live line on a terminal, a plain line every
// --progress-interval seconds in a log) and the Python package's progress=True.
#pragma once

#include <cstdint>
#include <string>

namespace dupscan {

/// What a progress line says: the stage and its counts (Progress of dedup.hpp, as plain numbers).
struct ProgressFigures {
  const char* stage = "";
  std::uint64_t documents = 0, bytes = 0;  ///< read so far (read and scan stages)
  std::uint64_t done = 0, total = 0;       ///< the stage's units (total 0: unknown)
  double elapsed = 0;                      ///< seconds since the run started
  double stage_elapsed = 0;                ///< seconds since this stage started
  std::uint64_t spilled = 0;               ///< bytes spilled to disk so far (--memory)
};

/// The figures of `p` (a dupscan::Progress, or anything with its fields) at these times.
template <class P>
ProgressFigures figures_of(const P& p, double elapsed, double stage_elapsed) {
  ProgressFigures f;
  f.stage = p.stage;
  f.documents = p.documents;
  f.bytes = p.bytes;
  f.done = p.done;
  f.total = p.total;
  f.elapsed = elapsed;
  f.stage_elapsed = stage_elapsed;
  f.spilled = p.spilled;
  return f;
}

/**
 * @brief "read 1,234,567 docs, 1.2 GB, 41,000 docs/s, 40.1 MB/s, 62% ETA 0:01:23" or "verify
 * 12,345 / 45,000 (27%) ETA 0:00:40", then ", 0:12:34 elapsed, RSS 1.2 GB" when `with_time`
 * (and ", spilled 3.4 GB" once a --memory run has spilled).
 */
std::string progress_text(const ProgressFigures& f, bool with_time);

/// The process's resident set in bytes (/proc/self/statm), 0 when unknown.
std::uint64_t resident_bytes();
/// The most the process's resident set has been so far, in bytes (getrusage), 0 when unknown.
std::uint64_t peak_resident_bytes();

/// 1234567 -> "1,234,567".
std::string digits(std::uint64_t v);
/// Bytes as "12.3 MB" (decimal units).
std::string bytes_text(double bytes);
/// Seconds as "0:01:23".
std::string clock_text(double seconds);

}  // namespace dupscan
