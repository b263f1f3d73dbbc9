// Test-time PKI with the OpenSSL 3 API: EC P-256 keys, X.509 v3 certificates signed with SHA-256.
#include "emulator/pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace gtest_tms::detail::pki {
namespace {

template <auto Fn>
struct deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Fn(p);
  }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, deleter<BN_free>>;
using ext_ptr = std::unique_ptr<X509_EXTENSION, deleter<X509_EXTENSION_free>>;

[[noreturn]] void fail(const std::string& what) {
  std::string msg = "test PKI: " + what + " failed";
  if (unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  throw std::runtime_error(msg);
}

void check(int ok, const char* what) {
  if (ok <= 0) fail(what);
}

pkey_ptr make_key() {
  pkey_ptr key{EVP_EC_gen("P-256")};
  if (!key) fail("EC P-256 key generation");
  return key;
}

x509_ptr new_cert(const std::string& common_name, int not_before_days, int not_after_days) {
  x509_ptr cert{X509_new()};
  if (!cert) fail("X509_new");
  check(X509_set_version(cert.get(), 2), "X509_set_version");  // v3

  // Random positive 127-bit serial: repeated test runs never collide in a client's session cache.
  unsigned char raw[16];
  check(RAND_bytes(raw, sizeof raw), "RAND_bytes");
  raw[0] &= 0x7f;
  raw[0] |= 0x01;
  bn_ptr bn{BN_bin2bn(raw, sizeof raw, nullptr)};
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial number");

  constexpr long day = 24L * 60 * 60;
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before_days * day)) fail("notBefore");
  if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after_days * day)) fail("notAfter");

  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0),
        "subject CN");
  return cert;
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ext_ptr ext{X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str())};
  if (!ext) fail(std::string("extension ") + OBJ_nid2sn(nid) + "=" + value);
  check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

std::string to_pem(EVP_PKEY* key) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM key");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string to_pem(X509* cert) {
  bio_ptr bio{BIO_new(BIO_s_mem())};
  if (!bio) fail("BIO_new");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM certificate");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

pkey_ptr read_key(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio) fail("BIO_new_mem_buf");
  pkey_ptr key{PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)};
  if (!key) fail("reading the issuer key");
  return key;
}

x509_ptr read_cert(const std::string& pem) {
  bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio) fail("BIO_new_mem_buf");
  x509_ptr cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)};
  if (!cert) fail("reading the issuer certificate");
  return cert;
}

}  // namespace

key_and_cert make_ca(const std::string& common_name) {
  pkey_ptr key = make_key();
  x509_ptr cert = new_cert(common_name, -1, 3650);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "issuer name");
  check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey");
  add_ext(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_ext(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), cert.get(), NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()), "signing the CA certificate");
  return {to_pem(key.get()), to_pem(cert.get())};
}

key_and_cert make_leaf(const key_and_cert& issuer, const leaf_request& request) {
  pkey_ptr issuer_key = read_key(issuer.key_pem);
  x509_ptr issuer_cert = read_cert(issuer.cert_pem);
  pkey_ptr key = make_key();
  x509_ptr cert = new_cert(request.common_name, request.not_before_days, request.not_after_days);
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert.get())), "issuer name");
  check(X509_set_pubkey(cert.get(), key.get()), "X509_set_pubkey");
  add_ext(cert.get(), issuer_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), issuer_cert.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(cert.get(), issuer_cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), issuer_cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), issuer_cert.get(), NID_authority_key_identifier, "keyid:always");
  std::string san;  // appended piece by piece: temporary sums trip GCC 12's -Wrestrict at -O3
  const auto add_name = [&san](const char* kind, const std::string& value) {
    if (!san.empty()) san += ',';
    san += kind;
    san += value;
  };
  for (const auto& dns : request.dns_names) add_name("DNS:", dns);
  for (const auto& ip : request.ip_addresses) add_name("IP:", ip);
  if (!san.empty()) add_ext(cert.get(), issuer_cert.get(), NID_subject_alt_name, san);
  check(X509_sign(cert.get(), issuer_key.get(), EVP_sha256()), "signing the leaf certificate");
  // Only the leaf: clients must trust the CA itself (an untrusted chain then fails with "unable to get
  // local issuer certificate", the message users see for a missing corporate CA).
  return {to_pem(key.get()), to_pem(cert.get())};
}

}  // namespace gtest_tms::detail::pki
