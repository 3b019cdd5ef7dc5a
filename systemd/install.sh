#!/bin/sh
# Install CarWatch Edge as a systemd service (Debian 12 or similar), from this checkout.
#
#   sudo systemd/install.sh                    install (or upgrade) and enable the service
#   sudo systemd/install.sh --uninstall        remove unit, program and user; keep config and data
#   sudo systemd/install.sh --uninstall --purge   ... and remove /etc, /var/lib and /var/log data too
#
# Options:
#   --prefix DIR     where the program goes (default /opt/carwatch-edge): DIR/.venv, DIR/models, DIR/doc
#   --root DIR       install under DIR instead of / (staging, tests): no user, no chown, no systemctl
#   --no-systemctl   do not run systemctl (files only)
#   --skip-venv      do not create or update the virtual environment (files only; tests)
#   --python PY      the Python 3.11+ to build the virtual environment with (default python3.11, python3)
#
# Running it twice changes nothing: existing config files are never overwritten, files that are already
# identical are not copied again. A first install enables the service but does not start it: the example
# configuration names example cameras; edit /etc/carwatch-edge/carwatch.toml, then start it.
set -eu
umask 022

PREFIX=/opt/carwatch-edge
ROOT=
ACTION=install
PURGE=0
SYSTEMCTL=1
SKIP_VENV=0
PYTHON=
SERVICE_USER=carwatch
UNIT_NAME=carwatch-edge.service

say() { printf '%s\n' "install.sh: $*"; }
die() { printf '%s\n' "install.sh: error: $*" >&2; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

while [ $# -gt 0 ]; do
    case $1 in
        --prefix) [ $# -ge 2 ] || die "--prefix needs a folder"; PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --root) [ $# -ge 2 ] || die "--root needs a folder"; ROOT=$2; shift 2 ;;
        --root=*) ROOT=${1#--root=}; shift ;;
        --python) [ $# -ge 2 ] || die "--python needs a program"; PYTHON=$2; shift 2 ;;
        --python=*) PYTHON=${1#--python=}; shift ;;
        --uninstall) ACTION=uninstall; shift ;;
        --purge) PURGE=1; shift ;;
        --no-systemctl) SYSTEMCTL=0; shift ;;
        --skip-venv) SKIP_VENV=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

# The prefix goes into the unit file through sed and into paths: plain absolute paths only.
case $PREFIX in
    /*) ;;
    *) die "--prefix must be an absolute path, not '$PREFIX'" ;;
esac
case $PREFIX in
    *[!A-Za-z0-9/._-]*|*/../*|*/..|*//*) die "--prefix may hold only letters, digits and / . _ - : '$PREFIX'" ;;
esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || die "--prefix / is not a program folder"
[ $PURGE -eq 0 ] || [ $ACTION = uninstall ] || die "--purge goes with --uninstall"

if [ -n "$ROOT" ]; then
    mkdir -p "$ROOT" || die "cannot create --root $ROOT"
    ROOT=$(cd "$ROOT" && pwd -P)
    [ "$ROOT" != / ] || ROOT=
fi
if [ -n "$ROOT" ]; then
    SYSTEMCTL=0  # a staged tree is not the running system: no user, no chown, no systemctl
elif [ "$(id -u)" -ne 0 ]; then
    die "run as root (or stage into a folder with --root DIR)"
fi

SOURCE=$(cd "$(dirname "$0")/.." && pwd -P)
PROGRAM=$ROOT$PREFIX
CONFIG_DIR=$ROOT/etc/carwatch-edge
STATE_DIR=$ROOT/var/lib/carwatch-edge
LOGS_DIR=$ROOT/var/log/carwatch-edge
UNIT_DIR=$ROOT/etc/systemd/system
UNIT=$UNIT_DIR/$UNIT_NAME

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM

systemd_running() { [ $SYSTEMCTL -eq 1 ] && [ -d /run/systemd/system ]; }

owned() {  # owned USER:GROUP PATH... (skipped with --root)
    [ -z "$ROOT" ] || return 0
    spec=$1; shift
    chown "$spec" "$@"
}

put() {  # put SOURCE DEST MODE: copy unless DEST is already identical, then set MODE
    if ! cmp -s "$1" "$2" 2>/dev/null; then
        cp "$1" "$2.new.$$"
        chmod "$3" "$2.new.$$"
        mv -f "$2.new.$$" "$2"
        say "wrote $2"
    fi
    chmod "$3" "$2"
}

ensure_user() {
    if [ -n "$ROOT" ]; then
        say "--root: the $SERVICE_USER user is not created and no file is chowned (do that on the target)"
        return
    fi
    getent group video >/dev/null || groupadd --system video
    if ! getent passwd "$SERVICE_USER" >/dev/null; then
        useradd --system --user-group --groups video --home-dir /var/lib/carwatch-edge --no-create-home \
            --shell /usr/sbin/nologin --comment "CarWatch Edge" "$SERVICE_USER"
        say "created system user $SERVICE_USER (groups: $SERVICE_USER, video)"
    elif ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx video; then
        usermod -a -G video "$SERVICE_USER"
        say "added $SERVICE_USER to the video group"
    fi
}

make_folders() {
    install -d -m 0755 "$PROGRAM" "$PROGRAM/models" "$PROGRAM/doc" "$UNIT_DIR" "$CONFIG_DIR"
    install -d -m 0750 "$STATE_DIR" "$LOGS_DIR"
    chmod 0755 "$CONFIG_DIR"  # as the unit's ConfigurationDirectoryMode=; the files in it are 0640
    chmod 0750 "$STATE_DIR" "$LOGS_DIR"
    owned "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR" "$LOGS_DIR"
}

find_python() {
    if [ -z "$PYTHON" ]; then
        PYTHON=$(command -v python3.11 || command -v python3 || true)
    fi
    [ -n "$PYTHON" ] || die "no python3 found (apt-get install python3 python3-venv)"
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$PYTHON is older than Python 3.11"
}

install_program() {
    venv=$PROGRAM/.venv
    if [ ! -x "$venv/bin/python" ]; then
        "$PYTHON" -m venv "$venv" || die "cannot create $venv (apt-get install python3-venv)"
        say "created $venv"
    fi
    # Build from a copy: the checkout gets no build/ or egg-info, and the wheel holds exactly this code.
    mkdir "$WORK/src"
    cp -R "$SOURCE/edge" "$SOURCE/pyproject.toml" "$SOURCE/README.md" "$WORK/src/"
    find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
    "$venv/bin/pip" wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$WORK/dist" "$WORK/src"
    set -- "$WORK"/dist/carwatch_edge-*.whl
    [ -f "$1" ] || die "building the wheel failed"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$1"  # dependencies
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --force-reinstall "$1"  # this code
    say "installed $(basename "$1") into $venv"
}

install_files() {
    found=0
    for model in "$SOURCE"/models/*.onnx; do
        [ -f "$model" ] || continue
        put "$model" "$PROGRAM/models/$(basename "$model")" 0644
        found=1
    done
    [ $found -eq 1 ] || die "no models in $SOURCE/models (run: make models)"
    put "$SOURCE/README.md" "$PROGRAM/doc/README.md" 0644
    put "$SOURCE/systemd/README.md" "$PROGRAM/doc/systemd.md" 0644
    sed "s#/opt/carwatch-edge#$PREFIX#g" "$SOURCE/systemd/carwatch-edge.service" >"$WORK/unit"
    put "$WORK/unit" "$UNIT" 0644
}

install_config() {  # never overwrites: the installed files are the administrator's
    FRESH_CONFIG=0
    if [ ! -e "$CONFIG_DIR/carwatch.toml" ]; then
        sed 's#^data_dir = "data"#data_dir = "/var/lib/carwatch-edge"#' \
            "$SOURCE/config/carwatch.example.toml" >"$WORK/carwatch.toml"
        put "$WORK/carwatch.toml" "$CONFIG_DIR/carwatch.toml" 0640
        owned "root:$SERVICE_USER" "$CONFIG_DIR/carwatch.toml"
        FRESH_CONFIG=1
    fi
    if [ ! -e "$CONFIG_DIR/plates.toml" ]; then
        put "$SOURCE/config/plates.example.toml" "$CONFIG_DIR/plates.toml" 0640
        owned "root:$SERVICE_USER" "$CONFIG_DIR/plates.toml"
    fi
    put "$SOURCE/config/carwatch.env.example" "$CONFIG_DIR/carwatch.env.example" 0644
}

start_service() {
    if [ $SYSTEMCTL -eq 0 ]; then
        say "systemctl not run; to start: systemctl daemon-reload && systemctl enable --now $UNIT_NAME"
        return
    fi
    if ! systemd_running; then
        say "systemd is not running here: the unit is installed but not enabled"
        return
    fi
    systemctl daemon-reload
    if [ "$FRESH_CONFIG" -eq 1 ]; then
        systemctl enable "$UNIT_NAME"
        say "enabled; edit /etc/carwatch-edge/carwatch.toml (cameras, broker), then: systemctl start $UNIT_NAME"
    elif systemctl is-active --quiet "$UNIT_NAME"; then
        systemctl enable "$UNIT_NAME"
        say "running; to run the new version: systemctl restart $UNIT_NAME"
    else
        systemctl enable --now "$UNIT_NAME"
        say "enabled and started: systemctl status $UNIT_NAME; journalctl -u $UNIT_NAME"
    fi
}

install_all() {
    [ -f "$SOURCE/pyproject.toml" ] && [ -f "$SOURCE/edge/cli.py" ] || die "$SOURCE is not a CarWatch Edge checkout"
    [ $SKIP_VENV -eq 1 ] || find_python  # before anything changes
    ensure_user
    make_folders
    if [ $SKIP_VENV -eq 1 ]; then
        say "--skip-venv: $PROGRAM/.venv not created or updated"
    else
        install_program
    fi
    install_files
    install_config
    start_service
    say "done: program $PROGRAM, config $CONFIG_DIR, data $STATE_DIR, unit $UNIT"
}

uninstall_all() {
    if systemd_running && [ -f "$UNIT" ]; then
        systemctl disable --now "$UNIT_NAME" || true
    fi
    rm -f "$UNIT"
    systemd_running && systemctl daemon-reload
    rm -rf "$PROGRAM/.venv" "$PROGRAM/models" "$PROGRAM/doc"
    rmdir "$PROGRAM" 2>/dev/null || [ ! -e "$PROGRAM" ] || say "kept $PROGRAM: it holds files this script did not put there"
    if [ -z "$ROOT" ] && getent passwd "$SERVICE_USER" >/dev/null; then
        userdel "$SERVICE_USER"
        say "removed user $SERVICE_USER"
    fi
    if [ $PURGE -eq 1 ]; then
        rm -rf "$CONFIG_DIR" "$STATE_DIR" "$LOGS_DIR"
        say "purged $CONFIG_DIR $STATE_DIR $LOGS_DIR"
    else
        say "kept configuration and data ($CONFIG_DIR $STATE_DIR $LOGS_DIR): --purge removes them"
    fi
    say "uninstalled"
}

if [ $ACTION = install ]; then
    install_all
else
    uninstall_all
fi
