// The one translation unit that compiles Beast (BOOST_BEAST_SEPARATE_COMPILATION)
// for the whole service. Asio is compiled in the runtime, its SSL part in
// fetch/src/asio_ssl_impl.cpp.
//
// Its Boost assertions go to beast_assertion_handler.hpp, which lets through
// one assertion of Beast 1.81's chunked parser that is known to be false.
#define BOOST_ENABLE_ASSERT_DEBUG_HANDLER
#include <boost/assert.hpp>

#include <boost/beast/src.hpp>

#include "beast_assertion_handler.hpp"
