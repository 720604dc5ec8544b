package cuda_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/gennctl/gennctl/codegen/cuda"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regenerate with: go test ./codegen/cuda -run Golden -update
var update = flag.Bool("update", false, "rewrite testdata/golden from the generator")

func generateFile(t *testing.T, file string) codegen.Files {
	t.Helper()
	net, err := modelspec.Load(file)
	require.NoError(t, err)
	files, err := cuda.Generate(net, codegen.Options{})
	require.NoError(t, err)
	return files
}

// The generated files of configs/cuba.yaml, pinned: kernels, host part and
// context (the runtime and emulation headers are constants of codegen).
func TestGolden(t *testing.T) {
	files := generateFile(t, "../../configs/cuba.yaml")
	for _, name := range []string{cuda.ModuleFile, cuda.HostFile, cuda.HeaderFile} {
		golden := filepath.Join("testdata", "golden", "cuba."+strings.ReplaceAll(name, ".", "_"))
		if *update {
			require.NoError(t, os.WriteFile(golden, []byte(files[name]), 0o644))
			continue
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "missing golden file: run go test ./codegen/cuda -run Golden -update")
		assert.Equal(t, string(want), files[name], "generated %s differs from %s; if the change is intended, run go test ./codegen/cuda -run Golden -update", name, golden)
	}
}

// Generation is pure: the same document gives the same files every time.
func TestGenerateDeterministic(t *testing.T) {
	first := generateFile(t, "../../configs/cuba.yaml")
	for i := 0; i < 3; i++ {
		assert.Equal(t, first, generateFile(t, "../../configs/cuba.yaml"))
	}
}

// Issue 18, item 22: sweeps that differ only in their name generate the
// same files on either backend, so they share one cached module.
func TestNameNotInModule(t *testing.T) {
	for name, gen := range map[string]func(*modelspec.Network, codegen.Options) (codegen.Files, error){"cpu": cpu.Generate, "cuda": cuda.Generate} {
		net, err := modelspec.Load("../../configs/cuba.yaml")
		require.NoError(t, err)
		want, err := gen(net, codegen.Options{})
		require.NoError(t, err)
		net.Name = "renamed_sweep"
		got, err := gen(net, codegen.Options{})
		require.NoError(t, err)
		assert.Equal(t, want, got, "%s backend: the network's name reached the generated files", name)
	}
}

// Connectivity is built on the device unless a variable of the group is
// initialised on the host (a table of values reads the rows there): then
// module.c builds it, as on the CPU backend, and uploads it.
func TestConnectivityHostFallback(t *testing.T) {
	doc := `
name: fallback
simulation: {dt: 1.0, duration: 1}
populations:
  Pre: {size: 3, model: SpikeSource}
  Post: {size: 4, model: SpikeSource}
synapses:
  S:
    source: Pre
    target: Post
    connectivity: {init: FixedProbability, params: {prob: 0.5}, max_row_length: 2}
    weight_update: {model: StaticPulse, vars: {g: %s}}
    postsynaptic: {model: DeltaCurr}
`
	for _, c := range []struct {
		g      string
		device bool
	}{{"{init: Uniform, params: {min: 0.0, max: 1.0}}", true}, {"[1, 2, 3, 4, 5, 6]", false}} {
		text := []byte(strings.Replace(doc, "%s", c.g, 1))
		root, err := modelspec.Parse("fallback.yaml", text)
		require.NoError(t, err)
		net, err := modelspec.Decode("fallback.yaml", text, root)
		require.NoError(t, err, c.g)
		files, err := cuda.Generate(net, codegen.Options{})
		require.NoError(t, err, c.g)
		assert.Equal(t, c.device, strings.Contains(files[cuda.ModuleFile], "gn_build_S("), "g: %s: a build kernel", c.g)
		assert.Equal(t, !c.device, strings.Contains(files[cuda.HostFile], "if (init_connectivity_S(ctx)) return 1;"), "g: %s: built by module.c", c.g)
	}
}
