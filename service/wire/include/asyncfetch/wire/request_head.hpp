// The head of a request the fetcher sends upstream, byte for byte as Beast's
// serializer writes a request<string_body> made with set(Host, User-Agent,
// Accept), set(Authorization) from the URL's credentials, set() of each
// service field given (Accept-Encoding, traceparent), then set() of each
// client header, keep_alive(true) and prepare_payload() of a body of
// `body_bytes` (and Content-Length: 0 for a PATCH without one) - without the
// message's field list (an allocation per field) and a serializer per request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asyncfetch/wire/url.hpp"

namespace asyncfetch {

// Fields the service sends unless the client's headers name them; an empty
// value sends none.
struct ServiceFields {
  std::string_view accept_encoding;
  std::string_view traceparent;
};

// `method` is one the API accepts (GET, HEAD, POST, PUT, DELETE, OPTIONS,
// PATCH); the client's `headers` were validated (no CR/LF, none the service
// owns). The URL's credentials become `Authorization: Basic ...` unless the
// headers set Authorization. `strip_credentials` drops Authorization, the
// URL's credentials included, and Cookie (a redirect to another origin).
std::string request_head(std::string_view method, const Url& url,
                         const std::vector<std::pair<std::string, std::string>>& headers, bool strip_credentials,
                         std::size_t body_bytes, const ServiceFields& service = {});

}  // namespace asyncfetch
