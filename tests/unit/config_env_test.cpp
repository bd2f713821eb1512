#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "config/env.h"

namespace adrg {
namespace {

TEST(ConfigEnvFile, ParsesTheDialect) {
  EnvFile f = parse_env_file(
      "# adrg.env written by setup.sh\n"
      "\n"
      "ADRG_MEDIA_API_KEY=abc123\n"
      "export ADRG_QB_PASSWORD=p#ss word  \n"  // '#' inside an unquoted value is kept
      "  SPACED = trimmed\n"
      "SINGLE='lit $HOME \\n # not a comment'\n"
      "DOUBLE=\"a \\\"b\\\" \\\\ \\$ c\\nd\"   # trailing comment\n"
      "EMPTY=\n"
      "EMPTY_QUOTED=\"\"\n"
      "MULTI=\"line1\nline2\"\n"
      "DUP=first\n"
      "DUP=second\n"
      "DOLLAR=${NOT_EXPANDED}\n");
  EXPECT_TRUE(f.errors.empty()) << f.errors.front().message;
  EXPECT_EQ(f.values.at("ADRG_MEDIA_API_KEY"), "abc123");
  EXPECT_EQ(f.values.at("ADRG_QB_PASSWORD"), "p#ss word");
  EXPECT_EQ(f.values.at("SPACED"), "trimmed");
  EXPECT_EQ(f.values.at("SINGLE"), "lit $HOME \\n # not a comment");
  EXPECT_EQ(f.values.at("DOUBLE"), "a \"b\" \\ $ c\nd");
  EXPECT_EQ(f.values.at("EMPTY"), "");
  EXPECT_EQ(f.values.at("EMPTY_QUOTED"), "");
  EXPECT_EQ(f.values.at("MULTI"), "line1\nline2");
  EXPECT_EQ(f.values.at("DUP"), "second");
  EXPECT_EQ(f.values.at("DOLLAR"), "${NOT_EXPANDED}");  // no shell expansion
  EXPECT_EQ(f.values.size(), 10u);
}

TEST(ConfigEnvFile, CrlfAndBom) {
  EnvFile f = parse_env_file("\xEF\xBB\xBFKEY=v\r\nOTHER='x'\r\n");
  EXPECT_TRUE(f.errors.empty());
  EXPECT_EQ(f.values.at("KEY"), "v");
  EXPECT_EQ(f.values.at("OTHER"), "x");
}

TEST(ConfigEnvFile, ErrorsCarryLineAndColumnAndParsingContinues) {
  EnvFile f = parse_env_file(
      "GOOD=1\n"
      "just words\n"  // line 2
      "  1BAD=x\n"    // line 3, name at column 3
      "Q=\"open\n"    // line 4: unterminated, swallows the rest
  );
  ASSERT_EQ(f.errors.size(), 3u);
  EXPECT_EQ(f.errors[0].line, 2);
  EXPECT_EQ(f.errors[0].column, 1);
  EXPECT_NE(f.errors[0].message.find("expected KEY=value"), std::string::npos);
  EXPECT_EQ(f.errors[1].line, 3);
  EXPECT_EQ(f.errors[1].column, 3);
  EXPECT_NE(f.errors[1].message.find("invalid variable name '1BAD'"), std::string::npos);
  EXPECT_EQ(f.errors[2].line, 4);
  EXPECT_EQ(f.errors[2].column, 3);
  EXPECT_NE(f.errors[2].message.find("unterminated double-quoted"), std::string::npos);
  EXPECT_EQ(f.values.at("GOOD"), "1");
  EXPECT_EQ(f.values.count("Q"), 0u);
}

TEST(ConfigEnvFile, GarbageAfterClosingQuote) {
  EnvFile f = parse_env_file("A=1\nB='x' y\nC=3\n");
  ASSERT_EQ(f.errors.size(), 1u);
  EXPECT_EQ(f.errors[0].line, 2);
  EXPECT_EQ(f.errors[0].column, 7);
  EXPECT_NE(f.errors[0].message.find("after the closing quote"), std::string::npos);
  EXPECT_EQ(f.values.at("C"), "3");
}

TEST(ConfigEnvironment, ProcessWinsOverFile) {
  Environment env({{"A", "process"}, {"EMPTY", ""}},
                  {{"A", "file"}, {"B", "file"}, {"EMPTY", "f"}});
  EXPECT_EQ(env.lookup("A"), "process");
  EXPECT_EQ(env.lookup("B"), "file");
  EXPECT_EQ(env.lookup("EMPTY"), "");  // set-but-empty in the process still counts as set
  EXPECT_EQ(env.lookup("C"), std::nullopt);
}

TEST(ConfigEnvironment, ReadsTheRealEnviron) {
  ::setenv("ADRG_CONFIG_ENV_TEST_VAR", "x=y", 1);
  auto env = Environment::process_environment();
  ::unsetenv("ADRG_CONFIG_ENV_TEST_VAR");
  EXPECT_EQ(env.at("ADRG_CONFIG_ENV_TEST_VAR"), "x=y");  // split at the first '='
}

TEST(ConfigExpand, Placeholders) {
  Environment env({{"KEY", "secret"}, {"EMPTY", ""}}, {{"FROM_FILE", "f"}});
  auto x = [&](std::string_view in) { return expand_env(in, env); };
  EXPECT_EQ(x("${KEY}").text, "secret");
  EXPECT_EQ(x("pre-${KEY}-${FROM_FILE}-post").text, "pre-secret-f-post");
  EXPECT_EQ(x("${EMPTY:-fallback}").text, "fallback");
  EXPECT_EQ(x("${UNSET:-fall back}").text, "fall back");
  EXPECT_EQ(x("${KEY:-fallback}").text, "secret");
  EXPECT_EQ(x("${UNSET:-}").text, "");
  EXPECT_EQ(x("$$").text, "$");
  EXPECT_EQ(x("$${KEY}").text, "${KEY}");
  EXPECT_EQ(x("pa$word$").text, "pa$word$");  // a lone '$' and $VAR stay literal
  EXPECT_EQ(x("$KEY").text, "$KEY");
  EXPECT_EQ(x("no placeholders").text, "no placeholders");
  for (auto in : {"${KEY}", "${UNSET:-x}", "$$", "$KEY", "${EMPTY}"}) {
    EXPECT_TRUE(x(in).issues.empty()) << in;
  }
}

TEST(ConfigExpand, UndefinedIsEmptyWithAWarningAtItsOffset) {
  Environment env;
  Expansion e = expand_env("ab${ADRG_NTFY_URL}cd", env);
  EXPECT_EQ(e.text, "abcd");
  ASSERT_EQ(e.issues.size(), 1u);
  EXPECT_FALSE(e.issues[0].is_error);
  EXPECT_EQ(e.issues[0].offset, 2u);
  EXPECT_NE(e.issues[0].message.find("ADRG_NTFY_URL is not set"), std::string::npos);
}

TEST(ConfigExpand, MalformedPlaceholdersAreErrors) {
  Environment env({{"A", "1"}}, {});
  struct Case {
    const char* in;
    std::size_t offset;
    const char* message;
  };
  for (const Case& c :
       {Case{"x${A", 1, "unterminated '${'"}, Case{"${}", 0, "invalid variable name"},
        Case{"${1A}", 0, "invalid variable name"},
        Case{"..${A:=x}", 2, "unsupported expansion '${A:=x}'"},
        Case{"${A B}", 0, "unsupported expansion"}}) {
    Expansion e = expand_env(c.in, env);
    ASSERT_EQ(e.issues.size(), 1u) << c.in;
    EXPECT_TRUE(e.issues[0].is_error) << c.in;
    EXPECT_EQ(e.issues[0].offset, c.offset) << c.in;
    EXPECT_NE(e.issues[0].message.find(c.message), std::string::npos) << e.issues[0].message;
  }
}

TEST(ConfigExpand, NameValidation) {
  EXPECT_TRUE(is_valid_env_name("ADRG_X1"));
  EXPECT_TRUE(is_valid_env_name("_x"));
  EXPECT_FALSE(is_valid_env_name(""));
  EXPECT_FALSE(is_valid_env_name("1X"));
  EXPECT_FALSE(is_valid_env_name("A-B"));
}

}  // namespace
}  // namespace adrg
