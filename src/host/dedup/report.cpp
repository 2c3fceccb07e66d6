// report.json of a dedup run, written by the one-process and the distributed engine alike.
#include "dedup/report.hpp"

#include "dedup/resume.hpp"
#include "dupscan/normalize.hpp"
#include "io/commit.hpp"
#include "io/json_writer.hpp"
#include "io/pipeline.hpp"
#include "sketch/canary.hpp"

namespace dupscan {
namespace {

// What the signatures are (spec.hpp step 5, fast_sketch.hpp), in report.json's words.
const char* minhash_description(const DedupConfig& cfg) {
  if (cfg.sketch == SketchKind::fast) {
    return "one-permutation hashing, optimal densification (fast_sketch.hpp); no permutation "
           "scheme (--scheme does not apply)";
  }
  switch (cfg.scheme) {
    case Scheme::affine32:
      return "datasketch affine32 (datasketch 2.0's default): a*fmix32(h)+b mod 2^32, odd a";
    case Scheme::affine64:
      return "datasketch affine64: a*fmix64(h)+b mod 2^64, odd a; 64-bit signature values";
    case Scheme::legacy:
      break;
  }
  return "datasketch legacy: ((a*h+b) mod 2^64) mod (2^61-1) & (2^32-1)";
}

}  // namespace

void write_memory_json(JsonWriter& w, const MemorySummary& m) {
  if (m.peak_resident == 0) return;
  // What the run held (the peak resident set) and, under --memory, what it spilled.
  w.key("memory").begin_object();
  if (m.budget) {
    w.field("budget_bytes", m.budget);
  } else {
    w.key("budget_bytes").null();
  }
  w.field("peak_resident_bytes", m.peak_resident);
  w.field("spilled_bytes", m.spilled_bytes);
  w.field("spill_runs", m.spill_runs);
  w.field("documents_on_disk", m.documents_on_disk);
  if (!m.note.empty()) w.field("note", m.note);
  w.end_object();
}

// Long: report.json's fields, one writer call each, in the file's order.
std::string report_json(const DedupConfig& cfg, const DedupResult& res,
                        const AgainstSummary* against) {
  JsonWriter w(2);
  w.begin_object();
  w.field("dupscan_version", version());
  w.field("command", "dedup");
  w.key("parameters").begin_object();
  w.field("threshold", cfg.threshold);
  w.field("num_perm", cfg.num_perm);
  w.field("seed", cfg.seed);
  w.field("bands", res.lsh.bands);
  w.field("rows", res.lsh.rows);
  w.field("lsh_params", cfg.lsh ? "explicit (--bands, --rows)"
                                : "datasketch optimal_param(threshold, num_perm, weights)");
  w.key("lsh_weights").begin_array().value(cfg.lsh_fp_weight).value(cfg.lsh_fn_weight).end_array();
  w.field("shingle", cfg.shingle.to_string());
  const bool fast = cfg.sketch == SketchKind::fast;
  const bool sha1 = cfg.shingle_hash == ShingleHash::sha1;
  const bool wide = cfg.scheme == Scheme::affine64;
  w.field("shingle_hash",
          fast   ? "64-bit shingle values of fast_sketch.hpp (steps 1-2)"
          : sha1 ? (wide ? "first 8 bytes of SHA-1, little-endian (datasketch's sha1_hash64)"
                         : "first 4 bytes of SHA-1, little-endian (datasketch's sha1_hash32)")
          : wide ? "XXH64(seed 0), all 64 bits"
                 : "low 32 bits of XXH64(seed 0)");
  // --shingle-hash by name (null for the fast sketch, which takes none).
  w.key("shingle_hash_function");
  if (fast) {
    w.null();
  } else {
    w.value(shingle_hash_name(cfg.shingle_hash));
  }
  w.field("sketch", sketch_kind_name(cfg.sketch));
  // The fast sketch has no permutations: --scheme does not apply to it (null).
  w.key("scheme");
  if (fast) {
    w.null();
  } else {
    w.value(scheme_name(cfg.scheme));
  }
  w.field("minhash", minhash_description(cfg));
  w.key("normalization").begin_object();
  w.field("lowercase", cfg.normalize.lowercase);
  w.field("strip_punctuation", cfg.normalize.strip_punctuation);
  w.field("unicode", unicode_version());
  w.end_object();
  w.field("exact_hash", "XXH3-128 of normalized text");
  w.field("verify", cfg.verify);
  w.field("keep", cfg.keep == KeepPolicy::first ? "first" : "longest");
  w.field("format", input_format_name(cfg.format));
  w.field("text_field", cfg.text_field);
  w.field("id_field", cfg.id_field);
  w.field("strict", cfg.strict);
  w.field("max_skipped", cfg.max_skipped);
  w.end_object();
  if (against) {
    w.key("against").begin_object();
    w.field("index", against->index);
    w.key("parameters_from_index").begin_array();
    for (const std::string& o : cfg.from_index)
      w.value(o);
    w.end_array();
    w.field("documents", against->documents);
    w.field("referenced", against->referenced);
    w.field("segments", against->segments);
    w.field("inputs", against->inputs);
    w.end_object();
  }
  canary::write_backend_json(w, res.backend, res.backend_asked, res.canary);
  w.field("threads", res.threads);
  w.field("ranks", res.ranks);
  w.key("inputs");
  write_input_summaries(w, res.inputs);
  const DedupCounts& c = res.counts;
  w.key("counts").begin_object();
  w.field("documents", c.documents);
  w.field("empty", c.empty);
  w.field("exact_duplicates", c.exact_duplicates);
  w.field("near_duplicates", c.near_duplicates);
  w.field("removed", c.exact_duplicates + c.near_duplicates);
  w.field("kept", c.kept);
  w.field("clusters", c.clusters);
  w.field("skipped", c.skipped);
  w.key("skipped_by_reason").begin_object();
  for (int r = 0; r < kSkipReasonCount; ++r) {
    w.field(skip_reason_name(static_cast<SkipReason>(r)), c.skipped_by_reason[r]);
  }
  w.end_object();
  w.field("lsh_documents", c.lsh_documents);
  w.field("sketch_skipped", c.sketch_skipped);
  w.field("candidate_pairs", c.candidate_pairs);
  w.field("verified_pairs", c.verified_pairs);
  w.field("rejected_pairs", c.rejected_pairs);
  w.field("jaccard_extra_pairs", c.jaccard_extra_pairs);
  w.field("text_bytes", c.text_bytes);
  w.field("duplicate_ids", c.duplicate_ids);
  w.end_object();
  if (!cfg.write_deduped.empty()) {
    w.key("deduped").begin_object();
    w.field("skipped_passed_through", res.skipped_passed_through);
    w.end_object();
  }
  // Whether the run kept its progress to resume from, and whether it resumed.
  write_resume_json(w, res.resume);
  write_memory_json(w, res.memory);
  const DedupTimings& t = res.timings;
  w.key("timings_s").begin_object();
  w.field("read_sketch", t.read_sketch);
  if (against) w.field("index", t.index);
  w.field("exact", t.exact);
  w.field("lsh", t.lsh);
  w.field("verify", t.verify);
  w.field("cluster", t.cluster);
  w.field("write", t.write);
  w.field("total", t.total);
  w.end_object();
  w.key("outputs").begin_array();
  for (const auto& o : res.outputs)
    w.value(o);
  w.end_array();
  w.key(io::kOutputDirFilesKey).begin_array();
  for (const auto& o : res.output_dir_files)
    w.value(o);
  w.end_array();
  w.end_object();
  return w.str() + "\n";
}

}  // namespace dupscan
