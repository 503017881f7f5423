"""What /proc says about a server process: CPU time, memory, descriptors, threads."""

import os
import re
import resource
from collections import namedtuple

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: Resident memory in MiB, open descriptors and threads; nan, -1, -1 when the process is gone.
Sample = namedtuple("Sample", "rss_mib fds threads")
GONE = Sample(float("nan"), -1, -1)


def stat_fields(text):
    """The fields of a /proc/PID/stat line after the command name (which may hold spaces and parentheses)."""
    return text.rsplit(")", 1)[1].split()


def cpu_times(pid):
    """User and system CPU seconds of the whole process."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat_fields(stat.read())
    return int(fields[11]) / CLOCK_TICKS, int(fields[12]) / CLOCK_TICKS


def cpu_seconds(pid):
    """User plus system CPU seconds of the whole process; nan when it is gone."""
    try:
        return sum(cpu_times(pid))
    except (OSError, IndexError, ValueError):
        return float("nan")


def status_value(text, key):
    """An integer field of a /proc/PID/status text, such as VmRSS (KiB) or Threads."""
    return int(re.search(rf"(?m)^{key}:\s+(\d+)", text).group(1))


def sample(pid):
    """Resident memory, descriptors and threads of `pid` now."""
    try:
        with open(f"/proc/{pid}/status") as status:
            text = status.read()
        return Sample(status_value(text, "VmRSS") / 1024, len(os.listdir(f"/proc/{pid}/fd")),
                      status_value(text, "Threads"))
    except (OSError, AttributeError):
        return GONE


def threads(pid, name):
    """(tid, text of /proc/PID/task/TID/`name`) for each thread of `pid` that still exists."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/{name}") as file:
                yield tid, file.read()
        except OSError:
            continue  # the thread ended meanwhile


def thread_cpu(pid):
    """CPU seconds of each thread: {tid: (name, seconds)}."""
    result = {}
    for tid, text in threads(pid, "stat"):
        fields = stat_fields(text)
        result[tid] = (text[text.index("(") + 1:text.rindex(")")], (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return result


def context_switches(pid):
    """Voluntary and involuntary context switches of all the process's threads so far."""
    texts = [text for _, text in threads(pid, "status")]
    return (sum(status_value(text, "voluntary_ctxt_switches") for text in texts),
            sum(status_value(text, "nonvoluntary_ctxt_switches") for text in texts))


def child_pids(parent):
    """The processes whose parent is `parent` (nginx's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat_fields(stat.read())[1]) == parent:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def command_name(pid):
    """The command name of `pid` (as in /proc/PID/comm), or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return None


def load_average():
    """The 1, 5 and 15 minute load averages as printed by uptime."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def raise_fd_limit(needed):
    """Raises this process's soft open-files limit towards `needed` (at most the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, needed))
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted
