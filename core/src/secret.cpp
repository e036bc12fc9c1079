// Secret storage that is wiped when it is dropped or overwritten.
#include <dialkit/secret.hpp>

#include <cstring>

namespace dialkit {

void secure_wipe(void* data, std::size_t size) noexcept {
  // Writes through a volatile pointer are observable behaviour: the compiler keeps them.
  auto* p = static_cast<volatile unsigned char*>(data);
  for (std::size_t i = 0; i < size; ++i) p[i] = 0;
}

void secure_wipe(std::string& s) noexcept {
  // Wipe the whole buffer (capacity), not only the characters in use.
  s.resize(s.capacity());
  secure_wipe(s.data(), s.size());
  s.clear();
}

Secret::Secret(Secret&& other) noexcept : value_(other.value_) { other.clear(); }

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    clear();
    value_ = other.value_;
  }
  return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    clear();
    value_ = other.value_;
    other.clear();
  }
  return *this;
}

Secret::~Secret() { clear(); }

void Secret::clear() noexcept { secure_wipe(value_); }

}  // namespace dialkit
