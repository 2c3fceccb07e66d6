// The settings the Python package passes to its module, typed: one struct per command, its fields
// the package's keyword arguments (None: not given, so the library's default or, with an index,
// the index's). nanobind converts each field, so a value of the wrong type is a TypeError before
// any of this runs (the package names the keyword: dupscan/__init__.py, _settings); each struct
// becomes its command's configuration in one function, which checks the choices and ranges with
// the library's own parsers and choice lists (dupscan/choices.hpp), those of the command line.
#pragma once

#include <nanobind/nanobind.h>

#include <optional>
#include <string>
#include <vector>

#include "dupscan/contam.hpp"
#include "dupscan/dedup.hpp"
#include "report/report.hpp"

namespace dupscan::python {

/// dedup(), Index.build() and .add(), signatures() and band_keys().
struct DedupSettings {
  std::optional<std::string> text, id, format, scheme, shingle_hash, sketch, shingle, keep, backend,
      against;
  std::optional<double> threshold, max_skipped;
  std::optional<long long> num_perm, seed, threads, bands, rows;
  std::optional<bool> verify, strict;
  /// With `against`: the options set on purpose, as the command line names them
  /// (adopt_index_parameters); the others are the index's.
  std::vector<std::string> given;
};

/// contam() (the benchmarks themselves are passed apart).
struct ContamSettings {
  std::optional<std::string> text, id, benchmark_id, backend;
  std::optional<long long> ngram, min_ngram, max_matches, boilerplate_docs, threads;
  std::optional<double> near_threshold;
  std::optional<bool> near;
};

/// A result's .report(path, ...): the page's options (report::ReportOptions).
struct ReportSettings {
  std::optional<std::string> name, by, base;
  std::optional<long long> clusters, members, pairs, exact, list, chars, seed;
  std::optional<bool> texts;
};

/// @throw UsageError as the command line's options do (their names in the message).
DedupConfig dedup_config(const DedupSettings& s);
/// @throw UsageError as dedup_config.
ContamConfig contam_config(const ContamSettings& s);
/// @throw UsageError as dedup_config.
report::ReportOptions report_options(const ReportSettings& s);

/// Binds the three structs: classes with a typed attribute per field (None: not given) and
/// `field_types`, a dict field -> the Python type(s) it takes in words ("int or float"), for the
/// package's TypeError.
void bind_settings(nanobind::module_& m);

}  // namespace dupscan::python
