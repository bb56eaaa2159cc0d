# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# A test PKI made by the test with the openssl CLI (nothing with a private
# key is checked in). Source after lib.sh.
#   pki_ca DIR NAME                      -> DIR/NAME.crt, DIR/NAME.key
#   pki_cert DIR NAME CA SAN [DAYS]      -> DIR/NAME.crt (leaf + nothing), DIR/NAME.key
#       SAN: an openssl subjectAltName value ("URI:sip:example.com,DNS:example.com"),
#       or "none" for a certificate without the extension (CN = NAME).

pki_ca() {
    local dir=$1 name=$2
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
        -subj "/O=sipline test/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.crt" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 ||
        fail "pki: cannot make CA $name"
}

pki_cert() {
    local dir=$1 name=$2 ca=$3 san=$4 days=${5:-30}
    local ext="$dir/$name.ext"
    {
        echo "basicConstraints=CA:FALSE"
        echo "keyUsage=critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage=serverAuth,clientAuth"
        [ "$san" = none ] || echo "subjectAltName=$san"
    } >"$ext"
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/O=sipline test/CN=$name" -keyout "$dir/$name.key" -out "$dir/$name.csr" \
        >/dev/null 2>&1 || fail "pki: cannot make the request of $name"
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days "$days" -extfile "$ext" \
        -out "$dir/$name.crt" >/dev/null 2>&1 || fail "pki: cannot sign $name"
    chmod 600 "$dir/$name.key"
}

# pki_serial FILE -> the serial in upper-case hex without leading zeros.
# tls.list prints whole bytes, as `openssl x509 -serial` does ("0D59..."):
# compare its value through serial_norm.
pki_serial() {
    openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | sed 's/^0*//'
}

# serial_norm HEX -> HEX without leading zeros (pki_serial's form)
serial_norm() {
    printf '%s\n' "$1" | sed 's/^0*//'
}
