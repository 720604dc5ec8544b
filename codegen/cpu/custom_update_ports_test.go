package cpu_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// iota lists 0, 1, ..., n-1 as a YAML flow list.
func iota(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprint(i)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// GeNN 4.9's custom_update_delay: references to a neuron variable and a
// presynaptic variable kept per delay slot (axonal delay 5) set the copy
// the next step reads; the variable without delay is set directly.
func TestCustomUpdateDelay(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_delay
simulation: {dt: 1.0, duration: 1000}
models:
  neurons:
    TestNeuron: {var_name_types: [[V, scalar], [U, scalar]]}
  weight_updates:
    TestWUM:
      var_name_types: [[g, scalar, READ_ONLY]]
      synapse_dynamics_code: "$(addToInSyn, $(V_pre) * $(g));"
    TestWUMPre:
      pre_var_name_types: [[pre, scalar]]
      var_name_types: [[g, scalar, READ_ONLY]]
      synapse_dynamics_code: "$(addToInSyn, $(pre) * $(g));"
      pre_dynamics_code: "$(pre) = $(V_pre);"
  custom_updates:
    SetTime: {update_code: "$(R) = $(t);", var_refs: [[R, scalar, READ_WRITE]]}
populations:
  Pre: {size: 100, model: TestNeuron, vars: {V: 0.0, U: 0.0}}
  Post: {size: 100, model: TestNeuron, vars: {V: 0.0, U: 0.0}}
synapses:
  Syn1:
    {source: Pre, target: Post, matrix: dense, delay_steps: 5, weight_update: {model: TestWUM, vars: {g: 0.0}}, postsynaptic: {model: DeltaCurr}}
  Syn2:
    {source: Pre, target: Post, matrix: dense, delay_steps: 5, weight_update: {model: TestWUMPre, vars: {g: 0.0}, pre_vars: {pre: 0.0}}, postsynaptic: {model: DeltaCurr}}
custom_updates:
  NeuronDelaySetTime: {group: Test, model: SetTime, var_refs: {R: Pre.V}}
  WUPreDelaySetTime: {group: Test, model: SetTime, var_refs: {R: Syn2.pre}}
  NeuronNoDelaySetTime: {group: Test, model: SetTime, var_refs: {R: Pre.U}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	test := s.mod.CustomUpdateGroup("Test")
	for it := 1; it <= 1000; it++ {
		s.step(1)
		if it%100 != 0 {
			continue
		}
		require.NoError(t, s.inst.CustomUpdate(test, gpu.AllVariants))
		// gn_get_var reads the copy the next step reads, GeNN's current one
		for _, v := range []struct{ owner, name string }{{"Pre", "V"}, {"Pre", "U"}, {"Syn2", "pre"}} {
			for i, x := range s.get(v.owner, v.name, 0) {
				require.Equal(t, float64(it), x, "step %d: %s.%s[%d]", it, v.owner, v.name, i)
			}
		}
	}
}

// GeNN 4.9's custom_update_transpose: the Transpose model copies the
// weights of two dense groups into the transposed groups.
func TestCustomUpdateTranspose(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_transpose
simulation: {dt: 1.0, duration: 1}
populations:
  SpikeSource: {size: 100, model: SpikeSource}
  Neuron:
    size: 100
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -70.0, Vreset: -70.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: -70.0, RefracTime: 0.0}
synapses:
  Dense1: &dense
    {source: SpikeSource, target: Neuron, matrix: dense, weight_update: {model: StaticPulse, vars: {g: {init: Normal, params: {mean: 0.0, sd: 1.0}}}}, postsynaptic: {model: DeltaCurr}}
  Dense2: *dense
  Transpose1: &tp
    {source: Neuron, target: SpikeSource, matrix: dense, weights: individual, weight_update: {model: StaticPulse, vars: {g: 0.0}}, postsynaptic: {model: DeltaCurr}}
  Transpose2: *tp
custom_updates:
  WUDenseTranspose1: {group: Test, model: Transpose, wu_var_refs: {variable: {owner: Dense1, var: g, transpose: Transpose1.g}}}
  WUDenseTranspose2: {group: Test, model: Transpose, wu_var_refs: {variable: {owner: Dense2, var: g, transpose: Transpose2.g}}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{3}, nil)
	require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("Test"), gpu.AllVariants))
	for _, pair := range [][2]string{{"Dense1", "Transpose1"}, {"Dense2", "Transpose2"}} {
		g, tr := s.get(pair[0], "g", 0), s.get(pair[1], "g", 0)
		nonzero := 0
		for i := 0; i < 100; i++ {
			for j := 0; j < 100; j++ {
				require.Equal(t, g[i*100+j], tr[j*100+i], "%s[%d][%d]", pair[0], i, j)
				if g[i*100+j] != 0 {
					nonzero++
				}
			}
		}
		assert.Greater(t, nonzero, 9000, "%s holds Normal(0, 1) weights", pair[0])
	}
}

// GeNN 4.9's custom_update_reduction_batch_one: batch reductions over one
// copy store the value assigned, for neuron, dense and sparse variables.
func TestCustomUpdateReductionBatchOne(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_reduction_batch_one
simulation: {dt: 1.0, duration: 1}
models:
  neurons:
    TestNeuron: {var_name_types: [[V, scalar, READ_ONLY_DUPLICATE]]}
  weight_updates:
    TestWUM: {var_name_types: [[V, scalar, READ_ONLY_DUPLICATE]]}
  var_inits:
    SynapseIndex: {var_init_code: "$(value) = $(id);"}
  custom_updates:
    Reduce:
      update_code: "$(Sum) = $(V);\n$(Max) = $(V);"
      var_name_types: [[Sum, scalar, REDUCE_BATCH_SUM], [Max, scalar, REDUCE_BATCH_MAX]]
      var_refs: [[V, scalar, READ_ONLY]]
populations:
  SpikeSource: {size: 50, model: SpikeSource}
  Neuron: {size: 50, model: TestNeuron, vars: {V: ` + iota(50) + `}}
synapses:
  Dense:
    {source: SpikeSource, target: Neuron, matrix: dense, weights: individual, weight_update: {model: TestWUM, vars: {V: {init: SynapseIndex}}}, postsynaptic: {model: DeltaCurr}}
  Sparse:
    source: SpikeSource
    target: Neuron
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
    weight_update: {model: TestWUM, vars: {V: {init: SynapseIndex}}}
    postsynaptic: {model: DeltaCurr}
custom_updates:
  NeuronReduce: {group: Test, model: Reduce, vars: {Sum: 0.0, Max: 0.0}, var_refs: {V: Neuron.V}}
  WUMDenseReduce: {group: Test, model: Reduce, vars: {Sum: 0.0, Max: 0.0}, wu_var_refs: {V: Dense.V}}
  WUMSparseReduce: {group: Test, model: Reduce, vars: {Sum: 0.0, Max: 0.0}, wu_var_refs: {V: Sparse.V}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{5}, nil)
	require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("Test"), gpu.AllVariants))
	for _, v := range []string{"Sum", "Max"} {
		for i, x := range s.get("NeuronReduce", v, 0) {
			require.Equal(t, float64(i), x, "NeuronReduce.%s[%d]", v, i)
		}
		for i, x := range s.get("WUMDenseReduce", v, 0) {
			require.Equal(t, float64(i), x, "WUMDenseReduce.%s[%d]", v, i)
		}
		rl, sum := s.get("Sparse", "rowLength", 0), s.get("WUMSparseReduce", v, 0)
		maxRow := len(sum) / 50
		for i, n := range rl {
			for j := 0; j < int(n); j++ {
				syn := i*maxRow + j
				require.Equal(t, float64(syn), sum[syn], "WUMSparseReduce.%s[%d]", v, syn)
			}
		}
	}
}

// GeNN 4.9's custom_update_neuron_reduction_batch_one: a softmax in three
// groups, a maximum and a sum over the neurons into shared values, then
// the normalised exponentials.
func TestCustomUpdateNeuronReductionBatchOne(t *testing.T) {
	t.Parallel()
	ys := make([]float64, 50)
	parts := make([]string, 50)
	for i := range ys {
		// GeNN's test draws Y uniformly; fixed pseudo-random values here
		ys[i] = float64(float32(math.Mod(float64(i)*0.6180339887, 1.0)*4 - 2))
		parts[i] = fmt.Sprint(ys[i])
	}
	doc := `
name: custom_update_neuron_reduction_batch_one
simulation: {dt: 1.0, duration: 1}
models:
  neurons:
    TestNeuron: {var_name_types: [[Y, scalar, READ_ONLY], [Pi, scalar, READ_ONLY]]}
  custom_updates:
    Softmax1:
      update_code: "$(MaxY) = $(Y);"
      var_name_types: [[MaxY, scalar, REDUCE_NEURON_MAX]]
      var_refs: [[Y, scalar, READ_ONLY]]
    Softmax2:
      update_code: "$(SumExpPi) = exp($(Y) - $(MaxY));"
      var_name_types: [[SumExpPi, scalar, REDUCE_NEURON_SUM]]
      var_refs: [[Y, scalar, READ_ONLY], [MaxY, scalar, READ_ONLY]]
    Softmax3:
      update_code: "$(Pi) = exp($(Y) - $(MaxY)) / $(SumExpPi);"
      var_refs: [[Y, scalar, READ_ONLY], [MaxY, scalar, READ_ONLY], [SumExpPi, scalar, READ_ONLY], [Pi, scalar, READ_WRITE]]
populations:
  Neuron: {size: 50, model: TestNeuron, vars: {Y: [` + strings.Join(parts, ", ") + `], Pi: 0.0}}
custom_updates:
  Softmax1: {group: Softmax1, model: Softmax1, vars: {MaxY: 0.0}, var_refs: {Y: Neuron.Y}}
  Softmax2: {group: Softmax2, model: Softmax2, vars: {SumExpPi: 0.0}, var_refs: {Y: Neuron.Y, MaxY: Softmax1.MaxY}}
  Softmax3: {group: Softmax3, model: Softmax3, var_refs: {Y: Neuron.Y, MaxY: Softmax1.MaxY, SumExpPi: Softmax2.SumExpPi, Pi: Neuron.Pi}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	for _, g := range []string{"Softmax1", "Softmax2", "Softmax3"} {
		require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup(g), gpu.AllVariants))
	}
	maxY := ys[0]
	for _, y := range ys {
		maxY = math.Max(maxY, y)
	}
	// the maximum is exact; the float sum and quotients as GeNN's
	// ASSERT_FLOAT_EQ (4 ulp), here to a relative 1e-6
	assert.Equal(t, []float64{maxY}, s.get("Softmax1", "MaxY", 0))
	sum := 0.0
	for _, y := range ys {
		sum += math.Exp(y - maxY)
	}
	got := s.get("Softmax2", "SumExpPi", 0)
	require.Len(t, got, 1)
	assert.InEpsilon(t, sum, got[0], 1e-6)
	for i, pi := range s.get("Neuron", "Pi", 0) {
		assert.InEpsilon(t, math.Exp(ys[i]-maxY)/sum, pi, 1e-6, "Pi[%d]", i)
	}
}

// GeNN 4.9's custom_update_neuron_reduction (batch size 5): a sum and a
// maximum over each batch member's neurons. Here the batch members are 5
// variants of one instance, each with its own V (set through gn_set_var as
// GeNN's host sets them), and one gn_custom_update for all variants reduces
// each variant on its own.
func TestCustomUpdateNeuronReductionBatch(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_neuron_reduction
simulation: {dt: 1.0, duration: 1}
models:
  neurons:
    TestNeuron: {var_name_types: [[V, scalar, READ_ONLY_DUPLICATE]]}
  custom_updates:
    Reduce:
      update_code: "$(Sum) = $(V);\n$(Max) = $(V);"
      var_name_types: [[Sum, scalar, REDUCE_NEURON_SUM], [Max, scalar, REDUCE_NEURON_MAX]]
      var_refs: [[V, scalar, READ_ONLY]]
populations:
  Neuron: {size: 50, model: TestNeuron, vars: {V: 0.0}}
custom_updates:
  NeuronReduce: {group: Test, model: Reduce, vars: {Sum: 0.0, Max: 0.0}, var_refs: {V: Neuron.V}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1, 2, 3, 4, 5}, nil)
	vs := make([][]float64, 5)
	for b := range vs {
		vs[b] = make([]float64, 50)
		for i := range vs[b] {
			// GeNN's test draws V uniformly; fixed pseudo-random values here
			vs[b][i] = float64(float32(math.Mod(float64(i*5+b)*0.6180339887, 1.0)*10 - 5))
		}
		s.set("Neuron", "V", b, vs[b])
	}
	require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("Test"), gpu.AllVariants))
	for b, v := range vs {
		sum, maxV := float32(0), float32(math.Inf(-1))
		for _, x := range v {
			sum += float32(x)
			maxV = float32(math.Max(float64(maxV), x))
		}
		// GeNN's ASSERT_FLOAT_EQ (4 ulp of float): the sum here to a
		// relative 1e-6, the maximum exactly
		got := s.get("NeuronReduce", "Sum", b)
		require.Len(t, got, 1)
		assert.InEpsilon(t, float64(sum), got[0], 1e-6, "variant %d", b)
		assert.Equal(t, []float64{float64(maxV)}, s.get("NeuronReduce", "Max", b), "variant %d", b)
	}
}

// A custom update reads the state as the steps left it and the steps go on
// from what it wrote, while what it does not touch stays as the steps left
// it, and what was read before an update is read again after it, on one
// thread and on several (the CPU backend shares an update's elements among
// them). On the CUDA backend these updates run on the device, and the host
// copies of what they write must be fetched again; ScaleG walks a sparse
// matrix built on the device.
func TestCustomUpdateReadsStepState(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_state
simulation: {dt: 1.0, duration: 100}
models:
  neurons:
    Counter: {var_name_types: [[V, scalar], [U, scalar]], sim_code: "$(V) += $(Isyn) + 1.0; $(U) += 1.0;"}
  custom_updates:
    Double: {update_code: "$(W) = 2.0 * $(R);", var_refs: [[R, scalar, READ_ONLY], [W, scalar, READ_WRITE]]}
    Scale: {update_code: "$(G) *= 2.0;", var_refs: [[G, scalar, READ_WRITE]]}
populations:
  A: {size: 60, model: Counter, vars: {V: 0.0, U: 0.0}}
  B: {size: 40, model: Counter, vars: {V: 0.0, U: 0.0}}
synapses:
  AB:
    {source: A, target: B, weights: individual, connectivity: {init: FixedProbability, params: {prob: 0.3}}, weight_update: {model: StaticPulse, vars: {g: 0.5}}, postsynaptic: {model: DeltaCurr}}
  BA:
    {source: B, target: A, weights: individual, connectivity: {init: FixedProbability, params: {prob: 0.3}}, weight_update: {model: StaticPulse, vars: {g: 0.25}}, postsynaptic: {model: DeltaCurr}}
custom_updates:
  DoubleA: {group: DoubleA, model: Double, var_refs: {R: A.V, W: A.U}}
  ScaleG: {group: ScaleG, model: Scale, wu_var_refs: {G: AB.g}}
`
	_, files := generate(t, doc, codegen.Options{})
	if testBackend == "cpu" {
		assert.Equal(t, 2, strings.Count(files[codegen.ModuleFile], "#pragma omp parallel for schedule(static)"), "both updates share their elements among the threads")
	}
	mod := loadFiles(t, files)
	for _, threads := range []int{1, 3} {
		s := newInstance(t, mod, []uint64{5}, nil)
		require.NoError(t, s.inst.SetThreads(threads))
		each := func(owner, name string, want float64) {
			t.Helper()
			for i, x := range s.get(owner, name, 0) {
				require.Equal(t, want, x, "%d thread(s): %s.%s[%d]", threads, owner, name, i)
			}
		}
		// the weights of a sparse group's synapses (its rows' first rowLength entries)
		weights := func(group string, want float64) {
			t.Helper()
			g, rl := s.get(group, "g", 0), s.get(group, "rowLength", 0)
			maxRow := len(g) / len(rl)
			for i, n := range rl {
				for k := 0; k < int(n); k++ {
					require.Equal(t, want, g[i*maxRow+k], "%d thread(s): %s.g of row %d, synapse %d", threads, group, i, k)
				}
			}
		}
		s.step(7)         // no spikes: V counts the steps
		each("A", "U", 7) // read just before: the update's result must replace what was read
		require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("DoubleA"), gpu.AllVariants))
		each("A", "U", 14)
		s.step(3)
		each("A", "V", 10)
		each("A", "U", 17)
		each("B", "V", 10)
		each("B", "U", 10)
		weights("AB", 0.5)
		require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("ScaleG"), gpu.AllVariants))
		require.Greater(t, sum(s.get("AB", "rowLength", 0)), 400.0, "AB has synapses")
		weights("AB", 1)
		weights("BA", 0.25)
		require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("ScaleG"), gpu.AllVariants))
		weights("AB", 2)
		s.step(1)
		each("A", "V", 11)
		each("B", "U", 11)
	}
}

// A custom update reads its extra global parameters as set last, a scalar
// and an array (on the CUDA backend from the device's copies, in a kernel).
func TestCustomUpdateEGP(t *testing.T) {
	t.Parallel()
	doc := `
name: custom_update_egp
simulation: {dt: 1.0, duration: 10}
models:
  custom_updates:
    Scale:
      extra_global_params: [[factor, scalar], [perPre, scalar*]]
      var_refs: [[G, scalar, READ_WRITE]]
      update_code: "$(G) *= $(factor) * $(perPre)[$(id_pre)];"
    ScaleBy:
      extra_global_param_refs: [[f, scalar]]
      var_refs: [[G, scalar, READ_WRITE]]
      update_code: "$(G) *= $(f);"
populations:
  A: {size: 4, model: SpikeSource}
  B: {size: 3, model: SpikeSource}
synapses:
  AB: {source: A, target: B, matrix: dense, weights: individual, weight_update: {model: StaticPulse, vars: {g: 1.0}}, postsynaptic: {model: DeltaCurr}}
custom_updates:
  ScaleG: {group: Scale, model: Scale, extra_global_params: {factor: 2.0, perPre: [1.0, 2.0, 3.0, 4.0]}, wu_var_refs: {G: AB.g}}
  # an earlier custom update's parameter by reference (create_egp_ref of a custom update)
  ScaleAgain: {group: Again, model: ScaleBy, extra_global_param_refs: {f: custom_updates.ScaleG.extra_global_params.factor}, wu_var_refs: {G: AB.g}}
`
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	scale := s.mod.CustomUpdateGroup("Scale")
	require.NoError(t, s.inst.CustomUpdate(scale, gpu.AllVariants))
	assert.Equal(t, []float64{2, 2, 2, 4, 4, 4, 6, 6, 6, 8, 8, 8}, s.get("AB", "g", 0))
	require.NoError(t, s.inst.SetEGP(s.mod.EGPIndex("custom_updates.ScaleG.extra_global_params.factor"), 0, []float64{0.5}))
	require.NoError(t, s.inst.SetEGP(s.mod.EGPIndex("custom_updates.ScaleG.extra_global_params.perPre"), 0, []float64{1, 1, 1, 0.25}))
	s.step(2)
	require.NoError(t, s.inst.CustomUpdate(scale, gpu.AllVariants))
	assert.Equal(t, []float64{1, 1, 1, 2, 2, 2, 3, 3, 3, 1, 1, 1}, s.get("AB", "g", 0))
	require.NoError(t, s.inst.CustomUpdate(s.mod.CustomUpdateGroup("Again"), gpu.AllVariants))
	assert.Equal(t, []float64{0.5, 0.5, 0.5, 1, 1, 1, 1.5, 1.5, 1.5, 0.5, 0.5, 0.5}, s.get("AB", "g", 0))
}
