// The dedup page's reading (dedup_page.hpp): what report.json counts, histograms over
// duplicates.jsonl and clusters.jsonl and the bounded selections kept while they stream past
// (largest clusters, a sample of near pairs), the ids of the largest groups of exact copies, and
// the texts of the documents shown.
#include <algorithm>
#include <unordered_set>

#include "dupscan/errors.hpp"
#include "dupscan/spec.hpp"
#include "report/dedup_page.hpp"

namespace dupscan::report::detail::dedup {
namespace {

Row read_row(simdjson::dom::object o, std::uint64_t line, const std::string& file) {
  Row r;
  simdjson::dom::element id, dup;
  std::string_view kind;
  if (o["id"].get(id) || o["duplicate_of"].get(dup) || o["cluster"].get_uint64().get(r.cluster) ||
      o["kind"].get_string().get(kind) || o["jaccard"].get_double().get(r.jaccard)) {
    throw Error(file + ":" + std::to_string(line) +
                ": not a duplicates.jsonl line (id, duplicate_of, cluster, kind, jaccard)");
  }
  r.id = json_text(id);
  r.dup_of = json_text(dup);
  r.exact = kind == "exact";
  r.order = line;
  return r;
}

bool bigger(const ShownCluster& a, const ShownCluster& b) {  // heap top: the smallest
  return a.size != b.size ? a.size > b.size : a.cluster < b.cluster;
}
bool by_hash(const Sampled& a, const Sampled& b) {  // heap top: the largest hash
  return a.first != b.first ? a.first < b.first : a.second.order < b.second.order;
}
bool lower_j(const Row& a, const Row& b) {  // heap top: the highest Jaccard
  return a.jaccard != b.jaccard ? a.jaccard < b.jaccard : a.order < b.order;
}

// A row of a shown cluster: its counts, its row if it is a listed member, and the lowest
// Jaccards kept.
void add_to_shown(const ReportOptions& opt, ShownCluster& s, const Row& r) {
  ++(r.exact ? s.exact : s.near);
  s.min_jaccard = std::min(s.min_jaccard, r.jaccard);
  if (std::find(s.members.begin(), s.members.end(), r.id) != s.members.end()) {
    s.rows.push_back(r);
  }
  s.lowest.push_back(r);
  std::push_heap(s.lowest.begin(), s.lowest.end(), lower_j);
  if (s.lowest.size() > opt.members) {
    std::pop_heap(s.lowest.begin(), s.lowest.end(), lower_j);
    s.lowest.pop_back();
  }
}

}  // namespace

void read_run(const ReportOptions& opt, const std::string& report_text, DedupPageModel& m) {
  read_dedup_run(report_text, m.cfg, m.res);
  m.dups_path = opt.dir + "/duplicates.jsonl";
  m.clusters_path = opt.dir + "/clusters.jsonl";
}

void read_clusters(const ReportOptions& opt, DedupPageModel& m) {
  const DedupCounts& c = m.res.counts;
  const std::string& clusters_path = m.clusters_path;
  std::vector<ShownCluster>& top = m.top;  // a heap under `bigger`
  for_each_json_line(clusters_path, [&](simdjson::dom::object o, std::uint64_t line) {
    std::uint64_t cluster;
    simdjson::dom::element kept;
    simdjson::dom::array members;
    if (o["cluster"].get_uint64().get(cluster) || o["kept"].get(kept) ||
        o["members"].get_array().get(members)) {
      throw Error(clusters_path + ":" + std::to_string(line) +
                  ": not a clusters.jsonl line (cluster, kept, members)");
    }
    if (cluster >= c.clusters) {
      throw Error(clusters_path + ":" + std::to_string(line) + ": cluster " +
                  std::to_string(cluster) + ", but report.json counts " +
                  std::to_string(c.clusters) + " clusters");
    }
    ++m.cluster_lines;
    const std::uint64_t size = members.size();
    m.largest = std::max(m.largest, size);
    std::size_t b = 0;
    while (size > kSizeUpper[b])
      ++b;
    ++m.size_counts[b];
    if (opt.clusters == 0) return;
    ShownCluster s;
    s.cluster = cluster;
    s.size = size;
    if (top.size() == opt.clusters && !bigger(s, top.front())) return;
    s.kept = json_text(kept);
    for (simdjson::dom::element mem : members) {
      if (s.members.size() == kMemberIds) break;
      s.members.push_back(json_text(mem));
    }
    top.push_back(std::move(s));
    std::push_heap(top.begin(), top.end(), bigger);
    if (top.size() > opt.clusters) {
      std::pop_heap(top.begin(), top.end(), bigger);
      top.pop_back();
    }
  });
  if (m.cluster_lines != c.clusters) {
    throw Error(clusters_path + " holds " + std::to_string(m.cluster_lines) +
                " clusters, report.json counts " + std::to_string(c.clusters) +
                ": the outputs are not of one run");
  }
  std::sort(top.begin(), top.end(), bigger);
}

void read_duplicates(const ReportOptions& opt, DedupPageModel& m) {
  const DedupCounts& c = m.res.counts;
  const std::string& dups_path = m.dups_path;
  std::unordered_map<std::uint64_t, std::size_t> shown_of;  // cluster -> index in top
  for (std::size_t i = 0; i < m.top.size(); ++i)
    shown_of[m.top[i].cluster] = i;
  m.exact_in.assign(c.clusters, 0);
  std::vector<Sampled>& sample = m.sample;  // a heap under `by_hash`
  for_each_json_line(dups_path, [&](simdjson::dom::object o, std::uint64_t line) {
    Row r = read_row(o, line, dups_path);
    if (r.cluster >= c.clusters) {
      throw Error(dups_path + ":" + std::to_string(line) + ": cluster " +
                  std::to_string(r.cluster) + " is not in clusters.jsonl");
    }
    ++m.rows;
    m.min_jaccard = std::min(m.min_jaccard, r.jaccard);
    (r.exact ? m.hist_exact : m.hist_near)[bin_of(r.jaccard, kJaccardBins)]++;
    if (r.exact) {
      ++m.exact_rows;
      ++m.exact_in[r.cluster];
    } else {
      ++m.near_rows;
    }
    if (m.listed.size() < opt.list) m.listed.push_back(r);
    const auto shown = shown_of.find(r.cluster);
    if (shown != shown_of.end()) add_to_shown(opt, m.top[shown->second], r);
    if (!r.exact && opt.pairs) {
      const std::uint64_t h = spec::xxh64(r.id.data(), r.id.size(), opt.seed);
      if (sample.size() < opt.pairs || h < sample.front().first) {
        sample.emplace_back(h, std::move(r));
        std::push_heap(sample.begin(), sample.end(), by_hash);
        if (sample.size() > opt.pairs) {
          std::pop_heap(sample.begin(), sample.end(), by_hash);
          sample.pop_back();
        }
      }
    }
  });
  if (m.exact_rows != c.exact_duplicates || m.near_rows != c.near_duplicates) {
    throw Error(dups_path + " lists " + std::to_string(m.exact_rows) + " exact and " +
                std::to_string(m.near_rows) + " near duplicates, report.json counts " +
                std::to_string(c.exact_duplicates) + " and " + std::to_string(c.near_duplicates) +
                ": the outputs are not of one run");
  }
  std::sort(sample.begin(), sample.end(), by_hash);
  for (ShownCluster& s : m.top)
    std::sort(s.lowest.begin(), s.lowest.end(), lower_j);
}

void read_exact_copies(DedupPageModel& m) {
  std::unordered_map<std::uint64_t, std::size_t> exact_of;
  for (std::size_t i = 0; i < m.exact_clusters.size(); ++i)
    exact_of[m.exact_clusters[i]] = i;
  m.exact_kept.assign(m.n_exact, std::string());
  m.exact_ids.assign(m.n_exact, std::vector<std::string>());
  if (m.n_exact) {
    for_each_json_line(m.dups_path, [&](simdjson::dom::object o, std::uint64_t line) {
      const Row r = read_row(o, line, m.dups_path);
      const auto it = exact_of.find(r.cluster);
      if (!r.exact || it == exact_of.end()) return;
      m.exact_kept[it->second] = r.dup_of;
      if (m.exact_ids[it->second].size() < kCopyIds) m.exact_ids[it->second].push_back(r.id);
    });
  }
}

void read_texts(const ReportOptions& opt, simdjson::dom::element rep, DedupPageModel& m) {
  const DedupConfig& cfg = m.cfg;
  DocTable& docs = m.docs;
  bool stdin_input = false;
  for (const InputSummary& in : m.res.inputs)
    stdin_input |= in.path == "<stdin>";
  std::string why_missing;
  if (!opt.texts) {
    m.note = "Texts not read (--no-texts).";
    docs.resolve({}, "texts not read (--no-texts)");
    return;
  }
  const auto ids = docs.ids();
  std::unordered_set<std::string> wanted(ids.begin(), ids.end());
  RecordFormat fmt;
  fmt.text_fields = {cfg.text_field};
  fmt.id_field = cfg.id_field;
  if (has(rep, "parameters.format")) fmt.format = get_string(rep, "parameters.format");
  auto found =
      find_records(recorded_inputs(get_array(rep, "inputs")), fmt, wanted, opt.base, opt.tables);
  m.verified = true;
  if (stdin_input) {
    m.note =
        "The run read stdin, which cannot be read again: its documents are shown without text.";
  }
  if (!cfg.against.empty()) {
    why_missing = "an indexed document (--against " + cfg.against +
                  "): its text is in the index's inputs, which the report does not read";
  } else if (stdin_input) {
    why_missing = "read from stdin, which cannot be read again";
  } else {
    for (const std::string& id : ids) {
      if (!found.count(id)) {
        throw Error("the document " + id + " of " + run_name(opt) +
                    " is in none of the inputs report.json names: the outputs are not of "
                    "these inputs");
      }
    }
  }
  docs.resolve(std::move(found), why_missing);
}

}  // namespace dupscan::report::detail::dedup
