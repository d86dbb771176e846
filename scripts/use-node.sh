# Source this file (bash) to put the project's Node.js first on PATH:
#   . scripts/use-node.sh
# Tessera runs on the Node.js line named in .node-version (an LTS line). A machine whose own
# `node` is another line gets the official binary from the npm registry (the node-<os>-<cpu>
# package, which also carries the headers that native modules such as better-sqlite3 build
# against), installed once into ~/.cache/tessera/node-<version> (for root /var/cache/tessera,
# so that tests can run the server as an unprivileged user; TESSERA_NODE_CACHE overrides both).
# Nothing else is downloaded.

tessera_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tessera_node_version="$(tr -d ' \n' < "$tessera_root/.node-version")"
tessera_node_line="${tessera_node_version%%.*}"

tessera_system_line() {
  command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null
}

if [ "$(tessera_system_line)" != "$tessera_node_line" ]; then
  tessera_os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) tessera_cpu=x64 ;;
    aarch64 | arm64) tessera_cpu=arm64 ;;
    *) tessera_cpu="$(uname -m)" ;;
  esac
  tessera_pkg="node-${tessera_os}-${tessera_cpu}"
  if [ -n "${TESSERA_NODE_CACHE:-}" ]; then
    tessera_cache="$TESSERA_NODE_CACHE"
  elif [ "$(id -u)" = 0 ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
    tessera_cache=/var/cache/tessera
  else
    tessera_cache="${XDG_CACHE_HOME:-$HOME/.cache}/tessera"
  fi
  tessera_node_home="$tessera_cache/node-${tessera_node_version}"
  tessera_node_dir="$tessera_node_home/node_modules/$tessera_pkg"
  if [ ! -x "$tessera_node_dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "use-node: npm is needed once, to fetch Node.js ${tessera_node_version}" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "use-node: fetching Node.js ${tessera_node_version} (${tessera_pkg}) from the npm registry" >&2
    mkdir -p "$tessera_node_home"
    npm install --prefix "$tessera_node_home" --no-save --no-audit --no-fund --loglevel=error \
      "${tessera_pkg}@${tessera_node_version}" >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$tessera_node_dir/bin:$PATH"
  # Native modules (better-sqlite3) build against this Node's own headers, never a download.
  export npm_config_nodedir="$tessera_node_dir"
fi
unset -f tessera_system_line
