#!/bin/sh
# Starts the containerised edge: fills in edge.conf.template (beside this
# file, or GY_EDGE_TEMPLATE) and runs nginx in the foreground.  Used as the
# edge container's entrypoint by docker-compose.yml and the Kubernetes
# manifests; POSIX sh, sed and awk only, so it runs in Debian's nginx image
# and in the official one.
#
#   GY_EDGE_PORT     port to listen on (8080)
#   GY_EDGE_INTAKE   intake's host:port (intake:8081)
#   GY_EDGE_ROUTER   the router's host:port (router:8091)
#   GY_EDGE_WORKFLOW the workflow's host:port (workflow:8101)
#   GY_EDGE_RESOLVER DNS server(s) for the names above; default: the first
#                    nameserver of /etc/resolv.conf
set -eu
here=$(dirname "$0")
template=${GY_EDGE_TEMPLATE:-$here/edge.conf.template}
conf=/tmp/gongyi-edge.conf

# The first nameserver only: podman lists the host's after its own, and
# those answer "no such name" for the site's services (nginx would ask them
# in turn).
resolver=${GY_EDGE_RESOLVER:-$(awk '$1 == "nameserver" {
    a = $2; if (a ~ /:/) a = "[" a "]"; print a; exit }' /etc/resolv.conf)}
if [ -z "$resolver" ]; then
    echo "edge: no nameserver in /etc/resolv.conf; set GY_EDGE_RESOLVER" >&2
    exit 1
fi
# The port ":53" is implied; sed's replacement needs "/" and "&" escaped.
esc() { printf '%s' "$1" | sed 's/[\/&]/\\&/g'; }
sed -e "s/@RESOLVER@/$(esc "$resolver")/" \
    -e "s/@LISTEN@/$(esc "${GY_EDGE_PORT:-8080}")/" \
    -e "s/@INTAKE@/$(esc "${GY_EDGE_INTAKE:-intake:8081}")/" \
    -e "s/@ROUTER@/$(esc "${GY_EDGE_ROUTER:-router:8091}")/" \
    -e "s/@WORKFLOW@/$(esc "${GY_EDGE_WORKFLOW:-workflow:8101}")/" \
    "$template" >"$conf"
echo "edge: resolver $resolver, intake ${GY_EDGE_INTAKE:-intake:8081}, router ${GY_EDGE_ROUTER:-router:8091}, workflow ${GY_EDGE_WORKFLOW:-workflow:8101}" >&2
nginx -t -q -e stderr -c "$conf"
exec nginx -e stderr -c "$conf" -g 'daemon off;'
