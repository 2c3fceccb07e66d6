// libFuzzer target: the index's files (index.hpp). Input: a mode byte, then a file. Odd mode: the
// bytes are an index.json; reading it either works or throws dupscan::Error. Even mode: the bytes
// are a segment, with a manifest made to match its size and checksum (so that the parser is
// reached) and 1-16 bands, 1-8 inputs from the mode byte; reading it either throws
// dupscan::Error or gives exactly the documents its header promises, consistent ids and inputs.
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "dupscan/errors.hpp"
#include "dupscan/index.hpp"

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
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(XXH3_64bits(body, n)));
  s.xxh3_64 = hex;
  if (n >= 24) std::memcpy(&s.documents, body + 16, 8);
  m.segments.push_back(s);
  m.documents = s.documents;
  ix::Docs d;
  bool ok = true;
  try {
    ix::read_docs("/proc/self/fd", m, d);
  } catch (const dupscan::Error&) {
    ok = false;
  }
  ::close(fd);
  if (!ok) return 0;
  if (d.docs.size() != s.documents) fail("document count");
  if (d.keys.size() != d.docs.size() * m.params.bands) fail("band keys");
  if (d.id_end.size() != d.docs.size()) fail("id table size");
  std::uint64_t prev = 0;
  for (std::uint64_t e : d.id_end) {
    if (e < prev || e > d.ids.size()) fail("id ends");
    prev = e;
  }
  if (!d.docs.empty() && d.id_end.back() != d.ids.size()) fail("id bytes");
  for (const ix::Doc& doc : d.docs) {
    if (doc.input >= m.inputs.size()) fail("input number");
  }
  return 0;
}
