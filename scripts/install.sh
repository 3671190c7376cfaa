#!/usr/bin/env bash
# Installs syncbit in place: the binary, systemd units and per-person templates (system and
# per-user), shell completions, man pages and the example configuration. It never builds: build
# first, as your user.
#
#   cargo build --release --locked                   # as your user (Rust: see rust-version in Cargo.toml)
#   sudo scripts/install.sh                          # then install into /usr/local
#   sudo SYNCBIT_BIN=/path/to/syncbit scripts/install.sh     # a binary built elsewhere
#   PREFIX=/usr DESTDIR=/tmp/pkg scripts/install.sh  # staged, e.g. for a package
#
# PREFIX (default /usr/local) is where the files will live; DESTDIR (default empty) is prepended
# to every path when copying, for staged installs. The binary is $SYNCBIT_BIN when set, else
# target/release/syncbit of the checkout this script is in (whatever the current directory),
# or $CARGO_TARGET_DIR/release/syncbit when that variable is set. sudo keeps variables given
# after it (`sudo NAME=value cmd`), not those set before it.
# /etc/syncbit/syncbit.env is created from the example (mode 0600) only when it does not exist.
# For the binary alone: cargo install --path .
set -euo pipefail

bin=${SYNCBIT_BIN:-}
# A relative SYNCBIT_BIN is relative to where the script was started, not to the checkout.
case "$bin" in
  '' | /*) ;;
  *) bin="$PWD/$bin" ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

PREFIX=${PREFIX:-/usr/local}
PREFIX=${PREFIX%/}
DESTDIR=${DESTDIR:-}
DESTDIR=${DESTDIR%/}
case "$PREFIX" in
  /*) ;;
  *) echo "install.sh: PREFIX must be an absolute path, not '$PREFIX'" >&2; exit 2 ;;
esac

if [ -z "$bin" ]; then
  target=${CARGO_TARGET_DIR:-target}
  case "$target" in
    /*) ;;
    *) target="$here/$target" ;;
  esac
  bin="$target/release/syncbit"
  if [ ! -x "$bin" ]; then
    msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml 2>/dev/null || true)
    echo "install.sh: no $bin; build it first as your user (Rust ${msrv:-1.89} or newer, from rustup.rs), then install:" >&2
    echo "  cd $here && cargo build --release --locked && sudo scripts/install.sh" >&2
    exit 1
  fi
  newer=$(find src Cargo.toml Cargo.lock -newer "$bin" -print -quit 2>/dev/null || true)
  if [ -n "$newer" ]; then
    echo "install.sh: warning: $newer is newer than $bin: run cargo build --release --locked again?" >&2
  fi
fi
[ -f "$bin" ] && [ -x "$bin" ] || { echo "install.sh: $bin is not an executable file" >&2; exit 1; }

root="$DESTDIR$PREFIX"
share="$root/share"

install -D -m 0755 "$bin" "$root/bin/syncbit"

# systemd units, with ExecStart pointing at the installed binary
for kind in system user; do
  src=systemd
  [ "$kind" = user ] && src=systemd/user
  install -d -m 0755 "$root/lib/systemd/$kind"
  for unit in "$src"/*.service "$src"/*.timer; do
    sed "s|/usr/bin/syncbit|$PREFIX/bin/syncbit|g" "$unit" >"$root/lib/systemd/$kind/$(basename "$unit")"
    chmod 0644 "$root/lib/systemd/$kind/$(basename "$unit")"
  done
done

install -D -m 0644 completions/syncbit.bash "$share/bash-completion/completions/syncbit"
install -D -m 0644 completions/_syncbit "$share/zsh/site-functions/_syncbit"
install -D -m 0644 completions/syncbit.fish "$share/fish/vendor_completions.d/syncbit.fish"

install -d -m 0755 "$share/man/man1"
install -m 0644 man/*.1 "$share/man/man1/"

install -d -m 0755 "$share/doc/syncbit"
install -m 0644 contrib/syncbit.env.example contrib/crontab.example contrib/syncbit-alerts.yml \
  contrib/grafana-dashboard.json README.md "$share/doc/syncbit/"

# configuration: created once, never overwritten
install -d -m 0755 "$DESTDIR/etc/syncbit"
install -d -m 0700 "$DESTDIR/etc/syncbit/credentials"
if [ ! -e "$DESTDIR/etc/syncbit/syncbit.env" ]; then
  install -m 0600 contrib/syncbit.env.example "$DESTDIR/etc/syncbit/syncbit.env"
  echo "install.sh: created $DESTDIR/etc/syncbit/syncbit.env (mode 0600): fill it in" >&2
else
  echo "install.sh: kept the existing $DESTDIR/etc/syncbit/syncbit.env" >&2
fi

echo "install.sh: installed $bin as $root/bin/syncbit, with units, completions and man pages" >&2
if [ -z "$DESTDIR" ]; then
  cat >&2 <<NEXT
next steps (see $PREFIX/share/doc/syncbit/README.md):
  edit /etc/syncbit/syncbit.env, put secrets in /etc/syncbit/credentials/<name> (mode 0600)
  systemctl daemon-reload
  systemctl enable --now syncbit-sync.timer syncbit-sync-intraday.timer
or, one instance per person: syncbit profile add NAME --system, then
  systemctl enable --now syncbit-sync@NAME.timer syncbit-sync-intraday@NAME.timer
NEXT
fi
