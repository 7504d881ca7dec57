#!/usr/bin/env bash
# Builds a minimal Java base image as a Docker-format tarball, without a Docker daemon and without a
# container registry: for machines that reach Maven Central and Debian's archive but not Docker Hub.
#
#   examples/images/build-base.sh      # writes examples/target/base/trustline-base.tar and trustline-sidecar-base.tar
#   ./mvnw -B -Pimages -Dimage.base=tar://$PWD/examples/target/base/trustline-base.tar \
#       -Dimage.sidecar.base=tar://$PWD/examples/target/base/trustline-sidecar-base.tar -DskipTests package
#
# The image is built the way distroless images are: a Java runtime made by jlink from the JDK that runs
# this script (only the modules Trustline uses), plus the C libraries it links against, unpacked from
# Debian's own packages (libc6, libgcc-s1, libstdc++6, zlib1g; fetched with apt-get download, verified by apt). One layer, owned
# by root, a non-root user 65532 ("nonroot", as in distroless) as the default, no shell, no package
# manager. It is not a replacement for a maintained base image: rebuild it to pick up security fixes.
#
# The sidecar's base is the same plus what transparent capture needs (`trustline-sidecar iptables --apply`, run as
# root with NET_ADMIN by the init step): Debian's iptables and the libraries it links against, with the
# iptables/ip6tables(-restore) names pointing at the nf_tables variant (Debian's default; the alternatives system
# that makes those links is not run here), and its own user 1337 ("proxy", Istio's number) as the default, so that
# the capture rules can exempt the sidecar's connections and no app's.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE/../target/base}"
TAG="${BASE_TAG:-trustline/base:17}"
SIDECAR_TAG="${SIDECAR_BASE_TAG:-trustline/sidecar-base:17}"
# jdeps --print-module-deps on the examples' runtime class path, plus what is loaded reflectively: the EC
# provider for TLS, DNS for Netty's resolver, zipfs.
MODULES="java.base,java.desktop,java.management,java.naming,java.sql,jdk.crypto.ec,jdk.jfr,jdk.management,\
jdk.naming.dns,jdk.unsupported,jdk.zipfs"
# What the runtime's native libraries link against (readelf -d lib/server/libjvm.so lib/*.so; the desktop
# libraries' X11 and font dependencies are left out: nothing here loads AWT).
DEBS="libc6 libgcc-s1 libstdc++6 zlib1g"
# `apt-cache depends iptables`, less libc6 (above); netbase brings /etc/protocols.
CAPTURE_DEBS="iptables libip4tc2 libip6tc2 libxtables12 libmnl0 libnetfilter-conntrack3 libnfnetlink0 libnftnl11 netbase"

die() { echo "build-base: $*" >&2; exit 1; }
command -v jlink >/dev/null || die "jlink not found: run with a full JDK (not a JRE) on the PATH"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || die "needs a Debian-based machine (apt-get, dpkg-deb)"
command -v python3 >/dev/null || die "needs python3 (writes the image tarball)"

WORK="$(mktemp -d)"
chmod 0755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"
mkdir -p "$ROOTFS"/{opt,etc,tmp,home/nonroot} "$OUT"

echo "build-base: jlink runtime ($(java -version 2>&1 | head -1))"
jlink --add-modules "$MODULES" --strip-debug --no-man-pages --no-header-files --compress=2 \
  --output "$ROOTFS/opt/java"
# Debian's JDK keeps cacerts as a link into /etc; the image gets the file itself.
if [[ -L "$ROOTFS/opt/java/lib/security/cacerts" ]]; then
  cp --remove-destination "$(readlink -f "$ROOTFS/opt/java/lib/security/cacerts")" "$ROOTFS/opt/java/lib/security/cacerts"
fi

echo "build-base: Debian packages $DEBS"
mkdir -m 0777 "$WORK/debs"   # apt's download user (_apt) writes here
(cd "$WORK/debs" && apt-get download -q $DEBS >/dev/null)
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done

printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
  > "$ROOTFS/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$ROOTFS/etc/group"

# Writes the rootfs as a one-layer image tarball: write_image OUT TAG USER PATH
write_image() {
python3 - "$ROOTFS" "$@" <<'PY'
import hashlib, io, json, os, sys, tarfile

rootfs, out, tag, user, path = sys.argv[1:6]

def owned_by_root(info):
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    if info.name in ("tmp",):
        info.mode = 0o1777
    elif info.name == "home/nonroot":
        info.uid = info.gid = 65532
        info.uname = info.gname = "nonroot"
    elif info.name == "home/proxy":
        info.uid = info.gid = 1337
        info.uname = info.gname = "proxy"
    return info

layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    for name in sorted(os.listdir(rootfs)):
        t.add(os.path.join(rootfs, name), arcname=name, filter=owned_by_root)
layer_bytes = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()
config = {
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "Env": ["PATH=" + path, "JAVA_HOME=/opt/java", "LANG=C.UTF-8"],
        "User": user,
        "WorkingDir": "/home/" + ("proxy" if user == "1337:1337" else "nonroot"),
    },
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created_by": "examples/images/build-base.sh"}],
}
config_bytes = json.dumps(config, sort_keys=True).encode()
config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": ["layer.tar"]}]
with tarfile.open(out, mode="w") as t:
    for name, data in (("layer.tar", layer_bytes), (config_name, config_bytes),
                       ("manifest.json", json.dumps(manifest).encode())):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
print(f"build-base: wrote {out} ({len(layer_bytes) // (1024 * 1024)} MiB layer, {tag}, {diff_id[:19]})")
PY
}

write_image "$OUT/trustline-base.tar" "$TAG" "65532:65532" "/opt/java/bin:/usr/bin:/bin"

echo "build-base: sidecar base, plus Debian packages $CAPTURE_DEBS"
(cd "$WORK/debs" && rm -f ./*.deb && apt-get download -q $CAPTURE_DEBS >/dev/null)
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
for tool in iptables iptables-restore iptables-save ip6tables ip6tables-restore ip6tables-save; do
  ln -sf xtables-nft-multi "$ROOTFS/usr/sbin/$tool"
done
mkdir -p "$ROOTFS/home/proxy" "$ROOTFS/run"
printf 'proxy:x:1337:1337:trustline sidecar:/home/proxy:/sbin/nologin\n' >> "$ROOTFS/etc/passwd"
printf 'proxy:x:1337:\n' >> "$ROOTFS/etc/group"
write_image "$OUT/trustline-sidecar-base.tar" "$SIDECAR_TAG" "1337:1337" "/opt/java/bin:/usr/sbin:/usr/bin:/sbin:/bin"
