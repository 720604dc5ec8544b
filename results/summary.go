package results

// Summary statistics of a variant's spikes and sampled state, accumulated
// while they stream from the worker, so that a sweep can keep them instead
// of the spike and state files. Every value is a float64 with NaN where it
// is undefined (a CV without two spikes, a Fano factor without a spike);
// standard deviations and variances divide by the number of values (numpy's
// default ddof=0).

import (
	"fmt"
	"math"
)

// SpikeWindow is what a SpikeStats summarises: spikes of Neurons neurons in
// the time steps From <= step < To, of DT ms, and bins of Bin steps for the
// Fano factor and synchrony (0: neither is computed). (To-From) must be a
// multiple of Bin. ISI keeps the inter-spike intervals, for the CV. Only
// what is asked is kept: 8 bytes per neuron for counts, 32 more for ISIs,
// 24 more for bins.
type SpikeWindow struct {
	Neurons  int
	From, To uint64
	Bin      uint64
	ISI      bool
	DT       float64
}

// SpikeStats accumulates one population's spikes of one variant. Each
// neuron's spikes must come in time order (the module drains the oldest
// first); the order between neurons does not matter.
type SpikeStats struct {
	w     SpikeWindow
	count []int64
	last  []int64 // step of the neuron's last spike, -1 before the first (with ISIs or bins)
	// inter-spike intervals in steps: count, sum and sum of squares
	isiN          []int64
	isiSum, isiSq []float64
	// bins: the neuron's current bin and its count, the sum of squares
	// of its earlier bins' counts, and the population's count per bin
	bin, binCount []int64
	binSq         []float64
	popBins       []int64
}

// NewSpikeStats starts an empty accumulator.
func NewSpikeStats(w SpikeWindow) *SpikeStats {
	n := w.Neurons
	s := &SpikeStats{w: w, count: make([]int64, n)}
	if w.ISI || w.Bin > 0 {
		s.last = make([]int64, n)
		for i := range s.last {
			s.last[i] = -1
		}
	}
	if w.ISI {
		s.isiN, s.isiSum, s.isiSq = make([]int64, n), make([]float64, n), make([]float64, n)
	}
	if w.Bin > 0 {
		s.bin, s.binCount, s.binSq = make([]int64, n), make([]int64, n), make([]float64, n)
		s.popBins = make([]int64, (w.To-w.From)/w.Bin)
	}
	return s
}

// Add counts a spike of neuron at time step step; spikes outside the window
// are ignored.
func (s *SpikeStats) Add(neuron uint32, step uint64) error {
	if int(neuron) >= s.w.Neurons {
		return fmt.Errorf("summary: spike of neuron %d in a population of %d", neuron, s.w.Neurons)
	}
	if step < s.w.From || step >= s.w.To {
		return nil
	}
	i, t := int(neuron), int64(step)
	if s.last != nil && t < s.last[i] {
		return fmt.Errorf("summary: spikes of neuron %d out of time order (step %d after %d)", neuron, t, s.last[i])
	}
	s.count[i]++
	if s.last == nil {
		return nil
	}
	if s.w.ISI && s.last[i] >= 0 {
		d := float64(t - s.last[i])
		s.isiN[i]++
		s.isiSum[i] += d
		s.isiSq[i] += d * d
	}
	s.last[i] = t
	if s.w.Bin > 0 {
		b := int64((step - s.w.From) / s.w.Bin)
		if b != s.bin[i] {
			c := float64(s.binCount[i])
			s.binSq[i] += c * c
			s.bin[i], s.binCount[i] = b, 0
		}
		s.binCount[i]++
		s.popBins[b]++
	}
	return nil
}

// Count is the number of spikes in the window.
func (s *SpikeStats) Count() int64 {
	var n int64
	for _, c := range s.count {
		n += c
	}
	return n
}

func (s *SpikeStats) seconds() float64 { return float64(s.w.To-s.w.From) * s.w.DT / 1000 }

// Rate is the mean firing rate (Hz): spikes per neuron per second.
func (s *SpikeStats) Rate() float64 {
	return float64(s.Count()) / float64(s.w.Neurons) / s.seconds()
}

// NeuronCounts is each neuron's spike count.
func (s *SpikeStats) NeuronCounts() []float64 {
	out := make([]float64, len(s.count))
	for i, c := range s.count {
		out[i] = float64(c)
	}
	return out
}

// NeuronRates is each neuron's firing rate (Hz).
func (s *SpikeStats) NeuronRates() []float64 {
	out := s.NeuronCounts()
	for i := range out {
		out[i] /= s.seconds()
	}
	return out
}

// NeuronCVs is each neuron's coefficient of variation of its inter-spike
// intervals, std/mean (NaN with fewer than two spikes, or without ISI).
func (s *SpikeStats) NeuronCVs() []float64 {
	out := make([]float64, len(s.count))
	for i := range out {
		var n int64
		if s.w.ISI {
			n = s.isiN[i]
		}
		if n == 0 {
			out[i] = math.NaN()
			continue
		}
		m := s.isiSum[i] / float64(n)
		out[i] = math.Sqrt(max(s.isiSq[i]/float64(n)-m*m, 0)) / m
	}
	return out
}

// CV is the mean of NeuronCVs over the neurons with at least two spikes
// (NaN when none has).
func (s *SpikeStats) CV() float64 { return meanDefined(s.NeuronCVs()) }

// binMoments returns a neuron's mean and variance of its counts per bin.
func (s *SpikeStats) binMoments(i int) (mean, variance float64) {
	nb := float64(len(s.popBins))
	c := float64(s.binCount[i])
	m := float64(s.count[i]) / nb
	return m, max((s.binSq[i]+c*c)/nb-m*m, 0)
}

// NeuronFanos is each neuron's Fano factor, the variance over the mean of
// its spike counts in the bins (NaN without a spike, or without bins).
func (s *SpikeStats) NeuronFanos() []float64 {
	out := make([]float64, len(s.count))
	for i := range out {
		m, v := 0.0, 0.0
		if s.w.Bin > 0 {
			m, v = s.binMoments(i)
		}
		out[i] = math.NaN()
		if m > 0 {
			out[i] = v / m
		}
	}
	return out
}

// Fano is the mean of NeuronFanos over the neurons that spiked (NaN when
// none did).
func (s *SpikeStats) Fano() float64 { return meanDefined(s.NeuronFanos()) }

// Synchrony is Golomb and Rinzel's chi (Physica D 72, 259, 1994) of the
// binned spike counts c_i(b): chi^2 = Var_b(mean_i c_i(b)) / mean_i
// Var_b(c_i(b)). It is 1 when every neuron's counts are the same in every
// bin and near 1/sqrt(N) for N independent neurons; NaN without bins or
// when no neuron's count varies.
func (s *SpikeStats) Synchrony() float64 {
	if s.w.Bin == 0 {
		return math.NaN()
	}
	n, nb := float64(s.w.Neurons), float64(len(s.popBins))
	var sum, sq float64
	for _, c := range s.popBins {
		p := float64(c) / n
		sum += p
		sq += p * p
	}
	m := sum / nb
	num := max(sq/nb-m*m, 0)
	var den float64
	for i := range s.count {
		_, v := s.binMoments(i)
		den += v
	}
	den /= n
	if den == 0 {
		return math.NaN()
	}
	return math.Sqrt(num / den)
}

// meanDefined is the mean of the values that are not NaN (NaN when none).
func meanDefined(xs []float64) float64 {
	var sum float64
	n := 0
	for _, x := range xs {
		if !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// VarStats accumulates the samples of one recorded variable of one
// variant: the samples of time steps From <= step <= To of the elements
// sampled (nil: all Size of them, in index order).
type VarStats struct {
	from, to uint64
	slot     []int // element index -> position in the sampled elements, -1: not sampled
	n        []int64
	// sums of value - shift (the element's first value), for precision
	shift, sum, sq []float64
}

// NewVarStats starts an empty accumulator.
func NewVarStats(elements []uint32, size int, from, to uint64) *VarStats {
	v := &VarStats{from: from, to: to, slot: make([]int, size)}
	k := size
	if elements != nil {
		k = len(elements)
		for i := range v.slot {
			v.slot[i] = -1
		}
		for j, e := range elements {
			v.slot[e] = j
		}
	} else {
		for i := range v.slot {
			v.slot[i] = i
		}
	}
	v.n, v.shift, v.sum, v.sq = make([]int64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	return v
}

// Add takes the sample of element at time step step; samples outside the
// window are ignored.
func (v *VarStats) Add(step uint64, element uint32, value float64) error {
	if int(element) >= len(v.slot) || v.slot[element] < 0 {
		return fmt.Errorf("summary: sample of element %d, which is not sampled", element)
	}
	if step < v.from || step > v.to {
		return nil
	}
	j := v.slot[element]
	if v.n[j] == 0 {
		v.shift[j] = value
	}
	d := value - v.shift[j]
	v.n[j]++
	v.sum[j] += d
	v.sq[j] += d * d
	return nil
}

// NeuronMeans is each sampled element's mean over the window (NaN without
// samples), in the order of the sampled elements.
func (v *VarStats) NeuronMeans() []float64 {
	out := make([]float64, len(v.n))
	for j, n := range v.n {
		out[j] = v.shift[j] + v.sum[j]/float64(n)
	}
	return out
}

// NeuronSDs is each sampled element's standard deviation over the window.
func (v *VarStats) NeuronSDs() []float64 {
	out := make([]float64, len(v.n))
	for j, n := range v.n {
		m := v.sum[j] / float64(n)
		out[j] = math.Sqrt(max(v.sq[j]/float64(n)-m*m, 0))
	}
	return out
}

// Mean is the mean of every sample of every sampled element in the window.
func (v *VarStats) Mean() float64 {
	m, _ := v.pooled()
	return m
}

// SD is the standard deviation of every sample of every sampled element in
// the window (all pooled, not an average of the elements' SDs).
func (v *VarStats) SD() float64 {
	_, sd := v.pooled()
	return sd
}

func (v *VarStats) pooled() (mean, sd float64) {
	means, sds := v.NeuronMeans(), v.NeuronSDs()
	var n, sum float64
	for j, c := range v.n {
		if c > 0 {
			n += float64(c)
			sum += float64(c) * means[j]
		}
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean = sum / n
	var ss float64
	for j, c := range v.n {
		if c > 0 {
			d := means[j] - mean
			ss += float64(c) * (sds[j]*sds[j] + d*d)
		}
	}
	return mean, math.Sqrt(ss / n)
}
