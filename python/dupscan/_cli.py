"""The `dupscan` command of the wheel: runs the program built with the package (in _bin/)."""
import os
import sys


def main():
    exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bin", "dupscan")
    os.execv(exe, [exe] + sys.argv[1:])


if __name__ == "__main__":
    main()
