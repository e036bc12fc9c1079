// Secrets (passwords) as a type of their own: never printed, wiped from memory when dropped,
// and only readable through an explicit reveal(). Credentials carry a Secret, not a string.
#pragma once

#include <string>
#include <string_view>

namespace dialkit {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret(Secret&& other) noexcept;
  Secret& operator=(const Secret& other);
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  // The only way to read the value: call sites that do it are easy to audit.
  [[nodiscard]] std::string_view reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }
  void clear() noexcept;

  friend bool operator==(const Secret& a, const Secret& b) noexcept { return a.value_ == b.value_; }

 private:
  std::string value_;
};

// Overwrites the bytes in a way the compiler may not drop as a dead store.
void secure_wipe(void* data, std::size_t size) noexcept;
void secure_wipe(std::string& s) noexcept;

struct Credentials {
  std::string user;
  Secret password;
  std::string domain;
};

}  // namespace dialkit
