#!/bin/sh
# One-shot init step of docker-compose.yml, run in the trustline-ca image before the CA serves:
# creates the CA on the first start (kept in the ca-data volume), then gives each sidecar its own
# single-use join token and the trust bundle, in that sidecar's own volume. Tokens are made fresh on
# every `docker compose up` and never appear in the compose file, the environment or a log.
set -eu

trustline_ca() {
  java -cp "$(cat /app/jib-classpath-file)" io.trustline.ca.cli.TrustlineCa "$@"
}

CA_DIR=/ca-data/ca
TRUST_DOMAIN=${TRUST_DOMAIN:-example.org}

if [ ! -f "$CA_DIR/ca.key" ]; then
  trustline_ca init --trust-domain "$TRUST_DOMAIN" --dir "$CA_DIR"
fi

umask 077
for service in frontend orders inventory; do
  out="/identity/$service"
  trustline_ca bundle --dir "$CA_DIR" > "$out/bundle.pem"
  trustline_ca token create --dir "$CA_DIR" \
    --spiffe-id "spiffe://$TRUST_DOMAIN/ns/shop/sa/$service" --ttl 15m > "$out/join.token.new"
  mv "$out/join.token.new" "$out/join.token"
  echo "ca-init: join token ready for $service"
done
