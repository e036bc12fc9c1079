// The pppd backend's mapping tables (DESIGN.md section 4, pppd) as plugin-kit rows: every pppd
// 2.4.x phase, every notifier the dialkit pppd-side plugin reports, the backend's own actions
// and every exit code. The mapper (mapper.hpp), the tests and the README tables
// (mapping_docs()) are all made from these arrays.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

#include <dialkit/error.hpp>
#include <dialkit/mapping.hpp>
#include <dialkit/state.hpp>

namespace dialkit::pppd {

inline constexpr std::string_view backend_name = "pppd";

using plugin::NativeEnd;
using plugin::NativeErrorMapping;
using plugin::NativeMapping;

// Phases (pppd.h PHASE_*) the mapper decides on by number.
inline constexpr int phase_dead = 0, phase_initialize = 1, phase_serialconn = 2, phase_establish = 4,
                     phase_authenticate = 5, phase_callback = 6, phase_network = 7, phase_running = 8,
                     phase_terminate = 9;

// `state` is what the phase means on the way up; the mapper turns phases seen during teardown
// into `disconnecting` (see mapper.hpp). A phase whose own state is `disconnecting` starts the
// teardown.
inline constexpr std::array<NativeMapping<int>, 13> phase_table{{
    {phase_dead, "PHASE_DEAD", State::disconnected,
     "recorded; `disconnected` is reported when pppd's exit status arrives (the authority)"},
    {phase_initialize, "PHASE_INITIALIZE", State::opening_port,
     "never seen by a plugin; reported when the process is spawned"},
    {phase_serialconn, "PHASE_SERIALCONN", State::connecting_device, "device open, connect script or pty command"},
    {3, "PHASE_DORMANT", State::port_opened, "demand dialing: waiting for traffic"},
    {phase_establish, "PHASE_ESTABLISH", State::all_devices_connected, "LCP negotiation"},
    {phase_authenticate, "PHASE_AUTHENTICATE", State::authenticating, "PAP/CHAP/EAP"},
    {phase_callback, "PHASE_CALLBACK", State::waiting_for_callback, "CBCP callback negotiated"},
    {phase_network, "PHASE_NETWORK", State::auth_project, "NCPs (IPCP, IPv6CP) negotiating"},
    {phase_running, "PHASE_RUNNING", State::projected, "the first NCP is up"},
    {phase_terminate, "PHASE_TERMINATE", State::disconnecting, "LCP terminate in progress"},
    {10, "PHASE_DISCONNECT", State::disconnecting, "the channel is being taken down"},
    {11, "PHASE_HOLDOFF", State::disconnecting,
     "persist holdoff; the backend passes nopersist and never lets pppd redial by itself"},
    {12, "PHASE_MASTER", State::connected, "multilink bundle master"},
}};
static_assert(plugin::has_unique_natives(phase_table), "a phase is mapped twice");

// Notifiers and hooks the plugin reports, with the native codes dialkit gives them (pppd has no
// numbers for them; 100+ keeps them apart from phases and exit codes).
enum class Notifier : std::uint8_t {
  auth_up = 101, ip_up, ipv6_up, ip_down, ipv6_down, link_down, exit
};

inline constexpr std::array<NativeMapping<Notifier>, 7> notifier_table{{
    {Notifier::auth_up, "auth_up", State::authenticated, "we authenticated to the peer"},
    {Notifier::ip_up, "ip_up", State::connected,
     "the first ip_up/ipv6_up is `connected`; later ones only update status()"},
    {Notifier::ipv6_up, "ipv6_up", State::connected, "as ip_up"},
    {Notifier::ip_down, "ip_down", State::disconnecting, "teardown after `connected`"},
    {Notifier::ipv6_down, "ipv6_down", State::disconnecting, "teardown after `connected`"},
    {Notifier::link_down, "link_down", State::disconnecting, "the link went down"},
    {Notifier::exit, "exitnotify", State::disconnected,
     "recorded; the exit status from waitpid() ends the dial"},
}};
static_assert(plugin::has_unique_natives(notifier_table), "a notifier is mapped twice");
static_assert(plugin::covers(notifier_table, std::array{Notifier::auth_up, Notifier::ip_up, Notifier::ipv6_up,
                                                        Notifier::ip_down, Notifier::ipv6_down,
                                                        Notifier::link_down, Notifier::exit}),
              "a notifier is not mapped");

// Actions of the backend itself that show up as native codes of events. A pppd killed by a
// signal: native code -signal, name "SIGKILL" and so on.
inline constexpr std::int64_t native_local_hangup = 200;
inline constexpr std::int64_t native_protocol_error = 201;
inline constexpr std::array<NativeMapping<std::int64_t>, 2> action_table{{
    {native_local_hangup, "SIGTERM (local hang-up)", State::disconnecting,
     "the backend's own action: SIGTERM sent for a hang-up"},
    {native_protocol_error, "plugin protocol error", State::disconnected,
     "the backend's own action: the channel said something unparseable, pppd is killed"},
}};
inline constexpr std::string_view native_local_hangup_name = action_table[0].name;
inline constexpr std::string_view native_protocol_error_name = action_table[1].name;

// Exit codes (pppd.h EXIT_*). Over a pty the code is not reliable (notes/pppd.md), so the
// mapper decides from the event sequence first (mapper.hpp). A clean end before `connected`
// still failed the dial: the row's code says how. The notes are the error details' words.
inline constexpr std::array<NativeErrorMapping<int>, 22> exit_table{{
    {0, "EXIT_OK", Errc::connect_failed, "pppd ended normally",
     NativeEnd::clean},
    {1, "EXIT_FATAL_ERROR", Errc::system_error, "fatal error in pppd"},
    {2, "EXIT_OPTION_ERROR", Errc::system_error, "bad options, or a plugin failed to load"},
    {3, "EXIT_NOT_ROOT", Errc::system_error, "pppd must run as root (or setuid root)"},
    {4, "EXIT_NO_KERNEL_SUPPORT", Errc::system_error, "no kernel PPP support"},
    {5, "EXIT_USER_REQUEST", Errc::connect_failed,
     "stopped by SIGINT, SIGTERM or SIGHUP", NativeEnd::clean},
    {6, "EXIT_LOCK_FAILED", Errc::device_busy, "the serial port is locked"},
    {7, "EXIT_OPEN_FAILED", Errc::device_unavailable, "the serial port could not be opened"},
    {8, "EXIT_CONNECT_FAILED", Errc::connect_failed, "the connect script failed"},
    {9, "EXIT_PTYCMD_FAILED", Errc::connect_failed, "the pty command could not be run"},
    {10, "EXIT_NEGOTIATION_FAILED", Errc::negotiation_failed, "PPP negotiation failed"},
    {11, "EXIT_PEER_AUTH_FAILED", Errc::peer_authentication_failed, "the peer failed to authenticate itself"},
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
    {21, "EXIT_CNID_AUTH_FAILED", Errc::authentication_failed, "the calling number is not authorised"},
}};
static_assert(plugin::has_unique_natives(exit_table), "an exit code is mapped twice");

// The exit codes by which pppd names why it ended a connected link itself (idle, connect-time
// or traffic limit, dead peer): after a teardown pppd started, their row's code is the error.
inline constexpr std::array<int, 4> pppd_ended_link_codes{12, 13, 15, 20};

[[nodiscard]] constexpr const NativeMapping<int>* find_phase(int phase) noexcept {
  const auto it = std::ranges::find(phase_table, phase, &NativeMapping<int>::native);
  return it == phase_table.end() ? nullptr : &*it;
}
[[nodiscard]] constexpr const NativeMapping<Notifier>& notifier_info(Notifier n) noexcept {
  return notifier_table[static_cast<std::size_t>(n) - static_cast<std::size_t>(Notifier::auth_up)];
}
[[nodiscard]] constexpr const NativeErrorMapping<int>* find_exit(int code) noexcept {
  const auto it = std::ranges::find(exit_table, code, &NativeErrorMapping<int>::native);
  return it == exit_table.end() ? nullptr : &*it;
}

// The README blocks made from these tables (dialkit_backend_mapping_docs in CMakeLists.txt).
[[nodiscard]] std::array<plugin::MappingDoc, 2> mapping_docs();

}  // namespace dialkit::pppd
