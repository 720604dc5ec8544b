package sweep

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gennctl/gennctl/backend"
	"github.com/gennctl/gennctl/codegen"
	"github.com/gennctl/gennctl/gpu"
	"github.com/gennctl/gennctl/modelspec"
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
	cache, tc, err := r.builder()
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
			return nil, buildError("building structure "+g.Key[:12], err, g.Net)
		}
		out[gi] = built{res, started}
	}
	return out, nil
}

// builder opens the module cache and the toolchain of the run's backend.
func (r *runner) builder() (*gpu.Cache, gpu.Toolchain, error) {
	cacheDir := r.opts.CacheDir
	if cacheDir == "" {
		cacheDir = gpu.DefaultCacheDir()
	}
	cache, err := openCache(cacheDir)
	if err != nil {
		return nil, gpu.Toolchain{}, err
	}
	tc, err := Toolchain(r.plan.Backend, r.opts.CUDAArchs)
	return cache, tc, err
}

// staleBuildAge is how old a private build directory in the module cache
// must be to count as left behind by a killed build: no build takes an hour.
const staleBuildAge = time.Hour

// openCache opens the module cache for building, first removing what killed
// builds left in its tmp/ (directories older than staleBuildAge; younger
// ones may be builds in progress in other processes).
func openCache(dir string) (*gpu.Cache, error) {
	cache, err := gpu.OpenCache(dir)
	if err != nil {
		return nil, err
	}
	if err := cache.CleanTmp(staleBuildAge); err != nil {
		return nil, fmt.Errorf("cleaning the module cache: %w", err)
	}
	return cache, nil
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
		id, err := r.recordBuild(g, b)
		if err != nil {
			return nil, nil, err
		}
		paths[gi], ids[gi] = b.res.ModulePath, id
	}
	return paths, ids, nil
}

// recordBuild records the module of group g in provenance and the
// summary, and returns its build id.
func (r *runner) recordBuild(g *Group, b built) (int64, error) {
	res := b.res
	r.mu.Lock()
	if res.Hit {
		r.sum.CacheHits++
	} else {
		r.sum.Builds++
	}
	r.mu.Unlock()
	id, err := r.db.RecordBuild(provenance.Build{StructureKey: g.Key, SourceDigest: res.SourceDigest, ModuleKey: res.Key,
		ModulePath: res.ModulePath, Backend: r.plan.Backend, Compiler: res.Compiler, CompilerVersion: res.CompilerVersion,
		Flags: strings.Join(res.Flags, " "), TargetArch: res.Arch, Started: b.started, Duration: res.Duration, CacheHit: res.Hit})
	if err != nil {
		return 0, err
	}
	r.emit(Event{Kind: "build", Structure: g.Key[:12], CacheHit: res.Hit, Seconds: res.Duration.Seconds()})
	return id, nil
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

// CheckSyntax runs the C compiler's syntax check over every structure's
// module, so that validating a config finds what building it would report
// about its code strings, in a fraction of the time. The C module holds the
// same code strings as the CUDA one, so it is checked for either backend.
func CheckSyntax(plan *Plan) error {
	tc, err := gpu.DetectCC()
	if err != nil {
		return err
	}
	for _, g := range plan.Groups {
		files, err := Generate(g, "cpu")
		if err != nil {
			return err
		}
		if err := tc.SyntaxCheck(files); err != nil {
			return buildError("structure "+g.Key[:12], err, g.Net)
		}
	}
	return nil
}

// undeclaredRE finds the identifiers gcc and clang report as undeclared,
// with gcc's guess at what was meant.
// (gcc quotes with ‘’ in a UTF-8 locale.)
var undeclaredRE = regexp.MustCompile(`['‘]([A-Za-z_]\w*)['’] undeclared[^\n;]*(; did you mean ['‘][^'’]*['’]\?)?|undeclared identifier ['‘]([A-Za-z_]\w*)['’](; did you mean ['‘][^'’]*['’]\?)?`)

// buildError is err of building (or checking) the module of what: a
// compile error has the compiler's guesses about undeclared identifiers
// that are names of the network's models (GeNN 5 writes variables and
// parameters bare, GeNN 4 and gennctl as $(name)) replaced by a hint to
// write $(name).
func buildError(what string, err error, net *modelspec.Network) error {
	var ce *gpu.CompileError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s: %w", what, err)
	}
	names := modelNames(net)
	var hints []string
	seen := map[string]bool{}
	stderr := undeclaredRE.ReplaceAllStringFunc(ce.Stderr, func(m string) string {
		sub := undeclaredRE.FindStringSubmatch(m)
		name, guess := sub[1]+sub[3], sub[2]+sub[4]
		if !names[name] {
			return m
		}
		if !seen[name] {
			seen[name] = true
			hints = append(hints, fmt.Sprintf("hint: %s is a name of the model: write $(%s) (code strings name variables, parameters and extra global parameters as $(name), as in GeNN 4; GeNN 5's bare names are not supported)", name, name))
		}
		return strings.TrimSuffix(m, guess)
	})
	if len(hints) == 0 {
		return fmt.Errorf("%s: %w", what, err)
	}
	hinted := *ce
	hinted.Stderr = stderr + "\n" + strings.Join(hints, "\n")
	return fmt.Errorf("%s: %w", what, &hinted)
}

// modelNames are the names a code string of the network may mean: the
// parameters, derived parameters, variables and extra global parameters of
// its models, and GeNN's own tokens.
func modelNames(net *modelspec.Network) map[string]bool {
	names := map[string]bool{}
	for _, t := range []string{"t", "id", "Isyn", "inSyn", "id_pre", "id_post", "id_syn", "num_pre", "num_post", "sT", "prev_sT", "value"} {
		names[t] = true
	}
	add := func(params []string, derived []modelspec.DerivedParam, egps []modelspec.EGP, vars ...[]modelspec.Var) {
		for _, p := range params {
			names[p] = true
		}
		for _, d := range derived {
			names[d.Name] = true
		}
		for _, e := range egps {
			names[e.Name] = true
		}
		for _, vs := range vars {
			for _, v := range vs {
				names[v.Name] = true
			}
		}
	}
	for _, p := range net.Populations {
		m := p.Model
		add(m.Params, m.DerivedParams, m.ExtraGlobalParams, m.Vars)
		for _, a := range m.AdditionalInputVars {
			names[a.Name] = true
		}
	}
	for _, s := range net.Synapses {
		wu, ps := s.WeightUpdate.Model, s.Postsynaptic.Model
		add(wu.Params, wu.DerivedParams, wu.ExtraGlobalParams, wu.Vars, wu.PreVars, wu.PostVars)
		add(ps.Params, ps.DerivedParams, nil, ps.Vars)
	}
	for _, c := range net.CurrentSources {
		add(c.Model.Params, c.Model.DerivedParams, c.Model.ExtraGlobalParams, c.Model.Vars)
	}
	return names
}
