#!/usr/bin/env python3
"""The floor of a copy that is atomic and durable per file, as Stowage publishes
each file: a temp name, the bytes (in-kernel, as cp), fsync, rename. One file
after another, nothing else (no registry, no hashing, no folder fsync).

    atomic-copy.py SOURCE TARGET   # like `cp -r SOURCE TARGET` with TARGET missing
"""
import os
import shutil
import sys


def copy_file(source, target):
    temp = os.path.join(os.path.dirname(target), '.' + os.path.basename(target) + '.part')
    shutil.copyfile(source, temp)  # sendfile(2) on Linux
    fd = os.open(temp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(temp, target)


def main(source, target):
    if not os.path.isdir(source):
        copy_file(source, target)
        return
    for folder, _, names in os.walk(source):
        into = os.path.join(target, os.path.relpath(folder, source))
        os.makedirs(into, exist_ok=True)
        for name in names:
            copy_file(os.path.join(folder, name), os.path.join(into, name))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
