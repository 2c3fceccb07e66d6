// The example corpus (examples/corpus.jsonl.gz) as lines, for the tests that split it into inputs.
#pragma once

#include <string>
#include <vector>

#include "io/io.hpp"

namespace dupscan::test {

inline std::vector<std::string> example_lines() {
  auto src = io::open_source(std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz");
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
