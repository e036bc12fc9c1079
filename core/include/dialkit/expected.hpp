/// @file
/// The project's one `expected` alias. CMake picks tl::expected when find_package(tl-expected)
/// finds it (DIALKIT_USE_TL_EXPECTED) and C++23 std::expected otherwise; no other file names
/// either directly.
#pragma once

#include <utility>

#if defined(DIALKIT_USE_TL_EXPECTED)
#include <tl/expected.hpp>
namespace dialkit {
/// The project's `expected` (tl::expected or std::expected, chosen at build time).
template <class T, class E>
using expected = tl::expected<T, E>;
/// The error side of an expected.
template <class E>
using unexpected = tl::unexpected<E>;
}  // namespace dialkit
#else
#include <expected>
namespace dialkit {
/// The project's `expected` (tl::expected or std::expected, chosen at build time).
template <class T, class E>
using expected = std::expected<T, E>;
/// The error side of an expected.
template <class E>
using unexpected = std::unexpected<E>;
}  // namespace dialkit
#endif

namespace dialkit {
/// Builds the error side of an expected: `return fail(Error{...});`.
template <class E>
[[nodiscard]] unexpected<std::decay_t<E>> fail(E&& error) {
  return unexpected<std::decay_t<E>>(std::forward<E>(error));
}
}  // namespace dialkit
