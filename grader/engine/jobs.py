"""A Windows Job Object around the child: its limits, and one call that kills it all.

Every process the child starts joins its job (no breakaway is allowed), so
``TerminateJobObject`` kills the whole tree, detached processes included, and the job is
created with kill-on-close: when the grader's handle closes, because it is done or because
it died, whatever is still in the job dies too (what ``PR_SET_PDEATHSIG`` and the child
subreaper give on Linux). The job also holds the limits Windows has instead of rlimits:

    JOB_OBJECT_LIMIT_JOB_MEMORY               memory committed by the whole job (MemoryError)
    JOB_OBJECT_LIMIT_PROCESS_TIME             CPU time of each process
    JOB_OBJECT_LIMIT_ACTIVE_PROCESS           processes at once (a fork bomb stops there)
    JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION   a crash ends the process, no error dialog

The child is assigned right after it is created, while its interpreter is still starting:
it runs no code of the student's before that. A virtual environment's ``python.exe`` is
a launcher that starts the real interpreter as a child of its own: the job holds both.

ctypes only; the structures are laid out as in winnt.h (their sizes are checked by
tests/test_portable_parts.py on every platform), and ``kernel32`` can be a stand-in for tests.
"""

import ctypes

JOB_OBJECT_LIMIT_PROCESS_TIME = 0x00000002
JOB_OBJECT_LIMIT_ACTIVE_PROCESS = 0x00000008
JOB_OBJECT_LIMIT_JOB_MEMORY = 0x00000200
JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION = 0x00000400
JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x00002000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS = 9
KILLED_EXIT_CODE = 137  # what a process killed this way exits with (128 + SIGKILL, as a hint)
HUNDRED_NS_PER_SECOND = 10_000_000


class BasicLimits(ctypes.Structure):  # JOBOBJECT_BASIC_LIMIT_INFORMATION
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64),
                ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32),
                ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t),
                ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t),
                ("PriorityClass", ctypes.c_uint32),
                ("SchedulingClass", ctypes.c_uint32)]


class IoCounters(ctypes.Structure):  # IO_COUNTERS
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "ReadOperationCount", "WriteOperationCount", "OtherOperationCount",
        "ReadTransferCount", "WriteTransferCount", "OtherTransferCount")]


class ExtendedLimits(ctypes.Structure):  # JOBOBJECT_EXTENDED_LIMIT_INFORMATION
    _fields_ = [("BasicLimitInformation", BasicLimits),
                ("IoInfo", IoCounters),
                ("ProcessMemoryLimit", ctypes.c_size_t),
                ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t),
                ("PeakJobMemoryUsed", ctypes.c_size_t)]


def extended_limits(memory_bytes=None, cpu_seconds=None, processes=None):
    """The job's limits: kill on close and no crash dialog always, the others when given."""
    info = ExtendedLimits()
    flags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION
    if memory_bytes:
        flags |= JOB_OBJECT_LIMIT_JOB_MEMORY
        info.JobMemoryLimit = int(memory_bytes)
    if cpu_seconds:
        flags |= JOB_OBJECT_LIMIT_PROCESS_TIME
        info.BasicLimitInformation.PerProcessUserTimeLimit = int(cpu_seconds * HUNDRED_NS_PER_SECOND)
    if processes:
        flags |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS
        info.BasicLimitInformation.ActiveProcessLimit = int(processes)
    info.BasicLimitInformation.LimitFlags = flags
    return info


def windows_kernel32():
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle, bool_ = ctypes.c_void_p, ctypes.c_int
    for name, restype, argtypes in (
            ("CreateJobObjectW", handle, [ctypes.c_void_p, ctypes.c_wchar_p]),
            ("SetInformationJobObject", bool_, [handle, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32]),
            ("AssignProcessToJobObject", bool_, [handle, handle]),
            ("TerminateJobObject", bool_, [handle, ctypes.c_uint]),
            ("CloseHandle", bool_, [handle])):
        function = getattr(kernel32, name)
        function.restype, function.argtypes = restype, argtypes
    return kernel32


class JobObject:
    """One job for one child: ``limits`` holds memory_bytes, cpu_seconds, processes."""

    def __init__(self, limits, kernel32=None):
        self.kernel32 = kernel32 or windows_kernel32()
        self.handle = self.kernel32.CreateJobObjectW(None, None)
        if not self.handle:
            raise self._error("CreateJobObjectW")
        info = extended_limits(**limits)
        if not self.kernel32.SetInformationJobObject(self.handle, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION_CLASS,
                                                     ctypes.byref(info), ctypes.sizeof(info)):
            error = self._error("SetInformationJobObject")
            self.close()
            raise error

    def assign(self, process):
        """Put the just-started ``process`` (a Popen) in the job."""
        if not self.kernel32.AssignProcessToJobObject(self.handle, int(process._handle)):
            raise self._error("AssignProcessToJobObject")

    def terminate(self):
        if self.handle:
            self.kernel32.TerminateJobObject(self.handle, KILLED_EXIT_CODE)

    def close(self):
        if self.handle:
            self.kernel32.CloseHandle(self.handle)
            self.handle = None

    def _error(self, call):
        code = ctypes.get_last_error() if hasattr(ctypes, "get_last_error") else 0
        return OSError(code, f"{call} failed")
