// CTLSShim: the OpenSSL declarations TLSChat needs, plus one-line forwarders for
// the function-like macros that Swift's importer cannot see.
// It holds no logic: every function forwards to exactly one OpenSSL macro, and
// every constant names exactly one OpenSSL option bit. Behaviour lives in ChatNet.
#ifndef CTLSSHIM_H
#define CTLSSHIM_H

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

static inline int CTLSShim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int CTLSShim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
    return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long CTLSShim_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_mode(ctx, mode);
}
static inline int CTLSShim_SSL_CTX_set1_groups_list(SSL_CTX *ctx, const char *list) {
    return (int)SSL_CTX_set1_groups_list(ctx, list);
}
static inline long CTLSShim_SSL_CTX_set_read_ahead(SSL_CTX *ctx, int yes) {
    return SSL_CTX_set_read_ahead(ctx, yes);
}
static inline long CTLSShim_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) {
    return SSL_CTX_set_session_cache_mode(ctx, mode);
}
static inline int CTLSShim_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline void CTLSShim_OPENSSL_free(void *pointer) {
    OPENSSL_free(pointer);
}
static inline int CTLSShim_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
    return sk_GENERAL_NAME_num(names);
}
static inline GENERAL_NAME *CTLSShim_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
    return sk_GENERAL_NAME_value(names, index);
}
static inline long CTLSShim_SSL_set_msg_callback_arg(SSL *ssl, void *argument) {
    return SSL_set_msg_callback_arg(ssl, argument);
}
static inline int CTLSShim_sk_X509_num(const STACK_OF(X509) *certificates) {
    return sk_X509_num(certificates);
}
static inline X509 *CTLSShim_sk_X509_value(const STACK_OF(X509) *certificates, int index) {
    return sk_X509_value(certificates, index);
}
static inline int CTLSShim_SSL_CTX_get0_chain_certs(SSL_CTX *ctx, STACK_OF(X509) **chain) {
    return (int)SSL_CTX_get0_chain_certs(ctx, chain);
}
static inline int CTLSShim_sk_X509_OBJECT_num(const STACK_OF(X509_OBJECT) *objects) {
    return sk_X509_OBJECT_num(objects);
}
static inline X509_OBJECT *CTLSShim_sk_X509_OBJECT_value(const STACK_OF(X509_OBJECT) *objects, int index) {
    return sk_X509_OBJECT_value(objects, index);
}

static const uint64_t CTLSShim_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t CTLSShim_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t CTLSShim_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t CTLSShim_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;

#endif
