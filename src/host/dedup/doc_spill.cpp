#include "dedup/doc_spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <utility>

#include "dedup/key_spill.hpp"
#include "dedup/sorted_runs.hpp"
#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

/// Rows read back at once.
constexpr std::size_t kReadRows = std::size_t{1} << 16;

// An exact hash's run entry: (high, low) of the hash, then the document -- the order of
// stages::exact_representatives. 20 bytes on disk.
struct ExactCodec {
  using Entry = std::pair<std::pair<std::uint64_t, std::uint64_t>, std::uint32_t>;
  static constexpr std::size_t kBytes = 20;
  static void put(char* b, const Entry& e) {
    std::memcpy(b, &e.first.first, 8);
    std::memcpy(b + 8, &e.first.second, 8);
    std::memcpy(b + 16, &e.second, 4);
  }
  static void get(const char* b, Entry& e) {
    std::memcpy(&e.first.first, b, 8);
    std::memcpy(&e.first.second, b + 8, 8);
    std::memcpy(&e.second, b + 16, 4);
  }
};

}  // namespace

void DocSpill::File::append(const char* p, std::size_t n) {
  if (fd < 0) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
      throw Error("cannot create the spill file " + path + ": " + std::strerror(errno));
    }
  }
  io::pwrite_all(fd, path, p, n, size);
  size += n;
}

void DocSpill::File::read(std::uint64_t at, std::size_t n, char* out) const {
  if (n > 0) io::pread_exact(fd, path, out, n, at);
}

DocSpill::DocSpill(std::string dir)
    : dir_(std::move(dir)), loc_(dir_, 0), fan_in_(KeySpill::kMaxFanIn) {
  id_end_.path = dir_ + "/id_end";
  ids_.path = dir_ + "/ids";
  text_len_.path = dir_ + "/text_len";
  if (const char* f = std::getenv("DUPSCAN_TEST_SPILL_FAN_IN")) {
    fan_in_ = std::max<std::size_t>(2, std::strtoull(f, nullptr, 10));
  }
}

DocSpill::~DocSpill() {
  for (File* f : {&id_end_, &ids_, &text_len_})
    if (f->fd >= 0) ::close(f->fd);
  // loc_'s destructor removes the directory with every file in it.
}

std::uint64_t DocSpill::bytes_written() const {
  return loc_.bytes_written() + id_end_.size + ids_.size + text_len_.size + exact_bytes_;
}

void DocSpill::spill(DocTable& docs, std::size_t until) {
  if (until <= docs.cold_first) return;
  const std::size_t n = until - docs.cold_first;
  loc_.add(docs.loc.data(), n);
  loc_.flush();  // makes the directory with its file
  const std::uint64_t id_end = docs.id_end[n - 1];
  id_end_.append(reinterpret_cast<const char*>(docs.id_end.data()), n * sizeof(std::uint64_t));
  ids_.append(docs.ids.data(), id_end - docs.ids_first);
  text_len_.append(reinterpret_cast<const char*>(docs.text_len.data()), n * sizeof(std::uint64_t));
  // The exact hashes of the documents that are not empty, as a run sorted by (hash, document).
  std::vector<ExactCodec::Entry> entries;
  entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t d = docs.cold_first + i;
    if (docs.empty[d]) continue;
    entries.push_back({{docs.exact[i].high64, docs.exact[i].low64}, static_cast<std::uint32_t>(d)});
  }
  std::sort(entries.begin(), entries.end());
  exact_runs_.push_back(dir_ + "/exact-run-" + std::to_string(exact_runs_.size()));
  sorted_runs::RunWriter<ExactCodec> w(exact_runs_.back());
  for (const ExactCodec::Entry& e : entries)
    w.add(e);
  exact_bytes_ += w.close();
  docs.exact.erase(docs.exact.begin(), docs.exact.begin() + n);
  docs.loc.erase(docs.loc.begin(), docs.loc.begin() + n);
  docs.id_end.erase(docs.id_end.begin(), docs.id_end.begin() + n);
  docs.ids.erase(0, id_end - docs.ids_first);
  docs.text_len.erase(docs.text_len.begin(), docs.text_len.begin() + n);
  docs.cold_first = until;
  docs.ids_first = id_end;
  rows_ += n;
}

void DocSpill::finish(DocTable& docs) {
  if (!spilled()) return;
  spill(docs, docs.size());
  // The capacity too: what was held is on disk now.
  std::vector<Locator>().swap(docs.loc);
  std::vector<std::uint64_t>().swap(docs.id_end);
  std::string().swap(docs.ids);
  std::vector<std::uint64_t>().swap(docs.text_len);
  std::vector<XXH128_hash_t>().swap(docs.exact);
}

template <class T>
void DocSpill::read_rows(const File& f, std::uint64_t first, std::size_t n,
                         std::vector<T>& out) const {
  out.resize(n);
  f.read(first * sizeof(T), n * sizeof(T), reinterpret_cast<char*>(out.data()));
}

void DocSpill::prepend(DocTable prefix) {
  base_ = static_cast<std::uint32_t>(prefix.loc.size());
  for (std::uint32_t d = 0; d < base_; ++d) {
    if (prefix.empty[d]) continue;
    prefix_exact_.push_back({{prefix.exact[d].high64, prefix.exact[d].low64}, d});
  }
  std::sort(prefix_exact_.begin(), prefix_exact_.end());
  prefix_ = std::move(prefix);
  std::vector<XXH128_hash_t>().swap(prefix_.exact);
  std::vector<std::uint64_t>().swap(prefix_.keys);
}

void DocSpill::exact_hashes(const std::function<void(std::uint64_t, std::uint64_t)>& fn) {
  sorted_runs::cascade_runs<ExactCodec>(exact_runs_, fan_in_, [&](std::size_t left) {
    return dir_ + "/exact-merged-" + std::to_string(left);
  });
  sorted_runs::merge_runs<ExactCodec>(
      exact_runs_, [&](const ExactCodec::Entry& e) { fn(e.first.first, e.first.second); });
}

std::vector<Locator> DocSpill::locators_of(const std::vector<std::uint32_t>& docs) const {
  std::vector<Locator> out;
  out.reserve(docs.size());
  const std::unique_ptr<DocCursor> c = locators();
  for (std::uint32_t d : docs) {
    if (d < base_) {
      out.push_back(prefix_.loc[d]);
      continue;
    }
    while (c->peek() && c->doc() < d)
      c->advance();
    if (!c->peek() || c->doc() != d) {
      throw Error("internal: document " + std::to_string(d) + " is not in the spill file");
    }
    out.push_back(*c->peek());
  }
  return out;
}

Locator DocSpill::locator(std::uint32_t d) const {
  return locators_of({d}).front();
}

std::vector<std::uint64_t> DocSpill::text_lengths() const {
  std::vector<std::uint64_t> out;
  read_rows(text_len_, 0, rows_, out);
  out.insert(out.begin(), prefix_.text_len.begin(), prefix_.text_len.end());
  return out;
}

void DocSpill::for_each_id(const std::function<void(std::uint32_t, std::string_view)>& fn) const {
  for (std::uint32_t d = 0; d < base_; ++d) {
    const std::uint64_t b = d == 0 ? 0 : prefix_.id_end[d - 1];
    fn(d, std::string_view(prefix_.ids).substr(b, prefix_.id_end[d] - b));
  }
  std::vector<std::uint64_t> ends;
  std::string text;
  std::uint64_t begin = 0;  // of the next id
  for (std::uint64_t first = 0; first < rows_; first += kReadRows) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(kReadRows, rows_ - first));
    read_rows(id_end_, first, n, ends);
    text.resize(ends.back() - begin);
    ids_.read(begin, text.size(), text.data());
    const std::uint64_t base = begin;
    for (std::size_t i = 0; i < n; ++i) {
      fn(static_cast<std::uint32_t>(base_ + first + i),
         std::string_view(text).substr(begin - base, ends[i] - begin));
      begin = ends[i];
    }
  }
}

DocTable DocSpill::ids_of(const std::vector<std::uint32_t>& docs) const {
  DocTable t;
  t.loc = locators_of(docs);
  t.id_end.reserve(docs.size());
  std::size_t k = 0;
  for_each_id([&](std::uint32_t d, std::string_view id) {
    if (k == docs.size() || docs[k] != d) return;
    t.ids += id;
    t.id_end.push_back(t.ids.size());
    ++k;
  });
  return t;
}

stages::ExactGroups DocSpill::exact_groups(DocTable& docs, std::uint32_t k) {
  const std::size_t n = docs.size();
  stages::ExactGroups g;
  g.rep.resize(n);
  std::iota(g.rep.begin(), g.rep.end(), 0u);
  sorted_runs::cascade_runs<ExactCodec>(exact_runs_, fan_in_, [&](std::size_t left) {
    return dir_ + "/exact-merged-" + std::to_string(left);
  });
  // The held documents' hashes (prepend()) before the spilled ones', numbered from base_ on.
  std::size_t next = 0;
  auto front = [&](ExactCodec::Entry& e) {
    if (next == prefix_exact_.size()) return false;
    e = prefix_exact_[next++];
    return true;
  };
  auto shift = [&](ExactCodec::Entry e) {
    e.second += base_;
    return e;
  };
  // Each group in document order: its first is the representative; its earliest sketched
  // member lends it the signature when it was not sketched itself.
  ExactCodec::Entry group{};       // the group's hash and first document
  bool any = false, lent = false;  // lent: the first has its signature (its own, or lent)
  auto visit = [&](const ExactCodec::Entry& e) {
    const std::uint32_t d = e.second;
    if (!any || e.first != group.first) {
      any = true;
      group = e;
      lent = docs.sketched[d] != 0;
      return;
    }
    const std::uint32_t first = group.second;
    g.rep[d] = first;
    if (lent || !docs.sketched[d]) return;
    lent = true;
    stages::copy_signature(docs, d, first, k);
  };
  sorted_runs::merge_runs_after<ExactCodec>(exact_runs_, shift, front, visit);
  for (std::uint32_t d = 0; d < n; ++d) {
    if (docs.empty[d] || g.rep[d] != d) continue;
    g.lsh_docs.push_back(d);
    if (!docs.sketched[d]) ++g.keys_from_copy;
  }
  return g;
}

void DocSpill::for_each_group_first(
    const std::function<void(const XXH128_hash_t&, std::uint32_t)>& fn) const {
  ExactCodec::Entry group{};
  bool any = false;
  sorted_runs::merge_runs<ExactCodec>(exact_runs_, [&](const ExactCodec::Entry& e) {
    if (any && e.first == group.first) return;
    any = true;
    group = e;
    XXH128_hash_t h;
    h.high64 = e.first.first;
    h.low64 = e.first.second;
    fn(h, e.second);
  });
}

namespace {

// Documents [first, docs.size()) of a table that holds their Locators.
class HeldLocators : public DocCursor {
 public:
  HeldLocators(const DocTable& docs, std::uint32_t first) : docs_(docs), d_(first) {}
  const Locator* peek() override {
    return d_ < docs_.size() ? &docs_.loc[d_ - docs_.cold_first] : nullptr;
  }
  std::uint32_t doc() const override { return d_; }
  void advance() override { ++d_; }

 private:
  const DocTable& docs_;
  std::uint32_t d_;
};

}  // namespace

std::unique_ptr<DocCursor> document_locators(const DocTable& docs, const DocSpill* spill,
                                             std::uint32_t first) {
  if (spill && spill->spilled()) {
    if (first != spill->base()) {
      throw Error("internal: the spilled documents start at " + std::to_string(spill->base()) +
                  ", not " + std::to_string(first));
    }
    return spill->locators();
  }
  return std::make_unique<HeldLocators>(docs, first);
}

}  // namespace dupscan
