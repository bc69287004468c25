// Secret keys and the caller each one names, matched without leaking which
// key matched or how much of it did.
//
// Only SHA-256 digests of the keys are kept (a key is never held after
// Add and never printed); Find hashes the presented key and compares its
// digest with every entry using CRYPTO_memcmp, always over the whole table,
// so the time taken depends neither on the key's content nor on where (or
// whether) it matches.
#ifndef FLOWGRID_SCHEDULER_AUTH_KEY_TABLE_H_
#define FLOWGRID_SCHEDULER_AUTH_KEY_TABLE_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace flowgrid::auth {

class KeyTable {
 public:
  using Digest = std::array<unsigned char, 32>;

  static Digest DigestOf(absl::string_view key);

  // Adds `key` naming `name`. Callers check for duplicates first (Contains).
  void Add(std::string name, absl::string_view key);
  // The entry index of a key already added, if any.
  std::optional<size_t> IndexOf(absl::string_view key) const;

  // The name `presented` was added under, if any.
  std::optional<std::string> Find(absl::string_view presented) const;

  size_t size() const { return entries_.size(); }
  const std::string& name(size_t index) const { return entries_[index].name; }

 private:
  struct Entry {
    std::string name;
    Digest digest;
  };
  std::vector<Entry> entries_;
};

}  // namespace flowgrid::auth

#endif  // FLOWGRID_SCHEDULER_AUTH_KEY_TABLE_H_
