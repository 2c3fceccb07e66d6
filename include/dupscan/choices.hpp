/**
 * @file choices.hpp
 * @brief The names each option of a fixed set of values takes (`--format`, `--scheme`, ...), in
 * the order `--help` lists them. The CLI's validators and the Python package's checks both take
 * their lists from here, so that they never offer different choices; each list is defined beside
 * the names it lists (the enum's name function where there is one), so that a new value is one
 * edit.
 */
#pragma once

#include <string>
#include <vector>

namespace dupscan {

/// The values an option takes, in `--help`'s order.
using Choices = std::vector<std::string>;

/// `--format`: input_format_name's names, jsonl and text (run.hpp; io/run_names.cpp).
Choices input_format_choices();
/// `--scheme`: scheme_name's names, affine32, affine64 and legacy (minhash.hpp).
Choices scheme_choices();
/// `--shingle-hash`: shingle_hash_name's names, xxh64 and sha1 (minhash.hpp).
Choices shingle_hash_choices();
/// `--sketch`: sketch_kind_name's names, compat and fast (backend.hpp; sketch/cpu_backend.cpp).
Choices sketch_choices();
/// `--backend`: the names make_backend takes, auto, cpu, cuda and cuda-host (sketch/backend.cpp).
Choices backend_choices();
/// `--keep`: KeepPolicy's names, first and longest (dedup.hpp; dedup/config.cpp).
Choices keep_choices();

/**
 * @brief Checks a value given for a choice option (the Python package's keyword arguments; the
 * CLI checks its own with CLI::IsMember over the same lists).
 * @throw UsageError "OPTION: 'VALUE' not in {A, B, C}" unless `value` is one of `choices`.
 */
void expect_choice(const std::string& option, const std::string& value, const Choices& choices);

}  // namespace dupscan
