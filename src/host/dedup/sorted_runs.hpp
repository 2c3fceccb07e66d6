// Sorted runs on disk, the external sort under --memory: entries written in order by a
// RunWriter, read back by a RunReader, and runs merged k-way (merge_runs), in cascades when
// there are more than can be open at once (cascade_runs). A Codec says what an entry is and its
// bytes on disk: `Entry` (ordered by operator<), `kBytes`, `put(char*, const Entry&)` and
// `get(const char*, Entry&)`. A run lives only as long as its process: the bytes are the
// machine's. The band keys (key_spill.hpp) and the exact hashes (doc_spill.hpp) are spilled so.
#pragma once

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "dupscan/errors.hpp"

namespace dupscan::sorted_runs {

constexpr std::size_t kBufferEntries = 1 << 13;  // per open run

[[noreturn]] inline void fail(const std::string& what, const std::string& path, int err) {
  std::string msg = what + " " + path + ": " + std::strerror(err);
  if (err == ENOSPC) msg += " (the disk is full: give --tmp-dir a folder with more space)";
  throw Error(msg);
}

template <class Codec>
class RunWriter {
 public:
  using Entry = typename Codec::Entry;
  explicit RunWriter(std::string path) : path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "wb");
    if (!f_) fail("cannot create the spill file", path_, errno);
    buf_.reserve(kBufferEntries * Codec::kBytes);
  }
  ~RunWriter() {
    if (f_) std::fclose(f_);
  }
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;
  void add(const Entry& e) {
    char b[Codec::kBytes];
    Codec::put(b, e);
    buf_.append(b, Codec::kBytes);
    if (buf_.size() >= kBufferEntries * Codec::kBytes) drain();
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

template <class Codec>
class RunReader {
 public:
  using Entry = typename Codec::Entry;
  explicit RunReader(std::string path) : path_(std::move(path)) {
    f_ = std::fopen(path_.c_str(), "rb");
    if (!f_) fail("cannot open the spill file", path_, errno);
    buf_.resize(kBufferEntries * Codec::kBytes);
  }
  ~RunReader() { std::fclose(f_); }
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;
  /// The next entry into `e`; false at the end.
  bool next(Entry& e) {
    if (pos_ == end_) {
      end_ = std::fread(&buf_[0], 1, buf_.size(), f_);
      pos_ = 0;
      if (end_ % Codec::kBytes != 0 || (end_ == 0 && std::ferror(f_))) {
        fail("cannot read the spill file", path_, std::ferror(f_) ? errno : EIO);
      }
      if (end_ == 0) return false;
    }
    Codec::get(buf_.data() + pos_, e);
    pos_ += Codec::kBytes;
    return true;
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  std::size_t pos_ = 0, end_ = 0;
};

/// The entries of `paths` (each sorted) in order to emit(e); equal entries by run order.
template <class Codec, class Emit>
void merge_runs(const std::vector<std::string>& paths, Emit&& emit) {
  using Entry = typename Codec::Entry;
  std::vector<std::unique_ptr<RunReader<Codec>>> readers;
  readers.reserve(paths.size());
  using Head = std::pair<Entry, std::size_t>;  // the entry, its run
  std::priority_queue<Head, std::vector<Head>, std::greater<Head>> heap;
  for (const std::string& p : paths) {
    readers.push_back(std::make_unique<RunReader<Codec>>(p));
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

/**
 * @brief merge_runs of `paths`, each entry mapped by `map` (which keeps their order), with the
 * ascending entries that front(e) gives (false at their end) merged in: the documents an
 * --against run holds before its spilled ones. At equal entries, front's go first.
 */
template <class Codec, class Map, class Front, class Emit>
void merge_runs_after(const std::vector<std::string>& paths, Map&& map, Front&& front,
                      Emit&& emit) {
  using Entry = typename Codec::Entry;
  Entry f;
  bool more = front(f);
  merge_runs<Codec>(paths, [&](const Entry& raw) {
    const Entry e = map(raw);
    while (more && !(e < f)) {
      emit(f);
      more = front(f);
    }
    emit(e);
  });
  while (more) {
    emit(f);
    more = front(f);
  }
}

/**
 * @brief Merges the first `fan_in` runs of `runs` into one (named merged_path(runs left)),
 * again, until at most fan_in are left; the merged runs' files are removed.
 */
template <class Codec>
void cascade_runs(std::vector<std::string>& runs, std::size_t fan_in,
                  const std::function<std::string(std::size_t)>& merged_path) {
  using Entry = typename Codec::Entry;
  while (runs.size() > fan_in) {
    std::vector<std::string> group(runs.begin(), runs.begin() + fan_in);
    const std::string path = merged_path(runs.size());
    RunWriter<Codec> w(path);
    merge_runs<Codec>(group, [&](const Entry& e) { w.add(e); });
    w.close();
    for (const std::string& p : group)
      std::remove(p.c_str());
    runs.erase(runs.begin(), runs.begin() + fan_in);
    runs.push_back(path);
  }
}

}  // namespace dupscan::sorted_runs
