// Deduplicates two identical records through the installed library: its headers, the static
// library and what it links (simdjson, xxhash, zlib, zstd) all resolve.
#include <dupscan/dedup.hpp>

#include <cstdio>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  std::ofstream(dir + "/in.jsonl") << "{\"id\":\"a\",\"text\":\"one two three four five six\"}\n"
                                      "{\"id\":\"b\",\"text\":\"One two three four five six!\"}\n";
  dupscan::DedupConfig cfg;
  cfg.inputs = {dir + "/in.jsonl"};
  cfg.output_dir = dir + "/out";
  const dupscan::DedupResult r = dupscan::run_dedup(cfg);
  std::printf("dupscan %s: %llu documents, %llu exact duplicates\n", dupscan::version(),
              static_cast<unsigned long long>(r.counts.documents),
              static_cast<unsigned long long>(r.counts.exact_duplicates));
  return r.counts.exact_duplicates == 1 ? 0 : 1;
}
