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
#include "dedup/sorted_runs.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

using Entry = std::pair<std::uint64_t, std::uint32_t>;

// A run's entry on disk: key (8 bytes), document (4 bytes).
struct KeyCodec {
  using Entry = dupscan::Entry;
  static constexpr std::size_t kBytes = 12;
  static void put(char* b, const Entry& e) {
    std::memcpy(b, &e.first, 8);
    std::memcpy(b + 8, &e.second, 4);
  }
  static void get(const char* b, Entry& e) {
    std::memcpy(&e.first, b, 8);
    std::memcpy(&e.second, b + 8, 4);
  }
};
using RunWriter = sorted_runs::RunWriter<KeyCodec>;

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

bool KeySpill::over(const DocTable& docs, bool with_rows) const {
  std::size_t held = docs.keys.size() * sizeof(std::uint64_t);
  if (with_rows) {
    held += docs.loc.size() * sizeof(Locator) + docs.ids.size() +
            (docs.id_end.size() + docs.text_len.size()) * sizeof(std::uint64_t) +
            docs.exact.size() * sizeof(XXH128_hash_t);
  }
  return held > window_bytes_;
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

void KeySpill::prepend(const DocTable& prefix) {
  base_ = static_cast<std::uint32_t>(prefix.empty.size());
  std::vector<Entry> entries;
  for (std::uint32_t j = 0; j < bands_; ++j) {
    entries.clear();
    for (std::uint32_t d = 0; d < base_; ++d) {
      if (prefix.empty[d] || !prefix.sketched[d]) continue;
      entries.emplace_back(prefix.keys[std::size_t{d} * bands_ + j], d);
    }
    radix_sort_by_key(entries);
    prefix_runs_.push_back(dir_ + "/band-" + std::to_string(j) + "-indexed");
    RunWriter w(prefix_runs_.back());
    for (const Entry& e : entries)
      w.add(e);
    bytes_written_ += w.close();
  }
}

template <class Emit>
void KeySpill::merge_entries(std::uint32_t band, Emit&& emit) const {
  if (prefix_runs_.empty()) {
    sorted_runs::merge_runs<KeyCodec>(band_runs_[band], emit);
    return;
  }
  sorted_runs::RunReader<KeyCodec> front(prefix_runs_[band]);
  sorted_runs::merge_runs_after<KeyCodec>(
      band_runs_[band],
      [&](Entry e) {
        e.second += base_;
        return e;
      },
      [&](Entry& e) { return front.next(e); }, emit);
}

void KeySpill::cascade(std::uint32_t band) {
  // The first fan_in_ runs into one, until few enough are left to merge at once.
  sorted_runs::cascade_runs<KeyCodec>(band_runs_[band], fan_in_, [&](std::size_t left) {
    return dir_ + "/band-" + std::to_string(band) + "-merged-" + std::to_string(left);
  });
}

void KeySpill::merge_band(std::uint32_t band,
                          const std::function<void(std::uint64_t, std::uint32_t)>& emit) {
  cascade(band);
  merge_entries(band, [&](const Entry& e) { emit(e.first, e.second); });
}

void KeySpill::discard_all(const std::string& root) noexcept {
  for (const std::string& name : WorkDir::entries(root))
    WorkDir::discard(root + "/" + name);  // a rank's directory (a file: nothing, then unlinked)
  WorkDir::discard(root);
}

void KeySpill::for_each_bucket(
    std::uint32_t band, const std::function<std::uint32_t(std::uint32_t doc)>& first_of,
    const std::function<void(std::uint64_t key, const std::vector<std::uint32_t>& firsts)>& fn) {
  cascade(band);
  std::vector<std::uint32_t> bucket;
  std::uint64_t key = 0;
  auto flush = [&] {
    std::sort(bucket.begin(), bucket.end());
    bucket.erase(std::unique(bucket.begin(), bucket.end()), bucket.end());
    if (!bucket.empty()) fn(key, bucket);
    bucket.clear();
  };
  merge_entries(band, [&](const Entry& e) {
    const std::uint32_t first = first_of(e.second);
    if (first == kLeftOut) return;
    if (!bucket.empty() && e.first != key) flush();
    key = e.first;
    bucket.push_back(first);
  });
  flush();
}

std::vector<std::uint64_t> KeySpill::candidate_pairs(const std::vector<std::uint32_t>& rep,
                                                     const std::vector<std::uint8_t>& empty,
                                                     const std::vector<std::uint8_t>& sketched,
                                                     unsigned threads) {
  std::vector<std::vector<std::uint64_t>> per_band(bands_);
  parallel_for(bands_, threads, 1, [&](std::size_t j) {
    // Each bucket's exact-group firsts paired with its first.
    auto& out = per_band[j];
    for_each_bucket(
        static_cast<std::uint32_t>(j),
        [&](std::uint32_t d) { return empty[d] || !sketched[d] ? kLeftOut : rep[d]; },
        [&](std::uint64_t, const std::vector<std::uint32_t>& firsts) {
          for (std::size_t i = 1; i < firsts.size(); ++i) {
            // Two indexed documents (prepend()) are no pair of this run.
            if (firsts[i] >= base_) out.push_back(stages::pair_key(firsts[0], firsts[i]));
          }
        });
  });
  return stages::merge_band_pairs(per_band);
}

}  // namespace dupscan
