// Readers (plain, gzip, zstd), line splitting, re-reading by location, and atomic outputs.
#include <sys/stat.h>

#include <algorithm>
#include <random>
#include <tuple>

#include "dupscan/errors.hpp"
#include "io/commit.hpp"
#include "io/io.hpp"
#include "io/refetch.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

struct ReadLine {
  std::string text;
  std::uint64_t line_no, offset;
};

std::vector<ReadLine> read_all(const std::string& path, std::size_t batch_bytes = 1 << 20) {
  auto src = io::open_source(path);
  io::LineReader reader(*src);
  io::RawBatch batch;
  std::vector<ReadLine> out;
  while (reader.next(batch, batch_bytes)) {
    EXPECT_GE(batch.data.size(), batch.size + io::kPadding);
    for (const auto& l : batch.lines)
      out.push_back({std::string(batch.line(l)), l.line_no, l.stream_offset});
  }
  return out;
}

std::string sample_jsonl(int lines, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s;
  for (int i = 0; i < lines; ++i) {
    s += "{\"id\":" + std::to_string(i) + ",\"text\":\"";
    const int n = static_cast<int>(rng() % 300);
    for (int j = 0; j < n; ++j)
      s += static_cast<char>('a' + rng() % 26);
    s += "\"}\n";
  }
  return s;
}

// A line longer than max_line comes back as an oversize LineRef without its bytes, whatever
// the batch size; the lines around it keep their numbers and offsets, and the spool (tee)
// keeps every other byte at its stream offset (the long line is a hole).
TEST(Io, LinesOverMaxLineAreSkippedUnheldAndTheSpoolKeepsOffsets) {
  test::TempDir dir;
  const std::string big(3 << 20, 'x');
  const std::string content =
      "short one\n" + big + "\nafter it\n" + std::string(100, 'y') + "\nlast" + big;
  test::write_file(dir / "a.txt", content);
  for (std::size_t batch_bytes : {std::size_t{16}, std::size_t{1} << 20, std::size_t{8} << 20}) {
    auto src = io::open_source(dir / "a.txt");
    std::FILE* spool = std::fopen((dir / "spool").c_str(), "wb");
    ASSERT_NE(spool, nullptr);
    io::LineReader reader(*src, spool, dir / "spool", 64);
    io::RawBatch batch;
    std::vector<std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t>> got;
    std::size_t most = 0;
    while (reader.next(batch, batch_bytes)) {
      most = std::max(most, batch.data.size());
      for (const auto& l : batch.lines) {
        got.emplace_back(std::string(batch.line(l)), l.line_no, l.stream_offset, l.oversize);
      }
    }
    std::fclose(spool);
    using T = std::tuple<std::string, std::uint64_t, std::uint64_t, std::uint64_t>;
    const std::uint64_t after = 10 + big.size() + 1;
    const std::vector<T> want = {T{"short one", 1, 0, 0}, T{"", 2, 10, big.size()},
                                 T{"after it", 3, after, 0}, T{"", 4, after + 9, 100},
                                 T{"", 5, after + 9 + 101, 4 + big.size()}};
    EXPECT_EQ(got, want) << batch_bytes;
    EXPECT_LT(most, std::size_t{3} << 20) << "a long line was held";
    EXPECT_EQ(reader.bytes(), content.size());
    // The spool: every byte of the lines kept, at its offset (holes read as zeros).
    const std::string s = test::read_file(dir / "spool");
    ASSERT_GE(s.size(), after + 9 + 101);
    EXPECT_EQ(s.substr(0, 10), "short one\n");
    EXPECT_EQ(s.substr(after, 9), "after it\n");
  }
}

TEST(Io, PlainGzipZstdGiveTheSameLinesAndOffsets) {
  test::TempDir dir;
  const std::string content = sample_jsonl(5000, 1);
  test::write_file(dir / "a.jsonl", content);
  test::write_file(dir / "a.jsonl.gz", test::gzip_bytes(content));
  test::write_file(dir / "a.jsonl.zst", test::zstd_bytes(content));
  test::write_file(dir / "a.misnamed", test::zstd_bytes(content));  // detected by content
  const auto plain = read_all(dir / "a.jsonl", 4096);
  ASSERT_EQ(plain.size(), 5000u);
  for (const auto& l : plain) {
    ASSERT_EQ(content.substr(l.offset, l.text.size()), l.text);
    ASSERT_EQ(content[l.offset + l.text.size()], '\n');
  }
  EXPECT_EQ(plain.front().line_no, 1u);
  EXPECT_EQ(plain.back().line_no, 5000u);
  for (const char* name : {"a.jsonl.gz", "a.jsonl.zst", "a.misnamed"}) {
    const auto other = read_all(dir / name, 100000);
    ASSERT_EQ(other.size(), plain.size()) << name;
    for (std::size_t i = 0; i < plain.size(); ++i) {
      ASSERT_EQ(other[i].text, plain[i].text) << name;
      ASSERT_EQ(other[i].offset, plain[i].offset) << name;
      ASSERT_EQ(other[i].line_no, plain[i].line_no) << name;
    }
  }
  auto src = io::open_source(dir / "a.jsonl.gz");
  EXPECT_STREQ(src->compression(), "gzip");
}

TEST(Io, MultiMemberGzipIsReadWhole) {
  test::TempDir dir;
  test::write_file(dir / "m.gz", test::gzip_bytes("one\ntwo\n") + test::gzip_bytes("three\n"));
  const auto lines = read_all(dir / "m.gz");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2].text, "three");
  EXPECT_EQ(lines[2].offset, 8u);
}

TEST(Io, CrlfEmptyAndMissingFinalNewline) {
  test::TempDir dir;
  test::write_file(dir / "crlf", "a\r\nb\r\n\r\nlast");
  const auto lines = read_all(dir / "crlf");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].text, "a\r");  // '\r' kept: records are copied byte for byte
  EXPECT_EQ(lines[2].text, "\r");
  EXPECT_EQ(lines[3].text, "last");
  EXPECT_EQ(lines[3].line_no, 4u);
  test::write_file(dir / "empty", "");
  EXPECT_TRUE(read_all(dir / "empty").empty());
  test::write_file(dir / "empty.zst", test::zstd_bytes(""));
  EXPECT_TRUE(read_all(dir / "empty.zst").empty());
}

TEST(Io, HugeLineSpansManyReads) {
  test::TempDir dir;
  const std::string big(20u << 20, 'x');
  test::write_file(dir / "big.zst", test::zstd_bytes("small\n" + big + "\nafter\n"));
  const auto lines = read_all(dir / "big.zst", 1 << 16);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].text.size(), big.size());
  EXPECT_EQ(lines[2].text, "after");
  EXPECT_EQ(lines[2].offset, 6 + big.size() + 1);
}

// A pooled batch keeps the capacity an earlier file's long line gave it; a reader must still read
// about a batch's worth ahead, not the whole capacity (which the next batch would copy as carry:
// with many input files, every pooled buffer grew and pass 1 copied megabytes per batch).
TEST(Io, ReaderReadsAboutOneBatchAheadWhateverTheBufferCapacity) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; text.size() < (8u << 20); ++i)
    text += "{\"text\": \"line " + std::to_string(i) + " of some words\"}\n";
  test::write_file(dir / "in.jsonl", text);
  auto src = io::open_source(dir / "in.jsonl");
  io::LineReader reader(*src);
  io::RawBatch batch;
  batch.data.reserve(32u << 20);
  ASSERT_TRUE(reader.next(batch, 1u << 20));
  EXPECT_LE(src->raw_bytes(), 3u << 20);
  EXPECT_LE(batch.size, (1u << 20) + 64);
}

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Io, TruncatedAndCorruptCompressedInputsNameThePath) {
  test::TempDir dir;
  const std::string content = sample_jsonl(2000, 2);
  const std::string gz = test::gzip_bytes(content), zs = test::zstd_bytes(content);
  test::write_file(dir / "t.gz", gz.substr(0, gz.size() / 2));
  test::write_file(dir / "t.zst", zs.substr(0, zs.size() / 2));
  std::string bad = gz;
  for (std::size_t i = 100; i < 200; ++i)
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
  test::write_file(dir / "c.gz", bad);
  std::string badz = zs;
  for (std::size_t i = 100; i < 200; ++i)
    badz[i] = static_cast<char>(badz[i] ^ 0x5a);
  test::write_file(dir / "c.zst", badz);
  EXPECT_NE(error_of([&] { read_all(dir / "t.gz"); }).find("t.gz': truncated gzip"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_all(dir / "t.zst"); }).find("t.zst': truncated zstd"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_all(dir / "c.gz"); }).find("c.gz': corrupt gzip"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_all(dir / "c.zst"); }).find("c.zst'"), std::string::npos);
}

TEST(Io, MissingFileAndDirectoryAreErrors) {
  test::TempDir dir;
  EXPECT_NE(error_of([&] { io::open_source(dir / "nope.jsonl"); }).find("cannot open input"),
            std::string::npos);
  EXPECT_NE(error_of([&] { io::open_source(dir.path()); }).find("is a directory"),
            std::string::npos);
}

TEST(Io, AtomicFileAppearsOnlyOnCommitAndLeavesOldContentOtherwise) {
  test::TempDir dir;
  test::write_file(dir / "out.txt", "old");
  {
    io::AtomicFile f(dir / "out.txt");
    f.write("new content");
    f.finish();
  }  // not committed
  EXPECT_EQ(test::read_file(dir / "out.txt"), "old");
  {
    io::AtomicFile f(dir / "out.txt");
    f.write(std::string(3u << 20, 'z'));  // beyond the buffer
    f.commit();
  }
  EXPECT_EQ(test::read_file(dir / "out.txt").size(), 3u << 20);
  // No temporary file is left behind.
  EXPECT_EQ(std::system(("test $(ls -A " + dir.path() + " | wc -l) -eq 1").c_str()), 0);
}

// An output named after a pipe, device or directory is refused before anything is written: renamed
// over, /dev/null would become a plain file for the whole machine (it did, under a bench tool).
TEST(Io, AtomicFileRefusesWhatIsNotARegularFile) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  for (const std::string path : {dir / "fifo", dir.path(), std::string("/dev/null")}) {
    SCOPED_TRACE(path);
    try {
      io::OutputFile f(path);
      ADD_FAILURE() << "accepted";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("is not a regular file"), std::string::npos) << e.what();
    }
  }
  struct stat st {};
  ASSERT_EQ(::stat((dir / "fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  ASSERT_EQ(::stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  // The command says so, with exit 2.
  const auto r = test::run_dupscan("dedup " + test::test_data("e2e_corpus.jsonl") + " -o " +
                                   test::shell_quote(dir / "out") + " --write-deduped " +
                                   test::shell_quote(dir / "fifo"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not a regular file"), std::string::npos) << r.err;
}

TEST(Io, CompressedOutputRoundTrips) {
  test::TempDir dir;
  const std::string content = sample_jsonl(3000, 3);
  for (const char* name : {"o.jsonl.gz", "o.jsonl.zst", "o.jsonl"}) {
    {
      io::OutputFile f(dir / name);
      for (std::size_t i = 0; i < content.size(); i += 7777)
        f.write(content.substr(i, 7777));
      f.commit();
    }
    std::string back;
    for (const auto& l : read_all(dir / name))
      back += l.text + "\n";
    EXPECT_EQ(back, content) << name;
  }
}

TEST(Io, RefetchReadsChosenRecordsFromPlainAndCompressedInputs) {
  test::TempDir dir;
  const std::string content = sample_jsonl(4000, 4);
  test::write_file(dir / "p.jsonl", content);
  test::write_file(dir / "z.jsonl.zst", test::zstd_bytes(content));
  const auto lines = read_all(dir / "p.jsonl");
  std::vector<Locator> loc;
  for (std::uint32_t input = 0; input < 2; ++input) {
    for (const auto& l : lines) {
      loc.push_back({l.offset, l.line_no, input, static_cast<std::uint32_t>(l.text.size())});
    }
  }
  std::vector<RereadSource> sources(2);
  sources[0] = {dir / "p.jsonl", "p.jsonl", true};
  sources[1] = {dir / "z.jsonl.zst", "z.jsonl.zst", false};
  stamp_source(sources[0]);
  std::vector<std::uint32_t> docs;
  std::mt19937 rng(5);
  for (std::uint32_t d = 0; d < loc.size(); ++d) {
    if (rng() % 3 == 0 || (d > 1000 && d < 1200)) docs.push_back(d);  // sparse and dense parts
  }
  std::vector<std::uint32_t> seen;
  refetch(sources, loc, docs, 64 * 1024, [&](FetchedBatch& b) {
    EXPECT_GE(b.data.size(), io::kPadding);
    for (const auto& it : b.items) {
      ASSERT_EQ(std::string(b.record(it)), lines[it.doc % lines.size()].text);
      seen.push_back(it.doc);
    }
  });
  EXPECT_EQ(seen, docs);
  // A changed input is detected, not misread.
  test::write_file(dir / "p.jsonl", content + "{}\n");
  EXPECT_NE(error_of([&] {
              refetch(sources, loc, docs, 1 << 20, [](FetchedBatch&) {});
            }).find("changed while dupscan was running"),
            std::string::npos);
}

// A journal left by a killed run: the temporaries still there are renamed (those already renamed
// are not missed), the journal goes; a damaged one is an error naming it, and stays.
TEST(Io, CommitJournalIsFinishedByTheNextRun) {
  test::TempDir dir;
  test::write_file(dir / "old", "old a");
  test::write_file(dir / ".a.tmp", "new a");
  test::write_file(dir / "b", "new b");  // renamed before the kill
  const std::string a_tmp = dir / ".a.tmp", a = dir / "old", b_tmp = dir / ".b.tmp", b = dir / "b";
  std::string journal = "dupscan-commit 1\n";
  for (const auto& [t, f] : {std::pair{a_tmp, a}, std::pair{b_tmp, b}})
    journal += std::to_string(t.size()) + " " + std::to_string(f.size()) + "\n" + t + f + "\n";
  test::write_file(dir / ".dupscan-commit", journal + "end\n");
  EXPECT_TRUE(io::recover_commit(dir.path()));
  EXPECT_EQ(test::read_file(a), "new a");
  EXPECT_EQ(test::read_file(b), "new b");
  EXPECT_EQ(test::list_dir(dir.path()), (std::vector<std::string>{"b", "old"}));
  EXPECT_FALSE(io::recover_commit(dir.path()));  // nothing to do

  test::write_file(dir / ".dupscan-commit", journal);  // no "end": not written whole
  try {
    io::recover_commit(dir.path());
    FAIL() << "a damaged journal was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(".dupscan-commit' of a killed run is damaged"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(test::file_exists(dir / ".dupscan-commit"));
}

}  // namespace
}  // namespace dupscan
