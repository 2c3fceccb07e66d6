// The package's result tables (DedupResult.duplicates and .clusters, ContamResult.examples) as
// Arrow record batches, built from the output lines the engines write (duplicates.jsonl,
// clusters.jsonl, contamination.jsonl): the same rows as those files, byte for byte their values.
//
// Column types are fixed, not guessed from the rows: each table's columns and types are given
// below, and ids -- which are JSON values of any type in the inputs -- take one type per group of
// id columns (a table's document ids; contam's training ids), the JSON type all of the group's ids
// have: utf8 (strings), int64 (integers that fit), uint64 (integers that fit 64 bits unsigned
// only), float64 (numbers with a fraction or an exponent), bool; ids of mixed or composite JSON
// types, or integers beyond 64 bits, are the canonical JSON extension type (pyarrow.json_()), each
// id's JSON text as the output file writes it. A group without ids is of type null.
#pragma once

#include <string_view>

#include "io/columns.hpp"

namespace dupscan::python {

enum class ResultTable {
  duplicates,     ///< id, duplicate_of (ids), cluster int64, kind utf8, jaccard float64
  clusters,       ///< cluster int64, kept (id), members list<id>
  contamination,  ///< benchmark, id, words, judged, dirty, coverage, longest_match, train_docs,
                  ///< matches list<struct<train_id, train_offset, eval_start, eval_end, ngrams>>,
                  ///< more_matches, near_duplicates list<struct<train_id, jaccard>>
};

/**
 * @brief The lines of `jsonl` (one JSON object a line, as the engine writes them) as a stream of
 * record batches in `out` (each under 2^30 bytes of lines, so 32-bit offsets hold them).
 * @throw Error on a line that is not the table's JSON (a field it does not have, a value of
 * another type): the engine's lines always are.
 */
void result_table(ResultTable table, std::string_view jsonl, ArrowArrayStream* out);

}  // namespace dupscan::python
