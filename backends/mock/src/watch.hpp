// The mock's watch of other processes' dials (watch.cpp).
#pragma once

#include <memory>

#include <dialkit/backend.hpp>

#include "registry.hpp"

namespace dialkit::mock::detail {

// Follows the event logs in `registry`'s directory and reports each event of another
// process's dial to `sink`, on `scheduler`'s tasks, until the handle is destroyed.
Result<std::unique_ptr<WatchHandle>> watch_registry(std::shared_ptr<Scheduler> scheduler,
                                                    std::shared_ptr<Registry> registry,
                                                    std::shared_ptr<WatchSink> sink);

}  // namespace dialkit::mock::detail
