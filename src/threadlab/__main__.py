"""``python -m threadlab``: the same command as ``threadlab``, as ``python -m pytest`` is ``pytest``."""

from threadlab.cli import main

if __name__ == "__main__":
    main()
