#!/usr/bin/env python3
"""Where one Python zygote job's time goes, from a system-wide perf trace.

While flowgrid-micro-job runs BM_PythonJob/1 (one slot, one zygote):

  perf record -a -o steps.data -e raw_syscalls:sys_enter,raw_syscalls:sys_exit \\
      -e sched:sched_process_fork,sched:sched_switch,exceptions:page_fault_user -- sleep 1.5
  perf script -i steps.data -F comm,pid,tid,time,event,trace > steps.txt
  python3 benchmarks/micro/zygote_job_steps.py steps.txt ZYGOTE_PID

Each job's child is cut into steps at the system calls that begin them
(the zygote's clone, the first signal call, setsid, the first mount, the
OOM-score open, the seccomp prctl, the unmapping of the setup-report page,
the harness's first use of fd 3, its close of fd 3, of stdout, of fd 4, its
exit). Printed per step, medians over the jobs: time on a CPU (the child's
time switched out is subtracted, so waits for a CPU on a loaded machine do
not count) and page faults. The tracing itself adds about a microsecond
per system call and per fault.
"""
import collections
import re
import sys

UNISTD = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
PR_SET_SECCOMP = 22
LINE = re.compile(r"\s*\S+\s+(\d+)/(\d+)\s+(?:\[\d+\]\s+)?([\d.]+):\s+(\S+):\s+(.*)")


def syscall_names():
    names = {}
    with open(UNISTD) as header:
        for line in header:
            m = re.match(r"#define __NR_(\w+) (\d+)", line)
            if m:
                names[int(m.group(2))] = m.group(1)
    return names


def read_events(path):
    """(µs, tid, kind, name, detail) in time order; kind is enter, fork,
    switch (name: the pid switched out, detail: the pid switched in) or
    fault."""
    names = syscall_names()
    events = []
    with open(path) as trace:
        for line in trace:
            m = LINE.match(line)
            if not m:
                continue
            _, tid, seconds, event, rest = m.groups()
            t, tid = float(seconds) * 1e6, int(tid)
            if event == "raw_syscalls:sys_enter":
                number, args = re.match(r"NR (\d+) \((.*)\)", rest).groups()
                events.append((t, tid, "enter", names.get(int(number), number),
                               [int(a, 16) for a in args.split(", ")]))
            elif event == "raw_syscalls:sys_exit":
                number = int(re.match(r"NR (-?\d+)", rest).group(1))
                events.append((t, tid, "exit", names.get(number, str(number)), None))
            elif event == "sched:sched_process_fork":
                parent, child = re.search(r" pid=(\d+) .*child_pid=(\d+)", rest).groups()
                events.append((t, int(parent), "fork", int(child), None))
            elif event == "sched:sched_switch":
                out, into = re.search(r"prev_pid=(\d+) .*next_pid=(\d+)", rest).groups()
                events.append((t, tid, "switch", int(out), int(into)))
            elif event == "exceptions:page_fault_user":
                events.append((t, tid, "fault", None, None))
    events.sort(key=lambda e: e[0])
    return events


def off_cpu_intervals(events):
    off, since = collections.defaultdict(list), {}
    for t, _, kind, out, into in events:
        if kind == "switch":
            since[out] = t
            if into in since:
                off[into].append((since.pop(into), t))
    return off


def on_cpu(zygote, events):
    """The zygote's time on a CPU over the trace."""
    total, since = 0.0, None
    for t, _, kind, out, into in events:
        if kind == "switch":
            if into == zygote:
                since = t
            elif out == zygote and since is not None:
                total += t - since
                since = None
    return total


STEPS = [
    ("after-fork hooks (PyOS_AfterFork_Child)", "start", "signals"),
    ("signal dispositions and mask", "signals", "setsid"),
    ("setsid", "setsid", "mounts"),
    ("mounts: tmpfs /tmp, /dev/shm, /proc", "mounts", "oom"),
    ("OOM score, fds, rlimits, uid, pdeathsig, no_new_privs", "oom", "seccomp"),
    ("seccomp filter loaded", "seccomp", "harness"),
    ("harness: entry() up to reading the job", "harness", "input"),
    ("harness: job read and parsed", "input", "parsed"),
    ("harness: code compiled and run, reply encoded", "parsed", "stdout_closed"),
    ("harness: stdout/stderr closed, reply written", "stdout_closed", "replied"),
    ("exit after the reply (until the child is gone)", "replied", "gone"),
]


def marks_of(child_events, last_switch_out):
    """The step boundaries of one child, or None if the trace cut it."""
    marks = {"start": child_events[0][0], "gone": last_switch_out}
    for t, _, kind, name, args in child_events:
        if kind != "enter":
            if kind == "exit" and name == "munmap" and "harness" not in marks:
                marks["harness"] = t
            continue
        if name in ("rt_sigaction", "rt_sigprocmask"):
            marks.setdefault("signals", t)
        elif name == "setsid":
            marks.setdefault("setsid", t)
        elif name == "mount":
            marks.setdefault("mounts", t)
        elif name == "openat" and "mounts" in marks:
            marks.setdefault("oom", t)
        elif name == "prctl" and args[0] == PR_SET_SECCOMP:
            marks.setdefault("seccomp", t)
        elif "harness" in marks:
            if args[0] == 3 and name != "close":
                marks.setdefault("input", t)
            elif name == "close" and args[0] == 3:
                marks.setdefault("parsed", t)
            elif name == "close" and args[0] == 1:
                marks.setdefault("stdout_closed", t)
            elif name == "close" and args[0] == 4:
                marks["replied"] = t
    needed = {mark for _, a, b in STEPS for mark in (a, b)}
    return marks if needed <= marks.keys() else None


def main():
    events = read_events(sys.argv[1])
    zygote = int(sys.argv[2])
    children = [e[3] for e in events if e[2] == "fork" and e[1] == zygote]
    by_tid = collections.defaultdict(list)
    for e in events:
        by_tid[e[1]].append(e)
    off = off_cpu_intervals(events)
    last_out = {}
    for t, _, kind, out, _ in events:
        if kind == "switch":
            last_out[out] = t

    cpu, faults, clone = collections.defaultdict(list), collections.defaultdict(list), []
    for child in children:
        own = [e for e in by_tid[child] if e[2] != "switch"]
        if not own or child not in last_out:
            continue
        marks = marks_of(own, last_out[child])
        if marks is None:
            continue
        def busy(a, b):
            return (b - a) - sum(max(0.0, min(y, b) - max(x, a)) for x, y in off[child])
        for name, a, b in STEPS:
            cpu[name].append(busy(marks[a], marks[b]))
            faults[name].append(sum(1 for e in own if e[2] == "fault" and marks[a] <= e[0] < marks[b]))
        cpu["child, fork to gone"].append(busy(marks["start"], marks["gone"]))
        faults["child, fork to gone"].append(sum(1 for e in own if e[2] == "fault"))
        enters = [e[0] for e in by_tid[zygote] if e[2] == "enter" and e[3] == "clone" and e[0] < marks["start"]]
        exits = [e[0] for e in by_tid[zygote] if e[2] == "exit" and e[3] == "clone" and enters and e[0] > enters[-1]]
        if enters and exits:
            clone.append(exits[0] - enters[-1])

    median = lambda v: sorted(v)[len(v) // 2] if v else float("nan")
    jobs = len(cpu["child, fork to gone"])
    print("jobs measured: %d of %d forked" % (jobs, len(children)))
    print("%-56s %9s %7s" % ("step (child unless named)", "µs on CPU", "faults"))
    print("%-56s %9.0f %7s" % ("zygote: clone() (wall)", median(clone), ""))
    for name, _, _ in STEPS + [("child, fork to gone", None, None)]:
        print("%-56s %9.0f %7d" % (name, median(cpu[name]), median(faults[name])))
    zygote_faults = sum(1 for e in by_tid[zygote] if e[2] == "fault")
    print("%-56s %9.0f %7.0f" % ("zygote: all its work, per job", on_cpu(zygote, events) / len(children),
                                 zygote_faults / len(children)))


if __name__ == "__main__":
    main()
