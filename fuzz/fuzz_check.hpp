// FUZZ_CHECK(cond): the fuzz targets' assertion. It holds in every build
// (assert() would vanish under NDEBUG) and aborts, which libFuzzer reports as
// a crash with the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                             \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                  \
    }                                                                                \
  } while (0)
