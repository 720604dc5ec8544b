package sweep

import (
	"encoding/json"
	"fmt"

	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
	"github.com/gennctl/gennctl/results"
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
	return rec
}

// recordingKey identifies what a network records (equal keys: one Job.Record serves both).
func recordingKey(net *modelspec.Network) string {
	rec := recordingOf(net)
	if len(rec.specs) == 0 {
		return ""
	}
	b, _ := json.Marshal(rec.specs)
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

// stateDemux routes a batch's state chunks to the variants' state writers.
type stateDemux struct {
	rec        recording
	variantIDs []uint64
	writers    []*results.StateWriter
	dt         float64
}

func (d *stateDemux) write(c gpu.StateChunk) error {
	if c.Spec < 0 || c.Spec >= len(d.rec.specs) {
		return fmt.Errorf("worker sent samples of record spec %d of %d", c.Spec, len(d.rec.specs))
	}
	t := float64(c.Step) * d.dt
	owner, v := d.rec.owner[c.Spec], d.rec.varIdx[c.Spec]
	// Rows come grouped by variant (batch order); write each run of one variant at once.
	for lo := 0; lo < c.Len(); {
		k := c.Variant[lo]
		if int(k) >= len(d.writers) {
			return fmt.Errorf("worker sent samples of variant %d in a batch of %d", k, len(d.writers))
		}
		hi := lo + 1
		for hi < c.Len() && c.Variant[hi] == k {
			hi++
		}
		n := hi - lo
		ids, owners, vars, times := make([]uint64, n), make([]uint32, n), make([]uint32, n), make([]float64, n)
		for i := range ids {
			ids[i], owners[i], vars[i], times[i] = d.variantIDs[k], owner, v, t
		}
		if w := d.writers[k]; w != nil {
			if err := w.Write(ids, owners, vars, c.Element[lo:hi], times, c.Value[lo:hi]); err != nil {
				return err
			}
		}
		lo = hi
	}
	return nil
}

// stateMeta is the schema metadata of a state file: that of the spike files plus what was
// recorded.
func stateMeta(base map[string]string, rec recording) map[string]string {
	m := make(map[string]string, len(base)+1)
	for k, v := range base {
		m[k] = v
	}
	m[results.MetaRecorded] = rec.meta
	return m
}
