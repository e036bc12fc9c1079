/// @file
/// The project's one `expected` alias: tl::expected (CMake option DIALKIT_EXPECTED=tl, the
/// default, which defines DIALKIT_USE_TL_EXPECTED) or C++23 std::expected (DIALKIT_EXPECTED=std,
/// DIALKIT_USE_STD_EXPECTED). The choice is dialkit's build's, never guessed here: dialkit's CMake
/// targets and its pkg-config file carry the definition. No other file names either directly.
#pragma once

#include <utility>

#if defined(DIALKIT_USE_TL_EXPECTED) && defined(DIALKIT_USE_STD_EXPECTED)
#error "dialkit: both DIALKIT_USE_TL_EXPECTED and DIALKIT_USE_STD_EXPECTED are defined; define the one dialkit was built with"
#elif !defined(DIALKIT_USE_TL_EXPECTED) && !defined(DIALKIT_USE_STD_EXPECTED)
#error "dialkit: define DIALKIT_USE_TL_EXPECTED or DIALKIT_USE_STD_EXPECTED, as dialkit was built (link dialkit::core, or use pkg-config --cflags dialkit)"
#elif defined(DIALKIT_USE_TL_EXPECTED)
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
