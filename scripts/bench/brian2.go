package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// brianPython is the interpreter of the Debian python3-brian package.
const brianPython = "/usr/bin/python3"

// brian2Available reports whether Brian2 can be imported by brianPython.
func brian2Available() (string, bool) {
	out, err := exec.Command(brianPython, "-c", "import brian2; print(brian2.__version__)").Output()
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

// brianModel is a compiled Brian2 standalone project of one size.
type brianModel struct {
	n      int
	dir    string
	buildS float64 // code generation + compilation (Python included)
}

// buildBrian2 generates and compiles Brian2's CUBA at n neurons in dir.
func buildBrian2(script string, n int, durationMS float64, dir string) (*brianModel, error) {
	cmd := exec.Command(brianPython, script, strconv.Itoa(n), strconv.FormatFloat(durationMS, 'g', -1, 64), dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start).Seconds()
	if err != nil {
		return nil, fmt.Errorf("brian2 build N=%d: %v: %s", n, err, lastLines(stderr.String(), 20))
	}
	var res struct {
		BuildS float64 `json:"build_s"`
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return nil, fmt.Errorf("brian2 build N=%d: output %q: %v", n, out, err)
	}
	_ = res
	return &brianModel{n: n, dir: dir, buildS: wall}, nil
}

// run executes the standalone binary once. SimS is Brian2's own time of the
// simulation loop (results/last_run_info.txt); SetupS is the rest of the
// binary's wall time (synapse creation, initialisation, writing results).
func (b *brianModel) run() (runResult, error) {
	var r runResult
	cmd := exec.Command("./main")
	cmd.Dir = b.dir
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return r, fmt.Errorf("brian2 run N=%d: %v: %s", b.n, err, lastLines(string(out), 20))
	}
	wall := time.Since(start).Seconds()
	info, err := os.ReadFile(filepath.Join(b.dir, "results", "last_run_info.txt"))
	if err != nil {
		return r, err
	}
	f := strings.Fields(string(info))
	if len(f) < 1 {
		return r, fmt.Errorf("brian2: empty last_run_info.txt")
	}
	if r.SimS, err = strconv.ParseFloat(f[0], 64); err != nil {
		return r, err
	}
	r.SetupS = wall - r.SimS
	// Spikes per neuron and out-degrees: events = sum_i count_i * outdeg_i.
	counts, err := readInt32s(b.dir, "_array_spikemonitor_count_")
	if err != nil {
		return r, err
	}
	for _, c := range counts {
		r.Spikes += int(c)
	}
	for _, obj := range []string{"synapses", "synapses_1"} {
		out, err := readInt32s(b.dir, "_dynamic_array_"+obj+"_N_outgoing_")
		if err != nil {
			return r, err
		}
		for i, d := range out {
			r.Synapses += int(d)
			if i < len(counts) {
				r.Events += float64(counts[i]) * float64(d)
			}
		}
	}
	return r, nil
}

// readInt32s reads the Brian2 result array whose file name starts with prefix.
func readInt32s(dir, prefix string) ([]int32, error) {
	m, _ := filepath.Glob(filepath.Join(dir, "results", prefix+"*"))
	if len(m) != 1 {
		return nil, fmt.Errorf("brian2: %d result files %s* in %s", len(m), prefix, dir)
	}
	data, err := os.ReadFile(m[0])
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(data)/4)
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, out); err != nil {
		return nil, err
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
