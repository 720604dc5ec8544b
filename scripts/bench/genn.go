package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// GeNN 4.9's PotjansMicrocircuit userproject, the reference the microcircuit
// benchmark compares with: built from a GeNN source tree (never part of
// this repository) with its single-threaded CPU backend, the network at a
// neuron scale with connectivity scale 1 (in-degrees kept, as pdConfig),
// run as GeNN's own binary, which times its simulation loop and, with
// --timing, its initialisation (initialize and initializeSparse).

// gennModel is the userproject built for one neuron scale and duration.
type gennModel struct {
	dir    string  // the copy's model directory, where the binary runs
	buildS float64 // generate_run: code generation and compilation (its own first run subtracted)
}

// gennPops are GeNN's names of the populations, in pdPopNames' order.
var gennPops = []string{"23E", "23I", "4E", "4I", "5E", "5I", "6E", "6I"}

// buildGeNN copies the userproject of the GeNN tree src into dir, sets
// cxxFlags (e.g. -march=native) as GeNN's userCxxFlagsGNU preference, and
// builds and runs it once with generate_run. GeNN's genn-buildmodel.sh
// comes from src/bin.
func buildGeNN(src, dir string, scale, durationMS float64, cxxFlags string) (*gennModel, error) {
	src, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	proj := filepath.Join(src, "userproject", "PotjansMicrocircuit_project")
	if _, err := os.Stat(filepath.Join(proj, "generate_run.cc")); err != nil {
		return nil, fmt.Errorf("%s: %w", src, errNoGeNN)
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	up := filepath.Join(dir, "userproject")
	if err := os.MkdirAll(up, 0o755); err != nil {
		return nil, err
	}
	for _, d := range []string{"include", "PotjansMicrocircuit_project"} {
		if out, err := exec.Command("cp", "-r", filepath.Join(src, "userproject", d), up).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copying %s: %v: %s", d, err, out)
		}
	}
	// userproject/include includes ../../include/genn/third_party headers.
	if err := os.Symlink(filepath.Join(src, "include"), filepath.Join(dir, "include")); err != nil {
		return nil, err
	}
	proj = filepath.Join(up, "PotjansMicrocircuit_project")
	if err := setGeNNFlags(filepath.Join(proj, "model", "PotjansMicrocircuit.cc"), cxxFlags); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "PATH="+filepath.Join(src, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	make := exec.Command("make")
	make.Dir, make.Env = proj, env
	if out, err := make.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("make generate_run: %v: %s", err, lastLines(string(out), 20))
	}
	gen := exec.Command("./generate_run", "--cpu-only", "--timing", "--neuron-scale", strconv.FormatFloat(scale, 'g', -1, 64),
		"--connectivity-scale", "1.0", "--duration", strconv.FormatFloat(durationMS, 'g', -1, 64), "bench")
	gen.Dir, gen.Env = proj, env
	start := time.Now()
	out, err := gen.CombinedOutput()
	wall := time.Since(start).Seconds()
	if err != nil {
		return nil, fmt.Errorf("generate_run: %v: %s", err, lastLines(string(out), 30))
	}
	first, err := parseGeNNRun(string(out))
	if err != nil {
		return nil, fmt.Errorf("generate_run: %v: %s", err, lastLines(string(out), 30))
	}
	return &gennModel{dir: filepath.Join(proj, "model"), buildS: wall - first.SetupS - first.SimS - first.recordS}, nil
}

// setGeNNFlags makes the model definition set GeNN's userCxxFlagsGNU
// preference to flags (none: "").
func setGeNNFlags(file, flags string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, "userCxxFlagsGNU") {
			continue
		}
		out = append(out, l)
		if strings.Contains(l, "GENN_PREFERENCES.optimizeCode = true;") && flags != "" {
			out = append(out, fmt.Sprintf("    GENN_PREFERENCES.userCxxFlagsGNU = %q;", flags))
		}
	}
	return os.WriteFile(file, []byte(strings.Join(out, "\n")), 0o644)
}

// gennRun is a run's own report.
type gennRun struct {
	childResult
	recordS float64
}

var (
	gennSimRE    = regexp.MustCompile(`Simulation:\s*([0-9.eE+-]+) seconds`)
	gennInitRE   = regexp.MustCompile(`\tInit:\s*([0-9.eE+-]+)`)
	gennSparseRE = regexp.MustCompile(`Sparse init:\s*([0-9.eE+-]+)`)
	gennRecordRE = regexp.MustCompile(`Record:\s*([0-9.eE+-]+)s`)
)

// parseGeNNRun reads the simulation loop's time and, set-up, the time of
// initialize and initializeSparse (ms, --timing) from the binary's output.
func parseGeNNRun(out string) (gennRun, error) {
	var r gennRun
	get := func(re *regexp.Regexp) (float64, error) {
		m := re.FindStringSubmatch(out)
		if m == nil {
			return 0, fmt.Errorf("no %q in GeNN's output", re.String())
		}
		return strconv.ParseFloat(m[1], 64)
	}
	var err [4]error
	var initMS, sparseMS float64
	r.SimS, err[0] = get(gennSimRE)
	initMS, err[1] = get(gennInitRE)
	sparseMS, err[2] = get(gennSparseRE)
	r.recordS, err[3] = get(gennRecordRE)
	for _, e := range err {
		if e != nil {
			return r, e
		}
	}
	r.SetupS = (initMS + sparseMS) / 1000
	return r, nil
}

// run runs the built binary once on cpu and counts the spikes it wrote.
func (g *gennModel) run(cpu int) (childResult, error) {
	c := pinned(cpuList(cpu, 1), "./PotjansMicrocircuit", "bench")
	c.Dir = g.dir
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Run(); err != nil {
		return childResult{}, fmt.Errorf("GeNN's PotjansMicrocircuit: %v: %s", err, lastLines(out.String(), 20))
	}
	r, err := parseGeNNRun(out.String())
	if err != nil {
		return childResult{}, err
	}
	r.RSSKB = maxRSS(c)
	for _, p := range gennPops {
		n, err := countLines(filepath.Join(g.dir, "..", "bench_output", "bench."+p+".st"))
		if err != nil {
			return childResult{}, err
		}
		r.Counts = append(r.Counts, n)
	}
	return r.childResult, nil
}

// countLines counts the lines of a text file (GeNN's spike files: one
// "time id" line per spike).
func countLines(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}
