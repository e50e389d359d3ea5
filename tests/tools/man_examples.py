#!/usr/bin/env python3
"""man_examples.py: the EXAMPLES of a manual page, as text or as a script.

  man_examples.py list PAGE
      One JSON object a line per example command: {"block", "cmd",
      "output"}, in the order of the page.

  man_examples.py script [OPTIONS] PAGE
      A bash script that runs the examples of PAGE, in order, and fails
      (set -e, pipefail) at the first command that fails, naming it.
      --session         run all blocks in one shell, as one terminal
                        session (the later examples use what the earlier
                        ones set); by default each block runs in a
                        subshell of its own
      --exclude TEXT    the command containing TEXT is not run
      --no-compare TEXT the output the page shows for the command
                        containing TEXT is not compared
      --subst OLD=NEW   replace OLD by NEW in every command

An example is a command line of a literal display (.Bd -literal ... .Ed)
or of a .Dl, starting with "$ "; a line ending in \\e, "|", "||" or "&&"
continues it.  The lines after a command, up to the next, are the output
the page shows for it.  Each display or .Dl is a block.  In the script:
  - a shown output is compared with the command's standard output;
  - "cat FILE" with a shown output writes FILE from it first: the page
    shows the file;
  - a command sent to the background ("&") with --port-file FILE is
    waited for until FILE is written, and every background job is sent
    SIGTERM at the end of its block (or of the session) and must exit 0.
Only the Python 3 standard library is used.
"""

import json
import re
import shlex
import sys


def die(msg):
    sys.stderr.write("man_examples.py: %s\n" % msg)
    sys.exit(2)


def unescape(line, where):
    # \e is a backslash.  Any other roff escape would be turned into
    # something else by mandoc: refuse it rather than run what the reader
    # does not see.
    if re.search(r"\\(?!e)", line.replace("\\e", "")):
        die("%s: escape not understood: %r" % (where, line))
    return line.replace("\\e", "\\")


def examples(path):
    """Blocks of the EXAMPLES section: lists of {"cmd", "output"}."""
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except OSError as e:
        die(str(e))
    blocks, on, lit, cur, cmd = [], False, False, None, None
    for n, line in enumerate(lines, 1):
        where = "%s:%d" % (path, n)
        if line.startswith(".Sh "):
            on = line == ".Sh EXAMPLES"
            continue
        if not on:
            continue
        if lit:
            if line.startswith(".Ed"):
                lit = False
                blocks.append(cur)
                cur, cmd = None, None
                continue
            text = unescape(line, where)
            if cmd is not None and not cmd["output"] and \
                    re.search(r"(\\|\||&&)$", cmd["cmd"]):
                cmd["cmd"] += "\n" + text
            elif text.startswith("$ "):
                cmd = {"cmd": text[2:], "output": [], "line": n}
                cur.append(cmd)
            elif cmd is not None:
                cmd["output"].append(text)
            elif text.strip():
                die("%s: output before any command" % where)
            continue
        if line.startswith(".Bd -literal"):
            lit, cur, cmd = True, [], None
        elif line.startswith(".Dl $ "):
            blocks.append([{"cmd": unescape(line[6:], where), "output": [],
                            "line": n}])
    if lit:
        die("%s: .Bd without .Ed" % path)
    return blocks


def cat_file(cmd):
    """FILE when cmd is "cat FILE", else None."""
    try:
        w = shlex.split(cmd)
    except ValueError:
        return None
    return w[1] if len(w) == 2 and w[0] == "cat" else None


def heredoc(lines, tag):
    return "<<'%s'\n%s\n%s\n" % (tag, "\n".join(lines), tag)


def script(path, session, exclude, nocompare, subst):
    blocks = examples(path)
    used = {t: 0 for t in exclude + nocompare}
    out = ["#!/bin/bash", "# The EXAMPLES of %s (tests/tools/man_examples.py)."
           % path, "set -eE -o pipefail",
           "mx_out=$(mktemp)",
           "trap 'rm -f \"$mx_out\"' EXIT",
           "trap 'echo \"man_examples: failed:\" \"$BASH_COMMAND\" >&2' ERR",
           "mx_stop() {",
           "\tlocal j",
           "\tfor j in $(jobs -p); do",
           "\t\tkill -TERM \"$j\"",
           "\t\twait \"$j\"",
           "\tdone",
           "}"]
    for b, block in enumerate(blocks, 1):
        out.append("# example %d" % b)
        if not session:
            out.append("(")
        for c in block:
            cmd = c["cmd"]
            for old, new in subst:
                cmd = cmd.replace(old, new)
            out.append("# %s:%d" % (path, c["line"]))
            skip = [t for t in exclude if t in c["cmd"]]
            if skip:
                used[skip[0]] += 1
                out.append(": excluded: %s" % shlex.quote(c["cmd"]))
                continue
            show = c["output"]
            while show and not show[-1].strip():
                show = show[:-1]
            quiet = [t for t in nocompare if t in c["cmd"]]
            if quiet:
                used[quiet[0]] += 1
                show = []
            f = cat_file(cmd)
            if show and f is not None:
                out.append("cat >%s %s" % (f, heredoc(show, "MX_FILE")))
            if show:
                out.append("{\n%s\n} >\"$mx_out\"" % cmd)
                out.append("diff -u - \"$mx_out\" %s" % heredoc(show, "MX_OUT")
                           .rstrip("\n"))
            else:
                out.append(cmd)
            m = re.search(r"--port-file\s+(\S+)", cmd)
            if cmd.rstrip().endswith("&") and m:
                out.append("for mx_i in $(seq 100); do [ -s %s ] && break; "
                           "sleep 0.1; done" % m.group(1))
        if not session:
            out.append("mx_stop")
            out.append(")")
    out.append("mx_stop")
    for t, k in used.items():
        if k != 1:
            die("%s: %r matches %d example commands, not one" % (path, t, k))
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) == 2 and argv[0] == "list":
        for b, block in enumerate(examples(argv[1]), 1):
            for c in block:
                print(json.dumps({"block": b, "cmd": c["cmd"],
                                  "output": c["output"]}))
        return 0
    if argv and argv[0] == "script":
        session, exclude, nocompare, subst = False, [], [], []
        i = 1
        while i < len(argv) - 1:
            a = argv[i]
            if a == "--session":
                session = True
                i += 1
                continue
            if i + 1 >= len(argv) - 1:
                die("%s needs a value" % a)
            v = argv[i + 1]
            if a == "--exclude":
                exclude.append(v)
            elif a == "--no-compare":
                nocompare.append(v)
            elif a == "--subst" and "=" in v:
                subst.append(tuple(v.split("=", 1)))
            else:
                die("unknown option %r" % a)
            i += 2
        if i != len(argv) - 1:
            die("script needs a page")
        sys.stdout.write(script(argv[-1], session, exclude, nocompare, subst))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
