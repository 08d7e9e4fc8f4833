#!/usr/bin/env bash
# The file tree every FactFleet image is built on when no base image can be pulled (image.base=scratch,
# the default of the `images` profile; docs/decisions.md, "Images are built on a runtime made from the
# build's own JDK"):
#
#   opt/java/openjdk/          a Java runtime linked with jlink from the build's JDK (where Eclipse
#                              Temurin's images keep theirs, so the entrypoint is the same on either base)
#   lib64/, lib/x86_64-linux-gnu/   the C libraries that runtime and the services' JNI libraries
#                              (RocksDB, libsodium, JNA, SQLite) need, copied from the build machine
#   etc/passwd, etc/group      the services' user (uid/gid 10001, as deploy/k8s/base runs them), home /tmp
#   etc/nsswitch.conf          hosts from /etc/hosts, then DNS (what Kubernetes mounts)
#   tmp/                       the only directory the services write to (an emptyDir in the pods)
#
# Usage: make-runtime.sh <output dir> <java home> [uid]
# The output is made once per output dir and JDK and reused (<output dir>.stamp names the JDK, this script and the modules): every image of
# one build shares the same runtime layer.
set -euo pipefail

out=$1
java_home=$2
uid=${3:-10001}

if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
    # The C libraries are copied from this machine, and Jib labels the image linux/amd64.
    echo "make-runtime.sh: the runtime is made from this machine's JDK and C libraries, which must be Linux on x86-64 (this is $(uname -s)/$(uname -m))." >&2
    echo "Pass -Dimage.base=<a JRE image> instead (docs/decisions.md, \"Images are built on a runtime made from the build's own JDK\")." >&2
    exit 1
fi

# Modules: what the services' classes and their libraries use (jdeps --print-module-deps over the seven
# services' runtime class paths, plus the ones loaded by name: jdk.crypto.ec for TLS to Kafka,
# jdk.naming.dns, jdk.security.auth and jdk.security.jgss for Kafka's SASL, jdk.management for
# Micrometer's process metrics, jdk.zipfs). java.desktop is there for java.beans (Jackson,
# commons-beanutils), not for AWT: the services run headless, and AWT's X11 libraries are not copied.
modules=java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.crypto.ec,jdk.management,jdk.naming.dns,jdk.security.auth,jdk.security.jgss,jdk.unsupported,jdk.zipfs

mkdir -p "$(dirname "$out")"
# One build at a time makes it (the modules of a parallel build share it).
exec 9>"$out.lock"
flock 9

stamp="jdk=$("$java_home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p') script=$(sha256sum "$0" | cut -c1-16) modules=$modules uid=$uid"
if [[ -d "$out" && -f "$out.stamp" && "$(cat "$out.stamp")" == "$stamp" ]]; then
    echo "image runtime up to date: $out"
    exit 0
fi

if [[ ! -d "$java_home/jmods" ]]; then
    echo "make-runtime.sh: $java_home has no jmods/ (a JRE, or a JDK packaged without them): jlink cannot link a runtime from it." >&2
    echo "Install the JDK's jmods (Debian: openjdk-17-jdk; Temurin JDKs have them) or pass -Dimage.base=<a JRE image>." >&2
    exit 1
fi

tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/opt/java" "$root/etc" "$root/tmp"

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=2 --output "$root/opt/java/openjdk"

# The C libraries: what ldd finds for the runtime (but AWT's X11, sound and font libraries, which a
# headless service never loads), plus what the JNI libraries inside the services' jars link against
# (ldd cannot see those, they are unpacked at run time): RocksDB needs libstdc++, libgcc_s, librt, libdl.
libs=()
while IFS= read -r f; do
    case "${f##*/}" in
        libawt_xawt.so|libjawt.so|libsplashscreen.so|libfontmanager.so|libjsound.so|liblcms.so|libjavajpeg.so) continue ;;
    esac
    while IFS= read -r lib; do libs+=("$lib"); done < <(ldd "$f" | awk -v root="$root" '$2 == "=>" && $3 ~ /^\// && index($3, root) != 1 {print $3}')
done < <(find "$root/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper -o -name jexec \))
for name in libstdc++.so.6 libgcc_s.so.1 librt.so.1 libdl.so.2 libpthread.so.0 libm.so.6 libc.so.6 libz.so.1; do
    # All of ldconfig's output is read (an early exit would end it with SIGPIPE, a failure under pipefail).
    path=$(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ && !found {print $NF; found = 1}')
    [[ -n "$path" ]] || { echo "make-runtime.sh: $name not found on this machine" >&2; exit 1; }
    libs+=("$path")
done
mkdir -p "$root/lib/x86_64-linux-gnu" "$root/lib64"
for lib in $(printf '%s\n' "${libs[@]}" | sort -u); do
    cp -L "$lib" "$root/lib/x86_64-linux-gnu/${lib##*/}"
done
# The dynamic loader, at the path every binary names (PT_INTERP); a copy, not a link: image layers
# made by Jib hold no symbolic links.
cp -L /lib64/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"

cat > "$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
factfleet:x:$uid:$uid:FactFleet service:/tmp:/sbin/nologin
EOF
cat > "$root/etc/group" <<EOF
root:x:0:
factfleet:x:$uid:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"

rm -rf "$out" "$out.stamp"
mkdir -p "$(dirname "$out")"
mv "$root" "$out"
echo "$stamp" > "$out.stamp"
echo "image runtime made: $out ($(du -sh "$out" | cut -f1))"
