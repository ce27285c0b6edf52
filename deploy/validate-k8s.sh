#!/usr/bin/env bash
# Validates the Kubernetes manifests (deploy/k8s/*.yaml) against the
# Kubernetes API schemas, offline: the validators and types of the npm
# package kubernetes-models (generated from the Kubernetes OpenAPI schema),
# plus TypeScript for unknown fields; see deploy/lib/validate-k8s.cjs.
# Also checks that deploy/kustomization.yaml names only files that exist,
# and that the containers' edge (deploy/nginx/edge.conf.template) has the
# same locations as the local run's (gongyi.conf.template).
#
#   deploy/validate-k8s.sh              install the pinned npm packages into
#                                       deploy/node_modules when missing, then check
#   deploy/validate-k8s.sh --install    only install (CI setup; needs the npm registry)
#   deploy/validate-k8s.sh FILE...      check these files instead
#
# The versions are pinned in deploy/package.json and deploy/package-lock.json;
# after the install, nothing is downloaded.  Needs node (>= 18) and npm.
set -euo pipefail
deploy=$(cd "$(dirname "$0")" && pwd)

install_only=
files=()
for arg in "$@"; do
    case "$arg" in
    --install) install_only=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) files+=("$arg") ;;
    esac
done

command -v node >/dev/null 2>&1 || { echo "validate-k8s: node is missing (apt-get install nodejs npm)" >&2; exit 2; }

# Installed and matching the lock file?  npm writes node_modules/.package-lock.json.
if [ ! -f "$deploy/node_modules/.package-lock.json" ] ||
    [ "$deploy/package-lock.json" -nt "$deploy/node_modules/.package-lock.json" ]; then
    echo "validate-k8s: npm ci (kubernetes-models, typescript, yaml)" >&2
    (cd "$deploy" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
[ -n "$install_only" ] && exit 0

if [ ${#files[@]} -eq 0 ]; then
    files=("$deploy"/k8s/*.yaml)
    # Every path the kustomization names exists.
    missing=0
    while read -r f; do
        [ -e "$deploy/$f" ] || { echo "validate-k8s: deploy/kustomization.yaml names $f, which does not exist" >&2; missing=1; }
    done < <(sed -n 's/^ *- \([A-Za-z0-9_./-]*\.\(yaml\|template\|sh\)\)$/\1/p' "$deploy/kustomization.yaml")
    [ "$missing" = 0 ] || exit 1
    # Every manifest file is in the kustomization (but the secrets template).
    for f in "${files[@]}"; do
        b=k8s/${f##*/}
        [ "$b" = k8s/secrets.example.yaml ] && continue
        grep -q -- "- $b\$" "$deploy/kustomization.yaml" ||
            { echo "validate-k8s: $b is not listed in deploy/kustomization.yaml" >&2; exit 1; }
    done
fi
# The containers' edge routes exactly what the local run's edge routes
# (deploy/nginx/edge.conf.template vs gongyi.conf.template, used by
# scripts/up): a route added to one and not the other fails here.
if ! diff <(grep -o 'location [^{]*' "$deploy/nginx/gongyi.conf.template") \
    <(grep -o 'location [^{]*' "$deploy/nginx/edge.conf.template") >&2; then
    echo "validate-k8s: the locations of deploy/nginx/edge.conf.template differ from gongyi.conf.template's (< local, > containers)" >&2
    exit 1
fi
exec node "$deploy/lib/validate-k8s.cjs" "${files[@]}"
