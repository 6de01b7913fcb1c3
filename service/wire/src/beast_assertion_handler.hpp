// Boost's assertion handler for a program that compiles Beast's HTTP parser
// with BOOST_ENABLE_ASSERT_DEBUG_HANDLER. It defines boost::assertion_failed
// and boost::assertion_failed_msg: include it in exactly one translation unit
// of the program (the service's is wire/src/beast_impl.cpp).
//
// Beast 1.81's chunked parser asserts `n >= 5` in parse_chunk_header when the
// trailer after the last chunk arrives in pieces ("0\r\n", then one byte): the
// assertion is too strict (fixed upstream in boostorg/beast#2861) and the code
// after it handles the case (need_more). In builds without NDEBUG (Debug, ASan,
// TSan) an upstream trickling its response could abort the service through
// it. The Boost assertions of the TU that defines the macro (where Beast's
// parser is compiled) go to the handler below: it lets exactly that one pass
// and aborts on every other, as assert() does. With NDEBUG nothing changes
// (BOOST_ASSERT is a no-op).
#pragma once

#include <boost/assert.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {
bool known_false_assertion(const char* expr, const char* function, const char* file) {
  return std::strcmp(expr, "n >= 5") == 0 && std::strstr(function, "parse_chunk_header") != nullptr &&
         std::strstr(file, "basic_parser.ipp") != nullptr;
}
}  // namespace

namespace boost {

void assertion_failed(const char* expr, const char* function, const char* file, long line) {
  if (known_false_assertion(expr, function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(const char* expr, const char* msg, const char* function, const char* file, long line) {
  if (known_false_assertion(expr, function, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
