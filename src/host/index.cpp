// The persistent index's files (index.hpp): manifest JSON and binary segments.
#include "dupscan/index.hpp"

#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io.hpp"
#include "json_writer.hpp"

namespace dupscan::index {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'I', 'D', 'X', 'S', 'G', '1'};
constexpr std::size_t kHeader = 24;
constexpr std::size_t kFixed = 56;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string segment_name(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "segment-%06zu.bin", n);
  return buf;
}

template <class T>
void put(std::string& out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));  // little-endian hosts only (x86-64, AArch64)
  out.append(b, sizeof(T));
}

template <class T>
T get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::string read_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io::throw_errno("open index file", path);
  std::string data;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      io::throw_errno("read index file", path);
    }
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

[[noreturn]] void bad_manifest(const std::string& path, const std::string& why) {
  throw Error("index manifest '" + path + "' " + why + "; rebuild the index (dupscan index build)");
}

}  // namespace

std::string mismatch(const Params& a, const Params& b) {
  std::string out;
  auto diff = [&](const char* name, const std::string& x, const std::string& y) {
    if (x == y) return;
    if (!out.empty()) out += "; ";
    out += std::string(name) + ": index " + x + ", this run " + y;
  };
  auto num = [](std::uint32_t v) { return std::to_string(v); };
  auto flag = [](bool v) { return std::string(v ? "true" : "false"); };
  diff("sketch", a.sketch, b.sketch);
  diff("num_perm", num(a.num_perm), num(b.num_perm));
  diff("seed", num(a.seed), num(b.seed));
  diff("bands", num(a.bands), num(b.bands));
  diff("rows", num(a.rows), num(b.rows));
  diff("shingle", a.shingle, b.shingle);
  diff("lowercase", flag(a.lowercase), flag(b.lowercase));
  diff("strip_punctuation", flag(a.strip_punctuation), flag(b.strip_punctuation));
  diff("unicode", a.unicode, b.unicode);
  diff("text_field", a.text_field, b.text_field);
  diff("id_field", a.id_field, b.id_field);
  return out;
}

bool exists(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/index.json").c_str(), &st) == 0;
}

Manifest read_manifest(const std::string& dir) {
  const std::string path = dir + "/index.json";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("'" + dir + "' is not a dupscan index (no index.json; make one with dupscan " +
                "index build)");
  }
  const simdjson::padded_string json(read_whole(path));
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) bad_manifest(path, "is not valid JSON");
  Manifest m;
  try {
    if (std::string_view(root["format"]) != "dupscan-index") bad_manifest(path, "is no index");
    const std::uint64_t version = root["version"];
    if (version != kFormatVersion) {
      bad_manifest(path, "has format version " + std::to_string(version) + ", this dupscan reads " +
                             std::to_string(kFormatVersion));
    }
    const auto p = root["parameters"];
    m.params.sketch = std::string(std::string_view(p["sketch"]));
    m.params.num_perm = static_cast<std::uint32_t>(std::uint64_t(p["num_perm"]));
    m.params.seed = static_cast<std::uint32_t>(std::uint64_t(p["seed"]));
    m.params.bands = static_cast<std::uint32_t>(std::uint64_t(p["bands"]));
    m.params.rows = static_cast<std::uint32_t>(std::uint64_t(p["rows"]));
    m.params.shingle = std::string(std::string_view(p["shingle"]));
    m.params.lowercase = bool(p["lowercase"]);
    m.params.strip_punctuation = bool(p["strip_punctuation"]);
    m.params.unicode = std::string(std::string_view(p["unicode"]));
    m.params.text_field = std::string(std::string_view(p["text_field"]));
    m.params.id_field = std::string(std::string_view(p["id_field"]));
    m.threshold = double(root["threshold"]);
    for (auto in : simdjson::dom::array(root["inputs"])) {
      Input i;
      i.path = std::string(std::string_view(in["path"]));
      i.size = std::int64_t(in["size"]);
      i.mtime_ns = std::int64_t(in["mtime_ns"]);
      i.compression = std::string(std::string_view(in["compression"]));
      i.xxh3_64 = std::string(std::string_view(in["xxh3_64"]));
      m.inputs.push_back(std::move(i));
    }
    for (auto sg : simdjson::dom::array(root["segments"])) {
      Segment s;
      s.file = std::string(std::string_view(sg["file"]));
      s.documents = std::uint64_t(sg["documents"]);
      s.bytes = std::uint64_t(sg["bytes"]);
      s.xxh3_64 = std::string(std::string_view(sg["xxh3_64"]));
      m.segments.push_back(std::move(s));
    }
    m.documents = std::uint64_t(root["documents"]);
  } catch (const simdjson::simdjson_error& e) {
    bad_manifest(path,
                 std::string("lacks a field or has one of the wrong type (") + e.what() + ")");
  }
  return m;
}

void read_docs(const std::string& dir, const Manifest& m, Docs& out) {
  const std::uint32_t bands = m.params.bands;
  const std::size_t record = kFixed + 8 * std::size_t{bands};
  // Reserved from the segments' sizes, which bound their document counts (a manifest is input).
  std::uint64_t bound = 0;
  for (const Segment& s : m.segments)
    bound += s.bytes / (record + 8);
  const std::uint64_t expect = std::min(m.documents, bound);
  out.docs.reserve(out.docs.size() + expect);
  out.keys.reserve(out.keys.size() + expect * bands);
  out.id_end.reserve(out.id_end.size() + expect);
  for (const Segment& s : m.segments) {
    const std::string path = dir + "/" + s.file;
    const std::string data = read_whole(path);
    auto corrupt = [&](const std::string& why) {
      throw Error("index segment '" + path + "' " + why +
                  "; the index is damaged: rebuild it (dupscan index build)");
    };
    if (data.size() != s.bytes) {
      corrupt("has " + std::to_string(data.size()) + " bytes, the manifest says " +
              std::to_string(s.bytes));
    }
    if (hex64(XXH3_64bits(data.data(), data.size())) != s.xxh3_64) corrupt("fails its checksum");
    if (data.size() < kHeader || std::memcmp(data.data(), kMagic, 8) != 0) {
      corrupt("is not a segment");
    }
    const char* p = data.data();
    if (get<std::uint32_t>(p + 8) != kFormatVersion || get<std::uint32_t>(p + 12) != bands ||
        get<std::uint64_t>(p + 16) != s.documents) {
      corrupt("has a header that disagrees with the manifest");
    }
    const std::uint64_t n = s.documents;
    if (n > (data.size() - kHeader) / (record + 8)) corrupt("is truncated");
    p += kHeader;
    for (std::uint64_t i = 0; i < n; ++i, p += record) {
      Doc d;
      d.offset = get<std::uint64_t>(p);
      d.line = get<std::uint64_t>(p + 8);
      d.input = get<std::uint32_t>(p + 16);
      d.length = get<std::uint32_t>(p + 20);
      d.text_len = get<std::uint64_t>(p + 24);
      d.exact_low = get<std::uint64_t>(p + 32);
      d.exact_high = get<std::uint64_t>(p + 40);
      d.empty = get<std::uint64_t>(p + 48) & 1;
      if (d.input >= m.inputs.size()) corrupt("names an input the manifest does not have");
      out.docs.push_back(d);
      for (std::uint32_t j = 0; j < bands; ++j)
        out.keys.push_back(get<std::uint64_t>(p + kFixed + 8 * j));
    }
    const std::uint64_t ids_begin = out.ids.size();
    std::uint64_t prev = 0;
    const char* ends = p;
    const char* ids = p + 8 * n;
    const std::uint64_t id_bytes = static_cast<std::uint64_t>(data.data() + data.size() - ids);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t e = get<std::uint64_t>(ends + 8 * i);
      if (e < prev || e > id_bytes) corrupt("has a bad id table");
      out.id_end.push_back(ids_begin + e);
      prev = e;
    }
    if (prev != id_bytes) corrupt("has a bad id table");
    out.ids.append(ids, id_bytes);
  }
}

void check_inputs_unchanged(const Manifest& m) {
  for (const Input& in : m.inputs) {
    struct stat st {};
    if (::stat(in.path.c_str(), &st) != 0) {
      throw Error("indexed input '" + in.path + "' is gone (" + std::strerror(errno) +
                  "); the index needs its inputs where they were when it was built");
    }
    const std::int64_t mtime =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (st.st_size != in.size || mtime != in.mtime_ns) {
      throw Error("indexed input '" + in.path +
                  "' changed since it was indexed (size or modification time differ); rebuild "
                  "the index");
    }
  }
}

void append(const std::string& dir, Manifest& m, const Docs& docs) {
  io::make_dirs(dir);
  const std::uint32_t bands = m.params.bands;
  const std::uint64_t n = docs.docs.size();
  std::string data;
  data.reserve(kHeader + n * (kFixed + 8 * bands + 8) + docs.ids.size());
  data.append(kMagic, 8);
  put<std::uint32_t>(data, kFormatVersion);
  put<std::uint32_t>(data, bands);
  put<std::uint64_t>(data, n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const Doc& d = docs.docs[i];
    put<std::uint64_t>(data, d.offset);
    put<std::uint64_t>(data, d.line);
    put<std::uint32_t>(data, d.input);
    put<std::uint32_t>(data, d.length);
    put<std::uint64_t>(data, d.text_len);
    put<std::uint64_t>(data, d.exact_low);
    put<std::uint64_t>(data, d.exact_high);
    put<std::uint64_t>(data, d.empty ? 1 : 0);
    for (std::uint32_t j = 0; j < bands; ++j)
      put<std::uint64_t>(data, d.empty ? 0 : docs.keys[i * bands + j]);
  }
  for (std::uint64_t i = 0; i < n; ++i)
    put<std::uint64_t>(data, docs.id_end[i]);
  data += docs.ids;

  Segment s;
  s.file = segment_name(m.segments.size());
  s.documents = n;
  s.bytes = data.size();
  s.xxh3_64 = hex64(XXH3_64bits(data.data(), data.size()));
  {
    io::AtomicFile seg(dir + "/" + s.file);
    seg.write(data);
    seg.commit();
  }
  // For the tests of a crash between the two renames: the segment is there, the manifest is not.
  if (const char* f = std::getenv("DUPSCAN_TEST_FAULT")) {
    if (std::string(f) == "index-append-before-manifest") std::_Exit(3);
  }
  m.segments.push_back(s);
  m.documents += n;

  JsonWriter w(2);
  w.begin_object();
  w.field("format", "dupscan-index");
  w.field("version", kFormatVersion);
  w.key("parameters").begin_object();
  w.field("sketch", m.params.sketch);
  w.field("num_perm", m.params.num_perm);
  w.field("seed", m.params.seed);
  w.field("bands", m.params.bands);
  w.field("rows", m.params.rows);
  w.field("shingle", m.params.shingle);
  w.field("lowercase", m.params.lowercase);
  w.field("strip_punctuation", m.params.strip_punctuation);
  w.field("unicode", m.params.unicode);
  w.field("text_field", m.params.text_field);
  w.field("id_field", m.params.id_field);
  w.end_object();
  w.field("threshold", m.threshold);
  w.key("inputs").begin_array();
  for (const Input& in : m.inputs) {
    w.begin_object();
    w.field("path", in.path);
    w.field("size", static_cast<std::uint64_t>(in.size));
    w.field("mtime_ns", static_cast<std::uint64_t>(in.mtime_ns));
    w.field("compression", in.compression);
    w.field("xxh3_64", in.xxh3_64);
    w.end_object();
  }
  w.end_array();
  w.key("segments").begin_array();
  for (const Segment& sg : m.segments) {
    w.begin_object();
    w.field("file", sg.file);
    w.field("documents", sg.documents);
    w.field("bytes", sg.bytes);
    w.field("xxh3_64", sg.xxh3_64);
    w.end_object();
  }
  w.end_array();
  w.field("documents", m.documents);
  w.end_object();
  io::AtomicFile manifest(dir + "/index.json");
  manifest.write(w.str() + "\n");
  manifest.commit();
}

}  // namespace dupscan::index
