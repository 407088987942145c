//! RFC 6509 parameter set 1 (RFC 6508 Appendix A): p, q, P, g, as compile-time constants.
//!
//! Integers are kept as 16 little-endian 64-bit limbs. The hexadecimal strings below are the
//! RFC's, parsed at compile time; tests re-check them against the shared vector file.

/// Number of 64-bit limbs of a 1024-bit integer.
pub(crate) const LIMBS: usize = 16;
/// Octet length of an F_p element.
pub(crate) const FP_BYTES: usize = 128;

/// Parses a big-endian hexadecimal string of at most 256 digits into limbs (compile time).
pub(crate) const fn hex_limbs(s: &str) -> [u64; LIMBS] {
    let b = s.as_bytes();
    let mut out = [0u64; LIMBS];
    let mut i = 0;
    while i < b.len() {
        // digit i from the right
        let c = b[b.len() - 1 - i];
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("bad hex digit"),
        } as u64;
        out[i / 16] |= v << (4 * (i % 16));
        i += 1;
    }
    out
}

/// The field prime p (1024 bits, p = 3 mod 4).
pub(crate) const P: [u64; LIMBS] = hex_limbs(
    "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB",
);
/// The subgroup order q = (p + 1) / 4 (1022 bits).
pub(crate) const Q: [u64; LIMBS] = hex_limbs(
    "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068BBD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026AA7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB",
);
/// x coordinate of the base point P.
pub(crate) const PX: [u64; LIMBS] = hex_limbs(
    "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBFB5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE8909760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910DD5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895",
);
/// y coordinate of the base point P.
pub(crate) const PY: [u64; LIMBS] = hex_limbs(
    "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B970DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F213515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7",
);
/// g = <P, P>, the F_p representative of the pairing of P with itself.
pub(crate) const G: [u64; LIMBS] = hex_limbs(
    "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BEEE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFAD682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46",
);

/// `-m^-1 mod 2^64` for an odd modulus (Newton iteration, compile time).
pub(crate) const fn mont_inv(m0: u64) -> u64 {
    let mut x: u64 = 1;
    let mut i = 0;
    while i < 7 {
        x = x.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(x)));
        i += 1;
    }
    x.wrapping_neg()
}

const fn geq(a: &[u64; LIMBS], b: &[u64; LIMBS]) -> bool {
    let mut i = LIMBS;
    while i > 0 {
        i -= 1;
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

const fn sub_const(a: &[u64; LIMBS], b: &[u64; LIMBS]) -> [u64; LIMBS] {
    let mut out = [0u64; LIMBS];
    let mut borrow = 0u64;
    let mut i = 0;
    while i < LIMBS {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(borrow);
        out[i] = d2;
        borrow = (b1 | b2) as u64;
        i += 1;
    }
    out
}

/// `2^k mod m` for an m of more than 1000 bits (compile time, by doubling).
pub(crate) const fn pow2_mod(k: usize, m: &[u64; LIMBS]) -> [u64; LIMBS] {
    // start from 2^(64*LIMBS - 64) ... simpler: start at 1 and double k times.
    let mut x = [0u64; LIMBS];
    x[0] = 1;
    let mut i = 0;
    while i < k {
        // x = 2x mod m, x < m < 2^1024
        let top = x[LIMBS - 1] >> 63;
        let mut j = LIMBS - 1;
        while j > 0 {
            x[j] = (x[j] << 1) | (x[j - 1] >> 63);
            j -= 1;
        }
        x[0] <<= 1;
        if top == 1 || geq(&x, m) {
            x = sub_const(&x, m);
        }
        i += 1;
    }
    x
}

/// Montgomery constants of p: R = 2^1024.
pub(crate) const P_INV: u64 = mont_inv(P[0]);
pub(crate) const P_R: [u64; LIMBS] = pow2_mod(1024, &P);
pub(crate) const P_R2: [u64; LIMBS] = pow2_mod(2048, &P);
/// R^3 mod p (turns a safegcd inverse of a Montgomery value back into Montgomery form).
pub(crate) const P_R3: [u64; LIMBS] = pow2_mod(3072, &P);
/// Montgomery constants of q.
pub(crate) const Q_INV: u64 = mont_inv(Q[0]);
pub(crate) const Q_R2: [u64; LIMBS] = pow2_mod(2048, &Q);

/// p - 2 (Fermat inversion exponent).
pub(crate) const P_MINUS_2: [u64; LIMBS] = sub_const(&P, &{
    let mut t = [0u64; LIMBS];
    t[0] = 2;
    t
});
/// q - 2 (Fermat inversion exponent mod q).
pub(crate) const Q_MINUS_2: [u64; LIMBS] = sub_const(&Q, &{
    let mut t = [0u64; LIMBS];
    t[0] = 2;
    t
});
