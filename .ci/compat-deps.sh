#!/usr/bin/env bash
# Fetches what the compatibility builds need, from Debian's own archive, into a cache folder
# (never into the machine's apt sources or installed packages):
#   <cache>/googletest-<v>/usr/src/googletest   GoogleTest sources (trixie 1.16, sid 1.18)
#   <cache>/boost-<v>/usr/include               complete Boost header trees (trixie 1.83, sid 1.90)
#   <cache>/boost-<v>-url-src                   Boost.URL's libs/url/src from the boost source package
#   <cache>/libcxx/usr/lib/llvm-14              Debian 12's libc++ 14 (headers and libraries)
# Prints nothing on success but the cache path. Safe to run again: what is there is kept.
#   .ci/compat-deps.sh <cache>
set -euo pipefail
cache=$(mkdir -p "$1" && cd "$1" && pwd)
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
# The same archive the machine's apt uses (deb.debian.org unless configured otherwise).
mirror=$(grep -rhE "^[[:space:]]*(URIs:|deb )" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
  grep -oE "https?://[^ ]+/debian/?( |$)" | grep -v security | head -1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
mirror=${mirror%/}
cat >"$apt_dir/sources.list" <<LIST
deb [signed-by=$keyring] $mirror trixie main
deb [signed-by=$keyring] $mirror sid main
deb-src [signed-by=$keyring] $mirror trixie main
deb-src [signed-by=$keyring] $mirror sid main
deb [signed-by=$keyring] $mirror bookworm main
LIST
apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir" -o Debug::NoLocking=1
          -o APT::Sandbox::User=root)
if [ ! -s "$apt_dir/updated" ]; then
  apt-get "${apt_opts[@]}" update -qq >/dev/null
  date >"$apt_dir/updated"
fi
fetch_deb() {  # package version target-dir
  local pkg=$1 ver=$2 dir=$3
  [ -d "$dir/usr" ] && return 0
  (cd "$cache/debs" && apt-get "${apt_opts[@]}" download -qq "$pkg=$ver" >/dev/null)
  dpkg -x "$cache/debs/${pkg}_${ver//:/%3a}_"*.deb "$dir"
}
version_of() {  # package suite: the version the suite has
  apt-cache "${apt_opts[@]}" madison "$1" | awk -v s="$2" '$0 ~ s"/main" && $0 !~ /Sources/ {print $3; exit}'
}
for suite_ver in "trixie 1.16" "sid 1.18"; do
  set -- $suite_ver
  v=$(version_of googletest "$1")
  fetch_deb googletest "$v" "$cache/googletest-$2"
done
for suite_ver in "trixie 1.83" "sid 1.90"; do
  set -- $suite_ver
  v=$(version_of "libboost$2-dev" "$1")
  fetch_deb "libboost$2-dev" "$v" "$cache/boost-$2"
  if [ ! -d "$cache/boost-$2-url-src" ]; then
    tmp=$(mktemp -d "$cache/src.XXXXXX")
    (cd "$tmp" && apt-get "${apt_opts[@]}" source --download-only -qq "boost$2" >/dev/null 2>&1)
    tar -xJf "$tmp"/boost"$2"_*.orig.tar.xz -C "$tmp" --wildcards '*/libs/url/src/*'
    mv "$tmp"/boost*/libs/url/src "$cache/boost-$2-url-src"
    rm -rf "$tmp"
  fi
done
if [ ! -d "$cache/libcxx/usr/lib/llvm-14/include/c++/v1" ]; then
  for p in libc++-14-dev libc++1-14 libc++abi-14-dev libc++abi1-14 libunwind-14 libunwind-14-dev; do
    v=$(version_of "$p" bookworm)
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" download -qq "$p=$v" >/dev/null)
    dpkg -x "$cache/debs/${p}_${v//:/%3a}_"*.deb "$cache/libcxx"
  done
fi
echo "$cache"
