#include "dedup/key_spill.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <utility>

#include "common/parallel.hpp"
#include "common/radix_sort.hpp"
#include "dedup/lsh_pairs.hpp"
#include "dedup/resume.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

// A run's entry on disk: key (8 bytes), document (4 bytes), little-endian as the machine writes
// them (a run lives only as long as its process).
constexpr std::size_t kEntry = 12;
constexpr std::size_t kBufferEntries = 1 << 13;  // 96 KiB per open run

using Entry = std::pair<std::uint64_t, std::uint32_t>;

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC) msg += " (the disk is full: give --tmp-dir a folder with more space)";
  throw Error(msg);
}

class RunWriter {
 public:
  explicit RunWriter(std::string path) : path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) fail("cannot create the spill file", path_, errno);
    buf_.reserve(kBufferEntries * kEntry);
  }
  ~RunWriter() {
    if (f_) std::fclose(f_);
  }
  void add(const Entry& e) {
    char b[kEntry];
    std::memcpy(b, &e.first, 8);
    std::memcpy(b + 8, &e.second, 4);
    buf_.append(b, kEntry);
    if (buf_.size() >= kBufferEntries * kEntry) drain();
  }
  /// @return bytes written.
  std::uint64_t close() {
    drain();
    std::FILE* f = f_;
    f_ = nullptr;
    if (std::fclose(f) != 0) fail("cannot write the spill file", path_, errno);
    return written_;
  }

 private:
  void drain() {
    if (buf_.empty()) return;
    if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
      fail("cannot write the spill file", path_, errno);
    }
    written_ += buf_.size();
    buf_.clear();
  }
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  std::uint64_t written_ = 0;
};

class RunReader {
 public:
  explicit RunReader(std::string path) : path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) fail("cannot open the spill file", path_, errno);
    buf_.resize(kBufferEntries * kEntry);
  }
  ~RunReader() { std::fclose(f_); }
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;
  /// The next entry into `e`; false at the end.
  bool next(Entry& e) {
    if (pos_ == end_) {
      end_ = std::fread(&buf_[0], 1, buf_.size(), f_);
      pos_ = 0;
      if (end_ % kEntry != 0 || (end_ == 0 && std::ferror(f_))) {
        fail("cannot read the spill file", path_, std::ferror(f_) ? errno : EIO);
      }
      if (end_ == 0) return false;
    }
    std::memcpy(&e.first, buf_.data() + pos_, 8);
    std::memcpy(&e.second, buf_.data() + pos_ + 8, 4);
    pos_ += kEntry;
    return true;
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  std::size_t pos_ = 0, end_ = 0;
};

// The entries of `paths` (each sorted by (key, document)) in (key, document) order to emit(e).
template <class Emit>
void merge_runs(const std::vector<std::string>& paths, Emit&& emit) {
  std::vector<std::unique_ptr<RunReader>> readers;
  readers.reserve(paths.size());
  using Head = std::pair<Entry, std::size_t>;  // the entry, its run
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  for (const std::string& p : paths) {
    readers.push_back(std::make_unique<RunReader>(p));
    Entry e;
    if (readers.back()->next(e)) heap.emplace(e, readers.size() - 1);
  }
  while (!heap.empty()) {
    const Head h = heap.top();
    heap.pop();
    emit(h.first);
    Entry e;
    if (readers[h.second]->next(e)) heap.emplace(e, h.second);
  }
}

}  // namespace

KeySpill::KeySpill(std::string dir, std::uint32_t bands, std::size_t window_bytes)
    : dir_(std::move(dir)), bands_(bands), window_bytes_(window_bytes), band_runs_(bands) {
  WorkDir::discard(dir_);  // what a killed run left (the run holds its output directory's lock)
  io::make_dirs(dir_);
  if (const char* f = std::getenv("DUPSCAN_TEST_SPILL_FAN_IN")) {
    fan_in_ = std::max<std::size_t>(2, std::strtoull(f, nullptr, 10));
  }
}

KeySpill::~KeySpill() {
  WorkDir::discard(dir_);
}

std::string KeySpill::run_path(std::uint32_t band, std::size_t run) const {
  return dir_ + "/band-" + std::to_string(band) + "-run-" + std::to_string(run);
}

bool KeySpill::over(const DocTable& docs) const {
  return docs.keys.size() * sizeof(std::uint64_t) > window_bytes_;
}

void KeySpill::spill(DocTable& docs, std::size_t until) {
  const std::size_t first = docs.keys_first;
  if (until <= first) return;
  const std::size_t rows = until - first;
  std::vector<Entry> entries;
  entries.reserve(rows);
  for (std::uint32_t j = 0; j < bands_; ++j) {
    entries.clear();
    for (std::size_t d = first; d < until; ++d) {
      if (docs.empty[d] || !docs.sketched[d]) continue;
      entries.emplace_back(docs.keys[(d - first) * bands_ + j], static_cast<std::uint32_t>(d));
    }
    // Built in document order, sorted stably by key: (key, document) order.
    radix_sort_by_key(entries);
    const std::string path = run_path(j, next_name_);
    RunWriter w(path);
    for (const Entry& e : entries)
      w.add(e);
    bytes_written_ += w.close();
    band_runs_[j].push_back(path);
  }
  ++next_name_;
  ++runs_;
  docs.keys.erase(docs.keys.begin(), docs.keys.begin() + rows * bands_);
  docs.keys_first = until;
}

void KeySpill::finish(DocTable& docs) {
  if (spilled()) spill(docs, docs.size());
  std::vector<std::uint64_t>().swap(docs.keys);
}

std::vector<std::uint64_t> KeySpill::candidate_pairs(const std::vector<std::uint32_t>& rep,
                                                     const std::vector<std::uint8_t>& empty,
                                                     const std::vector<std::uint8_t>& sketched,
                                                     unsigned threads) {
  std::vector<std::vector<std::uint64_t>> per_band(bands_);
  parallel_for(bands_, threads, 1, [&](std::size_t j) {
    // Cascades: the first fan_in_ runs into one, until few enough are left to merge at once.
    std::vector<std::string>& runs = band_runs_[j];
    while (runs.size() > fan_in_) {
      std::vector<std::string> group(runs.begin(), runs.begin() + fan_in_);
      const std::string path =
          dir_ + "/band-" + std::to_string(j) + "-merged-" + std::to_string(runs.size());
      RunWriter w(path);
      merge_runs(group, [&](const Entry& e) { w.add(e); });
      w.close();
      for (const std::string& p : group)
        ::unlink(p.c_str());
      runs.erase(runs.begin(), runs.begin() + fan_in_);
      runs.push_back(path);
    }
    // Each bucket: the first documents of the exact groups of its entries, ascending and once
    // each (every sketched member of a group has the group's keys), paired with its first.
    auto& out = per_band[j];
    std::vector<std::uint32_t> bucket;
    std::uint64_t key = 0;
    auto pair_bucket = [&] {
      std::sort(bucket.begin(), bucket.end());
      bucket.erase(std::unique(bucket.begin(), bucket.end()), bucket.end());
      for (std::size_t i = 1; i < bucket.size(); ++i)
        out.push_back(stages::pair_key(bucket[0], bucket[i]));
      bucket.clear();
    };
    merge_runs(runs, [&](const Entry& e) {
      const std::uint32_t d = e.second;
      if (empty[d] || !sketched[d]) return;
      if (!bucket.empty() && e.first != key) pair_bucket();
      key = e.first;
      bucket.push_back(rep[d]);
    });
    pair_bucket();
  });
  return stages::merge_band_pairs(per_band);
}

}  // namespace dupscan
