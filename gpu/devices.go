package gpu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// GPU is one CUDA device as nvidia-smi reports it.
type GPU struct {
	Index             int    `json:"index"` // as nvidia-smi numbers it (before CUDA_VISIBLE_DEVICES)
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	MemoryMiB         int    `json:"memory_mib"`
	FreeMiB           int    `json:"free_mib"`
	ComputeCapability string `json:"compute_capability"` // e.g. "9.0"
	Driver            string `json:"driver"`
}

// SMArch is the device's nvcc architecture name, e.g. "90" for compute
// capability 9.0.
func (g GPU) SMArch() string { return strings.ReplaceAll(g.ComputeCapability, ".", "") }

// nvidiaSMIQuery is the query DiscoverGPUs runs.
var nvidiaSMIQuery = []string{"--query-gpu=index,uuid,name,memory.total,memory.free,compute_cap,driver_version", "--format=csv,noheader,nounits"}

// DiscoverGPUs lists the CUDA devices this process may use: those
// nvidia-smi reports, restricted and ordered by CUDA_VISIBLE_DEVICES when it
// is set. No nvidia-smi (or no driver) means no GPUs, not an error.
func DiscoverGPUs() ([]GPU, error) {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil, nil
	}
	out, err := exec.Command(path, nvidiaSMIQuery...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, nil // a driver-less machine: nvidia-smi fails
		}
		return nil, err
	}
	gpus, err := parseNvidiaSMI(string(out))
	if err != nil {
		return nil, err
	}
	visible, set := os.LookupEnv("CUDA_VISIBLE_DEVICES")
	return VisibleGPUs(gpus, visible, set), nil
}

// parseNvidiaSMI parses the CSV of nvidiaSMIQuery.
func parseNvidiaSMI(out string) ([]GPU, error) {
	var gpus []GPU
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 7 {
			return nil, fmt.Errorf("gpu: unexpected nvidia-smi line %q", line)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		idx, err1 := strconv.Atoi(f[0])
		mem, err2 := strconv.Atoi(f[3])
		free, err3 := strconv.Atoi(f[4])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("gpu: unexpected nvidia-smi line %q", line)
		}
		gpus = append(gpus, GPU{Index: idx, UUID: f[1], Name: f[2], MemoryMiB: mem, FreeMiB: free, ComputeCapability: f[5], Driver: f[6]})
	}
	return gpus, nil
}

// VisibleGPUs applies CUDA_VISIBLE_DEVICES semantics: unset (set false)
// keeps every device; otherwise a comma-separated list of indices or UUIDs
// (or UUID prefixes) selects devices in that order, and the list ends at the
// first entry that names no device, as in the CUDA runtime. An empty value
// hides every device.
func VisibleGPUs(gpus []GPU, visible string, set bool) []GPU {
	if !set {
		return gpus
	}
	var out []GPU
	for _, item := range strings.Split(visible, ",") {
		item = strings.TrimSpace(item)
		found := -1
		if n, err := strconv.Atoi(item); err == nil {
			for i, g := range gpus {
				if g.Index == n {
					found = i
				}
			}
		} else if item != "" {
			for i, g := range gpus {
				if strings.HasPrefix(g.UUID, item) || strings.HasPrefix(g.UUID, "GPU-"+item) {
					found = i
				}
			}
		}
		if found < 0 {
			break
		}
		out = append(out, gpus[found])
	}
	return out
}
