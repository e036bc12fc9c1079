// One dial through pppd: see session.hpp.
#include "session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>

#include <dialkit/report_gate.hpp>
#include <dialkit/shared_session.hpp>

#include "protocol.hpp"

namespace dialkit::pppd {

namespace {
// pppd's output is kept only for error details: the last few KiB are plenty.
constexpr std::size_t output_tail_limit = 4096;

Error errno_error(const char* what) {
  return make_error(Errc::system_error, std::string(what) + ": " + std::strerror(errno));
}
}  // namespace

class SessionCore : public std::enable_shared_from_this<SessionCore> {
 public:
  SessionCore(Settings s, std::filesystem::path helper, const DialRequest& r,
              std::shared_ptr<Reporter> reporter, std::shared_ptr<Registry> registry)
      : settings_(std::move(s)),
        helper_(std::move(helper)),
        entry_(r.entry),
        reporter_(std::move(reporter)),
        registry_(std::move(registry)),
        credentials_(r.credentials),
        mapper_(r.handle_paused_states) {}

  ~SessionCore() { unregister(); }

  Result<void> spawn();
  void start_thread() {
    // An exception that escapes the session's loop must not end the user's process: pppd is
    // stopped first (abandon()), then core is told (BackendContext::failed).
    thread_ = plugin::start_dial_thread(shared_from_this(), registry_ ? registry_->failed : BackendFailure{},
                                        "the pppd session thread of \"" + entry_ + "\"");
  }
  void request_stop();
  void request_stop_and_join();
  void hangup();
  Result<void> resume(const ResumeInput& input);
  SessionStatus status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  // Core dropped the session (plugin::SharedSession): stop pppd and join the thread, or, dropped
  // from a slot on that thread, let it end by itself.
  void drop();
  // The session's thread (plugin::start_dial_thread): the loop, and what it does when it threw.
  void run();
  void abandon();  // the loop threw: stop pppd and forget it, reporting nothing

 private:
  void run_pppd();
  bool emit(std::vector<NativeReport> reports);
  void answer_secret(const SecretRequestMsg& req);
  void unregister() {
    if (registered_pid_ <= 0 || !registry_) return;
    std::lock_guard lock(registry_->mutex);
    registry_->pids.erase(registered_pid_);
    registered_pid_ = -1;
  }
  void read_output(bool drain);
  bool read_channel(bool drain);  // false once the channel failed or closed
  void start_termination();
  void update_status();

  const Settings settings_;
  const std::filesystem::path helper_;
  const std::string entry_;
  std::shared_ptr<Reporter> reporter_;
  std::shared_ptr<Registry> registry_;

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<Credentials> credentials_;  // guarded by mutex_
  bool hangup_requested_ = false;           // guarded by mutex_
  bool resume_pending_ = false;             // guarded by mutex_
  SessionStatus status_;                    // guarded by mutex_
  // Closed when an inline hang-up finished everything (or the loop threw): nothing reports
  // after that. Only the session's thread reports, so closing never waits.
  plugin::ReportGate gate_;

  // Touched by the session's thread only (an inline hang-up runs on that thread too).
  BackendThread thread_;
  Mapper mapper_;
  Child child_;
  Fd channel_, output_, wake_read_, wake_write_;
  Parser parser_;
  std::string output_tail_;
  bool channel_open_ = false, output_open_ = false;
  std::optional<std::chrono::steady_clock::time_point> kill_at_;
  pid_t registered_pid_ = -1;
};

Result<void> SessionCore::spawn() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return fail(errno_error("socketpair"));
  Fd ours(sv[0]), theirs(sv[1]);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail(errno_error("pipe"));
  Fd out_read(pipefd[0]), out_write(pipefd[1]);
  if (!wake_read_) {
    if (::pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) != 0) return fail(errno_error("pipe"));
    wake_read_ = Fd(pipefd[0]);
    wake_write_ = Fd(pipefd[1]);
  }
  std::optional<Credentials> creds;
  {
    std::lock_guard lock(mutex_);
    creds = credentials_;
  }
  auto cmd = build_command(settings_, helper_, entry_, creds);
  auto child = Child::spawn(settings_.pppd.string(), cmd.argv, cmd.env, theirs.get(), out_write.get());
  if (!child) return fail(child.error());
  ::fcntl(ours.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  unregister();
  child_ = std::move(*child);
  channel_ = std::move(ours);
  output_ = std::move(out_read);
  channel_open_ = output_open_ = true;
  parser_ = Parser{};
  output_tail_.clear();
  kill_at_.reset();
  registered_pid_ = child_.pid();
  {
    std::lock_guard lock(registry_->mutex);
    registry_->pids.insert(registered_pid_);
  }
  {
    std::lock_guard lock(mutex_);
    status_ = SessionStatus{};
    status_.native_id = live_id(registered_pid_);  // what live_connections() lists for it
    status_.device_name = "pppd " + entry_;
    status_.device_type = "pppd";
  }
  return {};
}

bool SessionCore::emit(std::vector<NativeReport> reports) {
  for (auto& r : reports) {
    plugin::ReportGate::Pass pass(gate_);
    if (!pass) return false;
    // No lock is held here: with inline delivery a slot may call resume() or hangup().
    reporter_->report(std::move(r));
  }
  return !gate_.is_closed();
}

void SessionCore::update_status() {
  const auto& link = mapper_.link();
  std::lock_guard lock(mutex_);
  status_.interface = link.interface;
  status_.addresses = link.addresses;
}

void SessionCore::answer_secret(const SecretRequestMsg& req) {
  std::string reply;
  {
    std::lock_guard lock(mutex_);
    if (credentials_ && !credentials_->password.empty())
      reply = secret_reply(req.id, credentials_->password.reveal());
    else
      reply = no_secret_reply(req.id);
  }
  (void)::send(channel_.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
  secure_wipe(reply);
}

void SessionCore::start_termination() {
  if (kill_at_ || !child_.running()) return;
  child_.signal(SIGTERM);
  kill_at_ = std::chrono::steady_clock::now() + settings_.kill_timeout;
}

void SessionCore::abandon() {
  gate_.close();
  if (child_.running()) (void)child_.terminate(settings_.kill_timeout);
  unregister();
  channel_.reset();
  output_.reset();
  channel_open_ = output_open_ = false;
}

void SessionCore::read_output(bool drain) {
  char buf[2048];
  for (;;) {
    const ssize_t n = ::read(output_.get(), buf, sizeof buf);
    if (n > 0) {
      output_tail_.append(buf, static_cast<std::size_t>(n));
      if (output_tail_.size() > output_tail_limit)
        output_tail_.erase(0, output_tail_.size() - output_tail_limit);
      if (!drain) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) output_open_ = false;
    return;
  }
}

bool SessionCore::read_channel(bool drain) {
  char buf[1024];
  for (;;) {
    const ssize_t n = ::read(channel_.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return true;  // EAGAIN: nothing more now
    if (n == 0) {
      channel_open_ = false;
      return false;
    }
    auto fed = parser_.feed(std::string_view(buf, static_cast<std::size_t>(n)));
    // The well-formed lines before a malformed one are mapped first; then the error ends it.
    for (const auto& m : fed.messages) {
      if (auto* req = std::get_if<SecretRequestMsg>(&m)) {
        // No password goes to a channel that has just said something malformed.
        if (!fed.error) answer_secret(*req);
        continue;
      }
      if (auto* hello = std::get_if<HelloMsg>(&m); hello && hello->pid != child_.pid()) {
        mapper_.protocol_failed(make_error(Errc::protocol_error,
                                           "the plugin's hello names pid " + std::to_string(hello->pid) +
                                               ", but pppd is pid " + std::to_string(child_.pid())));
        channel_open_ = false;
        start_termination();
        return false;
      }
      auto reports = mapper_.on_message(m);
      if (std::holds_alternative<UpMsg>(m)) update_status();
      if (!emit(std::move(reports))) return false;
    }
    if (fed.error) {
      // The channel cannot be trusted any more: stop pppd and say why at the end.
      mapper_.protocol_failed(*fed.error);
      channel_open_ = false;
      start_termination();
      return false;
    }
    if (!drain) return true;
  }
}

void SessionCore::run_pppd() {
  if (!emit(mapper_.spawned())) return;
  for (;;) {
    bool hangup_now = false;
    {
      std::lock_guard lock(mutex_);
      hangup_now = hangup_requested_ && !mapper_.hangup_requested();
    }
    if (hangup_now) {
      auto reports = mapper_.local_hangup();
      start_termination();
      if (!emit(std::move(reports))) return;
    }
    // poll() skips a negative fd: a stream that closed is no longer watched.
    pollfd fds[] = {{wake_read_.get(), POLLIN, 0},
                    {child_.pidfd(), POLLIN, 0},
                    {channel_open_ ? channel_.get() : -1, POLLIN, 0},
                    {output_open_ ? output_.get() : -1, POLLIN, 0}};
    int timeout = -1;
    if (kill_at_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *kill_at_ - std::chrono::steady_clock::now());
      timeout = static_cast<int>(std::max<std::int64_t>(0, left.count()) + 1);
    }
    const int ready = ::poll(fds, std::size(fds), timeout);
    if (ready < 0 && errno != EINTR) {
      // Cannot watch pppd any more: end it rather than leave it unattended.
      mapper_.protocol_failed(errno_error("poll"));
      (void)child_.terminate(settings_.kill_timeout);
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      char drain[64];
      while (::read(wake_read_.get(), drain, sizeof drain) > 0) {
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
      if (!read_channel(false) && gate_.is_closed()) return;
    if (gate_.is_closed()) return;
    if (fds[3].revents & (POLLIN | POLLHUP | POLLERR))
      read_output(false);
    if (kill_at_ && std::chrono::steady_clock::now() >= *kill_at_) {
      child_.signal_group(SIGKILL);
      kill_at_.reset();
    }
    if (child_.running() && !(ready > 0 && (fds[1].revents & POLLIN)) && ready >= 0) continue;
    auto end = child_.try_reap();
    if (!end) continue;
    // Whatever pppd wrote before it died is still in the socket and the pipe.
    if (channel_open_) (void)read_channel(true);
    if (gate_.is_closed()) return;
    if (output_open_) read_output(true);
    if (end->how == ProcessEnd::How::exited) {
      if (auto done = parser_.finish(); !done && parser_.hello_seen()) mapper_.protocol_failed(done.error());
    }
    unregister();
    channel_.reset();
    output_.reset();
    (void)emit(mapper_.process_ended(*end, output_tail_));
    return;
  }
}

void SessionCore::run() {
  for (;;) {
    run_pppd();
    if (gate_.is_closed() || !mapper_.paused()) return;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return hangup_requested_ || resume_pending_; });
      if (hangup_requested_) return;
      resume_pending_ = false;
    }
    if (auto started = spawn(); !started) {
      // The new pppd never started: PHASE_INITIALIZE (see Mapper::spawned()) ends right there.
      NativeReport r = plugin::native_report(phase_table, phase_initialize, State::opening_port);
      r.state = State::disconnected;
      r.error = started.error();
      (void)emit({std::move(r)});
      return;
    }
  }
}

void SessionCore::hangup() {
  if (thread_.joinable() && std::this_thread::get_id() == thread_.get_id()) {
    // A slot on our own thread (inline delivery) hangs up: finish everything right here,
    // since the thread cannot be joined from itself.
    auto reports = mapper_.local_hangup();
    for (auto& r : reports) reporter_->report(std::move(r));
    (void)child_.terminate(settings_.kill_timeout);
    unregister();
    gate_.close();
    return;
  }
  request_stop_and_join();
}

// Asks the session's thread to stop: it waits either on cv_ (paused) or in poll() (wake_read_).
void SessionCore::request_stop() {
  {
    std::lock_guard lock(mutex_);
    hangup_requested_ = true;
  }
  cv_.notify_all();
  const char c = 1;
  if (wake_write_) (void)!::write(wake_write_.get(), &c, 1);
}

void SessionCore::request_stop_and_join() {
  request_stop();
  if (thread_.joinable()) thread_.join();
  // Belt and braces: the thread reaps pppd before it ends, also on every early return.
  if (child_.running()) (void)child_.terminate(settings_.kill_timeout);
  unregister();
}

void SessionCore::drop() {
  if (thread_.joinable() && std::this_thread::get_id() == thread_.get_id()) {
    // Dropped from a slot on our own thread: the thread owns a reference and ends by itself.
    request_stop();
    thread_.detach();
    return;
  }
  request_stop_and_join();
}

Result<void> SessionCore::resume(const ResumeInput& input) {
  const auto* creds = std::get_if<Credentials>(&input);
  if (!creds) return fail(make_error(Errc::invalid_argument, "pppd resumes only with credentials"));
  {
    std::lock_guard lock(mutex_);
    if (hangup_requested_) return fail(make_error(Errc::invalid_state, "the session was hung up"));
    credentials_ = *creds;
    resume_pending_ = true;
  }
  cv_.notify_all();
  return {};
}

Result<std::unique_ptr<Session>> start_session(Settings settings, std::filesystem::path helper,
                                               const DialRequest& request, std::shared_ptr<Reporter> reporter,
                                               std::shared_ptr<Registry> registry) {
  auto core = std::make_shared<SessionCore>(std::move(settings), std::move(helper), request,
                                            std::move(reporter), std::move(registry));
  if (auto started = core->spawn(); !started) return fail(started.error());
  core->start_thread();
  return std::unique_ptr<Session>(new plugin::SharedSession(std::move(core)));
}

}  // namespace dialkit::pppd
