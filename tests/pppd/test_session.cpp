// The pppd session machinery on the host, with a scripted stand-in for pppd (fake-pppd.sh):
// spawning, the plugin channel, secrets over the channel, hang-up with SIGTERM then SIGKILL,
// a pppd killed -9, protocol errors, pause and resume, and no process left behind.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include <dialkit/install_dirs.hpp>
#include "backend.hpp"
#include <dialkit/runtime.hpp>

#include "test_helpers.hpp"

namespace fs = std::filesystem;
using namespace dialkit;
using namespace std::chrono_literals;
using dialkit::pppd::test::Collector;

namespace {

const fs::path source_dir = fs::path(DIALKIT_TEST_SOURCE_DIR) / "tests/pppd";

RuntimeOptions runtime_options(std::chrono::milliseconds kill_timeout = 3000ms) {
  RuntimeOptions o;
  o.load_plugins = false;
  o.backend_options["pppd"] = {
      {"peers_dir", (source_dir / "fake-peers").string()},
      {"pppd", (source_dir / "fake-pppd.sh").string()},
      {"pppd_plugin", DIALKIT_PPPD_HELPER},
      {"kill_timeout_ms", std::to_string(kill_timeout.count())}};
  return o;
}

struct Fixture {
  explicit Fixture(RuntimeOptions o = runtime_options()) : runtime(std::move(o)) {
    runtime.add_backend(pppd::make_factory(source_dir / "fake-pppd.sh"));
  }
  Dialer dialer() {
    auto d = runtime.dialer("pppd");
    REQUIRE(d);
    return *d;
  }
  Runtime runtime;
};


Credentials creds(std::string password) { return Credentials{"client", Secret(std::move(password)), {}}; }

}  // namespace

TEST_CASE("pppd session: connects with the password from the channel, local hang-up ends it", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  DialOptions o;
  o.credentials = creds("right");
  auto c = f.dialer().dial("ok", o, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::connected));
  const auto status = c->status();
  CHECK(status.device.interface == "ppp0");
  CHECK(status.device.addresses == std::vector<std::string>{"local 10.0.0.2", "remote 10.0.0.1"});
  // The fake wrote its command line once connected: the password is not on it.
  const auto args_file = source_dir / "fake-peers/ok.args";
  std::string args;
  std::getline(std::ifstream(args_file), args);
  fs::remove(args_file);
  CHECK_THAT(args, Catch::Contains("nodetach nopersist plugin"));
  CHECK_THAT(args, Catch::Contains("user client"));
  CHECK(args.find("right") == std::string::npos);
  REQUIRE(c->hangup());
  REQUIRE(c->wait_until_ended(5s));
  CHECK(collector->joined() ==
        "opening_port connecting_device all_devices_connected authenticating authenticated "
        "auth_project projected connected disconnecting disconnecting disconnecting disconnecting "
        "disconnecting disconnecting disconnected");
  const auto events = collector->events();
  CHECK(events[8].native_name == "SIGTERM (local hang-up)");
  CHECK(events.back().reason == "local hang-up");
  CHECK_FALSE(events.back().error);
  CHECK(f.runtime.illegal_transitions() == 0);
}

TEST_CASE("pppd session: a wrong password pauses, resume runs pppd again and connects", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  DialOptions o;
  o.credentials = creds("wrong");
  o.handle_paused_states = true;
  auto c = f.dialer().dial("ok", o, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::retry_authentication));
  CHECK(c->status().native_name == "EXIT_AUTH_TOPEER_FAILED");
  REQUIRE(c->resume(creds("right")));
  REQUIRE(collector->wait_for(State::connected));
  REQUIRE(c->hangup());
  // hangup() returns once pppd is gone; the dispatcher delivers `disconnected` after it.
  REQUIRE(c->wait_until_ended(5s));
  CHECK(collector->joined() ==
        "opening_port connecting_device all_devices_connected authenticating "
        "retry_authentication opening_port connecting_device "
        "all_devices_connected authenticating authenticated auth_project projected connected "
        "disconnecting disconnecting disconnecting disconnecting disconnecting disconnecting disconnected");
  fs::remove(source_dir / "fake-peers/ok.args");
}

TEST_CASE("pppd session: without pause handling a wrong password is authentication_failed", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  DialOptions o;
  o.credentials = creds("wrong");
  auto c = f.dialer().dial("ok", o, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  const auto last = collector->events().back();
  CHECK(last.state == State::disconnected);
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::authentication_failed);
  CHECK(last.error->native_code == 19);
}

TEST_CASE("pppd session: hang-up while paused needs no process", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  DialOptions o;
  o.credentials = creds("wrong");
  o.handle_paused_states = true;
  auto c = f.dialer().dial("ok", o, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::retry_authentication));
  REQUIRE(c->hangup());
  REQUIRE(c->wait_until_ended(5s));
  CHECK(collector->events().back().state == State::disconnected);
  CHECK(collector->events().back().reason == "local hang-up");
}

TEST_CASE("pppd session: a pppd that ignores SIGTERM is killed after the bound", "[pppd][session]") {
  Fixture f(runtime_options(300ms));
  auto collector = std::make_shared<Collector>();
  auto c = f.dialer().dial("stubborn", {}, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::connected));
  auto live = f.dialer().connections();
  REQUIRE(live);
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(c->hangup());
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  REQUIRE(c->wait_until_ended(5s));
  CHECK(collector->events().back().reason == "local hang-up");
}

TEST_CASE("pppd session: pppd killed -9 ends the dial with a clear error", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  auto c = f.dialer().dial("suicide", {}, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  const auto last = collector->events().back();
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::system_error);
  CHECK(last.error->native_text == "SIGKILL");
  CHECK_THAT(last.error->detail, Catch::Contains("killed by SIGKILL while connected"));
}

TEST_CASE("pppd session: a plugin speaking nonsense is stopped with protocol_error", "[pppd][session]") {
  Fixture f(runtime_options(300ms));
  for (const char* entry : {"garbage", "wrongpid"}) {
    INFO(entry);
    auto collector = std::make_shared<Collector>();
    auto c = f.dialer().dial(entry, {}, [collector](const Event& e) { (*collector)(e); });
    REQUIRE(c);
    REQUIRE(c->wait_until_ended(10s));
    const auto last = collector->events().back();
    REQUIRE(last.error);
    CHECK(last.error->code == Errc::protocol_error);
    CHECK(last.error->native_text == "plugin protocol error");
  }
}

TEST_CASE("pppd session: good lines before a malformed one in the same read are delivered first",
          "[pppd][session]") {
  Fixture f(runtime_options(300ms));
  auto collector = std::make_shared<Collector>();
  auto c = f.dialer().dial("badtail", {}, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  // The fake wrote PHASE 7, PHASE 8, IP_UP and PHASE 99 in one write(2).
  CHECK(collector->joined() ==
        "opening_port connecting_device all_devices_connected auth_project projected connected disconnected");
  const auto last = collector->events().back();
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::protocol_error);
  CHECK_THAT(last.error->detail, Catch::Contains("PHASE 99"));
  CHECK(f.runtime.illegal_transitions() == 0);
}

TEST_CASE("pppd session: IPCP refused after a right password is negotiation_failed, not a pause",
          "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  DialOptions o;
  o.credentials = creds("right");
  o.handle_paused_states = true;
  auto c = f.dialer().dial("ipcprefused", o, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  const auto states = collector->joined();
  CHECK(states.find("retry_authentication") == std::string::npos);
  const auto last = collector->events().back();
  CHECK(last.state == State::disconnected);
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::negotiation_failed);
  CHECK(last.error->native_code == 16);
}

TEST_CASE("pppd backend: declares credentials, retry_authentication, a polling watch and hang-up by id",
          "[pppd][capabilities]") {
  const auto declared = dialkit::pppd::make_factory()->capabilities();
  CHECK(declared == Capabilities{}
                        .with(DialOption::credentials)
                        .with_pause(State::retry_authentication)
                        .with_watch(WatchKind::polling)
                        .with_hangup_by_id());
  CHECK_FALSE(declared.honours(DialOption::phone_number));
  CHECK_FALSE(declared.honours(DialOption::callback_number));
}

// Core refuses them (the pppd backend does not declare them), naming option and backend.
TEST_CASE("pppd backend: a phone number or callback number is refused before pppd runs",
          "[pppd][session]") {
  Fixture f;
  const auto ok_args = source_dir / "fake-peers/ok.args";
  fs::remove(ok_args);
  DialOptions phone;
  phone.credentials = creds("right");
  phone.phone_number = "5551234";
  auto refused = f.dialer().dial("ok", phone);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::not_supported);
  CHECK_THAT(refused.error().detail, Catch::Contains("phone"));
  CHECK_THAT(refused.error().detail, Catch::Contains("pppd"));

  DialOptions callback;
  callback.credentials = creds("right");
  callback.callback_number = "5554321";
  auto refused_cb = f.dialer().dial("ok", callback);
  REQUIRE_FALSE(refused_cb);
  CHECK(refused_cb.error().code == Errc::not_supported);
  CHECK_THAT(refused_cb.error().detail, Catch::Contains("callback"));
  CHECK_THAT(refused_cb.error().detail, Catch::Contains("pppd"));
  // Nothing was dialled: the fake pppd writes its arguments once it connects.
  CHECK_FALSE(fs::exists(ok_args));
}

TEST_CASE("pppd session: an early exit reports its code and pppd's message", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  auto c = f.dialer().dial("nokernel", {}, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  CHECK(collector->joined() == "opening_port disconnected");
  const auto last = collector->events().back();
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::system_error);
  CHECK(last.error->native_code == 4);
  CHECK(last.error->native_text == "EXIT_NO_KERNEL_SUPPORT");
  CHECK_THAT(last.error->detail, Catch::Contains("no kernel PPP support"));
  CHECK_THAT(last.error->detail, Catch::Contains("/dev/ppp"));
}

TEST_CASE("pppd session: the silent peer is negotiation_failed whatever pppd's exit code", "[pppd][session]") {
  Fixture f;
  auto collector = std::make_shared<Collector>();
  auto c = f.dialer().dial("noanswer", {}, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(c->wait_until_ended(10s));
  const auto last = collector->events().back();
  REQUIRE(last.error);
  CHECK(last.error->code == Errc::negotiation_failed);
  CHECK(last.error->native_code == 16);
}

TEST_CASE("pppd session: a slot may hang up from inside its own delivery", "[pppd][session]") {
  auto o = runtime_options();
  o.delivery = RuntimeOptions::Delivery::inline_delivery;
  Fixture f(std::move(o));
  auto collector = std::make_shared<Collector>();
  std::optional<Connection> self;
  std::mutex m;
  std::condition_variable cv;
  bool hung_up = false;
  auto c = f.dialer().dial("stubborn", {}, [&, collector](const Event& e) {
    (*collector)(e);
    if (e.state != State::connected) return;
    std::optional<Connection> me;
    {
      // dial() may not have returned yet on the test's thread: wait for the handle.
      std::unique_lock lock(m);
      cv.wait_for(lock, 10s, [&] { return self.has_value(); });
      me = self;
    }
    if (me) hung_up = me->hangup().has_value();  // on the session's own thread
  });
  REQUIRE(c);
  {
    std::lock_guard lock(m);
    self = *c;
  }
  cv.notify_all();
  REQUIRE(collector->wait_for(State::disconnected, 10s));
  CHECK(hung_up);
  CHECK(collector->events().back().reason == "local hang-up");
  std::lock_guard lock(m);
  self.reset();
}

namespace {
// Children of this process that still run (zombies count as gone), from /proc/PID/stat.
std::vector<pid_t> running_children() {
  std::vector<pid_t> out;
  for (const auto& d : fs::directory_iterator("/proc")) {
    const auto name = d.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(d.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    const auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid() && state != 'Z') out.push_back(std::stoi(name));
  }
  return out;
}

// A reporter that fails the way a bug or an exhausted heap would: it throws on `connected`.
struct ThrowingReporter final : Reporter {
  void report(NativeReport r) override {
    if (r.state == State::connected) throw std::runtime_error("the test's reporter refuses connected");
  }
};
}  // namespace

TEST_CASE("pppd session: an exception on the session thread stops pppd and reaches BackendContext::failed",
          "[pppd][session]") {
  dialkit::pppd::test::Failures failures;
  BackendContext ctx;
  ctx.options = runtime_options().backend_options["pppd"];
  ctx.failed = failures.hook();
  auto backend = pppd::make_factory(source_dir / "fake-pppd.sh")->create(ctx);
  REQUIRE(backend);
  DialRequest request;
  request.entry = "ok";
  request.credentials = creds("right");
  auto session = (*backend)->dial(request, std::make_shared<ThrowingReporter>());
  REQUIRE(session);
  // The process goes on; core hears which thread threw and why.
  const auto what = failures.wait();
  REQUIRE(what);
  CHECK(*what == "the pppd session thread of \"ok\" threw: the test's reporter refuses connected");
  // The fake pppd was stopped and reaped before core was told: nothing of ours runs on.
  CHECK(running_children().empty());
  const auto t0 = std::chrono::steady_clock::now();
  (*session)->hangup();
  session->reset();
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(failures.count() == 1);
  fs::remove(source_dir / "fake-peers/ok.args");
}

TEST_CASE("pppd backend: entries, unknown entries, probe and option errors", "[pppd][session]") {
  Fixture f;
  auto entries = f.dialer().entries();
  REQUIRE(entries);
  std::vector<std::string> names;
  for (const auto& e : *entries) names.push_back(e.name);
  CHECK(names == std::vector<std::string>{"badtail", "garbage", "ipcprefused", "noanswer", "nokernel", "ok",
                                          "stubborn", "suicide", "wrongpid"});
  CHECK((*entries)[5].description == "Fake: PAP success with the password \"right\", then wait to be hung up.");

  auto bad = f.dialer().dial("nope");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == Errc::unknown_entry);
  auto traversal = f.dialer().dial("../fake-pppd.sh");
  REQUIRE_FALSE(traversal);
  CHECK(traversal.error().code == Errc::unknown_entry);

  auto missing = pppd::make_factory("/nonexistent/pppd")->probe();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == Errc::backend_unavailable);
  CHECK_THAT(missing.error().detail, Catch::Contains("install the ppp package"));
  CHECK(pppd::make_factory(source_dir / "fake-pppd.sh")->probe());

  CHECK_FALSE(pppd::settings_from_options({{"kill_timeout_ms", "soon"}}));
  CHECK_FALSE(pppd::settings_from_options({{"colour", "blue"}}));
}

TEST_CASE("pppd backend: the command line never carries the password", "[pppd][session]") {
  pppd::Settings s;
  s.peers_dir = "/srv/peers";
  const auto cmd = pppd::build_command(s, "/x/dialkit-pppd.so", "isp", creds("canary-5e1f"));
  for (const auto& a : cmd.argv) CHECK(a.find("canary") == std::string::npos);
  for (const auto& e : cmd.env) CHECK(e.find("canary") == std::string::npos);
  CHECK(cmd.argv == std::vector<std::string>{"/usr/sbin/pppd", "file", "/srv/peers/isp", "nodetach", "nopersist",
                                             "plugin", "/x/dialkit-pppd.so", "user", "client"});
  CHECK(std::find(cmd.env.begin(), cmd.env.end(), "DIALKIT_PPPD_SECRETS=1") != cmd.env.end());
  const auto none = pppd::build_command(pppd::Settings{}, "/x/p.so", "isp", std::nullopt);
  CHECK(none.argv[1] == "call");
  CHECK(std::find(none.env.begin(), none.env.end(), "DIALKIT_PPPD_SECRETS=0") != none.env.end());
}

TEST_CASE("pppd backend: the pppd-side plugin must not be writable by others", "[pppd][session]") {
  CHECK(pppd::check_helper_plugin(DIALKIT_PPPD_HELPER));
  const auto dir = fs::temp_directory_path() / ("dialkit-pppd-perm-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const auto file = dir / "dialkit-pppd.so";
  std::ofstream(file) << "x";
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_write);
  auto refused = pppd::check_helper_plugin(file);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == Errc::plugin_rejected);
  CHECK_THAT(refused.error().detail, Catch::Contains("writable by group or others"));
  fs::remove_all(dir);
}

TEST_CASE("pppd backend: linked statically, it finds the pppd-side plugin in core's plugin directory",
          "[pppd][session]") {
  // This test program links the backend's static twin: nothing is beside it, so the helper
  // must come from the plugin directory of the libdialkit-core in use (here the build tree's),
  // not from a path compiled in.
  const auto found = pppd::default_helper_plugin();
  REQUIRE_FALSE(found.empty());
  std::error_code ec;
  CHECK(fs::equivalent(found, DIALKIT_PPPD_HELPER, ec));
  CHECK(fs::equivalent(found.parent_path().parent_path(), dialkit::dialkit_dirs().plugin_dir, ec));
}

TEST_CASE("pppd backend: a dial's native_id is the id live_connections() lists for its pppd",
          "[pppd][session]") {
  // A pppd as the live listing sees it: a process named "pppd" (the fake, through a link of
  // that name) that wrote run/ppp0.pid, with net/ppp0 present.
  const auto root = fs::temp_directory_path() / ("dialkit-pppd-ids-" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* d : {"run", "net/ppp0", "bin", "peers"}) fs::create_directories(root / d);
  fs::create_symlink(source_dir / "fake-pppd.sh", root / "bin/pppd");
  {
    std::ofstream peer(root / "peers/live");
    peer << "printf '%s\\nppp0\\n' $$ > '" << (root / "run/ppp0.pid").string() << "'\n"
         << std::ifstream(source_dir / "fake-peers/ok").rdbuf();
  }
  RuntimeOptions o;
  o.load_plugins = false;
  o.backend_options["pppd"] = {{"peers_dir", (root / "peers").string()},
                               {"pppd", (root / "bin/pppd").string()},
                               {"pppd_plugin", DIALKIT_PPPD_HELPER},
                               {"run_dir", (root / "run").string()},
                               {"sys_class_net", (root / "net").string()}};
  Fixture f(std::move(o));
  auto collector = std::make_shared<Collector>();
  DialOptions dial_options;
  dial_options.credentials = creds("right");
  auto c = f.dialer().dial("live", dial_options, [collector](const Event& e) { (*collector)(e); });
  REQUIRE(c);
  REQUIRE(collector->wait_for(State::connected));
  auto live = f.dialer().connections();
  REQUIRE(live);
  REQUIRE(live->size() == 1);
  CHECK((*live)[0].started_here);
  CHECK(c->status().device.native_id == (*live)[0].id);
  REQUIRE(c->hangup());
  REQUIRE(c->wait_until_ended(5s));
  fs::remove_all(root);
}
