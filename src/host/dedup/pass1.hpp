// Stage: pass 1 of dedup (dedup.hpp step 1). Every input is streamed once -- parsed, normalized,
// exact-hashed, and sketched by the backend -- into a DocTable. The one-process engine, index
// build/add and every rank of a distributed run (through read_part) call it, with what it reads
// and how (PassOneSpec) and what it keeps (PassOneOptions); what a runner does besides with each
// batch (--write-signatures, the Python package's keep mask) it does in on_batch.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dedup/doc_spill.hpp"
#include "dedup/doc_table.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/resume.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/normalize.hpp"
#include "io/pipeline.hpp"
#include "io/read_spec.hpp"

namespace dupscan {

/// What pass 1 reads and how, and the shape of what it sketches.
struct PassOneSpec {
  ReadSpec read;
  NormalizeOptions normalize;
  std::vector<std::string> inputs;                        ///< files, "-" = stdin
  std::vector<std::shared_ptr<const TableInput>> tables;  ///< read after `inputs`
  std::uint32_t num_perm = 128;                           ///< K: signature values per document
  bool wide = false;  ///< 64-bit signature values (the compat sketch with affine64)
};

/// How `dedup` and `index` read records: format, fields, skip rules, batch size.
ReadSpec dedup_read_spec(const DedupConfig& cfg);
/// `dedup`'s and `index`'s PassOneSpec: its read options, normalization, inputs and sketch.
PassOneSpec pass_one_spec(const DedupConfig& cfg);

/// One document of a collected batch.
struct PassOneDoc {
  Locator loc;
  std::uint64_t text_len;
  XXH128_hash_t exact;
  bool empty;
  bool sketched;
  std::string id_json;  ///< empty: the record had no id
};

/// One batch of pass 1 as the workers leave it: its documents, bad records and sketches.
struct PassOneBatch {
  std::uint32_t input = 0;  ///< the pipeline's number of its input (PassOneOptions::input_base on)
  std::vector<PassOneDoc> docs;
  std::vector<BadRecord> bad;  ///< in line (row) order
  std::uint64_t blank = 0;
  SketchBatch sketch;  ///< band keys, shingle counts; signatures with PassOneOptions::signatures
  std::string fields;  ///< the keys of the first record without an id
};

struct PassOneOptions {
  /// The run's banding (DedupConfig::resolved_lsh(), which is not cheap: resolved once per run).
  LshParams lsh;
  /// The run's inputs are numbered from here: an --against index's inputs come first.
  std::uint32_t input_base = 0;
  bool spool_stdin = false;  ///< keep a copy of stdin, to read it again later
  std::string tmp_dir;       ///< where that copy goes
  /// Keep every document's signature in DocTable::sigs, or DocTable::sigs64 for affine64
  /// (--no-verify's Jaccard estimates).
  bool keep_signatures = false;
  /// Have the backend compute signatures (for on_batch) even when they are not kept.
  bool signatures = false;
  /// A document whose normalized text was sketched already is not sketched again (its exact
  /// group's keys are copied later); false when every document's own signature is written.
  bool skip_seen_exact = true;
  /// index add: the read-nothing hint names the index's text field.
  std::string hint_text_field;
  /// Called on the collecting thread with each batch read, in input order, before its documents
  /// join the table: `first_doc` is the number of its first document. Not with `work` (a loaded
  /// input's batches are not seen again).
  std::function<void(const PassOneBatch&, std::size_t first_doc)> on_batch;
  /// When set: the inputs whose parts it holds are loaded, not read, and each input read is
  /// saved there once complete (resume.hpp).
  const WorkDir* work = nullptr;
  /// --memory: band keys over the spill's window go to disk (key_spill.hpp). With `work`, the
  /// keys of the input being read are kept until its part is saved, unless that input alone
  /// outgrows the window: then it and the inputs after it are not saved (said to `observer`).
  KeySpill* spill = nullptr;
  /// --memory, with `spill`: the same rows' Locators, ids and text lengths go to disk whenever
  /// the keys do (doc_spill.hpp).
  DocSpill* doc_spill = nullptr;
  /// --memory: the texts remembered to sketch each only once are at most this many; past it a
  /// text not remembered is sketched again (the same keys: only work, never a result, changes).
  std::size_t seen_exact_cap = SIZE_MAX;
  /// index build/add under --memory: the table is not kept whole but handed to `take_rows` in
  /// pieces of exactly this many rows, the first ones in document order, as soon as it holds
  /// them -- with `work`, rows of inputs already saved; when the input being read holds more than
  /// this many rows not saved, it and the inputs after it are not saved (said to `observer`).
  /// What is left at the end (fewer rows, or none) stays in PassOne::docs. The pieces' bounds
  /// depend on the documents alone, not on batches or a resume. 0: the table is kept whole. Not
  /// with `spill` or kept signatures; the ids' repeats are then not counted (said to observer).
  std::size_t take_rows_every = 0;
  std::function<void(DocTable&& rows)> take_rows;
};

/// What pass 1 leaves.
struct PassOne {
  DocTable docs;
  /// Rows handed to PassOneOptions::take_rows: docs' row d is document rows_taken + d.
  std::uint64_t rows_taken = 0;
  std::vector<InputSummary> inputs;
  /// documents, empty, skipped (by reason), text_bytes, sketch_skipped
  DedupCounts counts;
  /// Reads the inputs again (its documents()); owns the stdin spool while it lives.
  std::unique_ptr<RecordPipeline> pipeline;
};

/// @throw as run_dedup. Progress and skipped-record warnings go to `observer`; inputs are named
/// as the pipeline names them (RecordPipeline::display).
PassOne read_and_sketch(const PassOneSpec& spec, Sketcher& backend, unsigned threads,
                        const PassOneOptions& options, const RunObserver& observer);

}  // namespace dupscan
