package modelspec_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// summaryBase records E's V; SUMMARIES is replaced per test (line 12 on).
const summaryBase = `simulation: {dt: 0.1, duration: 100}
populations:
  E:
    size: 20
    model: LIF
    params: {C: 1.0, TauM: 20.0, Vrest: -49.0, Vreset: -60.0, Vthresh: -50.0, Ioffset: 0.0, TauRefrac: 5.0}
    vars: {V: -55.0, RefracTime: 0.0}
    record: {spikes: RECORD, vars: {V: {every: 1.0}}}
  S:
    size: 5
    model: SpikeSource
`

func summaryDoc(record, summaries string) string {
	return strings.ReplaceAll(summaryBase, "RECORD", record) + summaries
}

func TestSummaries(t *testing.T) {
	n := mustDecode(t, summaryDoc("false", `summaries:
  E:
    stats: [synchrony, rate, count, cv_isi, fano]
    vars: [V]
    per_neuron: true
    bin: 5.0
    from: 20
    to: 100
`))
	require.Len(t, n.Summaries, 1)
	s := n.Summaries[0]
	assert.Equal(t, "E", s.Population)
	assert.Equal(t, []string{"count", "rate", "cv_isi", "fano", "synchrony"}, s.Stats, "in SummaryStats order")
	assert.Equal(t, []string{"V"}, s.Vars)
	assert.True(t, s.PerNeuron)
	assert.Equal(t, uint64(200), s.FromStep)
	assert.Equal(t, uint64(1000), s.ToStep)
	assert.Equal(t, uint64(50), s.BinSteps)
	assert.Equal(t, "summaries.E", s.Path)
	// Spike statistics record the spikes for the summaries only.
	e := n.Population("E")
	assert.True(t, e.RecordSpikes)
	assert.True(t, e.SpikesUnwritten)

	// With record.spikes true the spike file keeps them; the window
	// defaults to the run; vars alone leave spike recording alone.
	n = mustDecode(t, summaryDoc("true", "summaries: {E: {stats: [rate]}}\n"))
	assert.False(t, n.Population("E").SpikesUnwritten)
	assert.Equal(t, uint64(0), n.Summaries[0].FromStep)
	assert.Equal(t, uint64(1000), n.Summaries[0].ToStep)
	assert.Equal(t, uint64(0), n.Summaries[0].BinSteps)
	n = mustDecode(t, summaryDoc("false", "summaries: {E: {vars: [V]}}\n"))
	assert.False(t, n.Population("E").RecordSpikes)
}

// The summaries are read by the orchestrator: they change neither the
// structure nor, beyond recording the spikes, the module.
func TestSummariesStructure(t *testing.T) {
	rec := mustDecode(t, summaryDoc("true", ""))
	sum := mustDecode(t, summaryDoc("false", "summaries: {E: {stats: [rate, cv_isi]}}\n"))
	assert.Equal(t, rec.StructureDigest(), sum.StructureDigest())
}

func TestSummariesErrors(t *testing.T) {
	_, err := decodeString("t.yaml", summaryDoc("false", `summaries:
  X: {stats: [rate]}
  S:
    stats: [rate, rates, rate]
    bogus: 1
  E:
    stats: [fano]
    vars: [RefracTime, U]
    from: 50
    to: 40
`))
	requireDiags(t, err, "t.yaml", []string{
		`t.yaml:13:3: summaries.X: unknown population "X" (have E, S)`,
		`t.yaml:16:5: summaries.S: unknown key "bogus" (allowed: stats, vars, per_neuron, bin, from, to)`,
		`t.yaml:15:19: summaries.S.stats[1]: unknown statistic "rates" (have count, rate, cv_isi, fano, synchrony)`,
		`t.yaml:15:26: summaries.S.stats[2]: statistic "rate" is listed twice`,
		`t.yaml:19:12: summaries.E.vars[0]: variable "RefracTime" of population E is not recorded: add populations.E.record.vars.RefracTime (summaries read its samples, at its every and neurons)`,
		`t.yaml:19:24: summaries.E.vars[1]: unknown variable "U" of population E (have V, RefracTime)`,
		`t.yaml:18:5: summaries.E: the window is empty: from (50 ms) must be before to (40 ms)`,
		`t.yaml:17:3: summaries.E: fano and synchrony need bin (ms, the width of the bins the spikes are counted in)`,
	})
	_, err = decodeString("t.yaml", summaryDoc("false", `summaries:
  E: {stats: [synchrony], bin: 3.0, to: 100.05}
  S: {per_neuron: true}
`))
	requireDiags(t, err, "t.yaml", []string{
		`t.yaml:13:41: summaries.E.to: to must be a multiple of dt (0.1 ms) between 0 and the duration (100 ms), got 100.05`,
		`t.yaml:14:3: summaries.S: nothing to summarise: give stats (count, rate, cv_isi, fano, synchrony) or vars`,
	})
	_, err = decodeString("t.yaml", strings.Replace(summaryDoc("false", `summaries:
  E: {stats: [rate], per_neuron: true}
`), "size: 20", "size: 2000", 1))
	requireDiags(t, err, "t.yaml", []string{
		`t.yaml:13:34: summaries.E.per_neuron: per_neuron makes a column per neuron: at most 1024 neurons, got 2000 (record the spikes or fewer neurons' variables instead)`,
	})
	_, err = decodeString("t.yaml", summaryDoc("false", `summaries:
  E: {stats: [synchrony], bin: 3.0}
`))
	requireDiags(t, err, "t.yaml", []string{
		`t.yaml:13:32: summaries.E.bin: bin (3 ms) must divide the window [0, 100) ms into whole bins`,
	})
}
