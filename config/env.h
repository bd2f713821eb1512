// ADRG's secrets live in /etc/adrg/adrg.env and reach config.yaml through ${VAR} placeholders
// (api_key: "${ADRG_MEDIA_API_KEY}"). This file parses that env file and performs the expansion.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace adrg {

// A problem in an env file; line and column are 1-based.
struct EnvFileIssue {
  int line = 0;
  int column = 0;
  std::string message;
};

struct EnvFile {
  std::map<std::string, std::string> values;
  std::vector<EnvFileIssue> errors;
};

// Parses the text of an env file in the dialect systemd's EnvironmentFile= and docker compose
// agree on:
//   KEY=value            value taken literally, surrounding blanks trimmed; a '#' inside an
//                        unquoted value is part of it (passwords contain '#'), no shell expansion
//   export KEY=value     the "export " prefix is ignored, so the file can also be sourced
//   KEY='value'          literal, no escapes
//   KEY="value"          backslash escapes \" \\ \$ \n \t; a quoted value may span lines
//   # comment, blank lines
// A comment may follow a closing quote. A later assignment of the same key wins. Lines that are
// not assignments, invalid names and unterminated quotes are errors (a silently dropped secret is
// worse than a refusal to start).
EnvFile parse_env_file(std::string_view text);

// Where ${VAR} values come from. The process environment wins; the env file only fills in
// variables missing from it (a variable set to "" in the process counts as set). This matches
// docker compose's .env file, and under systemd (EnvironmentFile=/etc/adrg/adrg.env) the file's
// values are already in the process environment, so reading the file again changes nothing.
class Environment {
 public:
  Environment() = default;
  Environment(std::map<std::string, std::string> process, std::map<std::string, std::string> file)
      : process_(std::move(process)), file_(std::move(file)) {}

  // The real process environment (environ).
  static std::map<std::string, std::string> process_environment();

  std::optional<std::string> lookup(std::string_view name) const;

 private:
  std::map<std::string, std::string> process_;
  std::map<std::string, std::string> file_;
};

struct ExpansionIssue {
  std::size_t offset = 0;  // byte offset of the '$' in the input text
  std::string message;
  bool is_error = false;  // false: warning
};

struct Expansion {
  std::string text;
  std::vector<ExpansionIssue> issues;
};

// Expands placeholders in one YAML scalar:
//   ${VAR}           the variable's value; an undefined variable expands to "" with a warning
//                    (ADRG behaviour: an empty optional secret such as ADRG_NTFY_URL disables that
//                    backend)
//   ${VAR:-default}  default when VAR is undefined or empty, without a warning
//   $$               a literal '$'
// Any other '$' (including $VAR without braces) is left as it is, so passwords containing '$'
// survive. An unterminated "${", an invalid name or an unsupported operator is an error.
// Expansion happens after YAML parsing, per scalar, so a value can never inject YAML structure.
Expansion expand_env(std::string_view text, const Environment& env);

// True for [A-Za-z_][A-Za-z0-9_]*.
bool is_valid_env_name(std::string_view name);

}  // namespace adrg
