// What the scan found, per benchmark example and per n-gram group, gathered from the training
// documents in input order (Findings::add): verdicts, coverage, the matches listed, the near
// duplicates, and the training documents matched (for the decontaminated copy).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "contam/benchmarks.hpp"
#include "contam/near_index.hpp"
#include "contam/ngram_index.hpp"
#include "dupscan/contam.hpp"

namespace dupscan::contam {

/// What one training document matched.
struct DocFindings {
  std::uint32_t doc = 0;  ///< global training document number
  std::string id_json;    ///< its id as JSON
  std::vector<Hit> hits;  ///< confirmed n-gram matches, in probe order
  std::vector<NearHit> near;
};

/// Per example.
struct ExampleFindings {
  bool dirty = false;
  std::vector<std::uint8_t> covered;  ///< per word: inside a matched n-gram (judged examples)
  struct Match {
    std::uint32_t train_doc;
    std::uint64_t train_offset;
    std::uint32_t pos, len;  ///< the matched words of the example
  };
  std::vector<Match> matches;  ///< the first max_matches
  std::uint64_t more_matches = 0;
  struct Near {
    std::uint32_t train_doc;
    double jaccard;
  };
  std::vector<Near> near;  ///< the first max_matches
};

/// A matched training document, kept for the decontaminated copy.
struct DirtyDoc {
  std::uint32_t doc;
  std::vector<Hit> hits;
};

class Findings {
 public:
  Findings(const ContamConfig& cfg, const Benchmarks& benchmarks, const NgramIndex& index,
           bool keep_dirty);

  /// Adds what one document matched; documents come in ascending order.
  void add(DocFindings&& d);

  const ExampleFindings& example(std::size_t e) const { return examples_[e]; }
  /// The id (as JSON) of a training document that matched something.
  const std::string& train_id(std::uint32_t doc) const { return train_ids_.at(doc); }
  /// Per n-gram group: training documents it matched in.
  const std::vector<std::uint32_t>& group_docs() const { return group_docs_; }
  /// Matched documents with their hits, ascending (when kept).
  const std::vector<DirtyDoc>& dirty_docs() const { return dirty_; }

  std::uint64_t matches = 0;            ///< confirmed (n-gram, document position) matches
  std::uint64_t documents_matched = 0;  ///< training documents with >= 1 match

 private:
  const ContamConfig& cfg_;
  const NgramIndex& index_;
  bool keep_dirty_;
  std::vector<ExampleFindings> examples_;
  std::vector<std::uint32_t> group_docs_;
  std::vector<std::uint32_t> group_seen_;  // per group: the last document counted
  std::map<std::uint32_t, std::string> train_ids_;
  std::vector<DirtyDoc> dirty_;
};

}  // namespace dupscan::contam
