// Against python-dbusmock's NetworkManager (extended by harness/nm_template.py) and its polkitd
// template, for what a real NM cannot do here: PPPoE and VPN profiles, NEED_AUTH answered by
// the backend's secret agent (pause -> resume -> connected), and a polkit denial. The harness
// (harness/mockctl.py) plays NM: it drives every state and calls the agent's GetSecrets.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <condition_variable>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include <dialkit/conformance.hpp>

#include "backend.hpp"

#include "harness.hpp"

using namespace dialkit;
using namespace dialkit::nm::test;
using namespace std::chrono_literals;

namespace {

struct MockNm {
  Peer peer{"start-mocknm.sh"};
  Runtime runtime{peer.runtime_options()};
  Dialer dialer = [](Runtime& r) {
    r.add_backend(networkmanager::make_factory());
    auto d = r.dialer("networkmanager");
    if (!d) FAIL(d.error().message());
    return *d;
  }(runtime);

  int ctl(const std::string& args, std::string* out = nullptr) const {
    return peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py " + args, out);
  }
  // The active connection of the one live dial.
  std::string active_path() const {
    auto live = dialer.connections();
    REQUIRE(live);
    REQUIRE(live->size() == 1);
    return live->front().id;
  }
  // NM asks the agent of this process for secrets; the answer comes back when the future is read.
  std::future<std::string> get_secrets(const std::string& profile, const std::string& setting,
                                       std::uint32_t flags) const {
    return ask("secrets", profile, setting, flags);
  }
  // The same GetSecrets, made by another process than NM (the harness's own connection).
  std::future<std::string> get_secrets_as_intruder(const std::string& profile, const std::string& setting,
                                                   std::uint32_t flags) const {
    return ask("intrude", profile, setting, flags);
  }

 private:
  std::future<std::string> ask(const std::string& how, const std::string& profile, const std::string& setting,
                               std::uint32_t flags) const {
    return std::async(std::launch::async, [=, this] {
      std::string out;
      // Its own output file: the test's other mockctl calls run meanwhile.
      const auto file = (peer.dir() / (how + "-" + setting + std::to_string(flags) + ".out")).string();
      (void)peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py " + how + " " +
                    std::to_string(::getpid()) + " " + profile + " " + setting + " " + std::to_string(flags) +
                    " > " + file + "; cat " + file,
                    &out);
      return out;
    });
  }
};

}  // namespace

TEST_CASE("mock NM: entries are profiles with their types", "[real-peer][mocknm]") {
  MockNm nm;
  auto entries = nm.dialer.entries();
  REQUIRE(entries);
  std::map<std::string, std::string> types;
  for (const auto& e : *entries) types[e.name] = e.type;
  CHECK(types["veth-wired"] == "ethernet");
  CHECK(types["dsl"] == "pppoe");
  CHECK(types["office-vpn"] == "vpn");
}

TEST_CASE("mock NM: a phone or callback number is refused with not_supported before anything is activated",
          "[real-peer][mocknm]") {
  MockNm nm;
  struct Case {
    std::optional<std::string> phone, callback;
    const char* option;
  };
  for (const auto& k : {Case{"0800-123", std::nullopt, "phone number (--phone)"},
                        Case{std::nullopt, "555-0199", "callback number (--callback)"}}) {
    DialOptions o;
    o.phone_number = k.phone;
    o.callback_number = k.callback;
    auto conn = nm.dialer.dial("dsl", o);
    REQUIRE_FALSE(conn);
    CHECK(conn.error().code == Errc::not_supported);
    CHECK_THAT(conn.error().detail, Catch::Contains(k.option) && Catch::Contains("networkmanager backend"));
  }
  auto live = nm.dialer.connections();
  REQUIRE(live);
  CHECK(live->empty());  // no ActivateConnection reached NM
  std::string calls;
  (void)nm.peer.sh("cat " + (nm.peer.dir() / "nm-mock-calls.log").string(), &calls);
  CHECK(calls.find("ActivateConnection") == std::string::npos);
}

TEST_CASE("mock NM: a watch that hears of an activation late still reports each device state in order",
          "[real-peer][mocknm]") {
  // Someone else's activation. By the time the watch handles its announcement the device's
  // State property already says ACTIVATED; the signals of the way there are queued behind the
  // announcement, and the watch must report them, not jump to the state it could read.
  MockNm nm;
  Events events;
  auto watch = nm.dialer.watch(events.slot());
  REQUIRE(watch);
  std::string out;
  REQUIRE(nm.ctl("late veth-wired eth0", &out) == 0);
  INFO(out << events.dump());
  REQUIRE(events.wait_for_state(State::connected));
  std::vector<std::int64_t> codes;
  for (const auto& e : events.all()) {
    CHECK(e.entry == "veth-wired");
    codes.push_back(e.native_code);
  }
  CHECK(codes == std::vector<std::int64_t>{1, 40, 50, 60, 70, 100});
}

TEST_CASE("mock NM: an exception on the backend's D-Bus thread lets every caller go and reaches "
          "BackendContext::failed",
          "[real-peer][mocknm]") {
  Peer peer{"start-mocknm.sh"};
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> failures;
  BackendContext ctx;
  ctx.options = peer.runtime_options().backend_options["networkmanager"];
  ctx.failed = [&](const std::string& what) {
    std::lock_guard lock(m);
    failures.push_back(what);
    cv.notify_all();
  };
  auto backend = networkmanager::make_factory()->create(ctx);
  REQUIRE(backend);
  // Fails the way a bug or an exhausted heap would, on the bus thread, outside sd-bus's dispatch.
  struct ThrowingReporter final : Reporter {
    void report(NativeReport r) override {
      throw std::runtime_error("the test's reporter refuses " + r.native_name);
    }
  };
  DialRequest request;
  request.entry = "veth-wired";
  auto session = (*backend)->dial(request, std::make_shared<ThrowingReporter>());
  REQUIRE(session);
  // The device's first state change is reported (if the activation itself reported nothing).
  (void)peer.sh(std::string("/usr/bin/python3 ") + DIALKIT_NM_HARNESS_DIR + "/mockctl.py dev eth0 40 0");
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 15s, [&] { return !failures.empty(); }));
    CHECK_THAT(failures.front(), Catch::StartsWith("the NetworkManager backend's D-Bus thread threw: "
                                                   "the test's reporter refuses NM_"));
  }
  // Every later call returns at once with the reason instead of waiting on a dead loop.
  const auto t0 = std::chrono::steady_clock::now();
  auto entries = (*backend)->entries();
  REQUIRE_FALSE(entries);
  CHECK(entries.error().code == Errc::backend_failed);
  CHECK_THAT(entries.error().detail, Catch::Contains("the test's reporter refuses"));
  auto again = (*backend)->dial(request, std::make_shared<ThrowingReporter>());
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::backend_failed);
  (*session)->hangup();  // does not wait for the hang-up bound (10 s)
  session->reset();
  backend->reset();
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  std::lock_guard lock(m);
  CHECK(failures.size() == 1);
}

TEST_CASE("mock NM: PPPoE NEED_AUTH without credentials pauses and resume answers the agent and it connects",
          "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  const auto ac = nm.active_path();
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  REQUIRE(events.wait_for_state(State::connecting_device));
  auto answer = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(events.wait_for_state(State::retry_authentication));
  CHECK(conn->status().state == State::retry_authentication);
  REQUIRE(conn->resume(Credentials{"alice", Secret("s3cret"), ""}));
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  CHECK(answer.get().find("pppoe.password=s3cret") != std::string::npos);
  REQUIRE(nm.ctl("dev dsl0 70 0 100 0") == 0);
  REQUIRE(nm.ctl("ac " + ac + " 2 0") == 0);
  REQUIRE(events.wait_for_state(State::connected));
  std::vector<State> states;
  for (const auto& e : events.all()) states.push_back(e.state);
  CHECK(states == std::vector<State>{State::opening_port, State::connecting_device, State::retry_authentication,
                                     State::authenticating, State::auth_project, State::connected});
  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));
  CHECK(events.all().back().reason == "local hang-up");
}

TEST_CASE("mock NM: a dial's native_id is the active connection live_connections() lists for it",
          "[real-peer][mocknm]") {
  MockNm nm;
  Events events;
  auto conn = nm.dialer.dial("veth-wired", {}, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  auto live = nm.dialer.connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK(live->front().started_here);
  CHECK(conn->status().device.native_id == live->front().id);
  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));
}

TEST_CASE("mock NM: a pause the caller does not handle ends with authentication_failed",
          "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  auto conn = nm.dialer.dial("dsl", {}, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  auto answer = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(conn->wait_until_ended(10s));
  const auto last = events.all().back();
  CHECK(last.state == State::disconnected);
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::authentication_failed);
  // The agent's pending answer is not left hanging: NM hears the dial gave up.
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  CHECK(answer.get().find("error org.freedesktop.NetworkManager.SecretAgent.") != std::string::npos);
}

TEST_CASE("mock NM: credentials rejected (REQUEST_NEW) pause again", "[real-peer][mocknm][secrets]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  options.credentials = Credentials{"alice", Secret("wrong"), ""};
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  auto first = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(first.wait_for(10s) == std::future_status::ready);
  CHECK(first.get().find("pppoe.password=wrong") != std::string::npos);
  REQUIRE(events.wait_for_state(State::authenticating));
  auto second = nm.get_secrets("dsl", "pppoe", 0x3);
  REQUIRE(events.wait_for_state(State::retry_authentication));
  REQUIRE(conn->resume(Credentials{"alice", Secret("right"), ""}));
  REQUIRE(second.wait_for(10s) == std::future_status::ready);
  CHECK(second.get().find("pppoe.password=right") != std::string::npos);
}

TEST_CASE("mock NM: the secret agent answers NetworkManager only: another caller gets PermissionDenied and no secret",
          "[real-peer][mocknm][secrets]") {
  const std::string canary = "CANARY-nm-intruder-5b1d";
  MockNm nm;
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  options.credentials = Credentials{"alice", Secret(canary), ""};
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  REQUIRE(events.wait_for_state(State::connecting_device));
  // During the dial, a process that is not NM asks for the dial's connection's secrets.
  auto intruder = nm.get_secrets_as_intruder("dsl", "pppoe", 0x1);
  REQUIRE(intruder.wait_for(10s) == std::future_status::ready);
  const auto refused = intruder.get();
  INFO(refused);
  CHECK(refused.find("error org.freedesktop.NetworkManager.SecretAgent.PermissionDenied") != std::string::npos);
  CHECK(refused.find(canary) == std::string::npos);
  CHECK(refused.find("password") == std::string::npos);
  // NM itself still gets the answer, and the dial goes on as if nothing had happened.
  auto asked = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  CHECK(asked.get().find("pppoe.password=" + canary) != std::string::npos);
  REQUIRE(nm.ctl("dev dsl0 70 0 100 0") == 0);
  REQUIRE(nm.ctl("ac " + nm.active_path() + " 2 0") == 0);
  REQUIRE(events.wait_for_state(State::connected));
  for (const auto& e : events.all()) CHECK(e.state != State::retry_authentication);
  REQUIRE(conn->hangup());
  // The end is delivered on a dispatcher thread: wait for it before `events` goes away.
  REQUIRE(conn->wait_until_ended(5s));
}

TEST_CASE("mock NM: a VPN with credentials connects on VPN states and and a remote disconnect is clean",
          "[real-peer][mocknm][vpn]") {
  MockNm nm;
  Events events;
  DialOptions options;
  options.credentials = Credentials{"bob", Secret("vpnpass"), ""};
  auto conn = nm.dialer.dial("office-vpn", options, events.slot());
  REQUIRE(conn);
  const auto ac = nm.active_path();
  INFO(events.dump());
  REQUIRE(nm.ctl("ac " + ac + " 1 0") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 1 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 2 1") == 0);
  auto answer = nm.get_secrets("office-vpn", "vpn", 0x1);
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  const auto text = answer.get();
  INFO(text);
  CHECK(text.find("vpn.secrets=") != std::string::npos);
  CHECK(text.find("'password'") != std::string::npos);
  CHECK(text.find("'vpnpass'") != std::string::npos);
  REQUIRE(nm.ctl("vpn " + ac + " 3 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 4 1") == 0);
  REQUIRE(nm.ctl("vpn " + ac + " 5 1") == 0);
  REQUIRE(events.wait_for_state(State::connected));
  CHECK(events.all().back().native_name == "NM_VPN_CONNECTION_STATE_ACTIVATED");
  REQUIRE(nm.ctl("vpn " + ac + " 7 2") == 0);
  REQUIRE(conn->wait_until_ended(5s));
  const auto last = events.all().back();
  CHECK_FALSE(last.error);
  CHECK(last.reason.find("USER_DISCONNECTED") != std::string::npos);
}

TEST_CASE("mock NM: a polkit denial is permission_denied", "[real-peer][mocknm][polkit]") {
  MockNm nm;
  REQUIRE(nm.ctl("allow") == 0);  // polkitd mock: nothing allowed
  auto conn = nm.dialer.dial("veth-wired");
  REQUIRE_FALSE(conn);
  CHECK(conn.error().code == Errc::permission_denied);
  CHECK(conn.error().native_text == "org.freedesktop.NetworkManager.PermissionDenied");
  REQUIRE(nm.ctl("allow org.freedesktop.NetworkManager.network-control") == 0);
  auto allowed = nm.dialer.dial("veth-wired");
  CHECK(allowed);
}

namespace {

// The command lines of every process on the machine, joined.
std::string all_command_lines() {
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    all += '\n';
  }
  return all;
}

}  // namespace

// The pause NM's agent makes (NEED_AUTH, then GetSecrets with REQUEST_NEW), which the
// conformance suite does not drive on the mock: its secret check (conformance::SecretWitness)
// here, plus what only NM shows: the agent call got each canary, and no process's command line
// holds one while the dial is paused.
TEST_CASE("mock NM: canary passwords reach NM's agent call and no event, error, status, trace or argv",
          "[real-peer][mocknm][secrets]") {
  const std::string first = "CANARY-nm-first-2a9c";
  const std::string second = "CANARY-nm-second-7e41";
  MockNm nm;
  conformance::SecretWitness witness(nm.runtime);
  Events events;
  DialOptions options;
  options.handle_paused_states = true;
  options.credentials = Credentials{"alice", Secret(first), ""};
  auto conn = nm.dialer.dial("dsl", options, events.slot());
  REQUIRE(conn);
  INFO(events.dump());
  REQUIRE(nm.ctl("dev dsl0 40 0 50 0 60 0") == 0);
  auto asked = nm.get_secrets("dsl", "pppoe", 0x1);
  REQUIRE(asked.wait_for(10s) == std::future_status::ready);
  // NM's agent call got the canary: the checks below would prove nothing otherwise.
  CHECK(asked.get().find("pppoe.password=" + first) != std::string::npos);
  REQUIRE(events.wait_for_state(State::authenticating));
  auto again = nm.get_secrets("dsl", "pppoe", 0x3);
  REQUIRE(events.wait_for_state(State::retry_authentication));
  const std::string argv_while_paused = all_command_lines();
  REQUIRE(conn->resume(Credentials{"alice", Secret(second), ""}));
  REQUIRE(again.wait_for(10s) == std::future_status::ready);
  CHECK(again.get().find("pppoe.password=" + second) != std::string::npos);
  witness.add(conn->status());
  REQUIRE(conn->hangup());
  REQUIRE(conn->wait_until_ended(5s));
  auto refused = conn->resume(Credentials{"alice", Secret(first), ""});
  REQUIRE_FALSE(refused);
  witness.add(refused.error());
  REQUIRE(witness.wait_for_end(10s));
  for (const auto& canary : {first, second}) {
    INFO(canary);
    CHECK(witness.leaks(canary).empty());
    CHECK(argv_while_paused.find(canary) == std::string::npos);
  }
}
