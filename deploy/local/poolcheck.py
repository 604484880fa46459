#!/usr/bin/env python3
"""Drives and checks a running pool from outside, for the container and chaos scripts.

    poolcheck.py configure DIR SANDBOX --mailboxes a@x,b@x --sender S --secret JSON
    poolcheck.py seed SANDBOX --mailboxes a@x,b@x --count N --prefix P
    poolcheck.py enqueue AMQP_URL --count N --prefix P [--account NAME]
    poolcheck.py wait SANDBOX AMQP_URL --mailboxes a@x,b@x --messages N --sender S --notifications N --prefix P --timeout SECONDS [--node NODES]
    poolcheck.py verify SANDBOX AMQP_URL --mailboxes a@x,b@x --messages N --sender S --notifications N --prefix P [--node NODES]
    poolcheck.py progress SANDBOX AMQP_URL --mailboxes a@x,b@x --messages N --sender S --notifications N --prefix P --timeout SECONDS

AMQP_URL may list a cluster's nodes, comma-separated: each is tried in turn, as mailpool does; `--node`
names every node of the cluster, each asked by rabbitmqctl for the queues it holds.
`configure` writes DIR/seed.json, the sandbox's tenant with the mailboxes and the sender, and
DIR/accounts.json, an inbound GRAPH account per mailbox and the notification sender, whose client
secret is the reference JSON (`{"env": NAME}` or `{"file": PATH}`) and whose Graph is the sandbox.
`wait` returns once every seeded message has left the Inboxes and an event for each is queued, the
sandbox has accepted every notification, and no notification waits in the work queue or on the retry
ladder; it prints the seconds that took. `verify` takes every event
from the events queue and reads what the sandbox sent, then prints one JSON row: lost and duplicated
ingests (events by dedupe key, and seeded subjects without an event), lost and duplicated sends
(notification IDs accepted by the sandbox), the dead letters, and the notifications still waiting in
the work queue or on the retry ladder (the workers must be stopped). A duplicated event is unmarked
when more than one of its copies lacks `possibleRepeat` (a worker publishes a second copy, marked,
only after its first publish went unconfirmed). It exits 1 on any loss, notification sent twice,
unmarked duplicated event, or notification still waiting after the drain. `progress`, called when a fault begins, returns once
the pool moves again: more events queued and more notifications sent than when it was called (a side
already complete counts as moving); it prints the seconds that took.
"""
import argparse
import concurrent.futures
import json
import pathlib
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pika

EVENTS_QUEUE = "mailpool.inbound.events"
NOTIFICATIONS_QUEUE = "mailpool.notifications"
DEAD_QUEUE = "mailpool.notifications.dead"


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


TENANT, CLIENT = "8f2c1d9e-4b7a-4c3e-9d21-5a6b7c8d9e0f", "3c9e2a71-6d54-4f08-b1a3-2e7f9c0d4b65"
# The sandbox's client secret (not a real one), from the file the compose file and the scripts share.
SANDBOX_SECRET = (pathlib.Path(__file__).resolve().parent.parent / "compose/secrets/graph-client-secret").read_text().strip()


def configure(args):
    seed = {"tokenLifetimeSeconds": 3599,
            "limits": {"enabled": False, "concurrentRequests": 4, "requestsPerTenMinutes": 10000, "messagesSentPerMinute": 30},
            "tenants": [{"id": TENANT, "apps": [{"clientId": CLIENT, "secrets": [{"value": SANDBOX_SECRET}],
                                                 "permissions": ["Mail.ReadWrite", "Mail.Send"]}],
                         "mailboxes": [{"address": address} for address in args.mailboxes + [args.sender]]}]}
    graph = {"protocol": "GRAPH", "active": True, "tenantId": TENANT, "clientId": CLIENT, "clientSecret": json.loads(args.secret),
             "authority": args.sandbox, "graphBaseURL": args.sandbox}
    accounts = [{"name": address.split("@")[0], "inbound": dict(graph, mailbox=address, pollIntervalSeconds=2, batchSize=25)}
                for address in args.mailboxes]
    accounts.append({"name": "Notifications", "useForNotification": True, "outbound": dict(graph, mailbox=args.sender)})
    for name, content in (("seed.json", seed), ("accounts.json", {"accounts": accounts})):
        with open(f"{args.directory}/{name}", "w") as file:
            json.dump(content, file, indent=1)


def seed(args):
    for mailbox in args.mailboxes:
        for index in range(args.count):
            message = {"subject": f"{args.prefix} {mailbox} {index}", "from": {"address": "lab@supplier.example"},
                       "to": [mailbox], "body": f"Certificate of analysis {index}"}
            if index % 3 == 0:
                message["attachments"] = [{"name": f"coa-{index}.pdf", "contentType": "application/pdf", "contentBase64": "JVBERi0xLjcK"}]
            http("POST", f"{args.sandbox}/_sandbox/mailboxes/{mailbox}/messages", message)
    print(f"seeded {args.count} messages into each of {len(args.mailboxes)} mailboxes")


def enqueue(args):
    connection = connect(args)
    channel = connection.channel()
    channel.confirm_delivery()
    for index in range(args.count):
        notification = {"id": f"{args.prefix}-{index}", "to": [{"address": "buyer@customer.example"}],
                        "subject": f"Notification {index}", "text": "Please respond within 10 days."}
        if args.account:
            notification["account"] = args.account
        channel.basic_publish(exchange="", routing_key=NOTIFICATIONS_QUEUE, body=json.dumps(notification), mandatory=True,
                              properties=pika.BasicProperties(content_type="application/json", delivery_mode=2,
                                                              message_id=notification["id"]))
    connection.close()
    print(f"enqueued {args.count} notifications")


answered = []  # the URL that answered last, tried first next time


def connect(args):
    """A connection to the first of the URLs that answers within a few seconds (a frozen or cut-off
    node would hold the default limits for tens of seconds), the one that answered last tried first."""
    errors = []
    urls = args.amqp.split(",")
    for url in answered + [url for url in urls if url not in answered]:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(url + "?socket_timeout=3&stack_timeout=6"))
            answered[:] = [url]
            return connection
        except Exception as failure:  # pika's connection errors are of several families (a handshake timeout is not an AMQPError)
            errors.append(f"{url.rsplit('@', 1)[-1]}: {failure!r}")
    raise pika.exceptions.AMQPConnectionError("; ".join(errors))


def queue_depth(channel, queue):
    return channel.queue_declare(queue=queue, passive=True).method.message_count


def inbox_total(args):
    total = 0
    for mailbox in args.mailboxes:
        folders = http("GET", f"{args.sandbox}/_sandbox/mailboxes/{mailbox}")["folders"]
        total += folders.get("inbox", {}).get("total", 0)
    return total


def sent_ids(args):
    ids = [record["internetMessageHeaders"].get("x-mailpool-notification-id", "")
           for record in http("GET", f"{args.sandbox}/_sandbox/mailboxes/{args.sender}/sent")]
    return [identifier for identifier in ids if identifier.startswith(args.prefix + "-")]


def notification_queues(args):
    """The work queue and the retry ladder's steps (today's `.delay.` quorum queues, and the `.retry.`
    classic TTL queues of earlier versions) with their messages, ready or unacked, as rabbitmqctl lists
    them. Each node lists the queues it leads or holds (`--local`): a node asked for every queue
    gathers the other nodes' rows at the CLI, which a node in a network namespace of its own cannot
    reach. Counts of quorum queues are refreshed every few seconds."""
    vhost = urllib.parse.unquote(urllib.parse.urlparse(args.amqp.split(",")[0]).path[1:]) or "/"
    queues = {}
    for node in args.node.split(","):
        for attempt in range(30):   # a node that has just rejoined may not list yet
            listing = subprocess.run(["rabbitmqctl", "-n", node, "list_queues", "-p", vhost, "name", "messages", "--local",
                                      "--quiet", "--no-table-headers"], capture_output=True, text=True)
            if listing.returncode == 0:
                break
            time.sleep(1)
        listing.check_returncode()
        output = listing.stdout
        for name, count in (line.split() for line in output.splitlines()):
            if name == NOTIFICATIONS_QUEUE or name.startswith((NOTIFICATIONS_QUEUE + ".delay.", NOTIFICATIONS_QUEUE + ".retry.")):
                queues[name] = int(count)
    return queues


def notifications_pending(args):
    """Notifications in the work queue and on the retry ladder: a copy of a sent notification may still
    be waiting to find out."""
    return sum(notification_queues(args).values())


def events_queued(args):
    """Events in their queue, or None when no node answers now (one may be down in a chaos scenario)."""
    try:
        connection = connect(args)
        events = queue_depth(connection.channel(), EVENTS_QUEUE)
        connection.close()
        return events
    except pika.exceptions.AMQPError:
        return None


def notifications_sent(args):
    """Distinct notifications the sandbox sent, or None when it cannot be read now."""
    try:
        return len(set(sent_ids(args)))
    except OSError:
        return None


def counts(args):
    """Events queued and distinct notifications sent; None for what cannot be read now."""
    return events_queued(args), notifications_sent(args)


def progress(args):
    """Prints the seconds until events and sends both flow again. Each is watched on a thread of its
    own: a broker node that is frozen or cut off makes every look at the events queue wait for a
    connection attempt to time out, which must not delay noticing the sends (read from the sandbox)."""
    started = time.monotonic()
    watches = {"events": (events_queued, args.messages * len(args.mailboxes)), "sends": (notifications_sent, args.notifications)}

    def watch(name):
        read, total = watches[name]
        before = read(args)
        while before is None or before < total:
            if time.monotonic() - started > args.timeout:
                return None
            time.sleep(0.2 if before is None else 0.5)
            now = read(args)
            if before is None:
                before = now
            elif now is not None and now > before:
                took = time.monotonic() - started
                print(f"{name} flow again after {took:.1f} s", file=sys.stderr)
                return took
        return 0.0

    with concurrent.futures.ThreadPoolExecutor(len(watches)) as pool:
        took = dict(zip(watches, pool.map(watch, watches)))
    stalled = [name for name, seconds in took.items() if seconds is None]
    if stalled:
        sys.exit(f"no progress after {args.timeout} s ({', '.join(stalled)})")
    print(f"{max(took.values()):.1f}")


def wait(args):
    started = time.monotonic()
    expected_events = args.messages * len(args.mailboxes)
    while True:
        state = {"inbox": None, "events": None, "sent": None, "pending": None}
        state["events"], state["sent"] = counts(args)
        try:
            state["inbox"] = inbox_total(args)
        except OSError:
            pass
        try:
            state["pending"] = notifications_pending(args)
        except subprocess.CalledProcessError:
            pass
        if (state["inbox"] == 0 and (state["events"] or 0) >= expected_events and state["sent"] == args.notifications
                and state["pending"] == 0):
            print(f"{time.monotonic() - started:.1f}")
            return
        if time.monotonic() - started > args.timeout:
            sys.exit(f"not done after {args.timeout} s: {state}")
        if int(time.monotonic() - started) % 15 == 0:
            print(f"{time.monotonic() - started:.0f} s: {state}", file=sys.stderr)
        time.sleep(1)


def verify(args):
    connection = connect(args)
    channel = connection.channel()
    keys, first_copies, event_subjects, subjects = [], [], [], set()
    while True:
        method, _, body = channel.basic_get(EVENTS_QUEUE, auto_ack=False)
        if method is None:
            break
        event = json.loads(body)
        keys.append(event["dedupeKey"])
        if not event.get("possibleRepeat"):
            first_copies.append(event["dedupeKey"])
        event_subjects.append(event["subject"])
        subjects.add(event["subject"])
        channel.basic_ack(method.delivery_tag)
    dead = queue_depth(channel, DEAD_QUEUE)
    # Exact counts (the workers are stopped, so every message is ready): rabbitmqctl only names them.
    waiting = sum(queue_depth(channel, queue) for queue in notification_queues(args))
    connection.close()
    seeded = {f"{args.prefix} {mailbox} {index}" for mailbox in args.mailboxes for index in range(args.messages)}
    sent = sent_ids(args)
    row = {
        "ingest_lost": len(seeded - subjects),
        "ingest_duplicated": len(keys) - len(set(keys)),
        "ingest_duplicated_unmarked": len(first_copies) - len(set(first_copies)),
        "send_lost": args.notifications - len(set(sent)),
        "send_duplicated": len(sent) - len(set(sent)),
        "notifications_waiting": waiting,
        "dead_letters": dead,
    }
    duplicated = sorted({subject for key, subject in zip(keys, event_subjects) if keys.count(key) > 1})
    if duplicated:
        row["duplicated_subjects"] = duplicated[:10]
    print(json.dumps(row))
    if (row["ingest_lost"] or row["ingest_duplicated_unmarked"] or row["send_lost"]
            or row["send_duplicated"] or waiting):
        sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    mailboxes = {"type": lambda text: text.split(","), "required": True}

    command = commands.add_parser("configure")
    command.add_argument("directory")
    command.add_argument("sandbox")
    command.add_argument("--mailboxes", **mailboxes)
    command.add_argument("--sender", required=True)
    command.add_argument("--secret", required=True, help='the accounts\' client secret reference, e.g. {"env": "NAME"}')
    command.set_defaults(run=configure)

    command = commands.add_parser("seed")
    command.add_argument("sandbox")
    command.add_argument("--mailboxes", **mailboxes)
    command.add_argument("--count", type=int, required=True)
    command.add_argument("--prefix", required=True)
    command.set_defaults(run=seed)

    command = commands.add_parser("enqueue")
    command.add_argument("amqp")
    command.add_argument("--count", type=int, required=True)
    command.add_argument("--prefix", required=True)
    command.add_argument("--account")
    command.set_defaults(run=enqueue)

    for name, run in (("wait", wait), ("verify", verify), ("progress", progress)):
        command = commands.add_parser(name)
        command.add_argument("sandbox")
        command.add_argument("amqp")
        command.add_argument("--mailboxes", **mailboxes)
        command.add_argument("--messages", type=int, required=True, help="messages seeded per mailbox")
        command.add_argument("--sender", required=True)
        command.add_argument("--notifications", type=int, required=True)
        command.add_argument("--prefix", required=True)
        if name != "verify":
            command.add_argument("--timeout", type=float, default=600)
        if name != "progress":
            command.add_argument("--node", default="rabbit@localhost", help="the broker nodes, for rabbitmqctl")
        command.set_defaults(run=run)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
