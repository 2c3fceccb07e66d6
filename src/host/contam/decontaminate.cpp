#include "contam/decontaminate.hpp"

#include <simdjson.h>

#include <algorithm>
#include <numeric>
#include <unordered_map>

#include "dupscan/errors.hpp"
#include "io/parquet_copy.hpp"
#include "io/record.hpp"
#include "text/utf8.hpp"

namespace dupscan::contam {
namespace {

// `obj` minified, with the string at `path` (from key `depth` on; its whole key first, as
// find_field looks it up) replaced by `text`. `numbers`: obj was parsed through it (a record with
// numbers simdjson cannot hold), which writes them back as they were.
void write_replacing(std::string& out, simdjson::dom::object obj, const FieldSpec::Path& path,
                     std::size_t depth, std::string_view text, const NumberText* numbers) {
  auto value = [&](simdjson::dom::element v) {
    if (numbers) {
      numbers->append(out, v);
    } else {
      out += simdjson::minify(v);
    }
  };
  simdjson::dom::element whole;
  const bool by_whole = depth == 0 && !obj.at_key(path.whole).get(whole);
  const std::string& key = by_whole ? path.whole : path.keys[depth];
  const bool last = by_whole || depth + 1 == path.keys.size();
  out += '{';
  bool first = true;
  for (auto f : obj) {
    if (!first) out += ',';
    first = false;
    append_json_string(out, f.key);
    out += ':';
    simdjson::dom::object inner;
    if (f.key != key) {
      value(f.value);
    } else if (last) {
      append_json_string(out, text);
    } else if (!f.value.get_object().get(inner)) {
      write_replacing(out, inner, path, depth + 1, text, numbers);
    } else {
      value(f.value);
    }
  }
  out += '}';
}

class Cutter {
 public:
  Cutter(const ContamConfig& cfg, const Benchmarks& benchmarks, const NgramIndex& index,
         const Findings& findings)
      : cfg_(cfg),
        benchmarks_(benchmarks),
        index_(index),
        findings_(findings),
        field_(FieldSpec::parse(cfg.text_field, "--text-field")) {}

  // Long: one walk over a document's cuts, whose byte and code point offsets, context windows
  // and the record rewritten share its locals.
  // `plain`: a line of plain text (--format text), not a JSON object.
  void cut_document(std::string_view rec, std::string_view text, std::vector<const Hit*>& cuts,
                    std::uint32_t doc, bool plain, const io::Sink& out, const io::Sink& removed) {
    std::sort(cuts.begin(), cuts.end(),
              [](const Hit* a, const Hit* b) { return a->raw_begin < b->raw_begin; });
    // Code point index of byte offsets: starts[i] = byte offset of code point i.
    std::vector<std::uint32_t> starts;
    for (std::uint32_t i = 0; i < text.size(); ++i) {
      if (utf8::is_lead(static_cast<unsigned char>(text[i]))) starts.push_back(i);
    }
    const auto chars = static_cast<std::uint32_t>(starts.size());
    auto cp_of = [&](std::uint32_t byte) {
      return static_cast<std::uint32_t>(std::upper_bound(starts.begin(), starts.end(), byte) -
                                        starts.begin() - 1);
    };
    auto byte_of = [&](std::uint32_t cp) { return cp >= chars ? text.size() : starts[cp]; };
    std::vector<std::pair<std::size_t, std::size_t>> pieces;  // byte ranges kept
    const bool drop = cuts.size() > cfg_.max_cuts;
    if (!drop) {
      std::uint32_t splice = 0;  // code point where the next kept piece would start
      for (const Hit* h : cuts) {
        const std::uint32_t b = cp_of(h->raw_begin), e = cp_of(h->raw_end - 1) + 1;
        const std::uint32_t from = b > cfg_.window ? b - cfg_.window : 0;
        const std::uint32_t to = std::min(chars, e + cfg_.window);
        if (from > splice && from - splice > cfg_.min_piece) {
          pieces.emplace_back(byte_of(splice), byte_of(from));
        }
        splice = std::max(splice, to);
      }
      if (chars > splice && chars - splice > cfg_.min_piece) {
        pieces.emplace_back(byte_of(splice), text.size());
      }
    }
    // The kept pieces, each as the original record (minified) with its text replaced; plain
    // text (--format text): each piece on a line of its own.
    simdjson::dom::object obj;
    const NumberText* numbers = nullptr;
    if (!plain && !pieces.empty()) {
      simdjson::dom::element root;
      auto err = parser_.parse(rec.data(), rec.size()).get(root);
      if (is_number_error(err)) {
        err = numbers_.parse(parser_, rec, root);
        numbers = &numbers_;
      }
      if (err || root.get_object().get(obj)) {
        throw Error("internal error: a training record no longer parses as an object");
      }
    }
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      const std::string_view piece =
          text.substr(pieces[k].first, pieces[k].second - pieces[k].first);
      if (plain) {
        line_.assign(piece);
        line_ += '\n';
        out(line_);
        continue;
      }
      line_.clear();
      write_replacing(line_, obj, field_.paths[0], 0, piece, numbers);
      line_.pop_back();  // '}'
      line_ += ",\"decontam_piece\":" + std::to_string(k) +
               ",\"decontam_pieces\":" + std::to_string(pieces.size()) + "}\n";
      out(line_);
    }
    if (pieces.empty()) {
      ++dropped;
    } else {
      ++cut;
    }
    std::size_t kept_bytes = 0;
    for (const auto& pc : pieces)
      kept_bytes += pc.second - pc.first;
    buf_.clear();
    buf_ += "{\"train_id\":" + findings_.train_id(doc) + ",\"action\":";
    buf_ += pieces.empty() ? "\"dropped\"" : "\"cut\"";
    buf_ += ",\"reason\":";
    buf_ += drop             ? "\"more than max_cuts matches\""
            : pieces.empty() ? "\"no piece long enough\""
                             : "null";
    buf_ += ",\"pieces\":" + std::to_string(pieces.size());
    buf_ += ",\"text_bytes\":" + std::to_string(text.size()) +
            ",\"removed_bytes\":" + std::to_string(text.size() - kept_bytes) + ",\"matches\":[";
    for (std::size_t i = 0; i < cuts.size(); ++i) {
      const NgramEntry& en = index_.entry(cuts[i]->entry);
      const EvalExample& ex = benchmarks_.examples[en.example];
      if (i) buf_ += ',';
      buf_ += "{\"benchmark\":";
      append_json_string(buf_, cfg_.evals[ex.bench].name);
      buf_ += ",\"eval_id\":" + ex.id_json +
              ",\"train_offset\":" + std::to_string(cuts[i]->raw_begin) + ",\"ngram\":";
      append_json_string(buf_, ex.words.span(en.pos, index_.length(en.example)));
      buf_ += '}';
    }
    buf_ += "]}\n";
    removed(buf_);
  }

  std::uint64_t cut = 0, dropped = 0;

 private:
  const ContamConfig& cfg_;
  const Benchmarks& benchmarks_;
  const NgramIndex& index_;
  const Findings& findings_;
  const FieldSpec field_;
  simdjson::dom::parser parser_;
  NumberText numbers_;
  std::string line_, buf_;
};

// Every record of the inputs, one at a time, to `out`: cut (Cutter) when a match of its document
// is to go, else as read.
class Rewriter {
 public:
  Rewriter(const ContamConfig& cfg, const DecontaminationInput& in, const Benchmarks& benchmarks,
           const NgramIndex& index, const Findings& findings,
           const std::vector<std::uint32_t>& group_docs, const io::Sink& out,
           const io::Sink& removed)
      : cfg_(cfg),
        in_(in),
        group_docs_(group_docs),
        out_(out),
        removed_(removed),
        lines_(cfg.text_field, cfg.id_field, cfg.format),
        rows_(cfg.text_field, cfg.id_field, InputFormat::jsonl),
        cutter_(cfg, benchmarks, index, findings) {
    for (const DirtyDoc& d : findings.dirty_docs())
      dirty_.emplace(d.doc, &d);
  }

  // The lines of line files [first, end): every line, so that a record the scan skipped (it could
  // not be read, so nothing says it is contaminated) is copied through as it is rather than lost;
  // blank lines are no records.
  // `docs`: the documents of these files and those after, in order.
  void line_files(std::uint32_t first, std::uint32_t end, DocCursor& docs) {
    reread_lines(in_.sources, first, end, docs, kRefetchBytes,
                 [&](const io::RawBatch& b, const std::vector<std::uint32_t>& line_docs) {
                   check_interrupt();
                   for (std::size_t k = 0; k < b.lines.size(); ++k) {
                     const io::LineRef& l = b.lines[k];
                     const std::string_view rec = b.line(l);
                     if (line_docs[k] == kNotADocument && is_blank(rec)) continue;
                     const Locator loc{l.stream_offset, l.line_no, b.input,
                                       static_cast<std::uint32_t>(l.length)};
                     record(rec, line_docs[k], &loc, false);
                   }
                 });
  }

  // Every row of the Parquet input `input` as a JSON object; its documents are the next ones of
  // `docs` of that input, by row (Locator::line).
  void parquet_rows(std::uint32_t input, DocCursor& docs) {
    std::vector<std::int64_t> rows(in_.rows[input]);
    std::iota(rows.begin(), rows.end(), std::int64_t{0});
    std::uint64_t row = 0;
    rows_as_json_lines(in_.parquet[input], rows, [&](std::string_view line) {
      if ((row & 4095) == 0) check_interrupt();
      if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
      std::uint32_t doc = kNotADocument;
      const Locator* l = docs.peek();
      Locator here;
      if (l && l->input == input && l->line == row) {
        doc = docs.doc();
        here = *l;
        docs.advance();
      }
      record(line, doc, &here, true);
      ++row;
    });
    const Locator* left = docs.peek();
    if (row != in_.rows[input] || (left && left->input == input)) {
      throw Error("input '" + in_.display(input) +
                  "' changed while dupscan was running (it no longer has the rows it had)");
    }
  }

  std::uint64_t passed_through = 0;
  Cutter& cutter() { return cutter_; }

 private:
  // One record: `doc` is its document's number or kNotADocument (a record the scan skipped:
  // copied through), `l` its Locator. `row`: a Parquet row as a JSON object.
  void record(std::string_view rec, std::uint32_t doc, const Locator* l, bool row) {
    if (doc == kNotADocument) {
      ++passed_through;
      out_(rec);
      out_("\n");
      return;
    }
    const auto d = dirty_.find(doc);
    cuts_.clear();
    if (d != dirty_.end()) {
      for (const Hit& h : d->second->hits) {
        if (!cfg_.boilerplate(group_docs_[h.group])) cuts_.push_back(&h);
      }
    }
    if (cuts_.empty()) {
      out_(rec);
      out_("\n");
      return;
    }
    std::string_view text;
    SkipReason reason{};
    RecordParser& parser = row ? rows_ : lines_;
    // A row's text must be the one the scan read (its length is in the locator): the matches'
    // offsets are in it.
    if (!parser.parse(rec.data(), rec.size(), text, id_, reason, detail_) ||
        (row && text.size() != l->length)) {
      throw Error("input '" + in_.display(l->input) + "' changed while dupscan was running (" +
                  (row ? "row " + std::to_string(l->line) + " no longer has the text it had"
                       : "line " + std::to_string(l->line) + " no longer parses") +
                  ")");
    }
    cutter_.cut_document(rec, text, cuts_, doc, !row && cfg_.format == InputFormat::text, out_,
                         removed_);
  }

  const ContamConfig& cfg_;
  const DecontaminationInput& in_;
  const std::vector<std::uint32_t>& group_docs_;
  const io::Sink& out_;
  const io::Sink& removed_;
  std::unordered_map<std::uint32_t, const DirtyDoc*> dirty_;
  RecordParser lines_;  // records of line files, in --format
  RecordParser rows_;   // Parquet rows, JSON objects whatever --format says
  Cutter cutter_;
  std::vector<const Hit*> cuts_;
  std::string id_, detail_;
};

}  // namespace

DecontaminationInput decontamination_input(RecordPipeline& pipeline, const LocatorSpill& locators) {
  DecontaminationInput in;
  in.sources = pipeline.sources();
  for (std::size_t i = 0; i < pipeline.documents().size(); ++i) {
    const auto& d = pipeline.documents()[i];
    in.parquet.push_back(d->parquet() ? d->display() : std::string());
    in.rows.push_back(pipeline.summaries()[i].lines);
  }
  in.locators = &locators;
  in.display = [&pipeline](std::uint32_t i) { return pipeline.display(i); };
  return in;
}

void write_decontaminated(const ContamConfig& cfg, const DecontaminationInput& in,
                          const Benchmarks& benchmarks, const NgramIndex& index,
                          const Findings& findings, const std::vector<std::uint32_t>& group_docs,
                          const io::Sink& out, const io::Sink& removed, std::uint64_t& cut,
                          std::uint64_t& dropped, std::uint64_t& passed_through) {
  Rewriter rewriter(cfg, in, benchmarks, index, findings, group_docs, out, removed);
  const auto inputs = static_cast<std::uint32_t>(in.sources.size());
  // Every document in order, numbered from first_doc: a piece at a time where spilled.
  const std::unique_ptr<DocCursor> docs = in.locators->read(in.first_doc);
  std::uint32_t i = 0;
  while (i < inputs) {
    if (i < in.parquet.size() && !in.parquet[i].empty()) {
      rewriter.parquet_rows(i, *docs);
      ++i;
      continue;
    }
    // A run of line files, read again in one walk.
    std::uint32_t end = i;
    while (end < inputs && (end >= in.parquet.size() || in.parquet[end].empty()))
      ++end;
    rewriter.line_files(i, end, *docs);
    i = end;
  }
  if (docs->peek()) throw Error("internal error: documents of no input read again");
  cut += rewriter.cutter().cut;
  dropped += rewriter.cutter().dropped;
  passed_through += rewriter.passed_through;
}

}  // namespace dupscan::contam
