#!/usr/bin/env bash
# Runs each built image's entry point without a container engine: unpacks the image tarball's layers
# (examples/target/jib/*.tar, from `./mvnw -Pimages`) into a directory and starts the configured
# entry point there with chroot, as the image's user, with the image's environment. Proves the images
# are complete (runtime, C libraries, class path, main class); it is no substitute for running them in
# a real engine (no namespaces, no network isolation). Needs root (chroot, mounting /proc).
#
#   examples/images/smoke.sh [--demo] [image.tar ...]
#
# Each image is started with --help and must print its usage. With --demo, the shop image also runs the
# whole example mesh (`demo --once`: CA, token issuer, services and sidecars, mTLS, gRPC, JWT) and must
# report every step as expected: the jlink'd runtime has every module and native library it needs.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEMO=false
if [[ ${1:-} == --demo ]]; then DEMO=true; shift; fi
(($#)) || set -- "$HERE"/../target/jib/*.tar
[[ $(id -u) == 0 ]] || { echo "smoke: needs root for chroot" >&2; exit 1; }
status=0
for image in "$@"; do
  dir="$(mktemp -d)"; chmod 0755 "$dir"   # the image's root, traversable by its user
  # Prints the entry point (NUL-separated, then --help) and the user and environment to run it with.
  python3 - "$image" "$dir" > "$dir.run" <<'PY'
import json, sys, tarfile
image, root = sys.argv[1:3]
with tarfile.open(image) as t:
    manifest = json.load(t.extractfile("manifest.json"))[0]
    config = json.load(t.extractfile(manifest["Config"]))["config"]
    for layer in manifest["Layers"]:
        with tarfile.open(fileobj=t.extractfile(layer), mode="r:*") as l:
            l.extractall(root, numeric_owner=True)
print(config.get("User") or "0:0")
print("\0".join(config.get("Env", [])))
print("\0".join((config.get("Entrypoint") or []) + ["--help"]))
PY
  user="$(sed -n 1p "$dir.run")"
  mapfile -d '' -t env < <(sed -n 2p "$dir.run" | tr -d '\n')
  mapfile -d '' -t cmd < <(sed -n 3p "$dir.run" | tr -d '\n')
  printf 'smoke: %s as %s: %s\n' "$(basename "$image")" "$user" "${cmd[*]}"
  # The dynamic loader finds the JDK's own libraries through $ORIGIN, which it reads from /proc/self/exe.
  mkdir -p "$dir/proc" && mount -t proc proc "$dir/proc"
  # env runs outside (the image has no env binary), chroot then finds the entry point on the image's PATH.
  if out="$(cd "$dir" && env -i "${env[@]}" "$(command -v chroot)" --userspec="$user" "$dir" "${cmd[@]}" 2>&1)" \
      && grep -qi "usage" <<<"$out"; then
    echo "$out" | head -3 | sed 's/^/  | /'
    echo "smoke: $(basename "$image") OK"
    if $DEMO && [[ $(basename "$image") == trustline-shop.tar ]]; then
      demo=("${cmd[@]:0:${#cmd[@]}-1}" demo --once --work-dir /tmp/demo)
      if out="$(cd "$dir" && env -i "${env[@]}" "$(command -v chroot)" --userspec="$user" "$dir" "${demo[@]}" 2>&1)" \
          && grep -Eq "([0-9]+) of \1 steps gave the expected outcome" <<<"$out"; then
        echo "$out" | tail -1 | sed 's/^/  | /'
        echo "smoke: $(basename "$image") demo OK"
      else
        echo "$out" | tail -30 | sed 's/^/  | /'
        echo "smoke: $(basename "$image") demo FAILED" >&2
        status=1
      fi
    fi
  else
    echo "$out" | tail -20 | sed 's/^/  | /'
    echo "smoke: $(basename "$image") FAILED" >&2
    status=1
  fi
  umount "$dir/proc"
  rm -rf "$dir" "$dir.run"
done
exit $status
