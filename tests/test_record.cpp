// One JSONL record: what is a document, what is skipped and why.
#include "dupscan/errors.hpp"
#include "io/io.hpp"
#include "io/record.hpp"
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

// Ids are their JSON text whatever the number, and a record whose numbers simdjson cannot hold
// is still a record; malformed numbers stay malformed.
TEST(Record, NumericIdsAreKeptAsWritten) {
  for (const char* id : {"123456789012345678901234567890", "1e400", "-9223372036854775809", "1E2",
                         "1.50", "-0", "0.1e-5", "[1.0,{\"a\":-0}]", "18446744073709551615"}) {
    const Parsed r = parse(std::string("{\"text\":\"x\",\"id\":") + id + "}");
    ASSERT_TRUE(r.ok) << id;
    EXPECT_EQ(r.id, id);
  }
  const Parsed other = parse(R"({"n": 1e400, "text": "y \"1.5\" z", "id": 2.50})");
  ASSERT_TRUE(other.ok);
  EXPECT_EQ(other.text, "y \"1.5\" z");
  EXPECT_EQ(other.id, "2.50");
  EXPECT_EQ(parse(R"({"text":"x","id":"a"})").id, "\"a\"");
  EXPECT_EQ(parse(R"({"text":"x","id":01})").reason, SkipReason::malformed_json);
  EXPECT_EQ(parse(R"({"text":"x","id":1.})").reason, SkipReason::malformed_json);
  EXPECT_EQ(parse(R"({"text":"x","id":1e400,})").reason, SkipReason::malformed_json);
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
  // Ill-formed UTF-8 is the reason whatever else is wrong: bad JSON, JSON not an object, a
  // number simdjson cannot hold (parsed again with placeholders), a text that is no string.
  EXPECT_EQ(parse("{\"text\": \"bad \xff unterminated").reason, SkipReason::invalid_utf8);
  EXPECT_EQ(parse("[\"\xc3\x28\"]").reason, SkipReason::invalid_utf8);
  EXPECT_EQ(parse("{\"text\": \"\xed\xa0\x80\", \"n\": 1e400}").reason, SkipReason::invalid_utf8);
  EXPECT_EQ(parse("{\"text\": 1, \"x\": \"\xf8\"}").reason, SkipReason::invalid_utf8);
  EXPECT_TRUE(parse(R"({"text": ""})").ok);  // an empty text is a document (reported empty)
}

TEST(Record, NestedJoinedFieldsAndPlainText) {
  EXPECT_EQ(parse(R"({"meta": {"body": "x y"}})", "meta.body").text, "x y");
  EXPECT_EQ(parse(R"({"a": {"b": {"c": "deep"}}})", "a.b.c").text, "deep");
  EXPECT_EQ(parse(R"({"meta.body": "whole", "meta": {"body": "nested"}})", "meta.body").text,
            "whole");  // a key holding the dot wins
  EXPECT_EQ(parse(R"({"title": "T", "body": "B"})", "title+body").text, "T\nB");
  EXPECT_EQ(parse(R"({"m": {"id": 7}, "text": "x"})", "text", "m.id").id, "7");
  EXPECT_EQ(parse(R"({"meta": "flat"})", "meta.body").reason, SkipReason::missing_text_field);
  EXPECT_EQ(parse(R"({"title": "T"})", "title+body").reason, SkipReason::missing_text_field);
  EXPECT_EQ(parse(R"({"title": "T", "body": 1})", "title+body").reason,
            SkipReason::text_not_string);
  EXPECT_THROW(RecordParser("a++b", "id"), UsageError);
  EXPECT_THROW(RecordParser("+a", "id"), UsageError);

  RecordParser text("text", "id", InputFormat::text);
  std::string line = "not {json} at all\r" + std::string(io::kPadding, ' ');
  std::string_view t;
  std::string id, detail;
  SkipReason reason{};
  ASSERT_TRUE(text.parse(line.data(), 18, t, id, reason, detail));
  EXPECT_EQ(t, "not {json} at all");  // the line, without its '\r'
  EXPECT_EQ(id, "");
}

TEST(Record, BadRecordsSayWhatTheyHold) {
  auto explain = [](const std::string& line, const char* field = "text") {
    RecordParser p(field, "id");
    std::string padded = line + std::string(io::kPadding, ' ');
    std::string_view text;
    std::string id, detail;
    BadRecord b;
    EXPECT_FALSE(p.parse(padded.data(), line.size(), text, id, b.reason, detail));
    p.explain(line, b);
    return b;
  };
  const BadRecord g =
      explain(R"({"question": "How many clips did Natalia sell?", "answer": "She sold 72."})");
  EXPECT_EQ(g.fields, "question, answer");
  EXPECT_EQ(g.suggestion, "question");  // the longest string
  EXPECT_EQ(g.field, "text");
  // The id is no text; a nested string is found when no top-level one is.
  EXPECT_EQ(explain(R"({"id": "x", "n": 1, "doc": {"body": "a body long enough"}})").suggestion,
            "doc.body");
  EXPECT_EQ(explain(R"({"text": 5, "n": 1})").suggestion, "");
  EXPECT_TRUE(explain("Plain words, no JSON here").plain_text);
  EXPECT_FALSE(explain("{\"text\": broken").plain_text);
}

TEST(Record, SuggestsTheDefaultFieldElseTheLongestText) {
  auto suggest = [](const std::string& line, const char* field) {
    RecordParser p(field, "id");
    std::string padded = line + std::string(io::kPadding, ' ');
    std::string_view text;
    std::string id, detail;
    BadRecord b;
    EXPECT_FALSE(p.parse(padded.data(), line.size(), text, id, b.reason, detail));
    p.explain(line, b);
    return b.suggestion;
  };
  // The default field when the record has it, however short, before any other string.
  EXPECT_EQ(
      suggest(R"({"id": "doc-000000001", "source": "common crawl, 2023", "text": "t"})", "body"),
      "text");
  // Else the longest string; never an id-like field, however long, nor a short label.
  EXPECT_EQ(suggest(R"({"uuid": "0a4e9a1c-8d7e-4c1e-9a55-5b8e1f2a3c4d", "lang": "en",)"
                    R"( "title": "A short title here", "content": "The content, the longest one"})",
                    "body"),
            "content");
  EXPECT_EQ(
      suggest(R"({"doc_id": "0a4e9a1c-8d7e-4c1e-9a55-5b8e1f2a3c4d", "source": "wiki"})", "body"),
      "");
  // The field asked for is never the suggestion, even when it is "text" (not a string here).
  EXPECT_EQ(suggest(R"({"text": 5, "source": "wiki"})", "text"), "");
  EXPECT_EQ(suggest_text_field({{"url", 80}, {"summary", 40}, {"text_url", 90}}, {}), "summary");
}

// `inner` in `depth` arrays.
std::string nested(int depth, const std::string& inner) {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

// The whole line is checked, and the first of repeated keys counts: what a reader that checks
// only what it visits (simdjson's On-Demand API) would have to keep to give the same records and
// skip reasons.
TEST(Record, TheWholeLineIsCheckedAndTheFirstOfRepeatedKeysCounts) {
  // Keys repeated: the first one counts, for the text and the id; a bad one is not replaced.
  EXPECT_EQ(parse(R"({"text": "first", "text": "second"})").text, "first");
  EXPECT_EQ(parse(R"({"text": 1, "text": "second"})").reason, SkipReason::text_not_string);
  EXPECT_EQ(parse(R"({"id": 1, "text": "x", "id": 2})").id, "1");
  EXPECT_EQ(parse(R"({"text": "x", "id": null, "id": 3})").id, "");
  // The text after a large nested value; keys compared unescaped.
  EXPECT_EQ(
      parse(R"({"m": {"a": [1, 2.5, {"b": [true, null, "s\"x", {}]}], "c": {}}, "text": "t"})")
          .text,
      "t");
  EXPECT_EQ(parse(R"({"te\u0078t": "escaped key"})").text, "escaped key");
  EXPECT_EQ(parse(R"({"t\"ext": "x"})").reason, SkipReason::missing_text_field);
  // What the text does not need is checked all the same: strings, atoms, numbers, punctuation,
  // what follows the object (even after a text that is no string).
  for (const char* line : {R"({"text": "x"} x)",
                           R"({"text": "x"}{"a": 1})",
                           R"({"text": "x"}])",
                           R"({"text": "x"},)",
                           R"({"a": 1 "text": "x"})",
                           R"({"a" 1, "text": "x"})",
                           R"({"a": [1 2], "text": "x"})",
                           R"({"a": [1,], "text": "x"})",
                           R"({"text": "x",})",
                           R"({"text": "x")",
                           R"({"a": tru, "text": "x"})",
                           R"({"a": nul, "text": "x"})",
                           R"({"a": True, "text": "x"})",
                           R"({"a": 01, "text": "x"})",
                           R"({"a": 1., "text": "x"})",
                           R"({"a": .5, "text": "x"})",
                           R"({"a": "\q", "text": "x"})",
                           R"({"a": "\u12", "text": "x"})",
                           R"({"k\u": 1, "text": "x"})",
                           R"({1: "x", "text": "y"})",
                           R"({"text": 1} x)"}) {
    EXPECT_EQ(parse(line).reason, SkipReason::malformed_json) << line;
  }
  // Numbers simdjson cannot hold are JSON; nesting up to simdjson's depth limit (1024).
  EXPECT_TRUE(parse(R"({"a": 1e400, "text": "x"})").ok);
  EXPECT_TRUE(parse(R"({"a": [123456789012345678901234567890], "text": "x"})").ok);
  EXPECT_TRUE(parse("{\"a\": " + nested(100, "{\"b\": 1}") + ", \"text\": \"x\"}").ok);
  EXPECT_EQ(parse("{\"a\": " + nested(1100, "1") + ", \"text\": \"x\"}").reason,
            SkipReason::malformed_json);
  // Roots that are no object; a blank line (its callers skip it first: is_blank).
  for (const char* line : {R"([{"text": "x"}])", R"("text")", "1", "true", "null"}) {
    EXPECT_EQ(parse(line).reason, SkipReason::not_an_object) << line;
  }
  EXPECT_EQ(parse("  \t ").reason, SkipReason::malformed_json);
  // Ill-formed UTF-8 in a key, in a value that is not the text, after the object.
  EXPECT_EQ(parse("{\"k\xff\": 1, \"text\": \"x\"}").reason, SkipReason::invalid_utf8);
  EXPECT_EQ(parse("{\"a\": [\"\xc3\x28\"], \"text\": \"x\"}").reason, SkipReason::invalid_utf8);
  EXPECT_EQ(parse("{\"text\": \"x\"} \xe2\x82").reason, SkipReason::invalid_utf8);
  // Ids are minified JSON: escapes undone where JSON allows, arrays and atoms as such.
  EXPECT_EQ(parse(R"({"text": "x", "id": "a\/b"})").id, R"("a/b")");
  EXPECT_EQ(parse(R"({"text": "x", "id": "caf\u00e9"})").id, "\"caf\xc3\xa9\"");
  EXPECT_EQ(parse(R"({"text": "x", "id": "tab\t"})").id, R"("tab\t")");
  EXPECT_EQ(parse(R"({"text": "x", "id": ""})").id, R"("")");
  EXPECT_EQ(parse(R"({"text": "x", "id": true})").id, "true");
  EXPECT_EQ(parse(R"({"text": "x", "id": -17})").id, "-17");
  EXPECT_EQ(parse(R"({"text": "x", "id": 9223372036854775808})").id, "9223372036854775808");
  EXPECT_EQ(parse(R"({"text": "x", "id": [1, "a", {"b": null}]})").id, R"([1,"a",{"b":null}])");
  const Parsed both = parse(R"({"text": "x y"})", "text", "text");  // one field, text and id
  ASSERT_TRUE(both.ok);
  EXPECT_EQ(both.text, "x y");
  EXPECT_EQ(both.id, "\"x y\"");
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
