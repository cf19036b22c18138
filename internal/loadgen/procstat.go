package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// TicksPerSecond is Linux's USER_HZ, the unit of the CPU times in
// /proc/<pid>/stat: 100 on every architecture Go supports on Linux (the
// kernel's own HZ may differ; the value exported to user space does not).
const TicksPerSecond = 100

// ProcSample is one reading of a process's memory and CPU.
type ProcSample struct {
	PeakRSSKiB int64 // VmHWM: the most resident memory since start or the last ResetPeak
	RSSKiB     int64 // VmRSS now
	CPUTicks   int64 // user + system time, in TicksPerSecond units
}

// ReadProc reads pid's figures from /proc.
func ReadProc(pid int) (ProcSample, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcSample{}, err
	}
	s, err := ParseStatus(bytes.NewReader(status))
	if err != nil {
		return ProcSample{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, err
	}
	s.CPUTicks, err = ParseStatCPU(string(stat))
	return s, err
}

// ResetPeak restarts pid's VmHWM from its current RSS (clear_refs value 5,
// Linux 4.0 and later), so that the next reading is the peak of what
// happened since. It needs permission to write the process's clear_refs:
// the same user, which the benchmark is for the processes it starts.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// ParseStatus reads VmHWM and VmRSS (in kB) from /proc/<pid>/status.
func ParseStatus(r io.Reader) (ProcSample, error) {
	var s ProcSample
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmHWM" && name != "VmRSS") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return ProcSample{}, fmt.Errorf("status: %s: unexpected %q", name, value)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return ProcSample{}, fmt.Errorf("status: %s: %w", name, err)
		}
		if name == "VmHWM" {
			s.PeakRSSKiB = n
		} else {
			s.RSSKiB = n
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return ProcSample{}, err
	}
	if found != 2 {
		return ProcSample{}, fmt.Errorf("status: VmHWM or VmRSS missing (a kernel thread, or a zombie?)")
	}
	return s, nil
}

// ParseStatCPU returns utime+stime from the text of /proc/<pid>/stat. The
// command name (field 2) is in parentheses and may itself contain spaces
// and parentheses, so the fields are counted from the last ')'.
func ParseStatCPU(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat: no command name")
	}
	// After ")": state is field 3, utime field 14 and stime field 15.
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least 13", len(fields))
	}
	var total int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("stat: cpu time %q: %w", f, err)
		}
		total += n
	}
	return total, nil
}

// CPUSecondsPer1k is CPU time spent per 1,000 requests, between two
// samples of one process; 0 when no request was served.
func CPUSecondsPer1k(before, after ProcSample, requests int64) float64 {
	if requests <= 0 {
		return 0
	}
	return float64(after.CPUTicks-before.CPUTicks) / TicksPerSecond / float64(requests) * 1000
}
