// docs/configuration.md against the key table: --help (which the table
// drives) is the truth, and the manual's "Keys" table must list every key
// with the same type, default and environment variable, and name no key that
// does not exist, in the table or in its prose.
#include "asyncfetch/config.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct KeyDoc {
  std::string type;
  std::string default_value;
  std::string env;
};

// "  --port <integer 0..65535>  default: 8080" lines of help_text().
std::map<std::string, KeyDoc> keys_from_help() {
  static const std::regex line(R"(^  --([a-z][a-z0-9_]*) <(.+)>  default: (.+)$)");
  std::map<std::string, KeyDoc> keys;
  std::istringstream in(asyncfetch::help_text());
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (!std::regex_match(l, m, line)) continue;
    std::string env = "ASYNCFETCH_" + m[1].str();
    for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    keys[m[1]] = KeyDoc{m[2], m[3], env};
  }
  return keys;
}

std::vector<std::string> manual_lines() {
  std::ifstream in(ASYNCFETCH_CONFIGURATION_DOC);
  REQUIRE(in);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// The cells of a Markdown table row, `\|` unescaped, code spans unwrapped.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  for (std::size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (row[i] == '|') {
      out.push_back(cell);
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  for (auto& c : out) {
    const auto b = c.find_first_not_of(' ');
    const auto e = c.find_last_not_of(' ');
    c = b == std::string::npos ? "" : c.substr(b, e - b + 1);
    if (c.size() >= 2 && c.front() == '`' && c.back() == '`') c = c.substr(1, c.size() - 2);
  }
  return out;
}

// The rows of the table under "## Keys", by key.
std::map<std::string, std::vector<std::string>> manual_key_rows(const std::vector<std::string>& lines,
                                                                std::vector<std::string>& duplicates) {
  std::map<std::string, std::vector<std::string>> rows;
  bool in_section = false;
  for (const auto& l : lines) {
    if (l.rfind("## ", 0) == 0) in_section = l == "## Keys";
    if (!in_section || l.rfind("| `", 0) != 0) continue;
    auto c = cells(l);
    if (!rows.emplace(c.at(0), c).second) duplicates.push_back(c.at(0));
  }
  return rows;
}

}  // namespace

TEST_CASE("docs/configuration.md lists every key with its type, default and variable", "[config][docs]") {
  const auto keys = keys_from_help();
  REQUIRE(keys.size() >= 20);  // the help text parsed at all
  std::vector<std::string> duplicates;
  const auto rows = manual_key_rows(manual_lines(), duplicates);
  CHECK(duplicates.empty());

  for (const auto& [name, doc] : keys) {
    INFO("key " << name);
    const auto it = rows.find(name);
    if (it == rows.end()) {
      FAIL_CHECK("no row for the key");
      continue;
    }
    const auto& row = it->second;
    REQUIRE(row.size() == 5);  // key | type | default | environment variable | meaning
    CHECK(row[1] == doc.type);
    CHECK(row[2] == doc.default_value);
    CHECK(row[3] == doc.env);
    CHECK_FALSE(row[4].empty());
  }
  for (const auto& [name, row] : rows) {
    INFO("row " << name);
    CHECK(keys.count(name) == 1);
  }
}

TEST_CASE("docs/configuration.md names no flag or variable that is not a key", "[config][docs]") {
  const auto keys = keys_from_help();
  std::set<std::string> flags = {"config", "help", "health-check"};
  std::set<std::string> vars = {"ASYNCFETCH_CONFIG"};
  for (const auto& [name, doc] : keys) {
    flags.insert(name);
    vars.insert(doc.env);
  }
  // Outside fenced code (whose error examples show unknown keys on purpose).
  static const std::regex flag(R"((^|[^-\w])--([a-z][a-z0-9_-]*))");
  static const std::regex var(R"(ASYNCFETCH_[A-Z0-9_]+)");
  bool fenced = false;
  std::size_t checked = 0;
  for (const auto& l : manual_lines()) {
    if (l.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced) continue;
    for (std::sregex_iterator m(l.begin(), l.end(), flag), end; m != end; ++m, ++checked) {
      INFO("flag --" << (*m)[2] << " in: " << l);
      CHECK(flags.count((*m)[2]) == 1);
    }
    for (std::sregex_iterator m(l.begin(), l.end(), var), end; m != end; ++m, ++checked) {
      INFO("variable " << m->str() << " in: " << l);
      CHECK(vars.count(m->str()) == 1);
    }
  }
  CHECK(checked >= keys.size());  // the table's variables at least
}
