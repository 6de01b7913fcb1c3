// The one helper the examples share: py::str(x), the text Python's print(x)
// shows for a value, so a C++ example prints exactly what its Python twin does:
//
//   py::str(runtime::None{})                        -> None
//   py::str(true)                                   -> True
//   py::str(std::tuple{std::string("a"), 2})        -> ('a', 2)
//   py::str(std::vector<std::string>{"a", "b"})     -> ['a', 'b']
//
// Strings inside a tuple or list are quoted as Python's repr() quotes them.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "runtime/task.hpp"

namespace py {

inline std::string str(const std::string& s) { return s; }
inline std::string str(runtime::None) { return "None"; }
inline std::string str(bool b) { return b ? "True" : "False"; }
template <class T>
  requires std::is_arithmetic_v<T>
std::string str(T v) {
  return std::to_string(v);
}

template <class T>
std::string repr(const T& v) {
  if constexpr (std::is_convertible_v<const T&, std::string>) {
    return "'" + std::string(v) + "'";
  } else {
    return str(v);
  }
}

template <class... T>
std::string str(const std::tuple<T...>& t) {
  std::string out = "(";
  std::size_t i = 0;
  std::apply([&](const auto&... e) { ((out += (i++ ? ", " : "") + repr(e)), ...); }, t);
  return out + (sizeof...(T) == 1 ? ",)" : ")");
}

template <class T>
std::string str(const std::vector<T>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + repr(v[i]);
  return out + "]";
}

}  // namespace py
