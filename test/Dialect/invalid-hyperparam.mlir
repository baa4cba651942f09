// kiln.hyperparam carries its valid range; its verifier rejects a range that
// is empty and a default the range does not allow.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// The low end must be below the high end.
func.func @inverted_range() {
  // expected-error @+1 {{'kiln.hyperparam' op expects a range with low below high, got 1 and 0}}
  %lr = kiln.hyperparam "lr" default 0.5 in [1.0, 0.0] : f32
  return
}

// -----

// An open end excludes its bound: a rate of 0 is outside (0, inf).
func.func @default_on_open_end() {
  // expected-error @+1 {{'kiln.hyperparam' op has its default 0 outside its range (0, inf)}}
  %lr = kiln.hyperparam "lr" default 0.0 in (0.0, inf) : f32
  return
}

// -----

// A default above a closed high end.
func.func @default_above_range() {
  // expected-error @+1 {{'kiln.hyperparam' op has its default 1.5 outside its range [0, 1]}}
  %m = kiln.hyperparam "momentum" default 1.5 in [0.0, 1.0] : f32
  return
}

// -----

// A whole-number value needs a whole-number default.
func.func @fractional_integer_default() {
  // expected-error @+1 {{'kiln.hyperparam' op is a whole number but its default is 2.5}}
  %n = kiln.hyperparam "warmup" default 2.5 in [0.0, inf) integer : f32
  return
}

// -----

// The range is written between brackets.
func.func @range_without_brackets() {
  // expected-error @+1 {{expected '['}}
  %lr = kiln.hyperparam "lr" default 0.1 in 0.0, inf : f32
  return
}
