#!/usr/bin/env python3
"""Runs a swift build command and prints, per module, the seconds from the start at which its first
and last build lines appeared, then the total. With its output on a pipe, SwiftPM prints a job's
line when the job ends, so the stamps are finishing times (a module's compile ends at its stamp).
Example: scripts/build-timeline.py swift build -c release --product femtofit"""
import subprocess, sys, time, re
t0 = time.time()
first, last = {}, {}
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
for line in p.stdout:
    t = time.time() - t0
    m = re.match(r'\[\d+/\d+\] (Compiling|Emitting module|Linking|Write|Wrapping AST for|Archiving) (\S+)', line)
    if m:
        name = m.group(2)
        first.setdefault(name, t); last[name] = t
    if 'error' in line: sys.stdout.write(line)
p.wait()
total = time.time() - t0
for name in sorted(first, key=first.get):
    print(f"{name:40s} {first[name]:7.1f} {last[name]:7.1f}")
print(f"total {total:.1f} s, exit {p.returncode}")
