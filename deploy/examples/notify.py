#!/usr/bin/env python3
"""Enqueue a notification for mailpool from Python with pika, with a publisher confirm.

    python3 deploy/examples/notify.py amqp://guest:guest@127.0.0.1:5672/%2f buyer@customer.example
"""
import json
import sys
import uuid

import pika

url, recipient = sys.argv[1], sys.argv[2]
notification = {
    "id": sys.argv[3] if len(sys.argv) > 3 else str(uuid.uuid4()),  # idempotency key
    "to": [{"address": recipient, "name": "Buyer"}],
    "subject": "Corrective action request CAR-1042",
    "text": "Please respond to CAR-1042 within 10 days.",
    "html": "<p>Please respond to <b>CAR-1042</b> within 10 days.</p>",
    "importance": "high",
    "correlation": {"car": "CAR-1042", "supplier": "S-77"},
}
connection = pika.BlockingConnection(pika.URLParameters(url))
channel = connection.channel()
channel.confirm_delivery()  # basic_publish raises if the broker does not confirm
channel.basic_publish(
    exchange="",
    routing_key="mailpool.notifications",
    body=json.dumps(notification),
    properties=pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=notification["id"]),
    mandatory=True,
)
connection.close()
print("enqueued", notification["id"])
