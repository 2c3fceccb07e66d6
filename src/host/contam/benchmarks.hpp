// The evaluation side of contam: every benchmark's examples, read and Janitor-normalized once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dupscan/contam.hpp"

namespace dupscan::contam {

/// One benchmark example.
struct EvalExample {
  std::uint32_t bench = 0;  ///< index into ContamConfig::evals
  std::string id_json;      ///< its id as JSON, or "<path>:<line>"
  std::string raw_line;     ///< the record as read, for clean/NAME.jsonl
  JanitorWords words;       ///< without raw_begin / raw_end (only training matches need them)
  bool judged = false;      ///< words >= --min-ngram
};

/// Every benchmark of a run, in the order of --eval, examples in file order.
struct Benchmarks {
  std::vector<EvalExample> examples;
  std::vector<BenchmarkSummary> summaries;  ///< name, path, fields and example counts
};

/**
 * @brief Reads and normalizes every --eval benchmark; marks the examples of >= min_ngram words
 * judged. @throw Error naming file:line for a record that cannot be used: the tables must cover
 * every example.
 */
Benchmarks load_benchmarks(const ContamConfig& cfg);

}  // namespace dupscan::contam
