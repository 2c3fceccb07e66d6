// The canary check (canary.hpp): built-in documents through a device backend and the CPU backend,
// every stage compared bit for bit.
#include "sketch/canary.hpp"

#include <xxhash.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "dupscan/errors.hpp"

namespace dupscan {

std::string CanaryReport::failure() const {
  return "the " + (device.empty() ? std::string("device") : device) +
         " backend failed its canary check at " + stage + ": " + difference;
}

namespace canary {
namespace {

// Words of the canary: ASCII and 2-, 3- and 4-byte UTF-8, lower case as normalization leaves
// them.
const char* const kWords[] = {"the",    "of",     "and",   "data",   "model", "token",  "river",
                              "stone",  "light",  "seven", "number", "paper", "garden", "window",
                              "silver", "a",      "i",     "x",      "café",  "naïve",  "über",
                              "straße", "ελλάδα", "мир",   "東京",   "数据",  "😀",      "naïf",
                              "ﬁn",     "日本語", "z",     "q",      "ab",    "dé",     "𝒳𝒴"};
constexpr std::size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);

// splitmix64: a fixed sequence, so that the documents are the same in every run.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

std::size_t code_points(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A normalized text of exactly `units` words (word shingles) or code points (char shingles).
std::string text_of(std::size_t units, ShingleKind kind, Rng& rng) {
  std::string t;
  if (kind == ShingleKind::word) {
    for (std::size_t i = 0; i < units; ++i) {
      if (i) t += ' ';
      t += kWords[rng.next() % kWordCount];
    }
    return t;
  }
  std::size_t have = 0;
  while (have < units) {
    const std::string w = (have ? " " : "") + std::string(kWords[rng.next() % kWordCount]);
    const std::size_t n = code_points(w);
    if (have + n <= units) {
      t += w;
      have += n;
    } else {
      t += std::string(units - have, 'k');  // one-byte code points fill the rest
      have = units;
    }
  }
  if (!t.empty() && t.back() == ' ') t.back() = 'k';
  return t;
}

// The text with every `every`-th word (or code point run) replaced: a near copy.
std::string near_copy(std::string t, std::size_t every) {
  std::size_t word = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (i == 0 || t[i - 1] == ' ') {
      // ASCII bytes only, so that the text stays valid UTF-8.
      const bool ascii = (static_cast<unsigned char>(t[i]) & 0x80) == 0;
      if (++word % every == 0 && ascii && t[i] != ' ') t[i] = t[i] == 'w' ? 'v' : 'w';
    }
  }
  return t;
}

using Clock = std::chrono::steady_clock;

// One stage's comparison: records the stage, and on a difference the report's failure.
struct Checker {
  CanaryReport& r;
  bool check(const char* stage, const std::string& difference) {
    if (r.checked.empty() || r.checked.back() != stage) r.checked.push_back(stage);
    if (difference.empty()) return true;
    r.status = "failed";
    r.stage = stage;
    r.difference = difference;
    return false;
  }
};

}  // namespace

bool disabled() {
  const char* v = std::getenv("DUPSCAN_CANARY");
  return v && std::strcmp(v, "off") == 0;
}

void write_backend_json(JsonWriter& w, const std::string& backend, const std::string& asked,
                        const CanaryReport& canary) {
  w.field("backend", backend);
  w.field("backend_asked", asked);
  w.key("canary").begin_object();
  w.field("status", canary.status);
  if (!canary.device.empty()) w.field("device", canary.device);
  w.key("checked").begin_array();
  for (const std::string& s : canary.checked)
    w.value(s);
  w.end_array();
  if (canary.failed()) {
    w.field("stage", canary.stage);
    w.field("difference", canary.difference);
  }
  if (canary.left_out_from_bytes) {
    w.field("left_out_from_bytes", std::uint64_t{canary.left_out_from_bytes});
  }
  w.field("milliseconds", canary.milliseconds);
  w.end_object();
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string words(std::size_t words, std::uint64_t seed) {
  Rng rng{seed};
  return text_of(words, ShingleKind::word, rng);
}

NormalizedBatch documents(const ShingleSpec& shingle) {
  Rng rng{0xCA7A7Dull + shingle.n * 2 + (shingle.kind == ShingleKind::word)};
  const std::size_t n = shingle.n;
  NormalizedBatch b;
  b.add("");
  // One unit short of a shingle (one shingle: the whole text), then exactly one shingle.
  if (n > 1) b.add(text_of(n - 1, shingle.kind, rng));
  // Shingle counts around a warp (32), a block (128), a tile (256) and a chunk (2048), and one
  // document over three chunks.
  for (std::size_t s : {1, 2, 31, 32, 33, 127, 128, 129, 255, 256, 257, 2047, 2048, 2049, 5000})
    b.add(text_of(s + n - 1, shingle.kind, rng));
  // Short documents sharing a block.
  for (std::size_t s = 1; s <= 12; ++s)
    b.add(text_of(s + n - 1, shingle.kind, rng));
  // Exact copies (exact groups; every band shared: candidate pairs) and near copies.
  const std::string dup = text_of(100 + n - 1, shingle.kind, rng);
  const std::string near = text_of(400 + n - 1, shingle.kind, rng);
  b.add(dup);
  b.add(near);
  b.add(dup);
  b.add(near_copy(near, 40));
  b.add(near_copy(near, 25));
  b.add(dup);
  return b;
}

namespace {

// The batch's documents [first, last) as a batch of their own.
NormalizedBatch slice(const NormalizedBatch& b, std::size_t first, std::size_t last) {
  NormalizedBatch s;
  for (std::size_t i = first; i < last; ++i)
    s.add(b.doc(i));
  return s;
}

// Sketches of both halves of `docs`, submitted together (two batches in flight), concatenated.
SketchBatch sketch_halves(Sketcher& be, const NormalizedBatch& a, const NormalizedBatch& b,
                          bool signatures) {
  SketchBatch ra, rb;
  const Sketcher::Ticket ta = be.submit(a, signatures, ra);
  Sketcher::Ticket tb = 0;
  try {
    tb = be.submit(b, signatures, rb);
  } catch (...) {
    be.wait(ta);
    throw;
  }
  be.wait(ta);
  be.wait(tb);
  SketchBatch all = std::move(ra);
  all.signatures.insert(all.signatures.end(), rb.signatures.begin(), rb.signatures.end());
  all.signatures64.insert(all.signatures64.end(), rb.signatures64.begin(), rb.signatures64.end());
  all.band_keys.insert(all.band_keys.end(), rb.band_keys.begin(), rb.band_keys.end());
  all.shingle_counts.insert(all.shingle_counts.end(), rb.shingle_counts.begin(),
                            rb.shingle_counts.end());
  return all;
}

std::string compare_sketches(const SketchBatch& cpu, const SketchBatch& dev, std::uint32_t k,
                             std::uint32_t bands) {
  // "document 3 (129 shingles) band key 5".
  auto per_doc = [&cpu](const char* what, std::uint32_t width) {
    return [&cpu, what, width](std::size_t i) {
      const std::size_t d = i / width;
      return "document " + std::to_string(d) + " (" +
             std::to_string(d < cpu.shingle_counts.size() ? cpu.shingle_counts[d] : 0) +
             " shingles) " + what + " " + std::to_string(i % width);
    };
  };
  std::string d = first_difference(cpu.shingle_counts, dev.shingle_counts, [](std::size_t i) {
    return "document " + std::to_string(i) + " shingle count";
  });
  if (d.empty()) d = first_difference(cpu.signatures, dev.signatures, per_doc("signature", k));
  if (d.empty()) {
    d = first_difference(cpu.signatures64, dev.signatures64, per_doc("signature", k));
  }
  if (d.empty()) d = first_difference(cpu.band_keys, dev.band_keys, per_doc("band key", bands));
  return d;
}

}  // namespace

namespace {

// The documents of `all` under `limit` bytes.
NormalizedBatch under(const NormalizedBatch& all, std::size_t limit) {
  NormalizedBatch b;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all.doc(i).size() < limit) b.add(all.doc(i));
  }
  return b;
}

// check_backend's comparisons on `docs`; `r` says how far they got.
void compare_backends(Backend& device, const SketchParams& params, const NormalizedBatch& docs,
                      CanaryReport& r) {
  Checker c{r};
  const std::size_t n = docs.size(), half = n / 2;
  const NormalizedBatch a = slice(docs, 0, half), b = slice(docs, half, n);
  std::unique_ptr<Backend> cpu = make_cpu_backend(params);
  const std::uint32_t k = params.num_perm(), bands = params.lsh.bands;

  const SketchBatch ref = sketch_halves(*cpu, a, b, true);
  if (!c.check("sketch", compare_sketches(ref, sketch_halves(device, a, b, true), k, bands))) {
    return;
  }
  // Without signatures: band keys and shingle counts only (what a verified run asks for).
  SketchBatch ref_keys = ref, dev_keys;
  ref_keys.signatures.clear();
  ref_keys.signatures64.clear();
  device.sketch(docs, dev_keys, false);
  if (!c.check("sketch", compare_sketches(ref_keys, dev_keys, k, bands))) return;

  FlatSets ref_sets, dev_sets;
  cpu->verification_sets(docs, ref_sets);
  device.verification_sets(docs, dev_sets);
  std::string d = first_difference(ref_sets.offsets, dev_sets.offsets,
                                   [](std::size_t i) { return "set offset " + std::to_string(i); });
  if (d.empty()) {
    d = first_difference(ref_sets.values, dev_sets.values,
                         [](std::size_t i) { return "set value " + std::to_string(i); });
  }
  if (!c.check("verification sets", d)) return;

  std::vector<XXH128_hash_t> hashes(n);
  std::vector<std::uint8_t> empty(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string_view t = docs.doc(i);
    hashes[i] = XXH3_128bits(t.data(), t.size());
    empty[i] = t.empty();
  }
  std::vector<std::uint32_t> ref_rep(n), dev_rep(n);
  cpu->exact_representatives(hashes.data(), empty.data(), n, ref_rep.data());
  device.exact_representatives(hashes.data(), empty.data(), n, dev_rep.data());
  if (!c.check("exact groups", first_difference(ref_rep, dev_rep, [](std::size_t i) {
                 return "representative of document " + std::to_string(i);
               }))) {
    return;
  }

  // The LSH documents: the non-empty ones; the stage runs over the CPU's band keys (the sketch
  // was compared above).
  std::vector<std::uint32_t> lsh_docs;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!empty[i]) lsh_docs.push_back(i);
  }
  for (std::uint32_t first_new : {0u, static_cast<std::uint32_t>(half)}) {
    const auto ref_pairs =
        cpu->candidate_pairs(ref.band_keys.data(), bands, lsh_docs, first_new, 1);
    const auto dev_pairs =
        device.candidate_pairs(ref.band_keys.data(), bands, lsh_docs, first_new, 1);
    if (!c.check("candidate pairs", first_difference(ref_pairs, dev_pairs, [](std::size_t i) {
                   return "pair " + std::to_string(i) + " (u << 32 | v)";
                 }))) {
      return;
    }
  }
}

}  // namespace

CanaryReport check_backend(Backend& device, const SketchParams& params) {
  const auto t0 = Clock::now();
  CanaryReport r;
  r.device = device.name();
  const NormalizedBatch all = documents(params.shingle);
  // A document the device cannot take under its memory budget is no fault of its bits: the
  // check goes on without the documents of that size and more, and says so.
  for (std::size_t limit = SIZE_MAX;;) {
    r.status = "passed";
    r.checked.clear();
    try {
      compare_backends(device, params, under(all, limit), r);
      break;
    } catch (const DocumentTooLarge& e) {
      if (e.bytes >= limit || under(all, e.bytes).size() < 8) throw;
      limit = e.bytes;
      r.left_out_from_bytes = limit;
    }
  }
  r.milliseconds = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return r;
}

}  // namespace canary
}  // namespace dupscan
