// libFuzzer target: the byte sources (plain, gzip, zstd, detected by content) and the line reader.
// Input: a file's bytes. Invariants: for a plain file, the lines read back are exactly the file
// (each followed by '\n', the last one possibly without), with consistent offsets and numbers;
// for compressed input, any failure is a dupscan::Error naming the file, never a crash.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace {
[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("fuzz-input", 0);
  if (fd < 0) return 0;
  if (size && ::write(fd, data, size) != static_cast<ssize_t>(size)) {
    ::close(fd);
    return 0;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const bool plain = dupscan::io::is_plain_file(path);
  std::string rebuilt;
  std::uint64_t expect_line = 1;
  try {
    auto src = dupscan::io::open_source(path);
    dupscan::io::LineReader reader(*src);
    dupscan::io::RawBatch batch;
    // A small target so that lines straddle batches and reads.
    while (reader.next(batch, 1 + size % 97)) {
      if (batch.data.size() < batch.size + dupscan::io::kPadding) fail("padding missing");
      for (const auto& l : batch.lines) {
        if (l.line_no != expect_line++) fail("line numbers not consecutive");
        if (l.stream_offset != rebuilt.size()) fail("stream offset does not match");
        rebuilt.append(batch.line(l));
        rebuilt.push_back('\n');
      }
    }
    if (plain) {
      const std::string in(reinterpret_cast<const char*>(data), size);
      if (!(rebuilt == in || rebuilt == in + "\n")) fail("plain lines differ from the file");
    }
  } catch (const dupscan::Error& e) {
    if (plain) fail("a plain file raised an error");
    if (std::string(e.what()).find(path) == std::string::npos) fail("error without the path");
  }
  ::close(fd);
  return 0;
}
