//! `prose-sec node` (owned by the call work; placeholder until it lands).

#[derive(clap::Args)]
pub struct NodeArgs {}

pub fn run(_: NodeArgs) -> anyhow::Result<()> {
    anyhow::bail!("`node` is not built yet")
}
