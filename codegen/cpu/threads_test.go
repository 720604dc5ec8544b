package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threadsDoc is a small microcircuit-like network: Poisson background
// current sources (random numbers in the neuron update), merged
// postsynaptic models with dendritic delays, population sizes that are not
// multiples of the threads' chunks of neurons. With extra, a group whose
// sim code changes its weights and a population with pre_spike_code join:
// the synapse updates then run on one thread, and P's update is not split.
func threadsDoc(extra bool) string {
	doc := `
simulation: {dt: 0.1, duration: 100, precision: float, seed: 7, merge_postsynaptic_models: true}
models:
  weight_updates:
    Decaying:
      var_name_types: [[g, scalar]]
      pre_var_name_types: [[x, scalar]]
      sim_code: "$(addToInSyn, $(g)); $(g) *= 0.999;"
      pre_spike_code: "$(x) += 1.0;"
populations:
  E: {size: 1000, model: LIF, params: &lif {C: 0.25, TauM: 10.0, Vrest: -65.0, Vreset: -65.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 2.0},
      vars: &v {V: {init: Normal, params: {mean: -58.0, sd: 5.0}}, RefracTime: 0.0}, record: {spikes: true}}
  I: {size: 301, model: LIF, params: *lif, vars: *v, record: {spikes: true}}
current_sources:
  bgE: {model: PoissonExp, target: E, params: {weight: 0.0878, tauSyn: 0.5, rate: 14000.0}, vars: {current: 0.0}}
  bgI: {model: PoissonExp, target: I, params: {weight: 0.0878, tauSyn: 0.5, rate: 13000.0}, vars: {current: 0.0}}
synapses:
  EE: &e {source: E, target: E, matrix: sparse, max_dendritic_delay_steps: 20,
          connectivity: {init: FixedNumberPostWithReplacement, params: {rowLength: 50}},
          weight_update: {model: StaticPulseDendriticDelay, vars: {g: {init: NormalClipped, params: {mean: 0.0878, sd: 0.00878, min: 0.0, max: 1.0}},
                                                                    d: {init: NormalClippedDelay, params: {mean: 1.5, sd: 0.75, min: 0.0, max: 1.9}}}},
          postsynaptic: {model: ExpCurr, params: {tau: 0.5}}}
  EI: {<<: *e, target: I}
  IE: {<<: *e, source: I, connectivity: {init: FixedNumberPostWithReplacement, params: {rowLength: 100}},
       weight_update: {model: StaticPulseDendriticDelay, vars: {g: -0.35, d: 7}}}
  II: {<<: *e, source: I, target: I, weight_update: {model: StaticPulseDendriticDelay, vars: {g: -0.35, d: 3}}}
`
	if extra {
		doc = strings.Replace(doc, "current_sources:", `  P: {size: 50, model: LIF, params: *lif, vars: *v, record: {spikes: true}}
current_sources:
  bgP: {model: PoissonExp, target: P, params: {weight: 0.0878, tauSyn: 0.5, rate: 16000.0}, vars: {current: 0.0}}`, 1)
		doc += `  PE: {source: P, target: E, matrix: sparse, connectivity: {init: FixedProbability, params: {prob: 0.2}},
       weight_update: {model: Decaying, vars: {g: 0.05}, pre_vars: {x: 0.0}}, postsynaptic: {model: ExpCurr, params: {tau: 0.5}}}
`
	}
	return doc
}

// gn_step gives the same bits on any number of threads: the same spikes in
// the same order and the same state of every variant, exactly, after steps
// run in calls of different lengths, for networks whose synapse updates are
// shared among the threads by target population and for networks where
// they run on one thread.
func TestThreadsSameBits(t *testing.T) {
	t.Parallel()
	for _, extra := range []bool{false, true} {
		t.Run(fmt.Sprintf("extra=%v", extra), func(t *testing.T) {
			t.Parallel()
			_, files := generate(t, threadsDoc(extra), codegen.Options{})
			if src := files[codegen.ModuleFile]; testBackend == "cpu" { // other backends take and ignore the threads
				assert.Equal(t, !extra, strings.Contains(src, "lane < 2; lane++"), "the synapse updates form 2 lanes (E, I) only without the extra groups")
				assert.Equal(t, 2, strings.Count(src, "#pragma omp for schedule(static) nowait"), "E's and I's updates are split among the threads; P's is not")
			}
			mod := loadFiles(t, files)
			run := func(threads int) ([]spike, [][]float64) {
				s := newInstance(t, mod, []uint64{11, 12}, nil)
				require.NoError(t, s.inst.SetThreads(threads))
				for _, n := range []int{1, 7, 300, 692} {
					s.step(n)
				}
				var state [][]float64
				for v := 0; v < 2; v++ {
					for _, name := range [][2]string{{"E", "V"}, {"I", "V"}, {"E", "RefracTime"}, {"EE", "inSyn"}, {"EI", "inSyn"}, {"bgE", "current"}} {
						state = append(state, s.get(name[0], name[1], v))
					}
					if extra {
						state = append(state, s.get("PE", "g", v), s.get("PE", "x", v), s.get("P", "V", v))
					}
				}
				return list(s.spikes()), state
			}
			oneSpikes, oneState := run(1)
			require.Greater(t, len(oneSpikes), 2000, "the network is active")
			for _, threads := range []int{2, 3} {
				spikes, state := run(threads)
				assert.True(t, equalSpikes(oneSpikes, spikes), "%d threads: %d spikes, 1 thread: %d", threads, len(spikes), len(oneSpikes))
				assert.Equal(t, oneState, state, "%d threads: the state", threads)
			}
		})
	}
}

// gn_init on several threads (the CPU backend builds the synapse groups'
// connectivity, then the variables of each variant, as tasks shared among
// them) gives the state of one thread bit for bit, shared connectivity
// included, and on failure the error one thread gives: the first group in
// order whose rows overflow their bound, whichever thread got there first.
func TestThreadsInitSameBits(t *testing.T) {
	t.Parallel()
	for _, shared := range []bool{false, true} {
		mod := buildModule(t, deviceInitDoc("", shared), codegen.Options{Runtime: []string{"synapses.EE.weight_update.params.Aplus"}})
		seeds, rt := []uint64{3, 4, 3}, []float64{0.01, 0.01, 0.02}
		one, many := newInstance(t, mod, seeds, rt), newInstance(t, mod, seeds, rt)
		require.NoError(t, many.inst.SetThreads(3))
		require.NoError(t, many.inst.Init())
		eachArray(t, one, many, len(seeds), func(v codegen.VarDesc, variant int, want, got []float64) {
			require.Equal(t, want, got, "shared=%v: %s.%s of variant %d on 3 threads", shared, v.Owner, v.Name, variant)
		})
	}
	// EE and EI both overflow their bounds: EE, the first, is the error.
	doc := strings.Replace(deviceInitDoc("max_row_length: 12", false),
		"connectivity: {init: FixedProbability, params: {prob: 0.2}}", "connectivity: {init: FixedProbability, params: {prob: 0.2}, max_row_length: 8}", 1)
	mod := buildModule(t, doc, codegen.Options{})
	inst, err := mod.Create(1, []uint64{1}, []float64{})
	require.NoError(t, err)
	t.Cleanup(inst.Close)
	want := inst.Init()
	require.Error(t, want)
	require.Contains(t, want.Error(), "synapse group EE:")
	require.NoError(t, inst.SetThreads(4))
	for range 5 {
		got := inst.Init()
		require.Error(t, got)
		assert.Equal(t, want.Error(), got.Error(), "on 4 threads")
	}
}
