#include "dedup/against.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <set>
#include <unordered_set>

#include "common/parallel.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/normalize.hpp"
#include "io/io.hpp"

namespace dupscan {
namespace {

void check_count(std::size_t referenced, std::size_t n_new) {
  if (referenced + n_new >= UINT32_MAX) {
    throw Error("more than 4294967294 documents in one run; split the input");
  }
}

std::string absolute(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) io::throw_errno("resolve input path", path);
  return buf;
}

}  // namespace

index::Params index_params_of(const DedupConfig& cfg, LshParams lsh) {
  index::Params p;
  p.sketch = sketch_kind_name(cfg.sketch);
  if (cfg.sketch == SketchKind::compat) {
    p.scheme = scheme_name(cfg.scheme);
    p.shingle_hash = shingle_hash_name(cfg.shingle_hash);
  }
  p.num_perm = cfg.num_perm;
  p.seed = cfg.seed;
  p.bands = lsh.bands;
  p.rows = lsh.rows;
  p.shingle = cfg.shingle.to_string();
  p.lowercase = cfg.normalize.lowercase;
  p.strip_punctuation = cfg.normalize.strip_punctuation;
  p.unicode = unicode_version();
  p.text_field = cfg.text_field;
  p.id_field = cfg.id_field;
  p.format = input_format_name(cfg.format);
  return p;
}

index::Input stamp_input(const std::string& path) {
  index::Input in;
  in.path = absolute(path);
  struct stat st {};
  if (::stat(in.path.c_str(), &st) != 0) io::throw_errno("stat input", path);
  in.size = st.st_size;
  in.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return in;
}

void reject_indexed_inputs(const index::Manifest& manifest,
                           const std::vector<std::string>& inputs) {
  std::unordered_set<std::string> indexed, given;
  for (const index::Input& in : manifest.inputs)
    indexed.insert(in.path);
  for (const std::string& path : inputs) {
    if (path == "-") continue;
    const std::string abs = absolute(path);
    if (indexed.count(abs)) throw UsageError("input '" + path + "' is already in the index");
    if (!given.insert(abs).second) throw UsageError("input '" + path + "' is given twice");
  }
}

AgainstIndex::AgainstIndex(const DedupConfig& cfg, LshParams lsh) {
  if (!cfg.verify) {
    throw UsageError(
        "--no-verify cannot be used with --against: the index keeps band keys, not "
        "signatures");
  }
  manifest_ = index::read_manifest(cfg.against);
  const std::string diff = index::mismatch(manifest_.params, index_params_of(cfg, lsh));
  if (!diff.empty()) {
    char t[32];
    std::snprintf(t, sizeof t, "%g", manifest_.threshold);
    throw UsageError("the index '" + cfg.against + "' was built with other parameters (" + diff +
                     "; it was built with --threshold " + t +
                     "); leave these options out to use the index's");
  }
  index::check_inputs_unchanged(manifest_, cfg.verify_sources);
  reject_indexed_inputs(manifest_, cfg.inputs);
  // Opening a segment reads it once for its checksum; nothing else is loaded now.
  for (std::size_t i = 0; i < manifest_.segments.size(); ++i)
    segments_.emplace_back(cfg.against, manifest_, i);
  OpenOptions oo;
  oo.text_field = cfg.text_field;
  oo.id_field = cfg.id_field;
  oo.format = cfg.format;
  for (const index::Input& in : manifest_.inputs) {
    if (is_parquet_file(in.path)) {
      documents_.push_back(open_file_input(in.path, oo));
      continue;
    }
    RereadSource rs;
    rs.path = in.path;
    rs.display = in.path;
    rs.plain = io::is_plain_file(in.path);
    if (rs.plain) {
      rs.size = in.size;
      rs.mtime_ns = in.mtime_ns;
    }
    documents_.push_back(open_reread_input(rs));
  }
}

namespace {

/// Distinct values probed in the segments at once, per band (and for the exact hashes), so that
/// a run under --memory probes the merge of its spilled runs in bounded pieces: 2^18 band keys
/// are 2 MiB, with 4 MiB for their hits, per band probed at once (one per thread). A probe
/// starts with a binary search of the segment's table (index.cpp), so a chunk costs its span of
/// the table plus ~log2(documents) small reads per segment.
constexpr std::size_t kProbeChunk = std::size_t{1} << 18;

/// kProbeChunk, or DUPSCAN_TEST_PROBE_CHUNK: tests force many chunks on small inputs.
std::size_t probe_chunk() {
  const char* c = std::getenv("DUPSCAN_TEST_PROBE_CHUNK");
  return c ? std::max<std::size_t>(1, std::strtoull(c, nullptr, 10)) : kProbeChunk;
}

/**
 * @brief Probes the ascending values that feed(push) pushes (repeats allowed) in chunks of
 * distinct ones: probe(segment, chunk, first) in every segment in order, the first segment that
 * has a value giving its earliest document, appended to `wanted` as a global index document.
 */
template <class T, class Feed, class Probe>
void probe_sorted(const std::vector<index::SegmentFile>& segments, Feed&& feed, Probe&& probe,
                  std::vector<std::uint64_t>& wanted) {
  const std::size_t chunk_size = probe_chunk();
  std::vector<T> chunk;
  std::vector<std::uint64_t> hit, local;
  auto flush = [&] {
    if (chunk.empty()) return;
    hit.assign(chunk.size(), index::kNone);
    std::uint64_t base = 0;
    for (const index::SegmentFile& seg : segments) {
      local.assign(chunk.size(), index::kNone);
      probe(seg, chunk, local);
      for (std::size_t i = 0; i < local.size(); ++i) {
        if (hit[i] == index::kNone && local[i] != index::kNone) {
          hit[i] = base + local[i];
          wanted.push_back(base + local[i]);
        }
      }
      base += seg.documents();
    }
    chunk.clear();
  };
  bool any = false;
  T last{};
  feed([&](const T& v) {
    if (any && v == last) return;
    any = true;
    last = v;
    if (chunk.size() == chunk_size) flush();
    chunk.push_back(v);
  });
  flush();
}

}  // namespace

std::vector<std::uint64_t> AgainstIndex::referenced(const HashFeed& hashes, const KeyFeed& keys,
                                                    std::uint32_t bands, unsigned threads) const {
  using Hash = std::pair<std::uint64_t, std::uint64_t>;
  std::vector<std::uint64_t> wanted;
  probe_sorted<Hash>(
      segments_,
      [&](const std::function<void(const Hash&)>& push) {
        hashes([&](std::uint64_t high, std::uint64_t low) { push({high, low}); });
      },
      [](const index::SegmentFile& seg, const std::vector<Hash>& chunk,
         std::vector<std::uint64_t>& first) { seg.probe_exact(chunk, first); },
      wanted);
  std::vector<std::vector<std::uint64_t>> per_band(bands);
  parallel_for(bands, threads, 1, [&](std::size_t j) {
    const auto band = static_cast<std::uint32_t>(j);
    probe_sorted<std::uint64_t>(
        segments_,
        [&](const std::function<void(const std::uint64_t&)>& push) {
          keys(band, [&](std::uint64_t key) { push(key); });
        },
        [&](const index::SegmentFile& seg, const std::vector<std::uint64_t>& chunk,
            std::vector<std::uint64_t>& first) { seg.probe_band(band, chunk, first); },
        per_band[j]);
  });
  for (const auto& w : per_band)
    wanted.insert(wanted.end(), w.begin(), w.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  return wanted;
}

DocTable AgainstIndex::load_rows(const std::vector<std::uint64_t>& wanted,
                                 std::uint32_t bands) const {
  DocTable t;
  const std::size_t r = wanted.size();
  t.keys.resize(r * bands);
  std::size_t seg = 0;
  std::uint64_t seg_base = 0;
  for (std::size_t i = 0; i < r; ++i) {
    while (wanted[i] >= seg_base + segments_[seg].documents()) {
      seg_base += segments_[seg].documents();
      ++seg;
    }
    const std::uint64_t local = wanted[i] - seg_base;
    const index::Doc x = segments_[seg].doc(local, t.keys.data() + i * bands);
    t.loc.push_back({x.offset, x.line, x.input, x.length});
    t.ids += segments_[seg].id(local);
    t.id_end.push_back(t.ids.size());
    t.exact.push_back(XXH128_hash_t{x.exact_low, x.exact_high});
    t.text_len.push_back(x.text_len);
    t.empty.push_back(x.empty);
    t.sketched.push_back(1);
  }
  return t;
}

std::uint32_t AgainstIndex::prepend_referenced(DocTable& docs, std::uint32_t bands,
                                               unsigned threads) const {
  const std::size_t n_new = docs.size();
  // The new documents' distinct hashes and band keys, sorted, from memory.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> hashes;
  for (std::size_t d = 0; d < n_new; ++d) {
    if (!docs.empty[d]) hashes.emplace_back(docs.exact[d].high64, docs.exact[d].low64);
  }
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  std::vector<std::vector<std::uint64_t>> keys(bands);
  parallel_for(bands, threads, 1, [&](std::size_t j) {
    for (std::size_t d = 0; d < n_new; ++d) {
      if (!docs.empty[d] && docs.sketched[d]) keys[j].push_back(docs.keys[d * bands + j]);
    }
    std::sort(keys[j].begin(), keys[j].end());
    keys[j].erase(std::unique(keys[j].begin(), keys[j].end()), keys[j].end());
  });
  const std::vector<std::uint64_t> wanted = referenced(
      [&](const std::function<void(std::uint64_t, std::uint64_t)>& fn) {
        for (const auto& h : hashes)
          fn(h.first, h.second);
      },
      [&](std::uint32_t band, const std::function<void(std::uint64_t)>& fn) {
        for (std::uint64_t k : keys[band])
          fn(k);
      },
      bands, threads);
  check_count(wanted.size(), n_new);
  // The referenced indexed documents, then the new ones.
  DocTable t = load_rows(wanted, bands);
  const std::size_t r = wanted.size();
  const std::uint64_t id_shift = t.ids.size();
  t.loc.insert(t.loc.end(), docs.loc.begin(), docs.loc.end());
  t.ids += docs.ids;
  for (std::uint64_t e : docs.id_end)
    t.id_end.push_back(e + id_shift);
  t.exact.insert(t.exact.end(), docs.exact.begin(), docs.exact.end());
  t.text_len.insert(t.text_len.end(), docs.text_len.begin(), docs.text_len.end());
  t.empty.insert(t.empty.end(), docs.empty.begin(), docs.empty.end());
  t.sketched.insert(t.sketched.end(), docs.sketched.begin(), docs.sketched.end());
  t.keys.insert(t.keys.end(), docs.keys.begin(), docs.keys.end());
  docs = std::move(t);
  return static_cast<std::uint32_t>(r);
}

std::uint32_t AgainstIndex::prepend_referenced(DocTable& docs, std::uint32_t bands,
                                               unsigned threads, KeySpill& keys,
                                               DocSpill& rows) const {
  const std::size_t n_new = docs.size();
  // The new documents' hashes and band keys from the merge of their runs, a chunk at a time.
  const std::vector<std::uint64_t> wanted = referenced(
      [&](const std::function<void(std::uint64_t, std::uint64_t)>& fn) { rows.exact_hashes(fn); },
      [&](std::uint32_t band, const std::function<void(std::uint64_t)>& fn) {
        keys.merge_band(band, [&](std::uint64_t key, std::uint32_t) { fn(key); });
      },
      bands, threads);
  check_count(wanted.size(), n_new);
  // The referenced indexed documents are held, numbered before the spilled new ones.
  DocTable t = load_rows(wanted, bands);
  const auto r = static_cast<std::uint32_t>(wanted.size());
  docs.empty.insert(docs.empty.begin(), t.empty.begin(), t.empty.end());
  docs.sketched.insert(docs.sketched.begin(), t.sketched.begin(), t.sketched.end());
  docs.cold_first += r;
  docs.keys_first += r;
  keys.prepend(t);
  rows.prepend(std::move(t));
  return r;
}

// Long: one take-or-compare step per parameter of the manifest, in its order, all sharing the
// lists of what was taken and what differs.
void adopt_index_parameters(DedupConfig& cfg, const std::vector<std::string>& given_options) {
  if (cfg.against.empty()) return;
  const std::set<std::string> given(given_options.begin(), given_options.end());
  auto is_given = [&](const char* option) { return given.count(option) > 0; };
  const index::Manifest m = index::read_manifest(cfg.against);
  const index::Params& p = m.params;
  std::vector<std::string> taken, diffs;
  auto num = [](double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v);
    return std::string(b);
  };
  // An option with a value: taken when not given, compared when given.
  auto value = [&](const char* option, const std::string& mine, const std::string& theirs,
                   const std::function<void()>& take) {
    if (mine == theirs) return;
    if (is_given(option)) {
      diffs.push_back(std::string(option) + " " + mine + " (the index: " + theirs + ")");
    } else {
      take();
      taken.push_back(std::string(option) + " " + theirs);
    }
  };
  // A flag that turns a default off (--keep-case: lowercase = false).
  auto flag = [&](const char* option, bool& mine, bool theirs) {
    if (mine == theirs) return;
    if (is_given(option)) {
      diffs.push_back(std::string(option) + " (the index was built without it)");
    } else {
      mine = theirs;
      taken.push_back(option);
    }
  };
  value("--format", input_format_name(cfg.format), p.format,
        [&] { cfg.format = parse_input_format(p.format); });
  value("--text-field", cfg.text_field, p.text_field, [&] { cfg.text_field = p.text_field; });
  value("--id-field", cfg.id_field, p.id_field, [&] { cfg.id_field = p.id_field; });
  value("--sketch", sketch_kind_name(cfg.sketch), p.sketch,
        [&] { cfg.sketch = p.sketch == "fast" ? SketchKind::fast : SketchKind::compat; });
  // The scheme (after the sketch: only the compat sketch has one; an index of the fast sketch
  // names none, and a --scheme given for it is a difference).
  if (!p.scheme.empty() && cfg.sketch == SketchKind::compat) {
    value("--scheme", scheme_name(cfg.scheme), p.scheme,
          [&] { cfg.scheme = *parse_scheme(p.scheme); });
  } else if (p.scheme.empty() && is_given("--scheme")) {
    diffs.push_back(std::string("--scheme ") + scheme_name(cfg.scheme) +
                    " (the index: none, it was built with --sketch fast)");
  }
  // The shingle hash, likewise (an index of the fast sketch names none).
  if (!p.shingle_hash.empty() && cfg.sketch == SketchKind::compat) {
    value("--shingle-hash", shingle_hash_name(cfg.shingle_hash), p.shingle_hash,
          [&] { cfg.shingle_hash = *parse_shingle_hash(p.shingle_hash); });
  } else if (p.shingle_hash.empty() && is_given("--shingle-hash")) {
    diffs.push_back(std::string("--shingle-hash ") + shingle_hash_name(cfg.shingle_hash) +
                    " (the index: none, it was built with --sketch fast)");
  }
  value("--shingle", cfg.shingle.to_string(), p.shingle,
        [&] { cfg.shingle = ShingleSpec::parse(p.shingle); });
  value("--num-perm", std::to_string(cfg.num_perm), std::to_string(p.num_perm),
        [&] { cfg.num_perm = p.num_perm; });
  value("--seed", std::to_string(cfg.seed), std::to_string(p.seed), [&] { cfg.seed = p.seed; });
  flag("--keep-case", cfg.normalize.lowercase, p.lowercase);
  flag("--keep-punct", cfg.normalize.strip_punctuation, p.strip_punctuation);
  if (p.unicode != unicode_version()) {
    diffs.push_back("Unicode " + p.unicode + " tables (this dupscan has " + unicode_version() +
                    ": rebuild the index)");
  }
  // The verification threshold may differ from the index's as long as bands x rows, which made
  // its keys, stay the same; given no --threshold, a run uses the index's.
  if (!is_given("--threshold") && cfg.threshold != m.threshold) {
    cfg.threshold = m.threshold;
    taken.push_back("--threshold " + num(m.threshold));
  }
  if (!is_given("--lsh-weights") && !m.lsh_choice.empty() &&
      (cfg.lsh_fp_weight != m.lsh_fp_weight || cfg.lsh_fn_weight != m.lsh_fn_weight)) {
    cfg.lsh_fp_weight = m.lsh_fp_weight;
    cfg.lsh_fn_weight = m.lsh_fn_weight;
    taken.push_back("--lsh-weights " + num(m.lsh_fp_weight) + "," + num(m.lsh_fn_weight));
  }
  const std::string index_lsh = std::to_string(p.bands) + " x " + std::to_string(p.rows);
  const std::string keep_lsh =
      "--bands " + std::to_string(p.bands) + " --rows " + std::to_string(p.rows);
  if (is_given("--bands") || is_given("--rows")) {
    if (!cfg.lsh || cfg.lsh->bands != p.bands || cfg.lsh->rows != p.rows) {
      const LshParams l = cfg.resolved_lsh();
      diffs.push_back("--bands " + std::to_string(l.bands) + " --rows " + std::to_string(l.rows) +
                      " (the index: " + index_lsh + ")");
    }
  } else if (m.lsh_choice == "explicit") {
    cfg.lsh = LshParams{p.bands, p.rows};
    taken.push_back(keep_lsh);
  } else {
    const LshParams l = cfg.resolved_lsh();
    if (l.bands != p.bands || l.rows != p.rows) {
      if (is_given("--threshold") || is_given("--lsh-weights") || is_given("--num-perm")) {
        diffs.push_back("bands x rows " + std::to_string(l.bands) + " x " + std::to_string(l.rows) +
                        " from --threshold " + num(cfg.threshold) + " (the index: " + index_lsh +
                        ", built with --threshold " + num(m.threshold) + "; add " + keep_lsh +
                        " to verify at " + num(cfg.threshold) + " with the index's bands)");
      } else {
        cfg.lsh = LshParams{p.bands, p.rows};
        taken.push_back(keep_lsh);
      }
    }
  }
  if (!diffs.empty()) {
    std::string msg = "the index '" + cfg.against + "' was built with other parameters: ";
    for (std::size_t i = 0; i < diffs.size(); ++i)
      msg += (i ? "; " : "") + diffs[i];
    throw UsageError(msg + ". Leave these options out to use the index's");
  }
  cfg.from_index = std::move(taken);
}

}  // namespace dupscan
