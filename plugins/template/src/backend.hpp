// The template backend's factory: what the plugin entry point (plugin.cpp) exports, and what
// a test adds in-process with runtime.add_backend(). The backend and its sessions stay in
// backend.cpp: nothing else needs to see them.
#pragma once

#include <memory>

#include <dialkit/factory.hpp>

namespace dialkit_template {

// The backend's name: what users pass to `dialkit --backend` and Runtime::dialer().
inline constexpr const char* backend_name = "template";
// A line for people: `dialkit backends` and the plugin's record show it.
inline constexpr const char* backend_description =
    "template backend: a simulated example link (start a new platform from it)";

// Cheap to make: what it says about the backend is data (dialkit/factory.hpp), and probe()
// touches nothing; create() makes the backend.
class TemplateFactory final : public dialkit::plugin::Factory {
 public:
  TemplateFactory();
  // A real backend checks here, cheaply and without side effects, whether its platform is
  // present (the daemon answers, the binary is installed) and says what is missing if not.
  // The simulated platform is always there: the kit's probe() says so.
  dialkit::Result<std::unique_ptr<dialkit::Backend>> create(
      const dialkit::BackendContext& context) override;
};

}  // namespace dialkit_template
