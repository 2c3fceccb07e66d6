#include "io/input_checks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {

void check_inputs_readable(const std::vector<std::string>& inputs) {
  for (const std::string& path : inputs) {
    if (path == "-") continue;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) io::throw_errno("open input", path);
    if (S_ISDIR(st.st_mode)) throw Error("input '" + path + "' is a directory, not a file");
    if (::access(path.c_str(), R_OK) != 0) io::throw_errno("open input", path);
  }
}

void check_inputs_distinct(const std::vector<std::string>& inputs) {
  std::vector<io::FileId> ids(inputs.size());
  std::vector<bool> known(inputs.size(), false);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    known[i] = io::file_id(inputs[i], ids[i]);
    if (!known[i]) continue;
    for (std::size_t j = 0; j < i; ++j) {
      if (!known[j] || !(ids[j] == ids[i])) continue;
      throw UsageError(
          inputs[i] == inputs[j]
              ? "input '" + inputs[i] +
                    "' is given twice: its documents would be their own exact "
                    "duplicates; give each file once"
              : "inputs '" + inputs[j] + "' and '" + inputs[i] +
                    "' are the same file: its documents would be their own exact duplicates; "
                    "give each file once");
    }
  }
}

void check_outputs_not_inputs(const std::vector<std::string>& inputs,
                              const std::vector<NamedOutput>& outputs, bool in_place) {
  for (const NamedOutput& out : outputs) {
    if (in_place && out.in_place_ok) continue;
    io::FileId o;
    if (out.path.empty() || !io::file_id(out.path, o)) continue;  // not there: no input
    for (const std::string& in : inputs) {
      io::FileId i;
      if (!io::file_id(in, i) || !(i == o)) continue;
      throw UsageError("input file is output file: " + out.option + " '" + out.path +
                       "' would replace the input '" + in + "'; write it elsewhere" +
                       (out.in_place_ok ? ", or give --in-place to replace the input once the "
                                          "run has succeeded"
                                        : ""));
    }
  }
}

std::uint64_t plain_input_bytes(const std::vector<std::string>& inputs) {
  std::uint64_t total = 0;
  for (const std::string& path : inputs) {
    if (path == "-") return 0;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    // Compressed (gzip, zstd) or Parquet ("PAR1"): the first bytes say.
    unsigned char head[4] = {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    const ssize_t got = ::read(fd, head, sizeof head);
    ::close(fd);
    if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) return 0;
    if (got == 4 && ((head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) ||
                     (head[0] == 'P' && head[1] == 'A' && head[2] == 'R' && head[3] == '1'))) {
      return 0;
    }
    total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace dupscan
