// The native side of the template backend: the platform's own vocabulary (its phases and
// error codes) and the tables that map them onto dialkit's shared states and portable errors,
// as rows of the plugin kit (dialkit/mapping.hpp), each with a note for the docs.
//
// When you start a backend for a real platform from this template, this is the file you
// rewrite first: replace LinkPhase and LinkError with the platform's real values (pppd's
// phases, NetworkManager's device states, ...) and their names, and keep the tables as data,
// as DESIGN.md section 4 asks: the code, the tests and the README's tables read them.
#pragma once

#include <array>

#include <dialkit/mapping.hpp>
#include <dialkit/state.hpp>

namespace dialkit_template {

// The phases the (simulated) platform reports for a link, with the platform's own numbers.
enum class LinkPhase : int {
  idle = 0,
  dialing = 1,
  carrier = 2,
  authenticating = 3,
  need_secret = 4,
  authorized = 5,
  network = 6,
  up = 7,
  closing = 8,
  down = 9,
};

// Every phase, so that a static_assert can prove the table below misses none.
inline constexpr std::array<LinkPhase, 10> all_phases{
    LinkPhase::idle,    LinkPhase::dialing,    LinkPhase::carrier, LinkPhase::authenticating,
    LinkPhase::need_secret, LinkPhase::authorized, LinkPhase::network, LinkPhase::up,
    LinkPhase::closing, LinkPhase::down};

// Native phase -> shared state. `need_secret` is the platform asking for credentials: the
// paused state retry_authentication. `down` is the end; an error comes with it when the
// link failed.
inline constexpr std::array<dialkit::plugin::NativeMapping<LinkPhase>, 10> phase_table{{
    {LinkPhase::idle, "LINK_IDLE", dialkit::State::opening_port, "the dial has started"},
    {LinkPhase::dialing, "LINK_DIALING", dialkit::State::connecting_device},
    {LinkPhase::carrier, "LINK_CARRIER", dialkit::State::all_devices_connected},
    {LinkPhase::authenticating, "LINK_AUTH", dialkit::State::authenticating},
    {LinkPhase::need_secret, "LINK_NEED_SECRET", dialkit::State::retry_authentication,
     "skipped when the dial brought credentials"},
    {LinkPhase::authorized, "LINK_AUTHORIZED", dialkit::State::authenticated},
    {LinkPhase::network, "LINK_NETWORK", dialkit::State::auth_project},
    {LinkPhase::up, "LINK_UP", dialkit::State::connected},
    {LinkPhase::closing, "LINK_CLOSING", dialkit::State::disconnecting, "reported by a hang-up"},
    {LinkPhase::down, "LINK_DOWN", dialkit::State::disconnected, "with the error of the table below when the link failed"},
}};
static_assert(dialkit::plugin::has_unique_natives(phase_table), "a phase is mapped twice");
static_assert(dialkit::plugin::covers(phase_table, all_phases), "a phase is not mapped");

// The platform's error codes, and the portable error each one is.
enum class LinkError : int {
  none = 0,
  busy = 17,
  no_answer = 18,
  auth_rejected = 31,
  no_device = 40,
};

inline constexpr std::array<dialkit::plugin::NativeErrorMapping<LinkError>, 4> error_table{{
    {LinkError::busy, "LINK_E_BUSY", dialkit::Errc::line_busy, "the far end is busy"},
    {LinkError::no_answer, "LINK_E_NO_ANSWER", dialkit::Errc::no_answer, "nobody answered"},
    {LinkError::auth_rejected, "LINK_E_AUTH_REJECTED", dialkit::Errc::authentication_failed,
     "the far end refused the credentials"},
    {LinkError::no_device, "LINK_E_NO_DEVICE", dialkit::Errc::device_unavailable, "no line to dial on"},
}};
static_assert(dialkit::plugin::has_unique_natives(error_table), "an error is mapped twice");

// The README blocks made from these tables (README.md, "Mapping"): the tree's generator prints
// them, and a test checks that the README says the same.
[[nodiscard]] std::array<dialkit::plugin::MappingDoc, 2> mapping_docs();

}  // namespace dialkit_template
