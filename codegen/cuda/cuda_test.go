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
