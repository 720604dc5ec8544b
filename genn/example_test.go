package genn_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gennctl/gennctl/genn"
)

// A SpikeSourceArray drives two LIF neurons one-to-one through StaticPulse
// synapses with exponential currents; a DC current source adds a constant
// drive to the second. The input spikes, the LIF spikes and a membrane
// voltage are printed.
func ExampleModel() {
	cache, err := os.MkdirTemp("", "genn-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(cache)

	m := genn.NewModel("example", genn.Double)
	m.DT = 0.1

	in := m.AddNeuronPopulation("Input", 2, "SpikeSourceArray", nil, map[string]genn.VarInit{
		"startSpike": genn.Values([]float64{0, 3}),
		"endSpike":   genn.Values([]float64{3, 6}),
	})
	// neuron 0 spikes at 1, 2 and 3 ms, neuron 1 at 5, 6 and 7 ms
	if err := in.SetExtraGlobalParam("spikeTimes", []float64{1, 2, 3, 5, 6, 7}); err != nil {
		log.Fatal(err)
	}
	in.SpikeRecording = true

	lif := map[string]float64{"C": 1.0, "TauM": 20.0, "Vrest": -70.0, "Vreset": -70.0,
		"Vthresh": -51.0, "Ioffset": 0.0, "TauRefrac": 2.0}
	e := m.AddNeuronPopulation("E", 2, "LIF", lif, map[string]genn.VarInit{
		"V": genn.Const(-70.0), "RefracTime": genn.Const(0.0)})
	e.SpikeRecording = true

	syn := m.AddSynapsePopulation("InE", "sparse", 0, in, e,
		"StaticPulse", nil, map[string]genn.VarInit{"g": genn.Const(4.0)},
		"ExpCurr", map[string]float64{"tau": 2.0}, nil,
		genn.InitConnectivity("OneToOne", nil))
	m.AddCurrentSource("Drive", "DC", e, map[string]float64{"amp": 0.5}, nil)

	if err := m.Build(cache); err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	if err := m.Load(1, []uint64{1}); err != nil {
		log.Fatal(err)
	}
	if err := m.Step(200); err != nil {
		log.Fatal(err)
	}
	spikes, err := m.Spikes()
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range spikes {
		fmt.Printf("%-5s neuron %d at %4.1f ms\n", s.Pop, s.Neuron, s.Time)
	}
	v, err := e.PullVar("V", 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("t = %.1f ms, V = [%.4f %.4f] mV\n", m.T(), v[0], v[1])
	pre, post, err := syn.Connectivity(0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("InE synapses (pre, post):", pre, post)
	// Output:
	// Input neuron 0 at  1.0 ms
	// Input neuron 0 at  2.0 ms
	// Input neuron 0 at  3.0 ms
	// Input neuron 1 at  5.0 ms
	// E     neuron 0 at  5.1 ms
	// Input neuron 1 at  6.0 ms
	// Input neuron 1 at  7.0 ms
	// E     neuron 1 at  8.6 ms
	// t = 20.0 ms, V = [-64.0853 -64.4868] mV
	// InE synapses (pre, post): [0 1] [0 1]
}
