#!/usr/bin/env bash
# Every test of the repository, Go and Python: `go test ./...` (its output
# followed by a summary of the skipped tests grouped by reason, see
# scripts/testsummary), then pytest on
# python/tests (the gennctl Python package, GeNN 4.9's PyGeNN examples, the
# README's pandas snippets, docs/python.md, scripts/analyze.py and
# scripts/analyze.R on real sweep output). Both run; the status is non-zero if
# either fails. Arguments go to `go test` (e.g. -short, -run X).
#
# Python runs in .venv, made here on first use (python3 -m venv; Debian needs
# the python3-venv package) with the pinned packages of
# python/requirements-ci.txt; the package is installed from ./python, as
# `pip install ./python` installs it, on every run. The Python tests build
# their own gennctl binary from this checkout unless GENNCTL names one.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

status=0
# codegen/cpu runs its feature tests once per backend (cpu, cuda-emu, cuda-build) in one
# test binary, which can outlast go test's default 10-minute limit on a small machine.
go test -json -timeout 60m "$@" ./... | go run ./scripts/testsummary || status=1

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || { echo "scripts/test.sh: cannot make .venv (install python3 and python3-venv)" >&2; exit 1; }
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r python/requirements-ci.txt &&
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./python ||
  { echo "scripts/test.sh: installing the Python packages failed" >&2; exit 1; }
# -rs lists every skipped test with its reason (e.g. analyze.R without R's arrow)
.venv/bin/python -m pytest -q -rs python/tests || status=1
exit $status
