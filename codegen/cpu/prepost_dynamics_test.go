package cpu_test

// GeNN 4.9's feature tests on tests/utils/simulation_test_vars.h:
// pre_vars_in_*, post_vars_in_* (synapse code reads a neuron variable x of
// the source, $(x_pre), or of the target, $(x_post)), pre_cont_wu_vars_in_*
// and post_cont_wu_vars_in_* (pre_dynamics_code or post_dynamics_code sets
// a weight-update pre or post variable x every step, which synapse code
// reads), extra_global_pre/post_param_in_sim_code (a neuron extra global
// parameter read as $(k_pre), $(k_post)) and
// extra_global_params_in_sim_code_event_sparse_inv (an event threshold on a
// weight-update extra global parameter that the host changes mid-run; here
// gn_set_egp between steps), neuron_support_code_* and
// synapse_support_code_* (support code functions called from the code
// strings). Two populations of ten neurons, x = t + shift with shift = 10 i;
// ten groups with axonal delays 0 … 9 copy x into w from sim code, event
// code, learn_post code or synapse dynamics. Dense groups connect all
// pairs; "ragged" (sparse) ones connect j -> (j + 1) % 10, one synapse per
// row (GeNN sets the rows from the host; here a connectivity snippet builds
// them). Before each step the test compares every w with the value of
// GeNN's test function and sums the absolute differences; the bound is
// GeNN's (differences come from float time arithmetic).

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// varsDT is the tests' time step, as a float.
const varsDT = float32(0.1)

// varsCase is one of the tests.
type varsCase struct {
	name string
	// neuron is the neuron model: "x" (x = t + shift, threshold
	// fmod(x, ISI) < 1e-4 with ISI 1 or the per-population ISI) or
	// "shift" (threshold on t + shift; the cont tests' model)
	neuron    string
	threshold bool
	// support is the neuron model's support_code; sim and cond replace
	// its sim code and threshold condition (GeNN's neuron_support_code_*)
	support, sim, cond string
	isi                [2]float64 // ISI of pre and post; 0: period 1, no parameter
	shiftPost          bool       // the post population has shifts 10 k too (else 0)
	// wu is the weight-update model's fields besides w; triggers gives
	// each group the parameter myTrigger = 2 (d + 1)
	wu       string
	triggers bool
	// kOn names the population ("pre" or "post") whose neuron extra
	// global parameter k is 1 (the other's is 0); "": no k
	kOn string
	// thresh gives each group the extra global parameter thresh =
	// 2 (d + 1), which swap sets to 2 + 3 d before the step at t ≈ 10
	thresh bool
	ragged bool
	span   string
	bound  float64
	// expected gives w of group d, pre j, post k before the step at time
	// t, when it is due
	expected func(d, j, k int, t float32) (float64, bool)
}

func TestSimulationTestVars(t *testing.T) {
	t.Parallel()
	fm := math.Mod
	dt := varsDT
	// GeNN's expressions, t - DT - (d+1)·DT and t - 2·DT, in float
	delayed := func(d int, t float32) float32 { return t - dt - float32(d+1)*dt }
	atOne := func(d int, t float32) bool { return t > 1.1001 && fm(float64(delayed(d, t))+5e-5, 1.0) < 1e-4 }
	everyTwo := func(t float32) bool { return fm(float64(t-2*dt)+5e-5, 2.0) < 1e-4 }
	event := func(d, j int, t float32) bool {
		return float64(t) > float64(float32(d)*dt)+0.1001 && fm(float64(t-2*dt-float32(d)*dt)+5e-5+float64(10*j), float64(2*(d+1))) < 1e-4
	}
	preAt := func(d, j int, t float32) float64 { return float64(delayed(d, t)) + float64(10*j) }
	postAt := func(k int, t float32) float64 { return float64(t-2*dt) + float64(10*k) }
	simPre := "sim_code: \"$(w) = $(x_pre);\""
	simPost := "sim_code: \"$(w) = $(x_post);\""
	learnPre := "learn_post_code: \"$(w) = $(x_pre);\""
	learnPost := "learn_post_code: \"$(w) = $(x_post);\""
	dynPre := "synapse_dynamics_code: \"$(w) = $(x_pre);\""
	dynPost := "synapse_dynamics_code: \"$(w) = $(x_post);\""
	eventPre := "param_names: [myTrigger]\n      event_threshold_condition_code: \"(fmod($(x_pre),$(myTrigger)) < 1e-4)\"\n      event_code: \"$(w) = $(x_pre);\""
	contPre := "pre_var_name_types: [[x, scalar]]\n      pre_dynamics_code: \"$(x) = $(t) + $(shift_pre);\"\n      "
	contPost := "post_var_name_types: [[x, scalar]]\n      post_dynamics_code: \"$(x) = $(t) + $(shift_post);\"\n      "
	sim := func(d, j, k int, t float32) (float64, bool) { return preAt(d, j, t), atOne(d, t) }
	simPostX := func(d, _, k int, t float32) (float64, bool) { return postAt(k, t), atOne(d, t) }
	learn := func(d, j, _ int, t float32) (float64, bool) { return preAt(d, j, t), t > 2.0001 && everyTwo(t) }
	learnPostX := func(_, _, k int, t float32) (float64, bool) { return postAt(k, t), t > 2.1001 && everyTwo(t) }
	dyn := func(d, j, _ int, t float32) (float64, bool) {
		return preAt(d, j, t), float64(t) > 0.0001+float64(float32(d+1)*dt)
	}
	dynPostX := func(_, _, k int, t float32) (float64, bool) { return postAt(k, t), float64(t) > 0.0001+float64(dt) }
	ev := func(d, j, _ int, t float32) (float64, bool) {
		return float64(t-2*dt-float32(d)*dt) + float64(10*j), event(d, j, t)
	}
	// extra_global_params_in_sim_code_event_sparse_inv's host sets the
	// thresholds when |t - 10| < DT; events before that time used the old
	swapAt := float32(-1)
	for it := 0; float32(it)*dt < 20; it++ {
		if tm := float32(it) * dt; math.Abs(float64(tm-10)) < float64(dt) {
			swapAt = tm
		}
	}
	evThresh := func(d, j, _ int, t float32) (float64, bool) {
		evT := t - 2*dt - float32(d)*dt + 5e-5
		period := float32(2 * (d + 1))
		if evT >= swapAt {
			period = float32(2 + 3*d)
		}
		ok := float64(t) > float64(float32(d)*dt)+0.1001 && math.Mod(float64(evT+float32(10*j)), float64(period)) < 1e-4
		return float64(t-2*dt-float32(d)*dt) + float64(10*j), ok
	}
	cases := []varsCase{
		{name: "pre_vars_in_sim_code", neuron: "x", threshold: true, wu: simPre, bound: 5e-2, expected: sim},
		{name: "pre_vars_in_sim_code_ragged", neuron: "x", threshold: true, wu: simPre, ragged: true, bound: 1e-3, expected: sim},
		{name: "pre_vars_in_sim_code_event", neuron: "x", threshold: true, wu: eventPre, triggers: true, bound: 1e-2, expected: ev},
		{name: "pre_vars_in_sim_code_event_ragged", neuron: "x", threshold: true, wu: eventPre, triggers: true, ragged: true, bound: 1e-3, expected: ev},
		{name: "pre_vars_in_sim_code_event_ragged_inv", neuron: "x", threshold: true, wu: eventPre, triggers: true, ragged: true, span: "presynaptic", bound: 1e-3, expected: ev},
		{name: "pre_vars_in_post_learn", neuron: "x", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: learnPre, bound: 3e-2, expected: learn},
		{name: "pre_vars_in_post_learn_ragged", neuron: "x", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: learnPre, ragged: true, bound: 3e-3, expected: learn},
		{name: "pre_vars_in_synapse_dynamics", neuron: "x", wu: dynPre, bound: 5e-2, expected: dyn},
		{name: "pre_vars_in_synapse_dynamics_ragged", neuron: "x", wu: dynPre, ragged: true, bound: 5e-3, expected: dyn},
		{name: "post_vars_in_sim_code", neuron: "x", threshold: true, shiftPost: true, wu: simPost, bound: 3e-2, expected: simPostX},
		{name: "post_vars_in_sim_code_ragged", neuron: "x", threshold: true, shiftPost: true, wu: simPost, ragged: true, bound: 3e-3, expected: simPostX},
		{name: "post_vars_in_post_learn", neuron: "x", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: learnPost, bound: 2e-2, expected: learnPostX},
		{name: "post_vars_in_post_learn_ragged", neuron: "x", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: learnPost, ragged: true, bound: 5e-3, expected: learnPostX},
		{name: "post_vars_in_synapse_dynamics", neuron: "x", shiftPost: true, wu: dynPost, bound: 5e-2, expected: dynPostX},
		{name: "post_vars_in_synapse_dynamics_ragged", neuron: "x", shiftPost: true, wu: dynPost, ragged: true, bound: 5e-3, expected: dynPostX},
		{name: "extra_global_pre_param_in_sim_code", neuron: "x", threshold: true, shiftPost: true, kOn: "pre", wu: "sim_code: \"$(w) = $(x_post) * $(k_pre);\"", bound: 3e-2, expected: simPostX},
		{name: "extra_global_post_param_in_sim_code", neuron: "x", threshold: true, shiftPost: true, kOn: "post", wu: "sim_code: \"$(w) = $(x_post) * $(k_post);\"", bound: 3e-2, expected: simPostX},
		{name: "extra_global_params_in_sim_code_event_sparse_inv", neuron: "x", thresh: true, ragged: true, span: "presynaptic", bound: 1e-3, expected: evThresh,
			wu: "extra_global_params: [[thresh, scalar]]\n      event_threshold_condition_code: \"(fmod($(x_pre),$(thresh)) < 1e-4)\"\n      event_code: \"$(w) = $(x_pre);\""},
		{name: "neuron_support_code_sim", neuron: "x", threshold: true, wu: simPre, bound: 5e-2, expected: sim,
			support: "SUPPORT_CODE_FUNC scalar calcActivation(scalar t, scalar shift){ return (t + shift); }", sim: "$(x) = calcActivation($(t), $(shift));"},
		{name: "neuron_support_code_threshold", neuron: "x", threshold: true, wu: simPre, bound: 5e-2, expected: sim,
			support: "SUPPORT_CODE_FUNC bool checkThreshold(scalar x){ return (fmod(x, 1.0) < 1e-4); }", cond: "checkThreshold($(x))"},
		{name: "synapse_support_code_sim_code", neuron: "x", threshold: true, bound: 5e-2, expected: sim,
			wu: supportWU("sim_support_code", "sim_code: \"$(w) = getWeight($(x_pre));\"")},
		{name: "synapse_support_code_event_sim_code", neuron: "x", threshold: true, triggers: true, bound: 1e-2, expected: ev,
			wu: supportWU("sim_support_code", "param_names: [myTrigger]\n      event_threshold_condition_code: \"(fmod($(x_pre),$(myTrigger)) < 1e-4)\"\n      event_code: \"$(w) = getWeight($(x_pre));\"")},
		{name: "synapse_support_code_event_threshold", neuron: "x", threshold: true, triggers: true, bound: 1e-2, expected: ev,
			wu: "sim_support_code: \"SUPPORT_CODE_FUNC bool checkThreshold(scalar x, scalar trigger){ return (fmod(x, trigger) < 1e-4); }\"\n      param_names: [myTrigger]\n      event_threshold_condition_code: \"checkThreshold($(x_pre),$(myTrigger))\"\n      event_code: \"$(w) = $(x_pre);\""},
		{name: "synapse_support_code_post_learn", neuron: "x", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, bound: 3e-2, expected: learn,
			wu: supportWU("learn_post_support_code", "learn_post_code: \"$(w) = getWeight($(x_pre));\"")},
		{name: "synapse_support_code_synapse_dynamics", neuron: "x", shiftPost: true, bound: 5e-2, expected: dynPostX,
			wu: supportWU("synapse_dynamics_support_code", "synapse_dynamics_code: \"$(w) = getWeight($(x_post));\"")},
		{name: "pre_cont_wu_vars_in_sim_code", neuron: "shift", threshold: true, wu: contPre + "sim_code: \"$(w) = $(x);\"", bound: 5e-2, expected: sim},
		{name: "pre_cont_wu_vars_in_post_learn", neuron: "shift", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: contPre + "learn_post_code: \"$(w) = $(x);\"", bound: 3e-2, expected: learn},
		{name: "pre_cont_wu_vars_in_synapse_dynamics", neuron: "shift", wu: contPre + "synapse_dynamics_code: \"$(w) = $(x);\"", bound: 5e-2, expected: dyn},
		{name: "post_cont_wu_vars_in_sim_code", neuron: "shift", threshold: true, shiftPost: true, wu: contPost + "sim_code: \"$(w) = $(x);\"", bound: 3e-2, expected: simPostX},
		{name: "post_cont_wu_vars_in_post_learn", neuron: "shift", threshold: true, isi: [2]float64{1, 2}, shiftPost: true, wu: contPost + "learn_post_code: \"$(w) = $(x);\"", bound: 2e-2, expected: learnPostX},
		{name: "post_cont_wu_vars_in_synapse_dynamics", neuron: "shift", shiftPost: true, wu: contPost + "synapse_dynamics_code: \"$(w) = $(x);\"", bound: 5e-2, expected: dynPostX},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, varsDoc(c), codegen.Options{}, []uint64{1}, nil)
			var x [10][100]float64
			errSum := 0.0
			for it := 0; float32(it)*dt < 20; it++ {
				tm := float32(it) * dt
				if c.thresh && tm == swapAt {
					for d := 0; d < 10; d++ {
						egp := s.mod.EGPIndex(fmt.Sprintf("synapses.syn%d.weight_update.extra_global_params.thresh", d))
						require.NoError(t, s.inst.SetEGP(egp, 0, []float64{float64(2 + 3*d)}))
					}
				}
				for d := 0; d < 10; d++ {
					w := s.get(fmt.Sprintf("syn%d", d), "w", 0)
					for j := 0; j < 10; j++ {
						for k := 0; k < 10; k++ {
							i := j*10 + k
							if c.ragged {
								if k != (j+1)%10 {
									continue
								}
								i = j
							}
							if v, ok := c.expected(d, j, k, tm); ok {
								x[d][i] = float64(float32(v))
							}
							errSum += math.Abs(x[d][i] - w[i])
						}
					}
				}
				s.step(1)
			}
			t.Logf("summed error %g", errSum)
			assert.Less(t, errSum, c.bound, "summed error (GeNN's bound)")
		})
	}
}

// supportWU is weight-update model text whose support code field defines
// getWeight(x) = x.
func supportWU(field, code string) string {
	return field + ": \"SUPPORT_CODE_FUNC scalar getWeight(scalar x){ return x; }\"\n      " + code
}

// varsDoc is a test's network.
func varsDoc(c varsCase) string {
	// GeNN's x model keeps the default auto-refractory test, which stops
	// the spike at t = 0 (x was 0 before the step, so "fmod(x, 1) <
	// 1e-4" held already); the shift model turns it off.
	neuron := "var_name_types: [[x, scalar], [shift, scalar]]\n      sim_code: \"$(x) = $(t) + $(shift);\""
	cond, period := "(fmod($(x),%s) < 1e-4)", "1.0"
	if c.neuron == "shift" {
		neuron = "var_name_types: [[shift, scalar, READ_ONLY]]\n      is_auto_refractory_required: false"
		cond = "$(t) > 1e-4 && fmod($(t)+$(shift),%s) < 1e-4"
	}
	params, preParams, postParams := "", "", ""
	if c.isi[0] != 0 {
		period, params = "$(ISI)", "param_names: [ISI]"
		preParams, postParams = fmt.Sprintf("params: {ISI: %g}, ", c.isi[0]), fmt.Sprintf("params: {ISI: %g}, ", c.isi[1])
	}
	if c.kOn != "" {
		neuron += "\n      extra_global_params: [[k, scalar]]"
	}
	if c.support != "" {
		neuron += fmt.Sprintf("\n      support_code: %q", c.support)
	}
	if c.sim != "" {
		neuron = strings.Replace(neuron, "$(x) = $(t) + $(shift);", c.sim, 1)
	}
	egp := func(pop string) string {
		if c.kOn == "" {
			return ""
		}
		k := 0.0
		if pop == c.kOn {
			k = 1
		}
		return fmt.Sprintf("extra_global_params: {k: %g}, ", k)
	}
	threshold := ""
	if c.threshold {
		if c.cond == "" {
			c.cond = fmt.Sprintf(cond, period)
		}
		threshold = fmt.Sprintf("threshold_condition_code: %q", c.cond)
	}
	shifts := make([]string, 10)
	for i := range shifts {
		shifts[i] = fmt.Sprint(10 * i)
	}
	shiftList := "[" + strings.Join(shifts, ", ") + "]"
	postShift := "0.0"
	if c.shiftPost {
		postShift = shiftList
	}
	vars := func(shift string) string {
		if c.neuron == "shift" {
			return "{shift: " + shift + "}"
		}
		return "{x: 0.0, shift: " + shift + "}"
	}
	matrix := "matrix: dense"
	if c.ragged {
		matrix = "connectivity: {init: NextOne}"
	}
	if c.span != "" {
		matrix += ", span: " + c.span
	}
	var syns strings.Builder
	for d := 0; d < 10; d++ {
		wuParams, wuVars := "", "vars: {w: 0.0}"
		if c.triggers {
			wuParams = fmt.Sprintf("params: {myTrigger: %d}, ", 2*(d+1))
		}
		if c.thresh {
			wuParams = fmt.Sprintf("extra_global_params: {thresh: %d}, ", 2*(d+1))
		}
		if strings.Contains(c.wu, "pre_var_name_types") {
			wuVars += ", pre_vars: {x: 0.0}"
		}
		if strings.Contains(c.wu, "post_var_name_types") {
			wuVars += ", post_vars: {x: 0.0}"
		}
		fmt.Fprintf(&syns, "  syn%d: {source: pre, target: post, %s, delay_steps: %d, weight_update: {model: WU, %s%s}, postsynaptic: {model: DeltaCurr}}\n",
			d, matrix, d, wuParams, wuVars)
	}
	return fmt.Sprintf(`
name: simulation_test_vars
simulation: {dt: 0.1, duration: 20, precision: float}
models:
  neurons:
    Neuron:
      %s
      %s
      %s
  weight_updates:
    WU:
      var_name_types: [[w, scalar]]
      %s
  connectivity:
    NextOne:
      row_build_code: "$(addSynapse, ($(id_pre) + 1) %% $(num_post));\n$(endRow);"
      calc_max_row_len_func: 1
populations:
  pre: {size: 10, model: Neuron, %s%svars: %s}
  post: {size: 10, model: Neuron, %s%svars: %s}
synapses:
%s`, params, neuron, threshold, c.wu, preParams, egp("pre"), vars(shiftList), postParams, egp("post"), vars(postShift), syns.String())
}
