// common/tls: the dev PKI (a chain libcrypto verifies, reuse, regeneration)
// and the checks on PEM and token files.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/tls/dev_pki.h"
#include "common/tls/pem_files.h"
#include "common/tls/token_file.h"
#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::tls {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class TlsFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "tls-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  }
  std::string Read(const std::string& path) {
    absl::StatusOr<std::string> text = ReadFile(path);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.value_or("");
  }

  std::string dir_;
};

X509* ReadCertificate(const std::string& path) {
  FILE* file = ::fopen(path.c_str(), "r");
  if (file == nullptr) return nullptr;
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  ::fclose(file);
  return cert;
}

// Verifies `leaf_path` against the CA at `ca_path` for `purpose`, as a TLS
// peer would.
bool VerifiesFor(const std::string& ca_path, const std::string& leaf_path, int purpose) {
  X509* ca = ReadCertificate(ca_path);
  X509* leaf = ReadCertificate(leaf_path);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  bool ok = ca != nullptr && leaf != nullptr && X509_STORE_add_cert(store, ca) == 1 &&
            X509_STORE_CTX_init(context, store, leaf, nullptr) == 1 &&
            X509_STORE_CTX_set_purpose(context, purpose) == 1 &&
            X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return ok;
}

TEST_F(TlsFilesTest, DevPkiChainVerifiesWithTheRightNamesAndPurposes) {
  absl::StatusOr<DevPki> pki = EnsureDevPki(dir_ + "/pki");
  ASSERT_TRUE(pki.ok()) << pki.status();
  EXPECT_TRUE(VerifiesFor(pki->ca_cert, pki->server_cert, X509_PURPOSE_SSL_SERVER));
  EXPECT_TRUE(VerifiesFor(pki->ca_cert, pki->worker_cert, X509_PURPOSE_SSL_CLIENT));
  // Each leaf is for its own side only.
  EXPECT_FALSE(VerifiesFor(pki->ca_cert, pki->worker_cert, X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(VerifiesFor(pki->ca_cert, pki->server_cert, X509_PURPOSE_SSL_CLIENT));

  X509* server = ReadCertificate(pki->server_cert);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(X509_check_host(server, "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(server, "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(server, "::1", 0), 1);
  EXPECT_NE(X509_check_host(server, "example.com", 0, 0, nullptr), 1);
  X509_free(server);

  for (const std::string& key : {pki->ca_key, pki->server_key, pki->worker_key}) {
    struct stat info;
    ASSERT_EQ(::stat(key.c_str(), &info), 0) << key;
    EXPECT_EQ(info.st_mode & 0777, 0600u) << key;
  }
  EXPECT_TRUE(LoadKeyCertPair(pki->server_cert, pki->server_key).ok());
  EXPECT_TRUE(LoadKeyCertPair(pki->worker_cert, pki->worker_key).ok());
}

TEST_F(TlsFilesTest, DevPkiReusesValidFilesAndRegeneratesBrokenOnes) {
  absl::StatusOr<DevPki> first = EnsureDevPki(dir_);
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string ca = Read(first->ca_cert);
  const std::string server = Read(first->server_cert);

  absl::StatusOr<DevPki> again = EnsureDevPki(dir_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Read(again->ca_cert), ca);
  EXPECT_EQ(Read(again->server_cert), server);

  // A leaf that no longer matches its key: everything is issued anew.
  Write(first->server_key, Read(first->worker_key));
  absl::StatusOr<DevPki> repaired = EnsureDevPki(dir_);
  ASSERT_TRUE(repaired.ok()) << repaired.status();
  EXPECT_NE(Read(repaired->ca_cert), ca);
  EXPECT_TRUE(LoadKeyCertPair(repaired->server_cert, repaired->server_key).ok());
  EXPECT_TRUE(VerifiesFor(repaired->ca_cert, repaired->server_cert, X509_PURPOSE_SSL_SERVER));

  // A key readable by others is not reused either.
  const std::string current_ca = Read(repaired->ca_cert);
  ASSERT_EQ(::chmod(repaired->worker_key.c_str(), 0644), 0);
  absl::StatusOr<DevPki> tightened = EnsureDevPki(dir_);
  ASSERT_TRUE(tightened.ok()) << tightened.status();
  EXPECT_NE(Read(tightened->ca_cert), current_ca);
}

TEST_F(TlsFilesTest, TwoDevPkisHaveDifferentAuthorities) {
  absl::StatusOr<DevPki> one = EnsureDevPki(dir_ + "/one");
  absl::StatusOr<DevPki> other = EnsureDevPki(dir_ + "/other");
  ASSERT_TRUE(one.ok() && other.ok());
  EXPECT_FALSE(VerifiesFor(one->ca_cert, other->worker_cert, X509_PURPOSE_SSL_CLIENT));
}

TEST_F(TlsFilesTest, PemErrorsNameTheFileAndTheProblem) {
  absl::StatusOr<DevPki> pki = EnsureDevPki(dir_);
  ASSERT_TRUE(pki.ok()) << pki.status();

  absl::StatusOr<KeyCertPair> missing = LoadKeyCertPair(dir_ + "/absent.pem", pki->server_key);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(dir_ + "/absent.pem"));
  EXPECT_THAT(missing.status().message(), HasSubstr("No such file"));

  Write(dir_ + "/text.pem", "just some text\n");
  absl::StatusOr<std::string> not_pem = LoadCaBundle(dir_ + "/text.pem");
  ASSERT_FALSE(not_pem.ok());
  EXPECT_THAT(not_pem.status().message(), HasSubstr(dir_ + "/text.pem is not a PEM file"));

  // A key where a certificate should be.
  absl::StatusOr<std::string> key_as_ca = LoadCaBundle(pki->ca_key);
  ASSERT_FALSE(key_as_ca.ok());
  EXPECT_THAT(key_as_ca.status().message(), HasSubstr("holds no certificate"));

  absl::StatusOr<KeyCertPair> mismatch = LoadKeyCertPair(pki->server_cert, pki->worker_key);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr("the private key in " + pki->worker_key +
                        " does not belong to the certificate in " + pki->server_cert));

  absl::StatusOr<KeyCertPair> cert_as_key = LoadKeyCertPair(pki->server_cert, pki->server_cert);
  ASSERT_FALSE(cert_as_key.ok());
  EXPECT_THAT(cert_as_key.status().message(), HasSubstr("holds no unencrypted private key"));
}

TEST_F(TlsFilesTest, TokenFileIsItsFirstLineTrimmed) {
  Write(dir_ + "/token", "  0123456789abcdef-token \nsecond line\n");
  absl::StatusOr<std::string> token = ReadTokenFile(dir_ + "/token");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*token, "0123456789abcdef-token");

  Write(dir_ + "/short", "tooshort\n");
  absl::StatusOr<std::string> short_token = ReadTokenFile(dir_ + "/short");
  ASSERT_FALSE(short_token.ok());
  EXPECT_THAT(short_token.status().message(), HasSubstr(dir_ + "/short"));
  EXPECT_THAT(short_token.status().message(), Not(HasSubstr("tooshort")));

  EXPECT_FALSE(ReadTokenFile(dir_ + "/absent").ok());
}

}  // namespace
}  // namespace flowgrid::tls
