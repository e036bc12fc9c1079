// The simulated platform the template dials (the "example link"): each entry of its phone book
// plays a fixed script of native phases. A real backend has no such file: it reads the platform.
#pragma once

#include <string>
#include <vector>

#include "mapping.hpp"

namespace dialkit_template {

// Each entry of the phone book plays a fixed script of phases, a
// number of step delays apart. A real backend has no scripts: it reads the platform.
struct Step {
  LinkPhase phase = LinkPhase::idle;
  LinkError error = LinkError::none;  // with `down`: why the link failed
};

struct Script {
  std::string entry;
  std::string description;
  std::vector<Step> steps;
};

inline std::vector<Script> phone_book() {
  using P = LinkPhase;
  return {
      {"demo", "connects",
       {{P::idle}, {P::dialing}, {P::carrier}, {P::authenticating}, {P::authorized},
        {P::network}, {P::up}}},
      {"demo-busy", "the far end is busy",
       {{P::idle}, {P::dialing}, {P::down, LinkError::busy}}},
      {"demo-login", "asks for credentials, then connects",
       {{P::idle}, {P::dialing}, {P::carrier}, {P::authenticating}, {P::need_secret},
        {P::authorized}, {P::network}, {P::up}}},
  };
}

}  // namespace dialkit_template
