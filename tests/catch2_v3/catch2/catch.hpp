// Catch2 v2's single header, for Catch2 v3 (Debian 13 ships v3, Debian 12 v2).
//
// The tests are written against v2's `<catch2/catch.hpp>`; v3 split it into
// headers of its own and moved a few names. This directory is on the include
// path only when CMake finds Catch2 v3 (tests/CMakeLists.txt), so the tests
// build unchanged with either.
#pragma once

#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <string>

using Catch::Approx;

namespace Catch {
// v2's string matchers, under the names v3 gave them.
inline Matchers::StringContainsMatcher Contains(const std::string& s,
                                          CaseSensitive cs = CaseSensitive::Yes) {
  return Matchers::ContainsSubstring(s, cs);
}
inline Matchers::StartsWithMatcher StartsWith(const std::string& s,
                                              CaseSensitive cs = CaseSensitive::Yes) {
  return Matchers::StartsWith(s, cs);
}
}  // namespace Catch
