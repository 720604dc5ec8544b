package sweep

import (
	"encoding/json"
	"fmt"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
)

// Sampled state (record: {vars: ...}). Recording variables does not change the generated
// code, so it is not part of the structure key: variants of one structure group may record
// different things. Batches are split by what their variants record (Plan.Batches), so that
// one Job.Record serves every variant of a batch; a sweep that does not vary recording
// batches exactly as before.

// recording is what the variants of one batch record, with the dictionaries of their state
// files.
type recording struct {
	specs  []gpu.RecordSpec
	owners []string // population dictionary: owners in order of first appearance
	vars   []string // var dictionary
	owner  []uint32 // per spec: index into owners
	varIdx []uint32 // per spec: index into vars
	meta   string   // results.MetaRecorded
	// per-synapse variables, with the dictionaries of the synapse files
	syn                []gpu.SynapseRecordSpec
	synGroups, synVars []string
	synGroup, synVar   []uint32
	synMeta            string
}

// recordingOf builds the record specs of a network.
func recordingOf(net *modelspec.Network) recording {
	var rec recording
	ownerAt, varAt := map[string]uint32{}, map[string]uint32{}
	type metaEntry struct {
		Population string  `json:"population"`
		Var        string  `json:"var"`
		Kind       string  `json:"kind"`
		NeuronsOf  string  `json:"neurons_of"`
		Every      float64 `json:"every"`
		EverySteps uint32  `json:"every_steps"`
		Neurons    int     `json:"neurons"`
	}
	var meta []metaEntry
	for _, r := range net.RecordedVars() {
		rec.specs = append(rec.specs, gpu.RecordSpec{Owner: r.Owner, Kind: r.Kind, Name: r.Var, EverySteps: r.EverySteps, Elements: r.Neurons})
		if _, ok := ownerAt[r.Owner]; !ok {
			ownerAt[r.Owner] = uint32(len(rec.owners))
			rec.owners = append(rec.owners, r.Owner)
		}
		if _, ok := varAt[r.Var]; !ok {
			varAt[r.Var] = uint32(len(rec.vars))
			rec.vars = append(rec.vars, r.Var)
		}
		rec.owner = append(rec.owner, ownerAt[r.Owner])
		rec.varIdx = append(rec.varIdx, varAt[r.Var])
		n := r.Size
		if r.Neurons != nil {
			n = len(r.Neurons)
		}
		meta = append(meta, metaEntry{r.Owner, r.Var, r.Kind, r.Of, r.Every, r.EverySteps, n})
	}
	if len(meta) > 0 {
		b, _ := json.Marshal(meta)
		rec.meta = string(b)
	}
	type synMetaEntry struct {
		Population string  `json:"population"`
		Var        string  `json:"var"`
		Every      float64 `json:"every"`
		EverySteps uint32  `json:"every_steps"`
		Pre        int     `json:"pre"`  // presynaptic neurons selected (-1: all)
		Post       int     `json:"post"` // postsynaptic neurons selected (-1: all)
	}
	var synMeta []synMetaEntry
	groupAt, synVarAt := map[string]uint32{}, map[string]uint32{}
	count := func(sel []uint32) int {
		if sel == nil {
			return -1
		}
		return len(sel)
	}
	for _, sg := range net.Synapses {
		for _, r := range sg.RecordSynapseVars {
			rec.syn = append(rec.syn, gpu.SynapseRecordSpec{Owner: sg.Name, Name: r.Var, EverySteps: r.EverySteps, Pre: r.Pre, Post: r.Post})
			if _, ok := groupAt[sg.Name]; !ok {
				groupAt[sg.Name] = uint32(len(rec.synGroups))
				rec.synGroups = append(rec.synGroups, sg.Name)
			}
			if _, ok := synVarAt[r.Var]; !ok {
				synVarAt[r.Var] = uint32(len(rec.synVars))
				rec.synVars = append(rec.synVars, r.Var)
			}
			rec.synGroup = append(rec.synGroup, groupAt[sg.Name])
			rec.synVar = append(rec.synVar, synVarAt[r.Var])
			synMeta = append(synMeta, synMetaEntry{sg.Name, r.Var, r.Every, r.EverySteps, count(r.Pre), count(r.Post)})
		}
	}
	if len(synMeta) > 0 {
		b, _ := json.Marshal(synMeta)
		rec.synMeta = string(b)
	}
	return rec
}

// recordingKey identifies what a network records (equal keys: one Job.Record serves both).
func recordingKey(net *modelspec.Network) string {
	rec := recordingOf(net)
	if len(rec.specs) == 0 && len(rec.syn) == 0 {
		return ""
	}
	b, _ := json.Marshal([]any{rec.specs, rec.syn})
	return string(b)
}

// StateRows is the number of rows of a variant's state file: for every recorded variable,
// the samples (times 0, every, ... up to the duration) times the neurons sampled.
func StateRows(net *modelspec.Network) int64 {
	steps := net.Sim.Steps()
	var rows int64
	for _, r := range net.RecordedVars() {
		n := r.Size
		if r.Neurons != nil {
			n = len(r.Neurons)
		}
		rows += int64(steps/uint64(r.EverySteps)+1) * int64(n)
	}
	return rows
}

// stateRowBytes is the size of one row of an uncompressed state file (variant_id, population,
// var, neuron, time, value).
const stateRowBytes = 8 + 4 + 4 + 4 + 8 + 8

// stateDemux routes a batch's state chunks to the variants' rows of its batchOutput and
// to their summaries, dropping the samples taken while a variant's protocol stopped their
// owner's recording.
type stateDemux struct {
	rec       recording
	rows      []stateRows
	windows   []recordingWindows
	dt        float64
	summaries []*variantSummary // per variant; nil: none
}

func (d *stateDemux) write(c gpu.StateChunk) error {
	if c.Spec < 0 || c.Spec >= len(d.rec.specs) {
		return fmt.Errorf("worker sent samples of record spec %d of %d", c.Spec, len(d.rec.specs))
	}
	t := float64(c.Step) * d.dt
	owner, v := d.rec.owner[c.Spec], d.rec.varIdx[c.Spec]
	ownerName := d.rec.owners[owner]
	// Rows come grouped by variant (batch order); take each run of one variant at once.
	for lo := 0; lo < c.Len(); {
		k := c.Variant[lo]
		if int(k) >= len(d.rows) {
			return fmt.Errorf("worker sent samples of variant %d in a batch of %d", k, len(d.rows))
		}
		hi := lo + 1
		for hi < c.Len() && c.Variant[hi] == k {
			hi++
		}
		if d.windows[k].on(ownerName, uint64(c.Step)) {
			s := &d.rows[k]
			for i := lo; i < hi; i++ {
				s.owner, s.v, s.time = append(s.owner, owner), append(s.v, v), append(s.time, t)
			}
			s.neuron, s.value = append(s.neuron, c.Element[lo:hi]...), append(s.value, c.Value[lo:hi]...)
			if vs := d.summaries[k]; vs != nil {
				if err := vs.samples(c.Spec, uint64(c.Step), c.Element[lo:hi], c.Value[lo:hi]); err != nil {
					return err
				}
			}
		}
		lo = hi
	}
	return nil
}

// synapseDemux routes a batch's per-synapse samples to the variants' rows, like stateDemux.
type synapseDemux struct {
	rec     recording
	rows    []synapseRows
	windows []recordingWindows
	dt      float64
}

func (d *synapseDemux) write(c gpu.SynapseChunk) error {
	if c.Spec < 0 || c.Spec >= len(d.rec.syn) {
		return fmt.Errorf("worker sent samples of synapse record spec %d of %d", c.Spec, len(d.rec.syn))
	}
	t := float64(c.Step) * d.dt
	group, v := d.rec.synGroup[c.Spec], d.rec.synVar[c.Spec]
	for lo := 0; lo < c.Len(); {
		k := c.Variant[lo]
		if int(k) >= len(d.rows) {
			return fmt.Errorf("worker sent synapse samples of variant %d in a batch of %d", k, len(d.rows))
		}
		hi := lo + 1
		for hi < c.Len() && c.Variant[hi] == k {
			hi++
		}
		if d.windows[k].on(d.rec.synGroups[group], uint64(c.Step)) {
			s := &d.rows[k]
			for i := lo; i < hi; i++ {
				s.group, s.v, s.time = append(s.group, group), append(s.v, v), append(s.time, t)
			}
			s.pre, s.post = append(s.pre, c.Pre[lo:hi]...), append(s.post, c.Post[lo:hi]...)
			s.synapse, s.value = append(s.synapse, c.Synapse[lo:hi]...), append(s.value, c.Value[lo:hi]...)
		}
		lo = hi
	}
	return nil
}
