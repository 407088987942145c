//! A failing random source gives `Error::Rng`, never a panic, for every generator of secrets.
use prose_sec::eccsi::Ksak;
use prose_sec::sakke::{KmsSecret, Ssv};
use prose_sec::Error;
use rand_core::{CryptoRng, RngCore};

/// A random source that always fails.
struct Broken;

impl RngCore for Broken {
    fn next_u32(&mut self) -> u32 {
        panic!("the generators must use try_fill_bytes")
    }
    fn next_u64(&mut self) -> u64 {
        panic!("the generators must use try_fill_bytes")
    }
    fn fill_bytes(&mut self, _: &mut [u8]) {
        panic!("the generators must use try_fill_bytes")
    }
    fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), rand_core::Error> {
        Err(rand_core::Error::from(
            core::num::NonZeroU32::new(rand_core::Error::CUSTOM_START).unwrap(),
        ))
    }
}
impl CryptoRng for Broken {}

/// A source that only ever gives zeros (z = 0 is not a key).
struct Zeros;

impl RngCore for Zeros {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, b: &mut [u8]) {
        b.fill(0)
    }
    fn try_fill_bytes(&mut self, b: &mut [u8]) -> Result<(), rand_core::Error> {
        b.fill(0);
        Ok(())
    }
}
impl CryptoRng for Zeros {}

#[test]
fn failing_rng_is_a_typed_error() {
    assert_eq!(KmsSecret::try_generate(&mut Broken).err(), Some(Error::Rng));
    assert_eq!(Ssv::try_generate(&mut Broken).err(), Some(Error::Rng));
    assert_eq!(Ksak::try_generate(&mut Broken).err(), Some(Error::Rng));
    assert_eq!(KmsSecret::try_generate(&mut Zeros).err(), Some(Error::Rng));
    assert!(KmsSecret::try_generate(&mut rand_core::OsRng).is_ok());
    assert!(Ssv::try_generate(&mut rand_core::OsRng).is_ok());
}

/// Secret-holding types have owners that are not `Copy` (a copy would escape the wipe on drop)
/// and whose `zeroize` clears them.
#[test]
fn secret_owners_are_not_copy_and_wipe() {
    use prose_sec::eccsi::Ssk;
    use prose_sec::sakke::{DecapsulationKey, Rsk};
    use zeroize::Zeroize;

    // `check` resolves only if exactly one impl applies: a `Copy` type would match both.
    trait NotCopy<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotCopy<()> for T {}
    struct IfCopy;
    impl<T: Copy> NotCopy<IfCopy> for T {}
    <KmsSecret as NotCopy<_>>::check();
    <Rsk as NotCopy<_>>::check();
    <Ssv as NotCopy<_>>::check();
    <DecapsulationKey as NotCopy<_>>::check();
    <Ksak as NotCopy<_>>::check();
    <Ssk as NotCopy<_>>::check();

    let z = KmsSecret::generate(&mut rand_core::OsRng);
    let mut rsk = z.issue_rsk(b"2011-02\0tel:+447700900123\0").unwrap();
    assert!(rsk.to_bytes()[1..].iter().any(|&b| b != 0));
    rsk.zeroize();
    assert!(rsk.to_bytes()[1..].iter().all(|&b| b == 0));
    let mut z2 = z.clone();
    z2.zeroize();
    assert!(z2.to_bytes().iter().all(|&b| b == 0));
}
