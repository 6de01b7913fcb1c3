// URL parsing and redirect resolution. See url.hpp for the contract.
//
// The grammar is RFC 3986 (absolute URI with an authority), narrowed to what a
// fetch service needs, with WHATWG's host rules so that every spelling of an
// address ends up as one canonical host string:
//   - scheme: "http" or "https", case-insensitive, followed by "//";
//   - authority: optional userinfo (parse_userinfo: RFC 3986 characters,
//     percent-decoded into credentials), a host, and an optional port (decimal, 1..65535; an empty
//     port after ':' means default);
//   - host: "[IPv6]" (no zone id), an IPv4 address in any WHATWG spelling, or a
//     name of [a-z0-9._-] labels (lower-cased; xn-- labels are plain ASCII);
//   - path: dot segments removed, raw bytes that may not appear in a request
//     target percent-encoded, existing %XX kept as is; "" becomes "/";
//   - query kept; fragment dropped.
#include "asyncfetch/wire/url.hpp"

#include <boost/asio/ip/address_v6.hpp>

#include <array>
#include <charconv>
#include <cstddef>
#include <system_error>

#include "http_text.hpp"

namespace asyncfetch {
namespace {

constexpr std::size_t kMaxUrlBytes = 8 * 1024;
constexpr std::size_t kMaxHostBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_scheme_char(char c) noexcept {
  return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
}
// Space and every C0 control or DEL: never allowed anywhere in a URL we accept.
bool is_ctl_or_space(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f;
}
bool is_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '-' || c == '_';
}

std::uint16_t default_port(std::string_view scheme) noexcept { return scheme == "https" ? 443 : 80; }

// Length of the scheme at the start of `s` if `s` starts with "scheme:", else 0.
std::size_t scheme_length(std::string_view s) noexcept {
  if (s.empty() || !is_alpha(s[0])) return 0;
  std::size_t i = 1;
  while (i < s.size() && is_scheme_char(s[i])) ++i;
  return (i < s.size() && s[i] == ':') ? i : 0;
}

// ---- IPv4 in WHATWG's spellings ---------------------------------------------

// One dot-separated part: "0x.." hex (digits may be empty: "0x" is 0), "0.." octal,
// else decimal. Values above 2^32-1 fail (no part may be that large anyway).
std::optional<std::uint64_t> parse_ipv4_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  unsigned radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    radix = 8;
    s.remove_prefix(1);
  }
  std::uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (is_digit(c)) {
      d = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    if (d >= radix) return std::nullopt;
    v = v * radix + d;
    if (v > 0xffffffffULL) return std::nullopt;
  }
  return v;
}

// WHATWG "ends in a number": the last label (ignoring one trailing dot) is all
// digits, or "0x"/"0X" followed by hex digits. Such a host must be an IPv4 address.
bool ends_in_number(std::string_view host) {
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
    if (host.empty()) return false;
  }
  auto dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  bool all_digits = true;
  for (char c : last) all_digits = all_digits && is_digit(c);
  if (all_digits) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (char c : last.substr(2))
      if (!is_hex(c)) return false;
    return true;
  }
  return false;
}

// WHATWG IPv4 parser: 1 to 4 parts, all but the last < 256, the last filling
// the remaining bytes. "127.1", "2130706433", "0x7f.0.0.1", "0177.0.0.1", "1.2.3.4."
std::optional<std::uint32_t> parse_ipv4(std::string_view host) {
  std::array<std::string_view, 4> parts{};
  std::size_t n = 0;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host.empty()) return std::nullopt;
  while (true) {
    auto dot = host.find('.');
    if (n == parts.size()) return std::nullopt;  // more than 4 parts
    parts[n++] = host.substr(0, dot);
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  std::array<std::uint64_t, 4> nums{};
  for (std::size_t i = 0; i < n; ++i) {
    auto v = parse_ipv4_number(parts[i]);
    if (!v) return std::nullopt;
    nums[i] = *v;
  }
  for (std::size_t i = 0; i + 1 < n; ++i)
    if (nums[i] > 255) return std::nullopt;
  if (nums[n - 1] >= (std::uint64_t{1} << (8 * (5 - n)))) return std::nullopt;
  std::uint64_t ip = nums[n - 1];
  for (std::size_t i = 0; i + 1 < n; ++i) ip += nums[i] << (8 * (3 - i));
  return static_cast<std::uint32_t>(ip);
}

std::string dotted_quad(std::uint32_t ip) {
  char buf[16];  // "255.255.255.255"
  char* p = buf;
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (p != buf) *p++ = '.';
    p = std::to_chars(p, buf + sizeof buf, (ip >> shift) & 0xff).ptr;
  }
  return std::string(buf, p);
}

// ---- host ---------------------------------------------------------------------

struct Host {
  std::string name;
  bool is_ip = false;
};

std::optional<Host> parse_ipv6_literal(std::string_view inside) {
  if (inside.empty() || inside.find('%') != std::string_view::npos) return std::nullopt;  // no zone ids
  for (char c : inside)
    if (!(is_hex(c) || c == ':' || c == '.')) return std::nullopt;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address_v6(std::string(inside), ec);
  if (ec) return std::nullopt;
  return Host{a.to_string(), true};
}

std::optional<Host> parse_host(std::string_view raw) {
  if (raw.empty()) return std::nullopt;
  std::string host(raw);
  for (char& c : host) {
    c = to_lower(c);
    if (!is_host_char(c)) return std::nullopt;  // also rejects '%', non-ASCII, '\\', '[' ...
  }
  if (ends_in_number(host)) {
    auto ip = parse_ipv4(host);
    if (!ip) return std::nullopt;
    return Host{dotted_quad(*ip), true};
  }
  if (host.back() == '.') host.pop_back();  // "example.com." names the same host
  if (host.empty() || host.size() > kMaxHostBytes) return std::nullopt;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return std::nullopt;  // empty label: ".a", "a..b"
      label = 0;
    } else if (++label > kMaxLabelBytes) {
      return std::nullopt;
    }
  }
  if (label == 0) return std::nullopt;
  return Host{std::move(host), false};
}

std::optional<std::uint16_t> parse_port(std::string_view s, std::string_view scheme) {
  if (s.empty()) return default_port(scheme);  // "http://h:/" (RFC 3986 and WHATWG: default)
  std::uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
    if (v > 65535) return std::nullopt;
  }
  if (v == 0) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// ---- path -----------------------------------------------------------------------

// Whether `in` has a "." or ".." segment (else remove_dot_segments returns it as it is).
bool has_dot_segments(std::string_view in) noexcept {
  return !in.empty() && (in[0] == '.' || in.find("/.") != std::string_view::npos);
}

// RFC 3986 §5.2.4.
std::string remove_dot_segments(std::string_view in) {
  std::string out;
  auto pop_segment = [&out] {
    auto slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (!in.empty()) {
    if (in.starts_with("../")) {
      in.remove_prefix(3);
    } else if (in.starts_with("./")) {
      in.remove_prefix(2);
    } else if (in.starts_with("/./")) {
      in.remove_prefix(2);
    } else if (in == "/.") {
      in = "/";
    } else if (in.starts_with("/../")) {
      in.remove_prefix(3);
      pop_segment();
    } else if (in == "/..") {
      in = "/";
      pop_segment();
    } else if (in == "." || in == "..") {
      in = {};
    } else {
      std::size_t end = in.find('/', 1);
      if (end == std::string_view::npos) end = in.size();
      out.append(in.substr(0, end));
      in.remove_prefix(end);
    }
  }
  return out;
}

// Bytes that may not appear raw in an HTTP request target are percent-encoded
// (as browsers do); '%' itself is left alone, so existing encodings stay as they are.
bool needs_encoding(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return true;
  switch (c) {
    case '"': case '<': case '>': case '`': case '{': case '}': case '|': case '^': case '\\':
      return true;
    default:
      return false;
  }
}

void append_encoded(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Runs that need nothing are appended whole: most URLs are one run.
  while (!s.empty()) {
    std::size_t run = 0;
    while (run < s.size() && !needs_encoding(s[run])) ++run;
    out.append(s.data(), run);
    if (run == s.size()) return;
    auto u = static_cast<unsigned char>(s[run]);
    const char encoded[] = {'%', kHex[u >> 4], kHex[u & 0xf]};
    out.append(encoded, sizeof encoded);
    s.remove_prefix(run + 1);
  }
}

bool any_ctl_or_space(std::string_view s) noexcept {
  for (char c : s)
    if (is_ctl_or_space(c)) return true;
  return false;
}

}  // namespace

// ---- Url ------------------------------------------------------------------------

namespace {
// IPv6 literals in brackets. (Appended piecewise: GCC 12 at -O3 warns
// -Wrestrict, falsely, on `"[" + host + "]"`.)
void append_host(std::string& out, const std::string& host) {
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
}
}  // namespace

namespace {
// host_header().size(), without building it.
std::size_t host_header_length(const Url& url) noexcept {
  std::size_t n = url.host.size();
  if (url.host.find(':') != std::string::npos) n += 2;  // [IPv6]
  if (url.port != default_port(url.scheme)) {
    n += 2;  // ':' and the first digit
    for (unsigned p = url.port; p >= 10; p /= 10) ++n;
  }
  return n;
}
}  // namespace

std::string Url::host_header() const {
  std::string h;
  append_host(h, host);
  if (port != default_port(scheme)) {
    h += ':';
    h += std::to_string(port);
  }
  return h;
}

std::string Url::origin() const {
  std::string o = scheme;
  o += "://";
  append_host(o, host);
  o += ':';
  o += std::to_string(port);
  return o;
}

std::string Url::str() const { return scheme + "://" + host_header() + target; }

std::optional<Url> parse_url(std::string_view text) {
  if (text.empty() || text.size() > kMaxUrlBytes || any_ctl_or_space(text)) return std::nullopt;

  Url url;
  std::size_t slen = scheme_length(text);
  if (slen == 0) return std::nullopt;
  url.scheme.assign(text.data(), slen);
  for (char& c : url.scheme) c = to_lower(c);
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(slen + 1);
  if (!rest.starts_with("//")) return std::nullopt;
  rest.remove_prefix(2);

  // Fragment first: nothing after '#' matters.
  if (auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);

  // (A loop, not find_first_of("/?"): that is a memchr per character.)
  std::size_t auth_end = 0;
  while (auth_end < rest.size() && rest[auth_end] != '/' && rest[auth_end] != '?') ++auth_end;
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view path_query = rest.substr(auth_end);
  if (auto at = authority.find('@'); at != std::string_view::npos) {
    // A second '@' would have to be percent-encoded (parse_userinfo refuses a
    // raw one): which one ends the userinfo is never a guess. An empty
    // userinfo is none (WHATWG).
    if (at > 0) {
      url.credentials = parse_userinfo(authority.substr(0, at));
      if (!url.credentials) return std::nullopt;
    }
    authority.remove_prefix(at + 1);
  }

  std::string_view host_part;
  std::optional<std::string_view> port_part;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host_part = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return std::nullopt;
      port_part = after.substr(1);
    }
    auto h = parse_ipv6_literal(host_part);
    if (!h) return std::nullopt;
    url.host = std::move(h->name);
    url.host_is_ip = true;
  } else {
    auto colon = authority.find(':');
    host_part = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_part = authority.substr(colon + 1);
    auto h = parse_host(host_part);
    if (!h) return std::nullopt;
    url.host = std::move(h->name);
    url.host_is_ip = h->is_ip;
  }
  if (port_part) {
    auto p = parse_port(*port_part, url.scheme);
    if (!p) return std::nullopt;
    url.port = *p;
  } else {
    url.port = default_port(url.scheme);
  }

  std::string_view path = path_query;
  std::optional<std::string_view> query;
  if (auto q = path_query.find('?'); q != std::string_view::npos) {
    path = path_query.substr(0, q);
    query = path_query.substr(q + 1);
  }
  std::string clean_path;
  if (path.empty()) {
    path = "/";
  } else if (has_dot_segments(path)) {
    clean_path = remove_dot_segments(path);
    path = clean_path.empty() ? std::string_view("/") : std::string_view(clean_path);
  }
  url.target.reserve(path_query.size() + 1);
  append_encoded(url.target, path);
  if (query) {
    url.target += '?';
    append_encoded(url.target, *query);
  }
  // Grew past the limit by encoding? (str()'s length, without building it.)
  if (url.scheme.size() + 3 + host_header_length(url) + url.target.size() > kMaxUrlBytes) return std::nullopt;
  return url;
}

std::optional<Url> resolve_redirect(const Url& base, std::string_view location) {
  // Header values come trimmed from the parser; be lenient with stray OWS anyway.
  location = trim_ows(location);
  if (location.size() > kMaxUrlBytes || any_ctl_or_space(location)) return std::nullopt;

  auto without_credentials = [](std::optional<Url> u) { return u && u->credentials ? std::nullopt : u; };
  // Absolute (strict RFC 3986: "http:g" fails) or scheme-relative: the only forms with an authority.
  if (scheme_length(location) != 0) return without_credentials(parse_url(location));
  if (location.starts_with("//")) return without_credentials(parse_url(base.scheme + ":" + std::string(location)));

  if (auto hash = location.find('#'); hash != std::string_view::npos) location = location.substr(0, hash);
  std::string_view ref_path = location;
  std::optional<std::string_view> ref_query;
  if (auto q = location.find('?'); q != std::string_view::npos) {
    ref_path = location.substr(0, q);
    ref_query = location.substr(q + 1);
  }

  std::string_view base_target = base.target;
  std::string_view base_path = base_target;
  std::optional<std::string_view> base_query;
  if (auto q = base_target.find('?'); q != std::string_view::npos) {
    base_path = base_target.substr(0, q);
    base_query = base_target.substr(q + 1);
  }
  if (base_path.empty()) base_path = "/";

  std::string path;
  std::optional<std::string_view> query = ref_query;
  if (ref_path.empty()) {
    path = std::string(base_path);
    if (!ref_query) query = base_query;
  } else if (ref_path.front() == '/') {
    path = remove_dot_segments(ref_path);
  } else {
    std::string merged(base_path.substr(0, base_path.rfind('/') + 1));  // base path always has a '/'
    merged += ref_path;
    path = remove_dot_segments(merged);
  }

  std::string s = base.scheme + "://" + base.host_header() + path;
  if (query) {
    s += '?';
    s += *query;
  }
  return parse_url(s);
}

}  // namespace asyncfetch
