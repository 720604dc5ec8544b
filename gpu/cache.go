package gpu

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gennctl/gennctl/codegen"
)

// ModuleFile is the name of the compiled shared library inside a cache entry.
const ModuleFile = "module.so"

// buildInfoFile records how a cache entry was built (for humans).
const buildInfoFile = "build.json"

// Cache is a content-addressed store of compiled modules:
//
//	<Dir>/modules/<key[:2]>/<key>/module.so   plus the sources it was built from
//	<Dir>/tmp/                               private build directories
//	<Dir>/failed/<key>/                      sources of the last failed build of key
//
// It is safe to share between goroutines and between processes on a shared
// file system without locks: each build happens in a private directory that
// is renamed into place as a whole; whoever loses the race uses the winner's
// module. An entry whose module.so exists is complete.
type Cache struct {
	Dir string
}

// BuildResult describes a module in the cache.
type BuildResult struct {
	// ModulePath is the absolute path of module.so.
	ModulePath string
	// Key is the hex sha256 of the sorted file names and contents, the
	// compiler (command, path, version), flags, target arch and
	// codegen.ABIVersion; the entry's directory name.
	Key string
	// SourceDigest is the hex sha256 of the sorted file names and contents.
	SourceDigest string
	// Hit is true when the module was already in the cache (or another
	// process or goroutine built it concurrently).
	Hit bool
	// Duration is the wall time Build took.
	Duration        time.Duration
	Compiler        string
	CompilerVersion string
	Flags           []string
	Arch            string
}

// CompileError is a failed compilation. Stderr holds the compiler's
// diagnostics with the private build directory removed from paths, so they
// read "module.c:12:3: error: ..." or, for user code behind #line
// directives, "model.yaml:40:5: error: ...".
type CompileError struct {
	Compiler string
	Args     []string
	// ExitCode of the compiler, -1 when it did not exit normally.
	ExitCode int
	Stderr   string
	// SourceDir holds the sources that failed to compile (for debugging
	// generator bugs); empty when they could not be kept.
	SourceDir string
}

// compileError describes a failed run of the compiler exe with args in dir:
// its output (with dir removed from paths) and exit status.
func compileError(exe string, args []string, output, dir string, runErr error) *CompileError {
	ce := &CompileError{Compiler: exe, Args: args, ExitCode: -1, Stderr: cleanDiagnostics(output, dir)}
	var ee *exec.ExitError
	if errors.As(runErr, &ee) {
		ce.ExitCode = ee.ExitCode()
	} else {
		ce.Stderr = strings.TrimSpace(ce.Stderr + "\n" + runErr.Error())
	}
	return ce
}

// maxErrorLines bounds the diagnostics shown by CompileError.Error.
const maxErrorLines = 60

func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "compiling module failed (%s exit %d)", filepath.Base(e.Compiler), e.ExitCode)
	msg := strings.TrimRight(e.Stderr, "\n ")
	if msg == "" {
		b.WriteString(" with no diagnostics")
	} else {
		lines := strings.Split(msg, "\n")
		if len(lines) > maxErrorLines {
			more := len(lines) - maxErrorLines
			lines = append(lines[:maxErrorLines], fmt.Sprintf("... (%d more lines)", more))
		}
		b.WriteString(":\n")
		b.WriteString(strings.Join(lines, "\n"))
	}
	if e.SourceDir != "" {
		fmt.Fprintf(&b, "\n(sources kept in %s)", e.SourceDir)
	}
	return b.String()
}

// DefaultCacheDir is $GENNCTL_CACHE if set, else <user cache dir>/gennctl,
// else <temp dir>/gennctl-cache.
func DefaultCacheDir() string {
	if d := os.Getenv("GENNCTL_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil && d != "" {
		return filepath.Join(d, "gennctl")
	}
	return filepath.Join(os.TempDir(), "gennctl-cache")
}

// OpenCache opens (creating if needed) the module cache in dir.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("gpu: empty cache directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("gpu: cache dir: %w", err)
	}
	for _, sub := range []string{"modules", "tmp"} {
		if err := os.MkdirAll(filepath.Join(abs, sub), 0o755); err != nil {
			return nil, fmt.Errorf("gpu: creating module cache: %w", err)
		}
	}
	return &Cache{Dir: abs}, nil
}

// EntryDir is the directory of the cache entry with the given key.
func (c *Cache) EntryDir(key string) string {
	return filepath.Join(c.Dir, "modules", key[:2], key)
}

// Lookup reports the module path for key if it is in the cache.
func (c *Cache) Lookup(key string) (string, bool) {
	if len(key) < 3 {
		return "", false
	}
	p := filepath.Join(c.EntryDir(key), ModuleFile)
	if _, err := os.Stat(p); err == nil {
		return p, true
	}
	return "", false
}

// SourceDigest is the hex sha256 over the sorted file names and contents.
func SourceDigest(files map[string]string) string {
	h := sha256.New()
	writeFiles(h, files)
	return hex.EncodeToString(h.Sum(nil))
}

func sortedNames(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// writeFiles writes an unambiguous (length-prefixed) encoding of files.
func writeFiles(w interface{ Write([]byte) (int, error) }, files map[string]string) {
	for _, n := range sortedNames(files) {
		fmt.Fprintf(w, "file %d:%s %d\n", len(n), n, len(files[n]))
		w.Write([]byte(files[n]))
		w.Write([]byte{'\n'})
	}
}

// BuildKey is the cache key of files built with tc (tc.Arch must be set).
func BuildKey(files map[string]string, tc Toolchain) string {
	h := sha256.New()
	fmt.Fprintf(h, "gennctl module cache v1\nabi %d\n", codegen.ABIVersion)
	writeFiles(h, files)
	field := func(name string, vals ...string) {
		fmt.Fprintf(h, "%s %d\n", name, len(vals))
		for _, v := range vals {
			fmt.Fprintf(h, "%d:%s\n", len(v), v)
		}
	}
	field("cc", tc.CC)
	field("path", tc.Path)
	field("version", tc.Version)
	field("flags", tc.Flags...)
	field("libs", tc.Libs...)
	field("arch", tc.Arch)
	return hex.EncodeToString(h.Sum(nil))
}

func checkFiles(files map[string]string) ([]string, error) {
	if len(files) == 0 {
		return nil, errors.New("gpu: no source files")
	}
	var sources []string
	for _, n := range sortedNames(files) {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, "-") {
			return nil, fmt.Errorf("gpu: invalid source file name %q (plain file names only)", n)
		}
		if n == ModuleFile || n == buildInfoFile {
			return nil, fmt.Errorf("gpu: source file name %q is reserved", n)
		}
		if strings.HasSuffix(n, ".c") || strings.HasSuffix(n, ".cu") {
			sources = append(sources, n)
		}
	}
	if len(sources) == 0 {
		return nil, errors.New("gpu: no .c or .cu source among the files")
	}
	return sources, nil
}

// in-process de-duplication of concurrent builds of the same entry.
var (
	inflightMu sync.Mutex
	inflight   = map[string]*buildCall{}
)

type buildCall struct {
	done chan struct{}
	path string
	err  error
}

// Build returns the module compiled from files with tc, compiling it unless
// it is already cached. files maps plain file names to contents; every
// ".c" file is compiled and linked into one shared library, the others
// (headers) are only written alongside. A compiler failure is returned as a
// *CompileError and is not cached.
func (c *Cache) Build(files map[string]string, tc Toolchain) (BuildResult, error) {
	start := time.Now()
	sources, err := checkFiles(files)
	if err != nil {
		return BuildResult{}, err
	}
	if strings.TrimSpace(tc.CC) == "" {
		return BuildResult{}, errors.New("gpu: toolchain has no compiler (use DetectCC)")
	}
	if tc.Arch == "" {
		tc.Arch = TargetArch(tc.Flags)
	}
	key := BuildKey(files, tc)
	res := BuildResult{
		Key:             key,
		SourceDigest:    SourceDigest(files),
		Compiler:        tc.CC,
		CompilerVersion: tc.Version,
		Flags:           tc.AllFlags(),
		Arch:            tc.Arch,
	}
	finish := func(path string, hit bool) (BuildResult, error) {
		res.ModulePath = path
		res.Hit = hit
		res.Duration = time.Since(start)
		return res, nil
	}
	if p, ok := c.Lookup(key); ok {
		return finish(p, true)
	}

	// Join a build of the same entry already running in this process.
	id := c.Dir + "\x00" + key
	inflightMu.Lock()
	if call, ok := inflight[id]; ok {
		inflightMu.Unlock()
		<-call.done
		if call.err != nil {
			res.Duration = time.Since(start)
			return res, call.err
		}
		return finish(call.path, true)
	}
	call := &buildCall{done: make(chan struct{})}
	inflight[id] = call
	inflightMu.Unlock()
	defer func() {
		inflightMu.Lock()
		delete(inflight, id)
		inflightMu.Unlock()
		close(call.done)
	}()

	path, hit, err := c.build(key, files, sources, tc, &res)
	call.path, call.err = path, err
	if err != nil {
		res.Duration = time.Since(start)
		return res, err
	}
	return finish(path, hit)
}

// build compiles into a private directory and renames it into place.
func (c *Cache) build(key string, files map[string]string, sources []string, tc Toolchain, res *BuildResult) (string, bool, error) {
	tmpRoot := filepath.Join(c.Dir, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return "", false, fmt.Errorf("gpu: module cache: %w", err)
	}
	dir, err := os.MkdirTemp(tmpRoot, key[:16]+"-")
	if err != nil {
		return "", false, fmt.Errorf("gpu: module cache: %w", err)
	}
	cleanup := true
	defer func() {
		if cleanup {
			os.RemoveAll(dir)
		}
	}()
	// MkdirTemp makes 0700; entries are meant to be shared.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", false, fmt.Errorf("gpu: module cache: %w", err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return "", false, fmt.Errorf("gpu: writing %s: %w", name, err)
		}
	}

	exe, args := tc.argv(sources, ModuleFile)
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	t0 := time.Now()
	runErr := cmd.Run()
	compileTime := time.Since(t0)
	if runErr != nil {
		ce := compileError(exe, args, stderr.String(), dir, runErr)
		kept, moved := c.keepFailed(key, dir)
		ce.SourceDir = kept
		cleanup = !moved
		return "", false, ce
	}
	if _, err := os.Stat(filepath.Join(dir, ModuleFile)); err != nil {
		return "", false, fmt.Errorf("gpu: compiler succeeded but produced no %s: %w", ModuleFile, err)
	}
	info, _ := json.MarshalIndent(map[string]any{
		"key":              key,
		"source_digest":    res.SourceDigest,
		"compiler":         tc.CC,
		"compiler_path":    tc.Path,
		"compiler_version": tc.Version,
		"flags":            tc.AllFlags(),
		"arch":             tc.Arch,
		"abi":              codegen.ABIVersion,
		"built":            time.Now().UTC().Format(time.RFC3339),
		"compile_seconds":  compileTime.Seconds(),
		"warnings":         cleanDiagnostics(stderr.String(), dir),
	}, "", "  ")
	_ = os.WriteFile(filepath.Join(dir, buildInfoFile), append(info, '\n'), 0o644)

	final := c.EntryDir(key)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return "", false, fmt.Errorf("gpu: module cache: %w", err)
	}
	for attempt := 0; ; attempt++ {
		err := os.Rename(dir, final)
		if err == nil {
			cleanup = false
			return filepath.Join(final, ModuleFile), false, nil
		}
		// Lost the race: another process renamed its complete entry first.
		if p, ok := c.Lookup(key); ok {
			return p, true, nil
		}
		if attempt > 0 || !exists(final) {
			return "", false, fmt.Errorf("gpu: installing module into cache: %w", err)
		}
		// A damaged entry (no module.so, e.g. partly deleted by hand):
		// move it aside and try once more.
		trash, terr := os.MkdirTemp(tmpRoot, "trash-")
		if terr != nil {
			return "", false, fmt.Errorf("gpu: installing module into cache: %w", err)
		}
		if os.Rename(final, filepath.Join(trash, "x")) != nil {
			if p, ok := c.Lookup(key); ok {
				os.RemoveAll(trash)
				return p, true, nil
			}
		}
		os.RemoveAll(trash)
	}
}

// keepFailed moves the failed build dir to <Dir>/failed/<key>. It returns
// where the sources are kept ("" if nowhere) and whether dir was moved.
func (c *Cache) keepFailed(key, dir string) (string, bool) {
	failed := filepath.Join(c.Dir, "failed")
	if err := os.MkdirAll(failed, 0o755); err != nil {
		return "", false
	}
	dst := filepath.Join(failed, key)
	if exists(dst) {
		// Replace an older copy; a concurrent keeper may win, which is fine.
		trash := dst + fmt.Sprintf(".old-%d-%d", os.Getpid(), time.Now().UnixNano())
		if os.Rename(dst, trash) == nil {
			os.RemoveAll(trash)
		}
	}
	if err := os.Rename(dir, dst); err != nil {
		if exists(dst) {
			return dst, false
		}
		return "", false
	}
	return dst, true
}

// CleanTmp removes private build directories older than age left behind by
// crashed processes. Directories younger than age may belong to a build in
// progress and are left alone.
func (c *Cache) CleanTmp(age time.Duration) error {
	tmpRoot := filepath.Join(c.Dir, "tmp")
	ents, err := os.ReadDir(tmpRoot)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	var first error
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < age {
			continue
		}
		if err := os.RemoveAll(filepath.Join(tmpRoot, e.Name())); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// maxDiagnostics bounds the kept compiler output.
const maxDiagnostics = 256 << 10

// nvccPosition matches nvcc's "file(line): error" positions.
var nvccPosition = regexp.MustCompile(`(?m)^([^\s():]+)\((\d+)\): `)

// cleanDiagnostics strips the private build directory from compiler output,
// writes nvcc's positions as file:line: like gcc's, and bounds its size.
func cleanDiagnostics(s, dir string) string {
	s = strings.ReplaceAll(s, dir+string(filepath.Separator), "")
	s = strings.ReplaceAll(s, dir, ".")
	s = nvccPosition.ReplaceAllString(s, "$1:$2: ")
	if len(s) > maxDiagnostics {
		s = s[:maxDiagnostics] + "\n... (output truncated)"
	}
	return strings.TrimSpace(s)
}
