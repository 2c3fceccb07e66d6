// The outputs about the benchmarks: contamination.jsonl (one line per example), clean/NAME.jsonl
// (the examples not dirty, as read) with the per-benchmark verdict counts, and report.json.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "contam/benchmarks.hpp"
#include "contam/findings.hpp"
#include "io/io.hpp"
#include "io/sink.hpp"

namespace dupscan::contam {

/// The example's contamination.jsonl line (with its '\n') appended to `line`.
void append_contamination_line(std::string& line, const ContamConfig& cfg, const EvalExample& ex,
                               const ExampleFindings& f, const Findings& findings);

/// Counts every example's verdicts and coverage subsets into sums[its benchmark].
void tally_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    std::vector<BenchmarkSummary>& sums);

/// Writes every example's line to `contamination` and the examples not dirty (each its line as
/// read, and '\n') to clean[benchmark].
void write_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    const io::Sink& contamination, const std::vector<io::Sink>& clean);
/// write_examples into files.
void write_examples(const ContamConfig& cfg, const Benchmarks& benchmarks, const Findings& findings,
                    io::AtomicFile& contamination,
                    std::vector<std::unique_ptr<io::AtomicFile>>& clean);

/// With --write-decontaminated: a warning per benchmark whose dirty examples kept matches
/// uncut as boilerplate (BenchmarkSummary::boilerplate_dirty), saying how to cut them.
void warn_boilerplate(const ContamConfig& cfg, const std::vector<BenchmarkSummary>& sums,
                      const std::function<void(const std::string&)>& warning);

/// report.json of a run.
std::string report_json(const ContamConfig& cfg, const ContamResult& res);

}  // namespace dupscan::contam
