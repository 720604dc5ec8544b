package cpu_test

import (
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CUDA backend's three step modes (GENNCTL_CUDA_STEP: a launch per
// kernel and step, CUDA graphs of steps, one persistent kernel of a block
// per variant) give the same spikes and state, bit for bit, with steps
// taken in chunks that do not divide the graph length and spikes drained
// after each chunk, in the middle of graphs' and recording windows' steps.
func TestCUDAStepModes(t *testing.T) {
	if !strings.HasPrefix(testBackend, "cuda") {
		t.Skipf("step modes are the CUDA backend's; running the %s backend", testBackend)
	}
	doc := `
simulation: {dt: 0.1, duration: 100, precision: float}
populations:
  E:
    size: 300
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: {init: Uniform, params: {min: -60.0, max: -50.0}}, RefracTime: 0.0}
    record: {spikes: true}
synapses:
  EE:
    source: E
    target: E
    matrix: sparse
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: {init: Uniform, params: {min: 0.0, max: 0.5}}}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
`
	_, files := generate(t, doc, codegen.Options{})
	mod := loadFiles(t, files)
	type result struct {
		spikes []spike
		v      []float64
	}
	run := func(mode, graphSteps string) result {
		t.Setenv("GENNCTL_CUDA_STEP", mode)
		t.Setenv("GENNCTL_CUDA_GRAPH_STEPS", graphSteps)
		s := newInstance(t, mod, []uint64{1, 2, 3}, nil)
		var sp []spike
		for _, n := range []int{1, 70, 129, 300, 500} {
			s.step(n)
			sp = append(sp, list(s.spikes())...)
		}
		return result{sp, s.get("E", "V", 2)}
	}
	want := run("launches", "0")
	require.Greater(t, len(want.spikes), 100, "enough spikes to compare")
	for _, m := range [][2]string{{"graphs", "64"}, {"graphs", "7"}, {"persistent", "0"}} {
		got := run(m[0], m[1])
		assert.Equal(t, want.spikes, got.spikes, "spikes, %s (graph steps %s)", m[0], m[1])
		assert.Equal(t, want.v, got.v, "V, %s (graph steps %s)", m[0], m[1])
	}
}
