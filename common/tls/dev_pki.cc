#include "common/tls/dev_pki.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tls/openssl_handles.h"
#include "common/tls/pem_files.h"

namespace flowgrid::tls {
namespace {

constexpr long kDay = 24 * 60 * 60;
constexpr long kCaLifetime = 3650 * kDay;
constexpr long kLeafLifetime = 365 * kDay;
// Certificates are reused only while valid for at least this long.
constexpr long kMinRemaining = kDay;

struct Issued {
  X509Ptr cert;
  EvpPkeyPtr key;
};

absl::Status OpenSslFailure(absl::string_view what) {
  return absl::InternalError(absl::StrCat("cannot ", what, ": ", OpenSslErrors()));
}

absl::StatusOr<EvpPkeyPtr> NewP256Key() {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslFailure("generate an EC P-256 key");
  return key;
}

absl::Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return OpenSslFailure(absl::StrCat("make extension ", value));
  const int added = X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
  if (added != 1) return OpenSslFailure(absl::StrCat("add extension ", value));
  return absl::OkStatus();
}

// A certificate for `key` named `common_name`, signed by `issuer` (nullptr:
// self-signed) with `extensions` as (nid, value) pairs.
absl::StatusOr<X509Ptr> IssueCertificate(
    EVP_PKEY* key, const char* common_name, long lifetime, const Issued* issuer,
    std::initializer_list<std::pair<int, const char*>> extensions) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslFailure("allocate a certificate");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslFailure("draw a serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* serial_bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  const bool serial_set =
      serial_bn != nullptr && BN_to_ASN1_INTEGER(serial_bn, X509_get_serialNumber(cert.get()));
  BN_free(serial_bn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!serial_set || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("flowgrid dev"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), issuer != nullptr
                                           ? X509_get_subject_name(issuer->cert.get())
                                           : name) != 1 ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), lifetime) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return OpenSslFailure(absl::StrCat("fill in the certificate of ", common_name));
  }
  X509* issuer_cert = issuer != nullptr ? issuer->cert.get() : cert.get();
  for (const auto& [nid, value] : extensions) {
    if (absl::Status s = AddExtension(cert.get(), issuer_cert, nid, value); !s.ok()) return s;
  }
  EVP_PKEY* signing_key = issuer != nullptr ? issuer->key.get() : key;
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) == 0) {
    return OpenSslFailure(absl::StrCat("sign the certificate of ", common_name));
  }
  return cert;
}

absl::StatusOr<Issued> IssueKeyAndCertificate(
    const char* common_name, long lifetime, const Issued* issuer,
    std::initializer_list<std::pair<int, const char*>> extensions) {
  absl::StatusOr<EvpPkeyPtr> key = NewP256Key();
  if (!key.ok()) return key.status();
  absl::StatusOr<X509Ptr> cert =
      IssueCertificate(key->get(), common_name, lifetime, issuer, extensions);
  if (!cert.ok()) return cert.status();
  return Issued{*std::move(cert), *std::move(key)};
}

// Writes `text` to `path` with `mode` through a temporary file and a rename,
// so that a reader never sees half a file.
absl::Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(err)));
    }
    written += static_cast<size_t>(n);
  }
  // The umask may have cleared bits of `mode`; a key must not be wider.
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0 ||
      ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// PEM text written by `write` (an OpenSSL PEM_write_bio_* call, 1 on
// success) to a memory BIO; `what` names it in errors.
template <typename WriteFn>
absl::StatusOr<std::string> ToPem(absl::string_view what, WriteFn write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || write(bio.get()) != 1) {
    return OpenSslFailure(absl::StrCat("encode ", what, " as PEM"));
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

absl::Status WriteIssued(const Issued& issued, const std::string& cert_path,
                         const std::string& key_path) {
  absl::StatusOr<std::string> key = ToPem("a private key", [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, issued.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> cert = ToPem(
      "a certificate", [&](BIO* bio) { return PEM_write_bio_X509(bio, issued.cert.get()); });
  if (!cert.ok()) return cert.status();
  if (absl::Status s = WriteFileAtomically(key_path, *key, 0600); !s.ok()) return s;
  return WriteFileAtomically(cert_path, *cert, 0644);
}

absl::Status Generate(const DevPki& pki) {
  absl::StatusOr<Issued> ca = IssueKeyAndCertificate(
      "flowgrid dev CA", kCaLifetime, nullptr,
      {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
       {NID_key_usage, "critical,keyCertSign,cRLSign"},
       {NID_subject_key_identifier, "hash"}});
  if (!ca.ok()) return ca.status();
  absl::StatusOr<Issued> server = IssueKeyAndCertificate(
      "localhost", kLeafLifetime, &*ca,
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
       {NID_ext_key_usage, "serverAuth"},
       {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1"},
       {NID_authority_key_identifier, "keyid"}});
  if (!server.ok()) return server.status();
  absl::StatusOr<Issued> worker = IssueKeyAndCertificate(
      "flowgrid-worker", kLeafLifetime, &*ca,
      {{NID_basic_constraints, "critical,CA:FALSE"},
       {NID_key_usage, "critical,digitalSignature"},
       {NID_ext_key_usage, "clientAuth"},
       {NID_authority_key_identifier, "keyid"}});
  if (!worker.ok()) return worker.status();
  if (absl::Status s = WriteIssued(*ca, pki.ca_cert, pki.ca_key); !s.ok()) return s;
  if (absl::Status s = WriteIssued(*server, pki.server_cert, pki.server_key); !s.ok()) return s;
  return WriteIssued(*worker, pki.worker_cert, pki.worker_key);
}

// The certificate at `cert_path`, when it matches the key at `key_path`
// and stays valid for kMinRemaining; nullptr otherwise.
X509Ptr UsableCertificate(const std::string& cert_path, const std::string& key_path) {
  if (!LoadKeyCertPair(cert_path, key_path).ok()) return nullptr;
  BioPtr bio(BIO_new_file(cert_path.c_str(), "r"));
  if (bio == nullptr) return nullptr;
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) return nullptr;
  const time_t now = ::time(nullptr);
  time_t later = now + kMinRemaining;
  if (X509_cmp_time(X509_get0_notBefore(cert.get()), nullptr) >= 0 ||
      X509_cmp_time(X509_get0_notAfter(cert.get()), &later) <= 0) {
    return nullptr;
  }
  return cert;
}

// Whether the files under `pki` can be used as they are.
bool Reusable(const DevPki& pki) {
  X509Ptr ca = UsableCertificate(pki.ca_cert, pki.ca_key);
  if (ca == nullptr) return false;
  EVP_PKEY* ca_public = X509_get0_pubkey(ca.get());
  for (const auto& [cert_path, key_path] :
       {std::pair{pki.server_cert, pki.server_key}, std::pair{pki.worker_cert, pki.worker_key}}) {
    X509Ptr leaf = UsableCertificate(cert_path, key_path);
    if (leaf == nullptr || ca_public == nullptr || X509_verify(leaf.get(), ca_public) != 1) {
      return false;
    }
  }
  for (const std::string* key : {&pki.ca_key, &pki.server_key, &pki.worker_key}) {
    struct stat info;
    if (::stat(key->c_str(), &info) != 0 || (info.st_mode & 077) != 0) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<DevPki> EnsureDevPki(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create the dev PKI directory ", dir, ": ", error.message()));
  }
  ::chmod(dir.c_str(), 0700);
  DevPki pki{dir + "/ca.pem",     dir + "/ca-key.pem",     dir + "/server.pem",
             dir + "/server-key.pem", dir + "/worker.pem", dir + "/worker-key.pem"};
  if (Reusable(pki)) return pki;
  ERR_clear_error();
  if (absl::Status s = Generate(pki); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("dev PKI in ", dir, ": ", s.message()));
  }
  return pki;
}

}  // namespace flowgrid::tls
