#!/usr/bin/env bash
# A throwaway SoftHSM2 token for the PKCS#11 tests, from Debian's softhsm2 package.
#   eval "$(scripts/softhsm-token.sh DIR)"   # exports SOFTHSM2_CONF and LKM_TEST_PKCS11_*
set -euo pipefail
dir=${1:?directory}
if ! command -v softhsm2-util >/dev/null 2>&1; then
  echo "installing softhsm2" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
fi
module=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -n 1)
mkdir -p "$dir/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$dir" > "$dir/softhsm2.conf"
pin=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free --label lkm-test --so-pin "so-$pin" --pin "$pin" >/dev/null
echo "export SOFTHSM2_CONF='$dir/softhsm2.conf' LKM_TEST_PKCS11_MODULE='$module' LKM_TEST_PKCS11_TOKEN=lkm-test LKM_TEST_PKCS11_PIN='$pin'"
