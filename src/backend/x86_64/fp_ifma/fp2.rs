//! Eight-lane F_p² = F_p(i), i² = −1, on top of the [`FpX8`] kernel; used for SAKKE's pairing
//! values and `g^r` (RFC 6508 works in PF_p = F_p²*/F_p*, an element `a + b·i` being represented
//! by `b/a`).

use core::arch::x86_64::{
    __m512i, _mm512_cmpeq_epi64_mask, _mm512_set1_epi64, _mm512_setzero_si512,
};

use super::{add_k, mul_v, splat_const, sub_k, vmut, vref, FpX8, Limbs, LANES, N, R_MOD_P, V, WIN};

/// Eight elements `re + im·i` of F_p².
#[derive(Clone, Debug)]
pub struct Fp2X8 {
    /// Real part.
    pub re: FpX8,
    /// Imaginary part (coefficient of i).
    pub im: FpX8,
}

#[derive(Clone, Copy)]
pub(super) struct V2 {
    pub(super) re: V,
    pub(super) im: V,
}

/// (a0 + a1 i)(b0 + b1 i) with Karatsuba: three products.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn fp2_mul(a: &V2, b: &V2) -> V2 {
    let t0 = mul_v(&a.re, &b.re);
    let t1 = mul_v(&a.im, &b.im);
    let s = mul_v(&add_k(&a.re, &a.im), &add_k(&b.re, &b.im));
    V2 {
        re: sub_k(&t0, &t1),
        im: sub_k(&sub_k(&s, &t0), &t1),
    }
}

/// (a0 + a1 i)² = (a0 + a1)(a0 − a1) + 2 a0 a1 i: two products.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn fp2_sqr(a: &V2) -> V2 {
    let re = mul_v(&add_k(&a.re, &a.im), &sub_k(&a.re, &a.im));
    let t = mul_v(&a.re, &a.im);
    V2 {
        re,
        im: add_k(&t, &t),
    }
}

/// Constant-time lane-wise table lookup of F_p² entries.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn select2(table: &[V2], idx: __m512i) -> V2 {
    let mut re = [_mm512_setzero_si512(); N];
    let mut im = [_mm512_setzero_si512(); N];
    for (k, t) in table.iter().enumerate() {
        let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(k as i64));
        re = super::blend(m, &re, &t.re);
        im = super::blend(m, &im, &t.im);
    }
    V2 { re, im }
}

/// `base^e` per lane, fixed 4-bit windows, full-table masked selection.
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow2_k(base: &V2, exps: &[[u64; 16]; LANES]) -> V2 {
    let zero = [_mm512_setzero_si512(); N];
    let mut table = [V2 { re: zero, im: zero }; 1 << WIN];
    table[0] = V2 {
        re: splat_const(&R_MOD_P),
        im: zero,
    };
    table[1] = *base;
    for k in 2..(1 << WIN) {
        table[k] = if k % 2 == 0 {
            fp2_sqr(&table[k / 2])
        } else {
            fp2_mul(&table[k - 1], base)
        };
    }
    let windows = 1024 / WIN;
    let mut acc = select2(&table, super::digit_vec(exps, windows - 1));
    for w in (0..windows - 1).rev() {
        for _ in 0..WIN {
            acc = fp2_sqr(&acc);
        }
        let t = select2(&table, super::digit_vec(exps, w));
        acc = fp2_mul(&acc, &t);
    }
    for t in table.iter_mut() {
        *t = V2 { re: zero, im: zero };
    }
    core::hint::black_box(&table);
    acc
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_kernel(o: (&mut Limbs, &mut Limbs), a: (&Limbs, &Limbs), b: (&Limbs, &Limbs)) {
    let r = fp2_mul(
        &V2 {
            re: *vref(a.0),
            im: *vref(a.1),
        },
        &V2 {
            re: *vref(b.0),
            im: *vref(b.1),
        },
    );
    *vmut(o.0) = r.re;
    *vmut(o.1) = r.im;
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn sqr_kernel(o: (&mut Limbs, &mut Limbs), a: (&Limbs, &Limbs)) {
    let r = fp2_sqr(&V2 {
        re: *vref(a.0),
        im: *vref(a.1),
    });
    *vmut(o.0) = r.re;
    *vmut(o.1) = r.im;
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn pow_kernel(o: (&mut Limbs, &mut Limbs), a: (&Limbs, &Limbs), exps: &[[u64; 16]; LANES]) {
    let r = pow2_k(
        &V2 {
            re: *vref(a.0),
            im: *vref(a.1),
        },
        exps,
    );
    *vmut(o.0) = r.re;
    *vmut(o.1) = r.im;
}

/// `num / den` per lane with one Fermat inversion (zero denominators give zero).
#[target_feature(enable = "avx512f,avx512ifma")]
fn ratio_kernel(o: &mut Limbs, num: &Limbs, den: &Limbs) {
    let mut inv = [_mm512_setzero_si512(); N];
    let mut e = super::p_words();
    e[0] -= 2;
    super::pow_public_k(&mut inv, vref(den), &e);
    *vmut(o) = mul_v(&inv, vref(num));
}

impl Fp2X8 {
    /// `re + im·i` per lane.
    pub fn new(re: FpX8, im: FpX8) -> Self {
        Self { re, im }
    }

    /// One in every lane.
    pub fn one(t: super::Ifma) -> Self {
        Self {
            re: FpX8::one(t),
            im: FpX8::zero(t),
        }
    }

    /// Lane-wise product (three F_p products).
    pub fn mul(&self, rhs: &Self) -> Self {
        let t = self.re.token();
        let mut r = Self {
            re: FpX8::zero(t),
            im: FpX8::zero(t),
        };
        // SAFETY: `self` holds an `FpX8`, so avx512f + avx512ifma were detected.
        unsafe {
            mul_kernel(
                (&mut r.re.v, &mut r.im.v),
                (&self.re.v, &self.im.v),
                (&rhs.re.v, &rhs.im.v),
            )
        };
        r
    }

    /// Lane-wise square (two F_p products).
    pub fn square(&self) -> Self {
        let t = self.re.token();
        let mut r = Self {
            re: FpX8::zero(t),
            im: FpX8::zero(t),
        };
        // SAFETY: `self` holds an `FpX8`, so avx512f + avx512ifma were detected.
        unsafe { sqr_kernel((&mut r.re.v, &mut r.im.v), (&self.re.v, &self.im.v)) };
        r
    }

    /// Lane-wise sum.
    pub fn add(&self, rhs: &Self) -> Self {
        Self {
            re: self.re.add(&rhs.re),
            im: self.im.add(&rhs.im),
        }
    }

    /// Lane-wise difference.
    pub fn sub(&self, rhs: &Self) -> Self {
        Self {
            re: self.re.sub(&rhs.re),
            im: self.im.sub(&rhs.im),
        }
    }

    /// Lane-wise conjugate `re − im·i` (the p-th power Frobenius).
    pub fn conj(&self) -> Self {
        Self {
            re: self.re.clone(),
            im: self.im.neg(),
        }
    }

    /// Lane `l` from `b` where bit `l` of `mask` is set, else from `a` (constant time).
    pub fn select(a: &Self, b: &Self, mask: u8) -> Self {
        Self {
            re: FpX8::select(&a.re, &b.re, mask),
            im: FpX8::select(&a.im, &b.im, mask),
        }
    }

    /// Per-lane equality mask.
    pub fn ct_eq(&self, rhs: &Self) -> u8 {
        self.re.ct_eq(&rhs.re) & self.im.ct_eq(&rhs.im)
    }

    /// `self^e` per lane with a secret 1024-bit exponent per lane, constant time (fixed 4-bit
    /// windows, full-table masked selection).
    pub fn pow_x8(&self, exps: &[[u64; 16]; LANES]) -> Self {
        let t = self.re.token();
        let mut r = Self {
            re: FpX8::zero(t),
            im: FpX8::zero(t),
        };
        // SAFETY: `self` holds an `FpX8`, so avx512f + avx512ifma were detected.
        unsafe { pow_kernel((&mut r.re.v, &mut r.im.v), (&self.re.v, &self.im.v), exps) };
        r
    }

    /// The PF_p representative `im / re` per lane (RFC 6508 §2.1), with one lane-wise Fermat
    /// inversion; a zero real part gives zero. For many values use [`FpX8::batch_invert`] on the
    /// real parts and multiply instead.
    pub fn im_over_re(&self) -> FpX8 {
        let mut r = FpX8::zero(self.re.token());
        // SAFETY: `self` holds an `FpX8`, so avx512f + avx512ifma were detected.
        unsafe { ratio_kernel(&mut r.v, &self.im.v, &self.re.v) };
        r
    }
}

/// Windows of a [`PfpCombX8`] (4-bit digits of 1024-bit exponents).
const PF_WINDOWS: usize = 1024 / WIN;
/// Entries per window (digit 0 is the identity and needs no entry).
const PF_ENTRIES: usize = 1 << WIN;

/// Fixed-base exponentiation in PF_p = F_p²*/F_p* for a base shared by all lanes, such as a KMS's
/// pairing value g of RFC 6508: window `w` holds `g^(d·16^w)`, d = 1..15, each normalised to the
/// form `1 + x·i` and stored as the single F_p value `x` (Montgomery form, canonical), 600 KB in
/// all. Multiplying by `1 + x·i` costs two F_p products, and digit 0 is `x = 0` (the identity),
/// so an evaluation is 256 such steps with no squaring and no exceptional case; every entry of a
/// window is read (masked broadcasts) whatever the digit. The base and the table are public.
#[derive(Clone)]
pub struct PfpCombX8 {
    token: super::Ifma,
    /// `table[w * 16 + d]`: limbs of x for `g^(d·16^w) ~ 1 + x·i`; d = 0 entries are zero.
    table: Vec<[u64; N]>,
}

impl core::fmt::Debug for PfpCombX8 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PfpCombX8 { .. }")
    }
}

/// acc · (1 + x·i) = (a − b·x) + (a·x + b)·i.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul_by_normalised(acc: &V2, x: &V) -> V2 {
    let bx = mul_v(&acc.im, x);
    let ax = mul_v(&acc.re, x);
    V2 {
        re: sub_k(&acc.re, &bx),
        im: add_k(&ax, &acc.im),
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn pf_comb_kernel(o: (&mut Limbs, &mut Limbs), table: &[[u64; N]], exps: &[[u64; 16]; LANES]) {
    use core::arch::x86_64::_mm512_mask_mov_epi64;
    let zero = [_mm512_setzero_si512(); N];
    let mut acc = V2 {
        re: splat_const(&R_MOD_P),
        im: zero,
    };
    for w in 0..PF_WINDOWS {
        let idx = super::digit_vec(exps, w);
        let mut x = zero;
        for d in 1..PF_ENTRIES {
            let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(d as i64));
            let e = &table[w * PF_ENTRIES + d];
            for j in 0..N {
                x[j] = _mm512_mask_mov_epi64(x[j], m, _mm512_set1_epi64(e[j] as i64));
            }
        }
        acc = mul_by_normalised(&acc, &x);
    }
    *vmut(o.0) = acc.re;
    *vmut(o.1) = acc.im;
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn canonical_kernel(o: &mut Limbs, a: &Limbs) {
    *vmut(o) = super::canonical(vref(a));
}

impl PfpCombX8 {
    /// Precomputes the comb of the PF_p element represented by `g` (canonical little-endian
    /// words, `< p`), i.e. of `1 + g·i`. [`crate::Error::InvalidParameter`] if `g >= p` or if a
    /// table entry cannot be normalised (a zero real part; does not happen for SAKKE's g).
    pub fn new(t: super::Ifma, g: &[u64; 16]) -> crate::Result<Self> {
        let gi = FpX8::splat(t, g)?;
        let mut cur = Fp2X8::new(FpX8::one(t), gi);
        // g^(16^w) for every window, from lane 0.
        let mut gw: Vec<([u64; N], [u64; N])> = Vec::with_capacity(PF_WINDOWS);
        for w in 0..PF_WINDOWS {
            gw.push((super::lane_limbs(&cur.re, 0), super::lane_limbs(&cur.im, 0)));
            if w + 1 < PF_WINDOWS {
                for _ in 0..WIN {
                    cur = cur.square();
                }
            }
        }
        // Eight windows per batch, one per lane; powers 1..15, then x = im/re in one batch.
        let mut res: Vec<FpX8> = Vec::with_capacity(PF_WINDOWS / LANES * (PF_ENTRIES - 1));
        let mut ims: Vec<FpX8> = Vec::with_capacity(res.capacity());
        for grp in 0..PF_WINDOWS / LANES {
            let mut base = Fp2X8::one(t);
            for l in 0..LANES {
                let (re, im) = &gw[grp * LANES + l];
                super::set_lane_limbs(&mut base.re, l, re);
                super::set_lane_limbs(&mut base.im, l, im);
            }
            let mut m = base.clone();
            for _ in 1..PF_ENTRIES {
                res.push(m.re.clone());
                ims.push(m.im.clone());
                m = m.mul(&base);
            }
        }
        if res.iter().any(|r| r.is_zero() != 0) {
            return Err(crate::Error::InvalidParameter);
        }
        FpX8::batch_invert(&mut res);
        let mut table = vec![[0u64; N]; PF_WINDOWS * PF_ENTRIES];
        for grp in 0..PF_WINDOWS / LANES {
            for d in 1..PF_ENTRIES {
                let k = grp * (PF_ENTRIES - 1) + (d - 1);
                let x = res[k].mul(&ims[k]);
                let mut c = FpX8::zero(t);
                // SAFETY: `t` proves avx512f + avx512ifma are available.
                unsafe { canonical_kernel(&mut c.v, &x.v) };
                for l in 0..LANES {
                    table[(grp * LANES + l) * PF_ENTRIES + d] = super::lane_limbs(&c, l);
                }
            }
        }
        Ok(Self { token: t, table })
    }

    /// `g^e` per lane for secret 1024-bit exponents, constant time, as an F_p² value whose PF_p
    /// representative is [`Fp2X8::im_over_re`] (or, for many, a batched inversion of `re`).
    pub fn pow_x8(&self, exps: &[[u64; 16]; LANES]) -> Fp2X8 {
        let t = self.token;
        let mut r = Fp2X8::new(FpX8::zero(t), FpX8::zero(t));
        // SAFETY: `self.token` proves avx512f + avx512ifma are available.
        unsafe { pf_comb_kernel((&mut r.re.v, &mut r.im.v), &self.table, exps) };
        r
    }
}

/// One stored entry of a [`PfpSplitX8`]: x for eight windows (lane `l`: window `32·l + k`),
/// limb-major like [`FpX8`].
#[derive(Clone)]
#[repr(C, align(64))]
struct PfSplitEntry([u64; N * LANES]);

/// The entry as N vectors.
#[inline(always)]
fn pf_entry_v(e: &PfSplitEntry) -> &V {
    // SAFETY: `PfSplitEntry` is `repr(C, align(64))` over 20·8 u64 = 1280 bytes, the size of
    // 20 `__m512i`, with the 64-byte alignment they need; every bit pattern is valid.
    unsafe { &*(e as *const PfSplitEntry as *const V) }
}

/// Fixed-base exponentiation in PF_p of ONE secret exponent with the work spread over the
/// eight lanes (the PF_p counterpart of [`super::SplitCombX8`]): signed 4-bit digits, window
/// `w` holding `g^(|d|·16^w) ~ 1 + x·i` for |d| = 1..8 (a negative digit uses the conjugate
/// `1 − x·i`, the inverse in PF_p), the table stored transposed (entry for step `k` and |d|:
/// lane `l` holds window `32·l + k`; 327 KB). Lane `l` multiplies its 32 windows (two F_p
/// products per step; digit 0 is `x = 0`, the identity, so no exceptional case), then the
/// eight partial products are merged by three lane-swap products. The base and the table are
/// public; the exponent is secret.
#[derive(Clone)]
pub struct PfpSplitX8 {
    token: super::Ifma,
    /// `table[k * 8 + (|d| − 1)]`.
    table: Vec<PfSplitEntry>,
}

impl core::fmt::Debug for PfpSplitX8 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PfpSplitX8 { .. }")
    }
}

/// Lane `l` of the result is lane `l ^ sh` of `a`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn swap_lanes2(a: &V2, sh: i64) -> V2 {
    use core::arch::x86_64::{_mm512_permutexvar_epi64, _mm512_set_epi64};
    let idx = _mm512_set_epi64(7 ^ sh, 6 ^ sh, 5 ^ sh, 4 ^ sh, 3 ^ sh, 2 ^ sh, 1 ^ sh, sh);
    let perm = |v: &V| -> V { core::array::from_fn(|j| _mm512_permutexvar_epi64(idx, v[j])) };
    V2 {
        re: perm(&a.re),
        im: perm(&a.im),
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn pf_split_kernel(
    o: (&mut Limbs, &mut Limbs),
    table: &[PfSplitEntry],
    d: &[i8; super::point::SPLIT_WINDOWS],
) {
    use core::arch::x86_64::_mm512_mask_mov_epi64;
    let zero = [_mm512_setzero_si512(); N];
    let mut acc = V2 {
        re: splat_const(&R_MOD_P),
        im: zero,
    };
    let stored = super::point::SPLIT_STORED;
    for (k, block) in table
        .chunks_exact(stored)
        .enumerate()
        .take(super::point::SPLIT_STEPS)
    {
        let (idx, neg) = super::point::split_digits(d, k);
        let mut x = zero;
        for (i, e) in block.iter().enumerate() {
            let m = _mm512_cmpeq_epi64_mask(idx, _mm512_set1_epi64(i as i64 + 1));
            let ev = pf_entry_v(e);
            for j in 0..N {
                x[j] = _mm512_mask_mov_epi64(x[j], m, ev[j]);
            }
        }
        let x = super::blend(neg, &x, &sub_k(&zero, &x));
        acc = mul_by_normalised(&acc, &x);
    }
    for sh in [4, 2, 1] {
        acc = fp2_mul(&acc, &swap_lanes2(&acc, sh));
    }
    *vmut(o.0) = acc.re;
    *vmut(o.1) = acc.im;
}

impl PfpSplitX8 {
    /// Precomputes the split comb of the PF_p element represented by `g` (canonical
    /// little-endian words, `< p`), i.e. of `1 + g·i`. [`crate::Error::InvalidParameter`] if
    /// `g >= p` or if a table entry cannot be normalised (a zero real part; does not happen for
    /// SAKKE's g).
    pub fn new(t: super::Ifma, g: &[u64; 16]) -> crate::Result<Self> {
        use super::point::{SPLIT_STEPS, SPLIT_STORED, SPLIT_WIN};
        let gi = FpX8::splat(t, g)?;
        let g1 = Fp2X8::new(FpX8::one(t), gi);
        // Lane l starts at g^(16^(32·l)): lane 0 of `cur` walks up, each start copied in.
        let mut starts = g1.clone();
        let mut cur = g1;
        for l in 1..LANES {
            for _ in 0..SPLIT_STEPS * SPLIT_WIN {
                cur = cur.square();
            }
            super::set_lane_limbs(&mut starts.re, l, &super::lane_limbs(&cur.re, 0));
            super::set_lane_limbs(&mut starts.im, l, &super::lane_limbs(&cur.im, 0));
        }
        let mut res: Vec<FpX8> = Vec::with_capacity(SPLIT_STEPS * SPLIT_STORED);
        let mut ims: Vec<FpX8> = Vec::with_capacity(res.capacity());
        let mut base = starts;
        for k in 0..SPLIT_STEPS {
            let mut m = base.clone();
            for _ in 0..SPLIT_STORED {
                res.push(m.re.clone());
                ims.push(m.im.clone());
                m = m.mul(&base);
            }
            if k + 1 < SPLIT_STEPS {
                for _ in 0..SPLIT_WIN {
                    base = base.square();
                }
            }
        }
        if res.iter().any(|r| r.is_zero() != 0) {
            return Err(crate::Error::InvalidParameter);
        }
        FpX8::batch_invert(&mut res);
        let mut table = Vec::with_capacity(res.len());
        for (ri, im) in res.iter().zip(ims.iter()) {
            let x = ri.mul(im);
            let mut c = FpX8::zero(t);
            // SAFETY: `t` proves avx512f + avx512ifma are available.
            unsafe { canonical_kernel(&mut c.v, &x.v) };
            table.push(PfSplitEntry(c.v.0));
        }
        Ok(Self { token: t, table })
    }

    /// Bytes of precomputed table.
    pub fn table_bytes(&self) -> usize {
        self.table.len() * core::mem::size_of::<PfSplitEntry>()
    }

    /// `g^e` for one secret exponent `e < q` (16 little-endian words), constant time, as an
    /// F_p² value (every lane the same) whose PF_p representative is [`Fp2X8::im_over_re`].
    /// [`crate::Error::InvalidParameter`] if `e >= q`.
    pub fn pow(&self, e: &[u64; 16]) -> crate::Result<Fp2X8> {
        use zeroize::Zeroize;
        if super::point::lt_q(e) != 1 {
            return Err(crate::Error::InvalidParameter);
        }
        let t = self.token;
        let mut d = super::point::recode_split(e);
        let mut r = Fp2X8::new(FpX8::zero(t), FpX8::zero(t));
        // SAFETY: `self.token` proves avx512f + avx512ifma are available.
        unsafe { pf_split_kernel((&mut r.re.v, &mut r.im.v), &self.table, &d) };
        d.zeroize();
        Ok(r)
    }
}
