// The example corpus (examples/corpus.jsonl.gz) as lines, for the tests that split it into inputs.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "io/io.hpp"

namespace dupscan::test {

/// examples/; DUPSCAN_EXAMPLES_DIR overrides it (the GPU pack runs the tests away from the tree).
inline std::string examples_dir() {
  const char* dir = std::getenv("DUPSCAN_EXAMPLES_DIR");
  return dir ? dir : DUPSCAN_EXAMPLES;
}

inline std::vector<std::string> example_lines() {
  auto src = io::open_source(examples_dir() + "/corpus.jsonl.gz");
  io::LineReader reader(*src);
  io::RawBatch batch;
  std::vector<std::string> lines;
  while (reader.next(batch, 1 << 22)) {
    for (const auto& l : batch.lines)
      lines.emplace_back(batch.line(l));
  }
  return lines;
}

}  // namespace dupscan::test
