// What the two page builders (dedup_page.cpp, contam_page.cpp) share.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/json_writer.hpp"
#include "report/report.hpp"
#include "report/sources.hpp"
#include "report/text_map.hpp"

namespace dupscan::report::detail {

/// A page before it becomes HTML: its title and its data, one JSON object.
struct Page {
  std::string title;
  std::string data;
  std::uint64_t texts = 0;
};

Page dedup_page(const ReportOptions& options, simdjson::dom::element report,
                const std::string& report_text);
Page contam_page(const ReportOptions& options, simdjson::dom::element report);

/// What the page calls the run (options.name, else the directory).
inline const std::string& run_name(const ReportOptions& o) {
  return o.name.empty() ? o.dir : o.name;
}
/// Writes the fields every page has about where it comes from: "dir" (the run's name) and "by"
/// (what wrote the page, for its footer).
inline void write_origin(JsonWriter& w, const ReportOptions& o) {
  w.field("dir", run_name(o));
  w.field("by", o.by.empty() ? "dupscan report " + run_name(o) : o.by);
}

/// Reads `report` field `path` ("counts.documents") of a given type, or throws Error naming it.
std::uint64_t get_u64(simdjson::dom::element e, std::string_view path);
double get_double(simdjson::dom::element e, std::string_view path);
std::string get_string(simdjson::dom::element e, std::string_view path);
bool get_bool(simdjson::dom::element e, std::string_view path);
simdjson::dom::array get_array(simdjson::dom::element e, std::string_view path);
/// The element at `path`, or an error when absent.
simdjson::dom::element get(simdjson::dom::element e, std::string_view path);
/// True when the field exists.
bool has(simdjson::dom::element e, std::string_view path);

/// Calls f(record, line) for each non-blank line of a JSONL output file.
/// @throw Error naming file:line for a line that is not a JSON object.
void for_each_json_line(const std::string& path,
                        const std::function<void(simdjson::dom::object, std::uint64_t)>& f);

/// An element of the line for_each_json_line is handing over, minified, with the numbers that
/// simdjson cannot hold (an id of 30 digits, 1e400) as the line has them.
std::string json_text(simdjson::dom::element e);

/// An id as report readers see it: a string id without its quotes, anything else as JSON.
std::string id_display(std::string_view id_json);

/// The inputs of report.json's "inputs" array.
std::vector<RecordedInput> recorded_inputs(simdjson::dom::array inputs);
/// Writes an "inputs" array for the page.
void write_inputs(JsonWriter& w, simdjson::dom::array inputs, bool verified);

/// The documents a page shows, each once: texts cut to `chars` characters.
class DocTable {
 public:
  explicit DocTable(std::uint32_t chars) : chars_(chars) {}
  /// Index of the document with this id (as JSON); added on first use.
  std::uint32_t add(const std::string& id_json);
  /// Gives the documents found in the inputs; the others get `missing` as the reason.
  void resolve(std::unordered_map<std::string, FoundRecord>&& found, const std::string& missing);
  const FoundRecord* record(std::uint32_t doc) const {
    return docs_[doc].found ? &docs_[doc].rec : nullptr;
  }
  /// Bytes of the document's text that the page shows.
  std::size_t shown_bytes(std::uint32_t doc) const;
  const std::string& id_json(std::uint32_t doc) const { return docs_[doc].id; }
  std::vector<std::string> ids() const;
  std::size_t size() const { return docs_.size(); }
  std::uint64_t texts() const;
  void write(JsonWriter& w) const;

 private:
  struct Doc {
    std::string id;
    bool found = false;
    FoundRecord rec;
    std::string missing;
  };
  std::uint32_t chars_;
  std::vector<Doc> docs_;
  std::unordered_map<std::string, std::uint32_t> index_;
};

/// Writes ranges as a flat array [b0, e0, b1, e1, ...] of UTF-16 offsets into the first
/// `shown` bytes of `text` (ranges are byte ranges of the whole text).
void write_ranges(JsonWriter& w, std::string_view text, std::size_t shown,
                  std::vector<Range> ranges);

/// One row of a page's parameters table: [name, value].
inline void parameter_row(JsonWriter& w, const char* name, const std::string& value) {
  w.begin_array().value(name).value(value).end_array();
}

/// A number as report.json writes it (the shortest text that reads back as it).
inline std::string number_text(double v) {
  std::string s;
  append_double(s, v);
  return s;
}

/// Histogram of values in [0, 1] with `bins` equal bins (1.0 falls in the last).
inline std::size_t bin_of(double v, std::size_t bins) {
  if (!(v > 0)) return 0;
  const auto b = static_cast<std::size_t>(v * static_cast<double>(bins));
  return b >= bins ? bins - 1 : b;
}

}  // namespace dupscan::report::detail
