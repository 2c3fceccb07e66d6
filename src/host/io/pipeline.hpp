// The streaming skeleton every command shares: one thread reads the inputs in batches
// (DocBatch: whole lines of a line file, or rows of an Arrow chunk for Parquet files and tables
// in memory), `threads` workers process the batches, and the calling thread collects each batch's
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
#include "dupscan/errors.hpp"
#include "dupscan/run.hpp"
#include "io/documents.hpp"
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
    /// An id field named on purpose (DedupConfig::id_field_required, JSON Lines): an input of
    /// which no record had it fails (InputSummary::with_id counts those that did).
    std::string required_id_field;
  };
  SkipPolicy(Options o, const std::function<void(const std::string&)>& warn) : o_(o), warn_(warn) {}
  /// Counts a bad record of `input` (its display name), or throws Error with --strict.
  void skip(const std::string& input, const BadRecord& b, InputSummary& summary) {
    const std::string where = input + (b.row ? ":row " : ":") + std::to_string(b.line);
    if (o_.strict) throw Error(where + ": " + b.detail + " (--strict)");
    ++skipped;
    ++by_reason[static_cast<int>(b.reason)];
    ++summary.skipped;
    const int r = static_cast<int>(b.reason);
    if (input_by_reason_[r]++ == 0) first_[r] = b;
    if (warn_ && summary.skipped <= kMaxSkipWarnings) {
      warn_(where + ": " + shorten(b.detail) + "; record skipped");
    }
  }

  /// `detail` on one line of at most kMaxWarningReason characters (simdjson's messages are long).
  static std::string shorten(const std::string& detail) {
    std::string s = detail;
    std::replace(s.begin(), s.end(), '\n', ' ');
    // "malformed JSON (The JSON document has an improper structure: missing or superfluous
    // commas, ...)": simdjson's explanation after the colon is the same on every line.
    const auto open = s.find(" ("), colon = s.find(": ", open == std::string::npos ? 0 : open);
    if (open != std::string::npos && colon != std::string::npos && s.back() == ')') {
      s = s.substr(0, colon) + ")";
    }
    if (s.size() <= kMaxWarningReason) return s;
    std::size_t cut = s.rfind(' ', kMaxWarningReason - 3);
    if (cut == std::string::npos || cut < kMaxWarningReason / 2) cut = kMaxWarningReason - 3;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 character
    s.resize(cut);
    if (s.back() == ',' || s.back() == ':' || s.back() == ';') s.pop_back();
    return s + "...";
  }

  /// The keys of a record of the input being read without the required id (for the message).
  void record_fields(const std::string& keys) {
    if (fields_.empty()) fields_ = keys;
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
    const std::string fields = std::move(fields_);
    fields_.clear();
    if (!o_.required_id_field.empty() && summary.records > 0 && summary.with_id == 0) {
      throw Error(
          "'" + input + "': no record has the id field '" + o_.required_id_field + "'" +
          (fields.empty() ? std::string() : " (records have fields: " + fields + ")") +
          "; name one the records have, or leave the id field out for \"<path>:<line>\" ids");
    }
    if (bad == 0) return;
    const bool none = summary.records == 0;
    const bool fails =
        none || static_cast<double>(bad) > o_.max_skipped * static_cast<double>(total);
    // The bad records not warned about one by one: one line (before the error, if any).
    if (warn_ && bad > kMaxSkipWarnings) {
      warn_(input + ": ... and " + std::to_string(bad - kMaxSkipWarnings) + " more record" +
            (bad - kMaxSkipWarnings == 1 ? "" : "s") + " skipped" +
            (fails ? std::string() : "; report.json counts them by reason"));
    }
    if (!fails) return;
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
           b.detail + ", the first at " + (b.row ? "row " : "line ") + std::to_string(b.line) + ")";
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
  std::string fields_;  // its first record's keys, when the id field is required and missing
};

class RecordPipeline {
 public:
  struct Options {
    DocumentInputs documents;  ///< the inputs, opened (documents.hpp)
    unsigned threads = 1;
    std::size_t batch_bytes = std::size_t{1} << 20;
    /// Told when each input's records are all collected (SkipPolicy::input_done), or null.
    SkipPolicy* skips = nullptr;
    /// Inputs before this one are not read (a resumed run has their results already): their
    /// summaries are the caller's to fill.
    std::uint32_t first_input = 0;
    /// Called on the collecting thread once each input read is collected whole and its skips
    /// checked, in input order (a resumable run saves its part there), or empty.
    std::function<void(std::uint32_t)> on_input_done;
  };

  explicit RecordPipeline(Options o) : o_(std::move(o)) {
    summaries_.resize(o_.documents.size());
    for (std::size_t i = 0; i < o_.documents.size(); ++i)
      summaries_[i].path = o_.documents[i]->display();
  }
  RecordPipeline(const RecordPipeline&) = delete;
  RecordPipeline& operator=(const RecordPipeline&) = delete;

  /// "<stdin>" for "-", else the path as given (or the table's name).
  std::string display(std::uint32_t input) const { return o_.documents[input]->display(); }
  /// The inputs, to read them again once run() returned (the stdin spool stands in for stdin).
  const DocumentInputs& documents() const { return o_.documents; }
  /// How to read each line file again once run() returned (columnar inputs: an empty source).
  std::vector<RereadSource> sources() const {
    std::vector<RereadSource> s;
    for (const auto& d : o_.documents)
      s.push_back(d->reread_source() ? *d->reread_source() : RereadSource{});
    return s;
  }
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
    std::vector<DocBatch> pool(pool_size);
    BlockingQueue<DocBatch*> free_q, work_q;
    struct Done {
      DocBatch* raw;
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
            DocBatch* raw = *slot;
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

    std::uint32_t open_input = o_.first_input;  // inputs before it are collected whole
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
    for (; open_input < o_.documents.size(); ++open_input)
      input_done(open_input);
  }

 private:
  void input_done(std::uint32_t input) {
    if (o_.skips) o_.skips->input_done(display(input), summaries_[input]);
    if (o_.on_input_done) o_.on_input_done(input);
  }

  void read_inputs(BlockingQueue<DocBatch*>& free_q, BlockingQueue<DocBatch*>& work_q,
                   FirstError& error) {
    std::uint64_t seq = 0;
    for (std::uint32_t i = o_.first_input; i < o_.documents.size(); ++i) {
      DocumentInput& input = *o_.documents[i];
      for (;;) {
        if (error.failed() || interrupt_requested()) break;
        auto slot = free_q.pop();
        if (!slot) break;
        DocBatch* b = *slot;
        if (!input.next(*b, o_.batch_bytes)) {
          free_q.push(b);
          break;
        }
        b->input = i;
        b->seq = seq++;
        work_q.push(b);
      }
      // These fields are the reader's; the collector writes the others (records, skipped,
      // blank_lines) of the same struct, which are distinct memory locations.
      input.summarize(summaries_[i]);
      if (error.failed() || interrupt_requested()) return;
    }
  }

  Options o_;
  std::vector<InputSummary> summaries_;
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
