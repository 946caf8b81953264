//go:build linux

package main

// Speed goal of issue 12: start to first frame in at most 50 ms with the
// built binary. Checked by BenchmarkStartToFirstFrame (never by a timed
// test); bench/startup.sh runs it and compares the median and p95 with the
// goal.
//
// Each iteration starts the built binary on a fresh pseudo-terminal (80×24,
// an empty state directory, no keyring) and times from just before the
// process is started until the terminal has received the first frame: the
// header's "reclaim" title once the screen is drawn. "menu" is the time
// until the start menu's "Start a new drill" is drawn too (the incident
// list has been read). The process is then quit with q, outside the timing.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/charmbracelet/x/ansi"
)

// openPTY opens a pseudo-terminal pair of the given size (Linux /dev/ptmx),
// with the standard library only.
func openPTY(cols, rows uint16) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	ioctl := func(f *os.File, req uintptr, arg unsafe.Pointer) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); e != 0 {
			return e
		}
		return nil
	}
	var n uint32
	if err = ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		master.Close()
		return nil, nil, err
	}
	var unlock int32
	if err = ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		master.Close()
		return nil, nil, err
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	ws := struct{ Row, Col, X, Y uint16 }{rows, cols, 0, 0}
	if err = ioctl(slave, syscall.TIOCSWINSZ, unsafe.Pointer(&ws)); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// startupBinary is the binary to time: $RECLAIM_BENCH_BIN (bench/startup.sh
// builds it), else one built here.
func startupBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("RECLAIM_BENCH_BIN"); p != "" {
		return p
	}
	bin := filepath.Join(tb.TempDir(), "reclaim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// startOnce launches bin on a new 80×24 pty and returns how long until the
// first frame and until the start menu were on the terminal.
func startOnce(tb testing.TB, bin, state string) (frame, menu time.Duration) {
	tb.Helper()
	master, slave, err := openPTY(80, 24)
	if err != nil {
		tb.Skipf("skipping: no pseudo-terminal here: %v", err)
	}
	defer master.Close()
	cmd := exec.Command(bin, "--state-dir", state)
	cmd.Env = append(os.Environ(), "RECLAIM_NO_KEYRING=1", "TERM=xterm-256color", "COLORTERM=")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}

	type chunk struct {
		at time.Time
		b  []byte
	}
	chunks := make(chan chunk, 1024)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(chunks)
		buf := make([]byte, 64<<10)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				chunks <- chunk{time.Now(), slices.Clone(buf[:n])}
			}
			if err != nil {
				return
			}
		}
	}()

	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	slave.Close()
	var out strings.Builder
	timeout := time.After(10 * time.Second)
	for frame == 0 || menu == 0 {
		select {
		case c, ok := <-chunks:
			if !ok {
				tb.Fatalf("reclaim exited before drawing; output:\n%q", out.String())
			}
			out.Write(c.b)
			plain := ansi.Strip(out.String())
			if frame == 0 && strings.Contains(plain, "reclaim") {
				frame = c.at.Sub(start)
			}
			if menu == 0 && strings.Contains(plain, "Start a new drill") {
				menu = c.at.Sub(start)
			}
		case <-timeout:
			cmd.Process.Kill()
			cmd.Wait()
			tb.Fatalf("no first frame within 10 s; output:\n%q", out.String())
		}
	}
	master.Write([]byte("q"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		<-done
	}
	master.Close()
	for range chunks {
	}
	wg.Wait()
	return frame, menu
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1)*p + 0.5)
	return s[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkStartToFirstFrame: ns/op is the mean time from launch to the
// first frame; ms-median, ms-p95 and ms-menu-median are reported too.
func BenchmarkStartToFirstFrame(b *testing.B) {
	bin := startupBinary(b)
	state := b.TempDir()
	startOnce(b, bin, state) // warm the page cache: the first run reads the binary from disk
	var frames, menus []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, m := startOnce(b, bin, state)
		frames, menus = append(frames, f), append(menus, m)
	}
	b.StopTimer()
	var sum time.Duration
	for _, f := range frames {
		sum += f
	}
	// ns/op is launch-to-frame only, not the quit that follows it.
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(frames)), "ns/op")
	b.ReportMetric(ms(percentile(frames, 0.5)), "ms-median")
	b.ReportMetric(ms(percentile(frames, 0.95)), "ms-p95")
	b.ReportMetric(ms(percentile(menus, 0.5)), "ms-menu-median")
}
