// What the mock's factory (include/dialkit/mock.hpp) shares with every backend it made; both
// are in backend.cpp.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <dialkit/mock.hpp>

namespace dialkit::mock {

// In-memory scenarios shared by a factory and every backend it made.
class ScenarioStore {
 public:
  void put(Scenario s) {
    std::lock_guard lock(mutex_);
    auto name = s.name;
    scenarios_.insert_or_assign(std::move(name), std::move(s));
  }
  std::optional<Scenario> get(const std::string& name) const {
    std::lock_guard lock(mutex_);
    const auto it = scenarios_.find(name);
    if (it == scenarios_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<Scenario> all() const {
    std::lock_guard lock(mutex_);
    std::vector<Scenario> out;
    for (const auto& [name, s] : scenarios_) out.push_back(s);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Scenario> scenarios_;
};

}  // namespace dialkit::mock
