// `dupscan report`: reads a run's report.json, lets the page builder of its command gather the
// data, and writes the page: the HTML template with the CSS, the JavaScript and the data inlined.
#include "report/report.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "report/report_internal.hpp"
#include "report_assets.hpp"

namespace dupscan::report {

void ReportOptions::validate() const {
  expects_usage(!dir.empty(), "the run's output directory is required");
  expects_usage(chars >= 100 && chars <= 1000000, "--chars must be in [100, 1000000]");
  expects_usage(clusters <= 100000 && pairs <= 100000 && exact <= 100000 && examples <= 100000 &&
                    near <= 100000 && list <= 10000000,
                "--clusters, --pairs, --exact, --examples and --near must be at most 100000, "
                "--list at most 10000000");
  expects_usage(members >= 1 && members <= 1000, "--members must be in [1, 1000]");
  expects_usage(matches >= 1 && matches <= 1000, "--matches must be in [1, 1000]");
}

namespace detail {

namespace {

simdjson::simdjson_result<simdjson::dom::element> at_path(simdjson::dom::element e,
                                                          std::string_view path) {
  simdjson::simdjson_result<simdjson::dom::element> cur(simdjson::dom::element{e});
  while (true) {
    const auto dot = path.find('.');
    cur = cur[path.substr(0, dot)];
    if (dot == std::string_view::npos) return cur;
    path.remove_prefix(dot + 1);
  }
}

[[noreturn]] void missing(std::string_view path, const char* what) {
  throw Error("report.json: no " + std::string(what) + " field \"" + std::string(path) +
              "\" (not a report.json of this dupscan?)");
}

}  // namespace

simdjson::dom::element get(simdjson::dom::element e, std::string_view path) {
  simdjson::dom::element v;
  if (at_path(e, path).get(v)) missing(path, "");
  return v;
}
bool has(simdjson::dom::element e, std::string_view path) {
  simdjson::dom::element v;
  return !at_path(e, path).get(v);
}
std::uint64_t get_u64(simdjson::dom::element e, std::string_view path) {
  std::uint64_t v;
  if (at_path(e, path).get_uint64().get(v)) missing(path, "integer");
  return v;
}
double get_double(simdjson::dom::element e, std::string_view path) {
  double v;
  if (at_path(e, path).get_double().get(v)) missing(path, "number");
  return v;
}
std::string get_string(simdjson::dom::element e, std::string_view path) {
  std::string_view v;
  if (at_path(e, path).get_string().get(v)) missing(path, "string");
  return std::string(v);
}
bool get_bool(simdjson::dom::element e, std::string_view path) {
  bool v;
  if (at_path(e, path).get_bool().get(v)) missing(path, "true/false");
  return v;
}
simdjson::dom::array get_array(simdjson::dom::element e, std::string_view path) {
  simdjson::dom::array v;
  if (at_path(e, path).get_array().get(v)) missing(path, "array");
  return v;
}

namespace {
// The line for_each_json_line is handing over, when it was parsed through NumberText.
thread_local const NumberText* line_numbers = nullptr;
}  // namespace

std::string json_text(simdjson::dom::element e) {
  if (line_numbers == nullptr) return simdjson::minify(e);
  std::string out;
  line_numbers->append(out, e);
  return out;
}

void for_each_json_line(const std::string& path,
                        const std::function<void(simdjson::dom::object, std::uint64_t)>& f) {
  auto src = io::open_source(path);
  io::LineReader reader(*src);
  io::RawBatch batch;
  simdjson::dom::parser parser;
  NumberText numbers;
  struct Reset {
    ~Reset() { line_numbers = nullptr; }
  } reset;
  while (reader.next(batch, std::size_t{4} << 20)) {
    check_interrupt();
    for (const io::LineRef& l : batch.lines) {
      const std::string_view line = batch.line(l);
      if (is_blank(line)) continue;
      simdjson::dom::element root;
      simdjson::dom::object obj;
      auto err =
          parser.parse(reinterpret_cast<const std::uint8_t*>(line.data()), line.size(), false)
              .get(root);
      line_numbers = nullptr;
      if (is_number_error(err)) {
        // An id that is a number simdjson cannot hold, as dupscan wrote it.
        err = numbers.parse(parser, line, root, true);
        line_numbers = &numbers;
      }
      if (!err) err = root.get_object().get(obj);
      if (err) {
        throw Error(path + ":" + std::to_string(l.line_no) + ": not a JSON object (" +
                    simdjson::error_message(err) + ")");
      }
      f(obj, l.line_no);
    }
  }
}

std::string id_display(std::string_view id_json) {
  if (id_json.size() >= 2 && id_json.front() == '"') {
    simdjson::dom::parser p;
    std::string_view s;
    if (!p.parse(id_json.data(), id_json.size()).get_string().get(s)) return std::string(s);
  }
  return std::string(id_json);
}

std::vector<RecordedInput> recorded_inputs(simdjson::dom::array inputs) {
  std::vector<RecordedInput> out;
  for (simdjson::dom::element in : inputs) {
    RecordedInput r;
    r.path = get_string(in, "path");
    r.bytes = get_u64(in, "bytes");
    r.xxh3_64 = get_string(in, "xxh3_64");
    if (has(in, "lines")) r.lines = get_u64(in, "lines");
    r.in_memory = has(in, "compression") && get_string(in, "compression") == "arrow";
    out.push_back(std::move(r));
  }
  return out;
}

void write_inputs(JsonWriter& w, simdjson::dom::array inputs, bool verified) {
  w.begin_array();
  for (simdjson::dom::element in : inputs) {
    w.begin_object();
    w.field("path", get_string(in, "path"));
    w.field("compression", get_string(in, "compression"));
    w.field("bytes", get_u64(in, "bytes"));
    w.field("text_bytes", get_u64(in, "text_bytes"));
    w.field("lines", get_u64(in, "lines"));
    w.field("records", get_u64(in, "records"));
    w.field("skipped", get_u64(in, "skipped"));
    w.field("xxh3_64", get_string(in, "xxh3_64"));
    w.field("verified", verified && get_string(in, "path") != "<stdin>");
    w.end_object();
  }
  w.end_array();
}

std::uint32_t DocTable::add(const std::string& id_json) {
  const auto [it, fresh] = index_.try_emplace(id_json, static_cast<std::uint32_t>(docs_.size()));
  if (fresh) docs_.push_back({id_json, false, {}, {}});
  return it->second;
}

void DocTable::resolve(std::unordered_map<std::string, FoundRecord>&& found,
                       const std::string& why_missing) {
  for (Doc& d : docs_) {
    const auto it = found.find(d.id);
    if (it == found.end()) {
      d.missing = why_missing;
      continue;
    }
    d.found = true;
    d.rec = std::move(it->second);
  }
}

std::size_t DocTable::shown_bytes(std::uint32_t doc) const {
  return docs_[doc].found ? prefix_bytes(docs_[doc].rec.text, chars_) : 0;
}

std::vector<std::string> DocTable::ids() const {
  std::vector<std::string> out;
  for (const Doc& d : docs_)
    out.push_back(d.id);
  return out;
}

std::uint64_t DocTable::texts() const {
  std::uint64_t n = 0;
  for (const Doc& d : docs_)
    n += d.found;
  return n;
}

void DocTable::write(JsonWriter& w) const {
  w.begin_array();
  for (std::uint32_t i = 0; i < docs_.size(); ++i) {
    const Doc& d = docs_[i];
    w.begin_object();
    w.field("id", id_display(d.id));
    if (d.found) {
      const std::size_t shown = shown_bytes(i);
      w.field("file", d.rec.file);
      w.field("line", d.rec.line);
      w.field("text", std::string_view(d.rec.text).substr(0, shown));
      w.field("chars", static_cast<std::uint64_t>(count_chars(d.rec.text)));
      w.field("cut", shown < d.rec.text.size());
      if (d.rec.copies > 1) w.field("copies", d.rec.copies);
    } else {
      w.field("missing", d.missing);
    }
    w.end_object();
  }
  w.end_array();
}

void write_ranges(JsonWriter& w, std::string_view text, std::size_t shown,
                  std::vector<Range> ranges) {
  const std::string_view t = text.substr(0, shown);
  merge_ranges(ranges);
  to_utf16(t, ranges);
  w.begin_array();
  for (const Range& r : ranges)
    w.value(r.begin).value(r.end);
  w.end_array();
}

}  // namespace detail

namespace {

std::string read_whole(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) io::throw_errno("read", path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// JSON made safe inside <script type="application/json">: '<' can only occur inside strings,
// where \u003c means the same, so neither "</script>" nor "<!--" survives; "://" becomes
// ":\/\/" (the same string), so that no URL in a document's text reads as one in the file.
std::string script_safe_json(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 64);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == ':' && json.compare(i + 1, 2, "//") == 0) {
      out += ":\\/\\/";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// The template with its markers replaced: the markers are looked for in the template only, so
// that nothing in the data or the assets can be taken for one.
std::string assemble(const detail::Page& page) {
  const std::string_view tpl = assets::report_html;
  const std::string title = html_escape(page.title);
  const std::string data = script_safe_json(page.data);
  const std::pair<std::string_view, std::string_view> parts[] = {
      {"__TITLE__", title},
      {"/*__CSS__*/", assets::report_css},
      {"__DATA__", data},
      {"/*__JS__*/", assets::report_js}};
  std::string html;
  html.reserve(tpl.size() + title.size() + data.size() + assets::report_css.size() +
               assets::report_js.size());
  std::size_t at = 0;
  for (const auto& [marker, with] : parts) {
    const auto m = tpl.find(marker, at);
    if (m == std::string_view::npos) {
      throw Error("internal error: the report template has no " + std::string(marker));
    }
    html.append(tpl.substr(at, m - at));
    html.append(with);
    at = m + marker.size();
  }
  html.append(tpl.substr(at));
  return html;
}

/// @throw UsageError when the page would replace the run's inputs (as report.json names them)
/// or one of its output files.
void check_page_replaces_nothing(simdjson::dom::element report, const std::string& dir,
                                 const std::string& base, const std::string& page) {
  std::vector<std::string> files;
  auto add_paths = [&](simdjson::dom::element parent, const char* key) {
    simdjson::dom::array a;
    if (parent[key].get_array().get(a)) return;
    for (simdjson::dom::element e : a) {
      std::string_view path;
      if (!e["path"].get_string().get(path) && path != "<stdin>" && path != "-") {
        files.push_back(resolve_input(std::string(path), base));
      }
    }
  };
  add_paths(report, "inputs");
  add_paths(report, "benchmarks");
  simdjson::dom::element train;
  if (!report["train"].get(train)) add_paths(train, "inputs");
  for (const char* name : {"report.json", "duplicates.jsonl", "clusters.jsonl",
                           "contamination.jsonl", "removed.jsonl"}) {
    files.push_back(dir + "/" + name);
  }
  io::FileId out;
  if (!io::file_id(page, out)) return;  // not there yet: it replaces nothing
  for (const std::string& f : files) {
    io::FileId in;
    if (io::file_id(f, in) && in == out) {
      throw UsageError("-o '" + page + "' would replace '" + f +
                       "', an input or output of the run; write the page elsewhere");
    }
  }
}

}  // namespace

ReportResult write_report(const ReportOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  options.validate();
  const std::string report_path = options.dir + "/report.json";
  const std::string text = read_whole(report_path);
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  if (const auto err = parser.parse(text).get(report)) {
    throw Error(report_path + ": not JSON (" + simdjson::error_message(err) + ")");
  }
  std::string_view command;
  if (report["command"].get_string().get(command)) {
    throw Error(report_path + ": no \"command\" field; not the report.json of a dupscan run");
  }
  ReportResult res;
  res.command = std::string(command);
  detail::Page page;
  if (command == "dedup") {
    page = detail::dedup_page(options, report, text);
  } else if (command == "contam") {
    page = detail::contam_page(options, report);
  } else {
    throw Error(report_path + ": a report of '" + res.command +
                "', not of dedup or contam; nothing to show");
  }
  std::string dir = options.dir;
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  res.path = options.output.empty() ? dir + "/report.html" : options.output;
  check_page_replaces_nothing(report, dir, options.base, res.path);
  const std::string html = assemble(page);
  io::AtomicFile out(res.path);
  out.write(html);
  out.commit();
  res.bytes = html.size();
  res.texts = page.texts;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

// Long: report.json's fields read one by one into the run, in the file's order.
void read_dedup_run(const std::string& report_json, DedupConfig& cfg, DedupResult& r) {
  using namespace detail;
  simdjson::dom::parser parser;
  simdjson::dom::element rep;
  if (parser.parse(report_json).get(rep)) throw Error("report.json: not JSON");
  if (get_string(rep, "command") != "dedup") throw Error("report.json: not a dedup run's");
  cfg = DedupConfig{};
  r = DedupResult{};
  cfg.threshold = get_double(rep, "parameters.threshold");
  cfg.num_perm = static_cast<std::uint32_t>(get_u64(rep, "parameters.num_perm"));
  cfg.seed = static_cast<std::uint32_t>(get_u64(rep, "parameters.seed"));
  r.lsh.bands = static_cast<std::uint32_t>(get_u64(rep, "parameters.bands"));
  r.lsh.rows = static_cast<std::uint32_t>(get_u64(rep, "parameters.rows"));
  cfg.lsh = r.lsh;
  cfg.shingle = ShingleSpec::parse(get_string(rep, "parameters.shingle"));
  cfg.sketch =
      get_string(rep, "parameters.sketch") == "fast" ? SketchKind::fast : SketchKind::compat;
  // The compat sketch's scheme; a report.json written before the schemes has none: legacy.
  if (cfg.sketch == SketchKind::compat) {
    cfg.scheme = Scheme::legacy;
    if (has(rep, "parameters.scheme")) {
      const std::string name = get_string(rep, "parameters.scheme");
      const std::optional<Scheme> scheme = parse_scheme(name);
      if (!scheme) throw Error("report.json: unknown parameters.scheme '" + name + "'");
      cfg.scheme = *scheme;
    }
  }
  cfg.normalize.lowercase = get_bool(rep, "parameters.normalization.lowercase");
  cfg.normalize.strip_punctuation = get_bool(rep, "parameters.normalization.strip_punctuation");
  cfg.verify = get_bool(rep, "parameters.verify");
  cfg.keep =
      get_string(rep, "parameters.keep") == "longest" ? KeepPolicy::longest : KeepPolicy::first;
  cfg.text_field = get_string(rep, "parameters.text_field");
  cfg.id_field = get_string(rep, "parameters.id_field");
  cfg.strict = get_bool(rep, "parameters.strict");
  if (has(rep, "against")) {
    cfg.against = get_string(rep, "against.index");
    r.indexed_documents = get_u64(rep, "against.documents");
  }
  r.backend = get_string(rep, "backend");
  r.threads = static_cast<unsigned>(get_u64(rep, "threads"));
  r.ranks = static_cast<unsigned>(get_u64(rep, "ranks"));
  for (simdjson::dom::element in : get_array(rep, "inputs")) {
    InputSummary s;
    s.path = get_string(in, "path");
    s.compression = get_string(in, "compression");
    s.bytes = get_u64(in, "bytes");
    s.text_bytes = get_u64(in, "text_bytes");
    s.lines = get_u64(in, "lines");
    s.records = get_u64(in, "records");
    s.blank_lines = get_u64(in, "blank_lines");
    s.skipped = get_u64(in, "skipped");
    s.xxh3_64 = get_string(in, "xxh3_64");
    cfg.inputs.push_back(s.path);
    r.inputs.push_back(std::move(s));
  }
  DedupCounts& c = r.counts;
  c.documents = get_u64(rep, "counts.documents");
  c.empty = get_u64(rep, "counts.empty");
  c.exact_duplicates = get_u64(rep, "counts.exact_duplicates");
  c.near_duplicates = get_u64(rep, "counts.near_duplicates");
  c.kept = get_u64(rep, "counts.kept");
  c.clusters = get_u64(rep, "counts.clusters");
  c.skipped = get_u64(rep, "counts.skipped");
  for (int k = 0; k < kSkipReasonCount; ++k) {
    c.skipped_by_reason[k] = get_u64(rep, std::string("counts.skipped_by_reason.") +
                                              skip_reason_name(static_cast<SkipReason>(k)));
  }
  c.lsh_documents = get_u64(rep, "counts.lsh_documents");
  c.sketch_skipped = get_u64(rep, "counts.sketch_skipped");
  c.candidate_pairs = get_u64(rep, "counts.candidate_pairs");
  c.verified_pairs = get_u64(rep, "counts.verified_pairs");
  c.rejected_pairs = get_u64(rep, "counts.rejected_pairs");
  c.jaccard_extra_pairs = get_u64(rep, "counts.jaccard_extra_pairs");
  c.text_bytes = get_u64(rep, "counts.text_bytes");
  if (has(rep, "memory")) {  // since --memory (a report written before has none)
    MemorySummary& m = r.memory;
    m.budget = has(rep, "memory.budget_bytes") && !at_path(rep, "memory.budget_bytes").is_null()
                   ? get_u64(rep, "memory.budget_bytes")
                   : 0;
    m.peak_resident = get_u64(rep, "memory.peak_resident_bytes");
    m.spilled_bytes = get_u64(rep, "memory.spilled_bytes");
    m.spill_runs = get_u64(rep, "memory.spill_runs");
    if (has(rep, "memory.documents_on_disk")) {
      m.documents_on_disk = get_u64(rep, "memory.documents_on_disk");
    }
  }
  DedupTimings& t = r.timings;
  t.read_sketch = get_double(rep, "timings_s.read_sketch");
  t.exact = get_double(rep, "timings_s.exact");
  t.lsh = get_double(rep, "timings_s.lsh");
  t.verify = get_double(rep, "timings_s.verify");
  t.cluster = get_double(rep, "timings_s.cluster");
  t.write = get_double(rep, "timings_s.write");
  t.total = get_double(rep, "timings_s.total");
  for (simdjson::dom::element o : get_array(rep, "outputs")) {
    std::string_view path;
    if (o.get_string().get(path)) throw Error("report.json: an output that is not a string");
    r.outputs.emplace_back(path);
  }
}

}  // namespace dupscan::report
