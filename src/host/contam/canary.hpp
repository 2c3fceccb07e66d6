// The canary check of contam's probe (the sketch's is src/host/sketch/canary.hpp): before a run
// probes its training stream on a device, training documents built from the run's own benchmarks
// go through the device's probe and the CPU's over the run's tables, and their results must be
// equal bit for bit.
#pragma once

#include <memory>
#include <vector>

#include "contam/benchmarks.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam_probe.hpp"

namespace dupscan::contam {

/**
 * @brief Janitor-normalized training documents for the probe's canary: the empty text, short
 * ones around a warp and a block of words, examples of `examples` whole, inside other words, near
 * copies of them (every 9th word changed), and one long document with several examples in it.
 */
ProbeBatch canary_documents(const std::vector<EvalExample>& examples);

/**
 * @brief Compares `device` with the CPU probe over `tables` on canary_documents(examples) (two
 * batches in flight at once): candidates, windows and window keys. Adds "contam probe" to
 * r.checked and its time to r.milliseconds; on a difference r.status is "failed" with the stage
 * and the first differing value.
 */
void check_probe(ContamProbe& device, const std::shared_ptr<const ProbeTables>& tables,
                 const std::vector<EvalExample>& examples, CanaryReport& r);

}  // namespace dupscan::contam
