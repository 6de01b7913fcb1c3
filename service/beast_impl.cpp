// The one translation unit that compiles Beast and Asio's SSL support
// (BOOST_BEAST_SEPARATE_COMPILATION; Asio itself is compiled in the runtime).
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
