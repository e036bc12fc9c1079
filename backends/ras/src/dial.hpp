// A dial of a phone-book entry: RasDial with a RasDialFunc2 notifier, its worker thread, resume
// of every paused state, hang-up per the RasHangUp rules (see dial.cpp).
#pragma once

#include <memory>

#include <dialkit/backend.hpp>

#include "api.hpp"
#include "backend.hpp"
#include "connection.hpp"

namespace dialkit::ras {

// Starts the dial (its worker, then RasDial). On failure no event was reported and no thread
// is left.
[[nodiscard]] Result<std::unique_ptr<Session>> start_dial(const RasApi& api, const Settings& settings,
                                                          std::shared_ptr<HandleBook> book,
                                                          const DialRequest& request,
                                                          std::shared_ptr<Reporter> reporter, BackendFailure failed);

}  // namespace dialkit::ras
