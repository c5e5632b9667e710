#!/bin/sh
# test-certs.sh — throwaway TLS material for the mapixd TCP tests, made at
# test time with certtool (gnutls-bin): a test CA, a server certificate it
# signed for localhost and 127.0.0.1, a second CA that signed nothing, and
# the server key's pin (SHA-256 of its SubjectPublicKeyInfo) computed with
# openssl, an implementation other than the one the client uses.
#   test-certs.sh DIR
# Writes DIR/ca.pem, ca.key, server.pem, server.key, other-ca.pem,
# server.pin (base64) and server.pin.hex.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
cat >ca.tmpl <<T
cn = "mapix test CA"
ca
cert_signing_key
expiration_days = 2
T
cat >server.tmpl <<T
cn = "localhost"
dns_name = "localhost"
ip_address = "127.0.0.1"
tls_www_server
signing_key
encryption_key
expiration_days = 2
T
q() { "$@" >/dev/null 2>&1; }
q certtool --generate-privkey --key-type=ecdsa --outfile ca.key
q certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.pem
q certtool --generate-privkey --key-type=ecdsa --outfile other-ca.key
q certtool --generate-self-signed --load-privkey other-ca.key --template ca.tmpl --outfile other-ca.pem
q certtool --generate-privkey --key-type=ecdsa --outfile server.key
q certtool --generate-certificate --load-privkey server.key --load-ca-certificate ca.pem \
	--load-ca-privkey ca.key --template server.tmpl --outfile server.pem
openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64 >server.pin
openssl x509 -in server.pem -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -hex | sed 's/^.*= *//' >server.pin.hex
chmod 600 ./*.key
