#include "common/tls/pem_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/tls/openssl_handles.h"

namespace flowgrid::tls {
namespace {

absl::StatusOr<std::string> ReadPemText(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("no PEM file given (empty path)");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read PEM file ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read PEM file ", path, ": ", std::strerror(errno)));
  }
  if (!absl::StrContains(text.str(), "-----BEGIN ")) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a PEM file (it has no \"-----BEGIN\" line)"));
  }
  return text.str();
}

// The first certificate of a PEM text; nullptr with OpenSSL's error queue
// explaining why.
X509Ptr FirstCertificate(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

}  // namespace

absl::StatusOr<KeyCertPair> LoadKeyCertPair(const std::string& cert_file,
                                            const std::string& key_file) {
  absl::StatusOr<std::string> cert_pem = ReadPemText(cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadPemText(key_file);
  if (!key_pem.ok()) return key_pem.status();
  ERR_clear_error();
  X509Ptr cert = FirstCertificate(*cert_pem);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_file, " holds no certificate OpenSSL can read: ", OpenSslErrors()));
  }
  BioPtr key_bio(BIO_new_mem_buf(key_pem->data(), static_cast<int>(key_pem->size())));
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        key_file, " holds no unencrypted private key OpenSSL can read: ", OpenSslErrors()));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("the private key in ", key_file,
                                                   " does not belong to the certificate in ",
                                                   cert_file));
  }
  return KeyCertPair{*std::move(cert_pem), *std::move(key_pem)};
}

absl::StatusOr<std::string> LoadCaBundle(const std::string& ca_file) {
  absl::StatusOr<std::string> pem = ReadPemText(ca_file);
  if (!pem.ok()) return pem.status();
  ERR_clear_error();
  if (FirstCertificate(*pem) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(ca_file, " holds no certificate OpenSSL can read: ", OpenSslErrors()));
  }
  return pem;
}

}  // namespace flowgrid::tls
