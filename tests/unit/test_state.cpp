// The shared state table: every state once, in order, with the group and RAS value of
// DESIGN.md section 1, and lookups that invert each other.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <dialkit/state.hpp>

using namespace dialkit;

TEST_CASE("the state table lists 33 states in numbering order", "[state]") {
  REQUIRE(state_table.size() == 33);
  for (std::size_t i = 0; i < state_table.size(); ++i) {
    CHECK(static_cast<std::size_t>(state_table[i].state) == i + 1);
    CHECK(&state_info(state_table[i].state) == &state_table[i]);
  }
}

TEST_CASE("names and display texts are unique and non-empty", "[state]") {
  std::set<std::string_view> names, displays;
  for (const auto& s : state_table) {
    CHECK_FALSE(s.name.empty());
    CHECK_FALSE(s.display.empty());
    CHECK(names.insert(s.name).second);
    CHECK(displays.insert(s.display).second);
    CHECK(state_from_name(s.name) == s.state);
  }
  CHECK_FALSE(state_from_name("no_such_state").has_value());
  CHECK_FALSE(state_from_name("").has_value());
}

TEST_CASE("groups follow DESIGN.md: 26 running, 5 paused, 2 terminal", "[state]") {
  int running = 0, paused = 0, terminal = 0;
  for (const auto& s : state_table) {
    switch (s.group) {
      case StateGroup::running: ++running; break;
      case StateGroup::paused: ++paused; break;
      case StateGroup::terminal: ++terminal; break;
    }
  }
  CHECK(running == 26);
  CHECK(paused == 5);
  CHECK(terminal == 2);
  CHECK(state_group(State::disconnecting) == StateGroup::running);
  CHECK(state_group(State::retry_authentication) == StateGroup::paused);
  CHECK(state_group(State::invoke_eap_ui) == StateGroup::paused);
  CHECK(state_group(State::connected) == StateGroup::terminal);
  CHECK(state_group(State::disconnected) == StateGroup::terminal);
  CHECK(group_name(StateGroup::paused) == "paused");
}

TEST_CASE("RAS values are RASCONNSTATE's and round-trip", "[state]") {
  CHECK(ras_value(State::opening_port) == 0u);
  CHECK(ras_value(State::applying_settings) == 24u);
  CHECK(ras_value(State::interactive) == 0x1000u);
  CHECK(ras_value(State::invoke_eap_ui) == 0x1004u);
  CHECK(ras_value(State::connected) == 0x2000u);
  CHECK(ras_value(State::disconnected) == 0x2001u);
  CHECK_FALSE(ras_value(State::disconnecting).has_value());
  for (const auto& s : state_table) {
    if (auto v = ras_value(s.state)) CHECK(state_from_ras_value(*v) == s.state);
  }
  // Running states 1..25 of the table are RAS 0..24 in order (identity mapping for RAS).
  for (std::uint32_t v = 0; v <= 24; ++v)
    CHECK(static_cast<std::uint32_t>(*state_from_ras_value(v)) == v + 1);
  CHECK_FALSE(state_from_ras_value(25).has_value());
  CHECK_FALSE(state_from_ras_value(0x1005).has_value());
}

TEST_CASE("every state with a RAS value has its RASCONNSTATE name, written once in core", "[state]") {
  for (const auto& info : state_table) {
    if (info.ras_value == no_ras_value) {
      CHECK(ras_state_name(info.state).empty());
      continue;
    }
    CAPTURE(info.name);
    CHECK(ras_state_name(info.state).starts_with("RASCS_"));
    CHECK(ras_state_name(info.state).size() > 6);
  }
  CHECK(ras_state_name(State::retry_authentication) == "RASCS_RetryAuthentication");
  CHECK(ras_state_name(State::disconnected) == "RASCS_Disconnected");
}
