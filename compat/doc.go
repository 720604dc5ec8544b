// Package compat holds tests that read gennctl's output files with independent
// implementations of the Arrow format (the JavaScript apache-arrow package in compat/js) and
// compare them with what gennctl meant to write. It has no non-test code.
package compat
