// `dupscan report` and `--html`: the page of a dedup run over the example corpus and of a contam
// run over the real benchmarks in it, rendered in headless Chromium (no console or page error,
// a screenshot that is not blank, the counts and the ids the documented rules choose in the DOM,
// a working search); a file that references nothing on a network; a 10 M-document run giving a
// page of a few MB; changed inputs as errors; and the text mapping behind the highlights.
//
// The browser tests need Debian's chromium (scripts/install-deps.sh installs it); without it they
// are skipped, saying so, unless DUPSCAN_CHROMIUM_REQUIRED=1 (scripts/test.sh) makes that a
// failure.
#include <xxhash.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "dupscan/contam.hpp"
#include "dupscan/normalize.hpp"
#include "examples.hpp"
#include "io/io.hpp"
#include "report/text_map.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

using test::shell_quote;
using test::TempDir;

// ---- the browser
// ----------------------------------------------------------------------------------

std::string chromium_bin() {
  const char* env = std::getenv("DUPSCAN_CHROMIUM");
  if (env && *env) return ::access(env, X_OK) == 0 ? env : "";
  for (const char* name : {"chromium", "chromium-browser"}) {
    const auto r = test::run_shell(std::string("command -v ") + name);
    if (r.exit_code == 0 && !r.out.empty()) return r.out.substr(0, r.out.find('\n'));
  }
  return {};
}

#define REQUIRE_CHROMIUM()                                                                     \
  do {                                                                                         \
    if (chromium_bin().empty()) {                                                              \
      const char* req = std::getenv("DUPSCAN_CHROMIUM_REQUIRED");                              \
      if (req && std::string(req) == "1") {                                                    \
        FAIL() << "chromium not found and DUPSCAN_CHROMIUM_REQUIRED=1";                        \
      }                                                                                        \
      GTEST_SKIP() << "chromium not found: the page is not rendered (scripts/install-deps.sh " \
                      "installs Debian's chromium)";                                           \
    }                                                                                          \
  } while (0)

struct Png {
  unsigned width = 0, height = 0;
  std::vector<std::uint8_t> rgb;  // 3 bytes a pixel
};

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (std::uint32_t(std::uint8_t(s[at])) << 24) |
         (std::uint32_t(std::uint8_t(s[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(s[at + 2])) << 8) | std::uint32_t(std::uint8_t(s[at + 3]));
}

// A PNG as Chromium writes screenshots: 8-bit RGB or RGBA, not interlaced.
Png decode_png(const std::string& file) {
  Png png;
  if (file.size() < 8 || file.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) return png;
  std::string idat;
  unsigned channels = 0;
  for (std::size_t at = 8; at + 8 <= file.size();) {
    const std::uint32_t len = be32(file, at);
    const std::string type = file.substr(at + 4, 4);
    const std::size_t data = at + 8;
    if (type == "IHDR") {
      png.width = be32(file, data);
      png.height = be32(file, data + 4);
      const int depth = std::uint8_t(file[data + 8]), color = std::uint8_t(file[data + 9]);
      if (depth != 8 || (color != 2 && color != 6) || file[data + 12] != 0) return Png{};
      channels = color == 6 ? 4 : 3;
    } else if (type == "IDAT") {
      idat.append(file, data, len);
    }
    at = data + len + 4;
  }
  if (!channels) return Png{};
  const std::size_t stride = std::size_t{png.width} * channels;
  std::vector<std::uint8_t> raw((stride + 1) * png.height);
  uLongf raw_len = raw.size();
  if (uncompress(raw.data(), &raw_len, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      raw_len != raw.size()) {
    return Png{};
  }
  std::vector<std::uint8_t> prev(stride, 0), cur(stride);
  png.rgb.reserve(std::size_t{png.width} * png.height * 3);
  for (unsigned y = 0; y < png.height; ++y) {
    const std::uint8_t* row = raw.data() + y * (stride + 1);
    const int filter = row[0];
    for (std::size_t i = 0; i < stride; ++i) {
      const int a = i >= channels ? cur[i - channels] : 0, b = prev[i],
                c = i >= channels ? prev[i - channels] : 0;
      int v = row[1 + i];
      if (filter == 1) v += a;
      if (filter == 2) v += b;
      if (filter == 3) v += (a + b) / 2;
      if (filter == 4) {
        const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      cur[i] = static_cast<std::uint8_t>(v);
    }
    for (unsigned x = 0; x < png.width; ++x)
      for (unsigned k = 0; k < 3; ++k)
        png.rgb.push_back(cur[x * channels + k]);
    std::swap(prev, cur);
  }
  return png;
}

struct Rendered {
  std::string dom, log;
  Png shot;
  double seconds = 0;
};

// Opens `url` in headless Chromium: the DOM after the page's scripts ran, the browser's log
// (console messages included) and a screenshot of the first `height` pixels.
Rendered render(const std::string& url, const TempDir& dir, int height = 1600) {
  const std::string shot = dir / "shot.png";
  std::remove(shot.c_str());
  const std::string cmd = "timeout 90 " + shell_quote(chromium_bin()) +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage"
                          " --hide-scrollbars --no-first-run --user-data-dir=" +
                          shell_quote(dir / "profile") + " --window-size=1280," +
                          std::to_string(height) + " --screenshot=" + shell_quote(shot) +
                          " --enable-logging=stderr --v=0 --dump-dom " + shell_quote(url) + " >" +
                          shell_quote(dir / "dom.html") + " 2>" + shell_quote(dir / "browser.log");
  const auto t0 = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  Rendered r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(status, 0) << cmd;
  r.dom = test::read_file(dir / "dom.html");
  r.log = test::read_file(dir / "browser.log");
  if (test::file_exists(shot)) r.shot = decode_png(test::read_file(shot));
  return r;
}

std::string file_url(const std::string& path) {
  return "file://" + path;
}

// No console message, no error the page recorded, and the page says it finished rendering.
void expect_clean(const Rendered& r, const std::string& command) {
  for (const std::string& line : test::lines_of(r.log)) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << "console message: " << line;
  }
  EXPECT_NE(r.dom.find("<pre id=\"report-errors\" hidden=\"\"></pre>"), std::string::npos)
      << "the page recorded errors:\n"
      << r.dom.substr(std::min(r.dom.size(), r.dom.find("id=\"report-errors\"")), 2000);
  EXPECT_NE(r.dom.find("data-rendered=\"" + command + "\""), std::string::npos)
      << "the page's script did not finish";
}

// A screenshot with content: many colours and a good share of pixels off the background.
void expect_not_blank(const Png& png) {
  ASSERT_GT(png.width, 100u) << "no screenshot, or not a PNG this test reads";
  std::map<std::uint32_t, std::size_t> colors;
  const std::size_t pixels = std::size_t{png.width} * png.height;
  for (std::size_t i = 0; i < pixels; ++i) {
    const std::uint32_t c =
        (png.rgb[3 * i] >> 3) << 10 | (png.rgb[3 * i + 1] >> 3) << 5 | (png.rgb[3 * i + 2] >> 3);
    ++colors[c];
  }
  std::size_t background = 0;
  for (const auto& [c, n] : colors)
    background = std::max(background, n);
  EXPECT_GE(colors.size(), 40u) << "the screenshot has hardly any colours: blank?";
  EXPECT_GT(static_cast<double>(pixels - background) / static_cast<double>(pixels), 0.05)
      << "the screenshot is almost all one colour: blank?";
}

std::string attr(const std::string& name, const std::string& value) {
  std::string v;
  for (char c : value) {
    if (c == '"')
      v += "&quot;";
    else if (c == '&')
      v += "&amp;";
    else
      v += c;
  }
  return name + "=\"" + v + "\"";
}

std::size_t count(const std::string& hay, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1))
    ++n;
  return n;
}

std::string unescape_html(std::string s) {
  const std::pair<const char*, const char*> ents[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}};
  for (const auto& [from, to] : ents) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + 1))
      s.replace(at, std::string(from).size(), to);
  }
  return s;
}

// The start tag of the element carrying this attribute.
std::string tag_with(const std::string& dom, const std::string& a) {
  const auto at = dom.find(a);
  if (at == std::string::npos) return {};
  const auto open = dom.rfind('<', at);
  return dom.substr(open, dom.find('>', at) - open + 1);
}

// The texts of the <mark> elements of a rendered page, in order.
std::vector<std::string> marks(const std::string& dom) {
  std::vector<std::string> out;
  for (auto at = dom.find("<mark>"); at != std::string::npos; at = dom.find("<mark>", at + 1)) {
    const auto b = at + 6;
    out.push_back(dom.substr(b, dom.find("</mark>", b) - b));
  }
  return out;
}

// ---- outputs, read the test's own way
// -------------------------------------------------------------

struct DupRow {
  std::string id_json, id, kept;
  std::uint64_t cluster = 0;
  bool exact = false;
  double jaccard = 0;
};

std::vector<DupRow> read_duplicates(const std::string& path) {
  std::vector<DupRow> rows;
  simdjson::dom::parser p;
  for (const std::string& line : test::lines_of(test::read_file(path))) {
    auto e = test::parse_json(p, line);
    DupRow r;
    r.id_json = simdjson::minify(e["id"]);
    r.id = test::str(e["id"]);
    r.kept = test::str(e["duplicate_of"]);
    r.cluster = std::uint64_t(e["cluster"]);
    r.exact = test::str(e["kind"]) == "exact";
    r.jaccard = double(e["jaccard"]);
    rows.push_back(r);
  }
  return rows;
}

// ---- dedup
// ----------------------------------------------------------------------------------------

TEST(Report, DedupPageOfTheExampleCorpusInChromium) {
  REQUIRE_CHROMIUM();
  TempDir dir;
  const auto run =
      test::run_dupscan("dedup " + shell_quote(std::string(DUPSCAN_EXAMPLES) + "/corpus.jsonl.gz") +
                        " -o " + shell_quote(dir / "out") + " --html");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = dir / "out/report.html";
  ASSERT_TRUE(test::file_exists(page));
  EXPECT_NE(run.err.find("dupscan report: " + page), std::string::npos) << run.err;

  // What the documented rules choose, computed here from the outputs.
  const std::vector<DupRow> dups = read_duplicates(dir / "out/duplicates.jsonl");
  std::vector<std::pair<std::uint64_t, std::uint64_t>> clusters;  // (size, cluster)
  simdjson::dom::parser p;
  for (const std::string& line : test::lines_of(test::read_file(dir / "out/clusters.jsonl"))) {
    auto e = test::parse_json(p, line);
    clusters.emplace_back(simdjson::dom::array(e["members"]).size(), std::uint64_t(e["cluster"]));
  }
  std::sort(clusters.begin(), clusters.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::pair<std::uint64_t, std::string>> sample;           // (XXH64(id, 1), id)
  std::map<std::uint64_t, std::pair<std::size_t, std::string>> exact;  // cluster -> (n, kept)
  for (const DupRow& r : dups) {
    if (r.exact) {
      ++exact[r.cluster].first;
      exact[r.cluster].second = r.kept;
    } else {
      sample.emplace_back(XXH64(r.id_json.data(), r.id_json.size(), 1), r.id);
    }
  }
  std::sort(sample.begin(), sample.end());
  std::vector<std::pair<std::size_t, std::uint64_t>> groups;
  for (const auto& [c, g] : exact)
    groups.emplace_back(g.first, c);
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  ASSERT_GT(clusters.size(), 25u);
  ASSERT_GT(sample.size(), 40u);
  ASSERT_GT(groups.size(), 20u);

  const Rendered r = render(file_url(page), dir, 2000);
  expect_clean(r, "dedup");
  expect_not_blank(r.shot);
  for (std::size_t i = 0; i < clusters.size(); ++i) {
    const bool shown =
        r.dom.find(attr("data-cluster", std::to_string(clusters[i].second))) != std::string::npos;
    EXPECT_EQ(shown, i < 25) << "cluster " << clusters[i].second << " (rank " << i << ")";
  }
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const bool shown = r.dom.find(attr("data-pair", sample[i].second)) != std::string::npos;
    EXPECT_EQ(shown, i < 40) << "near pair of " << sample[i].second << " (rank " << i << ")";
  }
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NE(r.dom.find(attr("data-exact", exact[groups[i].second].second)), std::string::npos)
        << "exact group of cluster " << groups[i].second;
  }
  // The headline numbers (the example corpus under the default scheme, affine32) and the
  // terminal summary, as dedup printed it.
  for (const char* n : {">12,850<", ">530<", ">125<", ">405<", ">12,320<", ">505<", ">446<"}) {
    EXPECT_NE(r.dom.find(n), std::string::npos) << n;
  }
  EXPECT_NE(r.dom.find("compat (affine32), K = 128, seed 1"), std::string::npos);
  const auto pre = r.dom.find("id=\"terminal-summary\">");
  ASSERT_NE(pre, std::string::npos);
  const auto body = pre + std::string("id=\"terminal-summary\">").size();
  const std::string summary = unescape_html(r.dom.substr(body, r.dom.find("</pre>", body) - body));
  const auto from = run.err.find("dupscan dedup:");
  const auto to = run.err.find('\n', run.err.find("  outputs", from));
  EXPECT_EQ(summary, run.err.substr(from, to - from));
  // What differs highlighted (the default): pieces of text, never of white space at an end;
  // every shown near pair's Jaccard recomputed equal.
  const std::vector<std::string> diff = marks(r.dom);
  EXPECT_GT(diff.size(), 50u);
  for (const std::string& m : diff) {
    ASSERT_FALSE(m.empty());
    EXPECT_FALSE(std::isspace(static_cast<unsigned char>(m.front())) ||
                 std::isspace(static_cast<unsigned char>(m.back())))
        << "<mark>" << m << "</mark>";
  }
  EXPECT_EQ(r.dom.find("<span class=\"warn\">"), std::string::npos)
      << "a recomputed Jaccard differs from duplicates.jsonl's";
  EXPECT_NE(r.dom.find("recomputed <b>"), std::string::npos);

  // The shared shingles, through the toggle: most of each near pair's text.
  const Rendered shared = render(file_url(page) + "#hl=shared", dir, 900);
  expect_clean(shared, "dedup");
  EXPECT_GT(count(shared.dom, "<mark>"), 200u);

  // The search: a link to #q=ID shows only what holds that id.
  const std::string id = sample[3].second;
  const Rendered s = render(file_url(page) + "#q=" + id, dir, 900);
  expect_clean(s, "dedup");
  EXPECT_EQ(tag_with(s.dom, attr("data-pair", id)).find("hidden"), std::string::npos);
  EXPECT_NE(tag_with(s.dom, attr("data-pair", sample[4].second)).find("hidden"), std::string::npos);
  const auto hits = s.dom.find("id=\"search-hits\">");
  ASSERT_NE(hits, std::string::npos);
  EXPECT_NE(s.dom.substr(hits, 120).find("1 pair"), std::string::npos) << s.dom.substr(hits, 120);
}

// A near pair with one word changed: 200 words, word 100 "zebra" in one and "giraffe" in the
// other (Jaccard 191/201 = 0.95 over word 5-grams), and a document unlike both.
std::string one_word_apart() {
  std::string words[2];
  for (int d = 0; d < 2; ++d) {
    for (int i = 0; i < 200; ++i) {
      words[d] += i ? " " : "";
      words[d] += i == 100 ? (d ? "giraffe" : "zebra") : "word" + std::to_string(i);
    }
  }
  return "{\"id\":\"a\",\"text\":\"" + words[0] + "\"}\n{\"id\":\"b\",\"text\":\"" + words[1] +
         "\"}\n{\"id\":\"c\",\"text\":\"nothing like the others at all\"}\n";
}

TEST(Report, DedupPairsHighlightTheirDifferencesUnlessToggledToShared) {
  REQUIRE_CHROMIUM();
  TempDir dir;
  test::write_file(dir / "in.jsonl", one_word_apart());
  const auto run = test::run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " -o " +
                                     shell_quote(dir / "out") + " --html -q");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = dir / "out/report.html";

  // By default: only the changed word, on both sides, in the cluster and in the pair sample.
  const Rendered r = render(file_url(page), dir, 1200);
  expect_clean(r, "dedup");
  EXPECT_NE(r.dom.find(attr("data-pair", "b")), std::string::npos);
  EXPECT_NE(r.dom.find("data-highlight=\"differences\""), std::string::npos);
  const std::vector<std::string> diff = marks(r.dom);
  EXPECT_EQ(diff, (std::vector<std::string>{"zebra", "giraffe", "zebra", "giraffe"}));

  // Through the toggle (report.html#hl=shared clicks it): the shared shingles, the words before
  // and after the changed one on each side.
  const Rendered s = render(file_url(page) + "#hl=shared", dir, 1200);
  expect_clean(s, "dedup");
  EXPECT_NE(s.dom.find("data-highlight=\"shared\""), std::string::npos);
  const std::vector<std::string> shared = marks(s.dom);
  ASSERT_EQ(shared.size(), 8u);
  std::string before, after;
  for (int i = 0; i < 100; ++i)
    before += (i ? " word" : "word") + std::to_string(i);
  for (int i = 101; i < 200; ++i)
    after += (i > 101 ? " word" : "word") + std::to_string(i);
  for (std::size_t i = 0; i < shared.size(); i += 2) {
    EXPECT_EQ(shared[i], before);
    EXPECT_EQ(shared[i + 1], after);
  }

  // --no-texts: the pair and its ids, no text pane.
  const auto nt = test::run_dupscan("report " + shell_quote(dir / "out") + " --no-texts -o " +
                                    shell_quote(dir / "nt.html"));
  ASSERT_EQ(nt.exit_code, 0) << nt.err;
  const Rendered n = render(file_url(dir / "nt.html"), dir, 900);
  expect_clean(n, "dedup");
  EXPECT_NE(n.dom.find(attr("data-pair", "b")), std::string::npos);
  EXPECT_EQ(n.dom.find("<pre class=\"text"), std::string::npos) << "a text pane";
  EXPECT_EQ(n.dom.find("class=\"missing\""), std::string::npos) << "a pane saying why no text";
  EXPECT_EQ(n.dom.find("id=\"hl-shared\""), std::string::npos) << "a toggle without texts";
}

// ---- contam
// ---------------------------------------------------------------------------------------

// A contamination setting from the real data in examples/: GSM8K test problems and HumanEval
// prompts (the example corpus's originals) as benchmarks, the rest of the corpus (GSM8K train,
// wikitext, Shakespeare, and the planted copies of benchmark problems) as training data.
struct RealContam {
  TempDir dir;
  std::map<std::string, std::uint64_t> train_line;  // id -> line in train.jsonl
  RealContam() {
    std::string train, gsm8k, humaneval;
    const std::regex gsm("\"id\": \"gsm8k-test-[0-9]+\""), he("\"id\": \"humaneval-[0-9]+\"");
    const std::regex id_re("\"id\": \"([^\"]+)\"");
    std::uint64_t line = 0;
    for (const std::string& l : test::example_lines()) {
      if (std::regex_search(l, gsm)) {
        gsm8k += l + "\n";
      } else if (std::regex_search(l, he)) {
        humaneval += l + "\n";
      } else {
        train += l + "\n";
        std::smatch m;
        if (std::regex_search(l, m, id_re)) train_line[m[1]] = ++line;
      }
    }
    test::write_file(dir / "train.jsonl", train);
    test::write_file(dir / "gsm8k.jsonl", gsm8k);
    test::write_file(dir / "humaneval.jsonl", humaneval);
  }
  std::string args() const {
    return "contam --train " + shell_quote(dir / "train.jsonl") + " --eval " +
           shell_quote("gsm8k=" + (dir / "gsm8k.jsonl")) + " --eval " +
           shell_quote("humaneval=" + (dir / "humaneval.jsonl")) + " -o " +
           shell_quote(dir / "out");
  }
};

TEST(Report, ContamPageOfRealBenchmarksInChromium) {
  REQUIRE_CHROMIUM();
  RealContam c;
  const auto run = test::run_dupscan(c.args() + " --html");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = c.dir / "out/report.html";

  struct Ex {
    std::string id, first_train;
    double coverage, best_near;
    bool dirty;
    std::uint64_t order;
  };
  std::map<std::string, std::vector<Ex>> by_bench;
  simdjson::dom::parser p;
  std::uint64_t order = 0;
  for (const std::string& line :
       test::lines_of(test::read_file(c.dir / "out/contamination.jsonl"))) {
    auto e = test::parse_json(p, line);
    Ex x{test::str(e["id"]), "", double(e["coverage"]), 0, bool(e["dirty"]), order++};
    simdjson::dom::array m = e["matches"];
    if (m.size()) x.first_train = test::str(m.at(0)["train_id"]);
    for (auto n : simdjson::dom::array(e["near_duplicates"]))
      x.best_near = std::max(x.best_near, double(n["jaccard"]));
    by_bench[test::str(e["benchmark"])].push_back(x);
  }
  const Rendered r = render(file_url(page), c.dir, 2000);
  expect_clean(r, "contam");
  expect_not_blank(r.shot);
  simdjson::dom::parser rp;
  auto rep = test::parse_json(rp, test::read_file(c.dir / "out/report.json"));
  for (auto b : simdjson::dom::array(rep["benchmarks"])) {
    const std::string name = test::str(b["name"]);
    const std::string row = r.dom.substr(r.dom.find(attr("data-benchmark", name)), 1500);
    for (const char* k : {"total", "judged", "dirty", "clean"}) {
      char num[32];
      std::snprintf(num, sizeof num, ">%llu<",
                    static_cast<unsigned long long>(std::uint64_t(b[k])));
      std::string grouped = num;  // the page groups digits: 1,319
      if (std::uint64_t(b[k]) >= 1000) grouped.insert(grouped.size() - 4, ",");
      EXPECT_NE(row.find(grouped), std::string::npos) << name << " " << k << " " << grouped;
    }
    std::vector<Ex> dirty, near;
    for (const Ex& x : by_bench[name]) {
      if (x.dirty) dirty.push_back(x);
      if (x.best_near > 0) near.push_back(x);
    }
    ASSERT_GT(dirty.size(), 0u) << name;
    std::sort(dirty.begin(), dirty.end(), [](const Ex& a, const Ex& b) {
      return a.coverage != b.coverage ? a.coverage > b.coverage : a.order < b.order;
    });
    std::sort(near.begin(), near.end(), [](const Ex& a, const Ex& b) {
      if (a.dirty != b.dirty) return !a.dirty;
      return a.best_near != b.best_near ? a.best_near > b.best_near : a.order < b.order;
    });
    for (std::size_t i = 0; i < dirty.size(); ++i) {
      const bool shown = r.dom.find(attr("data-example", dirty[i].id)) != std::string::npos;
      EXPECT_EQ(shown, i < 40) << name << " dirty " << dirty[i].id << " rank " << i;
    }
    for (std::size_t i = 0; i < near.size(); ++i) {
      const bool shown = r.dom.find(attr("data-near", near[i].id)) != std::string::npos;
      EXPECT_EQ(shown, i < 20) << name << " near " << near[i].id << " rank " << i;
    }
    // The most covered example's first training document, with its file and line.
    const Ex& top = dirty.front();
    const auto item = r.dom.find(attr("data-example", top.id));
    ASSERT_NE(item, std::string::npos);
    const std::string card = r.dom.substr(item, r.dom.find("</details>", item) - item);
    EXPECT_NE(card.find(">" + top.first_train + "<"), std::string::npos) << top.first_train;
    EXPECT_NE(card.find(c.dir / "train.jsonl:" + std::to_string(c.train_line[top.first_train])),
              std::string::npos);
    EXPECT_GE(count(card, "<mark>"), 2u) << "the example and the training text highlighted";
    EXPECT_NE(card.find("longest match"), std::string::npos);  // spans and ConTAM's signal
  }
}

// ---- no network ---------------------------------------------------------------------------------

// Every src=, href= (and the like) in the tags of `html` names a fragment or data: only. Text
// nodes cannot hold a tag: their '<' is written as &lt;.
void expect_local_references(const std::string& html, const std::string& what) {
  const std::regex tag(R"(<[a-zA-Z][^>]*>)");
  const std::regex ref(R"(\b(src|href|action|poster|srcset|data)\s*=\s*["']?([^"' >]*))",
                       std::regex::icase);
  std::size_t refs = 0;
  for (auto t = std::sregex_iterator(html.begin(), html.end(), tag); t != std::sregex_iterator();
       ++t) {
    const std::string s = t->str();
    for (auto it = std::sregex_iterator(s.begin(), s.end(), ref); it != std::sregex_iterator();
         ++it) {
      const std::string v = (*it)[2];
      ++refs;
      EXPECT_TRUE(v.empty() || v[0] == '#' || v.rfind("data:", 0) == 0) << what << ": " << s;
    }
  }
  ::testing::Test::RecordProperty(what, static_cast<int>(refs));
}

TEST(Report, PageReferencesNoNetworkResourceAndShowsHostileTextAsText) {
  TempDir dir;
  // Two near-identical documents whose text holds URLs, markup and a script end tag.
  const std::string hostile =
      R"(See https://example.com/a.png and <img src=\"http://evil.example/x.png\"> or )"
      R"(<a href=\"//evil.example\">this</a>; then </script><script>window.pwned=1</script> )"
      R"(<!-- and --> &amp; more words to make the shingles of both documents nearly all the same)";
  test::write_file(dir / "in.jsonl", "{\"id\":\"a\",\"text\":\"" + hostile + " alpha\"}\n" +
                                         "{\"id\":\"b\",\"text\":\"" + hostile + " beta\"}\n" +
                                         "{\"id\":\"c\",\"text\":\"something else entirely\"}\n");
  const auto run = test::run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " -o " +
                                     shell_quote(dir / "out") + " --threshold 0.5 --html -q");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string html = test::read_file(dir / "out/report.html");
  EXPECT_EQ(html.find("://"), std::string::npos) << "a URL in the file";
  EXPECT_EQ(html.find("@import"), std::string::npos);
  for (auto at = html.find("url("); at != std::string::npos; at = html.find("url(", at + 1)) {
    EXPECT_EQ(html.compare(at, 9, "url(data:"), 0) << html.substr(at, 40);
  }
  expect_local_references(html, "report.html");
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
  EXPECT_EQ(count(html, "</script>"), 3u) << "only the page's own three scripts end";
  EXPECT_EQ(html.find("<!-- and"), std::string::npos);

  REQUIRE_CHROMIUM();
  const Rendered r = render(file_url(dir / "out/report.html"), dir, 900);
  expect_clean(r, "dedup");
  expect_local_references(r.dom, "rendered DOM");
  EXPECT_EQ(r.dom.find("<img"), std::string::npos) << "markup in a text became an element";
  EXPECT_EQ(r.dom.find("<script>window.pwned"), std::string::npos);
  EXPECT_NE(r.dom.find("&lt;script&gt;window.pwned=1&lt;/script&gt;"), std::string::npos)
      << "the script tags of a text show as text";
  EXPECT_NE(r.dom.find("https://example.com/a.png"), std::string::npos)
      << "the text shows its URL as text";
}

// ---- a 10 M-document run
// --------------------------------------------------------------------------

TEST(Report, PageOfATenMillionDocumentRunStaysSmall) {
  // The outputs of a run over 10 M documents, written directly: one cluster of 20,001 members,
  // 1,000 of 11 and 300,000 pairs (330,000 removed documents), and an input holding the 631,001
  // records they name (a real run's input would hold all 10 M; only these are looked up).
  TempDir dir;
  const std::string out = dir / "out";
  io::make_dirs(out);
  std::string input, dups, clusters;
  std::uint64_t doc = 0, cluster = 0, exact = 0, near = 0;
  const char* vocab[] = {"alpha", "beta",  "gamma",  "delta", "epsilon", "zeta", "eta",     "theta",
                         "iota",  "kappa", "lambda", "mu",    "nu",      "xi",   "omicron", "pi"};
  auto text = [&](std::uint64_t seed, std::uint64_t change) {
    std::string t;
    for (int w = 0; w < 14; ++w)
      t += std::string(w ? " " : "") + vocab[(seed * 7 + w * 3 + (w == 9 ? change : 0)) % 16];
    return t;
  };
  auto add_cluster = [&](std::uint64_t members) {
    const std::uint64_t kept = doc++;
    input += "{\"id\":\"d" + std::to_string(kept) + "\",\"text\":\"" + text(cluster, 0) + "\"}\n";
    clusters += "{\"cluster\":" + std::to_string(cluster) + ",\"kept\":\"d" + std::to_string(kept) +
                "\",\"members\":[\"d" + std::to_string(kept) + "\"";
    for (std::uint64_t m = 1; m < members; ++m) {
      const std::uint64_t d = doc++;
      const bool is_exact = d % 7 == 0;
      exact += is_exact;
      near += !is_exact;
      input += "{\"id\":\"d" + std::to_string(d) + "\",\"text\":\"" +
               text(cluster, is_exact ? 0 : 1 + d % 5) + "\"}\n";
      clusters += ",\"d" + std::to_string(d) + "\"";
      dups += "{\"id\":\"d" + std::to_string(d) + "\",\"duplicate_of\":\"d" + std::to_string(kept) +
              "\",\"cluster\":" + std::to_string(cluster) +
              (is_exact ? ",\"kind\":\"exact\",\"jaccard\":1}\n"
                        : ",\"kind\":\"near\",\"jaccard\":0.8" + std::to_string(d % 100) + "}\n");
    }
    clusters += "]}\n";
    ++cluster;
  };
  add_cluster(20001);
  for (int i = 0; i < 1000; ++i)
    add_cluster(11);
  for (int i = 0; i < 300000; ++i)
    add_cluster(2);
  test::write_file(dir / "in.jsonl", input);
  test::write_file(out + "/duplicates.jsonl", dups);
  test::write_file(out + "/clusters.jsonl", clusters);
  const std::uint64_t docs = 10000000, removed = exact + near;
  const std::string hash = io::hex64(XXH3_64bits(input.data(), input.size()));
  char report[4096];
  std::snprintf(
      report, sizeof report,
      R"({"dupscan_version":"0.1.0","command":"dedup","parameters":{"threshold":0.8,"num_perm":128,)"
      R"("seed":1,"bands":9,"rows":13,"lsh_params":"datasketch optimal_param","lsh_weights":[0.5,0.5],)"
      R"("shingle":"word:5","shingle_hash":"","sketch":"compat","minhash":"","normalization":)"
      R"({"lowercase":true,"strip_punctuation":true,"unicode":"14.0.0"},"exact_hash":"","verify":true,)"
      R"("keep":"first","text_field":"text","id_field":"id","strict":false},"backend":"cpu",)"
      R"("threads":16,"ranks":1,"inputs":[{"path":"%s","compression":"none","bytes":%zu,)"
      R"("text_bytes":%zu,"lines":%llu,"records":%llu,"blank_lines":0,"skipped":0,"xxh3_64":"%s"}],)"
      R"("counts":{"documents":%llu,"empty":0,"exact_duplicates":%llu,"near_duplicates":%llu,)"
      R"("removed":%llu,"kept":%llu,"clusters":%llu,"skipped":0,"skipped_by_reason":)"
      R"({"malformed_json":0,"not_an_object":0,"missing_text_field":0,"text_not_string":0,)"
      R"("invalid_utf8":0,"record_too_large":0},"lsh_documents":%llu,"sketch_skipped":0,)"
      R"("candidate_pairs":%llu,"verified_pairs":%llu,"rejected_pairs":1234,"jaccard_extra_pairs":0,)"
      R"("text_bytes":%zu},"timings_s":{"read_sketch":60,"exact":1,"lsh":5,"verify":9,"cluster":1,)"
      R"("write":2,"total":78},"outputs":[]})",
      (dir / "in.jsonl").c_str(), input.size(), input.size(), (unsigned long long)doc,
      (unsigned long long)doc, hash.c_str(), (unsigned long long)docs, (unsigned long long)exact,
      (unsigned long long)near, (unsigned long long)removed, (unsigned long long)(docs - removed),
      (unsigned long long)cluster, (unsigned long long)(docs - exact),
      (unsigned long long)(near + 1234), (unsigned long long)near, input.size());
  test::write_file(out + "/report.json", report);

  const auto t0 = std::chrono::steady_clock::now();
  const auto run = test::run_dupscan("report " + shell_quote(out));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = test::read_file(out + "/report.html");
  std::printf(
      "[ measure  ] 10 M-document run (330,000 removed, %.0f MB of outputs, %.0f MB of input): "
      "report in %.2f s, page %zu bytes\n",
      static_cast<double>(dups.size() + clusters.size()) / 1e6,
      static_cast<double>(input.size()) / 1e6, secs, page.size());
  EXPECT_LT(page.size(), std::size_t{3000000}) << "a page of at most a few MB";
  EXPECT_NE(page.find("\"total\":301001"), std::string::npos) << "all clusters counted";

  REQUIRE_CHROMIUM();
  const Rendered r = render(file_url(out + "/report.html"), dir, 1200);
  expect_clean(r, "dedup");
  expect_not_blank(r.shot);
  EXPECT_NE(r.dom.find(attr("data-cluster", "0")), std::string::npos) << "the largest cluster";
  EXPECT_NE(r.dom.find("20,001 members"), std::string::npos);
  EXPECT_NE(r.dom.find(">10,000,000<"), std::string::npos);
  const auto ms = r.dom.find("data-render-ms=\"");
  std::printf("[ measure  ] Chromium: rendered in %s ms (page's own clock), %.2f s with start-up\n",
              ms == std::string::npos
                  ? "?"
                  : r.dom.substr(ms + 16, r.dom.find('"', ms + 16) - ms - 16).c_str(),
              r.seconds);
}

// ---- inputs that changed, and other errors
// --------------------------------------------------------

TEST(Report, ChangedOrMissingInputsAreErrorsAndNoTextsNeedsNone) {
  TempDir dir;
  const std::string in = dir / "in.jsonl";
  std::string text;
  for (int i = 0; i < 6; ++i) {
    text += "{\"id\":" + std::to_string(i) + ",\"text\":\"" +
            (i < 3 ? std::string("the same old story told again and again by the fire ") +
                         std::to_string(i % 2)
                   : "unrelated document number " + std::to_string(i)) +
            "\"}\n";
  }
  test::write_file(in, text);
  const std::string out = dir / "out";
  ASSERT_EQ(test::run_dupscan("dedup " + shell_quote(in) + " -o " + shell_quote(out) +
                              " --threshold 0.5 -q")
                .exit_code,
            0);
  auto ok = test::run_dupscan("report " + shell_quote(out) + " -o " + shell_quote(dir / "r.html"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.err.find("r.html"), std::string::npos);
  // Numeric ids are shown as they are.
  EXPECT_NE(test::read_file(dir / "r.html").find("\"id\":\"1\""), std::string::npos);

  std::string changed = text;
  changed[changed.find("story")] = 'S';  // same size, other bytes
  test::write_file(in, changed);
  auto bad = test::run_dupscan("report " + shell_quote(out));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("input '" + in + "' changed since the run"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("XXH3-64"), std::string::npos) << bad.err;
  test::write_file(in, text + "{\"text\":\"one more\"}\n");
  bad = test::run_dupscan("report " + shell_quote(out));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("changed since the run"), std::string::npos) << bad.err;
  std::remove(in.c_str());
  bad = test::run_dupscan("report " + shell_quote(out));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("cannot read input '" + in + "'"), std::string::npos) << bad.err;
  EXPECT_FALSE(test::file_exists(out + "/report.html")) << "no page from a failed report";
  ok = test::run_dupscan("report " + shell_quote(out) + " --no-texts");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(test::read_file(out + "/report.html").find("texts not read (--no-texts)"),
            std::string::npos);

  // stdin: the page is written, without the texts, saying why.
  test::write_file(in, text);
  const auto piped = test::run_dupscan(
      "dedup - -o " + shell_quote(dir / "piped") + " --threshold 0.5 --html -q", in);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_NE(test::read_file(dir / "piped/report.html").find("read from stdin"), std::string::npos);

  // The page never replaces an input or an output of the run.
  for (const std::string& target : {in, out + "/report.json", out + "/duplicates.jsonl"}) {
    const std::string before = test::read_file(target);
    auto clash = test::run_dupscan("report " + shell_quote(out) + " -o " + shell_quote(target));
    EXPECT_EQ(clash.exit_code, 2) << target;
    EXPECT_NE(clash.err.find("would replace '" + target + "'"), std::string::npos) << clash.err;
    EXPECT_EQ(test::read_file(target), before) << target;
  }

  // Not a run's directory; bad options.
  auto none = test::run_dupscan("report " + shell_quote(dir / "nowhere"));
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("report.json"), std::string::npos) << none.err;
  EXPECT_EQ(test::run_dupscan("report").exit_code, 2);
  auto chars = test::run_dupscan("report " + shell_quote(out) + " --chars 5");
  EXPECT_EQ(chars.exit_code, 2);
  EXPECT_NE(chars.err.find("--chars"), std::string::npos) << chars.err;
}

// The outputs of a run over data in memory (Python's result.write(): report.json names the input
// "<table>", compression "arrow"): no file to read the texts from. The report says what to do in
// one line; --no-texts makes the page without texts.
TEST(Report, DataThatWasInMemoryNeedsPythonOrNoTexts) {
  TempDir dir;
  test::write_file(dir / "in.jsonl", one_word_apart());
  const std::string out = dir / "out";
  ASSERT_EQ(test::run_dupscan("dedup " + shell_quote(dir / "in.jsonl") + " -o " + shell_quote(out) +
                              " -q")
                .exit_code,
            0);
  std::string rep = test::read_file(out + "/report.json");
  const std::string path = "\"path\": \"" + (dir / "in.jsonl") + "\"";
  ASSERT_NE(rep.find(path), std::string::npos) << rep;
  rep.replace(rep.find(path), path.size(), "\"path\": \"<table>\"");
  const std::string none = "\"compression\": \"none\"";
  ASSERT_NE(rep.find(none), std::string::npos) << rep;
  rep.replace(rep.find(none), none.size(), "\"compression\": \"arrow\"");
  test::write_file(out + "/report.json", rep);

  const auto bad = test::run_dupscan("report " + shell_quote(out));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(test::lines_of(bad.err).size(), 1u) << bad.err;
  EXPECT_NE(bad.err.find("'<table>' was data in memory"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(".report(\"page.html\")"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("--no-texts"), std::string::npos) << bad.err;
  EXPECT_FALSE(test::file_exists(out + "/report.html"));

  const auto ok = test::run_dupscan("report " + shell_quote(out) + " --no-texts");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const std::string html = test::read_file(out + "/report.html");
  EXPECT_NE(html.find("\"read\":false"), std::string::npos);
  EXPECT_EQ(html.find("word99"), std::string::npos) << "a text on a page without texts";
}

TEST(Report, ContamReportNoticesAChangedBenchmark) {
  RealContam c;
  ASSERT_EQ(test::run_dupscan(c.args() + " -q").exit_code, 0);
  ASSERT_EQ(test::run_dupscan("report " + shell_quote(c.dir / "out") + " -q").exit_code, 0);
  // Rewrite one dirty example's text: the page would show other words than the run judged.
  std::string gsm = test::read_file(c.dir / "gsm8k.jsonl");
  simdjson::dom::parser p;
  std::string dirty_id;
  for (const std::string& line :
       test::lines_of(test::read_file(c.dir / "out/contamination.jsonl"))) {
    auto e = test::parse_json(p, line);
    if (bool(e["dirty"]) && double(e["coverage"]) == 1.0) {
      dirty_id = test::str(e["id"]);
      break;
    }
  }
  ASSERT_FALSE(dirty_id.empty());
  const auto at = gsm.find("\"text\": \"", gsm.find("\"" + dirty_id + "\"")) + 9;
  gsm.insert(at, "Extra words at the start. ");
  test::write_file(c.dir / "gsm8k.jsonl", gsm);
  const auto bad = test::run_dupscan("report " + shell_quote(c.dir / "out"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("changed since the run"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find(dirty_id), std::string::npos) << bad.err;
}

TEST(Report, ContamBenchmarkOfJoinedFieldsShowsThemJoined) {
  // A benchmark checked on question+answer: the page's example text is the two fields joined by
  // a newline, as contam judged it, with the matched words highlighted across both.
  TempDir dir;
  const std::string q = "how many apples does the farmer sell at the market on every sunny day";
  const std::string a = "he sells twelve apples on every sunny day and nine on the rainy ones";
  test::write_file(dir / "eval.jsonl", "{\"question\":\"" + q + "\",\"answer\":\"" + a +
                                           "\"}\n{\"question\":\"unrelated\",\"answer\":\"no\"}\n");
  test::write_file(dir / "train.jsonl",
                   "{\"id\":\"t1\",\"text\":\"Intro. " + q + " " + a + " The end.\"}\n");
  const auto run =
      test::run_dupscan("contam --train " + shell_quote(dir / "train.jsonl") + " --eval " +
                        shell_quote("b=" + (dir / "eval.jsonl") + ":question+answer") + " -o " +
                        shell_quote(dir / "out") + " --html -q");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string html = test::read_file(dir / "out/report.html");
  EXPECT_NE(html.find("\"text\":\"" + q + "\\n" + a + "\""), std::string::npos);
  EXPECT_NE(html.find("\"id\":\"t1\",\"file\":"), std::string::npos);
}

// ---- the text mapping behind the highlights
// -------------------------------------------------------

TEST(ReportText, MappedNormalizationEqualsTheNormalizerAndMapsWordsBack) {
  std::mt19937 rng(2111);
  const std::vector<std::string> pieces = {
      "Word", "ÀΣ",    "café",       "cafe\u0301", " ",      "  ",     "\n", "\t",
      ",",    "--",    "co\u00ADop", "İ",          "\u200b", "\u0301", "😀",  "日本語",
      "x",    "DON'T", "\u00a0",     "!",          "\u3000", "ǅ"};
  for (int round = 0; round < 400; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i)
      text += pieces[rng() % pieces.size()];
    for (const NormalizeOptions opt : {NormalizeOptions{true, true}, NormalizeOptions{false, true},
                                       NormalizeOptions{true, false}}) {
      const report::MappedText m = report::normalize_mapped(text, opt);
      ASSERT_TRUE(m.exact) << "'" << text << "'";
      ASSERT_EQ(m.norm, normalize(text, opt));
      ASSERT_EQ(m.from.size(), m.norm.size());
      // Each word maps back to original bytes that normalize to exactly that word.
      for (std::size_t b = 0; b < m.norm.size();) {
        std::size_t e = m.norm.find(' ', b);
        if (e == std::string::npos) e = m.norm.size();
        const std::string orig = text.substr(m.from[b], m.to[e - 1] - m.from[b]);
        EXPECT_EQ(normalize(orig, opt), m.norm.substr(b, e - b)) << "'" << text << "'";
        b = e + 1;
      }
    }
  }
}

TEST(ReportText, SharedShinglesHighlightTheCommonWordsOfBoth) {
  const std::string a = "The quick, brown fox jumps over the lazy dog; then it sleeps.";
  const std::string b = "A QUICK brown fox jumps over the lazy cat!";
  const report::MappedText ma = report::normalize_mapped(a, {});
  const report::MappedText mb = report::normalize_mapped(b, {});
  const report::SharedShingles s =
      report::shared_shingles(ma, mb, ShingleSpec{ShingleKind::word, 3});
  // Shared 3-word shingles: quick brown fox .. over the lazy (5 of them): "quick, brown fox jumps
  // over the lazy" in a, "QUICK brown fox jumps over the lazy" in b.
  EXPECT_EQ(s.shared, 5u);
  ASSERT_EQ(s.a.size(), 1u);
  ASSERT_EQ(s.b.size(), 1u);
  EXPECT_EQ(a.substr(s.a[0].begin, s.a[0].end - s.a[0].begin),
            "quick, brown fox jumps over the lazy");
  EXPECT_EQ(b.substr(s.b[0].begin, s.b[0].end - s.b[0].begin),
            "QUICK brown fox jumps over the lazy");
  EXPECT_DOUBLE_EQ(s.jaccard(), 5.0 / (10 + 7 - 5));
}

TEST(ReportText, Utf16OffsetsAsJavaScriptCountsThem) {
  const std::string t = "a😀é日b";  // 1 + 4 + 2 + 3 + 1 bytes; UTF-16: 1 + 2 + 1 + 1 + 1
  std::vector<report::Range> r = {{0, 1}, {1, 5}, {5, 7}, {10, 11}};
  report::to_utf16(t, r);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (report::Range{0, 1}));
  EXPECT_EQ(r[1], (report::Range{1, 3}));
  EXPECT_EQ(r[2], (report::Range{3, 4}));
  EXPECT_EQ(r[3], (report::Range{5, 6}));
  EXPECT_EQ(report::utf16_length(t), 6u);
  EXPECT_EQ(report::prefix_bytes(t, 2), 5u);
  // Ranges are clipped to the text shown (here its first 3 code points) and snapped to code
  // points: one starting inside the emoji, one ending inside é.
  std::vector<report::Range> clipped = {{2, 9}};
  report::to_utf16(std::string_view(t).substr(0, report::prefix_bytes(t, 3)), clipped);
  ASSERT_EQ(clipped.size(), 1u);
  EXPECT_EQ(clipped[0], (report::Range{1, 4}));
  std::vector<report::Range> inside = {{2, 6}};
  report::to_utf16(t, inside);
  ASSERT_EQ(inside.size(), 1u);
  EXPECT_EQ(inside[0], (report::Range{1, 3}));
}

}  // namespace
}  // namespace dupscan
