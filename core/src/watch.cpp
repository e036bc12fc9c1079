// A watch's adopted connections (watch.hpp).
#include "watch.hpp"

namespace dialkit::detail {

class WatchCore::Sink final : public WatchSink {
 public:
  explicit Sink(std::weak_ptr<WatchCore> w) : watch_(std::move(w)) {}
  void report(const std::string& id, const std::string& entry, NativeReport r) override {
    if (auto w = watch_.lock()) w->report(id, entry, std::move(r));
  }

 private:
  std::weak_ptr<WatchCore> watch_;
};

WatchCore::WatchCore(std::shared_ptr<ConnectionHost> host, std::string backend_name,
                     std::shared_ptr<Backend> backend, EventSlot slot)
    : host_(std::move(host)),
      backend_name_(std::move(backend_name)),
      backend_(std::move(backend)),
      slot_(std::move(slot)) {}

Result<void> WatchCore::start() {
  auto handle = backend_->watch(std::make_shared<Sink>(weak_from_this()));
  if (!handle) return fail(handle.error());
  std::lock_guard lock(mutex_);
  handle_ = std::move(*handle);
  return {};
}

void WatchCore::stop() {
  std::unique_ptr<WatchHandle> handle;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    handle = std::move(handle_);
  }
  handle.reset();  // joins the backend's watch thread, if any
  std::unordered_map<std::string, std::shared_ptr<ConnectionCore>> adopted;
  {
    std::lock_guard lock(mutex_);
    adopted.swap(adopted_);
  }
  // Released, not hung up: watching never changes what it watches (DESIGN.md section 3).
  for (auto& [id, c] : adopted) {
    c->drop_subscriptions();
    host_->forget(c->id());
  }
}

void WatchCore::report(const std::string& id, const std::string& entry, NativeReport r) {
  std::shared_ptr<ConnectionCore> c;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    auto it = adopted_.find(id);
    if (it != adopted_.end() && it->second->accepted_end()) {
      adopted_.erase(it);  // the native connection came back: a new connection for it
      it = adopted_.end();
    }
    if (it == adopted_.end()) {
      c = host_->make_connection(backend_name_, entry, backend_, DialOptions{}, id);
      c->connect_initial(slot_);
      adopted_.emplace(id, c);
    } else {
      c = it->second;
    }
  }
  c->on_report(1, std::move(r));
}

}  // namespace dialkit::detail
