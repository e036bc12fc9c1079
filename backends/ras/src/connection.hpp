// What the dial, the watch and the backend ask RAS about connections: error texts, a
// connection's status and state, the list of live connections, hang-up and wait, and the book of
// handles this backend dialled.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <dialkit/backend.hpp>

#include "api.hpp"
#include "backend.hpp"

namespace dialkit::ras {

inline constexpr std::int64_t native_disconnected = 0x2001;  // RASCS_Disconnected
inline constexpr std::int64_t native_none = -1;              // `disconnecting` has no RAS value

// make_ras_error with RasGetErrorString's text.
[[nodiscard]] Error ras_error(const RasApi& api, DWORD code, std::string_view context);

// The `disconnected` report (RASCS_Disconnected) a connection ends with.
[[nodiscard]] NativeReport disconnected_report(std::string reason, std::optional<Error> error = {});

// A RASCONNSTATUSW with its dwSize set.
[[nodiscard]] RASCONNSTATUSW empty_status();
void fill_status(SessionStatus& out, const RASCONNSTATUSW& s);

// RasHangUp, then RasGetConnectStatus until the connection object is gone. True if it went
// within the limit; false if it did not (wine's stub, a stuck port): the handle is given up
// either way, since RAS offers nothing else to do with it.
bool hang_up_and_wait(const RasApi& api, HRASCONN handle, const Settings& settings);

// RAS reference-counts connections: dialling an entry that is up returns the same handle.
// The book counts this backend's references, so that only the last hang-up waits for the
// handle to die (the earlier ones only drop their reference, as RAS does).
class HandleBook {
 public:
  void add(HRASCONN h);
  // The references left after dropping one.
  int release(HRASCONN h);
  [[nodiscard]] bool contains(HRASCONN h) const;

 private:
  mutable std::mutex mutex_;
  std::map<HRASCONN, int> refs_;
};

struct LiveRow {
  HRASCONN handle;
  std::string entry;
  std::string device;
};
// RasEnumConnections, asking again with the size RAS gives while connections come up.
[[nodiscard]] Result<std::vector<LiveRow>> enumerate_connections(const RasApi& api);

// A RasEnum* call into rows of `Row` (dwSize set), asking again with the size RAS gives when a
// row came up meanwhile; `call(rows, bytes, count)` returns RAS's code.
template <class Row, class Call>
[[nodiscard]] Result<std::vector<Row>> enumerate(const RasApi& api, std::size_t first_size, const char* what, Call call) {
  std::vector<Row> rows(first_size);
  for (int round = 0; round < 4; ++round) {
    for (auto& row : rows) row.dwSize = sizeof(Row);
    DWORD bytes = static_cast<DWORD>(rows.size() * sizeof(Row));
    DWORD count = 0;
    const DWORD rc = call(rows.data(), &bytes, &count);
    if (rc == ERROR_BUFFER_TOO_SMALL) {
      rows.resize(bytes / sizeof(Row) + 1);
      continue;
    }
    if (rc != ERROR_SUCCESS) return fail(ras_error(api, rc, what));
    rows.resize(std::min<std::size_t>(count, rows.size()));
    return rows;
  }
  return fail(make_error(Errc::system_error, std::string(what) + " kept asking for a larger buffer"));
}

// The state of a live connection (disconnected when RAS no longer knows it or it failed);
// `error`, when given, receives the error a failed connection reports.
[[nodiscard]] State live_state(const RasApi& api, HRASCONN handle, std::optional<Error>* error = nullptr);

}  // namespace dialkit::ras
