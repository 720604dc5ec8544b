package cpu_test

// GeNN 4.9's pre_output_decode_matrix_* feature tests
// (tests/utils/simulation_test_decoder_matrix_inv.h and
// simulation_test_cont_decoder_matrix_inv.h): the decoder matrix run
// backwards. Before each step the host makes postsynaptic neuron
// (step % 10) the only one with x = 1; synapse code adds g * x_post to its
// presynaptic neuron with $(addToPre, x), and presynaptic neuron j (sim
// code x = Isyn) is connected with weight 1 to target k exactly when bit j
// of k+1 is set, so the four presynaptic x, read as bits, decode the
// active target. The synapse code runs from sim code (presynaptic spikes),
// event code (spike-like events), learn_post code (postsynaptic spikes),
// each every second step, or from synapse dynamics every step.

import (
	"fmt"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/require"
)

// inverseDecodeWeights is the tests' dense 4 × 10 weight matrix.
func inverseDecodeWeights() string {
	var s []string
	for i := 0; i < 4; i++ {
		for j := 0; j < 10; j++ {
			if (j+1)&(1<<i) != 0 {
				s = append(s, "1.0")
			} else {
				s = append(s, "0.0")
			}
		}
	}
	return "[" + join(s) + "]"
}

// everySecondStep is the tests' condition "t is a multiple of 0.2".
const everySecondStep = `fabs($(t)/0.2f - (int) ($(t)/0.2f)) < 1e-5`

func TestPreOutputDecodeMatrix(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		preThresh  string // threshold of the presynaptic neurons
		postThresh string
		wu         string
		continuous bool
		// target: the input $(addToPre) feeds ("" Isyn; else an additional
		// input variable, pre_target_var)
		target string
	}{
		{name: "pre_output_decode_matrix_individualg_dense", preThresh: everySecondStep, wu: "sim_code: \"$(addToPre, $(g) * $(x_post));\""},
		{name: "pre_output_decode_matrix_event_individualg_dense",
			wu: "event_threshold_condition_code: \"" + everySecondStep + "\"\n      event_code: \"$(addToPre, $(g) * $(x_post));\""},
		{name: "pre_output_decode_matrix_post_learn_individualg_dense", postThresh: everySecondStep,
			wu: "learn_post_code: \"$(addToPre, $(g) * $(x_post));\""},
		{name: "pre_output_decode_matrix_cont_individualg_dense", continuous: true,
			wu: "synapse_dynamics_code: \"$(addToPre, $(g) * $(x_post));\""},
		{name: "pre_target_var", continuous: true, target: "Ipre",
			wu: "synapse_dynamics_code: \"$(addToPre, $(g) * $(x_post));\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			input, targetKey := "Isyn", ""
			if c.target != "" {
				input, targetKey = c.target, "pre_target_var: "+c.target
			}
			doc := fmt.Sprintf(`
name: pre_output
simulation: {dt: 0.1, duration: 10, precision: float}
models:
  neurons:
    PreNeuron:
      var_name_types: [[x, scalar]]
      sim_code: "$(x) = $(%s);"
      threshold_condition_code: "%s"
      additional_input_vars: [[Ipre, scalar, 0.0]]
      is_auto_refractory_required: false
    PostNeuron:
      var_name_types: [[x, scalar]]
      threshold_condition_code: "%s"
      is_auto_refractory_required: false
  weight_updates:
    Synapse:
      var_name_types: [[g, scalar]]
      %s
populations:
  Pre: {size: 4, model: PreNeuron, vars: {x: 0.0}}
  Post: {size: 10, model: PostNeuron, vars: {x: 0.0}}
synapses:
  Syn:
    source: Pre
    target: Post
    matrix: dense
    %s
    weight_update: {model: Synapse, vars: {g: %s}}
    postsynaptic: {model: DeltaCurr}
`, input, c.preThresh, c.postThresh, c.wu, targetKey, inverseDecodeWeights())
			s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
			for i := 0; i < 100; i++ {
				in := i%10 + 1
				x := make([]float64, 10)
				x[in-1] = 1
				s.set("Post", "x", 0, x)
				s.step(1)
				out := 0
				for j, v := range s.get("Pre", "x", 0) {
					require.True(t, v == 0 || v == 1, "step %d: Pre.x[%d] = %g", i, j, v)
					if v == 1 {
						out += 1 << j
					}
				}
				// after the step t = (i+1)·DT; the synapse code ran in it
				// when the spike (event) came from step i-1, even
				want := 0
				if c.continuous || (i+1)%2 == 0 {
					want = in
				}
				require.Equal(t, want, out, "step %d: decoded value", i)
			}
		})
	}
}
