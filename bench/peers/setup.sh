#!/usr/bin/env bash
# Create the peers' virtual environments for bench/ (never the project's own .venv).
#
#   bench/peers/.venv-dagster09  Dagster 0.9.22, the reference (with the pins it needs on Python 3.11)
#   bench/peers/.venv-dagster1   the latest Dagster 1.x (jobs and ops), with dagstermill (notebooks),
#                                and with WITH_POSTGRES=1 dagster-postgres (bench_postgres.py)
#
# Idempotent: an environment whose peer already imports is left alone. Tolerant: a failed install is
# reported and the script goes on (and exits 0), so `make bench` still measures what it can.
# Set PYTHON to choose the interpreter (default: python3).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

# name | import check | pip arguments
make_peer() {
    local name="$1" check="$2"
    shift 2
    local venv="$here/.venv-$name"
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "peers: $name already set up in $venv ($("$venv/bin/python" -c "$check" 2>/dev/null))"
        return 0
    fi
    echo "peers: setting up $name in $venv ..."
    rm -rf "$venv"
    if ! "$python" -m venv "$venv"; then
        echo "peers: WARNING: could not create $venv; skipping $name" >&2
        return 0
    fi
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"; then
        echo "peers: WARNING: pip install for $name failed; its figures will be missing" >&2
        return 0
    fi
    if "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "peers: $name ready ($("$venv/bin/python" -c "$check" 2>/dev/null))"
    else
        echo "peers: WARNING: $name installed but does not import; its figures will be missing" >&2
    fi
}

# The reference. Pins from shared/notes/peers.md: it installs on Python 3.11 but only imports and
# runs with these (protobuf 3 for its generated gRPC modules, SQLAlchemy 1.3/alembic 1.4 for
# engine.execute, watchdog 2.x, jinja2/markupsafe for its templates). dagstermill is not needed for
# the engine benchmark.
make_peer dagster09 "import dagster; print('dagster', dagster.__version__)" \
    'dagster==0.9.22' \
    'protobuf==3.20.3' 'grpcio-health-checking==1.48.2' 'sqlalchemy==1.3.24' 'alembic==1.4.3' \
    'watchdog==2.3.1' 'jinja2<3.1' 'markupsafe<2.1'

# The same project today; dagstermill (with papermill and a kernel) for bench_notebooks.py.
make_peer dagster1 "import dagster, dagstermill; print('dagster', dagster.__version__)" \
    'dagster>=1,<2' dagstermill papermill ipykernel

# dagster-postgres for bench_postgres.py, only when asked (WITH_POSTGRES=1 bench/peers/setup.sh):
# the release made with the installed dagster (dagster 1.X.Y goes with dagster-postgres 0.X+16.Y).
# It talks psycopg2 (bench_postgres.py gives it a postgresql+psycopg2:// URL: SQLAlchemy 2.1 would
# pick psycopg 3 for postgresql://, on which dagster-postgres's statements fail).
if [ "${WITH_POSTGRES:-0}" = 1 ] && [ -x "$here/.venv-dagster1/bin/python" ]; then
    venv="$here/.venv-dagster1"
    if "$venv/bin/python" -c "import dagster_postgres" >/dev/null 2>&1; then
        echo "peers: dagster-postgres already in $venv"
    else
        version="$("$venv/bin/python" -c "import dagster; print(dagster.__version__)")"
        minor="$(echo "$version" | cut -d. -f2)"; patch="$(echo "$version" | cut -d. -f3)"
        echo "peers: installing dagster-postgres 0.$((minor + 16)).$patch next to dagster $version ..."
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "dagster==$version" "dagster-postgres==0.$((minor + 16)).$patch" \
            || echo "peers: WARNING: dagster-postgres could not be installed; its figures will be missing" >&2
    fi
fi

exit 0
