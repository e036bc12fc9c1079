// The pppd backend's mapping table (DESIGN.md section 4, pppd): every pppd 2.4.x phase,
// every notifier the dialkit pppd-side plugin reports, and every exit code, as data. The
// mapper (mapper.hpp), the tests and the README table are all made from these arrays.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/state.hpp>

namespace dialkit::pppd {

inline constexpr std::string_view backend_name = "pppd";

// Phases (pppd.h PHASE_*). `state` is what the phase means on the way up; the mapper turns
// phases seen during teardown into `disconnecting` (see mapper.hpp).
struct PhaseMapping {
  int phase;
  std::string_view name;
  State state;
  std::string_view note;
};

inline constexpr std::array<PhaseMapping, 13> phase_table{{
    {0, "PHASE_DEAD", State::disconnected,
     "recorded; `disconnected` is reported when pppd's exit status arrives (the authority)"},
    {1, "PHASE_INITIALIZE", State::opening_port,
     "never seen by a plugin; reported when the process is spawned"},
    {2, "PHASE_SERIALCONN", State::connecting_device, "device open, connect script or pty command"},
    {3, "PHASE_DORMANT", State::port_opened, "demand dialing: waiting for traffic"},
    {4, "PHASE_ESTABLISH", State::all_devices_connected, "LCP negotiation"},
    {5, "PHASE_AUTHENTICATE", State::authenticating, "PAP/CHAP/EAP"},
    {6, "PHASE_CALLBACK", State::waiting_for_callback, "CBCP callback negotiated"},
    {7, "PHASE_NETWORK", State::auth_project, "NCPs (IPCP, IPv6CP) negotiating"},
    {8, "PHASE_RUNNING", State::projected, "the first NCP is up"},
    {9, "PHASE_TERMINATE", State::disconnecting, "LCP terminate in progress"},
    {10, "PHASE_DISCONNECT", State::disconnecting, "the channel is being taken down"},
    {11, "PHASE_HOLDOFF", State::disconnecting,
     "persist holdoff; the backend passes nopersist and never lets pppd redial by itself"},
    {12, "PHASE_MASTER", State::connected, "multilink bundle master"},
}};

// Notifiers and hooks the plugin reports, with the native codes dialkit gives them (pppd
// has no numbers for them; 100+ keeps them apart from phases and exit codes).
enum class Notifier : std::uint8_t { auth_up, ip_up, ipv6_up, ip_down, ipv6_down, link_down, exit };

struct NotifierMapping {
  Notifier notifier;
  std::int64_t native_code;
  std::string_view name;
  State state;
  std::string_view note;
};

inline constexpr std::array<NotifierMapping, 7> notifier_table{{
    {Notifier::auth_up, 101, "auth_up", State::authenticated, "we authenticated to the peer"},
    {Notifier::ip_up, 102, "ip_up", State::connected,
     "the first ip_up/ipv6_up is `connected`; later ones only update status()"},
    {Notifier::ipv6_up, 103, "ipv6_up", State::connected, "as ip_up"},
    {Notifier::ip_down, 104, "ip_down", State::disconnecting, "teardown after `connected`"},
    {Notifier::ipv6_down, 105, "ipv6_down", State::disconnecting, "teardown after `connected`"},
    {Notifier::link_down, 106, "link_down", State::disconnecting, "the link went down"},
    {Notifier::exit, 107, "exitnotify", State::disconnected,
     "recorded; the exit status from waitpid() ends the dial"},
}};

// Actions of the backend itself that show up as native codes of events.
inline constexpr std::int64_t native_local_hangup = 200;  // SIGTERM sent for a hang-up
inline constexpr std::string_view native_local_hangup_name = "SIGTERM (local hang-up)";
inline constexpr std::int64_t native_protocol_error = 201;
inline constexpr std::string_view native_protocol_error_name = "plugin protocol error";
// A pppd killed by a signal: native code -signal, name "SIGKILL" and so on.

// Exit codes (pppd.h EXIT_*). `error` empty: a clean end. Over a pty the code is not
// reliable (notes/pppd.md), so the mapper decides from the event sequence first.
struct ExitMapping {
  int code;
  std::string_view name;
  std::optional<Errc> error;
  std::string_view meaning;
};

inline constexpr std::array<ExitMapping, 22> exit_table{{
    {0, "EXIT_OK", std::nullopt, "pppd ended normally"},
    {1, "EXIT_FATAL_ERROR", Errc::system_error, "fatal error in pppd"},
    {2, "EXIT_OPTION_ERROR", Errc::system_error, "bad options, or a plugin failed to load"},
    {3, "EXIT_NOT_ROOT", Errc::system_error, "pppd must run as root (or setuid root)"},
    {4, "EXIT_NO_KERNEL_SUPPORT", Errc::system_error, "no kernel PPP support"},
    {5, "EXIT_USER_REQUEST", std::nullopt, "stopped by SIGINT, SIGTERM or SIGHUP"},
    {6, "EXIT_LOCK_FAILED", Errc::device_busy, "the serial port is locked"},
    {7, "EXIT_OPEN_FAILED", Errc::device_unavailable, "the serial port could not be opened"},
    {8, "EXIT_CONNECT_FAILED", Errc::connect_failed, "the connect script failed"},
    {9, "EXIT_PTYCMD_FAILED", Errc::connect_failed, "the pty command could not be run"},
    {10, "EXIT_NEGOTIATION_FAILED", Errc::negotiation_failed, "PPP negotiation failed"},
    {11, "EXIT_PEER_AUTH_FAILED", Errc::peer_authentication_failed,
     "the peer failed to authenticate itself"},
    {12, "EXIT_IDLE_TIMEOUT", Errc::idle_timeout, "the link was idle"},
    {13, "EXIT_CONNECT_TIME", Errc::time_limit, "the connect-time limit was reached"},
    {14, "EXIT_CALLBACK", Errc::callback_failed, "callback negotiated; pppd does not wait for it"},
    {15, "EXIT_PEER_DEAD", Errc::peer_hung_up, "the peer stopped answering echo requests"},
    {16, "EXIT_HANGUP", Errc::peer_hung_up, "the modem or pty hung up"},
    {17, "EXIT_LOOPBACK", Errc::loopback_detected, "the line is looped back"},
    {18, "EXIT_INIT_FAILED", Errc::system_error, "the init script failed"},
    {19, "EXIT_AUTH_TOPEER_FAILED", Errc::authentication_failed,
     "we failed to authenticate to the peer (pausable as retry_authentication)"},
    {20, "EXIT_TRAFFIC_LIMIT", Errc::traffic_limit, "the traffic limit was reached"},
    {21, "EXIT_CNID_AUTH_FAILED", Errc::authentication_failed,
     "the calling number is not authorised"},
}};

[[nodiscard]] constexpr const PhaseMapping* find_phase(int phase) noexcept {
  for (const auto& p : phase_table)
    if (p.phase == phase) return &p;
  return nullptr;
}
[[nodiscard]] constexpr const NotifierMapping& notifier_info(Notifier n) noexcept {
  return notifier_table[static_cast<std::size_t>(n)];
}
[[nodiscard]] constexpr const ExitMapping* find_exit(int code) noexcept {
  for (const auto& e : exit_table)
    if (e.code == code) return &e;
  return nullptr;
}

}  // namespace dialkit::pppd
