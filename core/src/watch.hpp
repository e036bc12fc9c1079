// A watch: the connections a backend reports that this runtime did not start, each adopted as
// a connection of its own (DESIGN.md section 3: watching never changes what it watches).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <dialkit/backend.hpp>
#include <dialkit/runtime.hpp>

#include "connection.hpp"

namespace dialkit::detail {

class WatchCore : public std::enable_shared_from_this<WatchCore> {
 public:
  WatchCore(std::shared_ptr<ConnectionHost> host, std::string backend_name, std::shared_ptr<Backend> backend,
            EventSlot slot);
  // Starts the backend's watch; the watch reports to this core until stop().
  Result<void> start();
  // Stops the backend's watch and releases the adopted connections, never hanging them up.
  void stop();

 private:
  class Sink;
  void report(const std::string& id, const std::string& entry, NativeReport r);

  const std::shared_ptr<ConnectionHost> host_;
  const std::string backend_name_;
  const std::shared_ptr<Backend> backend_;
  const EventSlot slot_;
  std::mutex mutex_;
  bool stopped_ = false;
  std::unique_ptr<WatchHandle> handle_;
  std::unordered_map<std::string, std::shared_ptr<ConnectionCore>> adopted_;
};

}  // namespace dialkit::detail
