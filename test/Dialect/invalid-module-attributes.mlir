// The kiln.* module attributes, declared in KilnDialect.td, are checked by the
// dialect's verifier: a malformed training configuration is rejected at the
// module before any pass reads it.
// RUN: kiln-opt %s -split-input-file -verify-diagnostics

// A clip kind that is not value, norm or global_norm.
// expected-error @+1 {{'kiln.clip' has unknown kind "magnitude" (expected value, norm, global_norm)}}
module attributes {kiln.clip = {name = "magnitude", clip = 1.0}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A clip without its threshold.
// expected-error @+1 {{'kiln.clip' expects a 'clip' threshold}}
module attributes {kiln.clip = {name = "norm"}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A clip threshold of zero clips every gradient to nothing.
// expected-error @+1 {{'kiln.clip' expects a positive 'clip' threshold}}
module attributes {kiln.clip = {name = "value", clip = 0.0}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// The optimizer is a dictionary with a name.
// expected-error @+1 {{'kiln.optimizer' expects a string 'name' entry}}
module attributes {kiln.optimizer = {lr = 0.1}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// Every optimizer setting is a number.
// expected-error @+1 {{'kiln.optimizer' expects entry 'lr' to be a number}}
module attributes {kiln.optimizer = {name = "sgd", lr = "fast"}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// The regularizer holds the l1 and l2 strengths only (weight decay is the
// optimizer's).
// expected-error @+1 {{'kiln.regularizer' has unknown entry 'weight_decay' (expected l1, l2)}}
module attributes {kiln.regularizer = {weight_decay = 0.01}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A negative strength would reward large weights.
// expected-error @+1 {{'kiln.regularizer' expects l2 >= 0}}
module attributes {kiln.regularizer = {l2 = -1.0e-4}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A learning-rate schedule the runtime does not know.
// expected-error @+1 {{'kiln.schedule' has unknown schedule "linear"}}
module attributes {kiln.schedule = {name = "linear"}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// An argument the schedule kind does not take.
// expected-error @+1 {{'kiln.schedule' has unknown argument 'period' for schedule step}}
module attributes {kiln.schedule = {name = "step", step_size = 10.0, gamma = 0.5, period = 3.0}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A schedule argument outside its range: gamma in (0, 1].
// expected-error @+1 {{'kiln.schedule' has gamma = 1.5 outside (0, 1]}}
module attributes {kiln.schedule = {name = "exponential", gamma = 1.5, warmup = 0.0}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A count of updates is a whole number.
// expected-error @+1 {{'kiln.schedule' has warmup = 2.5, not a whole number}}
module attributes {kiln.schedule = {name = "constant", warmup = 2.5}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// The task is one the runtime reports metrics for.
// expected-error @+1 {{'kiln.task' has unknown value "ranking"}}
module attributes {kiln.task = "ranking"} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// The model's name is a string.
// expected-error @+1 {{'kiln.model' expects a string}}
module attributes {kiln.model = 3 : i64} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A tune range of an unknown kind.
// expected-error @+1 {{'kiln.tune' has unknown range kind "normal"}}
module attributes {kiln.tune = [ {name = "lr", kind = "normal", low = 0.0, high = 1.0} ]} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A tune range whose low bound is not below its high bound.
// expected-error @+1 {{'kiln.tune' expects numbers 'low' below 'high'}}
module attributes {kiln.tune = [ {name = "lr", kind = "uniform", low = 0.5, high = 0.1} ]} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A choice among nothing.
// expected-error @+1 {{'kiln.tune' expects a non-empty list of numbers as 'choices'}}
module attributes {kiln.tune = [ {name = "batch", kind = "choice", choices = []} ]} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A health result of an unknown kind.
// expected-error @+1 {{'kiln.health' has unknown result kind "grad_max"}}
module attributes {kiln.health = [ {kind = "grad_max", name = "b", units = 4 : i64, where = "m.kiln:3:5"} ]} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// The configuration sits on the module, not on an op inside it.
module {
  // expected-error @+1 {{'kiln.optimizer' is a module attribute}}
  func.func @f() attributes {kiln.optimizer = {name = "sgd"}} {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A kiln.* attribute the dialect does not declare.
// expected-error @+1 {{'kiln.seed' is not an attribute of the kiln dialect}}
module attributes {kiln.seed = 3 : i64} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A unit for an argument that is not a count of updates.
// expected-error @+1 {{'kiln.schedule' has a unit for 'gamma', which is not a count argument given (step_size, period or warmup)}}
module attributes {kiln.schedule = {name = "exponential", gamma = 0.5, warmup = 0.0, units = {gamma = "run"}}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A unit the runtime does not know.
// expected-error @+1 {{'kiln.schedule' has unit "steps" for 'period' (expected "epochs" or "run")}}
module attributes {kiln.schedule = {name = "cosine", period = 3.0, min_lr = 0.0, warmup = 0.0, units = {period = "steps"}}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// A period in epochs need not be whole, but must be more than none.
// expected-error @+1 {{'kiln.schedule' has period = 0 (in "epochs"), not > 0}}
module attributes {kiln.schedule = {name = "cosine", period = 0.0, min_lr = 0.0, warmup = 0.5, units = {period = "epochs", warmup = "epochs"}}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}

// -----

// Units are a dictionary of argument names.
// expected-error @+1 {{'kiln.schedule' expects 'units' to be a dictionary}}
module attributes {kiln.schedule = {name = "constant", warmup = 0.5, units = "run"}} {
  func.func @f() {
    %b = kiln.param "b" init "zeros" : tensor<4xf32>
    return
  }
}
