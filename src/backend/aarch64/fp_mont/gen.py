#!/usr/bin/env python3
"""Generates the MUL/UMULH Montgomery kernels of src/backend/aarch64/fp_mont.rs (the files
mul.rs and sqr.rs beside this script): `--write` rewrites them, `--check` (the default, run by
scripts/test-aarch64.sh and tests/backend_aarch64_fp.rs) fails when they differ from what this
script generates. Change this script, not single asm lines.

Schedule (operand scanning, CIOS, the accumulator in registers): for each limb b[i], one row
t += a·b[i] and one row t = (t + m·p) / 2^64 with m = t[0]·(−p⁻¹) mod 2^64. AArch64 has one
carry flag, so each row is two carry chains run one after the other: the low halves (MUL) into
t[j], then the high halves (UMULH) into t[j+1]; the operand limbs are loaded in pairs (LDP) two
pairs ahead of their use, once per chain. The low half of m·p[0] is never formed: t[0] + lo(m·p[0])
is 0 mod 2^64 with a carry exactly when t[0] != 0, which `cmp t0, #1` puts in the carry flag.
The accumulator's name rotates with each reduction row instead of moving limbs. The final
conditional subtraction of p runs a borrow chain, turns the borrow into a mask (CSETM) and
subtracts p & mask: no branch and no data-dependent address.

Squaring: see `gen_sqr`.
"""
import sys

N = 16
# Registers. x18 (platform), x19 (LLVM base pointer) and x29 (frame pointer) are left alone.
A, B, P, OUT, INV = "x0", "x1", "x2", "x3", "x4"
T = [f"x{r}" for r in range(5, 18)] + [f"x{r}" for r in range(20, 25)]  # 18 accumulator limbs
M = "x25"  # b[i] during a multiplication row, m during a reduction row, the mask at the end
RING = [("x26", "x27"), ("x28", "x30")]  # operand pairs in flight


def chain():
    """The order of pair loads and pair uses: each pair loaded two pairs ahead."""
    pairs = N // 2
    out = []
    for k in range(min(2, pairs)):
        out.append(("ld", k))
    order = []
    for k in range(pairs):
        order.append(("use", k))
        if k + 2 < pairs:
            order.append(("ld", k + 2))
    return out + order


def emit_loads_and_uses(e, src, use):
    """Runs `use(j, reg)` for every limb j of src, loading pairs two ahead."""
    for op, k in chain():
        r0, r1 = RING[k % 2]
        if op == "ld":
            e(f"ldp {r0}, {r1}, [{src}, #{16 * k}]")
        else:
            use(2 * k, r0)
            use(2 * k + 1, r1)


def reduce_row(e, t, first):
    """t = (t + m·p) / 2^64 with m = t[0]·inv (the caller rotates the names of t)."""
    # -- reduction row: m = t[0]·inv; t = (t + m·p) / 2^64
    e(f"mul {M}, {t[0]}, {INV}")
    e(f"cmp {t[0]}, #1")

    def rlo_use(j, r):
        if j == 0:
            return
        e(f"mul {r}, {r}, {M}")
        e(f"adcs {t[j]}, {t[j]}, {r}")

    emit_loads_and_uses(e, P, rlo_use)
    # (after the first multiplication row t < 2^1088: t[17] is zero, not yet written)
    e(f"adcs {t[16]}, {t[16]}, xzr")
    e(f"adc {t[17]}, {t[17] if not first else 'xzr'}, xzr")

    def rhi_use(j, r):
        e(f"umulh {r}, {r}, {M}")
        e(f"{'adds' if j == 0 else 'adcs'} {t[j + 1]}, {t[j + 1]}, {r}")

    emit_loads_and_uses(e, P, rhi_use)
    e(f"adc {t[17]}, {t[17]}, xzr")


def final(e, t):
    # -- t (t[0..15] and the bit t[16]) < 2p: subtract p when t >= p
    def cmp_use(j, r):
        e(f"{'cmp' if j == 0 else 'sbcs xzr,'} {t[j]}, {r}")

    emit_loads_and_uses(e, P, cmp_use)
    e(f"sbcs xzr, {t[16]}, xzr")
    e(f"csetm {M}, hs")

    def sub_use(j, r):
        e(f"and {r}, {r}, {M}")
        e(f"{'subs' if j == 0 else 'sbcs'} {t[j]}, {t[j]}, {r}")

    emit_loads_and_uses(e, P, sub_use)
    for k in range(N // 2):
        e(f"stp {t[2 * k]}, {t[2 * k + 1]}, [{OUT}, #{16 * k}]")


def emit_stream(e, items, use):
    """Runs `use(k, reg)` for operand k of `items` (a list of (base register, limb index)),
    loading consecutive limbs of one base in pairs (LDP, or LDR for a lone limb), each load
    two groups ahead of its use."""
    groups = []
    k = 0
    while k < len(items):
        base, idx = items[k]
        if k + 1 < len(items) and items[k + 1] == (base, idx + 1):
            groups.append((base, idx, 2, k))
            k += 2
        else:
            groups.append((base, idx, 1, k))
            k += 1

    def load(g):
        base, idx, n, _ = groups[g]
        r0, r1 = RING[g % 2]
        if n == 2:
            e(f"ldp {r0}, {r1}, [{base}, #{8 * idx}]")
        else:
            e(f"ldr {r0}, [{base}, #{8 * idx}]")

    for g in range(min(2, len(groups))):
        load(g)
    for g, (_, _, n, k0) in enumerate(groups):
        for j in range(n):
            use(k0 + j, RING[g % 2][j])
        if g + 2 < len(groups):
            load(g + 2)


def gen_sqr():
    """Montgomery square: the CIOS rows with row i's multiplication limited to the limbs a[i..]:
    a² = Σ a[i]·A[i]·2^(64i) with A[i] = a[i] + 2·Σ_{j>i} a[j]·2^(64(j−i)), whose limbs are
    a[i], then the limbs of d = 2a from d[i+1] (bit 0 cleared: it is a[i]'s top bit) to d[16]
    (0 or 1, so its high product is zero). d is formed once into the buffer at x1 (d[1..16]).
    Row i adds a[i]·A[i]·2^(64i) at the accumulator's positions i..16 (the rows have shifted
    the accumulator by i limbs): 17 − i low and 16 − i high products instead of 16 and 16.
    The partial sums stay below 3p between rows (t[16] <= 2) and the result is the CIOS one
    (t = (a² + m·p) / 2^1024 < 2p with the same m), so the same final subtraction."""
    L = []
    e = L.append
    D = B
    # d[j] = (a[j] << 1) | (a[j−1] >> 63) into buf[j−1], j = 1..16 (d[16] = a[15] >> 63)
    for k in range(N // 2):
        e(f"ldp {T[2 * k]}, {T[2 * k + 1]}, [{A}, #{16 * k}]")
    e(f"lsr {T[16]}, {T[15]}, #63")
    for j in range(N - 1, 0, -1):
        e(f"extr {T[j]}, {T[j]}, {T[j - 1]}, #63")
    for k in range(N // 2):
        e(f"stp {T[2 * k + 1]}, {T[2 * k + 2]}, [{D}, #{16 * k}]")
    t = list(T)
    for i in range(N):
        first = i == 0  # the accumulator is empty
        e(f"ldr {M}, [{A}, #{8 * i}]")
        if i == N - 1:
            # 2^(64·15)·A[15] = a[15]·2^(64·15): one product, its halves in one chain
            e(f"mul {t[17]}, {M}, {M}")
            e(f"umulh {M}, {M}, {M}")
            e(f"adds {t[15]}, {t[15]}, {t[17]}")
            e(f"adcs {t[16]}, {t[16]}, {M}")
            e(f"adc {t[17]}, xzr, xzr")
        else:
            # operand k of A[i], at position i + k: k = 0 is a[i] (in M); k = 1 is
            # buf[i] & ~1; k >= 2 is buf[i + k − 1], the last one (k = 16 − i) d[16] <= 1,
            # whose high product is zero
            items = [(D, i + k - 1) for k in range(1, N + 1 - i)]

            def masked(k, r):
                if k == 1:
                    e(f"and {r}, {r}, #0xfffffffffffffffe")

            # -- low halves into t[i..16]
            if first:
                e(f"mul {t[0]}, {M}, {M}")
            else:
                e(f"mul {t[17]}, {M}, {M}")
                e(f"adds {t[i]}, {t[i]}, {t[17]}")

            def lo_use(k, r):
                masked(k, r)
                if first:
                    e(f"mul {t[k]}, {r}, {M}")
                else:
                    e(f"mul {r}, {r}, {M}")
                    e(f"adcs {t[i + k]}, {t[i + k]}, {r}")

            emit_stream(e, items, lambda j, r: lo_use(j + 1, r))
            if not first:
                e(f"adc {t[17]}, xzr, xzr")
            # -- high halves into t[i+1..16]
            h0 = RING[1][1]  # free until the stream's second load
            e(f"umulh {h0}, {M}, {M}")
            e(f"adds {t[i + 1]}, {t[i + 1]}, {h0}")

            def hi_use(k, r):
                masked(k, r)
                e(f"umulh {r}, {r}, {M}")
                e(f"adcs {t[i + k + 1]}, {t[i + k + 1]}, {r}")

            emit_stream(e, items[:-1], lambda j, r: hi_use(j + 1, r))
            e(f"adc {t[17]}, {'xzr' if first else t[17]}, xzr")
        # (t[17] may be set after any row, the first one included)
        reduce_row(e, t, False)
        t = t[1:] + t[:1]
    final(e, t)
    # d is 2a: wipe it
    for k in range(N // 2):
        e(f"stp xzr, xzr, [{D}, #{16 * k}]")
    return L


def gen_mont(square):
    L = []
    e = L.append
    t = list(T)  # t[0..17] names, rotated after each reduction row
    first = True  # the first row starts from t = 0
    for i in range(N):
        e(f"ldr {M}, [{B if not square else A}, #{8 * i}]")
        # -- multiplication row, low halves: t[j] += lo(a[j]·b[i])
        def lo_use(j, r):
            if first:
                e(f"mul {t[j]}, {r}, {M}")
            else:
                e(f"mul {r}, {r}, {M}")
                e(f"{'adds' if j == 0 else 'adcs'} {t[j]}, {t[j]}, {r}")

        emit_loads_and_uses(e, A, lo_use)
        if not first:
            e(f"adc {t[16]}, {t[16]}, xzr")
        # -- multiplication row, high halves: t[j+1] += hi(a[j]·b[i])
        def hi_use(j, r):
            e(f"umulh {r}, {r}, {M}")
            if first:
                if j == 0:
                    e(f"adds {t[1]}, {t[1]}, {r}")
                elif j < N - 1:
                    e(f"adcs {t[j + 1]}, {t[j + 1]}, {r}")
                else:
                    e(f"adc {t[16]}, {r}, xzr")
            else:
                e(f"{'adds' if j == 0 else 'adcs'} {t[j + 1]}, {t[j + 1]}, {r}")

        emit_loads_and_uses(e, A, hi_use)
        if not first:
            e(f"adc {t[17]}, xzr, xzr")
        reduce_row(e, t, first)
        t = t[1:] + t[:1]
        first = False
    final(e, t)
    return L


REGS = T + [M] + [r for pair in RING for r in pair]

HEADER = """\
// @generated by src/backend/aarch64/fp_mont/gen.py: do not edit; change the generator and run
// `python3 src/backend/aarch64/fp_mont/gen.py --write` (scripts/test-aarch64.sh checks that the
// committed file is what it generates).
"""


def render(name, doc, lines, square):
    args = "a: &[u64; 16]" if square else "a: &[u64; 16], b: &[u64; 16]"
    o = [HEADER, f"\n//! {doc}\n\nuse super::{{P_INV, P_LIMBS}};\n\n"]
    o.append(f"/// {doc}\n/// {len(lines)} instructions, no branch, no data-dependent address.\n")
    o.append("#[inline]\n")
    o.append(f"pub(super) fn {name}({args}) -> [u64; 16] {{\n")
    o.append("    let mut out = [0u64; 16];\n")
    if square:
        o.append("    // 2a (limbs 1..16), formed and wiped by the asm\n")
        o.append("    let mut d = [0u64; 16];\n")
        o.append(
            "    // SAFETY: the asm reads 16 limbs through each of `a` and `P_LIMBS`, reads and writes\n"
            "    // 16 limbs through `d` and writes 16 limbs through `out`, all valid for those sizes;\n"
        )
    else:
        o.append(
            "    // SAFETY: the asm reads 16 limbs through each of `a`, `b` and `P_LIMBS` and writes\n"
            "    // 16 limbs through `out`, all valid for those sizes;\n"
        )
    o.append(
        "    // it touches no other memory and not the stack (`nostack`); every register it modifies\n"
        "    // is declared; MUL/UMULH/ADDS/ADCS/EXTR/LDP/STP/CSETM are base AArch64 instructions.\n"
    )
    o.append("    unsafe {\n        core::arch::asm!(\n")
    o.extend(f'            "{l}",\n' for l in lines)
    o.append('            in("x0") a.as_ptr(),\n')
    if square:
        o.append('            in("x1") d.as_mut_ptr(),\n')
    else:
        o.append('            in("x1") b.as_ptr(),\n')
    o.append('            in("x2") P_LIMBS.as_ptr(),\n')
    o.append('            in("x3") out.as_mut_ptr(),\n')
    o.append('            in("x4") P_INV,\n')
    o.extend(f'            out("{r}") _,\n' for r in REGS)
    o.append("            options(nostack),\n        );\n    }\n    out\n}\n")
    return "".join(o)


KERNELS = {
    "mul": ("mont_mul", "Montgomery product `a·b·2^-1024 mod p` (CIOS, MUL/UMULH).", False),
    "sqr": (
        "mont_sqr",
        "Montgomery square `a²·2^-1024 mod p` (CIOS with halved multiplication rows, MUL/UMULH).",
        True,
    ),
}


def main():
    import os

    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    here = os.path.dirname(os.path.abspath(__file__))
    bad = []
    for file, (name, doc, square) in KERNELS.items():
        lines = gen_sqr() if square else gen_mont(False)
        text = render(name, doc, lines, square)
        path = os.path.join(here, f"{file}.rs")
        if mode == "--write":
            with open(path, "w") as f:
                f.write(text)
        else:
            try:
                cur = open(path).read()
            except OSError:
                cur = None
            if cur != text:
                bad.append(path)
        print(f"{name}: {len(lines)} instructions")
    if bad:
        sys.exit(f"not what {__file__} generates (run it with --write): {' '.join(bad)}")


if __name__ == "__main__":
    main()
