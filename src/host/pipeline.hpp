// The streaming skeleton every command shares: one thread reads the inputs in batches of whole
// lines, `threads` workers process the batches, and the calling thread collects each batch's
// result in input order -- so results never depend on the thread count. Memory is bounded: a
// fixed pool of batches circulates, a batch returning to the pool only once collected.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io.hpp"
#include "json_writer.hpp"
#include "parallel.hpp"
#include "record.hpp"
#include "refetch.hpp"

namespace dupscan {

/// A record that could not be used, by line.
struct BadRecord {
  std::uint64_t line;
  SkipReason reason;
  std::string detail;
};

/// Skipped-record bookkeeping shared by the commands: counts, warnings, --strict.
class SkipPolicy {
 public:
  SkipPolicy(bool strict, const std::function<void(const std::string&)>& warn)
      : strict_(strict), warn_(warn) {}
  /// Counts a bad record of `input` (its display name), or throws Error with --strict.
  void skip(const std::string& input, const BadRecord& b, InputSummary& summary) {
    const std::string where = input + ":" + std::to_string(b.line);
    if (strict_) throw Error(where + ": " + b.detail + " (--strict)");
    ++skipped;
    ++by_reason[static_cast<int>(b.reason)];
    ++summary.skipped;
    if (warn_ && skipped <= kMaxSkipWarnings) warn_(where + ": " + b.detail + "; record skipped");
  }
  std::uint64_t skipped = 0;
  std::uint64_t by_reason[kSkipReasonCount] = {};

 private:
  bool strict_;
  const std::function<void(const std::string&)>& warn_;
};

/**
 * Calls good(line, text, id_json) for each usable record of a batch and bad(BadRecord) for each
 * unusable one; counts blank lines into `blank`. `text` is valid until the next record.
 */
template <class Good, class Bad>
void for_each_record(const io::RawBatch& raw, RecordParser& parser, std::uint64_t& blank,
                     Good&& good, Bad&& bad) {
  std::string_view text;
  std::string id, detail;
  SkipReason reason{};
  for (const io::LineRef& l : raw.lines) {
    const std::string_view line = raw.line(l);
    if (is_blank(line)) {
      ++blank;
      continue;
    }
    if (l.length > UINT32_MAX) {
      bad(BadRecord{l.line_no, SkipReason::record_too_large, "record larger than 4 GiB"});
      continue;
    }
    if (!parser.parse(line.data(), line.size(), text, id, reason, detail)) {
      bad(BadRecord{l.line_no, reason, detail});
      continue;
    }
    good(l, text, id);
    if (line.size() > (std::size_t{64} << 20)) parser.trim();
  }
}

class RecordPipeline {
 public:
  struct Options {
    std::vector<std::string> inputs;  ///< paths, "-" = stdin
    unsigned threads = 1;
    std::size_t batch_bytes = std::size_t{1} << 20;
    bool spool_stdin = false;  ///< keep a copy of stdin so that it can be read again
    std::string tmp_dir;       ///< where the spool goes
  };

  explicit RecordPipeline(Options o) : o_(std::move(o)) {
    sources_.resize(o_.inputs.size());
    summaries_.resize(o_.inputs.size());
    for (std::size_t i = 0; i < o_.inputs.size(); ++i) {
      summaries_[i].path = display(static_cast<std::uint32_t>(i));
      sources_[i].display = summaries_[i].path;
    }
  }
  ~RecordPipeline() {
    if (!spool_path_.empty()) ::unlink(spool_path_.c_str());
  }
  RecordPipeline(const RecordPipeline&) = delete;
  RecordPipeline& operator=(const RecordPipeline&) = delete;

  /// "<stdin>" for "-", else the path as given.
  std::string display(std::uint32_t input) const {
    return o_.inputs[input] == "-" ? "<stdin>" : o_.inputs[input];
  }
  /// How to read each input again once run() returned (the stdin spool stands in for stdin).
  const std::vector<RereadSource>& sources() const { return sources_; }
  /// Per input: the reader fills compression, bytes, text_bytes, lines, xxh3_64; the caller's
  /// collect fills the rest.
  std::vector<InputSummary>& summaries() { return summaries_; }

  /**
   * @brief Runs the pipeline. process(worker, batch) -> Result runs on the workers (worker in
   * [0, threads)); collect(result, batch) runs on the calling thread, in input order. The first
   * exception anywhere stops everything and is rethrown; an interrupt throws Interrupted.
   */
  template <class Result, class Process, class Collect>
  void run(Process&& process, Collect&& collect) {
    const std::size_t pool_size = 2 * static_cast<std::size_t>(o_.threads) + 2;
    std::vector<io::RawBatch> pool(pool_size);
    BlockingQueue<io::RawBatch*> free_q, work_q;
    struct Done {
      io::RawBatch* raw;
      Result result;
    };
    BlockingQueue<Done> done_q;
    for (auto& b : pool)
      free_q.push(&b);
    FirstError error;

    std::thread reader([&] {
      try {
        read_inputs(free_q, work_q, error);
      } catch (...) {
        error.set(std::current_exception());
      }
      work_q.close();
    });
    std::vector<std::thread> workers;
    std::atomic<unsigned> live{o_.threads};
    for (unsigned w = 0; w < o_.threads; ++w) {
      workers.emplace_back([&, w] {
        try {
          while (auto slot = work_q.pop()) {
            io::RawBatch* raw = *slot;
            if (error.failed() || interrupt_requested()) {
              done_q.push(Done{raw, Result{}});
              continue;
            }
            done_q.push(Done{raw, process(w, *raw)});
          }
        } catch (...) {
          error.set(std::current_exception());
        }
        if (live.fetch_sub(1) == 1) done_q.close();
      });
    }

    try {
      std::map<std::uint64_t, Done> pending;
      std::uint64_t next = 0;
      while (auto got = done_q.pop()) {
        const std::uint64_t seq = got->raw->seq;
        pending.emplace(seq, std::move(*got));
        for (auto it = pending.find(next); it != pending.end(); it = pending.find(next)) {
          if (error.failed() || interrupt_requested()) break;
          collect(it->second.result, *it->second.raw);
          free_q.push(it->second.raw);
          pending.erase(it);
          ++next;
        }
        if (error.failed() || interrupt_requested()) break;
      }
    } catch (...) {
      error.set(std::current_exception());
    }
    // Unblock and stop everyone, whatever happened.
    free_q.close();
    work_q.close();
    while (done_q.pop()) {
    }
    reader.join();
    for (auto& th : workers)
      th.join();
    error.rethrow();
    check_interrupt();
  }

 private:
  void read_inputs(BlockingQueue<io::RawBatch*>& free_q, BlockingQueue<io::RawBatch*>& work_q,
                   FirstError& error) {
    std::uint64_t seq = 0;
    for (std::uint32_t i = 0; i < o_.inputs.size(); ++i) {
      const std::string& path = o_.inputs[i];
      RereadSource& rs = sources_[i];
      rs.path = path;
      rs.plain = io::is_plain_file(path);
      stamp_source(rs);
      auto src = io::open_source(path);
      std::FILE* spool = nullptr;
      if (path == "-" && o_.spool_stdin) {
        // stdin cannot be read twice: keep a copy of its decompressed bytes for the later passes.
        spool_path_ = o_.tmp_dir + "/.dupscan-stdin-spool-" + std::to_string(::getpid());
        spool = std::fopen(spool_path_.c_str(), "wb");
        if (!spool) io::throw_errno("create spool file", spool_path_);
        rs.path = spool_path_;
        rs.plain = true;
      }
      io::LineReader reader(*src, spool, spool_path_);
      for (;;) {
        if (error.failed() || interrupt_requested()) break;
        auto slot = free_q.pop();
        if (!slot) break;
        io::RawBatch* b = *slot;
        if (!reader.next(*b, o_.batch_bytes)) {
          free_q.push(b);
          break;
        }
        b->input = i;
        b->seq = seq++;
        work_q.push(b);
      }
      if (spool) {
        const bool bad = std::fflush(spool) != 0;
        std::fclose(spool);
        if (bad) io::throw_errno("write spool file", spool_path_);
        stamp_source(rs);
      }
      // These fields are the reader's; the collector writes the others (records, skipped,
      // blank_lines) of the same struct, which are distinct memory locations.
      InputSummary& s = summaries_[i];
      s.compression = src->compression();
      s.bytes = src->raw_bytes();
      s.text_bytes = reader.bytes();
      s.lines = reader.lines();
      s.xxh3_64 = src->raw_checksum();
      if (error.failed() || interrupt_requested()) return;
    }
  }

  Options o_;
  std::vector<RereadSource> sources_;
  std::vector<InputSummary> summaries_;
  std::string spool_path_;
};

/// The "inputs" array of report.json: one object per input, as the reader summarized it.
inline void write_input_summaries(JsonWriter& w, const std::vector<InputSummary>& inputs) {
  w.begin_array();
  for (const InputSummary& in : inputs) {
    w.begin_object();
    w.field("path", in.path);
    w.field("compression", in.compression);
    w.field("bytes", in.bytes);
    w.field("text_bytes", in.text_bytes);
    w.field("lines", in.lines);
    w.field("records", in.records);
    w.field("blank_lines", in.blank_lines);
    w.field("skipped", in.skipped);
    w.field("xxh3_64", in.xxh3_64);
    w.end_object();
  }
  w.end_array();
}

}  // namespace dupscan
