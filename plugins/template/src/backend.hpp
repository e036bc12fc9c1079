// The template backend's factory: what the plugin entry point (plugin.cpp) exports, and what
// a test adds in-process with runtime.add_backend(). The backend and its sessions stay in
// backend.cpp: nothing else needs to see them.
#pragma once

#include <memory>
#include <string>

#include <dialkit/backend.hpp>

namespace dialkit_template {

// The backend's name: what users pass to `dialkit --backend` and Runtime::dialer().
inline constexpr const char* backend_name = "template";

// Cheap to make: name, description and probe() touch nothing; create() makes the backend.
class TemplateFactory final : public dialkit::BackendFactory {
 public:
  [[nodiscard]] std::string name() const override;
  [[nodiscard]] std::string description() const override;
  // The template only simulates its platform, so like the mock it must never be picked
  // as a machine's default backend. A backend for a real platform returns false here.
  [[nodiscard]] bool is_fake() const override { return true; }
  // What the backend can do (DESIGN.md section 7), declared without dialling. Core refuses
  // every dial option not declared here before the backend sees it, so declare only what
  // dial() really uses: the template takes credentials and can pause in retry_authentication;
  // it has no phone number to override, no callback, no watch and no hang-up by id.
  [[nodiscard]] dialkit::Capabilities capabilities() const override;
  // A real backend checks here, cheaply and without side effects, whether its platform is
  // present (the daemon answers, the binary is installed) and says what is missing if not.
  [[nodiscard]] dialkit::Result<void> probe() const override;
  dialkit::Result<std::unique_ptr<dialkit::Backend>> create(
      const dialkit::BackendContext& context) override;
};

}  // namespace dialkit_template
