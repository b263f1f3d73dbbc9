#!/usr/bin/env bash
# Installs the build dependencies on Debian 12 when they are missing (needs root or sudo).
set -euo pipefail
pkgs=(cmake g++ make libgtest-dev libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev
      libbenchmark-dev clang clang-format clang-tidy ${GTEST_TMS_EXTRA_PKGS:-})
command -v node >/dev/null 2>&1 || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

