#include "common/progress_text.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace dupscan {

std::string digits(std::uint64_t v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
    s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string clock_text(double seconds) {
  const auto s = static_cast<unsigned long long>(seconds < 0 ? 0 : seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::uint64_t peak_resident_bytes() {
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<std::uint64_t>(u.ru_maxrss) * 1024;  // Linux: kilobytes
}

std::uint64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long long size = 0, resident = 0;
  const int got = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

std::string progress_text(const ProgressFigures& f, bool with_time) {
  std::string s = f.stage;
  const bool reading = std::strcmp(f.stage, "read") == 0 || std::strcmp(f.stage, "scan") == 0;
  char buf[128];
  if (reading) {
    const double t = f.elapsed > 0 ? f.elapsed : 0;
    std::snprintf(buf, sizeof buf, " %s docs, %s, %s docs/s, %.1f MB/s",
                  digits(f.documents).c_str(), bytes_text(static_cast<double>(f.bytes)).c_str(),
                  digits(static_cast<std::uint64_t>(t > 0 ? f.documents / t : 0)).c_str(),
                  t > 0 ? f.bytes / t / 1e6 : 0.0);
    s += buf;
  } else if (f.total) {
    s += " " + digits(f.done) + " / " + digits(f.total);
  }
  if (f.total && f.done <= f.total) {
    std::snprintf(buf, sizeof buf, "%s%.0f%%", reading ? ", " : " (", 100.0 * f.done / f.total);
    s += buf;
    if (!reading) s += ")";
    // The stage's own rate so far; said once a tenth of a second has passed.
    if (f.done > 0 && f.done < f.total && f.stage_elapsed > 0.1) {
      s += " ETA " + clock_text(f.stage_elapsed * (f.total - f.done) / f.done);
    }
  }
  if (with_time) {
    s += ", " + clock_text(f.elapsed) + " elapsed";
    if (const std::uint64_t rss = resident_bytes()) s += ", RSS " + bytes_text(rss);
    if (f.spilled) s += ", spilled " + bytes_text(static_cast<double>(f.spilled));
  }
  return s;
}

}  // namespace dupscan
