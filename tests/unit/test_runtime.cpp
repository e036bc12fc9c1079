// The runtime facade: which backend work happens under the runtime's lock. Probing and
// creating a backend may take a D-Bus round trip (NetworkManager); a dial of another backend,
// or the list of backends, must not wait behind it.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "script_backend.hpp"

using namespace dialkit;
using namespace dialkit::test;
using namespace std::chrono_literals;

namespace {

// How long a step that should be prompt may take before the test calls it stuck (a bound on
// a wait, never a sleep: a passing run does not wait for it).
constexpr auto stuck_after = 20s;

// A latch the test opens: the backend's probe (or create) waits on it.
struct Gate {
  std::mutex mutex;
  std::condition_variable changed;
  int entered = 0;
  bool open = false;

  void pass() {
    std::unique_lock lock(mutex);
    ++entered;
    changed.notify_all();
    changed.wait(lock, [this] { return open; });
  }
  bool wait_entered(int n) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, stuck_after, [&] { return entered >= n; });
  }
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    changed.notify_all();
  }
};

// A backend whose probe or create blocks on the test's gate, as a slow platform would.
class BlockingFactory final : public BackendFactory {
 public:
  enum class Blocks : std::uint8_t { probe, create };
  BlockingFactory(std::shared_ptr<BackendLog> log, std::shared_ptr<Gate> gate, Blocks where)
      : log_(std::move(log)), gate_(std::move(gate)), where_(where) {}
  std::string name() const override { return "slow"; }
  std::string description() const override { return "a backend whose probe or create waits"; }
  Capabilities capabilities() const override { return script_capabilities(); }
  Result<void> probe() const override {
    if (where_ == Blocks::probe) gate_->pass();
    return {};
  }
  Result<std::unique_ptr<Backend>> create(const BackendContext&) override {
    if (where_ == Blocks::create) gate_->pass();
    return std::unique_ptr<Backend>(new ScriptBackend(log_));
  }

 private:
  std::shared_ptr<BackendLog> log_;
  std::shared_ptr<Gate> gate_;
  Blocks where_;
};

// Opens the gate however the test leaves (a failed check must not leave a thread waiting).
struct Opener {
  std::shared_ptr<Gate> gate;
  ~Opener() { gate->release(); }
};

}  // namespace

TEST_CASE("a dial of one backend never waits for another backend's probe or create", "[runtime][lock]") {
  const auto where = GENERATE(BlockingFactory::Blocks::probe, BlockingFactory::Blocks::create);
  INFO((where == BlockingFactory::Blocks::probe ? "the probe blocks" : "create blocks"));
  InlineFixture f;
  auto gate = std::make_shared<Gate>();
  f.runtime.add_backend(std::make_shared<BlockingFactory>(f.log, gate, where));
  Opener opener{gate};

  auto slow = std::async(std::launch::async, [&] { return f.runtime.dialer("slow"); });
  REQUIRE(gate->wait_entered(1));

  // The other backend dials while "slow" is still being made.
  auto other = std::async(std::launch::async, [&] {
    auto d = f.runtime.dialer("script");
    return d && d->dial("line").has_value();
  });
  const bool prompt = other.wait_for(stuck_after) == std::future_status::ready;
  CHECK(prompt);
  gate->release();
  CHECK(other.get());
  CHECK(slow.get().has_value());
}

TEST_CASE("listing backends probes outside the runtime's lock", "[runtime][lock]") {
  InlineFixture f;
  auto gate = std::make_shared<Gate>();
  f.runtime.add_backend(std::make_shared<BlockingFactory>(f.log, gate, BlockingFactory::Blocks::probe));
  Opener opener{gate};

  auto listing = std::async(std::launch::async, [&] { return f.runtime.backends(); });
  REQUIRE(gate->wait_entered(1));

  auto other = std::async(std::launch::async, [&] {
    auto d = f.runtime.dialer("script");
    return d && d->dial("line").has_value();
  });
  const bool prompt = other.wait_for(stuck_after) == std::future_status::ready;
  CHECK(prompt);
  gate->release();
  CHECK(other.get());
  CHECK(listing.get().size() == 2);
}

TEST_CASE("two dials of a backend being made wait for one probe and one create", "[runtime][lock]") {
  InlineFixture f;
  auto gate = std::make_shared<Gate>();
  f.runtime.add_backend(std::make_shared<BlockingFactory>(f.log, gate, BlockingFactory::Blocks::create));
  Opener opener{gate};

  auto first = std::async(std::launch::async, [&] { return f.runtime.dialer("slow").has_value(); });
  REQUIRE(gate->wait_entered(1));
  auto second = std::async(std::launch::async, [&] { return f.runtime.dialer("slow").has_value(); });
  gate->release();
  CHECK(first.get());
  CHECK(second.get());
  // The second waited for the first's backend rather than making one of its own.
  std::lock_guard lock(gate->mutex);
  CHECK(gate->entered == 1);
}
