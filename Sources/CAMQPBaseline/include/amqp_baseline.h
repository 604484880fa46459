#ifndef MAILPOOL_AMQP_BASELINE_H
#define MAILPOOL_AMQP_BASELINE_H
/*
 * The same work as the Swift benchmark, written directly against rabbitmq-c, so that the Swift
 * client's throughput is compared with plain C on the same machine in the same run.
 * Each returns messages per second, or a negative rabbitmq-c status on failure.
 */

/* Publishes `count` persistent messages of `body_size` bytes to `queue` through the default exchange
 * with publisher confirms, keeping at most `window` unconfirmed (1 = wait for each confirm). */
double mp_baseline_publish(const char *host, int port, const char *queue, int count, int body_size, int window);

/* Consumes `count` messages from `queue` with the given prefetch, acknowledging each one. */
double mp_baseline_consume(const char *host, int port, const char *queue, int count, int prefetch);

#endif
