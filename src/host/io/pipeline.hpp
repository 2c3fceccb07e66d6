// The streaming skeleton every command shares: one thread reads the inputs in batches of whole
// lines, `threads` workers process the batches, and the calling thread collects each batch's
// result in input order -- so results never depend on the thread count. Memory is bounded: a
// fixed pool of batches circulates, a batch returning to the pool only once collected.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/parallel.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"

namespace dupscan {

/**
 * Skipped-record bookkeeping shared by the commands: counts, warnings, --strict, and the rule that
 * keeps a run that read nothing from looking clean: an input whose records were all skipped, or
 * more than max_skipped of them, fails the run, saying why in one line and what to do.
 */
class SkipPolicy {
 public:
  struct Options {
    bool strict = false;
    double max_skipped = 0.1;
    InputFormat format = InputFormat::jsonl;
    /// The text field cannot be chosen (index add: the index's): the hint says which it is.
    std::string fixed_text_field;
  };
  SkipPolicy(Options o, const std::function<void(const std::string&)>& warn) : o_(o), warn_(warn) {}
  /// Counts a bad record of `input` (its display name), or throws Error with --strict.
  void skip(const std::string& input, const BadRecord& b, InputSummary& summary) {
    const std::string where = input + ":" + std::to_string(b.line);
    if (o_.strict) throw Error(where + ": " + b.detail + " (--strict)");
    ++skipped;
    ++by_reason[static_cast<int>(b.reason)];
    ++summary.skipped;
    const int r = static_cast<int>(b.reason);
    if (input_by_reason_[r]++ == 0) first_[r] = b;
    if (warn_ && skipped <= kMaxSkipWarnings) warn_(where + ": " + b.detail + "; record skipped");
  }

  /**
   * @brief Called once per input, in input order, when all its records are counted.
   * @throw Error when it had records and none could be used, or more than max_skipped of them
   * were skipped.
   */
  void input_done(const std::string& input, const InputSummary& summary) {
    const std::uint64_t bad = summary.skipped, total = summary.records + summary.skipped;
    std::uint64_t counts[kSkipReasonCount];
    std::copy(std::begin(input_by_reason_), std::end(input_by_reason_), std::begin(counts));
    std::fill(std::begin(input_by_reason_), std::end(input_by_reason_), 0);
    if (bad == 0) return;
    const bool none = summary.records == 0;
    if (!none && static_cast<double>(bad) <= o_.max_skipped * static_cast<double>(total)) return;
    int top = 0;
    for (int r = 1; r < kSkipReasonCount; ++r) {
      if (counts[r] > counts[top]) top = r;
    }
    const BadRecord& b = first_[top];
    char share[96];
    std::snprintf(share, sizeof share, "%.1f%%, more than --max-skipped %g%%",
                  100.0 * static_cast<double>(bad) / static_cast<double>(total),
                  100.0 * o_.max_skipped);
    std::string msg = "'" + input + "': ";
    msg += none ? "no document read, all " + std::to_string(total) + " records skipped"
                : std::to_string(bad) + " of " + std::to_string(total) + " records skipped (" +
                      share + ")";
    msg += " (" + (counts[top] == bad ? std::string() : std::to_string(counts[top]) + " with ") +
           b.detail + ", the first at line " + std::to_string(b.line) + ")";
    if (!b.fields.empty()) {
      msg += "; records have fields: " + b.fields;
      if (!o_.fixed_text_field.empty()) {
        msg += "; the index reads --text-field " + o_.fixed_text_field + ": add files that have it";
      } else if (!b.suggestion.empty()) {
        msg += "; use --text-field " + b.suggestion;
      }
    } else if (b.plain_text && o_.format == InputFormat::jsonl) {
      msg += "; this looks like plain text, not JSON Lines: use --format text";
    } else if (!none) {
      msg += "; fix the input, or allow more with --max-skipped";
    }
    throw Error(msg);
  }

  std::uint64_t skipped = 0;
  std::uint64_t by_reason[kSkipReasonCount] = {};

 private:
  Options o_;
  const std::function<void(const std::string&)>& warn_;
  std::uint64_t input_by_reason_[kSkipReasonCount] = {};  // of the input being read
  BadRecord first_[kSkipReasonCount];                     // its first bad record of each reason
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
      BadRecord b;
      b.line = l.line_no;
      b.reason = SkipReason::record_too_large;
      b.detail = "record larger than 4 GiB";
      bad(std::move(b));
      continue;
    }
    if (!parser.parse(line.data(), line.size(), text, id, reason, detail)) {
      BadRecord b;
      b.line = l.line_no;
      b.reason = reason;
      b.detail = detail;
      parser.explain(line, b);
      bad(std::move(b));
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
    /// Told when each input's records are all collected (SkipPolicy::input_done), or null.
    SkipPolicy* skips = nullptr;
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

    std::uint32_t open_input = 0;  // inputs before it are collected whole
    try {
      std::map<std::uint64_t, Done> pending;
      std::uint64_t next = 0;
      while (auto got = done_q.pop()) {
        const std::uint64_t seq = got->raw->seq;
        pending.emplace(seq, std::move(*got));
        for (auto it = pending.find(next); it != pending.end(); it = pending.find(next)) {
          if (error.failed() || interrupt_requested()) break;
          // Batches come in input order: one of a later input closes the earlier ones.
          for (; open_input < it->second.raw->input; ++open_input)
            input_done(open_input);
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
    for (; open_input < o_.inputs.size(); ++open_input)
      input_done(open_input);
  }

 private:
  void input_done(std::uint32_t input) {
    if (o_.skips) o_.skips->input_done(display(input), summaries_[input]);
  }

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
        spool_path_ = io::temp_path(o_.tmp_dir + "/.dupscan-stdin-spool", "0");
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
