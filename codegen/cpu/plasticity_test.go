package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Additive STDP with exponential windows, written as in GeNN's examples: the
// presynaptic spike (sim_code) depresses by Aminus·exp(-(t_pre - t_post)/tauMinus)
// when the postsynaptic neuron spiked before; the postsynaptic spike
// (learn_post_code) potentiates by Aplus·exp(-(t_post - t_pre)/tauPlus).
// In GeNN 4 both see spike times offset by DT·(delay+1) and run one step
// after the spike, so $(t) - $(sT_post) in sim_code is exactly t_pre - t_post.
const stdpModel = `
models:
  weight_updates:
    STDP:
      params: [tauPlus, tauMinus, Aplus, Aminus, Wmin, Wmax]
      vars: {g: scalar}
      sim_code: |
        $(addToInSyn, $(g));
        const scalar dt = $(t) - $(sT_post);
        if (dt > 0) {
            const scalar newWeight = $(g) - ($(Aminus) * exp(-dt / $(tauMinus)));
            $(g) = fmax($(Wmin), fmin($(Wmax), newWeight));
        }
      learn_post_code: |
        const scalar dt = $(t) - $(sT_pre);
        if (dt > 0) {
            const scalar newWeight = $(g) + ($(Aplus) * exp(-dt / $(tauPlus)));
            $(g) = fmax($(Wmin), fmin($(Wmax), newWeight));
        }
      is_pre_spike_time_required: true
      is_post_spike_time_required: true
`

var (
	stdpPre  = []float64{10, 30, 50, 70}
	stdpPost = []float64{15, 25, 52, 70}
)

const (
	tauPlus, tauMinus, aPlus, aMinus, g0 = 16.8, 33.7, 0.01, 0.012, 0.5
)

func ssa(name string, times []float64) string {
	start, end := "", ""
	for i := range times {
		start += fmt.Sprintf("%d, ", i)
		end += fmt.Sprintf("%d, ", i+1)
	}
	ts := ""
	for _, x := range times {
		ts += fmt.Sprintf("%g, ", x)
	}
	return fmt.Sprintf(`
  %s:
    size: %d
    model: SpikeSourceArray
    vars: {startSpike: [%s], endSpike: [%s]}
    extra_global_params: {spikeTimes: [%s]}
`, name, len(times), start[:len(start)-2], end[:len(end)-2], ts[:len(ts)-2])
}

func stdpDoc(matrix string) string {
	conn := ""
	if matrix == "sparse" {
		conn = "connectivity: {init: OneToOne}"
	}
	return `
name: stdp
simulation: {dt: 0.125, duration: 100, precision: double}
` + stdpModel + "populations:" + ssa("Pre", stdpPre) + ssa("Post", stdpPost) + fmt.Sprintf(`
synapses:
  S:
    source: Pre
    target: Post
    matrix: %s
    %s
    weight_update:
      model: STDP
      params: {tauPlus: %g, tauMinus: %g, Aplus: %g, Aminus: %g, Wmin: 0.0, Wmax: 1.0}
      vars: {g: %g}
    postsynaptic: {model: DeltaCurr}
`, matrix, conn, tauPlus, tauMinus, aPlus, aMinus, g0)
}

// stdpWant is the analytic weight after one pre spike at tp and one post
// spike at tq (no clipping is reached).
func stdpWant(tp, tq float64) float64 {
	switch {
	case tq > tp:
		return g0 + aPlus*math.Exp(-(tq-tp)/tauPlus)
	case tq < tp:
		return g0 - aMinus*math.Exp(-(tp-tq)/tauMinus)
	}
	return g0
}

func TestSTDPPairProtocol(t *testing.T) {
	t.Parallel()
	for _, matrix := range []string{"sparse", "dense"} {
		t.Run(matrix, func(t *testing.T) {
			t.Parallel()
			s := newSim(t, stdpDoc(matrix), codegen.Options{}, []uint64{1}, nil)
			s.step(800)
			g := s.get("S", "g", 0)
			// DT = 0.125 ms makes every spike time exact in binary, so a pair
			// with Δt = 0 changes nothing (dt > 0 is false in both codes);
			// the exponentials differ from Go's by an ulp or so.
			if matrix == "sparse" {
				for i := range stdpPre {
					assert.InDelta(t, stdpWant(stdpPre[i], stdpPost[i]), g[i], 1e-12, "pair %d: Δt = %g ms", i, stdpPost[i]-stdpPre[i])
				}
				return
			}
			for i := range stdpPre {
				for j := range stdpPost {
					assert.InDelta(t, stdpWant(stdpPre[i], stdpPost[j]), g[i*len(stdpPost)+j], 1e-12, "synapse %d→%d: Δt = %g ms", i, j, stdpPost[j]-stdpPre[i])
				}
			}
		})
	}
}

// PiecewiseSTDP (GeNN's built-in) on the same protocol, against its update
// equations evaluated here for each pair.
func TestPiecewiseSTDP(t *testing.T) {
	t.Parallel()
	const (
		tLrn, tChng, tDecay, tPunish10, tPunish01 = 50.0, 50.0, 50000.0, 100.0, 100.0
		gMax, gMid, gSlope, tauShift, gSyn0       = 0.015, 0.0075, 33.33, 10.0, 0.00006
	)
	doc := `
name: pstdp
simulation: {dt: 0.125, duration: 100, precision: double}
populations:` + ssa("Pre", stdpPre) + ssa("Post", stdpPost) + fmt.Sprintf(`
synapses:
  S:
    source: Pre
    target: Post
    connectivity: {init: OneToOne}
    weight_update:
      model: PiecewiseSTDP
      params: {tLrn: %g, tChng: %g, tDecay: %g, tPunish10: %g, tPunish01: %g, gMax: %g, gMid: %g, gSlope: %g, tauShift: %g, gSyn0: %g}
      vars: {g: 0.0, gRaw: 0.0}
    postsynaptic: {model: DeltaCurr}
`, tLrn, tChng, tDecay, tPunish10, tPunish01, gMax, gMid, gSlope, tauShift, gSyn0)
	s := newSim(t, doc, codegen.Options{}, []uint64{1}, nil)
	s.step(800)
	lim0 := (1/tPunish01 + 1/tChng) * tLrn / (2 / tChng)
	lim1 := -((1/tPunish10 + 1/tChng) * tLrn / (2 / tChng))
	slope0, slope1 := -2*gMax/(tChng*tLrn), 2*gMax/(tChng*tLrn)
	off0, off1, off2 := gMax/tPunish01, gMax/tChng, gMax/tPunish10
	dg := func(dt float64) float64 {
		switch {
		case dt > lim0:
			return -off0
		case dt > 0:
			return slope0*dt + off1
		case dt > lim1:
			return slope1*dt + off1
		}
		return -off2
	}
	g, raw := s.get("S", "g", 0), s.get("S", "gRaw", 0)
	for i := range stdpPre {
		tp, tq := stdpPre[i], stdpPost[i]
		// sim_code at the pre spike: dt = sT_post - t - tauShift = tq - tp - tauShift;
		// learn_post at the post spike: dt = t - sT_pre - tauShift = tq - tp - tauShift.
		// Each code runs once per pair; a code that runs before the other
		// neuron has spiked sees its spike time -DBL_MAX: dt = ±huge.
		var wantRaw float64
		switch {
		case tq < tp: // learn_post (no pre spike yet), then sim_code
			wantRaw = dg(math.MaxFloat64) + dg(tq-tp-tauShift)
		case tq > tp: // sim_code (no post spike yet), then learn_post
			wantRaw = dg(-math.MaxFloat64) + dg(tq-tp-tauShift)
		default: // same step: sim_code, then learn_post, both with dt = -tauShift
			wantRaw = dg(-tauShift) + dg(-tauShift)
		}
		require.InDelta(t, wantRaw, raw[i], 1e-12, "pair %d: gRaw", i)
		assert.InDelta(t, gMax/2*(math.Tanh(gSlope*(wantRaw-gMid))+1), g[i], 1e-12, "pair %d: g", i)
	}
}
