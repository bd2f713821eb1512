#include "config/env.h"

#include <unistd.h>

#include <utility>

namespace adrg {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

// A cursor over the env file text that tracks 1-based line and column.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return done() ? '\0' : text_[pos_]; }
  bool at_line_end() const { return done() || peek() == '\n'; }
  int line() const { return line_; }
  int column() const { return static_cast<int>(pos_ - line_start_) + 1; }
  std::size_t pos() const { return pos_; }
  std::string_view rest() const { return text_.substr(pos_); }
  std::string_view slice(std::size_t from) const { return text_.substr(from, pos_ - from); }

  char advance() {
    char c = text_[pos_++];
    if (c == '\n') {
      ++line_;
      line_start_ = pos_;
    }
    return c;
  }
  void skip_blanks() {
    while (!done() && is_blank(peek())) advance();
  }
  void skip_line() {
    while (!done() && advance() != '\n') {
    }
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
};

// Parses the value after '='; returns false after recording an error (the cursor is then left
// somewhere on or after the offending line; the caller skips to the next line).
bool parse_value(Cursor& c, std::string& out, EnvFile& file) {
  c.skip_blanks();
  const char quote = c.peek();
  if (quote == '\'' || quote == '"') {
    const int line = c.line();
    const int column = c.column();
    c.advance();
    bool closed = false;
    while (!c.done()) {
      char ch = c.advance();
      if (ch == quote) {
        closed = true;
        break;
      }
      if (quote == '"' && ch == '\\' && !c.done()) {
        char next = c.advance();
        switch (next) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case '"':
          case '\\':
          case '$':
          case '`':
            out += next;
            break;
          case '\n':
            break;  // line continuation
          default:
            out += '\\';
            out += next;
            break;
        }
        continue;
      }
      out += ch;
    }
    if (!closed) {
      file.errors.push_back(
          {line, column,
           std::string("unterminated ") + (quote == '"' ? "double" : "single") + "-quoted value"});
      return false;
    }
    c.skip_blanks();
    if (!c.at_line_end() && c.peek() != '#') {
      file.errors.push_back({c.line(), c.column(),
                             "unexpected text after the closing quote (quote the whole value)"});
      return false;
    }
    c.skip_line();
    return true;
  }
  std::size_t start = c.pos();
  while (!c.at_line_end()) c.advance();
  std::string_view raw = c.slice(start);
  while (!raw.empty() && is_blank(raw.back())) raw.remove_suffix(1);
  out.assign(raw);
  c.skip_line();
  return true;
}

}  // namespace

bool is_valid_env_name(std::string_view name) {
  if (name.empty() || !is_name_start(name.front())) return false;
  for (char ch : name) {
    if (!is_name_char(ch)) return false;
  }
  return true;
}

EnvFile parse_env_file(std::string_view text) {
  EnvFile file;
  Cursor c(text);
  // A UTF-8 byte order mark written by some editors is not part of the first key.
  if (c.rest().substr(0, 3) == "\xEF\xBB\xBF") {
    for (int i = 0; i < 3; ++i) c.advance();
  }
  while (!c.done()) {
    c.skip_blanks();
    if (c.at_line_end() || c.peek() == '#') {
      c.skip_line();
      continue;
    }
    if (c.rest().substr(0, 7) == "export " || c.rest().substr(0, 7) == "export\t") {
      for (int i = 0; i < 7; ++i) c.advance();
      c.skip_blanks();
    }
    const int line = c.line();
    const int column = c.column();
    std::string name;
    while (!c.at_line_end() && c.peek() != '=' && !is_blank(c.peek())) name += c.advance();
    c.skip_blanks();
    if (c.peek() != '=') {
      file.errors.push_back({line, column,
                             name.empty() ? "expected KEY=value"
                                          : "expected KEY=value, got '" + name + "' without '='"});
      c.skip_line();
      continue;
    }
    if (!is_valid_env_name(name)) {
      file.errors.push_back({line, column,
                             "invalid variable name '" + name +
                                 "' (letters, digits and '_', not starting with a digit)"});
      c.skip_line();
      continue;
    }
    c.advance();  // '='
    std::string value;
    if (!parse_value(c, value, file)) {
      c.skip_line();
      continue;
    }
    file.values[name] = std::move(value);
  }
  return file;
}

std::map<std::string, std::string> Environment::process_environment() {
  std::map<std::string, std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return out;
}

std::optional<std::string> Environment::lookup(std::string_view name) const {
  if (auto it = process_.find(std::string(name)); it != process_.end()) return it->second;
  if (auto it = file_.find(std::string(name)); it != file_.end()) return it->second;
  return std::nullopt;
}

Expansion expand_env(std::string_view text, const Environment& env) {
  Expansion out;
  std::size_t i = 0;
  while (i < text.size()) {
    const char ch = text[i];
    if (ch != '$' || i + 1 >= text.size()) {
      out.text += ch;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out.text += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      out.text += ch;  // "$VAR" and a lone '$' stay literal
      ++i;
      continue;
    }
    const std::size_t start = i;
    const std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      out.issues.push_back({start, "unterminated '${' (write '$$' for a literal '$')", true});
      out.text.append(text.substr(start));
      break;
    }
    std::string_view body = text.substr(i + 2, close - (i + 2));
    i = close + 1;
    std::string_view name = body;
    std::optional<std::string_view> fallback;
    std::size_t name_end = 0;
    while (name_end < body.size() && is_name_char(body[name_end])) ++name_end;
    if (name_end < body.size()) {
      name = body.substr(0, name_end);
      if (body.substr(name_end, 2) == ":-") {
        fallback = body.substr(name_end + 2);
      } else {
        out.issues.push_back({start,
                              "unsupported expansion '${" + std::string(body) +
                                  "}' (only ${VAR} and ${VAR:-default} are supported)",
                              true});
        continue;
      }
    }
    if (!is_valid_env_name(name)) {
      out.issues.push_back(
          {start, "invalid variable name in '${" + std::string(body) + "}'", true});
      continue;
    }
    std::optional<std::string> value = env.lookup(name);
    if (fallback) {
      out.text += (value && !value->empty()) ? *value : std::string(*fallback);
    } else if (value) {
      out.text += *value;
    } else {
      out.issues.push_back(
          {start, "environment variable " + std::string(name) + " is not set; using an empty value",
           false});
    }
  }
  return out;
}

}  // namespace adrg
