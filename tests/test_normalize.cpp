// The normalizer against its specification (normalize.hpp) and against golden texts produced by a
// second, independent implementation (scripts/gen_golden.py).
#include <cstdio>
#include <random>

#include "dupscan/normalize.hpp"
#include "test_util.hpp"
#include "text/normalize_internal.hpp"

namespace dupscan {
namespace {

const NormalizeOptions kDefault{};
const NormalizeOptions kKeepCase{false, true};
const NormalizeOptions kKeepPunct{true, false};
const NormalizeOptions kRaw{false, false};

TEST(Normalize, DefaultLowercasesSplitsOnPunctuationCollapsesSpace) {
  EXPECT_EQ(normalize("  Hello,   World!\n\tIt's  NICE.  "), "hello world it s nice");
  EXPECT_EQ(normalize("e-mail: a@b.com (x+y=z)"), "e mail a b com x y z");
  EXPECT_EQ(normalize(""), "");
  EXPECT_EQ(normalize(" \t\r\n "), "");
  EXPECT_EQ(normalize("!!! ... ---"), "");
  EXPECT_EQ(normalize("one"), "one");
}

TEST(Normalize, Options) {
  EXPECT_EQ(normalize("Don't STOP, now.", kKeepCase), "Don t STOP now");
  EXPECT_EQ(normalize("Don't STOP, now.", kKeepPunct), "don't stop, now.");
  EXPECT_EQ(normalize("Don't  STOP, now.", kRaw), "Don't STOP, now.");
  EXPECT_EQ(kDefault.describe(), "lowercase,strip-punct");
  EXPECT_EQ(kRaw.describe(), "keep-case,keep-punct");
}

TEST(Normalize, UnicodeCaseAndClasses) {
  EXPECT_EQ(normalize("ΣΊΣΥΦΟΣ"), "σίσυφοσ");  // simple mapping: no final sigma
  EXPECT_EQ(normalize("İstanbul IŞIK"), "istanbul işik");
  EXPECT_EQ(normalize("ẞ STRASSE Grüße"), "ß strasse grüße");
  EXPECT_EQ(normalize("Съешь ЖЕ"), "съешь же");
  EXPECT_EQ(normalize("東京都。人口"), "東京都 人口");        // CJK punctuation separates
  EXPECT_EQ(normalize("a\u00a0b\u3000c\u2028d"), "a b c d");  // Unicode spaces
  EXPECT_EQ(normalize("co\u00adop zero\u200bwidth \ufeffbom"), "coop zerowidth bom");  // Cf dropped
  EXPECT_EQ(normalize(std::string_view("nul\0byte", 8)), "nul byte");  // Cc separates
  EXPECT_EQ(normalize("I \u2764\ufe0f data \U0001F680!"), "i data");   // symbols separate
  EXPECT_EQ(normalize("Cafe\u0301"), "cafe\u0301");     // combining marks stay in the word
  EXPECT_EQ(normalize("\u0301abc !\u0301x"), "abc x");  // ... and go with a separator
  EXPECT_EQ(normalize("!\u0301x", kKeepPunct), "!\u0301x");
  EXPECT_EQ(char_class(0x0301), CharClass::mark);
  EXPECT_EQ(normalize("x\u00b2 \u0663\u0664 \u2167"), "x\u00b2 \u0663\u0664 \u2177");  // numbers
}

TEST(Normalize, InvalidUtf8BecomesReplacementCharacterPerMaximalSubpart) {
  // U+FFFD is a symbol: a separator by default, a word character with --keep-punct.
  EXPECT_EQ(normalize("a\xff"
                      "b"),
            "a b");
  EXPECT_EQ(normalize("a\xff"
                      "b",
                      kKeepPunct),
            "a\uFFFDb");
  EXPECT_EQ(normalize("x\xe2\x82"
                      "y",
                      kKeepPunct),
            "x\uFFFDy");  // truncated: one
  EXPECT_EQ(normalize("x\xf0\x80\x80"
                      "y",
                      kKeepPunct),
            "x\uFFFD\uFFFD\uFFFDy");  // overlong: 3
  EXPECT_EQ(normalize("x\xed\xa0\x80"
                      "y",
                      kKeepPunct),
            "x\uFFFD\uFFFD\uFFFDy");  // surrogate
  EXPECT_EQ(normalize("x\xf4\x90\x80\x80"
                      "y",
                      kKeepPunct),
            "x\uFFFD\uFFFD\uFFFD\uFFFDy");  // above U+10FFFF
  EXPECT_EQ(normalize("x\xe0\x80"
                      "y",
                      kKeepPunct),
            "x\uFFFD\uFFFDy");
  EXPECT_EQ(normalize("\xc3", kKeepPunct), "\uFFFD");  // truncated at the end
  EXPECT_EQ(normalize("\xc3\xa9t\xc3\xa9", kKeepPunct), "été");
}

TEST(Normalize, TablesAreUnicode14) {
  EXPECT_STREQ(unicode_version(), "14.0.0");
  EXPECT_EQ(char_class(U'a'), CharClass::word);
  EXPECT_EQ(char_class(U' '), CharClass::space);
  EXPECT_EQ(char_class(U'\t'), CharClass::space);
  EXPECT_EQ(char_class(U','), CharClass::punct);
  EXPECT_EQ(char_class(U'$'), CharClass::punct);
  EXPECT_EQ(char_class(0x00AD), CharClass::drop);
  EXPECT_EQ(char_class(0x10FFFF), CharClass::word);  // unassigned (Cn)
  EXPECT_EQ(simple_lowercase(U'A'), U'a');
  EXPECT_EQ(simple_lowercase(0x0130), U'i');
  EXPECT_EQ(simple_lowercase(0x1E9E), U'\u00df');
  EXPECT_EQ(simple_lowercase(0x10400), char32_t{0x10428});  // Deseret, 4-byte UTF-8
}

TEST(Normalize, MatchesGoldenTextsFromSecondImplementation) {
  simdjson::dom::parser parser;
  const std::string text = test::read_file(test::test_data("golden_sketches.jsonl"));
  std::size_t checked = 0;
  for (const std::string& line : test::lines_of(text)) {
    auto rec = test::parse_json(parser, line);
    if (rec["meta"].error() == simdjson::SUCCESS) continue;
    std::string raw;
    std::string_view s;
    if (!rec["raw"].get(s)) {
      raw = std::string(s);
    } else {
      const std::string_view hex = rec["raw_hex"];
      for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        raw.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
      }
    }
    const NormalizeOptions opt{bool(rec["lowercase"]), bool(rec["strip_punct"])};
    std::string out;
    const std::size_t words = normalize(raw, opt, out);
    EXPECT_EQ(out, std::string_view(rec["normalized"]))
        << std::string_view(rec["name"]) << " / " << std::string_view(rec["config"]);
    EXPECT_EQ(words, std::uint64_t(rec["words"])) << std::string_view(rec["name"]);
    ++checked;
  }
  EXPECT_GE(checked, 150u);
}

TEST(Normalize, RandomBytesGiveValidUtf8AndNormalizingTwiceChangesNothing) {
  std::mt19937 rng(99);
  const char pieces[][5] = {"a",
                            "Z",
                            " ",
                            ".",
                            "\xc3\xa9",
                            "\xce\xa3",
                            "\xe2\x80\x8b",
                            "\xff",
                            "\xe2\x82",
                            "\xf0\x9f\x98\x80",
                            "\x00",
                            "\t",
                            "\xc2\xa0",
                            "\xed\xa0"};
  for (int t = 0; t < 3000; ++t) {
    std::string in;
    const int n = static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      const char* p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
      in.append(p, p[0] == '\0' ? 1 : std::char_traits<char>::length(p));
    }
    for (const NormalizeOptions& opt : {kDefault, kKeepCase, kKeepPunct, kRaw}) {
      const std::string once = normalize(in, opt);
      ASSERT_TRUE(simdjson::validate_utf8(once.data(), once.size()));
      ASSERT_EQ(normalize(once, opt), once);
      ASSERT_TRUE(once.empty() || (once.front() != ' ' && once.back() != ' '));
      ASSERT_EQ(once.find("  "), std::string::npos);
    }
  }
}

TEST(Normalize, LargeInputGrowsOutputSafely) {
  // Ill-formed bytes expand 1 -> 3 with --keep-punct: the writer must grow past its first guess.
  const std::string in(100000, '\xff');
  const std::string out = normalize(in, kKeepPunct);
  EXPECT_EQ(out.size(), 300000u);
}

TEST(Normalize, VectorPathsMatchScalarPath) {
  const auto paths = detail::normalize_paths();
  if (paths.size() < 2) GTEST_SKIP() << "this CPU has no AVX2: one path only";
  std::printf("normalizer paths on this CPU:");
  for (SimdPath p : paths)
    std::printf(" %s", simd_path_name(p));
  std::printf("\n");
  std::mt19937 rng(7);
  // Long ASCII runs (every byte 0..127, runs of separators, capitals) cut by non-ASCII pieces and
  // ill-formed bytes at random places, lengths across the 32- and 64-byte steps and 4096-byte
  // chunks.
  const char* other[] = {"\xc3\x89", "\xe2\x80\x8b",     "\xcc\x81", "\xff",
                         "\xe2\x82", "\xf0\x9f\x98\x80", "\xc2\xa0", "\xce\xa3"};
  std::size_t compared = 0;
  for (int t = 0; t < 4000; ++t) {
    std::string in;
    const std::size_t n = t < 3000 ? rng() % 300 : rng() % 12000;
    const int style = static_cast<int>(rng() % 4);
    while (in.size() < n) {
      const unsigned r = rng() % 1000;
      if (r < 4) {
        in += other[rng() % 8];
      } else if (style == 0 || r < 100) {
        in.push_back(static_cast<char>(rng() % 128));  // any ASCII byte, controls included
      } else if (r < 300) {
        in.append(1 + rng() % 3, " ,.\n-'!\t"[rng() % 8]);
      } else {
        in.push_back(static_cast<char>((rng() % 2 ? 'a' : 'A') + rng() % 26));
      }
    }
    for (const NormalizeOptions& opt : {kDefault, kKeepCase, kKeepPunct, kRaw}) {
      std::string scalar;
      const std::size_t ws = detail::normalize_with(in, opt, scalar, SimdPath::scalar);
      for (std::size_t i = 1; i < paths.size(); ++i) {
        std::string vector;
        const std::size_t wv = detail::normalize_with(in, opt, vector, paths[i]);
        ASSERT_EQ(vector, scalar) << simd_path_name(paths[i]) << " test " << t << " "
                                  << opt.describe();
        ASSERT_EQ(wv, ws) << simd_path_name(paths[i]) << " test " << t;
        ++compared;
      }
      // normalize_into() on every path, in exactly the room it asks for (a sanitizer build
      // catches a write past it): the same bytes and words.
      for (SimdPath path : paths) {
        std::vector<char> room(normalized_bound(in.size()));
        std::size_t words = 0;
        const std::size_t n = detail::normalize_into_with(in, opt, room.data(), path, &words);
        ASSERT_EQ(std::string(room.data(), n), scalar) << simd_path_name(path) << " test " << t;
        ASSERT_EQ(words, ws) << simd_path_name(path) << " test " << t;
      }
    }
  }
  EXPECT_EQ(compared, 16000u * (paths.size() - 1));
}

// Three output bytes per input byte (ill-formed bytes become U+FFFD): normalized_bound's worst
// case, met, and the words counted.
TEST(Normalize, IntoItsBoundHoldsTheWorstCase) {
  for (std::size_t n : {0, 1, 2, 63, 64, 65, 4095, 4096, 4097, 100000}) {
    const std::string in(n, '\xff');
    std::vector<char> room(normalized_bound(n));
    std::size_t words = 7;
    const std::size_t w = normalize_into(in, kKeepPunct, room.data(), &words);
    EXPECT_EQ(w, 3 * n) << n;
    EXPECT_EQ(std::string(room.data(), w), normalize(in, kKeepPunct)) << n;
    EXPECT_EQ(words, n ? 1u : 0u) << n;
  }
}

}  // namespace
}  // namespace dupscan
