// libFuzzer target: the index's files (index.hpp). Input: a mode byte, then a file. Odd mode: the
// bytes are an index.json; reading it either works or throws dupscan::Error. Even mode: the bytes
// are a segment, with a manifest made to match its size and checksum (so that the parser is
// reached) and 1-16 bands, 1-8 inputs from the mode byte; opening it, reading its first
// documents and ids and probing its tables with their keys either throws dupscan::Error or
// gives consistent documents, inputs and probe results.
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "dupscan/errors.hpp"
#include "dupscan/index.hpp"
#include "io/io.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

const std::string& scratch_dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/dupscan-fuzz-index-XXXXXX";
    if (!::mkdtemp(tmpl)) std::abort();
    return std::string(tmpl);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned mode = data[0];
  const char* body = reinterpret_cast<const char*>(data + 1);
  const std::size_t n = size - 1;
  namespace ix = dupscan::index;
  if (mode & 1) {
    const std::string path = scratch_dir() + "/index.json";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return 0;
    if (n) std::fwrite(body, 1, n, f);
    std::fclose(f);
    try {
      const ix::Manifest m = ix::read_manifest(scratch_dir());
      (void)m;
    } catch (const dupscan::Error&) {
    }
    return 0;
  }
  const int fd = ::memfd_create("fuzz-segment", 0);
  if (fd < 0) return 0;
  if (n && ::write(fd, body, n) != static_cast<ssize_t>(n)) {
    ::close(fd);
    return 0;
  }
  ix::Manifest m;
  m.params.bands = 1 + (mode >> 1) % 16;
  m.inputs.resize((mode >> 5) + 1);
  ix::Segment s;
  s.file = std::to_string(fd);
  s.bytes = n;
  s.xxh3_64 = dupscan::io::hex64(XXH3_64bits(body, n));
  if (n >= 24) std::memcpy(&s.documents, body + 16, 8);
  m.segments.push_back(s);
  m.documents = s.documents;
  try {
    const ix::SegmentFile seg("/proc/self/fd", m, 0);
    if (seg.documents() != s.documents) fail("document count");
    std::vector<std::uint64_t> keys(m.params.bands);
    // Every document that can be read; ids and inputs must be consistent or an Error.
    const std::uint64_t limit = std::min<std::uint64_t>(seg.documents(), 64);
    std::vector<std::uint64_t> probe;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> hashes;
    for (std::uint64_t i = 0; i < limit; ++i) {
      const ix::Doc d = seg.doc(i, keys.data());
      if (d.input >= m.inputs.size()) fail("input number");
      (void)seg.id(i);
      probe.push_back(keys[0]);
      hashes.emplace_back(d.exact_high, d.exact_low);
    }
    std::sort(probe.begin(), probe.end());
    probe.erase(std::unique(probe.begin(), probe.end()), probe.end());
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    std::vector<std::uint64_t> first(probe.size(), ix::kNone);
    seg.probe_band(0, probe, first);
    for (std::uint64_t f : first) {
      if (f != ix::kNone && f >= UINT32_MAX) fail("probe result");
    }
    std::vector<std::uint64_t> fe(hashes.size(), ix::kNone);
    seg.probe_exact(hashes, fe);
  } catch (const dupscan::Error&) {
  }
  ::close(fd);
  return 0;
}
