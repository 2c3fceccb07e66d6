// dedup --against: new documents deduplicated against an index of earlier ones (index.hpp).
// The index's parameters become the run's (adopt_index_parameters); after pass 1 the indexed
// documents that share an exact hash or a band key with a new one are loaded (never the whole
// index) and become documents 0..n-1, before the new ones, so that every later stage runs as over
// the indexed inputs followed by the new ones.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dedup/doc_spill.hpp"
#include "dedup/doc_table.hpp"
#include "dedup/key_spill.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/index.hpp"
#include "io/documents.hpp"

namespace dupscan {

/// The index parameters a configuration sketches with (bands x rows resolved).
index::Params index_params_of(const DedupConfig& cfg, LshParams lsh);

/// stat() of an input for an index manifest: absolute path, size, mtime.
index::Input stamp_input(const std::string& path);

/// An input already in the index, or given twice, would match itself: a usage error.
void reject_indexed_inputs(const index::Manifest& manifest, const std::vector<std::string>& inputs);

class AgainstIndex {
 public:
  /**
   * @brief Opens the index cfg.against (manifest, segments' checksums, indexed files unchanged).
   * @throw UsageError when its parameters differ from the run's or an input is in it; Error when
   * it is damaged or an indexed file changed.
   */
  AgainstIndex(const DedupConfig& cfg, LshParams lsh);

  /// The index's inputs, numbered before the run's.
  std::uint32_t inputs() const { return static_cast<std::uint32_t>(manifest_.inputs.size()); }
  const index::Manifest& manifest() const { return manifest_; }
  /// The indexed files, to read them again, by input number.
  const DocumentInputs& documents() const { return documents_; }

  /**
   * @brief After pass 1 over the new inputs: prepends to `docs` the indexed documents that are,
   * for some new document's exact hash or band key, the earliest indexed document with it.
   * @return how many were prepended (the new documents now start there).
   */
  std::uint32_t prepend_referenced(DocTable& docs, std::uint32_t bands, unsigned threads) const;
  /**
   * @brief The same under --memory, after pass 1 spilled the new documents' rows and keys
   * (finish()): their hashes and keys come from the merge of the runs, probed a bounded chunk at
   * a time, and the referenced indexed documents are held by the spills, numbered before the
   * spilled ones (DocSpill::prepend, KeySpill::prepend); docs' flags get their rows too.
   * @return how many were prepended.
   */
  std::uint32_t prepend_referenced(DocTable& docs, std::uint32_t bands, unsigned threads,
                                   KeySpill& keys, DocSpill& rows) const;

 private:
  /// fn(high, low) for each new document's exact hash, ascending (repeats allowed).
  using HashFeed = std::function<void(const std::function<void(std::uint64_t, std::uint64_t)>& fn)>;
  /// fn(key) for each new document's key of a band, ascending (repeats allowed).
  using KeyFeed =
      std::function<void(std::uint32_t band, const std::function<void(std::uint64_t)>& fn)>;
  /// The indexed documents, ascending, that are the earliest with one of the hashes or keys.
  std::vector<std::uint64_t> referenced(const HashFeed& hashes, const KeyFeed& keys,
                                        std::uint32_t bands, unsigned threads) const;
  /// Indexed documents `wanted` as rows of a table (keys, flags, Locators, ids...).
  DocTable load_rows(const std::vector<std::uint64_t>& wanted, std::uint32_t bands) const;

  index::Manifest manifest_;
  std::vector<index::SegmentFile> segments_;
  DocumentInputs documents_;
};

}  // namespace dupscan
