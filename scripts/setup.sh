#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install what sipline needs to build, test and run on Debian 12.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

PACKAGES=(
    # build
    build-essential meson ninja-build pkg-config
    # libraries (pkg-config names in meson.build)
    libdpdk-dev dpdk dpdk-dev libhyperscan-dev libssl-dev libcmocka-dev
    libpcre2-dev libjansson-dev libsodium-dev libnuma-dev libpcap-dev libbsd-dev
    # readiness and stop notices to systemd (Type=notify units)
    libsystemd-dev
    # control plane: store (SQLite, WAL) and metrics endpoint (HTTP)
    libsqlite3-dev libmicrohttpd-dev
    # control plane: gateway names (RFC 3263) resolved asynchronously
    libc-ares-dev
    # fuzzing and sanitizers
    clang llvm libclang-rt-14-dev
    # integration tests, demo, benchmarks
    iproute2 ethtool sip-tester kamailio tshark python3 procps psmisc
    # TLS tests: the test PKI made with the openssl CLI (tests/integration/lib_tls.sh)
    openssl
    # control plane tests: the metrics endpoint read with curl, checked by promtool
    curl prometheus util-linux
    # DNS server of the gateway-names test (dnsmasq-base: the binary only, no
    # system service that would start and take port 53)
    dnsmasq-base
)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run as root (or install them with apt-get) and try again" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
