/// @file
/// What a dial takes and tells beyond its events, shared by users (runtime.hpp) and backends
/// (backend.hpp): the input that ends a paused state, the device and addressing a status
/// gives, the entries a backend can dial and the connections that are up.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <dialkit/error.hpp>
#include <dialkit/secret.hpp>
#include <dialkit/state.hpp>

namespace dialkit {

/// Input that ends a paused state. Core checks the kind against the paused state before the
/// backend sees it (retry_authentication takes Credentials, callback_set_by_caller a
/// CallbackNumber, password_expired a NewPassword, invoke_eap_ui an EapInput, interactive a
/// TerminalDone).
struct CallbackNumber {
  std::string number;  ///<the number the server is to call back
};
/// The new password for a password_expired pause.
struct NewPassword {
  Secret password;  ///<the new password
};
/// The EAP data an invoke_eap_ui pause asks for.
struct EapInput {
  std::string data;  ///<the EAP data
};
/// Ends an interactive pause: the terminal session with the peer is done.
struct TerminalDone {};
/// Any input that ends a paused state (Connection::resume()).
using ResumeInput = std::variant<Credentials, CallbackNumber, NewPassword, EapInput, TerminalDone>;

/// The kind of a resume input, as accepted_input() names it.
[[nodiscard]] std::string_view resume_input_name(const ResumeInput&) noexcept;
/// The kind of input a paused state accepts, as a name ("credentials", "callback_number",
/// "new_password", "eap_input", "terminal_done"); empty for states that are not paused.
[[nodiscard]] std::string_view accepted_input(State paused) noexcept;

/// What RasGetConnectStatus tells beyond the state: the device and addressing.
struct SessionStatus {
  /// The backend's id of this connection, as LiveConnection::id gives it ("pppd:1234", an NM
  /// active-connection path, a RAS handle); usable with Dialer::hangup().
  std::string native_id;
  std::string device_name;  ///<the device (modem, interface, VPN) the dial uses
  std::string device_type;  ///<its type: "modem", "pppoe", "vpn", ...
  std::string phone_number;  ///<the number dialled
  std::string interface;  ///<the network interface, once there is one
  std::vector<std::string> addresses;  ///<the addresses assigned, once projected
};

/// Something a backend can dial: a phone-book entry, a peer, a connection profile.
struct Entry {
  std::string name;  ///<what Dialer::dial() takes
  std::string type;         ///< "modem", "pppoe", "vpn", "ethernet", "scenario", ...
  std::string description;  ///<a line for people
};

/// Something a backend left out of its entries, and why: a file it could not read or parse
/// (a broken mock scenario), so that a user learns why an entry they expect is missing.
struct SkippedEntry {
  std::string source;  ///<what was left out, for people: a file's path, or an entry's name
  Error error;  ///<why it was left out
};

/// The entries of a backend and what it left out of them (Dialer::list_entries()).
struct EntryListing {
  std::vector<Entry> entries;  ///<what entries() gives
  std::vector<SkippedEntry> skipped;  ///<what it left out, in the order it met them
};

/// A connection that is up on the system, whoever started it.
struct LiveConnection {
  std::string id;           ///< the backend's id, usable with Dialer::hangup()
  std::string entry;  ///<the entry it was dialled from
  State state = State::connected;  ///<its shared state
  bool started_here = false;  ///< by this process
  std::string device;  ///<the device it uses
};

}  // namespace dialkit
