#!/usr/bin/env bash
# One line naming what a benchmark ran on: the distribution, the kernel and the
# versions that move its figures (OpenSSL, Boost, g++, CPython, Go), for the
# header of each result file. BENCH_WHERE, when set, says where that system ran
# (bench/debian13.sh: "in the asyncfetch-deps image on a Debian 12 host").
set -uo pipefail

# shellcheck disable=SC1091
os=$( . /etc/os-release 2>/dev/null && echo "${NAME%% *} ${VERSION_ID:-?}${VERSION_CODENAME:+ ($VERSION_CODENAME)}" )
[[ -n ${BENCH_WHERE:-} ]] && os+=" $BENCH_WHERE"
parts=("${os:-unknown system}, Linux $(uname -r)")
if command -v openssl >/dev/null; then
  parts+=("$(openssl version | awk '{print $1, $2}')")
fi
boost=$(sed -n 's/^#define BOOST_LIB_VERSION "\(.*\)"/\1/p' /usr/include/boost/version.hpp 2>/dev/null | tr _ .)
[[ -n $boost ]] && parts+=("Boost $boost")
command -v g++ >/dev/null && parts+=("g++ $(g++ -dumpfullversion)")
[[ -x /usr/bin/python3 ]] && parts+=("CPython $(/usr/bin/python3 -c 'import platform; print(platform.python_version())')")
command -v go >/dev/null && parts+=("Go $(go env GOVERSION 2>/dev/null | sed 's/^go//')")
line=$(IFS=';'; echo "${parts[*]}")
echo "${line//;/, }"
