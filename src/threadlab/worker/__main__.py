"""``python -m threadlab.worker``: run the point read from stdin.

Guarded, because a process pool started with ``spawn`` or ``forkserver``
imports the main module again in each child under another name.
"""

if __name__ == "__main__":
    from threadlab.worker._protocol import main

    main()
