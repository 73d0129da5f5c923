#!/bin/sh
# The image's entrypoint: apply the database migrations, then run the command given
# (`webhook`, `worker` or `run`; any other coproduce command, such as `project list`, runs as is).
# Many containers may start at once: migrations take turns under a lock (an advisory lock on
# PostgreSQL), so only the first one changes anything. If they fail, the role does not start.
# Outside a container it works the same from a checkout, with `coproduce` on PATH.
set -eu

if [ "$#" -eq 0 ]; then
    set -- run
fi

case "$1" in
    webhook | worker | run)
        coproduce db upgrade
        ;;
esac

exec coproduce "$@"
