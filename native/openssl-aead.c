/*
 * openssl-aead.node: XChaCha20-Poly1305 (IETF) through the system's OpenSSL.
 *
 * The recording format seals chunks with libsodium's
 * crypto_aead_xchacha20poly1305_ietf. That construction is HChaCha20 for a
 * subkey from the key and the nonce's first 16 bytes, then the IETF
 * ChaCha20-Poly1305 of RFC 8439 under the subkey with the nonce 0^4 ||
 * nonce[16..24] (draft-irtf-cfrg-xchacha-03, section 2.3). OpenSSL has the
 * second half, with AVX-512 code that seals at a third of libsodium's cost
 * per byte on CPUs that have it; this addon adds the first half, so the bytes
 * are the same as libsodium's (src/seal/openssl-aead.ts checks that when it
 * loads the addon, and uses it only then).
 *
 *   encrypt(out, message, ad, nonce, key)      out: message.length + 16 bytes (ciphertext || tag)
 *   decrypt(out, ciphertext, ad, nonce, key)   out: ciphertext.length - 16 bytes; false when the tag
 *                                              does not verify (out is zeroed then)
 *
 * Every argument is a Uint8Array; ad may be null. Nothing is kept between calls:
 * each call has its own cipher context, freed (and so cleansed) before it
 * returns, and the subkey on the stack is wiped, so no key outlives the call
 * and calls from worker threads do not share state.
 *
 * libcrypto is opened with dlopen(RTLD_DEEPBIND) and reached only through
 * dlsym: Node exports its own bundled OpenSSL's symbols, and a plain link
 * would bind this addon, or libcrypto's calls into itself, to those instead.
 * No OpenSSL headers are needed to build it: the few functions used are
 * declared below with their OpenSSL 3 signatures.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 3
#include <node_api.h>

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

typedef struct evp_cipher_st EVP_CIPHER;
typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

/* include/openssl/evp.h */
#define EVP_CTRL_AEAD_GET_TAG 0x10
#define EVP_CTRL_AEAD_SET_TAG 0x11

#define KEY_BYTES 32
#define NONCE_BYTES 24
#define TAG_BYTES 16
/* OpenSSL counts bytes in an int. */
#define MAX_MESSAGE (INT_MAX - TAG_BYTES)

static struct {
  EVP_CIPHER *(*fetch)(void *libctx, const char *algorithm, const char *properties);
  EVP_CIPHER_CTX *(*ctx_new)(void);
  void (*ctx_free)(EVP_CIPHER_CTX *);
  int (*ctx_ctrl)(EVP_CIPHER_CTX *, int type, int arg, void *ptr);
  int (*init)(EVP_CIPHER_CTX *, const EVP_CIPHER *, void *engine, const unsigned char *key, const unsigned char *iv, int enc);
  int (*update)(EVP_CIPHER_CTX *, unsigned char *out, int *outl, const unsigned char *in, int inl);
  int (*final)(EVP_CIPHER_CTX *, unsigned char *out, int *outl);
  /* Fetched once: OpenSSL 3 would look the implementation up again on every init given EVP_chacha20_poly1305(). */
  EVP_CIPHER *cipher;
} ossl;

/* HChaCha20 (draft-irtf-cfrg-xchacha-03, section 2.2): ChaCha20's 20 rounds over the
 * constants, the key and a 16-byte input, then words 0-3 and 12-15 of the state,
 * without the final addition of the input. */
#define ROTL32(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QUARTER(a, b, c, d)                                                                  \
  do {                                                                                       \
    a += b, d ^= a, d = ROTL32(d, 16), c += d, b ^= c, b = ROTL32(b, 12);                     \
    a += b, d ^= a, d = ROTL32(d, 8), c += d, b ^= c, b = ROTL32(b, 7);                       \
  } while (0)

static uint32_t load32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void hchacha20(uint8_t out[KEY_BYTES], const uint8_t key[KEY_BYTES], const uint8_t in[16]) {
  uint32_t x[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  for (int i = 0; i < 8; i++) x[4 + i] = load32(key + 4 * i);
  for (int i = 0; i < 4; i++) x[12 + i] = load32(in + 4 * i);
  for (int round = 0; round < 10; round++) {
    QUARTER(x[0], x[4], x[8], x[12]);
    QUARTER(x[1], x[5], x[9], x[13]);
    QUARTER(x[2], x[6], x[10], x[14]);
    QUARTER(x[3], x[7], x[11], x[15]);
    QUARTER(x[0], x[5], x[10], x[15]);
    QUARTER(x[1], x[6], x[11], x[12]);
    QUARTER(x[2], x[7], x[8], x[13]);
    QUARTER(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 4; i++) {
    store32(out + 4 * i, x[i]);
    store32(out + 16 + 4 * i, x[12 + i]);
  }
  explicit_bzero(x, sizeof x);
}

/*
 * One AEAD pass: enc 1 seals `in` into `out` and appends the tag at out + length; enc 0 opens
 * `in` (length bytes of ciphertext, the tag at in + length) into `out`. Returns 1 on success.
 */
static int xchacha(int enc, uint8_t *out, const uint8_t *in, int length, const uint8_t *ad, int ad_length, const uint8_t nonce[NONCE_BYTES],
                   const uint8_t key[KEY_BYTES]) {
  uint8_t subkey[KEY_BYTES];
  uint8_t iv[12] = {0};
  hchacha20(subkey, key, nonce);
  memcpy(iv + 4, nonce + 16, 8);
  EVP_CIPHER_CTX *ctx = ossl.ctx_new();
  int n = 0;
  int ok = ctx != NULL && ossl.init(ctx, ossl.cipher, NULL, subkey, iv, enc) == 1;
  explicit_bzero(subkey, sizeof subkey);
  if (ok && ad_length > 0) ok = ossl.update(ctx, NULL, &n, ad, ad_length) == 1;
  if (ok && length > 0) ok = ossl.update(ctx, out, &n, in, length) == 1;
  if (ok && !enc) ok = ossl.ctx_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, (void *)(in + length)) == 1;
  if (ok) ok = ossl.final(ctx, out + n, &n) == 1;
  if (ok && enc) ok = ossl.ctx_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, out + length) == 1;
  if (ctx != NULL) ossl.ctx_free(ctx);
  return ok;
}

/* The bytes of a Uint8Array argument; null (and length 0) when `nullable` and it is null. */
static int bytes_of(napi_env env, napi_value value, int nullable, uint8_t **data, size_t *length) {
  napi_valuetype type;
  if (nullable && napi_typeof(env, value, &type) == napi_ok && type == napi_null) {
    *data = NULL, *length = 0;
    return 1;
  }
  bool is_typedarray = false;
  napi_typedarray_type kind;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok || !is_typedarray) return 0;
  return napi_get_typedarray_info(env, value, &kind, length, (void **)data, NULL, NULL) == napi_ok && kind == napi_uint8_array;
}

static napi_value call(napi_env env, napi_callback_info info, int enc) {
  size_t argc = 5;
  napi_value argv[5], result;
  uint8_t *out, *in, *ad, *nonce, *key;
  size_t out_length, in_length, ad_length, nonce_length, key_length;
  const char *usage = enc ? "openssl-aead: encrypt(out, message, ad, nonce, key)" : "openssl-aead: decrypt(out, ciphertext, ad, nonce, key)";
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 || !bytes_of(env, argv[0], 0, &out, &out_length) ||
      !bytes_of(env, argv[1], 0, &in, &in_length) || !bytes_of(env, argv[2], 1, &ad, &ad_length) || !bytes_of(env, argv[3], 0, &nonce, &nonce_length) ||
      !bytes_of(env, argv[4], 0, &key, &key_length) || nonce_length != NONCE_BYTES || key_length != KEY_BYTES || ad_length > INT_MAX) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  size_t length = enc ? in_length : in_length - TAG_BYTES;
  if ((!enc && in_length < TAG_BYTES) || length > MAX_MESSAGE || out_length != (enc ? in_length + TAG_BYTES : length)) {
    napi_throw_range_error(env, NULL, usage);
    return NULL;
  }
  int ok = xchacha(enc, out, in, (int)length, ad, (int)ad_length, nonce, key);
  if (!ok && enc) {
    napi_throw_error(env, NULL, "openssl-aead: OpenSSL failed to seal");
    return NULL;
  }
  if (!ok) explicit_bzero(out, out_length);
  napi_get_boolean(env, ok, &result);
  return result;
}

static napi_value encrypt(napi_env env, napi_callback_info info) {
  return call(env, info, 1);
}

static napi_value decrypt(napi_env env, napi_callback_info info) {
  return call(env, info, 0);
}

/* Why libcrypto could not be used; NULL once it is open and the cipher fetched. */
static const char *unavailable = "libcrypto.so.3 was not opened";

/* Opens libcrypto and fetches the cipher, once per process (worker threads load the addon too). */
static void open_libcrypto(void) {
  /* Kept open for the life of the process: the cipher fetched from it is used by every call. */
  void *lib = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (lib == NULL) {
    unavailable = "libcrypto.so.3 could not be opened";
    return;
  }
  *(void **)&ossl.fetch = dlsym(lib, "EVP_CIPHER_fetch");
  *(void **)&ossl.ctx_new = dlsym(lib, "EVP_CIPHER_CTX_new");
  *(void **)&ossl.ctx_free = dlsym(lib, "EVP_CIPHER_CTX_free");
  *(void **)&ossl.ctx_ctrl = dlsym(lib, "EVP_CIPHER_CTX_ctrl");
  *(void **)&ossl.init = dlsym(lib, "EVP_CipherInit_ex");
  *(void **)&ossl.update = dlsym(lib, "EVP_CipherUpdate");
  *(void **)&ossl.final = dlsym(lib, "EVP_CipherFinal_ex");
  if (!ossl.fetch || !ossl.ctx_new || !ossl.ctx_free || !ossl.ctx_ctrl || !ossl.init || !ossl.update || !ossl.final) {
    unavailable = "libcrypto.so.3 lacks an EVP function";
    return;
  }
  ossl.cipher = ossl.fetch(NULL, "ChaCha20-Poly1305", NULL);
  unavailable = ossl.cipher == NULL ? "libcrypto.so.3 has no ChaCha20-Poly1305" : NULL;
}

static pthread_once_t opened = PTHREAD_ONCE_INIT;

NAPI_MODULE_INIT() {
  pthread_once(&opened, open_libcrypto);
  if (unavailable != NULL) {
    napi_throw_error(env, NULL, unavailable);
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "encrypt", NAPI_AUTO_LENGTH, encrypt, NULL, &fn) != napi_ok || napi_set_named_property(env, exports, "encrypt", fn) != napi_ok ||
      napi_create_function(env, "decrypt", NAPI_AUTO_LENGTH, decrypt, NULL, &fn) != napi_ok || napi_set_named_property(env, exports, "decrypt", fn) != napi_ok)
    return NULL;
  return exports;
}
