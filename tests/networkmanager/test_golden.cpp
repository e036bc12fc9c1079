// Golden files: NetworkManager signal sequences (recorded from the real NM 1.42 by the backend's
// "record" option, or written from NM's documented behaviour for what cannot run here) go
// through the backend's real translation code; the shared reports must equal the .out file.
// DIALKIT_UPDATE_GOLDEN=1 rewrites the .out files (review the diff before keeping it).
//
// Input lines:  # dial <entry> ... vpn=0|1 credentials=0|1   (options; other # lines are comments)
//               device NEW OLD REASON | active STATE REASON | vpn STATE REASON
//               secrets SETTING FLAGS | resume | cancel | removed | lost | hangup
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tracker.hpp"

using namespace dialkit;
using namespace dialkit::nm;
namespace fs = std::filesystem;

namespace {

std::string format(const NativeReport& r) {
  std::ostringstream out;
  out << state_name(r.state) << " native=" << r.native_code << ' ' << r.native_name;
  if (r.error)
    out << " error=" << r.error->name() << " native_error=" << r.error->native_code.value_or(-1) << ' '
        << r.error->native_text;
  if (!r.reason.empty()) out << " reason=\"" << r.reason << '"';
  return out.str();
}

std::string run_golden(std::istream& in) {
  std::ostringstream out;
  std::optional<Tracker> tracker;
  Tracker::Options options;
  std::string line;
  auto ensure = [&] {
    if (!tracker) tracker.emplace(options);
  };
  auto put = [&](const Reports& reports) {
    for (const auto& r : reports) out << format(r) << '\n';
  };
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    if (verb == "#") {
      std::string w;
      words >> w;
      if (w != "dial") continue;
      while (words >> w) {
        if (w == "vpn=1") options.vpn = true;
        if (w == "credentials=1") options.has_credentials = true;
        if (w == "mode=watch") options.mode = Tracker::Mode::watch;
      }
      continue;
    }
    ensure();
    out << "> " << line << '\n';
    std::uint32_t a = 0, b = 0, c = 0;
    if (verb == "device") {
      words >> a >> b >> c;
      put(tracker->device_state(a, b, c));
    } else if (verb == "active") {
      words >> a >> b;
      put(tracker->active_state(a, b));
    } else if (verb == "vpn") {
      words >> a >> b;
      put(tracker->vpn_state(a, b));
    } else if (verb == "secrets") {
      std::string setting;
      words >> setting >> a;
      Reports reports;
      const auto answer = tracker->secrets_requested(a, setting, reports);
      out << "agent "
          << (answer == Tracker::SecretsAnswer::credentials ? "answers"
              : answer == Tracker::SecretsAnswer::pause     ? "pauses"
                                                            : "refuses")
          << '\n';
      put(reports);
    } else if (verb == "resume") {
      put(tracker->resumed());
    } else if (verb == "cancel") {
      tracker->secrets_cancelled();
    } else if (verb == "removed") {
      put(tracker->active_removed());
    } else if (verb == "lost") {
      put(tracker->service_lost("NetworkManager left the bus"));
    } else if (verb == "hangup") {
      put(tracker->hangup_started());
    } else {
      FAIL("unknown golden verb: " << line);
    }
  }
  ensure();
  out << "= ended=" << tracker->ended() << " released=" << tracker->released() << '\n';
  return out.str();
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("golden NM signal sequences translate to the recorded shared reports", "[nm][golden]") {
  const fs::path dir = DIALKIT_NM_GOLDEN_DIR;
  const bool update = std::getenv("DIALKIT_UPDATE_GOLDEN") != nullptr;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".in") continue;
    ++files;
    SECTION(entry.path().filename().string()) {
      std::ifstream in(entry.path());
      const auto got = run_golden(in);
      auto expected_file = entry.path();
      expected_file.replace_extension(".out");
      if (update) {
        std::ofstream(expected_file) << got;
      } else {
        REQUIRE(fs::exists(expected_file));
        CHECK(got == slurp(expected_file));
      }
    }
  }
  CHECK(files >= 8);
}

// The same translation checked by hand for the facts the issue names, so a wrong .out file
// cannot hide them.
TEST_CASE("a real NM activation and hang-up map to the shared life", "[nm][golden]") {
  Tracker t({});
  Reports all;
  auto add = [&](Reports r) { all.insert(all.end(), r.begin(), r.end()); };
  add(t.active_state(1, 0));
  for (auto [n, o] : {std::pair{40u, 30u}, {50u, 40u}, {70u, 50u}, {80u, 70u}, {90u, 80u}, {100u, 90u}}) add(t.device_state(n, o, 0));
  add(t.active_state(2, 1));
  std::vector<State> states;
  std::vector<std::int64_t> codes;
  for (const auto& r : all) {
    states.push_back(r.state);
    codes.push_back(r.native_code);
  }
  CHECK(states == std::vector<State>{State::opening_port, State::opening_port, State::connecting_device, State::auth_project,
                                     State::projected, State::applying_settings, State::connected});
  CHECK(codes == std::vector<std::int64_t>{1, 40, 50, 70, 80, 90, 100});
  auto h = t.hangup_started();
  REQUIRE(h.size() == 1);
  CHECK(h[0].state == State::disconnecting);
  CHECK_FALSE(t.released());
  CHECK(t.device_state(110, 100, 39).empty());
  CHECK(t.device_state(30, 110, 39).empty());  // core reports the end of a hang-up itself
  CHECK(t.released());
}

TEST_CASE("an established link that drops says why and a deliberate end is clean", "[nm][golden]") {
  Tracker dropped({});
  (void)dropped.device_state(40, 30, 0);
  (void)dropped.device_state(100, 40, 0);
  auto r = dropped.device_state(20, 100, 40);
  REQUIRE(r.size() == 1);
  CHECK(r[0].state == State::disconnected);
  REQUIRE(r[0].error);
  CHECK(r[0].error->code == Errc::no_carrier);
  CHECK(r[0].error->native_text == "NM_DEVICE_STATE_REASON_CARRIER");

  Tracker other({});
  (void)other.device_state(40, 30, 0);
  (void)other.device_state(100, 40, 0);
  (void)other.device_state(110, 100, 39);
  auto c = other.device_state(30, 110, 39);
  REQUIRE(c.size() == 1);
  CHECK_FALSE(c[0].error);
  CHECK(c[0].reason.find("USER_REQUESTED") != std::string::npos);
}

TEST_CASE("secrets: answered from the dial and paused without and paused again when rejected", "[nm][golden]") {
  Tracker with({Tracker::Mode::dial, false, true});
  Reports out;
  (void)with.device_state(40, 30, 0);
  CHECK(with.device_state(60, 40, 0).empty());
  CHECK(with.secrets_requested(0x1, "pppoe", out) == Tracker::SecretsAnswer::credentials);
  REQUIRE(out.size() == 1);
  CHECK(out[0].state == State::authenticating);
  out.clear();
  CHECK(with.secrets_requested(0x3, "pppoe", out) == Tracker::SecretsAnswer::pause);
  REQUIRE(out.size() == 1);
  CHECK(out[0].state == State::retry_authentication);
  CHECK(out[0].native_code == 60);
  auto resumed = with.resumed();
  REQUIRE(resumed.size() == 1);
  CHECK(resumed[0].state == State::authenticating);

  Tracker without({Tracker::Mode::dial, true, false});
  out.clear();
  (void)without.vpn_state(1, 0);
  CHECK(without.secrets_requested(0x1, "vpn", out) == Tracker::SecretsAnswer::pause);
  REQUIRE(out.size() == 1);
  CHECK(out[0].state == State::retry_authentication);
  CHECK(out[0].native_name == "NM_VPN_CONNECTION_STATE_NEED_AUTH");
}

TEST_CASE("NM leaving the bus ends a dial with backend_unavailable and a hang-up without an event", "[nm][golden]") {
  Tracker t({});
  (void)t.device_state(40, 30, 0);
  auto r = t.service_lost("gone");
  REQUIRE(r.size() == 1);
  CHECK(r[0].error->code == Errc::backend_unavailable);
  CHECK(t.released());

  Tracker h({});
  (void)h.device_state(40, 30, 0);
  (void)h.hangup_started();
  CHECK(h.service_lost("gone").empty());
  CHECK(h.released());
}
