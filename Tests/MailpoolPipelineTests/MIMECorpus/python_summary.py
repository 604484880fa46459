#!/usr/bin/env python3
"""What Python's email package (policy.default) reports for each message file given: the reference
the MIME corpus test compares mailpool's MIMESummary against. Prints one JSON object, by file name.

Attachments are the leaf parts (multipart/* is descended into; message/rfc822 is a leaf) that have a
filename and are not Content-Disposition: inline. Their size is the decoded body in octets, with line
ends counted as CRLF for text that is not base64 (as on the wire)."""
import email
import email.policy
import json
import sys


def addresses(header):
    if header is None:
        return []
    try:
        return [{"name": a.display_name or None, "address": a.addr_spec} for a in header.addresses if a.addr_spec]
    except Exception:
        return []


def leaves(part):
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for child in part.get_payload():
            yield from leaves(child)
    else:
        yield part


def size(part):
    encoding = (part.get("content-transfer-encoding") or "").strip().lower()
    if part.is_multipart():  # message/rfc822: the embedded message as written
        body = part.get_payload(0).as_bytes(policy=email.policy.default.clone(linesep="\n"))
        return len(body) + body.count(b"\n")
    body = part.get_payload(decode=True) or b""
    return len(body) if encoding == "base64" else len(body) + body.count(b"\n")


def summary(path):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    date = None
    try:
        parsed = msg["date"].datetime if msg["date"] is not None else None
        if parsed is not None and parsed.tzinfo is not None:
            date = parsed.timestamp()
    except Exception:
        date = None
    attachments = []
    for part in leaves(msg):
        if part is msg:
            continue
        name = part.get_filename()
        if name is None or part.get_content_disposition() == "inline":
            continue
        attachments.append({"name": name, "contentType": part.get_content_type(), "size": size(part)})
    subject = msg["subject"]
    from_ = addresses(msg["from"])
    return {
        "subject": str(subject) if subject is not None else "",
        "from": from_[0] if from_ else None,
        "to": addresses(msg["to"]),
        "cc": addresses(msg["cc"]),
        "date": date,
        "attachments": attachments,
    }


print(json.dumps({path.rsplit("/", 1)[-1]: summary(path) for path in sys.argv[1:]}, indent=1, sort_keys=True))
