#include "asyncfetch/wire/proxy.hpp"

#include <boost/asio/ip/address.hpp>

#include "asyncfetch/wire/credentials.hpp"
#include "http_text.hpp"

namespace asyncfetch {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

// The nullopt a parser returns, with the reason kept for the caller.
std::nullopt_t refuse(std::string* why, std::string text) {
  if (why) *why = std::move(text);
  return std::nullopt;
}

}  // namespace

std::string ProxyServer::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}

std::optional<ProxyServer> parse_proxy(std::string_view text, std::string* why) {
  if (text.empty()) return refuse(why, "is empty");
  std::string_view rest = text;
  if (const auto sep = text.find("://"); sep != std::string_view::npos) {
    std::string scheme;
    for (char c : text.substr(0, sep)) scheme += lower(c);
    if (scheme != "http")
      return refuse(why, "must be an http:// proxy (" + scheme + ":// proxies are not supported)");
    rest = text.substr(sep + 3);
  }
  const auto end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, end);
  if (end != std::string_view::npos && rest.substr(end) != "/")
    return refuse(why, "must be http://[user:password@]host:port, without a path");

  ProxyServer p;
  std::string_view hostport = authority;
  std::optional<Credentials> credentials;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    credentials = parse_userinfo(authority.substr(0, at));
    if (!credentials)
      return refuse(why, "has a malformed user:password (percent-encode ':', '@' and '%' in them)");
    hostport = authority.substr(at + 1);
  }
  // The URL parser canonicalises the host (and refuses what a URL may not hold).
  const auto url = parse_url("http://" + std::string(hostport) + "/");
  if (hostport.empty() || !url) return refuse(why, "has an invalid host or port");
  p.host = url->host;
  p.port = url->port;
  p.host_is_ip = url->host_is_ip;
  p.display = "http://";
  if (credentials) {
    p.authorization = basic_authorization(*credentials);
    p.display += mask_userinfo(*credentials) + "@";
  }
  p.display += p.authority();
  return p;
}

std::optional<NoProxy> NoProxy::parse(std::string_view list, std::string* why) {
  NoProxy out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto comma = list.find(',', pos);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view entry = trim_ows(list.substr(pos, comma - pos));
    pos = comma + 1;
    if (entry.empty()) continue;
    if (entry == "*") {
      out.all_ = true;
      continue;
    }
    if (auto cidr = Cidr::parse(entry)) {  // an address or a range, any port
      out.ranges_.push_back({*cidr, 0});
      continue;
    }
    auto bad = [&] { return refuse(why, "has an invalid entry \"" + std::string(entry) + "\""); };
    // host:port, [v6]:port
    std::string_view host = entry;
    std::uint16_t port = 0;
    if (entry.front() == '[') {
      const auto close = entry.find(']');
      if (close == std::string_view::npos || entry.substr(close + 1, 1) != ":") return bad();
      const auto p = parse_port(entry.substr(close + 2));
      const auto a = Cidr::parse(entry.substr(1, close - 1));
      if (!p || !a) return bad();
      out.ranges_.push_back({*a, *p});
      continue;
    }
    if (const auto colon = entry.rfind(':'); colon != std::string_view::npos) {
      const auto p = parse_port(entry.substr(colon + 1));
      if (!p) return bad();
      host = entry.substr(0, colon);
      port = *p;
    }
    bool subdomains_only = false;
    if (host.starts_with("*.")) host.remove_prefix(1);
    if (host.starts_with(".")) {
      host.remove_prefix(1);
      subdomains_only = true;
    }
    const auto url = parse_url("http://" + std::string(host) + "/");
    if (host.empty() || !url) return bad();
    if (url->host_is_ip) {
      if (subdomains_only) return bad();
      out.ranges_.push_back({*Cidr::parse(url->host), port});
    } else {
      out.names_.push_back({"." + url->host, !subdomains_only, port});
    }
  }
  return out;
}

bool NoProxy::bypasses(const Url& target) const {
  if (all_) return true;
  auto port_matches = [&](std::uint16_t p) { return p == 0 || p == target.port; };
  if (target.host_is_ip) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(target.host, ec);
    if (!ec)
      for (const Range& r : ranges_)
        if (port_matches(r.port) && r.cidr.contains(a)) return true;
  }
  const std::string_view host = target.host;
  for (const Name& n : names_) {
    if (!port_matches(n.port)) continue;
    if (host.ends_with(n.suffix) || (n.itself && host == std::string_view(n.suffix).substr(1))) return true;
  }
  return false;
}

std::string connect_request(const Url& target, const ProxyServer& proxy) {
  std::string authority = target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host;
  authority += ':';  // not ":" + to_string(): GCC 12 at -O3 sees a false overlap in that (-Wrestrict)
  authority += std::to_string(target.port);
  std::string out = "CONNECT " + authority + " HTTP/1.1\r\n";
  append_field(out, "Host", authority);
  if (!proxy.authorization.empty()) append_field(out, "Proxy-Authorization", proxy.authorization);
  out += "\r\n";
  return out;
}

std::string via_proxy(std::string_view origin_form_head, const Url& target, const ProxyServer& proxy) {
  // "METHOD /target HTTP/1.1\r\n..." -> "METHOD http://host:port/target HTTP/1.1\r\n..."
  const auto space = origin_form_head.find(' ');
  const auto line_end = origin_form_head.find("\r\n");
  std::string out;
  out.reserve(origin_form_head.size() + 128);
  out += origin_form_head.substr(0, space + 1);
  out += target.scheme;
  out += "://";
  out += target.host_header();
  out += origin_form_head.substr(space + 1, line_end + 2 - (space + 1));
  if (!proxy.authorization.empty()) append_field(out, "Proxy-Authorization", proxy.authorization);
  out += origin_form_head.substr(line_end + 2);
  return out;
}

const ProxyServer* ProxyRoutes::for_target(const Url& target) const {
  const auto& proxy = target.https() ? https : http;
  if (!proxy || no_proxy.bypasses(target)) return nullptr;
  return &*proxy;
}

}  // namespace asyncfetch
