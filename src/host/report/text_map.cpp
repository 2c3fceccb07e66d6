#include "report/text_map.hpp"

#include <algorithm>
#include <unordered_set>

#include "text/utf8.hpp"

namespace dupscan::report {

void merge_ranges(std::vector<Range>& ranges) {
  ranges.erase(
      std::remove_if(ranges.begin(), ranges.end(), [](const Range& r) { return r.end <= r.begin; }),
      ranges.end());
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& x, const Range& y) { return x.begin < y.begin; });
  std::size_t out = 0;
  for (const Range& r : ranges) {
    if (out && r.begin <= ranges[out - 1].end) {
      ranges[out - 1].end = std::max(ranges[out - 1].end, r.end);
    } else {
      ranges[out++] = r;
    }
  }
  ranges.resize(out);
}

MappedText normalize_mapped(std::string_view text, const NormalizeOptions& options) {
  // normalize.hpp's rules, one code point at a time: word code points (and marks inside a word)
  // are kept, lowercased; space (and punct, when stripped) ends a word; drop is deleted; a mark
  // outside a word is deleted with the separator it extends.
  MappedText m;
  m.norm.reserve(text.size());
  m.from.reserve(text.size());
  m.to.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  bool in_word = false;
  std::uint32_t gap_begin = 0;  // where the separators after the last word began
  char buf[4];
  for (const unsigned char* q = p; q < end;) {
    const utf8::Decoded d = utf8::decode(q, end);
    const auto at = static_cast<std::uint32_t>(q - p);
    q += d.length;
    CharClass cls = char_class(d.cp);
    if (cls == CharClass::punct)
      cls = options.strip_punctuation ? CharClass::space : CharClass::word;
    if (cls == CharClass::mark) cls = in_word ? CharClass::word : CharClass::drop;
    if (cls == CharClass::drop) continue;
    if (cls == CharClass::space) {
      if (in_word) gap_begin = at;
      in_word = false;
      continue;
    }
    if (!in_word && !m.norm.empty()) {
      m.norm.push_back(' ');
      m.from.push_back(gap_begin);
      m.to.push_back(at);
    }
    in_word = true;
    const char32_t cp = options.lowercase ? simple_lowercase(d.cp) : d.cp;
    const char* e = utf8::encode(cp, buf);
    for (const char* c = buf; c < e; ++c) {
      m.norm.push_back(*c);
      m.from.push_back(at);
      m.to.push_back(static_cast<std::uint32_t>(q - p));
    }
  }
  m.exact = m.norm == normalize(text, options);
  return m;
}

namespace {

// Each shingle of a normalized text as a byte range of it.
std::vector<Range> shingle_ranges(const std::string& norm, const ShingleSpec& s) {
  std::vector<Range> out;
  const char* base = norm.data();
  for_each_shingle(base, norm.size(), s.kind, s.n, [&](const char* b, std::size_t len) {
    const auto begin = static_cast<std::uint32_t>(b - base);
    out.push_back({begin, begin + static_cast<std::uint32_t>(len)});
  });
  return out;
}

// Original byte ranges of the shingles of `x` found in `other_set`.
std::vector<Range> covered(const MappedText& x, const std::vector<Range>& shingles,
                           const std::unordered_set<std::string_view>& other_set,
                           std::size_t& hits) {
  std::vector<Range> norm_ranges;
  std::unordered_set<std::string_view> counted;
  for (const Range& r : shingles) {
    const std::string_view s(x.norm.data() + r.begin, r.end - r.begin);
    if (!other_set.count(s)) continue;
    norm_ranges.push_back(r);
    counted.insert(s);
  }
  hits = counted.size();
  merge_ranges(norm_ranges);
  std::vector<Range> out;
  out.reserve(norm_ranges.size());
  for (const Range& r : norm_ranges)
    out.push_back({x.from[r.begin], x.to[r.end - 1]});
  merge_ranges(out);
  return out;
}

}  // namespace

SharedShingles shared_shingles(const MappedText& a, const MappedText& b, const ShingleSpec& s) {
  SharedShingles out;
  const std::vector<Range> ra = shingle_ranges(a.norm, s), rb = shingle_ranges(b.norm, s);
  std::unordered_set<std::string_view> sa, sb;
  for (const Range& r : ra)
    sa.emplace(a.norm.data() + r.begin, r.end - r.begin);
  for (const Range& r : rb)
    sb.emplace(b.norm.data() + r.begin, r.end - r.begin);
  out.a_set = sa.size();
  out.b_set = sb.size();
  std::size_t hits_b = 0;
  out.a = covered(a, ra, sb, out.shared);
  out.b = covered(b, rb, sa, hits_b);
  return out;
}

Range janitor_range(const JanitorWords& w, std::size_t first, std::size_t count) {
  if (count == 0 || first + count > w.size()) return {};
  return {w.raw_begin[first], w.raw_end[first + count - 1]};
}

std::size_t prefix_bytes(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (utf8::is_lead(static_cast<unsigned char>(text[i])) && chars++ == max_chars) return i;
  }
  return text.size();
}

std::size_t count_chars(std::string_view text) {
  std::size_t n = 0;
  for (char c : text)
    n += utf8::is_lead(static_cast<unsigned char>(c));
  return n;
}

namespace {
// UTF-16 units of the code point led by byte b: 2 for 4-byte sequences, else 1; 0 for a
// continuation byte.
unsigned units(unsigned char b) {
  if (!utf8::is_lead(b)) return 0;
  return b >= 0xF0 ? 2 : 1;
}
}  // namespace

std::uint32_t utf16_length(std::string_view text) {
  std::uint32_t n = 0;
  for (char c : text)
    n += units(static_cast<unsigned char>(c));
  return n;
}

void to_utf16(std::string_view text, std::vector<Range>& ranges) {
  const auto size = static_cast<std::uint32_t>(text.size());
  auto snap = [&](std::uint32_t at) {  // back to the lead byte of its code point
    at = std::min(at, size);
    while (at > 0 && at < size && !utf8::is_lead(static_cast<unsigned char>(text[at])))
      --at;
    return at;
  };
  std::uint32_t byte = 0, unit = 0;
  auto advance = [&](std::uint32_t to) {
    for (; byte < to; ++byte)
      unit += units(static_cast<unsigned char>(text[byte]));
    return unit;
  };
  std::size_t out = 0;
  for (const Range& r : ranges) {
    const std::uint32_t b = snap(r.begin), e = snap(r.end);
    if (e <= b || b < byte) continue;
    const std::uint32_t ub = advance(b);
    const std::uint32_t ue = advance(e);
    ranges[out++] = {ub, ue};
  }
  ranges.resize(out);
}

}  // namespace dupscan::report
