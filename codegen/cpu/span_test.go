package cpu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spanDoc: 40 clock neurons (neuron i spikes every 7 steps, first at step
// 6 - i mod 7) drive 30 accumulators (V sums its input) through sparse,
// dense and bitmask groups with integer weights, whose sums are exact in
// any order, so the result must not depend on how the backend parallelises
// the spike propagation (span).
func spanDoc(span string) string {
	phases := make([]string, 40)
	for i := range phases {
		phases[i] = fmt.Sprint(i % 7)
	}
	group := func(name, matrix, conn string, g float64) string {
		return fmt.Sprintf("  %s: {source: P, target: Q, matrix: %s, %s span: %s, weight_update: {model: StaticPulse, vars: {g: %g}}, postsynaptic: {model: DeltaCurr}}\n",
			name, matrix, conn, span, g)
	}
	return `
simulation: {dt: 1.0, duration: 100, precision: float, seed: 3}
models:
  neurons:
    Clock:
      params: [period]
      vars: {n: scalar}
      sim_code: "$(n) += 1.0;"
      threshold_condition_code: "$(n) >= $(period)"
      reset_code: "$(n) = 0.0;"
    Acc:
      vars: {V: scalar}
      sim_code: "$(V) += $(Isyn);"
populations:
  P: {size: 40, model: Clock, params: {period: 7.0}, vars: {n: [` + strings.Join(phases, ", ") + `]}, record: {spikes: true}}
  Q: {size: 30, model: Acc, vars: {V: 0.0}}
synapses:
` + group("Sp", "sparse", "connectivity: {init: FixedProbability, params: {prob: 0.3}},", 1) +
		group("De", "dense", "", 2) +
		group("Bm", "bitmask", "connectivity: {init: FixedProbability, params: {prob: 0.5}},", 4)
}

// span: presynaptic (one thread per spiking presynaptic neuron on the GPU,
// atomic sums) gives what the default postsynaptic span gives, on every
// backend; and the accumulated input is the analytic count of spikes times
// weights.
func TestSpanPresynapticSameResult(t *testing.T) {
	t.Parallel()
	const steps = 50
	var v [2][]float64
	for i, span := range []string{"postsynaptic", "presynaptic"} {
		s := newSim(t, spanDoc(span), codegen.Options{}, []uint64{11, 12}, nil)
		s.step(steps)
		v[i] = append(s.get("Q", "V", 0), s.get("Q", "V", 1)...)
	}
	assert.Equal(t, v[0], v[1])

	// Analytic check of variant 0: neuron i of P spikes at steps k with
	// (k + 1 + i mod 7) % 7 == 0; a spike at step k reaches V in step k+1.
	s := newSim(t, spanDoc("presynaptic"), codegen.Options{}, []uint64{11}, nil)
	spikes := map[int]int{} // presynaptic neuron -> spikes arriving within the steps
	for i := 0; i < 40; i++ {
		for k := 0; k+1 < steps; k++ {
			if (k+1+i%7)%7 == 0 {
				spikes[i]++
			}
		}
	}
	weight := func(group string, pre, post int) float64 {
		switch group {
		case "De":
			return 2
		case "Sp":
			for _, j := range rows(t, s, "Sp", 0, 40)[pre] {
				if j == post {
					return 1
				}
			}
		case "Bm":
			gp := s.get("Bm", "gp", 0)
			bit := pre*30 + post
			if uint32(gp[bit/32])&(1<<(bit%32)) != 0 {
				return 4
			}
		}
		return 0
	}
	want := make([]float64, 30)
	for post := range want {
		for pre := 0; pre < 40; pre++ {
			for _, g := range []string{"Sp", "De", "Bm"} {
				want[post] += float64(spikes[pre]) * weight(g, pre, post)
			}
		}
	}
	require.Greater(t, want[0], 0.0)
	assert.Equal(t, want, v[1][:30])
}
