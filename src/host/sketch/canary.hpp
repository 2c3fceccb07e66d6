// The canary check: a device backend is trusted only after it has shown the CPU's bits. Before a
// run uses a device, make_backend pushes a small built-in set of documents through it under the
// run's settings (sketch kind, scheme, K, shingles, bands) and compares every stage the run will
// use with the CPU backend's result of that moment; contam's probe is checked the same way by
// contam/canary.hpp. The documents are chosen to cross the device paths' boundaries: the empty
// text, one unit short of a shingle, shingle counts around a warp, a block, a tile and a chunk,
// many short documents sharing a block, one long document over several chunks, non-ASCII UTF-8,
// exact and near copies (so that exact groups and candidate pairs are not empty).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "dupscan/backend.hpp"
#include "io/json_writer.hpp"

namespace dupscan::canary {

/// True when DUPSCAN_CANARY=off (benchmarks that must not pay the check; unsafe).
bool disabled();

/// `words` of the canary's words (ASCII and 2- to 4-byte UTF-8) joined by single spaces, the same
/// for the same `seed`.
std::string words(std::size_t words, std::uint64_t seed);

/// The canary's documents under `shingle`, normalized (lower-case words, single spaces).
NormalizedBatch documents(const ShingleSpec& shingle);

/**
 * @brief Compares `device` with the CPU backend on documents(params.shingle): the sketch (two
 * batches in flight at once, with signatures, and again without), the verification sets, exact
 * groups and candidate pairs (all documents, and with half of them as --against documents).
 * @return "passed" with its cost, or "failed" with the first stage and value that differ.
 */
CanaryReport check_backend(Backend& device, const SketchParams& params);

/**
 * @brief report.json's backend fields, shared by every command: "backend" (the one that ran),
 * "backend_asked" (--backend) and "canary" ({"status", "device", "checked", "milliseconds"}, and
 * "stage" and "difference" when it failed).
 */
void write_backend_json(JsonWriter& w, const std::string& backend, const std::string& asked,
                        const CanaryReport& canary);

/// "0x" and 16 hex digits.
std::string hex(std::uint64_t v);

/**
 * @brief "" when `cpu` and `device` are equal; else where they first differ, as "<what> <i>:
 * cpu <value>, device <value>" (or their sizes when one is a prefix of the other).
 */
template <class T, class Name>
std::string first_difference(const std::vector<T>& cpu, const std::vector<T>& device,
                             Name&& name_of) {
  const std::size_t n = cpu.size() < device.size() ? cpu.size() : device.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (!(cpu[i] == device[i])) {
      return name_of(i) + ": cpu " + hex(static_cast<std::uint64_t>(cpu[i])) + ", device " +
             hex(static_cast<std::uint64_t>(device[i]));
    }
  }
  if (cpu.size() != device.size()) {
    return "count: cpu " + std::to_string(cpu.size()) + ", device " + std::to_string(device.size());
  }
  return "";
}

}  // namespace dupscan::canary
