package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// GeNN 4 time step: synapse update, then neuron update. A spike emitted at
// step s is processed by the synapse update of step s+1+delay_steps and its
// input reaches the postsynaptic neuron in that step's neuron update.
//
// The source is a SpikeSourceArray firing at t = 1.0 ms and 3.0 ms (steps 10
// and 30 with dt = 0.1); the targets are LIF neurons at rest at 0 mV with a
// long membrane time constant and an unreachable threshold, so V stays
// exactly 0 until the first input arrives.

const ssaPop = `
  Src:
    size: 1
    model: SpikeSourceArray
    vars: {startSpike: [0], endSpike: [2]}
    extra_global_params: {spikeTimes: [1.0, 3.0]}
    record: {spikes: true}
`

// lifTarget is a LIF population at rest at 0 with R = TauM/C = 1000 MΩ.
func lifTarget(name string, size int) string {
	return fmt.Sprintf(`
  %s:
    size: %d
    model: LIF
    params: {C: 1.0, TauM: 1000.0, Vrest: 0.0, Vreset: 0.0, Vthresh: 1.0e9, Ioffset: 0.0, TauRefrac: 0.0}
    vars: {V: 0.0, RefracTime: 0.0}
`, name, size)
}

func delayGroup(name, target string, delay int, w float64) string {
	return fmt.Sprintf(`
  %s:
    source: Src
    target: %s
    matrix: sparse
    delay_steps: %d
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: %g}}
    postsynaptic: {model: DeltaCurr}
`, name, target, delay, w)
}

// vTrace steps s n times and returns V[neuron] of each population after each step.
func vTrace(s *sim, pops []string, neuron, n int) map[string][]float64 {
	out := map[string][]float64{}
	for k := 0; k < n; k++ {
		s.step(1)
		for _, p := range pops {
			out[p] = append(out[p], s.get(p, "V", 0)[neuron])
		}
	}
	return out
}

// jumps are the steps where V rises (input arrives; between inputs V only
// decays towards 0).
func jumps(v []float64) []int {
	var out []int
	prev := 0.0
	for k, x := range v {
		if x > prev {
			out = append(out, k)
		}
		prev = x
	}
	return out
}

func TestAxonalDelay(t *testing.T) {
	t.Parallel()
	delays := []int{0, 3, 17}
	for _, prec := range []string{"float", "double"} {
		t.Run("together/"+prec, func(t *testing.T) {
			t.Parallel()
			// All delays from one source: its spike ring has 18 slots and wraps
			// between the two spikes (20 steps apart).
			doc := "name: delay\nsimulation: {dt: 0.1, duration: 10, precision: " + prec + "}\npopulations:" + ssaPop
			var pops []string
			syn := "synapses:"
			for _, d := range delays {
				p := fmt.Sprintf("T%d", d)
				pops = append(pops, p)
				doc += lifTarget(p, 1)
				syn += delayGroup(fmt.Sprintf("D%d", d), p, d, 1.0)
			}
			s := newSim(t, doc+syn, codegen.Options{}, []uint64{1}, nil)
			tr := vTrace(s, pops, 0, 60)
			assert.Equal(t, []spike{{0, 0, 0, 10}, {0, 0, 0, 30}}, list(s.spikes()), "source spikes at t = 1.0 and 3.0 ms")
			for i, d := range delays {
				v := tr[pops[i]]
				for k := 0; k < 11+d; k++ {
					require.Zero(t, v[k], "delay %d: V changed at step %d, before the input can arrive", d, k)
				}
				assert.Equal(t, []int{11 + d, 31 + d}, jumps(v), "delay %d: steps at which input arrives", d)
			}
		})
	}
	for _, d := range delays {
		t.Run(fmt.Sprintf("alone/%d", d), func(t *testing.T) {
			t.Parallel()
			// One group: the ring has exactly d+1 slots.
			doc := "name: delay\nsimulation: {dt: 0.1, duration: 10}\npopulations:" + ssaPop + lifTarget("T", 1) +
				"synapses:" + delayGroup("D", "T", d, 1.0)
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			v := vTrace(s, []string{"T"}, 0, 60)["T"]
			assert.Equal(t, []int{11 + d, 31 + d}, jumps(v), "delay %d: steps at which input arrives", d)
		})
	}
}

// A dense group (no connectivity snippet) with per-synapse weights: every
// target gets both spikes with the weight of its (pre, post) pair, delayed.
func TestDenseDelayedIndividualWeights(t *testing.T) {
	t.Parallel()
	const d = 2
	ws := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6} // [pre][post], 2 × 3
	doc := `
name: dense
simulation: {dt: 0.1, duration: 10, precision: double}
populations:
  Src:
    size: 2
    model: SpikeSourceArray
    vars: {startSpike: [0, 1], endSpike: [1, 2]}
    extra_global_params: {spikeTimes: [1.0, 2.0]}
` + lifTarget("T", 3) + fmt.Sprintf(`
synapses:
  S:
    source: Src
    target: T
    matrix: dense
    delay_steps: %d
    weight_update: {model: StaticPulse, vars: {g: [%s]}}
    postsynaptic: {model: DeltaCurr}
`, d, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ws)), ", "), "[]"))
	net, files := generate(t, doc, codegen.Options{})
	s := newInstance(t, loadFiles(t, files), []uint64{1}, nil)
	require.GreaterOrEqual(t, s.mod.VarIndex("S", "g"), 0, "individual weights are stored")
	p := net.Population("T")
	expTC, R := p.Derived["ExpTC"].V, p.Derived["Rmembrane"].V
	tr := make([][]float64, 3)
	for k := 0; k < 40; k++ {
		s.step(1)
		v := s.get("T", "V", 0)
		for j := range tr {
			tr[j] = append(tr[j], v[j])
		}
	}
	for j := 0; j < 3; j++ {
		// Neuron 0 fires at step 10, neuron 1 at step 20.
		require.Equal(t, []int{11 + d, 21 + d}, jumps(tr[j]), "target %d", j)
		// The input current of a step is I = (V_k - ExpTC·V_{k-1}) / (R(1-ExpTC));
		// relative error ≈ eps/(1-ExpTC) ≈ 1e-12 in double, allow 1e-9.
		in := func(k int) float64 { return (tr[j][k] - expTC*tr[j][k-1]) / (R * (1 - expTC)) }
		assert.InEpsilon(t, ws[j], in(11+d), 1e-9, "weight 0 → %d", j)
		assert.InEpsilon(t, ws[3+j], in(21+d), 1e-9, "weight 1 → %d", j)
	}
}

// DeltaCurr: the weight is Isyn for exactly one step, so LIF's V moves by
// R·w·(1 - ExpTC) ≈ w·DT/C in that step (not R·w: GeNN applies Isyn as a
// current for one DT), then only decays.
func TestDeltaCurrCharge(t *testing.T) {
	t.Parallel()
	const w = 0.75
	doc := "name: delta\nsimulation: {dt: 0.1, duration: 10, precision: double}\npopulations:" + ssaPop + lifTarget("T", 1) +
		"synapses:" + delayGroup("D", "T", 0, w)
	net, files := generate(t, doc, codegen.Options{})
	s := newInstance(t, loadFiles(t, files), []uint64{1}, nil)
	v := vTrace(s, []string{"T"}, 0, 13)["T"]
	p := net.Population("T")
	expTC, R := p.Derived["ExpTC"].V, p.Derived["Rmembrane"].V
	assert.Zero(t, v[10])
	// Bit-exact: Isyn = 0 + w; alpha = (Isyn + Ioffset)·R + Vrest; V = alpha - ExpTC·(alpha - V).
	alpha := float64(float64(float64(0+w)+0)*R) + 0
	want := float64(alpha - float64(expTC*float64(alpha-0)))
	assert.Equal(t, want, v[11], "V after the input step (double, same operations)")
	// Physics: the jump is w·DT/C up to the leak within the step, a relative DT/TauM = 1e-4.
	assert.InEpsilon(t, w*0.1/1.0, v[11], 1e-4, "ΔV ≈ w·DT/C")
	assert.Less(t, v[12], v[11], "then V decays")
	assert.Zero(t, s.get("D", "inSyn", 0)[0], "DeltaCurr empties inSyn")
}

// ExpCurr: a weight w delivered at step s0 gives currents init·w·expDecay^k
// (k = 0, 1, …) with init = tau(1-exp(-DT/tau))/DT, expDecay = exp(-DT/tau),
// so the total charge Σ init·inSyn·DT is w·tau exactly in the limit.
func TestExpCurrCharge(t *testing.T) {
	t.Parallel()
	const w, tau, steps = 0.5, 5.0, 2500
	doc := `
name: expcurr
simulation: {dt: 0.1, duration: 10, precision: double}
populations:
  Src:
    size: 1
    model: SpikeSourceArray
    vars: {startSpike: [0], endSpike: [1]}
    extra_global_params: {spikeTimes: [1.0]}
  T:
    size: 1
    model: LIF
    params: {C: 1.0, TauM: 1.0e6, Vrest: 0.0, Vreset: 0.0, Vthresh: 1.0e9, Ioffset: 0.0, TauRefrac: 0.0}
    vars: {V: 0.0, RefracTime: 0.0}
synapses:
  S:
    source: Src
    target: T
    connectivity: {init: OneToOne}
    weight_update: {model: StaticPulse, vars: {g: 0.5}}
    postsynaptic: {model: ExpCurr, params: {tau: 5.0}}
`
	net, files := generate(t, doc, codegen.Options{})
	s := newInstance(t, loadFiles(t, files), []uint64{1}, nil)
	ps := net.Synapses[0].Postsynaptic.Derived
	expDecay, init := ps["expDecay"].V, ps["init"].V
	const dt = 0.1
	var reads []float64 // inSyn after each step
	for k := 0; k < steps; k++ {
		s.step(1)
		reads = append(reads, s.get("S", "inSyn", 0)[0])
	}
	const s0 = 11 // spike at step 10, delivered at step 11
	for k := 0; k < s0; k++ {
		require.Zero(t, reads[k], "inSyn before delivery, step %d", k)
	}
	// Bit-exact decay: inSyn = (0 + w)·expDecay, then ·expDecay each step (double).
	want := float64(w * expDecay)
	for k := s0; k < s0+200; k++ {
		require.Equal(t, want, reads[k], "inSyn after step %d", k)
		want = float64(want * expDecay)
	}
	// Current applied in step j is init·(inSyn before decay) = init·(reads[j-1] + w·[j = s0]).
	q := init * dt * w
	for k := s0; k < steps-1; k++ {
		q += init * dt * reads[k]
	}
	// The remaining tail is w·tau·expDecay^(steps-s0) ≈ e^-50 and summation
	// error is ~steps·eps: 1e-9 relative is ample in double.
	assert.InEpsilon(t, w*tau, q, 1e-9, "total charge Σ init·inSyn·DT = w·tau")
	// The membrane integrates the charge: ΔV ≈ Q/C, less the leak over the
	// run (steps·DT/TauM = 2.5e-4 relative); allow 1e-3.
	assert.InEpsilon(t, w*tau/1.0, s.get("T", "V", 0)[0], 1e-3, "ΔV = Q/C")
}
