//! `prose-sec demo` (owned by the call work; placeholder until it lands).

#[derive(clap::Args)]
pub struct DemoArgs {}

pub fn run(_: DemoArgs) -> anyhow::Result<()> {
    anyhow::bail!("`demo` is not built yet")
}
