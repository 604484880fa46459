# How every mailpool container on this machine runs, for the scripts that source this file
# (containers.sh, cluster-chaos.sh): detached, with runc (crun refuses this machine's hybrid cgroups),
# the host's network (the brokers are on loopback or on the cluster's bridge), a read-only root and
# lower ulimits.
container=(podman run -d --runtime runc --network host --read-only --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
