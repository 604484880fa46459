// OpenSSL's libcrypto (3.x), which libcurl loads anyway: digests and RSA signing.
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
