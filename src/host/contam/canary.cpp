// The probe's canary check (contam/canary.hpp).
#include "contam/canary.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "sketch/canary.hpp"
#include "text/janitor.hpp"

namespace dupscan::contam {
namespace {

void add(ProbeBatch& b, const std::string& raw) {
  std::vector<std::uint32_t> raw_begin, raw_end;
  janitor_append(raw, b.docs.text, b.word_start, raw_begin, raw_end);
  b.docs.offsets.push_back(b.docs.text.size());
  b.doc_word.push_back(b.word_start.size());
}

// Every 9th word of a text of single-space-separated words changed (ASCII first bytes only).
std::string near_copy(std::string t) {
  std::size_t word = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if ((i == 0 || t[i - 1] == ' ') && ++word % 9 == 0 &&
        (static_cast<unsigned char>(t[i]) & 0x80) == 0 && t[i] != ' ') {
      t[i] = t[i] == 'w' ? 'v' : 'w';
    }
  }
  return t;
}

// Appends document d of `b` to `to`.
void append(ProbeBatch& to, const ProbeBatch& b, std::size_t d) {
  const std::uint64_t from = b.docs.offsets[d], base = to.docs.text.size();
  to.docs.add(b.docs.doc(d));
  for (std::uint64_t w = b.doc_word[d]; w < b.doc_word[d + 1]; ++w)
    to.word_start.push_back(static_cast<std::uint32_t>(b.word_start[w] - from + base));
  to.doc_word.push_back(to.word_start.size());
}

// Documents [first, last) of a batch as a batch of their own.
ProbeBatch slice(const ProbeBatch& b, std::size_t first, std::size_t last) {
  ProbeBatch part;
  for (std::size_t d = first; d < last; ++d)
    append(part, b, d);
  return part;
}

// Both halves probed with two batches in flight, their results in document order.
ProbeResult probe_halves(ContamProbe& probe, const ProbeBatch& a, const ProbeBatch& b,
                         std::uint32_t docs_a) {
  ProbeResult ra, rb;
  const ContamProbe::Ticket ta = probe.submit(a, ra);
  ContamProbe::Ticket tb = 0;
  try {
    tb = probe.submit(b, rb);
  } catch (...) {
    probe.wait(ta);
    throw;
  }
  probe.wait(ta);
  probe.wait(tb);
  for (ProbeCandidate c : rb.candidates) {
    c.doc += docs_a;
    ra.candidates.push_back(c);
  }
  for (ProbeWindow w : rb.windows) {
    w.doc += docs_a;
    ra.windows.push_back(w);
  }
  ra.window_keys.insert(ra.window_keys.end(), rb.window_keys.begin(), rb.window_keys.end());
  return ra;
}

std::string text(const ProbeCandidate& c) {
  return "(document " + std::to_string(c.doc) + ", word " + std::to_string(c.word) + ", length " +
         std::to_string(c.len) + ", group " + std::to_string(c.group) + ")";
}

std::string text(const ProbeWindow& w) {
  return "(document " + std::to_string(w.doc) + ", class " + std::to_string(w.window_class) +
         ", values " + std::to_string(w.first) + ".." + std::to_string(w.last) + ")";
}

// Where two lists of candidates or windows first differ; "" when equal.
template <class T>
std::string first_difference(const char* what, const std::vector<T>& cpu,
                             const std::vector<T>& dev) {
  for (std::size_t i = 0; i < cpu.size() && i < dev.size(); ++i) {
    if (!(cpu[i] == dev[i])) {
      return std::string(what) + " " + std::to_string(i) + ": cpu " + text(cpu[i]) + ", device " +
             text(dev[i]);
    }
  }
  if (cpu.size() != dev.size()) {
    return std::string(what) + " count: cpu " + std::to_string(cpu.size()) + ", device " +
           std::to_string(dev.size());
  }
  return "";
}

}  // namespace

ProbeBatch canary_documents(const std::vector<EvalExample>& examples) {
  ProbeBatch b;
  std::uint64_t seed = 0xC0A7;
  add(b, "");
  for (std::size_t words : {1, 2, 4, 5, 6, 12, 31, 32, 33, 127, 128, 129})
    add(b, canary::words(words, ++seed));
  // Up to 8 examples spread over the benchmarks, judged ones (those with n-grams) first: whole,
  // inside other words, near copies.
  std::vector<const EvalExample*> pick;
  for (bool judged : {true, false}) {
    std::vector<const EvalExample*> some;
    for (const EvalExample& ex : examples) {
      if (ex.judged == judged && ex.words.size() > 0) some.push_back(&ex);
    }
    const std::size_t want = 8 - pick.size(), step = std::max<std::size_t>(1, some.size() / 8);
    for (std::size_t i = 0; i < some.size() && pick.size() < 8 && want > 0; i += step)
      pick.push_back(some[i]);
  }
  std::size_t used = 0;
  std::string long_doc = canary::words(1000, ++seed);
  for (const EvalExample* ex : pick) {
    const std::string& t = ex->words.text;
    add(b, t);
    seed += 4;
    add(b, canary::words(37, seed) + " " + t + " " + canary::words(50, seed + 1));
    add(b, near_copy(t));
    add(b, canary::words(3, seed + 2) + " " + near_copy(t) + " " + canary::words(300, seed + 3));
    if (used++ < 3) long_doc += " " + t + " " + canary::words(1500, ++seed);
  }
  add(b, long_doc);
  return b;
}

void check_probe(ContamProbe& device, const std::shared_ptr<const ProbeTables>& tables,
                 const std::vector<EvalExample>& examples, CanaryReport& r) {
  const auto t0 = std::chrono::steady_clock::now();
  const ProbeBatch all = canary_documents(examples);
  std::unique_ptr<ContamProbe> cpu = make_cpu_contam_probe(tables);
  ProbeResult ref, got;
  ProbeBatch docs = all;
  // As the sketch's check: documents the device cannot take under its budget are left out.
  for (std::size_t limit = SIZE_MAX;;) {
    try {
      const std::size_t half = docs.size() / 2;
      const ProbeBatch a = slice(docs, 0, half), b = slice(docs, half, docs.size());
      const auto n = static_cast<std::uint32_t>(half);
      ref = probe_halves(*cpu, a, b, n);
      got = probe_halves(device, a, b, n);
      break;
    } catch (const DocumentTooLarge& e) {
      if (e.bytes >= limit) throw;
      limit = e.bytes;
      docs = ProbeBatch{};
      for (std::size_t d = 0; d < all.size(); ++d) {
        if (all.docs.doc(d).size() < limit) append(docs, all, d);
      }
      if (docs.size() < 8) throw;
      if (!r.left_out_from_bytes || limit < r.left_out_from_bytes) r.left_out_from_bytes = limit;
    }
  }
  std::string d = first_difference("candidate", ref.candidates, got.candidates);
  if (d.empty()) d = first_difference("window", ref.windows, got.windows);
  if (d.empty()) {
    d = canary::first_difference(ref.window_keys, got.window_keys,
                                 [](std::size_t i) { return "window key " + std::to_string(i); });
  }
  r.checked.push_back("contam probe");
  if (!d.empty()) {
    r.status = "failed";
    r.stage = "contam probe";
    r.difference = d;
  }
  r.milliseconds +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace dupscan::contam
