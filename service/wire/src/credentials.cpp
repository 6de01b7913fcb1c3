#include "asyncfetch/wire/credentials.hpp"

#include <openssl/evp.h>

namespace asyncfetch {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 userinfo = *( unreserved / pct-encoded / sub-delims / ":" ); the
// first ':' ends the user, so a raw one is only ever part of the password.
bool is_userinfo_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                                    // unreserved
    case '!': case '$': case '&': case '\'': case '(': case ')':               // sub-delims
    case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

std::optional<std::string> percent_decode(std::string_view s, bool colon_allowed) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (!is_userinfo_char(c) && !(colon_allowed && c == ':')) {
      return std::nullopt;
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
    out += c;
  }
  return out;
}

}  // namespace

std::optional<Credentials> parse_userinfo(std::string_view userinfo) {
  const auto colon = userinfo.find(':');
  auto user = percent_decode(userinfo.substr(0, colon), false);
  auto password = colon == std::string_view::npos ? std::optional<std::string>("")
                                                  : percent_decode(userinfo.substr(colon + 1), true);
  if (!user || user->empty() || user->find(':') != std::string::npos || !password) return std::nullopt;
  return Credentials{std::move(*user), std::move(*password)};
}

std::string basic_authorization(const Credentials& c) {
  const std::string plain = c.user + ":" + c.password;
  std::string encoded(4 * ((plain.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return "Basic " + encoded;
}

std::string mask_userinfo(const Credentials& c) { return c.user + ":***"; }

void mask_credentials(std::string& url_text) {
  const auto scheme_end = url_text.find("://");
  if (scheme_end == std::string::npos) return;
  const auto start = scheme_end + 3;
  const auto authority_end = url_text.find_first_of("/?#", start);
  const auto at = url_text.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end - 1);
  if (at == std::string::npos || at <= start) return;  // no userinfo, or an empty one
  const auto colon = url_text.find(':', start);
  const auto secret = colon < at ? colon + 1 : start;
  url_text.replace(secret, at - secret, "***");
}

}  // namespace asyncfetch
