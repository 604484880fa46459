#ifndef MAILPOOL_CRABBITMQ_SHIM_H
#define MAILPOOL_CRABBITMQ_SHIM_H
/* rabbitmq-c 0.11 as packaged by Debian (librabbitmq-dev) installs its headers at the top of the include path. */
#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <amqp_ssl_socket.h>
#endif
