#!/bin/sh
# The template's entrypoint: like molecule-runtime it serves forever unless MOLECULE_SMOKE_MODE=1,
# and it needs /configs/config.yaml. SMOKE_BEHAVIOUR picks what the smoke run does.
echo "entrypoint $* (smoke mode '${MOLECULE_SMOKE_MODE:-}', adapter ${ADAPTER_MODULE:-})"
if [ ! -f /configs/config.yaml ]; then
  echo "FileNotFoundError: /configs/config.yaml" >&2
  exit 2
fi
echo "config: $(head -n 1 /configs/config.yaml)"
if [ "${MOLECULE_SMOKE_MODE:-}" != 1 ]; then
  echo "serving on :8000"
  exec sleep 3600
fi
case "${SMOKE_BEHAVIOUR:-pass}" in
  pass) echo "smoke: executor.execute() reached the network boundary"; exit 0 ;;
  fail) echo "ImportError: cannot import name 'FilePart' from 'a2a.types'" >&2; exit 3 ;;
  hang) echo "smoke: initialize() handshake never returns"; exec sleep 3600 ;;
esac
