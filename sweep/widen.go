package sweep

import (
	"fmt"
	"maps"
	"math/bits"
	"sync"
	"time"

	"github.com/gennctl/gennctl/codegen"
)

// Row and column bounds are fixed before any connectivity is drawn
// (Plan.bind), so with small probability a variant's connectivity has a
// row or column longer than its group's bound. Its module then fails
// gn_init and reports the longest such row or column of the batch
// (codegen.ParseBoundOverflow); the batch runs again, not counted as a
// retry, in a module of the same structure whose bound is that length
// rounded up to a power of two, so that however many batches overflow
// (a max_row_length set far too short overflows in every batch), a group
// needs a few modules at most. The modules of such widened groups live
// here, beside the plan's.

// widened holds the groups built with wider bounds during a run, indexed
// after the plan's groups.
type widened struct {
	mu      sync.Mutex
	groups  map[int]*Group
	modules map[int]string
	builds  map[int]int64
	byKey   map[string]int // group and bounds -> index
}

// groupOf is group gi of the plan or a widened one.
func (r *runner) groupOf(gi int) *Group {
	if gi < len(r.plan.Groups) {
		return r.plan.Groups[gi]
	}
	r.wide.mu.Lock()
	defer r.wide.mu.Unlock()
	return r.wide.groups[gi]
}

// moduleOf is the module and build id of group gi: the plan's (modules,
// buildIDs) or a widened group's.
func (r *runner) moduleOf(gi int, modules map[int]string, buildIDs map[int]int64) (string, int64) {
	if gi < len(r.plan.Groups) {
		return modules[gi], buildIDs[gi]
	}
	r.wide.mu.Lock()
	defer r.wide.mu.Unlock()
	return r.wide.modules[gi], r.wide.builds[gi]
}

// widen returns batch b in a group whose bound fits the row or column that
// msg (a failed job's message) reports as too long, building its module
// unless an earlier batch needed the same; false when msg reports none, or
// a length the bound already fits. A failed build is an error, which
// leaves the batch failed with msg.
func (r *runner) widen(b Batch, msg string) (Batch, bool, error) {
	over, ok := codegen.ParseBoundOverflow(msg)
	if !ok {
		return Batch{}, false, nil
	}
	g := r.groupOf(b.Group)
	opts := g.Options
	opts.MaxRowLength, opts.MaxColLength = maps.Clone(opts.MaxRowLength), maps.Clone(opts.MaxColLength)
	bounds := opts.MaxRowLength
	if over.Column {
		bounds = opts.MaxColLength
	}
	if bounds == nil || over.Length <= bounds[over.Group] {
		return Batch{}, false, nil
	}
	bounds[over.Group] = 1 << bits.Len(uint(over.Length-1))
	r.wide.mu.Lock()
	defer r.wide.mu.Unlock()
	key := fmt.Sprint(b.Group, opts.MaxRowLength, opts.MaxColLength) // fmt sorts map keys
	if gi, ok := r.wide.byKey[key]; ok {
		return Batch{gi, b.Variants}, true, nil
	}
	wide := *g
	wide.Options = opts
	cache, tc, err := r.builder()
	if err != nil {
		return Batch{}, false, err
	}
	started := time.Now()
	res, err := buildGroup(cache, &wide, r.plan.Backend, tc)
	if err != nil {
		return Batch{}, false, buildError("building structure "+g.Key[:12]+" with a wider bound", err, g.Net)
	}
	id, err := r.recordBuild(&wide, built{res, started})
	if err != nil {
		return Batch{}, false, err
	}
	if r.wide.groups == nil {
		r.wide.groups, r.wide.modules, r.wide.builds, r.wide.byKey = map[int]*Group{}, map[int]string{}, map[int]int64{}, map[string]int{}
	}
	gi := len(r.plan.Groups) + len(r.wide.groups)
	r.wide.groups[gi], r.wide.modules[gi], r.wide.builds[gi], r.wide.byKey[key] = &wide, res.ModulePath, id, gi
	return Batch{gi, b.Variants}, true, nil
}
