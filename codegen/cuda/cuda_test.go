package cuda_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
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
		assert.Equal(t, !c.device, strings.Contains(files[cuda.HostFile], "return init_connectivity_S(ctx)"), "g: %s: built by module.c", c.g)
	}
}

// Update groups whose elements are independent run on the device, a
// kernel per custom update, and move nothing across the bus; a group with
// a reduction over the neurons runs on the host's copy (module.c), and
// copies from the device only the arrays its updates read and puts back
// only those they write: summing one population's variable moves that
// variable, not the network's state. (TestCustomUpdateReadsStepState runs
// such updates on every backend.)
func TestCustomUpdateDeviceAndCopies(t *testing.T) {
	doc := []byte(`
name: cu_copies
simulation: {dt: 1.0, duration: 1}
models:
  neurons:
    Counter: {var_name_types: [[V, scalar], [U, scalar]], sim_code: "$(V) += 1.0; $(U) += 1.0;"}
  custom_updates:
    Double: {update_code: "$(W) = 2.0 * $(R);", var_refs: [[R, scalar, READ_ONLY], [W, scalar, READ_WRITE]]}
    Scale: {update_code: "$(G) *= 2.0;", var_refs: [[G, scalar, READ_WRITE]]}
    Sum: {update_code: "$(S) = $(R);", var_name_types: [[S, scalar, REDUCE_NEURON_SUM]], var_refs: [[R, scalar, READ_ONLY]]}
populations:
  A: {size: 6, model: Counter, vars: {V: 0.0, U: 0.0}}
  B: {size: 4, model: Counter, vars: {V: 0.0, U: 0.0}}
synapses:
  AB: {source: A, target: B, weights: individual, connectivity: {init: FixedProbability, params: {prob: 0.3}}, weight_update: {model: StaticPulse, vars: {g: 0.5}}, postsynaptic: {model: DeltaCurr}}
custom_updates:
  DoubleA: {group: DoubleA, model: Double, var_refs: {R: A.V, W: A.U}}
  ScaleG: {group: ScaleG, model: Scale, wu_var_refs: {G: AB.g}}
  SumA: {group: SumA, model: Sum, vars: {S: 0.0}, var_refs: {R: A.V}}
`)
	root, err := modelspec.Parse("cu.yaml", doc)
	require.NoError(t, err)
	net, err := modelspec.Decode("cu.yaml", doc, root)
	require.NoError(t, err)
	files, err := cuda.Generate(net, codegen.Options{})
	require.NoError(t, err)
	// the device arrays by number (gn_dev_get and gn_dev_put)
	field := map[string]string{}
	for _, m := range regexp.MustCompile(`case (\d+): return gn_dev_copy_in\(ctx, \d+, \(void \*\*\)&ctx->dview->(\w+),`).FindAllStringSubmatch(files[cuda.ModuleFile], -1) {
		field[m[1]] = m[2]
	}
	require.NotEmpty(t, field)
	host := files[cuda.HostFile]
	start := strings.Index(host, "int gn_custom_update(")
	require.GreaterOrEqual(t, start, 0)
	copies := regexp.MustCompile(`gn_mirrored\[\] = \{([0-9, ]+)\};\s*for \([^)]*\) if \((gn_dev_get|gn_dev_put)\(`)
	for _, c := range []struct {
		group, caseLine string
		device          bool
		gets, puts      []string
	}{
		{"DoubleA", "case 0: /* DoubleA */", true, nil, nil},
		{"ScaleG", "case 1: /* ScaleG */", true, nil, nil},
		{"SumA", "case 2: /* SumA */", false, []string{"A_V", "SumA_S"}, []string{"SumA_S"}},
	} {
		i := strings.Index(host[start:], c.caseLine)
		require.GreaterOrEqual(t, i, 0, c.group)
		block := host[start+i+len(c.caseLine):]
		block = block[:strings.Index(block, "no custom update group")]
		if j := strings.Index(block, "case "); j >= 0 {
			block = block[:j]
		}
		assert.Equal(t, c.device, strings.Contains(block, "gn_dev_custom_update(ctx, "), "%s runs on the device", c.group)
		assert.Equal(t, c.device, strings.Contains(files[cuda.ModuleFile], "void __launch_bounds__(GN_INIT_BLOCK) gn_cu_"+c.group+"("), "%s has a kernel", c.group)
		assert.Equal(t, !c.device, strings.Contains(host, "static void custom_update_"+c.group+"("), "%s has a host function", c.group)
		got := map[string][]string{}
		for _, m := range copies.FindAllStringSubmatch(block, -1) {
			for _, k := range strings.Split(m[1], ", ") {
				got[m[2]] = append(got[m[2]], field[k])
			}
		}
		sort.Strings(got["gn_dev_get"])
		assert.Equal(t, c.gets, got["gn_dev_get"], "%s copies from the device", c.group)
		assert.Equal(t, c.puts, got["gn_dev_put"], "%s copies to the device", c.group)
	}
}
