package sweep

import (
	"cmp"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gennctl/gennctl/provenance"
	"github.com/gennctl/gennctl/results"
)

// batchOutput holds a batch's recorded rows by variant while its worker runs; when the
// batch is done, write stores each kind as one file holding all of its variants, sorted by
// variant (dataset layout 2, see results.LayoutVersion), so that a sweep of many small
// variants writes few large files. A batch of many variants holds its rows until it ends
// (the batch sizer bounds a batch's sampled state by the memory budget); a batch of one
// opens its files first and streams into them (spill), so that one large recording needs
// bounded memory.
type batchOutput struct {
	spikeFile bool          // whether the batch writes a spike file (writesSpikeFile)
	spikes    []spikeRows   // per variant of the batch
	events    []spikeRows   // nil when no population records spike-like events
	state     []stateRows   // nil when nothing is recorded
	synapses  []synapseRows // nil when no per-synapse variable is recorded

	files []outputFile // open (open), for the variants keep of the batch ids
	ids   []uint64
	keep  []int
}

type spikeRows struct {
	pop, neuron []uint32
	time        []float64
}

type stateRows struct {
	owner, v, neuron []uint32
	time, value      []float64
}

type synapseRows struct {
	group, v, pre, post, synapse []uint32
	time, value                  []float64
}

func newBatchOutput(n int, spikeFile, events bool, rec recording) *batchOutput {
	o := &batchOutput{spikeFile: spikeFile, spikes: make([]spikeRows, n)}
	if events {
		o.events = make([]spikeRows, n)
	}
	if len(rec.specs) > 0 {
		o.state = make([]stateRows, n)
	}
	if len(rec.syn) > 0 {
		o.synapses = make([]synapseRows, n)
	}
	return o
}

// filePrefix starts the names of this run's result files: a shard's files carry its name,
// so that shards sharing a directory tell their own files apart.
func (r *runner) filePrefix() string {
	if !r.opts.Shard.Sharded() {
		return ""
	}
	return r.opts.Shard.Name() + "-"
}

// outputFile is one kind's file of a batch being written.
type outputFile struct {
	kind, path string
	write      func(k int, ids []uint64) error // held rows of batch variant k, with its id column
	held       func(k int) int                 // rows of batch variant k held
	written    map[int]int64                   // rows of batch variant k written
	close      func() (results.FileInfo, error)
	abort      func()
}

// streamRows is how many rows a single-variant batch holds before it writes them: its
// file is sorted by variant whatever the order, so it streams in bounded memory.
const streamRows = 1 << 16

// write stores the rows of the batch variants keep (indices into the batch) in order of
// variant id and returns their output records (open, then close).
func (o *batchOutput) write(r *runner, ids []uint64, keep []int, meta map[string]string, rec recording, pops []string, float bool) ([]provenance.Output, error) {
	if err := o.open(r, ids, keep, meta, rec, pops, float); err != nil {
		return nil, err
	}
	return o.close(r)
}

// open creates the batch's files for the variants keep (indices into the batch), which
// then receive the rows held so far and those that flush and close write.
func (o *batchOutput) open(r *runner, ids []uint64, keep []int, meta map[string]string, rec recording, pops []string, float bool) error {
	keep = slices.Clone(keep)
	slices.SortFunc(keep, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	o.ids, o.keep = ids, keep
	kept := make([]uint64, len(keep))
	for i, k := range keep {
		kept[i] = ids[k]
	}
	valueOpts := r.writeOpts()
	if float {
		valueOpts = append(valueOpts, results.WithFloat32Values()) // exact: the state is float
	}
	fail := func(err error) error {
		o.abort()
		return err
	}
	// path names the batch's file in kind directory dir, creating the directory.
	path := func(dir string) (string, error) {
		return results.BatchFile(dir, r.filePrefix(), kept), os.MkdirAll(filepath.Join(r.dir, dir), 0o755)
	}
	add := func(f outputFile) { f.written = map[int]int64{}; o.files = append(o.files, f) }
	spikeFile := func(kind, dir string, rows []spikeRows) error {
		p, err := path(dir)
		if err != nil {
			return err
		}
		w, err := results.NewSpikeWriter(filepath.Join(r.dir, p), pops, meta, r.writeOpts()...)
		if err != nil {
			return err
		}
		add(outputFile{kind: kind, path: p, close: w.Close, abort: w.Abort,
			held: func(k int) int { return len(rows[k].pop) },
			write: func(k int, v []uint64) error {
				return w.Write(v, rows[k].pop, rows[k].neuron, rows[k].time)
			}})
		return nil
	}
	if o.spikeFile {
		if err := spikeFile("spikes", results.SpikesDir, o.spikes); err != nil {
			return fail(err)
		}
	}
	if o.events != nil {
		if err := spikeFile("spike_events", results.SpikeEventsDir, o.events); err != nil {
			return fail(err)
		}
	}
	if o.state != nil {
		p, err := path(results.StateDir)
		if err != nil {
			return fail(err)
		}
		w, err := results.NewStateWriter(filepath.Join(r.dir, p), rec.owners, rec.vars, withMeta(meta, results.MetaRecorded, rec.meta), valueOpts...)
		if err != nil {
			return fail(err)
		}
		rows := o.state
		add(outputFile{kind: "state", path: p, close: w.Close, abort: w.Abort,
			held: func(k int) int { return len(rows[k].owner) },
			write: func(k int, v []uint64) error {
				s := rows[k]
				return w.Write(v, s.owner, s.v, s.neuron, s.time, s.value)
			}})
	}
	if o.synapses != nil {
		p, err := path(results.SynapsesDir)
		if err != nil {
			return fail(err)
		}
		w, err := results.NewSynapseWriter(filepath.Join(r.dir, p), rec.synGroups, rec.synVars, withMeta(meta, results.MetaRecorded, rec.synMeta), valueOpts...)
		if err != nil {
			return fail(err)
		}
		rows := o.synapses
		add(outputFile{kind: "synapses", path: p, close: w.Close, abort: w.Abort,
			held: func(k int) int { return len(rows[k].group) },
			write: func(k int, v []uint64) error {
				s := rows[k]
				return w.Write(v, s.group, s.v, s.pre, s.post, s.synapse, s.time, s.value)
			}})
	}
	return nil
}

// flush writes the held rows of the open files' variants and drops them.
func (o *batchOutput) flush() error {
	var idCol []uint64
	for _, f := range o.files {
		for _, k := range o.keep {
			n := f.held(k)
			if cap(idCol) < n {
				idCol = make([]uint64, n)
			}
			idCol = idCol[:n]
			for i := range idCol {
				idCol[i] = o.ids[k]
			}
			if err := f.write(k, idCol); err != nil {
				o.abort()
				return err
			}
			f.written[k] += int64(n)
		}
	}
	for _, k := range o.keep {
		o.spikes[k] = spikeRows{}
		if o.events != nil {
			o.events[k] = spikeRows{}
		}
		if o.state != nil {
			o.state[k] = stateRows{}
		}
		if o.synapses != nil {
			o.synapses[k] = synapseRows{}
		}
	}
	return nil
}

// spill writes the held rows of a batch whose files are open (a single-variant batch,
// see runBatch) once they exceed streamRows.
func (o *batchOutput) spill() error {
	if len(o.files) == 0 {
		return nil
	}
	held := 0
	for _, f := range o.files {
		for _, k := range o.keep {
			held += f.held(k)
		}
	}
	if held < streamRows {
		return nil
	}
	return o.flush()
}

// close writes the rest, renames the files into place and returns the variants' output
// records. Nothing is recorded on an error; files already renamed into place are
// unrecorded and removed by the next run (removeUnrecorded).
func (o *batchOutput) close(r *runner) ([]provenance.Output, error) {
	if err := o.flush(); err != nil {
		return nil, err
	}
	var outputs []provenance.Output
	crashPoint("before-rename")
	defer crashPoint("after-rename")
	for i, f := range o.files {
		info, err := f.close()
		if err != nil {
			for _, g := range o.files[i+1:] {
				g.abort()
			}
			o.files = nil
			return nil, err
		}
		for _, k := range o.keep {
			id := o.ids[k]
			outputs = append(outputs, provenance.Output{SweepID: r.sweepID, VariantID: &id, Kind: f.kind, Path: f.path,
				Rows: f.written[k], Bytes: info.Bytes, SHA256: info.SHA256})
		}
	}
	o.files = nil
	return outputs, nil
}

// abort removes the open files' temporary files.
func (o *batchOutput) abort() {
	for _, f := range o.files {
		f.abort()
	}
	o.files = nil
}

// withMeta is base plus one key.
func withMeta(base map[string]string, key, value string) map[string]string {
	m := make(map[string]string, len(base)+1)
	for k, v := range base {
		m[k] = v
	}
	m[key] = value
	return m
}

// batchMeta is the schema metadata of a batch's result files: of its group, and of its
// profile, whose duration may differ from the group network's.
func (r *runner) batchMeta(g *Group, prof *Profile) map[string]string {
	net := g.Net
	sizes := map[string]int{}
	for _, p := range net.Populations {
		sizes[p.Name] = p.Size
	}
	return map[string]string{
		results.MetaGennctlVersion:  r.opts.Version,
		results.MetaConfigDigest:    r.plan.ConfigDigest,
		results.MetaStructureKey:    g.Key,
		results.MetaLayout:          strconv.Itoa(results.LayoutVersion),
		results.MetaDT:              strconv.FormatFloat(net.Sim.DT, 'g', -1, 64),
		results.MetaDuration:        strconv.FormatFloat(prof.Duration, 'g', -1, 64),
		results.MetaTimeUnit:        "ms",
		results.MetaPopulationSizes: results.FormatPopulationSizes(sizes),
	}
}
