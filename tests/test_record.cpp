// One JSONL record: what is a document, what is skipped and why.
#include "io.hpp"
#include "record.hpp"
#include "test_util.hpp"

namespace dupscan {
namespace {

struct Parsed {
  bool ok;
  std::string text, id;
  SkipReason reason;
};

Parsed parse(const std::string& line, const char* text_field = "text",
             const char* id_field = "id") {
  RecordParser p(text_field, id_field);
  std::string padded = line + std::string(io::kPadding, ' ');
  std::string_view text;
  Parsed r{};
  std::string detail;
  r.ok = p.parse(padded.data(), line.size(), text, r.id, r.reason, detail);
  if (r.ok) r.text = std::string(text);
  return r;
}

TEST(Record, TextAndIdAreExtracted) {
  const Parsed r = parse(R"({"id": "doc-1", "text": "Hello \u00e9\n", "other": [1, 2]})");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.text, "Hello \xc3\xa9\n");
  EXPECT_EQ(r.id, "\"doc-1\"");  // ids are kept as JSON
  EXPECT_EQ(parse(R"({"text":"x","id":42})").id, "42");
  EXPECT_EQ(parse(R"({"text":"x","id":null})").id, "");
  EXPECT_EQ(parse(R"({"text":"x"})").id, "");
  EXPECT_EQ(parse(R"({"q":"x","key":"a\"b"})", "q", "key").id, R"("a\"b")");
  EXPECT_TRUE(parse("{\"text\":\"x\"}\r").ok);  // CRLF line
}

TEST(Record, BadRecordsHaveReasons) {
  EXPECT_EQ(parse(R"({"text": "unterminated)").reason, SkipReason::malformed_json);
  EXPECT_EQ(parse(R"({"text": "x"} trailing)").reason, SkipReason::malformed_json);
  EXPECT_EQ(parse(R"([1, 2, 3])").reason, SkipReason::not_an_object);
  EXPECT_EQ(parse(R"("just a string")").reason, SkipReason::not_an_object);
  EXPECT_EQ(parse(R"({"body": "x"})").reason, SkipReason::missing_text_field);
  EXPECT_EQ(parse(R"({"text": 12})").reason, SkipReason::text_not_string);
  EXPECT_EQ(parse(R"({"text": null})").reason, SkipReason::text_not_string);
  EXPECT_EQ(parse("{\"text\": \"bad \xff byte\"}").reason, SkipReason::invalid_utf8);
  EXPECT_TRUE(parse(R"({"text": ""})").ok);  // an empty text is a document (reported empty)
}

TEST(Record, BlankLinesAndJsonStrings) {
  EXPECT_TRUE(is_blank(""));
  EXPECT_TRUE(is_blank(" \t\r"));
  EXPECT_FALSE(is_blank(" x "));
  std::string s;
  append_json_string(s, "a\"b\\c\n\x01 é");
  EXPECT_EQ(s, "\"a\\\"b\\\\c\\n\\u0001 é\"");
}

}  // namespace
}  // namespace dupscan
