// The pppd mapping table: every phase, notifier and exit code is there, once, mapped to a
// state of the right group, exactly as DESIGN.md section 4 says; and the mapper applies it.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "mapper.hpp"
#include "mapping.hpp"

using namespace dialkit;
using namespace dialkit::pppd;

TEST_CASE("every pppd phase 0..12 is in the table once, in order, as DESIGN.md maps it", "[pppd][mapping]") {
  // DESIGN.md section 4, pppd table.
  const std::map<int, State> design{
      {0, State::disconnected},     {1, State::opening_port},      {2, State::connecting_device},
      {3, State::port_opened},      {4, State::all_devices_connected}, {5, State::authenticating},
      {6, State::waiting_for_callback}, {7, State::auth_project}, {8, State::projected},
      {9, State::disconnecting},    {10, State::disconnecting},    {11, State::disconnecting},
      {12, State::connected}};
  REQUIRE(phase_table.size() == design.size());
  for (std::size_t i = 0; i < phase_table.size(); ++i) {
    const auto& p = phase_table[i];
    INFO(p.name);
    CHECK(p.native == static_cast<int>(i));
    CHECK(p.name.starts_with("PHASE_"));
    REQUIRE(p.state);
    CHECK(*p.state == design.at(p.native));
    const auto group = state_group(*p.state);
    if (p.native == 0 || p.native == 12) CHECK(group == StateGroup::terminal);
    else CHECK(group == StateGroup::running);
    CHECK(find_phase(p.native) == &p);
  }
  CHECK(find_phase(13) == nullptr);
  CHECK(find_phase(-1) == nullptr);
}

TEST_CASE("every notifier is in the table once, indexed by its enum", "[pppd][mapping]") {
  std::set<std::int64_t> codes;
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < notifier_table.size(); ++i) {
    const auto& n = notifier_table[i];
    INFO(n.name);
    CHECK(&notifier_info(n.native) == &n);
    CHECK(codes.insert(plugin::native_code(n.native)).second);
    CHECK(names.insert(n.name).second);
    CHECK(plugin::native_code(n.native) > 21);  // apart from phases and exit codes
    REQUIRE(n.state);
  }
  CHECK(notifier_info(Notifier::auth_up).state == State::authenticated);
  CHECK(notifier_info(Notifier::ip_up).state == State::connected);
  CHECK(notifier_info(Notifier::ipv6_up).state == State::connected);
  CHECK(notifier_info(Notifier::exit).state == State::disconnected);
  for (auto n : {Notifier::ip_down, Notifier::ipv6_down, Notifier::link_down})
    CHECK(state_group(*notifier_info(n).state) == StateGroup::running);
}

TEST_CASE("every pppd exit code 0..21 maps to the error DESIGN.md names", "[pppd][mapping]") {
  const std::map<int, std::optional<Errc>> design{
      {0, std::nullopt}, {1, Errc::system_error}, {2, Errc::system_error}, {3, Errc::system_error},
      {4, Errc::system_error}, {5, std::nullopt}, {6, Errc::device_busy}, {7, Errc::device_unavailable},
      {8, Errc::connect_failed}, {9, Errc::connect_failed}, {10, Errc::negotiation_failed},
      {11, Errc::peer_authentication_failed}, {12, Errc::idle_timeout}, {13, Errc::time_limit},
      {14, Errc::callback_failed}, {15, Errc::peer_hung_up}, {16, Errc::peer_hung_up},
      {17, Errc::loopback_detected}, {18, Errc::system_error}, {19, Errc::authentication_failed},
      {20, Errc::traffic_limit}, {21, Errc::authentication_failed}};
  REQUIRE(exit_table.size() == design.size());
  for (std::size_t i = 0; i < exit_table.size(); ++i) {
    const auto& e = exit_table[i];
    INFO(e.name);
    CHECK(e.native == static_cast<int>(i));
    CHECK(e.name.starts_with("EXIT_"));
    // A clean end (no error of its own) is connect_failed before `connected`.
    const auto error = design.at(e.native);
    CHECK((e.end == plugin::NativeEnd::clean) == !error.has_value());
    CHECK(e.code == error.value_or(Errc::connect_failed));
    CHECK(find_exit(e.native) == &e);
    CHECK_FALSE(e.note.empty());
  }
  CHECK(find_exit(22) == nullptr);
  CHECK(exit_name(4) == "EXIT_NO_KERNEL_SUPPORT");
  CHECK(exit_name(99) == "EXIT_99");
  CHECK(signal_name(9) == "SIGKILL");
}

TEST_CASE("the mapper reports each phase on the way up as the table says", "[pppd][mapping]") {
  for (const auto& p : phase_table) {
    INFO(p.name);
    Mapper m(false);
    const auto first = m.spawned();
    REQUIRE(first.size() == 1);
    CHECK(first[0].state == State::opening_port);
    CHECK(first[0].native_name == "PHASE_INITIALIZE");
    (void)m.on_message(HelloMsg{1, 42, "2.4.9"});
    const auto out = m.on_message(PhaseMsg{p.native});
    if (p.native == 0) {
      CHECK(out.empty());  // the exit status ends the dial, not DEAD
      continue;
    }
    REQUIRE(out.size() == 1);
    CHECK(out[0].state == p.state);
    CHECK(out[0].native_code == p.native);
    CHECK(out[0].native_name == p.name);
  }
}

TEST_CASE("the mapper turns every exit code before `connected` into its end", "[pppd][mapping]") {
  for (const auto& e : exit_table) {
    INFO(e.name);
    Mapper m(false);
    (void)m.spawned();
    const auto out = m.process_ended({ProcessEnd::How::exited, e.native}, "");
    REQUIRE(out.size() == 1);
    CHECK(out[0].state == State::disconnected);
    CHECK(out[0].native_code == e.native);
    CHECK(out[0].native_name == e.name);
    REQUIRE(out[0].error);
    // A clean code before the link came up is still a failed dial.
    CHECK(out[0].error->code == e.code);
    CHECK(out[0].error->native_code == e.native);
  }
}

TEST_CASE("teardown phases after TERMINATE or `connected` are disconnecting, not a new dial", "[pppd][mapping]") {
  Mapper m(false);
  (void)m.spawned();
  (void)m.on_message(HelloMsg{1, 42, "2.4.9"});
  for (int p : {2, 4, 5}) (void)m.on_message(PhaseMsg{p});
  (void)m.on_message(AuthUpMsg{});
  for (int p : {7, 8}) (void)m.on_message(PhaseMsg{p});
  const auto up = m.on_message(UpMsg{false, "ppp0", "192.0.2.2", "192.0.2.1"});
  REQUIRE(up.size() == 1);
  CHECK(up[0].state == State::connected);
  CHECK(m.link().interface == "ppp0");
  for (int p : {7, 4, 2, 10}) {
    const auto out = m.on_message(PhaseMsg{p});
    REQUIRE(out.size() == 1);
    CHECK(out[0].state == State::disconnecting);
  }
  CHECK(m.on_message(UpMsg{true, "ppp0", "fe80::1", "fe80::2"}).empty());
}
