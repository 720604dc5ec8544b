package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/codegen/cpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// StaticPulseDendriticDelay: $(addToInSynDelay, g, d) delivers the input d
// steps after the presynaptic spike's normal arrival (step s + 1 +
// delay_steps), through a ring of max_dendritic_delay_steps slots.
func TestDendriticDelay(t *testing.T) {
	t.Parallel()
	for _, axonal := range []int{0, 3} {
		t.Run(fmt.Sprintf("axonal%d", axonal), func(t *testing.T) {
			t.Parallel()
			ds := []int{0, 2, 5}
			doc := "name: dd\nsimulation: {dt: 0.1, duration: 10, precision: double}\npopulations:" + ssaPop + lifTarget("T", 3) + fmt.Sprintf(`
synapses:
  S:
    source: Src
    target: T
    matrix: dense
    delay_steps: %d
    max_dendritic_delay_steps: 6
    weight_update: {model: StaticPulseDendriticDelay, vars: {g: [1.0, 1.0, 1.0], d: [0, 2, 5]}}
    postsynaptic: {model: DeltaCurr}
`, axonal)
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			tr := make([][]float64, 3)
			for k := 0; k < 60; k++ {
				s.step(1)
				v := s.get("T", "V", 0)
				for j := range tr {
					tr[j] = append(tr[j], v[j])
				}
			}
			for j, d := range ds {
				// Source spikes at steps 10 and 30.
				assert.Equal(t, []int{11 + axonal + d, 31 + axonal + d}, jumps(tr[j]), "dendritic delay %d", d)
			}
		})
	}
}

// rampDoc: a source whose V is t (set by its sim code), a StaticGraded group
// with delay_steps, and a target that accumulates its input in acc.
func rampDoc(delay int) string {
	return fmt.Sprintf(`
name: graded
simulation: {dt: 0.1, duration: 10, precision: double}
models:
  neurons:
    Ramp:
      vars: {V: scalar}
      sim_code: "$(V) = $(t);"
    Acc:
      vars: {acc: scalar}
      sim_code: "$(acc) += $(Isyn);"
populations:
  Src: {size: 1, model: Ramp, vars: {V: 0.0}}
  T: {size: 2, model: Acc, vars: {acc: 0.0}}
synapses:
  S:
    source: Src
    target: T
    matrix: dense
    delay_steps: %d
    weight_update: {model: StaticGraded, params: {Epre: 0.5, Vslope: 2.0}, vars: {g: 0.3}}
    postsynaptic: {model: DeltaCurr}
`, delay)
}

// StaticGraded's spike-like events: the source emits an event in step τ
// when V > Epre after its sim code (V = τ·DT); the event code runs in step
// τ+1+delay and reads V_pre as it was in step τ (neuron variables read
// through a delay are kept per delay slot, as in GeNN), adding
// max(0, g·tanh((V_pre - Epre)/Vslope)·DT).
func TestSpikeLikeEventsStaticGraded(t *testing.T) {
	t.Parallel()
	const n = 100
	for _, delay := range []int{0, 4} {
		t.Run(fmt.Sprintf("delay%d", delay), func(t *testing.T) {
			t.Parallel()
			s := newSim(t, rampDoc(delay), codegen.Options{}, []uint64{1}, nil)
			s.step(n)
			want := 0.0
			for tau := 0; tau+1+delay <= n-1; tau++ {
				v := float64(tau) * 0.1
				if v > 0.5 {
					want += math.Max(0, 0.3*math.Tanh((v-0.5)/2.0)*0.1)
				}
			}
			acc := s.get("T", "acc", 0)
			assert.InDelta(t, want, acc[0], 1e-12)
			assert.InDelta(t, want, acc[1], 1e-12)
			assert.Equal(t, 10.0*float64(n-1)/100, math.Round(s.get("Src", "V", 0)[0]*1e9)/1e9, "V of the last step, through the delay slots")
		})
	}
}

// synapse_dynamics_code runs every step for every synapse, before the
// neuron update: input added there arrives in the same step.
func TestSynapseDynamics(t *testing.T) {
	t.Parallel()
	for _, matrix := range []string{"dense", "sparse"} {
		t.Run(matrix, func(t *testing.T) {
			t.Parallel()
			conn := ""
			if matrix == "sparse" {
				conn = "connectivity: {init: FixedProbability, params: {prob: 1.0}}"
			}
			doc := fmt.Sprintf(`
name: dyn
simulation: {dt: 0.1, duration: 10, precision: double}
models:
  neurons:
    Acc:
      vars: {acc: scalar}
      sim_code: "$(acc) += $(Isyn);"
  weight_updates:
    Cont:
      vars: {g: scalar, c: scalar, who: scalar}
      synapse_dynamics_code: |
        $(addToInSyn, $(g));
        $(c) += 1;
        $(who) = $(id_pre) * 10 + $(id_post) + $(num_pre) * 100 + $(num_post) * 1000;
populations:
  Src: {size: 2, model: SpikeSource}
  T: {size: 3, model: Acc, vars: {acc: 0.0}}
synapses:
  S:
    source: Src
    target: T
    matrix: %s
    %s
    weight_update: {model: Cont, vars: {g: 0.25, c: 0.0, who: 0.0}}
    postsynaptic: {model: DeltaCurr}
`, matrix, conn)
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			s.step(40)
			for _, a := range s.get("T", "acc", 0) {
				assert.Equal(t, 40*2*0.25, a)
			}
			c, who := s.get("S", "c", 0), s.get("S", "who", 0)
			for i := 0; i < 2; i++ {
				for j := 0; j < 3; j++ {
					assert.Equal(t, 40.0, c[i*3+j])
					assert.Equal(t, float64(i*10+j+2*100+3*1000), who[i*3+j])
				}
			}
		})
	}
}

// The same network with sparse, bitmask and procedural connectivity: the
// procedural rows are regenerated from the same random stream as the
// sparse and bitmask builds, so the target spikes are identical.
func TestMatrixKindsAgree(t *testing.T) {
	t.Parallel()
	doc := func(matrix string) string {
		return fmt.Sprintf(`
name: kinds
simulation: {dt: 0.1, duration: 100}
populations:
  P:
    size: 60
    model: PoissonNew
    params: {rate: 40.0}
    vars: {timeStepToSpike: 0.0}
  T:
    size: 50
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: 0.0, Vreset: 0.0, Vthresh: 1.0, Ioffset: 0.0, TauRefrac: 2.0}
    vars: {V: 0.0, RefracTime: 0.0}
    record: {spikes: true}
synapses:
  S:
    source: P
    target: T
    matrix: %s
    delay_steps: 2
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: StaticPulse, vars: {g: 0.4}}
    postsynaptic: {model: ExpCurr, params: {tau: 2.0}}
`, matrix)
	}
	run := func(matrix string) []spike {
		s := newSim(t, doc(matrix), codegen.Options{}, []uint64{7, 8}, nil)
		s.step(1000)
		return list(s.spikes())
	}
	sparse := run("sparse")
	require.Greater(t, len(sparse), 100, "the targets fire")
	assert.Equal(t, sparse, run("bitmask"), "bitmask")
	assert.Equal(t, sparse, run("procedural"), "procedural")
}

// weights: individual stores a constant per synapse; weights: global
// rejects per-synapse values.
func TestWeightsKey(t *testing.T) {
	t.Parallel()
	base := "name: w\nsimulation: {dt: 0.1, duration: 10}\npopulations:" + ssaPop + lifTarget("T", 2) + `
synapses:
  S:
    source: Src
    target: T
    weights: %s
    weight_update: {model: StaticPulse, vars: {g: %s}}
    postsynaptic: {model: DeltaCurr}
`
	s := newSim(t, fmt.Sprintf(base, "individual", "0.5"), codegen.Options{}, []uint64{1}, nil)
	assert.Equal(t, []float64{0.5, 0.5}, s.get("S", "g", 0))

	net := decode(t, fmt.Sprintf(base, "global", "[0.5, 0.25]"))
	_, err := cpu.Generate(net, codegen.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "synapses.S.weights: global weights need one constant value per variable")
}
