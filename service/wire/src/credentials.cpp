#include "asyncfetch/wire/credentials.hpp"

#include <openssl/evp.h>

namespace asyncfetch {

std::string basic_authorization(std::string_view credentials) {
  constexpr std::string_view scheme = "Basic ";
  std::string out(scheme.size() + 4 * ((credentials.size() + 2) / 3) + 1, '\0');  // + EVP's NUL
  out.replace(0, scheme.size(), scheme);
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + scheme.size()),
                                reinterpret_cast<const unsigned char*>(credentials.data()),
                                static_cast<int>(credentials.size()));
  out.resize(scheme.size() + static_cast<std::size_t>(n));
  return out;
}

void mask_credentials(std::string& url_text) {
  const auto scheme_end = url_text.find("://");
  if (scheme_end == std::string::npos) return;
  const auto start = scheme_end + 3;
  const auto authority_end = url_text.find_first_of("/?#", start);
  const auto at = url_text.rfind('@', authority_end == std::string::npos ? std::string::npos : authority_end - 1);
  if (at == std::string::npos || at < start || at == start) return;  // no userinfo, or an empty one
  const auto colon = url_text.find(':', start);
  const auto secret = colon < at ? colon + 1 : start;
  url_text.replace(secret, at - secret, "***");
}

}  // namespace asyncfetch
