#!/usr/bin/env bash
# Builds localhost/mailpool:local with podman, without a registry: the base image is Debian bookworm
# from Debian's own packages (debootstrap, imported once as localhost/debian:bookworm), and the
# binaries are this machine's build with the Swift runtime linked in. The runtime stage is
# deploy/Dockerfile's own (BINARIES=prebuilt). Prints the image's size.
#
# MAILPOOL_CONFIGURATION=release (the default) builds the image users get. =debug links the debug
# build the test command has already compiled instead: the same code, unoptimized, in a larger image,
# without the 12 minutes a release build from scratch takes on CI's 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH

configuration=${MAILPOOL_CONFIGURATION:-release}
case $configuration in
  release) flags=(-c release --static-swift-stdlib) ;;
  debug) flags=(--static-swift-stdlib) ;;
  *) echo "MAILPOOL_CONFIGURATION is release or debug, not $configuration" >&2; exit 2 ;;
esac
# What the image is built from: the sources, Package.swift and the Dockerfile as they are in the
# working tree (committed, changed or new), and the configuration. An image labelled with the same
# fingerprint is already this build (the test command's chaos suite after its container run), so it
# is kept instead of relinking both executables and building it again.
fingerprint=$( { git rev-parse HEAD:Sources HEAD:Package.swift HEAD:deploy/Dockerfile
                 git diff HEAD -- Sources Package.swift deploy/Dockerfile
                 git ls-files --others --exclude-standard -z -- Sources | xargs -0r sha256sum
                 echo "$configuration"; } | sha256sum | cut -c1-32) || fingerprint=none   # not a git checkout
size() { podman image inspect --format '{{.Size}}' localhost/mailpool:local | awk '{printf "%.1f MB", $1 / 1e6}'; }
if [ "$fingerprint" != none ] &&
   [ "$(podman image inspect --format '{{index .Labels "mailpool.fingerprint"}}' localhost/mailpool:local 2>/dev/null)" = "$fingerprint" ]; then
  echo "localhost/mailpool:local ($configuration build): $(size), already built from these sources"
  exit 0
fi

if ! podman image exists localhost/debian:bookworm; then
  root=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$root" >"$root.log" 2>&1 || { tail -20 "$root.log"; exit 1; }
  # Slim, as debian:bookworm-slim is: no package cache or lists, and no documentation or translations,
  # now or from later installs.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* "$root"/usr/share/info/*
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-exclude /usr/share/man/*' 'path-exclude /usr/share/locale/*' \
    'path-exclude /usr/share/info/*' >"$root/etc/dpkg/dpkg.cfg.d/slim"
  tar -C "$root" -c . | podman import - localhost/debian:bookworm >/dev/null
  rm -rf "$root" "$root.log"
fi

# An executable's own module is compiled differently for a static Swift runtime (its objects name the
# static libraries to link), and SwiftPM does not notice a debug build switching between the two: the
# objects of those two modules go before the static link and after it, so each link compiles its own.
# Run `swift build` after changing sources and before a debug image: a changed module compiled first
# by the static link keeps objects that break the next shared link (`cannot find -lCoreFoundation`;
# delete the objects that name it). The test command builds shared first.
forget_executables() { [ "$configuration" = release ] || rm -f .build/debug/mailpool.build/*.o .build/debug/mailpool_sandbox.build/*.o; }
forget_executables
for product in mailpool mailpool-sandbox; do swift build "${flags[@]}" --product "$product"; done
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
cp ".build/$configuration/mailpool" ".build/$configuration/mailpool-sandbox" "$context/"
forget_executables
strip "$context/mailpool" "$context/mailpool-sandbox"
podman build --quiet --format docker --runtime runc --network host --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  --build-arg BINARIES=prebuilt --build-arg RUNTIME_BASE=localhost/debian:bookworm \
  --label "mailpool.fingerprint=$fingerprint" -f deploy/Dockerfile -t localhost/mailpool:local "$context" >/dev/null
echo "localhost/mailpool:local ($configuration build): $(size)"
