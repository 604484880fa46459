// A read-only IMAP session on a connection of its own, for fetching messages with BODY.PEEK[], which
// libcurl's IMAP URLs cannot do (they FETCH BODY[], which sets \Seen). libcurl connects, does TLS and
// logs in (CURLOPT_CONNECT_ONLY); the few commands after that are sent and read here. Blocking: call
// it off the async executors.
#include "mailpool_shims.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mp_imap_reader {
  CURL *easy;
  curl_socket_t socket;
  long stall_ms;
  char buffer[65536];
  size_t start, end;
  unsigned tag;
  char error[CURL_ERROR_SIZE];
};

static CURLcode fail(struct mp_imap_reader *reader, CURLcode code, const char *message) {
  snprintf(reader->error, sizeof reader->error, "%s", message);
  return code;
}

static CURLcode wait_for(struct mp_imap_reader *reader, short events) {
  struct pollfd descriptor = {.fd = reader->socket, .events = events};
  int ready = poll(&descriptor, 1, (int)reader->stall_ms);
  if (ready == 0) return fail(reader, CURLE_OPERATION_TIMEDOUT, "the IMAP server stopped answering");
  return ready < 0 ? fail(reader, CURLE_RECV_ERROR, "poll failed") : CURLE_OK;
}

static CURLcode send_all(struct mp_imap_reader *reader, const char *text) {
  size_t length = strlen(text), sent = 0;
  while (sent < length) {
    size_t count = 0;
    CURLcode code = curl_easy_send(reader->easy, text + sent, length - sent, &count);
    if (code == CURLE_AGAIN) {
      if ((code = wait_for(reader, POLLOUT)) != CURLE_OK) return code;
      continue;
    }
    if (code != CURLE_OK) return fail(reader, code, "the connection to the IMAP server failed while sending");
    sent += count;
  }
  return CURLE_OK;
}

/// Reads more bytes into the buffer (moving what is unread to its start).
static CURLcode fill(struct mp_imap_reader *reader) {
  if (reader->start > 0) {
    memmove(reader->buffer, reader->buffer + reader->start, reader->end - reader->start);
    reader->end -= reader->start;
    reader->start = 0;
  }
  if (reader->end == sizeof reader->buffer) return fail(reader, CURLE_WEIRD_SERVER_REPLY, "an IMAP reply line is too long");
  for (;;) {
    size_t count = 0;
    CURLcode code = curl_easy_recv(reader->easy, reader->buffer + reader->end, sizeof reader->buffer - reader->end, &count);
    if (code == CURLE_AGAIN) {
      if ((code = wait_for(reader, POLLIN)) != CURLE_OK) return code;
      continue;
    }
    if (code != CURLE_OK) return fail(reader, code, "the connection to the IMAP server failed while receiving");
    if (count == 0) return fail(reader, CURLE_RECV_ERROR, "the IMAP server closed the connection");
    reader->end += count;
    return CURLE_OK;
  }
}

/// The next line, CRLF removed and NUL-terminated in place.
static CURLcode read_line(struct mp_imap_reader *reader, char **line) {
  for (;;) {
    char *newline = memchr(reader->buffer + reader->start, '\n', reader->end - reader->start);
    if (newline) {
      *line = reader->buffer + reader->start;
      reader->start = (size_t)(newline - reader->buffer) + 1;
      if (newline > *line && newline[-1] == '\r') newline[-1] = '\0';
      *newline = '\0';
      return CURLE_OK;
    }
    CURLcode code = fill(reader);
    if (code != CURLE_OK) return code;
  }
}

/// Sends `tag command` and reads the replies up to the tagged one. When `fd` is not negative, a literal
/// in an untagged reply ({N} at the end of its line) is written to it and its length stored in
/// `literal`.
static CURLcode command(struct mp_imap_reader *reader, const char *text, int fd, long long *literal) {
  char line[512], tag[16];
  snprintf(tag, sizeof tag, "m%u", ++reader->tag);
  snprintf(line, sizeof line, "%s %s\r\n", tag, text);
  CURLcode code = send_all(reader, line);
  size_t tag_length = strlen(tag);
  while (code == CURLE_OK) {
    char *reply;
    if ((code = read_line(reader, &reply)) != CURLE_OK) return code;
    if (strncmp(reply, tag, tag_length) == 0 && reply[tag_length] == ' ') {
      if (strncmp(reply + tag_length + 1, "OK", 2) == 0) return CURLE_OK;
      snprintf(reader->error, sizeof reader->error, "the IMAP server refused %s: %.200s", text, reply + tag_length + 1);
      return CURLE_QUOTE_ERROR;
    }
    size_t length = strlen(reply);
    if (fd < 0 || reply[0] != '*' || length < 3 || reply[length - 1] != '}') continue;
    char *open = strrchr(reply, '{');
    long long size = open ? strtoll(open + 1, NULL, 10) : -1;
    if (size < 0) continue;
    *literal = size;
    while (size > 0) {
      if (reader->start == reader->end && (code = fill(reader)) != CURLE_OK) return code;
      size_t available = reader->end - reader->start;
      size_t take = available < (size_t)size ? available : (size_t)size;
      for (size_t written = 0; written < take;) {
        ssize_t count = write(fd, reader->buffer + reader->start + written, take - written);
        if (count < 0) return fail(reader, CURLE_WRITE_ERROR, "cannot write the message to the store");
        written += (size_t)count;
      }
      reader->start += take;
      size -= (long long)take;
    }
  }
  return code;
}

struct mp_imap_reader *mp_imap_reader_open(const char *url, const char *user, const char *password, const char *ca_file,
                                           int require_tls, const char *examine_folder, long connect_timeout_ms,
                                           long stall_ms, CURLcode *code, char *error, size_t error_length) {
  struct mp_imap_reader *reader = calloc(1, sizeof *reader);
  reader->easy = curl_easy_init();
  reader->stall_ms = stall_ms;
  curl_easy_setopt(reader->easy, CURLOPT_URL, url);
  curl_easy_setopt(reader->easy, CURLOPT_USERNAME, user);
  curl_easy_setopt(reader->easy, CURLOPT_PASSWORD, password);
  curl_easy_setopt(reader->easy, CURLOPT_USE_SSL, (long)(require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  if (ca_file) curl_easy_setopt(reader->easy, CURLOPT_CAINFO, ca_file);
  curl_easy_setopt(reader->easy, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(reader->easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(reader->easy, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
  curl_easy_setopt(reader->easy, CURLOPT_ERRORBUFFER, reader->error);
  *code = curl_easy_perform(reader->easy);
  if (*code == CURLE_OK) *code = curl_easy_getinfo(reader->easy, CURLINFO_ACTIVESOCKET, &reader->socket);
  if (*code == CURLE_OK) *code = command(reader, examine_folder, -1, NULL);
  if (*code != CURLE_OK) {
    snprintf(error, error_length, "%s", reader->error[0] ? reader->error : curl_easy_strerror(*code));
    mp_imap_reader_close(reader);
    return NULL;
  }
  return reader;
}

CURLcode mp_imap_reader_peek(struct mp_imap_reader *reader, unsigned long long uid, int fd, long long *size, char *error,
                             size_t error_length) {
  char text[96];
  snprintf(text, sizeof text, "UID FETCH %llu BODY.PEEK[]", uid);
  *size = -1;
  reader->error[0] = '\0';
  CURLcode code = command(reader, text, fd, size);
  if (code == CURLE_OK && *size < 0) {
    snprintf(reader->error, sizeof reader->error, "no message with UID %llu", uid);
    code = CURLE_REMOTE_FILE_NOT_FOUND;
  }
  if (code != CURLE_OK) snprintf(error, error_length, "%s", reader->error[0] ? reader->error : curl_easy_strerror(code));
  return code;
}

void mp_imap_reader_close(struct mp_imap_reader *reader) {
  if (!reader) return;
  if (reader->socket > 0) (void)send_all(reader, "z LOGOUT\r\n");
  curl_easy_cleanup(reader->easy);
  free(reader);
}
