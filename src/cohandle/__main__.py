"""``python -m cohandle``: the same as the ``cohandle`` command."""

from cohandle._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
