package cpu_test

import (
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customUpdateDoc is GeNN 4.9's custom_update feature test: custom updates
// that set every kind of variable they can reference (neuron, current
// source, postsynaptic, weight-update pre and post variables, each also
// READ_ONLY_SHARED_NEURON; per-synapse variables of dense, sparse and
// kernel (Toeplitz) groups; variables of other custom updates) to $(t).
const customUpdateDoc = `
name: custom_update
simulation: {dt: 1.0, duration: 1000, precision: float}
models:
  neurons:
    TestNeuron: {var_name_types: [[V, scalar], [VShared, scalar, READ_ONLY_SHARED_NEURON]]}
  current_sources:
    TestCurrentSource: {var_name_types: [[C, scalar], [CShared, scalar, READ_ONLY_SHARED_NEURON]]}
  postsynaptic:
    TestPSM:
      apply_input_code: "$(Isyn) += $(inSyn); $(inSyn) = 0;"
      var_name_types: [[P, scalar], [PShared, scalar, READ_ONLY_SHARED_NEURON]]
  weight_updates:
    TestWUM:
      var_name_types: [[g, scalar, READ_ONLY]]
      pre_var_name_types: [[Pre, scalar], [PreShared, scalar, READ_ONLY_SHARED_NEURON]]
      post_var_name_types: [[Post, scalar], [PostShared, scalar, READ_ONLY_SHARED_NEURON]]
      sim_code: "$(addToInSyn, $(g));"
  custom_updates:
    TestCU: {var_name_types: [[C, scalar]], var_refs: [[R, scalar]]}
    SetTime:
      update_code: "$(V) = $(t);\n$(R) = $(t);"
      var_name_types: [[V, scalar]]
      var_refs: [[R, scalar, READ_WRITE]]
    SetTimeShared:
      update_code: "$(R) = $(t);"
      var_refs: [[R, scalar, READ_WRITE]]
populations:
  SpikeSource: {size: 100, model: SpikeSource}
  Neuron: {size: 100, model: TestNeuron, vars: {V: 0.0, VShared: 0.0}}
current_sources:
  CurrentSource: {model: TestCurrentSource, target: Neuron, vars: {C: 0.0, CShared: 0.0}}
synapses:
  Dense: &syn
    source: SpikeSource
    target: Neuron
    matrix: dense
    weights: individual
    weight_update: {model: TestWUM, vars: {g: 0.0}, pre_vars: {Pre: 0.0, PreShared: 0.0}, post_vars: {Post: 0.0, PostShared: 0.0}}
    postsynaptic: {model: TestPSM, vars: {P: 0.0, PShared: 0.0}}
  Sparse:
    <<: *syn
    matrix: sparse
    connectivity: {init: FixedProbability, params: {prob: 0.1}}
  Kernel:
    <<: *syn
    matrix: toeplitz
    weights: kernel
    connectivity:
      init: Conv2D
      params: {conv_kh: 3, conv_kw: 3, conv_ih: 10, conv_iw: 10, conv_ic: 1, conv_oh: 10, conv_ow: 10, conv_oc: 1}
custom_updates:
  CustomUpdate: {group: Test2, model: TestCU, vars: {C: 0.0}, var_refs: {R: Neuron.V}}
  CustomWUUpdate: {group: Test2, model: TestCU, vars: {C: 0.0}, wu_var_refs: {R: Dense.g}}
  NeuronSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: Neuron.V}}
  NeuronSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: Neuron.VShared}}
  CurrentSourceSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: CurrentSource.C}}
  CurrentSourceSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: CurrentSource.CShared}}
  CustomUpdateSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: CustomUpdate.C}}
  PSMSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: {owner: Dense, var: P, kind: postsynaptic}}}
  PSMSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: Dense.PShared}}
  WUPreSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: Dense.Pre}}
  WUPreSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: Dense.PreShared}}
  WUPostSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, var_refs: {R: Sparse.Post}}
  WUPostSharedSetTime: {group: Test, model: SetTimeShared, var_refs: {R: Sparse.PostShared}}
  WUDenseSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: Dense.g}}
  WUSparseSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: Sparse.g}}
  WUKernelSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: Kernel.g}}
  CustomWUUpdateSetTime: {group: Test, model: SetTime, vars: {V: 0.0}, wu_var_refs: {R: CustomWUUpdate.C}}
`

// Every 100 steps the host triggers group Test, then every value it set
// equals the time of the update, exactly (t = 100, 200, ... in float).
func TestCustomUpdate(t *testing.T) {
	t.Parallel()
	s := newSim(t, customUpdateDoc, codegen.Options{}, []uint64{1, 2}, nil)
	test := s.mod.CustomUpdateGroup("Test")
	require.GreaterOrEqual(t, test, 0)
	rl := s.get("Sparse", "rowLength", 1)
	maxRow := 0 // the stride of Sparse's rows
	for _, d := range s.desc.Synapses {
		if d.Name == "Sparse" {
			maxRow = d.MaxRowLength
		}
	}
	require.Positive(t, maxRow)
	for it := 1; it <= 1000; it++ {
		s.step(1)
		if it%100 != 0 {
			continue
		}
		require.NoError(t, s.inst.CustomUpdate(test, gpu.AllVariants))
		tm := float64(it)
		all := func(owner, name string, n int) {
			t.Helper()
			for b := 0; b < 2; b++ {
				v := s.get(owner, name, b)
				require.Len(t, v, n, "%s.%s", owner, name)
				for i, x := range v {
					if x != tm {
						t.Fatalf("step %d, variant %d: %s.%s[%d] = %v, want %v", it, b, owner, name, i, x, tm)
					}
				}
			}
		}
		all("Neuron", "V", 100)
		all("NeuronSetTime", "V", 100)
		all("Neuron", "VShared", 1)
		all("CurrentSourceSetTime", "V", 100)
		all("CurrentSource", "C", 100)
		all("CurrentSource", "CShared", 1)
		all("CustomUpdateSetTime", "V", 100)
		all("CustomUpdate", "C", 100)
		all("PSMSetTime", "V", 100)
		all("Dense", "P", 100)
		all("Dense", "PShared", 1)
		all("WUPreSetTime", "V", 100)
		all("Dense", "Pre", 100)
		all("Dense", "PreShared", 1)
		all("WUPostSetTime", "V", 100)
		all("Sparse", "Post", 100)
		all("Sparse", "PostShared", 1)
		all("WUDenseSetTime", "V", 100*100)
		all("Dense", "g", 100*100)
		all("WUKernelSetTime", "V", 3*3)
		all("Kernel", "g", 3*3)
		all("CustomWUUpdateSetTime", "V", 100*100)
		all("CustomWUUpdate", "C", 100*100)
		for _, name := range []struct{ owner, v string }{{"WUSparseSetTime", "V"}, {"Sparse", "g"}} {
			g := s.get(name.owner, name.v, 1)
			for i, n := range rl {
				for j := 0; j < int(n); j++ {
					assert.Equal(t, tm, g[i*maxRow+j], "%s.%s row %d synapse %d", name.owner, name.v, i, j)
				}
			}
		}
	}
}
