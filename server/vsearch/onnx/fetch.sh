#!/bin/sh
# fetch.sh [DEST] — put ONNX Runtime's shared library, libonnxruntime.so.1
# (version 1.23.0, linux x64), in DEST (default .cache/onnxruntime). It
# comes from the npm package onnxruntime-node, which ships it prebuilt;
# `make onnx` runs this. Needs npm and tar; does nothing if the file is
# already there.
set -eu
VERSION=1.23.0
DEST=${1:-.cache/onnxruntime}
LIB=libonnxruntime.so.1
if [ -f "$DEST/$LIB" ]; then
	echo "$DEST/$LIB already present"
	exit 0
fi
case "$(uname -s)/$(uname -m)" in
Linux/x86_64) ;;
*) echo "fetch.sh: onnxruntime-node ships $LIB for linux x64 only, not $(uname -s)/$(uname -m)" >&2; exit 1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "onnxruntime-node@$VERSION" >/dev/null)
tar -xzf "$tmp/onnxruntime-node-$VERSION.tgz" -C "$tmp" "package/bin/napi-v6/linux/x64/$LIB"
mkdir -p "$DEST"
cp "$tmp/package/bin/napi-v6/linux/x64/$LIB" "$DEST/$LIB.tmp"
mv "$DEST/$LIB.tmp" "$DEST/$LIB"
echo "wrote $DEST/$LIB"
