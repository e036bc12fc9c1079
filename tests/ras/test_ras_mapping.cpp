// The RAS backend's tables: every RASCONNSTATE maps by identity onto the shared state of the
// right group, and every RAS error 600-870 (and each Win32 code RAS returns) onto Errc.
#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "backend.hpp"
#include "mapping.hpp"
#include "text.hpp"

using namespace dialkit;
using namespace dialkit::ras;

namespace {

StateGroup ras_group(std::uint32_t v) {
  if (v >= 0x2000) return StateGroup::terminal;
  if (v >= 0x1000) return StateGroup::paused;
  return StateGroup::running;
}

}  // namespace

TEST_CASE("ras mapping: every RASCONNSTATE maps by identity to a state of its group", "[ras]") {
  std::set<std::uint32_t> values;
  std::set<std::string_view> names;
  for (const auto& s : ras_state_names()) {
    INFO(s.name);
    const auto state = state_for_ras(s.native);
    REQUIRE(state);
    CHECK(ras_value(*state) == s.native);
    CHECK(state_group(*state) == ras_group(s.native));
    CHECK(s.name.starts_with("RASCS_"));
    values.insert(s.native);
    names.insert(s.name);
  }
  CHECK(values.size() == 32);
  CHECK(names.size() == 32);
  // ...and every shared state with a RAS value is in the table: nothing is missing.
  for (const auto& info : state_table) {
    if (info.ras_value == no_ras_value) {
      CHECK(info.state == State::disconnecting);
      continue;
    }
    CHECK(values.count(static_cast<std::uint32_t>(info.ras_value)) == 1);
  }
  CHECK(ras_state_name(cs_apply_settings) == "RASCS_ApplySettings");
  CHECK(state_for_ras(cs_apply_settings) == State::applying_settings);
  CHECK_FALSE(state_for_ras(0x1005));
  CHECK(ras_state_name(0x1005) == "RASCS_0x1005");
}

TEST_CASE("ras mapping: every RAS error 600-870 is in the table, in order, mapped", "[ras]") {
  const auto table = ras_error_table();
  REQUIRE(table.size() >= 271);
  for (std::uint32_t code = ras_error_first; code <= ras_error_last; ++code) {
    INFO(code);
    const auto& row = table[code - ras_error_first];
    CHECK(row.native == code);
    CHECK((row.name.starts_with("ERROR_") || row.name == "PENDING" || row.name == "WARNING_MSG_ALIAS_NOT_ADDED"));
    CHECK(find_ras_error(code) == &row);
    CHECK_FALSE(error_name(row.code).empty());
    if (code != 635) CHECK(row.code != Errc::unknown);  // only ERROR_UNKNOWN is "unknown"
  }
  std::set<std::uint32_t> codes;
  for (const auto& row : table) codes.insert(row.native);
  CHECK(codes.size() == table.size());
  for (std::uint32_t win32 : {1u, 5u, 6u, 8u, 87u, 122u}) CHECK(find_ras_error(win32) != nullptr);
}

TEST_CASE("ras mapping: the errors people meet most map onto their portable names", "[ras]") {
  const std::vector<std::pair<std::uint32_t, Errc>> expected{
      {676, Errc::line_busy},          {678, Errc::no_answer},          {679, Errc::no_carrier},
      {680, Errc::no_dialtone},        {691, Errc::authentication_failed}, {648, Errc::password_expired},
      {647, Errc::account_disabled},   {708, Errc::account_expired},    {646, Errc::restricted_logon_hours},
      {649, Errc::no_dialin_permission}, {629, Errc::peer_hung_up},     {734, Errc::peer_hung_up},
      {828, Errc::idle_timeout},       {718, Errc::negotiation_failed}, {732, Errc::negotiation_failed},
      {737, Errc::loopback_detected},  {623, Errc::unknown_entry},      {704, Errc::callback_failed},
      {703, Errc::user_input_required}, {631, Errc::cancelled},         {633, Errc::device_unavailable},
      {756, Errc::device_busy},        {638, Errc::timeout},            {711, Errc::backend_unavailable},
      {6, Errc::invalid_state},        {87, Errc::invalid_argument},    {1, Errc::not_supported}};
  for (const auto& [code, errc] : expected) {
    INFO(code);
    CHECK(errc_for_ras_error(code) == errc);
  }
  CHECK(errc_for_ras_error(9999) == Errc::unknown);
}

TEST_CASE("ras mapping: an error keeps the native code, RasGetErrorString's text and the name", "[ras]") {
  const Error e = make_ras_error(676, "The line is busy.", "in RASCS_ConnectDevice");
  CHECK(e.code == Errc::line_busy);
  CHECK(e.native_code == 676);
  CHECK(e.native_text == "The line is busy.");
  CHECK(e.detail == "ERROR_LINE_BUSY, in RASCS_ConnectDevice");
  const Error bare = make_ras_error(9999, "");
  CHECK(bare.code == Errc::unknown);
  CHECK(bare.native_text == "RAS error 9999");
}

TEST_CASE("ras text: UTF-8 and UTF-16 round-trip, and ids", "[ras]") {
  const std::string text = "Büro-VPN \xE2\x82\xAC \xF0\x9F\x93\x9E";
  const auto wide = to_wide(text);
  CHECK(wide.size() == 13);  // the emoji is a surrogate pair
  CHECK(to_utf8(wide.c_str(), wide.size() + 1) == text);
  CHECK(to_utf8(to_wide("\xFF").c_str(), 4) == "\xEF\xBF\xBD");  // invalid UTF-8 -> U+FFFD
  const auto h = reinterpret_cast<HRASCONN>(std::uintptr_t{0xBEEF0});
  CHECK(handle_id(h) == "ras-0xbeef0");
  CHECK(handle_from_id("ras-0xbeef0") == h);
  CHECK_FALSE(handle_from_id("ras-0x"));
  CHECK_FALSE(handle_from_id("ras-0x0"));
  CHECK_FALSE(handle_from_id("mock-1"));
}

TEST_CASE("ras text: malformed UTF-8 and lone surrogates become U+FFFD, one per bad sequence", "[ras]") {
  const auto wide = [](std::string_view utf8) { return to_wide(utf8); };
  CHECK(wide("a\xC3") == Wide{u'a', 0xFFFD});                 // cut after the lead byte
  CHECK(wide("\xE2\x82" "b") == Wide{0xFFFD, u'b'});         // cut inside a 3-byte sequence
  CHECK(wide("\x80" "b") == Wide{0xFFFD, u'b'});              // a continuation byte cannot lead
  CHECK(wide("\xED\xA0\x80") == Wide{0xFFFD});               // an encoded surrogate
  CHECK(wide("\xF4\x90\x80\x80") == Wide{0xFFFD});           // above U+10FFFF
  CHECK(wide("\xF8\x88") == Wide{0xFFFD, 0xFFFD});           // no 5-byte sequences
  const WideChar high_then_a[] = {0xD83D, u'A', 0};
  CHECK(to_utf8(high_then_a, 3) == "\xEF\xBF\xBD" "A");
  const WideChar low_then_a[] = {0xDC00, u'A', 0};
  CHECK(to_utf8(low_then_a, 3) == "\xEF\xBF\xBD" "A");
  const WideChar pair_cut_by_size[] = {u'A', 0xD83D, 0xDCDE, 0};
  CHECK(to_utf8(pair_cut_by_size, 2) == "A\xEF\xBF\xBD");
}

TEST_CASE("ras mapping: the state rows are kit rows named by core, and render the README blocks", "[ras]") {
  static_assert(plugin::has_unique_natives(state_rows));
  for (const auto& row : state_rows) {
    INFO(row.name);
    REQUIRE(row.state);
    CHECK(row.name == dialkit::ras_state_name(*row.state));
    CHECK(ras_value(*row.state) == row.native);
  }
  const auto docs = mapping_docs();
  REQUIRE(docs.size() == 2);
  CHECK(docs[0].block == "ras-states");
  CHECK(docs[1].block == "ras-errors");
  const std::string states = docs[0].render();
  CHECK(states.find("| 24 | RASCS_ApplySettings | applying_settings | running |") != std::string::npos);
  CHECK(states.find("| 0x1000 | RASCS_Interactive | interactive | paused |") != std::string::npos);
  const std::string errors = docs[1].render();
  CHECK(errors.find("| `line_busy` | 676, 771 |") != std::string::npos);
}
