// Stage: pass 1 of dedup (dedup.hpp step 1). Every input is streamed once -- parsed, normalized,
// exact-hashed, and sketched by the backend -- into a DocTable. The one-process engine, index
// build/add and every rank of a distributed run (through read_part) call it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dedup/doc_table.hpp"
#include "dedup/key_spill.hpp"
#include "dedup/resume.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/dedup.hpp"
#include "io/io.hpp"
#include "io/pipeline.hpp"

namespace dupscan {

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
  /// A document whose normalized text was sketched already is not sketched again (its exact
  /// group's keys are copied later); false when every document's own signature is written.
  bool skip_seen_exact = true;
  /// index add: the read-nothing hint names the index's text field.
  std::string hint_text_field;
  /// --write-signatures: each document's line, in input order.
  io::OutputFile* signatures_out = nullptr;
  /// The display name of input i (global numbering), for messages and default ids.
  std::function<std::string(std::uint32_t)> display;
  /// When set: for each record of the inputs (documents and skipped records; not blank lines),
  /// in input order, its document number, or kNoDocument when it was skipped (the Python
  /// package's keep mask).
  std::vector<std::uint32_t>* records = nullptr;
  /// When set: the inputs whose parts it holds are loaded, not read, and each input read is
  /// saved there once complete (resume.hpp). Not with `records` nor `signatures_out`.
  const WorkDir* work = nullptr;
  /// --memory: band keys over the spill's window go to disk (key_spill.hpp). With `work`, the
  /// keys of the input being read are kept until its part is saved, unless that input alone
  /// outgrows the window: then it and the inputs after it are not saved (said to `observer`).
  KeySpill* spill = nullptr;
  /// --memory: the texts remembered to sketch each only once are at most this many; past it a
  /// text not remembered is sketched again (the same keys: only work, never a result, changes).
  std::size_t seen_exact_cap = SIZE_MAX;
};

constexpr std::uint32_t kNoDocument = UINT32_MAX;

/// What pass 1 leaves.
struct PassOne {
  DocTable docs;
  std::vector<InputSummary> inputs;
  /// documents, empty, skipped (by reason), text_bytes, sketch_skipped
  DedupCounts counts;
  /// Reads the inputs again (its documents()); owns the stdin spool while it lives.
  std::unique_ptr<RecordPipeline> pipeline;
};

/// @throw as run_dedup. Progress and skipped-record warnings go to `observer`.
PassOne read_and_sketch(const DedupConfig& cfg, Backend& backend, unsigned threads,
                        const PassOneOptions& options, const DedupObserver& observer);

/// One --write-signatures line: {"id", "shingles", "signature": [K], "band_keys": [bands]},
/// every value a decimal JSON integer (DedupConfig::write_signatures).
void append_signature_line(std::string& line, std::string_view id_json, std::uint32_t shingles,
                           const std::uint32_t* signature, std::uint32_t k,
                           const std::uint64_t* band_keys, std::uint32_t bands);
/// The same with 64-bit signature values (affine64).
void append_signature_line(std::string& line, std::string_view id_json, std::uint32_t shingles,
                           const std::uint64_t* signature, std::uint32_t k,
                           const std::uint64_t* band_keys, std::uint32_t bands);

}  // namespace dupscan
