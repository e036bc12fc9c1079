// Core's side of DESIGN.md section 7, shared by the runtime, the plugin loader and their
// tests: reading a factory's declaration (guarded), checking that it uses only what this host
// knows, and refusing a dial option the declaration does not include.
#pragma once

#include <string_view>

#include <dialkit/backend.hpp>
#include <dialkit/capabilities.hpp>
#include <dialkit/error.hpp>
#include <dialkit/runtime.hpp>

namespace dialkit::detail {

// What `factory` declares; an exception from its capabilities() becomes Errc::backend_failed
// naming the backend and what it threw.
[[nodiscard]] Result<Capabilities> declared_capabilities(const BackendFactory& factory, std::string_view backend);

// Does the declaration use only what this host knows (known dial options, paused states only,
// no connection-info field or phone-book operation, a known watch kind)? If not, says what.
[[nodiscard]] Result<void> check_declaration(const Capabilities& declared);

// The dial options a dial asks its backend to honour, as Capabilities::dial_options bits
// (the timeout, the redial policy and handle_paused_states are core's own).
[[nodiscard]] std::uint32_t dial_options_asked(const DialOptions& options) noexcept;

// Errc::not_supported naming the first asked option `declared` does not honour and the
// backend; nothing when every one is honoured.
[[nodiscard]] Result<void> refuse_undeclared(const Capabilities& declared, std::string_view backend,
                                             const DialOptions& options);

// The check Dialer::dial() and Runtime::check_dial_options() make: `factory`'s declaration
// against the options. No factory (an unknown backend): nothing to check here.
[[nodiscard]] Result<void> check_dial_options(const BackendFactory* factory, std::string_view backend,
                                              const DialOptions& options);

}  // namespace dialkit::detail
