#!/usr/bin/env bash
# Installs what the lab needs from Debian. The four MTAs conflict (each provides
# mail-transport-agent), so Postfix is installed and the other three are fetched with
# `apt-get download` and unpacked into a private tree ($LAB_ROOT/pkg) that the lab lays over /usr,
# /etc and /var inside its own mount namespace. Idempotent: a second run only checks.
set -euo pipefail
LAB_ROOT=${LAB_ROOT:-/var/lib/ndr-lab}
PKG=$LAB_ROOT/pkg
export DEBIAN_FRONTEND=noninteractive

need_install=()
for p in postfix sasl2-bin libsasl2-modules m4 libevent-2.1-7 libgnutls-dane0 libidn12 \
         libldap-2.5-0 liblockfile1 libwrap0 libdb5.3 libpcre2-8-0 iproute2 openssl util-linux; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_install+=("$p")
done
if ((${#need_install[@]})); then
  # Package scripts must not start services: there is no init here and the lab starts its own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${need_install[@]}" >/dev/null
fi

if [ ! -e "$PKG/.done" ]; then
  rm -rf "$PKG" "$LAB_ROOT/debs" && mkdir -p "$PKG" "$LAB_ROOT/debs"
  (cd "$LAB_ROOT/debs" && apt-get download -qq exim4-daemon-light exim4-base exim4-config \
      opensmtpd sendmail-bin sendmail-base sendmail-cf >/dev/null)
  for d in "$LAB_ROOT"/debs/*.deb; do dpkg-deb -x "$d" "$PKG"; done
  touch "$PKG/.done"
fi
echo "lab: packages ready in $PKG"
