/**
 * @file distributed.hpp
 * @brief `dupscan dedup` and `dupscan contam` over several processes (MPI ranks), with the same
 * outputs, byte for byte, as one process over the same inputs. (The design below is dedup's;
 * contam's is at run_contam_distributed.)
 *
 * ## How the work is split
 *  - Inputs: whole files, contiguous in the order given, split so that every rank reads about the
 *    same number of bytes (file sizes; a rank may get none). Rank r's documents are numbered after
 *    those of ranks 0..r-1, so the global numbering is the one-process input order.
 *  - Pass 1 on every rank over its own files (parse, normalize, exact hash, sketch), as in
 *    dedup.hpp. Exact groups: (exact hash, document) of each rank's earliest member of a group go
 *    to the rank owning the hash (hash mod ranks), which names the group's earliest member.
 *  - LSH in one round per band: (band key, document) go to the rank owning the key, which sorts
 *    its share and pairs each bucket member with the bucket's first one; each pair (u < v) goes to
 *    the rank holding v, which removes the pairs found in several bands.
 *  - Verification where the data lives: the rank of v reads its own documents again and receives
 *    the shingle sets of the partners u held by other ranks from them, in rounds of
 *    DedupConfig::verify_round_pairs pairs.
 *  - Clusters: a distributed union-find -- each document in a verified pair has a label, kept by
 *    its rank; rounds of hooking (each pair proposes the smaller of its ends' labels) and pointer
 *    jumping run until no label falls, leaving each component labelled by its smallest document,
 *    the root one process picks. The members of a cluster report to the rank holding its root,
 *    which counts them, picks the kept member (--keep) and numbers the clusters in the order of
 *    their first members.
 *  - Outputs: every rank writes its own lines (duplicates: its removed documents; clusters: the
 *    clusters it numbered; --write-deduped: its kept records, a Parquet input's kept rows as JSON
 *    objects) at its offset in one temporary file per output in the shared output directory;
 *    rank 0 renames them when all are complete, and writes report.json with the counts of all
 *    ranks. A Parquet --write-deduped of Parquet inputs is rank 0's alone: a Parquet file cannot
 *    be joined from pieces, so it copies the kept rows of every input (the removed rows gathered
 *    from their ranks) as one process does.
 *
 * report.json equals a one-process run's but for timings_s (the slowest rank per stage), "ranks",
 * "memory" and two counters of work done, sketch_skipped and keys_from_copy: a rank sketches the
 * first copy of a text it holds even when another rank holds an earlier one.
 *
 * --memory is per rank: each rank spills its band keys as one process does (KeySpill, into its own
 * directory) and sends each band's entries from its merged runs in (key, document) order, which
 * the owner's stable sort by key keeps as from memory; "memory" has the budget of a rank, the
 * largest rank's peak and the spill of all ranks.
 *
 * Not in a distributed run (usage errors): stdin, pipes and devices (read twice), tables in
 * memory, --against, --write-signatures, --no-verify, and a Parquet --write-deduped of line
 * files.
 * A compressed --write-deduped is one gzip member or zstd frame per rank: its decompressed bytes
 * equal a one-process run's, its compressed bytes do not.
 */
#pragma once

#include <string>
#include <vector>

#include "dupscan/contam.hpp"
#include "dupscan/dedup.hpp"

namespace dupscan {

/// The messages a distributed run needs: MPI implements it (dupscan-mpi), threads in the tests.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Collective: send[r] goes to rank r (send.size() == size()); returns, by rank, what each
  /// rank sent to this one.
  virtual std::vector<std::string> all_to_all(const std::vector<std::string>& send) = 0;
  /// Collective: every rank's `mine`, by rank.
  virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
};

/**
 * @brief run_dedup over the ranks of `comm`; every rank calls it with the same configuration.
 * @return on rank 0 the result of the whole run (counts of all ranks; timings: the slowest rank
 * per stage); on the other ranks their own part (inputs, documents, skipped records).
 * @throw UsageError / Error as run_dedup. An exception on one rank leaves the others waiting in
 * a collective: the caller must abort them all (MPI_Abort), which is what dupscan-mpi does.
 */
DedupResult run_dedup_distributed(const DedupConfig& config, Communicator& comm,
                                  const RunObserver& observer = {});

/**
 * @brief run_contam over the ranks of `comm`, with the same outputs, byte for byte, as one
 * process: each rank reads a share of the training files (as dedup splits them) and scans it
 * against the benchmarks, which every rank reads; rank 0 merges the ranks' findings in rank order
 * (verdicts, coverage, spans clipped again in input order, near duplicates, matched-document
 * counts) and writes contamination.jsonl, clean/ and report.json; every rank writes its share of
 * --write-decontaminated and removed.jsonl, cut with the n-gram counts of all ranks.
 * report.json equals one process's but for timings_s (the slowest rank per stage), "ranks" and
 * "memory". --memory is per rank: each rank checks its minimum (a refusal anywhere is every
 * rank's) and spills its Locators into its own file (LocatorSpill).
 * A compressed --write-decontaminated is one gzip member or zstd frame per rank: its decompressed
 * bytes equal a one-process run's, its compressed bytes do not.
 * A Parquet corpus is cut as its rows' JSON objects, as in one process (its columns checked on
 * every rank before anything is read).
 * Not in a distributed run: stdin, tables in memory, a Parquet --write-decontaminated (usage
 * errors, on every rank before anything is read).
 * @return on rank 0 the result of the whole run; on the others their own part.
 * @throw as run_contam; an exception on one rank leaves the others waiting (see above).
 */
ContamResult run_contam_distributed(const ContamConfig& config, Communicator& comm,
                                    const RunObserver& observer = {});

}  // namespace dupscan
