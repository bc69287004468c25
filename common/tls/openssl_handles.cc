#include "common/tls/openssl_handles.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace flowgrid::tls {

std::string OpenSslErrors() {
  std::string errors;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    absl::StrAppend(&errors, errors.empty() ? "" : "; ", text);
  }
  return errors.empty() ? "no OpenSSL error recorded" : errors;
}

}  // namespace flowgrid::tls
