// Capabilities, honoured or refused (DESIGN.md section 7): a backend's factory declares what it
// can do; core refuses a dial option it does not declare, before anything reaches the backend.
#include "capabilities_internal.hpp"

#include <exception>
#include <string>

namespace dialkit::detail {
namespace {

std::string thrown_text(const std::exception_ptr& thrown) {
  try {
    std::rethrow_exception(thrown);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

constexpr std::uint32_t known_options_mask() noexcept {
  std::uint32_t mask = 0;
  for (const auto& info : dial_option_table) mask |= Capabilities::option_bit(info.option);
  return mask;
}

constexpr std::uint64_t paused_states_mask() noexcept {
  return Capabilities{}.with_every_pause().paused_states;
}

}  // namespace

Result<Capabilities> declared_capabilities(const BackendFactory& factory, std::string_view backend) {
  try {
    return factory.capabilities();
  } catch (...) {
    return fail(make_error(Errc::backend_failed, "backend \"" + std::string(backend) +
                                                     "\": its factory's capabilities() threw: " +
                                                     thrown_text(std::current_exception())));
  }
}

Result<void> check_declaration(const Capabilities& declared) {
  if ((declared.dial_options & ~known_options_mask()) != 0)
    return fail(make_error(Errc::plugin_rejected, "it declares dial options this host does not know"));
  if ((declared.paused_states & ~paused_states_mask()) != 0)
    return fail(make_error(Errc::plugin_rejected, "it declares as paused states some that are not paused states"));
  if (declared.connection_info != 0)
    return fail(make_error(Errc::plugin_rejected, "it declares connection-info fields this host does not know"));
  if (declared.phone_book != 0)
    return fail(make_error(Errc::plugin_rejected, "it declares phone-book operations this host does not know"));
  if (declared.watch != WatchKind::none && declared.watch != WatchKind::events &&
      declared.watch != WatchKind::polling)
    return fail(make_error(Errc::plugin_rejected, "it declares a watch kind this host does not know"));
  if (declared.idle_disconnect)
    return fail(make_error(Errc::plugin_rejected, "it declares idle disconnect, which this host does not offer yet"));
  return {};
}

std::uint32_t dial_options_asked(const DialOptions& options) noexcept {
  std::uint32_t asked = 0;
  if (options.credentials) asked |= Capabilities::option_bit(DialOption::credentials);
  if (options.phone_number) asked |= Capabilities::option_bit(DialOption::phone_number);
  if (options.callback_number) asked |= Capabilities::option_bit(DialOption::callback_number);
  return asked;
}

Result<void> refuse_undeclared(const Capabilities& declared, std::string_view backend, const DialOptions& options) {
  const std::uint32_t asked = dial_options_asked(options);
  for (const auto& info : dial_option_table) {
    if ((asked & Capabilities::option_bit(info.option)) == 0 || declared.honours(info.option)) continue;
    std::string what(info.text);
    if (!info.cli.empty()) what += " (" + std::string(info.cli) + ")";
    return fail(make_error(Errc::not_supported, "the " + std::string(backend) + " backend cannot honour " + what +
                                                    ": it does not declare the dial option " +
                                                    std::string(info.name)));
  }
  return {};
}

Result<void> check_dial_options(const BackendFactory* factory, std::string_view backend, const DialOptions& options) {
  if (factory == nullptr || dial_options_asked(options) == 0) return {};
  auto declared = declared_capabilities(*factory, backend);
  if (!declared) return fail(declared.error());
  return refuse_undeclared(*declared, backend, options);
}

}  // namespace dialkit::detail
