/// @file
/// What a backend can do (DESIGN.md section 7), declared by its factory without dialling:
/// the dial options it honours, the paused states it can produce, the connection-info fields
/// it fills, the phone-book operations it offers, how it watches others' connections, whether
/// it hangs up by id and disconnects when idle. Portable code asks Runtime::backends(); core
/// refuses a dial option a backend does not declare with Errc::not_supported naming the option
/// and the backend, before anything reaches the backend.
///
/// Capabilities is plain data (integers and an enum, no pointers), so that it can be written
/// into a plugin's record and read back without loading the plugin.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <dialkit/state.hpp>

namespace dialkit {

/// A dial option a backend may honour.
enum class DialOption : std::uint8_t {
  credentials,      ///< DialOptions::credentials: user name and password given with the dial
  phone_number,     ///< DialOptions::phone_number: a number that overrides the entry's
  callback_number,  ///< DialOptions::callback_number: the number the server is to call back
  multilink,        ///< dials every link of a multilink entry (subentry_* states)
  eap,              ///< EAP authentication (the invoke_eap_ui pause and its EapInput)
};

/// One row of dial_option_table.
struct DialOptionInfo {
  DialOption option;  ///<the option
  std::string_view name;  ///<its stable machine name ("callback_number"), as JSON shows it
  std::string_view text;  ///<what it is, for people ("a callback number")
  std::string_view cli;  ///<the `dialkit dial` flag that sets it, or empty
};

/// Every dial option, in numbering order.
inline constexpr std::array<DialOptionInfo, 5> dial_option_table{{
    {DialOption::credentials, "credentials", "credentials", "--user, --password-stdin"},
    {DialOption::phone_number, "phone_number", "a phone number", "--phone"},
    {DialOption::callback_number, "callback_number", "a callback number", "--callback"},
    {DialOption::multilink, "multilink", "a multilink bundle", ""},
    {DialOption::eap, "eap", "EAP authentication", ""},
}};

/// The row of dial_option_table that describes an option.
[[nodiscard]] constexpr const DialOptionInfo& dial_option_info(DialOption o) noexcept {
  return dial_option_table[static_cast<std::size_t>(o)];
}

/// How a backend reports connections this process did not start (Dialer::watch()).
enum class WatchKind : std::uint8_t {
  none,     ///< it cannot watch: Dialer::watch() fails with Errc::not_supported
  events,   ///< the platform signals changes (NetworkManager, RAS notifications)
  polling,  ///< it looks again now and then (pppd's pid files, the mock's registry)
};

/// The stable name of a watch kind ("none", "events", "polling").
[[nodiscard]] constexpr std::string_view watch_kind_name(WatchKind k) noexcept {
  switch (k) {
    case WatchKind::none: return "none";
    case WatchKind::events: return "events";
    case WatchKind::polling: return "polling";
  }
  return "unknown";
}

/// What a backend declares it can do (BackendFactory::capabilities()). Nothing is declared
/// by default: a backend is never told "yes" by silence. Build one with the with_* members:
///
///   return dialkit::Capabilities{}
///       .with(dialkit::DialOption::credentials)
///       .with_pause(dialkit::State::retry_authentication)
///       .with_watch(dialkit::WatchKind::events)
///       .with_hangup_by_id();
struct Capabilities {
  /// The dial options it honours: bit `1 << DialOption`.
  std::uint32_t dial_options = 0;
  /// The paused states it can produce: bit `1 << State` (paused states only).
  std::uint64_t paused_states = 0;
  /// The connection-info fields it fills (DESIGN.md section 8). None is defined yet: 0.
  std::uint32_t connection_info = 0;
  /// The phone-book operations and credential storage it offers (DESIGN.md section 9). None
  /// is defined yet: 0.
  std::uint32_t phone_book = 0;
  /// How it watches connections this process did not start.
  WatchKind watch = WatchKind::none;
  /// Dialer::hangup(id) ends a live connection it did not start.
  bool hangup_by_id = false;
  /// It disconnects an idle connection by itself (DESIGN.md section 10). Not yet offered.
  bool idle_disconnect = false;

  /// Does it honour this dial option?
  [[nodiscard]] constexpr bool honours(DialOption o) const noexcept {
    return (dial_options & option_bit(o)) != 0;
  }
  /// Can it produce this paused state?
  [[nodiscard]] constexpr bool can_pause(State s) const noexcept { return (paused_states & state_bit(s)) != 0; }

  /// Declares a dial option honoured.
  constexpr Capabilities& with(DialOption o) noexcept {
    dial_options |= option_bit(o);
    return *this;
  }
  /// Declares a paused state it can produce (a state that is not paused is not a pause: a
  /// plugin declaring one is refused when it loads).
  constexpr Capabilities& with_pause(State s) noexcept {
    paused_states |= state_bit(s);
    return *this;
  }
  /// Declares every paused state.
  constexpr Capabilities& with_every_pause() noexcept {
    for (const auto& info : state_table)
      if (info.group == StateGroup::paused) with_pause(info.state);
    return *this;
  }
  /// Declares every dial option.
  constexpr Capabilities& with_every_dial_option() noexcept {
    for (const auto& info : dial_option_table) with(info.option);
    return *this;
  }
  /// Declares how it watches.
  constexpr Capabilities& with_watch(WatchKind k) noexcept {
    watch = k;
    return *this;
  }
  /// Declares hang-up by id.
  constexpr Capabilities& with_hangup_by_id() noexcept {
    hangup_by_id = true;
    return *this;
  }

  /// Equal when every field is.
  friend constexpr bool operator==(const Capabilities&, const Capabilities&) noexcept = default;

  /// The bit of a dial option in `dial_options`.
  [[nodiscard]] static constexpr std::uint32_t option_bit(DialOption o) noexcept {
    return std::uint32_t{1} << static_cast<unsigned>(o);
  }
  /// The bit of a state in `paused_states`.
  [[nodiscard]] static constexpr std::uint64_t state_bit(State s) noexcept {
    return std::uint64_t{1} << static_cast<unsigned>(s);
  }
};

/// What RAS offers, declared once for the backends that offer it: every dial option, every
/// paused state and hang-up by id, with the watch given (the RAS backend's notifications are
/// WatchKind::events; the mock, which speaks RAS, polls its registry).
[[nodiscard]] constexpr Capabilities ras_capabilities(WatchKind watch) noexcept {
  return Capabilities{}.with_every_dial_option().with_every_pause().with_watch(watch).with_hangup_by_id();
}

}  // namespace dialkit
