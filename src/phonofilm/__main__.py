"""`python -m phonofilm` == the `phonofilm` command."""

from phonofilm.cli import main

if __name__ == "__main__":
    main()
