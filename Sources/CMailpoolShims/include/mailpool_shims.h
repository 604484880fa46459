#ifndef MAILPOOL_SHIMS_H
#define MAILPOOL_SHIMS_H
/*
 * Entry points Swift cannot call directly: variadic C functions and constants defined
 * through casts in macros, which the Swift importer skips.
 */
#include <amqp.h>
#include <amqp_framing.h>
#include <curl/curl.h>

/* amqp_login_with_properties with SASL PLAIN (the C function is variadic). */
amqp_rpc_reply_t mp_amqp_login_plain(amqp_connection_state_t state, const char *vhost,
                                     int channel_max, int frame_max, int heartbeat,
                                     const amqp_table_t *client_properties,
                                     const char *user, const char *password);

/* AMQP 0-9-1 method numbers (defined in amqp_framing.h with casts). */
static const amqp_method_number_t MP_CONNECTION_CLOSE = AMQP_CONNECTION_CLOSE_METHOD;
static const amqp_method_number_t MP_CONNECTION_CLOSE_OK = AMQP_CONNECTION_CLOSE_OK_METHOD;
static const amqp_method_number_t MP_CONNECTION_BLOCKED = AMQP_CONNECTION_BLOCKED_METHOD;
static const amqp_method_number_t MP_CONNECTION_UNBLOCKED = AMQP_CONNECTION_UNBLOCKED_METHOD;
static const amqp_method_number_t MP_CHANNEL_CLOSE = AMQP_CHANNEL_CLOSE_METHOD;
static const amqp_method_number_t MP_CHANNEL_CLOSE_OK = AMQP_CHANNEL_CLOSE_OK_METHOD;
static const amqp_method_number_t MP_BASIC_DELIVER = AMQP_BASIC_DELIVER_METHOD;
static const amqp_method_number_t MP_BASIC_RETURN = AMQP_BASIC_RETURN_METHOD;
static const amqp_method_number_t MP_BASIC_ACK = AMQP_BASIC_ACK_METHOD;
static const amqp_method_number_t MP_BASIC_NACK = AMQP_BASIC_NACK_METHOD;
static const amqp_method_number_t MP_BASIC_CANCEL = AMQP_BASIC_CANCEL_METHOD;
static const amqp_method_number_t MP_BASIC_CANCEL_OK = AMQP_BASIC_CANCEL_OK_METHOD;
static const amqp_method_number_t MP_BASIC_CONSUME_OK = AMQP_BASIC_CONSUME_OK_METHOD;

/* An eventfd (non-blocking, close-on-exec) that wakes a connection's owner thread from poll(2). */
int mp_wake_descriptor(void);

/* curl_easy_setopt is variadic: one wrapper per argument type. */
CURLcode mp_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode mp_curl_setopt_offset(CURL *handle, CURLoption option, curl_off_t value);
CURLcode mp_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode mp_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
/* Callbacks, typed (curl_easy_setopt takes them through varargs). */
CURLcode mp_curl_set_write_callback(CURL *handle, curl_write_callback callback, void *userdata);
CURLcode mp_curl_set_header_callback(CURL *handle, curl_write_callback callback, void *userdata);
CURLcode mp_curl_set_read_callback(CURL *handle, curl_read_callback callback, void *userdata);
/* Called each time libcurl is about to send the request on a connection (its own retries included). */
CURLcode mp_curl_set_prereq_callback(CURL *handle, curl_prereq_callback callback, void *userdata);
/* curl_easy_getinfo is variadic too. */
CURLcode mp_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
/* curl_multi_setopt likewise. */
CURLMcode mp_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// A read-only IMAP session of its own (see imap_peek.c). `examine_folder` is the command that
/// selects the folder, e.g. `EXAMINE "INBOX"`. NULL on failure, with `code` and `error` set.
struct mp_imap_reader;
struct mp_imap_reader *mp_imap_reader_open(const char *url, const char *user, const char *password, const char *ca_file,
                                           int require_tls, const char *examine_folder, long connect_timeout_ms,
                                           long stall_ms, CURLcode *code, char *error, size_t error_length);
/// `UID FETCH uid BODY.PEEK[]`, the message written to `fd`, its size stored in `size`.
CURLcode mp_imap_reader_peek(struct mp_imap_reader *reader, unsigned long long uid, int fd, long long *size, char *error,
                             size_t error_length);
/// Logs out and frees the session.
void mp_imap_reader_close(struct mp_imap_reader *reader);

#endif
