/// @file
/// The factory base of the plugin kit: what a backend's factory says about itself without
/// making the backend (name, a line for people, capabilities, fake or not) given once, as data.
/// The backend's factory derives from it and writes only what is its own, create() and, for a
/// real platform, probe():
///
///     class MyFactory final : public dialkit::plugin::Factory {
///      public:
///       MyFactory() : Factory({"mybackend", "what it dials, in one line",
///                              dialkit::Capabilities{}.with(dialkit::DialOption::credentials)}) {}
///       [[nodiscard]] dialkit::Result<void> probe() const override;  // is the platform there?
///       dialkit::Result<std::unique_ptr<dialkit::Backend>> create(
///           const dialkit::BackendContext& context) override;
///     };
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <dialkit/backend.hpp>
#include <dialkit/capabilities.hpp>

namespace dialkit::plugin {

/// What a factory says about its backend (BackendFactory's name(), description(),
/// capabilities() and is_fake()).
struct FactoryInfo {
  std::string_view name;  ///<what users pass to `dialkit --backend`; DIALKIT_PLUGIN's name
  std::string_view description;  ///<a line for people
  Capabilities capabilities;  ///<what it can do (DESIGN.md section 7): declare only what it does
  bool fake = false;  ///<a simulated platform (mock, template): used only when asked for by name
};

/// A BackendFactory whose description is FactoryInfo. probe() finds nothing missing unless
/// overridden: a backend for a real platform overrides it.
class DIALKIT_SYMBOL_VISIBLE Factory : public BackendFactory {
 public:
  /// A factory that says `info` (its texts must outlive it: string literals or constants).
  explicit Factory(FactoryInfo info) : info_(std::move(info)) {}

  /// FactoryInfo::name.
  [[nodiscard]] std::string name() const final { return std::string(info_.name); }
  /// FactoryInfo::description.
  [[nodiscard]] std::string description() const final { return std::string(info_.description); }
  /// FactoryInfo::fake.
  [[nodiscard]] bool is_fake() const final { return info_.fake; }
  /// FactoryInfo::capabilities.
  [[nodiscard]] Capabilities capabilities() const final { return info_.capabilities; }
  /// Nothing missing: a backend for a real platform overrides it.
  [[nodiscard]] Result<void> probe() const override { return {}; }

 private:
  FactoryInfo info_;
};

}  // namespace dialkit::plugin
