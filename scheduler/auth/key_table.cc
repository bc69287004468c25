#include "scheduler/auth/key_table.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <utility>

namespace flowgrid::auth {

KeyTable::Digest KeyTable::DigestOf(absl::string_view key) {
  Digest digest{};
  unsigned int size = 0;
  // SHA-256 cannot fail on a memory buffer short of an allocation failure,
  // which leaves the all-zero digest: it matches no key added (those are
  // real digests), so a failure denies rather than admits.
  EVP_Digest(key.data(), key.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return digest;
}

void KeyTable::Add(std::string name, absl::string_view key) {
  entries_.push_back(Entry{std::move(name), DigestOf(key)});
}

std::optional<size_t> KeyTable::IndexOf(absl::string_view key) const {
  const Digest digest = DigestOf(key);
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (CRYPTO_memcmp(entries_[i].digest.data(), digest.data(), digest.size()) == 0) return i;
  }
  return std::nullopt;
}

std::optional<std::string> KeyTable::Find(absl::string_view presented) const {
  const Digest digest = DigestOf(presented);
  std::optional<size_t> match;
  for (size_t i = 0; i < entries_.size(); ++i) {
    // No early exit: every entry is compared whatever matched before.
    const bool equal =
        CRYPTO_memcmp(entries_[i].digest.data(), digest.data(), digest.size()) == 0;
    if (equal && !match.has_value()) match = i;
  }
  if (!match.has_value()) return std::nullopt;
  return entries_[*match].name;
}

}  // namespace flowgrid::auth
