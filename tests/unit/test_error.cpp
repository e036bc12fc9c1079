// The portable error table: unique names, lookups, classes and messages.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <dialkit/error.hpp>

using namespace dialkit;

TEST_CASE("every error has a unique name, a message and round-trips by name", "[error]") {
  std::set<std::string_view> names;
  std::size_t index = 0;
  for (const auto& e : all_errors()) {
    CHECK(static_cast<std::size_t>(e.code) == index++);
    CHECK(names.insert(e.name).second);
    CHECK_FALSE(e.message.empty());
    CHECK(errc_from_name(e.name) == e.code);
    CHECK(error_name(e.code) == e.name);
  }
  CHECK_FALSE(errc_from_name("nope").has_value());
}

TEST_CASE("the errors DESIGN.md section 5 names exist", "[error]") {
  for (const char* name :
       {"authentication_failed", "password_expired", "account_disabled", "no_dialin_permission",
        "line_busy", "no_answer", "no_carrier", "no_dialtone", "device_unavailable",
        "device_busy", "connect_failed", "negotiation_failed", "peer_hung_up", "idle_timeout",
        "time_limit", "traffic_limit", "callback_failed", "timeout", "cancelled",
        "unknown_entry", "invalid_argument", "backend_unavailable", "plugin_rejected",
        "permission_denied", "system_error"}) {
    INFO(name);
    CHECK(errc_from_name(name).has_value());
  }
}

TEST_CASE("an error's message keeps the native code and text beside the portable one", "[error]") {
  Error e;
  e.code = Errc::line_busy;
  e.native_code = 676;
  e.native_text = "ERROR_LINE_BUSY";
  e.detail = "attempt 1";
  CHECK(e.message() == "line_busy: the line is busy [native 676 ERROR_LINE_BUSY] (attempt 1)");
  CHECK(e.error_class() == ErrorClass::line);
  CHECK(make_error(Errc::timeout).message() == "timeout: the operation timed out");
  CHECK(error_class_name(error_class(Errc::plugin_rejected)) == "backend");
}
