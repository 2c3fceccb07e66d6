// The persistent index's files (index.hpp): manifest JSON and binary segments.
#include "dupscan/index.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/parallel.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "io/commit.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"

namespace dupscan::index {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'I', 'D', 'X', 'S', 'G', '1'};
constexpr std::size_t kHeader = 40;
constexpr std::size_t kExactEntry = 20;
constexpr std::size_t kBandEntry = 12;
// Table entries read per pread when merging.
constexpr std::size_t kChunkEntries = std::size_t{1} << 16;
constexpr std::size_t kFixed = 56;

std::string segment_name(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "segment-%06zu.bin", n);
  return buf;
}

// The number of a segment-NNNNNN.bin name, as segment_name() makes them; false for other names.
bool segment_number(const std::string& n, std::size_t& number) {
  if (n.size() != 18 || n.compare(0, 8, "segment-") != 0 || n.compare(14, 4, ".bin") != 0 ||
      n.find_first_not_of("0123456789", 8) != 14) {
    return false;
  }
  number = static_cast<std::size_t>(std::stoull(n.substr(8, 6)));
  return true;
}

// The segment files in `dir` (names only).
std::vector<std::string> segment_files(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::size_t number = 0;
    if (segment_number(e->d_name, number)) names.push_back(e->d_name);
  }
  ::closedir(d);
  return names;
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

// The manifest's checksum: its last field, `"checksum": "<hex XXH3-64>"`, of the bytes the
// manifest has without that field (what a dupscan before checksums wrote: the same text, ending
// "\n}\n" after the documents field). Written and checked as text, not as parsed JSON, so the
// bytes checked are the bytes on disk.
constexpr std::string_view kChecksumOpen = ",\n  \"checksum\": \"";
constexpr std::string_view kChecksumClose = "\"\n}\n";
constexpr std::string_view kManifestEnd = "\n}\n";

std::string seal_manifest(const std::string& body) {
  // body: the manifest without a checksum, ending "\n}\n".
  const std::string head = body.substr(0, body.size() - kManifestEnd.size());
  return head + std::string(kChecksumOpen) + io::hex64(XXH3_64bits(body.data(), body.size())) +
         std::string(kChecksumClose);
}

bool ends_with(const std::string& s, std::string_view end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

constexpr char kCorrupt[] =
    "fails its checksum: the index is corrupt (the manifest changed since dupscan wrote it)";

// Before parsing, so that a damaged byte is reported as that even where it also breaks the JSON:
// true when `text` ends with a checksum field as seal_manifest writes it (throws when the
// checksum does not match), false when it has none there.
bool check_sealed_manifest(const std::string& path, const std::string& text) {
  const std::size_t tail = kChecksumOpen.size() + 16 + kChecksumClose.size();
  if (text.size() < tail || !ends_with(text, kChecksumClose) ||
      text.compare(text.size() - tail, kChecksumOpen.size(), kChecksumOpen) != 0) {
    return false;
  }
  const std::string sum = text.substr(text.size() - tail + kChecksumOpen.size(), 16);
  const std::string body = text.substr(0, text.size() - tail) + std::string(kManifestEnd);
  if (io::hex64(XXH3_64bits(body.data(), body.size())) != sum) bad_manifest(path, kCorrupt);
  return true;
}

// A manifest without a checksum where seal_manifest puts it: one written before manifests had a
// checksum, read as before (unchecked: a changed byte there goes unnoticed, as it did then; the
// next add writes a checksum). Those end with the documents field; a manifest that has a
// checksum field elsewhere, or ends otherwise, lost its checksum's shape or name to damage.
void check_unsealed_manifest(const std::string& path, const std::string& text,
                             const simdjson::dom::element& root) {
  std::string_view sum;
  const auto at = text.rfind("\n  \"documents\": ");
  const std::size_t digits = at == std::string::npos ? 0 : at + 16;
  if (!root["checksum"].get(sum) || at == std::string::npos || !ends_with(text, kManifestEnd) ||
      text.find_first_not_of("0123456789", digits) != text.size() - kManifestEnd.size()) {
    bad_manifest(path, kCorrupt);
  }
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
  auto scheme = [](const std::string& v) { return v.empty() ? std::string("none") : v; };
  diff("scheme", scheme(a.scheme), scheme(b.scheme));
  diff("shingle_hash", scheme(a.shingle_hash), scheme(b.shingle_hash));
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
  diff("format", a.format, b.format);
  return out;
}

bool exists(const std::string& dir) {
  struct stat st {};
  return ::stat((dir + "/index.json").c_str(), &st) == 0;
}

// Long: index.json's fields read and checked one by one, in the file's order, each check
// naming its field.
Manifest read_manifest(const std::string& dir) {
  const std::string path = dir + "/index.json";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("'" + dir + "' is not a dupscan index (no index.json; make one with dupscan " +
                "index build)");
  }
  const std::string text = read_whole(path);
  const bool sealed = check_sealed_manifest(path, text);
  const simdjson::padded_string json(text);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json).get(root)) bad_manifest(path, "is not valid JSON");
  if (!sealed) check_unsealed_manifest(path, text, root);
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
    std::string_view scheme;
    if (!p["scheme"].get(scheme)) {
      m.params.scheme = std::string(scheme);
      if (!parse_scheme(scheme)) {
        bad_manifest(path, "names the scheme '" + m.params.scheme +
                               "', which this dupscan does not know (affine32, affine64, legacy)");
      }
    } else if (m.params.sketch != "fast") {
      m.params.scheme = scheme_name(Scheme::legacy);  // written before the schemes existed
    }
    std::string_view shingle_hash;
    if (!p["shingle_hash"].get(shingle_hash)) {
      m.params.shingle_hash = std::string(shingle_hash);
      if (!parse_shingle_hash(shingle_hash)) {
        bad_manifest(path, "names the shingle hash '" + m.params.shingle_hash +
                               "', which this dupscan does not know (xxh64, sha1)");
      }
    } else if (m.params.sketch != "fast") {
      // Written before --shingle-hash: every index hashed shingles with XXH64.
      m.params.shingle_hash = shingle_hash_name(ShingleHash::xxh64);
    }
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
    std::string_view format;
    if (!p["format"].get(format)) m.params.format = std::string(format);
    m.threshold = double(root["threshold"]);
    simdjson::dom::array weights;
    if (!root["lsh_weights"].get(weights) && weights.size() == 2) {
      m.lsh_fp_weight = double(weights.at(0));
      m.lsh_fn_weight = double(weights.at(1));
    }
    std::string_view choice;
    if (!root["lsh_params"].get(choice)) m.lsh_choice = std::string(choice);
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

SegmentFile::SegmentFile(const std::string& dir, const Manifest& m, std::size_t segment) {
  const Segment& s = m.segments.at(segment);
  path_ = dir + "/" + s.file;
  bands_ = m.params.bands;
  inputs_ = m.inputs.size();
  auto corrupt = [&](const std::string& why) {
    throw Error("index segment '" + path_ + "' " + why +
                "; the index is damaged: rebuild it (dupscan index build)");
  };
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) io::throw_errno("open index file", path_);
  // The whole file once, for its checksum.
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::vector<char> buf(std::size_t{1} << 22);
  std::uint64_t size = 0;
  for (;;) {
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n < 0) {
      XXH3_freeState(st);
      io::throw_errno("read index file", path_);
    }
    if (n == 0) break;
    XXH3_64bits_update(st, buf.data(), static_cast<std::size_t>(n));
    size += static_cast<std::uint64_t>(n);
  }
  const std::uint64_t sum = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  size_ = size;
  if (size != s.bytes) {
    corrupt("has " + std::to_string(size) + " bytes, the manifest says " + std::to_string(s.bytes));
  }
  if (io::hex64(sum) != s.xxh3_64) corrupt("fails its checksum");
  char h[kHeader];
  if (size < kHeader) corrupt("is not a segment");
  read_at(0, h, kHeader);
  if (std::memcmp(h, kMagic, 8) != 0) corrupt("is not a segment");
  documents_ = get<std::uint64_t>(h + 16);
  tables_ = get<std::uint64_t>(h + 24);
  keyed_ = get<std::uint64_t>(h + 32);
  if (get<std::uint32_t>(h + 8) != kFormatVersion || get<std::uint32_t>(h + 12) != bands_ ||
      documents_ != s.documents) {
    corrupt("has a header that disagrees with the manifest");
  }
  const std::uint64_t record = kFixed + 8 * std::uint64_t{bands_};
  const std::uint64_t table_entry = kExactEntry + kBandEntry * std::uint64_t{bands_};
  // Sizes checked by division first: the counts come from the file.
  if (documents_ > (size - kHeader) / (record + 8) || keyed_ > documents_ ||
      tables_ < kHeader + documents_ * (record + 8) || tables_ > size ||
      keyed_ > (size - tables_) / table_entry || tables_ + keyed_ * table_entry != size) {
    corrupt("has sections that do not fit its size");
  }
}

SegmentFile::~SegmentFile() {
  if (fd_ >= 0) ::close(fd_);
}

SegmentFile::SegmentFile(SegmentFile&& o) noexcept
    : path_(std::move(o.path_)),
      fd_(o.fd_),
      bands_(o.bands_),
      documents_(o.documents_),
      keyed_(o.keyed_),
      size_(o.size_),
      tables_(o.tables_),
      inputs_(o.inputs_) {
  o.fd_ = -1;
}

void SegmentFile::read_at(std::uint64_t offset, void* out, std::size_t n) const {
  char* p = static_cast<char*>(out);
  while (n) {
    const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (r < 0) io::throw_errno("read index file", path_);
    if (r == 0) throw Error("index segment '" + path_ + "' is shorter than it was a moment ago");
    p += r;
    offset += static_cast<std::uint64_t>(r);
    n -= static_cast<std::size_t>(r);
  }
}

Doc SegmentFile::doc(std::uint64_t local, std::uint64_t* keys) const {
  const std::size_t record = kFixed + 8 * std::size_t{bands_};
  std::vector<char> r(record);
  read_at(kHeader + local * record, r.data(), record);
  const char* p = r.data();
  Doc d;
  d.offset = get<std::uint64_t>(p);
  d.line = get<std::uint64_t>(p + 8);
  d.input = get<std::uint32_t>(p + 16);
  d.length = get<std::uint32_t>(p + 20);
  d.text_len = get<std::uint64_t>(p + 24);
  d.exact_low = get<std::uint64_t>(p + 32);
  d.exact_high = get<std::uint64_t>(p + 40);
  d.empty = get<std::uint64_t>(p + 48) & 1;
  if (d.input >= inputs_) {
    throw Error("index segment '" + path_ +
                "' names an input the manifest does not have; rebuild the index");
  }
  for (std::uint32_t j = 0; j < bands_; ++j)
    keys[j] = get<std::uint64_t>(p + kFixed + 8 * j);
  return d;
}

std::string SegmentFile::id(std::uint64_t local) const {
  const std::uint64_t record = kFixed + 8 * std::uint64_t{bands_};
  const std::uint64_t ends = kHeader + documents_ * record;
  const std::uint64_t ids = ends + 8 * documents_;
  std::uint64_t e[2] = {0, 0};
  if (local == 0) {
    read_at(ends, &e[1], 8);
  } else {
    read_at(ends + 8 * (local - 1), e, 16);
  }
  if (e[0] > e[1] || e[1] > tables_ - ids) {  // ids <= tables_: checked on opening
    throw Error("index segment '" + path_ + "' has a bad id table; rebuild the index");
  }
  std::string out(e[1] - e[0], '\0');
  if (!out.empty()) read_at(ids + e[0], out.data(), out.size());
  return out;
}

// One merge of ascending distinct queries with a sorted table of `count` entries of `size` bytes
// at `offset` (key first, u32 document at `doc_at`): for each query found, the first entry's
// document (the smallest, entries being sorted by key then document) unless already set.
template <class Key, class KeyOf>
void SegmentFile::merge_probe(std::uint64_t offset, std::size_t size, std::size_t doc_at,
                              const std::vector<Key>& queries, KeyOf key_of,
                              std::vector<std::uint64_t>& first) const {
  if (queries.empty()) return;
  std::vector<char> chunk(kChunkEntries * size);
  // From the first entry not below the first query, found by a binary search: a caller that
  // probes ascending chunks of its queries (dedup --against under --memory) reads each chunk's
  // span of the table, not the table up to it again.
  std::uint64_t lo = 0, hi = keyed_;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    read_at(offset + mid * size, chunk.data(), size);
    if (key_of(chunk.data()) < queries.front()) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  std::size_t q = 0;
  for (std::uint64_t done = lo; done < keyed_ && q < queries.size();) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kChunkEntries, keyed_ - done));
    read_at(offset + done * size, chunk.data(), n * size);
    for (std::size_t i = 0; i < n && q < queries.size(); ++i) {
      const char* e = chunk.data() + i * size;
      const Key key = key_of(e);
      while (q < queries.size() && queries[q] < key)
        ++q;
      if (q < queries.size() && queries[q] == key) {
        if (first[q] == kNone) first[q] = get<std::uint32_t>(e + doc_at);
        ++q;  // later entries with this key have larger documents
      }
    }
    done += n;
  }
}

void SegmentFile::probe_band(std::uint32_t band, const std::vector<std::uint64_t>& keys,
                             std::vector<std::uint64_t>& first) const {
  merge_probe(
      tables_ + keyed_ * kExactEntry + band * keyed_ * kBandEntry, kBandEntry, 8, keys,
      [](const char* e) { return get<std::uint64_t>(e); }, first);
}

void SegmentFile::probe_exact(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& hashes,
                              std::vector<std::uint64_t>& first) const {
  merge_probe(
      tables_, kExactEntry, 16, hashes,
      [](const char* e) {
        return std::pair<std::uint64_t, std::uint64_t>{get<std::uint64_t>(e),
                                                       get<std::uint64_t>(e + 8)};
      },
      first);
}

void check_inputs_unchanged(Manifest& m, bool checksums) {
  for (Input& in : m.inputs) {
    struct stat st {};
    if (::stat(in.path.c_str(), &st) != 0) {
      throw Error("indexed input '" + in.path + "' is gone (" + std::strerror(errno) +
                  "); the index needs its inputs where they were when it was built");
    }
    const std::int64_t mtime =
        static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (st.st_size == in.size && mtime == in.mtime_ns && !checksums) continue;
    // Same size, other mtime: touched, copied with its times lost, or rewritten in place. Only
    // the bytes can tell.
    if (st.st_size == in.size && io::file_xxh3_64(in.path) == in.xxh3_64) {
      in.mtime_ns = mtime;
      continue;
    }
    throw Error("indexed input '" + in.path + "' changed since it was indexed (" +
                (st.st_size != in.size ? "its size differs" : "its checksum differs") +
                "); rebuild the index");
  }
}

void remove(const std::string& dir) {
  const std::string manifest = dir + "/index.json";
  if (::unlink(manifest.c_str()) != 0 && errno != ENOENT) {
    io::throw_errno("remove index file", manifest);
  }
  remove_unnamed_segments(dir, Manifest{});
}

void remove_unnamed_segments(const std::string& dir, const Manifest& m) {
  for (const std::string& name : segment_files(dir)) {
    bool named = false;
    for (const Segment& s : m.segments)
      named |= s.file == name;
    const std::string path = dir + "/" + name;
    if (!named && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
      io::throw_errno("remove index file", path);
    }
  }
}

// Long: one segment written start to end -- records, ids, then the exact and band tables made
// `threads` at a time and written in order through one buffer and checksum -- and renamed into
// place under its final name.
void write_segment(const std::string& dir, Manifest& m, const Docs& docs, unsigned threads,
                   bool beside_existing) {
  io::make_dirs(dir);
  const std::uint32_t bands = m.params.bands;
  const std::uint64_t n = docs.docs.size();
  if (n >= UINT32_MAX) throw Error("more than 4294967294 documents in one index segment");
  std::vector<std::uint32_t> keyed;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!docs.docs[i].empty) keyed.push_back(i);
  }
  const std::uint64_t record = kFixed + 8 * std::uint64_t{bands};
  const std::uint64_t tables = kHeader + n * (record + 8) + docs.ids.size();

  Segment s;
  // A number no segment of `m` has (and, beside an index being replaced, no segment file there):
  // the files the manifest on disk names are never overwritten.
  std::size_t next = m.segments.size(), number = 0;
  for (const Segment& sg : m.segments) {
    if (segment_number(sg.file, number)) next = std::max(next, number + 1);
  }
  if (beside_existing) {
    for (const std::string& name : segment_files(dir)) {
      if (segment_number(name, number)) next = std::max(next, number + 1);
    }
  }
  s.file = segment_name(next);
  s.documents = n;
  io::AtomicFile seg(dir + "/" + s.file);
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::string buf;
  auto flush = [&](bool force) {
    if (!force && buf.size() < (std::size_t{1} << 20)) return;
    check_interrupt();
    XXH3_64bits_update(st, buf.data(), buf.size());
    seg.write(buf);
    s.bytes += buf.size();
    buf.clear();
  };
  try {
    buf.append(kMagic, 8);
    put<std::uint32_t>(buf, kFormatVersion);
    put<std::uint32_t>(buf, bands);
    put<std::uint64_t>(buf, n);
    put<std::uint64_t>(buf, tables);
    put<std::uint64_t>(buf, keyed.size());
    for (std::uint64_t i = 0; i < n; ++i) {
      const Doc& d = docs.docs[i];
      put<std::uint64_t>(buf, d.offset);
      put<std::uint64_t>(buf, d.line);
      put<std::uint32_t>(buf, d.input);
      put<std::uint32_t>(buf, d.length);
      put<std::uint64_t>(buf, d.text_len);
      put<std::uint64_t>(buf, d.exact_low);
      put<std::uint64_t>(buf, d.exact_high);
      put<std::uint64_t>(buf, d.empty ? 1 : 0);
      for (std::uint32_t j = 0; j < bands; ++j)
        put<std::uint64_t>(buf, d.empty ? 0 : docs.keys[i * bands + j]);
      flush(false);
    }
    for (std::uint64_t i = 0; i < n; ++i) {
      put<std::uint64_t>(buf, docs.id_end[i]);
      flush(false);
    }
    buf += docs.ids;
    flush(true);
    // The exact table, then one table per band: sorted, of the keyed documents. Tables are
    // made `threads` at a time, each by one thread, and written in order.
    const std::size_t n_tables = 1 + std::size_t{bands};
    const std::size_t batch = std::max<std::size_t>(1, threads);
    for (std::size_t first = 0; first < n_tables; first += batch) {
      const std::size_t count = std::min(batch, n_tables - first);
      std::vector<std::string> made(count);
      parallel_for(count, threads, 1, [&](std::size_t t) {
        const std::size_t table = first + t;
        std::vector<std::uint32_t> order = keyed;
        std::string& out = made[t];
        if (table == 0) {
          std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
            const Doc& x = docs.docs[a];
            const Doc& y = docs.docs[b];
            if (x.exact_high != y.exact_high) return x.exact_high < y.exact_high;
            if (x.exact_low != y.exact_low) return x.exact_low < y.exact_low;
            return a < b;
          });
          out.reserve(order.size() * kExactEntry);
          for (std::uint32_t i : order) {
            put<std::uint64_t>(out, docs.docs[i].exact_high);
            put<std::uint64_t>(out, docs.docs[i].exact_low);
            put<std::uint32_t>(out, i);
          }
          return;
        }
        const std::size_t j = table - 1;
        auto key = [&](std::uint32_t i) { return docs.keys[std::size_t{i} * bands + j]; };
        std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
          return key(a) != key(b) ? key(a) < key(b) : a < b;
        });
        out.reserve(order.size() * kBandEntry);
        for (std::uint32_t i : order) {
          put<std::uint64_t>(out, key(i));
          put<std::uint32_t>(out, i);
        }
      });
      for (std::string& t : made) {
        flush(true);
        buf.swap(t);
        flush(true);
      }
    }
    flush(true);
  } catch (...) {
    XXH3_freeState(st);
    throw;
  }
  s.xxh3_64 = io::hex64(XXH3_64bits_digest(st));
  XXH3_freeState(st);
  seg.commit();
  m.segments.push_back(s);
  m.documents += n;
}

// The manifest renamed into place: the commit sequence, in one place, with its crash points.
void commit_manifest(const std::string& dir, const Manifest& m) {
  // For the tests of a crash between the two renames: the segment is there, the manifest is not.
  if (const char* f = std::getenv("DUPSCAN_TEST_FAULT")) {
    if (std::string(f) == "index-append-before-manifest") std::_Exit(3);
  }
  JsonWriter w(2);
  w.begin_object();
  w.field("format", "dupscan-index");
  w.field("version", kFormatVersion);
  w.key("parameters").begin_object();
  w.field("sketch", m.params.sketch);
  if (!m.params.scheme.empty()) w.field("scheme", m.params.scheme);
  if (!m.params.shingle_hash.empty()) w.field("shingle_hash", m.params.shingle_hash);
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
  w.field("format", m.params.format);
  w.end_object();
  w.field("threshold", m.threshold);
  // How bands x rows were chosen: unknown for indexes of dupscan 0.1.0, and not made up then.
  if (!m.lsh_choice.empty()) {
    w.key("lsh_weights").begin_array().value(m.lsh_fp_weight).value(m.lsh_fn_weight).end_array();
    w.field("lsh_params", m.lsh_choice);
  }
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
  manifest.write(seal_manifest(w.str() + "\n"));
  manifest.finish();
  io::fault_point("index-before-manifest");
  check_interrupt();  // the last point where the append rolls back: the old manifest stays
  manifest.commit();  // the commit point
  io::fault_point("index-after-manifest");
}

void append(const std::string& dir, Manifest& m, const Docs& docs, unsigned threads,
            bool beside_existing) {
  write_segment(dir, m, docs, threads, beside_existing);
  commit_manifest(dir, m);
}

}  // namespace dupscan::index
