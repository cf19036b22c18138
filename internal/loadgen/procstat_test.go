package loadgen

import (
	"math"
	"os"
	"strings"
	"testing"
)

const statusSample = `Name:	taskapi
Umask:	0022
State:	S (sleeping)
VmPeak:	 1261028 kB
VmSize:	 1261028 kB
VmHWM:	   23456 kB
VmRSS:	   20480 kB
Threads:	9
`

func TestParseStatus(t *testing.T) {
	s, err := ParseStatus(strings.NewReader(statusSample))
	if err != nil {
		t.Fatal(err)
	}
	if s.PeakRSSKiB != 23456 || s.RSSKiB != 20480 {
		t.Errorf("got HWM %d, RSS %d; want 23456 and 20480", s.PeakRSSKiB, s.RSSKiB)
	}
	if _, err := ParseStatus(strings.NewReader("Name:\tkthreadd\nState:\tS\n")); err == nil {
		t.Error("a status without VmHWM (a kernel thread) parsed without error")
	}
	if _, err := ParseStatus(strings.NewReader("VmHWM:\t12 MB\nVmRSS:\t1 kB\n")); err == nil {
		t.Error("a unit other than kB was accepted")
	}
}

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a ')' must not shift the fields:
	// utime is 1500 and stime 250 here.
	stat := "4242 (task api) x) S 1 4242 4242 0 -1 4194560 1200 0 0 0 1500 250 0 0 20 0 9 0 1234 1261028000 5120 18446744073709551615"
	got, err := ParseStatCPU(stat)
	if err != nil {
		t.Fatal(err)
	}
	if got != 1750 {
		t.Errorf("cpu ticks = %d, want 1750", got)
	}
	if _, err := ParseStatCPU("4242 (short) S 1 2"); err == nil {
		t.Error("a truncated stat parsed without error")
	}
	if _, err := ParseStatCPU("no parenthesis at all"); err == nil {
		t.Error("a stat without a command name parsed")
	}
}

func TestReadProcAndResetPeakOnThisProcess(t *testing.T) {
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if s.RSSKiB <= 0 || s.PeakRSSKiB < s.RSSKiB {
		t.Errorf("RSS %d kB, peak %d kB: want a positive RSS no higher than the peak", s.RSSKiB, s.PeakRSSKiB)
	}
	if err := ResetPeak(os.Getpid()); err != nil {
		t.Skipf("clear_refs not writable here: %v", err)
	}
	after, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after.PeakRSSKiB > s.PeakRSSKiB+10*1024 {
		t.Errorf("peak grew from %d to %d kB across a reset", s.PeakRSSKiB, after.PeakRSSKiB)
	}
}

func TestCPUSecondsPer1k(t *testing.T) {
	// 250 ticks (2.5 s at 100 per second) over 5,000 requests: 0.5 s per 1,000.
	got := CPUSecondsPer1k(ProcSample{CPUTicks: 1000}, ProcSample{CPUTicks: 1250}, 5000)
	if math.Abs(got-0.5) > 1e-9 {
		t.Errorf("got %v, want 0.5", got)
	}
	if CPUSecondsPer1k(ProcSample{}, ProcSample{CPUTicks: 10}, 0) != 0 {
		t.Error("no requests must give 0, not a division by zero")
	}
}
