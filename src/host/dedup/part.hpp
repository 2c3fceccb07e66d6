// What the one-process engine (dedup.cpp) lends the distributed one (dedup_dist.cpp): pass 1 over
// a slice of the inputs, the per-document table it leaves, the verification set of a record as
// read again, and report.json. Internal: nothing under include/ sees this.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dupscan/dedup.hpp"
#include "io/record.hpp"
#include "io/refetch.hpp"

namespace dupscan {

// Everything kept per document between the passes: a few hundred bytes, never text.
struct DocTable {
  std::vector<Locator> loc;
  std::vector<std::uint64_t> id_end;  // id of doc i: ids[id_end[i-1], id_end[i]); empty: default
  std::string ids;
  std::vector<XXH128_hash_t> exact;
  std::vector<std::uint64_t> text_len;
  std::vector<std::uint8_t> empty;
  std::vector<std::uint8_t> sketched;  // 0: an exact copy of an earlier-sketched text
  std::vector<std::uint64_t> keys;     // bands per doc
  std::vector<std::uint32_t> sigs;     // K per doc, only without verification

  std::size_t size() const { return loc.size(); }

  /// Document d's id as JSON: its id field, or "NAME:line" when it had none, NAME being
  /// input_name() (called only then).
  template <class InputName>
  void append_id(std::string& out, std::uint32_t d, InputName&& input_name) const {
    const std::uint64_t begin = d == 0 ? 0 : id_end[d - 1];
    if (id_end[d] > begin) {
      out.append(ids, begin, id_end[d] - begin);
    } else {
      append_json_string(out, input_name() + ":" + std::to_string(loc[d].line));
    }
  }
};

/// Pass 1 and the exact groups of inputs [first, first + count) of a configuration, as one
/// process runs them over all its inputs. Inputs keep their numbers among all of cfg.inputs.
struct Part {
  LshParams lsh;
  std::string backend;
  unsigned threads = 0;
  DocTable docs;
  /// Earliest document of the part with the same normalized text (itself when first); its band
  /// keys are the group's even when it was not the member that was sketched.
  std::vector<std::uint32_t> exact_rep;
  std::vector<RereadSource> sources;  ///< by input number, all of cfg.inputs (others empty)
  std::vector<InputSummary> inputs;   ///< the part's inputs
  /// documents, empty, skipped (by reason), text_bytes, sketch_skipped, keys_from_copy
  DedupCounts counts;

  /// The document's id as JSON: its id field, or "path:line" when it had none.
  void append_id(std::string& out, std::uint32_t d, const std::vector<std::string>& inputs) const;
};

/// `cfg` must have passed validate(); count may be 0 (a rank without files).
/// @throw as run_dedup. The observer sees the part's progress and skipped records.
Part read_part(const DedupConfig& cfg, std::uint32_t first, std::uint32_t count,
               const DedupObserver& observer);

/// The verification set (backend.hpp) of a record read again; `display` names its input when the
/// record no longer parses (the file changed). `norm` is scratch space.
void record_set(const DedupConfig& cfg, std::string_view record, const std::string& display,
                std::uint64_t line, std::string& norm, std::vector<std::uint64_t>& out);

/// What report.json says of an --against index, when there is one.
struct AgainstSummary {
  std::string index;
  std::uint64_t documents = 0, referenced = 0, segments = 0, inputs = 0;
};

/// report.json of a finished run.
std::string report_json(const DedupConfig& cfg, const DedupResult& r,
                        const AgainstSummary* against);

}  // namespace dupscan
