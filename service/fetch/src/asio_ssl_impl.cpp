// The one translation unit that compiles Asio's SSL support (the rest of Asio
// is compiled in the runtime): only the fetcher speaks TLS, and
// ssl::host_name_verification is not header-only under separate compilation.
#include <boost/asio/ssl/impl/src.hpp>
