// What the contam tests share: planted contamination with exact expectations (test_contam.cpp),
// random benchmarks and training text for the probe, the probe's plain reference (the
// specification of contam_probe.hpp, position by position), and the comparisons of one backend's
// probe and outputs with the CPU's (test_contam_backend.cpp with cuda-host, test_cuda_backend.cpp
// with cuda).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "contam/benchmarks.hpp"
#include "contam/engine.hpp"
#include "contam/near_index.hpp"
#include "contam/ngram_index.hpp"
#include "dupscan/backend.hpp"
#include "dupscan/contam.hpp"
#include "dupscan/contam_probe.hpp"
#include "dupscan/fast_sketch.hpp"
#include "io/json_writer.hpp"
#include "test_util.hpp"
#include "text/janitor.hpp"

namespace dupscan::test {

// ---- planted contamination ----------------------------------------------------------------------

/// Filler text: deterministic words that never repeat a 13-gram of the examples.
inline std::string filler(std::size_t words, unsigned seed) {
  static const char* vocab[] = {"river", "stone",  "light", "quiet",  "north", "table",  "seven",
                                "glass", "winter", "paper", "orange", "music", "garden", "silver",
                                "storm", "bread",  "lamp",  "field",  "cloud", "iron"};
  std::mt19937 rng(seed);
  std::string s;
  for (std::size_t i = 0; i < words; ++i) {
    if (i) s += ' ';
    s += vocab[rng() % 20];
  }
  return s;
}

/// n distinct words: an example whose n-grams cannot appear in the filler.
inline std::vector<std::string> example_words(const std::string& tag, std::size_t n) {
  std::vector<std::string> w;
  for (std::size_t i = 0; i < n; ++i)
    w.push_back(tag + "w" + std::to_string(i));
  return w;
}

inline std::string join(const std::vector<std::string>& w, std::size_t from = 0,
                        std::size_t n = SIZE_MAX) {
  std::string s;
  for (std::size_t i = from; i < w.size() && i < from + n; ++i)
    s += (s.empty() ? "" : " ") + w[i];
  return s;
}

inline std::string rec(const std::string& id, const std::string& text) {
  std::string line = "{\"id\":\"" + id + "\",\"text\":";
  append_json_string(line, text);
  return line + "}\n";
}

/// Ten examples of one benchmark and forty training documents: verbatim, re-styled (case,
/// punctuation, whitespace), partial (20 of 40 words), perturbed (a word changed every 7: no
/// 13-gram survives), short (10 words, whole or broken or split over two documents), too short
/// (6 words), exactly 13 words, and clean.
struct PlantedContam {
  TempDir dir;
  std::vector<std::string> verbatim = example_words("v", 40), styled = example_words("s", 40),
                           partial = example_words("p", 40), perturbed = example_words("x", 40),
                           short10 = example_words("h", 10), short_broken = example_words("b", 10),
                           short_split = example_words("t", 12), tiny = example_words("y", 6),
                           exact13 = example_words("e", 13), clean = example_words("c", 30);
  PlantedContam() {
    std::string eval;
    auto add_eval = [&](const std::string& id, const std::string& text) { eval += rec(id, text); };
    add_eval("verbatim", join(verbatim));
    add_eval("styled", join(styled));
    add_eval("partial", join(partial));
    add_eval("perturbed", join(perturbed));
    add_eval("short10", join(short10));
    add_eval("short-broken", join(short_broken));
    add_eval("short-split", join(short_split));
    add_eval("tiny", join(tiny));
    add_eval("exact13", join(exact13));
    add_eval("clean", join(clean));
    write_file(dir / "eval.jsonl", eval);

    std::string styled_text = join(styled);
    for (char& c : styled_text)
      c = c == 'w' ? 'W' : c;                     // case
    styled_text = "(\"" + styled_text + "\")!!";  // ASCII punctuation is deleted
    std::size_t at = styled_text.find(' ');
    styled_text.replace(at, 1, " \t\n  ");  // whitespace
    std::vector<std::string> pert = perturbed;
    for (std::size_t i = 6; i < pert.size(); i += 7)
      pert[i] = "changed";  // runs of 6 words
    std::vector<std::string> broken = short_broken;
    broken[5] = "other";

    std::string train;
    train += rec("t-verbatim", filler(50, 1) + " " + join(verbatim) + " " + filler(50, 2));
    train += rec("t-styled", filler(30, 3) + " " + styled_text + " " + filler(30, 4));
    train += rec("t-partial", filler(40, 5) + " " + join(partial, 0, 20) + " " + filler(40, 6));
    train += rec("t-perturbed", join(pert));
    train += rec("t-short10", filler(20, 7) + " " + join(short10) + " " + filler(20, 8));
    train += rec("t-short-broken", join(broken));
    train += rec("t-split-a", filler(10, 9) + " " + join(short_split, 0, 6));
    train += rec("t-split-b", join(short_split, 6, 6) + " " + filler(10, 10));
    train += rec("t-tiny", join(tiny));
    train += rec("t-exact13", join(exact13));
    for (int i = 0; i < 30; ++i)
      train += rec("f" + std::to_string(i), filler(200, 100 + i));
    write_file(dir / "train.jsonl", train);
  }
  ContamConfig config() const {
    ContamConfig cfg;
    cfg.train = {dir / "train.jsonl"};
    cfg.evals = {EvalSpec::parse("bench=" + (dir / "eval.jsonl"))};
    cfg.output_dir = dir / "out";
    cfg.threads = 2;
    return cfg;
  }
};

// ---- the probe ----------------------------------------------------------------------------------

/// Benchmark examples and training documents for the probe: examples of 1 to 300 words over a
/// small vocabulary (with case and punctuation), and training documents that hold them whole,
/// in part, edited every few words, re-styled, several times, or not at all; empty documents and
/// documents shorter than a seed or a shingle.
struct ProbeCase {
  std::vector<contam::EvalExample> examples;
  std::vector<std::string> train;
};

inline ProbeCase random_probe_case(unsigned seed, std::uint32_t min_ngram) {
  std::mt19937 rng(seed);
  static const char* vocab[] = {"alpha", "Beta",   "gamma", "delta,", "eps",  "zeta",  "eta",
                                "theta", "iota",   "kappa", "lambda", "mu",   "nu",    "xi",
                                "omi",   "pi",     "rho",   "sigma",  "tau",  "ups",   "phi",
                                "chi",   "psi",    "omega", "one",    "two",  "three", "four",
                                "five.", "(six)",  "seven", "eight",  "nine", "ten",   "café",
                                "naïve", "straße", "ж",     "--",     "x",    "y",     "z"};
  const std::size_t nv = sizeof vocab / sizeof *vocab;
  auto words = [&](std::size_t n, std::size_t v) {
    std::vector<std::string> w;
    for (std::size_t i = 0; i < n; ++i)
      w.push_back(vocab[rng() % v]);
    return w;
  };
  ProbeCase c;
  std::vector<std::vector<std::string>> ex;
  for (std::size_t len :
       {1, 3, 5, 7, 8, 9, 12, 13, 14, 15, 16, 17, 20, 31, 32, 33, 40, 64, 65, 100, 129, 200, 300}) {
    for (int k = 0; k < 2; ++k) {
      ex.push_back(words(len, nv));
      contam::EvalExample e;
      e.bench = 0;
      e.id_json = "\"e" + std::to_string(c.examples.size()) + "\"";
      janitor_words(join(ex.back()), e.words);
      e.judged = e.words.size() >= min_ngram;
      c.examples.push_back(std::move(e));
    }
  }
  // A few examples twice (one n-gram group, two entries) and one sharing a prefix.
  c.examples.push_back(c.examples[20]);
  c.examples.push_back(c.examples[30]);
  for (int d = 0; d < 160; ++d) {
    std::vector<std::string> doc;
    const int kind = static_cast<int>(rng() % 8);
    const auto& e = ex[rng() % ex.size()];
    auto noise = [&](std::size_t n) {
      for (const auto& w : words(n, nv))
        doc.push_back(w);
    };
    switch (kind) {
      case 0:  // empty, or shorter than a shingle or a seed
        noise(rng() % 8);
        break;
      case 1:  // verbatim, among noise
        noise(rng() % 30);
        doc.insert(doc.end(), e.begin(), e.end());
        noise(rng() % 30);
        break;
      case 2: {  // a part of known length
        const std::size_t from = rng() % e.size(), n = 1 + rng() % e.size();
        noise(rng() % 10);
        for (std::size_t i = from; i < e.size() && i < from + n; ++i)
          doc.push_back(e[i]);
        noise(rng() % 10);
        break;
      }
      case 3: {  // edited every few words
        const std::size_t every = 3 + rng() % 12;
        for (std::size_t i = 0; i < e.size(); ++i)
          doc.push_back(i % every == every - 1 ? "edited" : e[i]);
        break;
      }
      case 4:  // twice, and another example
        doc.insert(doc.end(), e.begin(), e.end());
        doc.insert(doc.end(), e.begin(), e.end());
        for (const auto& w : ex[rng() % ex.size()])
          doc.push_back(w);
        break;
      case 5: {  // re-styled: upper case and punctuation
        for (const auto& w : e) {
          std::string s = w;
          for (char& ch : s)
            if (ch >= 'a' && ch <= 'z' && rng() % 2) ch = static_cast<char>(ch - 32);
          doc.push_back("\"" + s + "!");
        }
        break;
      }
      case 6:  // long noise over few words: windows of every class
        noise(200 + rng() % 900);
        break;
      default:  // noise over the examples' first words only (seed filter hits)
        noise(10 + rng() % 100);
        break;
    }
    c.train.push_back(join(doc));
  }
  return c;
}

/// The probe's tables over a case's examples, built as a contam run builds them.
inline std::shared_ptr<const ProbeTables> probe_tables(const ProbeCase& c, std::uint32_t n,
                                                       std::uint32_t m, double threshold,
                                                       bool near = true) {
  contam::NgramIndex index;
  index.build(c.examples, n, m);
  auto t = std::make_shared<ProbeTables>();
  index.fill_tables(*t);
  if (near) {
    contam::NearIndex ni;
    ni.build(c.examples, threshold);
    ni.fill_tables(*t);
  }
  return t;
}

/// Janitor-normalized documents [from, to) of `train` as a probe batch (its text in `memory`: a
/// probe's text_memory(); null: ordinary memory).
inline ProbeBatch probe_batch(const std::vector<std::string>& train, std::size_t from = 0,
                              std::size_t to = SIZE_MAX,
                              std::shared_ptr<TextMemory> memory = nullptr) {
  ProbeBatch b;
  b.docs.text.use(std::move(memory));
  std::vector<std::uint32_t> rb, re;
  for (std::size_t d = from; d < train.size() && d < to; ++d) {
    janitor_append(train[d], b.docs.text, b.word_start, rb, re);
    b.docs.offsets.push_back(b.docs.text.size());
    b.doc_word.push_back(b.word_start.size());
  }
  return b;
}

/// contam_probe.hpp's specification, position by position and window by window, with no filter
/// shortcut beyond what the specification says and a linear search of the hashes.
inline ProbeResult reference_probe(const ProbeTables& t, const ProbeBatch& b) {
  ProbeResult r;
  for (std::uint32_t d = 0; d < b.size(); ++d) {
    const std::string_view doc = b.docs.doc(d);
    const auto words = static_cast<std::uint32_t>(b.words(d));
    std::vector<std::uint64_t> u(words);
    for (std::uint32_t i = 0; i < words; ++i) {
      const std::string_view w = b.span(d, i, 1);
      u[i] = fast::word_hash(reinterpret_cast<const unsigned char*>(w.data()), w.size());
    }
    for (std::uint32_t i = 0; t.seed_len && i + t.seed_len <= words; ++i) {
      const std::uint64_t s = probe::ngram_hash(u.data() + i, t.seed_len);
      if (!probe::test_bit(t.seed_filter.data(), s >> (64 - t.seed_bits))) continue;
      for (std::uint32_t len : t.lengths) {
        if (i + len > words) break;
        const std::uint64_t h = probe::ngram_hash(u.data() + i, len);
        const auto it = std::find(t.hashes.begin(), t.hashes.end(), h);
        if (it != t.hashes.end()) {
          r.candidates.push_back({d, i, len, static_cast<std::uint32_t>(it - t.hashes.begin())});
        }
      }
    }
    if (t.windows.empty() || words == 0) continue;
    const std::uint32_t n = t.near_n;
    std::vector<std::uint64_t> v;
    if (words < n) {
      v.push_back(probe::ngram_hash(u.data(), words));
    } else {
      for (std::uint32_t j = 0; j + n <= words; ++j)
        v.push_back(probe::ngram_hash(u.data() + j, n));
    }
    for (std::uint32_t c = 0; c < t.windows.size(); ++c) {
      const std::uint32_t len = t.windows[c];
      for (std::uint32_t a = 0;; a += len / 2) {
        const std::uint32_t first = std::min<std::uint32_t>(a, v.size() - 1);
        const std::uint32_t last =
            words < n ? v.size() : std::min<std::uint32_t>(v.size(), a + len - n + 1);
        std::uint32_t hits = 0;
        for (std::uint32_t j = first; j < last; ++j)
          hits += probe::test_bit(t.near_filter.data(), v[j] >> (64 - t.near_bits));
        if (!(hits < t.near_threshold * static_cast<double>(last - first))) {
          std::vector<std::uint32_t> sig(t.near_k);
          oph_signature(v.data() + first, last - first, t.near_k, sig.data());
          std::vector<std::uint64_t> keys(t.near_lsh.bands);
          band_keys(sig.data(), t.near_lsh, keys.data());
          r.windows.push_back({d, c, first, last});
          r.window_keys.insert(r.window_keys.end(), keys.begin(), keys.end());
        }
        if (a + len >= words) break;
      }
    }
    (void)doc;
  }
  return r;
}

inline void expect_same_probe(const ProbeResult& want, const ProbeResult& got,
                              const std::string& what) {
  EXPECT_EQ(got.candidates.size(), want.candidates.size()) << what;
  EXPECT_TRUE(got.candidates == want.candidates) << what << ": candidates differ";
  EXPECT_EQ(got.windows.size(), want.windows.size()) << what;
  EXPECT_TRUE(got.windows == want.windows) << what << ": windows differ";
  EXPECT_TRUE(got.window_keys == want.window_keys) << what << ": window band keys differ";
}

/// The backend `name` (with a device memory budget, 0: none) set up as contam sets it up.
inline std::unique_ptr<Backend> contam_backend(const std::string& name, double near_threshold,
                                               std::size_t gpu_memory = 0) {
  ContamConfig cfg;
  cfg.backend = name;
  cfg.near_threshold = near_threshold;
  cfg.gpu_memory = gpu_memory;
  return contam::make_contam_backend(cfg).backend;
}

/**
 * The probe of backend `name` against the CPU probe (and the CPU probe against the reference) on
 * random cases: several (N, m, threshold), the whole batch, halves, one document at a time, and
 * with a device memory budget small enough to split a batch (`budget`, 0: not tried).
 */
inline void expect_probe_equals_cpu(const std::string& name, std::size_t budget) {
  struct Setting {
    std::uint32_t n, m;
    double threshold;
  };
  for (const Setting s : {Setting{13, 8, 0.5}, Setting{8, 8, 0.3}, Setting{5, 3, 0.7}}) {
    for (unsigned seed : {1u, 2u}) {
      const ProbeCase c = random_probe_case(seed, s.m);
      const auto tables = probe_tables(c, s.n, s.m, s.threshold);
      const std::string what = name + " N=" + std::to_string(s.n) + " m=" + std::to_string(s.m) +
                               " seed " + std::to_string(seed);
      auto cpu = make_cpu_contam_probe(tables);
      const ProbeBatch all = probe_batch(c.train);
      ProbeResult want, got;
      cpu->probe(all, want);
      expect_same_probe(reference_probe(*tables, all), want, "cpu vs reference, " + what);
      EXPECT_GT(want.candidates.size(), 20u) << what;
      EXPECT_GT(want.windows.size(), 5u) << what;
      auto backend = contam_backend(name, s.threshold);
      auto dev = backend->contam_probe(tables);
      dev->probe(all, got);
      expect_same_probe(want, got, what);
      if (backend->name() != "cpu") {
        // Built in the memory the probe lends (as contam's scan builds its batches): copied to
        // the device from there, not staged.
        ASSERT_NE(dev->text_memory(), nullptr) << what;
        const ProbeBatch lent = probe_batch(c.train, 0, SIZE_MAX, dev->text_memory());
        const std::uint64_t staged = backend->staged_bytes();
        ProbeResult gl;
        dev->probe(lent, gl);
        expect_same_probe(want, gl, what + ", built in the probe's memory");
        // (Under a test's item cap the batch is split, and its halves, built apart, are staged.)
        if (!std::getenv("DUPSCAN_TEST_DEVICE_ITEM_CAP")) {
          EXPECT_EQ(backend->staged_bytes(), staged) << what;
        }
      }
      // Batches of one document, and of the second half.
      for (std::size_t d : {0u, 1u, 5u, 17u, 40u}) {
        ProbeResult w1, g1;
        const ProbeBatch one = probe_batch(c.train, d, d + 1);
        cpu->probe(one, w1);
        dev->probe(one, g1);
        expect_same_probe(w1, g1, what + ", document " + std::to_string(d));
      }
      const ProbeBatch half = probe_batch(c.train, c.train.size() / 2);
      ProbeResult wh, gh;
      cpu->probe(half, wh);
      dev->probe(half, gh);
      expect_same_probe(wh, gh, what + ", second half");
      ProbeResult none;
      dev->probe(ProbeBatch{}, none);
      EXPECT_TRUE(none.candidates.empty() && none.windows.empty()) << what;
      if (budget) {
        auto small = contam_backend(name, s.threshold, budget);
        auto split = small->contam_probe(tables);
        ProbeResult gs;
        split->probe(all, gs);
        expect_same_probe(want, gs, what + ", " + std::to_string(budget) + " byte budget");
      }
    }
  }
}

// ---- whole runs ---------------------------------------------------------------------------------

/// report.json without its timings, the backend's name, the canary check and the memory held
/// (what ran, not what was found).
inline std::string report_less_timings(const std::string& text) {
  std::string out;
  bool in_timings = false;
  for (const std::string& line : lines_of(text)) {
    if (line.find("\"timings_s\"") != std::string::npos ||
        line.find("\"canary\"") != std::string::npos ||
        line.find("\"memory\"") != std::string::npos) {
      in_timings = true;
    }
    if (!in_timings && line.find("\"backend\":") == std::string::npos &&
        line.find("\"backend_asked\":") == std::string::npos) {
      out += line + "\n";
    }
    if (in_timings && line.find('}') != std::string::npos) in_timings = false;
  }
  return out;
}

/// Every output file of a run of `cfg` (with --write-decontaminated when set), by name.
inline std::vector<std::pair<std::string, std::string>> contam_outputs(const ContamConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> files;
  const std::string dir = cfg.output_dir + "/";
  files.emplace_back("contamination.jsonl", read_file(dir + "contamination.jsonl"));
  files.emplace_back("report.json", report_less_timings(read_file(dir + "report.json")));
  for (const EvalSpec& e : cfg.evals)
    files.emplace_back("clean/" + e.name + ".jsonl", read_file(dir + "clean/" + e.name + ".jsonl"));
  if (!cfg.write_decontaminated.empty()) {
    files.emplace_back("decontaminated", read_file(cfg.write_decontaminated));
    files.emplace_back("removed.jsonl", read_file(dir + "removed.jsonl"));
  }
  return files;
}

/// Runs `cfg` on the CPU and on backend `name`; every output must be the same bytes.
inline void expect_same_contam_outputs(ContamConfig cfg, const std::string& name,
                                       const std::string& what) {
  cfg.backend = "cpu";
  const ContamResult a = run_contam(cfg);
  const auto want = contam_outputs(cfg);
  cfg.backend = name;
  const ContamResult b = run_contam(cfg);
  EXPECT_EQ(b.backend, name == "auto" ? b.backend : name);
  const auto got = contam_outputs(cfg);
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(got[i].second == want[i].second) << what << ": " << want[i].first << " differs";
  EXPECT_EQ(a.matches, b.matches) << what;
  EXPECT_EQ(a.hash_hits_rejected, b.hash_hits_rejected) << what;
}

}  // namespace dupscan::test
