"""`python -m auditor` is the same as the `flickr-audit` command."""

from auditor.cli import main

if __name__ == "__main__":
    main()
