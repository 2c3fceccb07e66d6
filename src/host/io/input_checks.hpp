// What every reading command checks before it reads anything: the inputs exist and are files, no
// file is given twice, and no output would replace an input.
#pragma once

#include <string>
#include <vector>

namespace dupscan {

/// @throw Error naming the path when an input is missing, unreadable or a directory. Only stat
/// and access: reading would consume a named pipe. "-" (stdin) is skipped.
void check_inputs_readable(const std::vector<std::string>& inputs);

/// @throw UsageError naming the file when two inputs are one file (the same path twice, or two
/// paths to one file: same device and inode): each document would be its own exact duplicate.
void check_inputs_distinct(const std::vector<std::string>& inputs);

/// The bytes the inputs hold when every one is a plain (uncompressed) regular file, which a run
/// reads as they are: the progress line's total; 0 when any is stdin, a pipe, compressed or
/// Parquet (their decompressed size is not known ahead).
std::uint64_t plain_input_bytes(const std::vector<std::string>& inputs);

/// An output file and the option that names it, for messages.
struct NamedOutput {
  std::string path;
  std::string option;  ///< "--write-deduped", "--output-dir", ...
  /// --in-place lets this output (the rewritten corpus) replace an input; no other output.
  bool in_place_ok = false;
};

/// @throw UsageError ("input file is output file") naming both when an output is one of the
/// inputs. With `in_place` the outputs marked in_place_ok may replace an input; every other
/// output is still checked.
void check_outputs_not_inputs(const std::vector<std::string>& inputs,
                              const std::vector<NamedOutput>& outputs, bool in_place);

}  // namespace dupscan
