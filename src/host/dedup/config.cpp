// DedupConfig's checks and the names report.json and the CLI use.
#include <algorithm>
#include <cmath>

#include "dupscan/choices.hpp"
#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "io/record.hpp"

#ifndef DUPSCAN_VERSION
#define DUPSCAN_VERSION "0.0.0"
#endif

namespace dupscan {

const char* version() noexcept {
  return DUPSCAN_VERSION;
}

Choices keep_choices() {
  return {"first", "longest"};
}

void check_sketch_options(SketchKind sketch, bool scheme_given, bool shingle_hash_given) {
  if (sketch != SketchKind::fast) return;
  expects_usage(!scheme_given, kSchemeFastMessage);
  expects_usage(!shingle_hash_given, kShingleHashFastMessage);
}

std::optional<LshParams> lsh_option(std::optional<long long> bands, std::optional<long long> rows,
                                    std::uint32_t num_perm) {
  if (bands && *bands < 1) throw UsageError("--bands must be >= 1, got " + std::to_string(*bands));
  if (rows && *rows < 1) throw UsageError("--rows must be >= 1, got " + std::to_string(*rows));
  expects_usage(bands.has_value() == rows.has_value(),
                "--bands and --rows go together: give both or neither");
  if (!bands) return std::nullopt;
  const long long k = num_perm;
  // Each bounded first: the product of two values above K could overflow.
  if (*bands > k || *rows > k || *bands * *rows > k) {
    throw UsageError("--bands x --rows (" + std::to_string(*bands) + " x " + std::to_string(*rows) +
                     ") must not exceed --num-perm (" + std::to_string(num_perm) + ")");
  }
  return LshParams{static_cast<std::uint32_t>(*bands), static_cast<std::uint32_t>(*rows)};
}

void check_memory_budget(std::size_t memory, std::size_t minimum, const std::string& why) {
  const std::string mib = std::to_string((minimum + (std::size_t{1} << 20) - 1) >> 20) + "M";
  expects_usage(memory == 0 || memory >= minimum,
                "--memory " + std::to_string(memory) + " bytes is below the minimum of " + mib +
                    ": " + why + "; give --memory " + mib + " or more");
}

void DedupConfig::validate() const {
  expects_usage(!inputs.empty() || !tables.empty(),
                "no input given: name one or more JSONL files, or - for stdin");
  expects_usage(std::count(inputs.begin(), inputs.end(), std::string("-")) <= 1,
                "stdin (-) can be given only once");
  expects_usage(!output_dir.empty(), "--output-dir is required");
  expects_usage(!text_field.empty(), "--text-field must not be empty");
  expects_usage(!verify_sources || !against.empty(),
                "--verify-sources checks the files of an index: give --against DIR");
  RecordParser(text_field, id_field, format);  // @throw UsageError on a malformed field path
  expects_usage(max_record_size >= 1 && max_record_size <= UINT32_MAX,
                "--max-record-size must be between 1 byte and 4 GiB - 1 (4294967295 bytes), got " +
                    std::to_string(max_record_size));
  check_memory_budget(memory);
  expects_usage(max_skipped >= 0.0 && max_skipped <= 1.0,
                "--max-skipped must be a share in [0, 1] or a percentage in [0%, 100%]");
  expects_usage(num_perm >= 1 && num_perm <= 8192, "--num-perm must be in [1, 8192]");
  expects_usage(threshold > 0.0 && threshold <= 1.0, "--threshold must be in (0, 1]");
  expects_usage(shingle.n >= 1 && shingle.n <= 1024, "--shingle N must be in [1, 1024]");
  expects_usage(sketch == SketchKind::compat || shingle_hash == ShingleHash::xxh64,
                kShingleHashFastMessage);
  if (lsh) lsh_option(lsh->bands, lsh->rows, num_perm);
  expects_usage(lsh_fp_weight >= 0.0 && lsh_fn_weight >= 0.0 &&
                    std::fabs(lsh_fp_weight + lsh_fn_weight - 1.0) < 1e-9,
                "--lsh-weights FP,FN must be two non-negative numbers that sum to 1");
  expects_usage(batch_bytes >= 1, "batch_bytes must be >= 1");
  expects_usage(threads <= 1024, "--threads must be in [0, 1024]");
  expect_choice("--backend", backend, backend_choices());
}

LshParams DedupConfig::resolved_lsh() const {
  return lsh ? *lsh : optimal_lsh_params(threshold, num_perm, lsh_fp_weight, lsh_fn_weight);
}

SketchParams DedupConfig::sketch_params(LshParams resolved) const {
  SketchParams params;
  params.kind = sketch;
  params.shingle = shingle;
  params.perms = make_permutations(num_perm, seed, scheme);
  if (sketch == SketchKind::compat) params.shingle_hash = shingle_hash;
  params.lsh = resolved;
  return params;
}

}  // namespace dupscan
