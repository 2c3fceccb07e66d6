// What each rank of a distributed run (src/host/dist/dedup_dist.cpp) does as one process would:
// pass 1 and the exact groups of its slice of the inputs (pass1.hpp, exact_groups.hpp), with its
// own backend (one GPU per rank). Internal: nothing under include/ sees this.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <memory>

#include "dedup/doc_spill.hpp"
#include "dedup/doc_table.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/resume.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "io/documents.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"

namespace dupscan {

/// Pass 1 and the exact groups of inputs [first, first + count) of a configuration, as one
/// process runs them over all its inputs. Inputs keep their numbers among all of cfg.inputs.
struct Part {
  LshParams lsh;
  std::string backend;  ///< its name
  std::string backend_note;
  std::string backend_asked;
  CanaryReport canary;
  /// The rank's backend, for the stages after pass 1 (verification sets).
  std::unique_ptr<Backend> sketcher;
  unsigned threads = 0;
  DocTable docs;
  /// Earliest document of the part with the same normalized text (itself when first); its band
  /// keys are the group's even when it was not the member that was sketched.
  std::vector<std::uint32_t> exact_rep;
  std::vector<RereadSource> sources;  ///< by input number, all of cfg.inputs (others empty)
  DocumentInputs documents;           ///< by input number, all of cfg.inputs (others null)
  std::vector<InputSummary> inputs;   ///< the part's inputs
  /// documents, empty, skipped (by reason), text_bytes, sketch_skipped, keys_from_copy
  DedupCounts counts;

  /// The document's id as JSON: its id field, or "path:line" when it had none.
  void append_id(std::string& out, std::uint32_t d, const std::vector<std::string>& inputs) const;
};

/// `cfg` must have passed validate(); count may be 0 (a rank without files).
/// @throw as run_dedup. The observer sees the part's progress and skipped records.
/// `work`: the rank's work directory (resume.hpp), whose parts are loaded and saved, or null.
/// `spill`: --memory's spill of the rank's band keys (key_spill.hpp), finished after pass 1 --
/// when it spilled anything, docs.keys is then empty and the keys are read from its runs -- or
/// null; `seen_exact_cap`: PassOneOptions::seen_exact_cap. `doc_spill`: with the spill, the
/// same documents' rows (doc_spill.hpp), finished after pass 1 -- when it spilled anything, the
/// exact groups come from its runs and docs holds no row -- or null.
Part read_part(const DedupConfig& cfg, std::uint32_t first, std::uint32_t count,
               const RunObserver& observer, const WorkDir* work = nullptr,
               KeySpill* spill = nullptr, std::size_t seen_exact_cap = SIZE_MAX,
               DocSpill* doc_spill = nullptr);

}  // namespace dupscan
