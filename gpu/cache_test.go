package gpu

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gennctl/gennctl/codegen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDetectCC(t *testing.T) {
	tc := detectCC(t)
	assert.NotEmpty(t, tc.Version)
	assert.True(t, filepath.IsAbs(tc.Path), tc.Path)
	assert.Equal(t, DefaultCFlags, tc.Flags)
	assert.Contains(t, tc.Libs, "-lm")
	assert.NotContains(t, strings.Join(tc.Flags, " "), "fast-math")
	// Modules are tuned for the host CPU, so the target names it: a cache
	// shared between nodes never hands a module to a different CPU.
	assert.Contains(t, tc.Flags, "-march=native")
	assert.True(t, strings.HasPrefix(tc.Arch, HostArch()+"/native-"), tc.Arch)
	assert.Equal(t, TargetArch(tc.Flags), tc.Arch)

	t.Setenv("CC", "definitely-not-a-compiler-xyz")
	_, err := DetectCC()
	assert.ErrorContains(t, err, "definitely-not-a-compiler-xyz")
}

func TestTargetArchNative(t *testing.T) {
	assert.Equal(t, HostArch(), TargetArch([]string{"-O2"}))
	native := TargetArch([]string{"-O2", "-march=native"})
	assert.True(t, strings.HasPrefix(native, HostArch()+"/native-"), native)
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("GENNCTL_CACHE", "/some/where")
	assert.Equal(t, "/some/where", DefaultCacheDir())
	t.Setenv("GENNCTL_CACHE", "")
	assert.True(t, strings.HasSuffix(DefaultCacheDir(), "gennctl") || strings.HasSuffix(DefaultCacheDir(), "gennctl-cache"))
}

func TestCPUSlots(t *testing.T) {
	n := CPUSlots()
	assert.GreaterOrEqual(t, n, 1)
	t.Setenv("GOMAXPROCS", "1")
	assert.Equal(t, 1, CPUSlots())
}

func TestBuildThenHit(t *testing.T) {
	tc := detectCC(t)
	dir := t.TempDir()
	c, err := OpenCache(dir)
	require.NoError(t, err)
	files := toyFiles(t)

	first, err := c.Build(files, tc)
	require.NoError(t, err)
	assert.False(t, first.Hit)
	assert.Len(t, first.Key, 64)
	assert.Equal(t, filepath.Join(dir, "modules", first.Key[:2], first.Key, "module.so"), first.ModulePath)
	assert.FileExists(t, first.ModulePath)
	// sources kept alongside
	src, err := os.ReadFile(filepath.Join(filepath.Dir(first.ModulePath), "module.c"))
	require.NoError(t, err)
	assert.Equal(t, files["module.c"], string(src))
	assert.FileExists(t, filepath.Join(filepath.Dir(first.ModulePath), "gn_abi.h"))
	assert.Equal(t, SourceDigest(files), first.SourceDigest)
	assert.Equal(t, tc.Version, first.CompilerVersion)
	assert.Contains(t, first.Flags, "-ffp-contract=off")
	assert.Equal(t, tc.Arch, first.Arch)

	second, err := c.Build(files, tc)
	require.NoError(t, err)
	assert.True(t, second.Hit)
	assert.Equal(t, first.ModulePath, second.ModulePath)
	assert.Equal(t, first.Key, second.Key)

	// The temp area is empty after builds.
	ents, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, ents)

	// Different flags, arch or sources give a different key; same sources
	// the same source digest.
	tc2 := tc
	tc2.Flags = append(append([]string{}, tc.Flags...), "-g")
	assert.NotEqual(t, first.Key, BuildKey(files, tc2))
	tc3 := tc
	tc3.Arch = "other"
	assert.NotEqual(t, first.Key, BuildKey(files, tc3))
	files2 := toyFiles(t)
	files2["module.c"] += "\n/* changed */\n"
	assert.NotEqual(t, first.Key, BuildKey(files2, tc))
	assert.NotEqual(t, SourceDigest(files), SourceDigest(files2))
	// File name boundaries matter.
	assert.NotEqual(t, SourceDigest(map[string]string{"a.c": "bc"}), SourceDigest(map[string]string{"a.cb": "c"}))
}

func TestBuildRejectsBadNames(t *testing.T) {
	tc := detectCC(t)
	c, err := OpenCache(t.TempDir())
	require.NoError(t, err)
	for _, files := range []map[string]string{
		{},
		{"x.h": "int x;"},
		{"../evil.c": "int x;"},
		{"sub/a.c": "int x;"},
		{"module.so": "x", "a.c": "int x;"},
	} {
		_, err := c.Build(files, tc)
		assert.Error(t, err, "%v", files)
	}
}

func TestBuildConcurrentGoroutinesAndProcesses(t *testing.T) {
	tc := detectCC(t)
	dir := t.TempDir()
	c, err := OpenCache(dir)
	require.NoError(t, err)
	files := toyFiles(t)

	at := time.Now().Add(500 * time.Millisecond)
	// Two other processes building the same module into the same cache.
	var procs []*exec.Cmd
	var outs []*strings.Builder
	for i := 0; i < 2; i++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), "GENNCTL_TEST_BUILD_DIR="+dir, "GENNCTL_TEST_BUILD_AT="+strconv.FormatInt(at.UnixNano(), 10))
		out := &strings.Builder{}
		cmd.Stdout = out
		cmd.Stderr = out
		require.NoError(t, cmd.Start())
		procs = append(procs, cmd)
		outs = append(outs, out)
	}
	// And several goroutines, each with its own Cache value.
	const G = 6
	results := make([]BuildResult, G)
	errs := make([]error, G)
	var wg sync.WaitGroup
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			time.Sleep(time.Until(at))
			cg, err := OpenCache(dir)
			if err != nil {
				errs[g] = err
				return
			}
			results[g], errs[g] = cg.Build(files, tc)
		}(g)
	}
	wg.Wait()
	paths := map[string]bool{}
	for g := 0; g < G; g++ {
		require.NoError(t, errs[g])
		paths[results[g].ModulePath] = true
	}
	for i, cmd := range procs {
		require.NoError(t, cmd.Wait(), outs[i].String())
		var res BuildResult
		require.NoError(t, json.Unmarshal([]byte(outs[i].String()), &res), outs[i].String())
		paths[res.ModulePath] = true
	}
	assert.Len(t, paths, 1)

	// Exactly one entry; no leftovers in tmp.
	key := results[0].Key
	ents, err := os.ReadDir(filepath.Join(dir, "modules", key[:2]))
	require.NoError(t, err)
	assert.Len(t, ents, 1)
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)

	p, ok := c.Lookup(key)
	assert.True(t, ok)
	assert.Equal(t, results[0].ModulePath, p)

	// The module works.
	m, err := Load(p)
	require.NoError(t, err)
	d, err := m.Description()
	require.NoError(t, err)
	assert.Equal(t, "cpu", d.Backend)
}

func TestCompileError(t *testing.T) {
	tc := detectCC(t)
	dir := t.TempDir()
	c, err := OpenCache(dir)
	require.NoError(t, err)
	files := map[string]string{
		"gn_abi.h": codegen.ABIHeader,
		"module.c": "#include \"gn_abi.h\"\n#line 7 \"model.yaml\"\nint x = undefined_thing;\n",
	}
	_, err = c.Build(files, tc)
	require.Error(t, err)
	var ce *CompileError
	require.True(t, errors.As(err, &ce), "%T %v", err, err)
	assert.Contains(t, ce.Stderr, "model.yaml:7")
	assert.Contains(t, ce.Stderr, "undefined_thing")
	assert.NotContains(t, ce.Stderr, filepath.Join(dir, "tmp"), "private build dir leaks into messages")
	assert.NotZero(t, ce.ExitCode)
	assert.Contains(t, err.Error(), "model.yaml:7")
	// Failures are not cached; the failing sources are kept for debugging.
	_, ok := c.Lookup(BuildKey(files, tc))
	assert.False(t, ok)
	require.NotEmpty(t, ce.SourceDir)
	assert.FileExists(t, filepath.Join(ce.SourceDir, "module.c"))
	tmp, err := os.ReadDir(filepath.Join(dir, "tmp"))
	require.NoError(t, err)
	assert.Empty(t, tmp)

	// Building the same failing sources again fails the same way.
	_, err = c.Build(files, tc)
	require.True(t, errors.As(err, &ce))
}

func TestCompileErrorTrimmed(t *testing.T) {
	e := &CompileError{Compiler: "/usr/bin/cc", ExitCode: 1, Stderr: strings.Repeat("line\n", 500)}
	msg := e.Error()
	assert.Less(t, strings.Count(msg, "\n"), maxErrorLines+5)
	assert.Contains(t, msg, "more lines")
}

func TestCleanTmp(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir)
	require.NoError(t, err)
	old := filepath.Join(dir, "tmp", "stale")
	require.NoError(t, os.Mkdir(old, 0o755))
	past := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(old, past, past))
	fresh := filepath.Join(dir, "tmp", "fresh")
	require.NoError(t, os.Mkdir(fresh, 0o755))
	require.NoError(t, c.CleanTmp(time.Hour))
	assert.NoDirExists(t, old)
	assert.DirExists(t, fresh)
}

// The loader's function pointer types must match codegen.ABIHeader exactly:
// assigning each exported function to its pointer type must compile with
// -Werror.
func TestLoaderPrototypesMatchABIHeader(t *testing.T) {
	tc := detectCC(t)
	dir := t.TempDir()
	loaderH, err := os.ReadFile("gn_loader.h")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gn_abi.h"), []byte(codegen.ABIHeader), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gn_loader.h"), loaderH, 0o644))
	var b strings.Builder
	b.WriteString("#include \"gn_abi.h\"\n#include \"gn_loader.h\"\n")
	for _, s := range ABISymbols {
		b.WriteString(s + "_fn check_" + s + " = " + s + ";\n")
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "check.c"), []byte(b.String()), 0o644))
	words := strings.Fields(tc.CC)
	args := append(words[1:], "-std=c11", "-Wall", "-Werror", "-pedantic-errors", "-fsyntax-only", "check.c")
	cmd := exec.Command(tc.Path, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	// and the header declares exactly ABISymbols
	declared := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b(gn_\w+)\(`).FindAllStringSubmatch(codegen.ABIHeader, -1) {
		declared[m[1]] = true
	}
	known := map[string]bool{}
	for _, s := range ABISymbols {
		known[s] = true
	}
	assert.Equal(t, declared, known, "ABIHeader and the loader disagree on the symbols")
}

// GENNCTL_CPU_TARGET replaces -march=native, so that nodes with different
// CPUs share one cached module; the target names the cache entry's arch.
func TestCPUTarget(t *testing.T) {
	flags := WithCPUTarget(DefaultCFlags, "x86-64-v2")
	assert.Contains(t, flags, "-march=x86-64-v2")
	assert.NotContains(t, flags, "-march=native")
	assert.Equal(t, DefaultCFlags, WithCPUTarget(DefaultCFlags, ""))
	assert.True(t, strings.HasSuffix(TargetArch(flags), "/x86-64-v2"))
	assert.Contains(t, TargetArch(DefaultCFlags), "/native-")
	if runtime.GOARCH != "amd64" {
		t.Skip("x86-64-v2 is an amd64 target")
	}
	t.Setenv("GENNCTL_CPU_TARGET", "x86-64-v2")
	tc := detectCC(t)
	assert.Contains(t, tc.Flags, "-march=x86-64-v2")
	c, err := OpenCache(t.TempDir())
	require.NoError(t, err)
	res, err := c.Build(toyFiles(t), tc)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(res.Arch, "/x86-64-v2"))
}
