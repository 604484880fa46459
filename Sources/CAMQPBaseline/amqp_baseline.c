#include "amqp_baseline.h"

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static amqp_connection_state_t open_connection(const char *host, int port) {
  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t *socket = amqp_tcp_socket_new(conn);
  if (socket == NULL || amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) {
    amqp_destroy_connection(conn);
    return NULL;
  }
  amqp_rpc_reply_t reply = amqp_login(conn, "/", 0, 131072, 30, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
  if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
    amqp_destroy_connection(conn);
    return NULL;
  }
  amqp_channel_open(conn, 1);
  if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
    amqp_destroy_connection(conn);
    return NULL;
  }
  return conn;
}

static void close_connection(amqp_connection_state_t conn) {
  amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
}

/* Reads frames until a basic.ack/nack arrives; returns the highest sequence number it settles. */
static int wait_confirm(amqp_connection_state_t conn, uint64_t *settled) {
  for (;;) {
    amqp_frame_t frame;
    int status = amqp_simple_wait_frame(conn, &frame);
    if (status != AMQP_STATUS_OK) return status;
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
      *settled = ((amqp_basic_ack_t *)frame.payload.method.decoded)->delivery_tag;
      amqp_maybe_release_buffers(conn);
      return AMQP_STATUS_OK;
    }
    if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
      *settled = ((amqp_basic_nack_t *)frame.payload.method.decoded)->delivery_tag;
      amqp_maybe_release_buffers(conn);
      return AMQP_STATUS_OK;
    }
  }
}

double mp_baseline_publish(const char *host, int port, const char *queue, int count, int body_size, int window) {
  amqp_connection_state_t conn = open_connection(host, port);
  if (conn == NULL) return -1;
  amqp_confirm_select(conn, 1);
  if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
    close_connection(conn);
    return -1;
  }
  char *body = malloc((size_t)body_size);
  memset(body, 'x', (size_t)body_size);
  amqp_bytes_t payload = {(size_t)body_size, body};
  amqp_basic_properties_t props;
  props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.delivery_mode = 2;

  double start = now_seconds();
  uint64_t published = 0, confirmed = 0;
  int status = AMQP_STATUS_OK;
  while (confirmed < (uint64_t)count && status == AMQP_STATUS_OK) {
    while (published < (uint64_t)count && published - confirmed < (uint64_t)window && status == AMQP_STATUS_OK) {
      status = amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &props, payload);
      published++;
    }
    if (status == AMQP_STATUS_OK) {
      uint64_t settled = confirmed;
      status = wait_confirm(conn, &settled);
      if (settled > confirmed) confirmed = settled;
    }
  }
  double elapsed = now_seconds() - start;
  free(body);
  close_connection(conn);
  return status == AMQP_STATUS_OK ? (double)count / elapsed : status;
}

double mp_baseline_consume(const char *host, int port, const char *queue, int count, int prefetch) {
  amqp_connection_state_t conn = open_connection(host, port);
  if (conn == NULL) return -1;
  amqp_basic_qos(conn, 1, 0, (uint16_t)prefetch, 0);
  amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
    close_connection(conn);
    return -1;
  }
  double start = now_seconds();
  int received = 0;
  int status = AMQP_STATUS_OK;
  while (received < count) {
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, NULL, 0);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) {
      status = reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION ? reply.library_error : -1;
      break;
    }
    status = amqp_basic_ack(conn, 1, envelope.delivery_tag, 0);
    amqp_destroy_envelope(&envelope);
    if (status != AMQP_STATUS_OK) break;
    received++;
  }
  double elapsed = now_seconds() - start;
  close_connection(conn);
  return status == AMQP_STATUS_OK ? (double)count / elapsed : status;
}
