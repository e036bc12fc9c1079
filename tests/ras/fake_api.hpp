// The fake RasApi table of the Linux tests: the emulator behind plain function pointers (as
// rasapi32's would be), and events made of a mutex and a condition variable.
#pragma once

#include "api.hpp"

#include "emulator.hpp"

namespace dialkit::ras::test {

// One at a time: the table's functions reach the emulator through a global.
class FakeRas {
 public:
  FakeRas();
  ~FakeRas();
  FakeRas(const FakeRas&) = delete;
  FakeRas& operator=(const FakeRas&) = delete;

  rasemu::Emulator& emulator() { return *emulator_; }
  [[nodiscard]] RasApi api() const;

 private:
  std::unique_ptr<rasemu::Emulator> emulator_;
};

}  // namespace dialkit::ras::test
