#!/usr/bin/env bash
# Builds the member-cluster binaries the Kubernetes tests run (kube-apiserver, kube-controller-manager,
# kube-scheduler, the etcd 3.6 they are built with, and KWOK for fake nodes)
# from the Go module proxy, once, into a cache outside the clone, and prints the directory holding them.
#
#   scripts/kube-binaries.sh            # prints the directory (builds first when needed)
#
# KUBEBUILDER_ASSETS (a directory with all five) wins when set; so do binaries already on
# PATH when both are there. The cache is $KRAKE_KUBE_CACHE (default ~/.cache/krake-kube/<version>), so a
# fresh clone on the same machine reuses what an earlier run built.
set -euo pipefail

KUBE_VERSION="${KRAKE_KUBE_VERSION:-v1.36.3}"
KWOK_VERSION="${KRAKE_KWOK_VERSION:-v0.7.0}"
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
CACHE="${KRAKE_KUBE_CACHE:-$HOME/.cache/krake-kube/$KUBE_VERSION}"

binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
have_all() {
  local b
  for b in "${binaries[@]}"; do [ -x "$1/$b" ] || return 1; done
}

if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  if have_all "$KUBEBUILDER_ASSETS"; then echo "$KUBEBUILDER_ASSETS"; exit 0; fi
  echo "kube-binaries: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks one of: ${binaries[*]}" >&2
  exit 1
fi
if have_all "$CACHE/bin"; then echo "$CACHE/bin"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "kube-binaries: Go is not installed; the Kubernetes tests need it to build kube-apiserver $KUBE_VERSION" >&2
  echo "  from the Go module proxy (or set KUBEBUILDER_ASSETS to a directory with ${binaries[*]})." >&2
  exit 1
fi

mkdir -p "$CACHE/src" "$CACHE/bin"
exec 9>"$CACHE/.lock"
flock 9
if have_all "$CACHE/bin"; then echo "$CACHE/bin"; exit 0; fi

export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
start=$(date +%s)
cd "$CACHE/src"
# k8s.io/kubernetes requires its staging modules at v0.0.0 through replace directives that point into its
# own tree; a module of ours replaces each of them with the published staging module of the same release.
go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" >/dev/null
gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBE_VERSION.mod"
{
  echo "module krake.local/kube-binaries"
  echo
  echo "go $(awk '$1=="go"{print $2; exit}' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  awk '$2=="=>" && $3 ~ /^\.\/staging\// {print "\t" $1 " => " $1 " '"$STAGING_VERSION"'"}' "$gomod"
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
echo "kube-binaries: building Kubernetes $KUBE_VERSION (staging $STAGING_VERSION), etcd and kwok $KWOK_VERSION into $CACHE/bin" >&2
go mod tidy >&2
# etcd: the release kube-apiserver's own go.mod pins (etcd's module cannot be `go install`ed: its go.mod has replaces).
etcd_version="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
build() { # build <package> <binary> [ldflags]
  if [ -x "$CACHE/bin/$2" ]; then return; fi
  go build -trimpath -ldflags="-s -w ${3:-}" -o "$CACHE/bin/$2.tmp" "$1" >&2
  mv "$CACHE/bin/$2.tmp" "$CACHE/bin/$2"
}
build k8s.io/kubernetes/cmd/kube-apiserver kube-apiserver \
  "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
build k8s.io/kubernetes/cmd/kube-controller-manager kube-controller-manager "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
build k8s.io/kubernetes/cmd/kube-scheduler kube-scheduler "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
build go.etcd.io/etcd/server/v3 etcd
# KWOK plays the kubelet of fake nodes (pods become Running and Ready): a module of its own, go-installable.
if [ ! -x "$CACHE/bin/kwok" ]; then
  GOBIN="$CACHE/kwok.tmp" go install -trimpath -ldflags="-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
  mv "$CACHE/kwok.tmp/kwok" "$CACHE/bin/kwok" && rm -rf "$CACHE/kwok.tmp"
fi
echo "kube-binaries: Kubernetes $KUBE_VERSION, etcd $etcd_version, kwok $KWOK_VERSION built in $(( $(date +%s) - start )) s; cache $(du -sh "$CACHE" | cut -f1) (+ Go module and build caches)" >&2
echo "$CACHE/bin"
