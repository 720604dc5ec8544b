package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gennctl/gennctl/sweep"
)

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressPrinter turns run events into JSON lines on stdout (--json), a
// redrawn progress bar on a terminal, or plain lines on stderr otherwise.
func progressPrinter(stdout, stderr io.Writer, jsonOut, quiet bool) func(sweep.Event) {
	if jsonOut {
		enc := json.NewEncoder(stdout)
		return func(e sweep.Event) { _ = enc.Encode(e) }
	}
	if quiet {
		return func(sweep.Event) {}
	}
	p := &progress{w: stderr, tty: isTerminal(stderr), start: time.Now()}
	return p.event
}

// progress prints sweep events for a person.
type progress struct {
	w       io.Writer
	tty     bool
	start   time.Time
	bar     bool // a bar is drawn on the current line
	skipped int
}

// line prints a whole line, clearing a bar first on a terminal.
func (p *progress) line(format string, args ...any) {
	if p.bar {
		fmt.Fprint(p.w, "\r\033[K")
		p.bar = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) event(e sweep.Event) {
	switch e.Kind {
	case "config":
		p.line("config: continuing with a changed config (--force-config); what changed:\n  %s\nconfig: %s", strings.Join(e.Changes, "\n  "), e.Error)
	case "plan":
		p.skipped = e.Skipped
		p.start = time.Now()
		p.line("plan: %d variant(s), %d structure(s), %d already complete, backend %s (%s) -> %s", e.Variants, e.Groups, e.Skipped, e.Backend, e.Reason, e.Dir)
	case "build":
		how := "compiled"
		if e.CacheHit {
			how = "cache hit"
		}
		p.line("build: structure %s %s (%.2f s)", e.Structure, how, e.Seconds)
	case "batch":
		if p.tty {
			p.drawBar(e)
		} else {
			p.line("run: %d/%d variants done, %d failed", e.Done, e.Total, e.Failed)
		}
	case "variant":
		if e.Status == "failed" {
			p.line("variant %d failed (%s): %s", e.VariantID, e.Failure, e.Error)
		}
	case "retry":
		p.line("retry: a batch of %d variant(s) failed (%s: %s); running it again as %d batch(es)", e.Variants, e.Failure, e.Error, e.Groups)
	case "interrupted":
		p.line("interrupted: %d/%d variants done, %d failed, %d to run", e.Done, e.Total, e.Failed, e.Pending)
	case "done":
		if p.bar {
			fmt.Fprintln(p.w)
			p.bar = false
		}
	}
}

// drawBar redraws the progress bar: variants done of total, rate, ETA and
// failures.
func (p *progress) drawBar(e sweep.Event) {
	const width = 30
	frac := 0.0
	if e.Total > 0 {
		frac = float64(e.Done) / float64(e.Total)
	}
	filled := int(frac * width)
	ran := e.Done - p.skipped
	elapsed := time.Since(p.start).Seconds()
	rate, eta := 0.0, "?"
	if ran > 0 && elapsed > 0 {
		rate = float64(ran) / elapsed
		eta = time.Duration(float64(e.Total-e.Done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d variants  %.1f/s  ETA %s  %d failed",
		strings.Repeat("#", filled), strings.Repeat(".", width-filled), e.Done, e.Total, rate, eta, e.Failed)
	p.bar = true
}
