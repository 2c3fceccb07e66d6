// What the one-process contam engine and the distributed one (dist/contam_dist.cpp) share: the
// backend, the input and output checks, and the eval side (benchmarks, indexes, probe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "contam/benchmarks.hpp"
#include "contam/near_index.hpp"
#include "contam/ngram_index.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam_probe.hpp"
#include "io/input_checks.hpp"
#include "io/output_dir.hpp"

namespace dupscan::contam {

/// The backend of --backend under near_sketch_params(): contam uses its probe (ProbeFactory), whose
/// window sketches the canary checks on a device.
BackendChoice make_contam_backend(const ContamConfig& cfg);

/// Every output of a run but the decontaminated corpus, named by the option that set it.
std::vector<NamedOutput> contam_outputs(const ContamConfig& cfg);

/// The input files: the training files, then the benchmarks'.
std::vector<std::string> contam_inputs(const ContamConfig& cfg);

/// Every input readable, no training file twice, no output replacing an input (as dedup; with
/// --in-place only --write-decontaminated may replace a training file), no Parquet training file
/// with --write-decontaminated.
/// @throw UsageError, on every rank alike.
void check_contam_inputs(const ContamConfig& cfg);

/// The paths a contam run names (inputs, outputs, --tmp-dir): not foreign to its output directory.
std::vector<std::string> contam_own_paths(const ContamConfig& cfg);
/// report.json's output_dir_files of a run that wrote `outputs` (clean/ and, with --html,
/// report.html too).
std::vector<std::string> contam_output_dir_files(const ContamConfig& cfg,
                                                 const std::vector<std::string>& outputs,
                                                 const io::OutputDir& dir);
/// What the commit keeps of the earlier run's outputs: `outputs`, the inputs, clean/, --tmp-dir.
std::vector<std::string> contam_kept_paths(const ContamConfig& cfg,
                                           const std::vector<std::string>& outputs);

/// @throw Error naming the training inputs when the run read no training document (empty files,
/// only blank lines): every example would be called clean. Decided on the whole run's count.
void check_read_training(const std::vector<std::string>& inputs, std::uint64_t documents);

/// The least --memory of a run once its benchmarks' indexes are built: the process as it is now
/// (its resident set) and the pipeline's batches of `threads` workers, at least kMinMemory.
std::size_t contam_minimum_memory(const ContamConfig& cfg, unsigned threads,
                                  const ContamProbe& probe);
/// The minimum when --memory is given (0 when not). @throw UsageError naming the minimum when
/// --memory is below it.
std::size_t check_contam_memory(const ContamConfig& cfg, unsigned threads,
                                const ContamProbe& probe);
/// --memory's share for the Locators kept for --write-decontaminated (LocatorSpill's window),
/// given the run's minimum.
std::size_t contam_spill_window(std::size_t memory, std::size_t minimum);

/// The benchmarks and what is built from them.
struct EvalSide {
  Benchmarks benchmarks;
  NgramIndex index;
  NearIndex near;  ///< built when cfg.near
  std::unique_ptr<ContamProbe> probe;
  /// The backend's canary check (make_backend's), with the probe's added when the backend is a
  /// device (contam/canary.hpp).
  CanaryReport canary;
  /// Set when the device's probe failed its canary check under --backend auto: the probe is the
  /// CPU's, and this says why (the run's backend line).
  std::string fallback_note;

  /**
   * @brief Reads the benchmarks, builds the indexes and the backend's probe; a device's probe is
   * trusted only after its canary check (unless DUPSCAN_CANARY=off or `choice` was not checked).
   * @throw as load_benchmarks and NgramIndex::build; Error when the probe of a device asked for
   * by name fails its canary check.
   */
  void build(const ContamConfig& cfg, ProbeFactory& backend, const CanaryReport& sketch_canary);
};

}  // namespace dupscan::contam
