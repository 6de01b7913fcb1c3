// Forward proxies: which one, if any, a fetch goes through. Pure: the
// configuration validates its `proxy` key and the proxy environment variables
// with these parsers, and the fetcher asks ProxyRoutes per target.
//
// What is accepted follows Go's net/http (golang.org/x/net/http/httpproxy),
// the most precisely documented of the peers:
//   - a proxy is "http://[user[:password]@]host[:port][/]"; a value without a
//     scheme is taken as http://; the port defaults to 80. https:// and socks
//     proxies are refused (this client speaks to its proxy in the clear, and
//     only HTTP). Userinfo is percent-decoded and becomes
//     Proxy-Authorization: Basic.
//   - NO_PROXY is a comma list of entries, each trimmed: "*" (no proxy for
//     anything), an IP address or a CIDR (matches targets written as that
//     address), or a domain name, which matches itself and every subdomain
//     ("example.com" matches "a.example.com"); with a leading "." (or "*.")
//     it matches subdomains only. An address or name may carry ":port", and
//     then matches only that port. Names are compared without DNS.
//   - Unlike Go, loopback targets are not exempt: whether a target may be
//     reached at all is the egress policy's call, and a proxy in front of
//     localhost is the operator's choice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncfetch/wire/cidr.hpp"
#include "asyncfetch/wire/url.hpp"

namespace asyncfetch {

struct ProxyServer {
  std::string host;  // canonical, as Url::host
  std::uint16_t port = 0;
  bool host_is_ip = false;
  std::string authorization;  // "Basic ..." from the userinfo; empty without one
  std::string display;        // "http://user:***@host:port": for logs and error details

  // "host:port" (IPv6 in brackets): where the fetcher connects.
  std::string authority() const;
};

// nullopt when `text` is not a proxy this client can use; `why` (when given)
// says what is wrong, for the configuration's error message.
std::optional<ProxyServer> parse_proxy(std::string_view text, std::string* why = nullptr);

class NoProxy {
 public:
  // nullopt when an entry is neither "*", an address, a CIDR nor a host name
  // (with an optional port); `why` names the entry.
  static std::optional<NoProxy> parse(std::string_view list, std::string* why = nullptr);

  // True when `target` must be fetched directly.
  bool bypasses(const Url& target) const;

 private:
  struct Name {
    std::string suffix;   // ".example.com"
    bool itself = false;  // "example.com" matches too
    std::uint16_t port = 0;  // 0: any
  };
  struct Range {
    Cidr cidr;
    std::uint16_t port = 0;
  };
  bool all_ = false;
  std::vector<Name> names_;
  std::vector<Range> ranges_;
};

// The proxies in force: one for http targets, one for https targets, and the
// exceptions.
struct ProxyRoutes {
  std::optional<ProxyServer> http;
  std::optional<ProxyServer> https;
  NoProxy no_proxy;

  // The proxy for `target`, or nullptr to connect directly.
  const ProxyServer* for_target(const Url& target) const;
};

// "CONNECT host:port HTTP/1.1" with Host and, when the proxy has credentials,
// Proxy-Authorization: what opens a tunnel to an https target. The target is
// named, not its address: the proxy resolves it again (the egress policy has
// judged the addresses already).
std::string connect_request(const Url& target, const ProxyServer& proxy);

// An http:// target's request head (in origin form, as request_head() makes
// it) for a forward proxy: the request line's target in absolute form, and
// Proxy-Authorization when the proxy has credentials.
std::string via_proxy(std::string_view origin_form_head, const Url& target, const ProxyServer& proxy);

}  // namespace asyncfetch
