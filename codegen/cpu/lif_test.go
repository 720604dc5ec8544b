package cpu_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// LIF under constant current. GeNN 4's LIF, per time step (Isyn = 0 here):
//
//	if RefracTime <= 0 { alpha = (Isyn+Ioffset)*Rmembrane + Vrest; V = alpha - ExpTC*(alpha-V) }
//	else               { RefracTime -= DT }
//	spike if RefracTime <= 0 && V >= Vthresh; reset V = Vreset, RefracTime = TauRefrac
//
// Starting from V = Vreset (and after every reset) the k-th integration step
// gives V_k = V∞ - (V∞-Vreset)·ExpTC^k, V∞ = Vrest + R·I, so the spike comes
// on integration step k* = ceil(T_int/DT), T_int = TauM·ln((V∞-Vreset)/(V∞-Vthresh)).
// After a spike the neuron is frozen for m* steps, m* = the number of
// decrements of TauRefrac by DT until it is <= 0 (ceil(TauRefrac/DT) unless
// TauRefrac/DT is an integer, where floating-point rounding of the repeated
// subtraction decides between n and n+1; the step in which RefracTime reaches
// <= 0 still only decrements). Hence, with steps counted from 0:
//
//	first spike step = k* - 1 (starting at V = Vreset, RefracTime = 0)
//	every ISI        = m* + k* steps
const lifDoc = `
name: lif
simulation: {dt: 0.1, duration: 1000, precision: %s, seed: 1}
populations:
  P:
    size: 1
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -65.0, Vreset: -70.0, Vthresh: -50.0, Ioffset: %g, TauRefrac: 2.05}
    vars: {V: -70.0, RefracTime: 0.0}
    record: {spikes: true}
%s`

type lifParams struct {
	C, TauM, Vrest, Vreset, Vthresh, I, TauRefrac float64
	ExpTC, R                                      float64 // derived, as the generator emits them
}

// lifRef runs GeNN's LIF update in precision T with the same operations the
// generated C performs (-ffp-contract=off; Go's explicit conversions prevent
// fusion), and returns the spike steps and the V trace (after each step).
func lifRef[T float32 | float64](p lifParams, dt float64, steps int) (spikes []int, trace []float64) {
	I, R, vrest, expTC := T(p.I), T(p.R), T(p.Vrest), T(p.ExpTC)
	vth, vreset, tauRef, DT := T(p.Vthresh), T(p.Vreset), T(p.TauRefrac), T(dt)
	V, refrac := T(p.Vreset), T(0)
	for s := 0; s < steps; s++ {
		if refrac <= 0 {
			alpha := T(T(T(T(0)+I)*R) + vrest)
			V = T(alpha - T(expTC*T(alpha-V)))
		} else {
			refrac = T(refrac - DT)
		}
		if refrac <= 0 && V >= vth {
			spikes = append(spikes, s)
			V = vreset
			refrac = tauRef
		}
		trace = append(trace, float64(V))
	}
	return spikes, trace
}

// refractorySteps counts the decrements of tauRefrac by dt until <= 0, in precision T.
func refractorySteps[T float32 | float64](tauRefrac, dt float64) int {
	r, n := T(tauRefrac), 0
	for r > 0 {
		r = T(r - T(dt))
		n++
	}
	return n
}

func lifDerived(t *testing.T, net *modelspec.Network, i, tauRefrac float64) lifParams {
	p := net.Populations[0]
	d := p.Derived
	require.Contains(t, d, "ExpTC")
	require.Contains(t, d, "Rmembrane")
	return lifParams{C: p.Params["C"].V, TauM: p.Params["TauM"].V, Vrest: p.Params["Vrest"].V, Vreset: p.Params["Vreset"].V,
		Vthresh: p.Params["Vthresh"].V, I: i, TauRefrac: tauRefrac, ExpTC: d["ExpTC"].V, R: d["Rmembrane"].V}
}

func spikeSteps(s *sim, variant uint32) []int {
	var out []int
	for _, sp := range list(s.spikes()) {
		if sp.Variant == variant {
			out = append(out, int(sp.Step))
		}
	}
	return out
}

func TestLIFConstantCurrent(t *testing.T) {
	t.Parallel()
	const dt, steps = 0.1, 10000
	// Ioffset and TauRefrac are runtime slots: one module, one variant per case.
	opts := codegen.Options{Runtime: []string{"populations.P.params.Ioffset", "populations.P.params.TauRefrac"}}
	net, files := generate(t, fmt.Sprintf(lifDoc, "double", 0.0, ""), opts)
	cases := []struct {
		I, TauRefrac float64
	}{
		{1.0, 2.05}, // V∞ = -45: T_int = 20 ln 5 = 32.19 ms; refractory ceil(20.5) = 21 steps
		{1.5, 5.0},  // V∞ = -35: T_int = 20 ln(35/15) = 16.95 ms; 5.0/0.1 = 50 is an fp boundary: 51 steps in double
		{1.0, 0.0},  // no refractory period: ISI = k*
		{0.7, 2.0},  // V∞ = -51 < Vthresh: never fires
	}
	var rt []float64
	seeds := make([]uint64, len(cases))
	for i, c := range cases {
		rt = append(rt, c.I, c.TauRefrac)
		seeds[i] = uint64(i + 1)
	}
	s := newInstance(t, loadFiles(t, files), seeds, rt)

	// V after each of the first 600 steps of variant 0, compared bit for bit below.
	var vTrace []float64
	for k := 0; k < 600; k++ {
		s.step(1)
		vTrace = append(vTrace, s.get("P", "V", 0)[0])
	}
	s.step(steps - 600)
	all := s.spikes()
	for vi, c := range cases {
		t.Run(fmt.Sprintf("I=%g/TauRefrac=%g", c.I, c.TauRefrac), func(t *testing.T) {
			var got []int
			for _, sp := range list(all) {
				if sp.Variant == uint32(vi) {
					got = append(got, int(sp.Step))
				}
			}
			p := lifDerived(t, net, c.I, c.TauRefrac)
			want, trace := lifRef[float64](p, dt, steps)
			// Exact: the generated C does the same double operations as lifRef.
			assert.Equal(t, want, got, "spike steps (bit-exact double reference)")
			if vi == 0 {
				assert.Equal(t, trace[:600], vTrace, "V trace of variant 0 (bit-exact double reference)")
			}

			vInf := p.Vrest + p.R*p.I
			if vInf < p.Vthresh {
				assert.Empty(t, got, "subthreshold current must not fire")
				return
			}
			tInt := p.TauM * math.Log((vInf-p.Vreset)/(vInf-p.Vthresh))
			require.NotEmpty(t, got)
			// Exact step counts where the closed form is not at a rounding
			// boundary (T_int/dt is 10⁻³ or more away from an integer here).
			kStar := int(math.Ceil(tInt / dt))
			require.Greater(t, math.Abs(tInt/dt-math.Round(tInt/dt)), 1e-3, "choose parameters away from a step boundary")
			mStar := refractorySteps[float64](c.TauRefrac, dt)
			if r := c.TauRefrac / dt; math.Abs(r-math.Round(r)) > 1e-9 {
				assert.Equal(t, int(math.Ceil(r)), mStar, "refractory steps = ceil(TauRefrac/DT)")
			} else {
				assert.Contains(t, []int{int(math.Round(r)), int(math.Round(r)) + 1}, mStar)
			}
			assert.Equal(t, kStar-1, got[0], "first spike step = ceil(T_int/DT) - 1")
			for i := 1; i < len(got); i++ {
				assert.Equal(t, mStar+kStar, got[i]-got[i-1], "ISI %d in steps = refractory + integration steps", i)
			}
			// Closed form in time: the first spike time t1 = (k*-1)·dt is within
			// one dt below T_int (k*·dt ∈ [T_int, T_int+dt)); the ISI exceeds
			// TauRefrac + T_int by less than one dt for each of the two phases
			// that are rounded up to whole steps. 1e-9 absorbs rounding.
			t1 := float64(got[0]) * dt
			assert.GreaterOrEqual(t, t1, tInt-dt-1e-9, "first spike time vs T_int")
			assert.Less(t, t1, tInt+1e-9, "first spike time vs T_int")
			isi := float64(got[1]-got[0]) * dt
			T := c.TauRefrac + tInt
			assert.GreaterOrEqual(t, isi, T-1e-9, "ISI vs TauRefrac + T_int")
			assert.Less(t, isi, T+2*dt, "ISI vs TauRefrac + T_int")
			// The count over the run follows: 1 + floor((steps-1-first)/ISI).
			assert.Equal(t, 1+(steps-1-got[0])/(mStar+kStar), len(got), "spike count")
		})
	}
}

// A DC current source gives the same spike train as the same Ioffset (both
// enter alpha as Isyn + Ioffset with one of them 0, so even the bits agree),
// and single precision matches a float32 reference bit for bit.
func TestLIFDCSourceAndFloat(t *testing.T) {
	t.Parallel()
	const dt, steps = 0.1, 5000
	dc := newSim(t, fmt.Sprintf(lifDoc, "double", 0.0,
		"current_sources:\n  drive: {model: DC, target: P, params: {amp: 1.0}}\n"), codegen.Options{}, []uint64{7}, nil)
	dc.step(steps)
	net := decode(t, fmt.Sprintf(lifDoc, "double", 1.0, ""))
	want, _ := lifRef[float64](lifDerived(t, net, 1.0, 2.05), dt, steps)
	require.NotEmpty(t, want)
	assert.Equal(t, want, spikeSteps(dc, 0), "DC source, double")

	doc := fmt.Sprintf(lifDoc, "float", 1.0, "")
	fl := newSim(t, doc, codegen.Options{}, []uint64{7}, nil)
	fl.step(steps)
	netF := decode(t, doc)
	wantF, _ := lifRef[float32](lifDerived(t, netF, 1.0, 2.05), dt, steps)
	require.NotEmpty(t, wantF)
	// Exact: literals are the nearest floats (codegen.Literal) and every
	// operation is one IEEE single-precision op in both C and Go.
	assert.Equal(t, wantF, spikeSteps(fl, 0), "Ioffset, float")
	// float and double agree on the step counts here (no boundary is within float rounding).
	assert.Equal(t, want, wantF)
}
