// Owning handles for the OpenSSL objects common/tls uses, and OpenSSL's
// error queue as text. Internal to common/tls.
#ifndef FLOWGRID_COMMON_TLS_OPENSSL_HANDLES_H_
#define FLOWGRID_COMMON_TLS_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace flowgrid::tls {

template <auto Free>
struct OpenSslFree {
  template <typename T>
  void operator()(T* object) const {
    Free(object);
  }
};

using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;

// Drains OpenSSL's error queue of this thread into one line.
std::string OpenSslErrors();

}  // namespace flowgrid::tls

#endif  // FLOWGRID_COMMON_TLS_OPENSSL_HANDLES_H_
