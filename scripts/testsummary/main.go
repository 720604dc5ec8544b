// Command testsummary reads the events of `go test -json` on stdin and
// prints what a plain `go test` prints (package results, and the output of
// failing tests), then a short summary of the tests that skipped, grouped by
// their reason (no GPU, no nvcc, no Slurm, -short, ...), so that a green run
// says what it did not test. It exits 1 when a test or package failed.
//
//	go test -json ./... | go run ./scripts/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	failed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// fileLine is the "    file_test.go:12: " that t.Skip puts before its message.
var fileLine = regexp.MustCompile(`^\s*[\w./-]+\.go:\d+: `)

func summarize(in io.Reader, out io.Writer) (failed bool, err error) {
	type key struct{ pkg, test string }
	buffered := map[key][]string{}
	skips := map[string][]string{} // reason → package.Test
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(out, sc.Text()) // not an event: build output
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Action == "output" && e.Test == "" && e.Output == "PASS\n": // verbose only
		case e.Action == "output" && e.Test == "":
			fmt.Fprint(out, e.Output) // ok/FAIL lines, build errors, no test files
		case e.Action == "output":
			buffered[k] = append(buffered[k], e.Output)
		case e.Action == "fail":
			failed = true
			for _, l := range buffered[k] {
				fmt.Fprint(out, l)
			}
		case e.Action == "skip" && e.Test != "":
			reason := skipReason(buffered[k])
			skips[reason] = append(skips[reason], shortPackage(e.Package)+"."+e.Test)
		}
		if e.Action == "pass" || e.Action == "fail" || e.Action == "skip" {
			delete(buffered, k)
		}
	}
	if err := sc.Err(); err != nil {
		return failed, err
	}
	printSkips(out, skips)
	return failed, nil
}

// skipReason is the message of a skipped test: its last output line that
// is not the test framework's own.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		return strings.TrimSpace(fileLine.ReplaceAllString(lines[i], ""))
	}
	return "(no reason given)"
}

// shortPackage is a package path without the module's.
func shortPackage(p string) string { return strings.TrimPrefix(p, "github.com/gennctl/gennctl/") }

// maxNamed bounds the tests named per reason.
const maxNamed = 4

func printSkips(out io.Writer, skips map[string][]string) {
	n := 0
	reasons := make([]string, 0, len(skips))
	for r, ts := range skips {
		reasons = append(reasons, r)
		n += len(ts)
	}
	if n == 0 {
		fmt.Fprintln(out, "skipped: none")
		return
	}
	sort.Slice(reasons, func(i, j int) bool {
		if a, b := len(skips[reasons[i]]), len(skips[reasons[j]]); a != b {
			return a > b
		}
		return reasons[i] < reasons[j]
	})
	fmt.Fprintf(out, "skipped: %d test(s), by reason:\n", n)
	for _, r := range reasons {
		ts := skips[r]
		sort.Strings(ts)
		named := strings.Join(ts[:min(len(ts), maxNamed)], ", ")
		if len(ts) > maxNamed {
			named += fmt.Sprintf(", ... %d more", len(ts)-maxNamed)
		}
		fmt.Fprintf(out, "  %4d  %s (%s)\n", len(ts), r, named)
	}
}
