package provenance

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// CurrentEnvironment describes this machine as far as the standard library and /proc tell:
// OS, kernel release, CPU model, cores, memory, Go version and hostname. Anything it cannot
// read is left empty rather than failing, since provenance must not stop a sweep. GPU, driver
// and CUDA fields are left for callers (the gpu package knows them).
func CurrentEnvironment() Environment {
	e := Environment{
		OS:        runtime.GOOS + "/" + runtime.GOARCH,
		Cores:     runtime.NumCPU(),
		GoVersion: runtime.Version(),
	}
	e.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		e.Kernel = strings.TrimSpace(string(b))
	}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		e.CPUModel = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		// "16318412 kB"; the kernel's kB are KiB.
		if f := strings.Fields(v); len(f) >= 1 {
			if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				e.MemoryBytes = kb * 1024
			}
		}
	}
	return e
}

// procField returns the value of the first "key : value" line with the given key.
func procField(path, key string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}
