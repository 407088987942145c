//! RFC 6508 Appendix A, step by step: Z, K_(b,S), RSK validation, r, R, g^r, mask, H, the
//! encapsulated data, w = <R, K>, the decapsulated SSV; and g = <P, P>.
use prose_sec::sakke::{self, __internal as t, DecapsulationKey, KmsPublic, KmsSecret, Rsk, Ssv};
use prose_sec::Error;

// RFC 6508 Appendix A / RFC 6509 parameter set 1 values (from the RFC text, cross-checked in
// /work/shared/vectors/rfc6507_6508.json).
const P_HEX: &str = "997ABB1F0A563FDA65C61198DAD0657A416C0CE19CB48261BE9AE358B3E01A2EF40AAB27E2FC0F1B228730D531A59CB0E791B39FF7C88A19356D27F4A666A6D0E26C6487326B4CD4512AC5CD65681CE1B6AFF4A831852A82A7CF3C521C3C09AA9F94D6AF56971F1FFCE3E82389857DB080C5DF10AC7ACE87666D807AFEA85FEB";
const Q_HEX: &str = "265EAEC7C2958FF69971846636B4195E905B0338672D20986FA6B8D62CF8068BBD02AAC9F8BF03C6C8A1CC354C69672C39E46CE7FDF222864D5B49FD2999A9B4389B1921CC9AD335144AB173595A07386DABFD2A0C614AA0A9F3CF14870F026AA7E535ABD5A5C7C7FF38FA08E2615F6C203177C42B1EB3A1D99B601EBFAA17FB";
const PX: &str = "53FC09EE332C29AD0A7990053ED9B52A2B1A2FD60AEC69C698B2F204B6FF7CBFB5EDB6C0F6CE2308AB10DB9030B09E1043D5F22CDB9DFA55718BD9E7406CE8909760AF765DD5BCCB337C86548B72F2E1A702C3397A60DE74A7C1514DBA66910DD5CFB4CC80728D87EE9163A5B63F73EC80EC46C4967E0979880DC8ABEAE63895";
const PY: &str = "0A8249063F6009F1F9F1F0533634A135D3E82016029906963D778D821E141178F5EA69F4654EC2B9E7F7F5E5F0DE55F66B598CCF9A140B2E416CFF0CA9E032B970DAE117AD547C6CCAD696B5B7652FE0AC6F1E80164AA989492D979FC5A4D5F213515AD7E9CB99A980BDAD5AD5BB4636ADB9B5706A67DCDE75573FD71BEF16D7";
const G: &str = "66FC2A432B6EA392148F15867D623068C6A87BD1FB94C41E27FABE658E015A87371E94744C96FEDA449AE9563F8BC446CBFDA85D5D00EF577072DA8F541721BEEE0FAED1828EAB90B99DFB0138C7843355DF0460B4A9FD74B4F1A32BCAFA1FFAD682C033A7942BCCE3720F20B9B7B0403C8CAE87B7A0042ACDE0FAB36461EA46";
const Z_SECRET: &str = "AFF429D35F84B110D094803B3595A6E2998BC99F";
const Z_UPPER: &str = "045958EF1B1679BF099B3A030DF255AA6A23C1D8F143D4D23F753E69BD27A832F38CB4AD53DDEF4260B0FE8BB45C4C1FF510EFFE300367A37B61F701D914AEF09724825FA0707D61A6DFF4FBD7273566CDDE352A0B04B7C16A78309BE640697DE747613A5FC195E8B9F328852A579DB8F99B1D0034479EA9C5595F47C4B2F54FF21508D37514DCF7A8E143A6058C09A6BF2C9858CA37C258065AE6BF7532BC8B5B63383866E0753C5AC0E72709F8445F2E6178E065857E0EDA10F68206B63505ED87E534FB2831FF957FB7DC619DAE61301EEACC2FDA3680EA4999258A833CEA8FC67C6D19487FB449059F26CC8AAB655AB58B7CC796E24E9A394095754F5F8BAE";
const B: &str = "323031312D30320074656C3A2B34343737303039303031323300";
const K_BS: &str = "0493AF67E5007BA6E6A80DA793DA300FA4B52D0A74E25E6E7B2B3D6EE9D18A9B5C5023597BD82D8062D34019563BA1D25C0DC56B7B979D74AA50F29FBF11CC2C93F5DFCA615E609279F6175CEADB00B58C6BEE1E7A2A47C4F0C456F05259A6FA94A634A40DAE1DF593D4FECF688D5FC678BE7EFC6DF3D6835325B83B2C6E69036B155F0A27241094B04BFB0BDFAC6C670A65C325D39A069F03659D44CA27D3BE8DF311172B554160181CBE94A2A783320CED590BC42644702CF371271E496BF20F588B78A1BC01ECBB6559934BDD2FB65D2884318A33D1A42ADF5E33CC5800280B28356497F87135BAB9612A17260424409AC15FEE996B744C332151235DECB0F5";
const SSV: &str = "123456789ABCDEF0123456789ABCDEF0";
const R: &str = "13EE3E1B8DAC5DB168B1CEB32F0566A4C273693F78BAFFA2A2EE6A686E6BD90F8206CCAB84E7F42ED39BD4FB131012ECCA2ECD2119414560C17CAB46B956A80F58A3302EB3E2C9A228FBA7ED34D8ACA2392DA1FFB0B17B2320AE09AAEDFD0235F6FE0EB65337A63F9CC97728B8E5AD0460FADE144369AA5B2166213247712096";
const R_BS: &str = "0444E8AD44AB8592A6A5A3DDCA5CF896C718043606A01D650DEF37A01F37C228C332FC317354E2C274D4DAF8AD001054C76CE57971C6F4486D5723043261C506EBF5BE438F53DE04F067C776E0DD3B71A6290133283725A532F21AF145126DC1D777ECC27BE50835BD28098B8A73D9F801D893793A41FF5C49B87E79F2BE4D56CE557E134AD85BB1D4B9CE4F8BE4B08A12BABF55B1D6F1D7A638019EA28E15AB1C9F76375FDD1210D4F4351B9A009486B7F3ED46C965DED2D80DADE4F38C6721D52C3AD103A10EBD2959248B4EF006836BF097448E6107C9EDEE9FB704823DF199F832C905AE45F8A247A072D8EF729EABC5E27574B07739B34BE74A532F747B86";
const G_R: &str = "7D2A8438E6291C649B6579EB3B79EAE948B1DE9E5F7D1F4070A08F8DB6B3C5156F2201AFFBB5CB9D82AA3EC0D0398B89ABC78A13A760C0BF3F77E63D0DF3F1A341A41B8811DF197FD6CD0F003125606F4F109F400F7292A10D255E3C0EBCCB4253FB182C68F09CF6CD9C4A53DA6C74AD007AF36B8BCA979D5895E282F483FCD6";
const MASK: &str = "9BD4EA1E801D37E62AD2FAB0D4F5BBF7";
const H: &str = "89E0BC661AA1E91638E6ACC84E496507";
const ENCAPSULATED_DATA: &str = "0444E8AD44AB8592A6A5A3DDCA5CF896C718043606A01D650DEF37A01F37C228C332FC317354E2C274D4DAF8AD001054C76CE57971C6F4486D5723043261C506EBF5BE438F53DE04F067C776E0DD3B71A6290133283725A532F21AF145126DC1D777ECC27BE50835BD28098B8A73D9F801D893793A41FF5C49B87E79F2BE4D56CE557E134AD85BB1D4B9CE4F8BE4B08A12BABF55B1D6F1D7A638019EA28E15AB1C9F76375FDD1210D4F4351B9A009486B7F3ED46C965DED2D80DADE4F38C6721D52C3AD103A10EBD2959248B4EF006836BF097448E6107C9EDEE9FB704823DF199F832C905AE45F8A247A072D8EF729EABC5E27574B07739B34BE74A532F747B8689E0BC661AA1E91638E6ACC84E496507";
const W: &str = "7D2A8438E6291C649B6579EB3B79EAE948B1DE9E5F7D1F4070A08F8DB6B3C5156F2201AFFBB5CB9D82AA3EC0D0398B89ABC78A13A760C0BF3F77E63D0DF3F1A341A41B8811DF197FD6CD0F003125606F4F109F400F7292A10D255E3C0EBCCB4253FB182C68F09CF6CD9C4A53DA6C74AD007AF36B8BCA979D5895E282F483FCD6";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).expect("hex")
}

/// Left-pads to `n` octets.
fn pad(v: &[u8], n: usize) -> Vec<u8> {
    let mut o = vec![0u8; n - v.len()];
    o.extend_from_slice(v);
    o
}

fn point(x: &str, y: &str) -> Vec<u8> {
    let mut o = vec![4u8];
    o.extend(pad(&h(x), 128));
    o.extend(pad(&h(y), 128));
    o
}

#[test]
fn identifier_matches_the_rfc_text() {
    assert_eq!(h(B), b"2011-02\0tel:+447700900123\0");
}

#[test]
fn g_is_the_pairing_of_p_with_itself() {
    let p = point(PX, PY);
    assert_eq!(t::generator().to_vec(), p);
    let g = t::pairing(&p, &p).unwrap();
    assert_eq!(g.to_vec(), pad(&h(G), 128));
    // the precomputed-lines path gives the same value
    let g2 = t::pairing_precomputed(&p, &p).unwrap();
    assert_eq!(g2.to_vec(), pad(&h(G), 128));
}

#[test]
fn kms_public_key_z() {
    let z = KmsSecret::from_bytes(&h(Z_SECRET)).unwrap();
    assert_eq!(z.public().to_bytes().to_vec(), h(Z_UPPER));
    let zp = KmsPublic::from_bytes(&h(Z_UPPER)).unwrap();
    assert_eq!(zp, z.public());
}

#[test]
fn rsk_issue_and_validation() {
    let z = KmsSecret::from_bytes(&h(Z_SECRET)).unwrap();
    let id = h(B);
    let rsk = z.issue_rsk(&id).unwrap();
    assert_eq!(rsk.to_bytes().to_vec(), h(K_BS));
    let kms = z.public();
    sakke::validate_rsk(&kms, &id, &rsk).unwrap();
    let parsed = Rsk::from_bytes(&h(K_BS)).unwrap();
    sakke::validate_rsk(&kms, &id, &parsed).unwrap();
    DecapsulationKey::new(&kms, &id, &parsed).unwrap();
    // another identifier's RSK does not validate
    let other = b"2011-02\0tel:+447700900124\0";
    assert_eq!(
        sakke::validate_rsk(&kms, other, &rsk),
        Err(Error::InvalidKey)
    );
    assert_eq!(
        DecapsulationKey::new(&kms, other, &rsk).err(),
        Some(Error::InvalidKey)
    );
}

#[test]
fn encapsulation_steps() {
    let id = h(B);
    let ssv = h(SSV);
    // r = HashToIntegerRange(SSV || b, q)
    let mut s = ssv.clone();
    s.extend_from_slice(&id);
    assert_eq!(t::hash_to_q(&s).to_vec(), pad(&h(R), 128));
    // R = [r]([b]P + Z)
    let kms = KmsPublic::from_bytes(&h(Z_UPPER)).unwrap();
    // g^r
    let gr = t::g_pow(&h(R));
    assert_eq!(gr.to_vec(), pad(&h(G_R), 128));
    // mask = HashToIntegerRange(g^r, 2^128), H = SSV xor mask
    let mask = t::hash_to_mask(&gr);
    assert_eq!(mask.to_vec(), h(MASK));
    let hh: Vec<u8> = ssv.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
    assert_eq!(hh, h(H));
    // the whole encapsulation
    let sed = sakke::encapsulate(&kms, &id, &Ssv::from_bytes(&ssv).unwrap()).unwrap();
    assert_eq!(sed[..257].to_vec(), h(R_BS));
    assert_eq!(sed.to_vec(), h(ENCAPSULATED_DATA));
    assert_eq!(sakke::SED_LEN, sed.len());
}

#[test]
fn decapsulation_steps() {
    let id = h(B);
    let kms = KmsPublic::from_bytes(&h(Z_UPPER)).unwrap();
    let rsk = Rsk::from_bytes(&h(K_BS)).unwrap();
    // w = <R, K>
    let w = t::pairing(&h(R_BS), &h(K_BS)).unwrap();
    assert_eq!(w.to_vec(), pad(&h(W), 128));
    let w2 = t::pairing_precomputed(&h(K_BS), &h(R_BS)).unwrap();
    assert_eq!(w2.to_vec(), pad(&h(W), 128));
    let sed = h(ENCAPSULATED_DATA);
    let ssv = sakke::decapsulate(&kms, &id, &rsk, &sed).unwrap();
    assert_eq!(ssv.as_bytes().to_vec(), h(SSV));
    let dk = DecapsulationKey::new(&kms, &id, &rsk).unwrap();
    assert_eq!(dk.decapsulate(&sed).unwrap().as_bytes().to_vec(), h(SSV));
}

#[test]
fn tampered_and_malformed_sed() {
    let id = h(B);
    let kms = KmsPublic::from_bytes(&h(Z_UPPER)).unwrap();
    let rsk = Rsk::from_bytes(&h(K_BS)).unwrap();
    let dk = DecapsulationKey::new(&kms, &id, &rsk).unwrap();
    let sed = h(ENCAPSULATED_DATA);
    // tampered H
    let mut bad = sed.clone();
    bad[270] ^= 1;
    assert_eq!(dk.decapsulate(&bad).err(), Some(Error::AuthFailed));
    assert_eq!(
        sakke::decapsulate(&kms, &id, &rsk, &bad).err(),
        Some(Error::AuthFailed)
    );
    // wrong lengths
    assert_eq!(dk.decapsulate(&sed[..272]).err(), Some(Error::Parse));
    let mut long = sed.clone();
    long.push(0);
    assert_eq!(dk.decapsulate(&long).err(), Some(Error::Parse));
    // R off the curve
    let mut off = sed.clone();
    off[256] ^= 1;
    assert_eq!(dk.decapsulate(&off).err(), Some(Error::InvalidPoint));
    // bad prefix
    let mut pre = sed.clone();
    pre[0] = 2;
    assert_eq!(dk.decapsulate(&pre).err(), Some(Error::InvalidPoint));
    // R of order 2: (0, 0)
    let mut two = vec![4u8];
    two.extend([0u8; 256]);
    two.extend(&sed[257..]);
    assert_eq!(dk.decapsulate(&two).err(), Some(Error::InvalidPoint));
    assert_eq!(
        sakke::decapsulate(&kms, &id, &rsk, &two).err(),
        Some(Error::InvalidPoint)
    );
    // x coordinate not below p
    let mut big = sed.clone();
    for b in big[1..129].iter_mut() {
        *b = 0xff;
    }
    assert_eq!(dk.decapsulate(&big).err(), Some(Error::InvalidPoint));
    // the SED for another identifier does not decapsulate
    let other = b"2011-02\0tel:+447700900124\0";
    let kms_secret = KmsSecret::from_bytes(&h(Z_SECRET)).unwrap();
    let rsk2 = kms_secret.issue_rsk(other).unwrap();
    assert_eq!(
        sakke::decapsulate(&kms, other, &rsk2, &sed).err(),
        Some(Error::AuthFailed)
    );
}

#[test]
fn key_encodings_are_checked() {
    assert_eq!(KmsSecret::from_bytes(&[]).err(), Some(Error::InvalidKey));
    assert_eq!(KmsSecret::from_bytes(&[0]).err(), Some(Error::InvalidKey));
    assert_eq!(
        KmsSecret::from_bytes(&h(Q_HEX)).err(),
        Some(Error::InvalidKey)
    );
    assert_eq!(
        KmsSecret::from_bytes(&[0u8; 129]).err(),
        Some(Error::InvalidKey)
    );
    assert!(KmsSecret::from_bytes(&[1]).is_ok());
    let z = h(Z_UPPER);
    assert_eq!(KmsPublic::from_bytes(&z[..256]).err(), Some(Error::Parse));
    let mut off = z.clone();
    off[200] ^= 0x10;
    assert_eq!(KmsPublic::from_bytes(&off).err(), Some(Error::InvalidPoint));
    assert_eq!(Rsk::from_bytes(&off).err(), Some(Error::InvalidPoint));
    // a point on the curve but outside the order-q subgroup: (0, 0) has order 2
    let mut zero = vec![4u8];
    zero.extend([0u8; 256]);
    assert_eq!(
        KmsPublic::from_bytes(&zero).err(),
        Some(Error::InvalidPoint)
    );
    assert_eq!(Rsk::from_bytes(&zero).err(), Some(Error::InvalidPoint));
    // x = p is not a canonical coordinate
    let mut xp = z.clone();
    xp[1..129].copy_from_slice(&h(P_HEX));
    assert_eq!(KmsPublic::from_bytes(&xp).err(), Some(Error::InvalidPoint));
    assert_eq!(Ssv::from_bytes(&[0u8; 15]).err(), Some(Error::Parse));
}

#[test]
fn secrets_are_redacted_in_debug() {
    let z = KmsSecret::from_bytes(&h(Z_SECRET)).unwrap();
    let rsk = z.issue_rsk(&h(B)).unwrap();
    let ssv = Ssv::from_bytes(&h(SSV)).unwrap();
    for s in [format!("{z:?}"), format!("{rsk:?}"), format!("{ssv:?}")] {
        assert!(s.contains("redacted"), "{s}");
        assert!(!s.to_lowercase().contains("aff4"), "{s}");
    }
}

#[test]
fn batch_forms_match_single_operations() {
    let z = KmsSecret::from_bytes(&h(Z_SECRET)).unwrap();
    let kms = z.public();
    let ids: Vec<Vec<u8>> = (0..5u8)
        .map(|i| format!("2011-02\0tel:+44770090012{i}\0").into_bytes())
        .chain(std::iter::once(h(B)))
        .collect();
    let refs: Vec<&[u8]> = ids.iter().map(|v| v.as_slice()).collect();
    let batch = z.issue_rsks(&refs);
    assert_eq!(batch.len(), ids.len());
    for (id, r) in ids.iter().zip(batch.iter()) {
        let r = r.as_ref().unwrap();
        assert_eq!(r.to_bytes(), z.issue_rsk(id).unwrap().to_bytes());
    }
    assert_eq!(batch[5].as_ref().unwrap().to_bytes().to_vec(), h(K_BS));
    let ssvs: Vec<Ssv> = (0..ids.len() as u8).map(|i| Ssv::new([i; 16])).collect();
    let items: Vec<(&[u8], &Ssv)> = refs.iter().copied().zip(ssvs.iter()).collect();
    let seds = sakke::encapsulate_many(&kms, &items);
    for ((id, ssv), sed) in items.iter().zip(seds.iter()) {
        assert_eq!(
            sed.as_ref().unwrap(),
            &sakke::encapsulate(&kms, id, ssv).unwrap()
        );
    }
    assert!(sakke::encapsulate_many(&kms, &[]).is_empty());
    assert!(z.issue_rsks(&[]).is_empty());
}
