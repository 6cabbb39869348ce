package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// writerIsTerminal reports whether w is an interactive terminal, where a progress
// meter may be drawn. Tests replace it.
var writerIsTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && fileIsTTY(f)
}

// progressInterval is the least time between two redraws of a meter.
const progressInterval = 100 * time.Millisecond

// progressState is what a meter line is drawn from.
type progressState struct {
	done, total int64 // total < 0: unknown
	elapsed     time.Duration
}

// progressMeter draws a one-line meter on a terminal, redrawn in place (with a
// carriage return) at most every progressInterval, and ended by a newline. A nil
// *progressMeter draws nothing, so that callers need not check. It is safe for
// concurrent use.
type progressMeter struct {
	w      io.Writer
	render func(progressState) string

	mu      sync.Mutex
	start   time.Time
	last    time.Time
	done    int64
	total   int64
	unknown bool // some part has no known size
	width   int  // of the line drawn last
	ended   bool
}

func newProgressMeter(w io.Writer, render func(progressState) string) *progressMeter {
	return &progressMeter{w: w, render: render, start: time.Now()}
}

// addTotal adds n bytes to the expected total; n < 0 makes it unknown.
func (p *progressMeter) addTotal(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if n < 0 {
		p.unknown = true
	} else {
		p.total += n
	}
}

// add counts n more units done and redraws, if it is time to.
func (p *progressMeter) add(n int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if now := time.Now(); now.Sub(p.last) >= progressInterval {
		p.last = now
		p.draw()
	}
}

// set sets the units done (bench counts requests) and redraws, if it is time to.
func (p *progressMeter) set(done int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done = done
	p.mu.Unlock()
	p.add(0)
}

func (p *progressMeter) state() progressState {
	s := progressState{done: p.done, total: p.total, elapsed: time.Since(p.start)}
	if p.unknown {
		s.total = -1
	}
	return s
}

// draw rewrites the line; the caller holds p.mu.
func (p *progressMeter) draw() {
	if p.ended {
		return
	}
	line := p.render(p.state())
	pad := ""
	if n := p.width - len(line); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	p.width = len(line)
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
}

// clear blanks the line; the caller holds p.mu.
func (p *progressMeter) clear() {
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}

// above runs f, which writes to the terminal, with the meter out of its way.
func (p *progressMeter) above(f func()) {
	if p == nil {
		f()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	f()
	if !p.ended && p.done > 0 {
		p.draw()
	}
}

// finish draws the final state and ends the line.
func (p *progressMeter) finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return
	}
	p.draw()
	p.ended = true
	fmt.Fprintln(p.w)
}

// downloadMeterLine draws a download: percentage and bar when the size is known,
// bytes, rate and time left.
func downloadMeterLine(s progressState) string {
	rate := 0.0
	if s.elapsed > 0 {
		rate = float64(s.done) / s.elapsed.Seconds()
	}
	if s.total < 0 || s.total == 0 && s.done > 0 {
		return fmt.Sprintf("%10s  %10s/s  %s", formatSize(s.done), formatSize(int64(rate)), formatClock(s.elapsed))
	}
	frac := 1.0
	if s.total > 0 {
		frac = min(float64(s.done)/float64(s.total), 1)
	}
	const width = 30
	fill := int(frac * width)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "--:--:--"
	if rate > 0 {
		eta = formatClock(time.Duration(float64(s.total-s.done) / rate * float64(time.Second)))
	}
	return fmt.Sprintf("%5.1f%% [%s] %10s / %-10s %10s/s  eta %s", frac*100, bar,
		formatSize(s.done), formatSize(s.total), formatSize(int64(rate)), eta)
}

// formatSize writes a byte count with a binary unit: 512 B, 1.5 KiB, 20.0 MiB.
func formatSize(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, unit := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if f < 1024 || unit == "TiB" {
			return fmt.Sprintf("%.1f %s", f, unit)
		}
	}
	panic("unreachable")
}

// formatClock writes a duration as h:mm:ss.
func formatClock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
