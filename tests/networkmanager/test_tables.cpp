// The NetworkManager mapping tables: every native value is there once, in order, with NM's own
// name and value (checked against NM's headers when libnm-dev is installed), maps to a shared
// state of the group DESIGN.md section 4 gives it, and every reason maps to a portable error
// that keeps the native code and name.
#include <catch2/catch.hpp>

#include <set>

#include "backend.hpp"

#include "mapping.hpp"

#if defined(DIALKIT_HAVE_NM_HEADERS)
#include "nm_header_values.hpp"
#endif

using namespace dialkit;
using namespace dialkit::nm;

namespace {

template <std::size_t N>
void check_unique_names(const std::array<StateMapping, N>& t) {
  std::set<std::string_view> names;
  std::set<std::uint32_t> values;
  for (const auto& r : t) {
    CHECK(names.insert(r.name).second);
    CHECK(values.insert(r.native).second);
  }
}

}  // namespace

TEST_CASE("networkmanager: declares credentials, retry_authentication, a watch by events and hang-up by id",
          "[nm][capabilities]") {
  const auto declared = dialkit::networkmanager::make_factory()->capabilities();
  CHECK(declared == Capabilities{}
                        .with(DialOption::credentials)
                        .with_pause(State::retry_authentication)
                        .with_watch(WatchKind::events)
                        .with_hangup_by_id());
  // ActivateConnection dials a profile as stored; NM has no callback: core refuses both.
  CHECK_FALSE(declared.honours(DialOption::phone_number));
  CHECK_FALSE(declared.honours(DialOption::callback_number));
}

TEST_CASE("networkmanager: a timeout option that is not milliseconds is refused, naming it, before the bus is tried",
          "[nm][options]") {
  for (const auto* key : {"call_timeout_ms", "hangup_timeout_ms"}) {
    BackendContext context;
    context.options = {{key, "soon"}, {"bus_address", "unix:path=/nonexistent/dialkit-test-bus"}};
    const auto created = dialkit::networkmanager::make_factory()->create(context);
    REQUIRE_FALSE(created);
    CHECK(created.error().code == Errc::invalid_argument);
    CHECK_THAT(created.error().message(), Catch::Contains(key) && Catch::Contains("soon"));
  }
}

TEST_CASE("NMDeviceState maps exactly as DESIGN section 4", "[nm][tables]") {
  REQUIRE(device_states.size() == 13);
  check_unique_names(device_states);
  const std::pair<std::uint32_t, std::optional<State>> expected[] = {
      {0, std::nullopt},
      {10, State::disconnected},
      {20, State::disconnected},
      {30, State::disconnected},
      {40, State::opening_port},
      {50, State::connecting_device},
      {60, State::retry_authentication},
      {70, State::auth_project},
      {80, State::projected},
      {90, State::applying_settings},
      {100, State::connected},
      {110, State::disconnecting},
      {120, State::disconnected}};
  for (const auto& [value, state] : expected) {
    INFO(value);
    const auto row = plugin::find_row(device_states, value);
    REQUIRE(row);
    CHECK(row->state == state);
  }
  // Groups: activation steps run, NEED_AUTH pauses, the ends are terminal.
  for (const auto& r : device_states) {
    if (!r.state) continue;
    INFO(r.name);
    if (r.native == 60) CHECK(state_group(*r.state) == StateGroup::paused);
    else if (r.native >= 40 && r.native <= 90) CHECK(state_group(*r.state) == StateGroup::running);
    else if (r.native == 110) CHECK(state_group(*r.state) == StateGroup::running);
    else CHECK(state_group(*r.state) == StateGroup::terminal);
  }
  CHECK_FALSE(plugin::find_row(device_states, 130u));
}

TEST_CASE("NMActiveConnectionState and NMVpnConnectionState map as DESIGN section 4", "[nm][tables]") {
  check_unique_names(active_states);
  check_unique_names(vpn_states);
  CHECK(plugin::find_row(active_states, 0u)->state == std::nullopt);
  CHECK(plugin::find_row(active_states, 1u)->state == State::opening_port);
  CHECK(plugin::find_row(active_states, 2u)->state == State::connected);
  CHECK(plugin::find_row(active_states, 3u)->state == State::disconnecting);
  CHECK(plugin::find_row(active_states, 4u)->state == State::disconnected);
  CHECK(plugin::find_row(vpn_states, 0u)->state == std::nullopt);
  CHECK(plugin::find_row(vpn_states, 1u)->state == State::opening_port);
  CHECK(plugin::find_row(vpn_states, 2u)->state == State::retry_authentication);
  CHECK(plugin::find_row(vpn_states, 3u)->state == State::connecting_device);
  CHECK(plugin::find_row(vpn_states, 4u)->state == State::auth_project);
  CHECK(plugin::find_row(vpn_states, 5u)->state == State::connected);
  CHECK(plugin::find_row(vpn_states, 6u)->state == State::disconnected);
  CHECK(plugin::find_row(vpn_states, 7u)->state == State::disconnected);
  for (std::uint32_t v = 0; v < vpn_states.size(); ++v) CHECK(vpn_states[v].native == v);
  for (std::uint32_t v = 0; v < active_states.size(); ++v) CHECK(active_states[v].native == v);
}

TEST_CASE("every NMDeviceStateReason 0-67 and NMActiveConnectionStateReason 0-14 maps to an error",
          "[nm][tables]") {
  REQUIRE(device_state_reasons.size() == 68);
  REQUIRE(active_state_reasons.size() == 15);
  for (std::uint32_t v = 0; v < device_state_reasons.size(); ++v) {
    const auto& r = device_state_reasons[v];
    INFO(r.name);
    CHECK(r.native == v);
    CHECK(r.name.starts_with("NM_DEVICE_STATE_REASON_"));
    CHECK_FALSE(r.note.empty());
    const auto e = device_reason_error(v);
    CHECK(e.code == r.code);
    CHECK(e.native_code == std::int64_t{v});
    CHECK(e.native_text == r.name);
    // A reason is never "no error at all": cleanliness is decided separately.
    CHECK(error_name(e.code) != "");
  }
  for (std::uint32_t v = 0; v < active_state_reasons.size(); ++v) {
    const auto& r = active_state_reasons[v];
    INFO(r.name);
    CHECK(r.native == v);
    CHECK(r.name.starts_with("NM_ACTIVE_CONNECTION_STATE_REASON_"));
    const auto e = active_reason_error(v);
    CHECK(e.code == r.code);
    CHECK(e.native_text == r.name);
  }
  // Where the failure class is the same on every platform, the error is the same too.
  CHECK(device_reason_error(23).code == Errc::line_busy);
  CHECK(device_reason_error(24).code == Errc::no_dialtone);
  CHECK(device_reason_error(25).code == Errc::no_carrier);
  CHECK(device_reason_error(26).code == Errc::no_answer);
  CHECK(device_reason_error(7).code == Errc::authentication_failed);
  CHECK(device_reason_error(13).code == Errc::peer_hung_up);
  CHECK(active_reason_error(10).code == Errc::authentication_failed);
  CHECK(active_reason_error(9).code == Errc::authentication_failed);
  // Only deliberate ends are clean.
  std::set<std::uint32_t> clean;
  for (const auto& r : device_state_reasons)
    if (r.end == NativeEnd::clean_if_connected) clean.insert(r.native);
  CHECK(clean == std::set<std::uint32_t>{37, 39, 41, 60});
  clean.clear();
  for (const auto& r : active_state_reasons)
    if (r.end == NativeEnd::clean_if_connected) clean.insert(r.native);
  CHECK(clean == std::set<std::uint32_t>{1, 2});
  for (const auto& r : device_state_reasons) CHECK(r.end != NativeEnd::clean);
}

TEST_CASE("a deliberate reason ends a connected link cleanly, with the reason as text, and a dial with its error",
          "[nm][tables]") {
  const auto connected = device_reason_end(39, true);
  CHECK_FALSE(connected.error);
  CHECK(connected.text == "NM_DEVICE_STATE_REASON_USER_REQUESTED: disconnected by a user or client");
  const auto dialing = device_reason_end(39, false);
  REQUIRE(dialing.error);
  CHECK(dialing.error->code == Errc::cancelled);
  CHECK(dialing.error->native_code == 39);
  CHECK(dialing.error->detail == "disconnected by a user or client");
  REQUIRE(device_reason_end(13, true).error);
  CHECK_FALSE(active_reason_end(2, true).error);
  REQUIRE(active_reason_end(999, true).error);
  CHECK(active_reason_end(999, true).error->native_text == "NM_ACTIVE_CONNECTION_STATE_REASON_999");
}

TEST_CASE("the README blocks are made from the tables", "[nm][tables]") {
  const auto docs = mapping_docs();
  std::set<std::string_view> blocks;
  for (const auto& d : docs) {
    CHECK(blocks.insert(d.block).second);
    CHECK_FALSE(d.render().empty());
  }
  CHECK(blocks == std::set<std::string_view>{"nm-states", "nm-device-reasons", "nm-active-reasons", "nm-dbus-errors"});
  const auto reasons = docs[1].render();
  CHECK(reasons.find("| 39 | NM_DEVICE_STATE_REASON_USER_REQUESTED | cancelled; none once connected | disconnected by a user or client |") !=
        std::string::npos);
}

TEST_CASE("an unknown native value never crashes and never lies", "[nm][tables]") {
  const auto e = device_reason_error(999);
  CHECK(e.code == Errc::unknown);
  CHECK(e.native_code == 999);
  CHECK(e.native_text == "NM_DEVICE_STATE_REASON_999");
  CHECK(active_reason_error(15).code == Errc::unknown);
}

TEST_CASE("NM's D-Bus errors map to portable errors", "[nm][tables]") {
  CHECK(dbus_error_code("org.freedesktop.NetworkManager.PermissionDenied") == Errc::permission_denied);
  CHECK(dbus_error_code("org.freedesktop.NetworkManager.UnknownConnection") == Errc::unknown_entry);
  CHECK(dbus_error_code("org.freedesktop.NetworkManager.ConnectionNotAvailable") == Errc::device_unavailable);
  CHECK(dbus_error_code("org.freedesktop.DBus.Error.ServiceUnknown") == Errc::backend_unavailable);
  CHECK(dbus_error_code("org.freedesktop.DBus.Error.NoReply") == Errc::timeout);
  CHECK(dbus_error_code("org.example.Whatever") == Errc::system_error);
  const auto e = dbus_error("org.freedesktop.NetworkManager.UnknownConnection", "Connection could not be found.",
                            "ActivateConnection");
  CHECK(e.native_text == "org.freedesktop.NetworkManager.UnknownConnection");
  CHECK(e.detail == "ActivateConnection: Connection could not be found.");
  std::set<std::string_view> names;
  for (const auto& r : dbus_errors) CHECK(names.insert(r.name).second);
}

#if defined(DIALKIT_HAVE_NM_HEADERS)
TEST_CASE("the tables agree with NetworkManager's own headers", "[nm][tables][headers]") {
  using namespace dialkit::nm::test;
  auto same = [](const auto& header, const auto& table) {
    REQUIRE(std::size(header) == table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
      INFO(header[i].name);
      CHECK(header[i].value == table[i].native);
      CHECK(header[i].name == table[i].name);
    }
  };
  same(header_device_states, device_states);
  same(header_device_reasons, device_state_reasons);
  same(header_active_states, active_states);
  same(header_active_reasons, active_state_reasons);
  same(header_vpn_states, vpn_states);
  // The VPN reasons (deprecated) are the first 12 active-connection reasons by value.
  for (std::size_t i = 0; i < std::size(header_vpn_reasons); ++i) CHECK(header_vpn_reasons[i].value == active_state_reasons[i].native);
  // The last value the header knows is the last one in the table: nothing is missing.
  CHECK(NM_DEVICE_STATE_REASON_PEER_NOT_FOUND + 1 == device_state_reasons.size());
  CHECK(NM_ACTIVE_CONNECTION_STATE_REASON_DEVICE_REMOVED + 1 == active_state_reasons.size());
}
#endif
