// The header list of a request the fetcher sends over HTTP/2: the same
// request as request_head() writes for HTTP/1.1, in HTTP/2's form (RFC 9113
// 8.3): pseudo-header fields first, names in lower case, the Host field
// turned into :authority, and no connection-specific field (HTTP/2 forbids
// them, and a server answers one with a stream error).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncfetch/wire/request_head.hpp"
#include "asyncfetch/wire/url.hpp"

namespace asyncfetch {

struct H2Field {
  std::string name;   // lower case; ":method" and the like first
  std::string value;
  friend bool operator==(const H2Field&, const H2Field&) = default;
};

// Arguments as for request_head(). The defaults (User-Agent, Accept, the
// URL's credentials as Authorization, the service fields), content-length and the rule that a
// client's field replaces a default or an earlier field of the same name (in
// any case) are request_head()'s; a client's Host gives :authority its value.
// Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade and
// HTTP2-Settings are dropped, and TE unless it is "trailers".
std::vector<H2Field> h2_request_headers(std::string_view method, const Url& url,
                                        const std::vector<std::pair<std::string, std::string>>& headers,
                                        bool strip_credentials, std::size_t body_bytes,
                                        const ServiceFields& service = {});

}  // namespace asyncfetch
