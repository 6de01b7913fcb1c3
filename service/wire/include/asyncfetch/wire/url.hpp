// Parsing of the URLs a client asks us to fetch (http and https only), and
// resolution of redirect targets against them.
//
// Hosts are normalised the way browsers do (WHATWG URL): lower-cased, IPv6
// literals without brackets, and IPv4 in any of its odd spellings (127.1,
// 2130706433, 0x7f.0.0.1, 0177.0.0.1) turned into dotted-quad, so that what we
// log, send as Host and check against the egress policy is one canonical form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "asyncfetch/wire/credentials.hpp"

namespace asyncfetch {

struct Url {
  std::string scheme;  // "http" | "https"
  std::string host;    // canonical: lower-case name, dotted-quad IPv4, or bare IPv6 ("::1")
  std::uint16_t port = 0;  // explicit or the scheme's default
  std::string target;  // path + query, starting with '/'; no fragment
  bool host_is_ip = false;
  // From the URL's userinfo: what Basic authentication sends. Never part of
  // str(), host_header() or origin().
  std::optional<Credentials> credentials;

  bool https() const noexcept { return scheme == "https"; }
  // "host" or "host:port" (port only when not the default; IPv6 in brackets): the Host header.
  std::string host_header() const;
  // "scheme://host:port": the key of the connection pool and of same-origin checks.
  std::string origin() const;
  // The whole URL, canonical.
  std::string str() const;
};

// nullopt for anything that is not an absolute http(s) URL with a host, or that
// has a bad port or userinfo (see parse_userinfo; an empty one, "http://@h/",
// gives no credentials), control characters or spaces, or is longer than 8 KiB.
std::optional<Url> parse_url(std::string_view text);

// A redirect's Location (absolute, scheme-relative "//h/p", absolute-path "/p"
// or relative "p") resolved against the URL that answered; nullopt when the
// result is not a valid http(s) URL or carries credentials of its own (only
// those the client gave are ever sent).
std::optional<Url> resolve_redirect(const Url& base, std::string_view location);

}  // namespace asyncfetch
