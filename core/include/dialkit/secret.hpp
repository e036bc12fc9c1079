/// @file
/// Secrets (passwords) as a type of their own: never printed, wiped from memory when dropped,
/// and only readable through an explicit reveal(). Credentials carry a Secret, not a string.
#pragma once

#include <string>
#include <string_view>

namespace dialkit {

/// A password: never printed, wiped when dropped, read only through reveal().
class Secret {
 public:
  Secret() = default;  ///<empty
  explicit Secret(std::string value) : value_(std::move(value)) {}  ///<holds `value`
  Secret(const Secret&) = default;  ///<copies the value
  Secret(Secret&& other) noexcept;  ///<takes the value; `other` is wiped
  Secret& operator=(const Secret& other);  ///<wipes the old value, copies the new
  Secret& operator=(Secret&& other) noexcept;  ///<wipes the old value, takes the new
  ~Secret();  ///<wipes the value

  /// The only way to read the value: call sites that do it are easy to audit.
  [[nodiscard]] std::string_view reveal() const noexcept { return value_; }
  [[nodiscard]] bool empty() const noexcept { return value_.empty(); }  ///<true when there is no value
  void clear() noexcept;  ///<wipes the value

  friend bool operator==(const Secret& a, const Secret& b) noexcept { return a.value_ == b.value_; }  ///<compares the values

 private:
  std::string value_;
};

/// Overwrites the bytes in a way the compiler may not drop as a dead store.
void secure_wipe(void* data, std::size_t size) noexcept;
void secure_wipe(std::string& s) noexcept;  ///<wipes a string's bytes, then empties it

/// A user name and password (and domain, where the platform has one).
struct Credentials {
  std::string user;  ///<the user name
  Secret password;  ///<the password
  std::string domain;  ///<the domain, or empty
};

}  // namespace dialkit
