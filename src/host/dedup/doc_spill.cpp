#include "dedup/doc_spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dupscan/errors.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

/// Rows read back at once.
constexpr std::size_t kReadRows = std::size_t{1} << 16;

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

DocSpill::DocSpill(std::string dir) : dir_(std::move(dir)), loc_(dir_, 0) {
  id_end_.path = dir_ + "/id_end";
  ids_.path = dir_ + "/ids";
  text_len_.path = dir_ + "/text_len";
}

DocSpill::~DocSpill() {
  for (File* f : {&id_end_, &ids_, &text_len_})
    if (f->fd >= 0) ::close(f->fd);
  // loc_'s destructor removes the directory with every file in it.
}

std::uint64_t DocSpill::bytes_written() const {
  return loc_.bytes_written() + id_end_.size + ids_.size + text_len_.size;
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
}

template <class T>
void DocSpill::read_rows(const File& f, std::uint64_t first, std::size_t n,
                         std::vector<T>& out) const {
  out.resize(n);
  f.read(first * sizeof(T), n * sizeof(T), reinterpret_cast<char*>(out.data()));
}

std::vector<Locator> DocSpill::locators_of(const std::vector<std::uint32_t>& docs) const {
  std::vector<Locator> out;
  out.reserve(docs.size());
  const std::unique_ptr<DocCursor> c = locators();
  for (std::uint32_t d : docs) {
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
  return out;
}

void DocSpill::for_each_id(const std::function<void(std::uint32_t, std::string_view)>& fn) const {
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
      fn(static_cast<std::uint32_t>(first + i),
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

}  // namespace dupscan
