// What the scan found, per benchmark example and per n-gram group, gathered from the training
// documents in input order (Findings::add): verdicts, coverage, the matched spans, the near
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

/**
 * Words [eval_start, eval_end) of an example found in one training document, word for word: a run
 * of matched n-grams on one alignment (their first words consecutive), or a part of one. The
 * matched n-grams of the run start at example words first_ngram .. last_ngram and are ngram_len
 * words long; train_offset[k] is the byte offset, in the training text, of the word that example
 * word eval_start + k matched.
 */
struct Span {
  std::uint32_t example = 0;
  std::uint32_t doc = 0;  ///< global training document number
  std::uint32_t eval_start = 0, eval_end = 0;
  std::uint32_t first_ngram = 0, last_ngram = 0, ngram_len = 0;
  std::uint32_t train_word = 0;  ///< the training word eval_start matched (orders runs)
  std::vector<std::uint32_t> train_offset;

  /// Matched n-grams of the run that lie inside the span.
  std::uint32_t ngrams() const {
    if (eval_end < ngram_len) return 0;
    const std::uint32_t lo = first_ngram > eval_start ? first_ngram : eval_start;
    const std::uint32_t hi = last_ngram < eval_end - ngram_len ? last_ngram : eval_end - ngram_len;
    return hi >= lo ? hi - lo + 1 : 0;
  }
};

/// What one training document matched.
struct DocFindings {
  std::uint32_t doc = 0;   ///< global training document number
  std::string id_json;     ///< its id as JSON
  std::vector<Hit> hits;   ///< confirmed n-gram matches, in probe order
  std::vector<Span> runs;  ///< the hits as runs, by (example, train_word, eval_start)
  std::vector<NearHit> near;
};

/// The hits of one document as runs (Span), with their words' offsets from raw_begin (the
/// document's words' offsets in its text).
void runs_of_hits(const std::vector<Hit>& hits, const NgramIndex& index,
                  const std::uint32_t* raw_begin, std::vector<Span>& runs);

/// Per example.
struct ExampleFindings {
  bool dirty = false;
  std::vector<std::uint8_t> covered;  ///< per word: inside a matched n-gram (judged examples)
  /// Disjoint, covering exactly the covered words: each word belongs to the first run that
  /// matched it (training documents in input order; in a document, by training word).
  std::vector<Span> spans;
  std::uint64_t train_docs = 0;  ///< training documents with a matched n-gram of it
  struct Near {
    std::uint32_t train_doc;
    double jaccard;
  };
  std::vector<Near> near;  ///< the first max_matches

  /// Adds the words of `run` not covered yet, as spans (one per uncovered stretch).
  void add_run(const Span& run);
  /// The longest stretch of covered words.
  std::uint32_t longest_match() const;
  std::size_t covered_words() const;
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

  /**
   * @brief This process's findings as a message (a distributed run): per example with a finding
   * its verdict, spans, training document count and near duplicates, with the ids of the
   * documents they name (numbered as here).
   */
  std::string pack() const;
  /**
   * @brief Adds a part that pack() made where documents were numbered from 0, its documents
   * numbered from doc_base here. Parts come in input order (rank order): the spans are clipped
   * again, so the result is what add() of every document in that order gives.
   */
  void merge(const std::string& part, std::uint64_t doc_base);
  /// The run's counts per n-gram group (a distributed run sums every rank's group_docs()).
  void set_group_docs(std::vector<std::uint32_t> counts) { group_docs_ = std::move(counts); }

  const ExampleFindings& example(std::size_t e) const { return examples_[e]; }
  /// The id (as JSON) of a training document that matched something.
  const std::string& train_id(std::uint32_t doc) const { return train_ids_.at(doc); }
  /// Per n-gram group: training documents it matched in.
  const std::vector<std::uint32_t>& group_docs() const { return group_docs_; }
  /// Per example: 1 when one of its n-grams matched in more than max_train_docs documents.
  std::vector<std::uint8_t> boilerplate_examples() const;
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
