// What the fuzzers share: a reader that turns the fuzzer's bytes into choices, and the check
// that stops the run (a crash libFuzzer reports with its input) when a property fails.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace dialkit::fuzz {

// A property the code under test must keep; a failure is a finding, reported like a crash.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "dialkit fuzz: property failed: %s\n", what);
  __builtin_trap();
}

// Consumes the input from the front; past the end every read gives zeros / empty.
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  [[nodiscard]] bool empty() const noexcept { return pos_ >= size_; }
  [[nodiscard]] std::size_t left() const noexcept { return size_ - pos_; }

  std::uint8_t byte() noexcept { return empty() ? 0 : data_[pos_++]; }
  std::uint32_t u32() noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  // A string of up to `max` bytes, its length taken from one byte.
  std::string text(std::size_t max) {
    std::size_t n = byte() % (max + 1);
    if (n > left()) n = left();
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }
  // Everything not read yet.
  std::string_view rest() noexcept {
    const auto* p = reinterpret_cast<const char*>(data_ + pos_);
    const std::size_t n = left();
    pos_ = size_;
    return {p, n};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) noexcept {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace dialkit::fuzz
