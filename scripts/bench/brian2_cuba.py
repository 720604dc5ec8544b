#!/usr/bin/python3
"""Brian2 C++ standalone build of the CUBA benchmark for scripts/bench.

    /usr/bin/python3 scripts/bench/brian2_cuba.py N DURATION_MS DIR

Generates and compiles (does not run) Brian2's CUBA example at N neurons
(80% excitatory, connection probability 80/N, dt 0.1 ms, one thread, Brian2's
default compiler flags and double precision) into DIR, and prints one JSON
line {"build_s": ...}. The harness then runs DIR/main itself, alternating with
gennctl, and reads the simulation loop's own timing from
DIR/results/last_run_info.txt (the time of Network::run, which excludes
synapse creation and variable initialisation).
"""
import json
import sys
import time

from brian2 import (NeuronGroup, Synapses, SpikeMonitor, defaultclock, device,
                    ms, mV, prefs, run, set_device, seed)

n = int(sys.argv[1])
duration = float(sys.argv[2])
directory = sys.argv[3]

set_device('cpp_standalone', directory=directory, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0  # one thread, no OpenMP
defaultclock.dt = 0.1 * ms
seed(1234)

taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
eqs = '''
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
'''
P = NeuronGroup(n, eqs, threshold='v>Vt', reset='v = Vr', refractory=5 * ms, method='exact')
P.v = 'Vr + rand() * (Vt - Vr)'
P.ge = 0 * mV
P.gi = 0 * mV
ne = n * 4 // 5
we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage): 1.62 mV
wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight: -9 mV
Ce = Synapses(P, P, on_pre='ge += we')
Ci = Synapses(P, P, on_pre='gi += wi')
Ce.connect('i<ne', p=80.0 / n)
Ci.connect('i>=ne', p=80.0 / n)
spikes = SpikeMonitor(P)
run(duration * ms)

t0 = time.time()
device.build(directory=directory, compile=True, run=False)
print(json.dumps({"build_s": time.time() - t0}))
