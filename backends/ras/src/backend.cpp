// The RAS backend and its factory (see backend.hpp): entries, live connections and hang-up by
// id here; the dial in dial.cpp, the watch in watch.cpp, the shared RAS calls in connection.cpp.
#include "backend.hpp"

#include <utility>
#include <vector>

#include <dialkit/options.hpp>

#include "connection.hpp"
#include "dial.hpp"
#include "text.hpp"
#include "watch.hpp"

namespace dialkit::ras {
namespace {

class RasBackend final : public Backend {
 public:
  RasBackend(RasApi api, Settings settings, BackendFailure failed)
      : api_(std::move(api)),
        settings_(std::move(settings)),
        failed_(std::move(failed)),
        book_(std::make_shared<HandleBook>()) {}

  Result<std::vector<Entry>> entries() override {
    const Wide phonebook = to_wide(settings_.phonebook);
    auto rows = enumerate<RASENTRYNAMEW>(api_, 8, "RasEnumEntries", [&](RASENTRYNAMEW* r, DWORD* bytes, DWORD* count) {
      return api_.enum_entries(nullptr, phonebook.empty() ? nullptr : phonebook.c_str(), r, bytes, count);
    });
    if (!rows) return fail(rows.error());
    std::vector<Entry> out;
    for (const auto& row : *rows) {
      const std::string book = text_of(row.szPhonebookPath);
      out.push_back(Entry{text_of(row.szEntryName), "ras", book.empty() ? std::string("default phone-book") : "phone-book " + book});
    }
    return out;
  }

  Result<std::unique_ptr<Session>> dial(const DialRequest& request, std::shared_ptr<Reporter> reporter) override {
    return start_dial(api_, settings_, book_, request, std::move(reporter), failed_);
  }

  Result<std::vector<LiveConnection>> live_connections() override {
    auto rows = enumerate_connections(api_);
    if (!rows) return fail(rows.error());
    std::vector<LiveConnection> out;
    for (const auto& row : *rows) {
      out.push_back(LiveConnection{.id = handle_id(row.handle),
                                   .entry = row.entry,
                                   .state = live_state(api_, row.handle),
                                   .started_here = book_->contains(row.handle),
                                   .device = row.device});
    }
    return out;
  }

  Result<void> hangup_live(std::string_view id) override {
    const auto handle = handle_from_id(id);
    if (!handle) return fail(make_error(Errc::invalid_argument, "not a RAS connection id: " + std::string(id)));
    RASCONNSTATUSW s = empty_status();
    if (const DWORD rc = api_.get_connect_status(*handle, &s); rc != ERROR_SUCCESS)
      return fail(ras_error(api_, rc, "no such connection: " + std::string(id)));
    if (!hang_up_and_wait(api_, *handle, settings_))
      return fail(make_error(Errc::timeout, "the handle was still valid " +
                                                std::to_string(settings_.hangup_limit.count()) +
                                                " ms after RasHangUp"));
    return {};
  }

  Result<std::unique_ptr<WatchHandle>> watch(std::shared_ptr<WatchSink> sink) override {
    return make_watch(api_, settings_, book_, std::move(sink), failed_);
  }

 private:
  const RasApi api_;
  const Settings settings_;
  const BackendFailure failed_;
  const std::shared_ptr<HandleBook> book_;
};

// The table from `loader`, refused when a required function is missing.
Result<RasApi> load_complete(const ApiLoader& loader) {
  auto api = loader();
  if (api && !is_complete(*api)) return fail(make_error(Errc::backend_unavailable, api->origin + " lacks a RAS function"));
  return api;
}

}  // namespace

Result<Settings> settings_from_options(const std::map<std::string, std::string>& options) {
  Settings s;
  if (const auto it = options.find("phonebook"); it != options.end()) s.phonebook = it->second;
  for (auto [key, setting] : {std::pair{"poll_ms", &s.poll_interval}, std::pair{"hangup_limit_ms", &s.hangup_limit},
                               std::pair{"watch_poll_ms", &s.watch_interval}}) {
    auto ms = plugin::milliseconds_option(options, backend_name, key, *setting);
    if (!ms) return fail(ms.error());
    *setting = *ms;
  }
  if (s.watch_interval.count() == 0) s.watch_interval = std::chrono::milliseconds(1);
  return s;
}

bool is_complete(const RasApi& api) noexcept {
  return api.dial && api.hang_up && api.get_connect_status && api.get_error_string && api.enum_entries &&
         api.enum_connections && api.create_event && api.wait_event && api.set_event && api.close_event;
}

RasFactory::RasFactory(ApiLoader loader)
    : Factory({.name = backend_name,
               .description = backend_description,
               .capabilities = ras_capabilities(WatchKind::events)}),
      loader_(loader ? std::move(loader) : ApiLoader(&load_system_api)) {}

Result<void> RasFactory::probe() const {
  if (auto api = load_complete(loader_); !api) return fail(api.error());
  return {};
}

Result<std::unique_ptr<Backend>> RasFactory::create(const BackendContext& context) {
  auto settings = settings_from_options(context.options);
  if (!settings) return fail(settings.error());
  auto api = load_complete(loader_);
  if (!api) return fail(api.error());
  return std::unique_ptr<Backend>(new RasBackend(std::move(*api), std::move(*settings), context.failed));
}

std::shared_ptr<BackendFactory> make_factory(ApiLoader loader) {
  return std::make_shared<RasFactory>(std::move(loader));
}

}  // namespace dialkit::ras
