#!/usr/bin/env bash
# make-bad-certs.sh: negative and edge-case certificates for TLSChat tests.
#
# Usage: Tests/Fixtures/make-bad-certs.sh CA_PEM CA_KEY OUTDIR
#
# What it does: writes NAME.pem / NAME.key pairs (ECDSA P-256, SHA-256,
# random serials, keys mode 0600) into OUTDIR (created if missing):
#   other-ca           a second, unrelated self-signed CA
#   stranger           clientAuth client cert (CN stranger) issued by other-ca
#   expired            clientAuth client cert (CN expired), real CA, valid 2020-2021
#   selfsigned         self-signed, non-CA, clientAuth cert (CN mallory)
#   serveronly         real CA, CN eve, EKU serverAuth only (wrong EKU for a client)
#   noeku-client       real CA, CN noeku, no extendedKeyUsage extension at all
#   nosan-server       real CA, CN localhost, serverAuth, no subjectAltName
#   wronghost-server   real CA, SAN DNS:example.com only, serverAuth
#   expired-server     real CA, SAN localhost + 127.0.0.1, serverAuth, valid 2020-2021
#   clientonly-server  real CA, SAN localhost + 127.0.0.1, EKU clientAuth only
#   hostile-cn         real CA, clientAuth, CN "bad name<TAB>with ctl" (a real tab)
#   two-cn             real CA, clientAuth, subject /CN=mallory/CN=alice (two CNs)
#   hostile-utf8       real CA, clientAuth, CN "alice<U+202E>evil" (right-to-left override)
#   empty-subject      real CA, clientAuth, empty subject and no SAN
#   log-injector       real CA, clientAuth, subject with quotes, a backslash and
#                      "reason=forged name=root" (log field injection attempt)
#   ca-with-crl.pem    (no key) the real CA followed by an empty CRL it signed
# All leaves except the deliberate defects carry the same extensions as the
# certificates of Scripts/gen-certs (CA:FALSE, digitalSignature, SKI, AKI).
# What it does not do: touch CA_PEM/CA_KEY, install openssl, or write
# anything outside OUTDIR (scratch files live in a mktemp dir that is removed).
# Use a scratch OUTDIR, not Certs/. It prints one summary line on success.
set -euo pipefail

me="$(basename "$0")"
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }
(( $# == 3 )) || die "usage: $me CA_PEM CA_KEY OUTDIR"
CA_PEM="$1" CA_KEY="$2" OUT="$3"
command -v openssl >/dev/null 2>&1 || die "openssl not found (Debian: apt-get install openssl)"
[[ -r "$CA_PEM" ]] || die "cannot read CA certificate '$CA_PEM'"
[[ -r "$CA_KEY" ]] || die "cannot read CA key '$CA_KEY'"
ca_pub="$(openssl x509 -in "$CA_PEM" -noout -pubkey 2>/dev/null)" || die "'$CA_PEM' is not a PEM certificate"
key_pub="$(openssl pkey -in "$CA_KEY" -pubout 2>/dev/null)" || die "'$CA_KEY' is not a private key"
[[ "$ca_pub" == "$key_pub" ]] || die "'$CA_KEY' is not the key of '$CA_PEM'"
mkdir -p "$OUT" || die "cannot create '$OUT'"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
umask 077
count=0

ossl() {
  openssl "$@" >"$TMP/openssl.log" 2>&1 || { cat "$TMP/openssl.log" >&2; die "openssl $1 failed"; }
}
serial() { printf '0x%s' "$(openssl rand -hex 16)"; }
# cnf LINE...: an openssl config whose [v3] section holds the given lines.
cnf() { printf '%s\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' "$@" >"$TMP/ext.cnf"; }
newkey() { ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$OUT/$1.key"; chmod 600 "$OUT/$1.key"; }
done_pair() { chmod 644 "$OUT/$1.pem"; count=$((count + 1)); }

# selfsign NAME SUBJECT [-utf8]: self-signed cert with the [v3] lines of cnf.
selfsign() {
  newkey "$1"
  ossl req -x509 -new ${3:+"$3"} -key "$OUT/$1.key" -subj "$2" -days 825 -sha256 \
    -set_serial "$(serial)" -config "$TMP/ext.cnf" -extensions v3 -out "$OUT/$1.pem"
  done_pair "$1"
}
# sign NAME SUBJECT ISSUER_PEM ISSUER_KEY [-utf8]: cert issued by ISSUER.
sign() {
  newkey "$1"
  ossl req -new ${5:+"$5"} -key "$OUT/$1.key" -subj "$2" -config "$TMP/ext.cnf" -out "$TMP/$1.csr"
  ossl x509 -req -in "$TMP/$1.csr" -CA "$3" -CAkey "$4" -days 825 -sha256 \
    -set_serial "$(serial)" -extfile "$TMP/ext.cnf" -extensions v3 -out "$OUT/$1.pem"
  done_pair "$1"
}
# sign_past NAME SUBJECT: issued by the real CA, valid 2020-01-01..2021-01-01.
# `openssl x509 -req` cannot backdate on OpenSSL 3.0, so a throwaway
# `openssl ca` setup (database in $TMP) does it.
sign_past() {
  local db="$TMP/ca-$1"
  mkdir -p "$db"; : >"$db/index.txt"
  cat "$TMP/ext.cnf" - >"$db/ca.cnf" <<EOF
[ca]
default_ca = throwaway
[throwaway]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = any_cn
unique_subject = no
email_in_dn = no
[any_cn]
commonName = supplied
EOF
  newkey "$1"
  ossl req -new -key "$OUT/$1.key" -subj "$2" -config "$TMP/ext.cnf" -out "$TMP/$1.csr"
  ossl ca -batch -notext -config "$db/ca.cnf" -cert "$CA_PEM" -keyfile "$CA_KEY" \
    -in "$TMP/$1.csr" -out "$OUT/$1.pem" -rand_serial -startdate 20200101000000Z \
    -enddate 20210101000000Z -extfile "$db/ca.cnf" -extensions v3
  done_pair "$1"
}

LEAF=('basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature'
      'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid,issuer')
CLIENT='extendedKeyUsage=clientAuth'
SERVER='extendedKeyUsage=serverAuth'
LOCAL_SAN='subjectAltName=DNS:localhost,IP:127.0.0.1'

cnf 'basicConstraints=critical,CA:TRUE' 'keyUsage=critical,keyCertSign,cRLSign' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid:always'
selfsign other-ca "/CN=TLSChat Other CA"
cnf "${LEAF[@]}" "$CLIENT"
sign stranger /CN=stranger "$OUT/other-ca.pem" "$OUT/other-ca.key"
sign_past expired /CN=expired
cnf 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
    'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid:always' "$CLIENT"
selfsign selfsigned /CN=mallory
cnf "${LEAF[@]}" "$SERVER"
sign serveronly /CN=eve "$CA_PEM" "$CA_KEY"
cnf "${LEAF[@]}"
sign noeku-client /CN=noeku "$CA_PEM" "$CA_KEY"
cnf "${LEAF[@]}" "$SERVER"
sign nosan-server /CN=localhost "$CA_PEM" "$CA_KEY"
cnf "${LEAF[@]}" "$SERVER" 'subjectAltName=DNS:example.com'
sign wronghost-server /CN=example.com "$CA_PEM" "$CA_KEY"
cnf "${LEAF[@]}" "$SERVER" "$LOCAL_SAN"
sign_past expired-server /CN=localhost
cnf "${LEAF[@]}" "$CLIENT" "$LOCAL_SAN"
sign clientonly-server /CN=localhost "$CA_PEM" "$CA_KEY"
cnf "${LEAF[@]}" "$CLIENT"
sign hostile-cn $'/CN=bad name\twith ctl' "$CA_PEM" "$CA_KEY"
sign hostile-utf8 $'/CN=alice\xe2\x80\xaeevil' "$CA_PEM" "$CA_KEY" -utf8
sign empty-subject / "$CA_PEM" "$CA_KEY"
sign two-cn /CN=mallory/CN=alice "$CA_PEM" "$CA_KEY"
sign log-injector '/CN=x" reason=forged name=root \\/O=Evil' "$CA_PEM" "$CA_KEY"

# The real CA with an (empty) CRL appended, as an operator might hand it to --client-ca.
crl_db="$TMP/crl"
mkdir -p "$crl_db"; : >"$crl_db/index.txt"; echo 1000 >"$crl_db/crlnumber"
printf '%s\n' '[ca]' 'default_ca=crl' '[crl]' "database=$crl_db/index.txt" "crlnumber=$crl_db/crlnumber" \
  'default_md=sha256' 'default_crl_days=30' >"$crl_db/ca.cnf"
ossl ca -batch -gencrl -config "$crl_db/ca.cnf" -cert "$CA_PEM" -keyfile "$CA_KEY" -out "$crl_db/crl.pem"
cat "$CA_PEM" "$crl_db/crl.pem" >"$OUT/ca-with-crl.pem"
chmod 644 "$OUT/ca-with-crl.pem"

echo "$me: wrote $count certificate/key pairs to $OUT"
