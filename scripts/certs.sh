#!/usr/bin/env bash
# Development PKI for krake-api's TLS listeners and client-certificate users.
#
#   scripts/certs.sh [DIR]                      a CA, a server certificate for localhost/127.0.0.1/::1 and
#                                               one client certificate per bootstrap user (default DIR: .certs)
#   scripts/certs.sh DIR client NAME [GROUP...] one more client certificate signed by DIR's CA:
#                                               CN=NAME (the user), one O per GROUP
#
# Files: ca.pem ca-key.pem server.pem server-key.pem <name>.pem <name>-key.pem, where <name> is the
# user name with every character but letters, digits, '.', '_' and '-' replaced by '-'
# (system:admin → system-admin.pem). EC P-256 keys, SHA-256.
# Existing files are kept, so re-running is harmless; delete DIR to start over. Development only:
# the CA key sits next to the certificates.
set -euo pipefail
command -v openssl >/dev/null || { echo "certs.sh: openssl is missing (apt-get install -y openssl)" >&2; exit 1; }

dir=${1:-.certs}
days=${CERT_DAYS:-825}
mkdir -p "$dir"
chmod 700 "$dir"

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; chmod 600 "$1"; }
file_name() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '-'; }

ensure_ca() {
  [ -f "$dir/ca.pem" ] && return
  new_key "$dir/ca-key.pem"
  openssl req -x509 -new -key "$dir/ca-key.pem" -sha256 -days "$days" -subj "/CN=Krake development CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
}

# sign NAME SUBJECT EXTENSIONS: a key and a certificate signed by the CA
sign() {
  local base=$1 subject=$2 ext=$3
  [ -f "$dir/$base.pem" ] && return
  new_key "$dir/$base-key.pem"
  local extfile
  extfile=$(mktemp)
  printf '%s\n' "$ext" >"$extfile"
  openssl req -new -key "$dir/$base-key.pem" -subj "$subject" -out "$dir/$base.csr"
  openssl x509 -req -in "$dir/$base.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -sha256 -days "$days" -extfile "$extfile" -out "$dir/$base.pem" 2>/dev/null
  rm -f "$dir/$base.csr" "$extfile"
}

# A subject with CN=name and one O per group; '/', ',', '+', '=' and '\' in values are escaped for -subj.
subject_of() {
  local esc subject
  esc() { printf '%s' "$1" | sed -e 's/[\\/,+=]/\\&/g'; }
  subject="/CN=$(esc "$1")"
  shift
  for g in "$@"; do subject+="/O=$(esc "$g")"; done
  printf '%s' "$subject"
}

client() {
  local name=$1
  shift
  sign "$(file_name "$name")" "$(subject_of "$name" "$@")" \
    "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
}

ensure_ca
if [ "${2:-}" = client ]; then
  [ -n "${3:-}" ] || { echo "usage: certs.sh DIR client NAME [GROUP...]" >&2; exit 2; }
  client "${@:3}"
  echo "$dir/$(file_name "$3").pem"
  exit 0
fi
sign server "/CN=krake-api" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
for user in system:admin system:gc system:scheduler system:kubernetes-application system:kubernetes-cluster \
  system:complete-hook system:shutdown-hook; do
  client "$user" system:krake
done
echo "Development certificates in $dir/: ca.pem, server.pem (+ -key.pem), and one client certificate per bootstrap user"
