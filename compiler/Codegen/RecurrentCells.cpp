//===- RecurrentCells.cpp - Recurrent cells: forward scan and backward ----===//
//
// Forward: S(j, b, t) for t in [0, T] holds, for hidden unit j of sample b
// after step t, the G recurrent accumulators a_g (without bias) and the
// cell state ({h}, or {c, h} for lstm); t = 0 is the zero initial state.
// Step t first adds weight(g*H + j, k) * h_{t-1}(k) for k < H, K terms per
// update (a block of terms, kb = k / K), then (kb = H / K) applies the cell.
// Only the update reads S at another j, and only at step t - 1. A block of
// terms in one update lets a schedule keep the accumulators in registers for
// K terms: an update loads and stores its value once.
//
// The forward kernel also gives `saved`: S's components but the last (h,
// which is the hidden states' result) at every step t >= 1.
//
// Backward: D(j, b, t) for t in [1, T + 1] holds {the recurrent part of
// dL/dh_t, the carry to step t - 1, da_g for each gate, and for gru dx of
// the candidate gate}; t = T + 1 is zero. Step t (running from T down)
// first adds sum_g weight(g*H + k, j) * da_g(k) of step t + 1, K terms k
// per update (summed per gate, then added: G independent sums), then
// applies the cell's derivative, reading S at t and t - 1 from the forward
// kernel's two results.
//
//===----------------------------------------------------------------------===//
#include "Codegen/RecurrentCells.h"

#include <cassert>
#include <functional>

using namespace Halide;

namespace kiln {
namespace {

/// The values one step of a cell sees, per gate and per state component.
struct StepValues {
  std::vector<Expr> x;     // input pre-activation of each gate
  std::vector<Expr> a;     // recurrent pre-activation of each gate (bias included)
  std::vector<Expr> prev;  // state before the step: {h} or {c, h}
  std::vector<Expr> state; // state after the step
};

/// What one step of backpropagation gives.
struct StepGrads {
  Expr carry;             // to the step before, besides the recurrent product
  std::vector<Expr> dx;   // per gate, dL/dx
  std::vector<Expr> da;   // per gate, dL/da
};

Expr sigmoid(Expr x) { return 1 / (1 + exp(-x)); }
// Halide's tanh is a scalar libm call per vector lane; exp is inlined.
Expr tanhExp(Expr x) { return 2 / (1 + exp(-2 * x)) - 1; }

/// lstm's gates after their activations: {i, f, g, o}.
std::vector<Expr> lstmGates(const StepValues &v) {
  return {sigmoid(v.x[0] + v.a[0]), sigmoid(v.x[1] + v.a[1]), tanhExp(v.x[2] + v.a[2]),
          sigmoid(v.x[3] + v.a[3])};
}

/// gru's gates after their activations: {r, z, n}.
std::vector<Expr> gruGates(const StepValues &v) {
  Expr r = sigmoid(v.x[0] + v.a[0]);
  return {r, sigmoid(v.x[1] + v.a[1]), tanhExp(v.x[2] + r * v.a[2])};
}

/// A cell: gate count, state size, one forward step and its derivative.
/// `dh` is dL/dh_t from the step's output and from the recurrent product;
/// `carry` is what step t + 1 passed back.
struct CellRule {
  const char *name;
  int gates;
  int stateSize;
  /// The gate whose input gradient differs from its recurrent one, or -1.
  int candidate;
  std::vector<Expr> (*step)(const StepValues &v);
  StepGrads (*stepGrad)(const StepValues &v, Expr dh, Expr carry);
};

const CellRule kCells[] = {
    // h = tanh(x + a)
    {"rnn", 1, 1, -1,
     [](const StepValues &v) { return std::vector<Expr>{tanhExp(v.x[0] + v.a[0])}; },
     [](const StepValues &v, Expr dh, Expr) {
       Expr h = v.state[0];
       Expr dz = dh * (1 - h * h);
       return StepGrads{cast(dz.type(), 0), {dz}, {dz}};
     }},
    // i, f, o = sigmoid, g = tanh; c = f c_prev + i g; h = o tanh(c)
    {"lstm", 4, 2, -1,
     [](const StepValues &v) {
       std::vector<Expr> gates = lstmGates(v);
       Expr c = gates[1] * v.prev[0] + gates[0] * gates[2];
       return std::vector<Expr>{c, gates[3] * tanhExp(c)};
     },
     [](const StepValues &v, Expr dh, Expr carry) {
       std::vector<Expr> gates = lstmGates(v);
       Expr i = gates[0], f = gates[1], g = gates[2], o = gates[3];
       Expr tc = tanhExp(v.state[0]);
       Expr dc = carry + dh * o * (1 - tc * tc);
       std::vector<Expr> dz = {dc * g * i * (1 - i), dc * v.prev[0] * f * (1 - f),
                               dc * i * (1 - g * g), dh * tc * o * (1 - o)};
       return StepGrads{dc * f, dz, dz};
     }},
    // r, z = sigmoid; n = tanh(x_n + r a_n); h = (1 - z) n + z h_prev
    {"gru", 3, 1, 2,
     [](const StepValues &v) {
       std::vector<Expr> gates = gruGates(v);
       Expr z = gates[1], n = gates[2];
       return std::vector<Expr>{(1 - z) * n + z * v.prev[0]};
     },
     [](const StepValues &v, Expr dh, Expr carry) {
       std::vector<Expr> gates = gruGates(v);
       Expr r = gates[0], z = gates[1], n = gates[2];
       Expr total = dh + carry;
       Expr dn = total * (1 - z) * (1 - n * n);
       Expr dr = dn * v.a[2] * r * (1 - r);
       Expr dz = total * (v.prev[0] - n) * z * (1 - z);
       return StepGrads{total * z, {dr, dz, dn}, {dr, dz, dn * r}};
     }},
};

const CellRule &cellRule(const std::string &name) {
  for (const CellRule &c : kCells)
    if (name == c.name)
      return c;
  assert(false && "kiln.recurrent verifier admits only known cells");
  return kCells[0];
}

/// Terms of the recurrent product per update at most (a divisor of a block
/// of units): the weights of every gate's terms (16 vectors for an LSTM)
/// stay in registers while 4 samples use them. With 8, an LSTM's backward
/// scan was a quarter slower (its 32 weight vectors did not fit), a GRU's no
/// faster.
constexpr int kMaxTermsPerUpdate = 4;

/// Hidden units per block of the scan's domain: the largest of 16, 8, 4, 2
/// (or 1) that divides H.
int blockOf(int units) {
  for (int b : {16, 8, 4, 2})
    if (units % b == 0)
      return b;
  return 1;
}

/// The domain of a scan over `steps` steps, in the layout KernelFuncs::Scan
/// describes, and what it stands for: the hidden unit, whether the update
/// adds terms (else it applies the cell), the first of its `terms` terms
/// (clamped in bounds for the cell's update) and the step (`reverse`: steps
/// from the last to the first, numbered 1..T either way).
struct ScanDomain {
  RDom r;
  Expr unit, isProduct, firstTerm, step;
  int block, terms;
  Expr lane() const { return r[0]; }      // the unit within its block
  Expr unitBlock() const { return r[2]; } // the block
};

/// The recurrent weights a scan multiplies, w(g, unit, k) for gate g, hidden
/// unit `unit` and term k, packed so that a block of units is next to each
/// other for every gate and k: packed(lane, g, k, unit block), a block's
/// weights one contiguous run that the scan reads in order (read in place,
/// they were a cache line per gate and term, a page apart for large H).
/// Computed in full.
Func packedByUnitBlock(const std::function<Expr(Expr, Expr, Expr)> &w, int block,
                       const std::string &name, KernelFuncs &funcs) {
  Var lane("lane"), g("g"), k("k"), blk("blk");
  Func packed(name);
  packed(lane, g, k, blk) = w(g, blk * block + lane, k);
  funcs.roots.push_back(packed);
  return packed;
}

ScanDomain scanDomain(const RecurrentOperands &op, bool reverse, const std::string &name) {
  int block = blockOf(op.units), terms = std::min(block, kMaxTermsPerUpdate);
  int termBlocks = op.units / terms;
  RDom r(0, block, 0, termBlocks + 1, 0, op.units / block, reverse ? 0 : 1, op.steps, name);
  Expr step = reverse ? op.steps - r[3] : Expr(r[3]);
  Expr unit = r[2] * block + r[0];
  Expr isProduct = r[1] < termBlocks, firstTerm = min(r[1], termBlocks - 1) * terms;
  return {r, unit, isProduct, firstTerm, step, block, terms};
}

/// What step `step` of sample b (clamped: n) sees at hidden unit `unit`,
/// read from the forward scan S.
StepValues stepValues(const RecurrentOperands &op, const CellRule &cell, Func S, Expr unit,
                      Expr b, Expr step, Expr n) {
  int G = cell.gates, H = op.units;
  StepValues v;
  for (int g = 0; g < G; ++g) {
    v.x.push_back(op.input(g * H + unit, step - 1, n));
    v.a.push_back(S(unit, b, step)[g] + op.bias(g * H + unit));
  }
  for (int s = 0; s < cell.stateSize; ++s) {
    v.prev.push_back(S(unit, b, step - 1)[G + s]);
    v.state.push_back(S(unit, b, step)[G + s]);
  }
  return v;
}

std::vector<Expr> zeros(Type type, int n) { return std::vector<Expr>(n, cast(type, 0)); }

/// The forward scan S described at the top of this file.
Func forwardScan(const RecurrentOperands &op, const CellRule &cell, KernelFuncs &funcs) {
  int G = cell.gates, H = op.units;
  Var j("j"), b("b"), t("t");
  Func S(op.name + "_states");
  S(j, b, t) = Tuple(zeros(op.type, G + cell.stateSize));

  ScanDomain d = scanDomain(op, false, op.name + "_r");
  Expr n = clamp(b, 0, op.batch - 1);
  Func weight =
      packedByUnitBlock([&](Expr g, Expr unit, Expr k) { return op.weight(g * H + unit, k); },
                        d.block, op.name + "_weight_packed", funcs);
  std::vector<Expr> next = cell.step(stepValues(op, cell, S, d.unit, b, d.step, n));

  // `likely` on the product's value lets Halide peel the cell (the last
  // update) off the product loop.
  std::vector<Expr> values;
  for (int g = 0; g < G; ++g) {
    Expr acc = S(d.unit, b, d.step)[g];
    for (int q = 0; q < d.terms; ++q) {
      Expr k = d.firstTerm + q;
      Expr hPrev = S(k, b, d.step - 1)[G + cell.stateSize - 1];
      acc = acc + weight(d.lane(), g, k, d.unitBlock()) * hPrev;
    }
    values.push_back(select(d.isProduct, likely(acc), S(d.unit, b, d.step)[g]));
  }
  for (int s = 0; s < cell.stateSize; ++s)
    values.push_back(select(d.isProduct, likely(S(d.unit, b, d.step)[G + s]), next[s]));
  S(d.unit, b, d.step) = Tuple(values);
  funcs.scans.push_back({S, d.r, d.block, op.batch});
  return S;
}

/// f(m, t, n) over `count` * H columns: column m = c*H + j of step t is
/// component(c, j, t, n). Exactly those columns from 0: a vector of columns
/// then lies in one component and reads whole vectors (with the output
/// buffer's dynamic min, each column's component and unit were computed per
/// lane: gathers).
Func componentColumns(int count, int units,
                      const std::function<Expr(int, Expr, Expr, Expr)> &component,
                      const std::string &name) {
  Var m("m"), t("t"), n("n");
  Expr c = m / units, unit = m % units;
  Expr value = component(count - 1, unit, t, n);
  for (int k = count - 2; k >= 0; --k)
    value = select(c == k, component(k, unit, t, n), value);
  Func f(name);
  f(m, t, n) = value;
  f.bound(m, 0, count * units);
  return f;
}

/// The forward scan's values S(j, b, t) rebuilt from the forward kernel's
/// results: `saved` holds every component but the last, `hidden` the last;
/// step 0 is the zero initial state.
Func savedScan(const RecurrentOperands &op, const CellRule &cell, Func hidden, Func saved) {
  int H = op.units, count = cell.gates + cell.stateSize - 1;
  Var j("j"), b("b"), t("t");
  Expr n = clamp(b, 0, op.batch - 1), before = max(t - 1, 0), first = t == 0;
  std::vector<Expr> values;
  for (int c = 0; c < count; ++c)
    values.push_back(select(first, cast(op.type, 0), saved(c * H + j, before, n)));
  values.push_back(select(first, cast(op.type, 0), hidden(j, before, n)));
  Func S(op.name + "_saved_states");
  S(j, b, t) = Tuple(values);
  return S;
}

} // namespace

std::pair<Func, Func> lowerRecurrent(const RecurrentOperands &op, KernelFuncs &funcs) {
  const CellRule &cell = cellRule(op.cell);
  Func S = forwardScan(op, cell, funcs);
  funcs.anchor = KernelFuncs::Anchor::Scan;
  Var j("j"), t("t"), n("n");
  Func hs(op.name);
  hs(j, t, n) = S(j, n, t + 1)[cell.gates + cell.stateSize - 1];
  Func saved = componentColumns(
      cell.gates + cell.stateSize - 1, op.units,
      [&](int c, Expr unit, Expr step, Expr sample) { return S(unit, sample, step + 1)[c]; },
      op.name + "_saved");
  return {hs, saved};
}

std::pair<Func, Func> lowerRecurrentGrad(const RecurrentOperands &op, Func grad, Func hidden,
                                         Func saved, KernelFuncs &funcs) {
  const CellRule &cell = cellRule(op.cell);
  int G = cell.gates, H = op.units;
  Func S = savedScan(op, cell, hidden, saved);

  // The weight transposed, weightT(j, m), so that the backward product
  // reads it along j.
  Var j("j"), b("b"), t("t"), m("m");
  Func block(op.name + "_weight_t_block");
  block(m, j) = op.weight(m, j);
  Func weightT = funcs.transposeOf(block, op.name + "_weight_t", {H, G * H});

  int components = 2 + G + (cell.candidate >= 0 ? 1 : 0);
  Func D(op.name + "_bptt");
  D(j, b, t) = Tuple(zeros(op.type, components));
  ScanDomain d = scanDomain(op, true, op.name + "_rb");
  Expr n = clamp(b, 0, op.batch - 1);
  Func packedT =
      packedByUnitBlock([&](Expr g, Expr unit, Expr k) { return weightT(unit, g * H + k); },
                        d.block, op.name + "_weight_t_packed", funcs);
  Expr u = d.unit, step = d.step;

  Expr recurrent = D(u, b, step)[0];
  Expr sum = recurrent;
  for (int g = 0; g < G; ++g) {
    Expr gate;
    for (int q = 0; q < d.terms; ++q) {
      Expr k = d.firstTerm + q;
      Expr term = packedT(d.lane(), g, k, d.unitBlock()) * D(k, b, step + 1)[2 + g];
      gate = gate.defined() ? gate + term : term;
    }
    sum = sum + gate;
  }

  StepGrads sg = cell.stepGrad(stepValues(op, cell, S, u, b, step, n),
                               recurrent + grad(u, step - 1, n), D(u, b, step + 1)[1]);

  std::vector<Expr> finished = {recurrent, sg.carry};
  finished.insert(finished.end(), sg.da.begin(), sg.da.end());
  if (cell.candidate >= 0)
    finished.push_back(sg.dx[cell.candidate]);
  std::vector<Expr> values = {select(d.isProduct, likely(sum), recurrent)};
  for (int c = 1; c < components; ++c)
    values.push_back(select(d.isProduct, likely(D(u, b, step)[c]), finished[c]));
  D(u, b, step) = Tuple(values);
  funcs.scans.push_back({D, d.r, d.block, op.batch});
  funcs.anchor = KernelFuncs::Anchor::Scan;

  // Gate column m = g*H + j of step t reads component 2 + g of D at t + 1
  // (the candidate's input gradient: the last component).
  auto gateColumns = [&](bool input, const std::string &name) {
    return componentColumns(
        G, H,
        [&](int g, Expr unit, Expr step, Expr sample) {
          int c = input && g == cell.candidate ? components - 1 : 2 + g;
          return D(unit, sample, step + 1)[c];
        },
        name);
  };
  return {gateColumns(true, op.name + "_dinput"), gateColumns(false, op.name + "_drecurrent")};
}

} // namespace kiln
