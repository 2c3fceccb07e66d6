#include "contam/scan.hpp"

#include <algorithm>

#include "io/input_checks.hpp"
#include "io/record.hpp"
#include "text/janitor.hpp"

namespace dupscan::contam {
namespace {

// A worker's documents, normalized for the probe, with what the host keeps beside them.
struct Normalized {
  ProbeBatch batch;
  std::vector<std::uint32_t> raw_begin, raw_end;  // per word: its token in the record's text
  std::string ids;                                // the documents' ids, back to back
  std::vector<std::size_t> id_end;
  std::vector<std::uint64_t> line;
  std::uint32_t first = 0;  // index of batch document 0 in the read batch

  void clear(std::uint32_t first_doc) {
    batch.clear();
    raw_begin.clear();
    raw_end.clear();
    ids.clear();
    id_end.clear();
    line.clear();
    first = first_doc;
  }
};

struct ScanBatch {
  std::uint32_t input = 0;
  std::uint64_t blank = 0;
  std::vector<BadRecord> bad;
  std::uint32_t docs = 0;
  std::uint64_t text_bytes = 0;
  std::uint64_t rejected = 0;
  std::uint64_t with_id = 0;       // documents that had an id
  std::string fields;              // the keys of the first record without an id
  std::vector<DocFindings> found;  // doc: index in the read batch
  std::vector<std::uint64_t> found_line;
  std::vector<Locator> locators;
};

// Probes the normalized documents, confirms the candidates and matches the windows.
void probe_and_confirm(Normalized& n, const Benchmarks& benchmarks, const NgramIndex& index,
                       const NearIndex* near, ContamProbe& probe, ScanBatch& r) {
  if (n.batch.size() == 0) return;
  thread_local ProbeResult pr;
  thread_local std::vector<Hit> hits;
  thread_local std::vector<NearHit> near_hits;
  probe.probe(n.batch, pr);
  std::size_t c = 0, w = 0;
  const std::uint32_t bands = near ? near->lsh().bands : 0;
  while (c < pr.candidates.size() || w < pr.windows.size()) {
    const std::uint32_t d = std::min(c < pr.candidates.size() ? pr.candidates[c].doc : UINT32_MAX,
                                     w < pr.windows.size() ? pr.windows[w].doc : UINT32_MAX);
    std::size_t c_end = c, w_end = w;
    while (c_end < pr.candidates.size() && pr.candidates[c_end].doc == d)
      ++c_end;
    while (w_end < pr.windows.size() && pr.windows[w_end].doc == d)
      ++w_end;
    hits.clear();
    index.confirm(n.batch, n.raw_begin.data(), n.raw_end.data(), benchmarks.examples,
                  pr.candidates.data() + c, c_end - c, hits, r.rejected);
    near_hits.clear();
    if (near && w_end > w) {
      near->match(n.batch.docs.doc(d), pr.windows.data() + w, pr.window_keys.data() + w * bands,
                  w_end - w, near_hits);
    }
    if (!hits.empty() || !near_hits.empty()) {
      DocFindings f;
      f.doc = n.first + d;
      f.id_json.assign(n.ids, d ? n.id_end[d - 1] : 0, n.id_end[d] - (d ? n.id_end[d - 1] : 0));
      f.hits = hits;
      runs_of_hits(hits, index, n.raw_begin.data() + n.batch.doc_word[d], f.runs);
      f.near = near_hits;
      r.found.push_back(std::move(f));
      r.found_line.push_back(n.line[d]);
    }
    c = c_end;
    w = w_end;
  }
}

}  // namespace

ScanResult scan_training(const ContamConfig& cfg, const ScanOptions& o,
                         const Benchmarks& benchmarks, const NgramIndex& index,
                         const NearIndex* near, ContamProbe& probe, Findings& findings,
                         const DedupObserver& obs) {
  ScanResult res;
  RecordPipeline::Options po;
  OpenOptions oo;
  oo.text_field = cfg.text_field;
  oo.id_field = cfg.id_field;
  oo.id_required = cfg.id_field_required;
  oo.format = cfg.format;
  oo.spool_stdin = !cfg.write_decontaminated.empty();
  oo.tmp_dir = o.tmp_dir;
  oo.max_record_size = cfg.max_record_size;
  po.documents = open_inputs(o.inputs, cfg.train_tables, oo);
  for (const auto& d : po.documents) {
    if (d->columnar() && !cfg.write_decontaminated.empty()) {
      throw UsageError("--write-decontaminated rewrites JSON records and cannot rewrite '" +
                       d->display() + "', a Parquet file");
    }
  }
  po.threads = o.threads;
  // The probe's batch when it wants larger ones than the reader's (a GPU).
  po.batch_bytes = std::max(cfg.batch_bytes, probe.batch_bytes());
  po.spool_stdin = !cfg.write_decontaminated.empty();
  po.tmp_dir = o.tmp_dir;
  std::vector<DocReader> readers;
  readers.reserve(o.threads);
  for (unsigned i = 0; i < o.threads; ++i)
    readers.emplace_back(cfg.text_field, cfg.id_field, cfg.format);
  // Owned by the result, as the pipeline that points at it.
  res.skips = std::make_unique<SkipPolicy>(
      SkipPolicy::Options{
          cfg.strict,
          cfg.max_skipped,
          cfg.format,
          {},
          cfg.id_field_required && cfg.format == InputFormat::jsonl ? cfg.id_field : std::string()},
      obs.warning);
  SkipPolicy& skips = *res.skips;
  po.skips = &skips;
  res.pipeline = std::make_unique<RecordPipeline>(po);
  RecordPipeline& pipeline = *res.pipeline;
  const std::size_t flush_bytes = probe.batch_bytes();
  std::uint64_t processed = 0;
  Progress p;
  p.stage = "scan";
  p.total = cfg.train_tables.empty() ? plain_input_bytes(o.inputs) : 0;
  pipeline.run<ScanBatch>(
      [&](unsigned worker, const DocBatch& raw) {
        ScanBatch r;
        r.input = raw.input;
        thread_local Normalized n;
        n.clear(0);
        for_each_document(
            raw, 0, raw.records(), raw.input, readers[worker], r.blank,
            [&](const Locator& l, std::string_view text, std::string& id) {
              if (o.keep_locators) r.locators.push_back(l);
              r.text_bytes += text.size();
              if (!n.batch.docs.text.empty() &&
                  n.batch.docs.text.size() + text.size() >= UINT32_MAX) {
                probe_and_confirm(n, benchmarks, index, near, probe, r);  // words: 32-bit offsets
                n.clear(r.docs);
              }
              janitor_append(text, n.batch.docs.text, n.batch.word_start, n.raw_begin, n.raw_end);
              n.batch.docs.offsets.push_back(n.batch.docs.text.size());
              n.batch.doc_word.push_back(n.batch.word_start.size());
              if (!id.empty()) {
                ++r.with_id;
              } else if (!cfg.id_field.empty() && r.fields.empty()) {
                r.fields = readers[worker].parser.keys();
              }
              n.ids += id;
              n.id_end.push_back(n.ids.size());
              n.line.push_back(l.line);
              ++r.docs;
              if (n.batch.docs.text.size() >= flush_bytes) {
                probe_and_confirm(n, benchmarks, index, near, probe, r);
                n.clear(r.docs);
              }
            },
            [&](BadRecord b) { r.bad.push_back(std::move(b)); });
        probe_and_confirm(n, benchmarks, index, near, probe, r);
        return r;
      },
      [&](ScanBatch& r, const DocBatch& raw) {
        InputSummary& in = pipeline.summaries()[r.input];
        in.blank_lines += r.blank;
        for (const BadRecord& b : r.bad)
          skips.skip(pipeline.display(r.input), b, in);
        if (!r.fields.empty()) skips.record_fields(r.fields);
        const std::uint64_t base = o.first_doc + res.documents;
        if (base + r.docs >= UINT32_MAX) {  // documents are numbered in 32 bits
          throw Error("more than 4294967294 training documents in one run; split the input");
        }
        for (std::size_t i = 0; i < r.found.size(); ++i) {
          DocFindings& d = r.found[i];
          d.doc = static_cast<std::uint32_t>(base + d.doc);
          if (d.id_json.empty()) {
            append_json_string(d.id_json,
                               pipeline.display(r.input) + ":" + std::to_string(r.found_line[i]));
          }
          findings.add(std::move(d));
        }
        if (o.keep_locators) {
          res.locators.insert(res.locators.end(), r.locators.begin(), r.locators.end());
        }
        res.documents += r.docs;
        res.text_bytes += r.text_bytes;
        res.rejected += r.rejected;
        in.records += r.docs;
        in.with_id += r.with_id;
        processed += raw.size;
        if (obs.progress) {
          p.documents = res.documents;
          p.bytes = processed;
          p.done = std::min(processed, p.total);
          obs.progress(p);
        }
      });
  res.inputs = pipeline.summaries();
  res.skipped = skips.skipped;
  std::copy(std::begin(skips.by_reason), std::end(skips.by_reason),
            std::begin(res.skipped_by_reason));
  return res;
}

}  // namespace dupscan::contam
