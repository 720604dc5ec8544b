package gpu

/*
#include <sys/utsname.h>
#include <string.h>

static void gn_uname_machine(char *out, size_t n) {
	struct utsname u;
	if (uname(&u) != 0) { out[0] = 0; return; }
	strncpy(out, u.machine, n - 1);
	out[n - 1] = 0;
}
*/
import "C"

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"unsafe"
)

// DefaultCFlags are the flags every C module is compiled with. They are the
// one place to change code generation settings; everything here is part of
// the cache key, and -march=native puts a digest of the host CPU model and
// features into it (TargetArch), so a cache shared between nodes never hands
// a module built for one CPU to another.
//
// Floating point must stay reproducible (a variant's output is bit-identical
// across runs and batches, and a value gives the same bits as a literal or a
// runtime parameter), so no -ffast-math (reassociation would make results
// depend on how the compiler folds literals) and no FMA contraction
// (-ffp-contract=off: -march=native enables FMA instructions). The
// value-preserving relaxations stay: -fno-trapping-math lets the compiler
// if-convert and vectorise branches in neuron code (it assumes no program
// inspects floating-point exception traps) and -fno-math-errno lets it
// inline sqrt and friends; neither changes a computed value. -fopenmp: the
// CPU backend's threads inside a step (gn_set_threads), whose results are
// the same bits as on one thread; a compiler without OpenMP ignores the
// pragmas once the flag is dropped.
var DefaultCFlags = []string{"-O3", "-march=native", "-fno-trapping-math", "-fno-math-errno", "-fPIC", "-shared", "-std=c11", "-ffp-contract=off", "-fopenmp"}

// DefaultCLibs are the libraries linked into every C module (after the
// sources on the command line).
var DefaultCLibs = []string{"-lm"}

// Toolchain is a C compiler and the flags a module is built with. Every field
// goes into the module cache key.
type Toolchain struct {
	// CC is the compiler command as given ($CC or "cc"); it may hold extra
	// words ("ccache gcc"), split on white space when run.
	CC string
	// Path is the resolved executable of CC's first word.
	Path string
	// Version is the first line of `CC --version`.
	Version string
	// Flags are the compile flags (DefaultCFlags unless changed).
	Flags []string
	// Libs are the link libraries appended after the sources (DefaultCLibs).
	Libs []string
	// CUDAEmulation compiles .cu sources as C++ with the host compiler
	// (see CUDAEmulationToolchain).
	CUDAEmulation bool
	// Arch is the target CPU (uname -m, plus the host CPU model when a
	// flag asks for -march=native / -mcpu=native). Empty means "this host",
	// filled in by Build.
	Arch string
}

// DetectCC finds the C compiler: $CC if set, else "cc". It runs
// `CC --version` and records the first line.
func DetectCC() (Toolchain, error) {
	cc := strings.TrimSpace(os.Getenv("CC"))
	if cc == "" {
		cc = "cc"
	}
	return NewToolchain(cc)
}

// NewToolchain describes compiler command cc with the default flags.
func NewToolchain(cc string) (Toolchain, error) {
	words := strings.Fields(cc)
	if len(words) == 0 {
		return Toolchain{}, errors.New("gpu: empty C compiler command")
	}
	path, err := exec.LookPath(words[0])
	if err != nil {
		return Toolchain{}, fmt.Errorf("gpu: C compiler %q not found (set $CC): %w", words[0], err)
	}
	args := append(append([]string{}, words[1:]...), "--version")
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return Toolchain{}, fmt.Errorf("gpu: %s --version failed: %v: %s", cc, err, strings.TrimSpace(string(out)))
	}
	version := strings.TrimSpace(firstLine(string(out)))
	tc := Toolchain{
		CC:      cc,
		Path:    path,
		Version: version,
		Flags:   WithCPUTarget(DefaultCFlags, os.Getenv("GENNCTL_CPU_TARGET")),
		Libs:    append([]string{}, DefaultCLibs...),
	}
	tc.Arch = TargetArch(tc.Flags)
	return tc, nil
}

// command is the compiler's executable and the words of CC after the first.
func (tc Toolchain) command() (string, []string) {
	words := strings.Fields(tc.CC)
	exe := tc.Path
	if exe == "" {
		exe = words[0]
	}
	return exe, append([]string{}, words[1:]...)
}

// argv is the compiler command line for the given sources and output.
func (tc Toolchain) argv(sources []string, output string) (string, []string) {
	exe, args := tc.command()
	args = append(args, tc.Flags...)
	args = append(args, "-o", output)
	for _, src := range sources {
		if tc.CUDAEmulation && strings.HasSuffix(src, ".cu") {
			args = append(args, "-x", "c++", src, "-x", "none")
			continue
		}
		args = append(args, src)
	}
	args = append(args, tc.Libs...)
	return exe, args
}

// SyntaxCheck runs the compiler's syntax check (-fsyntax-only) over the C
// sources among files, in a private temporary directory: what building
// the module would report about the code, in a fraction of the time. A
// failure is a *CompileError, as from Cache.Build.
func (tc Toolchain) SyntaxCheck(files map[string]string) error {
	sources, err := checkFiles(files)
	if err != nil {
		return err
	}
	var cs []string
	for _, src := range sources {
		if strings.HasSuffix(src, ".c") {
			cs = append(cs, src)
		}
	}
	if len(cs) == 0 {
		return nil
	}
	dir, err := os.MkdirTemp("", "gennctl-syntax-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	exe, args := tc.command()
	args = append(append(append(args, tc.Flags...), "-fsyntax-only"), cs...)
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return compileError(exe, args, string(out), dir, err)
	}
	return nil
}

// AllFlags is Flags followed by Libs, as recorded in provenance.
func (tc Toolchain) AllFlags() []string {
	return append(append([]string{}, tc.Flags...), tc.Libs...)
}

// HostArch is the machine name of this host (uname -m, e.g. "x86_64"),
// falling back to runtime.GOARCH.
func HostArch() string {
	var buf [128]C.char
	C.gn_uname_machine(&buf[0], C.size_t(len(buf)))
	m := C.GoString((*C.char)(unsafe.Pointer(&buf[0])))
	if m == "" {
		return runtime.GOARCH
	}
	return m
}

// TargetArch is the target CPU for code compiled with flags on this host:
// HostArch, and when a flag tunes for the host CPU (-march=native,
// -mcpu=native, -mtune=native) also a digest of the CPU model and feature
// flags, since such a module may not run on another CPU of the same arch.
func TargetArch(flags []string) string {
	arch := HostArch()
	for _, f := range flags {
		if strings.HasSuffix(f, "=native") {
			return arch + "/native-" + cpuModelDigest()
		}
		if t, ok := strings.CutPrefix(f, "-march="); ok {
			return arch + "/" + t
		}
	}
	return arch
}

// WithCPUTarget returns flags with -march=native replaced by -march=target
// (e.g. x86-64-v3), for a module cache shared by nodes with different CPUs:
// GENNCTL_CPU_TARGET set on the node that prebuilds and on the nodes that
// run makes them agree on one module. An empty target keeps native.
func WithCPUTarget(flags []string, target string) []string {
	out := append([]string{}, flags...)
	if target = strings.TrimSpace(target); target == "" || target == "native" {
		return out
	}
	for i, f := range out {
		if f == "-march=native" {
			out[i] = "-march=" + target
		}
	}
	return out
}

// cpuModelDigest identifies the host CPU model and features from
// /proc/cpuinfo (first processor only).
func cpuModelDigest() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	h := sha256.New()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			break // end of first processor block
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "vendor_id", "cpu family", "model", "model name", "flags",
			"CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features":
			fmt.Fprintf(h, "%s=%s\n", strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// CPUSlots is the number of CPU cores this process may use: runtime.NumCPU
// (which honours the scheduler affinity mask), lowered by a GOMAXPROCS
// environment variable and by a cgroup v2 CPU quota when present.
func CPUSlots() int {
	n := runtime.NumCPU()
	if v := strings.TrimSpace(os.Getenv("GOMAXPROCS")); v != "" {
		if m, err := strconv.Atoi(v); err == nil && m > 0 && m < n {
			n = m
		}
	}
	if q := cgroupCPUQuota(); q > 0 && q < n {
		n = q
	}
	if n < 1 {
		n = 1
	}
	return n
}

// cgroupCPUQuota reads the cgroup v2 cpu.max of this process, rounded up to
// whole CPUs; 0 when there is no limit or it cannot be read.
func cgroupCPUQuota() int {
	for _, dir := range cgroupDirs() {
		b, err := os.ReadFile(dir + "/cpu.max")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(bytes.TrimSpace(b)))
		if len(fields) != 2 || fields[0] == "max" {
			return 0
		}
		quota, err1 := strconv.ParseFloat(fields[0], 64)
		period, err2 := strconv.ParseFloat(fields[1], 64)
		if err1 != nil || err2 != nil || quota <= 0 || period <= 0 {
			return 0
		}
		c := int(quota / period)
		if float64(c)*period < quota {
			c++
		}
		return c
	}
	return 0
}

// MemoryLimit is the memory this process may use, in bytes: the machine's
// (MemTotal of /proc/meminfo), lowered by a cgroup v2 memory limit when
// present (a Slurm job's --mem); 0 when neither can be read.
func MemoryLimit() int64 {
	var limit int64
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil {
					limit = kb << 10
				}
			}
		}
	}
	for _, dir := range cgroupDirs() {
		b, err := os.ReadFile(dir + "/memory.max")
		if err != nil {
			continue
		}
		if v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && v > 0 && (limit == 0 || v < limit) {
			limit = v
		}
		break
	}
	return limit
}

// cgroupDirs are the cgroup v2 directories of this process, its own first.
func cgroupDirs() []string {
	var dirs []string
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "0::"); ok {
				dirs = append(dirs, "/sys/fs/cgroup"+strings.TrimRight(rest, "/"))
			}
		}
	}
	return append(dirs, "/sys/fs/cgroup")
}
