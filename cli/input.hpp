// Where a paused dial's input comes from (DESIGN.md section 3): the process's terminal
// (/dev/tty, as ssh and sudo ask), prompted on the main thread with passwords typed without
// echo, whatever stdin, stdout and stderr are; or lines of stdin (--password-stdin: the first
// line is the dial's password, each further line answers the next pause); or nowhere (no
// terminal and no --password-stdin), in which case the dial is hung up and the CLI says which
// input was needed.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include <dialkit/secret.hpp>

namespace dialkit::cli {

// For `dial`, which handles passwords: no core file is written if the CLI crashes (core size
// limit 0) and, on Linux, the process is not dumpable (no core, and other users' ptrace and
// /proc reads of its memory are refused). Best effort: a failure changes nothing else.
void keep_secrets_out_of_core_dumps() noexcept;

struct Answer {
  enum class Kind { ok, unavailable, interrupted };
  Kind kind = Kind::unavailable;
  // Held as a Secret whatever was asked, so that a password never sits in a plain string.
  Secret text;
  // For `unavailable`: why ("stdin is not a terminal and --password-stdin was not given").
  std::string why;
};

class InputSource {
 public:
  enum class Mode { terminal, lines, none };

  // Lines with --password-stdin; else the terminal when the process has one (/dev/tty opens);
  // none otherwise.
  static InputSource from_stdin(bool password_stdin);

  [[nodiscard]] Mode mode() const noexcept { return mode_; }

  // Asks for one value. `prompt` is shown on the terminal only, never on stdout or stderr (a
  // `2>log` must not swallow it); `hidden` turns echo off there (also for --password-stdin
  // typed at a terminal).
  // `give_up` is polled while waiting (a stop signal, or the dial ended meanwhile); when it
  // returns true the answer is `interrupted`.
  Answer ask(std::string_view prompt, bool hidden, const std::function<bool()>& give_up);

  InputSource(const InputSource&) = delete;
  InputSource& operator=(const InputSource&) = delete;
  InputSource(InputSource&&) noexcept;
  InputSource& operator=(InputSource&&) = delete;
  ~InputSource();

 private:
  InputSource(Mode mode, int tty) : mode_(mode), tty_(tty) {}
  Answer read_line(int fd, const std::function<bool()>& give_up);

  Mode mode_;
  // The terminal (/dev/tty) prompts and terminal input use, or -1.
  int tty_ = -1;
  bool eof_ = false;
  // Bytes read past the current line (pipes deliver several lines at once); wiped on exit.
  std::string buffer_;
};

}  // namespace dialkit::cli
