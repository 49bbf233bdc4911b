#!/usr/bin/env python3
"""Follows docs/tutorial.md as a reader would, and fails where it lies.

    run_tutorial.py TUTORIAL.md TUTTI_BINARY_DIR SOURCE_DIR

In a fresh folder (with the checkout's `examples/` linked in, as a reader
at the root of the checkout has it), in the order of the page:
  - a fenced block whose info string has `file=PATH` is written to PATH;
  - in a ```console block, each `$ COMMAND` is run with bash (the binary's
    folder first on PATH, stderr after stdout), and the lines up to the
    next `$ ` are what it must print. `...` in a line stands for any text;
    a line of `...` alone for any number of lines.
Prints one line per command and exits 1 at the first that differs."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\S*)(.*)$")


def blocks(path):
    """(kind, info, first line number, lines) for each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        yield m.group(1), m.group(2).strip(), start, body
        i += 1


def line_pattern(expected):
    return re.compile("^" + ".*".join(re.escape(p) for p in expected.split("...")) + "$")


def matches(expected, actual):
    """Whether `actual` lines fit `expected` lines (with `...` wildcards)."""
    memo = {}

    def go(i, j):
        if (i, j) in memo:
            return memo[i, j]
        if i == len(expected):
            r = j == len(actual)
        elif expected[i].strip() == "...":
            r = any(go(i + 1, k) for k in range(j, len(actual) + 1))
        else:
            r = j < len(actual) and bool(line_pattern(expected[i]).match(actual[j])) and go(i + 1, j + 1)
        memo[i, j] = r
        return r

    return go(0, 0)


def main():
    work = tempfile.mkdtemp(prefix="tutti-tutorial-")
    try:
        return follow(*sys.argv[1:4], work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def follow(tutorial, bindir, source, work):
    os.symlink(os.path.join(os.path.abspath(source), "examples"), os.path.join(work, "examples"))
    env = dict(os.environ, PATH=os.path.abspath(bindir) + os.pathsep + os.environ.get("PATH", ""))
    commands = 0
    for kind, info, start, body in blocks(tutorial):
        file = re.search(r"\bfile=(\S+)", info)
        if file:
            path = os.path.join(work, file.group(1))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(body) + "\n")
            continue
        if kind != "console":
            continue
        k = 0
        while k < len(body):
            if not body[k].startswith("$ "):
                k += 1
                continue
            command, at = body[k][2:], start + k + 1
            k += 1
            expected = []
            while k < len(body) and not body[k].startswith("$ "):
                expected.append(body[k].rstrip())
                k += 1
            run = subprocess.run(["bash", "-c", command], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
            actual = [l.rstrip() for l in run.stdout.decode("utf-8", "replace").split("\n")]
            while actual and actual[-1] == "":
                actual.pop()
            while expected and expected[-1] == "":
                expected.pop()
            commands += 1
            if not matches(expected, actual):
                print(f"{tutorial}:{at}: $ {command}\n  expected:")
                print("\n".join("    " + l for l in expected))
                print("  printed (exit status %d):" % run.returncode)
                print("\n".join("    " + l for l in actual))
                return 1
            print(f"ok  {tutorial}:{at}: $ {command}")
    if commands == 0:
        print(f"{tutorial}: no commands found")
        return 1
    print(f"{commands} commands of {tutorial} print what it says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
