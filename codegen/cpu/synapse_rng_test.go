package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/internal/philoxref"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rngSynDoc: synapse_dynamics_code drawing $(gennrand_uniform) every step
// for every synapse of a 20×10 group (matrix dense or sparse), and a
// sim_code drawing one too (procedural rows included).
func rngSynDoc(matrix string) string {
	conn := ""
	switch matrix {
	case "sparse":
		conn = "connectivity: {init: FixedProbability, params: {prob: 1.0}}"
	case "procedural":
		conn = "connectivity: {init: FixedProbability, params: {prob: 0.5}}"
	}
	dyn := `synapse_dynamics_code: |
        const scalar r = $(gennrand_uniform);
        $(u) = r;
        $(x) += r;
        if (r < $(lo)) $(lo) = r;
        if (r > $(hi)) $(hi) = r;`
	vars := "vars: {u: scalar, x: scalar, lo: scalar, hi: scalar}"
	wvars := "vars: {u: 0.0, x: 0.0, lo: 2.0, hi: -1.0}"
	if matrix == "procedural" {
		dyn, vars, wvars = "", "", ""
	}
	return fmt.Sprintf(`
name: synrng
simulation: {dt: 0.1, duration: 10, precision: double}
models:
  neurons:
    Acc:
      vars: {acc: scalar}
      sim_code: "$(acc) += $(Isyn);"
  weight_updates:
    Rnd:
      %s
      %s
      sim_code: "$(addToInSyn, $(gennrand_uniform));"
populations:
  Src:
    size: 20
    model: SpikeSourceArray
    vars: {startSpike: [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19], endSpike: [1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]}
    extra_global_params: {spikeTimes: [0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05,0.05]}
  T: {size: 10, model: Acc, vars: {acc: 0.0}}
synapses:
  S:
    source: Src
    target: T
    matrix: %s
    %s
    weight_update: {model: Rnd, %s}
    postsynaptic: {model: DeltaCurr}
`, vars, dyn, matrix, conn, wvars)
}

// Random numbers in weight-update code: each synapse draws from its own
// Philox stream (variant seed; stream 0x08000000 | group index for
// synapse_dynamics_code; id_syn; time step), so values lie in (0, 1], the
// first draw of synapse i in step τ is exactly gn_uniform of that stream,
// and a variant draws the same numbers alone and in a batch.
func TestSynapseCodeRandomNumbers(t *testing.T) {
	t.Parallel()
	const steps = 50
	for _, matrix := range []string{"dense", "sparse"} {
		t.Run(matrix, func(t *testing.T) {
			t.Parallel()
			mod := buildModule(t, rngSynDoc(matrix), codegen.Options{})
			single := newInstance(t, mod, []uint64{7}, nil)
			single.step(steps)
			batch := newInstance(t, mod, []uint64{3, 7, 11}, nil)
			batch.step(steps)
			n := 200
			u, x, lo, hi := single.get("S", "u", 0), single.get("S", "x", 0), single.get("S", "lo", 0), single.get("S", "hi", 0)
			require.Len(t, x, n)
			sum := 0.0
			for i := 0; i < n; i++ {
				assert.Greater(t, lo[i], 0.0)
				assert.LessOrEqual(t, hi[i], 1.0)
				sum += x[i]
				// The exact stream: key = seed, ctr = (0, id_syn, step, stream).
				w := philoxref.Block([4]uint32{0, uint32(i), steps - 1, 0x08000000}, [2]uint32{7, 0})
				bits := ((uint64(w[0]) << 21) ^ (uint64(w[1]) >> 11)) & (1<<53 - 1)
				assert.Equal(t, (float64(bits)+1)/9007199254740992.0, u[i], "synapse %d", i)
			}
			mean, sigma := sum/float64(n*steps), math.Sqrt(1.0/12/float64(n*steps))
			assert.InDelta(t, 0.5, mean, 4*sigma)
			for _, name := range []string{"u", "x", "lo", "hi"} {
				assert.Equal(t, single.get("S", name, 0), batch.get("S", name, 1), "%s alone vs in a batch", name)
				assert.NotEqual(t, single.get("S", name, 0), batch.get("S", name, 0), "%s of another seed", name)
			}
			// sim_code: 20 spikes in step 0, each synapse adds one draw.
			acc := single.get("T", "acc", 0)
			assert.Equal(t, acc, batch.get("T", "acc", 1))
			for _, a := range acc {
				assert.Greater(t, a, 0.0)
				assert.LessOrEqual(t, a, 20.0)
			}
		})
	}
}

// Procedural rows draw from one stream per (row, step): deterministic,
// batch-independent.
func TestSynapseCodeRandomNumbersProcedural(t *testing.T) {
	t.Parallel()
	mod := buildModule(t, rngSynDoc("procedural"), codegen.Options{})
	single := newInstance(t, mod, []uint64{7}, nil)
	single.step(20)
	batch := newInstance(t, mod, []uint64{3, 7}, nil)
	batch.step(20)
	acc := single.get("T", "acc", 0)
	assert.Equal(t, acc, batch.get("T", "acc", 1))
	assert.NotEqual(t, acc, batch.get("T", "acc", 0))
	total := 0.0
	for _, a := range acc {
		total += a
	}
	assert.Greater(t, total, 0.0)
}
