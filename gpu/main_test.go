package gpu

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

// TestMain doubles as the worker process and as a concurrent cache builder
// for the multi-process tests.
func TestMain(m *testing.M) {
	if os.Getenv("GENNCTL_TEST_WORKER") == "1" {
		if err := ServeWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if dir := os.Getenv("GENNCTL_TEST_BUILD_DIR"); dir != "" {
		os.Exit(buildChild(dir))
	}
	os.Exit(m.Run())
}

// buildChild builds the toy module into the cache at dir at the time given
// by GENNCTL_TEST_BUILD_AT and prints the BuildResult as JSON.
func buildChild(dir string) int {
	if at, err := strconv.ParseInt(os.Getenv("GENNCTL_TEST_BUILD_AT"), 10, 64); err == nil {
		time.Sleep(time.Until(time.Unix(0, at)))
	}
	tc, err := DetectCC()
	if err == nil {
		var c *Cache
		if c, err = OpenCache(dir); err == nil {
			var files map[string]string
			if files, err = toyFilesErr(); err == nil {
				var res BuildResult
				if res, err = c.Build(files, tc); err == nil {
					json.NewEncoder(os.Stdout).Encode(res)
					return 0
				}
			}
		}
	}
	fmt.Fprintln(os.Stderr, "build child:", err)
	return 1
}

func toyFilesErr() (map[string]string, error) {
	src, err := os.ReadFile("testdata/toy_module.c")
	if err != nil {
		return nil, err
	}
	return map[string]string{"gn_abi.h": codegen.ABIHeader, "module.c": string(src)}, nil
}

// toyFiles is the toy module as Build input.
func toyFiles(t *testing.T) map[string]string {
	t.Helper()
	f, err := toyFilesErr()
	require.NoError(t, err)
	return f
}

func detectCC(t *testing.T) Toolchain {
	t.Helper()
	tc, err := DetectCC()
	if err != nil {
		t.Skipf("no C compiler: %v", err)
	}
	return tc
}

// buildToy compiles the toy module into a fresh cache and returns its path.
func buildToy(t *testing.T) string {
	t.Helper()
	tc := detectCC(t)
	c, err := OpenCache(t.TempDir())
	require.NoError(t, err)
	res, err := c.Build(toyFiles(t), tc)
	require.NoError(t, err)
	return res.ModulePath
}

// toy runtime slots per variant
const (
	rtOffset = iota
	rtSleep
	rtFault
	rtUnused
	toyNRT
)

const toyN = 10

// toyRuntime builds the runtime array for the given per-variant offsets.
func toyRuntime(offsets []int, sleepUS, fault int) []float64 {
	rt := make([]float64, len(offsets)*toyNRT)
	for b, off := range offsets {
		rt[b*toyNRT+rtOffset] = float64(off)
		rt[b*toyNRT+rtSleep] = float64(sleepUS)
		rt[b*toyNRT+rtFault] = float64(fault)
	}
	return rt
}

// expectedSpikes is what the toy model records in steps [0, steps).
func expectedSpikes(offsets []int, steps int) SpikeBuffer {
	var want SpikeBuffer
	for tt := 0; tt < steps; tt++ {
		for b, off := range offsets {
			for i := 0; i < toyN; i++ {
				if (tt+1)%(i+1+off) == 0 {
					want.Pop = append(want.Pop, 0)
					want.Variant = append(want.Variant, uint32(b))
					want.Neuron = append(want.Neuron, uint32(i))
					want.Step = append(want.Step, uint32(tt))
				}
			}
		}
	}
	return want
}

func seedsFor(n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(1000*i + 17)
	}
	return s
}
