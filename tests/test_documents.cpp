// The input abstraction (io/documents.hpp) over tables in memory: Arrow C data interface arrays
// made by hand (no Arrow library), read in place, give the outputs of the same records as JSONL.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "dupscan/dedup.hpp"
#include "dupscan/errors.hpp"
#include "dupscan/table_input.hpp"
#include "io/columns.hpp"
#include "io/documents.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

// A string (or int64) column as the C data interface lays it out, owning its buffers; its
// release callback counts calls.
struct HandColumn {
  std::vector<std::int32_t> offsets{0};
  std::string data;
  std::vector<std::int64_t> ints;
  std::vector<std::uint8_t> validity;
  const void* buffers[3] = {};
  std::int64_t nulls = 0;
  static int released;

  void add(const char* s) {
    const std::size_t i = offsets.size() - 1;
    if (validity.size() <= i / 8) validity.push_back(0);
    if (s != nullptr) {
      data += s;
      validity[i / 8] |= static_cast<std::uint8_t>(1u << (i % 8));
    } else {
      ++nulls;
    }
    offsets.push_back(static_cast<std::int32_t>(data.size()));
  }
  void fill(ArrowSchema& schema, ArrowArray& array, const char* name, std::int64_t offset,
            std::int64_t length) {
    const bool is_int = !ints.empty();
    buffers[0] = nulls ? validity.data() : nullptr;
    buffers[1] = is_int ? static_cast<const void*>(ints.data()) : offsets.data();
    buffers[2] = data.data();
    schema = ArrowSchema{is_int ? "l" : "u",
                         name,
                         nullptr,
                         ARROW_FLAG_NULLABLE,
                         0,
                         nullptr,
                         nullptr,
                         [](ArrowSchema* s) { s->release = nullptr; },
                         nullptr};
    array = ArrowArray{length,
                       nulls,
                       offset,
                       is_int ? 2 : 3,
                       0,
                       buffers,
                       nullptr,
                       nullptr,
                       [](ArrowArray* a) {
                         ++released;
                         a->release = nullptr;
                       },
                       nullptr};
  }
};
int HandColumn::released = 0;

std::vector<std::string> texts() {
  std::vector<std::string> t;
  for (int i = 0; i < 60; ++i) {
    t.push_back("document number " + std::to_string(i) + " talks about topic " +
                std::to_string(i * 7919 % 1000) + " at some length with words");
  }
  t[10] = t[3];                    // an exact copy
  t[20] = t[5] + " and one more";  // a near copy
  t[30] = "Document NUMBER 3 talks, about topic " + std::to_string(3 * 7919 % 1000) +
          " at some length with words";  // equal to 3 after normalization
  return t;
}

DedupConfig memory_config() {
  DedupConfig cfg;
  cfg.threads = 2;
  cfg.id_field.clear();
  cfg.threshold = 0.7;
  cfg.shingle = ShingleSpec::parse("word:3");
  return cfg;
}

TEST(Documents, ColumnInMemoryGivesTheOutputsOfTheSameRecordsAsJsonl) {
  test::TempDir dir;
  const std::vector<std::string> t = texts();
  // Rows: one leading row outside the array's offset, then the texts with a null at row 7.
  HandColumn col;
  col.add("not part of the array");
  std::string jsonl;
  for (std::size_t i = 0; i < t.size(); ++i) {
    col.add(i == 7 ? nullptr : t[i].c_str());
    if (i == 7) continue;
    jsonl += "{\"id\":" + std::to_string(i) + ",\"text\":";
    append_json_string(jsonl, t[i]);
    jsonl += "}\n";
  }
  test::write_file(dir / "same.jsonl", jsonl);
  HandColumn::released = 0;
  {
    ArrowSchema schema;
    ArrowArray array;
    col.fill(schema, array, "text", 1, static_cast<std::int64_t>(t.size()));
    DedupConfig cfg = memory_config();
    cfg.tables.push_back(TableInput::from_array(&schema, &array, "<column>"));
    EXPECT_EQ(array.release, nullptr);  // moved in
    DedupOutputs out;
    const DedupResult res = run_dedup(cfg, {}, out);
    EXPECT_EQ(HandColumn::released, 0);  // the config still holds the table
    EXPECT_EQ(res.counts.documents, t.size() - 1);
    EXPECT_EQ(res.counts.skipped, 1u);
    ASSERT_EQ(out.keep.size(), t.size());
    EXPECT_EQ(out.keep[7], 1);   // the null: a skipped record, no duplicate of anything: kept
    EXPECT_EQ(out.keep[10], 0);  // exact copy of 3
    EXPECT_EQ(out.keep[30], 0);  // normalized copy of 3
    EXPECT_EQ(out.keep[20], 0);  // near copy of 5
    EXPECT_EQ(out.keep[3], 1);
    EXPECT_EQ(out.keep[5], 1);

    DedupConfig file_cfg = memory_config();
    file_cfg.id_field = "id";
    file_cfg.inputs = {dir / "same.jsonl"};
    file_cfg.output_dir = dir / "out";
    run_dedup(file_cfg);
    EXPECT_EQ(out.duplicates, test::read_file(dir / "out/duplicates.jsonl"));
    EXPECT_EQ(out.clusters, test::read_file(dir / "out/clusters.jsonl"));
    EXPECT_NE(out.duplicates.find("\"id\":20,\"duplicate_of\":5"), std::string::npos);
  }
  EXPECT_EQ(HandColumn::released, 1);  // once, when the last holder let go
}

TEST(Documents, TableWithIdColumnAndErrorsNamingColumns) {
  const std::vector<std::string> t = texts();
  HandColumn text, ids;
  for (std::size_t i = 0; i < t.size(); ++i) {
    text.add(t[i].c_str());
    ids.ints.push_back(1000 + static_cast<std::int64_t>(i));
  }
  auto make = [&](const char* text_name) {
    static ArrowSchema child_schema[2];
    static ArrowArray child_array[2];
    static ArrowSchema* schema_children[2] = {&child_schema[0], &child_schema[1]};
    static ArrowArray* array_children[2] = {&child_array[0], &child_array[1]};
    static const void* no_buffers[1] = {nullptr};
    text.fill(child_schema[0], child_array[0], text_name, 0, static_cast<std::int64_t>(t.size()));
    ids.fill(child_schema[1], child_array[1], "id", 0, static_cast<std::int64_t>(t.size()));
    ArrowSchema schema{"+s",    "",
                       nullptr, 0,
                       2,       schema_children,
                       nullptr, [](ArrowSchema* s) { s->release = nullptr; },
                       nullptr};
    ArrowArray array{static_cast<std::int64_t>(t.size()),
                     0,
                     0,
                     1,
                     2,
                     no_buffers,
                     array_children,
                     nullptr,
                     [](ArrowArray* a) { a->release = nullptr; },
                     nullptr};
    return TableInput::from_array(&schema, &array, "<table>");
  };
  DedupConfig cfg = memory_config();
  cfg.id_field = "id";
  cfg.tables = {make("text")};
  DedupOutputs out;
  run_dedup(cfg, {}, out);
  EXPECT_NE(out.duplicates.find("{\"id\":1010,\"duplicate_of\":1003"), std::string::npos)
      << out.duplicates;
  cfg.tables = {make("body")};
  try {
    run_dedup(cfg, {}, out);
    FAIL() << "a missing text column must fail";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "<table>: no column 'text' (columns: body, id); use --text-field body");
  }
  cfg.tables = {make("text")};
  cfg.text_field = "id";
  EXPECT_THROW(
      {
        try {
          run_dedup(cfg, {}, out);
        } catch (const Error& e) {
          EXPECT_STREQ(e.what(), "<table>: column 'id' is int64, not a string column");
          throw;
        }
      },
      Error);
}

}  // namespace
}  // namespace dupscan
