// `dupscan report`: its options (CLI11), and the page `dedup --html` / `contam --html` write.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "commands.hpp"
#include "progress.hpp"
#include "report/report.hpp"

namespace dupscan::cli {
namespace {

const char* kReportFooter = R"(
DIR is the output directory of a dedup or contam run. The page is one HTML file that opens from
disk without a network (CSS, JavaScript and SVG charts inline; its Content-Security-Policy forbids
any request). The texts it shows are read again from the inputs report.json names, in one pass
over each, whose size and XXH3-64 must equal the run's: a changed input is an error. Relative
input paths are read from the current directory (--base DIR to change it). --no-texts makes a
page without texts (ids, pairs, clusters, Jaccard; no text panes) from any output directory, one
of data that was in memory (Python's result.write()) too; the page with texts of such a run is
the Python result's .report("page.html"). Search by id in the page; report.html#q=ID opens it
searched for ID.

What it shows, bounded by the options whatever the size of the run:
  dedup   the summary, parameters and inputs; the Jaccard histogram of removed documents (exact
          and near apart), the LSH S-curve 1-(1-s^r)^b with the threshold and the candidate,
          verified and rejected pairs, cluster sizes; the --clusters largest clusters (kept
          document beside its --members removed members of lowest Jaccard); a sample of --pairs
          near pairs (those whose XXH64(id, --seed) is smallest: reproducible); the --exact largest
          groups of exact copies; the first --list removed ids, searchable.
  contam  per benchmark: the counts, coverage subsets and a coverage histogram; the --examples
          dirty examples of highest coverage, matched words highlighted, beside the training text
          around each match (file, line, offset; --matches documents each); --near examples with
          near duplicates, apart (those the n-gram verdict did not make dirty first, then by
          Jaccard).
Highlights: dedup marks what differs between a pair (the words outside every shingle the two
share; "highlight shared" at the top of the page, or report.html#hl=shared, marks the shared
shingles instead), contam the matched words, both on the text as it is in the input (computed on
the normalized words and mapped back to the original characters).

Examples:
  dupscan report out/                      # writes out/report.html
  dupscan report contam/ -o contam.html --examples 100
  dupscan dedup data/*.jsonl -o out/ --html   # the same page at the end of the run
)";

std::string summary_text(const DedupConfig& cfg, const DedupResult& r) {
  char* buf = nullptr;
  std::size_t len = 0;
  std::FILE* f = ::open_memstream(&buf, &len);
  if (!f) return {};
  print_summary(f, cfg, r);
  std::fclose(f);
  std::string s(buf, len);
  std::free(buf);
  return s;
}

void print_written(const report::ReportResult& r) {
  std::fprintf(stderr, "dupscan report: %s (%s, %s texts) in %.2f s\n", r.path.c_str(),
               human_bytes(static_cast<double>(r.bytes)).c_str(), group_digits(r.texts).c_str(),
               r.seconds);
}

}  // namespace

void write_html_report(const std::string& dir, bool quiet) {
  report::ReportOptions o;
  o.dir = dir;
  o.dedup_summary = summary_text;
  const report::ReportResult r = report::write_report(o);
  if (!quiet) print_written(r);
}

Command add_report_command(CLI::App& app) {
  auto o = std::make_shared<report::ReportOptions>();
  auto quiet = std::make_shared<bool>(false);
  auto no_texts = std::make_shared<bool>(false);
  CLI::App* c = app.add_subcommand(
      "report", "Write one self-contained HTML page of a dedup or contam run's findings");
  c->footer(kReportFooter);
  c->add_option("dir", o->dir, "Output directory of a dedup or contam run")
      ->required()
      ->type_name("DIR");
  c->add_option("-o,--output", o->output, "The HTML file (default: DIR/report.html)")
      ->type_name("FILE");
  c->add_option("--clusters", o->clusters, "dedup: largest clusters shown")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--members", o->members, "dedup: removed members compared per cluster")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--pairs", o->pairs, "dedup: near pairs in the sample")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--exact", o->exact, "dedup: groups of exact copies shown")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--seed", o->seed, "dedup: seed of the near-pair sample")
      ->capture_default_str()
      ->type_name("S");
  c->add_option("--examples", o->examples, "contam: dirty examples shown per benchmark")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--near", o->near, "contam: near-duplicate examples shown per benchmark")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--matches", o->matches, "contam: training documents shown per example")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--list", o->list, "Ids in the searchable list")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--chars", o->chars, "Characters of a text shown")
      ->capture_default_str()
      ->type_name("N");
  c->add_option("--base", o->base, "Directory the run's relative input paths are read from")
      ->type_name("DIR");
  c->add_flag(
      "--no-texts", *no_texts,
      "Do not read the inputs: ids, pairs, clusters and numbers, no texts (any output directory)");
  c->add_flag("-q,--quiet", *quiet, "Print nothing on success");
  return {c, [o, quiet, no_texts] {
            o->texts = !*no_texts;
            o->dedup_summary = summary_text;
            const report::ReportResult r = report::write_report(*o);
            if (!*quiet) print_written(r);
            return 0;
          }};
}

}  // namespace dupscan::cli
