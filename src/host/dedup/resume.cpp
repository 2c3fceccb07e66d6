#include "dedup/resume.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <simdjson.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "dupscan/backend.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/minhash.hpp"
#include "dupscan/normalize.hpp"
#include "io/commit.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"

namespace dupscan {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'P', 'A', 'R', 'T', '0', '1'};
constexpr const char* kRunFile = "run.json";
constexpr const char* kFailedFile = "failed";

static_assert(std::is_trivially_copyable<Locator>::value && sizeof(Locator) == 24,
              "parts hold Locators as bytes");
static_assert(std::is_trivially_copyable<XXH128_hash_t>::value && sizeof(XXH128_hash_t) == 16,
              "parts hold exact hashes as bytes");

// Appends the bytes of a vector / a value to a part.
template <class T>
void put(std::string& out, const T* p, std::size_t n) {
  out.append(reinterpret_cast<const char*>(p), n * sizeof(T));
}
template <class T>
void put(std::string& out, T v) {
  put(out, &v, 1);
}
void put_string(std::string& out, const std::string& s) {
  put<std::uint64_t>(out, s.size());
  out += s;
}

// Reads a part back, throwing on a short one.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : s_(bytes), path_(path) {}
  template <class T>
  T get() {
    T v;
    get(&v, 1);
    return v;
  }
  template <class T>
  void get(T* p, std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes / sizeof(T) != n || bytes > s_.size() - at_) throw Error(path_ + ": part truncated");
    if (bytes) std::memcpy(p, s_.data() + at_, bytes);
    at_ += bytes;
  }
  /// n values appended to v (copied as bytes: a part's values are not aligned for T).
  template <class T>
  void append_vector(std::vector<T>& v, std::size_t n) {
    if (n > (s_.size() - at_) / sizeof(T)) throw Error(path_ + ": part truncated");
    const std::size_t old = v.size();
    v.resize(old + n);
    if (n) std::memcpy(v.data() + old, s_.data() + at_, n * sizeof(T));
    at_ += n * sizeof(T);
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    if (n > s_.size() - at_) throw Error(path_ + ": part truncated");
    std::string out = s_.substr(at_, n);
    at_ += n;
    return out;
  }

 private:
  const std::string& s_;
  const std::string& path_;
  std::size_t at_ = 0;
};

// A file's bytes, read with one read() after another into a string sized from fstat (a part is
// ~100 B per document: a stream iterator's byte at a time was a tenth of a resumed pass).
bool read_whole(const std::string& path, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  bool ok = ::fstat(fd, &st) == 0;
  if (ok) out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t at = 0;
  while (ok && at < out.size()) {
    const ssize_t n = ::read(fd, out.data() + at, out.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // shorter than fstat said: the check of its checksum fails
    at += static_cast<std::size_t>(n);
  }
  out.resize(at);
  ::close(fd);
  return ok;
}

// A part is whole when it begins with the magic and ends with the XXH3-64 of what precedes it.
bool whole(const std::string& bytes) {
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return false;
  std::uint64_t sum = 0;
  std::memcpy(&sum, bytes.data() + bytes.size() - 8, 8);
  return XXH3_64bits(bytes.data(), bytes.size() - 8) == sum;
}

// whole() of the file at `path`, read in pieces of 4 MiB: how a resumed run finds the parts it
// can load, without holding each in memory once more before it loads it.
bool file_whole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof kMagic + 8)) {
    ::close(fd);
    return false;
  }
  const auto body = static_cast<std::uint64_t>(st.st_size) - 8;  // what the checksum covers
  std::string buf(std::size_t{4} << 20, '\0');
  XXH3_state_t* state = XXH3_createState();
  bool ok = state != nullptr && XXH3_64bits_reset(state) == XXH_OK;
  std::uint64_t at = 0;
  char tail[8];
  std::size_t tail_have = 0;
  while (ok) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ok = false;
    if (n <= 0) break;
    const auto got = static_cast<std::uint64_t>(n);
    if (at == 0 && std::memcmp(buf.data(), kMagic, std::min<std::size_t>(n, sizeof kMagic)) != 0)
      ok = false;
    const std::uint64_t hashed = at >= body ? 0 : std::min(got, body - at);
    if (hashed) XXH3_64bits_update(state, buf.data(), hashed);
    for (std::uint64_t i = hashed; i < got && tail_have < 8; ++i)
      tail[tail_have++] = buf[i];
    at += got;
  }
  ::close(fd);
  std::uint64_t sum = 0;
  std::memcpy(&sum, tail, 8);
  ok = ok && at == static_cast<std::uint64_t>(st.st_size) && tail_have == 8 &&
       XXH3_64bits_digest(state) == sum;
  XXH3_freeState(state);
  return ok;
}

std::string identity_json(const WorkDir::Identity& id) {
  JsonWriter w(2);
  w.begin_object();
  for (const auto& [name, value] : id)
    w.field(name, value);
  w.end_object();
  return w.str() + "\n";
}

// run.json as (name, value) pairs; false when it is not such a file.
bool parse_identity(const std::string& text, WorkDir::Identity& out) {
  simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(text).get(obj)) return false;
  for (auto field : obj) {
    std::string_view v;
    if (field.value.get_string().get(v)) return false;
    out.emplace_back(std::string(field.key), std::string(v));
  }
  return true;
}

// "input N" (1-based) -> N; 0 for the other names.
std::uint32_t input_number(const std::string& name) {
  if (name.compare(0, 6, "input ") != 0) return 0;
  return static_cast<std::uint32_t>(std::strtoul(name.c_str() + 6, nullptr, 10));
}

// What differs between an earlier run's identity and this one's, for the refusal: the
// parameters, and the inputs 1 .. `done` (read already; later ones are read again anyway).
std::string differences(const WorkDir::Identity& was, const WorkDir::Identity& now,
                        std::uint32_t done) {
  std::string out;
  int listed = 0;
  auto add = [&](const std::string& s) {
    if (listed++ < 4) out += (out.empty() ? "" : "; ") + s;
  };
  auto compared = [&](const std::string& name) {
    return name != "inputs" && input_number(name) <= done;
  };
  for (const auto& [name, value] : now) {
    if (!compared(name)) continue;
    const std::string* before = nullptr;
    for (const auto& p : was) {
      if (p.first == name) before = &p.second;
    }
    if (!before) {
      add(name + " is new (" + value + ")");
    } else if (*before != value) {
      add(name + " was " + *before + ", is " + value);
    }
  }
  for (const auto& p : was) {
    if (!compared(p.first)) continue;
    bool there = false;
    for (const auto& q : now)
      there |= q.first == p.first;
    if (!there) add(p.first + " is gone (was " + p.second + ")");
  }
  if (listed > 4) out += "; and " + std::to_string(listed - 4) + " more";
  return out;
}

void remove_files(const std::string& dir) {
  for (const std::string& name : WorkDir::entries(dir)) {
    if (name != io::DirLock::kFileName) ::unlink((dir + "/" + name).c_str());
  }
}

}  // namespace

WorkDir::Identity WorkDir::dedup_identity(const DedupConfig& cfg, const LshParams& lsh,
                                          std::uint32_t input_base, const std::string& command) {
  Identity id;
  id.emplace_back("dupscan_version", version());
  id.emplace_back("command", command);
  id.emplace_back("format", input_format_name(cfg.format));
  id.emplace_back("text_field", cfg.text_field);
  id.emplace_back("id_field", cfg.id_field + (cfg.id_field_required ? " (required)" : ""));
  id.emplace_back("normalization", std::string(cfg.normalize.lowercase ? "lowercase" : "case") +
                                       (cfg.normalize.strip_punctuation ? ", no punctuation" : "") +
                                       ", Unicode " + unicode_version());
  id.emplace_back("shingle", cfg.shingle.to_string());
  id.emplace_back("shingle_hash", shingle_hash_name(cfg.shingle_hash));
  id.emplace_back("sketch", sketch_kind_name(cfg.sketch));
  id.emplace_back("scheme", cfg.sketch == SketchKind::fast ? "-" : scheme_name(cfg.scheme));
  id.emplace_back("num_perm", std::to_string(cfg.num_perm));
  id.emplace_back("seed", std::to_string(cfg.seed));
  id.emplace_back("bands", std::to_string(lsh.bands) + " x " + std::to_string(lsh.rows));
  id.emplace_back("signatures_kept", cfg.verify ? "no" : "yes");
  id.emplace_back("max_record_size", std::to_string(cfg.max_record_size));
  id.emplace_back("strict", cfg.strict ? "yes" : "no");
  id.emplace_back("max_skipped", std::to_string(cfg.max_skipped));
  id.emplace_back("against", cfg.against.empty() ? "-" : cfg.against);
  id.emplace_back("inputs_before", std::to_string(input_base));
  id.emplace_back("inputs", std::to_string(cfg.inputs.size()));
  for (std::size_t i = 0; i < cfg.inputs.size(); ++i)
    id.emplace_back("input " + std::to_string(i + 1), file_identity(cfg.inputs[i]));
  return id;
}

std::string WorkDir::file_identity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw Error("cannot stat input '" + path + "': " + std::strerror(errno));
  }
  const long long mtime_ns =
      static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return path + ", " + std::to_string(st.st_size) + " bytes, mtime " + std::to_string(mtime_ns) +
         " ns";
}

WorkDir::WorkDir(std::string dir, Identity identity, bool restart)
    : dir_(std::move(dir)), identity_(std::move(identity)) {
  for (const auto& [name, value] : identity_) {
    if (name == "inputs") inputs_ = static_cast<std::uint32_t>(std::stoul(value));
  }
  // Created by the first save(): a run that fails before it finishes an input leaves none.
  struct stat st;
  if (::stat(dir_.c_str(), &st) == 0) lock();
  const std::string run = dir_ + "/" + kRunFile;
  std::string text;
  if (read_whole(run, text) && restart) {
    remove_files(dir_);
  } else if (!text.empty()) {
    Identity was;
    if (!parse_identity(text, was)) {
      throw UsageError("the work directory " + dir_ + " holds a " + kRunFile +
                       " that is not a dupscan run's: give another --work-dir, or pass "
                       "--restart to discard what is there");
    }
    while (parts_done_ < inputs_ && part_whole(parts_done_))
      ++parts_done_;
    // Its parameters, and the inputs it read whole, must be this run's; the inputs it did not
    // finish may have changed (fixed after a failed run): they are read again.
    const std::string changed = differences(was, identity_, parts_done_);
    std::string ignored;
    if (!changed.empty() && read_whole(dir_ + "/" + kFailedFile, ignored)) {
      discarded_ = "discarded what a failed run of other inputs or options left in " + dir_ + " (" +
                   changed + ")";
      remove_files(dir_);
      parts_done_ = 0;
    } else if (!changed.empty()) {
      throw UsageError("the work directory " + dir_ +
                       " holds an interrupted run of other inputs or options (" + changed +
                       "): run the same command to resume it, or pass --restart to discard it "
                       "and start over");
    }
    // Parts after the first one missing are never loaded, and must not be once this run saves
    // the one missing: they may be of another pass over the inputs (contam's count Locators in
    // a file this run rewrites from there on).
    for (std::uint32_t i = parts_done_; i < inputs_; ++i)
      ::unlink(part_path(i).c_str());
    ready_ = was == identity_;
  } else {
    // No run file: whatever is there is what a kill left of a removal (or of a run before its
    // first save), never parts to load -- nor to sit beside the parts this run saves.
    remove_files(dir_);
  }
}

void WorkDir::lock() const {
  if (lock_.held()) return;
  lock_ = io::DirLock(dir_, "the work directory",
                      "wait for it to finish, or give this run another --work-dir", false);
}

void WorkDir::make_ready() const {
  if (ready_) return;
  io::make_dirs(dir_);
  lock();
  io::AtomicFile f(dir_ + "/" + kRunFile);
  f.write(identity_json(identity_));
  f.commit();
  ready_ = true;
}

std::string WorkDir::own_file(const std::string& name) const {
  make_ready();
  return dir_ + "/" + name;
}

void WorkDir::mark_failed() const noexcept {
  try {
    io::AtomicFile f(dir_ + "/" + kFailedFile);
    f.write("the run failed: a run of other options discards this directory\n");
    f.commit();
  } catch (...) {
    // Without the mark a run of other options is refused, naming --restart: nothing is lost.
  }
}

std::vector<std::string> WorkDir::entries(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  return names;
}

void WorkDir::discard(const std::string& dir) noexcept {
  for (const std::string& name : entries(dir))
    ::unlink((dir + "/" + name).c_str());
  ::rmdir(dir.c_str());
}

std::string WorkDir::resuming_note() const {
  return "resuming: " + std::to_string(parts_done_) + " of " + std::to_string(inputs_) + " input" +
         (inputs_ == 1 ? "" : "s") + " already read by an interrupted run (" + dir_ +
         "; --restart starts over)";
}

bool WorkDir::holds_parts() const {
  try {
    flush();
  } catch (...) {
    // A part that could not be written is not there: the check below says what is.
  }
  return part_whole(0);
}

std::string WorkDir::part_path(std::uint32_t input) const {
  char name[32];
  std::snprintf(name, sizeof name, "/input-%06u.part", input);
  return dir_ + name;
}

bool WorkDir::part_whole(std::uint32_t input) const {
  return file_whole(part_path(input));
}

void WorkDir::save(std::uint32_t input, const DocTable& docs, std::size_t first_doc,
                   const InputSummary& summary, const std::uint64_t* skipped_by_reason,
                   std::uint32_t bands, std::uint32_t k) const {
  if (first_doc < docs.keys_first || first_doc < docs.cold_first) {
    throw Error("internal: an input's part saved after its band keys were spilled");
  }
  make_ready();
  const std::size_t n = docs.size() - first_doc;
  const std::size_t held = first_doc - docs.cold_first;  // its first row in loc, id_end, text_len
  const std::uint64_t id_begin = held == 0 ? docs.ids_first : docs.id_end[held - 1];
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, input);
  put<std::uint64_t>(out, n);
  put<std::uint32_t>(out, bands);
  put<std::uint32_t>(out, k);
  put<std::uint8_t>(out, docs.sigs.empty() ? 0 : 1);
  put<std::uint8_t>(out, docs.sigs64.empty() ? 0 : 1);
  put(out, docs.loc.data() + held, n);
  for (std::size_t i = held; i < docs.id_end.size(); ++i)
    put<std::uint64_t>(out, docs.id_end[i] - id_begin);
  put_string(out, docs.ids.substr(id_begin - docs.ids_first));
  put(out, docs.exact.data() + held, n);
  put(out, docs.text_len.data() + held, n);
  put(out, docs.empty.data() + first_doc, n);
  put(out, docs.sketched.data() + first_doc, n);
  put(out, docs.keys.data() + (first_doc - docs.keys_first) * bands, n * bands);
  if (!docs.sigs.empty()) put(out, docs.sigs.data() + first_doc * k, n * k);
  if (!docs.sigs64.empty()) put(out, docs.sigs64.data() + first_doc * k, n * k);
  put_string(out, summary.path);
  put_string(out, summary.compression);
  put_string(out, summary.xxh3_64);
  for (std::uint64_t v : {summary.bytes, summary.text_bytes, summary.lines, summary.records,
                          summary.blank_lines, summary.skipped, summary.with_id})
    put<std::uint64_t>(out, v);
  put(out, skipped_by_reason, kSkipReasonCount);
  enqueue(input, std::move(out));
}

void WorkDir::save_payload(std::uint32_t input, std::string payload) const {
  make_ready();
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, input);
  out += payload;
  enqueue(input, std::move(out));
}

void WorkDir::enqueue(std::uint32_t input, std::string out) const {
  put<std::uint64_t>(out, XXH3_64bits(out.data(), out.size()));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (error_) std::rethrow_exception(error_);
    queue_.emplace_back(input, std::move(out));
    if (!writer_.joinable()) writer_ = std::thread([this] { write_parts(); });
  }
  cv_.notify_all();
}

void WorkDir::write_parts() const {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped
    auto [input, bytes] = std::move(queue_.front());
    queue_.pop_front();
    if (error_ || interrupt_requested()) {
      queue_.clear();  // a signal: the run stops, and the next one reads these inputs again
      cv_.notify_all();
      continue;
    }
    writing_ = true;
    lock.unlock();
    try {
      io::AtomicFile f(part_path(input));
      f.write(bytes);
      f.commit();
      io::fault_point("resume-part-saved-" + std::to_string(input + 1));
    } catch (...) {
      lock.lock();
      error_ = std::current_exception();
      writing_ = false;
      cv_.notify_all();
      continue;
    }
    lock.lock();
    writing_ = false;
    cv_.notify_all();
  }
}

void WorkDir::flush() const {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return queue_.empty() && !writing_; });
  if (error_) std::rethrow_exception(error_);
}

WorkDir::~WorkDir() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::string WorkDir::read_part(std::uint32_t input) const {
  const std::string path = part_path(input);
  std::string bytes;
  if (!read_whole(path, bytes) || !whole(bytes)) {
    throw Error(path + ": cannot read this part of the interrupted run (pass --restart)");
  }
  return bytes;
}

std::string WorkDir::load_payload(std::uint32_t input) const {
  const std::string path = part_path(input);
  const std::string bytes = read_part(input);
  Reader r(bytes, path);
  char magic[sizeof kMagic];
  r.get(magic, sizeof magic);
  if (r.get<std::uint32_t>() != input) throw Error(path + ": part of another input");
  // What follows the input's number, less the checksum.
  const std::size_t begin = sizeof kMagic + sizeof(std::uint32_t);
  if (bytes.size() < begin + 8) throw Error(path + ": part truncated");
  return bytes.substr(begin, bytes.size() - 8 - begin);
}

InputPart WorkDir::load(std::uint32_t input, DocTable& docs) const {
  const std::string path = part_path(input);
  const std::string bytes = read_part(input);
  Reader r(bytes, path);
  char magic[sizeof kMagic];
  r.get(magic, sizeof magic);
  InputPart part;
  if (r.get<std::uint32_t>() != input) throw Error(path + ": part of another input");
  const auto n = r.get<std::uint64_t>();
  const auto bands = r.get<std::uint32_t>();
  const auto k = r.get<std::uint32_t>();
  const bool sigs = r.get<std::uint8_t>() != 0, sigs64 = r.get<std::uint8_t>() != 0;
  r.append_vector(docs.loc, n);
  const std::size_t first_end = docs.id_end.size();
  const std::uint64_t id_base = docs.id_bytes();
  r.append_vector(docs.id_end, n);
  for (std::size_t d = first_end; d < docs.id_end.size(); ++d)
    docs.id_end[d] += id_base;
  docs.ids += r.get_string();
  r.append_vector(docs.exact, n);
  r.append_vector(docs.text_len, n);
  r.append_vector(docs.empty, n);
  r.append_vector(docs.sketched, n);
  r.append_vector(docs.keys, n * bands);
  if (sigs) r.append_vector(docs.sigs, n * k);
  if (sigs64) r.append_vector(docs.sigs64, n * k);
  InputSummary& s = part.summary;
  s.path = r.get_string();
  s.compression = r.get_string();
  s.xxh3_64 = r.get_string();
  for (std::uint64_t* v :
       {&s.bytes, &s.text_bytes, &s.lines, &s.records, &s.blank_lines, &s.skipped, &s.with_id})
    *v = r.get<std::uint64_t>();
  r.get(part.skipped_by_reason, kSkipReasonCount);
  return part;
}

void WorkDir::remove() noexcept {
  try {
    flush();
  } catch (...) {
    // Removed anyway.
  }
  // The run file first: a kill during the removal leaves a directory no run resumes from.
  ::unlink((dir_ + "/" + kRunFile).c_str());
  remove_files(dir_);
  lock_.release();
  ::rmdir(dir_.c_str());
}

bool WorkDir::keep_after_failure(bool failed) noexcept {
  if (!holds_parts()) {
    remove();
    return false;
  }
  if (failed) mark_failed();
  return true;
}

void write_resume_json(JsonWriter& w, const ResumeSummary& r) {
  w.key("resume").begin_object();
  if (r.work_dir.empty()) {
    w.key("work_dir").null();
    w.field("why_not", r.why_not);
  } else {
    w.field("work_dir", r.work_dir);
    w.field("resumed", r.inputs_loaded > 0);
    w.field("inputs_already_read", r.inputs_loaded);
  }
  w.end_object();
}

std::unique_ptr<WorkDir> WorkDir::open(ResumeSummary& r, std::string dir, Identity identity,
                                       bool restart, const RunObserver& observer) {
  r.work_dir = dir;
  auto work = std::make_unique<WorkDir>(std::move(dir), std::move(identity), restart);
  r.inputs_loaded = work->parts_done();
  if (!work->discarded().empty() && observer.info) observer.info(work->discarded());
  if (r.inputs_loaded > 0 && observer.info) observer.info(work->resuming_note());
  return work;
}

std::string why_no_resume(const std::string& blocker, const std::vector<std::string>& inputs) {
  if (!blocker.empty()) return blocker;
  for (const std::string& path : inputs) {
    if (io::reads_once(path)) {
      return "it reads " + (path == "-" ? std::string("<stdin>") : path) +
             ", which can be read only once";
    }
  }
  return "";
}

}  // namespace dupscan
