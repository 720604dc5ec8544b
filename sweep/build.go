package sweep

import (
	"fmt"
	"strings"
	"time"

	"github.com/gennctl/gennctl/backend"
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/provenance"
)

// built is a group's module, compiled or found in the cache.
type built struct {
	res     gpu.BuildResult
	started time.Time
}

// groupsOf returns the groups of the given variants.
func (r *runner) groupsOf(todo []int) map[int]bool {
	need := map[int]bool{}
	for _, vi := range todo {
		need[r.plan.Variants[vi].Group] = true
	}
	return need
}

// compile builds (or finds in the cache) the modules of the given groups.
// It writes nothing but the cache, so a compile error in user code leaves
// no output behind.
func (r *runner) compile(need map[int]bool) (map[int]built, error) {
	out := map[int]built{}
	if len(need) == 0 {
		return out, nil
	}
	cacheDir := r.opts.CacheDir
	if cacheDir == "" {
		cacheDir = gpu.DefaultCacheDir()
	}
	cache, err := gpu.OpenCache(cacheDir)
	if err != nil {
		return nil, err
	}
	tc, err := Toolchain(r.plan.Backend, r.opts.CUDAArchs)
	if err != nil {
		return nil, err
	}
	for gi, g := range r.plan.Groups {
		if !need[gi] {
			continue
		}
		started := time.Now()
		res, err := buildGroup(cache, g, r.plan.Backend, tc)
		if err != nil {
			return nil, fmt.Errorf("building structure %.12s: %w", g.Key, err)
		}
		out[gi] = built{res, started}
	}
	return out, nil
}

// recordBuilds records each module in provenance and returns the module
// paths and build ids by group.
func (r *runner) recordBuilds(mods map[int]built) (map[int]string, map[int]int64, error) {
	paths, ids := map[int]string{}, map[int]int64{}
	for gi, g := range r.plan.Groups {
		b, ok := mods[gi]
		if !ok {
			continue
		}
		res := b.res
		if res.Hit {
			r.sum.CacheHits++
		} else {
			r.sum.Builds++
		}
		id, err := r.db.RecordBuild(provenance.Build{StructureKey: g.Key, SourceDigest: res.SourceDigest, ModuleKey: res.Key,
			ModulePath: res.ModulePath, Backend: r.plan.Backend, Compiler: res.Compiler, CompilerVersion: res.CompilerVersion,
			Flags: strings.Join(res.Flags, " "), TargetArch: res.Arch, Started: b.started, Duration: res.Duration, CacheHit: res.Hit})
		if err != nil {
			return nil, nil, err
		}
		paths[gi], ids[gi] = res.ModulePath, id
		r.emit(Event{Kind: "build", Structure: g.Key[:12], CacheHit: res.Hit, Seconds: res.Duration.Seconds()})
	}
	return paths, ids, nil
}

// buildGroup generates a group's module and compiles it into the cache.
func buildGroup(cache *gpu.Cache, g *Group, backend string, tc gpu.Toolchain) (gpu.BuildResult, error) {
	files, err := Generate(g, backend)
	if err != nil {
		return gpu.BuildResult{}, err
	}
	return cache.Build(files, tc)
}

// Generate returns the source of a group's module for a backend.
func Generate(g *Group, name string) (codegen.Files, error) {
	b, err := backend.Lookup(name)
	if err != nil {
		return nil, err
	}
	return b.Generate(g.Net, g.Options)
}
