#include "sources/postgres/copy_text.h"

#include <gtest/gtest.h>

namespace summit::sources::postgres {
namespace {

using transform::PgRow;

std::string Encode(const PgRow& row) {
  std::string out;
  EncodeCopyRow(row, out);
  return out;
}

TEST(CopyText, NullIsBackslashNAndEmptyStringIsEmpty) {
  EXPECT_EQ(Encode({std::nullopt, std::string(), std::string("x")}), "\\N\t\tx\n");
  auto row = DecodeCopyRow("\\N\t\tx");
  ASSERT_TRUE(row);
  ASSERT_EQ(row->size(), 3u);
  EXPECT_FALSE((*row)[0].has_value());
  EXPECT_EQ(*(*row)[1], "");
  EXPECT_EQ(*(*row)[2], "x");
}

TEST(CopyText, TheStringBackslashNIsNotNull) {
  PgRow row = {std::string("\\N")};
  std::string line = Encode(row);
  EXPECT_EQ(line, "\\\\N\n");
  auto back = DecodeCopyRow(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back);
  ASSERT_TRUE((*back)[0].has_value());
  EXPECT_EQ(*(*back)[0], "\\N");
}

TEST(CopyText, ControlCharactersAreEscapedAsTheServerDoes) {
  PgRow row = {std::string("a\tb\nc\rd\\e\bf\fg\vh")};
  EXPECT_EQ(Encode(row), "a\\tb\\nc\\rd\\\\e\\bf\\fg\\vh\n");
}

TEST(CopyText, NastyStringsRoundTripByteForByte) {
  const std::vector<std::string> nasty = {
      "", " ", "\\", "\\\\", "\\.", "\t", "\n\n", "\r\n", "tab\there", "back\\slash\\N", "quote'\"",
      "Zürich – Ελληνικά – 日本語 – 🚀", std::string("nul?\x01\x02\x1f end"), "\\x41 not hex", "trailing\\",
      "{\"json\": \"va\\\\lue\\n\"}", "\x7f\xc3\xa9"};
  for (const auto& s : nasty) {
    PgRow row = {s, std::nullopt, s + s};
    std::string line = Encode(row);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(line.find('\n'), line.size() - 1) << "an unescaped newline inside the row for " << s;
    auto back = DecodeCopyRow(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, row) << s;
    // And encoding the decoded row gives the same bytes again.
    EXPECT_EQ(Encode(*back), line);
  }
}

TEST(CopyText, DecodesOctalHexAndRedundantEscapesAsCopyFromDoes) {
  auto row = DecodeCopyRow("\\101\\x42\\x4a\\q\\7\\0101");
  ASSERT_TRUE(row);
  EXPECT_EQ(*(*row)[0], std::string("ABJq\x07\x08") + "1");
}

TEST(CopyText, MultibyteUtf8PassesUntouched) {
  std::string s = "名前\tnaïve";
  auto row = DecodeCopyRow("名前\\tnaïve\t€");
  ASSERT_TRUE(row);
  EXPECT_EQ(*(*row)[0], s);
  EXPECT_EQ(*(*row)[1], "€");
}

TEST(CopyText, DanglingBackslashIsCorruption) {
  auto row = DecodeCopyRow("abc\\");
  ASSERT_FALSE(row);
  EXPECT_EQ(row.error().code(), ErrorCode::kCorruption);
}

TEST(CopyText, TrailingTabMeansALastEmptyField) {
  auto row = DecodeCopyRow("a\t");
  ASSERT_TRUE(row);
  ASSERT_EQ(row->size(), 2u);
  EXPECT_EQ(*(*row)[1], "");
}

TEST(CopyLineSplitter, JoinsLinesSplitAcrossChunksAndReportsAnUnterminatedLast) {
  CopyLineSplitter s;
  std::vector<std::string> lines;
  auto on = [&](std::string_view l) -> Status {
    lines.emplace_back(l);
    return Ok();
  };
  ASSERT_TRUE(s.Feed("ab", on));
  ASSERT_TRUE(s.Feed("c\nde", on));
  ASSERT_TRUE(s.Feed("f\n\ng", on));
  ASSERT_TRUE(s.Finish(on));
  EXPECT_EQ(lines, (std::vector<std::string>{"abc", "def", "", "g"}));
}

}  // namespace
}  // namespace summit::sources::postgres
