package sweep_test

// GeNN 4.9's feature tests in which the host changes values between steps
// (custom_update, extra_global_cs_param, extra_global_psm_param,
// extra_global_param_ref, extra_global_params_in_sim_code), ported whole:
// the host's changes are the experiment's protocol section, run by the
// sweep's worker, and the checks read the Arrow files the sweep writes.
// Plus per-synapse recording, spike-like event recording, swept protocol
// values, setting parameters at run time and stopping recordings.

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/results"
	"github.com/gennctl/gennctl/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sweepText plans and runs a config given as text.
func sweepText(t *testing.T, text string) (*sweep.Plan, *sweep.Summary) {
	t.Helper()
	return sweepTextOn(t, text, "cpu")
}

// sweepTextOn plans and runs a config given as text on a backend: cpu, or
// cuda-emu (the CUDA backend's module with its kernels emulated).
func sweepTextOn(t *testing.T, text, backend string) (*sweep.Plan, *sweep.Summary) {
	t.Helper()
	plan, err := sweep.NewPlan("protocol.yaml", []byte(text))
	require.NoError(t, err)
	if backend == "cuda-emu" {
		t.Setenv(gpu.CUDAEmulationEnv, "1")
		require.NoError(t, plan.UseBackend("cuda"))
		require.Equal(t, "cuda", plan.Backend)
	}
	o := opts(t, t.TempDir())
	o.BatchSize = len(plan.Variants)
	sum := run(t, plan, o)
	require.Equal(t, len(plan.Variants), sum.Ran)
	return plan, sum
}

// samples reads a variant's state file: value by owner.var, neuron, step.
func samples(t *testing.T, dir string, id uint64, dt float64) map[stateKey]float64 {
	got, _, _ := stateOf(t, dir, id, dt)
	return got
}

// The custom_update test's network (a subset: neuron, shared neuron,
// dense and sparse weights), with its host loop "every 100 steps run group
// Test" as a protocol whose interval is swept; per-synapse recording
// samples the weights.
func TestProtocolCustomUpdate(t *testing.T) {
	doc := `
name: custom_update
simulation: {dt: 1.0, duration: 1000, precision: float}
models:
  neurons:
    TestNeuron: {var_name_types: [[V, scalar], [VShared, scalar, READ_ONLY_SHARED_NEURON]]}
  weight_updates:
    TestWUM: {var_name_types: [[g, scalar, READ_ONLY]], sim_code: "$(addToInSyn, $(g));"}
  custom_updates:
    SetTime: {update_code: "$(V) = $(t);\n$(R) = $(t);", var_name_types: [[V, scalar]], var_refs: [[R, scalar, READ_WRITE]]}
    SetTimeShared: {update_code: "$(R) = $(t);", var_refs: [[R, scalar, READ_WRITE]]}
populations:
  SpikeSource: {size: 20, model: SpikeSource}
  Neuron: {size: 20, model: TestNeuron, vars: {V: 0.0, VShared: 0.0}, record: {vars: {V: {every: 100.0}, VShared: {every: 100.0}}}}
synapses:
  Dense:
    {source: SpikeSource, target: Neuron, matrix: dense, weights: individual, weight_update: {model: TestWUM, vars: {g: 0.0}}, postsynaptic: {model: DeltaCurr},
     record: {vars: {g: {every: 100.0, pre: [1, 3], post: {range: [0, 20, 5]}}}}}
  Sparse:
    {source: SpikeSource, target: Neuron, connectivity: {init: FixedProbability, params: {prob: 0.3}}, weights: individual, weight_update: {model: TestWUM, vars: {g: 0.0}}, postsynaptic: {model: DeltaCurr},
     record: {vars: {g: {every: 100.0}}}}
custom_updates:
  NeuronSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: Neuron.V}}
  NeuronSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: Neuron.VShared}}
  WUDenseSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: Dense.g}}
  WUSparseSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: Sparse.g}}
protocol:
  - {every: 100.0, custom_update: Test}
sweep: {grid: {protocol.0.every: [100.0, 200.0]}}
`
	for _, backend := range []string{"cpu", "cuda-emu"} {
		t.Run(backend, func(t *testing.T) { checkCustomUpdate(t, doc, backend) })
	}
}

// checkCustomUpdate runs TestProtocolCustomUpdate's sweep on a backend and
// checks the sampled state and weights against the update times.
func checkCustomUpdate(t *testing.T, doc, backend string) {
	plan, sum := sweepTextOn(t, doc, backend)
	require.Len(t, plan.Groups, 1, "protocol values are not structure")
	for i, v := range plan.Variants {
		every := network(t, plan, i).Protocol[0].Every
		got := samples(t, sum.Dir, v.ID(), 1.0)
		// the last update at or before step s (the protocol runs before
		// the samples of its step)
		last := func(step int) float64 { return float64(uint64(step) / every * every) }
		for step := 0; step <= 1000; step += 100 {
			for n := uint32(0); n < 20; n++ {
				require.Equal(t, last(step), got[stateKey{"Neuron", "V", n, step}], "every %d: V[%d] at step %d", every, n, step)
			}
			require.Equal(t, last(step), got[stateKey{"Neuron", "VShared", 0, step}])
		}
		syn, meta, err := results.ReadVariantSynapses(variantFile(t, sum.Dir, v.ID(), "synapses"), v.ID())
		require.NoError(t, err)
		assert.Contains(t, meta[results.MetaRecorded], `"population":"Dense"`)
		dense, sparse := 0, 0
		for i := 0; i < syn.Len(); i++ {
			require.Equal(t, v.ID(), syn.Variant[i])
			step := int(syn.Time[i])
			require.Equal(t, last(step), syn.Value[i], "%s.g[%d -> %d] at %g", syn.Group[i], syn.Pre[i], syn.Post[i], syn.Time[i])
			switch syn.Group[i] {
			case "Dense":
				dense++
				require.Contains(t, []uint32{1, 3}, syn.Pre[i])
				require.Zero(t, syn.Post[i]%5)
				require.Equal(t, syn.Pre[i]*20+syn.Post[i], syn.Synapse[i])
			case "Sparse":
				sparse++
			}
		}
		assert.Equal(t, 11*2*4, dense, "11 samples of 2 × 4 synapses")
		// every synapse of the realisation, sampled 11 times
		rl := 0
		for i := 0; i < syn.Len(); i++ {
			if syn.Group[i] == "Sparse" && syn.Time[i] == 0 {
				rl++
			}
		}
		assert.Positive(t, rl)
		assert.Equal(t, 11*rl, sparse)
	}
}

// extra_global_cs_param: before step i the host sets the current source's
// scalar EGP k = i; in step i only neuron i gets the input 1.
func TestProtocolExtraGlobalCSParam(t *testing.T) {
	var proto strings.Builder
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&proto, "  - {at: %g, set: {path: current_sources.cs.extra_global_params.k, value: %d}}\n", float64(i)*0.1, i)
	}
	doc := `
name: egp_cs
simulation: {dt: 0.1, duration: 1.0, precision: float}
models:
  neurons:
    Neuron: {var_name_types: [[x, scalar]], sim_code: "$(x) = $(Isyn);"}
  current_sources:
    CS: {injection_code: "$(injectCurrent, ($(id) == (int)$(k)) ? 1.0 : 0.0);", extra_global_params: [[k, unsigned int]]}
populations:
  pop: {size: 10, model: Neuron, vars: {x: 0.0}, record: {vars: {x: {}}}}
current_sources:
  cs: {model: CS, target: pop, extra_global_params: {k: 0}}
protocol:
` + proto.String()
	plan, sum := sweepText(t, doc)
	got := samples(t, sum.Dir, plan.Variants[0].ID(), 0.1)
	for i := 0; i < 10; i++ {
		for j := uint32(0); j < 10; j++ {
			want := 0.0
			if int(j) == i {
				want = 1
			}
			require.Equal(t, want, got[stateKey{"pop", "x", j, i + 1}], "after step %d: x[%d]", i, j)
		}
	}
}

// extra_global_psm_param: before step i the host sets the postsynaptic
// model's k = i - 1 (as unsigned int); the input of step i comes from the
// presynaptic x = t of step i - 1 and only target k takes it.
func TestProtocolExtraGlobalPSMParam(t *testing.T) {
	var proto strings.Builder
	for i := 0; i < 11; i++ {
		k := float64(i - 1)
		if i == 0 {
			k = math.MaxUint32 // -1 as unsigned int
		}
		fmt.Fprintf(&proto, "  - {at: %g, set: {path: synapses.syn.postsynaptic.extra_global_params.k, value: %g}}\n", float64(i)*0.1, k)
	}
	doc := `
name: egp_psm
simulation: {dt: 0.1, duration: 1.1, precision: float}
models:
  neurons:
    Pre: {var_name_types: [[x, scalar]], sim_code: "$(x) = $(t);"}
    Post: {var_name_types: [[x, scalar]], sim_code: "$(x) = $(Isyn);"}
  weight_updates:
    WUM: {synapse_dynamics_code: "$(addToInSyn, $(x_pre));"}
  postsynaptic:
    PSM:
      apply_input_code: "const scalar scale = ($(id) == (int)$(k)) ? 1.0 : 0.0; $(Isyn) += ($(inSyn) * scale);"
      decay_code: "$(inSyn) = 0;"
      extra_global_params: [[k, unsigned int]]
populations:
  pre: {size: 10, model: Pre, vars: {x: 0.0}}
  post: {size: 10, model: Post, vars: {x: 0.0}, record: {vars: {x: {}}}}
synapses:
  syn: {source: pre, target: post, connectivity: {init: OneToOne}, weight_update: {model: WUM}, postsynaptic: {model: PSM, extra_global_params: {k: 0}}}
protocol:
` + proto.String()
	plan, sum := sweepText(t, doc)
	got := samples(t, sum.Dir, plan.Variants[0].ID(), 0.1)
	errSum := 0.0
	for i := 0; i < 11; i++ {
		for j := 0; j < 10; j++ {
			x := got[stateKey{"post", "x", uint32(j), i + 1}]
			want := 0.0
			if i > 1 && j == i-1 {
				want = float64(float32(float32(i-1) * float32(0.1)))
			}
			require.Equal(t, want, x, "after step %d: x_post[%d]", i, j)
			errSum += math.Abs(x - want)
		}
	}
	assert.Less(t, errSum, 1e-6, "GeNN's bound")
}

// extra_global_param_ref: before every step a custom update writes, through
// an extra global parameter reference, e[id] = 1 for id = round(fmod(t,
// 10)) and 0 elsewhere; the neurons copy e into x.
func TestProtocolExtraGlobalParamRef(t *testing.T) {
	doc := `
name: egp_ref
simulation: {dt: 0.1, duration: 10.0, precision: float}
models:
  neurons:
    Neuron: {var_name_types: [[x, scalar]], sim_code: "$(x) = $(e)[$(id)];", extra_global_params: [[e, scalar*]]}
  custom_updates:
    CU:
      update_code: "if($(id) == (int)round(fmod($(t), 10.0))) {\n   $(e)[$(id)] = 1.0;\n}\nelse {\n   $(e)[$(id)] = 0.0;\n}"
      var_refs: [[v, scalar]]
      extra_global_param_refs: [[e, scalar*]]
populations:
  pop: {size: 10, model: Neuron, vars: {x: 0.0}, extra_global_params: {e: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]}, record: {vars: {x: {}}}}
custom_updates:
  CU: {group: CustomUpdate, model: CU, var_refs: {v: pop.x}, extra_global_param_refs: {e: populations.pop.extra_global_params.e}}
protocol:
  - {every: 0.1, from: 0.0, custom_update: CustomUpdate}
`
	plan, sum := sweepText(t, doc)
	got := samples(t, sum.Dir, plan.Variants[0].ID(), 0.1)
	errSum := 0.0
	for i := 0; i < 100; i++ {
		for j := 0; j < 10; j++ {
			want := 0.0
			if j == int(math.Round(float64(float32(i)*float32(0.1)))) {
				want = 1
			}
			errSum += math.Abs(got[stateKey{"pop", "x", uint32(j), i + 1}] - want)
		}
	}
	assert.Less(t, errSum, 1e-6, "GeNN's bound")
}

// extra_global_params_in_sim_code: before each step the host sets the
// scalar EGP input = t²; x = t + shift + input with shift = 10 j.
func TestProtocolExtraGlobalParamsInSimCode(t *testing.T) {
	var proto strings.Builder
	for i := 0; i < 200; i++ {
		tm := float32(i) * float32(0.1)
		fmt.Fprintf(&proto, "  - {at: %g, set: {path: populations.pre.extra_global_params.input, value: %v}}\n", float64(i)*0.1, float64(tm*tm))
	}
	shift := make([]string, 10)
	for j := range shift {
		shift[j] = fmt.Sprint(10 * j)
	}
	doc := `
name: egp_sim
simulation: {dt: 0.1, duration: 20.0, precision: float}
models:
  neurons:
    Neuron:
      sim_code: "$(x) = $(t) + $(shift) + $(input);"
      extra_global_params: [[input, scalar]]
      var_name_types: [[x, scalar], [shift, scalar]]
populations:
  pre: {size: 10, model: Neuron, vars: {x: 0.0, shift: [` + strings.Join(shift, ", ") + `]}, extra_global_params: {input: 0.0}, record: {vars: {x: {}}}}
protocol:
` + proto.String()
	plan, sum := sweepText(t, doc)
	got := samples(t, sum.Dir, plan.Variants[0].ID(), 0.1)
	errSum := 0.0
	for i := 1; i <= 200; i++ {
		prev := float64(float32(i-1) * float32(0.1)) // the time of the step that set x
		for j := 0; j < 10; j++ {
			want := prev + prev*prev + float64(10*j)
			errSum += math.Abs(got[stateKey{"pre", "x", uint32(j), i}] - want)
		}
	}
	assert.Less(t, errSum, 2e-2, "GeNN's bound")
}

// Setting a parameter at run time: a DC current's amplitude steps from 0
// to 0.5 at t = 5 ms, a LIF's TauM (and so its derived ExpTC and
// Rmembrane) from 20 to 10 ms at t = 10 ms; the sampled V follows the exact
// LIF solution of each piece. Recording of V stops at 12 ms and starts
// again at 15 ms; the neuron's spikes (none) and the swept onset of the
// current step are per variant.
func TestProtocolSetParameters(t *testing.T) {
	doc := `
name: set_params
simulation: {dt: 0.1, duration: 20.0, precision: double}
populations:
  E:
    size: 1
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: 0.0, Vreset: 0.0, Vthresh: 100.0, Ioffset: 0.0, TauRefrac: 2.0}
    vars: {V: 0.0, RefracTime: 0.0}
    record: {spikes: true, vars: {V: {}}}
current_sources:
  stim: {model: DC, target: E, params: {amp: 0.0}}
protocol:
  - {at: 5.0, set: {path: current_sources.stim.params.amp, value: 0.5}}
  - {at: 10.0, set: [{path: populations.E.params.TauM, value: 10.0}]}
  - {at: 12.0, stop_recording: [E]}
  - {at: 15.0, start_recording: all}
sweep: {grid: {protocol.0.at: [5.0, 3.0]}}
`
	for _, backend := range []string{"cpu", "cuda-emu"} {
		t.Run(backend, func(t *testing.T) { checkSetParameters(t, doc, backend) })
	}
}

// checkSetParameters runs TestProtocolSetParameters's sweep on a backend
// and checks V against the LIF recurrence with the protocol's changes.
func checkSetParameters(t *testing.T, doc, backend string) {
	plan, sum := sweepTextOn(t, doc, backend)
	require.Len(t, plan.Groups, 1)
	assert.Contains(t, plan.Groups[0].Options.Runtime, "current_sources.stim.params.amp")
	assert.Contains(t, plan.Groups[0].Options.Runtime, "populations.E.derived.ExpTC")
	for i, v := range plan.Variants {
		onset := int(network(t, plan, i).Protocol[0].First)
		got := samples(t, sum.Dir, v.ID(), 0.1)
		vm, tau := 0.0, 20.0
		for step := 0; step <= 200; step++ {
			if step > 0 {
				// the step that ran from step-1: its current and tau
				if step-1 >= 100 {
					tau = 10
				}
				i := 0.0
				if step-1 >= onset {
					i = 0.5
				}
				alpha := i * tau / 1.0
				vm = alpha - math.Exp(-0.1/tau)*(alpha-vm)
			}
			x, ok := got[stateKey{"E", "V", 0, step}]
			if step >= 120 && step < 150 {
				require.False(t, ok, "step %d: recording stopped", step)
				continue
			}
			require.True(t, ok, "step %d: sampled", step)
			require.InDelta(t, vm, x, 1e-9, "onset step %d: V at step %d", onset, step)
		}
	}
}

// Spike-like events go to spike_events/ with the spike files' columns,
// apart from the spikes recorded with them, on either backend (on CUDA both
// are bits of one recording buffer, drained in one stream): Pre's neuron 1
// has an event every third step; Q's neuron i when i + t is a multiple of
// m, which the sweep varies across a batch of two; neuron 0 of both
// spikes every step.
func TestProtocolSpikeEventFile(t *testing.T) {
	doc := `
name: events
simulation: {dt: 1.0, duration: 10.0}
models:
  neurons:
    Clock: {var_name_types: [[x, scalar]], sim_code: "$(x) = $(t);", threshold_condition_code: "$(id) == 0", is_auto_refractory_required: false}
  weight_updates:
    Every3: {event_threshold_condition_code: "fmod($(x_pre), 3.0) < 0.5 && $(id) == 1"}
    EveryM: {param_names: [m], event_threshold_condition_code: "fmod($(x_pre) + $(id), $(m)) < 0.5"}
populations:
  Pre: {size: 2, model: Clock, vars: {x: 0.0}, record: {spikes: true, spike_events: true}}
  Q: {size: 40, model: Clock, vars: {x: 0.0}, record: {spikes: true, spike_events: true}}
  Post: {size: 1, model: Clock, vars: {x: 0.0}}
synapses:
  S: {source: Pre, target: Post, matrix: dense, weight_update: {model: Every3}, postsynaptic: {model: DeltaCurr}}
  SQ: {source: Q, target: Post, matrix: dense, weight_update: {model: EveryM, params: {m: 5.0}}, postsynaptic: {model: DeltaCurr}}
sweep: {grid: {synapses.SQ.weight_update.params.m: [5.0, 7.0]}}
`
	for _, backend := range []string{"cpu", "cuda-emu"} {
		t.Run(backend, func(t *testing.T) {
			plan, sum := sweepTextOn(t, doc, backend)
			require.Len(t, plan.Variants, 2)
			for vi, v := range plan.Variants {
				m := int(network(t, plan, vi).Synapses[1].WeightUpdate.Params["m"].V)
				var want, wantSpikes results.Spikes
				for step := 0; step < 10; step++ {
					if step%3 == 0 {
						want.Population, want.Neuron, want.Time = append(want.Population, "Pre"), append(want.Neuron, 1), append(want.Time, float64(step))
					}
					for i := 0; i < 40; i++ {
						if (step+i)%m == 0 {
							want.Population, want.Neuron, want.Time = append(want.Population, "Q"), append(want.Neuron, uint32(i)), append(want.Time, float64(step))
						}
					}
					for _, pop := range []string{"Pre", "Q"} {
						wantSpikes.Population, wantSpikes.Neuron, wantSpikes.Time = append(wantSpikes.Population, pop), append(wantSpikes.Neuron, 0), append(wantSpikes.Time, float64(step))
					}
				}
				for kind, w := range map[string]results.Spikes{"spike_events": want, "spikes": wantSpikes} {
					got, _, err := results.ReadVariantSpikes(variantFile(t, sum.Dir, v.ID(), kind), v.ID())
					require.NoError(t, err)
					assert.Equal(t, w.Population, got.Population, "%s, m = %d", kind, m)
					assert.Equal(t, w.Neuron, got.Neuron, "%s, m = %d", kind, m)
					assert.Equal(t, w.Time, got.Time, "%s, m = %d", kind, m)
				}
			}
		})
	}
}
