// Runs the real `dialkit` binary as a child process for the CLI tests: pipes for stdin,
// stdout and stderr (or a pseudo-terminal), a private environment, and waits that end on what
// the child printed rather than on sleeps. Every wait has a limit so a hung child fails the
// test instead of hanging it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace dialkit::test {

using namespace std::chrono_literals;

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

struct Outcome {
  std::string out;
  std::string err;
  // The exit status, or 128 + the signal that killed the child.
  int code = -1;
  bool timed_out = false;
};

using Environment = std::map<std::string, std::string>;

class Child {
 public:
  // Starts `program args...` with the current environment plus `env`, in a session of its own
  // with no controlling terminal (as under cron or CI): a test run from a terminal must not
  // have the CLI prompt on it.
  Child(const std::string& program, const std::vector<std::string>& args, const Environment& env);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void write_stdin(std::string_view data);
  void close_stdin();
  // Closes our end of the child's stdout, as `| head -2` does once it has its lines.
  void close_stdout();
  void send_signal(int sig);
  // Reads until `needle` appears in stdout (or stderr), the child closes both or `limit`
  // passes; true if it appeared.
  bool wait_for_stdout(std::string_view needle, std::chrono::milliseconds limit = 20s);
  bool wait_for_stderr(std::string_view needle, std::chrono::milliseconds limit = 20s);
  // Closes stdin, reads everything and reaps the child; SIGKILLs it after `limit`.
  Outcome finish(std::chrono::milliseconds limit = 30s);

  [[nodiscard]] const std::string& out() const noexcept { return out_; }
  [[nodiscard]] const std::string& err() const noexcept { return err_; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  bool pump(std::chrono::milliseconds limit, const std::string* buffer, std::string_view needle);

  pid_t pid_ = -1;
  int in_ = -1, out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  bool reaped_ = false;
};

// Runs to completion with `input` on stdin.
Outcome run(const std::string& program, const std::vector<std::string>& args,
            const Environment& env, std::string_view input = {},
            std::chrono::milliseconds limit = 30s);

// A child on a pseudo-terminal: stdin, stdout and stderr are all the terminal, as for a
// person at a shell; with `stderr_to_pipe`, stderr goes to a pipe instead (`2>log`).
class PtyChild {
 public:
  // `columns` sets the terminal's width (0: the pseudo-terminal's default, which says none).
  PtyChild(const std::string& program, const std::vector<std::string>& args, const Environment& env,
           bool stderr_to_pipe = false, unsigned short columns = 0);
  ~PtyChild();
  PtyChild(const PtyChild&) = delete;
  PtyChild& operator=(const PtyChild&) = delete;

  void type(std::string_view keys);
  // Reads terminal output until `needle` appears after position `from`; true if it did.
  bool wait_for(std::string_view needle, std::size_t from = 0, std::chrono::milliseconds limit = 20s);
  void send_signal(int sig);
  // Outcome::out is what the terminal showed; Outcome::err what went to the stderr pipe.
  Outcome finish(std::chrono::milliseconds limit = 30s);
  [[nodiscard]] const std::string& output() const noexcept { return output_; }

 private:
  bool read_some(std::chrono::milliseconds limit);
  void drain_stderr(int wait_ms);
  pid_t pid_ = -1;
  int master_ = -1;
  int err_fd_ = -1;
  std::string output_;
  std::string err_;
  bool eof_ = false;
  bool reaped_ = false;
};

}  // namespace dialkit::test
