#include "dedup/pass1.hpp"

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "common/timing.hpp"
#include "dedup/seen_exact.hpp"
#include "dupscan/normalize.hpp"
#include "io/input_checks.hpp"
#include "io/record.hpp"

namespace dupscan {
namespace {

/**
 * Documents whose id is an earlier document's (duplicates.jsonl's {"id":1,"duplicate_of":1} is
 * then ambiguous), with one warning naming the first two lines that share an id. Costs 8 bytes
 * (a 64-bit hash of the id's text) per document with an id while it runs, and a sort; two
 * different ids of equal hash (about n^2 / 2^65 of them) would count as one. The ids of the
 * rows `spilled` holds are read back from its files. At most `max_hashes` hashes are held: past
 * that, the ids are read once per share of the hashes' range (equal ids fall in one share).
 */
std::uint64_t count_duplicate_ids(const DocTable& docs, const DocSpill* spilled,
                                  const RecordPipeline& pipeline, std::uint32_t input_base,
                                  std::size_t max_hashes, const RunObserver& obs) {
  auto for_each_id = [&](const std::function<void(std::uint32_t, std::string_view)>& fn) {
    if (spilled) spilled->for_each_id(fn);
    for (std::size_t i = 0; i < docs.id_end.size(); ++i) {
      const std::uint64_t begin = i == 0 ? docs.ids_first : docs.id_end[i - 1];
      fn(static_cast<std::uint32_t>(docs.cold_first + i),
         std::string_view(docs.ids).substr(begin - docs.ids_first, docs.id_end[i] - begin));
    }
  };
  std::uint64_t with_id = 0;
  for (std::size_t i = 0; i < docs.id_end.size(); ++i)
    with_id += docs.id_end[i] != (i == 0 ? docs.ids_first : docs.id_end[i - 1]);
  if (spilled) with_id += spilled->rows();  // at most that many more
  const std::uint64_t shares = std::max<std::uint64_t>(1, (with_id + max_hashes - 1) / max_hashes);
  std::uint64_t repeats = 0;
  std::vector<std::uint64_t> repeated;  // hashes that occur more than once
  std::vector<std::uint64_t> hashes;
  for (std::uint64_t share = 0; share < shares; ++share) {
    hashes.clear();
    for_each_id([&](std::uint32_t, std::string_view id) {
      if (id.empty()) return;
      const std::uint64_t h = XXH3_64bits(id.data(), id.size());
      if (h % shares == share) hashes.push_back(h);
    });
    std::sort(hashes.begin(), hashes.end());
    for (std::size_t i = 1; i < hashes.size(); ++i) {
      if (hashes[i] != hashes[i - 1]) continue;
      ++repeats;
      if (repeated.empty() || repeated.back() != hashes[i]) repeated.push_back(hashes[i]);
    }
  }
  hashes = std::vector<std::uint64_t>();
  std::sort(repeated.begin(), repeated.end());
  if (repeats == 0 || !obs.warning) return repeats;
  // The first document whose id was seen before, and that earlier one.
  std::unordered_map<std::uint64_t, std::uint32_t> first;
  std::uint32_t earlier = 0, later = 0;
  std::string id_text;
  for_each_id([&](std::uint32_t d, std::string_view id) {
    if (id.empty() || !id_text.empty()) return;
    const std::uint64_t h = XXH3_64bits(id.data(), id.size());
    if (!std::binary_search(repeated.begin(), repeated.end(), h)) return;
    const auto [it, fresh] = first.emplace(h, d);
    if (fresh) return;
    earlier = it->second;
    later = d;
    id_text = id;
  });
  auto where = [&](std::uint32_t doc) {
    const Locator l =
        doc >= docs.cold_first ? docs.loc[doc - docs.cold_first] : spilled->locator(doc);
    return pipeline.display(l.input - input_base) + ":" + std::to_string(l.line);
  };
  obs.warning(std::to_string(repeats) + " document" + (repeats == 1 ? " has" : "s have") +
              " the id of an earlier one (first " + id_text + " at " + where(earlier) + " and " +
              where(later) +
              "): duplicates.jsonl names documents by id, so those lines are ambiguous");
  return repeats;
}

// Whether what the spill bounds is over its window.
bool over_window(const PassOneOptions& o, const DocTable& docs) {
  return o.spill && o.spill->over(docs, o.doc_spill != nullptr);
}

// The rows of documents before `until` to disk: their band keys, and their Locators, ids and
// lengths when those are spilled too.
void spill(const PassOneOptions& o, DocTable& docs, std::size_t until) {
  o.spill->spill(docs, until);
  if (o.doc_spill) o.doc_spill->spill(docs, until);
}

// Rows [0, n) of `docs` (no spilled keys, no signatures) moved to a table of their own; the rest
// move to the front. The vectors keep their capacity: the table's high-water mark stays its size.
DocTable take_front(DocTable& docs, std::size_t n, std::uint32_t bands) {
  DocTable head;
  auto move_front = [n](auto& from, auto& to, std::size_t per) {
    to.assign(from.begin(), from.begin() + n * per);
    from.erase(from.begin(), from.begin() + n * per);
  };
  const std::uint64_t id_bytes = n == 0 ? 0 : docs.id_end[n - 1];
  move_front(docs.loc, head.loc, 1);
  move_front(docs.id_end, head.id_end, 1);
  for (std::uint64_t& e : docs.id_end)
    e -= id_bytes;
  head.ids = docs.ids.substr(0, id_bytes);
  docs.ids.erase(0, id_bytes);
  move_front(docs.exact, head.exact, 1);
  move_front(docs.text_len, head.text_len, 1);
  move_front(docs.empty, head.empty, 1);
  move_front(docs.sketched, head.sketched, 1);
  move_front(docs.keys, head.keys, bands);
  return head;
}

}  // namespace

ReadSpec dedup_read_spec(const DedupConfig& cfg) {
  return read_spec_of(cfg);
}

PassOneSpec pass_one_spec(const DedupConfig& cfg) {
  PassOneSpec s;
  s.read = dedup_read_spec(cfg);
  s.normalize = cfg.normalize;
  s.inputs = cfg.inputs;
  s.tables = cfg.tables;
  s.num_perm = cfg.num_perm;
  s.wide = cfg.sketch == SketchKind::compat && cfg.scheme == Scheme::affine64;
  return s;
}

// Long: the pipeline's set-up, the resume hook and the per-batch process and collect lambdas
// share its locals.
PassOne read_and_sketch(const PassOneSpec& spec, Sketcher& backend, unsigned threads,
                        const PassOneOptions& o, const RunObserver& obs) {
  PassOne pass;
  DocTable& docs = pass.docs;
  const std::uint32_t bands = o.lsh.bands, k = spec.num_perm;
  const bool want_signatures = o.keep_signatures || o.signatures;
  ReadSetup setup;
  setup.threads = threads;
  // The backend's batch when it wants larger ones than the reader's (a GPU).
  setup.stage_batch_bytes = backend.batch_bytes();
  setup.spool_stdin = o.spool_stdin;
  setup.tmp_dir = o.tmp_dir;
  setup.fixed_text_field = o.hint_text_field;
  StageReading reading = set_up_reading(spec.read, spec.inputs, spec.tables, setup, obs.warning);
  RecordPipeline::Options& po = reading.options;
  std::vector<DocReader>& readers = reading.readers;
  SkipPolicy& skips = *reading.skips;
  auto display = [&](std::uint32_t input) { return pass.pipeline->display(input); };
  // A resumed run: the inputs an earlier run completed are loaded from its work directory.
  const std::uint32_t loaded = o.work ? o.work->parts_done() : 0;
  po.first_input = loaded;
  std::size_t part_first_doc = 0;                   // the first document of the input being read
  std::uint64_t part_skips[kSkipReasonCount] = {};  // skips.by_reason when it began
  // Parts are saved while the keys of each input are held (see PassOneOptions::spill).
  bool saving = o.work != nullptr;
  if (o.take_rows_every != 0 && (o.spill || o.doc_spill || o.keep_signatures || !o.take_rows)) {
    throw std::logic_error("pass 1: take_rows goes without spill and kept signatures");
  }
  // take_rows_every: the whole pieces the table holds handed over (while saving, of saved inputs
  // only); `input` is the one being read.
  auto hand_over = [&](std::uint32_t input) {
    const std::size_t every = o.take_rows_every;
    if (every == 0) return;
    if (saving && docs.size() - part_first_doc > every) {
      saving = false;
      if (obs.info) {
        obs.info("resume: " + display(input) +
                 " is kept no further for resuming (its rows outgrew a segment under --memory "
                 "before it ended): after a crash, it and the inputs after it are read again");
      }
    }
    while ((saving ? part_first_doc : docs.size()) >= every) {
      DocTable head = take_front(docs, every, bands);
      pass.rows_taken += every;
      part_first_doc = part_first_doc >= every ? part_first_doc - every : 0;
      o.take_rows(std::move(head));
    }
  };
  if (o.work) {
    po.on_input_done = [&](std::uint32_t input) {
      std::uint64_t skipped[kSkipReasonCount];
      for (int r = 0; r < kSkipReasonCount; ++r)
        skipped[r] = skips.by_reason[r] - part_skips[r];
      if (saving && part_first_doc < docs.keys_first) {
        saving = false;
        if (obs.info) {
          obs.info("resume: " + display(input) +
                   " is kept no further for resuming (its band keys outgrew --memory before it "
                   "ended): after a crash, it and the inputs after it are read again");
        }
      }
      if (saving) {
        o.work->save(input, docs, part_first_doc, pass.pipeline->summaries()[input], skipped, bands,
                     k);
      }
      part_first_doc = docs.size();
      std::copy(std::begin(skips.by_reason), std::end(skips.by_reason), std::begin(part_skips));
      hand_over(input);
    };
  }
  pass.pipeline = std::make_unique<RecordPipeline>(po);
  SeenExact seen(o.seen_exact_cap);
  std::uint64_t processed_bytes = 0;
  std::vector<XXH128_hash_t> loaded_exact;  // a loaded part's sketched documents'
  for (std::uint32_t i = 0; i < loaded; ++i) {
    check_interrupt();
    const std::size_t first = docs.size();
    const InputPart part = o.work->load(i, docs);
    if (pass.rows_taken + docs.size() >= UINT32_MAX) {
      throw Error("more than 4294967294 documents in one run; split the input");
    }
    loaded_exact.clear();
    for (std::size_t d = first; d < docs.size(); ++d) {
      // Only the sketched ones: an exact copy whose sketched twin was in an input not saved is
      // sketched when that input is read again (or a later copy is), as in any run.
      if (docs.sketched[d] && !docs.empty[d]) {
        loaded_exact.push_back(docs.exact[d - docs.cold_first]);
      }
      pass.counts.text_bytes += docs.text_len[d - docs.cold_first];
      if (docs.empty[d]) ++pass.counts.empty;
      if (!docs.sketched[d]) ++pass.counts.sketch_skipped;
    }
    seen.fill(loaded_exact);
    if (over_window(o, docs)) spill(o, docs, docs.size());
    pass.pipeline->summaries()[i] = part.summary;
    skips.skipped += part.summary.skipped;
    for (int r = 0; r < kSkipReasonCount; ++r) {
      skips.by_reason[r] += part.skipped_by_reason[r];
      part_skips[r] = skips.by_reason[r];
    }
    processed_bytes += part.summary.text_bytes;
    part_first_doc = docs.size();  // saved
    hand_over(i);
  }
  part_first_doc = docs.size();
  Progress p;
  p.stage = "read";
  // Plain files: their bytes are the read's total (its share done and ETA on the progress line).
  p.total = spec.tables.empty() ? plain_input_bytes(spec.inputs) : 0;
  pass.pipeline->run<PassOneBatch>(
      [&](unsigned w, const DocBatch& raw) {
        PassOneBatch r;
        r.input = raw.input;
        // One batch of normalized text per worker, reused (its memory stays mapped), in the
        // backend's memory: the text is normalized where the device copies it from.
        thread_local NormalizedBatch nb;
        nb.clear();
        nb.text.use(backend.text_memory());
        for_each_document(
            raw, 0, raw.records(), raw.input + o.input_base, readers[w], r.blank,
            [&](const Locator& l, std::string_view text, std::string& id) {
              const std::string_view norm = nb.normalize_pending(text, spec.normalize);
              PassOneDoc d;
              d.loc = l;
              d.text_len = text.size();
              d.empty = norm.empty();
              d.exact = d.empty ? XXH128_hash_t{0, 0} : XXH3_128bits(norm.data(), norm.size());
              d.sketched = d.empty || !o.skip_seen_exact || seen.insert(d.exact);
              if (id.empty() && !spec.read.id_field.empty() && r.fields.empty()) {
                r.fields = readers[w].parser.keys();
              }
              d.id_json = std::move(id);
              nb.add_pending(d.sketched);
              r.docs.push_back(std::move(d));
            },
            [&](BadRecord b) { r.bad.push_back(std::move(b)); });
        // While this worker waits for its batch, the others read and normalize theirs.
        backend.sketch(nb, r.sketch, want_signatures);
        return r;
      },
      [&](PassOneBatch& r, const DocBatch& raw) {
        InputSummary& in = pass.pipeline->summaries()[r.input];
        in.blank_lines += r.blank;
        for (const BadRecord& b : r.bad)
          skips.skip(display(r.input), b, in);
        if (!r.fields.empty()) skips.record_fields(r.fields);
        if (pass.rows_taken + docs.size() + r.docs.size() >= UINT32_MAX) {
          throw Error("more than 4294967294 documents in one run; split the input");
        }
        if (o.on_batch) o.on_batch(r, pass.rows_taken + docs.size());
        for (std::size_t i = 0; i < r.docs.size(); ++i) {
          const PassOneDoc& doc = r.docs[i];
          if (!doc.id_json.empty()) ++in.with_id;
          docs.loc.push_back(doc.loc);
          docs.ids += doc.id_json;
          docs.id_end.push_back(docs.id_bytes());
          docs.exact.push_back(doc.exact);
          docs.text_len.push_back(doc.text_len);
          docs.empty.push_back(doc.empty);
          docs.sketched.push_back(doc.sketched);
          pass.counts.text_bytes += doc.text_len;
          if (doc.empty) ++pass.counts.empty;
          if (!doc.sketched) ++pass.counts.sketch_skipped;
        }
        docs.keys.insert(docs.keys.end(), r.sketch.band_keys.begin(),
                         r.sketch.band_keys.begin() + r.docs.size() * bands);
        if (o.keep_signatures && spec.wide) {
          docs.sigs64.insert(docs.sigs64.end(), r.sketch.signatures64.begin(),
                             r.sketch.signatures64.begin() + r.docs.size() * k);
        } else if (o.keep_signatures) {
          docs.sigs.insert(docs.sigs.end(), r.sketch.signatures.begin(),
                           r.sketch.signatures.begin() + r.docs.size() * k);
        }
        if (over_window(o, docs)) {
          // The inputs saved already first; the one being read too when it alone is over.
          spill(o, docs, saving ? part_first_doc : docs.size());
          if (over_window(o, docs)) spill(o, docs, docs.size());
        }
        in.records += r.docs.size();
        processed_bytes += raw.size;
        hand_over(r.input);
        if (obs.progress) {
          p.documents = pass.rows_taken + docs.size();
          p.bytes = processed_bytes;
          p.spilled = (o.spill ? o.spill->bytes_written() : 0) +
                      (o.doc_spill ? o.doc_spill->bytes_written() : 0);
          p.done = std::min(processed_bytes, p.total);
          obs.progress(p);
        }
      });
  if (o.work) o.work->flush();  // every input read is saved: a kill from here on loses none
  pass.inputs = pass.pipeline->summaries();
  pass.counts.skipped = skips.skipped;
  std::copy(std::begin(skips.by_reason), std::end(skips.by_reason),
            std::begin(pass.counts.skipped_by_reason));
  pass.counts.documents = pass.rows_taken + docs.size();
  if (pass.rows_taken == 0) {
    // The ids' hashes in as much memory as the texts remembered (8 bytes each, not ~64); tests
    // force several shares on small inputs.
    std::size_t max_hashes = o.seen_exact_cap == SIZE_MAX ? SIZE_MAX : o.seen_exact_cap * 8;
    if (const char* c = std::getenv("DUPSCAN_TEST_ID_HASHES")) max_hashes = std::stoull(c);
    pass.counts.duplicate_ids =
        count_duplicate_ids(docs, o.doc_spill, *pass.pipeline, o.input_base, max_hashes, obs);
  } else if (obs.info) {
    obs.info(
        "ids: not checked for repeats (under --memory the documents' table is not held "
        "whole)");
  }
  return pass;
}

}  // namespace dupscan
