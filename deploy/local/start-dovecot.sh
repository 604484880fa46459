#!/usr/bin/env bash
# Starts Debian's Dovecot (IMAP and POP3) on loopback for the tests, with TLS from the throw-away CA
# that start-rabbitmq.sh made: IMAPS 127.0.0.1:10993, IMAP+STARTTLS 10143, POP3S 10995, POP3+STLS 10110.
# Any user name logs in with the password "mailpool-test" and gets a fresh maildir, so each test can
# use mailboxes of its own. Idempotent.
set -euo pipefail
state=${MAILPOOL_LOCAL_STATE:-/var/tmp/mailpool}
dir="$state/dovecot"
tls="$state/tls"
[ -f "$tls/server.pem" ] || { echo "run start-rabbitmq.sh first (it makes the test CA)" >&2; exit 1; }
if [ -f "$dir/run/master.pid" ] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null; then
  exit 0
fi
mkdir -p "$dir/run" "$dir/mail"
chown mail:mail "$dir/mail"
cat >"$dir/dovecot.conf" <<CONF
protocols = imap pop3
listen = 127.0.0.1
base_dir = $dir/run
log_path = $dir/dovecot.log
ssl = yes
ssl_cert = <$tls/server.pem
ssl_key = <$tls/server.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=mailpool-test
}
userdb {
  driver = static
  args = uid=mail gid=mail home=$dir/mail/%u
}
mail_location = maildir:~/Maildir
first_valid_uid = 1
namespace inbox {
  inbox = yes
  separator = /
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = 10143
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 10993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = 10110
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = 10995
    ssl = yes
  }
}
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
CONF
dovecot -c "$dir/dovecot.conf"
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/10993) 2>/dev/null && break
  sleep 0.1
done
echo "Dovecot is up: IMAPS 127.0.0.1:10993, POP3S 127.0.0.1:10995 (STARTTLS on 10143, 10110)"
