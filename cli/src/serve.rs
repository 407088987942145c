//! `prose-sec kms serve` and `prose-sec member provision` (owned by the KMS service work;
//! placeholder until it lands).

#[derive(clap::Args)]
pub struct ServeArgs {}

#[derive(clap::Args)]
pub struct ProvisionArgs {}

pub fn serve(_: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`kms serve` is not built yet")
}

pub fn provision(_: ProvisionArgs) -> anyhow::Result<()> {
    anyhow::bail!("`member provision` is not built yet")
}
