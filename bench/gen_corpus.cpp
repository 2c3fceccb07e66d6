// Deterministic benchmark corpora with planted duplicates and their ground truth.
//
//   dupscan_gen_corpus --train examples/corpus.jsonl.gz --size 100M --out corpus.jsonl \
//       --truth truth.jsonl [--seed 1] [--exact-rate 0.05] [--near-rate 0.10]
//
// Text: a word-level Markov chain of order 1 trained on the text of --train (JSONL "text" fields,
// or plain text lines), restricted to tokens of ASCII letters and digits with optional trailing
// punctuation, so that a plain `[a-z0-9]+` tokenizer (what the Python peers use) and dupscan's
// normalization cut the same words. Document lengths follow a mixture (--lengths mixed): 40% short
// (20-200 words, chat turns), 50% medium (200-2,000 words), 10% long (2,000-15,000 words, pages
// up to ~100 KB); --lengths short makes them all short (many documents per GB), --lengths tiny
// 8-30 words (~150 bytes a record: a hundred million documents in ~15 GB, the scale tests').
//
// Planted copies of earlier documents (drawn from the last 20,000 originals) are emitted a random
// number of documents later:
//   exact  --exact-rate per original: a verbatim copy, or one re-cased / re-spaced (equal after
//          normalization);
//   near   --near-rate per original: words substituted, deleted or inserted at a rate drawn from
//          --edit-rates, a boilerplate header/footer added, or the end cut (10-40%).
// --truth gets one line per copy: {"id","of","edit","rate","jaccard"}, jaccard being the true
// Jaccard similarity of the two texts' word 5-gram sets under dupscan's default normalization
// (sets of 64-bit hashes of the shingle strings).
//
// Everything comes from one splitmix64 stream seeded by --seed: the same arguments give the same
// bytes on every machine.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <simdjson.h>
#include <xxhash.h>

#include "dupscan/normalize.hpp"
#include "dupscan/shingle.hpp"
#include "io/io.hpp"
#include "io/json_writer.hpp"
#include "io/record.hpp"

using namespace dupscan;

namespace {

struct SplitMix {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

bool usable_token(const std::string& t) {
  std::size_t i = 0;
  while (i < t.size() && std::isalnum(static_cast<unsigned char>(t[i])) &&
         static_cast<unsigned char>(t[i]) < 0x80) {
    ++i;
  }
  if (i == 0) return false;
  if (i == t.size()) return true;
  return i + 1 == t.size() && std::strchr(".,;:!?", t[i]) != nullptr;
}

// Order-1 word Markov chain in flat arrays: the successors of word w are
// succ_[start_[w], start_[w + 1]), in training order. Order 1 rather than 2: with a training text
// of about a million words an order-2 chain mostly replays it, and the benchmark wants 5-grams that
// are mostly new; flat arrays keep generation at tens of MB/s.
class Markov {
 public:
  void train(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
      while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
        ++i;
      std::size_t j = i;
      while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j])))
        ++j;
      if (j > i) {
        const std::string tok(text.substr(i, j - i));
        if (usable_token(tok)) {
          auto it = ids_.find(tok);
          if (it == ids_.end()) {
            it = ids_.emplace(tok, static_cast<std::uint32_t>(vocab_.size())).first;
            vocab_.push_back(tok);
          }
          stream_.push_back(it->second);
        }
      }
      i = j;
    }
  }
  void build() {
    start_.assign(vocab_.size() + 1, 0);
    for (std::size_t i = 1; i < stream_.size(); ++i)
      ++start_[stream_[i - 1] + 1];
    for (std::size_t w = 0; w < vocab_.size(); ++w)
      start_[w + 1] += start_[w];
    succ_.resize(start_.back());
    std::vector<std::uint32_t> fill(start_.begin(), start_.end() - 1);
    for (std::size_t i = 1; i < stream_.size(); ++i)
      succ_[fill[stream_[i - 1]]++] = stream_[i];
  }
  std::size_t vocab_size() const { return vocab_.size(); }
  std::size_t tokens() const { return stream_.size(); }
  const std::string& word(std::uint32_t id) const { return vocab_[id]; }

  /// Appends `words` generated words to out, space separated.
  void generate(SplitMix& rng, std::size_t words, std::string& out) const {
    std::uint32_t w = stream_[rng.below(stream_.size())];
    for (std::size_t k = 0; k < words; ++k) {
      const std::uint32_t n = start_[w + 1] - start_[w];
      w = n == 0 || rng.below(50) == 0 ? stream_[rng.below(stream_.size())]
                                       : succ_[start_[w] + rng.below(n)];
      if (!out.empty()) out += ' ';
      out += vocab_[w];
    }
  }
  std::uint32_t random_word(SplitMix& rng) const { return stream_[rng.below(stream_.size())]; }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::string> vocab_;
  std::vector<std::uint32_t> stream_, start_, succ_;
};

std::unordered_set<std::uint64_t> shingle_set(const std::string& text) {
  const std::string norm = normalize(text);
  std::unordered_set<std::uint64_t> s;
  for_each_shingle(norm.data(), norm.size(), ShingleKind::word, 5,
                   [&](const char* p, std::size_t n) { s.insert(XXH64(p, n, 0)); });
  return s;
}

double true_jaccard(const std::string& a, const std::string& b) {
  const auto sa = shingle_set(a), sb = shingle_set(b);
  std::size_t inter = 0;
  for (std::uint64_t h : sa)
    inter += sb.count(h);
  const std::size_t uni = sa.size() + sb.size() - inter;
  return uni ? static_cast<double>(inter) / static_cast<double>(uni) : 0.0;
}

std::vector<std::string> split_words(const std::string& t) {
  std::vector<std::string> w;
  std::size_t i = 0;
  while (i < t.size()) {
    while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i])))
      ++i;
    std::size_t j = i;
    while (j < t.size() && !std::isspace(static_cast<unsigned char>(t[j])))
      ++j;
    if (j > i) w.push_back(t.substr(i, j - i));
    i = j;
  }
  return w;
}

std::string join(const std::vector<std::string>& w) {
  std::string s;
  for (const auto& x : w) {
    if (!s.empty()) s += ' ';
    s += x;
  }
  return s;
}

std::uint64_t parse_size(const std::string& s) {
  std::size_t used = 0;
  double v = std::stod(s, &used);
  const std::string unit = s.substr(used);
  if (unit == "K" || unit == "k") v *= 1e3;
  if (unit == "M") v *= 1e6;
  if (unit == "G") v *= 1e9;
  return static_cast<std::uint64_t>(v);
}

std::string read_all(const std::string& path) {
  auto src = io::open_source(path);
  std::string out, buf(1 << 20, '\0');
  for (std::size_t n; (n = src->read(buf.data(), buf.size())) > 0;)
    out.append(buf, 0, n);
  return out;
}

struct Pending {
  std::string id, text, truth_line;
};

const char* kHeaders[] = {"Home | News | Sport | Weather | Contact us",
                          "Skip to main content. Menu. Search. Sign in.",
                          "Advertisement. Continue reading below."};
const char* kFooters[] = {
    "Share this article on Facebook, Twitter and email. Comments are closed.",
    "Copyright 2024 All rights reserved. Terms of use. Privacy policy. Cookie settings.",
    "Subscribe to our newsletter for more stories like this one, delivered every morning."};

std::string restyle(SplitMix& rng, const std::string& text) {
  std::string t = text;
  switch (rng.below(3)) {
    case 0:
      for (char& c : t)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      break;
    case 1: {
      std::string r;
      for (char c : t)
        r += c == ' ' ? std::string("  ") : std::string(1, c);
      t = r;
      break;
    }
    default:
      for (char& c : t)
        c = c == ' ' ? '\n' : c;
  }
  return t;
}

std::string near_copy(SplitMix& rng, const Markov& model, const std::string& text,
                      const std::vector<double>& rates, std::string& edit, double& rate) {
  std::vector<std::string> w = split_words(text);
  const int kind = static_cast<int>(rng.below(5));
  if (kind == 3) {
    edit = "boilerplate";
    rate = 0;
    return std::string(kHeaders[rng.below(3)]) + "\n" + text + "\n" + kFooters[rng.below(3)];
  }
  if (kind == 4) {
    edit = "truncate";
    rate = 0.1 * static_cast<double>(1 + rng.below(4));
    w.resize(std::max<std::size_t>(1, static_cast<std::size_t>(w.size() * (1 - rate))));
    return join(w);
  }
  rate = rates[rng.below(rates.size())];
  const std::size_t n = std::max<std::size_t>(1, static_cast<std::size_t>(w.size() * rate + 0.5));
  if (kind == 0) {
    edit = "substitute";
    for (std::size_t k = 0; k < n; ++k)
      w[rng.below(w.size())] = model.word(model.random_word(rng));
  } else if (kind == 1) {
    edit = "delete";
    for (std::size_t k = 0; k < n && w.size() > 1; ++k)
      w.erase(w.begin() + rng.below(w.size()));
  } else {
    edit = "insert";
    for (std::size_t k = 0; k < n; ++k) {
      w.insert(w.begin() + rng.below(w.size() + 1), model.word(model.random_word(rng)));
    }
  }
  return join(w);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> train;
  std::string out_path, truth_path;
  std::uint64_t size = 10'000'000, seed = 1;
  double exact_rate = 0.05, near_rate = 0.10;
  std::string lengths = "mixed";
  std::vector<double> edit_rates = {0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "gen_corpus: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--train") {
      train.push_back(val());
    } else if (a == "--out") {
      out_path = val();
    } else if (a == "--truth") {
      truth_path = val();
    } else if (a == "--size") {
      size = parse_size(val());
    } else if (a == "--seed") {
      seed = std::stoull(val());
    } else if (a == "--exact-rate") {
      exact_rate = std::stod(val());
    } else if (a == "--lengths") {
      lengths = val();
      if (lengths != "mixed" && lengths != "short" && lengths != "tiny") {
        std::fprintf(stderr, "gen_corpus: --lengths is mixed, short or tiny\n");
        return 2;
      }
    } else if (a == "--near-rate") {
      near_rate = std::stod(val());
    } else if (a == "--edit-rates") {
      edit_rates.clear();
      std::string v = val();
      for (std::size_t p = 0; p < v.size();) {
        std::size_t q = v.find(',', p);
        if (q == std::string::npos) q = v.size();
        edit_rates.push_back(std::stod(v.substr(p, q - p)));
        p = q + 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: gen_corpus --train FILE... --size N[K|M|G] --out FILE --truth FILE "
                   "[--seed S] [--lengths mixed|short|tiny] [--exact-rate R] [--near-rate R] "
                   "[--edit-rates a,b,...]\n");
      return 2;
    }
  }
  if (train.empty() || out_path.empty() || truth_path.empty()) {
    std::fprintf(stderr, "gen_corpus: --train, --out and --truth are required\n");
    return 2;
  }

  Markov model;
  simdjson::dom::parser parser;
  for (const auto& path : train) {
    const std::string all = read_all(path);
    std::size_t p = 0;
    while (p < all.size()) {
      std::size_t e = all.find('\n', p);
      if (e == std::string::npos) e = all.size();
      const std::string_view line(all.data() + p, e - p);
      p = e + 1;
      simdjson::dom::element doc;
      std::string_view text;
      if (!parser.parse(line.data(), line.size()).get(doc) && !doc["text"].get(text)) {
        model.train(text);
      } else {
        model.train(line);
      }
    }
  }
  model.build();
  std::fprintf(stderr, "gen_corpus: Markov model of %zu tokens, %zu words\n", model.tokens(),
               model.vocab_size());

  SplitMix rng{seed};
  io::OutputFile out(out_path), truth(truth_path);
  std::deque<std::pair<std::string, std::string>> recent;  // (id, text) of recent originals
  std::multimap<std::pair<std::uint64_t, std::uint64_t>, Pending> pending;  // (due, seq) -> copy
  std::uint64_t written_bytes = 0, originals = 0, planted = 0;
  std::string line;
  auto emit = [&](const std::string& id, const std::string& text) {
    line = "{\"id\":\"" + id + "\",\"text\":";
    append_json_string(line, text);
    line += "}\n";
    out.write(line);
    written_bytes += text.size();
  };
  auto plant = [&](const std::string& of, const std::string& source, const std::string& text,
                   const std::string& edit, double rate) {
    Pending c;
    c.id = of + "~" + std::to_string(planted);
    c.text = text;
    c.truth_line =
        "{\"id\":\"" + c.id + "\",\"of\":\"" + of + "\",\"edit\":\"" + edit + "\",\"rate\":";
    append_double(c.truth_line, rate);
    c.truth_line += ",\"jaccard\":";
    append_double(c.truth_line, std::round(true_jaccard(source, text) * 1e6) / 1e6);
    c.truth_line += "}\n";
    pending.emplace(std::make_pair(originals + 1 + rng.below(5000), planted++), std::move(c));
  };
  while (written_bytes < size) {
    while (!pending.empty() && pending.begin()->first.first <= originals) {
      emit(pending.begin()->second.id, pending.begin()->second.text);
      truth.write(pending.begin()->second.truth_line);
      pending.erase(pending.begin());
    }
    const double u = rng.uniform();
    const std::size_t words = lengths == "tiny"               ? 8 + rng.below(23)
                              : u < 0.4 || lengths == "short" ? 20 + rng.below(181)
                              : u < 0.9                       ? 200 + rng.below(1801)
                                                              : 2000 + rng.below(13001);
    std::string text;
    model.generate(rng, words, text);
    char idbuf[32];
    std::snprintf(idbuf, sizeof idbuf, "d%09llu", static_cast<unsigned long long>(originals));
    emit(idbuf, text);
    ++originals;
    recent.emplace_back(idbuf, std::move(text));
    if (recent.size() > 20000) recent.pop_front();
    if (rng.uniform() < exact_rate) {
      const auto& src = recent[rng.below(recent.size())];
      const bool verbatim = rng.below(2) == 0;
      plant(src.first, src.second, verbatim ? src.second : restyle(rng, src.second),
            verbatim ? "exact" : "restyled", 0);
    }
    if (rng.uniform() < near_rate) {
      const auto& src = recent[rng.below(recent.size())];
      std::string edit;
      double rate = 0;
      const std::string copy = near_copy(rng, model, src.second, edit_rates, edit, rate);
      plant(src.first, src.second, copy, edit, rate);
    }
  }
  for (auto& [key, c] : pending) {  // the size is reached: the rest now, in planting order
    emit(c.id, c.text);
    truth.write(c.truth_line);
  }
  out.commit();
  truth.commit();
  std::fprintf(stderr, "gen_corpus: %llu originals, %llu planted copies, %.1f MB of text\n",
               static_cast<unsigned long long>(originals), static_cast<unsigned long long>(planted),
               static_cast<double>(written_bytes) / 1e6);
  return 0;
}
