#include "contam/scan.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <type_traits>

#include "common/pack.hpp"
#include "dupscan/errors.hpp"
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

// ---- a training input's part in the work directory --------------------------------------------

static_assert(std::is_trivially_copyable<Hit>::value && sizeof(Hit) == 20, "parts hold Hits");
static_assert(std::is_trivially_copyable<Locator>::value && sizeof(Locator) == 24,
              "parts hold Locators");

// What one training input contributed to the scan: its documents' findings as Findings::add
// takes them (numbered, ids filled), packed back to back, and its counts.
struct InputPart {
  Packer found;  // per document with a finding: put_findings()
  std::uint64_t found_docs = 0, documents = 0, text_bytes = 0, rejected = 0;
  std::uint64_t skips_before[kSkipReasonCount] = {};  // SkipPolicy::by_reason when it began
  std::uint64_t first_locator = 0;  // its first document's in ScanResult::locators, when kept

  void clear(const SkipPolicy& skips, const LocatorSpill* locators) {
    found.str().clear();
    found_docs = documents = text_bytes = rejected = 0;
    std::copy(std::begin(skips.by_reason), std::end(skips.by_reason), std::begin(skips_before));
    first_locator = locators ? locators->size() : 0;
  }
};

void put_findings(Packer& p, const DocFindings& d) {
  p.put(d.doc);
  p.put_str(d.id_json);
  p.put_array(d.hits.data(), d.hits.size());
  p.put<std::uint64_t>(d.runs.size());
  for (const Span& s : d.runs) {
    for (std::uint32_t v : {s.example, s.doc, s.eval_start, s.eval_end, s.first_ngram, s.last_ngram,
                            s.ngram_len, s.train_word})
      p.put(v);
    p.put_array(s.train_offset.data(), s.train_offset.size());
  }
  p.put<std::uint64_t>(d.near.size());
  for (const NearHit& n : d.near) {
    p.put(n.example);
    p.put(n.jaccard);
  }
}

DocFindings get_findings(Unpacker& u) {
  DocFindings d;
  d.doc = u.get<std::uint32_t>();
  d.id_json.assign(u.get_str());
  u.get_array(d.hits);
  d.runs.resize(u.get<std::uint64_t>());
  for (Span& s : d.runs) {
    for (std::uint32_t* v : {&s.example, &s.doc, &s.eval_start, &s.eval_end, &s.first_ngram,
                             &s.last_ngram, &s.ngram_len, &s.train_word})
      *v = u.get<std::uint32_t>();
    u.get_array(s.train_offset);
  }
  d.near.resize(u.get<std::uint64_t>());
  for (NearHit& n : d.near) {
    n.example = u.get<std::uint32_t>();
    n.jaccard = u.get<double>();
  }
  return d;
}

// The part of a finished input: its summary, skipped counts by reason, counts, findings and
// how many Locators it has (they are in the work directory's file: LocatorSpill).
std::string pack_part(InputPart& part, const InputSummary& in,
                      const std::uint64_t* skipped_by_reason, const LocatorSpill* locators) {
  Packer p;
  for (const std::string* v : {&in.path, &in.compression, &in.xxh3_64})
    p.put_str(*v);
  for (std::uint64_t v :
       {in.bytes, in.text_bytes, in.lines, in.records, in.blank_lines, in.skipped, in.with_id})
    p.put(v);
  p.put_array(skipped_by_reason, kSkipReasonCount);
  for (std::uint64_t v : {part.documents, part.text_bytes, part.rejected, part.found_docs})
    p.put(v);
  p.put_str(part.found.str());
  p.put<std::uint64_t>(locators ? locators->size() - part.first_locator : 0);
  return std::move(p.str());
}

// Identity values: a double in the fewest digits that read back as it, a flag.
std::string number(double v) {
  char b[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(b, sizeof b, "%.*g", digits, v);
    if (std::strtod(b, nullptr) == v) break;
  }
  return b;
}
const char* yes_no(bool v) {
  return v ? "yes" : "no";
}

// "N bytes, xxh3 H": a benchmark's content.
std::string identity_text(std::uint64_t bytes, XXH64_hash_t h) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::to_string(bytes) + " bytes, xxh3 " + hex;
}

// A benchmark given as bytes (EvalSpec::data): as content_identity of a file holding them.
std::string bytes_identity(const std::string& bytes) {
  return identity_text(bytes.size(), XXH3_64bits(bytes.data(), bytes.size()));
}

// "N bytes, xxh3 H" of a benchmark's file.
std::string content_identity(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  XXH3_state_t* st = XXH3_createState();
  XXH3_64bits_reset(st);
  std::uint64_t bytes = 0;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    XXH3_64bits_update(st, buf, static_cast<std::size_t>(in.gcount()));
    bytes += static_cast<std::uint64_t>(in.gcount());
  }
  const bool bad = in.bad() || !in.eof();
  const XXH64_hash_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  if (bad) throw Error("cannot read benchmark '" + path + "'");
  return identity_text(bytes, h);
}

}  // namespace

WorkDir::Identity scan_identity(const ContamConfig& cfg) {
  WorkDir::Identity id;
  id.emplace_back("dupscan_version", version());
  id.emplace_back("command", "contam");
  id.emplace_back("format", input_format_name(cfg.format));
  id.emplace_back("text_field", cfg.text_field);
  id.emplace_back("id_field", cfg.id_field + (cfg.id_field_required ? " (required)" : ""));
  id.emplace_back("normalization", "lm-eval Janitor");
  id.emplace_back("ngram", std::to_string(cfg.ngram));
  id.emplace_back("min_ngram", std::to_string(cfg.min_ngram));
  id.emplace_back("near", cfg.near ? "Jaccard >= " + number(cfg.near_threshold) : "no");
  id.emplace_back("max_record_size", std::to_string(cfg.max_record_size));
  id.emplace_back("strict", yes_no(cfg.strict));
  id.emplace_back("max_skipped", number(cfg.max_skipped));
  id.emplace_back("locators_kept", yes_no(!cfg.write_decontaminated.empty()));
  // Since --memory: a part counts its Locators, which are in the file "locators" beside it.
  if (!cfg.write_decontaminated.empty()) id.emplace_back("locators", "in the file locators");
  id.emplace_back("benchmarks", std::to_string(cfg.evals.size()));
  for (std::size_t b = 0; b < cfg.evals.size(); ++b) {
    const EvalSpec& e = cfg.evals[b];
    id.emplace_back("benchmark " + std::to_string(b + 1),
                    e.name + "=" + e.shown() + ":" + e.field_label() + ", " +
                        (e.data ? bytes_identity(*e.data) : content_identity(e.path)));
  }
  id.emplace_back("inputs", std::to_string(cfg.train.size()));
  for (std::size_t i = 0; i < cfg.train.size(); ++i)
    id.emplace_back("input " + std::to_string(i + 1), WorkDir::file_identity(cfg.train[i]));
  return id;
}

ReadSpec training_read_spec(const ContamConfig& cfg) {
  return read_spec_of(cfg);
}

// Long: the pipeline's set-up, the resume hook and the per-batch process and collect lambdas
// share its locals.
ScanResult scan_training(const ScanOptions& o, const Benchmarks& benchmarks,
                         const NgramIndex& index, const NearIndex* near, ContamProbe& probe,
                         Findings& findings, const RunObserver& obs) {
  ScanResult res;
  ReadSetup setup;
  setup.threads = o.threads;
  // The probe's batch when it wants larger ones than the reader's (a GPU).
  setup.stage_batch_bytes = probe.batch_bytes();
  setup.spool_stdin = o.keep_locators;
  setup.tmp_dir = o.tmp_dir;
  StageReading reading = set_up_reading(o.read, o.inputs, o.tables, setup, obs.warning);
  RecordPipeline::Options& po = reading.options;
  for (const auto& d : po.documents) {
    // Parquet files are read again by row (decontaminate.hpp); a table in memory is no file.
    if (d->columnar() && !d->parquet() && o.keep_locators) {
      throw UsageError(
          "--write-decontaminated rewrites the records of files and cannot rewrite "
          "the table '" +
          d->display() + "'");
    }
  }
  std::vector<DocReader>& readers = reading.readers;
  // Owned by the result, as the pipeline that points at it.
  res.skips = std::move(reading.skips);
  SkipPolicy& skips = *res.skips;
  LocatorSpill* locators = nullptr;  // when kept: made once the loaded parts are counted
  // A resumed run: the inputs an earlier run finished are loaded from its work directory.
  const std::uint32_t loaded = o.work ? o.work->parts_done() : 0;
  po.first_input = loaded;
  InputPart part;  // what the input being read contributed, saved when it is done
  if (o.work) {
    po.on_input_done = [&](std::uint32_t input) {
      std::uint64_t skipped[kSkipReasonCount];
      for (int r = 0; r < kSkipReasonCount; ++r)
        skipped[r] = skips.by_reason[r] - part.skips_before[r];
      if (locators) locators->flush();  // on disk before the part that counts them
      o.work->save_payload(input,
                           pack_part(part, res.pipeline->summaries()[input], skipped, locators));
      part.clear(skips, locators);
    };
  }
  res.pipeline = std::make_unique<RecordPipeline>(po);
  RecordPipeline& pipeline = *res.pipeline;
  const std::size_t flush_bytes = probe.batch_bytes();
  std::uint64_t processed = 0;
  std::uint64_t kept = 0;  // Locators of the loaded parts, in the work directory's file
  for (std::uint32_t i = 0; i < loaded; ++i) {
    check_interrupt();
    const std::string bytes = o.work->load_payload(i);
    Unpacker u(bytes);
    InputSummary& in = pipeline.summaries()[i];
    for (std::string* v : {&in.path, &in.compression, &in.xxh3_64})
      v->assign(u.get_str());
    for (std::uint64_t* v : {&in.bytes, &in.text_bytes, &in.lines, &in.records, &in.blank_lines,
                             &in.skipped, &in.with_id})
      *v = u.get<std::uint64_t>();
    std::vector<std::uint64_t> skipped;
    u.get_array(skipped);
    if (skipped.size() != kSkipReasonCount) throw Error("a part of another dupscan version");
    skips.skipped += in.skipped;
    for (int r = 0; r < kSkipReasonCount; ++r)
      skips.by_reason[r] += skipped[r];
    const auto documents = u.get<std::uint64_t>();
    res.text_bytes += u.get<std::uint64_t>();
    res.rejected += u.get<std::uint64_t>();
    const auto found_docs = u.get<std::uint64_t>();
    const std::string found(u.get_str());
    Unpacker f(found);
    for (std::uint64_t k = 0; k < found_docs; ++k)
      findings.add(get_findings(f));
    kept += u.get<std::uint64_t>();
    res.documents += documents;
    processed += in.text_bytes;
  }
  if (o.keep_locators) {
    res.locators =
        o.work ? std::make_unique<LocatorSpill>(*o.work, "locators", o.spill_window, kept)
        : o.spill_dir.empty() ? std::make_unique<LocatorSpill>()
                              : std::make_unique<LocatorSpill>(o.spill_dir, o.spill_window);
    locators = res.locators.get();
  }
  part.clear(skips, locators);
  Progress p;
  p.stage = "scan";
  p.total = o.tables.empty() ? plain_input_bytes(o.inputs) : 0;
  pipeline.run<ScanBatch>(
      [&](unsigned worker, const DocBatch& raw) {
        ScanBatch r;
        r.input = raw.input;
        thread_local Normalized n;
        n.clear(0);
        n.batch.docs.text.use(probe.text_memory());  // where the device copies it from
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
              } else if (!o.read.id_field.empty() && r.fields.empty()) {
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
          if (o.work) {
            put_findings(part.found, d);
            ++part.found_docs;
          }
          findings.add(std::move(d));
        }
        if (locators) locators->add(r.locators.data(), r.locators.size());
        res.documents += r.docs;
        res.text_bytes += r.text_bytes;
        res.rejected += r.rejected;
        part.documents += r.docs;
        part.text_bytes += r.text_bytes;
        part.rejected += r.rejected;
        in.records += r.docs;
        in.with_id += r.with_id;
        processed += raw.size;
        if (obs.progress) {
          p.documents = res.documents;
          p.bytes = processed;
          p.spilled = locators && o.spill_window ? locators->bytes_written() : 0;  // --memory
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
