package gpu

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startTestWorker runs this test binary as a worker process.
func startTestWorker(t *testing.T, ctx context.Context) *Worker {
	t.Helper()
	w, err := StartWorker(ctx, []string{os.Args[0]}, append(os.Environ(), "GENNCTL_TEST_WORKER=1"))
	require.NoError(t, err)
	t.Cleanup(func() { w.Kill(); w.Close() })
	return w
}

type runResult struct {
	done   Done
	spikes SpikeBuffer
	chunks int
	err    error
}

// runTestJob runs job on w, failing the test if it takes longer than limit.
func runTestJob(t *testing.T, w *Worker, job Job, limit time.Duration, onChunk func(SpikeChunk)) runResult {
	t.Helper()
	ch := make(chan runResult, 1)
	go func() {
		var r runResult
		r.done, r.err = w.Run(job, func(c SpikeChunk) error {
			r.chunks++
			r.spikes.Pop = append(r.spikes.Pop, c.Pop...)
			r.spikes.Variant = append(r.spikes.Variant, c.Variant...)
			r.spikes.Neuron = append(r.spikes.Neuron, c.Neuron...)
			r.spikes.Step = append(r.spikes.Step, c.Step...)
			if onChunk != nil {
				onChunk(c)
			}
			return nil
		})
		ch <- r
	}()
	select {
	case r := <-ch:
		return r
	case <-time.After(limit):
		w.Kill()
		t.Fatalf("job %s did not finish within %v", job.ID, limit)
		return runResult{}
	}
}

// inProcess runs the same job with the loader in this process.
func inProcess(t *testing.T, job Job) SpikeBuffer {
	t.Helper()
	m, err := Load(job.ModulePath)
	require.NoError(t, err)
	inst, err := m.Create(len(job.Seeds), job.Seeds, job.Runtime)
	require.NoError(t, err)
	defer inst.Close()
	require.NoError(t, inst.Init())
	require.NoError(t, inst.Step(uint32(job.Steps)))
	var buf SpikeBuffer
	_, err = inst.DrainSpikes(&buf)
	require.NoError(t, err)
	return buf
}

func TestWorkerRunsJobs(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	assert.NotEqual(t, os.Getpid(), w.Pid())

	offsets := []int{0, 2, 5}
	job := Job{ID: "a", ModulePath: path, Seeds: seedsFor(3), Runtime: toyRuntime(offsets, 0, 0), Steps: 250, DrainEvery: 7}
	r := runTestJob(t, w, job, 30*time.Second, nil)
	require.NoError(t, r.err)
	assert.Equal(t, uint64(250), r.done.Steps)
	assert.Equal(t, uint64(r.spikes.Len()), r.done.Spikes)
	assert.Greater(t, r.chunks, 10)
	assert.Greater(t, r.done.Wall, time.Duration(0))
	assert.LessOrEqual(t, r.done.InitWall, r.done.Wall)
	assert.Equal(t, inProcess(t, job), r.spikes)
	assert.Equal(t, expectedSpikes(offsets, 250), r.spikes)

	// Second job on the same worker (module already loaded), default drain
	// interval, steps not a multiple of it.
	job2 := Job{ID: "b", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{1}, 0, 0), Steps: 2345}
	r = runTestJob(t, w, job2, 30*time.Second, nil)
	require.NoError(t, r.err)
	assert.Equal(t, uint64(2345), r.done.Steps)
	assert.Equal(t, 3, r.chunks)
	assert.Equal(t, expectedSpikes([]int{1}, 2345), r.spikes)

	// Zero steps: only init.
	r = runTestJob(t, w, Job{ID: "c", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0)}, 30*time.Second, nil)
	require.NoError(t, r.err)
	assert.Equal(t, 0, r.spikes.Len())

	assert.NoError(t, w.Close())
}

func TestWorkerJobFailureKeepsWorker(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())

	// Module-reported step error.
	r := runTestJob(t, w, Job{ID: "f4", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 4), Steps: 100, DrainEvery: 2}, 30*time.Second, nil)
	var jf *JobFailedError
	require.True(t, errors.As(r.err, &jf), "%T %v", r.err, r.err)
	assert.Contains(t, jf.Msg, "fault 4")
	// Spikes before the failure were delivered.
	assert.Equal(t, expectedSpikes([]int{0}, 4), r.spikes)

	// Module that cannot be loaded; bad runtime length.
	r = runTestJob(t, w, Job{ID: "nf", ModulePath: "/nonexistent/module.so", Seeds: seedsFor(1), Steps: 1}, 30*time.Second, nil)
	require.True(t, errors.As(r.err, &jf), "%v", r.err)
	r = runTestJob(t, w, Job{ID: "rt", ModulePath: path, Seeds: seedsFor(2), Runtime: []float64{1}, Steps: 1}, 30*time.Second, nil)
	require.True(t, errors.As(r.err, &jf), "%v", r.err)

	// Still usable.
	r = runTestJob(t, w, Job{ID: "ok", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0), Steps: 20}, 30*time.Second, nil)
	require.NoError(t, r.err)
	assert.Equal(t, expectedSpikes([]int{0}, 20), r.spikes)
	assert.NoError(t, w.Close())
}

func TestWorkerCrashInUserCode(t *testing.T) {
	path := buildToy(t)
	for _, tc := range []struct {
		name   string
		fault  int
		signal string
	}{
		{"abort", 1, "aborted"},
		{"segv", 2, "segmentation fault"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := startTestWorker(t, context.Background())
			job := Job{ID: tc.name, ModulePath: path, Seeds: seedsFor(2), Runtime: toyRuntime([]int{0, 1}, 0, tc.fault), Steps: 1000, DrainEvery: 1}
			r := runTestJob(t, w, job, 30*time.Second, nil)
			var wd *WorkerDiedError
			require.True(t, errors.As(r.err, &wd), "%T %v", r.err, r.err)
			assert.Equal(t, tc.name, wd.JobID)
			assert.Equal(t, w.Pid(), wd.Pid)
			assert.Equal(t, tc.signal, wd.Signal)
			assert.Equal(t, "gn_step", wd.CrashedIn)
			msg := wd.Error()
			assert.Contains(t, msg, tc.signal)
			assert.Contains(t, msg, "gn_step")
			assert.NotContains(t, msg, "goroutine ", "Go traceback is left out of the message")
			assert.Less(t, strings.Count(msg, "\n"), 50)
			t.Log(msg)
			// Steps 0..4 ran and were drained before the crash at step 5.
			assert.Equal(t, expectedSpikes([]int{0, 1}, 5), r.spikes)

			// The worker is unusable afterwards; Close does not hang.
			_, err := w.Run(Job{ID: "again", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0), Steps: 1}, nil)
			assert.Error(t, err)
			w.Close()
		})
	}
}

func TestWorkerSIGKILLMidJob(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	// 2 ms per step, 100k steps: minutes unless killed.
	job := Job{ID: "slow", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 2000, 0), Steps: 100000, DrainEvery: 5}
	killed := false
	start := time.Now()
	r := runTestJob(t, w, job, 30*time.Second, func(SpikeChunk) {
		if !killed {
			killed = true
			require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGKILL))
		}
	})
	var wd *WorkerDiedError
	require.True(t, errors.As(r.err, &wd), "%T %v", r.err, r.err)
	assert.Equal(t, "killed", wd.Signal)
	assert.Contains(t, wd.Error(), "killed")
	assert.Less(t, time.Since(start), 20*time.Second)
}

func TestWorkerContextCancel(t *testing.T) {
	path := buildToy(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := startTestWorker(t, ctx)
	job := Job{ID: "slow", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 2000, 0), Steps: 100000, DrainEvery: 5}
	r := runTestJob(t, w, job, 30*time.Second, func(SpikeChunk) { cancel() })
	var wd *WorkerDiedError
	require.True(t, errors.As(r.err, &wd), "%T %v", r.err, r.err)
	assert.ErrorIs(t, r.err, context.Canceled)
}

func TestWorkerPrintfDoesNotBreakProtocol(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	offsets := []int{0, 1}
	job := Job{ID: "chatty", ModulePath: path, Seeds: seedsFor(2), Runtime: toyRuntime(offsets, 0, 3), Steps: 300, DrainEvery: 3}
	r := runTestJob(t, w, job, 30*time.Second, nil)
	require.NoError(t, r.err)
	assert.Equal(t, expectedSpikes(offsets, 300), r.spikes)
	require.NoError(t, w.Close())
	assert.Contains(t, w.Stderr(), "toy: init says hello")
	assert.Contains(t, w.Stderr(), "toy: step 299")
}

func TestStartWorkerNotAWorker(t *testing.T) {
	// A program that writes garbage to stdout and exits.
	_, err := StartWorker(context.Background(), []string{"/bin/sh", "-c", "echo not a worker; echo oops >&2; exit 3"}, nil)
	var wd *WorkerDiedError
	require.True(t, errors.As(err, &wd), "%T %v", err, err)
	assert.Contains(t, wd.Stderr, "oops")
	assert.Equal(t, 3, wd.ExitCode)
	assert.Contains(t, wd.Error(), "not a gennctl worker")

	// One that keeps running is killed, not waited for forever.
	start := time.Now()
	_, err = StartWorker(context.Background(), []string{"/bin/sh", "-c", "echo garbage-garbage-garbage; exec sleep 60"}, nil)
	require.True(t, errors.As(err, &wd), "%T %v", err, err)
	assert.Equal(t, "killed", wd.Signal)
	assert.Less(t, time.Since(start), 20*time.Second)

	_, err = StartWorker(context.Background(), []string{"/nonexistent/gennctl"}, nil)
	assert.Error(t, err)
}

// ServeWorker in process over pipes-in-memory: the protocol itself.
func TestServeWorkerInProcess(t *testing.T) {
	path := buildToy(t)
	var in bytes.Buffer
	enc := gob.NewEncoder(&in)
	require.NoError(t, enc.Encode(Job{ID: "1", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{2}, 0, 0), Steps: 30, DrainEvery: 10}))
	require.NoError(t, enc.Encode(Job{ID: "2", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 4), Steps: 30}))
	var out bytes.Buffer
	require.NoError(t, ServeWorker(&in, &out))

	magic := make([]byte, len(protocolMagic))
	_, err := out.Read(magic)
	require.NoError(t, err)
	require.Equal(t, protocolMagic, string(magic))
	dec := gob.NewDecoder(&out)
	var msgs []Message
	for {
		var m Message
		if err := dec.Decode(&m); err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	require.NotEmpty(t, msgs)
	require.NotNil(t, msgs[0].Hello)
	assert.Equal(t, ProtocolVersion, msgs[0].Hello.Protocol)
	var kinds []string
	for _, m := range msgs[1:] {
		switch {
		case m.Chunk != nil:
			kinds = append(kinds, m.JobID+":chunk")
		case m.Done != nil:
			kinds = append(kinds, m.JobID+":done")
		case m.Failed != nil:
			kinds = append(kinds, m.JobID+":failed")
		}
	}
	assert.Equal(t, "1:chunk 1:chunk 1:chunk 1:done 2:failed", strings.Join(kinds, " "))
}

func TestRingBuffer(t *testing.T) {
	r := newRingBuffer(10)
	r.Write([]byte("abc\n"))
	assert.Equal(t, "abc\n", r.String())
	r.Write([]byte("0123\n4567\n89"))
	s := r.String()
	assert.True(t, strings.HasSuffix(s, "4567\n89"), s)
	assert.Contains(t, s, "omitted")
	r.Write([]byte(strings.Repeat("x", 100)))
	assert.True(t, strings.HasSuffix(r.String(), strings.Repeat("x", 10)))
}

// TestWorkerIgnoresInterrupt: Ctrl-C reaches the whole process group, the
// workers too; a worker leaves stopping to its orchestrator (which kills it)
// instead of dying first, which would fail its batch as a crash.
func TestWorkerIgnoresInterrupt(t *testing.T) {
	path := buildToy(t)
	w := startTestWorker(t, context.Background())
	require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGINT))
	require.NoError(t, syscall.Kill(w.Pid(), syscall.SIGTERM))
	r := runTestJob(t, w, Job{ID: "after-sigint", ModulePath: path, Seeds: seedsFor(1), Runtime: toyRuntime([]int{0}, 0, 0), Steps: 20}, 30*time.Second, nil)
	require.NoError(t, r.err, "the worker survives SIGINT and SIGTERM")
	assert.Equal(t, expectedSpikes([]int{0}, 20), r.spikes)
}
