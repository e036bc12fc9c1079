// The RAS watch: connections this backend did not dial, seen by RasConnectionNotification on
// all connections where it works, and by a poll of RasEnumConnections in any case (the kit's
// PollingWatch, waiting on the notification event).
#pragma once

#include <memory>

#include <dialkit/backend.hpp>

#include "api.hpp"
#include "backend.hpp"
#include "connection.hpp"

namespace dialkit::ras {

[[nodiscard]] std::unique_ptr<WatchHandle> make_watch(const RasApi& api, const Settings& settings,
                                                      std::shared_ptr<const HandleBook> book,
                                                      std::shared_ptr<WatchSink> sink, BackendFailure failed);

}  // namespace dialkit::ras
