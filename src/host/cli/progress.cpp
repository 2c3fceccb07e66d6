#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/progress_text.hpp"
#include "dupscan/minhash.hpp"

namespace dupscan::cli {

std::string group_digits(std::uint64_t v) {
  return digits(v);
}

std::string human_bytes(double bytes) {
  return bytes_text(bytes);
}

ProgressBar ProgressBar::for_stderr(bool enabled, double interval) {
  if (!enabled) return ProgressBar(Mode::off);
  if (::isatty(STDERR_FILENO)) return ProgressBar(Mode::live);
  return ProgressBar(interval > 0 ? Mode::log : Mode::off, interval);
}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::finish() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  cv_.notify_all();
  if (beat_.joinable()) beat_.join();
  clear();
}

void ProgressBar::update(const Progress& p) {
  if (mode_ == Mode::off) return;
  std::lock_guard<std::mutex> lock(m_);
  if (stop_) return;
  const auto now = Clock::now();
  if (stage_ != p.stage) {
    stage_ = p.stage;
    stage_start_ = now;
  }
  latest_ = p;
  have_ = true;
  if (mode_ == Mode::log && !beat_.joinable()) beat_ = std::thread([this] { heartbeat(); });
  const auto since = std::chrono::duration<double>(now - last_).count();
  if (mode_ == Mode::live ? drawn_ && since < 0.2 : since < interval_) return;
  print(p, now);
}

void ProgressBar::print(const Progress& p, Clock::time_point now) {
  last_ = now;
  const ProgressFigures f = figures_of(p, std::chrono::duration<double>(now - start_).count(),
                                       std::chrono::duration<double>(now - stage_start_).count());
  if (mode_ == Mode::log) {
    std::fprintf(stderr, "dupscan: progress: %s\n", progress_text(f, true).c_str());
  } else {
    std::fprintf(stderr, "\r\033[K  %s", progress_text(f, false).c_str());
    drawn_ = true;
  }
  std::fflush(stderr);
}

void ProgressBar::heartbeat() {
  std::unique_lock<std::mutex> lock(m_);
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(interval_));
  while (!stop_) {
    cv_.wait_until(lock, last_ + period, [&] { return stop_; });
    if (stop_) break;
    const auto now = Clock::now();
    if (have_ && now - last_ >= period) print(latest_, now);
  }
}

void ProgressBar::clear() {
  std::lock_guard<std::mutex> lock(m_);
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

RunObserver stderr_observer(ProgressBar& bar, bool quiet) {
  RunObserver obs;
  obs.progress = [&bar](const Progress& p) { bar.update(p); };
  obs.warning = [&bar, quiet](const std::string& w) {
    bar.clear();
    if (!quiet) std::fprintf(stderr, "dupscan: warning: %s\n", w.c_str());
  };
  obs.info = [&bar, quiet](const std::string& line) {
    bar.clear();
    if (!quiet) std::fprintf(stderr, "dupscan: %s\n", line.c_str());
  };
  return obs;
}

// Long: the summary's lines, one fprintf each, in the order they are printed.
void print_summary(std::FILE* out, const DedupConfig& cfg, const DedupResult& r) {
  const DedupCounts& c = r.counts;
  std::uint64_t bytes = 0, text_bytes = 0;
  bool compressed = false;
  for (const auto& in : r.inputs) {
    bytes += in.bytes;
    text_bytes += in.text_bytes;
    compressed |= in.compression != "none";
  }
  const double secs = r.timings.total;
  const std::uint64_t removed = c.exact_duplicates + c.near_duplicates;
  const double pct = c.documents ? 100.0 * removed / c.documents : 0.0;
  // What was read: JSON Lines, plain text (--format text) or Parquet, as the inputs were.
  std::vector<std::string> kinds;
  for (const auto& in : r.inputs) {
    const std::string kind = in.compression == "parquet"       ? "Parquet"
                             : in.compression == "arrow"       ? "Arrow"
                             : cfg.format == InputFormat::text ? "text"
                                                               : "JSONL";
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) kinds.push_back(kind);
  }
  std::string of;
  for (std::size_t i = 0; i < kinds.size(); ++i)
    of += (i == 0 ? "" : i + 1 == kinds.size() ? " and " : ", ") + kinds[i];
  std::string size = human_bytes(static_cast<double>(text_bytes)) + " of " +
                     (of.empty() ? std::string("input") : of);
  if (compressed) size += " (" + human_bytes(static_cast<double>(bytes)) + " compressed)";
  std::fprintf(
      out, "dupscan dedup: %s document%s, %s, in %.2f s: %s/s, %s docs/s [%s, %s%u thread%s]\n",
      group_digits(c.documents).c_str(), c.documents == 1 ? "" : "s", size.c_str(), secs,
      human_bytes(secs > 0 ? text_bytes / secs : 0).c_str(),
      group_digits(static_cast<std::uint64_t>(secs > 0 ? c.documents / secs : 0)).c_str(),
      r.backend.c_str(), r.ranks > 1 ? (std::to_string(r.ranks) + " ranks x ").c_str() : "",
      r.threads, r.threads == 1 ? "" : "s");
  std::fprintf(out, "  removed           %s (%.2f%%): %s exact, %s near duplicate%s\n",
               group_digits(removed).c_str(), pct, group_digits(c.exact_duplicates).c_str(),
               group_digits(c.near_duplicates).c_str(), c.near_duplicates == 1 ? "" : "s");
  std::fprintf(out, "  kept              %s\n", group_digits(c.kept).c_str());
  if (r.resume.inputs_loaded > 0) {
    // The rate above counts the loaded inputs' bytes, not the time an earlier run spent on them.
    std::fprintf(out,
                 "  resumed           %u of %u inputs loaded from %s, read by an interrupted "
                 "run (the rate above counts their bytes, not their time)\n",
                 r.resume.inputs_loaded, r.resume.inputs, r.resume.work_dir.c_str());
  }
  if (!cfg.against.empty()) {
    std::fprintf(out,
                 "  against index     %s: %s documents (kept; only new documents are removed)\n",
                 cfg.against.c_str(), group_digits(r.indexed_documents).c_str());
    std::string taken;
    for (const std::string& o : cfg.from_index)
      taken += (taken.empty() ? "" : ", ") + o;
    std::fprintf(out, "  from the index    %s\n",
                 taken.empty() ? "no option needed (this run's are the index's)" : taken.c_str());
  }
  std::fprintf(out, "  clusters          %s\n", group_digits(c.clusters).c_str());
  if (cfg.verify) {
    std::fprintf(out, "  candidate pairs   %s: %s verified (Jaccard >= %g), %s rejected\n",
                 group_digits(c.candidate_pairs).c_str(), group_digits(c.verified_pairs).c_str(),
                 cfg.threshold, group_digits(c.rejected_pairs).c_str());
  } else {
    std::fprintf(out, "  candidate pairs   %s (not verified: --no-verify)\n",
                 group_digits(c.candidate_pairs).c_str());
  }
  if (c.empty || c.skipped) {
    std::fprintf(out, "  empty documents   %s (kept, never clustered)\n",
                 group_digits(c.empty).c_str());
    std::fprintf(out, "  skipped records   %s (bad lines; reasons in report.json)\n",
                 group_digits(c.skipped).c_str());
  }
  if (r.skipped_passed_through) {
    std::fprintf(out, "  deduped copy      %s skipped records copied through unread\n",
                 group_digits(r.skipped_passed_through).c_str());
  }
  const std::string sketch =
      cfg.sketch == SketchKind::fast
          ? std::string("fast sketch")
          : std::string("MinHash ") + scheme_name(cfg.scheme) +
                (cfg.shingle_hash == ShingleHash::sha1 ? " (SHA-1 shingles)" : "");
  std::fprintf(out, "  parameters        %s, %s, K=%u, seed %u, %u bands x %u rows, threshold %g\n",
               cfg.shingle.to_string().c_str(), sketch.c_str(), cfg.num_perm, cfg.seed, r.lsh.bands,
               r.lsh.rows, cfg.threshold);
  std::fprintf(
      out, "  LSH recall        %.0f%% of pairs at Jaccard %g, %.1f%% at %g become candidates\n",
      100 * candidate_probability(cfg.threshold, r.lsh), cfg.threshold,
      100 * candidate_probability(std::min(1.0, cfg.threshold + 0.1), r.lsh),
      std::min(1.0, cfg.threshold + 0.1));
  if (const MemorySummary& m = r.memory; m.peak_resident) {
    // dupscan-mpi: the budget is each rank's, the peak the largest rank's, the spill their sum.
    const bool ranks = r.ranks > 1;
    std::string budget = "no --memory limit";
    if (m.budget) {
      budget =
          "--memory " + bytes_text(static_cast<double>(m.budget)) + (ranks ? " per rank: " : ": ") +
          (m.spilled_bytes
               ? bytes_text(static_cast<double>(m.spilled_bytes)) + " spilled (band keys in " +
                     group_digits(m.spill_runs) + " runs" +
                     (m.documents_on_disk
                          ? ", the table of " + group_digits(m.documents_on_disk) + " documents"
                          : std::string()) +
                     ")"
               : std::string("nothing spilled"));
      // Said, not hidden: what a budget does not bound (docs/scaling.md) grows past it.
      if (m.peak_resident > m.budget) budget += "; OVER the budget: see docs/scaling.md";
    }
    std::fprintf(out, "  memory            peak %s resident%s (%s)\n",
                 bytes_text(static_cast<double>(m.peak_resident)).c_str(),
                 ranks ? " on the largest rank" : "", budget.c_str());
  }
  std::fprintf(out, "  outputs          ");
  for (const auto& o : r.outputs)
    std::fprintf(out, " %s", o.c_str());
  std::fprintf(out, "\n");
}

}  // namespace dupscan::cli
