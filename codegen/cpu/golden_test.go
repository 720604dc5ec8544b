package cpu_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regenerate with: go test ./codegen/cpu -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/golden/*.c from the generator")

// goldenCases are experiment files (decoded under these exact relative
// names, which appear in #line directives) and their golden module.c.
var goldenCases = []struct{ name, file string }{
	{"cuba", "../../configs/cuba.yaml"},
	{"small", "testdata/small.yaml"},
}

func generateFile(t *testing.T, file string) codegen.Files {
	t.Helper()
	net, err := modelspec.Load(file)
	require.NoError(t, err)
	files, err := cpu.Generate(net, codegen.Options{})
	require.NoError(t, err)
	return files
}

func TestGolden(t *testing.T) {
	cpuOnly(t)
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			got := generateFile(t, c.file)[cpu.ModuleFile]
			golden := filepath.Join("testdata", "golden", c.name+".c")
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "missing golden file: run go test ./codegen/cpu -run Golden -update")
			assert.Equal(t, string(want), got, "generated %s differs from %s; if the change is intended, run go test ./codegen/cpu -run Golden -update", cpu.ModuleFile, golden)
		})
	}
}

// Generate is a pure, deterministic function: decoding and generating the
// same document again gives identical files (no map-order dependence).
func TestGenerateDeterministic(t *testing.T) {
	cpuOnly(t)
	for _, c := range goldenCases {
		first := generateFile(t, c.file)
		for i := 0; i < 5; i++ {
			assert.Equal(t, first, generateFile(t, c.file), "%s: generation %d differs", c.name, i+2)
		}
	}
}

// The golden networks compile and run; the small one references its YAML
// file through #line directives for its custom model code.
func TestGoldenNetworksRun(t *testing.T) {
	cpuOnly(t)
	t.Parallel()
	files := generateFile(t, "testdata/small.yaml")
	src := files[cpu.ModuleFile]
	assert.Contains(t, src, `#line 13 "testdata/small.yaml"`, "sim_code of Leaky starts on line 13")
	assert.Contains(t, src, `#line 16 "testdata/small.yaml"`, "reset_code of Leaky starts on line 16")
	// Every directive back to module.c names the line that follows it.
	restores := 0
	for i, l := range strings.Split(src, "\n") {
		var n int
		if _, err := fmt.Sscanf(l, "#line %d \"module.c\"", &n); err == nil {
			restores++
			assert.Equal(t, i+2, n, "#line directive on line %d", i+1)
		}
	}
	assert.Equal(t, 4, restores, "sim_code, reset_code and the two lines holding the threshold condition")
	s := newInstance(t, loadFiles(t, files), []uint64{3, 4}, nil)
	s.step(1000)
	sp := list(s.spikes())
	in, out := 0, 0
	for _, x := range sp {
		if x.Pop == s.popIndex("In") {
			in++
		} else {
			out++
		}
	}
	// 20 Poisson neurons at 50 Hz for 100 ms in 2 variants: 200 spikes expected
	// (σ ≈ 14); allow ±60. The Leaky neurons are driven by them.
	assert.InDelta(t, 200, in, 60, "input spikes")
	assert.Positive(t, out, "output spikes")
	// Count (unsigned int var, incremented in reset_code) equals each neuron's spikes.
	for b := 0; b < 2; b++ {
		counts := s.get("Out", "Count", b)
		want := make([]float64, len(counts))
		for _, x := range sp {
			if x.Pop == s.popIndex("Out") && int(x.Variant) == b {
				want[x.Neuron]++
			}
		}
		assert.Equal(t, want, counts, "variant %d: Count = spikes per neuron", b)
	}
}
