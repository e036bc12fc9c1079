// See watch.hpp.
#include "watch.hpp"

#include <set>
#include <utility>
#include <vector>

#include <dialkit/polling_watch.hpp>

#include "mapping.hpp"
#include "text.hpp"

namespace dialkit::ras {
namespace {

NativeReport vanished(const plugin::ObservedConnection& /*last*/) { return disconnected_report("the connection ended"); }

}  // namespace

std::unique_ptr<WatchHandle> make_watch(const RasApi& api, const Settings& settings,
                                        std::shared_ptr<const HandleBook> book, std::shared_ptr<WatchSink> sink,
                                        BackendFailure failed) {
  // The watch's auto-reset event: RasConnectionNotification sets it, and so does the watch to
  // stop or wake its thread. Closed when the last of the watch's wait and interrupt goes.
  const std::shared_ptr<void> wake(api.create_event(), [api](HANDLE event) {
    if (event) api.close_event(event);
  });
  if (api.connection_notification)
    (void)api.connection_notification(static_cast<HRASCONN>(INVALID_HANDLE_VALUE), wake.get(),
                                      RASCN_Connection | RASCN_Disconnection);
  // One scan: every live connection this backend did not dial, with its state now. The first
  // report of a connection says that it is someone else's. `seen` holds the last scan's; only
  // the watch thread touches it.
  auto scan = [api, book = std::move(book),
               seen = std::set<HRASCONN>()]() mutable -> Result<std::vector<plugin::ObservedConnection>> {
    auto rows = enumerate_connections(api);
    if (!rows) return fail(rows.error());  // tried again at the next wake
    std::vector<plugin::ObservedConnection> out;
    std::set<HRASCONN> present;
    for (const auto& row : *rows) {
      if (book->contains(row.handle)) continue;  // our own dials report themselves
      present.insert(row.handle);
      std::optional<Error> error;
      const State state = live_state(api, row.handle, &error);
      const auto code = state == State::disconnected ? native_disconnected : ras_value(state).value_or(0);
      NativeReport r = plugin::native_report(state_rows, static_cast<std::uint32_t>(code), state);
      r.state = state;
      r.error = std::move(error);
      r.reason = seen.contains(row.handle) ? "" : "a connection this process did not start";
      out.push_back(plugin::ObservedConnection{handle_id(row.handle), row.entry, std::move(r)});
    }
    seen = std::move(present);
    return out;
  };
  return std::make_unique<plugin::PollingWatch>(
      std::move(sink), std::move(scan),
      plugin::PollingWatch::Options{
          .interval = settings.watch_interval,
          .thread_name = "the RAS backend's watch thread",
          .failed = std::move(failed),
          .vanished = vanished,
          .wait = [api, wake](std::chrono::milliseconds interval) {
            (void)api.wait_event(wake.get(), static_cast<DWORD>(interval.count()));
          },
          .interrupt = [api, wake] { api.set_event(wake.get()); },
      });
}

}  // namespace dialkit::ras
