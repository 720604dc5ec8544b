package main

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// The Potjans & Diesmann (2014) cortical microcircuit as in GeNN's
// potjans_microcircuit.py example (PyGeNN 4.x): 8 populations of LIF
// neurons in 4 layers, exponential current synapses (0.5 ms), normally
// distributed weights and dendritic delays, Poisson background input as
// PoissonExp current sources, dt 0.1 ms.
//
// Scaled to a fraction of the neurons with the in-degrees of the full model
// kept (so no weight or input scaling is needed and ~30 M synapses remain
// at 10%): every projection keeps K_full x N_target_scaled synapses, built
// as a fixed number of targets per source neuron, drawn with replacement
// (FixedNumberPostWithReplacement; GeNN's example uses
// FixedNumberTotalWithReplacement, whose host-side row-length step gennctl
// does not generate yet, so here each source neuron gets the same
// out-degree instead of a multinomial one; totals and mean in-degrees are
// the same).

var pdLayers = []string{"23", "4", "5", "6"}

// pdNeurons is the full-scale size of each population (layer, E/I).
var pdNeurons = map[string][2]int{"23": {20683, 5834}, "4": {21915, 5479}, "5": {4850, 1065}, "6": {14395, 2948}}

// pdExternal is the number of background Poisson inputs per neuron.
var pdExternal = map[string][2]int{"23": {1600, 1500}, "4": {2100, 1900}, "5": {2000, 1900}, "6": {2900, 2100}}

// pdProb[target][source], populations in the order 23E 23I 4E 4I 5E 5I 6E 6I.
var pdProb = [8][8]float64{
	{0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0},
	{0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0},
	{0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0},
	{0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0},
	{0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0},
	{0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0},
	{0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252},
	{0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443},
}

const (
	pdMeanW     = 87.8e-3 // nA
	pdG         = -4.0    // relative inhibitory weight
	pdBgRate    = 8.0     // Hz per external input
	pdRelWSD    = 0.1
	pdMaxDelayE = 40 // dendritic delay slots: mean + 3 sd in steps, rounded up, plus one
	pdMaxDelayI = 21
)

type pdPop struct {
	name     string
	layer    string
	exc      bool
	full, n  int
	external int
}

func pdPops(scale float64) []pdPop {
	var out []pdPop
	for _, l := range pdLayers {
		for i, ei := range []string{"E", "I"} {
			full := pdNeurons[l][i]
			out = append(out, pdPop{name: "L" + l + ei, layer: l, exc: i == 0, full: full,
				n: int(math.Round(float64(full) * scale)), external: pdExternal[l][i]})
		}
	}
	return out
}

// pdConfig is the experiment document of the microcircuit at the given
// neuron scale and its total number of synapses.
func pdConfig(scale, durationMS float64) (string, int) {
	pops := pdPops(scale)
	var b strings.Builder
	fmt.Fprintf(&b, "name: potjans_diesmann_%g\n", scale)
	fmt.Fprintf(&b, "simulation: {dt: 0.1, duration: %g, precision: float, seed: 1234, backend: cpu}\n", durationMS)
	b.WriteString("populations:\n")
	for _, p := range pops {
		fmt.Fprintf(&b, "  %s:\n    size: %d\n    model: LIF\n", p.name, p.n)
		b.WriteString("    params: {C: 0.25, TauM: 10.0, Vrest: -65.0, Vreset: -65.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 2.0}\n")
		b.WriteString("    vars: {V: {init: Normal, params: {mean: -58.0, sd: 5.0}}, RefracTime: 0.0}\n")
		b.WriteString("    record: {spikes: true}\n")
	}
	b.WriteString("current_sources:\n")
	for _, p := range pops {
		fmt.Fprintf(&b, "  %s_bg: {model: PoissonExp, target: %s, params: {weight: %g, tauSyn: 0.5, rate: %g}, vars: {current: 0.0}}\n",
			p.name, p.name, pdMeanW, float64(p.external)*pdBgRate)
	}
	b.WriteString("synapses:\n")
	total := 0
	for ti, t := range pops {
		for si, s := range pops {
			prob := pdProb[ti][si]
			if prob <= 0 {
				continue
			}
			// Mean in-degree of the full model, kept at every scale.
			k := math.Log(1-prob) / math.Log(1-1/(float64(t.full)*float64(s.full))) / float64(t.full)
			syn := int(math.Round(k * float64(t.n)))
			rowLength := int(math.Round(float64(syn) / float64(s.n)))
			if rowLength < 1 {
				continue
			}
			total += rowLength * s.n
			w := pdMeanW
			if !s.exc {
				w *= pdG
			} else if s.name == "L4E" && t.name == "L23E" {
				w *= 2
			}
			wmin, wmax := 0.0, 1e9
			dmean, dsd, dmax, slots := 1.5, 0.75, 1.5+3*0.75, pdMaxDelayE
			if !s.exc {
				wmin, wmax = -1e9, 0.0
				dmean, dsd, dmax, slots = 0.75, 0.375, 0.75+3*0.375, pdMaxDelayI
			}
			fmt.Fprintf(&b, "  %s_%s:\n", s.name, t.name)
			fmt.Fprintf(&b, "    {source: %s, target: %s, matrix: sparse, max_dendritic_delay_steps: %d,\n", s.name, t.name, slots)
			fmt.Fprintf(&b, "     connectivity: {init: FixedNumberPostWithReplacement, params: {rowLength: %d}},\n", rowLength)
			fmt.Fprintf(&b, "     weight_update: {model: StaticPulseDendriticDelay, vars: {\n")
			fmt.Fprintf(&b, "       g: {init: NormalClipped, params: {mean: %g, sd: %g, min: %g, max: %g}},\n", w, math.Abs(w)*pdRelWSD, wmin, wmax)
			fmt.Fprintf(&b, "       d: {init: NormalClippedDelay, params: {mean: %g, sd: %g, min: 0.0, max: %g}}}},\n", dmean, dsd, dmax)
			fmt.Fprintf(&b, "     postsynaptic: {model: ExpCurr, params: {tau: 0.5}}}\n")
		}
	}
	return b.String(), total
}

// benchPD builds and runs the microcircuit and reports wall time per
// biological second, set-up and rates.
func benchPD(o options, scale float64, w io.Writer) error {
	cfg, total := pdConfig(scale, o.durationMS)
	g, err := buildConfig(fmt.Sprintf("pd_%g.yaml", scale), cfg, o.cache, o.work)
	if err != nil {
		return err
	}
	defer g.mod.Close()
	fmt.Fprintf(w, "Potjans-Diesmann microcircuit at %g of the neurons (in-degrees kept): %d neurons, %d synapses, %g ms, 1 thread\n",
		scale, g.neurons, total, o.durationMS)
	fmt.Fprintf(w, "%-7s %9s %9s %9s %14s %9s %11s\n", "run", "build_s", "setup_s", "sim_s", "wall_s/bio_s", "rate_Hz", "events/s")
	for r := 0; r < o.repeats; r++ {
		res, err := g.run()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-7d %9.2f %9.3f %9.3f %14.3f %9.2f %11.3g\n", r+1, g.buildS, res.SetupS, res.SimS,
			res.SimS/(o.durationMS/1000), float64(res.Spikes)/float64(g.neurons)/(o.durationMS/1000), res.Events/res.SimS)
	}
	return nil
}
