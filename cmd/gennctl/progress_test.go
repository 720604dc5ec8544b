package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
)

// On a terminal the batches redraw one bar line (variants done/total, rate,
// ETA, failures); other lines clear it first; the end leaves a newline.
func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, tty: true}
	p.event(sweep.Event{Kind: "plan", Variants: 10, Groups: 1, Skipped: 2, Dir: "out/x"})
	p.start = time.Now().Add(-2 * time.Second)
	p.event(sweep.Event{Kind: "batch", Done: 6, Total: 10, Failed: 1})
	out := buf.String()
	assert.Contains(t, out, "[##################............] 6/10 variants")
	assert.Regexp(t, `2\.0/s  ETA 2s  1 failed$`, out, "4 ran in 2 s: 2/s, 4 left: 2 s")
	p.event(sweep.Event{Kind: "variant", Status: "failed", VariantID: 7, Failure: "crash", Error: "boom"})
	assert.Contains(t, buf.String(), "\r\033[Kvariant 7 failed (crash): boom\n")
	p.event(sweep.Event{Kind: "batch", Done: 10, Total: 10, Failed: 1})
	p.event(sweep.Event{Kind: "done"})
	assert.True(t, strings.HasSuffix(buf.String(), "1 failed\n"))
}

// Elsewhere (a pipe, a file) progress is plain lines.
func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	print := progressPrinter(&buf, &buf, false, false)
	print(sweep.Event{Kind: "batch", Done: 3, Total: 4})
	assert.Equal(t, "run: 3/4 variants done, 0 failed\n", buf.String())
}
